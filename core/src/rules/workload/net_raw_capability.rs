//! Workload: the NET_RAW capability.

use super::{container_label, per_container};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container of a Linux pod that keeps `NET_RAW`: one that adds `NET_RAW` (or
    /// `ALL`), or that drops neither `NET_RAW` nor `ALL`. Container runtimes grant `NET_RAW`
    /// by default, so not dropping it is having it. Windows pods are not judged.
    ///
    /// ## Why is this bad?
    /// `NET_RAW` lets a process craft any packet: spoof addresses, poison ARP and DNS caches of
    /// neighbours on the node's network, and exploit kernel bugs in raw socket handling. Almost
    /// no application needs it (`ping` does not, with unprivileged ICMP sockets).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   securityContext: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   securityContext:
    ///     capabilities:
    ///       drop: ["ALL"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.2.8
    pub static RULE = Rule {
        code: "WKL006",
        name: "net-raw-capability",
        title: "Containers drop the NET_RAW capability",
        severity: Severity::Medium,
        remediation: "Add `capabilities.drop: [\"ALL\"]` (or at least NET_RAW) to the container's securityContext and do not add it back.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    if subject.pod.as_ref().is_some_and(|p| p.is_windows()) {
        return Vec::new();
    }
    per_container(subject, "no container keeps NET_RAW", |c| {
        let sc = c.field.get("securityContext");
        let caps = sc.as_ref().and_then(|s| s.get("capabilities"));
        let list = |key: &str| caps.as_ref().and_then(|k| k.get(key));
        if let Some(item) = list("add")
            .map(|a| a.items())
            .unwrap_or_default()
            .into_iter()
            .find(|i| matches!(i.str(), Some("NET_RAW" | "ALL")))
        {
            let what = item.str().unwrap_or_default().to_owned();
            return vec![Finding::fail(
                item.loc,
                Some(c.name),
                format!("{} adds capability {what}", container_label(c)),
            )];
        }
        let dropped = list("drop")
            .map(|d| d.strings())
            .unwrap_or_default()
            .iter()
            .any(|d| matches!(*d, "NET_RAW" | "ALL"));
        if dropped {
            return Vec::new();
        }
        let loc = list("drop")
            .map(|f| f.loc)
            .or_else(|| caps.map(|f| f.loc))
            .or_else(|| sc.map(|f| f.loc))
            .unwrap_or_else(|| c.field.loc.clone());
        vec![Finding::fail(
            loc,
            Some(c.name),
            format!(
                "{} must drop NET_RAW (capabilities.drop: [\"ALL\"] or [\"NET_RAW\"])",
                container_label(c)
            ),
        )]
    })
}
