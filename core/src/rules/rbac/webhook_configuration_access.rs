//! RBAC: changing admission webhooks.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a ClusterRole that grants `create`, `update`, `patch`, `delete` or
    /// `deletecollection` on `validatingwebhookconfigurations` or
    /// `mutatingwebhookconfigurations` (`admissionregistration.k8s.io`). They are
    /// cluster-scoped: a Role (or a RoleBinding of a ClusterRole) never grants them, so a Role
    /// passes.
    ///
    /// ## Why is this bad?
    /// A mutating webhook sees and can rewrite every object sent to the API server (Secrets included); deleting a validating webhook switches off the policy it enforced.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: operator}
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["create", "patch"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: operator}
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.12
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC012",
        name: "webhook-configuration-access",
        title: "Roles do not grant changing admission webhook configurations",
        severity: Severity::High,
        remediation: "Remove write access to validatingwebhookconfigurations and mutatingwebhookconfigurations; manage webhooks through the cluster's deployment pipeline.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[Grant {
        group: "admissionregistration.k8s.io",
        resources: &[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ],
        verbs: &["create", "update", "patch", "delete", "deletecollection"],
        scope: Scope::Cluster,
    }],
    // Patching or deleting one named webhook still switches its policy off.
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "changing admission webhooks")
}
