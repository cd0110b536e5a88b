//! RBAC: bindings to the system:masters group.

use super::{binding_subjects, is_binding};
use crate::rules::manifest::{
    Evaluator, Finding, ManifestCheck, Settings, Subject, subject_name, verdict,
};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each subject of a RoleBinding or ClusterRoleBinding that is the `system:masters`
    /// group, except in the cluster's bootstrap binding (named `cluster-admin` and labelled
    /// `kubernetes.io/bootstrapping: rbac-defaults`).
    ///
    /// ## Why is this bad?
    /// Members of `system:masters` pass every authorization check before RBAC is consulted,
    /// and membership comes from client certificates, which cannot be revoked. Granting the
    /// group more roles signals that certificates with it are in use; CIS asks that the group
    /// be avoided entirely.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata: {name: ops}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: Group, name: "system:masters", apiGroup: rbac.authorization.k8s.io}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata: {name: ops}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: Group, name: "platform-ops", apiGroup: rbac.authorization.k8s.io}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.7
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC007",
        name: "system-masters-binding",
        title: "Bindings do not name the system:masters group",
        severity: Severity::Critical,
        remediation: "Bind an ordinary group instead and stop issuing certificates with the system:masters organisation.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    let id = &subject.resource.identity;
    if !is_binding(&id.kind) {
        return Vec::new();
    }
    let bootstrap = id.name == "cluster-admin"
        && subject
            .root
            .path(&["metadata", "labels", "kubernetes.io/bootstrapping"])
            .and_then(|f| f.str())
            == Some("rbac-defaults");
    let fails = binding_subjects(subject)
        .into_iter()
        .filter(|s| !bootstrap && subject_name(s, None) == "Group system:masters")
        .map(|s| {
            Finding::fail(
                s.loc,
                None,
                format!("{} {:?} binds the system:masters group", id.kind, id.name),
            )
        })
        .collect();
    verdict(
        fails,
        subject.name_loc(),
        format!("{} {:?} does not bind system:masters", id.kind, id.name),
    )
}
