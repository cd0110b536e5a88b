//! The engine scans manifest files as independent jobs and merges them in input order: the
//! report must not depend on the order jobs run in, on jobs running twice, or on an executor
//! that forgets some.

// Tests read their fixtures from disk; the no-I/O rule (clippy.toml) is for the library.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use stockade_core::report::json;
use stockade_core::{Executor, Options, evaluate, evaluate_with};

mod common;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
            out.push(path);
        }
    }
}

/// Runs the jobs last to first.
struct Reversed;
impl Executor for Reversed {
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in (0..count).rev() {
            job(i);
        }
    }
}

/// Runs every job twice, interleaved.
struct Twice;
impl Executor for Twice {
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in 0..count {
            job(i);
            job(count - 1 - i);
        }
    }
}

/// Runs only the even jobs, and counts what it ran.
struct Forgetful(Mutex<usize>);
impl Executor for Forgetful {
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in (0..count).step_by(2) {
            job(i);
            *self.0.lock().expect("unpoisoned") += 1;
        }
    }
}

#[test]
fn the_report_does_not_depend_on_how_jobs_are_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = Vec::new();
    walk(&root.join("examples"), &mut paths);
    walk(&root.join("core/tests/fixtures"), &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            (name, std::fs::read_to_string(p).expect("UTF-8"))
        })
        .collect();
    assert!(files.len() > 100, "{} files", files.len());
    let input = common::manifests(&files);
    let options = Options {
        benchmarks: ["pss-restricted", "cis-k8s", "nsa-cisa", "image-hygiene"]
            .iter()
            .map(|b| b.parse().expect("benchmark"))
            .collect(),
        ..Options::default()
    };
    let expected = json::render(&evaluate(&input, &options));
    let report = serde_json::from_str::<serde_json::Value>(&expected).expect("JSON");
    assert!(
        report["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["rule"] == "NET001")),
        "cross-file rules are part of the comparison"
    );
    assert_eq!(
        json::render(&evaluate_with(&input, &options, &Reversed)),
        expected
    );
    assert_eq!(
        json::render(&evaluate_with(&input, &options, &Twice)),
        expected
    );
    let forgetful = Forgetful(Mutex::new(0));
    assert_eq!(
        json::render(&evaluate_with(&input, &options, &forgetful)),
        expected
    );
    assert!(*forgetful.0.lock().expect("unpoisoned") < files.len());
}
