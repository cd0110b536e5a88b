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

use crate::input::SourceFile;
use crate::input::manifest::{Resource, parse_manifests};
use crate::input::yaml::{Limits, Pos};
use crate::report::{BenchmarkRun, CheckResult, Control, Location, ResourceRef, Status};
pub use crate::report::{PluginInfo, PluginRule};
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
    /// Memory cap in MiB, all of an instance's linear memories together; default 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u32>,
    /// Wall-clock deadline per call, in milliseconds; default 10,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Table elements, all of an instance's tables together; default 100,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_elements: Option<u32>,
    /// Most bytes of output (findings, weighted by what Stockade holds and writes for them), in
    /// MiB; default 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_mib: Option<u32>,
    /// Most bytes of metadata (names, titles, descriptions, remediations), in KiB; default 1024.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_kib: Option<u32>,
    /// Most `host.log` lines per call; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_lines: Option<u32>,
}

/// The limits a plugin runs under, each enforced by wasmtime or by the host. Defaults are
/// [`PluginLimits::DEFAULT`]; a plugin's entry in the policy file overrides each (`fuel`,
/// `deadlineMs`, `memoryMib`, `tableElements`, `outputMib`, `metadataKib`, `logLines`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Fuel (wasm instructions, plus a charge per host call and per logged byte) per call.
    pub fuel: u64,
    /// Wall-clock time per call (instantiation included), milliseconds, blocking WASI calls
    /// included.
    pub deadline_ms: u64,
    /// Bytes of all linear memories of an instance together.
    pub memory: usize,
    /// Elements of all tables of an instance together.
    pub table_elements: usize,
    /// Core instances per store (a component instantiates a few).
    pub instances: usize,
    /// Linear memories per store.
    pub memories: usize,
    /// Tables per store.
    pub tables: usize,
    /// WASI resources (streams, pollables) alive at once, each held in host memory.
    pub resources: usize,
    /// Bytes of metadata, every text counted.
    pub metadata: usize,
    /// Rules a plugin may declare.
    pub rules: usize,
    /// Bytes of one rule's title.
    pub title: usize,
    /// Bytes of one rule's description or remediation.
    pub text: usize,
    /// Controls per rule.
    pub controls: usize,
    /// `host.log` lines per call (more are counted and dropped).
    pub log_lines: usize,
    /// `host.log` bytes per call (more are dropped).
    pub log_bytes: usize,
    /// Bytes of one logged line (the rest is cut off, unread).
    pub log_line: usize,
    /// Weighted bytes of findings (see [`finding_weight`]).
    pub output: usize,
}

impl PluginLimits {
    /// The defaults.
    pub const DEFAULT: PluginLimits = PluginLimits {
        fuel: 1_000_000_000,
        deadline_ms: 10_000,
        memory: 64 << 20,
        table_elements: 100_000,
        instances: 32,
        memories: 16,
        tables: 32,
        resources: 10_000,
        metadata: 1 << 20,
        rules: 1_000,
        title: 256,
        text: 16 << 10,
        controls: 64,
        log_lines: 100,
        log_bytes: 64 << 10,
        log_line: 1_000,
        output: 8 << 20,
    };

    /// The defaults with a plugin's overrides.
    pub fn of(spec: &PluginSpec) -> PluginLimits {
        let d = PluginLimits::DEFAULT;
        let mib = |v: Option<u32>, default: usize| v.map_or(default, |v| (v as usize) << 20);
        PluginLimits {
            fuel: spec.fuel.unwrap_or(d.fuel),
            deadline_ms: spec.deadline_ms.unwrap_or(d.deadline_ms),
            memory: mib(spec.memory_mib, d.memory),
            table_elements: spec.table_elements.map_or(d.table_elements, |v| v as usize),
            output: mib(spec.output_mib, d.output),
            metadata: spec.metadata_kib.map_or(d.metadata, |v| (v as usize) << 10),
            log_lines: spec.log_lines.map_or(d.log_lines, |v| v as usize),
            ..d
        }
    }
}

