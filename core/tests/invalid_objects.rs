//! Objects the API server rejects (a pod or pod template without containers, a container
//! without a name or image) are input errors at their line and are not evaluated; objects it
//! accepts are not.

// Tests may read their fixtures; the no-I/O rule (clippy.toml) is for the library.
#![allow(clippy::disallowed_methods)]

mod common;

use std::fs;
use std::path::Path;

use stockade_core::{Options, evaluate};

fn scan(name: &str) -> stockade_core::report::Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/invalid-objects")
        .join(name);
    let text = fs::read_to_string(&path).expect("readable fixture");
    let options = Options {
        benchmarks: vec![
            "cis-k8s".parse().expect("benchmark"),
            "pss-restricted".parse().expect("benchmark"),
        ],
        ..Options::default()
    };
    evaluate(&common::manifests(&[(name, &text)]), &options)
}

#[test]
fn rejected_objects_are_input_errors_at_their_line_and_not_evaluated() {
    let report = scan("rejected.yaml");
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{} {:?} {}",
                e.file, e.line, e.column, e.level, e.message
            )
        })
        .collect();
    insta::assert_snapshot!(errors.join("\n"));
    assert_eq!(report.errors.len(), 9, "{errors:#?}");
    let evaluated: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.resource.kind != "Cluster")
        .map(|r| r.resource.name.as_str())
        .collect();
    assert!(evaluated.is_empty(), "evaluated {evaluated:?}");
}

#[test]
fn accepted_objects_are_evaluated_without_errors() {
    let report = scan("accepted.yaml");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    for name in [
        "minimal",
        "blank-image",
        "nightly",
        "settings",
        "loadgenerator",
    ] {
        assert!(
            report.results.iter().any(|r| r.resource.name == name),
            "{name} was not evaluated"
        );
    }
}
