//! Image facts from standard tools: SBOMs (CycloneDX and SPDX JSON) and vulnerability reports
//! (Trivy and Grype JSON), recognised by their content among the scanned files.
//!
//! Each report is reduced to what the image rules read: the image it describes (reference and
//! digests), its packages, the user its config runs as, its vulnerabilities and when it was
//! made. A report decides only what it holds: an SBOM says nothing of vulnerabilities, a Trivy
//! report without `--list-all-pkgs` nothing of packages. Workloads are linked to reports by
//! digest, else by normalized reference (`nginx` is `docker.io/library/nginx:latest`).

use serde_json::Value as J;

use crate::input::yaml::{self, Limits, Node, Pos};
use crate::policy::Date;
use crate::report::{ErrorLevel, InputError};
use crate::rules::Severity;
use crate::rules::image::ImageRef;

/// The tool format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX JSON (`bomFormat: CycloneDX`).
    CycloneDx,
    /// SPDX JSON (`spdxVersion`).
    Spdx,
    /// Trivy JSON (`SchemaVersion`, `ArtifactName`).
    Trivy,
    /// Grype JSON (`matches`, `descriptor`).
    Grype,
}

impl Format {
    /// The name shown in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::CycloneDx => "CycloneDX SBOM",
            Format::Spdx => "SPDX SBOM",
            Format::Trivy => "Trivy report",
            Format::Grype => "Grype report",
        }
    }
}

/// A vulnerability found in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability {
    /// `CVE-2024-1234`.
    pub id: String,
    /// The affected package.
    pub package: String,
    /// Its severity (`None` when the tool says unknown or negligible).
    pub severity: Option<Severity>,
}

/// What one report says about one image.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// The file it came from.
    pub file: String,
    /// Its format.
    pub format: Format,
    /// The image reference the tool was given (`nginx:1.27`), if any.
    pub reference: Option<String>,
    /// Digests of the image (`sha256:...`): repository digests and the image id.
    pub digests: Vec<String>,
    /// Installed packages, when the report lists them.
    pub packages: Option<Vec<String>>,
    /// The user of the image config, when the report carries the config.
    pub user: Option<String>,
    /// Vulnerabilities, when the report is a scan.
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    /// When the report was made (its date).
    pub created: Option<Date>,
    /// Where the report starts, and where its parts are.
    root: Node,
}

impl ImageReport {
    /// The name of the image as reports show it.
    pub fn name(&self) -> String {
        self.reference
            .clone()
            .or_else(|| self.digests.first().cloned())
            .unwrap_or_else(|| "unnamed image".to_owned())
    }

    /// Where the value at a JSON pointer is in the report.
    pub fn pos_of(&self, pointer: &str) -> Pos {
        self.root.locate(pointer)
    }

    /// Whether the report is about the image a container runs.
    pub fn describes(&self, image: &ImageRef) -> bool {
        if let Some(digest) = &image.digest {
            return self.digests.iter().any(|d| d == digest);
        }
        let Some(reference) = &self.reference else {
            return false;
        };
        let mine = ImageRef::parse(reference);
        mine.full_name() == image.full_name()
            && mine.tag.as_deref().unwrap_or("latest") == image.tag.as_deref().unwrap_or("latest")
    }
}

/// Whether a file is an image report (by its first bytes), and which kind.
pub fn detect(text: &str) -> Option<Format> {
    let head: String = text.chars().take(4096).collect();
    if !head.trim_start().starts_with('{') && !head.contains("\n{") {
        return None;
    }
    if head.contains("\"bomFormat\"") && head.contains("CycloneDX") {
        Some(Format::CycloneDx)
    } else if head.contains("\"spdxVersion\"") {
        Some(Format::Spdx)
    } else if head.contains("\"SchemaVersion\"") && head.contains("\"ArtifactName\"") {
        Some(Format::Trivy)
    } else if head.contains("\"matches\"") && text.contains("\"descriptor\"") {
        Some(Format::Grype)
    } else {
        None
    }
}

fn str_at<'j>(json: &'j J, pointer: &str) -> Option<&'j str> {
    json.pointer(pointer).and_then(J::as_str)
}

fn date_of(text: &str) -> Option<Date> {
    Date::parse(text.get(..10)?)
}

/// `sha256:<hex>` digests in a text (a purl, a repo digest `name@sha256:...`).
fn digests_in(text: &str) -> Vec<String> {
    let text = text.replace("%3A", ":").replace("%3a", ":");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("sha256:") {
        let hex: String = rest
            .get(at + 7..)
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        if hex.len() == 64 {
            out.push(format!("sha256:{hex}"));
        }
        rest = rest.get(at + 7..).unwrap_or_default();
    }
    out
}

