//! Stage 2, objects: each manifest file is one job, independent of every other file. A job
//! parses its file and evaluates each object against every selected rule: the PSS checks of
//! each PSS run (prepared once per evaluation, see [`PssRun`]), CIS checks of control-plane
//! static pods, and each manifest benchmark's rules mapped to its controls (a rule several
//! benchmarks map is evaluated once). The jobs' results are merged in input order (stage 5),
//! so the report does not depend on how the executor ran them.

use std::sync::Arc;

use smol_str::SmolStr;

use super::nodes::evaluate_static_pod;
use super::{Executor, Options};
use crate::benchmarks::manifest::ControlDef;
use crate::benchmarks::{Benchmark, Selection, pss_checks};
use crate::input::SourceFile;
use crate::input::manifest::{Resource, parse_json_object, parse_manifests};
use crate::input::pod::{Pod, decode_pod};
use crate::policy::{Exemption, annotation_exemptions};
use crate::report::{
    CheckResult, Control, ErrorLevel, InputError, InputSummary, Location, ResourceRef, Status,
};
use crate::rules::manifest::{Evaluator, Finding, Images, Index, Subject};
use crate::rules::pss::Version;
use crate::rules::{RULES, Rule, RuleKind};

/// What every job reads: the evaluation's settings, shared by all files.
pub(super) struct FileContext<'a> {
    pub(super) options: &'a Options,
    pub(super) selections: &'a [Selection],
    pub(super) runs: &'a [ManifestRun],
    pub(super) images: &'a crate::rules::manifest::Images,
    pub(super) pss_runs: &'a [PssRun],
    pub(super) pss_passes: &'a PssPasses,
    pub(super) keep_trees: bool,
    /// The JSON value that every manifest file prints, when the caller has it (admission):
    /// its tree is built from the value instead of read from the text.
    pub(super) object: Option<&'a serde_json::Value>,
}

impl<'a> FileContext<'a> {
    /// The context of one evaluation. `keep_trees`: plugin findings are located in their
    /// object's tree after the merge has numbered the objects, so the trees are kept until then
    /// only when there are findings.
    pub(super) fn new(
        options: &'a Options,
        plan: &'a super::Plan,
        images: &'a Images,
        keep_trees: bool,
    ) -> FileContext<'a> {
        FileContext {
            options,
            selections: &plan.selections,
            runs: &plan.runs,
            images,
            pss_runs: &plan.pss_runs,
            pss_passes: &plan.pss_passes,
            keep_trees,
            object: None,
        }
    }
}

