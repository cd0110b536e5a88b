//! Fix fixtures: every fixable rule in several styles. Each case states the exact text after
//! the fix (so the diff touches only what it must), then checks that the fixed rules pass, that
//! no other result got worse, that the YAML reads as the intended object, and that fixing again
//! changes nothing.

use super::*;
use crate::{Input, Options, Selection, SourceFile, evaluate};

const ALL: &[&str] = &[
    "pss-baseline",
    "pss-restricted",
    "cis-k8s",
    "nsa-cisa",
    "image-hygiene",
];

pub(super) fn scan_with(text: &str, benchmarks: &[&str]) -> crate::Report {
    let input = Input {
        files: vec![SourceFile {
            name: "m.yaml",
            text,
        }],
        ..Input::default()
    };
    let options = Options {
        benchmarks: benchmarks
            .iter()
            .map(|b| b.parse::<Selection>().unwrap())
            .collect(),
        ..Options::default()
    };
    evaluate(&input, &options)
}

fn scan(text: &str) -> crate::Report {
    scan_with(text, ALL)
}

/// The text with the fixes of `rules` (every fixable rule when empty) applied.
pub(super) fn fix_with(text: &str, rules: &[&str], benchmarks: &[&str]) -> String {
    let report = scan_with(text, benchmarks);
    let results: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| rules.is_empty() || rules.contains(&r.rule.as_str()))
        .collect();
    let fix = fix_file(text, &results);
    apply(text, &fix.edits).unwrap()
}

fn fix_rules(text: &str, rules: &[&str]) -> String {
    fix_with(text, rules, ALL)
}

/// The object of a one-document file, as JSON (`None` for several documents or a `kind: List`,
/// whose patches are per item).
fn object_of(text: &str) -> Option<serde_json::Value> {
    if yaml::split_stream(text).0.len() != 1 {
        return None;
    }
    let (node, _) = yaml::parse_document(text, 0, crate::input::yaml::Limits::default());
    let object = node?.to_json();
    let is_list = object
        .get("kind")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|k| k.ends_with("List"));
    (!is_list).then_some(object)
}

/// RFC 6902 `add`, `replace` and `remove`, as a client applies a fix's patch.
fn apply_patch(object: &mut serde_json::Value, patch: &[PatchOp]) -> Result<(), String> {
    for op in patch {
        let path = match op {
            PatchOp::Add { path, .. }
            | PatchOp::Replace { path, .. }
            | PatchOp::Remove { path } => path,
        };
        let (parent, last) = path.rsplit_once('/').ok_or(format!("bad path {path}"))?;
        let last = last.replace("~1", "/").replace("~0", "~");
        let target = object
            .pointer_mut(parent)
            .ok_or(format!("{path}: no parent"))?;
        match (op, target) {
            (PatchOp::Add { value, .. }, serde_json::Value::Array(items)) if last == "-" => {
                items.push(value.clone());
            }
            (PatchOp::Add { value, .. }, serde_json::Value::Array(items)) => {
                let i: usize = last.parse().map_err(|_| format!("{path}: index"))?;
                if i > items.len() {
                    return Err(format!("{path}: out of range"));
                }
                items.insert(i, value.clone());
            }
            (PatchOp::Add { value, .. }, serde_json::Value::Object(map)) => {
                map.insert(last, value.clone());
            }
            (PatchOp::Replace { value, .. }, serde_json::Value::Array(items)) => {
                let i: usize = last.parse().map_err(|_| format!("{path}: index"))?;
                *items.get_mut(i).ok_or(format!("{path}: missing"))? = value.clone();
            }
            (PatchOp::Replace { value, .. }, serde_json::Value::Object(map)) => {
                *map.get_mut(&last).ok_or(format!("{path}: missing"))? = value.clone();
            }
            (PatchOp::Remove { .. }, serde_json::Value::Array(items)) => {
                let i: usize = last.parse().map_err(|_| format!("{path}: index"))?;
                if i >= items.len() {
                    return Err(format!("{path}: missing"));
                }
                items.remove(i);
            }
            (PatchOp::Remove { .. }, serde_json::Value::Object(map)) => {
                map.remove(&last).ok_or(format!("{path}: missing"))?;
            }
            _ => return Err(format!("{path}: not a container")),
        }
    }
    Ok(())
}

/// Failing results per (rule, benchmark, resource, container): not per location, since a fix
/// moves lines.
fn failures(report: &crate::Report) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for r in &report.results {
        let key = format!(
            "{} {} {} {:?}",
            r.rule,
            r.benchmark,
            r.resource.display(),
            r.container
        );
        *out.entry(key).or_insert(0) += usize::from(r.status == Status::Fail);
    }
    out
}

