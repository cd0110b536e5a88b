//! The policy: which benchmarks and rules run, at which severity, with which settings, and which
//! findings are exempted, by whom, why and until when.
//!
//! One type, [`OptionsSpec`], is both the policy file (`stockade.yaml`) and the npm package's
//! options object; its JSON Schema is published. [`load_policy_file`] reads the file with
//! positions, so every unknown key or bad value is reported at its line.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::benchmarks::Selection;
use crate::input::yaml::{self, Limits, Node, Pos};
use crate::registry::RULES;
use crate::report::{CheckResult, ErrorLevel, Gate, InputError, ResourceRef, Status};
use crate::rules::Severity;
use crate::rules::manifest::Settings;
pub use crate::vocab::Date;

/// The policy file and options object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionsSpec {
    /// Benchmarks as `ID[@VERSION]`: `pss-baseline`, `pss-restricted` (`@latest`, `@v1.N`),
    /// `cis-k8s` (`@1.11`, `@1.12`), `nsa-cisa`, `image-hygiene`. Empty:
    /// `pss-restricted@latest` and `cis-k8s`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<String>,
    /// Rule codes or code prefixes to report (`PSS`, `RBAC00`, `CIS-5.1`). Empty: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    /// Rule codes or code prefixes not to report. The longest matching prefix of `select` and
    /// `ignore` decides; at equal length `ignore` wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Severity overrides by rule code or prefix (the longest match wins).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, Severity>,
    /// Settings of the rules that take them.
    #[serde(default, skip_serializing_if = "is_default")]
    pub settings: Settings,
    /// Accepted findings: they are reported with status `exempt`, their reason and source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exemptions: Vec<ExemptionSpec>,
    /// Whether resources may exempt themselves with the `stockade.dev/exempt` annotation.
    #[serde(default, skip_serializing_if = "is_default")]
    pub annotations: AnnotationPolicy,
    /// Rule plugins (wasm components) to run: the CLI loads them, sandboxed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<crate::plugins::PluginSpec>,
    /// Fail the run (exit 1) only for failing results of this severity or worse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Fail the run when a benchmark scores below this percentage (0-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Deepest nesting of one YAML document (default 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    /// Most values one YAML document may expand to, aliases included (default 2,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes: Option<usize>,
    /// Most YAML documents in one file (default 100,000); the rest of the file is reported as
    /// an input error, not scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_documents: Option<usize>,
    /// Largest input file scanned, in bytes (default 67,108,864: 64 MiB). A larger file is an
    /// input error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<usize>,
    /// Today's date (`YYYY-MM-DD`), against which exemptions expire. The engine reads no
    /// clock: the CLI passes the current date, the npm package today's UTC date. Without it,
    /// exemptions that have an expiry date do not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// How the policy is enforced at admission (the Kubewarden policy): per mode, which
    /// benchmarks and from which severity; who and what is exempt. `stockade scan` checks this
    /// section but does not use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission: Option<AdmissionSpec>,
}

/// The `admission` section: Pod Security Admission's three modes, each with its own benchmark
/// selection and severity threshold, and its exemptions. Without any mode, `enforce` applies the
/// policy's `benchmarks` from its `failOn` severity (so CI and the cluster's door agree).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionSpec {
    /// Reject the request when a failing result is at or above the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce: Option<ModeSpec>,
    /// Allow the request, with a warning to the client for each such result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<ModeSpec>,
    /// Allow the request, with the results in the audit log's annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<ModeSpec>,
    /// Requests that are allowed without evaluation.
    #[serde(default, skip_serializing_if = "is_default")]
    pub exemptions: AdmissionExemptions,
    /// Rule codes or prefixes that a resource's own `stockade.dev/exempt` annotation may exempt
    /// at admission. Empty (the default): annotations are ignored there, because anyone who may
    /// create an object may write its annotations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotation_rules: Vec<String>,
    /// Largest AdmissionRequest evaluated, in bytes (default 3,145,728: the API server's own
    /// limit on a request body). A larger one is an error decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_bytes: Option<usize>,
}

