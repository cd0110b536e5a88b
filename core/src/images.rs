//! Image facts from standard tools: SBOMs (CycloneDX and SPDX JSON) and vulnerability reports
//! (Trivy and Grype JSON), recognised by their content among the scanned files.
//!
//! Each report is reduced to what the image rules read: what it is about (its subject), the
//! names and digests of the image it describes, its packages, the user its config runs as, its
//! vulnerabilities and when it was made. A report decides only what it holds:
//!
//! - **Subject.** Only a report about a container image is judged by the image rules. A
//!   CycloneDX `metadata.component.type` other than `container`, an SPDX subject whose
//!   `primaryPackagePurpose` is not `CONTAINER`, a Trivy `ArtifactType` of `filesystem` or
//!   `repository`, a Grype `source.type` of `directory` or `file` are not images; a Trivy `vm`
//!   or `rootfs` report, or a Grype scan of a directory in which Grype found an operating system
//!   (`distro`), is about a host's operating system (see `benchmarks::os_scan`).
//! - **Names.** A report is linked to an image by every name and digest it states: the artifact
//!   name unless it is a file path (`trivy image --input images/alpine.tar`), the repository tags,
//!   references and repository digests (`Metadata.RepoTags`/`RepoDigests`/`Reference`, their
//!   `aquasecurity:trivy:*` CycloneDX properties, their SPDX `attributionTexts`), the image id.
//! - **Scan.** Vulnerabilities are known only when the report shows that a vulnerability scan
//!   ran: Trivy JSON with a result of class `os-pkgs` or `lang-pkgs` (a report of only
//!   `license`, `secret` or `config` results ran no vulnerability scan); Grype (it always scans);
//!   a CycloneDX `vulnerabilities` list that is not empty, or empty and written by Grype. Trivy
//!   writes an empty `vulnerabilities` list whether or not it scanned (its CycloneDX output turns
//!   the vulnerability scanner off unless `--scanners vuln` is given), and an SBOM without the
//!   key was not a scan: neither says "no vulnerabilities".
//! - **Config.** The user is read from a real image config only: Trivy fills `ImageConfig` with
//!   Go zero values (no `os`, no `architecture`) when it read an SBOM, which is no evidence.

use serde_json::Value as J;

use crate::input::yaml::{self, Limits, Node, Pos};
use crate::vocab::Date;
use crate::vocab::Severity;
use crate::vocab::{ErrorLevel, InputError};

/// The tool format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX JSON (`bomFormat: CycloneDX`).
    CycloneDx,
    /// SPDX JSON (`spdxVersion`).
    Spdx,
    /// Trivy JSON (`SchemaVersion`, `ArtifactName`).
    Trivy,
    /// Trivy JSON before schema version 2 (Trivy 0.19 and older): a bare list of results.
    TrivyLegacy,
    /// A `trivy k8s` cluster report (`ClusterName`): recognised, not supported.
    TrivyKubernetes,
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
            Format::TrivyLegacy => "Trivy report (before schema version 2)",
            Format::TrivyKubernetes => "Trivy Kubernetes report",
            Format::Grype => "Grype report",
        }
    }
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A container image: the image rules judge it.
    ContainerImage,
    /// A host's operating system: a VM image or a root file system (Trivy `vm`/`rootfs`).
    HostOs,
    /// Anything else (a directory, a repository, an application, a cluster), said in words.
    Other(String),
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

/// An installed package a report lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// `libc6`.
    pub name: String,
    /// `2.36-9+deb12u4`, when the report gives it.
    pub version: Option<String>,
}

