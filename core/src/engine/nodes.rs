//! Stage 4, nodes: the node benchmarks on node facts (CIS Kubernetes sections 1-4, CIS Ubuntu,
//! containerd, the image hygiene of the node's OS), and CIS Kubernetes on control-plane static
//! pods found among the manifests. Each check's outcome becomes a result located at the fact
//! it was decided from.

use smol_str::SmolStr;

use super::objects::location;
use super::{Executor, Options};
use crate::benchmarks::cis::{self, CisVersion, Evidence};
use crate::benchmarks::{Benchmark, BenchmarkVersion, Selection};
use crate::facts::plan::{CommandSource, Component, NodeView};
use crate::facts::stream::{Piece, Splitter};
use crate::facts::{FactsDocument, argv::parse_flags, parse_facts_at};
use crate::images::ImageReport;
use crate::input::SourceFile;
use crate::input::manifest::Resource;
use crate::input::yaml::Limits;
use crate::report::fleet::{Fleet, FleetNode, NodeRole};
use crate::report::{
    CheckResult, Control, ErrorLevel, InputError, InputSummary, Location, NodeEvidence, Report,
    ResourceRef, Status,
};
use crate::vocab::slug;

/// What every node's evaluation reads.
pub(super) struct NodeContext<'a> {
    pub(super) selections: &'a [Selection],
    pub(super) options: &'a Options,
    /// Scans of hosts' operating systems (image hygiene), linked to nodes by their facts.
    pub(super) os_scans: &'a [ImageReport],
}

/// How many nodes' facts documents are evaluated at once: enough to keep every core busy, few
/// enough that a stream of thousands never has more than these documents' text in memory.
const NODE_BATCH: usize = 64;

