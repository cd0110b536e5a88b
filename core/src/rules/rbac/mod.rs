//! RBAC: who may do what (CIS Kubernetes Benchmark 5.1, NSA/CISA "Authentication and
//! authorization").
//!
//! Permission rules read every entry of a Role's or ClusterRole's `rules` and match it the way
//! the API server's RBAC authorizer does (`k8s.io/kubernetes/pkg/apis/rbac/v1` helpers):
//!
//! - a policy rule grants a request only if it matches its verb, its API group *and* its
//!   resource: `*` matches any verb, group or resource, `*/subresource` matches that subresource
//!   of any resource, anything else must be equal (`apps`/`pods` grants nothing: pods are in the
//!   core group `""`);
//! - `resourceNames` restricts a rule to requests that name one of those objects; a request that
//!   names no object (`create` of a new object, `deletecollection`, a `list` or `watch` of a whole
//!   collection) never matches such a rule;
//! - a Role lives in a namespace and grants only namespaced resources there: it never grants
//!   nodes, PersistentVolumes, CSRs, webhook configurations and other cluster-scoped resources.
//!   The same holds for a ClusterRole bound by a RoleBinding, which is why the failing results
//!   of those rules name only the subjects of ClusterRoleBindings.
//!
//! A ClusterRole with an `aggregationRule` is evaluated on the `rules` it holds: in a cluster
//! export those are the aggregated copies, which it really grants; in a source manifest the
//! controller manager replaces them with the rules of the ClusterRoles it selects, which are
//! evaluated on their own. Non-resource URL rules grant no resources and match none of these
//! permissions.

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
use crate::rules::Rule;

/// Whether a resource lives in a namespace or in the whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Pods, Secrets, Roles...: a Role (or a RoleBinding) grants them in its namespace.
    Namespaced,
    /// Nodes, PersistentVolumes, CSRs, webhook configurations...: only a ClusterRole bound by a
    /// ClusterRoleBinding grants them.
    Cluster,
}

/// Verbs on resources of one API group.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// Resources as the authorizer sees them: `resource`, `resource/subresource`, or
    /// `resource/*` for any subresource of the resource (`userextras/<key>`).
    pub resources: &'static [&'static str],
    /// Verbs any one of which is the permission.
    pub verbs: &'static [&'static str],
    /// Where the request is checked: a Role cannot grant a cluster-scoped request.
    pub scope: Scope,
}

/// What a permission rule looks for.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// Any of these.
    pub grants: &'static [Grant],
    /// Whether a grant on named objects only (`resourceNames`) still fails the rule. When it
    /// does not, the rule's pass says which named objects the role reaches.
    pub named_fails: bool,
}

/// Whether the kind holds RBAC policy rules.
pub fn is_role(kind: &str) -> bool {
    matches!(kind, "Role" | "ClusterRole")
}

/// Whether the kind binds a role to subjects.
pub fn is_binding(kind: &str) -> bool {
    matches!(kind, "RoleBinding" | "ClusterRoleBinding")
}

/// The authorizer's `VerbMatches` and `APIGroupMatches`: `*` or equal.
fn matches_any(granted: &[&str], wanted: &str) -> bool {
    granted.iter().any(|g| *g == "*" || *g == wanted)
}

/// The authorizer's `ResourceMatches`: `*`, equal to `resource[/subresource]`, or
/// `*/subresource` for a request on that subresource. `wanted` of the form `resource/*` stands
/// for a request on some subresource of `resource`.
fn resource_matches(granted: &[&str], wanted: &str) -> bool {
    granted.iter().any(|g| {
        if *g == "*" || *g == wanted {
            return true;
        }
        match wanted.split_once('/') {
            None => false,
            Some((resource, "*")) => g
                .split_once('/')
                .is_some_and(|(gr, gs)| (gr == resource || gr == "*") && !gs.is_empty()),
            Some((_, sub)) => g.strip_prefix("*/") == Some(sub),
        }
    })
}

/// Whether a request for `verb` on `resource` names an object, so that a rule restricted by
/// `resourceNames` can match it. Creating an object (the name is in the body, not the request)
/// and deleting a collection name none; `list` and `watch` name one when they select it by
/// `metadata.name`; subresources always belong to a named object.
fn names_an_object(verb: &str, resource: &str) -> bool {
    resource.contains('/') || !matches!(verb, "create" | "deletecollection")
}

