//! Fleets: many nodes' facts in one scan (a directory, JSON lines, concatenated documents,
//! stdin) give each node the results it has alone, a fleet view that adds up, and a located
//! error for a broken node while every other node is still reported. Then the collector's own
//! manifests and Containerfile.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use common::{root, stockade};
use serde_json::Value;

/// Three nodes: the example control plane and worker, and a second worker with a misconfigured
/// kubelet and another Kubernetes version.
fn nodes() -> Vec<Value> {
    let read = |name: &str| -> Value {
        let path = root().join("examples/node-facts").join(name);
        serde_json::from_str(&fs::read_to_string(path).expect("example facts")).expect("JSON")
    };
    let cp = read("cp-1.json");
    let worker = read("worker-1.json");
    let mut other = worker.clone();
    other["node"]["hostname"] = "worker-2".into();
    other["kubernetes"]["version"] = "v1.31.4".into();
    let kubelet = other["processes"]
        .as_array_mut()
        .and_then(|p| p.first_mut())
        .and_then(|p| p["argv"].as_array_mut())
        .expect("the worker's kubelet");
    kubelet.push("--anonymous-auth=true".into());
    kubelet.push("--read-only-port=10255".into());
    vec![cp, worker, other]
}

const BENCHMARKS: [&str; 6] = ["-b", "cis-k8s", "-b", "containerd", "-b", "cis-ubuntu"];

fn scan_json(args: &[&str], stdin: Option<String>) -> (Value, i32) {
    let mut cmd = stockade();
    cmd.args(["scan", "--no-config", "-f", "json"])
        .args(BENCHMARKS)
        .args(args);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin);
    }
    let out = cmd.output().expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().expect("exit code"))
}

/// Each node's results without where they are (the same node is at other lines in a stream).
fn per_node(report: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in report["results"].as_array().expect("results") {
        let node = r["resource"]["name"].as_str().expect("name").to_owned();
        let mut r = r.clone();
        r.as_object_mut().expect("object").remove("location");
        out.entry(node).or_default().push(r.to_string());
    }
    out
}

fn pretty(node: &Value) -> String {
    serde_json::to_string_pretty(node).expect("JSON") + "\n"
}

#[test]
fn every_stream_gives_each_node_its_results_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = nodes();
    let mut alone = BTreeMap::new();
    for node in &nodes {
        let name = node["node"]["hostname"].as_str().expect("hostname");
        let path = dir.path().join(format!("{name}.json"));
        fs::write(&path, pretty(node)).expect("write");
        let (report, _) = scan_json(&["--facts", path.to_str().expect("utf-8")], None);
        assert!(report.get("fleet").is_none(), "one node has no fleet view");
        alone.append(&mut per_node(&report));
    }
    assert_eq!(alone.len(), 3);

    let lines: String = nodes
        .iter()
        .map(|n| serde_json::to_string(n).expect("JSON") + "\n")
        .collect();
    let concatenated: String = nodes.iter().map(pretty).collect();
    let jsonl = dir.path().join("fleet.jsonl");
    fs::write(&jsonl, &lines).expect("write");
    let cat = dir.path().join("fleet.txt");
    fs::write(&cat, &concatenated).expect("write");
    let jsonl = jsonl.to_str().expect("utf-8").to_owned();
    let cat = cat.to_str().expect("utf-8").to_owned();
    let dir_arg = dir.path().to_str().expect("utf-8").to_owned();

    let runs = [
        ("a directory", scan_json(&["--facts", &dir_arg], None)),
        ("JSON lines", scan_json(&["--facts", &jsonl], None)),
        (
            "concatenated documents",
            scan_json(&["--facts", &cat], None),
        ),
        (
            "JSON lines on stdin",
            scan_json(&["--facts", "-"], Some(lines)),
        ),
        (
            "concatenated documents on stdin",
            scan_json(&["--facts", "-"], Some(concatenated)),
        ),
    ];
    for (what, (report, code)) in &runs {
        assert_eq!(per_node(report), alone, "{what}");
        assert_eq!(*code, 1, "{what}: nodes fail checks");
        assert!(
            report["errors"].as_array().expect("errors").is_empty(),
            "{what}"
        );
        let fleet = &report["fleet"];
        assert_eq!(fleet["nodes"].as_array().map(Vec::len), Some(3), "{what}");
    }
    // A stream is one input of three documents; a directory three inputs.
    let (stream, _) = &runs[1].1;
    assert_eq!(stream["inputs"][0]["documents"], 3);
    assert_eq!(stream["summary"]["files"], 1);
    let (directory, _) = &runs[0].1;
    assert_eq!(directory["summary"]["files"], 3);
    // Locations point into the stream: the third line is worker-2.
    let third = stream["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["resource"]["name"] == "worker-2")
        .expect("worker-2 results");
    assert_eq!(third["location"]["line"], 3, "{third}");
}

