//! PSA check `capabilities_restricted` (restricted, from v1.22; Windows pods exempt from v1.25).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, containers_phrase, go_quote,
    join_quote,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which any container does not drop `ALL` capabilities
    /// (`securityContext.capabilities.drop` must contain `"ALL"`), or adds any capability other
    /// than `NET_BIND_SERVICE`. Applies from policy v1.22 (replacing the baseline capabilities
    /// check at the restricted level); from v1.25 pods with `spec.os.name: windows` are exempt.
    ///
    /// ## Why is this bad?
    /// Container runtimes grant a default set of capabilities (CHOWN, DAC_OVERRIDE, SETUID,
    /// NET_RAW in some runtimes, ...) that most applications never use and that widen what an
    /// attacker can do after compromising the process.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["CHOWN"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]   # only if it binds ports below 1024
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted, "Capabilities": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - CIS Kubernetes Benchmark 5.2.9, 5.2.10
    /// - PSA source: `policy/check_capabilities_restricted.go`
    pub static RULE = Rule {
        code: "PSS106",
        name: "capabilities-not-dropped",
        title: "Containers must drop ALL capabilities and add only NET_BIND_SERVICE",
        severity: Severity::Medium,
        remediation: "Set `securityContext.capabilities.drop: [\"ALL\"]` on every container and add back at most `NET_BIND_SERVICE`.",
        kind: RuleKind::Pss(PssCheck {
            id: "capabilities_restricted",
            level: Level::Restricted,
            since: 22,
            overrides: &["capabilities_baseline"],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(25) && pod.is_windows() {
        return None;
    }
    let mut missing_drop = Vec::new();
    let mut adding = Vec::new();
    let mut forbidden = SortedSet::new();
    let mut violations = Vec::new();
    for c in &pod.containers {
        let caps = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.capabilities.as_ref());
        if !caps.is_some_and(|caps| caps.drop.iter().any(|d| d.value == "ALL")) {
            missing_drop.push(c.name.clone());
            let loc = caps
                .map(|caps| caps.loc.clone())
                .unwrap_or_else(|| super::container_sc_loc(c));
            violations.push(Violation {
                container: Some(c.name.clone()),
                loc,
                message: format!(
                    "{} must set securityContext.capabilities.drop=[\"ALL\"]",
                    containers_phrase(&[&c.name])
                ),
            });
        }
        let mut added_forbidden = false;
        for cap in caps.map(|caps| caps.add.as_slice()).unwrap_or_default() {
            if cap.value != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden.insert(cap.value.clone());
                violations.push(Violation {
                    container: Some(c.name.clone()),
                    loc: cap.loc.clone(),
                    message: format!(
                        "{} must not include {} in securityContext.capabilities.add",
                        containers_phrase(&[&c.name]),
                        go_quote(&cap.value)
                    ),
                });
            }
        }
        if added_forbidden {
            adding.push(c.name.clone());
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&adding),
            join_quote(&forbidden)
        ));
    }
    if details.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "unrestricted capabilities".to_owned(),
        detail: details.join("; "),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn drop_all_and_add_only_net_bind_service() {
        let ok = pod(
            "spec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}\n",
        );
        assert!(evaluate(&ok, Version::LATEST).is_none());
        let bad = pod(
            "spec:\n  containers:\n  - name: a\n  - name: b\n    securityContext: {capabilities: {drop: [ALL], add: [CHOWN]}}\n",
        );
        assert_eq!(
            evaluate(&bad, Version::LATEST).expect("fails").detail,
            "container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"b\" must not include \"CHOWN\" in securityContext.capabilities.add"
        );
    }

    #[test]
    fn windows_pods_are_exempt_from_v1_25() {
        let p = pod("spec:\n  os: {name: windows}\n  containers: [{name: a}]\n");
        assert!(evaluate(&p, Version::v1(24)).is_some());
        assert!(evaluate(&p, Version::v1(25)).is_none());
    }
}
