//! PSA check `seccompProfile_restricted` (restricted, from v1.19; Windows pods exempt from v1.25).

use super::seccomp_baseline::{explicitly_unconfined, valid_type};
use super::{
    Level, Outcome, PssCheck, SortedSet, Version, containers_phrase, join_quote,
    unset_in_containers,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod unless a seccomp profile of type `RuntimeDefault` or `Localhost` is set at
    /// pod level or on every container; any other explicit type (`Unconfined`) fails. Applies
    /// from policy v1.19 (before that, the baseline annotation check applies); from v1.25 pods
    /// with `spec.os.name: windows` are exempt.
    ///
    /// ## Why is this bad?
    /// Without a seccomp profile a container may make any system call, including the rarely
    /// used ones that most kernel privilege-escalation exploits need. RuntimeDefault blocks
    /// them at no cost to ordinary applications.
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
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted, "Seccomp": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - CIS Kubernetes Benchmark 5.7.2
    /// - PSA source: `policy/check_seccompProfile_restricted.go`
    pub static RULE = Rule {
        code: "PSS105",
        name: "missing-seccomp-profile",
        title: "Pods must set a RuntimeDefault or Localhost seccomp profile",
        severity: Severity::Medium,
        remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level (or on every container).",
        kind: RuleKind::Pss(PssCheck {
            id: "seccompProfile_restricted",
            level: Level::Restricted,
            since: 19,
            overrides: &["seccompProfile_baseline"],
            evaluate,
        }),
    };
}

const REQUIRED: &str = "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"";

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(25) && pod.is_windows() {
        return None;
    }
    let explicit = explicitly_unconfined(pod);
    let pod_set = pod
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile_type.as_ref())
        .is_some_and(|t| valid_type(&t.value));
    let (implicit, implicit_violations) = unset_in_containers(
        pod,
        pod_set,
        |sc| sc.seccomp_profile_type.is_some(),
        |who| format!("pod or {who} must set {REQUIRED}"),
    );
    if !explicit.setters.is_empty() {
        // As PSA, report the explicit bad values; the missing ones are still listed as
        // violations so that fixing the first does not reveal new findings.
        let values: SortedSet = explicit.values.iter().map(|v| v.value.clone()).collect();
        let mut violations = explicit.violations;
        violations.extend(implicit_violations);
        return Some(Outcome {
            reason: "seccompProfile".to_owned(),
            detail: format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                explicit.setters.join(" and "),
                join_quote(&values)
            ),
            violations,
        });
    }
    if implicit.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "seccompProfile".to_owned(),
        detail: format!(
            "pod or {} must set {REQUIRED}",
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
    fn pod_level_profile_covers_containers() {
        let p = pod(
            "spec:\n  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers: [{name: a}]\n",
        );
        assert!(evaluate(&p, Version::LATEST).is_none());
        let missing = pod("spec:\n  containers: [{name: a}]\n");
        assert_eq!(
            evaluate(&missing, Version::LATEST).expect("fails").detail,
            "pod or container \"a\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""
        );
        let unconfined = pod(
            "spec:\n  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: a\n    securityContext: {seccompProfile: {type: Unconfined}}\n",
        );
        assert_eq!(
            evaluate(&unconfined, Version::LATEST)
                .expect("fails")
                .detail,
            "container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\""
        );
    }

    #[test]
    fn windows_pods_are_exempt_from_v1_25() {
        let p = pod("spec:\n  os: {name: windows}\n  containers: [{name: a}]\n");
        assert!(evaluate(&p, Version::v1(24)).is_some());
        assert!(evaluate(&p, Version::v1(25)).is_none());
    }
}
