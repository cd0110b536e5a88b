//! RBAC: creating pods.

use super::{Permission, check_permission};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that grants `create` on `pods` or on a resource that creates pods (Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers), in any API group.
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

const PERMISSION: Permission = Permission {
    group: "*",
    resources: &[
        "pods",
        "deployments",
        "daemonsets",
        "statefulsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
    ],
    verbs: &["create"],
};

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    check_permission(subject, &PERMISSION, "creating pods")
}
