//! Image: missing or `latest` tags.

use super::per_image;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::workload::container_label;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container whose image has no tag or the tag `latest`, unless it is pinned by
    /// a digest (`@sha256:...`).
    ///
    /// ## Why is this bad?
    /// `latest` (which is what no tag means) names whatever was pushed last. Two nodes can run
    /// different code under the same manifest, a rollback cannot go back, and nobody can say
    /// which version was running when an incident happened.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:latest
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:1.27.3
    /// ```
    ///
    /// ## References
    /// - Kubernetes configuration best practices, "Container images": <https://kubernetes.io/docs/concepts/containers/images/>
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images"
    pub static RULE = Rule {
        code: "IMG001",
        name: "image-tag",
        title: "Images name a version, not `latest` or nothing",
        severity: Severity::Medium,
        remediation: "Give the image an explicit version tag (or pin it by digest).",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_image(subject, "every image names a version", |c, field, image| {
        if image.pinned() {
            return None;
        }
        let what = match image.tag.as_deref() {
            None => "has no tag (which means latest)",
            Some("latest") => "uses the tag latest",
            Some(_) => return None,
        };
        Some(Finding::fail(
            field.loc.clone(),
            Some(c.name),
            format!(
                "{} image {:?} {what}",
                container_label(c),
                field.str().unwrap_or_default()
            ),
        ))
    })
}