/// Every node facts document of `pieces`, evaluated against the selected node benchmarks, a
/// batch at a time on `executor`; results go to `out`, in input order. With more than one
/// node, the report gets a fleet view. A scan of a host's OS that no node's facts link to is
/// said to be unjudged, never silently dropped.
pub(super) fn evaluate_facts(
    pieces: &mut dyn Iterator<Item = Piece>,
    context: &NodeContext<'_>,
    executor: &dyn Executor,
    report: &mut Report,
    out: &mut Vec<CheckResult>,
) {
    let mut facts_inputs: Vec<InputSummary> = Vec::new();
    let mut os_scans_linked = vec![false; context.os_scans.len()];
    let mut fleet_nodes: Vec<FleetNode> = Vec::new();
    loop {
        let mut batch: Vec<FactsText> = Vec::with_capacity(NODE_BATCH);
        for piece in &mut *pieces {
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
        let evaluate_one = |doc: &FactsText| evaluate_one_node(doc, context);
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
                    out.append(&mut outcome.results);
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
    if context
        .selections
        .iter()
        .any(|s| s.benchmark == Benchmark::ImageHygiene)
    {
        for (scan, linked) in context.os_scans.iter().zip(os_scans_linked) {
            if !linked {
                report.errors.push(super::gather::not_judged(
                    scan,
                    "a host's operating system, and no node facts given link to it (by host \
                     name, or by OS release and package set)",
                ));
            }
        }
    }
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
pub(super) fn facts_pieces(file: &SourceFile<'_>, limits: Limits) -> Vec<Piece> {
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
fn evaluate_one_node(
    doc: &FactsText,
    context: &NodeContext<'_>,
) -> Result<NodeOutcome, InputError> {
    let options = context.options;
    let doc = parse_facts_at(&doc.file, &doc.text, doc.first_line, options.limits)?;
    let mut results = Vec::new();
    let mut linked = vec![false; context.os_scans.len()];
    for selection in context.selections {
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
            Benchmark::K8sStig => evaluate_stig_node(&doc, *selection, &mut results),
            Benchmark::ImageHygiene => {
                for (scan, linked) in context.os_scans.iter().zip(&mut linked) {
                    *linked |= crate::benchmarks::os_scan::link(&doc.facts, scan).is_some();
                }
                evaluate_os_scans(&doc, context.os_scans, options, &mut results);
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

pub(super) fn cis_result(
    check: &cis::CheckDef,
    outcome: cis::Outcome,
    version: CisVersion,
    resource: std::sync::Arc<ResourceRef>,
    location: Location,
    pointer: String,
) -> CheckResult {
    check_result(
        NodeCheck::decided_by(
            check,
            &check.id,
            check.severity,
            format!("cis-k8s@{}", version.label()),
        ),
        outcome,
        resource,
        location,
        pointer,
    )
}

/// A result of a benchmark check on a node or a static pod.
pub(super) fn check_result(
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
        fix: None,
    }
}

pub(super) fn evaluate_node(doc: &FactsDocument, selection: Selection, out: &mut Vec<CheckResult>) {
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

/// The DISA Kubernetes STIG on one node's facts. A rule a CIS check decides is evaluated at the
/// CIS version the node's Kubernetes version picks (such checks are the same in every version).
fn evaluate_stig_node(doc: &FactsDocument, selection: Selection, out: &mut Vec<CheckResult>) {
    use crate::benchmarks::k8s_stig;
    let release = selection
        .stig_version()
        .unwrap_or(k8s_stig::StigVersion::DEFAULT);
    let view = NodeView::new(&doc.facts);
    let version = CisVersion::for_kubernetes(cis::kubernetes_version(&view).as_deref()).0;
    let node = std::sync::Arc::new(node_ref(doc));
    for (row, check, outcome) in k8s_stig::evaluate_node_in(&view, version, release) {
        let (location, pointer) = evidence_location(doc, &outcome.evidence);
        out.push(stig_result(
            row,
            check,
            outcome,
            node.clone(),
            location,
            pointer,
            release,
        ));
    }
}

/// A result of a DISA STIG rule: the deciding check's code, title, message and fix (the CIS
/// check's, for a rule one decides), the rule's category as severity, the STIG control.
fn stig_result(
    row: &cis::CheckDef,
    check: &cis::CheckDef,
    outcome: cis::Outcome,
    resource: std::sync::Arc<ResourceRef>,
    location: Location,
    pointer: String,
    release: crate::benchmarks::k8s_stig::StigVersion,
) -> CheckResult {
    check_result(
        NodeCheck::decided_by(check, &row.id, row.severity, release.run_label().to_owned()),
        outcome,
        resource,
        location,
        pointer,
    )
}

pub(super) fn node_ref(doc: &FactsDocument) -> ResourceRef {
    ResourceRef {
        api_version: doc.facts.api_version.as_str().into(),
        kind: "Node".into(),
        namespace: None,
        name: doc.facts.node.hostname.as_str().into(),
    }
}

/// A result of a node benchmark other than CIS Kubernetes (cis-ubuntu, containerd).
pub(super) struct NodeCheck<'a> {
    pub(super) code: String,
    pub(super) id: &'a str,
    pub(super) title: &'a str,
    pub(super) severity: crate::rules::Severity,
    pub(super) remediation: &'a str,
    pub(super) benchmark: String,
}

impl<'a> NodeCheck<'a> {
    /// A control `id` of `benchmark` at `severity`, decided by a CIS-evaluator check: the
    /// check's code, title and fix (a STIG rule that asks what a CIS check asks carries it).
    pub(super) fn decided_by(
        check: &'a cis::CheckDef,
        id: &'a str,
        severity: crate::rules::Severity,
        benchmark: String,
    ) -> NodeCheck<'a> {
        NodeCheck {
            code: check.code(),
            id,
            title: &check.title,
            severity,
            remediation: &check.remediation,
            benchmark,
        }
    }
}

pub(super) fn node_result(
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
pub(super) fn evaluate_os(
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
pub(super) fn evaluate_os_scans(
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
pub(super) fn ubuntu_version_label(level: u8) -> String {
    let v = crate::benchmarks::cis_ubuntu::VERSION;
    if level >= 2 {
        format!("{v}-l2")
    } else {
        v.to_owned()
    }
}

/// containerd hardening on one node's facts.
pub(super) fn evaluate_containerd(doc: &FactsDocument, out: &mut Vec<CheckResult>) {
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
pub(super) fn evidence_location(doc: &FactsDocument, evidence: &Evidence) -> (Location, String) {
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

pub(super) fn file_pointer(doc: &FactsDocument, path: &str) -> String {
    doc.facts
        .files
        .iter()
        .position(|f| f.path == path)
        .map(|i| format!("/files/{i}"))
        .unwrap_or_default()
}

/// A control-plane static pod in the scanned manifests: its command line is checked by the same
/// flag checks as on a node, with locations in the manifest.
pub(super) fn evaluate_static_pod(
    resource: &Resource,
    selection: Selection,
    out: &mut Vec<CheckResult>,
) {
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
        let evaluated: Vec<(Option<&cis::CheckDef>, &cis::CheckDef, cis::Outcome)> =
            if selection.benchmark == Benchmark::K8sStig {
                crate::benchmarks::k8s_stig::evaluate_command_in(
                    component,
                    &flags,
                    version,
                    selection
                        .stig_version()
                        .unwrap_or(crate::benchmarks::k8s_stig::StigVersion::DEFAULT),
                )
                .into_iter()
                .map(|(row, check, outcome)| (Some(row), check, outcome))
                .collect()
            } else {
                cis::evaluate_command(component, &flags, version)
                    .into_iter()
                    .map(|(check, outcome)| (None, check, outcome))
                    .collect()
            };
        for (row, check, outcome) in evaluated {
            let (pos, pointer) = match &outcome.evidence {
                Evidence::Arg(_, i) => argv
                    .get(*i)
                    .map(|(_, pos, ptr)| (*pos, ptr.clone()))
                    .unwrap_or((container.pos, format!("/spec/containers/{ci}"))),
                _ => (container.pos, format!("/spec/containers/{ci}")),
            };
            let location = location(resource, pos);
            let pointer = format!("{}{pointer}", resource.base_pointer);
            let mut result = match row {
                Some(row) => stig_result(
                    row,
                    check,
                    outcome,
                    resource.identity.clone(),
                    location,
                    pointer,
                    selection
                        .stig_version()
                        .unwrap_or(crate::benchmarks::k8s_stig::StigVersion::DEFAULT),
                ),
                None => cis_result(
                    check,
                    outcome,
                    version,
                    resource.identity.clone(),
                    location,
                    pointer,
                ),
            };
            result.container = container
                .get("name")
                .and_then(crate::input::yaml::Node::as_str)
                .map(SmolStr::from);
            out.push(result);
        }
    }
}

pub(super) fn static_pod_version(container: &crate::input::yaml::Node) -> Option<String> {
    let image = container.get("image")?.as_str()?;
    cis::image_kubernetes_version(image).map(str::to_owned)
}
