//! Benchmarks as data: which rules a benchmark runs at which version, and the controls they map to.

pub mod cis;
pub mod cis_ubuntu;
pub mod containerd;
pub mod k8s_stig;
pub mod manifest;
pub mod os_scan;

use std::fmt;
use std::str::FromStr;

use crate::facts::NodeFacts;
use crate::facts::plan::{FileRequest, plan};
use crate::rules::RULES;
use crate::rules::pss::{Level, Version};
use crate::rules::{Rule, RuleKind};

/// A benchmark Stockade knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Benchmark {
    /// Pod Security Standards, baseline level.
    PssBaseline,
    /// Pod Security Standards, restricted level (includes baseline).
    PssRestricted,
    /// CIS Kubernetes Benchmark: sections 1-4 on node facts and static pods, section 5
    /// (policies) on manifests.
    CisK8s,
    /// NSA/CISA Kubernetes Hardening Guidance v1.2, on manifests.
    NsaCisa,
    /// Container image hygiene, on manifests.
    ImageHygiene,
    /// CIS Ubuntu Linux 22.04 LTS Benchmark, Level 1 - Server (`cis-ubuntu`, `@l1`) or
    /// Level 2 - Server (`@l2`), on node facts.
    CisUbuntu,
    /// containerd hardening, on node facts.
    Containerd,
    /// DISA Kubernetes STIG: on node facts and static pods, and its workload rules on manifests.
    K8sStig,
}

/// Every benchmark, in display order.
pub const ALL: &[Benchmark] = &[
    Benchmark::PssBaseline,
    Benchmark::PssRestricted,
    Benchmark::CisK8s,
    Benchmark::NsaCisa,
    Benchmark::ImageHygiene,
    Benchmark::CisUbuntu,
    Benchmark::Containerd,
    Benchmark::K8sStig,
];

impl Benchmark {
    /// The id used on the command line and in reports.
    pub fn id(self) -> &'static str {
        match self {
            Benchmark::PssBaseline => "pss-baseline",
            Benchmark::PssRestricted => "pss-restricted",
            Benchmark::CisK8s => "cis-k8s",
            Benchmark::NsaCisa => "nsa-cisa",
            Benchmark::ImageHygiene => "image-hygiene",
            Benchmark::CisUbuntu => "cis-ubuntu",
            Benchmark::Containerd => "containerd",
            Benchmark::K8sStig => "k8s-stig",
        }
    }

    /// Human title.
    pub fn title(self) -> &'static str {
        match self {
            Benchmark::PssBaseline => "Pod Security Standards: baseline",
            Benchmark::PssRestricted => "Pod Security Standards: restricted",
            Benchmark::CisK8s => "CIS Kubernetes Benchmark",
            Benchmark::NsaCisa => "NSA/CISA Kubernetes Hardening Guidance",
            Benchmark::ImageHygiene => "Container image hygiene",
            Benchmark::CisUbuntu => "CIS Ubuntu Linux 22.04 LTS Benchmark (Level 1 - Server)",
            // Level 2: see `Selection::title`.
            Benchmark::Containerd => "containerd hardening",
            Benchmark::K8sStig => "DISA Kubernetes STIG (V2R4)",
        }
    }

    /// The only version of a benchmark that has one.
    pub fn single_version(self) -> Option<&'static str> {
        match self {
            Benchmark::NsaCisa => Some("1.2"),
            Benchmark::ImageHygiene => Some("1"),
            Benchmark::CisUbuntu => Some(cis_ubuntu::VERSION),
            Benchmark::Containerd => Some("1"),
            _ => None,
        }
    }

    /// The PSS level it evaluates, for the PSS benchmarks.
    pub fn level(self) -> Option<Level> {
        match self {
            Benchmark::PssBaseline => Some(Level::Baseline),
            Benchmark::PssRestricted => Some(Level::Restricted),
            _ => None,
        }
    }
}

/// A benchmark as the npm package and the docs list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkInfo {
    /// `pss-baseline`, `pss-restricted`, `cis-k8s`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Versions that can follow `@`.
    pub versions: Vec<String>,
    /// The version used when none is given.
    pub default_version: String,
}

