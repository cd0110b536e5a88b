//! The single entry point: text in, [`Report`] out.

use crate::benchmarks::cis::{self, CisVersion, Evidence};
use crate::benchmarks::manifest::ControlDef;
use crate::benchmarks::{Benchmark, BenchmarkVersion, Selection, pss_checks};
use crate::facts::plan::{CommandSource, Component, NodeView};
use crate::facts::stream::{Piece, Splitter};
use crate::facts::{FactsDocument, argv::parse_flags, parse_facts_at};
use crate::input::manifest::{Resource, parse_manifests};
use crate::input::pod::{Pod, decode_pod};
use crate::input::yaml::Limits;
use crate::policy::{Exemption, Policy, annotation_exemptions};
use crate::registry::RULES;
use crate::report::fleet::{Fleet, FleetNode, NodeRole};
use crate::report::{
    AdmissionMode, AdmissionVerdict, BenchmarkRun, CheckResult, Control, ErrorLevel, InputError,
    InputSummary, Location, NodeEvidence, Report, ResourceRef, SCHEMA_VERSION, Status, Summary,
    Tool,
};
use crate::rules::manifest::{Evaluator, Finding, Index, Subject};
use crate::rules::pss::{Level, Outcome, Version};
use crate::rules::{Rule, RuleKind};
use smol_str::SmolStr;
use std::sync::Arc;

/// One input file: its name (as the user should see it) and its text.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    /// The name shown in locations (a path, `<stdin>`, ...).
    pub name: &'a str,
    /// The content.
    pub text: &'a str,
}

/// Everything to evaluate.
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    /// Manifest files, in the order they should be reported.
    pub files: Vec<SourceFile<'a>>,
    /// Node facts documents (see [`crate::facts`]).
    pub facts: Vec<SourceFile<'a>>,
    /// Problems the caller met before evaluation (e.g. unreadable files); they are kept in the
    /// report so that nothing is lost silently.
    pub errors: Vec<InputError>,
    /// What rule plugins found (the CLI runs them on [`crate::plugins::plugin_resources`]).
    pub plugins: Vec<crate::plugins::PluginRun>,
}

/// How to evaluate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The benchmarks to run; empty means [`Selection::defaults`].
    pub benchmarks: Vec<Selection>,
    /// Bounds on each YAML document.
    pub limits: Limits,
    /// Selection, severities, settings, exemptions, gates.
    pub policy: Policy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            benchmarks: Selection::defaults(),
            limits: Limits::default(),
            policy: Policy::default(),
        }
    }
}

/// The engine's version, as reports state it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the engine runs independent jobs (one a manifest file: parsing it and evaluating its
/// objects). The core never starts a thread; a host that can passes an executor that does (the
/// CLI uses every core). Results are merged in input order, so the report is byte-identical
/// whichever executor ran the jobs and in whatever order they finished.
pub trait Executor: Sync {
    /// Calls `job(0)` to `job(count - 1)`, each once, in any order, on any threads, and returns
    /// when all have returned. A job that is not run is run afterwards by the engine itself, so
    /// a faulty executor costs time, never results.
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync));
}

/// Runs the jobs one after the other on the calling thread (WebAssembly, and [`evaluate`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Executor for Sequential {
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in 0..count {
            job(i);
        }
    }
}

/// Evaluates manifests against the selected benchmarks. Never fails and never panics on input:
/// problems are reported as input errors, and everything readable is still evaluated.
pub fn evaluate(input: &Input<'_>, options: &Options) -> Report {
    evaluate_with(input, options, &Sequential)
}

/// [`evaluate`], with the manifest files scanned by `executor` (in parallel, if it can).
pub fn evaluate_with(input: &Input<'_>, options: &Options, executor: &dyn Executor) -> Report {
    evaluate_stream(input, options, executor, &mut std::iter::empty())
}

/// How many nodes' facts documents are evaluated at once: enough to keep every core busy, few
/// enough that a stream of thousands never has more than these documents' text in memory.
const NODE_BATCH: usize = 64;

