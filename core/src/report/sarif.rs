//! SARIF 2.1.0, for GitHub code scanning and other static-analysis viewers.
//!
//! Findings (`fail`, `warn`, `error`) become results; passes, skips and manual checks do not.
//! Every rule that has a result is described in `tool.driver.rules` with its title, its
//! documentation as help, and a `security-severity` that code scanning understands.

use serde_json::{Value, json};

use super::{ErrorLevel, Report, Status};
use crate::registry::{RuleInfo, catalog_cached};
use crate::vocab::Severity;

/// SARIF's `level` for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The CVSS-like number GitHub code scanning sorts by.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A path as a URI reference: unreserved characters and `/` kept, the rest percent-encoded (so
/// `<stdin>` or a space cannot break the URI). An absolute path becomes a `file:` URI: a
/// relative reference must not begin with a slash.
pub(crate) fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let drive = path.len() > 2
        && path.as_bytes().get(1) == Some(&b':')
        && path.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    let path = if drive {
        out.push_str("file:///");
        let (letter, rest) = path.split_at(2);
        out.push_str(letter);
        rest.replace('\\', "/")
    } else {
        if path.starts_with('/') {
            out.push_str("file://");
        }
        path.to_owned()
    };
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// FNV-1a: a stable fingerprint of a finding across runs (not a security hash).
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn descriptor(info: &RuleInfo) -> Value {
    json!({
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": format!("{}. Fix: {}", info.title, info.remediation)},
        "help": {"text": info.documentation, "markdown": info.documentation},
        "defaultConfiguration": {"level": level(info.severity)},
        "properties": {
            "tags": ["security", "kubernetes", info.benchmark],
            "security-severity": security_severity(info.severity),
            "precision": "very-high",
        },
    })
}

/// A plugin rule (`<plugin>/<code>`) described like a built-in one.
fn plugin_rule(report: &Report, id: &str) -> Option<RuleInfo> {
    let (plugin, code) = id.split_once('/')?;
    let info = report.plugins.iter().find(|p| p.name == plugin)?;
    let rule = info.rules.iter().find(|r| r.code == code)?;
    let documentation = if rule.description.is_empty() {
        rule.title.to_string()
    } else {
        rule.description.to_string()
    };
    Some(RuleInfo {
        code: id.to_owned(),
        name: crate::vocab::slug(&rule.title),
        title: rule.title.to_string(),
        severity: rule.severity,
        benchmark: format!("plugin:{plugin}"),
        controls: rule.controls.clone(),
        remediation: rule.remediation.to_string(),
        documentation,
        fixable: false,
    })
}

/// A result's fix as SARIF `fixes`: one artifact change with a replacement per edit (regions
/// in the run's `columnKind`, code points, end exclusive; an insertion is an empty region).
fn sarif_fix(fix: &super::fix::Fix, file: &str) -> Value {
    let replacements: Vec<Value> = fix
        .edits
        .iter()
        .map(|e| {
            json!({
                "deletedRegion": {
                    "startLine": e.start.line,
                    "startColumn": e.start.column,
                    "endLine": e.end.line,
                    "endColumn": e.end.column,
                },
                "insertedContent": {"text": e.new_text},
            })
        })
        .collect();
    json!([{
        "description": {"text": fix.description},
        "artifactChanges": [{
            "artifactLocation": {"uri": uri(file)},
            "replacements": replacements,
        }],
    }])
}

