//! The npm package's engine: a thin wasm-bindgen adapter over `stockade-core`.
//!
//! Conversion only: no rule or selection logic lives here. Values cross the boundary as JSON
//! text, which the JavaScript side turns into objects with the engine's native `JSON.parse`:
//! measured on the shared corpus, that is several times faster than building the report one JS
//! object at a time (serde-wasm-bindgen), and it keeps that crate's bytes out of the module.
//! The JavaScript wrappers in `wasm/js/` give the package its API and types.

use serde::{Deserialize, Serialize};
use stockade_core::report::Report;
use stockade_core::{Input, OptionsSpec, SourceFile};
use wasm_bindgen::prelude::*;

/// One named text (a manifest file or a node facts document).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedText {
    name: String,
    text: String,
}

/// What `evaluate` takes: manifests and node facts, each a list of named texts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputSpec {
    #[serde(default)]
    files: Vec<NamedText>,
    #[serde(default)]
    facts: Vec<NamedText>,
}

fn parse<T: for<'de> Deserialize<'de>>(json: &str, what: &str) -> Result<T, JsError> {
    serde_json::from_str(json).map_err(|e| JsError::new(&format!("stockade: invalid {what}: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value)
        .map_err(|e| JsError::new(&format!("stockade: cannot convert the result: {e}")))
}

fn source_files(texts: &[NamedText]) -> Vec<SourceFile<'_>> {
    texts
        .iter()
        .map(|t| SourceFile {
            name: &t.name,
            text: &t.text,
        })
        .collect()
}

/// Evaluates `{"files": [{name, text}], "facts": [{name, text}]}` (JSON text) with an options
/// object (JSON text, the policy: `{"benchmarks": [...], "exemptions": [...], ...}`) and returns
/// the report as JSON text.
#[wasm_bindgen(js_name = evaluateJson)]
pub fn evaluate_json(input: &str, options: &str) -> Result<String, JsError> {
    to_json(&evaluate(input, options)?)
}

/// Evaluates and renders in one call, without the report ever crossing into JavaScript: the
/// text `stockade scan -f FORMAT` writes.
#[wasm_bindgen(js_name = scanJson)]
pub fn scan_json(input: &str, options: &str, format: &str) -> Result<String, JsError> {
    let report = evaluate(input, options)?;
    report.render(format).ok_or_else(|| unknown_format(format))
}

fn evaluate(input: &str, options: &str) -> Result<Report, JsError> {
    let input: InputSpec = parse(input, "input")?;
    let spec: OptionsSpec = parse(options, "options")?;
    let options = spec
        .resolve()
        .map_err(|e| JsError::new(&format!("stockade: invalid options: {e}")))?;
    if !options.policy.plugins.is_empty() {
        return Err(JsError::new(
            "stockade: invalid options: /plugins: rule plugins run in the stockade CLI only",
        ));
    }
    let core_input = Input {
        files: source_files(&input.files),
        facts: source_files(&input.facts),
        errors: Vec::new(),
        plugins: Vec::new(),
    };
    Ok(stockade_core::evaluate(&core_input, &options))
}

/// One file after `fix`: its new text and what was fixed in it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FixedFile {
    name: String,
    text: String,
    changed: bool,
    fixed: Vec<FixedFinding>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FixedFinding {
    rule: String,
    resource: String,
    container: Option<String>,
    line: u32,
    description: String,
}

/// Fixes every failing finding that has a mechanical fix, for the benchmarks and policy of
/// `options` (exempt findings are left alone), in one pass per file; returns
/// `{"files": [{name, text, changed, fixed: [{rule, resource, container, line, description}]}]}`
/// as JSON text. Facts are ignored: only manifests are edited.
#[wasm_bindgen(js_name = fixJson)]
pub fn fix_json(input: &str, options: &str) -> Result<String, JsError> {
    let report = evaluate(input, options)?;
    let input: InputSpec = parse(input, "input")?;
    let mut files = Vec::new();
    for file in &input.files {
        let results: Vec<&stockade_core::report::CheckResult> = report
            .results
            .iter()
            .filter(|r| r.location.file == file.name.as_str())
            .collect();
        let plan = stockade_core::fix::fix_file(&file.text, &results);
        let text = stockade_core::fix::apply(&file.text, &plan.edits)
            .ok_or_else(|| JsError::new("stockade: overlapping fixes (a bug)"))?;
        let fixed = plan
            .fixed
            .iter()
            .filter_map(|&i| results.get(i))
            .map(|r| FixedFinding {
                rule: r.rule.to_string(),
                resource: r.resource.display(),
                container: r.container.as_ref().map(ToString::to_string),
                line: r.location.line,
                description: r
                    .fix
                    .as_ref()
                    .map_or_else(String::new, |f| f.description.clone()),
            })
            .collect();
        files.push(FixedFile {
            name: file.name.clone(),
            changed: text != file.text,
            text,
            fixed,
        });
    }
    to_json(&serde_json::json!({ "files": files }))
}

fn unknown_format(format: &str) -> JsError {
    JsError::new(&format!(
        "stockade: unknown format `{format}` (known: text, json, sarif, junit, markdown, html)"
    ))
}

/// Renders a report (JSON text, as `evaluateJson` returns it) as `text`, `json`, `sarif`,
/// `junit`, `markdown` or `html`.
#[wasm_bindgen(js_name = renderJson)]
pub fn render_json(report: &str, format: &str) -> Result<String, JsError> {
    let report: Report = parse(report, "report")?;
    report.render(format).ok_or_else(|| unknown_format(format))
}

/// Every rule and CIS check with its documentation (JSON text).
#[wasm_bindgen(js_name = rulesJson)]
pub fn rules_json() -> Result<String, JsError> {
    to_json(&stockade_core::catalog())
}

/// A rule's documentation (markdown), or `undefined`.
#[wasm_bindgen(js_name = explain)]
pub fn explain(rule: &str) -> Option<String> {
    stockade_core::explain(rule)
}

/// The benchmarks and their versions (JSON text).
#[wasm_bindgen(js_name = benchmarksJson)]
pub fn benchmarks_json() -> Result<String, JsError> {
    to_json(&stockade_core::benchmarks::catalog())
}

/// The engine's version.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    stockade_core::VERSION.to_owned()
}

/// Panics on purpose: lets the package's tests prove that a panic leaves the module usable.
#[wasm_bindgen(js_name = __panicForTests)]
pub fn panic_for_tests() {
    std::panic::panic_any("a deliberate panic for the tests");
}
