//! RBAC: access to nodes/proxy.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a ClusterRole that grants a verb the kubelet checks (`get`, `create`,
    /// `update`, `patch`, `delete`) on the `nodes/proxy` subresource (core group `""`), through
    /// `nodes/proxy`, `*/proxy` or `*`. Nodes are cluster-scoped: a Role (or a RoleBinding of a
    /// ClusterRole) never grants them, so a Role passes.
    ///
    /// ## Why is this bad?
    /// `nodes/proxy` reaches the kubelet API directly, which can run commands in any container of the node (`/exec`, `/run`), bypassing admission control and audit logging of the API server.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: monitoring}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/proxy"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: monitoring}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/metrics"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.10
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC010",
        name: "node-proxy-access",
        title: "Roles do not grant access to the nodes/proxy subresource",
        severity: Severity::High,
        remediation: "Remove access to nodes/proxy; read metrics through the metrics API or a dedicated exporter.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[Grant {
        group: "",
        resources: &["nodes/proxy"],
        verbs: &["get", "create", "update", "patch", "delete"],
        scope: Scope::Cluster,
    }],
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "access to nodes/proxy")
}
