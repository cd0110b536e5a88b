//! RBAC: who may do what (CIS Kubernetes Benchmark 5.1, NSA/CISA "Authentication and
//! authorization").
//!
//! Permission rules read every entry of a Role's or ClusterRole's `rules` and match it the way
//! the API server's authorizer does: `*` matches any verb, resource or API group, and
//! `*/subresource` matches that subresource of any resource.

pub mod cluster_admin_binding;
pub mod csr_approval;
pub mod default_service_account_binding;
pub mod default_service_account_token;
pub mod escalation_verbs;
pub mod node_proxy_access;
pub mod persistent_volume_creation;
pub mod pod_creation;
pub mod rbac_wildcards;
pub mod secrets_access;
pub mod system_masters_binding;
pub mod token_creation;
pub mod webhook_configuration_access;

use super::manifest::{Field, Finding, Subject, verdict};

/// A permission: verbs on resources (`resource` or `resource/subresource`) of an API group.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// Resources, each possibly with a subresource.
    pub resources: &'static [&'static str],
    /// Verbs any one of which is the permission.
    pub verbs: &'static [&'static str],
}

/// Whether the kind holds RBAC policy rules.
pub fn is_role(kind: &str) -> bool {
    matches!(kind, "Role" | "ClusterRole")
}

/// Whether the kind binds a role to subjects.
pub fn is_binding(kind: &str) -> bool {
    matches!(kind, "RoleBinding" | "ClusterRoleBinding")
}

fn matches_any(granted: &[&str], wanted: &str) -> bool {
    granted.iter().any(|g| *g == "*" || *g == wanted)
}

fn resource_matches(granted: &[&str], wanted: &str) -> bool {
    granted.iter().any(|g| {
        *g == "*"
            || *g == wanted
            || wanted
                .split_once('/')
                .is_some_and(|(_, sub)| g.strip_prefix("*/") == Some(sub))
    })
}

/// The verbs and resources of `permission` that one policy rule grants, as `verbs on resources`.
pub fn grants(rule: &Field<'_>, permission: &Permission) -> Option<String> {
    let list = |key: &str| rule.get(key).map(|f| f.strings()).unwrap_or_default();
    let (groups, resources, verbs) = (list("apiGroups"), list("resources"), list("verbs"));
    let any_group = permission.group == "*" && !groups.is_empty();
    if !any_group && !matches_any(&groups, permission.group) {
        return None;
    }
    let res: Vec<&str> = permission
        .resources
        .iter()
        .copied()
        .filter(|r| resource_matches(&resources, r))
        .collect();
    let verbs: Vec<&str> = permission
        .verbs
        .iter()
        .copied()
        .filter(|v| matches_any(&verbs, v))
        .collect();
    (!res.is_empty() && !verbs.is_empty())
        .then(|| format!("{} on {}", verbs.join(", "), res.join(", ")))
}

/// The policy rules of a Role or ClusterRole.
pub fn policy_rules<'a>(subject: &Subject<'a>) -> Vec<Field<'a>> {
    subject
        .root
        .get("rules")
        .map(|r| r.items())
        .unwrap_or_default()
}

/// A permission rule: fails each policy rule that grants `permission`.
pub fn check_permission(
    subject: &Subject<'_>,
    permission: &Permission,
    what: &str,
) -> Vec<Finding> {
    if !is_role(&subject.resource.identity.kind) {
        return Vec::new();
    }
    let id = &subject.resource.identity;
    let fails = policy_rules(subject)
        .iter()
        .filter_map(|rule| {
            let granted = grants(rule, permission)?;
            Some(Finding::fail(
                rule.loc.clone(),
                None,
                format!("{} {:?} grants {granted} ({what})", id.kind, id.name),
            ))
        })
        .collect();
    verdict(
        fails,
        subject.name_loc(),
        format!("{} {:?} does not grant {what}", id.kind, id.name),
    )
}

/// The subjects of a binding, located.
pub fn binding_subjects<'a>(subject: &Subject<'a>) -> Vec<Field<'a>> {
    subject
        .root
        .get("subjects")
        .map(|r| r.items())
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::input::manifest::{Resource, parse_manifests};
    use crate::input::yaml::Limits;

    pub fn resource(text: &str) -> Resource {
        parse_manifests("t.yaml", text, Limits::default())
            .resources
            .into_iter()
            .next()
            .expect("one resource")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    #[test]
    fn wildcards_and_subresource_wildcards_match_like_the_authorizer() {
        let perm = Permission {
            group: "",
            resources: &["nodes/proxy"],
            verbs: &["get", "create"],
        };
        let r = test_support::resource(
            "kind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: [\"\"]\n  resources: [\"*/proxy\"]\n  verbs: [get]\n- apiGroups: [apps]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n- apiGroups: [\"*\"]\n  resources: [nodes]\n  verbs: [\"*\"]\n",
        );
        let out = check_permission(&Subject::new(&r), &perm, "node proxy");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Status::Fail);
        assert_eq!(out[0].loc.pointer, "/rules/0");
        assert!(out[0].message.contains("grants get on nodes/proxy"));
    }
}
