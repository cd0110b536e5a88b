//! Rule plugins end to end: the example plugins built from source and run through the CLI
//! (snapshots), the hostile suite (each misbehaviour is one error result in an otherwise
//! complete report), contract and integrity checks, and the compilation cache.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{root, stockade};
use serde_json::Value;

/// Builds the plugins once per test process (`cargo build --target wasm32-wasip2`) and returns
/// the directory of the `.wasm` files.
fn plugins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--release",
                "--target",
                "wasm32-wasip2",
                "-p",
                "required-labels",
                "-p",
                "service-exposure",
                "-p",
                "hostile-plugin",
                "-p",
                "future-contract-plugin",
            ])
            .current_dir(root())
            .stdin(std::process::Stdio::null())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the plugins failed");
        root().join("target/wasm32-wasip2/release")
    })
}

fn plugin(name: &str) -> String {
    plugins().join(name).display().to_string()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a JSON report")
}

fn results<'a>(report: &'a Value, prefix: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["rule"].as_str().is_some_and(|c| c.starts_with(prefix)))
        .collect()
}

/// A private cache directory per test, so tests do not see each other's compilations.
fn cache() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn the_example_plugins_run_next_to_the_built_in_rules() {
    plugins();
    let cache = cache();
    let scan = |format: &str| {
        stockade()
            .env("STOCKADE_CACHE_DIR", cache.path())
            .args([
                "scan",
                "--config",
                "tests/plugins/stockade.yaml",
                "tests/plugins/services.yaml",
                "-f",
                format,
            ])
            .output()
            .expect("runs")
    };
    let out = scan("json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let labels = results(&report, "required-labels/LBL001");
    assert_eq!(labels.len(), 4, "three Services and a Deployment");
    let legacy = labels
        .iter()
        .find(|r| r["resource"]["name"] == "legacy-gateway")
        .expect("the unlabelled Service");
    assert_eq!(legacy["status"], "fail");
    // The plugin points at /metadata/labels, which this Service lacks: its closest parent.
    assert_eq!(legacy["pointer"], "/metadata/labels");
    assert_eq!(legacy["location"]["line"], 24);
    let exposure = results(&report, "service-exposure/NET900");
    let web = exposure
        .iter()
        .find(|r| r["resource"]["name"] == "web")
        .expect("web");
    assert_eq!(web["status"], "fail");
    assert_eq!(
        (
            web["location"]["line"].as_u64(),
            web["location"]["column"].as_u64()
        ),
        (Some(9), Some(3))
    );
    assert_eq!(web["controls"][0]["benchmark"], "nsa-cisa");
    let edge = exposure
        .iter()
        .find(|r| r["resource"]["name"] == "edge")
        .expect("edge");
    assert_eq!(edge["status"], "pass");
    let gateway = exposure
        .iter()
        .find(|r| r["resource"]["name"] == "legacy-gateway")
        .expect("gateway");
    assert_eq!(
        gateway["status"], "exempt",
        "policy exemptions cover plugin rules"
    );
    // Scores and the run list include the plugins.
    let runs: Vec<&str> = report["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .filter_map(|s| s["benchmark"].as_str())
        .collect();
    assert!(runs.contains(&"plugin:required-labels") && runs.contains(&"plugin:service-exposure"));
    assert_eq!(report["plugins"].as_array().map(Vec::len), Some(2));
    insta::assert_snapshot!(
        "plugins_text",
        String::from_utf8_lossy(&scan("text").stdout)
    );
    let sarif = String::from_utf8(scan("sarif").stdout).expect("utf-8");
    common::validate_sarif(&sarif);
    let sarif: Value = serde_json::from_str(&sarif).expect("JSON");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let described = rules
        .iter()
        .find(|r| r["id"] == "service-exposure/NET900")
        .expect("described");
    assert!(
        described["help"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("bypassing the ingress"))
    );
}

#[test]
fn plugin_findings_land_on_their_object_whatever_the_thread_count() {
    plugins();
    let cache = cache();
    // The plugin numbers objects across every file; the files are scanned in parallel and
    // merged: each finding must still be located in its own object's tree.
    let scan = |jobs: &str| {
        common::failing_scan(
            stockade()
                .env("STOCKADE_CACHE_DIR", cache.path())
                .args([
                    "scan",
                    "-j",
                    jobs,
                    "--config",
                    "tests/plugins/stockade.yaml",
                    "-f",
                    "json",
                ])
                .args([
                    "examples",
                    "tests/plugins/services.yaml",
                    "core/tests/fixtures/pss",
                ]),
        )
    };
    let one = scan("1");
    assert!(one == scan("3"), "-j 3 differs from -j 1");
    let report = json_of(&one);
    let legacy = results(&report, "required-labels/LBL001")
        .into_iter()
        .find(|r| r["resource"]["name"] == "legacy-gateway")
        .expect("the unlabelled Service");
    assert_eq!(legacy["location"]["file"], "tests/plugins/services.yaml");
    assert_eq!(legacy["location"]["line"], 24);
    assert!(
        results(&report, "required-labels/LBL001").len() > 10,
        "objects of every file"
    );
}

#[test]
fn plugin_rules_take_part_in_selection() {
    plugins();
    let cache = cache();
    let out = stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args([
            "scan",
            "--no-config",
            "-b",
            "pss-baseline",
            "-f",
            "json",
            "--plugin",
        ])
        .arg(plugin("required_labels.wasm"))
        .arg("tests/plugins/services.yaml")
        .output()
        .expect("runs");
    assert_eq!(results(&json_of(&out.stdout), "required-labels/").len(), 4);
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("p.yaml"),
        "ignore: [required-labels/LBL001]\nbenchmarks: [pss-baseline]\n",
    )
    .expect("write");
    let out = stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args(["scan", "-f", "json", "--config"])
        .arg(dir.path().join("p.yaml"))
        .arg("--plugin")
        .arg(plugin("required_labels.wasm"))
        .arg("tests/plugins/services.yaml")
        .output()
        .expect("runs");
    assert!(results(&json_of(&out.stdout), "required-labels/").is_empty());
}

/// Runs the hostile plugin with a behaviour; returns the report and the plugin's results.
fn hostile(behave: &str) -> (Value, Vec<Value>) {
    plugins();
    // One compilation cache for the hostile runs: compiled once, then loaded.
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cache = CACHE.get_or_init(|| tempfile::tempdir().expect("tempdir"));
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.yaml");
    fs::write(
        &policy,
        format!(
            "benchmarks: [pss-baseline]\nplugins:\n  - path: {}\n    settings: {{behave: {behave}}}\n    fuel: 200000000\n    memoryMib: {}\n",
            plugin("hostile_plugin.wasm"),
            // Room for 100 MB of output, so that the output cap (not the memory cap) stops it.
            if behave == "huge-output" { 320 } else { 32 }
        ),
    )
    .expect("write");
    let out = stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args([
            "scan",
            "examples/privileged-daemonset.yaml",
            "-f",
            "json",
            "--config",
        ])
        .arg(&policy)
        .output()
        .expect("runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{behave}: the process survives: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let own = results(&report, "hostile").into_iter().cloned().collect();
    (report, own)
}

#[test]
fn every_misbehaviour_is_one_error_result_in_a_complete_report() {
    let (clean, _) = hostile("nothing");
    let built_in = |r: &Value| {
        results(r, "PSS")
            .iter()
            .map(|x| format!("{}{}{}", x["rule"], x["status"], x["pointer"]))
            .collect::<Vec<_>>()
    };
    for (behave, cause) in [
        ("loop", "ran out of fuel"),
        ("memory", "exceeded its memory cap of 32 MiB"),
        ("trap", "trapped"),
        ("panic", "the hostile plugin panics on purpose"),
        ("error", "failed: the hostile plugin refuses"),
        ("huge-output", "more than the 8 MiB a plugin may return"),
        ("invalid-utf8", "invalid UTF-8"),
        (
            "bad-resource",
            "on resource 10000, but the input has 1 resources",
        ),
    ] {
        let (report, own) = hostile(behave);
        assert_eq!(own.len(), 1, "{behave}: {own:?}");
        assert_eq!(own[0]["status"], "error", "{behave}");
        let message = own[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("plugin hostile: ") && message.contains(cause),
            "{behave}: {message}"
        );
        assert_eq!(
            built_in(&report),
            built_in(&clean),
            "{behave}: built-in results are all there"
        );
        assert_eq!(report["summary"]["error"], 1, "{behave}");
    }
    // Findings that cannot be placed are errors; the plugin's other findings are kept.
    let (_, own) = hostile("bad-pointers");
    let messages: Vec<&str> = own.iter().filter_map(|r| r["message"].as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"no-leading-slash\", which is not a JSON pointer")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"NOPE42\", which it does not declare")),
        "{messages:?}"
    );
}

