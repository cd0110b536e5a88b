//! RBAC: approving certificate signing requests.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a ClusterRole that grants `update` or `patch` on
    /// `certificatesigningrequests/approval`, or `approve` on `signers` (both in
    /// `certificates.k8s.io`): the API server requires both to approve a CSR, and a role holding
    /// either is half of that power. Both are cluster-scoped: a Role (or a RoleBinding of a
    /// ClusterRole) never grants them, so a Role passes.
    ///
    /// ## Why is this bad?
    /// Approving a CSR issues a client certificate the cluster trusts. With create on CSRs as well, a subject can mint itself a certificate for any user or group, `system:masters` included, which RBAC cannot revoke.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: approver}
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests/approval"]
    ///   verbs: ["update"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: approver}
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.11
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC011",
        name: "csr-approval",
        title: "Roles do not grant approving certificate signing requests",
        severity: Severity::High,
        remediation: "Remove update and patch on certificatesigningrequests/approval; let the controller manager or a dedicated approver handle approvals.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[
        Grant {
            group: "certificates.k8s.io",
            resources: &["certificatesigningrequests/approval"],
            verbs: &["update", "patch"],
            scope: Scope::Cluster,
        },
        // The API server also checks `approve` on the request's signer (by name:
        // `kubernetes.io/kube-apiserver-client`, or `kubernetes.io/*` for a whole domain).
        Grant {
            group: "certificates.k8s.io",
            resources: &["signers"],
            verbs: &["approve"],
            scope: Scope::Cluster,
        },
    ],
    // CSR names are chosen by whoever creates the request, and a signer name is the power itself.
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(
        subject,
        &PERMISSION,
        "approving certificate signing requests",
    )
}
