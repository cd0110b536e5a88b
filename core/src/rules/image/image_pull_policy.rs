//! Image: pull policies that can run stale images.

use super::per_image;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::workload::container_label;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container whose image is referenced by a tag (not a digest) and whose
    /// effective `imagePullPolicy` is not `Always`. The effective policy is the one written,
    /// else Kubernetes' default: `Always` for `latest` or no tag, `IfNotPresent` otherwise.
    /// Images pinned by digest pass with any policy: the node can only run those bytes.
    ///
    /// ## Why is this bad?
    /// With `IfNotPresent` a node runs whatever it cached under the tag, possibly an older or
    /// tampered image, and skips the registry's authorization check, so a pod can use a private
    /// image that another pod pulled with credentials it does not have.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4
    ///   imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4
    ///   imagePullPolicy: Always
    /// ```
    ///
    /// ## References
    /// - Images, "Image pull policy": <https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy>
    /// - AlwaysPullImages admission plugin (CIS Kubernetes Benchmark v1.12 1.2.11)
    pub static RULE = Rule {
        code: "IMG004",
        name: "image-pull-policy",
        title: "Tagged images are pulled every time",
        severity: Severity::Low,
        remediation: "Pin the image by digest, or set `imagePullPolicy: Always`.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_image(
        subject,
        "every image is pinned or pulled every time",
        |c, field, image| {
            if image.pinned() {
                return None;
            }
            let written = c.field.get("imagePullPolicy");
            let policy = match written.as_ref().and_then(|p| p.str()) {
                Some(p) => p.to_owned(),
                None if matches!(image.tag.as_deref(), None | Some("latest")) => {
                    "Always".to_owned()
                }
                None => "IfNotPresent".to_owned(),
            };
            if policy == "Always" {
                return None;
            }
            let how = if written.is_some() {
                "sets"
            } else {
                "defaults to"
            };
            Some(Finding::fail(
                written.map_or_else(|| field.loc.clone(), |w| w.loc),
                Some(c.name),
                format!(
                    "{} {how} imagePullPolicy {policy} for the tagged image {:?}",
                    container_label(c),
                    field.str().unwrap_or_default()
                ),
            ))
        },
    )
}