/// What one report says about one image.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// The file it came from.
    pub file: String,
    /// Its format.
    pub format: Format,
    /// What it is about.
    pub target: Target,
    /// The name reports show (the first image name, else the artifact name), if any.
    pub reference: Option<String>,
    /// Every image name (`nginx:1.27`) the report states: what links it to a container.
    pub names: Vec<String>,
    /// Digests of the image (`sha256:...`): repository digests and the image id.
    pub digests: Vec<String>,
    /// Installed packages, when the report lists them.
    pub packages: Option<Vec<Package>>,
    /// The user of the image config, when the report carries a real config.
    pub user: Option<String>,
    /// Vulnerabilities, when the report shows that a vulnerability scan ran.
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    /// Why a scan report is not a vulnerability scan (no scan ran, or nothing shows it did).
    pub not_scanned: Option<String>,
    /// The operating system it names (`ubuntu`, `22.04`), when it does.
    pub os: Option<(String, String)>,
    /// Operating-system packages with the versions it read (Trivy `os-pkgs` results, with
    /// `--list-all-pkgs` all of them; Grype: the matched `deb`/`rpm`/`apk` packages), when any.
    pub os_packages: Vec<Package>,
    /// Whether `os_packages` is the whole OS package list (Trivy `--list-all-pkgs`), not only
    /// the vulnerable packages.
    pub all_os_packages: bool,
    /// The host name it names (Trivy `vm`/`rootfs` reports of a node: the artifact name).
    pub artifact: Option<String>,
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

    /// Where the report starts.
    pub fn pos(&self) -> Pos {
        self.root.pos
    }

    /// Whether the report is about the image a container runs: by digest when the container
    /// pins one (against repository digests and the image id), else by any image name the
    /// report states, normalized (`nginx` is `docker.io/library/nginx:latest`).
    pub fn describes(&self, image: &ImageRef) -> bool {
        if self.target != Target::ContainerImage {
            return false;
        }
        if let Some(digest) = &image.digest {
            return self.digests.iter().any(|d| d == digest);
        }
        self.names.iter().any(|name| {
            let mine = ImageRef::parse(name);
            mine.full_name() == image.full_name()
                && mine.tag.as_deref().unwrap_or("latest")
                    == image.tag.as_deref().unwrap_or("latest")
        })
    }
}

/// Whether a file is an image report (by its first bytes), and which kind.
pub fn detect(text: &str) -> Option<Format> {
    // The first 4096 characters, borrowed (all of a text of at most 4096 bytes).
    let head = if text.len() <= 4096 {
        text
    } else {
        text.char_indices()
            .nth(4096)
            .and_then(|(end, _)| text.get(..end))
            .unwrap_or(text)
    };
    let start = head.trim_start();
    if start.starts_with('[') {
        // Trivy before schema version 2 wrote a bare list of results.
        return (head.contains("\"Target\"")
            && (head.contains("\"Vulnerabilities\"") || head.contains("\"Type\"")))
        .then_some(Format::TrivyLegacy);
    }
    if !start.starts_with('{') && !head.contains("\n{") {
        return None;
    }
    if head.contains("\"bomFormat\"") && head.contains("CycloneDX") {
        Some(Format::CycloneDx)
    } else if head.contains("\"spdxVersion\"") {
        Some(Format::Spdx)
    } else if head.contains("\"SchemaVersion\"") && head.contains("\"ArtifactName\"") {
        Some(Format::Trivy)
    } else if head.contains("\"ClusterName\"")
        && [
            "\"Resources\"",
            "\"Findings\"",
            "\"Vulnerabilities\"",
            "\"Misconfigurations\"",
        ]
        .iter()
        .any(|k| head.contains(k))
    {
        Some(Format::TrivyKubernetes)
    } else if head.contains("\"matches\"") && text.contains("\"descriptor\"") {
        Some(Format::Grype)
    } else {
        None
    }
}

fn str_at<'j>(json: &'j J, pointer: &str) -> Option<&'j str> {
    json.pointer(pointer).and_then(J::as_str)
}

fn strings_at<'j>(json: &'j J, pointer: &str) -> impl Iterator<Item = &'j str> {
    json.pointer(pointer)
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
}

fn date_of(text: &str) -> Option<Date> {
    Date::parse(text.get(..10)?)
}

/// Whether an artifact name is a file path rather than an image name: `trivy image --input
/// images/alpine-310.tar.gz` names the archive, `trivy sbom sbom.json` the SBOM. Image names
/// never start with `/` or `.`, and none ends in an archive or document extension.
fn is_file_path(name: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".json", ".spdx", ".xml", ".yaml",
        ".yml", ".cdx", ".img", ".qcow2", ".vmdk",
    ];
    let lower = name.to_ascii_lowercase();
    name.is_empty()
        || name.starts_with('/')
        || name.starts_with('.')
        || name.contains('\\')
        || EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

