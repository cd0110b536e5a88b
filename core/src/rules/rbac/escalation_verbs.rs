//! RBAC: bind, escalate or impersonate.

use super::{Permission, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `bind` or `escalate` on roles and bindings, or `impersonate` on users, groups, service accounts or user extras.
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

const PERMISSION: Permission = Permission {
    group: "*",
    resources: &[
        "roles",
        "clusterroles",
        "rolebindings",
        "clusterrolebindings",
        "users",
        "groups",
        "serviceaccounts",
        "userextras/scopes",
        "uids",
    ],
    verbs: &["bind", "escalate", "impersonate"],
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "bind, escalate or impersonate")
}
