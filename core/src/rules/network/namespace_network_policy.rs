//! Network: namespaces without a NetworkPolicy (across resources).

use crate::rules::manifest::{Evaluator, Finding, Index, ManifestCheck};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each Namespace in the input that no NetworkPolicy in the input belongs to. The
    /// NetworkPolicies are looked up across all scanned documents and files, so a namespace
    /// in one file and its policies in another pass.
    ///
    /// ## Why is this bad?
    /// Without a NetworkPolicy every pod of the namespace accepts traffic from every pod of the
    /// cluster and can reach any of them: one compromised pod can probe and attack all the
    /// others. A default-deny policy plus explicit allows limits what an intruder can reach.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.3.2
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Network policies"
    pub static RULE = Rule {
        code: "NET001",
        name: "namespace-network-policy",
        title: "Every namespace has a NetworkPolicy",
        severity: Severity::Medium,
        remediation: "Add a NetworkPolicy to the namespace: a default-deny policy (`podSelector: {}`) and explicit allows for the traffic it needs.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "network",
            evaluator: Evaluator::Cluster(evaluate),
        }),
    };
}

fn evaluate(index: &Index) -> Vec<(usize, Finding)> {
    index
        .resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.identity.kind == "Namespace")
        .map(|(i, r)| {
            let name = &r.identity.name;
            let finding = if index.network_policy_namespaces.contains(name) {
                Finding::pass(
                    r.name_loc.clone(),
                    format!("namespace {name:?} has a NetworkPolicy"),
                )
            } else {
                Finding::fail(
                    r.name_loc.clone(),
                    None,
                    format!("namespace {name:?} has no NetworkPolicy in the scanned input"),
                )
            };
            (i, finding)
        })
        .collect()
}
