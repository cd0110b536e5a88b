//! Parity: for every object of `examples/` and the core's fixtures that admission judges, the
//! policy's decision names exactly the failing rules that `stockade scan` reports for the same
//! object and options (the scan's `evaluate`, run here natively on the whole file).
//!
//! Two differences are by design and excluded from the comparison: cross-resource rules
//! (`NET001`, `WKL004`), which need objects an admission request does not carry, and annotation
//! exemptions, which admission ignores (so the scan runs with `annotations.allow: false`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use stockade_admission_harness::{Policy, policy_wasm};
use stockade_core::admission::cross_resource_rules;
use stockade_core::input::manifest::parse_manifests;
use stockade_core::input::yaml::Limits;
use stockade_core::{Input, OptionsSpec, RULES, SourceFile, Status};

const BENCHMARKS: [&str; 4] = [
    "pss-restricted@latest",
    "cis-k8s@1.12",
    "nsa-cisa",
    "image-hygiene",
];

const GROUPS: &[(&str, &str)] = &[
    ("Pod", ""),
    ("ReplicationController", ""),
    ("PodTemplate", ""),
    ("ServiceAccount", ""),
    ("Deployment", "apps"),
    ("StatefulSet", "apps"),
    ("DaemonSet", "apps"),
    ("ReplicaSet", "apps"),
    ("Job", "batch"),
    ("CronJob", "batch"),
    ("Role", "rbac.authorization.k8s.io"),
    ("ClusterRole", "rbac.authorization.k8s.io"),
    ("RoleBinding", "rbac.authorization.k8s.io"),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io"),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn the_policy_names_the_rules_the_scan_fails() {
    let root = stockade_admission_harness::workspace().join("..");
    let mut inputs = Vec::new();
    for dir in ["examples", "core/tests/fixtures"] {
        files(&root.join(dir), &mut inputs);
    }
    let spec: OptionsSpec =
        serde_json::from_value(json!({"benchmarks": BENCHMARKS, "annotations": {"allow": false}}))
            .unwrap();
    let options = spec.resolve().unwrap();
    let settings = json!({"benchmarks": BENCHMARKS});
    let policy = Policy::load(&policy_wasm().unwrap()).unwrap();
    let excluded = cross_resource_rules();
    let (mut compared, mut failing) = (0, 0);
    for path in inputs {
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let parsed = parse_manifests(&name, &text, Limits::default());
        let report = stockade_core::evaluate(
            &Input {
                files: vec![SourceFile {
                    name: &name,
                    text: &text,
                }],
                ..Input::default()
            },
            &options,
        );
        for resource in &parsed.resources {
            let id = &resource.identity;
            let Some((_, group)) = GROUPS.iter().find(|(k, _)| *k == id.kind) else {
                continue;
            };
            let same: Vec<_> = parsed
                .resources
                .iter()
                .filter(|r| r.identity == *id)
                .collect();
            let has_errors = report.errors.iter().any(|e| {
                e.level == stockade_core::report::ErrorLevel::Error
                    && e.message.starts_with(&id.display())
            });
            // An object a controller in the same file made (kubectl output) has the verdicts its
            // controller repeats reported on the controller in a scan (`stockade_core::owners`);
            // at admission it is judged alone. Compared only where the scan judges it alone too.
            let controlled = report.owned.iter().any(|f| f.file == name)
                && resource
                    .node
                    .get("metadata")
                    .and_then(|m| m.get("ownerReferences"))
                    .is_some();
            if same.len() > 1 || has_errors || controlled {
                continue;
            }
            let mut expected: Vec<&str> = report
                .results
                .iter()
                .filter(|r| {
                    r.resource == *id
                        && r.status == Status::Fail
                        && !excluded.contains(&r.rule.as_str())
                })
                .map(|r| r.rule.as_str())
                .collect();
            expected.sort_unstable();
            expected.dedup();
            let version = id.api_version.rsplit('/').next().unwrap_or_default();
            let object = resource.node.to_json();
            let request = json!({
                "uid": "parity",
                "kind": {"group": group, "version": version, "kind": id.kind.as_str()},
                "resource": {"group": group, "version": version, "resource": format!("{}s", id.kind.to_lowercase())},
                "name": id.name.as_str(),
                "namespace": id.namespace.as_deref().unwrap_or_default(),
                "operation": "CREATE",
                "userInfo": {"username": "parity", "groups": []},
                "object": object,
                "oldObject": Value::Null,
                "dryRun": false,
            });
            let answer = policy.validate(&request, &settings).unwrap();
            let message = answer["message"].as_str().unwrap_or_default();
            // Every code the message names: a rule's, or a CIS check's (a static pod's flags).
            let mut candidates: Vec<(&str, &str)> =
                RULES.iter().map(|r| (r.code, r.name)).collect();
            candidates.extend(
                report
                    .results
                    .iter()
                    .map(|r| (r.rule.as_str(), r.name.as_str())),
            );
            let mut named: Vec<&str> = candidates
                .into_iter()
                .filter(|(code, name)| message.contains(&format!("{code} {name} (")))
                .map(|(code, _)| code)
                .collect();
            named.sort_unstable();
            named.dedup();
            assert_eq!(named, expected, "{name}: {}\n{answer}", id.display());
            assert_eq!(
                answer["accepted"],
                json!(expected.is_empty()),
                "{name}: {}\n{answer}",
                id.display()
            );
            compared += 1;
            failing += usize::from(!expected.is_empty());
        }
    }
    // The inputs hold many judged objects, failing and passing: the comparison is not vacuous.
    assert!(
        compared > 100 && failing > 50,
        "compared {compared} objects, {failing} failing"
    );
    eprintln!("parity: {compared} objects compared, {failing} of them failing");
}
