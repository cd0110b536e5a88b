//! Objects read back from a cluster (`kubectl get ... -o yaml`): each verdict once, on the
//! controller; what differs stays on the object.

mod common;

use std::collections::BTreeMap;

use stockade_core::report::Report;
use stockade_core::{Options, OptionsSpec, evaluate};

const KUBECTL: &str = include_str!("fixtures/kubectl/get-workloads.yaml");

fn scan(text: &str) -> Report {
    let spec: OptionsSpec = serde_json::from_str(
        r#"{"benchmarks": ["pss-restricted", "cis-k8s", "nsa-cisa", "image-hygiene"]}"#,
    )
    .expect("options");
    let options: Options = spec.resolve().expect("valid options");
    evaluate(&common::manifests(&[("cluster.yaml", text)]), &options)
}

/// Results per resource name.
fn per_resource(report: &Report) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in &report.results {
        *out.entry(r.resource.name.to_string()).or_default() += 1;
    }
    out
}

#[test]
fn controlled_objects_repeat_nothing_their_controller_says() {
    let report = scan(KUBECTL);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let counts = per_resource(&report);
    // The controllers carry the verdicts.
    assert!(counts.get("web").copied().unwrap_or(0) > 10, "{counts:?}");
    assert!(
        counts.get("report").copied().unwrap_or(0) > 10,
        "{counts:?}"
    );
    // A ReplicaSet, a Job and a pod that only repeat them have no result of their own.
    for name in [
        "web-6d8f9c7b5",
        "web-6d8f9c7b5-7xk2p",
        "report-29411460",
        "report-29411460-h7d2x",
    ] {
        assert_eq!(counts.get(name), None, "{name}: {counts:?}");
    }
    // The pod changed at admission keeps what differs: the injected init container's results.
    let mutated: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.resource.name == "web-6d8f9c7b5-q4m9d")
        .collect();
    assert!(!mutated.is_empty());
    for r in &mutated {
        assert!(
            r.message.contains("istio-init") || r.status == stockade_core::report::Status::Pass,
            "{}: {}",
            r.rule,
            r.message
        );
    }
    // A pod with no controller in the input is reported as itself.
    assert!(counts.get("debug-7f2").copied().unwrap_or(0) > 0);
    // The report says what was folded where.
    let owned: Vec<(String, Vec<(String, usize)>)> = report
        .owned
        .iter()
        .map(|f| {
            (
                f.owner.display(),
                f.objects.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            )
        })
        .collect();
    assert_eq!(
        owned,
        vec![
            (
                "Deployment shop/web".to_owned(),
                vec![("Pod".to_owned(), 2), ("ReplicaSet".to_owned(), 1)]
            ),
            (
                "CronJob shop/report".to_owned(),
                vec![("Job".to_owned(), 1), ("Pod".to_owned(), 1)]
            ),
        ]
    );
    // The same verdicts as scanning the controllers alone, plus the differences.
    let text = stockade_core::report::text::render(&report, Default::default());
    assert!(
        text.contains("Deployment shop/web  cluster.yaml  (and the same verdicts of the 2 Pods and 1 ReplicaSet it controls)"),
        "{text}"
    );
}

#[test]
fn an_owner_reference_to_another_incarnation_or_a_missing_object_folds_nothing() {
    // The ReplicaSet was deleted and recreated under the same name: the pods name the old uid.
    let stale = KUBECTL.replace(
        "      uid: 0c4d7e2b-5a3f-4f1e-8d2c-1b9e6a7f3c02\n",
        "      uid: 00000000-0000-4000-8000-000000000000\n",
    );
    let counts = per_resource(&scan(&stale));
    assert!(
        counts.get("web-6d8f9c7b5-7xk2p").copied().unwrap_or(0) > 10,
        "{counts:?}"
    );
    // Without its ReplicaSet in the input, a pod is reported as itself.
    let start = KUBECTL
        .find("- apiVersion: apps/v1\n  kind: ReplicaSet")
        .expect("RS");
    let end = KUBECTL.find("- apiVersion: v1\n  kind: Pod").expect("pod");
    let without = format!("{}{}", &KUBECTL[..start], &KUBECTL[end..]);
    let report = scan(&without);
    let counts = per_resource(&report);
    assert!(
        counts.get("web-6d8f9c7b5-7xk2p").copied().unwrap_or(0) > 10,
        "{counts:?}"
    );
    assert_eq!(report.owned.len(), 1, "only the CronJob's chain");
}

#[test]
fn manifests_without_uids_fold_by_name_and_cycles_end() {
    let plain = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: ops}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      hostNetwork: true\n      containers: [{name: a, image: a:1}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: agent-x\n  namespace: ops\n  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, controller: true}]\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: a:1}]\n";
    let report = scan(plain);
    let counts = per_resource(&report);
    assert_eq!(counts.get("agent-x"), None, "{counts:?}");
    assert_eq!(report.owned.len(), 1);
    // A reference that is not the controller's, or two objects that own each other: nothing
    // is folded, and nothing hangs.
    let not_controller = plain.replace(", controller: true", "");
    assert!(per_resource(&scan(&not_controller)).contains_key("agent-x"));
    let cycle = "kind: ReplicaSet\napiVersion: apps/v1\nmetadata:\n  name: a\n  ownerReferences: [{kind: ReplicaSet, name: b, controller: true}]\nspec: {template: {spec: {containers: [{name: c, image: c:1}]}}}\n---\nkind: ReplicaSet\napiVersion: apps/v1\nmetadata:\n  name: b\n  ownerReferences: [{kind: ReplicaSet, name: a, controller: true}]\nspec: {template: {spec: {containers: [{name: c, image: c:1}]}}}\n";
    let report = scan(cycle);
    assert!(report.owned.is_empty());
    let counts = per_resource(&report);
    assert!(
        counts.contains_key("a") && counts.contains_key("b"),
        "{counts:?}"
    );
}
