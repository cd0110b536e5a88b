//! # stockade-plugin-sdk
//!
//! Everything a Rust author needs to write a Stockade rule plugin: the bindings of the
//! `stockade:plugin@0.1.0` contract (`wit/stockade-plugin.wit`), resources with their objects
//! parsed, builders for findings, and [`plugin!`] to export a [`Plugin`].
//!
//! ```ignore
//! use stockade_plugin_sdk::{Finding, Input, Metadata, Plugin, RuleInfo, Severity};
//!
//! struct NoLatest;
//!
//! impl Plugin for NoLatest {
//!     fn metadata() -> Metadata {
//!         Metadata::new("no-latest", "0.1.0")
//!             .rule(RuleInfo::new("IMG900", "Images are not tagged latest", Severity::Medium))
//!     }
//!
//!     fn evaluate(input: &Input) -> Result<Vec<Finding>, String> {
//!         Ok(input.resources.iter().filter_map(|r| {
//!             let image = r.get("/spec/containers/0/image")?.as_str()?;
//!             Some(if image.ends_with(":latest") {
//!                 Finding::fail("IMG900", r, "/spec/containers/0/image", "uses :latest")
//!             } else {
//!                 Finding::pass("IMG900", r, "image is pinned")
//!             })
//!         }).collect())
//!     }
//! }
//!
//! stockade_plugin_sdk::plugin!(NoLatest);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` (crate type `cdylib`) and run
//! it with `stockade scan --plugin target/wasm32-wasip2/release/<name>.wasm`.

use std::collections::BTreeMap;

pub use serde_json::{self, Value};

/// The generated bindings of the contract.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rule-plugin",
        pub_export_macro: true,
        export_macro_name: "export_bindings",
        default_bindings_module: "stockade_plugin_sdk::bindings",
    });
}

use bindings::stockade::plugin::host;
use bindings::stockade::plugin::types as wit;

pub use wit::{Control, Severity, Status};

/// The contract version this SDK implements.
pub const CONTRACT: &str = "stockade:plugin@0.1.0";

/// A plugin's name, version and rules.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// Lower-case letters, digits and dashes.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// Its rules.
    pub rules: Vec<RuleInfo>,
}

impl Metadata {
    /// A plugin without rules yet.
    pub fn new(name: &str, version: &str) -> Metadata {
        Metadata {
            name: name.to_owned(),
            version: version.to_owned(),
            rules: Vec::new(),
        }
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: RuleInfo) -> Metadata {
        self.rules.push(rule);
        self
    }
}

/// One rule.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Upper-case letters and digits; Stockade shows it as `<plugin>/<code>`.
    pub code: String,
    /// What the rule wants, in one line.
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// What it checks and why (markdown).
    pub description: String,
    /// How to fix a failure.
    pub remediation: String,
    /// Benchmark controls it implements.
    pub controls: Vec<Control>,
}

impl RuleInfo {
    /// A rule with a code, a title and a severity.
    pub fn new(code: &str, title: &str, severity: Severity) -> RuleInfo {
        RuleInfo {
            code: code.to_owned(),
            title: title.to_owned(),
            severity,
            description: String::new(),
            remediation: String::new(),
            controls: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, text: &str) -> RuleInfo {
        self.description = text.to_owned();
        self
    }

    /// Sets the remediation.
    pub fn remediation(mut self, text: &str) -> RuleInfo {
        self.remediation = text.to_owned();
        self
    }

    /// Maps the rule to a benchmark control.
    pub fn control(mut self, benchmark: &str, id: &str) -> RuleInfo {
        self.controls.push(Control {
            benchmark: benchmark.to_owned(),
            id: id.to_owned(),
        });
        self
    }
}

/// A scanned Kubernetes object, its JSON parsed.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its index in the evaluation (findings refer to it).
    pub index: u32,
    /// `kind`
    pub kind: String,
    /// `apiVersion`
    pub api_version: String,
    /// `metadata.namespace`
    pub namespace: Option<String>,
    /// `metadata.name`
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// The object.
    pub object: Value,
}

impl Resource {
    /// The value at a JSON pointer (`/spec/type`).
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.object.pointer(pointer)
    }

    /// `metadata.labels` as strings.
    pub fn labels(&self) -> BTreeMap<&str, &str> {
        self.get("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `Kind namespace/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// What a plugin evaluates.
#[derive(Debug, Clone)]
pub struct Input {
    /// The scanned objects, in input order.
    pub resources: Vec<Resource>,
    /// Node facts documents.
    pub facts: Vec<Value>,
    /// The plugin's settings (`{}` when none).
    pub settings: Value,
}

/// A verdict of a rule on a resource.
#[derive(Debug, Clone)]
pub struct Finding {
    rule: String,
    resource: u32,
    pointer: String,
    status: Status,
    message: String,
    container: Option<String>,
}

impl Finding {
    /// A failure at a field (a JSON pointer into the object; a missing field is reported at its
    /// closest existing parent).
    pub fn fail(
        rule: &str,
        resource: &Resource,
        pointer: &str,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: rule.to_owned(),
            resource: resource.index,
            pointer: pointer.to_owned(),
            status: Status::Fail,
            message: message.into(),
            container: None,
        }
    }

    /// A pass for the whole object.
    pub fn pass(rule: &str, resource: &Resource, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.to_owned(),
            resource: resource.index,
            pointer: String::new(),
            status: Status::Pass,
            message: message.into(),
            container: None,
        }
    }

    /// Something a person must check.
    pub fn manual(rule: &str, resource: &Resource, message: impl Into<String>) -> Finding {
        Finding {
            status: Status::Manual,
            ..Finding::pass(rule, resource, message)
        }
    }

    /// Points the finding at a field (a JSON pointer into the object).
    pub fn at(mut self, pointer: &str) -> Finding {
        self.pointer = pointer.to_owned();
        self
    }

    /// Names the container at fault.
    pub fn container(mut self, name: &str) -> Finding {
        self.container = Some(name.to_owned());
        self
    }
}