/// [`evaluate_with`], with more node facts documents read from `facts` after those of `input`,
/// one batch at a time (see [`crate::facts::stream`]): a host streaming a fleet's facts never
/// holds more than a batch of documents, only their results.
pub fn evaluate_stream(
    input: &Input<'_>,
    options: &Options,
    executor: &dyn Executor,
    facts: &mut dyn Iterator<Item = Piece>,
) -> Report {
    let selections: Vec<Selection> = if options.benchmarks.is_empty() {
        Selection::defaults()
    } else {
        let mut unique = Vec::new();
        for s in &options.benchmarks {
            if !unique.contains(s) {
                unique.push(*s);
            }
        }
        unique
    };
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "stockade".to_owned(),
            version: VERSION.to_owned(),
        },
        benchmarks: selections
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
                    BenchmarkVersion::UbuntuLevel(l) => ubuntu_version_label(l),
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
                    BenchmarkVersion::UbuntuLevel(l) => ubuntu_version_label(l),
                },
            })
            .collect(),
        inputs: Vec::new(),
        results: Vec::new(),
        admission: Vec::new(),
        errors: input.errors.clone(),
        owned: Vec::new(),
        plugins: Vec::new(),
        scores: Vec::new(),
        summary: Summary::default(),
        fleet: None,
    };

    let runs = manifest_runs(&selections, &options.policy.filter);
    report.benchmarks.extend(
        input
            .plugins
            .iter()
            .map(crate::plugins::PluginRun::benchmark),
    );
    report.plugins = input.plugins.iter().map(|p| p.info.clone()).collect();
    // Plugin findings by the resource they are about (its index in input order).
    #[allow(clippy::type_complexity)]
    let mut plugin_findings: std::collections::BTreeMap<
        u32,
        Vec<(
            usize,
            &crate::plugins::PluginFinding,
            &crate::plugins::PluginRule,
        )>,
    > = std::collections::BTreeMap::new();
    // Findings that cannot be placed: one error result per plugin and cause, with a count.
    let mut unplaced = crate::plugins::Unplaced::default();
    for (p, run) in input.plugins.iter().enumerate() {
        match &run.outcome {
            Ok(findings) => {
                let rules = run.rules_by_code();
                for f in findings {
                    match run.rule_of(f, &rules) {
                        Err((kind, detail)) => unplaced.add(p, kind, || detail),
                        Ok(rule) => plugin_findings
                            .entry(f.resource)
                            .or_default()
                            .push((p, f, rule)),
                    }
                }
            }
            Err(message) => report.results.push(run.error_result(message)),
        }
    }
    let settings = &options.policy.settings;
    let mut index = Index::default();
    let mut own_exemptions: Vec<Vec<Exemption>> = Vec::new();
    let mut workloads: Vec<(Resource, Option<Pod>)> = Vec::new();
    // A node facts document found among the manifests (e.g. in a scanned directory) is
    // evaluated as facts.
    let (facts_files, manifest_files): (Vec<&SourceFile<'_>>, Vec<&SourceFile<'_>>) =
        input.files.iter().partition(|f| looks_like_facts(f.text));
    // Image reports (SBOMs, vulnerability scans) among the files: read first, so that each
    // workload is checked against the reports of the images it runs.
    let (image_files, manifest_files): (Vec<&SourceFile<'_>>, Vec<&SourceFile<'_>>) =
        manifest_files
            .into_iter()
            .partition(|f| crate::images::detect(f.text).is_some());
    let mut images = crate::rules::manifest::Images {
        reports: Vec::new(),
        now: options.policy.now,
    };
    let mut os_scans: Vec<crate::images::ImageReport> = Vec::new();
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
                    crate::images::Target::ContainerImage => images.reports.push(parsed),
                    // Judged with the node facts it is linked to (`benchmarks::os_scan`).
                    crate::images::Target::HostOs => os_scans.push(parsed),
                    crate::images::Target::Other(what) => {
                        report.errors.push(not_judged(&parsed, what));
                    }
                }
            }
            Err(e) => report.errors.push(e),
        }
    }
    let context = FileContext {
        options,
        selections: &selections,
        runs: &runs,
        images: &images,
        pss_runs: selections
            .iter()
            .filter_map(|s| PssRun::new(*s, &options.policy.filter))
            .collect(),
        pss_passes: PssPasses::new(),
        // Plugin findings are located in their object's tree, after the merge below has
        // numbered the objects: keep the trees until then only when there are findings.
        keep_trees: !plugin_findings.is_empty(),
    };
    let slots: Vec<std::sync::OnceLock<FileScan>> = manifest_files
        .iter()
        .map(|_| std::sync::OnceLock::new())
        .collect();
    executor.run(manifest_files.len(), &|i| {
        if let (Some(file), Some(slot)) = (manifest_files.get(i), slots.get(i)) {
            // A second run of the same job (a faulty executor) computes the same value.
            let _ = slot.set(scan_file(file, &context));
        }
    });
    let mut scans: Vec<FileScan> = manifest_files
        .iter()
        .zip(slots)
        .map(|(file, slot)| {
            slot.into_inner()
                .unwrap_or_else(|| scan_file(file, &context))
        })
        .collect();
    // The objects of every file, numbered in input order, for the rules that need several.
    let mut objects = 0;
    for scan in &mut scans {
        report.inputs.push(std::mem::take(&mut scan.summary));
        report.errors.append(&mut scan.errors);
        index.append(std::mem::take(&mut scan.index));
        objects += scan.resources.len();
    }
    // The results that follow the objects' own are computed before those are moved into the
    // report, so that the report's result list is allocated once at its final size: growing a
    // list of a large input's results by doubling held up to three times their memory.
    let mut later = Vec::new();
    let misplaced = plugin_findings.split_off(&u32::try_from(objects).unwrap_or(u32::MAX));
    for (index, findings) in misplaced {
        for (p, finding, _) in findings {
            unplaced.add(p, "resource", || {
                format!(
                    "reported {} on resource {index}, but the input has {objects} resources",
                    finding.rule
                )
            });
        }
    }
    later.extend(unplaced.results(&input.plugins));
    evaluate_cluster_rules(&runs, &index, &mut later);
    image_results(&runs, &images, settings, &mut later);
    if let Some(first) = report.inputs.first().map(|i| i.file.clone())
        && !index.resources.is_empty()
    {
        for run in &runs {
            for control in &run.manual {
                later.push(manual_result(&run.label, control, &first));
            }
        }
    }
    let mut facts_inputs: Vec<InputSummary> = Vec::new();
    let mut os_scans_linked = vec![false; os_scans.len()];
    let mut fleet_nodes: Vec<FleetNode> = Vec::new();
    let mut sources = input
        .facts
        .iter()
        .chain(facts_files)
        .flat_map(|file| facts_pieces(file, options.limits))
        .chain(facts);
    loop {
        let mut batch: Vec<FactsText> = Vec::with_capacity(NODE_BATCH);
        for piece in sources.by_ref() {
            match piece {
                Piece::Error(e) => report.errors.push(e),
                Piece::Document(doc) => {
                    batch.push(doc);
                    if batch.len() == NODE_BATCH {
                        break;
                    }
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        let slots: Vec<std::sync::OnceLock<Result<NodeOutcome, InputError>>> =
            batch.iter().map(|_| std::sync::OnceLock::new()).collect();
        let evaluate_one = |doc: &FactsText| evaluate_facts(doc, &selections, options, &os_scans);
        executor.run(batch.len(), &|i| {
            if let (Some(doc), Some(slot)) = (batch.get(i), slots.get(i)) {
                let _ = slot.set(evaluate_one(doc));
            }
        });
        for (doc, slot) in batch.iter().zip(slots) {
            match slot.into_inner().unwrap_or_else(|| evaluate_one(doc)) {
                Err(e) => report.errors.push(e),
                Ok(mut outcome) => {
                    match facts_inputs.last_mut() {
                        // The documents of one stream are one input.
                        Some(last) if last.file == doc.file => {
                            last.documents += 1;
                            last.resources += 1;
                        }
                        _ => facts_inputs.push(InputSummary {
                            file: doc.file.clone(),
                            documents: 1,
                            resources: 1,
                        }),
                    }
                    for (all, this) in os_scans_linked.iter_mut().zip(&outcome.linked) {
                        *all |= *this;
                    }
                    later.append(&mut outcome.results);
                    fleet_nodes.push(outcome.node);
                }
            }
        }
    }
    if fleet_nodes.len() > 1 {
        let mut seen: std::collections::BTreeMap<&str, &FleetNode> =
            std::collections::BTreeMap::new();
        for node in &fleet_nodes {
            if let Some(first) = seen.insert(node.name.as_str(), node) {
                report.errors.push(InputError {
                    file: node.file.clone(),
                    line: node.line,
                    column: 1,
                    message: format!(
                        "node facts: the host name {:?} is also that of the node at {}:{}: \
                         their results are told apart by location only, and the fleet view \
                         counts them as one node",
                        node.name, first.file, first.line
                    ),
                    level: ErrorLevel::Warning,
                });
            }
        }
        report.fleet = Some(Fleet::new(fleet_nodes));
    }
    report.inputs.append(&mut facts_inputs);
    // An OS scan no node's facts link to is said to be unjudged, never silently dropped.
    if selections
        .iter()
        .any(|s| s.benchmark == Benchmark::ImageHygiene)
    {
        for (scan, linked) in os_scans.iter().zip(os_scans_linked) {
            if !linked {
                report.errors.push(not_judged(
                    scan,
                    "a host's operating system, and no node facts given link to it (by host \
                     name, or by OS release and package set)",
                ));
            }
        }
    }
    report.results.reserve_exact(
        scans.iter().map(|s| s.results.len()).sum::<usize>()
            + plugin_findings.values().map(Vec::len).sum::<usize>()
            + later.len(),
    );
    own_exemptions.reserve_exact(objects);
    workloads.reserve_exact(objects);
    let mut resource_index: u32 = 0;
    for scan in scans {
        let mut results = scan.results.into_iter();
        for scanned in scan.resources {
            let (mut resource, pod) = scanned.workload;
            for (p, finding, rule) in plugin_findings.remove(&resource_index).unwrap_or_default() {
                if let Some(run) = input.plugins.get(p) {
                    report.results.push(run.result(finding, rule, &resource));
                }
            }
            resource_index = resource_index.saturating_add(1);
            report
                .results
                .extend(results.by_ref().take(scanned.results));
            own_exemptions.push(scanned.exemptions);
            if resource.identity.kind != "Namespace" {
                resource.node.value = crate::input::yaml::Value::Null;
            }
            workloads.push((resource, pod));
        }
    }
    report.results.append(&mut later);
    name_role_subjects(&index, &mut report.results);
    report.owned = crate::owners::fold(&index, &mut report.results);
    let targets = index
        .resources
        .iter()
        .zip(own_exemptions)
        .map(|(r, own)| {
            (
                (r.file.clone(), r.identity.clone()),
                (r.labels.clone(), own),
            )
        })
        .fold(
            std::collections::BTreeMap::new(),
            |mut map, (key, value)| {
                map.entry(key).or_insert(value);
                map
            },
        );
    crate::policy::apply(
        &options.policy,
        &mut report.results,
        &targets,
        &mut report.errors,
    );
    report.admission = admission(&workloads, &mut report.errors);
    report.errors.sort();
    report.summarize();
    report
}

/// What every job reads: the evaluation's settings, shared by all files.
struct FileContext<'a> {
    options: &'a Options,
    selections: &'a [Selection],
    runs: &'a [ManifestRun],
    images: &'a crate::rules::manifest::Images,
    pss_runs: Vec<PssRun>,
    pss_passes: PssPasses,
    keep_trees: bool,
}

/// Everything one manifest file gives the report, computed without looking at any other file.
struct FileScan {
    summary: InputSummary,
    errors: Vec<InputError>,
    /// What the cross-resource rules need from this file's objects (indices local to it).
    index: Index,
    resources: Vec<ScannedResource>,
    /// The results of every object, in order (each object says how many are its own).
    results: Vec<CheckResult>,
}

/// One object's verdicts, exemptions, and what admission needs of it later.
struct ScannedResource {
    /// How many of the file's results are this object's.
    results: usize,
    exemptions: Vec<Exemption>,
    /// The object (its tree freed unless it is a Namespace or plugins still need it) and its
    /// pod, for admission.
    workload: (Resource, Option<Pod>),
}

/// Parses one manifest file and evaluates each of its objects against every selected rule.
fn scan_file(file: &SourceFile<'_>, context: &FileContext<'_>) -> FileScan {
    let options = context.options;
    let settings = &options.policy.settings;
    let parsed = parse_manifests(file.name, file.text, options.limits);
    let mut scan = FileScan {
        summary: InputSummary {
            file: file.name.to_owned(),
            documents: parsed.documents,
            resources: parsed.resources.len(),
        },
        errors: parsed.errors,
        index: Index::default(),
        resources: Vec::with_capacity(parsed.resources.len()),
        results: Vec::new(),
    };
    let results = &mut scan.results;
    for resource in parsed.resources {
        let first_result = results.len();
        // An object the API server would reject is reported, not evaluated: a Pod without
        // containers is not a Pod that passes every rule.
        let rejections = crate::input::pod::pod_rejections(&resource.identity.kind, &resource.node);
        if !rejections.is_empty() {
            scan.errors.extend(rejections.into_iter().map(|e| {
                InputError::at(
                    &resource.file,
                    e.pos,
                    ErrorLevel::Error,
                    format!(
                        "{}: {} (the API server rejects this object; it is not scanned)",
                        resource.identity.display(),
                        e.message
                    ),
                )
            }));
            continue;
        }
        let mut field_errors = Vec::new();
        let pod = decode_pod(&resource.identity.kind, &resource.node, &mut field_errors);
        scan.errors.extend(field_errors.into_iter().map(|e| {
            InputError::at(
                &resource.file,
                e.pos,
                ErrorLevel::Error,
                format!("{}: {}", resource.identity.display(), e.message),
            )
        }));
        scan.index.add(&resource);
        let exemptions =
            annotation_exemptions(&resource, &options.policy.annotations, &mut scan.errors);
        let subject = Subject::with_images(&resource, context.images);
        for selection in context.selections {
            let pss_run = context.pss_runs.iter().find(|r| r.selection == *selection);
            match (pss_run, &pod) {
                (Some(run), Some(pod)) => {
                    evaluate_benchmark(&resource, pod, run, &context.pss_passes, results);
                }
                (None, _) if selection.benchmark == Benchmark::CisK8s => {
                    evaluate_static_pod(&resource, *selection, results);
                }
                _ => {}
            }
        }
        let origin = Origin::of(&resource);
        // A rule several runs map (PSS003 in CIS and NSA/CISA) is evaluated once.
        let mut verdicts: Vec<(&str, Vec<Finding>)> = Vec::new();
        for run in context.runs {
            for mapped in &run.rules {
                let at = match verdicts.iter().position(|(c, _)| *c == mapped.rule.code) {
                    Some(at) => at,
                    None => {
                        let findings = match &mapped.rule.kind {
                            RuleKind::Pss(check) => match &pod {
                                Some(pod) => {
                                    pss_findings(mapped.rule, check, pod, &context.pss_passes)
                                }
                                None => Vec::new(),
                            },
                            RuleKind::Manifest(check) => match check.evaluator {
                                Evaluator::Resource(evaluate) => evaluate(&subject, settings),
                                Evaluator::Cluster(_) => Vec::new(),
                            },
                        };
                        verdicts.push((mapped.rule.code, findings));
                        verdicts.len() - 1
                    }
                };
                if let Some((_, findings)) = verdicts.get(at) {
                    push_mapped(mapped, &run.label, &origin, findings, results);
                }
            }
        }
        // Admission only needs Namespace labels later: free every other object's tree now, so
        // that memory does not grow with the whole input.
        let mut resource = resource;
        if resource.identity.kind != "Namespace" && !context.keep_trees {
            resource.node.value = crate::input::yaml::Value::Null;
        }
        scan.resources.push(ScannedResource {
            results: results.len() - first_result,
            exemptions,
            workload: (resource, pod),
        });
    }
    scan
}

/// A manifest benchmark's rules and the controls each implements there.
struct ManifestRun {
    label: SmolStr,
    rules: Vec<MappedRule>,
    manual: Vec<&'static ControlDef>,
}

struct MappedRule {
    rule: &'static Rule,
    /// Each control, restricted to violations at a field when the data says so.
    controls: Vec<(Control, Option<&'static str>)>,
    /// Every control, shared by the results that carry them all (most do).
    all: Arc<[Control]>,
}

/// The runs of the manifest benchmarks, with only the rules the policy selects (a rule that
/// would be filtered out of the report is not evaluated at all).
fn manifest_runs(selections: &[Selection], filter: &crate::policy::RuleFilter) -> Vec<ManifestRun> {
    let mut runs = Vec::new();
    for selection in selections {
        let Some((label, controls)) = selection.manifest_controls() else {
            continue;
        };
        let label = SmolStr::from(label);
        let mut rules: Vec<MappedRule> = Vec::new();
        for def in &controls {
            for (rule, field) in def.rule_refs().filter(|(r, _)| filter.allows(r.code)) {
                let control = Control {
                    benchmark: label.clone(),
                    id: def.id.as_str().into(),
                    level: None,
                };
                match rules.iter_mut().find(|m| m.rule.code == rule.code) {
                    Some(m) => m.controls.push((control, field)),
                    None => rules.push(MappedRule {
                        rule,
                        controls: vec![(control, field)],
                        all: Arc::from([]),
                    }),
                }
            }
        }
        rules.sort_by_key(|m| m.rule.code);
        for m in &mut rules {
            m.all = m.controls.iter().map(|(c, _)| c.clone()).collect();
        }
        let manual = controls
            .into_iter()
            .filter(|c| c.rules.is_empty())
            .collect();
        runs.push(ManifestRun {
            label,
            rules,
            manual,
        });
    }
    runs
}

/// Where a resource is, for building results (during the scan or after its tree was freed).
struct Origin<'a> {
    identity: &'a Arc<ResourceRef>,
    file: &'a SmolStr,
    base_pointer: &'a str,
    helm_source: Option<&'a SmolStr>,
    pos: crate::input::yaml::Pos,
}

impl<'a> Origin<'a> {
    fn of(resource: &'a Resource) -> Origin<'a> {
        Origin {
            identity: &resource.identity,
            file: &resource.file,
            base_pointer: &resource.base_pointer,
            helm_source: resource.helm_source.as_ref(),
            pos: resource.node.pos,
        }
    }

    fn indexed(resource: &'a crate::rules::manifest::IndexedResource) -> Origin<'a> {
        Origin {
            identity: &resource.identity,
            file: &resource.file,
            base_pointer: &resource.base_pointer,
            helm_source: resource.helm_source.as_ref(),
            pos: resource.name_loc.pos,
        }
    }

    fn result(
        &self,
        rule: &Rule,
        benchmark: &SmolStr,
        controls: Arc<[Control]>,
        finding: &Finding,
    ) -> CheckResult {
        CheckResult {
            rule: SmolStr::new_static(rule.code),
            name: SmolStr::new_static(rule.name),
            status: finding.status,
            severity: rule.severity,
            benchmark: benchmark.clone(),
            controls,
            resource: Arc::clone(self.identity),
            container: finding.container.clone(),
            location: Location {
                file: self.file.clone(),
                line: finding.loc.pos.line,
                column: finding.loc.pos.column,
                helm_source: self.helm_source.cloned(),
            },
            pointer: smol_str::format_smolstr!("{}{}", self.base_pointer, finding.loc.pointer),
            message: finding.message.clone(),
            remediation: if finding.status == Status::Pass {
                SmolStr::default()
            } else {
                SmolStr::new_static(rule.remediation)
            },
            evidence: None,
            exemption: None,
            baseline_state: None,
        }
    }
}

/// A PSS check's verdict on a pod at the newest version, as findings.
fn pss_findings(
    rule: &Rule,
    check: &crate::rules::pss::PssCheck,
    pod: &Pod,
    passes: &PssPasses,
) -> Vec<Finding> {
    pss_findings_at(rule, check, pod, Version::LATEST, passes)
}

/// A PSS check's verdict on a pod at a version: one pass at the pod spec, or one failure per
/// offending field in source order.
fn pss_findings_at(
    rule: &Rule,
    check: &crate::rules::pss::PssCheck,
    pod: &Pod,
    version: Version,
    passes: &PssPasses,
) -> Vec<Finding> {
    match (check.evaluate)(pod, version) {
        None => vec![Finding::pass(pod.spec.clone(), passes.of(rule))],
        Some(mut outcome) => {
            outcome.violations.sort_by_key(|v| v.loc.pos);
            outcome
                .violations
                .into_iter()
                .map(|v| Finding {
                    status: Status::Fail,
                    container: v.container.map(SmolStr::from),
                    loc: v.loc,
                    message: v.message.into(),
                })
                .collect()
        }
    }
}

/// Turns a rule's findings on one resource into results of a benchmark run. A failure counts
/// against the controls whose field it is at (all of the rule's controls when none is
/// field-restricted); the controls no failure touched get a pass, so that a hostNetwork pod
/// fails CIS 5.2.5 but passes 5.2.3 and 5.2.4.
/// The image rules on each image report itself, so that an image no scanned workload runs is
/// still reported (at the report's line).
fn image_results(
    runs: &[ManifestRun],
    images: &crate::rules::manifest::Images,
    settings: &crate::rules::manifest::Settings,
    out: &mut Vec<CheckResult>,
) {
    use crate::images::Verdict;
    for run in runs {
        for mapped in &run.rules {
            for r in &images.reports {
                let Some(verdict) =
                    crate::rules::image::report_verdict(mapped.rule.code, r, settings, images.now)
                else {
                    continue;
                };
                let (status, message, pointer) = match verdict {
                    Verdict::Fail(why, pointer) => (Status::Fail, why, pointer),
                    Verdict::Pass(what) => (Status::Pass, what, String::new()),
                    Verdict::Undecided(Some(why)) => (Status::Manual, why, String::new()),
                    Verdict::Undecided(None) => continue,
                };
                let pos = r.pos_of(&pointer);
                let identity = Arc::new(ResourceRef {
                    api_version: String::new().into(),
                    kind: "Image".into(),
                    namespace: None,
                    name: r.name().into(),
                });
                let file = SmolStr::from(r.file.as_str());
                let origin = Origin {
                    identity: &identity,
                    file: &file,
                    base_pointer: "",
                    helm_source: None,
                    pos,
                };
                let finding = Finding {
                    status,
                    container: None,
                    loc: crate::input::pod::Loc { pointer, pos },
                    message: message.into(),
                };
                let controls = mapped.all.clone();
                out.push(origin.result(mapped.rule, &run.label, controls, &finding));
            }
        }
    }
}

fn push_mapped(
    mapped: &MappedRule,
    benchmark: &SmolStr,
    origin: &Origin<'_>,
    findings: &[Finding],
    out: &mut Vec<CheckResult>,
) {
    if findings.is_empty() {
        return;
    }
    let mut touched = vec![false; mapped.controls.len()];
    let mut any_failed = false;
    for finding in findings {
        if finding.status == Status::Pass {
            out.push(origin.result(mapped.rule, benchmark, mapped.all.clone(), finding));
            continue;
        }
        any_failed = true;
        let at_field = |field: &Option<&str>| {
            field.is_none_or(|f| {
                finding.loc.pointer.ends_with(&format!("/{f}"))
                    || finding.loc.pointer.contains(&format!("/{f}/"))
            })
        };
        let mut controls = Vec::new();
        for (i, (control, field)) in mapped.controls.iter().enumerate() {
            if at_field(field) {
                controls.push(control.clone());
                if let Some(t) = touched.get_mut(i) {
                    *t = true;
                }
            }
        }
        let controls = if controls.is_empty() || controls.len() == mapped.all.len() {
            touched.iter_mut().for_each(|t| *t = true);
            mapped.all.clone()
        } else {
            Arc::from(controls)
        };
        out.push(origin.result(mapped.rule, benchmark, controls, finding));
    }
    if any_failed {
        let untouched: Vec<Control> = mapped
            .controls
            .iter()
            .zip(&touched)
            .filter(|(_, t)| !**t)
            .map(|((c, _), _)| c.clone())
            .collect();
        if !untouched.is_empty() {
            let pass = Finding::pass(
                crate::input::pod::Loc {
                    pointer: String::new(),
                    pos: origin.pos,
                },
                SmolStr::new_static(mapped.rule.title),
            );
            out.push(origin.result(mapped.rule, benchmark, untouched.into(), &pass));
        }
    }
}

/// Rules whose verdict needs several resources, once all documents are read.
fn evaluate_cluster_rules(runs: &[ManifestRun], index: &Index, out: &mut Vec<CheckResult>) {
    let mut cache: Vec<(&str, Vec<(usize, Finding)>)> = Vec::new();
    for run in runs {
        for mapped in &run.rules {
            let RuleKind::Manifest(check) = &mapped.rule.kind else {
                continue;
            };
            let Evaluator::Cluster(evaluate) = check.evaluator else {
                continue;
            };
            if !cache.iter().any(|(code, _)| *code == mapped.rule.code) {
                cache.push((mapped.rule.code, evaluate(index)));
            }
            let Some((_, findings)) = cache.iter().find(|(code, _)| *code == mapped.rule.code)
            else {
                continue;
            };
            let mut i = 0;
            while let Some((resource, _)) = findings.get(i) {
                let same: Vec<Finding> = findings
                    .iter()
                    .skip(i)
                    .take_while(|(r, _)| r == resource)
                    .map(|(_, f)| f.clone())
                    .collect();
                i += same.len();
                if let Some(indexed) = index.resources.get(*resource) {
                    push_mapped(mapped, &run.label, &Origin::indexed(indexed), &same, out);
                }
            }
        }
    }
}

/// A control that manifests cannot decide, once per benchmark run.
fn manual_result(benchmark: &str, control: &ControlDef, first_file: &str) -> CheckResult {
    CheckResult {
        rule: control.code().into(),
        name: slug(&control.title).into(),
        status: Status::Manual,
        severity: crate::rules::Severity::Medium,
        benchmark: benchmark.into(),
        controls: std::sync::Arc::from([Control {
            benchmark: benchmark.into(),
            id: control.id.as_str().into(),
            level: None,
        }]),
        resource: ResourceRef {
            api_version: String::new().into(),
            kind: "Cluster".into(),
            namespace: None,
            name: "scanned manifests".into(),
        }
        .into(),
        container: None,
        location: Location {
            file: first_file.into(),
            line: 1,
            column: 1,
            helm_source: None,
        },
        pointer: SmolStr::default(),
        message: format!("{}: cannot be decided from manifests", control.title).into(),
        remediation: control.manual.clone().unwrap_or_default().into(),
        evidence: None,
        exemption: None,
        baseline_state: None,
    }
}

/// Adds to each failing RBAC result on a Role or ClusterRole who holds it, from the bindings in
/// the input.
fn name_role_subjects(index: &Index, results: &mut [CheckResult]) {
    for r in results.iter_mut() {
        // Cheapest tests first: this runs over every result of the scan.
        if r.status != Status::Fail
            || !crate::rules::rbac::is_role(&r.resource.kind)
            || crate::registry::find_rule(&r.rule).is_none_or(|rule| rule.family() != "rbac")
        {
            continue;
        }
        let ns = r.resource.namespace.as_deref();
        let cluster_scoped = crate::rules::rbac::looks_only_for_cluster_scope(&r.rule);
        let held = index.holders(&r.resource.kind, ns, &r.resource.name, cluster_scoped);
        r.message = if !held.subjects.is_empty() {
            format!("{}; granted to {}", r.message, held.subjects.join(", "))
        } else if !held.namespaced_bindings.is_empty() {
            format!(
                "{}; the input binds it only with RoleBindings ({}), which grant no \
                 cluster-scoped resources",
                r.message,
                held.namespaced_bindings.join(", ")
            )
        } else {
            format!("{}; no binding in the scanned input grants it", r.message)
        }
        .into();
    }
}

/// A report about something other than a container image: recognised, and said not to be judged.
fn not_judged(report: &crate::images::ImageReport, what: &str) -> InputError {
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

/// One node facts document's text and where it is.
type FactsText = crate::facts::stream::Document;

/// What one node's facts give the report.
struct NodeOutcome {
    results: Vec<CheckResult>,
    /// Which OS scans (image-hygiene) the node links to.
    linked: Vec<bool>,
    node: FleetNode,
}

/// The documents of a facts file: one, or a stream of JSON documents (JSON lines, or documents
/// one after the other). A file that holds a single document, or that is not JSON (YAML facts),
/// is read whole, as it always was.
fn facts_pieces(file: &SourceFile<'_>, limits: Limits) -> Vec<Piece> {
    let whole = || {
        vec![Piece::Document(FactsText {
            file: file.name.to_owned(),
            text: file.text.to_owned(),
            first_line: 1,
        })]
    };
    if !file.text.trim_start().starts_with('{') {
        return whole();
    }
    // The limit on one document of a stream is the limit on a file.
    let pieces = Splitter::split(file.name, file.text, limits.max_file_size.saturating_add(1));
    if pieces.len() <= 1 { whole() } else { pieces }
}

/// Parses one node's facts and evaluates the selected node benchmarks on them.
fn evaluate_facts(
    doc: &FactsText,
    selections: &[Selection],
    options: &Options,
    os_scans: &[crate::images::ImageReport],
) -> Result<NodeOutcome, InputError> {
    let doc = parse_facts_at(&doc.file, &doc.text, doc.first_line, options.limits)?;
    let mut results = Vec::new();
    let mut linked = vec![false; os_scans.len()];
    for selection in selections {
        match selection.benchmark {
            Benchmark::CisK8s => evaluate_node(&doc, *selection, &mut results),
            Benchmark::CisUbuntu => {
                evaluate_os(
                    &doc,
                    *selection,
                    options.policy.settings.node_profile,
                    &mut results,
                );
            }
            Benchmark::Containerd => evaluate_containerd(&doc, &mut results),
            Benchmark::ImageHygiene => {
                for (scan, linked) in os_scans.iter().zip(&mut linked) {
                    *linked |= crate::benchmarks::os_scan::link(&doc.facts, scan).is_some();
                }
                evaluate_os_scans(&doc, os_scans, options, &mut results);
            }
            _ => {}
        }
    }
    Ok(NodeOutcome {
        results,
        linked,
        node: fleet_node(&doc),
    })
}

/// A node as the fleet view shows it: its role and versions, from its facts.
fn fleet_node(doc: &FactsDocument) -> FleetNode {
    let view = NodeView::new(&doc.facts);
    let control_plane = [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
    ]
    .into_iter()
    .any(|c| view.component(c).is_some());
    let role = if control_plane {
        NodeRole::ControlPlane
    } else if view.component(Component::Kubelet).is_some() {
        NodeRole::Worker
    } else {
        NodeRole::Unknown
    };
    // `1.31.4` and `v1.31.4` are one version.
    let kubernetes_version = match cis::kubernetes_version(&view) {
        Some(v) if v.starts_with(|c: char| c.is_ascii_digit()) => format!("v{v}"),
        Some(v) if !v.is_empty() => v,
        _ => "unknown".to_owned(),
    };
    let os = doc
        .facts
        .os
        .as_ref()
        .and_then(|os| match (&os.id, &os.version_id) {
            (Some(id), Some(version)) => Some(format!("{id} {version}")),
            (Some(id), None) => Some(id.clone()),
            _ => os.pretty_name.clone(),
        });
    FleetNode {
        name: doc.facts.node.hostname.clone(),
        file: doc.file.clone(),
        line: doc.root_pos().line,
        role,
        kubernetes_version,
        os: os.unwrap_or_else(|| "unknown".to_owned()),
        results: Default::default(),
        score: 100.0,
    }
}

/// Whether a file is a node facts document (by its kind and apiVersion near the top).
pub(crate) fn looks_like_facts(text: &str) -> bool {
    let head: String = text.chars().take(512).collect();
    crate::facts::API_VERSIONS.iter().any(|v| head.contains(v))
        && head.contains(&format!("\"{}\"", crate::facts::KIND))
}

fn location(resource: &Resource, pos: crate::input::yaml::Pos) -> Location {
    Location {
        file: resource.file.as_str().into(),
        line: pos.line,
        column: pos.column,
        helm_source: resource.helm_source.clone(),
    }
}

/// A PSS benchmark run, prepared once per evaluation: its checks in code order (as the filter
/// allows them), each with its control and the message of its pass, shared by every result.
struct PssRun {
    selection: Selection,
    label: SmolStr,
    version: Version,
    checks: Vec<PssRunCheck>,
}

struct PssRunCheck {
    rule: &'static Rule,
    check: &'static crate::rules::pss::PssCheck,
    controls: Arc<[Control]>,
}

impl PssRun {
    fn new(selection: Selection, filter: &crate::policy::RuleFilter) -> Option<PssRun> {
        let (level, version) = selection.pss()?;
        let mut rules = pss_checks(level, version);
        rules.retain(|r| filter.allows(r.code));
        rules.sort_by_key(|r| r.code);
        let checks = rules
            .into_iter()
            .filter_map(|rule| match &rule.kind {
                RuleKind::Pss(check) => Some(PssRunCheck {
                    rule,
                    check,
                    controls: Arc::new([Control {
                        benchmark: SmolStr::new_static("pss"),
                        id: check.id.into(),
                        level: Some(check.level),
                    }]),
                }),
                RuleKind::Manifest(_) => None,
            })
            .collect();
        Some(PssRun {
            selection,
            label: SmolStr::from(selection.to_string()),
            version,
            checks,
        })
    }
}

/// The message of a PSS check's pass, made once per evaluation (most results are passes).
struct PssPasses(Vec<(&'static str, SmolStr)>);

impl PssPasses {
    fn new() -> PssPasses {
        PssPasses(
            RULES
                .iter()
                .filter_map(|rule| match &rule.kind {
                    RuleKind::Pss(check) => Some((
                        rule.code,
                        format!(
                            "{} ({} check `{}`)",
                            rule.title,
                            check.level.as_str(),
                            check.id
                        )
                        .into(),
                    )),
                    RuleKind::Manifest(_) => None,
                })
                .collect(),
        )
    }

    fn of(&self, rule: &Rule) -> SmolStr {
        self.0
            .iter()
            .find(|(code, _)| *code == rule.code)
            .map(|(_, message)| message.clone())
            .unwrap_or_else(|| SmolStr::new_static(rule.title))
    }
}

fn evaluate_benchmark(
    resource: &Resource,
    pod: &Pod,
    run: &PssRun,
    passes: &PssPasses,
    out: &mut Vec<CheckResult>,
) {
    let origin = Origin::of(resource);
    for planned in &run.checks {
        for finding in pss_findings_at(planned.rule, planned.check, pod, run.version, passes) {
            out.push(origin.result(planned.rule, &run.label, planned.controls.clone(), &finding));
        }
    }
}

fn cis_result(
    check: &cis::CheckDef,
    outcome: cis::Outcome,
    version: CisVersion,
    resource: std::sync::Arc<ResourceRef>,
    location: Location,
    pointer: String,
) -> CheckResult {
    check_result(
        NodeCheck {
            code: check.code(),
            id: &check.id,
            title: &check.title,
            severity: check.severity,
            remediation: &check.remediation,
            benchmark: format!("cis-k8s@{}", version.label()),
        },
        outcome,
        resource,
        location,
        pointer,
    )
}

/// A result of a benchmark check on a node or a static pod.
fn check_result(
    check: NodeCheck<'_>,
    outcome: cis::Outcome,
    resource: std::sync::Arc<ResourceRef>,
    location: Location,
    pointer: String,
) -> CheckResult {
    let failed = matches!(
        outcome.status,
        Status::Fail | Status::Warn | Status::Error | Status::Manual
    );
    CheckResult {
        rule: check.code.into(),
        name: slug(check.title).into(),
        status: outcome.status,
        severity: check.severity,
        benchmark: check.benchmark.as_str().into(),
        controls: std::sync::Arc::from([Control {
            benchmark: check.benchmark.into(),
            id: check.id.into(),
            level: None,
        }]),
        resource,
        container: None,
        location,
        pointer: pointer.into(),
        message: format!("{}: {}", check.title, outcome.message).into(),
        remediation: if failed {
            check.remediation.into()
        } else {
            String::new().into()
        },
        evidence: NodeEvidence::of(outcome.expected, outcome.actual, outcome.source),
        exemption: None,
        baseline_state: None,
    }
}

/// `API server rejects anonymous requests` → `api-server-rejects-anonymous-requests`.
pub(crate) fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for ch in title.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn evaluate_node(doc: &FactsDocument, selection: Selection, out: &mut Vec<CheckResult>) {
    let view = NodeView::new(&doc.facts);
    let version = match selection.version {
        BenchmarkVersion::Cis(Some(v)) => v,
        _ => CisVersion::for_kubernetes(cis::kubernetes_version(&view).as_deref()).0,
    };
    let node = std::sync::Arc::new(node_ref(doc));
    for (check, outcome) in cis::evaluate_node(&view, version) {
        let (location, pointer) = evidence_location(doc, &outcome.evidence);
        out.push(cis_result(
            check,
            outcome,
            version,
            node.clone(),
            location,
            pointer,
        ));
    }
}

fn node_ref(doc: &FactsDocument) -> ResourceRef {
    ResourceRef {
        api_version: doc.facts.api_version.as_str().into(),
        kind: "Node".into(),
        namespace: None,
        name: doc.facts.node.hostname.as_str().into(),
    }
}

/// A result of a node benchmark other than CIS Kubernetes (cis-ubuntu, containerd).
struct NodeCheck<'a> {
    code: String,
    id: &'a str,
    title: &'a str,
    severity: crate::rules::Severity,
    remediation: &'a str,
    benchmark: String,
}

fn node_result(
    doc: &FactsDocument,
    check: NodeCheck<'_>,
    outcome: cis::Outcome,
    exemption: Option<&str>,
) -> CheckResult {
    let (location, pointer) = evidence_location(doc, &outcome.evidence);
    let mut result = check_result(check, outcome, node_ref(doc).into(), location, pointer);
    if let Some(reason) = exemption
        && matches!(result.status, Status::Fail | Status::Warn)
    {
        result.exemption = Some(Box::new(crate::report::ExemptionNote {
            reason: reason.to_owned(),
            source: "profile kubernetes-node".to_owned(),
            expires: None,
            status: result.status,
        }));
        result.status = Status::Exempt;
    }
    result
}

/// CIS Ubuntu 22.04 on one node's facts, with the `kubernetes-node` profile's exemptions where
/// it applies.
fn evaluate_os(
    doc: &FactsDocument,
    selection: Selection,
    profile: crate::rules::manifest::NodeProfile,
    out: &mut Vec<CheckResult>,
) {
    use crate::benchmarks::cis_ubuntu;
    use crate::rules::manifest::NodeProfile;
    let kubernetes_node = match profile {
        NodeProfile::KubernetesNode => true,
        NodeProfile::Server => false,
        NodeProfile::Auto => NodeView::new(&doc.facts)
            .component(Component::Kubelet)
            .is_some(),
    };
    let host = cis_ubuntu::Host::new(&doc.facts);
    let label = selection.ubuntu_label();
    for (check, outcome) in cis_ubuntu::evaluate(&host, selection.ubuntu_level().unwrap_or(1)) {
        let exemption = kubernetes_node
            .then(|| {
                cis_ubuntu::KUBERNETES_NODE_EXEMPTIONS
                    .iter()
                    .find(|(id, _)| *id == check.id)
                    .map(|(_, reason)| *reason)
            })
            .flatten();
        out.push(node_result(
            doc,
            NodeCheck {
                code: check.code(),
                id: &check.id,
                title: &check.title,
                severity: check.severity,
                remediation: &check.remediation,
                benchmark: label.clone(),
            },
            outcome,
            exemption,
        ));
    }
}

/// The scans of the node's OS image linked to one node's facts (OSI-1 to OSI-3): located in
/// the report, or in the facts when the evidence is a package the node has.
fn evaluate_os_scans(
    doc: &FactsDocument,
    scans: &[crate::images::ImageReport],
    options: &Options,
    out: &mut Vec<CheckResult>,
) {
    use crate::benchmarks::os_scan;
    let settings = &options.policy.settings;
    for judged in os_scan::evaluate(
        &doc.facts,
        scans,
        settings.vulnerability_threshold(),
        settings.scan_age_limit(),
        options.policy.now,
    ) {
        let check = NodeCheck {
            code: judged.check.code(),
            id: judged.check.id,
            title: judged.check.title,
            severity: judged.check.severity,
            remediation: judged.check.remediation,
            benchmark: os_scan::BENCHMARK.to_owned(),
        };
        let (location, pointer) = match &judged.outcome.evidence {
            Evidence::Fact(_) => evidence_location(doc, &judged.outcome.evidence),
            _ => {
                let pos = judged.report.pos_of(&judged.report_pointer);
                (
                    Location {
                        file: judged.report.file.as_str().into(),
                        line: pos.line,
                        column: pos.column,
                        helm_source: None,
                    },
                    judged.report_pointer.clone(),
                )
            }
        };
        out.push(check_result(
            check,
            judged.outcome,
            node_ref(doc).into(),
            location,
            pointer,
        ));
    }
}

/// The version of a CIS Ubuntu run: `2.0.0` (Level 1 - Server), `2.0.0-l2`.
fn ubuntu_version_label(level: u8) -> String {
    let v = crate::benchmarks::cis_ubuntu::VERSION;
    if level >= 2 {
        format!("{v}-l2")
    } else {
        v.to_owned()
    }
}

/// containerd hardening on one node's facts.
fn evaluate_containerd(doc: &FactsDocument, out: &mut Vec<CheckResult>) {
    use crate::benchmarks::containerd;
    for (check, outcome) in containerd::evaluate(&doc.facts) {
        out.push(node_result(
            doc,
            NodeCheck {
                code: check.code(),
                id: check.id,
                title: check.title,
                severity: check.severity,
                remediation: check.remediation,
                benchmark: "containerd".to_owned(),
            },
            outcome,
            None,
        ));
    }
}

/// Where in a facts document a node check's evidence is.
fn evidence_location(doc: &FactsDocument, evidence: &Evidence) -> (Location, String) {
    let (pos, pointer) = match evidence {
        Evidence::Arg(CommandSource::Process(p), arg) => {
            (doc.arg_pos(*p, *arg), format!("/processes/{p}/argv/{arg}"))
        }
        Evidence::Component(CommandSource::Process(p)) => {
            (doc.process_pos(*p), format!("/processes/{p}"))
        }
        Evidence::Arg(CommandSource::StaticPod(path), _)
        | Evidence::Component(CommandSource::StaticPod(path))
        | Evidence::File(path) => (doc.file_pos(path), file_pointer(doc, path)),
        Evidence::Content(path) => match file_pointer(doc, path) {
            // The `content` field of the file entry: where the setting was read.
            entry if !entry.is_empty() => {
                let pointer = format!("{entry}/content");
                (doc.pos_of(&pointer), pointer)
            }
            _ => (doc.file_pos(path), String::new()),
        },
        Evidence::Fact(pointer) => (doc.pos_of(pointer), pointer.clone()),
        Evidence::Node => (doc.root_pos(), String::new()),
    };
    let location = Location {
        file: doc.file.as_str().into(),
        line: pos.line,
        column: pos.column,
        helm_source: None,
    };
    (location, pointer)
}

fn file_pointer(doc: &FactsDocument, path: &str) -> String {
    doc.facts
        .files
        .iter()
        .position(|f| f.path == path)
        .map(|i| format!("/files/{i}"))
        .unwrap_or_default()
}

/// A control-plane static pod in the scanned manifests: its command line is checked by the same
/// flag checks as on a node, with locations in the manifest.
fn evaluate_static_pod(resource: &Resource, selection: Selection, out: &mut Vec<CheckResult>) {
    if resource.identity.kind != "Pod" {
        return;
    }
    let Some(containers) = resource
        .node
        .get("spec")
        .and_then(|s| s.get("containers"))
        .and_then(crate::input::yaml::Node::as_seq)
    else {
        return;
    };
    for (ci, container) in containers.iter().enumerate() {
        let mut argv: Vec<(String, crate::input::yaml::Pos, String)> = Vec::new();
        for key in ["command", "args"] {
            if let Some(items) = container
                .get(key)
                .and_then(crate::input::yaml::Node::as_seq)
            {
                for (i, item) in items.iter().enumerate() {
                    if let Some(text) = item.as_str() {
                        argv.push((
                            text.to_owned(),
                            item.pos,
                            format!("/spec/containers/{ci}/{key}/{i}"),
                        ));
                    }
                }
            }
        }
        let Some(component) = argv.first().and_then(|(a, _, _)| Component::of_command(a)) else {
            continue;
        };
        if matches!(component, Component::Kubelet | Component::Proxy) {
            continue;
        }
        let version = match selection.version {
            BenchmarkVersion::Cis(Some(v)) => v,
            _ => CisVersion::for_kubernetes(static_pod_version(container).as_deref()).0,
        };
        let words: Vec<&str> = argv.iter().map(|(a, _, _)| a.as_str()).collect();
        let flags = parse_flags(&words);
        for (check, outcome) in cis::evaluate_command(component, &flags, version) {
            let (pos, pointer) = match &outcome.evidence {
                Evidence::Arg(_, i) => argv
                    .get(*i)
                    .map(|(_, pos, ptr)| (*pos, ptr.clone()))
                    .unwrap_or((container.pos, format!("/spec/containers/{ci}"))),
                _ => (container.pos, format!("/spec/containers/{ci}")),
            };
            let location = location(resource, pos);
            let pointer = format!("{}{pointer}", resource.base_pointer);
            let mut result = cis_result(
                check,
                outcome,
                version,
                resource.identity.clone(),
                location,
                pointer,
            );
            result.container = container
                .get("name")
                .and_then(crate::input::yaml::Node::as_str)
                .map(SmolStr::from);
            out.push(result);
        }
    }
}

fn static_pod_version(container: &crate::input::yaml::Node) -> Option<String> {
    let image = container.get("image")?.as_str()?;
    image.rsplit_once(':').map(|(_, tag)| tag.to_owned())
}

/// Runs PSS for a pod at a level and version: PSA's verdict and message.
pub fn psa_verdict(pod: &Pod, level: Level, version: Version) -> Vec<(&'static Rule, Outcome)> {
    pss_checks(level, version)
        .into_iter()
        .filter_map(|rule| {
            let RuleKind::Pss(check) = &rule.kind else {
                return None;
            };
            (check.evaluate)(pod, version).map(|o| (rule, o))
        })
        .collect()
}

/// What Pod Security Admission says about a pod at a level and version: `None` if it is
/// allowed, else its message `violates PodSecurity "restricted:latest": reason (detail), ...`.
pub fn psa_decision(pod: &Pod, level: Level, version: Version) -> Option<String> {
    let failures = psa_verdict(pod, level, version);
    (!failures.is_empty()).then(|| psa_message(level, version, &failures))
}

/// PSA's wording: `violates PodSecurity "restricted:latest": reason (detail), ...`.
fn psa_message(level: Level, version: Version, failures: &[(&'static Rule, Outcome)]) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|(_, o)| {
            if o.detail.is_empty() {
                o.reason.clone()
            } else {
                format!("{} ({})", o.reason, o.detail)
            }
        })
        .collect();
    format!(
        "violates PodSecurity \"{}:{}\": {}",
        level.as_str(),
        version.label(),
        parts.join(", ")
    )
}

const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

struct NamespacePolicy {
    name: String,
    mode: AdmissionMode,
    level: Level,
    version: Version,
}

/// Reads PSA labels of the Namespaces in the input, as PSA does: an invalid level is evaluated
/// as `restricted`, an invalid or missing version as `latest`.
fn namespace_policies(
    workloads: &[(Resource, Option<Pod>)],
    errors: &mut Vec<InputError>,
) -> Vec<NamespacePolicy> {
    let mut policies = Vec::new();
    for (resource, _) in workloads
        .iter()
        .filter(|(r, _)| r.identity.kind == "Namespace")
    {
        let labels = resource
            .node
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.as_map())
            .unwrap_or_default();
        let label = |key: &str| labels.iter().find(|e| e.key == key);
        for mode in [
            AdmissionMode::Enforce,
            AdmissionMode::Audit,
            AdmissionMode::Warn,
        ] {
            let Some(level_entry) = label(&format!("{LABEL_PREFIX}{}", mode.as_str())) else {
                continue;
            };
            let warn =
                |errors: &mut Vec<InputError>, pos: crate::input::yaml::Pos, message: String| {
                    errors.push(InputError::at(
                        &resource.file,
                        pos,
                        ErrorLevel::Warning,
                        message,
                    ));
                };
            let level_text = level_entry.value.as_str().unwrap_or_default();
            let level = Level::parse(level_text).unwrap_or_else(|| {
                warn(
                    errors,
                    level_entry.key_pos,
                    format!(
                        "Namespace {}: invalid {} level {level_text:?}; Pod Security Admission evaluates it as \"restricted\"",
                        resource.identity.name, level_entry.key
                    ),
                );
                Level::Restricted
            });
            let version = match label(&format!("{LABEL_PREFIX}{}-version", mode.as_str())) {
                None => Version::LATEST,
                Some(e) => {
                    let text = e.value.as_str().unwrap_or_default();
                    Version::parse(text).filter(|_| text.starts_with('v') || text == "latest").unwrap_or_else(|| {
                        warn(
                            errors,
                            e.key_pos,
                            format!(
                                "Namespace {}: invalid {} {text:?}; Pod Security Admission evaluates it as \"latest\"",
                                resource.identity.name, e.key
                            ),
                        );
                        Version::LATEST
                    })
                }
            };
            policies.push(NamespacePolicy {
                name: resource.identity.name.to_string(),
                mode,
                level,
                version,
            });
        }
    }
    policies
}

fn admission(
    workloads: &[(Resource, Option<Pod>)],
    errors: &mut Vec<InputError>,
) -> Vec<AdmissionVerdict> {
    let policies = namespace_policies(workloads, errors);
    let mut verdicts = Vec::new();
    for policy in &policies {
        for (resource, pod) in workloads {
            let Some(pod) = pod else { continue };
            if resource.identity.namespace.as_deref() != Some(policy.name.as_str()) {
                continue;
            }
            let failures = psa_verdict(pod, policy.level, policy.version);
            let allowed = failures.is_empty();
            let is_pod = resource.identity.kind == "Pod";
            let effect = match (allowed, policy.mode, is_pod) {
                (true, _, _) => "allowed",
                (false, AdmissionMode::Enforce, true) => "rejected",
                (false, AdmissionMode::Enforce, false) => "podsRejected",
                (false, AdmissionMode::Warn, _) => "warning",
                (false, AdmissionMode::Audit, _) => "audit",
            };
            let message = if allowed {
                String::new()
            } else {
                let core = psa_message(policy.level, policy.version, &failures);
                match (policy.mode, is_pod) {
                    (AdmissionMode::Enforce, true) => {
                        format!("pods {:?} is forbidden: {core}", resource.identity.name)
                    }
                    (AdmissionMode::Enforce, false) => format!(
                        "its pods would be rejected: {}",
                        core.replacen("violates", "would violate", 1)
                    ),
                    _ => core.replacen("violates", "would violate", 1),
                }
            };
            verdicts.push(AdmissionVerdict {
                namespace: policy.name.clone(),
                mode: policy.mode,
                level: policy.level,
                version: policy.version.label(),
                resource: ResourceRef::clone(&resource.identity),
                location: location(resource, resource.node.pos),
                allowed,
                effect: effect.to_owned(),
                message,
            });
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, benchmarks: &[&str]) -> Report {
        let input = Input {
            files: vec![SourceFile {
                name: "t.yaml",
                text,
            }],
            ..Input::default()
        };
        let options = Options {
            benchmarks: benchmarks
                .iter()
                .map(|b| b.parse().expect("valid"))
                .collect(),
            ..Options::default()
        };
        evaluate(&input, &options)
    }

    const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: true\n";

    #[test]
    fn fails_carry_the_field_line_and_pointer() {
        let report = run(PRIVILEGED_POD, &["pss-baseline"]);
        let fail = report
            .results
            .iter()
            .find(|r| r.status == Status::Fail)
            .expect("a failure");
        assert_eq!(fail.rule, "PSS003");
        assert_eq!((fail.location.line, fail.location.column), (11, 7));
        assert_eq!(
            fail.pointer,
            "/spec/containers/0/securityContext/privileged"
        );
        assert_eq!(fail.container.as_deref(), Some("app"));
        assert_eq!(report.summary.fail, 1);
        assert_eq!(report.summary.pass, 11);
        assert_eq!(report.exit_code(), 1);
    }

    #[test]
    fn non_workloads_pass_through() {
        let report = run(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n",
            &["pss-restricted"],
        );
        assert!(report.results.is_empty());
        assert_eq!(report.summary.resources, 1);
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn namespace_labels_give_admission_verdicts() {
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.29\n    pod-security.kubernetes.io/warn: restricted\n---\n";
        let report = run(&format!("{ns}{PRIVILEGED_POD}"), &[]);
        assert_eq!(report.admission.len(), 2);
        let enforce = &report.admission[0];
        assert!(!enforce.allowed);
        assert_eq!(enforce.effect, "rejected");
        assert_eq!(
            enforce.message,
            "pods \"p\" is forbidden: violates PodSecurity \"baseline:v1.29\": privileged (container \"app\" must not set securityContext.privileged=true)"
        );
        assert_eq!(report.admission[1].mode, AdmissionMode::Warn);
        assert!(report.admission[1].message.starts_with("would violate PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true), allowPrivilegeEscalation != false"));
        assert_eq!(report.summary.admission_denied, 1);
    }

    #[test]
    fn invalid_namespace_labels_fall_back_like_psa() {
        let text = "kind: Namespace\nmetadata:\n  name: apps\n  labels:\n    pod-security.kubernetes.io/enforce: strict\n    pod-security.kubernetes.io/enforce-version: \"1.2.3\"\n---\nkind: Pod\nmetadata: {name: p, namespace: apps}\nspec:\n  containers: [{name: a, image: app}]\n";
        let report = run(text, &[]);
        assert_eq!(report.admission[0].level, Level::Restricted);
        assert_eq!(report.admission[0].version, "latest");
        assert_eq!(report.summary.input_warnings, 2);
    }

    #[test]
    fn bad_documents_are_reported_and_the_rest_evaluated() {
        let text = format!("kind: Pod\nmetadata: {{name: a\n---\n{PRIVILEGED_POD}");
        let report = run(&text, &["pss-baseline"]);
        assert_eq!(report.summary.input_errors, 1);
        assert_eq!(report.summary.fail, 1);
        assert_eq!(report.exit_code(), 2);
    }

    #[test]
    fn results_are_deterministic() {
        let a = crate::report::json::render(&run(
            PRIVILEGED_POD,
            &["pss-baseline", "pss-restricted@v1.20"],
        ));
        let b = crate::report::json::render(&run(
            PRIVILEGED_POD,
            &["pss-baseline", "pss-restricted@v1.20"],
        ));
        assert_eq!(a, b);
    }
}
