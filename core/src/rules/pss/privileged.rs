//! PSA check `privileged` (baseline, all versions).

use super::{Level, Outcome, PssCheck, Version, Violation, containers_phrase};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which any container, init container or ephemeral container sets
    /// `securityContext.privileged: true`.
    ///
    /// ## Why is this bad?
    /// A privileged container has every capability, sees all host devices and is not confined
    /// by seccomp or AppArmor. Escaping to the node from it is trivial (mount the host disk,
    /// load a kernel module).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: agent
    ///   securityContext:
    ///     privileged: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: agent
    ///   securityContext:
    ///     privileged: false
    ///     capabilities:
    ///       add: ["NET_BIND_SERVICE"]   # only what the process needs
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Privileged Containers": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - CIS Kubernetes Benchmark 5.2.2
    /// - PSA source: `policy/check_privileged.go`
    pub static RULE = Rule {
        code: "PSS003",
        name: "privileged",
        title: "Containers must not run privileged",
        severity: Severity::Critical,
        remediation: "Remove `privileged: true`; grant the specific capabilities or devices the process needs instead.",
        kind: RuleKind::Pss(PssCheck {
            id: "privileged",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let mut bad = Vec::new();
    let mut violations = Vec::new();
    for c in &pod.containers {
        if let Some(p) = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.privileged.as_ref())
            .filter(|p| p.value)
        {
            bad.push(c.name.clone());
            violations.push(Violation {
                container: Some(c.name.clone()),
                loc: p.loc.clone(),
                message: format!(
                    "{} must not set securityContext.privileged=true",
                    containers_phrase(&[&c.name])
                ),
            });
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "privileged".to_owned(),
        detail: format!(
            "{} must not set securityContext.privileged=true",
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
    fn every_container_list_is_checked() {
        let p = pod(
            "spec:\n  initContainers:\n  - name: i\n    securityContext: {privileged: true}\n  containers:\n  - name: c\n    securityContext: {privileged: false}\n  ephemeralContainers:\n  - name: e\n    securityContext: {privileged: true}\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "containers \"i\", \"e\" must not set securityContext.privileged=true"
        );
    }
}
