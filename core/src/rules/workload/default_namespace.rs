//! Workload: resources in the default namespace.

use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a resource whose `metadata.namespace` is `default` and passes one that names
    /// another namespace. A resource that names no namespace is not judged: where it lands is
    /// decided when it is applied.
    ///
    /// Objects Kubernetes creates in `default` itself pass, saying so: the API server's
    /// `kubernetes` Service, Endpoints and EndpointSlice, and what the controller manager
    /// creates in every namespace, the `default` ServiceAccount and the `kube-root-ca.crt`
    /// ConfigMap. They are found in every export of a cluster and cannot be moved.
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

/// Who creates an object of this kind and name in the `default` namespace, if Kubernetes does.
fn created_by_kubernetes(kind: &str, name: &str) -> Option<&'static str> {
    match (kind, name) {
        ("Service" | "Endpoints" | "EndpointSlice", "kubernetes") => {
            Some("the API server's own, which publishes its address")
        }
        ("ServiceAccount", "default") => {
            Some("created by the controller manager in every namespace")
        }
        ("ConfigMap", "kube-root-ca.crt") => {
            Some("the cluster's CA bundle, published by the controller manager in every namespace")
        }
        _ => None,
    }
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    let id = &subject.resource.identity;
    let Some(ns) = subject.root.path(&["metadata", "namespace"]) else {
        return Vec::new();
    };
    if ns.str() != Some("default") {
        return vec![Finding::pass(
            ns.loc,
            format!("{} is not in the default namespace", id.display()),
        )];
    }
    match created_by_kubernetes(&id.kind, &id.name) {
        Some(who) => vec![Finding::pass(
            ns.loc,
            format!(
                "{} is in the default namespace, but Kubernetes puts it there ({who}): \
                 exempt",
                id.display()
            ),
        )],
        None => vec![Finding::fail(
            ns.loc,
            None,
            format!("{} is in the default namespace", id.display()),
        )],
    }
}