/// Renders the report as SARIF 2.1.0 (pretty-printed JSON).
pub fn render(report: &Report) -> String {
    let catalog = catalog_cached();
    // One SARIF result per finding, with every benchmark run and control that reports it, so
    // that code scanning shows one alert for one problem.
    let findings: Vec<super::Finding<'_>> = report
        .findings()
        .into_iter()
        .filter(|f| {
            let r = f.first;
            r.status.is_problem() || r.exemption.as_ref().is_some_and(|e| e.status.is_problem())
        })
        .collect();
    let mut rule_ids: Vec<&str> = Vec::new();
    for f in &findings {
        if !rule_ids.contains(&f.first.rule.as_str()) {
            rule_ids.push(&f.first.rule);
        }
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| match catalog.iter().find(|c| c.code == *id) {
            Some(info) => descriptor(info),
            None => match plugin_rule(report, id) {
                Some(info) => descriptor(&info),
                None => json!({"id": id, "shortDescription": {"text": id}}),
            },
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let r = f.first;
            let rule_index = rule_ids.iter().position(|id| *id == r.rule).unwrap_or(0);
            let qualified = r.resource.display().replace(' ', "/");
            let status = r.exemption.as_ref().map_or(r.status, |e| e.status);
            let message = match status {
                Status::Fail => r.message.to_string(),
                Status::Warn => format!("could not be decided: {}", r.message),
                _ => format!("could not be evaluated: {}", r.message),
            };
            let mut properties = json!({
                "status": r.status.as_str(),
                "benchmarks": f.runs.iter().map(|r| r.benchmark.clone()).collect::<Vec<_>>(),
                "controls": f.controls(),
                "pointer": r.pointer,
            });
            if let Some(map) = properties.as_object_mut() {
                if let Some(e) = &r.evidence {
                    for (key, value) in [("expected", &e.expected), ("actual", &e.actual), ("source", &e.source)] {
                        if let Some(v) = value {
                            map.insert(key.to_owned(), Value::String(v.clone()));
                        }
                    }
                }
                if let Some(c) = &r.container {
                    map.insert("container".to_owned(), Value::String(c.to_string()));
                }
            }
            let mut result = json!({
                "ruleId": r.rule,
                "ruleIndex": rule_index,
                "level": if status == Status::Fail { level(r.severity) } else { "warning" },
                "message": {"text": if r.remediation.is_empty() { message } else { format!("{message}. Fix: {}", r.remediation) }},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&r.location.file)},
                        "region": {"startLine": r.location.line.max(1), "startColumn": r.location.column.max(1)},
                    },
                    "logicalLocations": [{"fullyQualifiedName": qualified, "kind": "resource"}],
                }],
                "partialFingerprints": {
                    "stockadeFinding/v1": fingerprint(&[&r.rule, &qualified, &r.pointer, &r.location.file]),
                },
                "properties": properties,
            });
            if let Some(map) = result.as_object_mut() {
                if let Some(e) = &r.exemption {
                    // An annotation lives in the scanned file itself: an in-source suppression.
                    let kind = if e.source.starts_with("annotation ") { "inSource" } else { "external" };
                    map.insert(
                        "suppressions".to_owned(),
                        json!([{"kind": kind, "status": "accepted", "justification": e.reason}]),
                    );
                }
                if let Some(fix) = r.fix.as_deref().filter(|_| status == Status::Fail) {
                    map.insert("fixes".to_owned(), sarif_fix(fix, &r.location.file));
                }
                if let Some(state) = r.baseline_state {
                    let state = match state {
                        super::BaselineState::New => "new",
                        super::BaselineState::Unchanged => "unchanged",
                    };
                    map.insert("baselineState".to_owned(), Value::String(state.to_owned()));
                }
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": if e.level == ErrorLevel::Error { "error" } else { "warning" },
                "message": {"text": e.message},
            });
            if e.line > 0
                && let Some(map) = n.as_object_mut()
            {
                map.insert(
                    "locations".to_owned(),
                    json!([{"physicalLocation": {
                        "artifactLocation": {"uri": uri(&e.file)},
                        "region": {"startLine": e.line, "startColumn": e.column.max(1)},
                    }}]),
                );
            }
            n
        })
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "Stockade",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.summary.input_errors == 0,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut sarif = sarif;
    // A fleet's summary; each failing node is a result of its own above.
    if let Some(fleet) = &report.fleet
        && let Some(run) = sarif.pointer_mut("/runs/0").and_then(Value::as_object_mut)
    {
        run.insert(
            "properties".to_owned(),
            json!({"fleet": {
                "nodes": fleet.nodes.len(),
                "failingNodes": fleet.failing_nodes,
                "score": fleet.score,
            }}),
        );
    }
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_else(|_| "{}".to_owned());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("examples/a b.yaml"), "examples/a%20b.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("../shared/x_y-z~.yml"), "../shared/x_y-z~.yml");
        assert_eq!(uri("/tmp/a b.yaml"), "file:///tmp/a%20b.yaml");
        assert_eq!(uri("C:\\work\\a.yaml"), "file:///C:/work/a.yaml");
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
    }
}
