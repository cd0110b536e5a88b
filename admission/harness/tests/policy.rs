//! The Kubewarden policy, built from source and loaded with the waPC host as a policy server
//! loads it, called with real AdmissionRequests.

use serde_json::{Value, json};
use stockade_admission_harness::{Policy, policy_wasm};

/// The policy, loaded as a policy server loads it. (A waPC host is not `Sync`, and nextest
/// runs each test in its own process: each test loads its own.)
fn policy() -> Policy {
    let path = policy_wasm().expect("policy module");
    Policy::load(&path).expect("the policy loads")
}

const RESTRICTED_SPEC: &str = r#"{
  "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
  "containers": [{
    "name": "app", "image": "registry.example.com/shop/app:1.0.0",
    "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
  }]
}"#;

fn restricted_spec() -> Value {
    serde_json::from_str(RESTRICTED_SPEC).unwrap()
}

fn privileged_spec() -> Value {
    let mut spec = restricted_spec();
    spec["containers"][0]["securityContext"]["privileged"] = json!(true);
    spec
}

/// Every pod-bearing kind: (group, version, resource, kind, object around a pod spec).
fn pod_bearing(kind: &str, spec: Value) -> (String, String, String, Value) {
    let meta = json!({"labels": {"app": "web"}});
    let template = json!({"metadata": meta, "spec": spec});
    let selector = json!({"matchLabels": {"app": "web"}});
    let (group, version, resource, body) = match kind {
        "Pod" => ("", "v1", "pods", json!({"spec": spec})),
        "PodTemplate" => ("", "v1", "podtemplates", json!({"template": template})),
        "ReplicationController" => (
            "",
            "v1",
            "replicationcontrollers",
            json!({"spec": {"selector": {"app": "web"}, "template": template}}),
        ),
        "Deployment" => (
            "apps",
            "v1",
            "deployments",
            json!({"spec": {"selector": selector, "template": template}}),
        ),
        "StatefulSet" => (
            "apps",
            "v1",
            "statefulsets",
            json!({"spec": {"serviceName": "web", "selector": selector, "template": template}}),
        ),
        "DaemonSet" => (
            "apps",
            "v1",
            "daemonsets",
            json!({"spec": {"selector": selector, "template": template}}),
        ),
        "ReplicaSet" => (
            "apps",
            "v1",
            "replicasets",
            json!({"spec": {"selector": selector, "template": template}}),
        ),
        "Job" => (
            "batch",
            "v1",
            "jobs",
            json!({"spec": {"template": {"metadata": {}, "spec": {"restartPolicy": "Never", "containers": template["spec"]["containers"], "securityContext": template["spec"]["securityContext"]}}}}),
        ),
        "CronJob" => (
            "batch",
            "v1",
            "cronjobs",
            json!({"spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}}),
        ),
        other => panic!("{other}"),
    };
    let mut object = body;
    object["apiVersion"] = json!(if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    });
    object["kind"] = json!(kind);
    object["metadata"] = json!({"name": "web", "namespace": "shop"});
    (
        group.to_owned(),
        version.to_owned(),
        resource.to_owned(),
        object,
    )
}

const KINDS: [&str; 9] = [
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

/// An AdmissionRequest as the API server writes it.
fn request(operation: &str, group: &str, version: &str, resource: &str, object: &Value) -> Value {
    let kind = object["kind"].clone();
    json!({
        "uid": "b8a2a9f6-2a6e-4c4b-9d4f-8f1d3c1e2a01",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": object["metadata"]["name"],
        "namespace": object["metadata"]["namespace"],
        "operation": operation,
        "userInfo": {"username": "alice@example.com", "uid": "1001", "groups": ["developers", "system:authenticated"]},
        "object": if operation == "DELETE" { Value::Null } else { object.clone() },
        "oldObject": if operation == "CREATE" { Value::Null } else { object.clone() },
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": format!("{}Options", operation[..1].to_owned() + &operation[1..].to_lowercase())},
    })
}

fn create(kind: &str, spec: Value) -> Value {
    let (g, v, r, object) = pod_bearing(kind, spec);
    request("CREATE", &g, &v, &r, &object)
}

/// A ValidationResponse without its unset (null) fields.
fn set_fields(mut answer: Value) -> Value {
    if let Some(fields) = answer.as_object_mut() {
        fields.retain(|_, v| !v.is_null());
    }
    answer
}

fn baseline() -> Value {
    json!({"benchmarks": ["pss-baseline"]})
}

#[test]
fn it_speaks_the_kubewarden_protocol() {
    let p = policy();
    assert_eq!(p.protocol_version().unwrap(), json!("v1"));
    assert_eq!(
        p.validate_settings(&json!({})).unwrap()["valid"],
        json!(true)
    );
}

#[test]
fn bad_settings_are_rejected_naming_the_key() {
    let p = policy();
    let cases = [
        (
            json!({"benchmark": ["pss-baseline"]}),
            "unknown field `benchmark`",
        ),
        (
            json!({"admission": {"enforce": {"level": "restricted"}}}),
            "invalid Stockade settings at `admission.enforce.level`: unknown field `level`",
        ),
        (
            json!({"admission": {"warn": {"benchmarks": ["pss-strict"]}}}),
            "/admission/warn/benchmarks/0",
        ),
        (
            json!({"ignore": ["NOPE1"]}),
            "/ignore/0: \"NOPE1\" matches no rule code",
        ),
        (
            json!({"plugins": [{"path": "rules.wasm"}]}),
            "/plugins: rule plugins run in the stockade CLI only",
        ),
        (
            json!({"exemptions": [{"rules": ["PSS003"], "reason": ""}]}),
            "/exemptions/0/reason: an exemption needs a reason",
        ),
    ];
    for (settings, expected) in cases {
        let answer = p.validate_settings(&settings).unwrap();
        assert_eq!(answer["valid"], json!(false), "{settings}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{message}");
    }
    // A request evaluated with bad settings anyway is an error decision, never a crash.
    let answer = p
        .validate_raw(
            &json!({"request": create("Pod", privileged_spec()), "settings": {"benchmark": []}})
                .to_string(),
        )
        .unwrap();
    assert_eq!(
        (answer["accepted"].clone(), answer["code"].clone()),
        (json!(false), json!(400))
    );
}

#[test]
fn every_pod_bearing_kind_is_judged() {
    let p = policy();
    for kind in KINDS {
        let answer = p
            .validate(&create(kind, privileged_spec()), &baseline())
            .unwrap();
        assert_eq!(answer["accepted"], json!(false), "{kind}: {answer}");
        assert_eq!(answer["code"], json!(403));
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "violates Stockade policy \"pss-baseline@latest\": PSS003 privileged ("
            ),
            "{kind}: {message}"
        );
        assert!(message.contains("/containers/0/securityContext/privileged: container \"app\" must not set securityContext.privileged=true"), "{message}");

        let answer = p
            .validate(
                &create(kind, restricted_spec()),
                &json!({"benchmarks": ["pss-restricted"]}),
            )
            .unwrap();
        assert_eq!(answer["accepted"], json!(true), "{kind}: {answer}");
    }
}