#[test]
fn a_plugin_gets_no_capabilities() {
    let (_, own) = hostile("capabilities");
    let message = own[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("file: Err("), "no file system: {message}");
    assert!(message.contains("env vars: 0"), "no environment: {message}");
    assert!(
        message.contains("root dir: Err("),
        "no directories: {message}"
    );
}

#[test]
fn wrong_contracts_and_non_components_are_refused_with_a_reason() {
    plugins();
    let dir = tempfile::tempdir().expect("tempdir");
    let core_module = dir.path().join("core.wasm");
    fs::write(&core_module, b"\0asm\x01\0\0\0").expect("write");
    let text = dir.path().join("text.wasm");
    fs::write(&text, "not wasm at all").expect("write");
    for (file, reason) in [
        (
            plugin("future_contract_plugin.wasm"),
            "implements stockade:plugin/rule@0.2.0, but this Stockade speaks stockade:plugin/rule@0.1.0",
        ),
        (
            core_module.display().to_string(),
            "not a WebAssembly component",
        ),
        (text.display().to_string(), "not a WebAssembly component"),
        (
            dir.path().join("missing.wasm").display().to_string(),
            "cannot read it",
        ),
    ] {
        let out = stockade()
            .env("STOCKADE_CACHE_DIR", dir.path().join("cache"))
            .args([
                "scan",
                "--no-config",
                "-b",
                "pss-baseline",
                "examples/privileged-daemonset.yaml",
                "-f",
                "json",
                "--plugin",
            ])
            .arg(&file)
            .output()
            .expect("runs");
        let report = json_of(&out.stdout);
        let errors: Vec<&Value> = report["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["status"] == "error")
            .collect();
        assert_eq!(errors.len(), 1, "{file}");
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{file}: {message}");
        assert!(
            !results(&report, "PSS003").is_empty(),
            "built-in results are still there"
        );
        stockade()
            .args(["plugin", "check"])
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(reason));
    }
}

