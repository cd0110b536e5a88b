//! RBAC: default service accounts that mount their token.

use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a ServiceAccount named `default` that does not set
    /// `automountServiceAccountToken: false`.
    ///
    /// ## Why is this bad?
    /// Pods that do not name a service account run as `default`, and unless it says otherwise
    /// the kubelet mounts its API token into every one of them. A compromised container then
    /// talks to the API server with that identity. CIS 5.1.5 asks that default service accounts
    /// opt out of automounting.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: default, namespace: app}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: default, namespace: app}
    /// automountServiceAccountToken: false
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.5
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Protecting Pod service account tokens"
    pub static RULE = Rule {
        code: "RBAC005",
        name: "default-service-account-token",
        title: "Default service accounts do not automount their token",
        severity: Severity::Medium,
        remediation: "Set `automountServiceAccountToken: false` on the namespace's default ServiceAccount.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    let id = &subject.resource.identity;
    if id.kind != "ServiceAccount" || id.name != "default" {
        return Vec::new();
    }
    let field = subject.root.get("automountServiceAccountToken");
    match field.as_ref().and_then(|f| f.bool()) {
        Some(false) => vec![Finding::pass(
            subject.name_loc(),
            "the default ServiceAccount sets automountServiceAccountToken: false",
        )],
        Some(true) => vec![Finding::fail(
            field.map_or_else(|| subject.name_loc(), |f| f.loc),
            None,
            "the default ServiceAccount sets automountServiceAccountToken: true",
        )],
        None => vec![Finding::fail(
            subject.root.loc.clone(),
            None,
            "the default ServiceAccount does not set automountServiceAccountToken: false (tokens are mounted by default)",
        )],
    }
}
