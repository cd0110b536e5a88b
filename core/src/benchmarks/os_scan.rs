//! The node's OS image is scanned: a vulnerability scan of the operating system a node runs
//! (Trivy `vm`/`rootfs` JSON, or Grype JSON of the root file system or of its SBOM), given next
//! to the node's facts, is judged like an image scan (IMG008, IMG009) and checked against the
//! packages the node really has.
//!
//! ## What it does
//! `OSI-1` fails a node whose OS scan lists a vulnerability at or above
//! `settings.vulnerabilitySeverity` (default `high`); `OSI-2` fails a scan older than
//! `settings.maxScanAgeDays` (default 7) on `now`; `OSI-3` fails a scan that does not describe the
//! node: another OS release, or an OS package the node has in another version (newer or older)
//! than the one scanned. A node no OS scan is linked to gets no result from these checks, never a
//! pass; a report that shows no vulnerability scan ran is `manual`.
//!
//! ## Why is this bad?
//! The platform publishes only OS images that were scanned for vulnerabilities. A node image
//! with a known high or critical vulnerability is the host of every pod scheduled on it; an old
//! scan, or a scan of another image than the one the node runs, says nothing about the node.
//!
//! ## Example
//! `trivy rootfs --list-all-pkgs -f json -o worker-1.trivy.json /` on the node, and its facts:
//! ```json
//! {"ArtifactName": "/", "ArtifactType": "rootfs", "CreatedAt": "2026-11-01T00:00:00Z",
//!  "Metadata": {"OS": {"Family": "ubuntu", "Name": "22.04"}},
//!  "Results": [{"Class": "os-pkgs", "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-6387",
//!    "PkgName": "openssh-server", "InstalledVersion": "1:8.9p1-3ubuntu0.7", "Severity": "HIGH"}]}]}
//! ```
//!
//! ## Use instead
//! Rebuild the OS image with the fixed packages, roll the nodes, and scan the image again:
//! the scan is recent, clean, and its package versions are the node's.
//!
//! ## Linking a scan to a node
//! A report is linked to a node when either
//! - its file name up to the first `.` (`worker-1.trivy.json`), or its artifact name (Trivy
//!   `ArtifactName`, Grype `source.target`), is the node's host name (case-insensitive); or
//! - it names the node's OS release (the report's OS family and version are the facts' `os.id`
//!   and `os.versionId`, `12.8` matching `12`) and lists the whole OS package set (Trivy with
//!   `--list-all-pkgs`), whose package names are exactly those of the facts' `packages`.
//!
//! The facts carry no OS image identifier (an AMI id, a disk image digest), so linking by it is
//! not offered: name the report after the node instead.
//!
//! ## References
//! - NSA/CISA Kubernetes Hardening Guidance v1.2, "Kubernetes Pod security" and "Threat
//!   detection" (scan hosts and images for vulnerabilities)
//! - CIS Kubernetes Benchmark, 5.5.1 (image provenance and scanning)

use std::collections::BTreeMap;

use crate::benchmarks::cis::{Evidence, Outcome};
use crate::facts::NodeFacts;
use crate::images::{self, ImageReport, Verdict};
use crate::rules::Severity;
use crate::vocab::Date;
use crate::vocab::Status;

/// One OS image scan check.
pub struct CheckDef {
    /// Id, e.g. `1`; results carry `OSI-1`.
    pub id: &'static str,
    /// What the check wants, in one line.
    pub title: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// How to fix a failure.
    pub remediation: &'static str,
}

impl CheckDef {
    /// `OSI-1`.
    pub fn code(&self) -> String {
        format!("OSI-{}", self.id)
    }
}

/// The benchmark the checks run in: OS images are images.
pub const BENCHMARK: &str = "image-hygiene";

/// Every check, in order.
pub const CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "1",
        title: "The node's OS image has no vulnerability at or above the configured severity",
        severity: Severity::High,
        remediation: "Rebuild the node's OS image with the fixed packages (or patch the node and rebuild), roll the nodes onto it, and scan it again (`trivy rootfs` or `trivy vm`).",
    },
    CheckDef {
        id: "2",
        title: "The node's OS image scan is recent",
        severity: Severity::Medium,
        remediation: "Scan the node's OS image again (new CVEs are published every day), e.g. in the pipeline that builds it, and keep the report next to the node's facts.",
    },
    CheckDef {
        id: "3",
        title: "The node's OS image scan describes the packages the node runs",
        severity: Severity::Medium,
        remediation: "Scan the OS image the node really runs (or the node's root file system, `trivy rootfs --list-all-pkgs /`); a node whose packages drifted from its image should be rebuilt from a scanned image.",
    },
];

/// How a report is linked to a node, in words; `None` when it is not.
pub fn link(facts: &NodeFacts, report: &ImageReport) -> Option<String> {
    let host = facts.node.hostname.trim();
    if !host.is_empty() {
        let base = report
            .file
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&report.file);
        let stem = base.split('.').next().unwrap_or(base);
        if stem.eq_ignore_ascii_case(host) {
            return Some(format!("by host name (the file {base})"));
        }
        if report
            .artifact
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(host))
        {
            return Some(format!("by host name (the artifact name {host})"));
        }
    }
    if same_release(facts, report) && report.all_os_packages {
        let installed = facts.packages.as_ref()?;
        let scanned = versions(report);
        if !scanned.is_empty()
            && scanned.len() == installed.len()
            && scanned.keys().all(|name| installed.contains_key(*name))
        {
            return Some(format!(
                "by OS release and package set ({} packages)",
                scanned.len()
            ));
        }
    }
    None
}