/// Every benchmark with its versions.
pub fn catalog() -> Vec<BenchmarkInfo> {
    ALL.iter()
        .map(|b| {
            let (versions, default_version) = match b {
                Benchmark::CisK8s => (
                    vec!["1.11".to_owned(), "1.12".to_owned()],
                    "from each node's Kubernetes version (1.12 for manifests)".to_owned(),
                ),
                Benchmark::CisUbuntu => (
                    vec![
                        cis_ubuntu::VERSION.to_owned(),
                        "l1".to_owned(),
                        "l2".to_owned(),
                    ],
                    format!("{} (l1: Level 1 - Server)", cis_ubuntu::VERSION),
                ),
                Benchmark::K8sStig => (
                    k8s_stig::StigVersion::ALL
                        .iter()
                        .map(|v| v.label().to_owned())
                        .chain(std::iter::once("latest".to_owned()))
                        .collect(),
                    format!(
                        "{} (latest: {})",
                        k8s_stig::StigVersion::DEFAULT.label(),
                        k8s_stig::StigVersion::NEWEST.label()
                    ),
                ),
                Benchmark::NsaCisa | Benchmark::ImageHygiene | Benchmark::Containerd => {
                    let v = b.single_version().unwrap_or_default().to_owned();
                    (vec![v.clone()], v)
                }
                _ => (
                    (0..=crate::rules::pss::LATEST_MINOR)
                        .map(|m| format!("v1.{m}"))
                        .chain(std::iter::once("latest".to_owned()))
                        .collect(),
                    "latest".to_owned(),
                ),
            };
            BenchmarkInfo {
                id: b.id().to_owned(),
                title: b.title().to_owned(),
                versions,
                default_version,
            }
        })
        .collect()
}

/// The version of a selected benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BenchmarkVersion {
    /// A PSS policy version.
    Pss(Version),
    /// A CIS benchmark version; `None` picks it from each node's Kubernetes version.
    Cis(Option<cis::CisVersion>),
    /// A benchmark with one version.
    Single,
    /// CIS Ubuntu's profile: 1 (Level 1 - Server, the default) or 2 (Level 2 - Server).
    UbuntuLevel(u8),
    /// A DISA Kubernetes STIG release.
    Stig(k8s_stig::StigVersion),
}

/// A benchmark at a version, as selected with `--benchmark ID[@VERSION]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Selection {
    /// The benchmark.
    pub benchmark: Benchmark,
    /// Its version.
    pub version: BenchmarkVersion,
}

impl Selection {
    /// `pss-restricted@latest`.
    pub const DEFAULT: Selection = Selection {
        benchmark: Benchmark::PssRestricted,
        version: BenchmarkVersion::Pss(Version::LATEST),
    };

    /// `cis-k8s`, its version picked per node.
    pub const CIS_AUTO: Selection = Selection {
        benchmark: Benchmark::CisK8s,
        version: BenchmarkVersion::Cis(None),
    };

    /// What runs when nothing is selected: `pss-restricted@latest` for workloads and `cis-k8s`
    /// for node facts and control-plane static pods.
    pub fn defaults() -> Vec<Selection> {
        vec![Selection::DEFAULT, Selection::CIS_AUTO]
    }

    /// For a benchmark judged on manifests through its control table (CIS section 5, NSA/CISA,
    /// image hygiene): the run label its results carry and its controls at that version.
    pub fn manifest_controls(&self) -> Option<(String, Vec<&'static manifest::ControlDef>)> {
        let (label, version) = match (self.benchmark, self.version) {
            (Benchmark::CisK8s, BenchmarkVersion::Cis(v)) => {
                let v = v.unwrap_or(cis::CisVersion::NEWEST).label();
                (format!("cis-k8s@{v}"), v)
            }
            (Benchmark::NsaCisa | Benchmark::ImageHygiene, _) => (
                self.benchmark.id().to_owned(),
                self.benchmark.single_version().unwrap_or_default(),
            ),
            (Benchmark::K8sStig, _) => {
                let v = self
                    .stig_version()
                    .unwrap_or(k8s_stig::StigVersion::DEFAULT);
                (v.run_label().to_owned(), v.label())
            }
            _ => return None,
        };
        let controls = manifest::controls()
            .iter()
            .filter(|c| c.in_benchmark(self.benchmark.id(), version))
            .collect();
        Some((label, controls))
    }

