//! Image: references not pinned by digest.

use super::per_image;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::workload::container_label;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container whose image is not pinned by a digest (`image@sha256:...`).
    ///
    /// ## Why is this bad?
    /// Tags are mutable: whoever can push to the repository (or compromises it) can point
    /// `1.4.2` at other content, and nodes will run it at their next pull. A digest names the
    /// exact bytes that were reviewed and scanned.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2@sha256:5d2f6a3f4c1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images"
    /// - Images, "Image names": <https://kubernetes.io/docs/concepts/containers/images/#image-names>
    pub static RULE = Rule {
        code: "IMG002",
        name: "image-digest",
        title: "Images are pinned by digest",
        severity: Severity::Medium,
        remediation: "Append the image's digest (`@sha256:...`), e.g. with `crane digest` or your build pipeline, and update it with each release.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_image(
        subject,
        "every image is pinned by digest",
        |c, field, image| {
            (!image.pinned()).then(|| {
                Finding::fail(
                    field.loc.clone(),
                    Some(c.name),
                    format!(
                        "{} image {:?} is not pinned by digest",
                        container_label(c),
                        field.str().unwrap_or_default()
                    ),
                )
            })
        },
    )
}
