//! PSA check `allowPrivilegeEscalation` (restricted, from v1.8; Windows pods exempt from v1.25).

use super::{Level, Outcome, PssCheck, Version, Violation, container_sc_loc, containers_phrase};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which any container does not set
    /// `securityContext.allowPrivilegeEscalation: false` explicitly (unset fails too). Applies
    /// from policy v1.8; from v1.25 pods with `spec.os.name: windows` are exempt.
    ///
    /// ## Why is this bad?
    /// Unless it is false, a process can gain more privileges than its parent through setuid
    /// binaries or file capabilities (`no_new_privs` is not set), which turns any setuid binary
    /// in the image into a way to become root.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example/app:1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example/app:1.0
    ///   securityContext:
    ///     allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted, "Privilege Escalation": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - CIS Kubernetes Benchmark 5.2.6
    /// - PSA source: `policy/check_allowPrivilegeEscalation.go`
    pub static RULE = Rule {
        code: "PSS102",
        name: "allow-privilege-escalation",
        title: "Containers must set allowPrivilegeEscalation: false",
        severity: Severity::Medium,
        remediation: "Add `allowPrivilegeEscalation: false` to every container's `securityContext`.",
        kind: RuleKind::Pss(PssCheck {
            id: "allowPrivilegeEscalation",
            level: Level::Restricted,
            since: 8,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(25) && pod.is_windows() {
        return None;
    }
    let mut bad = Vec::new();
    let mut violations = Vec::new();
    for c in &pod.containers {
        let setting = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.allow_privilege_escalation.as_ref());
        if setting.is_some_and(|s| !s.value) {
            continue;
        }
        bad.push(c.name.clone());
        let loc = setting.map_or_else(|| container_sc_loc(c), |s| s.loc.clone());
        violations.push(Violation {
            container: Some(c.name.clone()),
            loc,
            message: format!(
                "{} must set securityContext.allowPrivilegeEscalation=false{}",
                containers_phrase(&[&c.name]),
                if setting.is_some() {
                    " (it is set to true)"
                } else {
                    ""
                }
            ),
        });
    }
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "allowPrivilegeEscalation != false".to_owned(),
        detail: format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&bad)
        ),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn unset_fails_and_points_at_the_closest_parent() {
        let p = pod(
            "spec:\n  containers:\n  - name: a\n  - name: b\n    securityContext: {runAsNonRoot: true}\n  - name: c\n    securityContext: {allowPrivilegeEscalation: false}\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false"
        );
        assert_eq!(out.violations[0].loc.pointer, "/spec/containers/0");
        assert_eq!(
            out.violations[1].loc.pointer,
            "/spec/containers/1/securityContext"
        );
    }

    #[test]
    fn windows_pods_are_exempt_from_v1_25() {
        let p = pod("spec:\n  os: {name: windows}\n  containers: [{name: a}]\n");
        assert!(evaluate(&p, Version::v1(24)).is_some());
        assert!(evaluate(&p, Version::v1(25)).is_none());
    }
}
