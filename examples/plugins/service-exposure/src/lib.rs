//! Services that open ports outside the cluster (type `LoadBalancer` or `NodePort`) are only
//! allowed in the namespaces the platform team runs ingress from.
//!
//! Settings: `{"allowedNamespaces": ["ingress-nginx"]}` (default: none allowed).

use stockade_plugin_sdk::{Finding, Input, Metadata, Plugin, RuleInfo, Severity, Value};

struct ServiceExposure;

impl Plugin for ServiceExposure {
    fn metadata() -> Metadata {
        Metadata::new("service-exposure", "0.1.0").rule(
            RuleInfo::new(
                "NET900",
                "LoadBalancer and NodePort Services only in allowed namespaces",
                Severity::High,
            )
            .description(
                "Fails a Service of type LoadBalancer or NodePort outside the namespaces in \
                 `allowedNamespaces`. Such a Service opens a port on every node or on a cloud \
                 load balancer, bypassing the ingress layer and its TLS, authentication and WAF.",
            )
            .remediation("Use a ClusterIP Service behind the shared ingress, or ask the platform team to allow the namespace.")
            .control("nsa-cisa", "network.network-policies"),
        )
    }

    fn validate_settings(settings: &Value) -> Result<(), String> {
        match settings.get("allowedNamespaces") {
            None => Ok(()),
            Some(v) if v.as_array().is_some_and(|l| l.iter().all(Value::is_string)) => Ok(()),
            Some(_) => Err("`allowedNamespaces` must be a list of strings".to_owned()),
        }
    }

    fn evaluate(input: &Input) -> Result<Vec<Finding>, String> {
        let allowed: Vec<&str> = input
            .settings
            .get("allowedNamespaces")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for r in input.resources.iter().filter(|r| r.kind == "Service") {
            let kind = r
                .get("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            let exposed = matches!(kind, "LoadBalancer" | "NodePort");
            let ns = r.namespace.as_deref().unwrap_or("default");
            out.push(if exposed && !allowed.contains(&ns) {
                Finding::fail(
                    "NET900",
                    r,
                    "/spec/type",
                    format!("Service {} is of type {kind} in namespace {ns:?}, which may not expose Services", r.name),
                )
            } else {
                Finding::pass("NET900", r, format!("Service {} of type {kind} is allowed here", r.name))
            });
        }
        Ok(out)
    }
}

stockade_plugin_sdk::plugin!(ServiceExposure);
