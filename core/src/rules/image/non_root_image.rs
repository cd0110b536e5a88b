//! Image: images run as a non-root user (from image reports).

use super::per_image_report;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails an image whose config (carried by a Trivy report) sets no `User`, or `root`/`0`.
    /// A pod's `runAsUser`/`runAsNonRoot` (PSS) decide what runs; this rule makes the image
    /// safe by default, so a pod that forgets them does not run as root. Only a real image
    /// config counts (the OCI image spec requires its `os` and `architecture`): the empty
    /// config Trivy writes when it scanned an SBOM (`os: ""`, `config: {}`) gives no result.
    ///
    /// ## Why is this bad?
    /// A process running as root in a container is root on the node as soon as anything
    /// breaks the isolation (a kernel bug, a runtime CVE, a hostPath mount).
    ///
    /// ## Example
    /// A Trivy report whose image config has no `User`, shown as YAML:
    /// ```yaml
    /// ArtifactName: registry.example.com/shop/api:2.4.1
    /// Metadata: {ImageConfig: {os: linux, architecture: amd64, config: {Cmd: [/app]}}}
    /// ```
    ///
    /// ## Use instead
    /// `USER 65532:65532` in the Dockerfile, and `runAsNonRoot: true` in the pod:
    /// ```yaml
    /// Metadata: {ImageConfig: {os: linux, architecture: amd64, config: {User: "65532:65532"}}}
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Non-root containers"
    /// - CIS Docker Benchmark 4.1, "Ensure that a user for the container has been created"
    pub static RULE = Rule {
        code: "IMG007",
        name: "non-root-image",
        title: "Images run as a non-root user",
        severity: Severity::Medium,
        remediation: "Add `USER 65532` (or another non-root user) to the Dockerfile; distroless `:nonroot` tags do it for you.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, settings: &Settings) -> Vec<Finding> {
    per_image_report(
        subject,
        RULE.code,
        settings,
        "every scanned image runs as a non-root user",
    )
}