#[test]
fn the_fleet_view_adds_up() {
    let lines: String = nodes()
        .iter()
        .map(|n| serde_json::to_string(n).expect("JSON") + "\n")
        .collect();
    let (report, _) = scan_json(&["--facts", "-"], Some(lines));
    let fleet = &report["fleet"];
    let nodes = fleet["nodes"].as_array().expect("nodes");
    let results = report["results"].as_array().expect("results");
    // Per node: its result counts are its results, by status.
    for node in nodes {
        let name = node["name"].as_str().expect("name");
        let mine: Vec<&Value> = results
            .iter()
            .filter(|r| r["resource"]["name"] == name)
            .collect();
        let counted: u64 = node["results"]
            .as_object()
            .expect("counts")
            .values()
            .map(|v| v.as_u64().expect("count"))
            .sum();
        assert_eq!(counted as usize, mine.len(), "{name}");
        for status in ["pass", "fail", "skip", "manual"] {
            let n = mine.iter().filter(|r| r["status"] == status).count();
            assert_eq!(node["results"][status], n, "{name} {status}");
        }
        let score = node["score"].as_f64().expect("score");
        assert!((0.0..=100.0).contains(&score));
    }
    let roles: BTreeMap<&str, &str> = nodes
        .iter()
        .map(|n| {
            (
                n["name"].as_str().expect("name"),
                n["role"].as_str().expect("role"),
            )
        })
        .collect();
    assert_eq!(roles["cp-1"], "control-plane");
    assert_eq!(roles["worker-1"], "worker");
    assert_eq!(roles["worker-2"], "worker");
    // Per check: the nodes counted are the nodes with results for it, the failing ones named.
    for check in fleet["checks"].as_array().expect("checks") {
        let key = |r: &&Value| r["rule"] == check["rule"] && r["benchmark"] == check["benchmark"];
        let with: BTreeSet<&str> = results
            .iter()
            .filter(key)
            .map(|r| r["resource"]["name"].as_str().expect("name"))
            .collect();
        let failing: BTreeSet<&str> = results
            .iter()
            .filter(key)
            .filter(|r| r["status"] == "fail" || r["status"] == "error")
            .map(|r| r["resource"]["name"].as_str().expect("name"))
            .collect();
        let total: u64 = check["nodes"]
            .as_object()
            .expect("counts")
            .values()
            .map(|v| v.as_u64().expect("count"))
            .sum();
        assert_eq!(total as usize, with.len(), "{check}");
        let named: BTreeSet<&str> = check["failing"]
            .as_array()
            .expect("failing")
            .iter()
            .map(|v| v.as_str().expect("name"))
            .collect();
        assert_eq!(named, failing, "{check}");
        assert_eq!(
            check["nodes"]["fail"].as_u64().unwrap_or(0) as usize
                + check["nodes"]["error"].as_u64().unwrap_or(0) as usize,
            failing.len()
        );
    }
    // The misconfigured worker fails the anonymous-auth check alone.
    let anonymous = fleet["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["rule"].as_str().is_some_and(|r| r.ends_with("4.2.1")))
        .expect("CIS 4.2.1");
    assert_eq!(anonymous["failing"], serde_json::json!(["worker-2"]));
    // Groups: each grouping covers every node once.
    let groups = fleet["groups"].as_array().expect("groups");
    for by in ["role", "kubernetes", "os"] {
        let n: u64 = groups
            .iter()
            .filter(|g| g["by"] == by)
            .map(|g| g["nodes"].as_u64().expect("nodes"))
            .sum();
        assert_eq!(n, 3, "{by}");
    }
    assert!(
        groups
            .iter()
            .any(|g| g["by"] == "kubernetes" && g["value"] == "v1.31.4" && g["nodes"] == 1)
    );
    let failing = nodes
        .iter()
        .filter(|n| n["results"]["fail"].as_u64().unwrap_or(0) > 0)
        .count();
    assert_eq!(fleet["failingNodes"], failing);
}

#[test]
fn a_broken_node_is_one_located_error_and_the_others_are_reported() {
    let nodes = nodes();
    let line = |n: &Value| serde_json::to_string(n).expect("JSON");
    let truncated = line(&nodes[1]);
    let truncated = &truncated[..truncated.len() / 2];
    // A log line, a truncated line (what follows it up to the next line that starts with `{`
    // belongs to that broken document), and a document with a bad value.
    let mut bad = nodes[2].clone();
    bad["files"][0]["mode"] = "0999".into();
    let text = format!(
        "{}\nI1202 08:00:00 collector restarted\n{truncated}\n{}\n{}\n",
        line(&nodes[0]),
        line(&bad),
        line(&nodes[2])
    );
    let (report, code) = scan_json(&["--facts", "-"], Some(text));
    assert_eq!(code, 2, "input was lost");
    let errors: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert_eq!(e["file"], "<stdin>");
            (
                e["line"].as_u64().expect("line"),
                e["message"].as_str().expect("message"),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].0 == 2 && errors[0].1.contains("no JSON document"),
        "{errors:?}"
    );
    assert!(
        errors[1].0 == 3 && errors[1].1.contains("cut short"),
        "{errors:?}"
    );
    assert!(
        errors[2].0 == 4 && errors[2].1.contains("/files/0/mode"),
        "{errors:?}"
    );
    let names: BTreeSet<&str> = report["fleet"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, BTreeSet::from(["cp-1", "worker-2"]));
}

