//! Hostile input, end to end: each case gives a clear input error at its location (or is read
//! correctly), the rest of the input is still scanned, and the run neither crashes, hangs nor
//! exhausts memory. Issue #8 lists the cases; the fuzz targets (`fuzz/`) cover the rest.

mod common;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use common::stockade;
use serde_json::Value;

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: true\n";

/// Scans `files` (name, content) in one directory with JSON output; returns the report and the
/// exit code. `extra` are more arguments (e.g. `--config`).
fn scan(files: &[(&str, &[u8])], extra: &[&str]) -> (Value, i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        fs::write(dir.path().join(name), content).expect("write");
    }
    scan_dir(dir.path(), extra)
}

fn scan_dir(dir: &std::path::Path, extra: &[&str]) -> (Value, i32) {
    let out = stockade()
        .args(["scan", "--no-config", "-f", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "a JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().unwrap_or(-1))
}

fn errors(report: &Value) -> Vec<(String, u64, String, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["file"]
                    .as_str()
                    .and_then(|f| f.rsplit('/').next())
                    .unwrap_or_default()
                    .to_owned(),
                e["line"].as_u64().unwrap_or_default(),
                e["level"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn error_in(report: &Value, file: &str) -> (u64, String) {
    errors(report)
        .into_iter()
        .find(|(f, _, level, _)| f == file && level == "error")
        .map(|(_, line, _, message)| (line, message))
        .unwrap_or_else(|| panic!("no error for {file}: {:?}", errors(report)))
}

/// The privileged pod next to each hostile file is always found: nothing else is lost.
fn privileged_pod_still_fails(report: &Value) {
    assert!(
        report["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|r| r["resource"]["name"] == "priv" && r["status"] == "fail"),
        "the good file was not scanned"
    );
}

#[test]
fn billion_laughs_is_refused_at_its_line() {
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n");
    bomb.push_str("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let (report, code) = scan(
        &[
            ("bomb.yaml", bomb.as_bytes()),
            ("ok.yaml", PRIVILEGED.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 2);
    let (line, message) = error_in(&report, "bomb.yaml");
    assert!(message.contains("alias bomb"), "{message}");
    assert!(
        (5..=13).contains(&line),
        "at the alias that crosses the limit: {line}"
    );
    privileged_pod_still_fails(&report);
}

#[test]
fn nesting_100000_deep_is_refused_in_flow_and_block_style() {
    let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    // Block style, compact: `- - - ... x` opens a sequence per dash.
    let block = format!("{}x\n", "- ".repeat(100_000));
    let (report, code) = scan(
        &[
            ("flow.yaml", flow.as_bytes()),
            ("block.yaml", block.as_bytes()),
            ("ok.yaml", PRIVILEGED.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 2);
    let (line, message) = error_in(&report, "flow.yaml");
    assert_eq!(line, 1);
    assert!(message.contains("recursion limit"), "{message}");
    let (line, message) = error_in(&report, "block.yaml");
    assert_eq!(line, 1);
    assert!(
        message.contains("nesting deeper than 256 levels"),
        "{message}"
    );
    privileged_pod_still_fails(&report);
}

#[test]
fn a_200_mb_file_is_refused_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Sparse: 200 MB on paper, no disk used. Reading it would take 200 MB of memory.
    let big = fs::File::create(dir.path().join("big.yaml")).expect("create");
    big.set_len(200 * 1024 * 1024).expect("set_len");
    fs::write(dir.path().join("ok.yaml"), PRIVILEGED).expect("write");
    let (report, code) = scan_dir(dir.path(), &[]);
    assert_eq!(code, 2);
    let (_, message) = error_in(&report, "big.yaml");
    assert!(
        message.contains("larger than 67108864 bytes (maxFileSize)"),
        "{message}"
    );
    privileged_pod_still_fails(&report);
}

#[test]
fn size_and_document_limits_are_configurable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("limits.yaml");
    fs::write(&policy, "maxFileSize: 1000\nmaxDocuments: 2\n").expect("policy");
    let manifests = dir.path().join("in");
    fs::create_dir(&manifests).expect("mkdir");
    fs::write(manifests.join("ok.yaml"), PRIVILEGED).expect("write");
    let three = format!("{PRIVILEGED}---\n{PRIVILEGED}---\n{PRIVILEGED}");
    fs::write(
        manifests.join("a-three.yaml"),
        three.replace("priv\n", "three\n"),
    )
    .expect("write");
    fs::write(manifests.join("big.yaml"), "# padding\n".repeat(150)).expect("write");
    let out = stockade()
        .args(["scan", "-f", "json", "--config"])
        .arg(&policy)
        .arg(&manifests)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(2));
    let (_, message) = error_in(&report, "big.yaml");
    assert!(message.contains("larger than 1000 bytes"), "{message}");
    let (line, message) = error_in(&report, "a-three.yaml");
    assert_eq!(line, 22, "at the third document's marker");
    assert!(message.contains("more than 2 documents"), "{message}");
    let inputs = report["inputs"].as_array().expect("inputs");
    assert!(inputs.iter().any(|i| {
        i["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("a-three.yaml"))
            && i["resources"] == 2
    }));
    privileged_pod_still_fails(&report);
    // The same limit holds for stdin, which has no size to check beforehand.
    let out = stockade()
        .args(["scan", "-f", "json", "--config"])
        .arg(&policy)
        .arg("-")
        .write_stdin("# padding\n".repeat(150))
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let (_, message) = error_in(&report, "<stdin>");
    assert!(message.contains("larger than 1000 bytes"), "{message}");
}

#[test]
fn a_million_tiny_documents_stop_at_the_document_limit() {
    let doc = "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n";
    let text = doc.repeat(1_000_000);
    let (report, code) = scan(&[("million.yaml", text.as_bytes())], &[]);
    assert_eq!(code, 2);
    let (line, message) = error_in(&report, "million.yaml");
    assert_eq!(line, 400_001, "the marker of document 100,001");
    assert!(
        message.contains("more than 100000 documents in this file (maxDocuments)"),
        "{message}"
    );
    assert_eq!(report["inputs"][0]["resources"], 100_000);
}

#[test]
fn very_long_lines_and_huge_mappings_are_read() {
    let long = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\ndata:\n  k: {}\n",
        "a".repeat(20_000_000)
    );
    // 200,000 keys in one mapping: duplicate-key detection must not be quadratic.
    let wide: String = std::iter::once(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n".to_owned(),
    )
    .chain((0..200_000).map(|i| format!("  k{i}: v\n")))
    .chain(std::iter::once("  k7: again\n".to_owned()))
    .collect();
    // 200,000 flow entries on one line, pairs and scalars read as go-yaml reads them (`z:`):
    // the per-entry work must not look back along the line.
    let flow = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flow\ndata:\n  k: [{}]\n",
        "x: y, z:, ".repeat(100_000)
    );
    let (report, code) = scan(
        &[
            ("long.yaml", long.as_bytes()),
            ("wide.yaml", wide.as_bytes()),
            ("flow.yaml", flow.as_bytes()),
            ("ok.yaml", PRIVILEGED.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 1, "{:?}", errors(&report));
    assert_eq!(report["summary"]["resources"], 4);
    let warnings = errors(&report);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].1, 200_006);
    assert!(
        warnings[0]
            .3
            .contains("duplicate key `k7` (first at line 13)")
    );
}

#[test]
fn invalid_utf8_nul_bytes_and_binary_files_are_located() {
    let (report, code) = scan(
        &[
            ("latin1.yaml", b"kind: Pod\nmetadata: {name: caf\xe9}\n"),
            ("nul.yaml", b"kind: Pod\nmetadata:\n  name: a\x00b\n"),
            ("binary.yml", &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]),
            ("ok.yaml", PRIVILEGED.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(error_in(&report, "latin1.yaml").0, 2);
    let (line, message) = error_in(&report, "nul.yaml");
    assert_eq!(line, 3);
    assert!(message.contains("NUL byte"), "{message}");
    assert!(error_in(&report, "binary.yml").1.contains("NUL byte"));
    privileged_pod_still_fails(&report);
}

#[test]
fn duplicate_keys_merge_keys_and_tags_are_read_as_kubernetes_reads_them() {
    let text = "\
apiVersion: v1
kind: Pod
metadata: {name: tricky}
spec:
  containers:
  - name: a
    image: nginx
    securityContext: &unsafe
      privileged: false
      privileged: true
  - name: b
    image: !custom nginx
    securityContext:
      <<: *unsafe
      allowPrivilegeEscalation: !!bool \"false\"
      runAsUser: 99999999999999999999999
";
    let (report, code) = scan(&[("tricky.yaml", text.as_bytes())], &["-b", "pss-baseline"]);
    assert_eq!(code, 2);
    let all = errors(&report);
    let at = |line: u64| {
        all.iter()
            .find(|e| e.1 == line)
            .map(|e| format!("{} {}", e.2, e.3))
            .unwrap_or_default()
    };
    assert!(
        at(10).starts_with("warning duplicate key `privileged`"),
        "{all:?}"
    );
    assert!(
        at(12).starts_with("warning tag `!custom` is not interpreted"),
        "{all:?}"
    );
    assert!(
        at(16)
            .contains("expected an integer, found a number 1e23, outside the 64-bit integer range"),
        "{all:?}"
    );
    // The last `privileged` wins, and container b merges it in: both are privileged.
    let privileged: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["rule"] == "PSS003" && r["status"] == "fail")
        .filter_map(|r| r["container"].as_str())
        .collect();
    assert_eq!(privileged, ["a", "b"], "{:?}", report["results"]);
}

#[test]
fn a_full_disk_is_a_clear_error_not_a_silent_loss() {
    for format in ["json", "sarif", "text"] {
        stockade()
            .args([
                "scan",
                "--no-config",
                "examples",
                "-f",
                format,
                "-o",
                "/dev/full",
            ])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "cannot write /dev/full: No space left on device",
            ));
    }
    let out = std::process::Command::new(common::binary())
        .current_dir(common::root())
        .args(["scan", "--no-config", "examples", "-f", "json"])
        .stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
        )
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No space left on device"));
}

/// Whether `pid` has a handler for SIGINT (bit 1 of SigCgt in /proc/<pid>/status).
fn catches_sigint(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigCgt:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .is_some_and(|mask| mask & (1 << 1) != 0)
}

#[test]
fn sigint_stops_cleanly_and_leaves_the_previous_report_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("report.json");
    fs::write(&target, "previous report\n").expect("write");
    let mut child = std::process::Command::new(common::binary())
        .current_dir(common::root())
        .args(["scan", "--no-config", "-f", "json", "-", "-o"])
        .arg(&target)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    // Half a manifest arrives, then the run is interrupted while it waits for the rest.
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(PRIVILEGED.as_bytes())
        .expect("write to stdin");
    let mut waited = 0;
    while !catches_sigint(child.id()) {
        assert!(
            waited < 1000,
            "the CLI never installed its interrupt handler"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("exits");
    drop(stdin);
    assert_eq!(
        out.status.code(),
        Some(130),
        "exit 130, not death by signal"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted; no report written"));
    assert_eq!(
        fs::read_to_string(&target).expect("still there"),
        "previous report\n"
    );
    let names: Vec<_> = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["report.json"], "no temporary file left behind");
}