/// Adds an image name the report states (not a file path, not a bare digest). Grype and Syft
/// keep the source scheme of their input (`registry:alpine:3.20`, `docker-archive:x.tar`).
fn add_name(r: &mut ImageReport, name: &str) {
    const SCHEMES: &[(&str, bool)] = &[
        ("docker:", true),
        ("podman:", true),
        ("containerd:", true),
        ("registry:", true),
        ("docker-archive:", false),
        ("oci-archive:", false),
        ("oci-dir:", false),
        ("singularity:", false),
        ("dir:", false),
        ("file:", false),
    ];
    let mut name = name.trim();
    for (scheme, is_image) in SCHEMES {
        // `registry:5000/app` is a host and port, not a scheme.
        if let Some(rest) = name.strip_prefix(scheme)
            && !rest.starts_with(|c: char| c.is_ascii_digit())
        {
            if !is_image {
                return;
            }
            name = rest;
            break;
        }
    }
    if is_file_path(name) || name.starts_with("sha256:") {
        return;
    }
    // `name@sha256:...` says the digest, not a tag: the digest links it.
    if name.contains('@') {
        r.digests.extend(digests_in(name));
        return;
    }
    if !r.names.iter().any(|n| n == name) {
        r.names.push(name.to_owned());
    }
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
    if format == Format::TrivyKubernetes {
        return Err(error(
            root.pos,
            format!(
                "{}: not supported: `trivy k8s` reports the live cluster's images under the \
                 workloads it found them in, and the manifests scanned here are not that \
                 cluster; scan each image with `trivy image -f json` and give those reports",
                format.name()
            ),
        ));
    }
    let json = root.to_json();
    let mut report = ImageReport {
        file: file.to_owned(),
        format,
        target: Target::ContainerImage,
        reference: None,
        names: Vec::new(),
        digests: Vec::new(),
        packages: None,
        user: None,
        vulnerabilities: None,
        not_scanned: None,
        os: None,
        os_packages: Vec::new(),
        all_os_packages: false,
        artifact: None,
        created: None,
        root,
    };
    match format {
        Format::CycloneDx => cyclonedx(&json, &mut report),
        Format::Spdx => spdx(&json, &mut report),
        Format::Trivy => trivy(&json, &mut report),
        Format::TrivyLegacy => trivy_legacy(&json, &mut report),
        Format::Grype => grype(&json, &mut report),
        Format::TrivyKubernetes => {}
    }
    report.digests.sort();
    report.digests.dedup();
    if report.reference.is_none() {
        report.reference = report.names.first().cloned();
    }
    if report.target == Target::ContainerImage
        && report.reference.is_none()
        && report.digests.is_empty()
    {
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

/// The names of the tools that made a CycloneDX document (1.4 `tools: [...]` and 1.5
/// `tools: {components: [...]}`), lower case.
fn cyclonedx_tools(json: &J) -> Vec<String> {
    let tools = json.pointer("/metadata/tools");
    let list = tools.and_then(J::as_array).or_else(|| {
        tools
            .and_then(|t| t.pointer("/components"))
            .and_then(J::as_array)
    });
    list.into_iter()
        .flatten()
        .filter_map(|t| str_at(t, "/name"))
        .map(str::to_ascii_lowercase)
        .collect()
}

fn cyclonedx(json: &J, r: &mut ImageReport) {
    let component = json.pointer("/metadata/component");
    let kind = component.and_then(|c| str_at(c, "/type"));
    let name = component.and_then(|c| str_at(c, "/name")).unwrap_or("");
    let version = component.and_then(|c| str_at(c, "/version")).unwrap_or("");
    let property = |key: &str| -> Vec<String> {
        component
            .and_then(|c| c.get("properties"))
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter(|p| str_at(p, "/name") == Some(key))
            .filter_map(|p| str_at(p, "/value").map(str::to_owned))
            .collect()
    };
    let tags = property("aquasecurity:trivy:RepoTag");
    let references = property("aquasecurity:trivy:Reference");
    let repo_digests = property("aquasecurity:trivy:RepoDigest");
    let image_ids = property("aquasecurity:trivy:ImageID");
    r.target = match kind {
        Some("container") => Target::ContainerImage,
        Some("operating-system") => Target::HostOs,
        Some(other) => Target::Other(format!(
            "{other} `{name}` (metadata.component.type), not a container image"
        )),
        None if component.is_none() => Target::ContainerImage,
        None => Target::Other(format!(
            "`{name}`, whose type it does not say (metadata.component.type)"
        )),
    };
    let full = if !version.is_empty() && !version.starts_with("sha256:") && !name.contains(':') {
        format!("{name}:{version}")
    } else {
        name.to_owned()
    };
    if !name.is_empty() {
        r.reference = Some(full.clone());
    }
    for n in std::iter::once(&full).chain(&tags).chain(&references) {
        add_name(r, n);
    }
    if let Some(first) = r.names.first() {
        r.reference = Some(first.clone());
    }
    if let Some(c) = component {
        for key in ["/purl", "/bom-ref", "/version"] {
            r.digests
                .extend(str_at(c, key).map(digests_in).unwrap_or_default());
        }
    }
    for d in repo_digests.iter().chain(&image_ids) {
        r.digests.extend(digests_in(d));
    }
    r.packages = json.get("components").and_then(J::as_array).map(|cs| {
        cs.iter()
            .filter(|c| str_at(c, "/type") != Some("operating-system"))
            .filter_map(|c| {
                Some(Package {
                    name: str_at(c, "/name")?.to_owned(),
                    version: str_at(c, "/version").map(str::to_owned),
                })
            })
            .collect()
    });
    r.os = json
        .get("components")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .find(|c| str_at(c, "/type") == Some("operating-system"))
        .and_then(|c| {
            Some((
                str_at(c, "/name")?.to_owned(),
                str_at(c, "/version")?.to_owned(),
            ))
        });
    let listed = json.get("vulnerabilities").and_then(J::as_array);
    let tools = cyclonedx_tools(json);
    r.vulnerabilities = match listed {
        Some(vs) if !vs.is_empty() || tools.iter().any(|t| t == "grype") => Some(
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
                .collect(),
        ),
        Some(_) => {
            r.not_scanned = Some(if tools.iter().any(|t| t == "trivy") {
                "its `vulnerabilities` list is empty, and Trivy writes that list whether or not \
                 it scanned (its CycloneDX output scans for vulnerabilities only with \
                 `--scanners vuln`): no evidence of a vulnerability scan"
                    .to_owned()
            } else {
                format!(
                    "its `vulnerabilities` list is empty, and nothing shows that {} scanned for \
                     vulnerabilities: no evidence of a vulnerability scan",
                    tools.first().map_or("its tool", String::as_str)
                )
            });
            None
        }
        None => None,
    };
    r.created = str_at(json, "/metadata/timestamp").and_then(date_of);
}

/// SPDX attribution texts (`"RepoTag: alpine:3.15"`, Trivy) with the given key.
fn attributions<'j>(package: &'j J, key: &'j str) -> impl Iterator<Item = &'j str> {
    strings_at(package, "/attributionTexts").filter_map(move |t| {
        t.split_once(':')
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
    })
}

fn spdx(json: &J, r: &mut ImageReport) {
    let packages = json.get("packages").and_then(J::as_array);
    let by_id =
        |id: &str| packages.and_then(|ps| ps.iter().find(|p| str_at(p, "/SPDXID") == Some(id)));
    // The document's subject: `documentDescribes`, else the DESCRIBES relationships.
    let described: Vec<&J> = strings_at(json, "/documentDescribes")
        .chain(
            json.get("relationships")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .filter(|rel| {
                    str_at(rel, "/spdxElementId") == Some("SPDXRef-DOCUMENT")
                        && str_at(rel, "/relationshipType") == Some("DESCRIBES")
                })
                .filter_map(|rel| str_at(rel, "/relatedSpdxElement")),
        )
        .filter_map(by_id)
        .collect();
    let container = packages.and_then(|ps| {
        ps.iter()
            .find(|p| str_at(p, "/primaryPackagePurpose") == Some("CONTAINER"))
    });
    let subject = container.or_else(|| described.first().copied());
    let is_image = |p: &J| {
        attributions(p, "RepoTag")
            .chain(attributions(p, "RepoDigest"))
            .chain(attributions(p, "ImageID"))
            .next()
            .is_some()
            || p.get("externalRefs")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| str_at(e, "/referenceLocator"))
                .any(|l| l.starts_with("pkg:oci/") || l.starts_with("pkg:docker/"))
    };
    let doc_name = str_at(json, "/name").unwrap_or("");
    r.target = match subject {
        Some(p) if container.is_some() || is_image(p) => Target::ContainerImage,
        Some(p) => match str_at(p, "/primaryPackagePurpose") {
            Some("OPERATING-SYSTEM") => Target::HostOs,
            Some(purpose) => Target::Other(format!(
                "{} `{}` (primaryPackagePurpose), not a container image",
                purpose.to_ascii_lowercase(),
                str_at(p, "/name").unwrap_or("")
            )),
            // SPDX 2.2 has no purpose: the document's name says what was scanned.
            None if is_file_path(doc_name) => Target::Other(format!(
                "`{doc_name}`, a path, not a container image (document name)"
            )),
            None => Target::ContainerImage,
        },
        None if is_file_path(doc_name) => Target::Other(format!(
            "`{doc_name}`, a path, not a container image (document name)"
        )),
        None => Target::ContainerImage,
    };
    let name = subject
        .and_then(|c| str_at(c, "/name"))
        .unwrap_or(doc_name)
        .to_owned();
    if !name.is_empty() {
        r.reference = Some(name.clone());
    }
    add_name(r, &name);
    if let Some(p) = subject {
        let tags: Vec<String> = attributions(p, "RepoTag")
            .chain(attributions(p, "Reference"))
            .map(str::to_owned)
            .collect();
        for t in &tags {
            add_name(r, t);
        }
        let digests: Vec<String> = attributions(p, "RepoDigest")
            .chain(attributions(p, "ImageID"))
            .chain(str_at(p, "/versionInfo"))
            .chain(
                p.get("externalRefs")
                    .and_then(J::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| str_at(e, "/referenceLocator")),
            )
            .flat_map(digests_in)
            .collect();
        r.digests.extend(digests);
    }
    if let Some(first) = r.names.first() {
        r.reference = Some(first.clone());
    }
    let subject_id = subject.and_then(|p| str_at(p, "/SPDXID"));
    r.packages = packages.map(|ps| {
        ps.iter()
            .filter(|p| str_at(p, "/SPDXID") != subject_id || subject_id.is_none())
            .filter(|p| {
                !matches!(
                    str_at(p, "/primaryPackagePurpose"),
                    Some("CONTAINER" | "OPERATING-SYSTEM")
                )
            })
            .filter_map(|p| {
                Some(Package {
                    name: str_at(p, "/name")?.to_owned(),
                    version: str_at(p, "/versionInfo").map(str::to_owned),
                })
            })
            .collect()
    });
    r.created = str_at(json, "/creationInfo/created").and_then(date_of);
}

/// Trivy result classes that only a vulnerability scan (or an SBOM run) writes.
const PACKAGE_CLASSES: &[&str] = &["os-pkgs", "lang-pkgs"];

fn trivy(json: &J, r: &mut ImageReport) {
    let artifact = str_at(json, "/ArtifactName").unwrap_or("");
    let kind = str_at(json, "/ArtifactType");
    let tags: Vec<&str> = strings_at(json, "/Metadata/RepoTags").collect();
    let repo_digests: Vec<&str> = strings_at(json, "/Metadata/RepoDigests").collect();
    let image_id = str_at(json, "/Metadata/ImageID");
    let states_an_image = !tags.is_empty() || !repo_digests.is_empty() || image_id.is_some();
    r.target = match kind {
        None | Some("container_image") => Target::ContainerImage,
        Some("vm" | "rootfs") => Target::HostOs,
        Some("filesystem") => {
            Target::Other("a file system (`trivy fs`), not a container image".to_owned())
        }
        Some("repository") => {
            Target::Other("a code repository (`trivy repo`), not a container image".to_owned())
        }
        // `trivy sbom`: Trivy reads the image's names back from its own SBOMs.
        Some("spdx" | "cyclonedx") if states_an_image => Target::ContainerImage,
        Some(k @ ("spdx" | "cyclonedx")) => Target::Other(format!(
            "the {k} SBOM `{artifact}`, which names no image (no image id, tag or digest in \
             `Metadata`)"
        )),
        Some(other) => Target::Other(format!(
            "an artifact of type {other:?}, not a container image"
        )),
    };
    r.artifact = Some(artifact.to_owned()).filter(|a| !a.is_empty());
    if matches!(kind, None | Some("container_image")) {
        add_name(r, artifact);
    }
    for t in &tags {
        add_name(r, t);
    }
    if let Some(reference) = str_at(json, "/Metadata/Reference") {
        add_name(r, reference);
    }
    for d in &repo_digests {
        r.digests.extend(digests_in(d));
    }
    if let Some(id) = image_id {
        r.digests.extend(digests_in(id));
    }
    r.reference = r.names.first().cloned().or_else(|| r.artifact.clone());
    r.os = json.pointer("/Metadata/OS").and_then(|os| {
        Some((
            str_at(os, "/Family")?.to_owned(),
            str_at(os, "/Name")?.to_owned(),
        ))
    });
    // A real image config names its platform (the OCI image spec requires `os` and
    // `architecture`); the Go zero value Trivy writes for an SBOM
    // (`os: ""`, `created: 0001-01-01T00:00:00Z`, `config: {}`) is no evidence of a user.
    let config = json.pointer("/Metadata/ImageConfig");
    let real_config = config.is_some_and(|c| {
        [str_at(c, "/os"), str_at(c, "/architecture")]
            .into_iter()
            .flatten()
            .any(|v| !v.is_empty())
    });
    if matches!(kind, None | Some("container_image")) && real_config {
        r.user = config
            .and_then(|c| c.get("config"))
            .map(|c| str_at(c, "/User").unwrap_or("").to_owned());
    }
    let results: Vec<&J> = json
        .get("Results")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut vulns = Vec::new();
    let mut packages: Option<Vec<Package>> = None;
    let mut scanned = false;
    let mut classes: Vec<&str> = Vec::new();
    for result in &results {
        if str_at(result, "/Class") == Some("os-pkgs") {
            for p in result
                .get("Packages")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = str_at(p, "/Name") {
                    r.all_os_packages = true;
                    r.os_packages.push(Package {
                        name: name.to_owned(),
                        version: trivy_version(p),
                    });
                }
            }
            for v in result
                .get("Vulnerabilities")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(name), Some(version)) =
                    (str_at(v, "/PkgName"), str_at(v, "/InstalledVersion"))
                {
                    r.os_packages.push(Package {
                        name: name.to_owned(),
                        version: Some(version.to_owned()),
                    });
                }
            }
        }
        match str_at(result, "/Class") {
            Some(class) => {
                scanned |= PACKAGE_CLASSES.contains(&class);
                classes.push(class);
            }
            // Schema 2 before result classes (Trivy 0.20): a result without misconfigurations
            // or secrets is a package result.
            None => {
                scanned |=
                    result.get("Misconfigurations").is_none() && result.get("Secrets").is_none();
            }
        }
        for v in result
            .get("Vulnerabilities")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            vulns.push(trivy_vulnerability(v));
        }
        if let Some(ps) = result.get("Packages").and_then(J::as_array) {
            packages
                .get_or_insert_with(Vec::new)
                .extend(ps.iter().filter_map(|p| {
                    Some(Package {
                        name: str_at(p, "/Name")?.to_owned(),
                        version: str_at(p, "/Version").map(str::to_owned),
                    })
                }));
        }
    }
    if scanned || !vulns.is_empty() {
        r.vulnerabilities = Some(vulns);
    } else {
        classes.sort_unstable();
        classes.dedup();
        r.not_scanned = Some(if classes.is_empty() {
            "it has no result of class os-pkgs or lang-pkgs: nothing shows that a vulnerability \
             scan ran (`--scanners vuln`)"
                .to_owned()
        } else {
            format!(
                "its results are only of class {}: no vulnerability scan ran (`--scanners vuln`)",
                classes.join(", ")
            )
        });
    }
    r.packages = packages;
    r.created = str_at(json, "/CreatedAt").and_then(date_of);
}

