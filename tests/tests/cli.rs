//! End-to-end tests of the `stockade` binary: exit codes, stdin, directories, bad input among
//! good input, output files, and snapshots of the reports on the bundled examples.

mod common;

use std::fs;

use common::{root, stockade};
use predicates::prelude::*;
use serde_json::Value;

fn json_of(output: &[u8]) -> Value {
    serde_json::from_slice(output).expect("valid JSON on stdout")
}

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: true\n";

#[test]
fn scanning_the_examples_reports_findings_and_exits_1() {
    stockade()
        .args(["scan", "examples"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "examples/privileged-daemonset.yaml:23:13 PSS003 privileged [critical]",
        ))
        .stdout(predicate::str::contains(
            "container \"agent\" must not set securityContext.privileged=true",
        ))
        .stdout(predicate::str::contains("fix: "))
        .stdout(predicate::str::contains(
            "pods \"debug-shell\" is forbidden",
        ));
}

#[test]
fn text_and_json_reports_of_the_examples_are_snapshotted() {
    let text = stockade()
        .args(["scan", "examples"])
        .output()
        .expect("runs");
    insta::assert_snapshot!("examples_text", String::from_utf8_lossy(&text.stdout));
    let json = stockade()
        .args([
            "scan",
            "examples",
            "-b",
            "pss-baseline@v1.29",
            "-b",
            "pss-restricted",
            "-f",
            "json",
        ])
        .output()
        .expect("runs");
    insta::assert_snapshot!("examples_json", String::from_utf8_lossy(&json.stdout));
}

/// A machine without Kubernetes: the text report counts skipped checks per reason instead of
/// listing hundreds, and `--show` lists what it counted, one by one.
#[test]
fn quiet_results_are_counted_and_show_lists_them() {
    let facts = "core/tests/fixtures/node-facts/debian-no-kubernetes.json";
    let args = [
        "scan",
        "--facts",
        facts,
        "-b",
        "cis-k8s",
        "-b",
        "cis-ubuntu",
        "-b",
        "containerd",
    ];
    let quiet = stockade().args(args).output().expect("runs");
    let quiet = String::from_utf8_lossy(&quiet.stdout).into_owned();
    insta::assert_snapshot!("debian_no_kubernetes_text", quiet);
    assert!(quiet.lines().count() < 15, "{quiet}");
    let listed = stockade()
        .args(args)
        .args(["--show", "skip,manual"])
        .output()
        .expect("runs");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(
        listed.matches(" UBU-").count(),
        148,
        "every skipped Ubuntu check, listed"
    );
    assert!(!listed.contains("checks skipped on"), "{listed}");
    // A manifest scan: manual checks are counted per benchmark unless shown.
    let manifests = [
        "scan",
        "examples/restricted-deployment.yaml",
        "-b",
        "cis-k8s",
    ];
    let counted = stockade().args(manifests).output().expect("runs");
    let counted = String::from_utf8_lossy(&counted.stdout).into_owned();
    assert!(
        counted.contains("checks to verify by hand (cis-k8s@1.12)"),
        "{counted}"
    );
    let shown = stockade()
        .args(manifests)
        .args(["--show", "manual", "--show", "pass"])
        .output()
        .expect("runs");
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.contains("CIS-5.2.1"), "{shown}");
    assert!(shown.contains("  ✓ "), "passes listed: {shown}");
    assert!(!shown.contains("to verify by hand"), "{shown}");
}