/// What one finding makes Stockade hold and write, in bytes: its own texts, plus its rule's
/// title, controls and (for a failure) remediation, which every report format repeats per
/// result.
pub fn finding_weight(finding: &PluginFinding, rule: Option<&PluginRule>) -> usize {
    let own = 64
        + finding.rule.len()
        + finding.pointer.len()
        + finding.message.len()
        + finding.container.as_ref().map_or(0, String::len);
    let shared = rule.map_or(0, |r| {
        r.title.len()
            + r.controls
                .iter()
                .map(|c| 32 + c.benchmark.len() + c.id.len())
                .sum::<usize>()
            + if finding.status == Status::Pass {
                0
            } else {
                r.remediation.len()
            }
    });
    own + shared
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
        .filter(|f| !crate::facts::looks_like_facts(f.text))
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
            fix: None,
        }
    }

    /// Its rules by code, to look each finding's rule up in logarithmic time.
    pub fn rules_by_code(&self) -> std::collections::BTreeMap<&str, &PluginRule> {
        self.info
            .rules
            .iter()
            .map(|r| (r.code.as_str(), r))
            .collect()
    }

    /// The rule of a finding, or why the finding cannot be placed (its kind of cause, and the
    /// cause in words) before its resource is looked at: an undeclared rule or a malformed
    /// pointer. `rules` is [`PluginRun::rules_by_code`].
    pub fn rule_of<'a>(
        &self,
        finding: &PluginFinding,
        rules: &std::collections::BTreeMap<&str, &'a PluginRule>,
    ) -> Result<&'a PluginRule, (&'static str, String)> {
        let Some(rule) = rules.get(finding.rule.as_str()) else {
            return Err((
                "rule",
                format!(
                    "reported rule {:?}, which it does not declare",
                    finding.rule
                ),
            ));
        };
        if !(finding.pointer.is_empty() || finding.pointer.starts_with('/')) {
            return Err((
                "pointer",
                format!(
                    "reported {} at {:?}, which is not a JSON pointer",
                    finding.rule, finding.pointer
                ),
            ));
        }
        Ok(rule)
    }

    /// The result of one finding of `rule` (see [`PluginRun::rule_of`]) on a resource (whose
    /// tree is `resource`).
    pub fn result(
        &self,
        finding: &PluginFinding,
        rule: &PluginRule,
        resource: &Resource,
    ) -> CheckResult {
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
            name: crate::vocab::slug(&rule.title).into(),
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
                SmolStr::default()
            } else {
                rule.remediation.clone()
            },
            evidence: None,
            exemption: None,
            baseline_state: None,
            fix: None,
        }
    }
}

/// Findings that cannot be placed, counted per plugin and cause: one `error` result each, with
/// the first such finding and how many more there were (a plugin returning 100,000 bad findings
/// makes one result, not 100,000).
#[derive(Debug, Default)]
pub struct Unplaced {
    causes: std::collections::BTreeMap<(usize, &'static str), (String, usize)>,
}

impl Unplaced {
    /// Counts one finding of plugin `plugin` that cannot be placed.
    pub fn add(&mut self, plugin: usize, kind: &'static str, detail: impl FnOnce() -> String) {
        self.causes
            .entry((plugin, kind))
            .and_modify(|(_, n)| *n += 1)
            .or_insert_with(|| (detail(), 1));
    }

    /// One error result per plugin and cause.
    pub fn results(self, plugins: &[PluginRun]) -> Vec<CheckResult> {
        self.causes
            .into_iter()
            .filter_map(|((p, _), (detail, n))| {
                let run = plugins.get(p)?;
                Some(run.error_result(&if n == 1 {
                    detail
                } else {
                    format!(
                        "{detail}; and {} more findings that cannot be placed for the same reason",
                        n - 1
                    )
                }))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_the_defaults_with_the_plugins_overrides() {
        assert_eq!(
            PluginLimits::of(&PluginSpec::default()),
            PluginLimits::DEFAULT
        );
        let limits = PluginLimits::of(&PluginSpec {
            fuel: Some(5),
            deadline_ms: Some(1500),
            memory_mib: Some(32),
            table_elements: Some(10),
            output_mib: Some(2),
            metadata_kib: Some(64),
            log_lines: Some(0),
            ..PluginSpec::default()
        });
        assert_eq!(
            (
                limits.fuel,
                limits.deadline_ms,
                limits.memory,
                limits.table_elements,
                limits.output,
                limits.metadata,
                limits.log_lines,
                limits.rules,
            ),
            (5, 1500, 32 << 20, 10, 2 << 20, 64 << 10, 0, 1_000)
        );
    }

    #[test]
    fn a_failure_weighs_its_rules_remediation_a_pass_does_not() {
        let rule = PluginRule {
            code: "X1".into(),
            title: "Title".into(),
            severity: Severity::Low,
            description: SmolStr::default(),
            remediation: "r".repeat(1000).into(),
            controls: Vec::new(),
        };
        let mut finding = PluginFinding {
            rule: "X1".into(),
            resource: 0,
            pointer: "/a".into(),
            status: Status::Fail,
            message: "m".into(),
            container: None,
        };
        assert_eq!(
            finding_weight(&finding, Some(&rule)),
            64 + 2 + 2 + 1 + 5 + 1000
        );
        finding.status = Status::Pass;
        assert_eq!(finding_weight(&finding, Some(&rule)), 64 + 2 + 2 + 1 + 5);
    }
}