/// A Trivy package's version as the package manager writes it: `[epoch:]version[-release]`
/// (Trivy splits dpkg's `1:8.9p1-3ubuntu0.10` into `Epoch`, `Version` and `Release`).
fn trivy_version(p: &J) -> Option<String> {
    let version = str_at(p, "/Version")?;
    let epoch = p.get("Epoch").and_then(J::as_u64).filter(|e| *e > 0);
    let release = str_at(p, "/Release").filter(|r| !r.is_empty());
    Some(format!(
        "{}{version}{}",
        epoch.map(|e| format!("{e}:")).unwrap_or_default(),
        release.map(|r| format!("-{r}")).unwrap_or_default()
    ))
}

fn trivy_vulnerability(v: &J) -> Vulnerability {
    Vulnerability {
        id: str_at(v, "/VulnerabilityID")
            .unwrap_or("unknown")
            .to_owned(),
        package: str_at(v, "/PkgName").unwrap_or("").to_owned(),
        severity: str_at(v, "/Severity").and_then(severity),
    }
}

/// Trivy 0.19 and older: `[{"Target": "alpine:3.10 (alpine 3.10.2)", "Type": "alpine",
/// "Vulnerabilities": [...]}]`. These versions only scanned for vulnerabilities; the image is
/// named by the operating-system result's target (`image (os version)`), the report has no date.
fn trivy_legacy(json: &J, r: &mut ImageReport) {
    let results: Vec<&J> = json.as_array().into_iter().flatten().collect();
    let image = results
        .iter()
        .filter_map(|res| str_at(res, "/Target"))
        .find_map(|t| t.strip_suffix(')').and_then(|t| t.rsplit_once(" (")))
        .map(|(name, _)| name.to_owned());
    if let Some(name) = &image {
        add_name(r, name);
        r.reference = Some(name.clone());
    }
    r.vulnerabilities = Some(
        results
            .iter()
            .flat_map(|res| {
                res.get("Vulnerabilities")
                    .and_then(J::as_array)
                    .into_iter()
                    .flatten()
            })
            .map(trivy_vulnerability)
            .collect(),
    );
}