fn severity(text: &str) -> Option<Severity> {
    Severity::parse(&text.to_ascii_lowercase())
}

/// Parses a report. Problems are input errors at their location in the file.
pub fn parse(
    file: &str,
    text: &str,
    format: Format,
    limits: Limits,
) -> Result<ImageReport, InputError> {
    let error = |pos: Pos, message: String| InputError::at(file, pos, ErrorLevel::Error, message);
    if text.len() > limits.max_file_size {
        return Err(error(
            Pos { line: 1, column: 1 },
            format!(
                "{}: the file is {} bytes, more than the limit of {} (maxFileSize): not read",
                format.name(),
                text.len(),
                limits.max_file_size
            ),
        ));
    }
    let (root, errors) = yaml::parse_document(text, 0, limits);
    if let Some(e) = errors.into_iter().find(|e| !e.recoverable) {
        return Err(error(e.pos, format!("{}: {}", format.name(), e.message)));
    }
    let root = root.ok_or_else(|| {
        error(
            Pos { line: 1, column: 1 },
            format!("{}: empty", format.name()),
        )
    })?;
    let json = root.to_json();
    let mut report = ImageReport {
        file: file.to_owned(),
        format,
        reference: None,
        digests: Vec::new(),
        packages: None,
        user: None,
        vulnerabilities: None,
        created: None,
        root,
    };
    match format {
        Format::CycloneDx => cyclonedx(&json, &mut report),
        Format::Spdx => spdx(&json, &mut report),
        Format::Trivy => trivy(&json, &mut report),
        Format::Grype => grype(&json, &mut report),
    }
    report.digests.sort();
    report.digests.dedup();
    if report.reference.is_none() && report.digests.is_empty() {
        return Err(error(
            report.root.pos,
            format!(
                "{}: names no image (no reference and no digest)",
                format.name()
            ),
        ));
    }
    Ok(report)
}

fn cyclonedx(json: &J, r: &mut ImageReport) {
    let component = json.pointer("/metadata/component");
    let name = component.and_then(|c| str_at(c, "/name"));
    let version = component.and_then(|c| str_at(c, "/version"));
    r.reference = name.map(|n| match version {
        Some(v) if !v.starts_with("sha256:") && !n.contains(':') => format!("{n}:{v}"),
        _ => n.to_owned(),
    });
    if let Some(c) = component {
        r.digests.extend(digests_in(&c.to_string()));
    }
    r.packages = json.get("components").and_then(J::as_array).map(|cs| {
        cs.iter()
            .filter_map(|c| str_at(c, "/name").map(str::to_owned))
            .collect()
    });
    r.vulnerabilities = json.get("vulnerabilities").and_then(J::as_array).map(|vs| {
        vs.iter()
            .map(|v| Vulnerability {
                id: str_at(v, "/id").unwrap_or("unknown").to_owned(),
                package: str_at(v, "/affects/0/ref").unwrap_or("").to_owned(),
                severity: v
                    .get("ratings")
                    .and_then(J::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| str_at(r, "/severity").and_then(severity))
                    .max(),
            })
            .collect()
    });
    r.created = str_at(json, "/metadata/timestamp").and_then(date_of);
}

fn spdx(json: &J, r: &mut ImageReport) {
    let packages = json.get("packages").and_then(J::as_array);
    let container = packages.and_then(|ps| {
        ps.iter()
            .find(|p| str_at(p, "/primaryPackagePurpose") == Some("CONTAINER"))
    });
    r.reference = container
        .and_then(|c| str_at(c, "/name"))
        .or_else(|| str_at(json, "/name"))
        .map(str::to_owned);
    if let Some(c) = container {
        r.digests.extend(digests_in(&c.to_string()));
    }
    r.packages = packages.map(|ps| {
        ps.iter()
            .filter(|p| str_at(p, "/primaryPackagePurpose") != Some("CONTAINER"))
            .filter_map(|p| str_at(p, "/name").map(str::to_owned))
            .collect()
    });
    r.created = str_at(json, "/creationInfo/created").and_then(date_of);
}