/// The recipe for a live cluster: `kubectl get ... -o yaml` (or `-o json`) piped to
/// `stockade scan -`. Each verdict is reported once, on the controller.
#[test]
fn kubectl_list_output_on_stdin_is_scanned_with_each_verdict_once() {
    let yaml =
        std::fs::read_to_string(root().join("core/tests/fixtures/kubectl/get-workloads.yaml"))
            .expect("fixture");
    let (node, errors) = stockade_core::input::yaml::parse_document(&yaml, 0, Default::default());
    assert!(errors.is_empty(), "{errors:?}");
    let json = serde_json::to_string_pretty(&node.expect("a document").to_json()).expect("json");
    for input in [yaml, json] {
        let out = stockade()
            .args(["scan", "-"])
            .write_stdin(input)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("Deployment shop/web  <stdin>  (and the same verdicts of the 2 Pods and 1 ReplicaSet it controls)"),
            "{text}"
        );
        assert!(!text.contains("Pod shop/web-6d8f9c7b5-7xk2p"), "{text}");
        assert!(text.contains("Pod shop/web-6d8f9c7b5-q4m9d"), "{text}");
        assert!(!text.contains("error:"), "{text}");
    }
}

/// `stockade scan --help` names every benchmark the core knows.
#[test]
fn scan_help_lists_every_benchmark() {
    let help = stockade().args(["scan", "--help"]).output().expect("runs");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for b in stockade_core::benchmarks::ALL {
        assert!(help.contains(b.id()), "`scan --help` omits {}", b.id());
    }
}

#[test]
fn a_compliant_file_exits_0() {
    stockade()
        .args(["scan", "examples/restricted-deployment.yaml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "passed every check: Deployment shop/storefront",
        ));
}

#[test]
fn reports_are_byte_identical_across_runs() {
    let run = || {
        stockade()
            .args(["scan", "examples", "-f", "json"])
            .output()
            .expect("runs")
            .stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn json_contract() {
    let out = stockade()
        .args(["scan", "examples", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out.stdout);
    assert_eq!(report["schemaVersion"], 1);
    assert!(report["summary"]["pass"].is_u64());
    assert!(report["summary"]["fail"].as_u64().expect("fail count") > 0);
    let results = report["results"].as_array().expect("results");
    for r in results {
        for key in [
            "rule",
            "name",
            "status",
            "severity",
            "benchmark",
            "controls",
            "resource",
            "location",
            "pointer",
            "message",
        ] {
            assert!(r.get(key).is_some(), "result lacks {key}: {r}");
        }
        assert!(r["location"]["line"].as_u64().expect("line") > 0);
        assert!(
            ["pass", "fail", "warn", "manual", "skip", "error"]
                .contains(&r["status"].as_str().expect("status"))
        );
    }
    for status in ["pass", "fail", "warn", "manual", "skip", "error"] {
        let n = results.iter().filter(|r| r["status"] == status).count() as u64;
        assert_eq!(report["summary"][status].as_u64(), Some(n), "{status}");
    }
    assert!(
        results.iter().any(|r| r["status"] == "manual"
            && r["rule"].as_str().is_some_and(|c| c.starts_with("CIS-")))
    );
    let node = results
        .iter()
        .find(|r| r["resource"]["kind"] == "Node")
        .expect("node facts in examples/");
    for key in ["expected", "actual", "source"] {
        assert!(node.get(key).is_some(), "node results carry {key}: {node}");
    }
    let admission = report["admission"].as_array().expect("admission");
    assert!(admission.iter().any(|v| v["effect"] == "rejected"));
}

#[test]
fn stdin_is_read_with_dash() {
    let out = stockade()
        .args(["scan", "-", "-b", "pss-baseline", "-f", "json"])
        .write_stdin(PRIVILEGED)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out.stdout);
    let fail = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["status"] == "fail")
        .expect("a failure")
        .clone();
    assert_eq!(fail["location"]["file"], "<stdin>");
    assert_eq!(fail["location"]["line"], 10);
    assert_eq!(fail["rule"], "PSS003");
}

#[test]
fn directories_are_walked_recursively_for_manifest_extensions_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a/b");
    fs::create_dir_all(&nested).expect("mkdir");
    fs::write(dir.path().join("one.yaml"), PRIVILEGED).expect("write");
    fs::write(nested.join("two.yml"), PRIVILEGED).expect("write");
    fs::write(nested.join("three.json"), r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]}}"#).expect("write");
    fs::write(nested.join("notes.txt"), "not: [a manifest").expect("write");
    let out = stockade()
        .args(["scan", "-b", "pss-baseline", "-f", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let report = json_of(&out.stdout);
    let files: Vec<String> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["file"].as_str().expect("file").to_owned())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|f| !f.ends_with(".txt")));
    assert!(
        files[0].ends_with("a/b/three.json") && files[2].ends_with("one.yaml"),
        "sorted: {files:?}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_yaml_among_good_files_is_reported_and_the_rest_still_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a-good.yaml"), PRIVILEGED).expect("write");
    fs::write(
        dir.path().join("b-bad.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\n  labels: {a: [1, 2}\n---\n"
            .to_owned()
            + PRIVILEGED,
    )
    .expect("write");
    let out = stockade()
        .arg("scan")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "input errors exit 2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("b-bad.yaml:5:"),
        "the error names file and line:\n{stdout}"
    );
    assert!(stdout.contains("error: "), "{stdout}");
    // Both privileged pods (one in each file) are still reported.
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("PSS003 privileged") && l.contains("pss-restricted"))
            .count(),
        2,
        "{stdout}"
    );
}