fn failing(report: &crate::Report, rule: &str) -> usize {
    report
        .results
        .iter()
        .filter(|r| r.rule == rule && r.status == Status::Fail)
        .count()
}

/// Fixes `rules` in `before` (with `benchmarks` selected), expects `after`, and checks the
/// properties of a good fix: the fixed text reads, the rules failed before and pass after, no
/// result got worse, and fixing again changes nothing. The reports before and after.
#[track_caller]
pub(super) fn check_case(
    benchmarks: &[&str],
    rules: &[&str],
    before: &str,
    after: &str,
) -> (crate::Report, crate::Report) {
    let fixed = fix_with(before, rules, benchmarks);
    assert_eq!(fixed, after, "fixed text");
    let (old, new) = (scan_with(before, benchmarks), scan_with(&fixed, benchmarks));
    assert!(
        new.errors.is_empty(),
        "the fixed text reads: {:?}",
        new.errors
    );
    for rule in rules {
        assert!(failing(&old, rule) > 0, "{rule} failed before");
        assert_eq!(failing(&new, rule), 0, "{rule} passes after:\n{fixed}");
    }
    let (was, is) = (failures(&old), failures(&new));
    for (key, n) in &is {
        assert!(
            *n <= was.get(key).copied().unwrap_or(0),
            "{key} got worse:\n{fixed}"
        );
    }
    assert_eq!(fix_with(&fixed, rules, benchmarks), fixed, "idempotent");
    // The JSON Patch makes the same change to the object as the text edits.
    if let (Some(mut object), Some(intended)) = (object_of(before), object_of(&fixed)) {
        let results: Vec<&CheckResult> = old
            .results
            .iter()
            .filter(|r| rules.is_empty() || rules.contains(&r.rule.as_str()))
            .collect();
        let (_, patch, _) = fix_in_file(before, &mut documents(before), &results);
        apply_patch(&mut object, &patch).unwrap_or_else(|e| panic!("{e}: {patch:?}"));
        assert_eq!(object, intended, "the patch {patch:?}");
    }
    (old, new)
}

/// [`check_case`] with every manifest benchmark.
#[track_caller]
fn case(rules: &[&str], before: &str, after: &str) {
    let (old, new) = check_case(ALL, rules, before, after);
    assert!(new.summary.fail < old.summary.fail);
}

#[test]
fn pss_restricted_in_block_style_with_comments() {
    case(
        &["PSS102", "PSS103", "PSS105", "PSS106"],
        "# a deployment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the name\nspec:\n  template:\n    spec:\n      containers:\n        - name: app # main\n          image: nginx:1.0\n          # resources follow\n          resources: {}\n",
        "# a deployment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the name\nspec:\n  template:\n    spec:\n      containers:\n        - name: app # main\n          image: nginx:1.0\n          # resources follow\n          resources: {}\n          securityContext:\n            allowPrivilegeEscalation: false\n            runAsNonRoot: true\n            seccompProfile:\n              type: RuntimeDefault\n            capabilities:\n              drop:\n                - ALL\n",
    );
}

#[test]
fn into_an_existing_security_context_with_four_space_indentation() {
    case(
        &["PSS102", "PSS106"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n    name: p\nspec:\n    containers:\n    -   name: app\n        image: nginx:1.0\n        securityContext:\n            runAsUser: 1000  # keep\n            capabilities:\n                add: [NET_BIND_SERVICE]\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n    name: p\nspec:\n    containers:\n    -   name: app\n        image: nginx:1.0\n        securityContext:\n            runAsUser: 1000  # keep\n            capabilities:\n                add: [NET_BIND_SERVICE]\n                drop:\n                -   ALL\n            allowPrivilegeEscalation: false\n",
    );
}

#[test]
fn flow_style_containers() {
    case(
        &["PSS102", "PSS105", "PSS106"],
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: 'nginx:1.0'}]\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: 'nginx:1.0', securityContext: {allowPrivilegeEscalation: false, seccompProfile: {type: RuntimeDefault}, capabilities: {drop: [ALL]}}}]\n",
    );
}