    /// The CIS Ubuntu profile level (1 or 2), for `cis-ubuntu`.
    pub fn ubuntu_level(&self) -> Option<u8> {
        match (self.benchmark, self.version) {
            (Benchmark::CisUbuntu, BenchmarkVersion::UbuntuLevel(l)) => Some(l),
            (Benchmark::CisUbuntu, _) => Some(1),
            _ => None,
        }
    }

    /// The DISA Kubernetes STIG release, for `k8s-stig`.
    pub fn stig_version(&self) -> Option<k8s_stig::StigVersion> {
        match (self.benchmark, self.version) {
            (Benchmark::K8sStig, BenchmarkVersion::Stig(v)) => Some(v),
            (Benchmark::K8sStig, _) => Some(k8s_stig::StigVersion::DEFAULT),
            _ => None,
        }
    }

    /// The run's title: the benchmark's, with the CIS Ubuntu profile or the STIG release that
    /// was selected.
    pub fn title(&self) -> &'static str {
        if let Some(v) = self.stig_version() {
            return v.title();
        }
        match self.ubuntu_level() {
            Some(2) => "CIS Ubuntu Linux 22.04 LTS Benchmark (Level 2 - Server)",
            _ => self.benchmark.title(),
        }
    }

    /// The label results carry: `cis-ubuntu@2.0.0` (Level 1), `cis-ubuntu@2.0.0-l2`.
    pub fn ubuntu_label(&self) -> String {
        match self.ubuntu_level() {
            Some(2) => format!("cis-ubuntu@{}-l2", cis_ubuntu::VERSION),
            _ => format!("cis-ubuntu@{}", cis_ubuntu::VERSION),
        }
    }

    /// The PSS level and version, for a PSS benchmark.
    pub fn pss(&self) -> Option<(Level, Version)> {
        match (self.benchmark.level(), self.version) {
            (Some(level), BenchmarkVersion::Pss(v)) => Some((level, v)),
            _ => None,
        }
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.stig_version() {
            // The run is named with its release, as its results are.
            return f.write_str(v.run_label());
        }
        match self.version {
            BenchmarkVersion::Pss(v) => write!(f, "{}@{}", self.benchmark.id(), v.label()),
            BenchmarkVersion::Cis(Some(v)) => write!(f, "{}@{}", self.benchmark.id(), v.label()),
            BenchmarkVersion::UbuntuLevel(l) if l >= 2 => {
                write!(f, "{}@l{l}", self.benchmark.id())
            }
            BenchmarkVersion::Cis(None)
            | BenchmarkVersion::Single
            | BenchmarkVersion::UbuntuLevel(_)
            | BenchmarkVersion::Stig(_) => f.write_str(self.benchmark.id()),
        }
    }
}

/// Why a benchmark selection could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Not a benchmark id.
    #[error("unknown benchmark `{0}` (known: {known})", known = ALL.iter().map(|b| b.id()).collect::<Vec<_>>().join(", "))]
    UnknownBenchmark(String),
    /// Not a version.
    #[error("invalid version `{0}`: expected `latest` or `v1.N` (e.g. v1.29)")]
    InvalidVersion(String),
    /// A benchmark with one version was asked for another.
    #[error("`{0}` has only version {1}")]
    InvalidSingleVersion(String, String),
    /// Not a CIS benchmark version.
    #[error("invalid CIS Kubernetes Benchmark version `{0}`: expected 1.11, 1.12 or latest")]
    InvalidCisVersion(String),
    /// Not a CIS Ubuntu version and profile.
    #[error(
        "invalid CIS Ubuntu Benchmark version `{0}`: expected l1 (Level 1 - Server), l2 (Level 2 - Server), 2.0.0, 2.0.0-l1, 2.0.0-l2 or latest"
    )]
    InvalidUbuntuVersion(String),
    /// Not a DISA Kubernetes STIG release whose rule list is verified.
    #[error(
        "invalid DISA Kubernetes STIG release `{0}`: expected {known} or latest (other releases, V2R5 among them, are not supported: their complete rule lists are not verified; see docs/k8s-stig.md)",
        known = k8s_stig::StigVersion::known()
    )]
    InvalidStigVersion(String),
}

