//! The report: every result, every input error, admission verdicts and a summary.
//!
//! The JSON form of [`Report`] is a stable contract (see `docs/json-report.md`): fields are only ever
//! added, never renamed or removed, within a `schemaVersion`.

pub mod fix;
pub mod fleet;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod score;
pub mod text;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::vocab::{Control, ErrorLevel, InputError, Location, ResourceRef, Status};
use crate::vocab::{Level, Severity};

/// Text for a terminal or a document, with every control character (C0, DEL, C1, so ESC, CR,
/// BS and newlines too) and every bidirectional override written as a visible escape (`\x1b`,
/// `\n`, `\u{202e}`): input (a manifest's names, a plugin's messages) can neither move the
/// cursor, recolour the terminal nor start a line that looks like Stockade's own.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) && (c as u32) < 0x100 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The JSON contract's version.
pub const SCHEMA_VERSION: u32 = 1;

/// What Stockade found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Version of this report format.
    pub schema_version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The benchmarks evaluated, as selected.
    pub benchmarks: Vec<BenchmarkRun>,
    /// The inputs read.
    pub inputs: Vec<InputSummary>,
    /// One result per (benchmark, rule, resource) that passed, and one per violation that failed.
    pub results: Vec<CheckResult>,
    /// What Pod Security Admission would do with each workload in a namespace of the input that
    /// carries `pod-security.kubernetes.io/*` labels.
    pub admission: Vec<AdmissionVerdict>,
    /// Problems with the input, each with its location.
    pub errors: Vec<InputError>,
    /// Objects read back from a cluster whose controller is in the input too: their results
    /// that repeat the controller's are reported once, on the controller, and counted here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned: Vec<Folded>,
    /// The rule plugins that ran, with their rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginInfo>,
    /// Compliance scores per benchmark run and section.
    #[serde(default)]
    pub scores: Vec<score::BenchmarkScore>,
    /// Counts.
    pub summary: Summary,
    /// When more than one node's facts are scanned: per check and per node, and by role and
    /// version (see [`fleet`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<fleet::Fleet>,
}

/// Name and version of the engine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tool {
    /// `stockade`
    pub name: String,
    /// The engine's version.
    pub version: String,
}

/// A benchmark that was evaluated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkRun {
    /// `pss-baseline@v1.23`, as results refer to it.
    pub id: String,
    /// Human title.
    pub title: String,
    /// The version asked for (`latest`, `v1.23`).
    pub version: String,
    /// The version evaluated (`v1.37` for `latest` or anything newer than known).
    pub effective_version: String,
}

/// One input file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InputSummary {
    /// The file name as given.
    pub file: String,
    /// YAML documents in it.
    pub documents: usize,
    /// Kubernetes objects in it.
    pub resources: usize,
}

/// One result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// Rule code (`PSS102`).
    pub rule: SmolStr,
    /// Rule name (`allow-privilege-escalation`).
    pub name: SmolStr,
    /// pass, fail, ...
    pub status: Status,
    /// Severity of the rule.
    pub severity: Severity,
    /// The benchmark run this result belongs to (`pss-restricted@latest`).
    pub benchmark: SmolStr,
    /// The controls the rule implements.
    pub controls: Arc<[Control]>,
    /// The object.
    pub resource: Arc<ResourceRef>,
    /// The container at fault, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<SmolStr>,
    /// The offending field (or its closest existing parent); the object itself for a pass.
    pub location: Location,
    /// JSON pointer to the same place, from the object's root.
    pub pointer: SmolStr,
    /// What is wrong (or what was checked, for a pass).
    pub message: SmolStr,
    /// How to fix it (empty for a pass).
    #[serde(default, skip_serializing_if = "SmolStr::is_empty")]
    pub remediation: SmolStr,
    /// What a node check compared (`expected`, `actual`, `source`, written as fields of the
    /// result). Boxed: most results have none, and a large report has hundreds of thousands.
    #[serde(flatten, default, deserialize_with = "NodeEvidence::if_any")]
    pub evidence: Option<Box<NodeEvidence>>,
    /// Why the result is `exempt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Box<ExemptionNote>>,
    /// With `--baseline`: whether a failing result is `new` or was already in the baseline
    /// (`unchanged`). Unchanged results do not fail the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    /// The change that makes a failing result pass, when it is mechanical (see
    /// the `fix` module): text edits on the file and a JSON Patch on the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Box<fix::Fix>>,
}

