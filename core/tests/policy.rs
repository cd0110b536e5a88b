//! The policy end to end: selection, severities, settings, exemptions (policy file and
//! annotations, container scope, expiry, forbidden), the baseline, and checks that need several
//! resources.

use stockade_core::report::{BaselineState, CheckResult, Report};
use stockade_core::{Severity, Status, evaluate, load_policy_file};

mod common;

fn scan(files: &[(&str, &str)], policy: &str) -> Report {
    let options = load_policy_file("stockade.yaml", policy).expect("valid policy");
    evaluate(&common::manifests(files), &options)
}

fn of<'a>(report: &'a Report, rule: &str) -> Vec<&'a CheckResult> {
    report.results.iter().filter(|r| r.rule == rule).collect()
}

const AGENT: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: csi-node
  namespace: storage
  labels: {team: storage}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: driver
        image: registry.example.com/csi:1.0
        securityContext: {privileged: true}
      - name: registrar
        image: registry.example.com/registrar:1.0
        securityContext: {privileged: true}
";

#[test]
fn a_namespace_and_its_network_policy_are_matched_across_files() {
    let ns = "kind: Namespace\napiVersion: v1\nmetadata: {name: shop}\n---\nkind: Namespace\napiVersion: v1\nmetadata: {name: empty}\n";
    let policy = "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n";
    let report = scan(
        &[("ns.yaml", ns), ("netpol.yaml", policy)],
        "benchmarks: [cis-k8s]\n",
    );
    let net: Vec<_> = of(&report, "NET001");
    assert_eq!(net.len(), 2);
    let shop = net
        .iter()
        .find(|r| r.resource.name == "shop")
        .expect("shop");
    assert_eq!(shop.status, Status::Pass);
    let empty = net
        .iter()
        .find(|r| r.resource.name == "empty")
        .expect("empty");
    assert_eq!(empty.status, Status::Fail);
    assert_eq!(
        (empty.location.file.as_str(), empty.location.line),
        ("ns.yaml", 7)
    );
    assert_eq!(empty.controls[0].id, "5.3.2");
}

#[test]
fn a_pod_and_its_service_account_are_matched_across_documents() {
    let text = "kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: app}\nspec:\n  serviceAccountName: quiet\n  containers: [{name: c, image: x:1}]\n---\nkind: Pod\napiVersion: v1\nmetadata: {name: b, namespace: other}\nspec:\n  serviceAccountName: quiet\n  containers: [{name: c, image: x:1}]\n---\nkind: ServiceAccount\napiVersion: v1\nmetadata: {name: quiet, namespace: app}\nautomountServiceAccountToken: false\n";
    let report = scan(&[("pods.yaml", text)], "benchmarks: [cis-k8s]\n");
    let results = of(&report, "WKL004");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].status, Status::Pass, "{}", results[0].message);
    // Same ServiceAccount name in another namespace is another account.
    assert_eq!(results[1].status, Status::Fail);
    assert!(results[1].message.contains("not in the scanned input"));
}

#[test]
fn one_pss_check_maps_to_the_cis_control_of_each_field() {
    let report = scan(&[("agent.yaml", AGENT)], "benchmarks: [cis-k8s@1.12]\n");
    let ns: Vec<_> = of(&report, "PSS002");
    let fail = ns
        .iter()
        .find(|r| r.status == Status::Fail)
        .expect("a failure");
    let ids: Vec<&str> = fail.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["5.2.5"], "hostNetwork is 5.2.5 only");
    let pass = ns
        .iter()
        .find(|r| r.status == Status::Pass)
        .expect("the rest pass");
    let ids: Vec<&str> = pass.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["5.2.3", "5.2.4"]);
    let score = report
        .scores
        .iter()
        .find(|s| s.benchmark == "cis-k8s@1.12")
        .expect("scored");
    let section = score
        .sections
        .iter()
        .find(|s| s.section == "5.2")
        .expect("5.2");
    assert!(section.score > 0.0 && section.score < 100.0);
}

