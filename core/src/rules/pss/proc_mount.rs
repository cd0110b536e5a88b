//! PSA check `procMount` (baseline, all versions; relaxed for user-namespaced pods from v1.35).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, containers_phrase, go_quote,
    join_quote,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which a container sets `securityContext.procMount` to anything other than
    /// `Default`. From policy v1.35, a pod with `spec.hostUsers: false` (its own user namespace)
    /// may set any value; the restricted level keeps the requirement (rule PSS107).
    ///
    /// ## Why is this bad?
    /// `Unmasked` removes the masks over sensitive `/proc` paths (`/proc/kcore`,
    /// `/proc/sysrq-trigger`, ...), exposing host kernel interfaces to the container.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   procMount: Default   # or leave unset
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "/proc Mount Type": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - KEP-127 (user namespaces)
    /// - PSA source: `policy/check_procMount.go`
    pub static RULE = Rule {
        code: "PSS010",
        name: "proc-mount",
        title: "Containers must use the default /proc mount",
        severity: Severity::High,
        remediation: "Remove `procMount` or set it to `Default`; an unmasked /proc is only acceptable in a pod with `hostUsers: false`.",
        kind: RuleKind::Pss(PssCheck {
            id: "procMount",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(35) && pod.in_user_namespace() {
        return None;
    }
    strict(pod)
}

/// The check without the user-namespace relaxation (also PSS107's semantics).
pub(crate) fn strict(pod: &Pod) -> Option<Outcome> {
    let mut bad = Vec::new();
    let mut values = SortedSet::new();
    let mut violations = Vec::new();
    for c in &pod.containers {
        if let Some(pm) = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.proc_mount.as_ref())
            .filter(|pm| pm.value != "Default")
        {
            bad.push(c.name.clone());
            values.insert(pm.value.clone());
            violations.push(Violation {
                container: Some(c.name.clone()),
                loc: pm.loc.clone(),
                message: format!(
                    "{} must not set securityContext.procMount to {}",
                    containers_phrase(&[&c.name]),
                    go_quote(&pm.value)
                ),
            });
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "procMount".to_owned(),
        detail: format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(&values)
        ),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn user_namespaces_relax_it_from_v1_35() {
        let p = pod(
            "spec:\n  hostUsers: false\n  containers:\n  - name: a\n    securityContext: {procMount: Unmasked}\n",
        );
        assert!(evaluate(&p, Version::v1(34)).is_some());
        assert!(evaluate(&p, Version::v1(35)).is_none());
        let host =
            pod("spec:\n  containers:\n  - name: a\n    securityContext: {procMount: Unmasked}\n");
        assert_eq!(
            evaluate(&host, Version::LATEST).expect("fails").detail,
            "container \"a\" must not set securityContext.procMount to \"Unmasked\""
        );
    }
}
