//! RBAC: creating PersistentVolumes.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a ClusterRole that grants `create` on `persistentvolumes` (core group
    /// `""`). PersistentVolumes are cluster-scoped: a Role (or a RoleBinding of a ClusterRole)
    /// never grants them, so a Role passes.
    ///
    /// ## Why is this bad?
    /// A PersistentVolume can be a `hostPath` volume: creating one and claiming it mounts any directory of a node into a pod, even where Pod Security Admission forbids `hostPath` in pods.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: storage}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["persistentvolumes"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Role
    /// metadata: {name: storage, namespace: app}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["persistentvolumeclaims"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.9
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC009",
        name: "persistent-volume-creation",
        title: "Roles do not grant creating PersistentVolumes",
        severity: Severity::Medium,
        remediation: "Let users create PersistentVolumeClaims against a StorageClass; keep create on persistentvolumes for storage administrators.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[Grant {
        group: "",
        resources: &["persistentvolumes"],
        verbs: &["create"],
        scope: Scope::Cluster,
    }],
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "creating PersistentVolumes")
}
