//! Property: for generated manifests (the parity property's generator), fixing everything
//! fixable and scanning again never makes a result worse, never breaks a document, and the
//! fixed results pass.

mod common;
mod generate;

use std::collections::BTreeMap;

use generate::case;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use stockade_core::report::CheckResult;
use stockade_core::{Input, Options, Report, Selection, SourceFile, Status, evaluate, fix};

fn scan(files: &[(String, String)], benchmarks: &[&str]) -> Report {
    let input = Input {
        files: files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect(),
        ..Input::default()
    };
    let options = Options {
        benchmarks: benchmarks
            .iter()
            .map(|b| b.parse::<Selection>().expect("benchmark"))
            .collect(),
        ..Options::default()
    };
    evaluate(&input, &options)
}

/// Failing results per rule, benchmark, object and container (not per location: a fix moves
/// lines).
fn failures(report: &Report) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in report.results.iter().filter(|r| r.status == Status::Fail) {
        *out.entry(format!(
            "{} {} {} {:?}",
            r.rule,
            r.benchmark,
            r.resource.display(),
            r.container
        ))
        .or_insert(0) += 1;
    }
    out
}

#[test]
fn fixing_everything_never_makes_a_result_worse_and_documents_still_parse() {
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let fixed_some = std::cell::Cell::new(0usize);
    let result = runner.run(&case(), |(texts, benchmarks, _)| {
        let files: Vec<(String, String)> = texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("m{i}.yaml"), t))
            .collect();
        let before = scan(&files, &benchmarks);
        let mut fixed_files = Vec::new();
        let mut fixed_count = 0;
        for (name, text) in &files {
            let results: Vec<&CheckResult> = before
                .results
                .iter()
                .filter(|r| r.location.file == name.as_str())
                .collect();
            let plan = fix::fix_file(text, &results);
            fixed_count += plan.fixed.len();
            let new = fix::apply(text, &plan.edits)
                .ok_or_else(|| TestCaseError::fail("edits overlap"))?;
            fixed_files.push((name.clone(), new));
        }
        if fixed_count > 0 {
            fixed_some.set(fixed_some.get() + 1);
        }
        let after = scan(&fixed_files, &benchmarks);
        if after.errors.len() > before.errors.len() {
            return Err(TestCaseError::fail(format!(
                "the fix broke a document: {:?}\nbefore: {files:?}\nafter: {fixed_files:?}",
                after.errors
            )));
        }
        let (old, new) = (failures(&before), failures(&after));
        for (key, n) in &new {
            if n > old.get(key).unwrap_or(&0) {
                return Err(TestCaseError::fail(format!(
                    "{key} got worse\nbefore: {files:?}\nafter: {fixed_files:?}"
                )));
            }
        }
        let fixable = |r: &Report| {
            r.results
                .iter()
                .filter(|r| r.status == Status::Fail && r.fix.is_some())
                .count()
        };
        if fixed_count > 0 && fixable(&after) >= fixable(&before) {
            return Err(TestCaseError::fail(format!(
                "fixes applied, nothing got better\n{fixed_files:?}"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        fixed_some.get() > 20,
        "the generator must give fixable findings"
    );
}
