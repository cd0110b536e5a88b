//! Third-party rule plugins, as far as the pure engine is concerned.
//!
//! The CLI runs plugins (wasm components, sandboxed) and hands their metadata and findings to
//! [`crate::evaluate`] as [`PluginRun`]s. The engine treats them like built-in rules: it maps
//! each finding's JSON pointer to a file, line and column, namespaces its rule code
//! (`<plugin>/<code>`), and runs it through selection, severities, exemptions, scores and every
//! report format. A finding the engine cannot place (an unknown rule, a resource that does not
//! exist, a malformed pointer) and a plugin that failed become `error` results naming the plugin
//! and the cause: never a crash, and never silently dropped.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::engine::SourceFile;
use crate::input::manifest::{Resource, parse_manifests};
use crate::input::yaml::{Limits, Pos};
use crate::report::{BenchmarkRun, CheckResult, Control, Location, ResourceRef, Status};
use crate::rules::Severity;

/// A plugin as the policy file lists it (the CLI loads it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginSpec {
    /// The `.wasm` component, relative to the policy file.
    pub path: String,
    /// If set, the component's SHA-256 (hex) must be this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The plugin's settings, passed to it as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<serde_json::Value>,
    /// CPU budget per call, in wasm instructions (fuel); default 1,000,000,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Memory cap in MiB; default 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u32>,
}

/// A scanned object as a plugin receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginResource {
    /// `kind`
    pub kind: String,
    /// `apiVersion`
    pub api_version: String,
    /// `metadata.namespace`
    pub namespace: Option<String>,
    /// `metadata.name`
    pub name: String,
    /// The object as JSON.
    pub object: String,
    /// The file it came from.
    pub file: String,
}

/// The objects of the input, in the order the engine evaluates them (the indices plugin
/// findings refer to).
pub fn plugin_resources(files: &[SourceFile<'_>], limits: Limits) -> Vec<PluginResource> {
    let mut out = Vec::new();
    for file in files
        .iter()
        .filter(|f| !crate::engine::looks_like_facts(f.text))
    {
        for r in parse_manifests(file.name, file.text, limits).resources {
            out.push(PluginResource {
                kind: r.identity.kind.to_string(),
                api_version: r.identity.api_version.to_string(),
                namespace: r.identity.namespace.clone().map(|s| s.to_string()),
                name: r.identity.name.to_string(),
                object: r.node.to_json().to_string(),
                file: r.file.to_string(),
            });
        }
    }
    out
}

/// One rule a plugin declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PluginRule {
    /// The code as the plugin writes it (`LBL001`); reports show `<plugin>/<code>`.
    pub code: String,
    /// One line.
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// What it checks (markdown).
    pub description: String,
    /// How to fix a failure.
    pub remediation: String,
    /// Benchmark controls (`benchmark`, `id`).
    pub controls: Vec<Control>,
}

/// A plugin's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFinding {
    /// The rule's code, without the plugin's name.
    pub rule: String,
    /// Index into [`plugin_resources`].
    pub resource: u32,
    /// JSON pointer into the object.
    pub pointer: String,
    /// `Pass`, `Fail` or `Manual`.
    pub status: Status,
    /// What it found.
    pub message: String,
    /// The container, if one.
    pub container: Option<String>,
}

/// A plugin as it appears in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PluginInfo {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The component file.
    pub file: String,
    /// Its rules.
    pub rules: Vec<PluginRule>,
}

/// What running one plugin gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRun {
    /// Who it is (name empty when the plugin could not even say).
    pub info: PluginInfo,
    /// Its findings, or why it failed.
    pub outcome: Result<Vec<PluginFinding>, String>,
}

impl PluginRun {
    /// The benchmark run its results belong to: `plugin:<name>`.
    pub fn label(&self) -> String {
        format!("plugin:{}", self.display_name())
    }

    fn display_name(&self) -> &str {
        if self.info.name.is_empty() {
            &self.info.file
        } else {
            &self.info.name
        }
    }

    /// Its benchmark run, as reports list it.
    pub fn benchmark(&self) -> BenchmarkRun {
        BenchmarkRun {
            id: self.label(),
            title: format!("Plugin {} {}", self.display_name(), self.info.version)
                .trim_end()
                .to_owned(),
            version: self.info.version.clone(),
            effective_version: self.info.version.clone(),
        }
    }

    /// An `error` result about the plugin as a whole.
    pub fn error_result(&self, message: &str) -> CheckResult {
        let name = self.display_name().to_owned();
        CheckResult {
            rule: format!("{name}/*").into(),
            name: SmolStr::new_static("plugin-error"),
            status: Status::Error,
            severity: Severity::High,
            benchmark: self.label().into(),
            controls: Vec::new().into(),
            resource: ResourceRef {
                api_version: String::new().into(),
                kind: "Plugin".into(),
                namespace: None,
                name: name.as_str().into(),
            }
            .into(),
            container: None,
            location: Location {
                file: self.info.file.as_str().into(),
                line: 1,
                column: 1,
                helm_source: None,
            },
            pointer: SmolStr::default(),
            message: format!("plugin {name}: {message}").into(),
            remediation: SmolStr::new_static(
                "Fix or remove the plugin; the rest of the report is complete.",
            ),
            evidence: None,
            exemption: None,
            baseline_state: None,
        }
    }

    /// The result of one finding on a resource (whose tree is `resource`), or an error result
    /// when the finding cannot be placed.
    pub fn result(&self, finding: &PluginFinding, resource: &Resource) -> CheckResult {
        let Some(rule) = self.info.rules.iter().find(|r| r.code == finding.rule) else {
            return self.error_result(&format!(
                "reported rule {:?}, which it does not declare",
                finding.rule
            ));
        };
        if !(finding.pointer.is_empty() || finding.pointer.starts_with('/')) {
            return self.error_result(&format!(
                "reported {} at {:?}, which is not a JSON pointer",
                finding.rule, finding.pointer
            ));
        }
        let pos: Pos = resource.node.locate(&finding.pointer);
        let controls = if rule.controls.is_empty() {
            vec![Control {
                benchmark: self.label().into(),
                id: rule.code.as_str().into(),
                level: None,
            }]
        } else {
            rule.controls.clone()
        };
        CheckResult {
            rule: format!("{}/{}", self.display_name(), rule.code).into(),
            name: crate::engine::slug(&rule.title).into(),
            status: finding.status,
            severity: rule.severity,
            benchmark: self.label().into(),
            controls: controls.into(),
            resource: resource.identity.clone(),
            container: finding.container.clone().map(Into::into),
            location: Location {
                file: resource.file.as_str().into(),
                line: pos.line,
                column: pos.column,
                helm_source: resource.helm_source.clone(),
            },
            pointer: smol_str::format_smolstr!("{}{}", resource.base_pointer, finding.pointer),
            message: finding.message.as_str().into(),
            remediation: if finding.status == Status::Pass {
                String::new().into()
            } else {
                rule.remediation.as_str().into()
            },
            evidence: None,
            exemption: None,
            baseline_state: None,
        }
    }
}
