//! RBAC: bindings to cluster-admin.

use super::is_binding;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a RoleBinding or ClusterRoleBinding whose `roleRef` is the `cluster-admin`
    /// ClusterRole, except the cluster's own binding named `cluster-admin` (which binds the
    /// `system:masters` group; see RBAC007 for that group). The verdict is kube-bench's for
    /// CIS 5.1.1.
    ///
    /// ## Why is this bad?
    /// `cluster-admin` allows every verb on every resource: whoever holds it owns the cluster,
    /// its Secrets and, through privileged pods, its nodes. Few subjects need it, and those
    /// that do rarely need it all the time.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: ci-deployer, namespace: app}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.1
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Authentication and authorization"
    pub static RULE = Rule {
        code: "RBAC001",
        name: "cluster-admin-binding",
        title: "Only the built-in binding grants cluster-admin",
        severity: Severity::High,
        remediation: "Bind a role with only the permissions needed (e.g. `edit` in one namespace) and delete the binding to cluster-admin.",
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
    let role = subject.root.get("roleRef");
    let role_name = role.as_ref().and_then(|r| r.get("name"));
    let kind = role
        .as_ref()
        .and_then(|r| r.get("kind"))
        .and_then(|f| f.str().map(str::to_owned));
    match role_name {
        Some(name)
            if name.str() == Some("cluster-admin")
                && kind.as_deref() == Some("ClusterRole")
                && id.name != "cluster-admin" =>
        {
            vec![Finding::fail(
                name.loc,
                None,
                format!("{} {:?} grants cluster-admin", id.kind, id.name),
            )]
        }
        _ => vec![Finding::pass(
            subject.name_loc(),
            format!("{} {:?} does not grant cluster-admin", id.kind, id.name),
        )],
    }
}