impl FromStr for Selection {
    type Err = SelectionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (id, version) = match text.split_once('@') {
            Some((id, v)) => (id, Some(v)),
            None => (text, None),
        };
        let benchmark = ALL
            .iter()
            .copied()
            .find(|b| b.id() == id)
            .ok_or_else(|| SelectionError::UnknownBenchmark(id.to_owned()))?;
        let version = match benchmark {
            Benchmark::CisK8s => BenchmarkVersion::Cis(match version {
                None => None,
                Some(v) => Some(
                    cis::CisVersion::parse(v)
                        .ok_or_else(|| SelectionError::InvalidCisVersion(v.to_owned()))?,
                ),
            }),
            Benchmark::CisUbuntu => {
                let v = version.unwrap_or("latest");
                let v = v.strip_prefix('v').unwrap_or(v);
                let level = v
                    .strip_prefix(cis_ubuntu::VERSION)
                    .map(|rest| rest.strip_prefix('-').unwrap_or(rest))
                    .unwrap_or(v);
                let level = level.strip_prefix("latest").unwrap_or(level);
                let level = level.strip_prefix('-').unwrap_or(level);
                BenchmarkVersion::UbuntuLevel(match level.to_ascii_lowercase().as_str() {
                    "" | "l1" | "level1" => 1,
                    "l2" | "level2" => 2,
                    _ => return Err(SelectionError::InvalidUbuntuVersion(v.to_owned())),
                })
            }
            Benchmark::K8sStig => BenchmarkVersion::Stig(match version {
                None => k8s_stig::StigVersion::DEFAULT,
                Some(v) => k8s_stig::StigVersion::parse(v)
                    .ok_or_else(|| SelectionError::InvalidStigVersion(v.to_owned()))?,
            }),
            Benchmark::NsaCisa | Benchmark::ImageHygiene | Benchmark::Containerd => {
                let only = benchmark.single_version().unwrap_or_default();
                match version {
                    None | Some("latest") => BenchmarkVersion::Single,
                    Some(v) if v.strip_prefix('v').unwrap_or(v) == only => BenchmarkVersion::Single,
                    Some(_) => {
                        return Err(SelectionError::InvalidSingleVersion(
                            id.to_owned(),
                            only.to_owned(),
                        ));
                    }
                }
            }
            Benchmark::PssBaseline | Benchmark::PssRestricted => {
                let v = version.unwrap_or("latest");
                BenchmarkVersion::Pss(
                    Version::parse(v)
                        .ok_or_else(|| SelectionError::InvalidVersion(v.to_owned()))?,
                )
            }
        };
        Ok(Selection { benchmark, version })
    }
}

/// The PSA checks that apply at a level and version, in PSA's order (baseline checks by id,
/// then restricted checks by id), with the restricted checks' overrides applied for the versions
/// at which the overriding check exists. `privileged` has none.
pub fn pss_checks(level: Level, version: Version) -> Vec<&'static Rule> {
    let applicable: Vec<&'static Rule> = RULES
        .iter()
        .copied()
        .filter(|r| match &r.kind {
            RuleKind::Pss(c) => {
                level != Level::Privileged && c.level <= level && version.at_least(c.since)
            }
            RuleKind::Manifest(_) => false,
        })
        .collect();
    let overridden: Vec<&str> = applicable
        .iter()
        .flat_map(|r| match &r.kind {
            RuleKind::Pss(c) if level == Level::Restricted => c.overrides,
            _ => &[],
        })
        .copied()
        .collect();
    let mut checks: Vec<&'static Rule> = applicable
        .into_iter()
        .filter(|r| match &r.kind {
            RuleKind::Pss(c) => !overridden.contains(&c.id),
            RuleKind::Manifest(_) => false,
        })
        .collect();
    checks.sort_by_key(|r| match &r.kind {
        RuleKind::Pss(c) => (c.level, c.id),
        RuleKind::Manifest(_) => (Level::Privileged, r.code),
    });
    checks
}

