//! Workload: resources in the default namespace.

use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a resource whose `metadata.namespace` is `default` (the API server's own
    /// `kubernetes` Service, Endpoints and EndpointSlice excepted) and passes one that names
    /// another namespace. A resource that names no namespace is not judged: where it lands is
    /// decided when it is applied.
    ///
    /// ## Why is this bad?
    /// The default namespace is where everything without a home ends up. Policies, quotas,
    /// NetworkPolicies and RBAC are set per namespace, and a shared default namespace gets
    /// none of them tailored; its workloads also share one default ServiceAccount.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: web, namespace: default}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.6.4
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Namespaces"
    pub static RULE = Rule {
        code: "WKL005",
        name: "default-namespace",
        title: "Resources are not placed in the default namespace",
        severity: Severity::Low,
        remediation: "Create a namespace for the application and set `metadata.namespace` to it.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    let id = &subject.resource.identity;
    let Some(ns) = subject.root.path(&["metadata", "namespace"]) else {
        return Vec::new();
    };
    let api_server_own = id.name == "kubernetes"
        && matches!(id.kind.as_str(), "Service" | "Endpoints" | "EndpointSlice");
    if ns.str() == Some("default") && !api_server_own {
        vec![Finding::fail(
            ns.loc,
            None,
            format!("{} is in the default namespace", id.display()),
        )]
    } else {
        vec![Finding::pass(
            ns.loc,
            format!("{} is not in the default namespace", id.display()),
        )]
    }
}
