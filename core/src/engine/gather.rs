//! Stage 1, gather: the report's frame (the benchmarks selected, the plugins that ran), plugin
//! findings sorted by the object they are about, and the input files sorted by what they hold:
//! manifests (stage 2), node facts (stage 4) and image reports, which are read here so that
//! each workload is checked against the reports of the images it runs.

use std::collections::BTreeMap;

use super::{Input, Options, VERSION};
use crate::benchmarks::{BenchmarkVersion, Selection};
use crate::facts::looks_like_facts;
use crate::images::{ImageReport, Target};
use crate::input::SourceFile;
use crate::plugins::{PluginFinding, PluginRule, PluginRun, Unplaced};
use crate::report::{
    BenchmarkRun, CheckResult, InputError, InputSummary, Report, SCHEMA_VERSION, Summary, Tool,
};
use crate::rules::manifest::Images;

/// The benchmarks to run, each once, in the order given ([`Selection::defaults`] when none is).
pub(super) fn selections(options: &Options) -> Vec<Selection> {
    if options.benchmarks.is_empty() {
        return Selection::defaults();
    }
    let mut unique = Vec::new();
    for s in &options.benchmarks {
        if !unique.contains(s) {
            unique.push(*s);
        }
    }
    unique
}

/// An empty report that names the tool, the selected benchmarks and the plugins that ran, and
/// keeps the caller's input errors.
pub(super) fn new_report(selections: &[Selection], input: &Input<'_>) -> Report {
    let mut benchmarks: Vec<BenchmarkRun> = selections
        .iter()
        .map(|s| BenchmarkRun {
            id: s.to_string(),
            title: s.title().to_owned(),
            version: match s.version {
                BenchmarkVersion::Pss(v) => v.label(),
                BenchmarkVersion::Cis(Some(v)) => v.label().to_owned(),
                BenchmarkVersion::Cis(None) => "auto".to_owned(),
                BenchmarkVersion::Single => {
                    s.benchmark.single_version().unwrap_or_default().to_owned()
                }
                BenchmarkVersion::UbuntuLevel(l) => super::nodes::ubuntu_version_label(l),
                BenchmarkVersion::Stig(v) => v.label().to_owned(),
            },
            effective_version: match s.version {
                BenchmarkVersion::Pss(v) => format!("v1.{}", v.effective_minor()),
                BenchmarkVersion::Cis(Some(v)) => v.label().to_owned(),
                BenchmarkVersion::Cis(None) => {
                    "per node, from its Kubernetes version; 1.12 for manifests".to_owned()
                }
                BenchmarkVersion::Single => {
                    s.benchmark.single_version().unwrap_or_default().to_owned()
                }
                BenchmarkVersion::UbuntuLevel(l) => super::nodes::ubuntu_version_label(l),
                BenchmarkVersion::Stig(v) => v.label().to_owned(),
            },
        })
        .collect();
    benchmarks.extend(input.plugins.iter().map(PluginRun::benchmark));
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "stockade".to_owned(),
            version: VERSION.to_owned(),
        },
        benchmarks,
        inputs: Vec::new(),
        results: Vec::new(),
        admission: Vec::new(),
        errors: input.errors.clone(),
        owned: Vec::new(),
        plugins: input.plugins.iter().map(|p| p.info.clone()).collect(),
        scores: Vec::new(),
        summary: Summary::default(),
        fleet: None,
    }
}

/// One plugin finding with the index of its plugin and the rule it reports.
pub(super) type PlacedFinding<'a> = (usize, &'a PluginFinding, &'a PluginRule);

/// What the plugins found: by the object it is about (its index in input order), and what
/// cannot be placed.
pub(super) struct PluginFindings<'a> {
    pub(super) by_resource: BTreeMap<u32, Vec<PlacedFinding<'a>>>,
    unplaced: Unplaced,
}

