//! Benchmarks as data: which rules a benchmark runs at which version, and the controls they map to.

use std::fmt;
use std::str::FromStr;

use crate::registry::RULES;
use crate::rules::pss::{Level, Version};
use crate::rules::{Rule, RuleKind};

/// A benchmark Stockade knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Benchmark {
    /// Pod Security Standards, baseline level.
    PssBaseline,
    /// Pod Security Standards, restricted level (includes baseline).
    PssRestricted,
}

/// Every benchmark, in display order.
pub const ALL: &[Benchmark] = &[Benchmark::PssBaseline, Benchmark::PssRestricted];

impl Benchmark {
    /// The id used on the command line and in reports.
    pub fn id(self) -> &'static str {
        match self {
            Benchmark::PssBaseline => "pss-baseline",
            Benchmark::PssRestricted => "pss-restricted",
        }
    }

    /// Human title.
    pub fn title(self) -> &'static str {
        match self {
            Benchmark::PssBaseline => "Pod Security Standards: baseline",
            Benchmark::PssRestricted => "Pod Security Standards: restricted",
        }
    }

    /// The PSS level it evaluates.
    pub fn level(self) -> Level {
        match self {
            Benchmark::PssBaseline => Level::Baseline,
            Benchmark::PssRestricted => Level::Restricted,
        }
    }
}

/// A benchmark at a version, as selected with `--benchmark ID[@VERSION]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Selection {
    /// The benchmark.
    pub benchmark: Benchmark,
    /// Its version.
    pub version: Version,
}

impl Selection {
    /// The default: `pss-restricted@latest`.
    pub const DEFAULT: Selection = Selection {
        benchmark: Benchmark::PssRestricted,
        version: Version::LATEST,
    };
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.benchmark.id(), self.version.label())
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
}

impl FromStr for Selection {
    type Err = SelectionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (id, version) = text.split_once('@').unwrap_or((text, "latest"));
        let benchmark = ALL
            .iter()
            .copied()
            .find(|b| b.id() == id)
            .ok_or_else(|| SelectionError::UnknownBenchmark(id.to_owned()))?;
        let version = Version::parse(version)
            .ok_or_else(|| SelectionError::InvalidVersion(version.to_owned()))?;
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
        })
        .collect();
    let overridden: Vec<&str> = applicable
        .iter()
        .flat_map(|r| match &r.kind {
            RuleKind::Pss(c) if level == Level::Restricted => c.overrides,
            RuleKind::Pss(_) => &[],
        })
        .copied()
        .collect();
    let mut checks: Vec<&'static Rule> = applicable
        .into_iter()
        .filter(|r| match &r.kind {
            RuleKind::Pss(c) => !overridden.contains(&c.id),
        })
        .collect();
    checks.sort_by_key(|r| match &r.kind {
        RuleKind::Pss(c) => (c.level, c.id),
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(level: Level, minor: u32) -> Vec<&'static str> {
        pss_checks(level, Version::v1(minor))
            .into_iter()
            .map(|r| match &r.kind {
                RuleKind::Pss(c) => c.id,
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
        assert_eq!(
            "pss-restricted@v1.99"
                .parse::<Selection>()
                .expect("valid")
                .version
                .effective_minor(),
            37
        );
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
