//! Workloads, Services and Namespaces carry the labels the organisation requires (an owner,
//! an application name), so that every object can be traced to a team.
//!
//! Settings: `{"labels": ["owner", "app.kubernetes.io/name"], "kinds": ["Deployment", ...]}`.

use stockade_plugin_sdk::{Finding, Input, Metadata, Plugin, RuleInfo, Severity, Value};

const DEFAULT_LABELS: &[&str] = &["app.kubernetes.io/name", "owner"];
const DEFAULT_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "Namespace",
];

struct RequiredLabels;

fn strings(settings: &Value, key: &str, default: &[&str]) -> Vec<String> {
    match settings.get(key).and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        None => default.iter().map(|s| (*s).to_owned()).collect(),
    }
}

impl Plugin for RequiredLabels {
    fn metadata() -> Metadata {
        Metadata::new("required-labels", "0.1.0").rule(
            RuleInfo::new("LBL001", "Objects carry the required labels", Severity::Low)
                .description(
                    "Fails a workload, Service or Namespace that lacks a label the policy requires \
                     (by default `app.kubernetes.io/name` and `owner`). Without an owner, nobody \
                     is paged when the object misbehaves or a finding must be fixed.",
                )
                .remediation("Add the missing labels to metadata.labels.")
                .control("acme", "ownership"),
        )
    }

    fn validate_settings(settings: &Value) -> Result<(), String> {
        for key in ["labels", "kinds"] {
            if let Some(v) = settings.get(key) {
                let ok = v.as_array().is_some_and(|l| l.iter().all(Value::is_string));
                if !ok {
                    return Err(format!("`{key}` must be a list of strings"));
                }
            }
        }
        if let Some(other) = settings.as_object().and_then(|m| {
            m.keys()
                .find(|k| !["labels", "kinds"].contains(&k.as_str()))
        }) {
            return Err(format!("unknown setting `{other}` (known: labels, kinds)"));
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vec<Finding>, String> {
        let required = strings(&input.settings, "labels", DEFAULT_LABELS);
        let kinds = strings(&input.settings, "kinds", DEFAULT_KINDS);
        let mut out = Vec::new();
        for r in input.resources.iter().filter(|r| kinds.contains(&r.kind)) {
            let labels = r.labels();
            let missing: Vec<&str> = required
                .iter()
                .map(String::as_str)
                .filter(|l| !labels.contains_key(l))
                .collect();
            out.push(if missing.is_empty() {
                Finding::pass("LBL001", r, "carries every required label")
            } else {
                Finding::fail(
                    "LBL001",
                    r,
                    "/metadata/labels",
                    format!("{} lacks the label(s) {}", r.display(), missing.join(", ")),
                )
            });
        }
        Ok(out)
    }
}

stockade_plugin_sdk::plugin!(RequiredLabels);
