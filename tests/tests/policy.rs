//! The policy file through the CLI: discovery, `--config`, errors at file:line, exemptions in
//! every format (SARIF suppressions validated), gates from the policy, and `--baseline`.

mod common;

use std::fs;

use common::{root, stockade};
use predicates::prelude::*;
use serde_json::Value;

const POLICY: &str = "examples/stockade.yaml";

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a JSON report")
}

fn results_with<'a>(report: &'a Value, key: &str, value: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r[key] == value)
        .collect()
}

#[test]
fn the_example_policy_selects_benchmarks_exempts_and_gates() {
    let out = stockade()
        .args(["scan", "--config", POLICY, "examples", "-f", "json"])
        .output()
        .expect("runs");
    // failOn: high, and the examples have critical findings.
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out.stdout);
    let runs: Vec<&str> = report["benchmarks"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(
        runs,
        [
            "pss-restricted@latest",
            "cis-k8s",
            "nsa-cisa",
            "image-hygiene",
            "cis-ubuntu",
            "containerd"
        ]
    );
    // Every layer in one report: the worker's OS (with the kubernetes-node profile's
    // exemption), its container runtime, and images linked to the workloads that run them.
    let forwarding = results_with(&report, "rule", "UBU-3.3.1");
    let worker = forwarding
        .iter()
        .find(|r| r["resource"]["name"] == "worker-1")
        .expect("the worker's IP forwarding");
    assert_eq!(worker["status"], "exempt");
    assert_eq!(worker["exemption"]["source"], "profile kubernetes-node");
    let runc = results_with(&report, "rule", "CTR-11");
    assert!(runc.iter().any(|r| {
        r["status"] == "fail"
            && r["message"]
                .as_str()
                .is_some_and(|m| m.contains("CVE-2024-21626"))
    }));
    let shell = results_with(&report, "rule", "IMG006");
    assert!(shell.iter().any(|r| r["status"] == "fail"
        && r["resource"]["kind"] == "DaemonSet"
        && r["container"] == "agent"));
    assert!(
        shell
            .iter()
            .any(|r| r["status"] == "fail" && r["resource"]["kind"] == "Image")
    );
    let vulns = results_with(&report, "rule", "IMG008");
    assert!(vulns.iter().any(|r| {
        r["status"] == "fail"
            && r["resource"]["name"] == "ledger"
            && r["message"]
                .as_str()
                .is_some_and(|m| m.contains("CVE-2024-45337"))
    }));
    assert!(
        results_with(&report, "rule", "IMG004").is_empty(),
        "ignored"
    );
    assert!(
        results_with(&report, "rule", "IMG002")
            .iter()
            .all(|r| r["severity"] == "low")
    );
    let exempt = results_with(&report, "status", "exempt");
    let from_policy = exempt
        .iter()
        .find(|r| r["rule"] == "PSS006")
        .expect("the policy exempts the agent's host port");
    assert_eq!(
        from_policy["exemption"]["source"],
        "examples/stockade.yaml:24"
    );
    assert_eq!(from_policy["exemption"]["expires"], "2027-03-31");
    let from_annotation = exempt
        .iter()
        .find(|r| r["rule"] == "WKL002")
        .expect("the storefront exempts itself from resource limits");
    assert!(
        from_annotation["exemption"]["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("annotation stockade.dev/exempt"))
    );
    // Only failures of high or critical severity fail the run.
    let high = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            r["status"] == "fail" && matches!(r["severity"].as_str(), Some("high" | "critical"))
        })
        .count();
    assert!(high > 0);
}

#[test]
fn sarif_marks_exemptions_as_suppressions_and_validates() {
    let out = stockade()
        .args(["scan", "--config", POLICY, "examples", "-f", "sarif"])
        .output()
        .expect("runs");
    let sarif = String::from_utf8(out.stdout).expect("utf-8");
    common::validate_sarif(&sarif);
    let value: Value = serde_json::from_str(&sarif).expect("JSON");
    let results = value["runs"][0]["results"].as_array().expect("results");
    let kinds: Vec<&str> = results
        .iter()
        .filter_map(|r| r["suppressions"][0]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"external"), "policy exemptions");
    assert!(kinds.contains(&"inSource"), "annotation exemptions");
    for r in results.iter().filter(|r| r.get("suppressions").is_some()) {
        assert_eq!(r["suppressions"][0]["status"], "accepted");
        assert!(
            r["suppressions"][0]["justification"]
                .as_str()
                .is_some_and(|j| !j.is_empty())
        );
    }
}