#[test]
fn ephemeral_containers_are_judged_through_their_subresource() {
    let p = policy();
    let (g, v, r, mut pod) = pod_bearing("Pod", restricted_spec());
    let old = pod.clone();
    pod["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox:1.36", "targetContainerName": "app", "securityContext": {"privileged": true}}]);
    let mut req = request("UPDATE", &g, &v, &r, &pod);
    req["oldObject"] = old;
    req["subResource"] = json!("ephemeralcontainers");
    let answer = p.validate(&req, &baseline()).unwrap();
    assert_eq!(answer["accepted"], json!(false), "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("/spec/ephemeralContainers/0/securityContext/privileged")
    );
}

#[test]
fn updates_are_judged_when_they_change_what_a_rule_reads() {
    let p = policy();
    // A running privileged pod: relabelling it is allowed, a new image is judged.
    let (g, v, r, pod) = pod_bearing("Pod", privileged_spec());
    let mut relabelled = pod.clone();
    relabelled["metadata"]["labels"] = json!({"tier": "web"});
    let mut req = request("UPDATE", &g, &v, &r, &relabelled);
    req["oldObject"] = pod.clone();
    assert_eq!(
        set_fields(p.validate(&req, &baseline()).unwrap()),
        json!({"accepted": true})
    );
    let mut new_image = pod.clone();
    new_image["spec"]["containers"][0]["image"] = json!("registry.example.com/shop/app:1.1.0");
    req["object"] = new_image;
    assert_eq!(
        p.validate(&req, &baseline()).unwrap()["accepted"],
        json!(false)
    );

    // A Deployment admitted before the policy: scaling it keeps its violations (a warning),
    // a new one is rejected.
    let (g, v, r, deployment) = pod_bearing("Deployment", privileged_spec());
    let mut scaled = deployment.clone();
    scaled["spec"]["replicas"] = json!(3);
    let mut req = request("UPDATE", &g, &v, &r, &scaled);
    req["oldObject"] = deployment;
    let answer = p.validate(&req, &baseline()).unwrap();
    assert_eq!(answer["accepted"], json!(true), "{answer}");
    assert!(answer["warnings"][0].as_str().unwrap().starts_with("already violated before this update, so not newly rejected: Stockade policy \"pss-baseline@latest\": PSS003"));
    req["object"]["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    let answer = p.validate(&req, &baseline()).unwrap();
    assert_eq!(answer["accepted"], json!(false));
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("PSS002 host-namespaces (/spec/template/spec/hostNetwork")
    );
}