#[test]
fn nsa_cisa_and_image_hygiene_run_with_their_own_controls() {
    let report = scan(
        &[("agent.yaml", AGENT)],
        "benchmarks: [nsa-cisa, image-hygiene]\nsettings:\n  allowedRegistries: [registry.example.com]\n",
    );
    let runs: Vec<&str> = report.scores.iter().map(|s| s.benchmark.as_str()).collect();
    assert_eq!(runs, ["nsa-cisa", "image-hygiene"]);
    let ro = of(&report, "WKL001");
    assert_eq!(ro.len(), 2);
    assert!(ro.iter().all(
        |r| r.status == Status::Fail && r.controls[0].id == "pod-security.immutable-filesystem"
    ));
    let registry = of(&report, "IMG003");
    assert!(registry.iter().all(|r| r.status == Status::Pass));
    // IMG003 serves both benchmarks: one result in each.
    assert_eq!(registry.len(), 2);
}

#[test]
fn select_ignore_and_severity_overrides() {
    let report = scan(
        &[("agent.yaml", AGENT)],
        "benchmarks: [pss-baseline, image-hygiene]\nselect: [PSS, IMG00]\nignore: [PSS002, IMG002]\nseverity:\n  IMG: high\n  IMG001: low\n",
    );
    assert!(of(&report, "PSS002").is_empty());
    assert!(!of(&report, "PSS003").is_empty());
    assert!(of(&report, "IMG002").is_empty());
    assert_eq!(of(&report, "IMG004")[0].severity, Severity::High);
    assert_eq!(of(&report, "IMG001")[0].severity, Severity::Low);
}

#[test]
fn policy_exemptions_match_resources_and_containers() {
    let policy = "benchmarks: [pss-baseline]
now: 2026-11-29
exemptions:
  - rules: [PSS003]
    resources: {kind: DaemonSet, namespace: storage, name: \"csi-*\", labels: {team: storage}}
    containers: [driver]
    reason: The CSI driver mounts volumes for the node
    expires: 2027-06-30
";
    let report = scan(&[("agent.yaml", AGENT)], policy);
    let privileged = of(&report, "PSS003");
    assert_eq!(privileged.len(), 2);
    let driver = privileged
        .iter()
        .find(|r| r.container.as_deref() == Some("driver"))
        .expect("driver");
    assert_eq!(driver.status, Status::Exempt);
    let note = driver.exemption.as_ref().expect("a note");
    assert_eq!(note.source, "stockade.yaml:4");
    assert_eq!(note.status, Status::Fail);
    assert_eq!(note.expires.as_deref(), Some("2027-06-30"));
    // The other container is not covered.
    let registrar = privileged
        .iter()
        .find(|r| r.container.as_deref() == Some("registrar"))
        .expect("registrar");
    assert_eq!(registrar.status, Status::Fail);
    assert_eq!(report.summary.exempt, 1);

    // A label that does not match: nothing is exempt.
    let report = scan(
        &[("agent.yaml", AGENT)],
        &policy.replace("team: storage}", "team: web}"),
    );
    assert_eq!(report.summary.exempt, 0);
}

#[test]
fn exemptions_by_control_cover_every_rule_of_it() {
    let policy = "benchmarks: [cis-k8s]\nexemptions:\n  - controls: [\"cis-k8s:5.2.2\"]\n    reason: accepted for the storage stack\n";
    let report = scan(&[("agent.yaml", AGENT)], policy);
    assert!(
        of(&report, "PSS003")
            .iter()
            .all(|r| r.status == Status::Exempt)
    );
    assert!(
        of(&report, "PSS002")
            .iter()
            .all(|r| r.status != Status::Exempt)
    );
}

#[test]
fn expired_exemptions_no_longer_apply_and_say_so() {
    let policy = "benchmarks: [pss-baseline]\nnow: 2027-07-01\nexemptions:\n  - rules: [PSS003]\n    reason: temporary\n    expires: 2027-06-30\n";
    let report = scan(&[("agent.yaml", AGENT)], policy);
    assert_eq!(report.summary.exempt, 0);
    let warning = report
        .errors
        .iter()
        .find(|e| e.message.contains("expired on 2027-06-30"))
        .expect("a warning");
    assert_eq!((warning.file.as_str(), warning.line), ("stockade.yaml", 4));
    assert_eq!(report.summary.input_warnings, 1);
    // The last day still counts.
    let report = scan(
        &[("agent.yaml", AGENT)],
        &policy.replace("2027-07-01", "2027-06-30"),
    );
    assert_eq!(report.summary.exempt, 2);
    // Without a date, an expiring exemption cannot be trusted.
    let report = scan(
        &[("agent.yaml", AGENT)],
        &policy.replace("now: 2027-07-01\n", ""),
    );
    assert_eq!(report.summary.exempt, 0);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("no current date"))
    );
}

