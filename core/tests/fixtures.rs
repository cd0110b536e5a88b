//! Every rule has pass and fail fixtures under `tests/fixtures/<family>/<rule-name>/`; this test
//! enforces that, evaluates each fixture, and snapshots the rendered report of every fixture so
//! that any change in verdicts or wording shows up in review.
//!
//! A fixture's first line may pin the benchmark: `# stockade-fixture: pss-baseline@v1.18`.
//! Otherwise a PSS rule runs at its level at `latest`, and any other rule in the first
//! benchmark that maps it. A line `# stockade-policy: {...}` gives policy options (settings).

// Tests may read their fixtures; the no-I/O rule (clippy.toml) is for the library.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::path::{Path, PathBuf};

use stockade_core::registry::rule_controls;
use stockade_core::report::{json, text};
use stockade_core::rules::RuleKind;
use stockade_core::{
    Input, Level, Options, RULES, Rule, Selection, SourceFile, Status, evaluate, load_policy_file,
};

fn fixture_dir(rule: &Rule) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rule.family())
        .join(rule.name)
}

fn options_for(rule: &Rule, text: &str) -> Options {
    let policy = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# stockade-policy:"))
        .unwrap_or("{}");
    let mut options = load_policy_file("fixture policy", policy).expect("a valid fixture policy");
    options.benchmarks = vec![selection_for(rule, text)];
    options
}

fn selection_for(rule: &Rule, text: &str) -> Selection {
    if let Some(spec) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# stockade-fixture:"))
    {
        return spec
            .trim()
            .parse()
            .expect("a valid benchmark in the fixture header");
    }
    let id = match &rule.kind {
        RuleKind::Pss(check) if check.level == Level::Restricted => "pss-restricted",
        RuleKind::Pss(_) => "pss-baseline",
        RuleKind::Manifest(_) => {
            let controls = rule_controls(rule);
            let first = controls.first().expect("a manifest rule maps to a control");
            return first.benchmark.parse().expect("known benchmark");
        }
    };
    id.parse().expect("known benchmark")
}

fn fixtures(rule: &Rule) -> Vec<PathBuf> {
    let dir = fixture_dir(rule);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: no fixture folder {}: {e}", rule.code, dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_rule_has_pass_and_fail_fixtures() {
    for rule in RULES {
        let names: Vec<String> = fixtures(rule)
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("pass")),
            "{} ({}) has no pass fixture",
            rule.code,
            rule.name
        );
        assert!(
            names.iter().any(|n| n.starts_with("fail")),
            "{} ({}) has no fail fixture",
            rule.code,
            rule.name
        );
    }
}

#[test]
fn fixtures_give_the_expected_verdicts_and_render_as_snapshotted() {
    for rule in RULES {
        for path in fixtures(rule) {
            let file_name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).expect("readable fixture");
            let options = options_for(rule, &text);
            let selection = options.benchmarks[0];
            let shown = format!("{}/{file_name}", rule.name);
            let input = Input {
                files: vec![SourceFile {
                    name: &shown,
                    text: &text,
                }],
                ..Default::default()
            };
            let report = evaluate(&input, &options);
            assert!(
                report.errors.is_empty(),
                "{shown}: input errors {:?}",
                report.errors
            );
            let of_rule: Vec<_> = report
                .results
                .iter()
                .filter(|r| r.rule == rule.code)
                .collect();
            let fails = of_rule.iter().filter(|r| r.status == Status::Fail).count();
            let since = match &rule.kind {
                RuleKind::Pss(check) => check.since,
                RuleKind::Manifest(_) => 0,
            };
            if file_name.starts_with("fail") {
                assert!(fails > 0, "{shown}: expected {} to fail", rule.code);
                for f in of_rule.iter().filter(|r| r.status == Status::Fail) {
                    assert!(
                        f.location.line > 0 && f.location.column > 0,
                        "{shown}: located"
                    );
                    assert!(!f.remediation.is_empty(), "{shown}: has a fix");
                }
            } else {
                assert_eq!(fails, 0, "{shown}: expected {} not to fail", rule.code);
                if selection.pss().is_none_or(|(_, v)| v.at_least(since)) {
                    assert!(
                        of_rule.iter().any(|r| r.status == Status::Pass),
                        "{shown}: expected a pass result for {}",
                        rule.code
                    );
                } else {
                    assert!(
                        of_rule.is_empty(),
                        "{shown}: {} does not apply before v1.{}",
                        rule.code,
                        since
                    );
                }
            }
            let snapshot = format!(
                "{}\n--- json results of {} ---\n{}",
                text::render(&report, text::TextOptions::default()),
                rule.code,
                serde_json::to_string_pretty(&of_rule).expect("json")
            );
            let name = format!("{}__{}", rule.name, file_name.trim_end_matches(".yaml"));
            insta::assert_snapshot!(name, snapshot);
            // The full JSON report is valid JSON with the documented top-level fields.
            let value: serde_json::Value =
                serde_json::from_str(&json::render(&report)).expect("valid JSON");
            for key in [
                "schemaVersion",
                "tool",
                "benchmarks",
                "results",
                "errors",
                "summary",
            ] {
                assert!(value.get(key).is_some(), "{shown}: JSON lacks {key}");
            }
        }
    }
}