#[test]
fn flow_lists_and_maps_that_exist_keep_their_quotes() {
    case(
        &["PSS106", "PSS102"],
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext: {capabilities: {drop: [\"NET_RAW\"]}}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext: {capabilities: {drop: [\"NET_RAW\", \"ALL\"]}, allowPrivilegeEscalation: false}\n",
    );
}

#[test]
fn crlf_line_breaks_are_kept() {
    case(
        &["PSS102"],
        "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - name: app\r\n    image: nginx:1.0\r\n",
        "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - name: app\r\n    image: nginx:1.0\r\n    securityContext:\r\n      allowPrivilegeEscalation: false\r\n",
    );
}

#[test]
fn a_file_without_a_final_line_break() {
    case(
        &["PSS102"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      allowPrivilegeEscalation: false",
    );
}

#[test]
fn helm_output_with_several_documents() {
    case(
        &["PSS102", "PSS003"],
        "---\n# Source: chart/templates/a.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: app\n      image: nginx:1.0\n      securityContext:\n        privileged: true\n---\n# Source: chart/templates/b.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n    - name: app\n      image: nginx:1.0\n",
        "---\n# Source: chart/templates/a.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: app\n      image: nginx:1.0\n      securityContext:\n        privileged: false\n        allowPrivilegeEscalation: false\n---\n# Source: chart/templates/b.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n    - name: app\n      image: nginx:1.0\n      securityContext:\n        allowPrivilegeEscalation: false\n",
    );
}

#[test]
fn host_namespaces_privileged_and_host_ports() {
    case(
        &["PSS002", "PSS003", "PSS006"],
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      hostPID: true\n      hostNetwork: yes\n      containers:\n        - name: agent\n          image: agent:1\n          securityContext:\n            privileged: true\n          ports:\n            - containerPort: 9100\n              hostPort: 9100\n            - {hostPort: 9101, containerPort: 9101}\n",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      hostPID: false\n      hostNetwork: false\n      containers:\n        - name: agent\n          image: agent:1\n          securityContext:\n            privileged: false\n          ports:\n            - containerPort: 9100\n            - {containerPort: 9101}\n",
    );
}

#[test]
fn proc_mount_and_a_deep_cron_job() {
    case(
        &["PSS107", "PSS102"],
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          hostUsers: false\n          restartPolicy: Never\n          initContainers:\n          - name: init\n            image: busybox:1\n            securityContext:\n              procMount: Unmasked\n          containers:\n          - name: job\n            image: busybox:1\n            securityContext:\n              allowPrivilegeEscalation: true\n",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          hostUsers: false\n          restartPolicy: Never\n          initContainers:\n          - name: init\n            image: busybox:1\n            securityContext:\n              procMount: Default\n              allowPrivilegeEscalation: false\n          containers:\n          - name: job\n            image: busybox:1\n            securityContext:\n              allowPrivilegeEscalation: false\n",
    );
}

#[test]
fn baseline_proc_mount() {
    case(
        &["PSS010"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext: {procMount: 'Unmasked'}\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext: {procMount: 'Default'}\n",
    );
}

#[test]
fn run_as_non_root_false_at_pod_level_is_changed_where_it_is() {
    case(
        &["PSS103"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsNonRoot: false\n  containers:\n  - name: app\n    image: nginx:1.0\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsNonRoot: true\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      runAsNonRoot: true\n",
    );
}

#[test]
fn seccomp_unconfined_becomes_runtime_default() {
    case(
        &["PSS105"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      seccompProfile:\n        type: \"Unconfined\"\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      seccompProfile:\n        type: \"RuntimeDefault\"\n",
    );
}

#[test]
fn an_empty_security_context_is_filled() {
    case(
        &["PSS102", "PSS106"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext: # nothing yet\n  - name: b\n    image: nginx:1.0\n    securityContext: {}\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext: # nothing yet\n      allowPrivilegeEscalation: false\n      capabilities:\n        drop:\n        - ALL\n  - name: b\n    image: nginx:1.0\n    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n",
    );
}

#[test]
fn workload_rules_read_only_root_net_raw_token_and_pull_policy() {
    case(
        &["WKL001", "WKL004", "WKL006", "IMG004"],
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example/app:1.2\n        imagePullPolicy: IfNotPresent\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example/app:1.2\n        imagePullPolicy: Always\n        securityContext:\n          capabilities:\n            drop:\n            - NET_RAW\n          readOnlyRootFilesystem: true\n      automountServiceAccountToken: false\n",
    );
}

#[test]
fn net_raw_and_drop_all_merge_into_one_item() {
    case(
        &["WKL006", "PSS106"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      capabilities:\n        drop:\n        - ALL\n",
    );
}

#[test]
fn the_default_service_account() {
    case(
        &["RBAC005"],
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\nautomountServiceAccountToken: false\n",
    );
}

#[test]
fn items_of_a_list() {
    case(
        &["PSS102"],
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: app\n      image: nginx:1.0\n",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: app\n      image: nginx:1.0\n      securityContext:\n        allowPrivilegeEscalation: false\n",
    );
}

#[test]
fn an_added_capability_has_no_fix() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN]\n        drop: [ALL]\n";
    let report = scan(text);
    let pss106 = report
        .results
        .iter()
        .find(|r| r.rule == "PSS106" && r.status == Status::Fail)
        .unwrap();
    assert!(pss106.fix.is_none());
    assert_eq!(fix_rules(text, &["PSS106"]), text);
}

#[test]
fn json_files_are_not_edited() {
    let text = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "nginx:1.0"}]}}"#;
    assert_eq!(fix_rules(text, &[]), text);
}

#[test]
fn results_carry_their_fix_with_edits_and_patch() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: é\n    image: nginx:1.0 # ü\n";
    let report = scan(text);
    let result = report
        .results
        .iter()
        .find(|r| r.rule == "PSS102" && r.status == Status::Fail)
        .unwrap();
    let fix = result.fix.as_deref().unwrap();
    assert_eq!(
        fix.description,
        "set securityContext.allowPrivilegeEscalation: false in container \"é\" (container \
         level, the narrowest setting that passes)"
    );
    assert_eq!(
        fix.patch,
        vec![PatchOp::Add {
            path: "/spec/containers/0/securityContext".to_owned(),
            value: serde_json::json!({"allowPrivilegeEscalation": false}),
        }]
    );
    let [edit] = fix.edits.as_slice() else {
        panic!("one edit")
    };
    assert_eq!(edit.start, edit.end);
    assert_eq!((edit.start.line, edit.start.column), (9, 1));
    assert_eq!(edit.start.offset, text.len());
    assert_eq!(
        edit.new_text,
        "    securityContext:\n      allowPrivilegeEscalation: false\n"
    );
    // Passing results have none.
    assert!(
        report
            .results
            .iter()
            .all(|r| r.status == Status::Fail || r.fix.is_none())
    );
}

#[test]
fn columns_count_code_points() {
    let text = "a: \u{1F600}é\n";
    assert_eq!(position(text, text.len() - 1).column, 6);
    assert_eq!(position(text, text.len()).line, 2);
}

#[test]
fn every_fixable_rule_is_a_rule() {
    for code in FIXABLE_RULES {
        assert!(crate::find_rule(code).is_some(), "{code}");
    }
}

#[test]
fn a_control_plane_static_pod_keeps_its_host_network_and_ports() {
    let apiserver = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.4\n    command:\n    - /usr/local/bin/kube-apiserver\n    - --secure-port=6443\n    ports:\n    - containerPort: 6443\n      hostPort: 6443\n";
    let report = scan(apiserver);
    let failing: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.rule.as_str(), "PSS002" | "PSS006") && r.status == Status::Fail)
        .collect();
    assert!(
        !failing.is_empty(),
        "the static pod fails PSS002 and PSS006"
    );
    assert!(failing.iter().all(|r| r.fix.is_none()), "no fix is offered");
    let fixed = fix_rules(apiserver, &["PSS002", "PSS006"]);
    assert_eq!(fixed, apiserver);
    // The same pod running anything else is fixed.
    let other = apiserver.replace("/usr/local/bin/kube-apiserver", "/app/server");
    let fixed = fix_rules(&other, &["PSS002", "PSS006"]);
    assert!(
        fixed.contains("hostNetwork: false") && !fixed.contains("hostPort"),
        "{fixed}"
    );
}

