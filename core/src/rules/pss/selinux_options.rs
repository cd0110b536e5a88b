//! PSA check `seLinuxOptions` (baseline, all versions; `container_engine_t` from v1.31).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, containers_phrase, go_quote,
    join_quote, pluralize,
};
use crate::input::pod::{Pod, SeLinuxOptions};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod whose pod-level or container-level `seLinuxOptions` set a `type` other than
    /// `container_t`, `container_init_t`, `container_kvm_t` (and, from policy v1.31,
    /// `container_engine_t`), or set a `user` or `role` at all.
    ///
    /// ## Why is this bad?
    /// SELinux types decide what a process may touch on the host. A custom type such as
    /// `spc_t` ("super privileged container") or `unconfined_t` switches confinement off; a
    /// custom user or role can grant host-level SELinux rights.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     level: "s0:c123,c456"   # levels are allowed; type/user/role are not
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "SELinux": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - PSA source: `policy/check_seLinuxOptions.go`
    pub static RULE = Rule {
        code: "PSS009",
        name: "selinux-options",
        title: "SELinux type must be a container type; user and role must not be set",
        severity: Severity::High,
        remediation: "Remove `seLinuxOptions.type`, `user` and `role`, or use one of the container types (container_t, container_init_t, container_kvm_t, container_engine_t).",
        kind: RuleKind::Pss(PssCheck {
            id: "seLinuxOptions",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

fn allowed_type(t: &str, version: Version) -> bool {
    matches!(
        t,
        "" | "container_t" | "container_init_t" | "container_kvm_t"
    ) || (version.at_least(31) && t == "container_engine_t")
}

#[derive(Default)]
struct Findings {
    types: SortedSet,
    user: bool,
    role: bool,
    violations: Vec<Violation>,
}

impl Findings {
    /// Records what is wrong with one `seLinuxOptions`; true if anything is.
    fn inspect(
        &mut self,
        who: &str,
        container: Option<&str>,
        o: &SeLinuxOptions,
        version: Version,
    ) -> bool {
        let mut valid = true;
        let mut flag = |field: &str, value: &str, loc: &crate::input::pod::Loc| {
            self.violations.push(Violation {
                container: container.map(str::to_owned),
                loc: loc.clone(),
                message: format!(
                    "{who} must not set securityContext.seLinuxOptions.{field} to {}",
                    go_quote(value)
                ),
            });
        };
        if !allowed_type(&o.type_.value, version) {
            valid = false;
            flag("type", &o.type_.value, &o.type_.loc);
            self.types.insert(o.type_.value.clone());
        }
        if !o.user.value.is_empty() {
            valid = false;
            flag("user", &o.user.value, &o.user.loc);
            self.user = true;
        }
        if !o.role.value.is_empty() {
            valid = false;
            flag("role", &o.role.value, &o.role.loc);
            self.role = true;
        }
        valid
    }
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    let mut f = Findings::default();
    let mut setters = Vec::new();
    if let Some(o) = pod
        .security_context
        .as_ref()
        .and_then(|sc| sc.se_linux_options.as_ref())
        && !f.inspect("pod", None, o, version)
    {
        setters.push("pod".to_owned());
    }
    let mut bad = Vec::new();
    for c in &pod.containers {
        if let Some(o) = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.se_linux_options.as_ref())
            && !f.inspect(&containers_phrase(&[&c.name]), Some(&c.name), o, version)
        {
            bad.push(c.name.clone());
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !f.types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", f.types.len()),
            join_quote(&f.types)
        ));
    }
    if f.user {
        data.push("user may not be set".to_owned());
    }
    if f.role {
        data.push("role may not be set".to_owned());
    }
    Some(Outcome {
        reason: "seLinuxOptions".to_owned(),
        detail: format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
        violations: f.violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn container_engine_t_is_allowed_from_v1_31() {
        let p = pod("spec:\n  securityContext: {seLinuxOptions: {type: container_engine_t}}\n");
        assert!(evaluate(&p, Version::v1(30)).is_some());
        assert!(evaluate(&p, Version::v1(31)).is_none());
    }

    #[test]
    fn user_and_role_are_forbidden() {
        let p = pod(
            "spec:\n  containers:\n  - name: a\n    securityContext: {seLinuxOptions: {type: spc_t, user: u, role: r, level: s0}}\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "container \"a\" set forbidden securityContext.seLinuxOptions: type \"spc_t\"; user may not be set; role may not be set"
        );
        assert_eq!(out.violations.len(), 3);
        let ok = pod("spec:\n  securityContext: {seLinuxOptions: {level: 's0:c1,c2'}}\n");
        assert!(evaluate(&ok, Version::LATEST).is_none());
    }
}