#[test]
fn delete_and_dry_run() {
    let p = policy();
    let (g, v, r, pod) = pod_bearing("Pod", privileged_spec());
    let req = request("DELETE", &g, &v, &r, &pod);
    assert_eq!(
        set_fields(p.validate(&req, &baseline()).unwrap()),
        json!({"accepted": true})
    );
    // A dry run gets the decision the real request would get (the policy has no side effects).
    let mut req = request("CREATE", &g, &v, &r, &pod);
    req["dryRun"] = json!(true);
    req["options"]["dryRun"] = json!(["All"]);
    assert_eq!(
        p.validate(&req, &baseline()).unwrap()["accepted"],
        json!(false)
    );
}

#[test]
fn exempt_namespaces_and_users() {
    let p = policy();
    let settings = json!({"benchmarks": ["pss-baseline"], "admission": {"exemptions": {"namespaces": ["kube-system"], "usernames": ["system:serviceaccount:kube-system:daemon-set-controller"], "groups": ["platform-admins"]}}});
    let mut req = create("DaemonSet", privileged_spec());
    req["namespace"] = json!("kube-system");
    req["object"]["metadata"]["namespace"] = json!("kube-system");
    let answer = p.validate(&req, &settings).unwrap();
    assert_eq!(
        set_fields(answer),
        json!({"accepted": true, "audit_annotations": {"exempt": "namespace"}})
    );
    let mut req = create("Pod", privileged_spec());
    req["userInfo"]["username"] = json!("system:serviceaccount:kube-system:daemon-set-controller");
    assert_eq!(
        p.validate(&req, &settings).unwrap()["audit_annotations"]["exempt"],
        json!("user")
    );
    let mut req = create("Pod", privileged_spec());
    req["userInfo"]["groups"] = json!(["platform-admins"]);
    assert_eq!(
        p.validate(&req, &settings).unwrap()["audit_annotations"]["exempt"],
        json!("group")
    );
    assert_eq!(
        p.validate(&create("Pod", privileged_spec()), &settings)
            .unwrap()["accepted"],
        json!(false)
    );
}

