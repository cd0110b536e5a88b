//! Workload: added capabilities.

use super::{container_label, per_container};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each entry of `securityContext.capabilities.add` of every container. This is
    /// stricter than the Pod Security Standards' restricted level, which allows adding
    /// `NET_BIND_SERVICE`: CIS asks that any added capability be justified (record the
    /// justification as an exemption).
    ///
    /// ## Why is this bad?
    /// Each capability is a slice of root's power over the kernel. `SYS_ADMIN` alone is close to
    /// full root on the node; others (`NET_ADMIN`, `SYS_PTRACE`, `DAC_READ_SEARCH`) open known
    /// escape and lateral-movement paths.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: vpn
    ///   securityContext:
    ///     capabilities:
    ///       add: ["NET_ADMIN"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: vpn
    ///   securityContext:
    ///     capabilities:
    ///       drop: ["ALL"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.11 5.2.9, v1.12 5.2.9
    /// - capabilities(7): <https://man7.org/linux/man-pages/man7/capabilities.7.html>
    pub static RULE = Rule {
        code: "WKL007",
        name: "added-capabilities",
        title: "Containers add no capabilities",
        severity: Severity::Medium,
        remediation: "Remove `capabilities.add`; if a capability is truly needed, record why in an exemption.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_container(subject, "no container adds capabilities", |c| {
        c.field
            .path(&["securityContext", "capabilities", "add"])
            .map(|a| a.items())
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let what = match item.str() {
                    Some(name) => format!("capability {name}"),
                    None => "a capability that is not a string".to_owned(),
                };
                Finding::fail(
                    item.loc,
                    Some(c.name),
                    format!("{} adds {what}", container_label(c)),
                )
            })
            .collect()
    })
}
