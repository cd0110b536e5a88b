//! Image: registries outside the allowed list.

use super::per_image;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::workload::container_label;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container whose image does not come from a registry in the policy's
    /// `settings.allowedRegistries`. An entry is a registry host (`registry.k8s.io`) or a
    /// registry and path prefix (`ghcr.io/acme`), matched at a `/` boundary. References without
    /// a registry are Docker Hub's (`nginx` is `docker.io/library/nginx`). Without a configured
    /// list the rule is not evaluated.
    ///
    /// ## Why is this bad?
    /// An image is code that runs in the cluster. Images from registries the organisation does
    /// not control (or mirror and scan) skip its supply-chain checks, and typosquatted names on
    /// public registries are a known attack.
    ///
    /// ## Example
    /// ```yaml
    /// # stockade.yaml: settings: {allowedRegistries: [registry.example.com]}
    /// containers:
    /// - name: web
    ///   image: docker.io/someone/web:1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.0
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images" (trusted repositories)
    /// - CIS Kubernetes Benchmark v1.12 5.5.1 (image provenance)
    pub static RULE = Rule {
        code: "IMG003",
        name: "allowed-registries",
        title: "Images come from allowed registries",
        severity: Severity::High,
        remediation: "Mirror the image into an allowed registry (scanned and signed there) and reference it from that registry.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

/// Whether `name` (`registry/repository`) is under the prefix `allowed`.
pub fn allowed_by(name: &str, allowed: &str) -> bool {
    let allowed = allowed.trim_end_matches('/');
    name == allowed
        || name
            .strip_prefix(allowed)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn evaluate(subject: &Subject<'_>, settings: &Settings) -> Vec<Finding> {
    if settings.allowed_registries.is_empty() {
        return Vec::new();
    }
    per_image(
        subject,
        "every image comes from an allowed registry",
        |c, field, image| {
            let name = image.full_name();
            (!settings
                .allowed_registries
                .iter()
                .any(|a| allowed_by(&name, a)))
            .then(|| {
                Finding::fail(
                    field.loc.clone(),
                    Some(c.name),
                    format!(
                        "{} image {:?} is from {}, which is not an allowed registry ({})",
                        container_label(c),
                        field.str().unwrap_or_default(),
                        image.registry,
                        settings.allowed_registries.join(", ")
                    ),
                )
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::allowed_by;

    #[test]
    fn prefixes_match_at_path_boundaries() {
        assert!(allowed_by("ghcr.io/acme/web", "ghcr.io/acme"));
        assert!(allowed_by("ghcr.io/acme/web", "ghcr.io/"));
        assert!(!allowed_by("ghcr.io/acme-evil/web", "ghcr.io/acme"));
        assert!(!allowed_by("ghcr.io.evil.com/web", "ghcr.io"));
    }
}