/// What one policy rule grants of a permission.
#[derive(Debug, Default)]
struct Granted {
    /// `verbs on resources` granted without a name restriction.
    unrestricted: Option<String>,
    /// The same, restricted to the rule's `resourceNames`.
    named: Option<String>,
}

/// `verbs on resources`, resources with the same verbs together, in the permission's order.
fn describe(pairs: &[(&str, &str)]) -> Option<String> {
    let mut by_resource: Vec<(&str, Vec<&str>)> = Vec::new();
    for (verb, resource) in pairs {
        match by_resource.iter_mut().find(|(r, _)| r == resource) {
            Some((_, verbs)) if !verbs.contains(verb) => verbs.push(verb),
            Some(_) => {}
            None => by_resource.push((resource, vec![verb])),
        }
    }
    let mut groups: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    for (resource, verbs) in by_resource {
        match groups.iter_mut().find(|(v, _)| *v == verbs) {
            Some((_, resources)) => resources.push(resource),
            None => groups.push((verbs, vec![resource])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(verbs, resources)| format!("{} on {}", verbs.join(", "), resources.join(", ")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// What `rule` grants of `permission`, for a role that can grant requests of `scopes`.
fn granted_by(rule: &Field<'_>, permission: &Permission, scopes: &[Scope]) -> Granted {
    let list = |key: &str| rule.get(key).map(|f| f.strings()).unwrap_or_default();
    let (groups, resources, verbs) = (list("apiGroups"), list("resources"), list("verbs"));
    let names = list("resourceNames");
    let mut free = Vec::new();
    let mut named = Vec::new();
    for grant in permission.grants {
        if !scopes.contains(&grant.scope) || !matches_any(&groups, grant.group) {
            continue;
        }
        for resource in grant.resources {
            if !resource_matches(&resources, resource) {
                continue;
            }
            let shown = resource.strip_suffix("/*").unwrap_or(resource);
            for verb in grant.verbs.iter().filter(|v| matches_any(&verbs, v)) {
                if names.is_empty() || names.contains(&"") && !names_an_object(verb, resource) {
                    free.push((*verb, shown));
                } else if names_an_object(verb, resource) {
                    named.push((*verb, shown));
                }
            }
        }
    }
    let shown: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    Granted {
        unrestricted: describe(&free),
        named: describe(&named).map(|d| format!("{d} named {}", shown.join(", "))),
    }
}

/// The verbs and resources of `permission` that one policy rule grants to a ClusterRole, as
/// `verbs on resources` (`None` when it grants none of them).
pub fn grants(rule: &Field<'_>, permission: &Permission) -> Option<String> {
    let g = granted_by(rule, permission, &[Scope::Namespaced, Scope::Cluster]);
    let all: Vec<String> = g.unrestricted.into_iter().chain(g.named).collect();
    (!all.is_empty()).then(|| all.join("; "))
}

/// The policy rules of a Role or ClusterRole.
pub fn policy_rules<'a>(subject: &Subject<'a>) -> Vec<Field<'a>> {
    subject
        .root
        .get("rules")
        .map(|r| r.items())
        .unwrap_or_default()
}

/// A permission rule: fails each policy rule that grants `permission` to the role's holders.
pub fn check_permission(
    subject: &Subject<'_>,
    permission: &Permission,
    what: &str,
) -> Vec<Finding> {
    let id = &subject.resource.identity;
    let scopes: &[Scope] = match id.kind.as_str() {
        "Role" => &[Scope::Namespaced],
        "ClusterRole" => &[Scope::Namespaced, Scope::Cluster],
        _ => return Vec::new(),
    };
    let rules = policy_rules(subject);
    let mut fails = Vec::new();
    let mut named_only = Vec::new();
    for rule in &rules {
        let g = granted_by(rule, permission, scopes);
        let mut failing: Vec<String> = g.unrestricted.into_iter().collect();
        if permission.named_fails {
            failing.extend(g.named);
        } else {
            named_only.extend(g.named);
        }
        if !failing.is_empty() {
            fails.push(Finding::fail(
                rule.loc.clone(),
                None,
                format!(
                    "{} {:?} grants {} ({what})",
                    id.kind,
                    id.name,
                    failing.join("; ")
                ),
            ));
        }
    }
    let passed = if !named_only.is_empty() {
        format!(
            "{} {:?} grants {what} only on named objects: {}",
            id.kind,
            id.name,
            named_only.join("; ")
        )
    } else if id.kind == "Role" && rules.iter().any(|r| grants(r, permission).is_some()) {
        format!(
            "{} {:?} does not grant {what}: its rules name cluster-scoped resources, which a \
             Role cannot grant",
            id.kind, id.name
        )
    } else {
        format!("{} {:?} does not grant {what}", id.kind, id.name)
    };
    verdict(fails, subject.name_loc(), passed)
}

/// The permission rules and what each looks for.
static PERMISSION_RULES: &[(&Rule, &Permission)] = &[
    (&secrets_access::RULE, &secrets_access::PERMISSION),
    (&pod_creation::RULE, &pod_creation::PERMISSION),
    (&escalation_verbs::RULE, &escalation_verbs::PERMISSION),
    (
        &persistent_volume_creation::RULE,
        &persistent_volume_creation::PERMISSION,
    ),
    (&node_proxy_access::RULE, &node_proxy_access::PERMISSION),
    (&csr_approval::RULE, &csr_approval::PERMISSION),
    (
        &webhook_configuration_access::RULE,
        &webhook_configuration_access::PERMISSION,
    ),
    (&token_creation::RULE, &token_creation::PERMISSION),
];

/// Whether the rule of this code looks only for cluster-scoped permissions: a ClusterRole that
/// fails it grants them only through ClusterRoleBindings.
pub fn looks_only_for_cluster_scope(code: &str) -> bool {
    PERMISSION_RULES
        .iter()
        .find(|(rule, _)| rule.code == code)
        .is_some_and(|(_, p)| p.grants.iter().all(|g| g.scope == Scope::Cluster))
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
    use crate::vocab::Status;

    #[test]
    fn wildcards_and_subresource_wildcards_match_like_the_authorizer() {
        let perm = Permission {
            grants: &[Grant {
                group: "",
                resources: &["nodes/proxy"],
                verbs: &["get", "create"],
                scope: Scope::Cluster,
            }],
            named_fails: true,
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
    fn role(kind: &str, rules: &str) -> crate::input::manifest::Resource {
        let ns = if kind == "Role" {
            ", namespace: app"
        } else {
            ""
        };
        test_support::resource(&format!(
            "kind: {kind}\nmetadata: {{name: r{ns}}}\nrules:\n{rules}"
        ))
    }

    fn fails(kind: &str, rules: &str, permission: &Permission) -> Vec<String> {
        let r = role(kind, rules);
        check_permission(&Subject::new(&r), permission, "it")
            .into_iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.message.to_string())
            .collect()
    }

    #[test]
    fn resource_matching_follows_the_authorizer() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&["*"], "pods", true),
            (&["*"], "nodes/proxy", true),
            (&["pods"], "pods", true),
            (&["pods"], "pods/exec", false),
            (&["nodes/proxy"], "nodes/proxy", true),
            (&["nodes"], "nodes/proxy", false),
            (&["*/proxy"], "nodes/proxy", true),
            (&["*/proxy"], "nodes", false),
            (&["nodes/*"], "nodes/proxy", false),
            (&["*/*"], "nodes/proxy", false),
            (&["userextras/scopes"], "userextras/*", true),
            (&["*/scopes"], "userextras/*", true),
            (&["userextras"], "userextras/*", false),
            (&["Pods"], "pods", false),
        ];
        for (granted, wanted, expected) in cases {
            assert_eq!(
                resource_matches(granted, wanted),
                *expected,
                "{granted:?} vs {wanted}"
            );
        }
    }

    #[test]
    fn group_and_resource_must_both_match() {
        let p = &pod_creation::PERMISSION;
        let other_group =
            "- apiGroups: [widgets.example.com]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n";
        assert!(fails("ClusterRole", other_group, p).is_empty());
        let pods_in_apps = "- apiGroups: [apps]\n  resources: [pods]\n  verbs: [create]\n";
        assert!(fails("ClusterRole", pods_in_apps, p).is_empty());
        let pods_in_core = "- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [create]\n";
        assert_eq!(fails("Role", pods_in_core, p).len(), 1);
        let everything = "- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [create]\n";
        let out = fails("Role", everything, p);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].contains("create on pods, replicationcontrollers, deployments, daemonsets"),
            "{out:?}"
        );
        for perm in PERMISSION_RULES.iter().map(|(_, p)| *p) {
            assert!(fails("ClusterRole", other_group, perm).is_empty());
        }
    }

    #[test]
    fn a_role_grants_no_cluster_scoped_resources() {
        let all = "- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n";
        for (rule, perm) in PERMISSION_RULES {
            let cluster_only = perm.grants.iter().all(|g| g.scope == Scope::Cluster);
            assert_eq!(fails("ClusterRole", all, perm).len(), 1, "{}", rule.code);
            assert_eq!(
                fails("Role", all, perm).is_empty(),
                cluster_only,
                "{}",
                rule.code
            );
            assert_eq!(looks_only_for_cluster_scope(rule.code), cluster_only);
        }
        let r = role("Role", all);
        let out = check_permission(&Subject::new(&r), &node_proxy_access::PERMISSION, "x");
        assert!(
            out[0].message.contains("which a Role cannot grant"),
            "{out:?}"
        );
        // RBAC008 keeps what a Role can grant: bind on (cluster)roles, impersonating its
        // service accounts; not impersonating users.
        let out = fails("Role", all, &escalation_verbs::PERMISSION);
        assert!(out[0].contains("impersonate on serviceaccounts"), "{out:?}");
        assert!(!out[0].contains("users"), "{out:?}");
        assert!(out[0].contains("bind on clusterroles"), "{out:?}");
        assert!(!out[0].contains("escalate on clusterroles"), "{out:?}");
    }

    #[test]
    fn resource_names_restrict_named_requests_only() {
        let named_create =
            "- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [create]\n  resourceNames: [web]\n";
        assert!(fails("Role", named_create, &pod_creation::PERMISSION).is_empty());
        let named_token = "- apiGroups: [\"\"]\n  resources: [serviceaccounts/token]\n  verbs: [create]\n  resourceNames: [builder]\n";
        let out = fails("Role", named_token, &token_creation::PERMISSION);
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("named \"builder\""), "{out:?}");
        let named_secret = "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n  resourceNames: [db]\n";
        let r = role("Role", named_secret);
        let out = check_permission(&Subject::new(&r), &secrets_access::PERMISSION, "reading");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Status::Pass);
        assert!(
            out[0]
                .message
                .contains("only on named objects: get, list on secrets named \"db\""),
            "{out:?}"
        );
        let named_webhook = "- apiGroups: [admissionregistration.k8s.io]\n  resources: [validatingwebhookconfigurations]\n  verbs: [create, delete]\n  resourceNames: [policy]\n";
        let out = fails(
            "ClusterRole",
            named_webhook,
            &webhook_configuration_access::PERMISSION,
        );
        assert_eq!(out.len(), 1);
        assert!(out[0].contains("grants delete on validatingwebhookconfigurations named"));
    }

    #[test]
    fn approving_csrs_needs_the_approval_subresource_or_a_signer() {
        let signer = "- apiGroups: [certificates.k8s.io]\n  resources: [signers]\n  verbs: [approve]\n  resourceNames: [\"kubernetes.io/*\"]\n";
        assert_eq!(
            fails("ClusterRole", signer, &csr_approval::PERMISSION).len(),
            1
        );
        let csrs = "- apiGroups: [certificates.k8s.io]\n  resources: [certificatesigningrequests]\n  verbs: [update]\n";
        assert!(fails("ClusterRole", csrs, &csr_approval::PERMISSION).is_empty());
    }

    #[test]
    fn non_resource_urls_grant_no_resources() {
        let urls = "- nonResourceURLs: [\"*\"]\n  verbs: [\"*\"]\n";
        for (_, perm) in PERMISSION_RULES {
            assert!(fails("ClusterRole", urls, perm).is_empty());
        }
    }
}