/// Scans every manifest file, one job each, on `executor`; the scans come back in input order.
pub(super) fn scan_files(
    files: &[&SourceFile<'_>],
    context: &FileContext<'_>,
    executor: &dyn Executor,
) -> Vec<FileScan> {
    let slots: Vec<std::sync::OnceLock<FileScan>> =
        files.iter().map(|_| std::sync::OnceLock::new()).collect();
    executor.run(files.len(), &|i| {
        if let (Some(file), Some(slot)) = (files.get(i), slots.get(i)) {
            // A second run of the same job (a faulty executor) computes the same value.
            let _ = slot.set(scan_file(file, context));
        }
    });
    files
        .iter()
        .zip(slots)
        .map(|(file, slot)| {
            slot.into_inner()
                .unwrap_or_else(|| scan_file(file, context))
        })
        .collect()
}

/// Everything one manifest file gives the report, computed without looking at any other file.
pub(super) struct FileScan {
    pub(super) summary: InputSummary,
    pub(super) errors: Vec<InputError>,
    /// What the cross-resource rules need from this file's objects (indices local to it).
    pub(super) index: Index,
    pub(super) resources: Vec<ScannedResource>,
    /// The results of every object, in order (each object says how many are its own).
    pub(super) results: Vec<CheckResult>,
}

/// One object's verdicts, exemptions, and what admission needs of it later.
pub(super) struct ScannedResource {
    /// How many of the file's results are this object's.
    pub(super) results: usize,
    pub(super) exemptions: Vec<Exemption>,
    /// The object (its tree freed unless it is a Namespace or plugins still need it) and its
    /// pod, for admission.
    pub(super) workload: (Resource, Option<Pod>),
}

/// Parses one manifest file and evaluates each of its objects against every selected rule.
pub(super) fn scan_file(file: &SourceFile<'_>, context: &FileContext<'_>) -> FileScan {
    let options = context.options;
    let settings = &options.policy.settings;
    let parsed = match context.object {
        Some(object) => parse_json_object(file.name, file.text, object, options.limits),
        None => parse_manifests(file.name, file.text, options.limits),
    };
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
                    evaluate_benchmark(&resource, pod, run, context.pss_passes, results);
                }
                (None, _)
                    if matches!(selection.benchmark, Benchmark::CisK8s | Benchmark::K8sStig) =>
                {
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
                                    pss_findings(mapped.rule, check, pod, context.pss_passes)
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
pub(super) struct ManifestRun {
    pub(super) label: SmolStr,
    pub(super) rules: Vec<MappedRule>,
    pub(super) manual: Vec<&'static ControlDef>,
}

pub(super) struct MappedRule {
    pub(super) rule: &'static Rule,
    /// Each control, restricted to violations at a field when the data says so.
    pub(super) controls: Vec<(Control, Option<&'static str>)>,
    /// Every control, shared by the results that carry them all (most do).
    pub(super) all: Arc<[Control]>,
}

/// The runs of the manifest benchmarks, with only the rules the policy selects (a rule that
/// would be filtered out of the report is not evaluated at all).
pub(super) fn manifest_runs(
    selections: &[Selection],
    filter: &crate::policy::RuleFilter,
) -> Vec<ManifestRun> {
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
pub(super) struct Origin<'a> {
    pub(super) identity: &'a Arc<ResourceRef>,
    pub(super) file: &'a SmolStr,
    pub(super) base_pointer: &'a str,
    pub(super) helm_source: Option<&'a SmolStr>,
    pub(super) pos: crate::input::yaml::Pos,
}

impl<'a> Origin<'a> {
    pub(super) fn of(resource: &'a Resource) -> Origin<'a> {
        Origin {
            identity: &resource.identity,
            file: &resource.file,
            base_pointer: &resource.base_pointer,
            helm_source: resource.helm_source.as_ref(),
            pos: resource.node.pos,
        }
    }

    pub(super) fn indexed(resource: &'a crate::rules::manifest::IndexedResource) -> Origin<'a> {
        Origin {
            identity: &resource.identity,
            file: &resource.file,
            base_pointer: &resource.base_pointer,
            helm_source: resource.helm_source.as_ref(),
            pos: resource.name_loc.pos,
        }
    }

    pub(super) fn result(
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
            fix: None,
        }
    }
}

/// A PSS check's verdict on a pod at the newest version, as findings.
pub(super) fn pss_findings(
    rule: &Rule,
    check: &crate::rules::pss::PssCheck,
    pod: &Pod,
    passes: &PssPasses,
) -> Vec<Finding> {
    pss_findings_at(rule, check, pod, Version::LATEST, passes)
}

/// A PSS check's verdict on a pod at a version: one pass at the pod spec, or one failure per
/// offending field in source order.
pub(super) fn pss_findings_at(
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

pub(super) fn push_mapped(
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

pub(super) fn location(resource: &Resource, pos: crate::input::yaml::Pos) -> Location {
    Location {
        file: resource.file.as_str().into(),
        line: pos.line,
        column: pos.column,
        helm_source: resource.helm_source.clone(),
    }
}

/// A PSS benchmark run, prepared once per evaluation: its checks in code order (as the filter
/// allows them), each with its control and the message of its pass, shared by every result.
pub(super) struct PssRun {
    pub(super) selection: Selection,
    pub(super) label: SmolStr,
    pub(super) version: Version,
    pub(super) checks: Vec<PssRunCheck>,
}

pub(super) struct PssRunCheck {
    pub(super) rule: &'static Rule,
    pub(super) check: &'static crate::rules::pss::PssCheck,
    pub(super) controls: Arc<[Control]>,
}

impl PssRun {
    pub(super) fn new(selection: Selection, filter: &crate::policy::RuleFilter) -> Option<PssRun> {
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
pub(super) struct PssPasses(Vec<(&'static str, SmolStr)>);

impl PssPasses {
    pub(super) fn new() -> PssPasses {
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

    pub(super) fn of(&self, rule: &Rule) -> SmolStr {
        self.0
            .iter()
            .find(|(code, _)| *code == rule.code)
            .map(|(_, message)| message.clone())
            .unwrap_or_else(|| SmolStr::new_static(rule.title))
    }
}

pub(super) fn evaluate_benchmark(
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
