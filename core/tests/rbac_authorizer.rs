//! RBAC rules decided as the API server's authorizer decides: API groups with resources, `*` and
//! `*/subresource`, `resourceNames`, Role versus ClusterRole, a RoleBinding of a ClusterRole.
//! The cases are data (`fixtures/rbac-authorizer/cases.yaml`): each role names the verdict each
//! rule must reach on it; every result is snapshotted.

// Tests may read their fixtures; the no-I/O rule (clippy.toml) is for the library.
#![allow(clippy::disallowed_methods)]

mod common;

use std::fs;
use std::path::Path;

use stockade_core::{Status, evaluate, load_policy_file};

#[test]
fn rbac_rules_follow_the_authorizer_across_groups_and_scopes() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rbac-authorizer/cases.yaml");
    let text = fs::read_to_string(&path).expect("readable cases");
    let mut options = load_policy_file("policy", "{}").expect("policy");
    options.benchmarks = vec!["cis-k8s".parse().expect("benchmark")];
    let report = evaluate(&common::manifests(&[("cases.yaml", &text)]), &options);
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    // The expectations, from the annotations (the YAML is simple enough to read by line).
    let mut expectations: Vec<(String, String, Status)> = Vec::new();
    let mut name = String::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("  name: ") {
            name = n.to_owned();
        }
        if let Some(list) = line.trim().strip_prefix("stockade.test/expect: ") {
            for item in list.split_whitespace() {
                let (rule, verdict) = item.split_once('=').expect("RULE=verdict");
                let status = match verdict {
                    "pass" => Status::Pass,
                    "fail" => Status::Fail,
                    other => panic!("unknown verdict {other}"),
                };
                expectations.push((name.clone(), rule.to_owned(), status));
            }
        }
    }
    assert!(expectations.len() > 80, "the cases were read");

    let mut wrong = Vec::new();
    for (role, rule, expected) in &expectations {
        let results: Vec<_> = report
            .results
            .iter()
            .filter(|r| {
                r.rule == *rule && r.resource.name == *role && r.resource.kind.ends_with("Role")
            })
            .collect();
        let got = if results.is_empty() {
            None
        } else if results.iter().any(|r| r.status == Status::Fail) {
            Some(Status::Fail)
        } else {
            Some(Status::Pass)
        };
        if got != Some(*expected) {
            wrong.push(format!("{role} {rule}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let mut lines: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.resource.kind.ends_with("Role") && r.rule.starts_with("RBAC"))
        .map(|r| {
            format!(
                "{} {} {:?} {}:{} {}",
                r.resource.name, r.rule, r.status, r.location.line, r.location.column, r.message
            )
        })
        .collect();
    lines.dedup();
    insta::assert_snapshot!(lines.join("\n"));
}
