//! The DISA Kubernetes STIG (`-b k8s-stig`) on node facts, control-plane static pods and
//! workload manifests: nodes and manifests that pass every automated rule, and ones that fail
//! each; the overlap with the CIS benchmark; the scores per severity category.
//!
//! The node fixtures (`tests/fixtures/nodes/stig-*.json`) each have a `.stig-expected` beside
//! them: one line per result, `<control> <rule> <status>`. Run with `STOCKADE_BLESS=1` to rewrite
//! them, then review the diff line by line.

// Tests may read and (when blessing) write their fixtures.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use stockade_core::benchmarks::k8s_stig;
use stockade_core::benchmarks::manifest;
use stockade_core::report::{Report, Status, markdown, text};
use stockade_core::{Input, Options, SourceFile, evaluate};

const PASSING_NODES: &[&str] = &["stig-control-plane-pass", "stig-worker-pass"];
const FAILING_NODES: &[&str] = &["stig-control-plane-fail", "stig-worker-fail"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &str) -> String {
    fs::read_to_string(fixtures().join(path)).expect("fixture")
}

fn scan(facts: &[&str], manifests: &[&str], benchmarks: &[&str]) -> Report {
    let facts: Vec<(String, String)> = facts
        .iter()
        .map(|n| (format!("{n}.json"), read(&format!("nodes/{n}.json"))))
        .collect();
    let manifests: Vec<(String, String)> = manifests
        .iter()
        .map(|m| ((*m).to_owned(), read(&format!("stig/{m}"))))
        .collect();
    let report = evaluate(
        &Input {
            facts: facts
                .iter()
                .map(|(name, text)| SourceFile { name, text })
                .collect(),
            files: manifests
                .iter()
                .map(|(name, text)| SourceFile { name, text })
                .collect(),
            ..Input::default()
        },
        &Options {
            benchmarks: benchmarks
                .iter()
                .map(|b| b.parse().expect("valid"))
                .collect(),
            ..Options::default()
        },
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
}

/// `(Vuln ID, rule code)` of every automated STIG row on nodes: each component or file a rule
/// covers is one row, told apart by the code of the check that decides it, or by its files.
fn automated_node_rows() -> BTreeSet<(String, String)> {
    k8s_stig::checks()
        .iter()
        .filter(|r| r.manual.is_none())
        .map(|r| {
            let code = match &r.cis {
                Some(id) => format!("CIS-{id}"),
                None => r.code(),
            };
            (r.id.clone(), code)
        })
        .collect()
}

fn stig_rows(report: &Report, status: Status) -> BTreeSet<(String, String)> {
    report
        .results
        .iter()
        .filter(|r| r.benchmark == k8s_stig::LABEL && r.status == status)
        .flat_map(|r| {
            r.controls
                .iter()
                .map(|c| (c.id.to_string(), r.rule.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn node_fixtures_give_the_expected_status_for_every_rule() {
    let dir = fixtures().join("nodes");
    let bless = std::env::var_os("STOCKADE_BLESS").is_some();
    let mut failures = Vec::new();
    for name in PASSING_NODES.iter().chain(FAILING_NODES) {
        let report = scan(&[name], &[], &["k8s-stig"]);
        let mut actual = String::new();
        for r in &report.results {
            for c in r.controls.iter() {
                actual.push_str(&format!("{} {} {}\n", c.id, r.rule, r.status.as_str()));
            }
        }
        let path = dir.join(format!("{name}.stig-expected"));
        if bless {
            fs::write(&path, &actual).expect("write");
            continue;
        }
        let expected = fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}\n+++ actual\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn compliant_nodes_pass_every_automated_rule() {
    let report = scan(PASSING_NODES, &[], &["k8s-stig"]);
    for r in &report.results {
        assert!(
            matches!(r.status, Status::Pass | Status::Skip | Status::Manual),
            "{} {}: {}",
            r.rule,
            r.status.as_str(),
            r.message
        );
    }
    let passed = stig_rows(&report, Status::Pass);
    let missing: Vec<_> = automated_node_rows().difference(&passed).cloned().collect();
    assert!(missing.is_empty(), "never passed: {missing:?}");
}

#[test]
fn noncompliant_nodes_fail_each_automated_rule_with_expected_actual_and_source() {
    let report = scan(FAILING_NODES, &[], &["k8s-stig"]);
    let failed = stig_rows(&report, Status::Fail);
    let missing: Vec<_> = automated_node_rows().difference(&failed).cloned().collect();
    assert!(missing.is_empty(), "never failed: {missing:?}");
    for r in report.results.iter().filter(|r| r.status == Status::Fail) {
        let evidence = r.evidence.as_deref().expect("evidence");
        assert!(
            evidence.expected.is_some() && evidence.actual.is_some() && evidence.source.is_some(),
            "{} lacks expected, actual or source",
            r.rule
        );
        assert!(!r.remediation.is_empty(), "{}", r.rule);
    }
    // Organisational rules are manual, with what to verify.
    let manual: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Manual)
        .collect();
    assert!(
        manual
            .iter()
            .any(|r| r.controls.iter().any(|c| c.id == "V-242410"))
    );
    assert!(manual.iter().all(|r| r.message.contains("PPSM")
        || r.message.contains("sshd")
        || r.message.contains("kubectl")
        || r.message.contains("audit")
        || r.message.contains("etcd")));
}

#[test]
fn severities_are_the_stig_categories() {
    let report = scan(FAILING_NODES, &[], &["k8s-stig"]);
    for r in &report.results {
        for c in r.controls.iter() {
            let category = k8s_stig::category_of(&c.id).expect("a category");
            assert_eq!(k8s_stig::category(r.severity), category, "{}", c.id);
        }
    }
}

#[test]
fn static_pods_pass_and_fail_like_the_node_facts() {
    let good = scan(&[], &["static-pods-pass.yaml"], &["k8s-stig"]);
    // The node rules' flag checks pass (the workload rules judge these pods too: control-plane
    // pods share the host network and run as root, as V-242437 and PSS say).
    let node_rule = |r: &&stockade_core::report::CheckResult| {
        r.controls.iter().any(|c| !k8s_stig::find(&c.id).is_empty())
    };
    let fails: Vec<_> = good
        .results
        .iter()
        .filter(node_rule)
        .filter(|r| r.status != Status::Pass)
        .map(|r| format!("{} {}", r.rule, r.message))
        .collect();
    assert!(fails.is_empty(), "{fails:?}");
    assert!(good.results.iter().filter(node_rule).count() > 30);
    let bad = scan(&[], &["static-pods-fail.yaml"], &["k8s-stig"]);
    let failed = stig_rows(&bad, Status::Fail);
    // Every flag rule of a control-plane component fails on the failing static pods.
    let flag_rows: BTreeSet<(String, String)> = k8s_stig::checks()
        .iter()
        .filter(|r| {
            !matches!(
                r.component,
                stockade_core::benchmarks::cis::ComponentName::Kubelet
                    | stockade_core::benchmarks::cis::ComponentName::Proxy
            )
        })
        .filter_map(|r| {
            let check =
                k8s_stig::implementation(r, stockade_core::benchmarks::cis::CisVersion::NEWEST)?;
            check.test.as_ref()?;
            Some((r.id.clone(), check.code()))
        })
        .collect();
    assert!(flag_rows.len() > 30, "{}", flag_rows.len());
    let missing: Vec<_> = flag_rows.difference(&failed).cloned().collect();
    assert!(
        missing.is_empty(),
        "never failed on static pods: {missing:?}"
    );
    // Results point into the manifest.
    let r = bad
        .results
        .iter()
        .find(|r| r.controls.iter().any(|c| c.id == "V-242386"))
        .expect("V-242386");
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.pointer.contains("/spec/containers/0/command/"),
        "{}",
        r.pointer
    );
    assert_eq!(r.container.as_deref(), Some("kube-apiserver"));
}

#[test]
fn workloads_pass_and_fail_the_manifest_rules() {
    let stig_controls: Vec<&manifest::ControlDef> = manifest::controls()
        .iter()
        .filter(|c| c.benchmark == "k8s-stig" && !c.rules.is_empty())
        .collect();
    assert!(stig_controls.len() >= 5);
    let bad = scan(&[], &["workloads-fail.yaml"], &["k8s-stig"]);
    let failed: BTreeSet<String> = stig_rows(&bad, Status::Fail)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for c in &stig_controls {
        assert!(failed.contains(&c.id), "{} did not fail", c.id);
    }
    let good = scan(&[], &["workloads-pass.yaml"], &["k8s-stig"]);
    let failed: Vec<_> = good
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| format!("{} {}", r.rule, r.message))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let passed = stig_rows(&good, Status::Pass);
    for id in ["V-242383", "V-242414", "V-242415", "V-242437"] {
        assert!(passed.iter().any(|(c, _)| c == id), "{id} did not pass");
    }
}

/// One failing flag is one finding listing the CIS control and the STIG rule, in the text and
/// Markdown reports, however many STIG rules ask for it.
#[test]
fn overlap_with_cis_is_shown_once_with_both_controls() {
    let report = scan(&["stig-control-plane-fail"], &[], &["cis-k8s", "k8s-stig"]);
    let findings = report.findings();
    let anonymous: Vec<_> = findings
        .iter()
        .filter(|f| f.first.rule == "CIS-1.2.1")
        .collect();
    assert_eq!(anonymous.len(), 1);
    let finding = anonymous.first().expect("one");
    assert_eq!(
        finding.controls(),
        ["cis-k8s@1.12:1.2.1", "k8s-stig@v2r4:V-242390"]
    );
    // Two STIG rules ask for an audit log path: one finding, three controls.
    let audit = findings
        .iter()
        .find(|f| f.first.rule == "CIS-1.2.16")
        .expect("audit log finding");
    assert_eq!(
        audit.controls(),
        [
            "cis-k8s@1.12:1.2.16",
            "k8s-stig@v2r4:V-242402",
            "k8s-stig@v2r4:V-242465"
        ]
    );
    let rendered = text::render(&report, text::TextOptions::default());
    assert_eq!(rendered.matches("CIS-1.2.1 ").count(), 1, "{rendered}");
    insta::assert_snapshot!("stig_cis_overlap_text", rendered);
    insta::assert_snapshot!("stig_cis_overlap_markdown", markdown::render(&report));
}

#[test]
fn scores_per_category_and_overall() {
    let report = scan(
        &["stig-control-plane-fail", "stig-worker-pass"],
        &["workloads-fail.yaml"],
        &["k8s-stig"],
    );
    let score = report
        .scores
        .iter()
        .find(|s| s.benchmark == k8s_stig::LABEL)
        .expect("a STIG score");
    let sections: Vec<&str> = score.sections.iter().map(|s| s.section.as_str()).collect();
    assert_eq!(sections, ["CAT I", "CAT II"]);
    let controls: usize = score.sections.iter().map(|s| s.controls).sum();
    assert_eq!(controls, score.controls);
    // Rendered wherever scores are shown: the JSON report's sections, the HTML report's
    // section table, a row per category in the Markdown summary.
    let html = stockade_core::report::html::render(&report);
    assert!(
        html.contains("<th scope=\"row\">CAT I</th>"),
        "no CAT I row in HTML"
    );
    let md = markdown::render(&report);
    assert!(md.contains("| k8s-stig@v2r4 CAT I | "), "{md}");
    assert!(md.contains("| k8s-stig@v2r4 CAT II | "), "{md}");
    insta::assert_snapshot!(
        "stig_scores_json",
        serde_json::to_string_pretty(&report.scores).expect("json")
    );
}

#[test]
fn explain_finds_rules_by_vuln_id_and_rule_version() {
    let by_id = stockade_core::explain("V-242378").expect("V-242378");
    let by_version = stockade_core::explain("CNTR-K8-000170").expect("CNTR-K8-000170");
    assert_eq!(by_id, by_version);
    assert!(by_id.contains("Rule version: CNTR-K8-000170"), "{by_id}");
    assert!(by_id.contains("CAT II"), "{by_id}");
    let shared = stockade_core::explain("V-242390").expect("V-242390");
    assert!(shared.contains("Decided by CIS-1.2.1"), "{shared}");
    let manifest = stockade_core::explain("CNTR-K8-001160").expect("CNTR-K8-001160");
    assert!(manifest.contains("WKL003"), "{manifest}");
    assert!(manifest.contains("CAT I"), "{manifest}");
    insta::assert_snapshot!("stig_explain_v242378", by_id);
    insta::assert_snapshot!(
        "stig_explain_v242408",
        stockade_core::explain("V-242408").expect("V-242408")
    );
}

// ---- Releases: V2R6 beside V2R4 ----

/// `(Vuln ID, rule version, severity)` of every rule of a release, on nodes and manifests, from
/// the data.
fn release_rules(release: k8s_stig::StigVersion) -> BTreeSet<(String, String, String)> {
    let nodes = k8s_stig::checks_in(release).map(|r| {
        (
            r.id.clone(),
            r.stig.clone().unwrap_or_default(),
            r.severity.as_str().to_owned(),
        )
    });
    let manifests = manifest::controls()
        .iter()
        .filter(|c| c.in_benchmark("k8s-stig", release.label()))
        .map(|c| {
            (
                c.id.clone(),
                c.stig.clone().unwrap_or_default(),
                c.severity
                    .map(|s| s.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            )
        });
    nodes.chain(manifests).collect()
}

/// The data's V2R6 is DISA's: the same Vuln IDs, rule versions and categories as the rule list
/// transcribed from the V2R6 XCCDF (`fixtures/stig/v2r6-rules.txt`), and V2R4's minus the two
/// rules V2R6 removed.
#[test]
fn v2r6_rule_list_is_disas() {
    use k8s_stig::StigVersion;
    let published: BTreeSet<(String, String, String)> = read("stig/v2r6-rules.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 5, "{l}");
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    assert_eq!(published.len(), 92);
    let high = published.iter().filter(|(_, _, s)| s == "high").count();
    assert_eq!((high, published.len() - high), (18, 74));
    let v2r6 = release_rules(StigVersion::V2r6);
    let only_data: Vec<_> = v2r6.difference(&published).collect();
    let only_disa: Vec<_> = published.difference(&v2r6).collect();
    assert!(
        only_data.is_empty() && only_disa.is_empty(),
        "not in V2R6: {only_data:?}; missing: {only_disa:?}"
    );
    let v2r4 = release_rules(StigVersion::V2r4);
    assert_eq!(v2r4.len(), 94);
    let removed: Vec<&str> = v2r4
        .difference(&v2r6)
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(removed, ["V-242386", "V-242388"]);
    assert!(v2r6.is_subset(&v2r4));
}

fn status_lines(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .flat_map(|r| {
            r.controls
                .iter()
                .map(|c| format!("{} {} {}", c.id, r.rule, r.status.as_str()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// No rule V2R6 keeps changed what it checks, so each node fixture gives, under V2R6, V2R4's
/// expected results without the rules V2R6 removed, labelled `k8s-stig@v2r6`; `@latest` is V2R6.
#[test]
fn v2r6_on_node_fixtures_is_v2r4_without_the_removed_rules() {
    let removed = |line: &&str| line.starts_with("V-242386 ") || line.starts_with("V-242388 ");
    for name in PASSING_NODES.iter().chain(FAILING_NODES) {
        let expected = read(&format!("nodes/{name}.stig-expected"));
        let want: Vec<&str> = expected.lines().filter(|l| !removed(l)).collect();
        for selection in ["k8s-stig@v2r6", "k8s-stig@latest"] {
            let report = scan(&[name], &[], &[selection]);
            assert_eq!(status_lines(&report), want, "{name} {selection}");
            assert!(
                report
                    .results
                    .iter()
                    .all(|r| r.benchmark == "k8s-stig@v2r6"),
                "{name}"
            );
            assert_eq!(report.benchmarks[0].id, "k8s-stig@v2r6");
            assert_eq!(report.benchmarks[0].title, "DISA Kubernetes STIG (V2R6)");
        }
    }
    // The control-plane fixture fails both removed rules under V2R4 (so the difference is real).
    let v2r4 = read("nodes/stig-control-plane-fail.stig-expected");
    for id in ["V-242386", "V-242388"] {
        assert!(
            v2r4.lines()
                .any(|l| l.starts_with(&format!("{id} ")) && l.ends_with(" fail")),
            "{id}"
        );
    }
}

/// On static pods: V2R6 evaluates the same flag rules, less the insecure port and bind address.
#[test]
fn v2r6_on_static_pods_drops_the_removed_rules_only() {
    let lines = |release: &str, file: &str| -> Vec<String> {
        status_lines(&scan(&[], &[file], &[release]))
    };
    for file in ["static-pods-pass.yaml", "static-pods-fail.yaml"] {
        let v2r4 = lines("k8s-stig@v2r4", file);
        let v2r6 = lines("k8s-stig@v2r6", file);
        let want: Vec<&String> = v2r4
            .iter()
            .filter(|l| !l.starts_with("V-242386 ") && !l.starts_with("V-242388 "))
            .collect();
        assert!(want.len() < v2r4.len() || file.contains("pass"), "{file}");
        assert_eq!(v2r6.iter().collect::<Vec<_>>(), want, "{file}");
    }
    let bad = scan(&[], &["static-pods-fail.yaml"], &["k8s-stig@v2r4"]);
    assert!(
        status_lines(&bad)
            .iter()
            .any(|l| l.starts_with("V-242388 ") && l.ends_with(" fail"))
    );
}

/// Scores per category follow the release: V2R6 has two CAT I rules fewer, both failed by the
/// control-plane fixture under V2R4.
#[test]
fn v2r6_scores_per_category() {
    let scores = |release: &str| {
        let report = scan(&["stig-control-plane-fail"], &[], &[release]);
        let score = report
            .scores
            .iter()
            .find(|s| s.benchmark == release)
            .expect("a STIG score")
            .clone();
        let md = markdown::render(&report);
        assert!(md.contains(&format!("| {release} CAT I | ")), "{md}");
        score
    };
    let v2r4 = scores("k8s-stig@v2r4");
    let v2r6 = scores("k8s-stig@v2r6");
    let cat = |s: &stockade_core::report::score::BenchmarkScore, name: &str| {
        s.sections
            .iter()
            .find(|x| x.section == name)
            .map(|x| x.controls)
            .expect(name)
    };
    assert_eq!(cat(&v2r4, "CAT I"), cat(&v2r6, "CAT I") + 2);
    assert_eq!(cat(&v2r4, "CAT II"), cat(&v2r6, "CAT II"));
    assert_eq!(v2r4.controls, v2r6.controls + 2);
}

/// `explain` says which releases have a rule V2R6 removed.
#[test]
fn explain_names_the_releases_of_a_removed_rule() {
    let removed = stockade_core::explain("V-242386").expect("V-242386");
    assert!(
        removed.contains("Releases: V2R4 (not in V2R6: `-b k8s-stig@v2r6` does not evaluate it)"),
        "{removed}"
    );
    let kept = stockade_core::explain("V-242378").expect("V-242378");
    assert!(!kept.contains("Releases:"), "{kept}");
}
