//! The DISA Kubernetes STIG on node facts and control-plane static pods.
//!
//! The rules are data (`k8s_stig.yaml`, compiled in) in the CIS table's format, read by the CIS
//! evaluator (`cis.rs`) with the same flag, default and status semantics. A rule that asks
//! exactly what a CIS check asks names that check (`cis:`) and is decided by it: its results
//! carry the CIS check's code and message, under the STIG control, so that a scan selecting
//! both benchmarks reports one finding with both controls (as a manifest rule several
//! benchmarks map is reported once). The rules decided on workload manifests are rows of
//! `manifest_controls.yaml` (benchmark `k8s-stig`).

use std::sync::OnceLock;

use crate::benchmarks::cis::{self, CheckDef, CisVersion, Outcome};
use crate::facts::argv::Flag;
use crate::facts::plan::{Component, NodeView};
use crate::rules::Severity;

/// The release a bare `k8s-stig` selects (Version 2, Release 4): see [`StigVersion::DEFAULT`].
pub const VERSION: &str = "v2r4";

/// The run label results of the default release carry.
pub const LABEL: &str = "k8s-stig@v2r4";

/// A release of the STIG whose complete rule list was verified (`docs/k8s-stig.md` says
/// against which sources). A row of `k8s_stig.yaml` with `only:` exists in the releases it
/// names; the others exist in every release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StigVersion {
    /// Version 2, Release 4: 94 rules.
    V2r4,
    /// Version 2, Release 6 (benchmark date 1 April 2026): 92 rules, V2R4's without V-242386
    /// and V-242388 (the API server's insecure port and bind address, flags Kubernetes
    /// removed in 1.24).
    V2r6,
}

impl StigVersion {
    /// Every verified release, oldest first.
    pub const ALL: &'static [StigVersion] = &[StigVersion::V2r4, StigVersion::V2r6];

    /// What a bare `k8s-stig` selects: the release existing reports were built with.
    pub const DEFAULT: StigVersion = StigVersion::V2r4;

    /// What `k8s-stig@latest` selects: the newest verified release.
    pub const NEWEST: StigVersion = StigVersion::V2r6;

    /// `v2r4`: the version after `@` and in `only:` lists.
    pub fn label(self) -> &'static str {
        match self {
            StigVersion::V2r4 => "v2r4",
            StigVersion::V2r6 => "v2r6",
        }
    }

    /// `k8s-stig@v2r4`: the run label its results carry.
    pub fn run_label(self) -> &'static str {
        match self {
            StigVersion::V2r4 => "k8s-stig@v2r4",
            StigVersion::V2r6 => "k8s-stig@v2r6",
        }
    }

    /// The run's title.
    pub fn title(self) -> &'static str {
        match self {
            StigVersion::V2r4 => "DISA Kubernetes STIG (V2R4)",
            StigVersion::V2r6 => "DISA Kubernetes STIG (V2R6)",
        }
    }

    /// `Version 2, Release 4`.
    pub fn release(self) -> &'static str {
        match self {
            StigVersion::V2r4 => "Version 2, Release 4",
            StigVersion::V2r6 => "Version 2, Release 6",
        }
    }

    /// `latest`, `v2r6`, `V2R6` or `2r6`; `None` for a release that is not verified.
    pub fn parse(text: &str) -> Option<StigVersion> {
        if text.eq_ignore_ascii_case("latest") {
            return Some(StigVersion::NEWEST);
        }
        let lower = text.to_ascii_lowercase();
        let bare = lower.strip_prefix('v').unwrap_or(&lower);
        StigVersion::ALL
            .iter()
            .copied()
            .find(|v| v.label().get(1..) == Some(bare))
    }

    /// The verified releases, for messages: `v2r4 (Version 2, Release 4), v2r6 (...)`.
    pub fn known() -> String {
        StigVersion::ALL
            .iter()
            .map(|v| format!("{} ({})", v.label(), v.release()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a row exists in a release (`only:` empty, or naming it).
pub fn in_release(row: &CheckDef, version: StigVersion) -> bool {
    row.only.is_empty() || row.only.iter().any(|v| v == version.label())
}

/// The releases a row exists in.
pub fn releases_of(row: &CheckDef) -> Vec<StigVersion> {
    StigVersion::ALL
        .iter()
        .copied()
        .filter(|v| in_release(row, *v))
        .collect()
}

/// The rows of one release.
pub fn checks_in(version: StigVersion) -> impl Iterator<Item = &'static CheckDef> {
    checks().iter().filter(move |row| in_release(row, version))
}

/// The STIG's rules on nodes and static pods (parsed once from the compiled-in data).
pub fn checks() -> &'static [CheckDef] {
    static CHECKS: OnceLock<Vec<CheckDef>> = OnceLock::new();
    CHECKS.get_or_init(|| parse_checks().unwrap_or_default())
}

/// Parses the compiled-in data; a unit test makes sure it does.
pub(crate) fn parse_checks() -> Result<Vec<CheckDef>, String> {
    cis::parse_check_data("k8s_stig.yaml", include_str!("k8s_stig.yaml"))
}

/// The STIG severity category of a Stockade severity: CAT I is `high`, CAT II `medium`,
/// CAT III `low` (the words DISA's XCCDF uses for them).
pub fn category(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "CAT I",
        Severity::Medium => "CAT II",
        Severity::Low => "CAT III",
    }
}

