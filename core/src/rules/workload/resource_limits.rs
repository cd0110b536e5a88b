//! Workload: containers without resource limits.

use super::{container_label, per_container};
use crate::input::pod::ContainerKind;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container and init container that does not set both `resources.limits.cpu`
    /// and `resources.limits.memory`. (Ephemeral containers cannot set resources.)
    ///
    /// ## Why is this bad?
    /// A container without limits can take all of a node's memory or CPU, starving the other
    /// pods and the kubelet itself: one compromised or buggy pod becomes a node-wide denial of
    /// service. NSA/CISA recommend limits on every container (a LimitRange can supply
    /// defaults).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   resources:
    ///     requests: {cpu: 100m, memory: 128Mi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   resources:
    ///     requests: {cpu: 100m, memory: 128Mi}
    ///     limits: {cpu: 500m, memory: 256Mi}
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Resource policies"
    /// - Resource management for pods and containers: <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    pub static RULE = Rule {
        code: "WKL002",
        name: "resource-limits",
        title: "Containers set CPU and memory limits",
        severity: Severity::Low,
        remediation: "Set `resources.limits.cpu` and `resources.limits.memory` on every container, or give the namespace a LimitRange with defaults.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_container(subject, "every container sets CPU and memory limits", |c| {
        if c.kind == ContainerKind::Ephemeral {
            return Vec::new();
        }
        let resources = c.field.get("resources");
        let limits = resources.as_ref().and_then(|r| r.get("limits"));
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|k| limits.as_ref().and_then(|l| l.get(k)).is_none())
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let loc = limits
            .map(|f| f.loc)
            .or_else(|| resources.map(|f| f.loc))
            .unwrap_or_else(|| c.field.loc.clone());
        vec![Finding::fail(
            loc,
            Some(c.name),
            format!(
                "{} must set resources.limits.{}",
                container_label(c),
                missing.join(" and resources.limits.")
            ),
        )]
    })
}
