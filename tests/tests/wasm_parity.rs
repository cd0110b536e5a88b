//! Property: for generated manifests and options, the npm package (wasm, in Node.js) renders
//! byte for byte the report the native core renders, and evaluating twice gives the same bytes.
//!
//! Manifests are generated from the fields the rules read (security contexts, host namespaces,
//! volumes, capabilities, images, RBAC rules, ...) with values that include YAML 1.1 oddities
//! (`yes`, `0o17`, `~`), values of the wrong type, out-of-range numbers and broken documents.
//! The npm package is driven through its public `scan` function by `tests/npm/serve-scan.mjs`;
//! `scripts/test.sh` builds it first, and this test rebuilds it if the sources are newer.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::SystemTime;

use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use stockade_core::{Input, OptionsSpec, SourceFile};

mod generate;

use generate::case;

/// The native rendering: the core, as the CLI and the npm package both call it.
fn native(files: &[(String, String)], options: &Value, format: &str) -> String {
    let spec: OptionsSpec = serde_json::from_value(options.clone()).expect("options");
    let options = spec.resolve().expect("valid options");
    let input = Input {
        files: files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect(),
        ..Input::default()
    };
    stockade_core::evaluate(&input, &options)
        .render(format)
        .expect("a known format")
}

/// The npm package in Node.js, one request per line.
struct Wasm {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Wasm {
    fn start() -> Wasm {
        ensure_package_is_current();
        let mut child = Command::new("node")
            .arg(common::root().join("tests/npm/serve-scan.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Wasm {
            child,
            stdin,
            stdout,
        }
    }

    fn scan(&mut self, files: &[(String, String)], options: &Value, format: &str) -> String {
        let files: Vec<Value> = files
            .iter()
            .map(|(name, text)| json!({"name": name, "text": text}))
            .collect();
        let request = json!({"files": files, "options": options, "format": format});
        writeln!(self.stdin, "{request}").expect("write to node");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from node");
        let answer: Value = serde_json::from_str(&line).expect("an answer line");
        match answer["ok"].as_str() {
            Some(text) => text.to_owned(),
            None => panic!("the npm package failed: {}", answer["error"]),
        }
    }
}

impl Drop for Wasm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn newest(dir: &Path) -> SystemTime {
    let mut latest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH)
        };
        latest = latest.max(time);
    }
    latest
}

/// Builds the npm package unless `dist/` is newer than every source it is built from.
fn ensure_package_is_current() {
    let root = common::root();
    let built = std::fs::metadata(root.join("dist/stockade_wasm_bg.wasm"))
        .and_then(|m| m.modified())
        .ok();
    let sources = ["core/src", "wasm/src", "wasm/js"]
        .iter()
        .map(|d| newest(&root.join(d)))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if built.is_some_and(|b| b >= sources) {
        return;
    }
    let status = Command::new("node")
        .arg("scripts/build-npm.mjs")
        .current_dir(&root)
        .stdin(Stdio::null())
        .status()
        .expect("node runs");
    assert!(status.success(), "building the npm package failed");
}

#[test]
fn wasm_and_native_render_identical_reports_and_evaluation_is_deterministic() {
    let wasm = std::cell::RefCell::new(Wasm::start());
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    // Cases run, cases with both passing and failing results, cases with input errors: the
    // generator must exercise the rules, not only the error paths.
    let coverage = std::cell::RefCell::new((0usize, 0usize, 0usize));
    let result = runner.run(&case(), |(texts, benchmarks, format)| {
        let files: Vec<(String, String)> = texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("m{i}.yaml"), t))
            .collect();
        let options = json!({"benchmarks": benchmarks, "now": common::TODAY});
        let report: Value =
            serde_json::from_str(&native(&files, &options, "json")).expect("JSON report");
        let statuses = |status: &str| {
            report["results"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["status"] == status))
        };
        let mut seen = coverage.borrow_mut();
        seen.0 += 1;
        seen.1 += usize::from(statuses("fail") && statuses("pass"));
        seen.2 += usize::from(report["errors"].as_array().is_some_and(|e| !e.is_empty()));
        drop(seen);
        let first = native(&files, &options, format);
        let second = native(&files, &options, format);
        if first != second {
            return Err(TestCaseError::fail("two native evaluations differ"));
        }
        let from_wasm = wasm.borrow_mut().scan(&files, &options, format);
        if from_wasm != first {
            let at = first
                .bytes()
                .zip(from_wasm.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(first.len().min(from_wasm.len()));
            return Err(TestCaseError::fail(format!(
                "wasm and native differ at byte {at}:\nnative: {}\nwasm:   {}",
                first
                    .get(at.saturating_sub(80)..(at + 80).min(first.len()))
                    .unwrap_or_default(),
                from_wasm
                    .get(at.saturating_sub(80)..(at + 80).min(from_wasm.len()))
                    .unwrap_or_default()
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (cases, decided, with_errors) = *coverage.borrow();
    assert!(
        decided * 2 > cases && with_errors * 20 > cases,
        "the generated cases exercise too little: {decided} of {cases} had passes and failures, \
         {with_errors} had input errors"
    );
    eprintln!("{cases} cases: {decided} with passes and failures, {with_errors} with input errors");
}
