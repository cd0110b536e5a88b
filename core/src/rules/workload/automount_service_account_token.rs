//! Workload: service account tokens mounted into pods (across resources).

use crate::rules::manifest::{Evaluator, Finding, Index, ManifestCheck};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a workload whose pods get an API token mounted: the pod spec sets
    /// `automountServiceAccountToken: true`, or leaves it unset while its ServiceAccount does
    /// not set it to `false`. The pod's value wins over the ServiceAccount's, as in the kubelet.
    /// The ServiceAccount is looked up among all scanned documents (by namespace and name,
    /// `default` when the pod names none); one that is not in the input counts as unset, which
    /// means mounted.
    ///
    /// ## Why is this bad?
    /// A mounted token lets anything that runs in the container call the API server as the
    /// service account. Most applications never call the API, so the token is only useful to
    /// an attacker.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:
    ///       containers: [{name: web, image: web:1.0}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:
    ///       automountServiceAccountToken: false
    ///       containers: [{name: web, image: web:1.0}]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.6
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Protecting Pod service account tokens"
    pub static RULE = Rule {
        code: "WKL004",
        name: "automount-service-account-token",
        title: "Pods mount a service account token only when they need it",
        severity: Severity::Medium,
        remediation: "Set `automountServiceAccountToken: false` in the pod spec (or on its ServiceAccount) unless the application calls the Kubernetes API.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Cluster(evaluate),
        }),
    };
}

fn evaluate(index: &Index) -> Vec<(usize, Finding)> {
    index
        .pods
        .iter()
        .filter_map(|pod| {
            let resource = index.resources.get(pod.resource)?;
            let ns = resource.identity.namespace.clone();
            let sa = &pod.service_account;
            let account = index
                .service_accounts
                .get(&(ns, smol_str::SmolStr::from(sa.as_str())));
            let finding = match (pod.automount, account) {
                (Some(false), _) => Finding::pass(
                    pod.loc.clone(),
                    "the pod spec sets automountServiceAccountToken: false",
                ),
                (Some(true), _) => Finding::fail(
                    pod.loc.clone(),
                    None,
                    format!("the pod spec sets automountServiceAccountToken: true (ServiceAccount {sa:?})"),
                ),
                (None, Some(Some(false))) => Finding::pass(
                    pod.loc.clone(),
                    format!("ServiceAccount {sa:?} sets automountServiceAccountToken: false"),
                ),
                (None, Some(_)) => Finding::fail(
                    pod.loc.clone(),
                    None,
                    format!("pods mount the token of ServiceAccount {sa:?}: neither the pod spec nor the ServiceAccount sets automountServiceAccountToken: false"),
                ),
                (None, None) => Finding::fail(
                    pod.loc.clone(),
                    None,
                    format!("pods mount the token of ServiceAccount {sa:?}: the pod spec does not set automountServiceAccountToken: false and the ServiceAccount is not in the scanned input"),
                ),
            };
            Some((pod.resource, finding))
        })
        .collect()
}
