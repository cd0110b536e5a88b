//! Workload: writable root filesystems.

use super::{container_label, per_container};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container (init and ephemeral ones included) that does not set
    /// `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why is this bad?
    /// An attacker who gets code execution in a container with a writable root filesystem can
    /// drop tools, modify binaries and persist until the container restarts. An immutable root
    /// filesystem, with writable `emptyDir` volumes only where the application writes, takes
    /// that away.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4
    ///   securityContext:
    ///     readOnlyRootFilesystem: true
    ///   volumeMounts:
    ///   - {name: tmp, mountPath: /tmp}
    /// volumes:
    /// - {name: tmp, emptyDir: {}}
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Immutable container file systems"
    pub static RULE = Rule {
        code: "WKL001",
        name: "read-only-root-filesystem",
        title: "Containers run with a read-only root filesystem",
        severity: Severity::Medium,
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the application must write.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_container(
        subject,
        "every container has a read-only root filesystem",
        |c| {
            let sc = c.field.get("securityContext");
            let field = sc.as_ref().and_then(|s| s.get("readOnlyRootFilesystem"));
            match field.as_ref().and_then(|f| f.bool()) {
                Some(true) => Vec::new(),
                _ => {
                    let loc = field
                        .map(|f| f.loc)
                        .or_else(|| sc.map(|s| s.loc))
                        .unwrap_or_else(|| c.field.loc.clone());
                    vec![Finding::fail(
                        loc,
                        Some(c.name),
                        format!(
                            "{} must set securityContext.readOnlyRootFilesystem=true",
                            container_label(c)
                        ),
                    )]
                }
            }
        },
    )
}