fn trivy(json: &J, r: &mut ImageReport) {
    r.reference = str_at(json, "/ArtifactName").map(str::to_owned);
    for digest in json
        .pointer("/Metadata/RepoDigests")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
    {
        r.digests.extend(digests_in(digest));
    }
    if let Some(id) = str_at(json, "/Metadata/ImageID") {
        r.digests.extend(digests_in(id));
    }
    r.user = json
        .pointer("/Metadata/ImageConfig/config")
        .map(|c| str_at(c, "/User").unwrap_or("").to_owned());
    let results = json.get("Results").and_then(J::as_array);
    let mut vulns = Vec::new();
    let mut packages: Option<Vec<String>> = None;
    for result in results.into_iter().flatten() {
        for v in result
            .get("Vulnerabilities")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            vulns.push(Vulnerability {
                id: str_at(v, "/VulnerabilityID")
                    .unwrap_or("unknown")
                    .to_owned(),
                package: str_at(v, "/PkgName").unwrap_or("").to_owned(),
                severity: str_at(v, "/Severity").and_then(severity),
            });
        }
        if let Some(ps) = result.get("Packages").and_then(J::as_array) {
            packages.get_or_insert_with(Vec::new).extend(
                ps.iter()
                    .filter_map(|p| str_at(p, "/Name").map(str::to_owned)),
            );
        }
    }
    r.vulnerabilities = results.map(|_| vulns);
    r.packages = packages;
    r.created = str_at(json, "/CreatedAt").and_then(date_of);
}

fn grype(json: &J, r: &mut ImageReport) {
    r.reference = str_at(json, "/source/target/userInput").map(str::to_owned);
    for digest in json
        .pointer("/source/target/repoDigests")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
    {
        r.digests.extend(digests_in(digest));
    }
    if let Some(id) = str_at(json, "/source/target/imageID") {
        r.digests.extend(digests_in(id));
    }
    r.vulnerabilities = json.get("matches").and_then(J::as_array).map(|ms| {
        ms.iter()
            .map(|m| Vulnerability {
                id: str_at(m, "/vulnerability/id")
                    .unwrap_or("unknown")
                    .to_owned(),
                package: str_at(m, "/artifact/name").unwrap_or("").to_owned(),
                severity: str_at(m, "/vulnerability/severity").and_then(severity),
            })
            .collect()
    });
    r.created = str_at(json, "/descriptor/timestamp").and_then(date_of);
}

/// Packages that are a shell.
pub const SHELLS: &[&str] = &[
    "bash",
    "dash",
    "ash",
    "busybox",
    "busybox-binsh",
    "zsh",
    "ksh",
    "mksh",
    "tcsh",
    "csh",
    "fish",
    "sh",
];
/// Packages that are a package manager.
pub const PACKAGE_MANAGERS: &[&str] = &[
    "apt",
    "dpkg",
    "apk-tools",
    "rpm",
    "yum",
    "dnf",
    "microdnf",
    "zypper",
    "pacman",
    "tdnf",
];

/// A rule's verdict on one report: fail, pass, or nothing to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// What is wrong, and the JSON pointer of the evidence in the report.
    Fail(String, String),
    /// What was checked.
    Pass(String),
    /// The report cannot decide (and why, for a `manual` result).
    Undecided(Option<String>),
}

/// IMG006: no shell and no package manager among the packages.
pub fn distroless(report: &ImageReport) -> Verdict {
    let Some(packages) = &report.packages else {
        return Verdict::Undecided(None);
    };
    let found: Vec<&String> = packages
        .iter()
        .filter(|p| SHELLS.contains(&p.as_str()) || PACKAGE_MANAGERS.contains(&p.as_str()))
        .collect();
    if found.is_empty() {
        Verdict::Pass(format!(
            "no shell or package manager among {} packages ({})",
            packages.len(),
            report.format.name()
        ))
    } else {
        let mut names: Vec<&str> = found.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        Verdict::Fail(
            format!(
                "the image contains {} ({})",
                names.join(", "),
                report.format.name()
            ),
            package_pointer(report, names.first().copied().unwrap_or_default()),
        )
    }
}

fn package_pointer(report: &ImageReport, name: &str) -> String {
    let json = report.root.to_json();
    let (list, key) = match report.format {
        Format::CycloneDx => ("/components", "name"),
        Format::Spdx => ("/packages", "name"),
        Format::Trivy => ("/Results/0/Packages", "Name"),
        Format::Grype => ("/matches", "artifact"),
    };
    json.pointer(list)
        .and_then(J::as_array)
        .and_then(|items| {
            items
                .iter()
                .position(|p| p.get(key).and_then(J::as_str) == Some(name))
        })
        .map_or_else(|| list.to_owned(), |i| format!("{list}/{i}"))
}