#[test]
fn run_as_non_root_is_not_added_to_a_container_that_runs_as_uid_0() {
    for text in [
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      runAsUser: 0\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n  - name: app\n    image: nginx:1.0\n",
    ] {
        let report = scan(text);
        assert!(failing(&report, "PSS103") > 0);
        assert!(
            report
                .results
                .iter()
                .filter(|r| r.rule == "PSS103")
                .all(|r| r.fix.is_none())
        );
        assert_eq!(fix_rules(text, &["PSS103"]), text);
    }
    // A container that overrides its pod's uid 0 is fixed.
    case(
        &["PSS103"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      runAsUser: 1000\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n  - name: app\n    image: nginx:1.0\n    securityContext:\n      runAsUser: 1000\n      runAsNonRoot: true\n",
    );
}

#[test]
fn the_catalog_says_which_rules_and_checks_have_a_fix() {
    let catalog = crate::catalog();
    for info in &catalog {
        assert_eq!(info.fixable, is_fixable(&info.code), "{}", info.code);
    }
    assert!(catalog.iter().any(|i| i.code == "CIS-1.2.1" && i.fixable));
    assert!(catalog.iter().any(|i| i.code == "PSS102" && i.fixable));
    assert!(catalog.iter().any(|i| i.code == "PSS101" && !i.fixable));
}
