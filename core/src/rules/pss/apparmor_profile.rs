//! PSA check `appArmorProfile` (baseline, all versions).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, bad_setters, go_quote, join_quote,
    pluralize,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that disables or overrides the default AppArmor profile: a
    /// `securityContext.appArmorProfile.type` other than `RuntimeDefault` or `Localhost` (pod or
    /// any container), or an annotation `container.apparmor.security.beta.kubernetes.io/<name>`
    /// with a value other than empty, `runtime/default` or `localhost/<profile>`.
    ///
    /// ## Why is this bad?
    /// AppArmor confines what a container's processes may do to files, mounts and the network.
    /// `Unconfined` removes that layer, which several container escapes rely on.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: RuntimeDefault
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "AppArmor": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - Kubernetes docs, "Restrict a Container's Access to Resources with AppArmor"
    /// - PSA source: `policy/check_appArmorProfile.go`
    pub static RULE = Rule {
        code: "PSS008",
        name: "apparmor-profile",
        title: "AppArmor must not be disabled or overridden",
        severity: Severity::High,
        remediation: "Set `appArmorProfile.type` to `RuntimeDefault` (or `Localhost` with a reviewed profile), or remove it; remove `unconfined` AppArmor annotations.",
        kind: RuleKind::Pss(PssCheck {
            id: "appArmorProfile",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_type(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let found = bad_setters(
        pod,
        |sc| sc.app_armor_profile_type.as_ref(),
        |t| !allowed_type(t),
        |who, t| {
            format!(
                "{who} must not set securityContext.appArmorProfile.type to {}",
                go_quote(t)
            )
        },
    );
    let setters = found.setters;
    let values: SortedSet = found.values.iter().map(|v| v.value.clone()).collect();
    let mut violations = found.violations;
    let mut annotations = SortedSet::new();
    for (key, value) in &pod.annotations {
        if key.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(&value.value) {
            let shown = format!("{key}={}", go_quote(&value.value));
            violations.push(Violation {
                container: key.strip_prefix(ANNOTATION_PREFIX).map(str::to_owned),
                loc: value.loc.clone(),
                message: format!("forbidden AppArmor annotation {shown}"),
            });
            annotations.insert(shown);
        }
    }
    if setters.is_empty() && annotations.is_empty() {
        return None;
    }
    let mut details = Vec::new();
    if !setters.is_empty() {
        details.push(format!(
            "{} must not set securityContext.appArmorProfile.type to {}",
            setters.join(" and "),
            join_quote(&values)
        ));
    }
    details.extend(annotations.iter().cloned());
    let count = values.len() + annotations.len();
    Some(Outcome {
        reason: pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            count,
        )
        .to_owned(),
        detail: details.join(", "),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn fields_and_annotations() {
        let ok = pod(
            "metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: localhost/x\nspec:\n  securityContext: {appArmorProfile: {type: RuntimeDefault}}\n  containers: [{name: a}]\n",
        );
        assert!(evaluate(&ok, Version::LATEST).is_none());
        let bad = pod(
            "metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: unconfined\nspec:\n  containers:\n  - name: a\n    securityContext: {appArmorProfile: {type: Unconfined}}\n",
        );
        let out = evaluate(&bad, Version::LATEST).expect("fails");
        assert_eq!(out.reason, "forbidden AppArmor profiles");
        assert_eq!(
            out.detail,
            "container \"a\" must not set securityContext.appArmorProfile.type to \"Unconfined\", container.apparmor.security.beta.kubernetes.io/a=\"unconfined\""
        );
        assert_eq!(out.violations.len(), 2);
    }
}