#[test]
fn a_sha256_pin_must_match() {
    plugins();
    let path = plugin("required_labels.wasm");
    let bytes = fs::read(&path).expect("read");
    let digest = sha256_hex(&bytes);
    let dir = tempfile::tempdir().expect("tempdir");
    for (pin, ok) in [(digest.clone(), true), ("0".repeat(64), false)] {
        let policy = dir.path().join("p.yaml");
        fs::write(
            &policy,
            format!(
                "benchmarks: [pss-baseline]\nplugins:\n  - path: {path}\n    sha256: \"{pin}\"\n"
            ),
        )
        .expect("write");
        let out = stockade()
            .env("STOCKADE_CACHE_DIR", dir.path().join("cache"))
            .args([
                "scan",
                "tests/plugins/services.yaml",
                "-f",
                "json",
                "--config",
            ])
            .arg(&policy)
            .output()
            .expect("runs");
        let report = json_of(&out.stdout);
        let refused = results(&report, "required_labels.wasm")
            .iter()
            .chain(results(&report, &path).iter())
            .any(|r| {
                r["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("refusing to run it"))
            });
        assert_eq!(refused, !ok, "pin {pin}");
        assert_eq!(!results(&report, "required-labels/").is_empty(), ok);
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    // The CLI computes it with sha2; the test asks the system's sha256sum so that the two
    // implementations check each other.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("x");
    fs::write(&file, bytes).expect("write");
    let out = std::process::Command::new("sha256sum")
        .arg(&file)
        .output()
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn compiled_plugins_are_cached_and_a_corrupt_entry_is_replaced() {
    plugins();
    let cache = cache();
    let check = |file: &str| {
        let out = stockade()
            .env("STOCKADE_CACHE_DIR", cache.path())
            .args(["plugin", "check", file])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let original = plugin("required_labels.wasm");
    assert!(check(&original).contains("compiled"), "first run compiles");
    assert!(
        check(&original).contains("loaded from the cache"),
        "second run loads"
    );
    // A changed module (one more custom section) is compiled again.
    let changed = cache.path().join("changed.wasm");
    let mut bytes = fs::read(&original).expect("read");
    bytes.extend_from_slice(&[0, 6, 5, b'n', b'o', b't', b'e', b'!']);
    fs::write(&changed, &bytes).expect("write");
    assert!(check(&changed.display().to_string()).contains("compiled"));
    assert!(check(&changed.display().to_string()).contains("loaded from the cache"));
    // Corrupt every cached compilation: it is ignored, compiled again and replaced.
    let mut corrupted = 0;
    let mut stack = vec![cache.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("cache dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_none()
                && path.file_name().is_some_and(|n| n != "changed.wasm")
            {
                fs::write(&path, b"garbage, not a compiled module").expect("corrupt");
                corrupted += 1;
            }
        }
    }
    assert!(corrupted >= 2, "the cache holds the compilations");
    assert!(
        check(&original).contains("compiled"),
        "a corrupt entry is not used"
    );
    assert!(
        check(&original).contains("loaded from the cache"),
        "and it was replaced"
    );
}

#[test]
fn inspect_prints_the_metadata_and_check_validates_settings() {
    plugins();
    let cache = cache();
    let out = stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args(["plugin", "inspect"])
        .arg(plugin("service_exposure.wasm"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let info = json_of(&out.stdout);
    assert_eq!(info["name"], "service-exposure");
    assert_eq!(info["rules"][0]["code"], "NET900");
    assert_eq!(info["rules"][0]["severity"], "high");
    stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args(["plugin", "check", "--settings", r#"{"labels": 3}"#])
        .arg(plugin("required_labels.wasm"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "rejected its settings: `labels` must be a list of strings",
        ));
    stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args(["plugin", "check", "--settings", r#"{"labels": ["team"]}"#])
        .arg(plugin("required_labels.wasm"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "ok: required-labels 0.1.0 (1 rules",
        ));
}
