//! Stage 3, across objects: the rules that need several objects (a namespace and its
//! NetworkPolicies, a pod and its ServiceAccount, a role and who it is bound to), the image
//! reports of the images the workloads run, the manual controls, and the verdicts of Pod
//! Security Admission for namespaces labelled in the input.

use std::sync::Arc;

use smol_str::SmolStr;

use super::objects::{ManifestRun, Origin, location, push_mapped};
use super::psa::{psa_message, psa_verdict};
use crate::benchmarks::manifest::ControlDef;
use crate::input::manifest::Resource;
use crate::input::pod::Pod;
use crate::report::{
    AdmissionMode, AdmissionVerdict, CheckResult, Control, ErrorLevel, InputError, Location,
    ResourceRef, Status,
};
use crate::rules::RuleKind;
use crate::rules::manifest::{Evaluator, Finding, Images, Index, Settings};
use crate::rules::pss::{Level, Version};
use crate::vocab::slug;

/// The results of the checks across objects: cluster rules, image reports on the workloads
/// that run their images, and the manual controls of each manifest benchmark (placed at the
/// first input file, when the input holds objects).
pub(super) fn cross_object_results(
    runs: &[ManifestRun],
    index: &Index,
    images: &Images,
    settings: &Settings,
    first_file: Option<&str>,
    out: &mut Vec<CheckResult>,
) {
    evaluate_cluster_rules(runs, index, out);
    image_results(runs, images, settings, out);
    if let Some(first) = first_file
        && !index.resources.is_empty()
    {
        for run in runs {
            for control in &run.manual {
                out.push(manual_result(&run.label, control, first));
            }
        }
    }
}

/// Rules whose verdict needs several resources, once all documents are read.
pub(super) fn evaluate_cluster_rules(
    runs: &[ManifestRun],
    index: &Index,
    out: &mut Vec<CheckResult>,
) {
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

/// Turns a rule's findings on one resource into results of a benchmark run. A failure counts
/// against the controls whose field it is at (all of the rule's controls when none is
/// field-restricted); the controls no failure touched get a pass, so that a hostNetwork pod
/// fails CIS 5.2.5 but passes 5.2.3 and 5.2.4.
/// The image rules on each image report itself, so that an image no scanned workload runs is
/// still reported (at the report's line).
pub(super) fn image_results(
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

/// A control that manifests cannot decide, once per benchmark run.
pub(super) fn manual_result(
    benchmark: &str,
    control: &ControlDef,
    first_file: &str,
) -> CheckResult {
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
        fix: None,
    }
}

/// Adds to each failing RBAC result on a Role or ClusterRole who holds it, from the bindings in
/// the input.
pub(super) fn name_role_subjects(index: &Index, results: &mut [CheckResult]) {
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

/// The prefix of PSA's namespace labels.
const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

pub(super) struct NamespacePolicy {
    pub(super) name: String,
    pub(super) mode: AdmissionMode,
    pub(super) level: Level,
    pub(super) version: Version,
}

/// Reads PSA labels of the Namespaces in the input, as PSA does: an invalid level is evaluated
/// as `restricted`, an invalid or missing version as `latest`.
pub(super) fn namespace_policies(
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

pub(super) fn admission(
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
