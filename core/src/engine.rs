//! The single entry point: text in, [`Report`] out.

use crate::benchmarks::cis::{self, CisVersion, Evidence};
use crate::benchmarks::{Benchmark, BenchmarkVersion, Selection, pss_checks};
use crate::facts::plan::{CommandSource, Component, NodeView};
use crate::facts::{FactsDocument, argv::parse_flags, parse_facts};
use crate::input::manifest::{Resource, parse_manifests};
use crate::input::pod::{Pod, decode_pod};
use crate::input::yaml::Limits;
use crate::report::{
    AdmissionMode, AdmissionVerdict, BenchmarkRun, CheckResult, Control, ErrorLevel, InputError,
    InputSummary, Location, Report, ResourceRef, SCHEMA_VERSION, Status, Summary, Tool,
};
use crate::rules::pss::{Level, Outcome, Version};
use crate::rules::{Rule, RuleKind};

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
}

/// How to evaluate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The benchmarks to run; empty means [`Selection::defaults`].
    pub benchmarks: Vec<Selection>,
    /// Bounds on each YAML document.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            benchmarks: Selection::defaults(),
            limits: Limits::default(),
        }
    }
}

/// Options as users write them: the npm package's options object (and the CLI's flags).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionsSpec {
    /// Benchmarks as `ID[@VERSION]`: `pss-baseline`, `pss-restricted` (`@latest`, `@v1.N`),
    /// `cis-k8s` (`@1.11`, `@1.12`). Empty: `pss-restricted@latest` and `cis-k8s`.
    #[serde(default)]
    pub benchmarks: Vec<String>,
    /// Deepest nesting of one YAML document (default 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    /// Most values one YAML document may expand to, aliases included (default 2,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes: Option<usize>,
}

impl OptionsSpec {
    /// Checks and converts to [`Options`].
    pub fn resolve(&self) -> Result<Options, crate::benchmarks::SelectionError> {
        let benchmarks = self
            .benchmarks
            .iter()
            .map(|b| b.parse())
            .collect::<Result<Vec<Selection>, _>>()?;
        let defaults = Limits::default();
        Ok(Options {
            benchmarks,
            limits: Limits {
                max_depth: self.max_depth.unwrap_or(defaults.max_depth),
                max_nodes: self.max_nodes.unwrap_or(defaults.max_nodes),
            },
        })
    }
}

/// The engine's version, as reports state it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Evaluates manifests against the selected benchmarks. Never fails and never panics on input:
/// problems are reported as input errors, and everything readable is still evaluated.
pub fn evaluate(input: &Input<'_>, options: &Options) -> Report {
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
                title: s.benchmark.title().to_owned(),
                version: match s.version {
                    BenchmarkVersion::Pss(v) => v.label(),
                    BenchmarkVersion::Cis(Some(v)) => v.label().to_owned(),
                    BenchmarkVersion::Cis(None) => "auto".to_owned(),
                },
                effective_version: match s.version {
                    BenchmarkVersion::Pss(v) => format!("v1.{}", v.effective_minor()),
                    BenchmarkVersion::Cis(Some(v)) => v.label().to_owned(),
                    BenchmarkVersion::Cis(None) => {
                        "per node, from its Kubernetes version".to_owned()
                    }
                },
            })
            .collect(),
        inputs: Vec::new(),
        results: Vec::new(),
        admission: Vec::new(),
        errors: input.errors.clone(),
        scores: Vec::new(),
        summary: Summary::default(),
    };

    let mut workloads: Vec<(Resource, Option<Pod>)> = Vec::new();
    // A node facts document found among the manifests (e.g. in a scanned directory) is
    // evaluated as facts.
    let (facts_files, manifest_files): (Vec<&SourceFile<'_>>, Vec<&SourceFile<'_>>) =
        input.files.iter().partition(|f| looks_like_facts(f.text));
    for file in manifest_files {
        let parsed = parse_manifests(file.name, file.text, options.limits);
        report.inputs.push(InputSummary {
            file: file.name.to_owned(),
            documents: parsed.documents,
            resources: parsed.resources.len(),
        });
        report.errors.extend(parsed.errors);
        for resource in parsed.resources {
            let mut field_errors = Vec::new();
            let pod = decode_pod(&resource.identity.kind, &resource.node, &mut field_errors);
            report.errors.extend(field_errors.into_iter().map(|e| {
                InputError::at(
                    &resource.file,
                    e.pos,
                    ErrorLevel::Error,
                    format!("{}: {}", resource.identity.display(), e.message),
                )
            }));
            for selection in &selections {
                match (selection.pss(), &pod) {
                    (Some(_), Some(pod)) => {
                        evaluate_benchmark(&resource, pod, *selection, &mut report.results);
                    }
                    (None, _) if selection.benchmark == Benchmark::CisK8s => {
                        evaluate_static_pod(&resource, *selection, &mut report.results);
                    }
                    _ => {}
                }
            }
            // Admission only needs Namespace labels later: free every other object's tree
            // now, so that memory does not grow with the whole input.
            let mut resource = resource;
            if resource.identity.kind != "Namespace" {
                resource.node.value = crate::input::yaml::Value::Null;
            }
            workloads.push((resource, pod));
        }
    }
    for file in input.facts.iter().chain(facts_files) {
        match parse_facts(file.name, file.text, options.limits) {
            Err(e) => report.errors.push(e),
            Ok(doc) => {
                report.inputs.push(InputSummary {
                    file: file.name.to_owned(),
                    documents: 1,
                    resources: 1,
                });
                for selection in selections
                    .iter()
                    .filter(|s| s.benchmark == Benchmark::CisK8s)
                {
                    evaluate_node(&doc, *selection, &mut report.results);
                }
            }
        }
    }
    report.admission = admission(&workloads, &mut report.errors);
    report.errors.sort();
    report.summarize();
    report
}

