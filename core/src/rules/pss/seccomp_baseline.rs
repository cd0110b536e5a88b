//! PSA check `seccompProfile_baseline` (baseline; annotations before v1.19, fields from v1.19).

use super::{
    BadSetters, Level, Outcome, PssCheck, SortedSet, Version, Violation, bad_setters, go_quote,
    join_quote, pluralize,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that explicitly sets an `Unconfined` seccomp profile. From policy v1.19 this
    /// reads `securityContext.seccompProfile.type` of the pod and every container (allowed:
    /// `RuntimeDefault`, `Localhost`, unset). Before v1.19 it reads the annotations
    /// `seccomp.security.alpha.kubernetes.io/pod` and
    /// `container.seccomp.security.alpha.kubernetes.io/<name>` (allowed: `runtime/default`,
    /// `docker/default`, `localhost/<profile>`, unset).
    ///
    /// ## Why is this bad?
    /// Seccomp filters the system calls a container may make. Without it the whole kernel
    /// interface is exposed, including the rarely used calls behind many kernel exploits.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: RuntimeDefault
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Seccomp": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - CIS Kubernetes Benchmark 5.7.2
    /// - PSA source: `policy/check_seccompProfile_baseline.go`
    pub static RULE = Rule {
        code: "PSS011",
        name: "unconfined-seccomp",
        title: "Seccomp must not be set to Unconfined",
        severity: Severity::High,
        remediation: "Set `seccompProfile.type: RuntimeDefault` (or `Localhost` with a reviewed profile) instead of `Unconfined`.",
        kind: RuleKind::Pss(PssCheck {
            id: "seccompProfile_baseline",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

pub(crate) const ANNOTATION_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub(crate) const ANNOTATION_CONTAINER_PREFIX: &str =
    "container.seccomp.security.alpha.kubernetes.io/";

pub(crate) fn valid_type(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn valid_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    if version.at_least(19) {
        fields(pod)
    } else {
        annotations(pod)
    }
}

/// v1.0–v1.18: the alpha annotations.
pub(crate) fn annotations(pod: &Pod) -> Option<Outcome> {
    let mut forbidden = SortedSet::new();
    let mut violations = Vec::new();
    let mut check = |key: &str, container: Option<&str>| {
        if let Some((_, value)) = pod.annotations.iter().find(|(k, _)| k == key)
            && !valid_annotation(&value.value)
        {
            let shown = format!("{key}={}", go_quote(&value.value));
            violations.push(Violation {
                container: container.map(str::to_owned),
                loc: value.loc.clone(),
                message: format!("forbidden seccomp annotation {shown}"),
            });
            forbidden.insert(shown);
        }
    };
    check(ANNOTATION_POD, None);
    for c in &pod.containers {
        check(
            &format!("{ANNOTATION_CONTAINER_PREFIX}{}", c.name),
            Some(&c.name),
        );
    }
    if forbidden.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "seccompProfile".to_owned(),
        detail: format!(
            "forbidden {} {}",
            pluralize("annotation", "annotations", forbidden.len()),
            forbidden.into_iter().collect::<Vec<_>>().join(", ")
        ),
        violations,
    })
}

/// Pod and container seccomp profiles explicitly set to a type other than RuntimeDefault or
/// Localhost (shared with the restricted check).
pub(crate) fn explicitly_unconfined(pod: &Pod) -> BadSetters<'_, String> {
    bad_setters(
        pod,
        |sc| sc.seccomp_profile_type.as_ref(),
        |t| !valid_type(t),
        |who, t| {
            format!(
                "{who} must not set securityContext.seccompProfile.type to {}",
                go_quote(t)
            )
        },
    )
}

/// v1.19+: `securityContext.seccompProfile.type`.
fn fields(pod: &Pod) -> Option<Outcome> {
    let found = explicitly_unconfined(pod);
    if found.setters.is_empty() {
        return None;
    }
    let values: SortedSet = found.values.iter().map(|v| v.value.clone()).collect();
    Some(Outcome {
        reason: "seccompProfile".to_owned(),
        detail: format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            found.setters.join(" and "),
            join_quote(&values)
        ),
        violations: found.violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn annotations_before_v1_19_fields_after() {
        let annotated = pod(
            "metadata:\n  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\nspec:\n  containers: [{name: a}]\n",
        );
        let out = evaluate(&annotated, Version::v1(18)).expect("fails at 1.18");
        assert_eq!(
            out.detail,
            "forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\""
        );
        assert!(evaluate(&annotated, Version::v1(19)).is_none());
        let field = pod(
            "spec:\n  securityContext: {seccompProfile: {type: Unconfined}}\n  containers: [{name: a}]\n",
        );
        assert!(evaluate(&field, Version::v1(18)).is_none());
        assert_eq!(
            evaluate(&field, Version::v1(19)).expect("fails").detail,
            "pod must not set securityContext.seccompProfile.type to \"Unconfined\""
        );
    }
}