const ANNOTATED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: ops
  annotations:
    stockade.dev/exempt: |
      - rules: [PSS003]
        containers: [shell]
        reason: break-glass debugging pod, deleted after use
        expires: 2026-12-31
      - rules: [PSS002]
        reason: needs the host network
spec:
  hostNetwork: true
  containers:
  - name: shell
    image: registry.example.com/debug:1.0
    securityContext: {privileged: true}
";

#[test]
fn annotations_exempt_their_own_resource() {
    let report = scan(
        &[("debug.yaml", ANNOTATED)],
        "benchmarks: [pss-baseline]\nnow: 2026-11-29\n",
    );
    let privileged = of(&report, "PSS003");
    assert_eq!(privileged[0].status, Status::Exempt);
    assert_eq!(
        privileged[0].exemption.as_ref().map(|e| e.source.as_str()),
        Some("annotation stockade.dev/exempt of Pod ops/debug")
    );
    assert_eq!(of(&report, "PSS002")[0].status, Status::Exempt);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[test]
fn the_policy_can_forbid_or_restrict_annotation_exemptions() {
    let forbidden = scan(
        &[("debug.yaml", ANNOTATED)],
        "benchmarks: [pss-baseline]\nnow: 2026-11-29\nannotations: {allow: false}\n",
    );
    assert_eq!(forbidden.summary.exempt, 0);
    let warning = &forbidden.errors[0];
    assert_eq!((warning.file.as_str(), warning.line), ("debug.yaml", 7));
    assert!(
        warning
            .message
            .contains("does not allow annotation exemptions")
    );

    let restricted = scan(
        &[("debug.yaml", ANNOTATED)],
        "benchmarks: [pss-baseline]\nnow: 2026-11-29\nannotations: {rules: [PSS002]}\n",
    );
    assert_eq!(of(&restricted, "PSS003")[0].status, Status::Fail);
    assert_eq!(of(&restricted, "PSS002")[0].status, Status::Exempt);
    assert!(restricted.errors[0].message.contains("only PSS002"));
}

#[test]
fn a_broken_annotation_is_an_input_error_at_its_line() {
    let text = ANNOTATED.replace(
        "reason: needs the host network",
        "why: needs the host network",
    );
    let report = scan(&[("debug.yaml", &text)], "benchmarks: [pss-baseline]\n");
    let error = report
        .errors
        .iter()
        .find(|e| e.is_error())
        .expect("an error");
    assert_eq!(error.line, 7);
    assert!(
        error.message.contains("unknown field `why`"),
        "{}",
        error.message
    );
    assert_eq!(report.summary.exempt, 0);
}

#[test]
fn the_baseline_separates_new_findings_from_known_ones() {
    let previous = scan(&[("agent.yaml", AGENT)], "benchmarks: [pss-baseline]\n");
    assert_eq!(previous.exit_code(), 1);
    // The file gains lines above (so lines shift) and a new violation.
    let changed = format!(
        "# a comment\n# another\n{}",
        AGENT.replace(
            "hostNetwork: true",
            "hostNetwork: true\n      hostPID: true"
        )
    );
    let mut report = scan(&[("agent.yaml", &changed)], "benchmarks: [pss-baseline]\n");
    report.apply_baseline(&previous);
    let states: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| (r.pointer.as_str(), r.baseline_state))
        .collect();
    assert!(states.contains(&("/spec/template/spec/hostPID", Some(BaselineState::New))));
    assert!(states.contains(&(
        "/spec/template/spec/hostNetwork",
        Some(BaselineState::Unchanged)
    )));
    assert_eq!(report.exit_code(), 1, "a new finding fails the run");
    let mut same = scan(&[("agent.yaml", AGENT)], "benchmarks: [pss-baseline]\n");
    same.apply_baseline(&previous);
    assert_eq!(same.exit_code(), 0, "only known findings: the run passes");
    assert_eq!(same.summary.unchanged, same.summary.fail);
}

#[test]
fn gates_from_the_policy() {
    let options = load_policy_file("p.yaml", "failOn: critical\nminScore: 90\n").expect("valid");
    assert_eq!(options.policy.gate.fail_on, Some(Severity::Critical));
    assert_eq!(options.policy.gate.min_score, Some(90.0));
    let err = load_policy_file("p.yaml", "minScore: 120\n").expect_err("out of range");
    assert_eq!(err.line, 1);
}