/// Whether a file is a node facts document (by its kind and apiVersion near the top).
fn looks_like_facts(text: &str) -> bool {
    let head: String = text.chars().take(512).collect();
    head.contains(crate::facts::API_VERSION)
        && head.contains(&format!("\"{}\"", crate::facts::KIND))
}

fn location(resource: &Resource, pos: crate::input::yaml::Pos) -> Location {
    Location {
        file: resource.file.clone(),
        line: pos.line,
        column: pos.column,
        helm_source: resource.helm_source.clone(),
    }
}

fn evaluate_benchmark(
    resource: &Resource,
    pod: &Pod,
    selection: Selection,
    out: &mut Vec<CheckResult>,
) {
    let Some((level, version)) = selection.pss() else {
        return;
    };
    let mut checks = pss_checks(level, version);
    checks.sort_by_key(|r| r.code);
    for rule in checks {
        let RuleKind::Pss(check) = &rule.kind;
        let control = Control {
            benchmark: "pss".to_owned(),
            id: check.id.to_owned(),
            level: Some(check.level),
        };
        let base =
            |status: Status, container: Option<String>, pos, pointer: String, message: String| {
                CheckResult {
                    rule: rule.code.to_owned(),
                    name: rule.name.to_owned(),
                    status,
                    severity: rule.severity,
                    benchmark: selection.to_string(),
                    controls: vec![control.clone()],
                    resource: resource.identity.clone(),
                    container,
                    location: location(resource, pos),
                    pointer: format!("{}{pointer}", resource.base_pointer),
                    message,
                    remediation: if status == Status::Pass {
                        String::new()
                    } else {
                        rule.remediation.to_owned()
                    },
                    expected: None,
                    actual: None,
                    source: None,
                }
            };
        match (check.evaluate)(pod, version) {
            None => out.push(base(
                Status::Pass,
                None,
                pod.spec.pos,
                pod.spec.pointer.clone(),
                format!(
                    "{} ({} check `{}`)",
                    rule.title,
                    check.level.as_str(),
                    check.id
                ),
            )),
            Some(mut outcome) => {
                outcome.violations.sort_by_key(|v| v.loc.pos);
                for v in outcome.violations {
                    out.push(base(
                        Status::Fail,
                        v.container,
                        v.loc.pos,
                        v.loc.pointer,
                        v.message,
                    ));
                }
            }
        }
    }
}

fn cis_result(
    check: &cis::CheckDef,
    outcome: cis::Outcome,
    version: CisVersion,
    resource: ResourceRef,
    location: Location,
    pointer: String,
) -> CheckResult {
    let failed = matches!(outcome.status, Status::Fail | Status::Warn | Status::Error);
    CheckResult {
        rule: check.code(),
        name: slug(&check.title),
        status: outcome.status,
        severity: check.severity,
        benchmark: format!("cis-k8s@{}", version.label()),
        controls: vec![Control {
            benchmark: format!("cis-k8s@{}", version.label()),
            id: check.id.clone(),
            level: None,
        }],
        resource,
        container: None,
        location,
        pointer,
        message: format!("{}: {}", check.title, outcome.message),
        remediation: if failed || outcome.status == Status::Manual {
            check.remediation.clone()
        } else {
            String::new()
        },
        expected: outcome.expected,
        actual: outcome.actual,
        source: outcome.source,
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
    let node = ResourceRef {
        api_version: crate::facts::API_VERSION.to_owned(),
        kind: "Node".to_owned(),
        namespace: None,
        name: doc.facts.node.hostname.clone(),
    };
    for (check, outcome) in cis::evaluate_node(&view, version) {
        let (pos, pointer) = match &outcome.evidence {
            Evidence::Arg(CommandSource::Process(p), arg) => {
                (doc.arg_pos(*p, *arg), format!("/processes/{p}/argv/{arg}"))
            }
            Evidence::Component(CommandSource::Process(p)) => {
                (doc.process_pos(*p), format!("/processes/{p}"))
            }
            Evidence::Arg(CommandSource::StaticPod(path), _)
            | Evidence::Component(CommandSource::StaticPod(path))
            | Evidence::File(path) => (doc.file_pos(path), file_pointer(doc, path)),
            Evidence::Node => (doc.root_pos(), String::new()),
        };
        let location = Location {
            file: doc.file.clone(),
            line: pos.line,
            column: pos.column,
            helm_source: None,
        };
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
                .map(str::to_owned);
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
            let RuleKind::Pss(check) = &rule.kind;
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
                name: resource.identity.name.clone(),
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
                resource: ResourceRef {
                    ..resource.identity.clone()
                },
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
            &[],
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
        let text = "kind: Namespace\nmetadata:\n  name: apps\n  labels:\n    pod-security.kubernetes.io/enforce: strict\n    pod-security.kubernetes.io/enforce-version: \"1.2.3\"\n---\nkind: Pod\nmetadata: {name: p, namespace: apps}\nspec:\n  containers: [{name: a}]\n";
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