/// What a node check compared, and where the value came from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NodeEvidence {
    /// What the benchmark expects (node checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What was found (node checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Where the value came from: a flag, a config file and key, the environment or a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl NodeEvidence {
    /// The evidence of a result, `None` when it has none of the three.
    pub fn of(
        expected: Option<String>,
        actual: Option<String>,
        source: Option<String>,
    ) -> Option<Box<NodeEvidence>> {
        let evidence = NodeEvidence {
            expected,
            actual,
            source,
        };
        (evidence != NodeEvidence::default()).then(|| Box::new(evidence))
    }

    /// Reads the flattened fields; a result without any has no evidence (not an empty one), so
    /// that a report read back equals the one written.
    fn if_any<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Box<NodeEvidence>>, D::Error> {
        let evidence = Option::<NodeEvidence>::deserialize(deserializer)?.unwrap_or_default();
        Ok(NodeEvidence::of(
            evidence.expected,
            evidence.actual,
            evidence.source,
        ))
    }
}

/// The exemption that applies to a result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExemptionNote {
    /// The justification.
    pub reason: String,
    /// Where it is written (`stockade.yaml:12`, `annotation stockade.dev/exempt of ...`).
    pub source: String,
    /// Its last day, if it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The status it would have without the exemption.
    pub status: Status,
}

/// Whether a result is new relative to a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// Already in the baseline.
    Unchanged,
}

/// The Pod Security Admission mode a namespace label sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AdmissionMode {
    /// Violating pods are rejected.
    Enforce,
    /// Violations are recorded in the audit log.
    Audit,
    /// Violations are returned as warnings to the client.
    Warn,
}

impl AdmissionMode {
    /// The label suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionMode::Enforce => "enforce",
            AdmissionMode::Audit => "audit",
            AdmissionMode::Warn => "warn",
        }
    }
}

/// What PSA would do with one workload in a labelled namespace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdmissionVerdict {
    /// The namespace.
    pub namespace: String,
    /// The mode label.
    pub mode: AdmissionMode,
    /// The level the namespace sets.
    pub level: Level,
    /// The version the namespace sets (`latest` when absent).
    pub version: String,
    /// The workload.
    pub resource: ResourceRef,
    /// Where the workload is.
    pub location: Location,
    /// Whether PSA allows it.
    pub allowed: bool,
    /// What happens: `rejected` (a Pod under enforce), `podsRejected` (a workload under
    /// enforce: it is admitted with a warning but its pods are rejected), `warning`, `audit`,
    /// or `allowed`.
    pub effect: String,
    /// PSA's message, e.g. `violates PodSecurity "restricted:latest": ...` (empty if allowed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Input files read.
    pub files: usize,
    /// Kubernetes objects read.
    pub resources: usize,
    /// Results that passed.
    pub pass: usize,
    /// Results that failed.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Results that need a person.
    pub manual: usize,
    /// Skipped results.
    pub skip: usize,
    /// Results that could not be evaluated.
    pub error: usize,
    /// Results accepted by an exemption.
    #[serde(default)]
    pub exempt: usize,
    /// Failing results already in the baseline (with `--baseline`).
    #[serde(default)]
    pub unchanged: usize,
    /// Input errors (parts of the input lost).
    pub input_errors: usize,
    /// Input warnings.
    pub input_warnings: usize,
    /// Workloads PSA would reject (enforce mode) in the namespaces of the input.
    pub admission_denied: usize,
}

impl Summary {
    /// The counts after passed and failed that are not zero, with what they count, in the
    /// order the human formats print them (`12 warnings`, `3 input errors`).
    pub fn other_counts(&self) -> Vec<(usize, &'static str)> {
        [
            (self.warn, "warnings"),
            (self.manual, "manual"),
            (self.skip, "skipped"),
            (self.error, "check errors"),
            (self.exempt, "exempt"),
            (self.unchanged, "in the baseline"),
            (self.input_errors, "input errors"),
            (self.input_warnings, "input warnings"),
            (self.admission_denied, "rejected at admission"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .collect()
    }
}

impl Report {
    /// Recomputes the summary from the results and errors.
    pub fn summarize(&mut self) {
        let mut s = Summary {
            files: self.inputs.len(),
            resources: self.inputs.iter().map(|i| i.resources).sum(),
            ..Summary::default()
        };
        for r in &self.results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Warn => s.warn += 1,
                Status::Manual => s.manual += 1,
                Status::Skip => s.skip += 1,
                Status::Error => s.error += 1,
                Status::Exempt => s.exempt += 1,
            }
            if r.baseline_state == Some(BaselineState::Unchanged) {
                s.unchanged += 1;
            }
        }
        s.input_errors = self.errors.iter().filter(|e| e.is_error()).count();
        s.input_warnings = self.errors.len() - s.input_errors;
        s.admission_denied = self
            .admission
            .iter()
            .filter(|v| v.mode == AdmissionMode::Enforce && !v.allowed)
            .count();
        self.summary = s;
        let runs: Vec<String> = self.benchmarks.iter().map(|b| b.id.clone()).collect();
        self.scores = score::scores(&runs, &self.results);
        if let Some(fleet) = &mut self.fleet {
            fleet.tally(&self.results);
        }
    }

