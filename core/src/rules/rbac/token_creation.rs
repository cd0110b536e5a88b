//! RBAC: creating service account tokens.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `create` on the
    /// `serviceaccounts/token` subresource (core group `""`, or `*/token`). A rule restricted by
    /// `resourceNames` still fails: a token request names its service account, and a token for
    /// that one account is its power.
    ///
    /// ## Why is this bad?
    /// Creating a token for a service account is acting as that service account, with all of its permissions, for as long as the token lives.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: tokens, namespace: app}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Role
    /// metadata: {name: tokens, namespace: app}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.13
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC013",
        name: "token-creation",
        title: "Roles do not grant creating service account tokens",
        severity: Severity::High,
        remediation: "Remove create on serviceaccounts/token; let the kubelet project tokens into pods that need them.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[Grant {
        group: "",
        resources: &["serviceaccounts/token"],
        verbs: &["create"],
        scope: Scope::Namespaced,
    }],
    // A token for one named service account is that account's power.
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "creating service account tokens")
}
