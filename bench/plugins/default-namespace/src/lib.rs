//! WKL005 (`default-namespace`) re-implemented as a plugin with the same verdicts, so that the
//! benchmark can compare a plugin rule with the same rule built in.

use stockade_plugin_sdk::{Finding, Input, Metadata, Plugin, RuleInfo, Severity, Value};

struct DefaultNamespace;

impl Plugin for DefaultNamespace {
    fn metadata() -> Metadata {
        Metadata::new("default-namespace", "0.1.0").rule(RuleInfo::new(
            "WKL005",
            "Resources are not placed in the default namespace",
            Severity::Low,
        ))
    }

    fn evaluate(input: &Input) -> Result<Vec<Finding>, String> {
        let mut out = Vec::new();
        for r in &input.resources {
            let Some(ns) = r.get("/metadata/namespace").and_then(Value::as_str) else {
                continue;
            };
            let own = r.name == "kubernetes"
                && matches!(r.kind.as_str(), "Service" | "Endpoints" | "EndpointSlice");
            out.push(if ns == "default" && !own {
                Finding::fail(
                    "WKL005",
                    r,
                    "/metadata/namespace",
                    format!("{} is in the default namespace", r.display()),
                )
            } else {
                Finding::pass(
                    "WKL005",
                    r,
                    format!("{} is not in the default namespace", r.display()),
                )
                .at("/metadata/namespace")
            });
        }
        Ok(out)
    }
}

stockade_plugin_sdk::plugin!(DefaultNamespace);
