//! Compliance scores: per benchmark run and per section.
//!
//! A control scores 100 when every resource passes it, otherwise the share of resources that
//! pass it (a resource passes a control when all of its results for that control pass). A
//! section or a benchmark scores the mean of its controls. Only decided results count: `manual`,
//! `skip` and `exempt` results are left out (an exemption is a recorded decision to accept the
//! finding; the report lists them), while `warn` and `error` count as not passed, since nothing
//! proved them compliant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CheckResult, Status};

/// The score of one benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkScore {
    /// The benchmark run (`pss-restricted@latest`, `cis-k8s@1.12`).
    pub benchmark: String,
    /// Compliance percentage, 0 to 100, one decimal.
    pub score: f64,
    /// Controls with at least one decided result.
    pub controls: usize,
    /// Controls every resource passes.
    pub controls_passed: usize,
    /// Per section (PSS: the level; CIS: the section, e.g. `1.2`).
    pub sections: Vec<SectionScore>,
}

/// The score of one section of a benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SectionScore {
    /// `baseline`, `restricted`, `1.1`, `4.2`, ...
    pub section: String,
    /// Compliance percentage, 0 to 100, one decimal.
    pub score: f64,
    /// Controls with at least one decided result.
    pub controls: usize,
    /// Controls every resource passes.
    pub controls_passed: usize,
}

/// The section a control belongs to.
fn section_of(control: &super::Control) -> &str {
    if let Some(level) = control.level {
        return level.as_str();
    }
    // The DISA STIG's sections are its severity categories (CAT I, II, III).
    if control.benchmark.starts_with("k8s-stig")
        && let Some(category) = crate::benchmarks::k8s_stig::category_of(&control.id)
    {
        return category;
    }
    // `5.1.1` -> `5.1`; `pod-security.non-root` -> `pod-security`; `LBL001` -> itself.
    let id = control.id.as_str();
    let Some(first) = id.find('.') else {
        return id;
    };
    let second = id
        .get(first + 1..)
        .and_then(|rest| rest.find('.'))
        .map(|i| first + 1 + i);
    id.get(..second.unwrap_or(first)).unwrap_or(id)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[derive(Default)]
struct Tally<'a> {
    /// resource (file, identity) -> passed all of its results so far
    resources: BTreeMap<(&'a str, &'a super::ResourceRef), bool>,
}

impl Tally<'_> {
    fn score(&self) -> f64 {
        let total = self.resources.len();
        let passed = self.resources.values().filter(|p| **p).count();
        if total == 0 {
            100.0
        } else {
            100.0 * passed as f64 / total as f64
        }
    }
}

fn mean_of(scores: &[f64]) -> f64 {
    if scores.is_empty() {
        100.0
    } else {
        scores.iter().sum::<f64>() / scores.len() as f64
    }
}

/// Scores the results of every benchmark run, in the order of `benchmarks`.
pub fn scores(benchmarks: &[String], results: &[CheckResult]) -> Vec<BenchmarkScore> {
    // benchmark -> section -> control -> tally, keyed by borrowed strings: a large report has
    // hundreds of thousands of results.
    let mut tree: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, Tally<'_>>>> = BTreeMap::new();
    for r in results {
        if matches!(r.status, Status::Manual | Status::Skip | Status::Exempt) {
            continue;
        }
        let resource = (r.location.file.as_str(), &*r.resource);
        let passed = r.status == Status::Pass;
        let sections = tree.entry(r.benchmark.as_str()).or_default();
        for control in r.controls.iter() {
            let tally = sections
                .entry(section_of(control))
                .or_default()
                .entry(control.id.as_str())
                .or_default();
            let entry = tally.resources.entry(resource).or_insert(true);
            *entry = *entry && passed;
        }
    }
    // Runs whose version is picked per node appear under their resolved ids: list those too.
    let mut order: Vec<String> = benchmarks.to_vec();
    for key in tree.keys() {
        if !order.iter().any(|b| b == key) {
            order.push((*key).to_owned());
        }
    }
    order
        .into_iter()
        .filter_map(|benchmark| {
            let sections = tree.get(benchmark.as_str())?;
            let mut all_controls = Vec::new();
            let mut passed_total = 0;
            let section_scores = sections
                .iter()
                .map(|(section, controls)| {
                    let scores: Vec<f64> = controls.values().map(Tally::score).collect();
                    let passed = scores.iter().filter(|s| **s >= 100.0).count();
                    passed_total += passed;
                    all_controls.extend(scores.iter().copied());
                    SectionScore {
                        section: (*section).to_owned(),
                        score: round1(mean_of(&scores)),
                        controls: scores.len(),
                        controls_passed: passed,
                    }
                })
                .collect();
            Some(BenchmarkScore {
                score: round1(mean_of(&all_controls)),
                controls: all_controls.len(),
                controls_passed: passed_total,
                sections: section_scores,
                benchmark,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Control, Location, ResourceRef};
    use crate::vocab::Severity;

    fn result(benchmark: &str, control: &str, resource: &str, status: Status) -> CheckResult {
        CheckResult {
            rule: control.into(),
            name: String::new().into(),
            status,
            severity: Severity::Low,
            benchmark: benchmark.into(),
            controls: std::sync::Arc::from([Control {
                benchmark: "cis-k8s".into(),
                id: control.into(),
                level: None,
            }]),
            resource: ResourceRef {
                api_version: "v1".into(),
                kind: "Node".into(),
                namespace: None,
                name: resource.into(),
            }
            .into(),
            container: None,
            location: Location {
                file: "f".into(),
                line: 1,
                column: 1,
                helm_source: None,
            },
            pointer: smol_str::SmolStr::default(),
            message: String::new().into(),
            remediation: String::new().into(),
            evidence: None,
            exemption: None,
            baseline_state: None,
            fix: None,
        }
    }

    #[test]
    fn controls_score_by_resource_and_benchmarks_by_mean_of_controls() {
        let b = "cis-k8s@1.12";
        let results = vec![
            result(b, "1.2.1", "a", Status::Pass),
            result(b, "1.2.1", "b", Status::Fail),
            result(b, "1.2.2", "a", Status::Pass),
            result(b, "1.2.2", "b", Status::Pass),
            result(b, "4.2.1", "a", Status::Warn),
            result(b, "4.2.2", "a", Status::Manual),
            result(b, "4.2.3", "a", Status::Skip),
        ];
        let scores = scores(&[b.to_owned()], &results);
        assert_eq!(scores.len(), 1);
        let s = &scores[0];
        // 1.2.1: 50, 1.2.2: 100, 4.2.1: 0 (warn is not a pass); manual and skip left out.
        assert_eq!(s.controls, 3);
        assert_eq!(s.controls_passed, 1);
        assert_eq!(s.score, 50.0);
        assert_eq!(s.sections[0].section, "1.2");
        assert_eq!(s.sections[0].score, 75.0);
        assert_eq!(s.sections[1].section, "4.2");
        assert_eq!(s.sections[1].score, 0.0);
    }

    #[test]
    fn a_resource_with_one_failing_result_fails_the_control() {
        let b = "pss-baseline@latest";
        let results = vec![
            result(b, "privileged", "a", Status::Fail),
            result(b, "privileged", "a", Status::Pass),
        ];
        assert_eq!(scores(&[b.to_owned()], &results)[0].score, 0.0);
        assert!(scores(&[b.to_owned()], &[]).is_empty());
    }
}