    /// The exit code the CLI uses: 2 if input was lost, 1 if anything failed, else 0.
    pub fn exit_code(&self) -> i32 {
        self.gate(&Gate::default())
    }

    /// The exit code under gates: 2 if input was lost; 1 if a failing (or unevaluable) result
    /// reaches `fail_on` (any severity when unset) or a benchmark scores below `min_score`;
    /// else 0.
    pub fn gate(&self, gate: &Gate) -> i32 {
        if self.summary.input_errors > 0 {
            return 2;
        }
        let failing = self.results.iter().any(|r| {
            matches!(r.status, Status::Fail | Status::Error)
                && r.baseline_state != Some(BaselineState::Unchanged)
                && gate.fail_on.is_none_or(|min| r.severity >= min)
        });
        let low_score = gate
            .min_score
            .is_some_and(|min| self.scores.iter().any(|s| s.score < min));
        if failing || low_score { 1 } else { 0 }
    }
}

impl Report {
    /// Marks each failing result (`fail`, `warn`, `error`) as `new` or `unchanged` relative to
    /// an earlier report, and recomputes the summary. Results are matched by benchmark family,
    /// rule, resource, container, JSON pointer and message, not by line, so that edits elsewhere
    /// in a file do not make old findings look new.
    pub fn apply_baseline(&mut self, previous: &Report) {
        let key = |r: &CheckResult| {
            (
                r.benchmark.split('@').next().unwrap_or_default().to_owned(),
                r.rule.clone(),
                r.resource.clone(),
                r.container.clone(),
                r.pointer.clone(),
                r.message.clone(),
            )
        };
        let mut known: Vec<_> = previous
            .results
            .iter()
            .filter(|r| {
                r.status.is_problem() || r.exemption.as_ref().is_some_and(|e| e.status.is_problem())
            })
            .map(key)
            .collect();
        known.sort();
        for r in &mut self.results {
            if r.status.is_problem() {
                r.baseline_state = Some(if known.binary_search(&key(r)).is_ok() {
                    BaselineState::Unchanged
                } else {
                    BaselineState::New
                });
            }
        }
        self.summarize();
    }
}

/// One finding as people read it: the same verdict on the same field, whichever benchmark runs
/// reported it (a privileged container fails PSS restricted, CIS 5.2.2 and NSA/CISA alike).
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The first result (rule, location, message, status, severity as the first run saw it).
    pub first: &'a CheckResult,
    /// Every result of the finding, one per benchmark run, in report order.
    pub runs: Vec<&'a CheckResult>,
}

