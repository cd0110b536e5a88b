//! RBAC: bind, escalate or impersonate.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `bind` or `escalate` on `roles` or
    /// `clusterroles` (`rbac.authorization.k8s.io`), or `impersonate` on `users`, `groups` or
    /// `serviceaccounts` (core group `""`) or on `userextras/<key>` or `uids`
    /// (`authentication.k8s.io`), matching group and resource as the API server does. A Role
    /// grants only what is checked in its namespace: `bind` on roles and clusterroles (a
    /// RoleBinding to a ClusterRole is checked as `bind` on it in the binding's namespace) and
    /// `impersonate` on service accounts; impersonating users, groups, extras and UIDs and
    /// `escalate` on ClusterRoles are cluster-wide checks only a ClusterRole grants. A rule
    /// restricted by `resourceNames` still fails: binding one named role can be binding
    /// `cluster-admin`.
    ///
    /// ## Why is this bad?
    /// These verbs exist to bypass RBAC's escalation check: `escalate` lets a subject write a role with more permissions than it has, `bind` lets it bind any role, and `impersonate` lets it act as anyone, `system:masters` included.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: helper}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["users", "groups"]
    ///   verbs: ["impersonate"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: helper}
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["roles"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.8
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC008",
        name: "escalation-verbs",
        title: "Roles do not grant bind, escalate or impersonate",
        severity: Severity::High,
        remediation: "Remove the bind, escalate and impersonate verbs; keep them for cluster administrators.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[
        Grant {
            group: "rbac.authorization.k8s.io",
            resources: &["roles"],
            verbs: &["bind", "escalate"],
            scope: Scope::Namespaced,
        },
        // Binding a ClusterRole with a RoleBinding is checked as `bind` on the ClusterRole in
        // the binding's namespace, so a Role can grant it; `escalate` on a ClusterRole is
        // checked cluster-wide.
        Grant {
            group: "rbac.authorization.k8s.io",
            resources: &["clusterroles"],
            verbs: &["bind"],
            scope: Scope::Namespaced,
        },
        Grant {
            group: "rbac.authorization.k8s.io",
            resources: &["clusterroles"],
            verbs: &["escalate"],
            scope: Scope::Cluster,
        },
        Grant {
            group: "",
            resources: &["serviceaccounts"],
            verbs: &["impersonate"],
            scope: Scope::Namespaced,
        },
        Grant {
            group: "",
            resources: &["users", "groups"],
            verbs: &["impersonate"],
            scope: Scope::Cluster,
        },
        Grant {
            group: "authentication.k8s.io",
            resources: &["userextras/*", "uids"],
            verbs: &["impersonate"],
            scope: Scope::Cluster,
        },
    ],
    // Binding or impersonating one named role or user can be binding cluster-admin or
    // impersonating an administrator: still reported, with the names.
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "bind, escalate or impersonate")
}