fn grype(json: &J, r: &mut ImageReport) {
    let source = str_at(json, "/source/type");
    let input = str_at(json, "/source/target/userInput")
        .or_else(|| str_at(json, "/source/target"))
        .unwrap_or("");
    let distro = str_at(json, "/distro/name").filter(|d| !d.is_empty());
    r.target = match source {
        Some("image") | None => Target::ContainerImage,
        // `grype dir:/` on a root file system, or `grype sbom:` of one: it found an OS there.
        Some("directory" | "file") if distro.is_some() => Target::HostOs,
        Some(other) => Target::Other(format!("a {other} (`source.type`), not a container image")),
    };
    r.artifact = Some(input.to_owned()).filter(|a| !a.is_empty());
    if r.target == Target::ContainerImage {
        add_name(r, input);
        let tags: Vec<String> = strings_at(json, "/source/target/tags")
            .map(str::to_owned)
            .collect();
        for t in &tags {
            add_name(r, t);
        }
    }
    r.reference = r.names.first().cloned().or_else(|| r.artifact.clone());
    for digest in strings_at(json, "/source/target/repoDigests") {
        r.digests.extend(digests_in(digest));
    }
    for key in ["/source/target/imageID", "/source/target/manifestDigest"] {
        if let Some(id) = str_at(json, key) {
            r.digests.extend(digests_in(id));
        }
    }
    r.os = json.pointer("/distro").and_then(|d| {
        Some((
            str_at(d, "/name")?.to_owned(),
            str_at(d, "/version")?.to_owned(),
        ))
    });
    r.os_packages = json
        .get("matches")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter(|m| {
            matches!(
                str_at(m, "/artifact/type"),
                Some("deb" | "rpm" | "apk" | "alpm" | "portage")
            )
        })
        .filter_map(|m| {
            Some(Package {
                name: str_at(m, "/artifact/name")?.to_owned(),
                version: str_at(m, "/artifact/version").map(str::to_owned),
            })
        })
        .collect();
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
        .map(|p| &p.name)
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
        Format::Grype | Format::TrivyLegacy | Format::TrivyKubernetes => ("/matches", "artifact"),
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
        return not_a_scan(report);
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
        Format::TrivyLegacy | Format::TrivyKubernetes => String::new(),
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

/// The verdict of IMG008/IMG009 on a report that is not a vulnerability scan: none for an
/// SBOM (it never claimed to be one), `manual` with the reason for a scan report that shows
/// no scan ran.
fn not_a_scan(report: &ImageReport) -> Verdict {
    Verdict::Undecided(report.not_scanned.as_ref().map(|why| {
        format!(
            "the {} is not a vulnerability scan: {why}",
            report.format.name()
        )
    }))
}

/// IMG009: the vulnerability scan is at most `max_days` old on `now`.
pub fn scan_age(report: &ImageReport, now: Option<Date>, max_days: u32) -> Verdict {
    if report.vulnerabilities.is_none() {
        return not_a_scan(report);
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
        Format::Trivy | Format::TrivyLegacy | Format::TrivyKubernetes => "/CreatedAt",
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

/// An image reference, split as container runtimes read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host (`docker.io` when the reference names none).
    pub registry: String,
    /// The repository path (`library/nginx` for `nginx`).
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest (`sha256:...`), if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[registry/]path[:tag][@digest]` the way the Docker reference grammar does: the
    /// first component is a registry when it has a `.` or `:` or is `localhost`.
    pub fn parse(text: &str) -> ImageRef {
        let (name, digest) = match text.split_once('@') {
            Some((n, d)) => (n, Some(d.to_owned())),
            None => (text, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match name.get(last_slash..).and_then(|last| last.rfind(':')) {
            Some(colon) => {
                let at = last_slash + colon;
                (
                    name.get(..at).unwrap_or(name),
                    name.get(at + 1..).map(str::to_owned),
                )
            }
            None => (name, None),
        };
        let (registry, repository) = match path.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ if path.contains('/') => ("docker.io".to_owned(), path.to_owned()),
            _ => ("docker.io".to_owned(), format!("library/{path}")),
        };
        let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
            "docker.io".to_owned()
        } else {
            registry
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// `registry/repository`, the name allowed-registry prefixes are matched against.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether the reference is pinned by a digest.
    pub fn pinned(&self) -> bool {
        self.digest.as_deref().is_some_and(|d| d.contains(':'))
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
    fn names_are_image_names_not_paths_or_schemes() {
        let report = |names: &[&str]| {
            let mut r = parse(
                "r.json",
                "{\"SchemaVersion\": 2, \"ArtifactName\": \"x:1\"}",
                Format::Trivy,
                Limits::default(),
            )
            .expect("parses");
            r.names.clear();
            for n in names {
                add_name(&mut r, n);
            }
            r.names
        };
        assert_eq!(
            report(&[
                "registry:alpine:3.20",
                "docker-archive:images/a.tar",
                "images/alpine-310.tar.gz",
                "./sbom.json",
                "registry:5000/team/app:1",
                "alpine@sha256:abc",
                "nginx",
            ]),
            ["alpine:3.20", "registry:5000/team/app:1", "nginx"]
        );
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
        assert_eq!(
            detect("[{\"Target\": \"alpine:3.10 (alpine 3.10.2)\", \"Type\": \"alpine\"}]"),
            Some(Format::TrivyLegacy)
        );
        assert_eq!(
            detect("{\"ClusterName\": \"kind\", \"Resources\": []}"),
            Some(Format::TrivyKubernetes)
        );
        assert_eq!(detect("[{\"kind\": \"Pod\"}]"), None);
        assert_eq!(detect("kind: Pod\n"), None);
    }
}