#[test]
fn unreadable_and_missing_paths_are_errors_but_do_not_stop_the_scan() {
    let out = stockade()
        .args([
            "scan",
            "does-not-exist.yaml",
            "examples/privileged-daemonset.yaml",
            "-f",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report = json_of(&out.stdout);
    assert_eq!(report["errors"][0]["file"], "does-not-exist.yaml");
    assert_eq!(report["errors"][0]["level"], "error");
    assert!(report["summary"]["fail"].as_u64().expect("fails") > 0);
}

#[test]
fn invalid_utf8_and_binary_files_are_errors_with_locations() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("latin1.yaml"),
        b"kind: Pod\nmetadata: {name: caf\xe9}\n",
    )
    .expect("write");
    fs::write(dir.path().join("binary.yaml"), b"\x00\x01\x02kind").expect("write");
    fs::write(dir.path().join("ok.yaml"), PRIVILEGED).expect("write");
    let out = stockade()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report = json_of(&out.stdout);
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{errors:?}");
    let latin1 = errors
        .iter()
        .find(|e| {
            e["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("latin1.yaml"))
        })
        .expect("utf-8 error");
    assert_eq!(latin1["line"], 2);
    assert!(
        latin1["message"]
            .as_str()
            .expect("msg")
            .contains("not UTF-8")
    );
    assert_eq!(report["summary"]["files"], 1);
}

#[cfg(unix)]
#[test]
fn symlink_loops_in_directories_terminate() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("pod.yaml"), PRIVILEGED).expect("write");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("symlink");
    let out = stockade()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let report = json_of(&out.stdout);
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("report.json");
    stockade()
        .args(["scan", "examples", "-f", "json", "-o"])
        .arg(&target)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let report: Value =
        serde_json::from_str(&fs::read_to_string(&target).expect("written")).expect("JSON");
    assert!(report["results"].as_array().is_some_and(|r| !r.is_empty()));
    let leftovers = fs::read_dir(dir.path()).expect("dir").count();
    assert_eq!(leftovers, 1, "no temporary files left behind");
}

