//! Image: image vulnerability scans are recent (from image reports).

use super::per_image_report;
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails an image whose vulnerability report was made more than
    /// `settings.maxScanAgeDays` (default 7) days before today (`now`). Without `now` the
    /// result is `manual`.
    ///
    /// ## Why is this bad?
    /// A clean scan only says that no vulnerability was known on the day it ran. New CVEs are
    /// published daily; an old clean report hides them.
    ///
    /// ## Example
    /// A Trivy report made on 2026-10-01, checked on 2026-11-29 (59 days old):
    /// ```yaml
    /// ArtifactName: nginx:1.27.3
    /// CreatedAt: "2026-10-01T06:00:00Z"
    /// ```
    ///
    /// ## Use instead
    /// A report from this week:
    /// ```yaml
    /// CreatedAt: "2026-11-27T06:00:00Z"
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images" (continuous scanning)
    pub static RULE = Rule {
        code: "IMG009",
        name: "image-scan-age",
        title: "Image vulnerability scans are recent",
        severity: Severity::Medium,
        remediation: "Scan the image again (new CVEs are published every day) and keep the report current, e.g. with a scheduled pipeline.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, settings: &Settings) -> Vec<Finding> {
    per_image_report(subject, RULE.code, settings, "every image scan is recent")
}