/// Sorts the plugins' findings by object; a plugin that failed is one error result.
pub(super) fn plugin_findings<'a>(input: &'a Input<'_>, report: &mut Report) -> PluginFindings<'a> {
    let mut out = PluginFindings {
        by_resource: BTreeMap::new(),
        // Findings that cannot be placed: one error result per plugin and cause, with a count.
        unplaced: Unplaced::default(),
    };
    for (p, run) in input.plugins.iter().enumerate() {
        match &run.outcome {
            Ok(findings) => {
                let rules = run.rules_by_code();
                for f in findings {
                    match run.rule_of(f, &rules) {
                        Err((kind, detail)) => out.unplaced.add(p, kind, || detail),
                        Ok(rule) => out
                            .by_resource
                            .entry(f.resource)
                            .or_default()
                            .push((p, f, rule)),
                    }
                }
            }
            Err(message) => report.results.push(run.error_result(message)),
        }
    }
    out
}

impl PluginFindings<'_> {
    /// Once the objects are counted: a finding about an object the input does not have is
    /// unplaced, and every unplaced cause becomes one error result in `out`.
    pub(super) fn place(&mut self, objects: usize, input: &Input<'_>, out: &mut Vec<CheckResult>) {
        let misplaced = self
            .by_resource
            .split_off(&u32::try_from(objects).unwrap_or(u32::MAX));
        for (index, findings) in misplaced {
            for (p, finding, _) in findings {
                self.unplaced.add(p, "resource", || {
                    format!(
                        "reported {} on resource {index}, but the input has {objects} resources",
                        finding.rule
                    )
                });
            }
        }
        out.extend(std::mem::take(&mut self.unplaced).results(&input.plugins));
    }
}

/// The input files by what they hold.
pub(super) struct Files<'i, 'a> {
    /// Manifests, in input order.
    pub(super) manifests: Vec<&'i SourceFile<'a>>,
    /// Node facts documents found among the manifests (e.g. in a scanned directory).
    pub(super) facts: Vec<&'i SourceFile<'a>>,
    /// Container image reports, read.
    pub(super) images: Images,
    /// Scans of a host's operating system, judged with the node facts they link to.
    pub(super) os_scans: Vec<ImageReport>,
}

/// Sorts the files and reads the image reports (SBOMs, vulnerability scans) among them.
pub(super) fn sort_files<'i, 'a>(
    input: &'i Input<'a>,
    options: &Options,
    report: &mut Report,
) -> Files<'i, 'a> {
    // A node facts document found among the manifests is evaluated as facts.
    let (facts, manifests): (Vec<&SourceFile<'_>>, Vec<&SourceFile<'_>>) =
        input.files.iter().partition(|f| looks_like_facts(f.text));
    let (image_files, manifests): (Vec<&SourceFile<'_>>, Vec<&SourceFile<'_>>) = manifests
        .into_iter()
        .partition(|f| crate::images::detect(f.text).is_some());
    let mut files = Files {
        manifests,
        facts,
        images: Images {
            reports: Vec::new(),
            now: options.policy.now,
        },
        os_scans: Vec::new(),
    };
    for file in image_files {
        let Some(format) = crate::images::detect(file.text) else {
            continue;
        };
        match crate::images::parse(file.name, file.text, format, options.limits) {
            Ok(parsed) => {
                report.inputs.push(InputSummary {
                    file: file.name.to_owned(),
                    documents: 1,
                    resources: 1,
                });
                match &parsed.target {
                    Target::ContainerImage => files.images.reports.push(parsed),
                    // Judged with the node facts it is linked to (`benchmarks::os_scan`).
                    Target::HostOs => files.os_scans.push(parsed),
                    Target::Other(what) => {
                        report.errors.push(not_judged(&parsed, what));
                    }
                }
            }
            Err(e) => report.errors.push(e),
        }
    }
    files
}

/// A report about something other than a container image: recognised, and said not to be judged.
pub(super) fn not_judged(report: &ImageReport, what: &str) -> InputError {
    InputError::at(
        &report.file,
        report.pos(),
        crate::report::ErrorLevel::Warning,
        format!(
            "{}: describes {what}; the image rules judge container images only, so it is not judged",
            report.format.name()
        ),
    )
}
