//! Every report format on the bundled examples: snapshots, SARIF validated by Microsoft's SARIF
//! Multitool (no errors, no warnings), well-formed JUnit XML, and the exit-code gates.

mod common;

use common::{stockade, validate_sarif};

fn render(format: &str, extra: &[&str]) -> String {
    let out = stockade()
        .args(["scan", "examples", "-f", format])
        .args(extra)
        .output()
        .expect("runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn every_format_is_snapshotted() {
    insta::assert_snapshot!("examples_sarif", render("sarif", &[]));
    insta::assert_snapshot!("examples_junit", render("junit", &[]));
    insta::assert_snapshot!("examples_markdown", render("markdown", &[]));
    insta::assert_snapshot!("examples_html", render("html", &[]));
}

/// The HTML report is one page that loads nothing, and text from the input cannot become
/// markup (the page itself is tested in Chromium by tests/npm/html-report.test.mjs).
#[test]
fn html_is_self_contained_and_escapes_the_input() {
    let html = render("html", &[]);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("content=\"default-src 'none'"));
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the filter script"
    );
    let hostile = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: c\n      image: \"<script>alert(1)</script>\"\n      securityContext:\n        privileged: true\n";
    let out = stockade()
        .args(["scan", "-", "-f", "html", "-b", "image-hygiene"])
        .write_stdin(hostile)
        .output()
        .expect("runs");
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
}

#[test]
fn sarif_is_valid_with_rules_regions_and_tool_information() {
    let sarif = render("sarif", &[]);
    validate_sarif(&sarif);
    let value: serde_json::Value = serde_json::from_str(&sarif).expect("JSON");
    let run = &value["runs"][0];
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "Stockade");
    assert!(
        run["tool"]["driver"]["informationUri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().expect("startLine") >= 1);
        assert!(region["startColumn"].as_u64().expect("startColumn") >= 1);
    }
    for rule in rules {
        assert!(rule["help"]["text"].as_str().is_some_and(|h| !h.is_empty()));
        assert!(rule["properties"]["security-severity"].is_string());
    }
}

#[test]
fn sarif_with_input_errors_is_valid_too() {
    let out = stockade()
        .args(["scan", "-", "-f", "sarif"])
        .write_stdin("kind: Pod\nmetadata: {name: [\n")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let sarif = String::from_utf8(out.stdout).expect("utf-8");
    validate_sarif(&sarif);
    let value: serde_json::Value = serde_json::from_str(&sarif).expect("JSON");
    let invocation = &value["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["level"],
        "error"
    );
}

#[test]
fn junit_is_well_formed_and_counts_agree() {
    let xml = render("junit", &[]);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(
        suites.attribute("tests").and_then(|t| t.parse().ok()),
        Some(cases)
    );
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(
        suites.attribute("failures").and_then(|t| t.parse().ok()),
        Some(failures)
    );
    assert!(failures > 0);
}

#[test]
fn markdown_leads_with_scores_and_lists_findings() {
    let md = render("markdown", &[]);
    assert!(md.starts_with("## Stockade: "));
    assert!(md.contains("| pss-restricted@latest | "));
    assert!(md.contains("| critical | `PSS003` |"));
}

#[test]
fn gates_on_severity_and_score() {
    let restricted = "examples/restricted-deployment.yaml";
    stockade().args(["scan", restricted]).assert().code(0);
    // The team namespace has medium and high findings but nothing critical.
    let team = "examples/team-namespace.yaml";
    stockade().args(["scan", team]).assert().code(1);
    stockade()
        .args(["scan", team, "--fail-on", "critical"])
        .assert()
        .code(0);
    stockade()
        .args(["scan", team, "--fail-on", "medium"])
        .assert()
        .code(1);
    stockade()
        .args(["scan", team, "--fail-on", "critical", "--min-score", "99"])
        .assert()
        .code(1);
    stockade()
        .args(["scan", team, "--fail-on", "critical", "--min-score", "1"])
        .assert()
        .code(0);
    stockade()
        .args(["scan", team, "--fail-on", "extreme"])
        .assert()
        .code(2);
}

#[test]
fn scores_are_in_the_json_report() {
    let json: serde_json::Value = serde_json::from_str(&render("json", &[])).expect("JSON");
    let scores = json["scores"].as_array().expect("scores");
    let pss = scores
        .iter()
        .find(|s| s["benchmark"] == "pss-restricted@latest")
        .expect("pss score");
    let score = pss["score"].as_f64().expect("number");
    assert!(score > 0.0 && score < 100.0, "{score}");
    assert!(
        pss["sections"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x["section"] == "baseline"))
    );
    assert!(scores.iter().any(|s| s["benchmark"] == "cis-k8s@1.12"));
}