/// What a collector should read on a node: the Kubernetes components' files and what every
/// other node benchmark declares it reads (CIS Ubuntu, containerd). Call it again after adding
/// the files: a config file read in one round can name files for the next.
pub fn collection_plan(facts: &NodeFacts) -> Vec<FileRequest> {
    plan(
        facts,
        &[cis_ubuntu::file_requests, containerd::file_requests],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(level: Level, minor: u32) -> Vec<&'static str> {
        pss_checks(level, Version::v1(minor))
            .into_iter()
            .map(|r| match &r.kind {
                RuleKind::Pss(c) => c.id,
                RuleKind::Manifest(_) => r.code,
            })
            .collect()
    }

    #[test]
    fn parses_selections() {
        let s: Selection = "pss-baseline@v1.23".parse().expect("valid");
        assert_eq!(s.to_string(), "pss-baseline@v1.23");
        assert_eq!(
            "pss-restricted".parse::<Selection>().expect("valid"),
            Selection::DEFAULT
        );
        let newer = "pss-restricted@v1.99".parse::<Selection>().expect("valid");
        assert_eq!(newer.pss().map(|(_, v)| v.effective_minor()), Some(37));
        assert_eq!(
            "cis-k8s".parse::<Selection>().expect("valid"),
            Selection::CIS_AUTO
        );
        assert_eq!(
            "cis-k8s@1.11"
                .parse::<Selection>()
                .expect("valid")
                .to_string(),
            "cis-k8s@1.11"
        );
        assert!(matches!(
            "cis-k8s@1.9".parse::<Selection>(),
            Err(SelectionError::InvalidCisVersion(_))
        ));
        assert!(matches!(
            "cis@latest".parse::<Selection>(),
            Err(SelectionError::UnknownBenchmark(_))
        ));
        assert!(matches!(
            "pss-baseline@v2.0".parse::<Selection>(),
            Err(SelectionError::InvalidVersion(_))
        ));
    }

    #[test]
    fn cis_ubuntu_selects_a_profile_level() {
        for (text, level, shown) in [
            ("cis-ubuntu", 1, "cis-ubuntu"),
            ("cis-ubuntu@latest", 1, "cis-ubuntu"),
            ("cis-ubuntu@2.0.0", 1, "cis-ubuntu"),
            ("cis-ubuntu@l1", 1, "cis-ubuntu"),
            ("cis-ubuntu@l2", 2, "cis-ubuntu@l2"),
            ("cis-ubuntu@2.0.0-l2", 2, "cis-ubuntu@l2"),
            ("cis-ubuntu@v2.0.0-L2", 2, "cis-ubuntu@l2"),
        ] {
            let s: Selection = text.parse().expect(text);
            assert_eq!(s.ubuntu_level(), Some(level), "{text}");
            assert_eq!(s.to_string(), shown, "{text}");
        }
        let l2: Selection = "cis-ubuntu@l2".parse().expect("valid");
        assert_eq!(l2.ubuntu_label(), "cis-ubuntu@2.0.0-l2");
        assert!(l2.title().contains("Level 2 - Server"));
        for bad in ["cis-ubuntu@l3", "cis-ubuntu@1.0.0", "cis-ubuntu@2.0.0-l9"] {
            assert!(
                matches!(
                    bad.parse::<Selection>(),
                    Err(SelectionError::InvalidUbuntuVersion(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            "containerd"
                .parse::<Selection>()
                .expect("valid")
                .ubuntu_level(),
            None
        );
    }

    #[test]
    fn k8s_stig_is_pinned_to_a_verified_release() {
        for (text, want, title) in [
            ("k8s-stig", "k8s-stig@v2r4", "DISA Kubernetes STIG (V2R4)"),
            (
                "k8s-stig@v2r4",
                "k8s-stig@v2r4",
                "DISA Kubernetes STIG (V2R4)",
            ),
            (
                "k8s-stig@V2R4",
                "k8s-stig@v2r4",
                "DISA Kubernetes STIG (V2R4)",
            ),
            (
                "k8s-stig@2r4",
                "k8s-stig@v2r4",
                "DISA Kubernetes STIG (V2R4)",
            ),
            (
                "k8s-stig@v2r6",
                "k8s-stig@v2r6",
                "DISA Kubernetes STIG (V2R6)",
            ),
            (
                "k8s-stig@V2R6",
                "k8s-stig@v2r6",
                "DISA Kubernetes STIG (V2R6)",
            ),
            (
                "k8s-stig@latest",
                "k8s-stig@v2r6",
                "DISA Kubernetes STIG (V2R6)",
            ),
        ] {
            let s: Selection = text.parse().expect(text);
            assert_eq!(s.benchmark, Benchmark::K8sStig, "{text}");
            assert_eq!(s.to_string(), want, "{text}");
            assert_eq!(s.title(), title, "{text}");
            let (label, controls) = s.manifest_controls().expect("manifest controls");
            assert_eq!(label, want);
            // The workload rules are the same in both releases.
            assert_eq!(controls.len(), 10, "{text}");
            assert!(controls.iter().any(|c| c.id == "V-242415"));
        }
        for bad in [
            "k8s-stig@v2r5",
            "k8s-stig@v2r3",
            "k8s-stig@v1r11",
            "k8s-stig@1.12",
            "k8s-stig@",
        ] {
            let err = bad.parse::<Selection>().expect_err(bad);
            assert!(
                matches!(err, SelectionError::InvalidStigVersion(..)),
                "{bad}"
            );
            let text = err.to_string();
            assert!(
                text.contains("v2r4 (Version 2, Release 4), v2r6 (Version 2, Release 6)"),
                "{text}"
            );
            assert!(text.contains("V2R5"), "{text}");
        }
        let info = catalog();
        let stig = info.iter().find(|b| b.id == "k8s-stig").expect("listed");
        assert_eq!(stig.versions, ["v2r4", "v2r6", "latest"]);
        assert_eq!(stig.default_version, "v2r4 (latest: v2r6)");
    }

    #[test]
    fn baseline_checks_by_version() {
        assert_eq!(ids(Level::Baseline, 0).len(), 11);
        assert!(!ids(Level::Baseline, 33).contains(&"hostProbesAndHostLifecycle"));
        assert_eq!(ids(Level::Baseline, 34).len(), 12);
        assert!(ids(Level::Privileged, 37).is_empty());
    }

    #[test]
    fn restricted_overrides_apply_only_once_the_restricted_check_exists() {
        let v18 = ids(Level::Restricted, 18);
        assert!(v18.contains(&"seccompProfile_baseline"));
        assert!(!v18.contains(&"seccompProfile_restricted"));
        assert!(!v18.contains(&"hostPathVolumes"));
        let v21 = ids(Level::Restricted, 21);
        assert!(v21.contains(&"capabilities_baseline"));
        let v22 = ids(Level::Restricted, 22);
        assert!(
            !v22.contains(&"capabilities_baseline") && v22.contains(&"capabilities_restricted")
        );
        assert!(ids(Level::Restricted, 34).contains(&"procMount"));
        let latest = ids(Level::Restricted, 37);
        assert!(!latest.contains(&"procMount") && latest.contains(&"procMount_restricted"));
        assert_eq!(latest.len(), 12 - 4 + 7);
        // PSA's message order: baseline checks by id, then restricted checks by id.
        assert_eq!(
            latest,
            [
                "appArmorProfile",
                "hostNamespaces",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "seLinuxOptions",
                "sysctls",
                "windowsHostProcess",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "procMount_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "runAsUser",
                "seccompProfile_restricted",
            ]
        );
    }
}
