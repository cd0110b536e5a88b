//! Image: images contain no shell and no package manager (from image reports).

use super::per_image_report;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails an image whose SBOM (CycloneDX or SPDX, or a Trivy report with `--list-all-pkgs`)
    /// lists a shell (`bash`, `dash`, `busybox`, ...) or a package manager (`apt`, `dpkg`,
    /// `apk-tools`, `rpm`, ...). The verdict is reported on the image (at the SBOM) and on every
    /// scanned workload that runs it (at the container's `image`).
    ///
    /// ## Why is this bad?
    /// A shell and a package manager are the first tools of anyone who gets code execution in a
    /// container: they turn a bug into an interactive foothold and let the intruder install more.
    /// They also bring CVEs the application never uses. Distroless images carry only the
    /// application and its runtime.
    ///
    /// ## Example
    /// The CycloneDX SBOM of `nginx:1.27.3` (Debian based), shown as YAML:
    /// ```yaml
    /// metadata: {component: {type: container, name: "nginx:1.27.3"}}
    /// components:
    /// - {name: bash, version: 5.2.15-2}
    /// - {name: apt, version: 2.6.1}
    /// ```
    ///
    /// ## Use instead
    /// Build `FROM gcr.io/distroless/static` (or `cc`, `base`), or a Chainguard image, and run
    /// `syft`/`trivy sbom` on the result: no shell, no package manager.
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:2.1.0   # FROM gcr.io/distroless/static-debian12:nonroot
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images" (minimal images)
    /// - Google distroless: <https://github.com/GoogleContainerTools/distroless>
    pub static RULE = Rule {
        code: "IMG006",
        name: "distroless-image",
        title: "Images contain no shell and no package manager",
        severity: Severity::Medium,
        remediation: "Build the image FROM a distroless or scratch base (gcr.io/distroless, chainguard, `FROM scratch`) and copy in only the application; debug with ephemeral containers.",
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
        "no image has a shell or a package manager",
    )
}