#[cfg(unix)]
#[test]
fn output_to_a_device_writes_in_place_and_never_replaces_it() {
    use std::os::unix::fs::FileTypeExt;
    let is_device = || fs::metadata("/dev/null").is_ok_and(|m| m.file_type().is_char_device());
    assert!(
        is_device(),
        "/dev/null must be a character device before this test"
    );
    stockade()
        .args(["scan", "examples", "-f", "json", "-o", "/dev/null"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    assert!(is_device(), "-o /dev/null replaced the device with a file");
}

#[test]
fn unwritable_output_is_a_clear_error() {
    stockade()
        .args(["scan", "examples", "-o", "/nonexistent-dir/report.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot write /nonexistent-dir/report.txt",
        ));
}

#[test]
fn usage_errors_exit_2() {
    stockade()
        .args(["scan", "examples", "-b", "cis-debian"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown benchmark `cis-debian`"));
    stockade()
        .args(["scan", "examples", "-b", "pss-baseline@1.x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid version"));
    stockade().args(["scan"]).assert().code(2);
    stockade().args(["frobnicate"]).assert().code(2);
}

#[test]
fn benchmark_versions_change_verdicts() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: app\n    readinessProbe: {httpGet: {host: example.com, port: 80}}\n";
    stockade()
        .args(["scan", "-", "-b", "pss-baseline@v1.33"])
        .write_stdin(pod)
        .assert()
        .code(0);
    stockade()
        .args(["scan", "-", "-b", "pss-baseline@v1.34"])
        .write_stdin(pod)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("<stdin>:8:32 PSS007"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = stockade()
        .args(["scan", "examples"])
        .output()
        .expect("runs");
    assert!(!plain.stdout.contains(&0x1b), "no escape codes when piped");
    let coloured = stockade()
        .args(["scan", "examples", "--color", "always"])
        .output()
        .expect("runs");
    assert!(coloured.stdout.contains(&0x1b));
}

#[test]
fn rules_and_explain() {
    let out = stockade().args(["rules"]).output().expect("runs");
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(listing.lines().filter(|l| l.starts_with("PSS")).count(), 19);
    assert!(listing.lines().filter(|l| l.starts_with("CIS-")).count() > 90);
    let json = stockade()
        .args(["rules", "--format", "json"])
        .output()
        .expect("runs");
    assert!(
        json_of(&json.stdout)
            .as_array()
            .is_some_and(|r| r.len() > 100)
    );
    stockade()
        .args(["explain", "allowPrivilegeEscalation"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# PSS102 allow-privilege-escalation",
        ))
        .stdout(predicate::str::contains("## Why is this bad?"));
    stockade()
        .args(["explain", "PSS999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule `PSS999`"));
}

#[test]
fn the_shared_corpus_scans_without_input_errors() {
    let corpus = root().join("../shared/corpus");
    assert!(
        corpus.is_dir(),
        "the shared corpus is expected at {}",
        corpus.display()
    );
    let out = common::failing_scan(
        stockade()
            .args(["scan", "-f", "json"])
            .args(common::EVERY_MANIFEST_BENCHMARK)
            .arg(&corpus),
    );
    let report = json_of(&out);
    assert_eq!(report["summary"]["inputErrors"], 0, "{}", report["errors"]);
    assert!(report["summary"]["resources"].as_u64().expect("resources") > 500);
}

#[test]
fn the_report_is_the_same_for_any_number_of_threads() {
    // Cross-file facts (NetworkPolicies, ServiceAccounts, role bindings) and admission come
    // together after the files are scanned in parallel: every thread count gives the same bytes.
    let scan = |jobs: &str| {
        common::failing_scan(
            stockade()
                .args([
                    "scan",
                    "-j",
                    jobs,
                    "-f",
                    "json",
                    "examples",
                    "core/tests/fixtures",
                ])
                .arg(root().join("../shared/corpus"))
                .args(common::EVERY_MANIFEST_BENCHMARK),
        )
    };
    let one = scan("1");
    let report = json_of(&one);
    assert!(report["summary"]["resources"].as_u64().expect("resources") > 500);
    assert!(one == scan("3"), "-j 3 differs from -j 1");
    stockade()
        .args(["scan", "-j", "0", "examples"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--jobs"));
}

#[test]
fn the_cli_and_the_library_give_byte_identical_json() {
    // The same files in the same order as the CLI's directory walk.
    fn walk(dir: &str, out: &mut Vec<String>) {
        let mut entries: Vec<String> = fs::read_dir(root().join(dir))
            .expect("examples")
            .map(|e| format!("{dir}/{}", e.expect("entry").file_name().to_string_lossy()))
            .collect();
        entries.sort();
        for entry in entries {
            if root().join(&entry).is_dir() {
                walk(&entry, out);
            } else {
                out.push(entry);
            }
        }
    }
    let mut names = Vec::new();
    walk("examples", &mut names);
    // The policy file in a scanned directory is configuration, not a manifest.
    names.retain(|n| {
        !n.ends_with("/stockade.yaml") && [".yaml", ".yml", ".json"].iter().any(|e| n.ends_with(e))
    });
    let texts: Vec<String> = names
        .iter()
        .map(|n| fs::read_to_string(root().join(n)).expect("readable"))
        .collect();
    let input = stockade_core::Input {
        files: names
            .iter()
            .zip(&texts)
            .map(|(name, text)| stockade_core::SourceFile { name, text })
            .collect(),
        ..Default::default()
    };
    let options = stockade_core::OptionsSpec {
        benchmarks: vec!["pss-baseline@v1.25".to_owned()],
        now: Some(common::TODAY.to_owned()),
        ..Default::default()
    }
    .resolve()
    .expect("valid options");
    let library = stockade_core::report::json::render(&stockade_core::evaluate(&input, &options));
    let cli = stockade()
        .args(["scan", "examples", "-b", "pss-baseline@v1.25", "-f", "json"])
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&cli.stdout), library);
}

/// `-b k8s-stig` on node facts: every automated rule reports expected, actual and source, under
/// its Vuln ID; `explain` finds a rule by Vuln ID and by rule version; the version is pinned.
#[test]
fn k8s_stig_on_node_facts_explain_and_version_pin() {
    let out = common::failing_scan(stockade().args([
        "scan",
        "--facts",
        "core/tests/fixtures/nodes/stig-control-plane-fail.json",
        "-b",
        "k8s-stig",
        "-f",
        "json",
    ]));
    let report = json_of(&out);
    let results = report["results"].as_array().expect("results");
    assert!(results.len() > 80, "{}", results.len());
    for r in results {
        assert_eq!(r["benchmark"], "k8s-stig@v2r4", "{r}");
        let id = r["controls"][0]["id"].as_str().expect("a control");
        assert!(id.starts_with("V-2"), "{id}");
        if r["status"] == "fail" || r["status"] == "pass" {
            for field in ["expected", "actual", "source"] {
                assert!(r[field].is_string(), "{id} has no {field}: {r}");
            }
        }
    }
    assert_eq!(report["benchmarks"][0]["id"], "k8s-stig@v2r4");
    let explain = |key: &str| {
        let out = stockade().args(["explain", key]).output().expect("runs");
        assert!(out.status.success(), "{key}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let by_id = explain("V-242378");
    assert!(
        by_id.starts_with("# STIG-V-242378 (DISA Kubernetes STIG V2R4)"),
        "{by_id}"
    );
    assert_eq!(by_id, explain("CNTR-K8-000170"));
    stockade()
        .args(["scan", "--facts", "x.json", "-b", "k8s-stig@v2r9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("v2r4"));
    // V2R5 is not verified: refused, naming the releases that are.
    stockade()
        .args(["scan", "--facts", "x.json", "-b", "k8s-stig@v2r5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "v2r4 (Version 2, Release 4), v2r6",
        ))
        .stderr(predicate::str::contains("V2R5"));
    // V2R6 (also `latest`) runs without the rules it removed.
    let v2r6 = json_of(&common::failing_scan(stockade().args([
        "scan",
        "--facts",
        "core/tests/fixtures/nodes/stig-control-plane-fail.json",
        "-b",
        "k8s-stig@latest",
        "-f",
        "json",
    ])));
    assert_eq!(v2r6["benchmarks"][0]["id"], "k8s-stig@v2r6");
    let v2r6_results = v2r6["results"].as_array().expect("results");
    assert_eq!(v2r6_results.len() + 2, results.len());
    assert!(
        v2r6_results
            .iter()
            .all(|r| r["controls"][0]["id"] != "V-242386" && r["benchmark"] == "k8s-stig@v2r6")
    );
}