#[test]
fn fleet_reports_are_snapshotted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.jsonl");
    let lines: String = nodes()
        .iter()
        .map(|n| serde_json::to_string(n).expect("JSON") + "\n")
        .collect();
    fs::write(&path, lines).expect("write");
    let render = |format: &str| {
        let out = stockade()
            .args(["scan", "--no-config", "--color", "never", "-f", format])
            .args(BENCHMARKS)
            .args(["--facts", path.to_str().expect("utf-8")])
            .output()
            .expect("runs");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .replace(path.to_str().expect("utf-8"), "fleet.jsonl")
    };
    let text = render("text");
    let start = text.find("Fleet: ").expect("a fleet section");
    insta::assert_snapshot!("fleet_text", &text[start..]);
    let markdown = render("markdown");
    let start = markdown.find("### Fleet").expect("a fleet section");
    let end = markdown[start..]
        .find("### Findings")
        .map_or(markdown.len(), |e| start + e);
    insta::assert_snapshot!("fleet_markdown", &markdown[start..end]);
    let html = render("html");
    let start = html
        .find("<section id=\"fleet\">")
        .expect("a fleet section");
    let end = start + html[start..].find("</section>").expect("its end");
    insta::assert_snapshot!("fleet_html", &html[start..end]);
    // SARIF: one result per failing node of a check.
    let sarif: Value = serde_json::from_str(&render("sarif")).expect("SARIF");
    let report: Value = serde_json::from_str(&render("json")).expect("JSON");
    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["fleet"]["nodes"], 3);
    for check in report["fleet"]["checks"].as_array().expect("checks") {
        let failing = check["failing"].as_array().expect("failing").len();
        let results = run["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["ruleId"] == check["rule"] && r["level"] != "none")
            .filter(|r| {
                r["properties"]["benchmarks"]
                    .as_str()
                    .is_none_or(|b| b.contains(check["benchmark"].as_str().expect("id")))
            })
            .count();
        assert!(results >= failing, "{check}: {results} SARIF results");
    }
}

