//! PSA check `runAsUser` (restricted, from v1.23; relaxed for user-namespaced pods from v1.35).

use super::{Level, Outcome, PssCheck, Version, bad_setters};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that sets `securityContext.runAsUser: 0` at pod level or on any container.
    /// Unset is allowed (runAsNonRoot covers it). Applies from policy v1.23; from v1.35 a pod
    /// with `spec.hostUsers: false` passes.
    ///
    /// ## Why is this bad?
    /// UID 0 is root. `runAsNonRoot: true` makes the kubelet refuse to start such a container,
    /// but an explicit `runAsUser: 0` states the intent to run as root and fails at runtime or,
    /// without runAsNonRoot, runs as root.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted, "Running as Non-root user": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - PSA source: `policy/check_runAsUser.go`
    pub static RULE = Rule {
        code: "PSS104",
        name: "run-as-root-user",
        title: "Pods must not set runAsUser: 0",
        severity: Severity::Medium,
        remediation: "Set `runAsUser` to a non-zero UID (e.g. 10001), or remove it and rely on the image's non-root user with `runAsNonRoot: true`.",
        kind: RuleKind::Pss(PssCheck {
            id: "runAsUser",
            level: Level::Restricted,
            since: 23,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(35) && pod.in_user_namespace() {
        return None;
    }
    let found = bad_setters(
        pod,
        |sc| sc.run_as_user.as_ref(),
        |uid| *uid == 0,
        |who, _| format!("{who} must not set runAsUser=0"),
    );
    if found.setters.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "runAsUser=0".to_owned(),
        detail: format!("{} must not set runAsUser=0", found.setters.join(" and ")),
        violations: found.violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn zero_fails_anywhere() {
        let p = pod(
            "spec:\n  securityContext: {runAsUser: 0}\n  containers:\n  - name: a\n    securityContext: {runAsUser: 0}\n  - name: b\n    securityContext: {runAsUser: 1000}\n",
        );
        assert_eq!(
            evaluate(&p, Version::LATEST).expect("fails").detail,
            "pod and container \"a\" must not set runAsUser=0"
        );
        let ns = pod("spec:\n  hostUsers: false\n  securityContext: {runAsUser: 0}\n");
        assert!(evaluate(&ns, Version::v1(34)).is_some());
        assert!(evaluate(&ns, Version::v1(35)).is_none());
    }
}