/// Whether the report's OS is the node's release (`debian 12.8` is `debian 12`).
fn same_release(facts: &NodeFacts, report: &ImageReport) -> bool {
    let (Some((family, version)), Some(os)) = (&report.os, &facts.os) else {
        return false;
    };
    let (Some(id), Some(version_id)) = (&os.id, &os.version_id) else {
        return false;
    };
    family.eq_ignore_ascii_case(id)
        && (version == version_id || version.starts_with(&format!("{version_id}.")))
}

/// The OS packages a report read, name to version (the first version it gives).
fn versions(report: &ImageReport) -> BTreeMap<&str, &str> {
    let mut out = BTreeMap::new();
    for p in &report.os_packages {
        if let Some(v) = &p.version {
            out.entry(p.name.as_str()).or_insert(v.as_str());
        }
    }
    out
}

/// One check's outcome on one linked report. `None`: the check has nothing to say.
pub struct Judged<'r> {
    /// The check.
    pub check: &'static CheckDef,
    /// The report it judged.
    pub report: &'r ImageReport,
    /// The outcome; its evidence is in the facts when it is `Evidence::Fact`, else in the report.
    pub outcome: Outcome,
    /// The JSON pointer of the evidence in the report (when the evidence is in the report).
    pub report_pointer: String,
}

/// Evaluates the checks on every OS scan linked to the node. Reports not linked give nothing.
pub fn evaluate<'r>(
    facts: &NodeFacts,
    reports: &'r [ImageReport],
    threshold: Severity,
    max_days: u32,
    now: Option<Date>,
) -> Vec<Judged<'r>> {
    let mut out = Vec::new();
    let [vulns, age, matches] = CHECKS else {
        return out;
    };
    for report in reports {
        let Some(how) = link(facts, report) else {
            continue;
        };
        let linked = format!("{} ({how})", report.file);
        for (check, verdict) in [
            (vulns, images::vulnerabilities(report, threshold)),
            (age, images::scan_age(report, now, max_days)),
        ] {
            let (status, message, pointer) = match verdict {
                Verdict::Fail(why, pointer) => (Status::Fail, why, pointer),
                Verdict::Pass(what) => (Status::Pass, what, String::new()),
                Verdict::Undecided(Some(why)) => (Status::Manual, why, String::new()),
                Verdict::Undecided(None) => continue,
            };
            out.push(Judged {
                check,
                report,
                outcome: Outcome::simple(status, format!("{message}, in {linked}"), Evidence::Node),
                report_pointer: pointer,
            });
        }
        out.push(Judged {
            check: matches,
            report,
            outcome: package_match(facts, report, &linked),
            report_pointer: String::new(),
        });
    }
    out
}

/// OSI-3: the scan's OS release and package versions are the node's.
fn package_match(facts: &NodeFacts, report: &ImageReport, linked: &str) -> Outcome {
    let node_release = facts.os.as_ref().map(|os| {
        format!(
            "{} {}",
            os.id.as_deref().unwrap_or("(OS not stated)"),
            os.version_id.as_deref().unwrap_or("(version not stated)")
        )
    });
    if let (Some((family, version)), Some(node)) = (&report.os, &node_release)
        && !same_release(facts, report)
    {
        return Outcome {
            status: Status::Fail,
            message: format!(
                "scan does not match the node: it scanned {family} {version}, the node runs {node}, in {linked}"
            ),
            expected: Some(format!("{family} {version}")),
            actual: Some(node.clone()),
            source: None,
            evidence: Evidence::Fact("/os".to_owned()),
        };
    }
    let Some(installed) = &facts.packages else {
        return Outcome::simple(
            Status::Manual,
            format!(
                "the node's packages were not collected, so the scan cannot be compared with them, in {linked}"
            ),
            Evidence::Node,
        );
    };
    let scanned = versions(report);
    let mut differ: Vec<(&str, &str, &str)> = scanned
        .iter()
        .filter_map(|(name, version)| {
            let have = installed.get(*name)?;
            (have != version).then_some((*name, *version, have.as_str()))
        })
        .collect();
    let compared = scanned
        .keys()
        .filter(|n| installed.contains_key(**n))
        .count();
    if compared == 0 {
        return Outcome::simple(
            Status::Manual,
            format!(
                "the scan names no package version the node has, so it cannot be compared (list all packages: `trivy rootfs --list-all-pkgs`), in {linked}"
            ),
            Evidence::Node,
        );
    }
    if differ.is_empty() {
        return Outcome::simple(
            Status::Pass,
            format!("the {compared} package versions the scan names are the node's, in {linked}"),
            Evidence::Node,
        );
    }
    differ.sort_unstable();
    let first = differ.first().map(|(n, _, _)| *n).unwrap_or_default();
    let examples: Vec<String> = differ
        .iter()
        .take(3)
        .map(|(name, scanned, have)| format!("{name} {have} (scanned {scanned})"))
        .collect();
    Outcome {
        status: Status::Fail,
        message: format!(
            "scan does not match the node: {} of {compared} packages have another version on the node, e.g. {}, in {linked}",
            differ.len(),
            examples.join(", ")
        ),
        expected: differ.first().map(|(_, scanned, _)| (*scanned).to_owned()),
        actual: differ.first().map(|(_, _, have)| (*have).to_owned()),
        source: Some(format!("packages: {first}")),
        evidence: Evidence::Fact(format!("/packages/{}", pointer_escape(first))),
    }
}

/// Escapes a JSON pointer segment (`~` and `/`).
fn pointer_escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
