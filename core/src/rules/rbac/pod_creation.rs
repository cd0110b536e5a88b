//! RBAC: creating pods.

use super::{Grant, Permission, Scope, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `create` on a resource that runs
    /// pods, in the API group it lives in: `pods` and `replicationcontrollers` (core group `""`),
    /// `deployments`, `daemonsets`, `statefulsets` and `replicasets` (`apps`), `jobs` and
    /// `cronjobs` (`batch`). A rule must match the group *and* the resource, as the API server's
    /// authorizer requires: `apiGroups: ["apps"], resources: ["pods"]` grants nothing, nor does
    /// `apiGroups: ["widgets.example.com"], resources: ["*"]`. `resourceNames` never restricts
    /// `create` to anything (a create request names no object), so such a rule grants nothing.
    ///
    /// ## Why is this bad?
    /// Whoever can create a pod can run any image with any service account of the namespace and mount its Secrets; where Pod Security Admission is not enforced, that is a privileged pod on a node. Creating a Deployment is the same power one step removed.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: ci, namespace: app}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["create", "update"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Role
    /// metadata: {name: ci, namespace: app}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "patch"]
    ///   resourceNames: ["web"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.4
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC004",
        name: "pod-creation",
        title: "Roles do not grant creating pods or pod controllers",
        severity: Severity::Medium,
        remediation: "Grant create on pods and workload controllers only to deployment tooling; give people and applications read access.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

pub(crate) const PERMISSION: Permission = Permission {
    grants: &[
        Grant {
            group: "",
            resources: &["pods", "replicationcontrollers"],
            verbs: &["create"],
            scope: Scope::Namespaced,
        },
        Grant {
            group: "apps",
            resources: &["deployments", "daemonsets", "statefulsets", "replicasets"],
            verbs: &["create"],
            scope: Scope::Namespaced,
        },
        Grant {
            group: "batch",
            resources: &["jobs", "cronjobs"],
            verbs: &["create"],
            scope: Scope::Namespaced,
        },
    ],
    // `create` names no object: `resourceNames` never matches it.
    named_fails: true,
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "creating pods")
}
