//! RBAC: roles bound to default service accounts.

use super::{binding_subjects, is_binding};
use crate::rules::manifest::{
    Evaluator, Finding, ManifestCheck, Settings, Subject, subject_name, verdict,
};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each subject of a RoleBinding or ClusterRoleBinding that is a namespace's
    /// `default` ServiceAccount.
    ///
    /// ## Why is this bad?
    /// Every pod that does not name a service account runs as `default`. A role bound to it is
    /// handed to all of those pods, including ones added later by people who never asked for
    /// it. CIS 5.1.5 asks that default service accounts have no roles.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: reader, namespace: app}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
    /// subjects:
    /// - {kind: ServiceAccount, name: default, namespace: app}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: reader, namespace: app}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
    /// subjects:
    /// - {kind: ServiceAccount, name: web, namespace: app}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.5
    /// - Configure service accounts for pods: <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/>
    pub static RULE = Rule {
        code: "RBAC006",
        name: "default-service-account-binding",
        title: "Default service accounts are not bound to roles",
        severity: Severity::Medium,
        remediation: "Create a dedicated ServiceAccount for the workload that needs the role, bind that, and set serviceAccountName in its pod spec.",
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
    let fails = binding_subjects(subject)
        .into_iter()
        .filter(|s| {
            subject_name(s, id.namespace.as_deref()).starts_with("ServiceAccount ")
                && s.get("name").and_then(|n| n.str()) == Some("default")
        })
        .map(|s| {
            let who = subject_name(&s, id.namespace.as_deref());
            Finding::fail(
                s.loc,
                None,
                format!("{} {:?} binds {who}", id.kind, id.name),
            )
        })
        .collect();
    verdict(
        fails,
        subject.name_loc(),
        format!("{} {:?} binds no default service account", id.kind, id.name),
    )
}
