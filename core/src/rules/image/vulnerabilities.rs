//! Image: images have no vulnerability at or above the configured severity (from image reports).

use super::per_image_report;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails an image whose vulnerability report (Trivy, Grype, or a CycloneDX SBOM with
    /// `vulnerabilities`) lists a vulnerability at or above `settings.vulnerabilitySeverity`
    /// (default `high`). The message counts them by severity and names the worst. It passes
    /// only on a report that shows a vulnerability scan ran (a Trivy `os-pkgs`/`lang-pkgs`
    /// result, a Grype report, a CycloneDX list with findings or from Grype): a Trivy report of
    /// only license results, or Trivy's CycloneDX `vulnerabilities: []` (written whether or not
    /// it scanned), is `manual`; an SBOM without vulnerabilities gives no result.
    ///
    /// ## Why is this bad?
    /// A known, exploitable vulnerability in a running image is the cheapest way in: exploits
    /// for high and critical CVEs are public and scanned for.
    ///
    /// ## Example
    /// A Trivy report of `nginx:1.25.0`, shown as YAML, and a workload that runs the image:
    /// ```yaml
    /// ArtifactName: nginx:1.25.0
    /// Results:
    /// - Vulnerabilities:
    ///   - {VulnerabilityID: CVE-2023-44487, PkgName: libnghttp2-14, Severity: HIGH}
    /// ---
    /// containers:
    /// - name: web
    ///   image: nginx:1.25.0        # fails here too
    /// ```
    ///
    /// ## Use instead
    /// A rebuilt image whose report has no high or critical finding:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:1.27.3
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images" (scanning)
    /// - CIS Kubernetes Benchmark 5.5.1 (image provenance and scanning)
    pub static RULE = Rule {
        code: "IMG008",
        name: "image-vulnerabilities",
        title: "Images have no vulnerability at or above the configured severity",
        severity: Severity::High,
        remediation: "Rebuild on a patched base image and update the affected packages; if a finding does not apply, record it in the scanner's ignore file (e.g. .trivyignore) with a reason.",
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
        "no scanned image has a vulnerability at or above the threshold",
    )
}
