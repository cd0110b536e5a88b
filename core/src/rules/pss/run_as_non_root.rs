//! PSA check `runAsNonRoot` (restricted, all versions; relaxed for user-namespaced pods from v1.35).

use super::{
    Level, Outcome, PssCheck, Version, bad_setters, containers_phrase, unset_in_containers,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod unless `securityContext.runAsNonRoot: true` is set at pod level or on every
    /// container; an explicit `false` at either level always fails. From policy v1.35 a pod with
    /// `spec.hostUsers: false` passes, since root in its user namespace is not root on the node.
    ///
    /// ## Why is this bad?
    /// A container running as UID 0 is root in the kernel's eyes: any escape from the container
    /// (a kernel bug, a writable host mount) lands as root on the node.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: registry.example/app:1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted, "Running as Non-root": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - CIS Kubernetes Benchmark 5.2.7
    /// - PSA source: `policy/check_runAsNonRoot.go`
    pub static RULE = Rule {
        code: "PSS103",
        name: "run-as-non-root",
        title: "Pods must set runAsNonRoot: true",
        severity: Severity::Medium,
        remediation: "Set `securityContext.runAsNonRoot: true` on the pod (and a non-zero `runAsUser` if the image's user is root), or run the pod with `hostUsers: false`.",
        kind: RuleKind::Pss(PssCheck {
            id: "runAsNonRoot",
            level: Level::Restricted,
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
    let explicit = bad_setters(
        pod,
        |sc| sc.run_as_non_root.as_ref(),
        |non_root| !non_root,
        |who, _| format!("{who} must not set securityContext.runAsNonRoot=false"),
    );
    let pod_non_root = pod
        .security_context
        .as_ref()
        .and_then(|sc| sc.run_as_non_root.as_ref())
        .is_some_and(|s| s.value);
    let (implicit, implicit_violations) = unset_in_containers(
        pod,
        pod_non_root,
        |sc| sc.run_as_non_root.is_some(),
        |who| format!("pod or {who} must set securityContext.runAsNonRoot=true"),
    );
    if !explicit.setters.is_empty() {
        // As in PSA, an explicit false is reported on its own; the implicit misses are still
        // listed as violations so that fixing the explicit ones does not reveal new findings.
        let mut violations = explicit.violations;
        violations.extend(implicit_violations);
        return Some(Outcome {
            reason: "runAsNonRoot != true".to_owned(),
            detail: format!(
                "{} must not set securityContext.runAsNonRoot=false",
                explicit.setters.join(" and ")
            ),
            violations,
        });
    }
    if implicit.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "runAsNonRoot != true".to_owned(),
        detail: format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            containers_phrase(&implicit)
        ),
        violations: implicit_violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn pod_level_true_covers_containers() {
        let p = pod("spec:\n  securityContext: {runAsNonRoot: true}\n  containers: [{name: a}]\n");
        assert!(evaluate(&p, Version::LATEST).is_none());
    }

    #[test]
    fn explicit_false_wins_over_missing() {
        let p = pod(
            "spec:\n  containers:\n  - name: a\n    securityContext: {runAsNonRoot: false}\n  - name: b\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "container \"a\" must not set securityContext.runAsNonRoot=false"
        );
        assert_eq!(out.violations.len(), 2);
        let missing = pod("spec:\n  containers: [{name: a}, {name: b}]\n");
        assert_eq!(
            evaluate(&missing, Version::LATEST).expect("fails").detail,
            "pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true"
        );
    }

    #[test]
    fn container_false_overrides_pod_true() {
        let p = pod(
            "spec:\n  securityContext: {runAsNonRoot: true}\n  containers:\n  - name: a\n    securityContext: {runAsNonRoot: false}\n",
        );
        assert!(evaluate(&p, Version::LATEST).is_some());
    }

    #[test]
    fn user_namespaces_relax_it_from_v1_35() {
        let p = pod("spec:\n  hostUsers: false\n  containers: [{name: a}]\n");
        assert!(evaluate(&p, Version::v1(34)).is_some());
        assert!(evaluate(&p, Version::v1(35)).is_none());
    }
}