#[test]
fn exempt_annotations_are_ignored_unless_the_policy_allows_them() {
    let p = policy();
    let mut req = create("Deployment", privileged_spec());
    req["object"]["metadata"]["annotations"] =
        json!({"stockade.dev/exempt": "- rules: [PSS003]\n  reason: GPU driver\n"});
    let answer = p.validate(&req, &baseline()).unwrap();
    assert_eq!(answer["accepted"], json!(false));
    assert!(
        answer["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("stockade.dev/exempt is ignored at admission")
    );
    let allowed =
        json!({"benchmarks": ["pss-baseline"], "admission": {"annotationRules": ["PSS003"]}});
    let answer = p.validate(&req, &allowed).unwrap();
    assert_eq!(answer["accepted"], json!(true), "{answer}");
}

#[test]
fn warn_and_audit_modes_allow_with_warnings_and_annotations() {
    let p = policy();
    let settings = json!({"admission": {
        "enforce": {"benchmarks": ["pss-baseline"]},
        "warn": {"benchmarks": ["cis-k8s@1.12"]},
        "audit": {"benchmarks": ["pss-restricted"]},
    }});
    let mut spec = restricted_spec();
    spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = json!(true);
    let answer = p.validate(&create("Deployment", spec), &settings).unwrap();
    assert_eq!(answer["accepted"], json!(true), "{answer}");
    assert!(
        answer["warnings"][0].as_str().unwrap().starts_with(
            "would violate Stockade policy \"cis-k8s@1.12\": PSS102 allow-privilege-escalation"
        ),
        "{answer}"
    );
    assert!(
        answer["audit_annotations"]["audit-violations"]
            .as_str()
            .unwrap()
            .starts_with("would violate Stockade policy \"pss-restricted@latest\": PSS102")
    );
}

#[test]
fn malformed_requests_are_error_decisions() {
    let p = policy();
    let cases = [
        ("{\"request\": ", "the payload is not JSON"),
        ("{\"settings\": {}}", "the payload has no `request`"),
    ];
    for (payload, expected) in cases {
        let answer = p.validate_raw(payload).unwrap();
        assert_eq!(answer["code"], json!(400));
        assert!(
            answer["message"].as_str().unwrap().contains(expected),
            "{answer}"
        );
    }
    let mut req = create("Pod", privileged_spec());
    req["object"]["spec"]["containers"] = json!({"name": "app"});
    let answer = p.validate(&req, &baseline()).unwrap();
    assert_eq!(
        (answer["accepted"].clone(), answer["code"].clone()),
        (json!(false), json!(400)),
        "{answer}"
    );
    let mut req = create("Pod", privileged_spec());
    req["kind"]["kind"] = json!("Secret");
    let answer = p.validate(&req, &baseline()).unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("Stockade does not evaluate Secret"),
        "{answer}"
    );
    let big = json!({"benchmarks": ["pss-baseline"], "admission": {"maxRequestBytes": 512}});
    let answer = p.validate(&create("Pod", privileged_spec()), &big).unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("over the policy's limit of 512"),
        "{answer}"
    );
}

fn yaml(path: &std::path::Path) -> Value {
    use stockade_core::input::yaml::{Limits, parse_document};
    let text = std::fs::read_to_string(path).unwrap();
    let (node, errors) = parse_document(&text, 0, Limits::default());
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    node.unwrap().to_json()
}

#[test]
fn the_example_policies_are_valid_settings_for_the_kinds_the_metadata_names() {
    let p = policy();
    let root = stockade_admission_harness::workspace();
    let metadata = yaml(&root.join("kubewarden/metadata.yml"));
    for file in ["stockade-enforce.yaml", "stockade-warn-first.yaml"] {
        let example = yaml(&root.join("../examples/admission").join(file));
        assert_eq!(example["kind"], json!("ClusterAdmissionPolicy"));
        let answer = p.validate_settings(&example["spec"]["settings"]).unwrap();
        assert_eq!(answer["valid"], json!(true), "{file}: {answer}");
        // Each example targets only resources the metadata declares.
        for rule in example["spec"]["rules"].as_array().unwrap() {
            let declared = metadata["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["apiGroups"] == rule["apiGroups"])
                .unwrap();
            for resource in rule["resources"].as_array().unwrap() {
                assert!(
                    declared["resources"].as_array().unwrap().contains(resource),
                    "{file}: {resource}"
                );
            }
        }
    }
}

#[test]
fn the_metadata_is_embedded_as_kubewarden_reads_it() {
    use stockade_admission_harness::{
        custom_section, metadata_section, sections, with_custom_section,
    };
    let bytes = std::fs::read(policy_wasm().unwrap()).unwrap();
    let metadata = yaml(&stockade_admission_harness::workspace().join("kubewarden/metadata.yml"));
    let data = serde_json::to_vec(&metadata).unwrap();
    let annotated = with_custom_section(&bytes, metadata_section(), &data).unwrap();
    let again = with_custom_section(&annotated, metadata_section(), &data).unwrap();
    assert_eq!(annotated, again, "annotating twice replaces the section");
    let count = sections(&again)
        .unwrap()
        .iter()
        .filter(|(_, n, _)| n.as_deref() == Some(metadata_section()))
        .count();
    assert_eq!(count, 1);
    let read: Value = serde_json::from_slice(
        &custom_section(&annotated, metadata_section())
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(read, metadata);
    assert_eq!(
        (
            read["mutating"].clone(),
            read["contextAware"].clone(),
            read["executionMode"].clone()
        ),
        (json!(false), json!(false), json!("kubewarden-wapc"))
    );
    // The annotated module still runs.
    let p = Policy::from_bytes(&annotated).unwrap();
    assert_eq!(p.protocol_version().unwrap(), json!("v1"));
}