#[test]
fn collect_writes_one_json_line() {
    let out = stockade()
        .args(["collect", "--root", "/nonexistent-root-for-stockade"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "no such root");
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("hostname"), "x\n").expect("write");
    let out = stockade()
        .args(["collect", "--format", "jsonl", "--root"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 1, "{text}");
    let facts: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(facts["kind"], "NodeFacts");
}

#[test]
fn the_collector_manifests_pass_with_only_their_exemptions() {
    let out = stockade()
        .args([
            "scan",
            "deploy/collector",
            "--config",
            "deploy/collector/stockade.yaml",
            "-f",
            "json",
        ])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let problems: Vec<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            !matches!(
                r["status"].as_str(),
                Some("pass" | "skip" | "manual" | "exempt")
            )
        })
        .map(|r| format!("{} {} {}", r["rule"], r["resource"], r["message"]))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(report["errors"].as_array().expect("errors").is_empty());
    assert_eq!(out.status.code(), Some(0));
    // Every exemption is used: none is left over from a change that made it needless.
    let policy = fs::read_to_string(root().join("deploy/collector/stockade.yaml")).expect("policy");
    let used: BTreeSet<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["exemption"]["source"].as_str())
        .map(str::to_owned)
        .collect();
    let written = policy
        .lines()
        .filter(|l| l.trim_start().starts_with("- rules:"))
        .count();
    assert_eq!(used.len(), written, "exemptions used: {used:?}");
}

#[test]
fn the_containerfile_builds_a_static_non_root_image() {
    let text =
        fs::read_to_string(root().join("deploy/collector/Containerfile")).expect("Containerfile");
    let instructions: Vec<(&str, &str)> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .collect();
    let froms: Vec<&str> = instructions
        .iter()
        .filter(|(i, _)| *i == "FROM")
        .map(|(_, rest)| rest.split_whitespace().next().expect("an image"))
        .collect();
    assert!(froms.len() >= 2, "a build stage and a runtime stage");
    for image in &froms {
        let tag = image.rsplit_once(':').map(|(_, t)| t);
        assert!(
            image.contains("@sha256:") || tag.is_some_and(|t| t != "latest" && !t.contains('/')),
            "{image}: pinned by tag or digest"
        );
    }
    let last = froms.last().expect("runtime base");
    assert!(
        last.starts_with("gcr.io/distroless/static") || *last == "scratch",
        "{last}: a base without a shell or libc"
    );
    let runtime: Vec<&(&str, &str)> = instructions
        .iter()
        .skip_while(|(_, rest)| !rest.starts_with(last))
        .collect();
    let user = runtime
        .iter()
        .find(|(i, _)| *i == "USER")
        .map(|(_, u)| *u)
        .expect("USER in the runtime stage");
    let uid: u32 = user
        .split(':')
        .next()
        .expect("uid")
        .parse()
        .expect("a numeric uid");
    assert_ne!(uid, 0, "non-root");
    let entrypoint = runtime
        .iter()
        .find(|(i, _)| *i == "ENTRYPOINT")
        .map(|(_, e)| *e)
        .expect("ENTRYPOINT");
    let argv: Vec<String> = serde_json::from_str(entrypoint).expect("exec form, no shell");
    assert!(argv[0].ends_with("/stockade"), "{argv:?}");
    assert!(
        !runtime.iter().any(|(i, _)| *i == "RUN"),
        "nothing runs in the runtime stage"
    );
    assert!(
        text.contains("--locked") && text.contains("alpine"),
        "musl, locked build"
    );
}