/// The category of a STIG control (`V-242378`), on nodes or manifests.
pub fn category_of(id: &str) -> Option<&'static str> {
    checks()
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.severity)
        .or_else(|| {
            crate::benchmarks::manifest::controls()
                .iter()
                .find(|c| c.benchmark == "k8s-stig" && c.id == id)
                .and_then(|c| c.severity)
        })
        .map(category)
}

/// The check that decides a rule: the CIS check it names (at `version`), or the row itself.
pub fn implementation(row: &'static CheckDef, version: CisVersion) -> Option<&'static CheckDef> {
    match &row.cis {
        Some(id) => cis::checks()
            .iter()
            .find(|c| &c.id == id && c.in_version(version)),
        None => Some(row),
    }
}

/// Evaluates every rule of the default release on a node: each STIG row, the check that
/// decided it, its outcome.
pub fn evaluate_node(
    view: &NodeView<'_>,
    version: CisVersion,
) -> Vec<(&'static CheckDef, &'static CheckDef, Outcome)> {
    evaluate_node_in(view, version, StigVersion::DEFAULT)
}

/// Evaluates every rule of a release on a node (CIS-decided rules at CIS `version`).
pub fn evaluate_node_in(
    view: &NodeView<'_>,
    version: CisVersion,
    release: StigVersion,
) -> Vec<(&'static CheckDef, &'static CheckDef, Outcome)> {
    checks_in(release)
        .filter_map(|row| {
            let check = implementation(row, version)?;
            Some((row, check, cis::evaluate_check(check, view)))
        })
        .collect()
}

/// Evaluates the flag rules of the default release on a component whose command line is known
/// but whose node is not (a static pod manifest scanned as a file).
pub fn evaluate_command(
    component: Component,
    flags: &[Flag],
    version: CisVersion,
) -> Vec<(&'static CheckDef, &'static CheckDef, Outcome)> {
    evaluate_command_in(component, flags, version, StigVersion::DEFAULT)
}

/// Evaluates the flag rules of a release on a component's command line.
pub fn evaluate_command_in(
    component: Component,
    flags: &[Flag],
    version: CisVersion,
    release: StigVersion,
) -> Vec<(&'static CheckDef, &'static CheckDef, Outcome)> {
    checks_in(release)
        .filter_map(|row| Some((row, implementation(row, version)?)))
        .flat_map(|(row, check)| {
            cis::evaluate_command_checks(std::iter::once(check), component, flags)
                .into_iter()
                .map(move |(check, outcome)| (row, check, outcome))
        })
        .collect()
}

/// A STIG rule by Vuln ID (`V-242378`, `STIG-V-242378`) or rule version (`CNTR-K8-000170`):
/// its rows (several when it covers several components or files).
pub fn find(key: &str) -> Vec<&'static CheckDef> {
    let upper = key.to_ascii_uppercase();
    let id = upper.strip_prefix("STIG-").unwrap_or(&upper);
    checks()
        .iter()
        .filter(|c| c.id == id || c.stig.as_deref() == Some(id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_parses_with_stig_ids_and_categories() {
        let rows = parse_checks().expect("k8s_stig.yaml is valid");
        assert!(rows.len() >= 90, "{}", rows.len());
        let vuln = regex_lite::Regex::new("^V-2[0-9]{5}$").expect("regex");
        let version = regex_lite::Regex::new("^CNTR-K8-[0-9]{6}$").expect("regex");
        for r in &rows {
            assert!(vuln.is_match(&r.id), "{}", r.id);
            assert!(
                r.stig.as_deref().is_some_and(|v| version.is_match(v)),
                "{}",
                r.id
            );
            assert_ne!(
                r.severity,
                Severity::Critical,
                "{}: CAT I maps to high",
                r.id
            );
            assert!(
                r.only
                    .iter()
                    .all(|v| StigVersion::ALL.iter().any(|k| k.label() == v)),
                "{}: `only` names verified releases: {:?}",
                r.id,
                r.only
            );
            let ways = usize::from(r.cis.is_some())
                + usize::from(r.test.is_some())
                + usize::from(r.files.is_some())
                + usize::from(r.manual.is_some())
                + usize::from(!r.disabled_services.is_empty());
            assert_eq!(
                ways, 1,
                "{}: exactly one of cis, test, files, disabledServices, manual",
                r.id
            );
            // Rows of one rule agree on its rule version and category.
            for other in rows.iter().filter(|o| o.id == r.id) {
                assert_eq!(
                    (&other.stig, other.severity),
                    (&r.stig, r.severity),
                    "{}",
                    r.id
                );
            }
            // A rule version names one rule.
            assert!(
                rows.iter()
                    .filter(|o| o.stig == r.stig)
                    .all(|o| o.id == r.id),
                "{:?}",
                r.stig
            );
        }
    }

    /// A rule decided by a CIS check names one that exists in every CIS version with the same
    /// component, so that its verdict and message do not depend on the CIS version picked.
    #[test]
    fn every_cis_reference_resolves_in_every_version() {
        for row in parse_checks().expect("valid") {
            let Some(id) = &row.cis else { continue };
            let defs: Vec<&CheckDef> = cis::checks().iter().filter(|c| &c.id == id).collect();
            assert_eq!(
                defs.len(),
                1,
                "{}: CIS {id} must be one row for all versions",
                row.id
            );
            for def in defs {
                assert!(def.only.is_empty(), "{}: CIS {id}", row.id);
                assert_eq!(def.component, row.component, "{}: CIS {id}", row.id);
                assert!(
                    def.test.is_some() || def.files.is_some(),
                    "{}: CIS {id}",
                    row.id
                );
            }
        }
    }

    #[test]
    fn categories() {
        assert_eq!(category_of("V-242390"), Some("CAT I"));
        assert_eq!(category_of("V-242378"), Some("CAT II"));
        assert_eq!(category_of("V-242415"), Some("CAT I"));
        assert_eq!(category_of("V-242417"), Some("CAT II"));
        assert_eq!(category_of("V-1"), None);
        // Every manifest-level STIG control has a category.
        for c in crate::benchmarks::manifest::controls()
            .iter()
            .filter(|c| c.benchmark == "k8s-stig")
        {
            assert!(
                c.severity.is_some_and(|s| s != Severity::Critical),
                "{}",
                c.id
            );
            assert!(
                find(&c.id).is_empty(),
                "{} is both a node and a manifest rule",
                c.id
            );
        }
    }

    #[test]
    fn finds_rules_by_vuln_id_and_rule_version() {
        assert_eq!(find("V-242378").len(), 1);
        assert_eq!(find("stig-v-242378").len(), 1);
        assert_eq!(
            find("CNTR-K8-000170").first().map(|c| c.id.as_str()),
            Some("V-242378")
        );
        assert_eq!(find("V-242408").len(), 4);
        assert!(find("V-999999").is_empty());
    }
}