/// A rule plugin. Implement it and export it with [`plugin!`].
pub trait Plugin {
    /// Name, version and rules.
    fn metadata() -> Metadata;

    /// Checks the settings; the default accepts anything.
    fn validate_settings(_settings: &Value) -> Result<(), String> {
        Ok(())
    }

    /// Evaluates the scanned resources.
    fn evaluate(input: &Input) -> Result<Vec<Finding>, String>;
}

/// Writes a diagnostic line through Stockade (plugins have no stdio).
pub fn log(message: &str) {
    host::log(host::LogLevel::Info, message);
}

/// Writes a warning through Stockade.
pub fn warn(message: &str) {
    host::log(host::LogLevel::Warn, message);
}

/// Installs the SDK's panic hook (once per instance; [`plugin!`]'s exports do it before running
/// the plugin): it reports the panic's message and location to Stockade through
/// `host.report-panic`, which quotes it in the plugin's error result, then writes the usual
/// report to stderr. A plugin that installs a hook of its own replaces this one.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a panic without a message");
            let report = match info.location() {
                Some(at) => format!("{message} (at {}:{}:{})", at.file(), at.line(), at.column()),
                None => message.to_owned(),
            };
            host::report_panic(&report);
            default(info);
        }));
    });
}

/// The glue [`plugin!`] expands to; not for direct use.
#[doc(hidden)]
pub mod glue {
    use super::*;

    pub fn metadata<P: Plugin>() -> wit::PluginMetadata {
        install_panic_hook();
        let m = P::metadata();
        wit::PluginMetadata {
            name: m.name,
            version: m.version,
            rules: m
                .rules
                .into_iter()
                .map(|r| wit::RuleInfo {
                    code: r.code,
                    title: r.title,
                    severity: r.severity,
                    description: r.description,
                    remediation: r.remediation,
                    controls: r.controls,
                })
                .collect(),
        }
    }

    fn settings(text: &str) -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| format!("settings are not JSON: {e}"))
    }

    pub fn validate_settings<P: Plugin>(text: String) -> Result<(), String> {
        install_panic_hook();
        P::validate_settings(&settings(&text)?)
    }

    pub fn evaluate<P: Plugin>(input: wit::Evaluation) -> Result<Vec<wit::Finding>, String> {
        install_panic_hook();
        let resources = input
            .resources
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(Resource {
                    index: u32::try_from(i).map_err(|_| "too many resources".to_owned())?,
                    object: serde_json::from_str(&r.object)
                        .map_err(|e| format!("resource {i} is not JSON: {e}"))?,
                    kind: r.kind,
                    api_version: r.api_version,
                    namespace: r.namespace,
                    name: r.name,
                    file: r.file,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let facts = input
            .facts
            .iter()
            .map(|f| serde_json::from_str(f).map_err(|e| format!("facts are not JSON: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        let input = Input {
            resources,
            facts,
            settings: settings(&input.settings)?,
        };
        Ok(P::evaluate(&input)?
            .into_iter()
            .map(|f| wit::Finding {
                rule: f.rule,
                resource: f.resource,
                pointer: f.pointer,
                status: f.status,
                message: f.message,
                container: f.container,
            })
            .collect())
    }
}

/// Exports a [`Plugin`] as the component's `rule` interface.
#[macro_export]
macro_rules! plugin {
    ($plugin:ty) => {
        struct __StockadePlugin;

        impl $crate::bindings::exports::stockade::plugin::rule::Guest for __StockadePlugin {
            fn metadata() -> $crate::bindings::stockade::plugin::types::PluginMetadata {
                $crate::glue::metadata::<$plugin>()
            }

            fn validate_settings(settings: String) -> Result<(), String> {
                $crate::glue::validate_settings::<$plugin>(settings)
            }

            fn evaluate(
                input: $crate::bindings::stockade::plugin::types::Evaluation,
            ) -> Result<Vec<$crate::bindings::stockade::plugin::types::Finding>, String> {
                $crate::glue::evaluate::<$plugin>(input)
            }
        }

        $crate::bindings::export_bindings!(__StockadePlugin with_types_in $crate::bindings);
    };
}
