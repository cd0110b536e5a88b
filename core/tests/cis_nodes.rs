//! Node fixtures with the expected status of every CIS Kubernetes check, in both benchmark
//! versions: a worker-only node, a control-plane node with the defects an audit found (repeated
//! list flags, unset flags whose defaults are insecure, empty and zero values, an unparseable
//! boolean), and a worker whose kubelet config file was not collected.
//!
//! Each `tests/fixtures/nodes/<name>.json` has a `<name>.expected` beside it: one line per check,
//! `<benchmark version> <rule> <status>`. Run with `STOCKADE_BLESS=1` to rewrite them, then review
//! the diff line by line.

// Tests may read and (when blessing) write their fixtures.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::path::Path;

use stockade_core::{Input, Options, SourceFile, evaluate};

const NODES: &[&str] = &[
    "worker-only",
    "control-plane",
    "kubelet-config-not-collected",
];

fn statuses(name: &str, text: &str) -> String {
    let mut out = String::new();
    for version in ["1.11", "1.12"] {
        let report = evaluate(
            &Input {
                facts: vec![SourceFile {
                    name: &format!("{name}.json"),
                    text,
                }],
                ..Input::default()
            },
            &Options {
                benchmarks: vec![format!("cis-k8s@{version}").parse().expect("valid")],
                ..Options::default()
            },
        );
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        for r in &report.results {
            out.push_str(&format!("{version} {} {}\n", r.rule, r.status.as_str()));
        }
    }
    out
}

#[test]
fn node_fixtures_give_the_expected_status_for_every_check_in_both_versions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nodes");
    let bless = std::env::var_os("STOCKADE_BLESS").is_some();
    let mut failures = Vec::new();
    for name in NODES {
        let text = fs::read_to_string(dir.join(format!("{name}.json"))).expect("fixture");
        let actual = statuses(name, &text);
        let expected_path = dir.join(format!("{name}.expected"));
        if bless {
            fs::write(&expected_path, &actual).expect("write");
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            let diff: Vec<String> = expected
                .lines()
                .zip(actual.lines())
                .filter(|(e, a)| e != a)
                .map(|(e, a)| format!("  expected {e:?}, got {a:?}"))
                .collect();
            failures.push(format!(
                "{name}: {} lines differ ({} expected, {} actual)\n{}",
                diff.len(),
                expected.lines().count(),
                actual.lines().count(),
                diff.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
