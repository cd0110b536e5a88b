//! RBAC: approving certificate signing requests.

use super::{Permission, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `update` or `patch` on `certificatesigningrequests/approval`.
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

const PERMISSION: Permission = Permission {
    group: "certificates.k8s.io",
    resources: &["certificatesigningrequests/approval"],
    verbs: &["update", "patch"],
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(
        subject,
        &PERMISSION,
        "approving certificate signing requests",
    )
}