impl Finding<'_> {
    /// The benchmark runs that reported it, joined: `pss-restricted@latest, cis-k8s@1.12`.
    pub fn benchmarks(&self) -> String {
        self.runs
            .iter()
            .map(|r| r.benchmark.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The runs that reported it, for a reader: as [`Finding::benchmarks`], but the DISA STIG's
    /// run is named once, with the rules it maps there (`cis-k8s@1.12, k8s-stig@v2r4 (V-242405,
    /// V-242444)`): its control ids are what a STIG reader looks for, and several STIG rules can
    /// be decided by one check.
    pub fn runs(&self) -> String {
        let mut parts: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in &self.runs {
            let label = r.benchmark.as_str();
            if !label.starts_with("k8s-stig") {
                parts.push((label, Vec::new()));
                continue;
            }
            let ids = r.controls.iter().map(|c| c.id.as_str());
            match parts.iter_mut().find(|(l, _)| *l == label) {
                Some((_, known)) => {
                    for id in ids {
                        if !known.contains(&id) {
                            known.push(id);
                        }
                    }
                }
                None => parts.push((label, ids.collect())),
            }
        }
        parts
            .iter()
            .map(|(label, ids)| {
                if ids.is_empty() {
                    (*label).to_owned()
                } else {
                    format!("{label} ({})", ids.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every control of every run (`cis-k8s@1.12:5.2.2`, `pss:privileged`), without repeats.
    pub fn controls(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.runs.iter().flat_map(|r| r.controls.iter()) {
            let id = format!("{}:{}", c.benchmark, c.id);
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }
}

impl Report {
    /// Results merged across benchmark runs: one [`Finding`] per rule, resource, place, message
    /// and status, in report order.
    pub fn findings(&self) -> Vec<Finding<'_>> {
        type Key<'k> = (
            &'k str,
            &'k str,
            u32,
            u32,
            &'k ResourceRef,
            Option<&'k str>,
            &'k str,
            &'k str,
            Status,
        );
        fn key(r: &CheckResult) -> Key<'_> {
            (
                r.rule.as_str(),
                r.location.file.as_str(),
                r.location.line,
                r.location.column,
                &r.resource,
                r.container.as_deref(),
                r.pointer.as_str(),
                r.message.as_str(),
                r.status,
            )
        }
        let mut out: Vec<Finding<'_>> = Vec::new();
        let mut at: std::collections::BTreeMap<Key<'_>, usize> = std::collections::BTreeMap::new();
        for r in &self.results {
            match at.get(&key(r)).and_then(|i| out.get_mut(*i)) {
                Some(f) => f.runs.push(r),
                None => {
                    at.insert(key(r), out.len());
                    out.push(Finding {
                        first: r,
                        runs: vec![r],
                    });
                }
            }
        }
        out
    }
}

/// When a run fails (`--fail-on`, `--min-score`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gate {
    /// Fail only on failing results of this severity or worse (`None`: any failing result).
    pub fail_on: Option<Severity>,
    /// Fail when a benchmark scores below this percentage.
    pub min_score: Option<f64>,
}

impl Report {
    /// Renders in a named format: `text`, `json`, `sarif`, `junit`, `markdown`, `html`.
    pub fn render(&self, format: &str) -> Option<String> {
        Some(match format {
            "text" => text::render(self, text::TextOptions::default()),
            "json" => json::render(self),
            "sarif" => sarif::render(self),
            "junit" => junit::render(self),
            "markdown" | "md" => markdown::render(self),
            "html" => html::render(self),
            _ => return None,
        })
    }
}

/// A plugin as it appears in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PluginInfo {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The component file.
    pub file: String,
    /// Its rules.
    pub rules: Vec<PluginRule>,
}

/// One rule a plugin declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PluginRule {
    /// The code as the plugin writes it (`LBL001`); reports show `<plugin>/<code>`.
    pub code: String,
    /// One line.
    pub title: SmolStr,
    /// Severity of a failure.
    pub severity: Severity,
    /// What it checks (markdown).
    pub description: SmolStr,
    /// How to fix a failure.
    // Stored once, shared by every result of the rule (a clone of a `SmolStr` is a count).
    pub remediation: SmolStr,
    /// Benchmark controls (`benchmark`, `id`).
    pub controls: Vec<Control>,
}

/// The objects folded into one controller's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Folded {
    /// The controller (a Deployment, a CronJob, ...).
    pub owner: Arc<ResourceRef>,
    /// Its file.
    pub file: SmolStr,
    /// How many objects of each kind it controls in the input (`Pod`: 3, `ReplicaSet`: 1).
    pub objects: BTreeMap<SmolStr, usize>,
    /// How many of their results repeated the controller's and were folded.
    pub results: usize,
}

impl Folded {
    /// The objects folded in, in words: `2 Pods and 1 ReplicaSet`.
    pub fn describe_objects(&self) -> String {
        let parts: Vec<String> = self
            .objects
            .iter()
            .map(|(kind, n)| format!("{n} {kind}{}", if *n == 1 { "" } else { "s" }))
            .collect();
        match parts.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod escape_tests {
    use super::escape_controls;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert!(matches!(
            escape_controls("plain text, ünïcode"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\nstockade: x\x1b[2J\r\x08\x07\u{9b}\u{202e}\u{2066}\t"),
            r"a\nstockade: x\x1b[2J\r\x08\x07\x9b\u{202e}\u{2066}\t"
        );
    }
}
