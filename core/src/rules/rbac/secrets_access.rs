//! RBAC: read access to Secrets.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `get`, `list` or `watch` on `secrets`
    /// of the core group `""` (directly or through `*`). A rule restricted by `resourceNames`
    /// reaches only the Secrets it names: it passes, and the pass names them.
    ///
    /// ## Why is this bad?
    /// Secrets hold credentials: service account tokens, registry passwords, TLS keys. `list` and `watch` return every Secret of a namespace (or of the cluster, for a ClusterRole) in full, so whoever holds the role holds all of those credentials.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: reader}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Role
    /// metadata: {name: reader, namespace: app}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.2
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC002",
        name: "secrets-access",
        title: "Roles do not grant read access to Secrets",
        severity: Severity::Medium,
        remediation: "Remove get, list and watch on secrets; mount the one Secret a workload needs instead, or use a narrower Role with resourceNames.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[Grant {
        group: "",
        resources: &["secrets"],
        verbs: &["get", "list", "watch"],
        scope: Scope::Namespaced,
    }],
    // Reading the few Secrets a workload needs, by name, is the narrow access this rule asks for.
    named_fails: false,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "read access to Secrets")
}
