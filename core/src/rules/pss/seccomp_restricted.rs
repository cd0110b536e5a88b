//! PSA check `seccompProfile_restricted` (restricted, from v1.19; Windows pods exempt from v1.25).

use super::seccomp_baseline::valid_type;
use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, container_sc_loc, containers_phrase,
    go_quote, join_quote,
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

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(25) && pod.is_windows() {
        return None;
    }
    let mut setters = Vec::new();
    let mut values = SortedSet::new();
    let mut violations = Vec::new();
    let mut pod_set = false;
    if let Some(t) = pod
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile_type.as_ref())
    {
        if valid_type(&t.value) {
            pod_set = true;
        } else {
            setters.push("pod".to_owned());
            values.insert(t.value.clone());
            violations.push(Violation {
                container: None,
                loc: t.loc.clone(),
                message: format!(
                    "pod must not set securityContext.seccompProfile.type to {}",
                    go_quote(&t.value)
                ),
            });
        }
    }
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    let mut implicit_violations = Vec::new();
    for c in &pod.containers {
        match c
            .security_context
            .as_ref()
            .and_then(|sc| sc.seccomp_profile_type.as_ref())
        {
            Some(t) if !valid_type(&t.value) => {
                explicit.push(c.name.clone());
                values.insert(t.value.clone());
                violations.push(Violation {
                    container: Some(c.name.clone()),
                    loc: t.loc.clone(),
                    message: format!(
                        "{} must not set securityContext.seccompProfile.type to {}",
                        containers_phrase(&[&c.name]),
                        go_quote(&t.value)
                    ),
                });
            }
            Some(_) => {}
            None if pod_set => {}
            None => {
                implicit.push(c.name.clone());
                implicit_violations.push(Violation {
                    container: Some(c.name.clone()),
                    loc: container_sc_loc(c),
                    message: format!(
                        "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                        containers_phrase(&[&c.name])
                    ),
                });
            }
        }
    }
    if !explicit.is_empty() {
        setters.push(containers_phrase(&explicit));
    }
    if !setters.is_empty() {
        violations.extend(implicit_violations);
        return Some(Outcome {
            reason: "seccompProfile".to_owned(),
            detail: format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
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
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
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
