//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use stockade_core::facts::NodeFacts;
use stockade_core::report::Report;
use stockade_core::{Input, Options, SourceFile, evaluate};

/// The first result of `rule` on the resource named `name` (any resource when `None`).
pub fn result_of<'a>(
    report: &'a Report,
    rule: &str,
    name: Option<&str>,
) -> &'a stockade_core::report::CheckResult {
    report
        .results
        .iter()
        .find(|r| r.rule == rule && name.is_none_or(|n| r.resource.name == n))
        .unwrap_or_else(|| panic!("no {rule} result"))
}

/// Manifest files (name, text) as an input.
pub fn manifests<N: AsRef<str>, T: AsRef<str>>(files: &[(N, T)]) -> Input<'_> {
    Input {
        files: files
            .iter()
            .map(|(name, text)| SourceFile {
                name: name.as_ref(),
                text: text.as_ref(),
            })
            .collect(),
        ..Input::default()
    }
}

/// Evaluates node facts documents (serialized as a collector would write them) with `options`.
pub fn scan_facts(facts: &[(&str, &NodeFacts)], options: &Options) -> Report {
    let texts: Vec<(String, String)> = facts
        .iter()
        .map(|(name, f)| {
            (
                (*name).to_owned(),
                serde_json::to_string_pretty(f).expect("facts serialize"),
            )
        })
        .collect();
    let input = Input {
        facts: texts
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect(),
        ..Input::default()
    };
    evaluate(&input, options)
}