/// One admission mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModeSpec {
    /// Benchmarks as `ID[@VERSION]`, as in `benchmarks`. Empty: the policy's `benchmarks`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<String>,
    /// The least severity that counts (after the policy's `severity` overrides). Default: the
    /// policy's `failOn`, else `low` (every failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// Who and what is not evaluated at admission, as Pod Security Admission's `exemptions`
/// (plus groups).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionExemptions {
    /// Authenticated user names (`system:serviceaccount:kube-system:replicaset-controller`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usernames: Vec<String>,
    /// Groups of the requesting user (`system:masters`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Namespaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Runtime class names of pods (and pod templates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_classes: Vec<String>,
}

impl AdmissionSpec {
    /// Checks the section: known benchmarks and rule codes, a request limit above 0.
    pub fn check(&self) -> Result<(), PolicyError> {
        for (name, mode) in [
            ("enforce", &self.enforce),
            ("warn", &self.warn),
            ("audit", &self.audit),
        ] {
            let Some(mode) = mode else { continue };
            for (i, b) in mode.benchmarks.iter().enumerate() {
                b.parse::<Selection>().map_err(|e: crate::SelectionError| {
                    error(format!("/admission/{name}/benchmarks/{i}"), e.to_string())
                })?;
            }
        }
        check_prefixes(&self.annotation_rules, "/admission/annotationRules")?;
        if self.max_request_bytes == Some(0) {
            return Err(error("/admission/maxRequestBytes", "must be above 0"));
        }
        Ok(())
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// One exemption, in the policy file or in a resource's annotation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExemptionSpec {
    /// Rule codes or code prefixes (`PSS003`, `RBAC`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Benchmark controls as `BENCHMARK:ID` (`cis-k8s:5.2.2`, `pss:privileged`,
    /// `nsa-cisa:pod-security.non-root`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    /// Which resources (policy file only; an annotation exempts its own resource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceSelector>,
    /// Only findings about these containers (by name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<String>,
    /// Why the finding is accepted (required).
    pub reason: String,
    /// The last day the exemption applies (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// Which resources an exemption covers; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceSelector {
    /// The kind (`DaemonSet`, `Node`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The name; `*` matches any run of characters, `?` any one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Labels the resource must carry with these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What annotation exemptions may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnnotationPolicy {
    /// Whether `stockade.dev/exempt` annotations are honoured (default true).
    #[serde(default = "yes")]
    pub allow: bool,
    /// If set, annotations may only exempt rules with these codes or prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

impl Default for AnnotationPolicy {
    fn default() -> Self {
        AnnotationPolicy {
            allow: true,
            rules: None,
        }
    }
}

/// The annotation through which a resource exempts itself.
pub const EXEMPT_ANNOTATION: &str = "stockade.dev/exempt";

/// A problem in the options: where (a JSON pointer into them) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if pointer.is_empty() { String::new() } else { format!("{pointer}: ") })]
pub struct PolicyError {
    /// JSON pointer of the bad value (`/exemptions/0/reason`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

fn error(pointer: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

fn parse_date(text: &str, pointer: &str) -> Result<Date, PolicyError> {
    Date::parse(text).ok_or_else(|| error(pointer, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

/// `select`/`ignore` by code prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    select: Vec<String>,
    ignore: Vec<String>,
}

/// Whether a rule code falls under a code prefix: case-insensitive, and a dotted CIS id only at
/// a dot (`CIS-1.2.1` covers `CIS-1.2.1` but not `CIS-1.2.10`; `CIS-1.2` covers both).
pub fn code_matches(prefix: &str, code: &str) -> bool {
    let (p, c) = (prefix.to_ascii_uppercase(), code.to_ascii_uppercase());
    let Some(rest) = c.strip_prefix(&p) else {
        return false;
    };
    let dotted = c.starts_with("CIS-") && p.len() > 4;
    !dotted || rest.is_empty() || rest.starts_with('.') || p.ends_with('.')
}

fn longest_match(prefixes: &[String], code: &str) -> Option<usize> {
    prefixes
        .iter()
        .filter(|p| code_matches(p, code))
        .map(String::len)
        .max()
}

impl RuleFilter {
    /// Whether results of a rule are reported.
    pub fn allows(&self, code: &str) -> bool {
        let selected = if self.select.is_empty() {
            Some(0)
        } else {
            longest_match(&self.select, code)
        };
        match (selected, longest_match(&self.ignore, code)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        }
    }
}

/// An exemption ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// What it says.
    pub spec: ExemptionSpec,
    /// Its expiry, parsed.
    pub expires: Option<Date>,
    /// Where it is written: `stockade.yaml:12`, `options.exemptions[0]`, or the annotation.
    pub source: String,
    /// The file and position to report problems at.
    pub file: String,
    /// Position in `file`.
    pub pos: Pos,
}

/// The compiled policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// Rule selection.
    pub filter: RuleFilter,
    /// Severity overrides (prefix, severity).
    pub severity: Vec<(String, Severity)>,
    /// Rule settings.
    pub settings: Settings,
    /// Exemptions of the policy.
    pub exemptions: Vec<Exemption>,
    /// What annotations may exempt.
    pub annotations: AnnotationPolicy,
    /// Today, for expiry.
    pub now: Option<Date>,
    /// Exit-code gates.
    pub gate: Gate,
    /// Plugins to run (the CLI loads them; the engine receives their findings).
    pub plugins: Vec<crate::plugins::PluginSpec>,
}

fn known_prefix(prefix: &str) -> bool {
    RULES.iter().any(|r| code_matches(prefix, r.code))
        || crate::benchmarks::cis::checks()
            .iter()
            .any(|c| code_matches(prefix, &c.code()))
        || crate::benchmarks::cis_ubuntu::checks()
            .iter()
            .any(|c| code_matches(prefix, &c.code()))
        || crate::benchmarks::containerd::CHECKS
            .iter()
            .any(|c| code_matches(prefix, &c.code()))
        || crate::benchmarks::os_scan::CHECKS
            .iter()
            .any(|c| code_matches(prefix, &c.code()))
        || crate::benchmarks::manifest::controls()
            .iter()
            .any(|c| c.rules.is_empty() && code_matches(prefix, &c.code()))
        // Plugin rules are namespaced `<plugin>/<code>` and unknown until plugins load.
        || prefix.contains('/')
}

fn check_prefixes(list: &[String], pointer: &str) -> Result<(), PolicyError> {
    for (i, p) in list.iter().enumerate() {
        if p.trim().is_empty() || !known_prefix(p) {
            return Err(error(
                format!("{pointer}/{i}"),
                format!(
                    "{p:?} matches no rule code (`stockade rules` lists them; plugin rules are `<plugin>/<code>`, e.g. `required-labels/`)"
                ),
            ));
        }
    }
    Ok(())
}

impl ExemptionSpec {
    fn compile(
        &self,
        pointer: &str,
        source: String,
        file: &str,
        pos: Pos,
    ) -> Result<Exemption, PolicyError> {
        if self.reason.trim().is_empty() {
            return Err(error(
                format!("{pointer}/reason"),
                "an exemption needs a reason",
            ));
        }
        if self.rules.is_empty() && self.controls.is_empty() {
            return Err(error(
                pointer,
                "an exemption names `rules` or `controls` (or both)",
            ));
        }
        check_prefixes(&self.rules, &format!("{pointer}/rules"))?;
        for (i, c) in self.controls.iter().enumerate() {
            let ok = c
                .split_once(':')
                .is_some_and(|(b, id)| !b.is_empty() && !id.is_empty());
            if !ok {
                return Err(error(
                    format!("{pointer}/controls/{i}"),
                    format!("{c:?} is not BENCHMARK:ID (e.g. cis-k8s:5.2.2)"),
                ));
            }
        }
        let expires = match &self.expires {
            Some(text) => Some(parse_date(text, &format!("{pointer}/expires"))?),
            None => None,
        };
        Ok(Exemption {
            spec: self.clone(),
            expires,
            source,
            file: file.to_owned(),
            pos,
        })
    }
}

impl OptionsSpec {
    /// Checks and converts to [`crate::Options`]. Exemption sources read `options.exemptions[i]`.
    pub fn resolve(&self) -> Result<crate::Options, PolicyError> {
        self.resolve_in("options", &|_| Pos::default())
    }

    /// Checks and converts; `file` names the policy and `pos_of` finds a pointer's position.
    fn resolve_in(
        &self,
        file: &str,
        pos_of: &dyn Fn(&str) -> Pos,
    ) -> Result<crate::Options, PolicyError> {
        let mut benchmarks = Vec::new();
        for (i, b) in self.benchmarks.iter().enumerate() {
            let s: Selection = b.parse().map_err(|e: crate::SelectionError| {
                error(format!("/benchmarks/{i}"), e.to_string())
            })?;
            benchmarks.push(s);
        }
        check_prefixes(&self.select, "/select")?;
        check_prefixes(&self.ignore, "/ignore")?;
        for key in self.severity.keys() {
            check_prefixes(std::slice::from_ref(key), "/severity")
                .map_err(|e| error(format!("/severity/{key}"), e.message))?;
        }
        if let Some(rules) = &self.annotations.rules {
            check_prefixes(rules, "/annotations/rules")?;
        }
        if let Some(admission) = &self.admission {
            admission.check()?;
        }
        if let Some(score) = self.min_score
            && !(0.0..=100.0).contains(&score)
        {
            return Err(error("/minScore", "must be between 0 and 100"));
        }
        for (i, r) in self.settings.allowed_registries.iter().enumerate() {
            if r.trim().is_empty() || r.contains("://") || r.contains(char::is_whitespace) {
                return Err(error(
                    format!("/settings/allowedRegistries/{i}"),
                    format!("{r:?} is not a registry host or host/path prefix (e.g. ghcr.io/acme)"),
                ));
            }
        }
        for (i, p) in self.plugins.iter().enumerate() {
            if p.path.trim().is_empty() {
                return Err(error(format!("/plugins/{i}/path"), "a plugin needs a path"));
            }
            if let Some(sha) = &p.sha256
                && !(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(error(
                    format!("/plugins/{i}/sha256"),
                    "expected 64 hexadecimal digits (sha256sum of the .wasm)",
                ));
            }
            if p.memory_mib == Some(0)
                || p.fuel == Some(0)
                || p.deadline_ms == Some(0)
                || p.output_mib == Some(0)
                || p.metadata_kib == Some(0)
            {
                return Err(error(
                    format!("/plugins/{i}"),
                    "fuel, deadlineMs, memoryMib, outputMib and metadataKib must be above 0",
                ));
            }
        }
        let mut exemptions = Vec::new();
        for (i, e) in self.exemptions.iter().enumerate() {
            let pointer = format!("/exemptions/{i}");
            let pos = pos_of(&pointer);
            let source = if pos.line > 0 {
                format!("{file}:{}", pos.line)
            } else {
                format!("{file}.exemptions[{i}]")
            };
            exemptions.push(e.compile(&pointer, source, file, pos)?);
        }
        let now = match &self.now {
            Some(text) => Some(parse_date(text, "/now")?),
            None => None,
        };
        let defaults = Limits::default();
        let mut severity: Vec<(String, Severity)> =
            self.severity.iter().map(|(k, v)| (k.clone(), *v)).collect();
        severity.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        Ok(crate::Options {
            benchmarks,
            limits: Limits {
                max_depth: self.max_depth.unwrap_or(defaults.max_depth),
                max_nodes: self.max_nodes.unwrap_or(defaults.max_nodes),
                max_documents: self.max_documents.unwrap_or(defaults.max_documents),
                max_file_size: self.max_file_size.unwrap_or(defaults.max_file_size),
            },
            policy: Policy {
                filter: RuleFilter {
                    select: self.select.clone(),
                    ignore: self.ignore.clone(),
                },
                severity,
                settings: self.settings.clone(),
                exemptions,
                annotations: self.annotations.clone(),
                now,
                gate: Gate {
                    fail_on: self.fail_on,
                    min_score: self.min_score,
                },
                plugins: self.plugins.clone(),
            },
        })
    }
}

/// Reads a policy file (`stockade.yaml`, YAML or JSON). Every problem is an input error at the
/// line of the offending key or value.
pub fn load_policy_file(file: &str, text: &str) -> Result<crate::Options, InputError> {
    load_policy(file, text).map(|(_, options)| options)
}

/// Reads a policy file as [`load_policy_file`] does (and checks it the same way, with the same
/// errors), but returns the options object as written: the admission API
/// (`admission::AdmissionPolicy::new`) compiles it per mode.
pub fn load_policy_spec(file: &str, text: &str) -> Result<OptionsSpec, InputError> {
    load_policy(file, text).map(|(spec, _)| spec)
}

fn load_policy(file: &str, text: &str) -> Result<(OptionsSpec, crate::Options), InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (node, errors) = yaml::parse_document(text, 0, Limits::default());
    let at = |pos: Pos, message: String| InputError::at(file, pos, ErrorLevel::Error, message);
    if let Some(e) = errors.iter().find(|e| !e.recoverable).or(errors.first()) {
        return Err(at(e.pos, e.message.clone()));
    }
    let root = node.unwrap_or(Node {
        pos: Pos { line: 1, column: 1 },
        value: yaml::Value::Map(Vec::new()),
    });
    if matches!(root.value, yaml::Value::Null) {
        let spec = OptionsSpec::default();
        return spec
            .resolve_in(file, &|_| Pos::default())
            .map(|options| (spec, options))
            .map_err(|e| at(root.pos, e.to_string()));
    }
    let json = root.to_json();
    let spec: OptionsSpec = serde_path_to_error::deserialize(&json).map_err(|e| {
        let (pos, message) = crate::input::serde_errors::locate_serde_error(&root, &e);
        at(pos, message)
    })?;
    let options = spec
        .resolve_in(file, &|p| root.locate(p))
        .map_err(|e| at(root.locate(&e.pointer), e.to_string()))?;
    Ok((spec, options))
}

/// Glob match with `*` and `?`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// What an exemption needs to know about the resource of a result.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The resource.
    pub resource: &'a ResourceRef,
    /// Its labels.
    pub labels: &'a BTreeMap<String, String>,
}

impl Exemption {
    /// Whether the exemption covers a result (expiry aside).
    pub fn covers(&self, result: &CheckResult, target: Target<'_>) -> bool {
        let spec = &self.spec;
        let by_rule = spec.rules.iter().any(|p| code_matches(p, &result.rule));
        let by_control = spec.controls.iter().any(|c| {
            c.split_once(':').is_some_and(|(bench, id)| {
                result.controls.iter().any(|rc| {
                    let family = rc.benchmark.split('@').next().unwrap_or_default();
                    (family == bench || rc.benchmark == bench) && rc.id == id
                })
            })
        });
        if !(by_rule || by_control) {
            return false;
        }
        if !spec.containers.is_empty()
            && !result
                .container
                .as_ref()
                .is_some_and(|c| spec.containers.iter().any(|s| s == c))
        {
            return false;
        }
        let Some(sel) = &spec.resources else {
            return true;
        };
        let r = target.resource;
        sel.kind.as_ref().is_none_or(|k| *k == r.kind)
            && sel
                .namespace
                .as_ref()
                .is_none_or(|n| r.namespace.as_deref() == Some(n.as_str()))
            && sel.name.as_ref().is_none_or(|n| glob_match(n, &r.name))
            && sel
                .labels
                .iter()
                .all(|(k, v)| target.labels.get(k) == Some(v))
    }

    /// Whether it has expired by `now` (the expiry day itself still counts). Without a date
    /// an exemption that expires cannot be trusted, so it counts as expired.
    pub fn expired(&self, now: Option<Date>) -> bool {
        match (self.expires, now) {
            (None, _) => false,
            (Some(e), Some(now)) => now > e,
            (Some(_), None) => true,
        }
    }
}

/// Reads a resource's `stockade.dev/exempt` annotation: a YAML list of exemptions without
/// `resources`. Problems become input errors at the annotation.
pub fn annotation_exemptions(
    resource: &crate::input::manifest::Resource,
    policy: &AnnotationPolicy,
    errors: &mut Vec<InputError>,
) -> Vec<Exemption> {
    let Some(entry) = resource
        .node
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.entry(EXEMPT_ANNOTATION))
    else {
        return Vec::new();
    };
    let who = resource.identity.display();
    let warn = |errors: &mut Vec<InputError>, level, message: String| {
        errors.push(InputError::at(
            &resource.file,
            entry.key_pos,
            level,
            format!("{who}: annotation {EXEMPT_ANNOTATION}: {message}"),
        ));
    };
    if !policy.allow {
        warn(
            errors,
            ErrorLevel::Warning,
            "ignored: the policy does not allow annotation exemptions".to_owned(),
        );
        return Vec::new();
    }
    let Some(text) = entry.value.as_str() else {
        warn(
            errors,
            ErrorLevel::Error,
            format!(
                "expected a YAML list as a string, found a {}",
                entry.value.type_name()
            ),
        );
        return Vec::new();
    };
    let (node, parse_errors) = yaml::parse_document(text, 0, Limits::default());
    if let Some(e) = parse_errors.iter().find(|e| !e.recoverable) {
        warn(
            errors,
            ErrorLevel::Error,
            format!("line {} of the value: {}", e.pos.line, e.message),
        );
        return Vec::new();
    }
    let json = node.map_or(serde_json::Value::Null, |n| n.to_json());
    let specs: Vec<ExemptionSpec> = match serde_path_to_error::deserialize(&json) {
        Ok(s) => s,
        Err(e) => {
            let pointer = crate::input::serde_errors::path_to_pointer(e.path());
            warn(
                errors,
                ErrorLevel::Error,
                crate::input::serde_errors::described(&pointer, &e.inner().to_string()),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, spec) in specs.into_iter().enumerate() {
        if spec.resources.is_some() {
            warn(
                errors,
                ErrorLevel::Error,
                format!(
                    "/{i}/resources: an annotation exempts its own resource; remove `resources`"
                ),
            );
            continue;
        }
        if let Some(allowed) = &policy.rules {
            let outside: Vec<&String> = spec
                .rules
                .iter()
                .filter(|r| !allowed.iter().any(|a| code_matches(a, r)))
                .collect();
            if !outside.is_empty() || !spec.controls.is_empty() {
                warn(
                    errors,
                    ErrorLevel::Warning,
                    format!(
                        "/{i}: ignored: the policy lets annotations exempt only {} (this one names {})",
                        allowed.join(", "),
                        spec.rules
                            .iter()
                            .chain(spec.controls.iter())
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
        }
        match spec.compile(
            &format!("/{i}"),
            format!("annotation {EXEMPT_ANNOTATION} of {who}"),
            &resource.file,
            entry.key_pos,
        ) {
            Ok(e) => out.push(e),
            Err(e) => warn(errors, ErrorLevel::Error, e.to_string()),
        }
    }
    out
}

/// Each scanned resource's labels and annotation exemptions, by file and identity.
pub type Targets =
    BTreeMap<(smol_str::SmolStr, Arc<ResourceRef>), (BTreeMap<String, String>, Vec<Exemption>)>;

/// Applies the policy to results: selection, severities, then exemptions. `targets` gives each
/// result's resource labels and annotation exemptions (by file and resource).
pub fn apply(
    policy: &Policy,
    results: &mut Vec<CheckResult>,
    targets: &Targets,
    errors: &mut Vec<InputError>,
) {
    results.retain(|r| policy.filter.allows(&r.rule));
    for r in results.iter_mut() {
        if let Some((_, severity)) = policy
            .severity
            .iter()
            .find(|(prefix, _)| code_matches(prefix, &r.rule))
        {
            r.severity = *severity;
        }
    }
    if policy.exemptions.is_empty() && targets.values().all(|(_, own)| own.is_empty()) {
        return;
    }
    let mut warned: Vec<(String, u32, u32)> = Vec::new();
    let no_labels = BTreeMap::new();
    for r in results.iter_mut() {
        if !matches!(
            r.status,
            Status::Fail | Status::Warn | Status::Error | Status::Manual
        ) {
            continue;
        }
        let key = (r.location.file.clone(), r.resource.clone());
        let (labels, own) = targets
            .get(&key)
            .map_or((&no_labels, &[][..]), |(l, e)| (l, e.as_slice()));
        let target = Target {
            resource: &r.resource,
            labels,
        };
        let found = own
            .iter()
            .chain(policy.exemptions.iter())
            .filter(|e| e.covers(r, target))
            .find(|e| {
                let expired = e.expired(policy.now);
                if expired {
                    let id = (e.file.clone(), e.pos.line, e.pos.column);
                    if !warned.contains(&id) {
                        warned.push(id);
                        errors.push(InputError::at(
                            &e.file,
                            e.pos,
                            ErrorLevel::Warning,
                            match (&e.spec.expires, policy.now) {
                                (Some(d), Some(_)) => format!(
                                    "exemption ({}) expired on {d}; it no longer applies",
                                    e.source
                                ),
                                _ => format!(
                                    "exemption ({}) has an expiry date but no current date was given; it does not apply",
                                    e.source
                                ),
                            },
                        ));
                    }
                }
                !expired
            });
        if let Some(e) = found {
            r.exemption = Some(Box::new(crate::report::ExemptionNote {
                reason: e.spec.reason.clone(),
                source: e.source.clone(),
                expires: e.spec.expires.clone(),
                status: r.status,
            }));
            r.status = Status::Exempt;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_and_ignore_wins_ties() {
        let f = RuleFilter {
            select: vec!["PSS".into(), "RBAC001".into()],
            ignore: vec!["PSS1".into(), "RBAC".into()],
        };
        assert!(f.allows("PSS003"));
        assert!(!f.allows("PSS102"));
        assert!(f.allows("RBAC001"));
        assert!(!f.allows("RBAC002"));
        assert!(!f.allows("IMG001"));
        let tie = RuleFilter {
            select: vec!["IMG".into()],
            ignore: vec!["img".into()],
        };
        assert!(!tie.allows("IMG001"));
        assert!(RuleFilter::default().allows("CIS-1.2.1"));
    }

    #[test]
    fn cis_prefixes_stop_at_dots() {
        assert!(code_matches("CIS-1.2.1", "CIS-1.2.1"));
        assert!(!code_matches("CIS-1.2.1", "CIS-1.2.10"));
        assert!(code_matches("CIS-1.2", "CIS-1.2.10"));
        assert!(code_matches("CIS-1.2.", "CIS-1.2.10"));
        assert!(code_matches("cis", "CIS-4.2.1"));
    }

    #[test]
    fn dates_are_validated_and_ordered() {
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2100-02-29").is_none());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("2027-1-01").is_none());
        assert!(Date::parse("2027-06-30") < Date::parse("2027-07-01"));
        assert_eq!(
            Date::parse("2027-06-30").map(|d| d.to_string()).as_deref(),
            Some("2027-06-30")
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("csi-*", "csi-node"));
        assert!(glob_match("*-node-?", "csi-node-a"));
        assert!(!glob_match("csi-*", "xcsi-node"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn policy_file_errors_point_at_the_line() {
        let text = "benchmarks: [pss-baseline]\nselect: [PSS]\nexemptions:\n  - rules: [PSS003]\n    reason: ok\n    expire: 2027-01-01\n";
        let e = load_policy_file("stockade.yaml", text).expect_err("unknown key");
        assert_eq!((e.line, e.column), (6, 5), "{}", e.message);
        assert!(
            e.message.contains("unknown field `expire`"),
            "{}",
            e.message
        );

        let e = load_policy_file("p.yaml", "severity:\n  PSS003: severe\n").expect_err("bad value");
        assert_eq!(e.line, 2, "{}", e.message);

        let e = load_policy_file("p.yaml", "exemptions:\n- rules: [PSS003]\n  reason: \"\"\n")
            .expect_err("no reason");
        assert_eq!(e.line, 3, "{}", e.message);
        assert!(e.message.contains("needs a reason"));

        assert!(load_policy_file("p.yaml", "ignore: [CIS-5.2.1, NSA, CIS-1.2]\n").is_ok());
        let e = load_policy_file("p.yaml", "ignore: [PSS003, XYZ]\n").expect_err("unknown code");
        assert_eq!(e.line, 1);
        assert!(
            e.message.contains("\"XYZ\" matches no rule"),
            "{}",
            e.message
        );

        let e = load_policy_file(
            "p.yaml",
            "exemptions:\n- rules: [PSS]\n  reason: r\n  expires: 2027-02-30\n",
        )
        .expect_err("bad date");
        assert_eq!(e.line, 4);

        let ok = load_policy_file(
            "p.yaml",
            "benchmarks: [nsa-cisa]\nexemptions:\n- rules: [PSS]\n  reason: r\n  expires: 2027-02-28\n",
        )
        .expect("valid");
        assert_eq!(ok.policy.exemptions[0].source, "p.yaml:3");
        assert!(load_policy_file("p.yaml", "").is_ok());
    }
}