#[test]
fn every_format_with_the_policy_is_snapshotted() {
    for format in ["text", "markdown", "junit"] {
        let out = stockade()
            .args(["scan", "--config", POLICY, "examples", "-f", format])
            .output()
            .expect("runs");
        insta::assert_snapshot!(
            format!("policy_{format}"),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_policy_file_is_found_in_the_working_directory_or_a_parent() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("stockade.yaml"),
        "benchmarks: [image-hygiene]\nselect: [IMG001]\n",
    )
    .expect("write");
    let nested = dir.path().join("deploy/prod");
    fs::create_dir_all(&nested).expect("mkdir");
    fs::write(
        nested.join("app.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n",
    )
    .expect("write");
    let out = stockade()
        .current_dir(&nested)
        .args(["scan", ".", "-f", "json"])
        .output()
        .expect("runs");
    let report = json_of(&out.stdout);
    let rules: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["rule"].as_str())
        .collect();
    assert_eq!(rules, ["IMG001"]);
    // --no-config ignores it.
    let out = stockade()
        .current_dir(&nested)
        .args(["scan", ".", "-f", "json", "--no-config"])
        .output()
        .expect("runs");
    assert!(
        json_of(&out.stdout)["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|r| r["rule"] == "PSS102")
    );
    // The policy file in a scanned directory is not read as a manifest.
    let out = stockade()
        .current_dir(dir.path())
        .args(["scan", ".", "-f", "json"])
        .output()
        .expect("runs");
    assert_eq!(json_of(&out.stdout)["summary"]["files"], 1);
}

#[test]
fn a_bad_policy_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("policy.yaml");
    fs::write(
        &path,
        "benchmarks: [pss-baseline]\nexemptions:\n  - rules: [PSS003]\n    reasn: typo\n",
    )
    .expect("write");
    stockade()
        .args(["scan", "examples", "--config"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "policy.yaml:4:5: /exemptions/0/reasn: unknown field `reasn`",
        ));
    fs::write(&path, "benchmarks: [pss-strict]\n").expect("write");
    stockade()
        .args(["scan", "examples", "--config"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "policy.yaml:1:14: /benchmarks/0: unknown benchmark `pss-strict`",
        ));
}

#[test]
fn expired_exemptions_fail_again_after_their_date() {
    let out = stockade()
        .args([
            "scan",
            "--config",
            POLICY,
            "examples",
            "-f",
            "json",
            "--now",
            "2027-04-01",
        ])
        .output()
        .expect("runs");
    let report = json_of(&out.stdout);
    assert!(
        results_with(&report, "rule", "PSS006")
            .iter()
            .all(|r| r["status"] != "exempt")
    );
    assert!(
        report["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["message"]
                .as_str()
                .is_some_and(|m| m.contains("expired on 2027-03-31"))
                && e["file"] == "examples/stockade.yaml")
    );
}

#[test]
fn the_baseline_fails_only_new_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("app.yaml");
    let app = fs::read_to_string(root().join("examples/privileged-daemonset.yaml")).expect("read");
    fs::write(&manifest, &app).expect("write");
    let baseline = dir.path().join("baseline.json");
    stockade()
        .args([
            "scan",
            "--no-config",
            "-b",
            "pss-baseline",
            "-f",
            "json",
            "-o",
        ])
        .arg(&baseline)
        .arg(&manifest)
        .assert()
        .code(1);
    // Unchanged input: every finding is known, the run passes.
    stockade()
        .args(["scan", "--no-config", "-b", "pss-baseline", "--baseline"])
        .arg(&baseline)
        .arg(&manifest)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("in the baseline"));
    // A new violation (and shifted lines): only it is new, and the run fails.
    fs::write(
        &manifest,
        format!(
            "# moved down\n{}",
            app.replace("hostPID: true", "hostPID: true\n      hostIPC: true")
        ),
    )
    .expect("write");
    let out = stockade()
        .args([
            "scan",
            "--no-config",
            "-b",
            "pss-baseline",
            "-f",
            "sarif",
            "--baseline",
        ])
        .arg(&baseline)
        .arg(&manifest)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let sarif = String::from_utf8(out.stdout).expect("utf-8");
    common::validate_sarif(&sarif);
    let value: Value = serde_json::from_str(&sarif).expect("JSON");
    let new: Vec<&Value> = value["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["baselineState"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0]["message"]["text"]
            .as_str()
            .is_some_and(|m| m.contains("hostIPC"))
    );
    // Not a report: a clear error.
    stockade()
        .args(["scan", "--no-config", "--baseline"])
        .arg(&manifest)
        .arg(&manifest)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a Stockade JSON report"));
}