/// IMG007: the image config's user is not root.
pub fn non_root(report: &ImageReport) -> Verdict {
    let Some(user) = &report.user else {
        return Verdict::Undecided(None);
    };
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" || name == "0" {
        Verdict::Fail(
            format!(
                "the image runs as {} (its config's User is {:?})",
                if name.is_empty() {
                    "root, by default"
                } else {
                    "root"
                },
                user
            ),
            "/Metadata/ImageConfig/config".to_owned(),
        )
    } else {
        Verdict::Pass(format!("the image runs as user {user:?}"))
    }
}

/// IMG008: no vulnerability at or above `threshold`.
pub fn vulnerabilities(report: &ImageReport, threshold: Severity) -> Verdict {
    let Some(vulns) = &report.vulnerabilities else {
        return Verdict::Undecided(None);
    };
    let mut bad: Vec<&Vulnerability> = vulns
        .iter()
        .filter(|v| v.severity.is_some_and(|s| s >= threshold))
        .collect();
    bad.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    if bad.is_empty() {
        return Verdict::Pass(format!(
            "no vulnerability of severity {} or above ({} found in all, {})",
            threshold.as_str(),
            vulns.len(),
            report.format.name()
        ));
    }
    let count = |s: Severity| bad.iter().filter(|v| v.severity == Some(s)).count();
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .into_iter()
    .filter(|s| *s >= threshold && count(*s) > 0)
    .map(|s| format!("{} {}", count(s), s.as_str()))
    .collect();
    let examples: Vec<String> = bad
        .iter()
        .take(3)
        .map(|v| format!("{} in {}", v.id, v.package))
        .collect();
    let pointer = match report.format {
        Format::Trivy => "/Results".to_owned(),
        Format::Grype => "/matches".to_owned(),
        _ => "/vulnerabilities".to_owned(),
    };
    Verdict::Fail(
        format!(
            "{} {} at {} or above ({}), e.g. {} ({})",
            bad.len(),
            if bad.len() == 1 {
                "vulnerability"
            } else {
                "vulnerabilities"
            },
            threshold.as_str(),
            counts.join(", "),
            examples.join(", "),
            report.format.name()
        ),
        pointer,
    )
}

/// IMG009: the vulnerability scan is at most `max_days` old on `now`.
pub fn scan_age(report: &ImageReport, now: Option<Date>, max_days: u32) -> Verdict {
    if report.vulnerabilities.is_none() {
        return Verdict::Undecided(None);
    }
    let Some(created) = report.created else {
        return Verdict::Undecided(Some(format!(
            "the {} does not say when it was made",
            report.format.name()
        )));
    };
    let Some(now) = now else {
        return Verdict::Undecided(Some(
            "today's date is unknown (set `now`), so the scan's age cannot be decided".to_owned(),
        ));
    };
    let age = now.days_since(created);
    let pointer = match report.format {
        Format::Trivy => "/CreatedAt",
        Format::Grype => "/descriptor/timestamp",
        Format::CycloneDx => "/metadata/timestamp",
        Format::Spdx => "/creationInfo/created",
    };
    if age > i64::from(max_days) {
        Verdict::Fail(
            format!("the scan is {age} days old (made {created}; at most {max_days} allowed)"),
            pointer.to_owned(),
        )
    } else {
        Verdict::Pass(format!("the scan is {age} days old (made {created})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_found_in_purls_and_repo_digests() {
        let hex = "a".repeat(64);
        assert_eq!(
            digests_in(&format!(
                "pkg:oci/nginx@sha256%3A{hex}?repository_url=index.docker.io"
            )),
            [format!("sha256:{hex}")]
        );
        assert_eq!(digests_in("nginx@sha256:abc"), Vec::<String>::new());
    }

    #[test]
    fn formats_are_recognised_by_content() {
        assert_eq!(
            detect("{\"bomFormat\": \"CycloneDX\"}"),
            Some(Format::CycloneDx)
        );
        assert_eq!(
            detect("{\"spdxVersion\": \"SPDX-2.3\"}"),
            Some(Format::Spdx)
        );
        assert_eq!(
            detect("{\"SchemaVersion\": 2, \"ArtifactName\": \"nginx\"}"),
            Some(Format::Trivy)
        );
        assert_eq!(
            detect("{\"matches\": [], \"descriptor\": {}}"),
            Some(Format::Grype)
        );
        assert_eq!(detect("kind: Pod\n"), None);
    }
}
