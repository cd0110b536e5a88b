//! Rule plugins end to end: the example plugins built from source and run through the CLI
//! (snapshots), the hostile suite (each misbehaviour is one error result in an otherwise
//! complete report), contract and integrity checks, and the compilation cache.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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

/// A finished run of the CLI: its output, how long it took and its peak resident memory.
struct Measured {
    out: std::process::Output,
    elapsed: Duration,
    peak_mib: u64,
}

/// Runs the CLI, sampling its peak resident set (`VmHWM`) every few milliseconds until it exits;
/// kills it and fails if it runs longer than `limit`.
fn measured(args: &[&str], cache: &Path, limit: Duration) -> Measured {
    use std::io::Read as _;
    let start = Instant::now();
    let mut child = std::process::Command::new(common::binary())
        .current_dir(root())
        .env("STOCKADE_CACHE_DIR", cache)
        .env("SOURCE_DATE_EPOCH", common::TODAY_EPOCH)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let mut peak_kib = 0;
    let status = loop {
        if let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak_kib = peak_kib.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Measured {
        out: std::process::Output {
            status,
            stdout: out.join().expect("stdout"),
            stderr: err.join().expect("stderr"),
        },
        elapsed: start.elapsed(),
        peak_mib: peak_kib >> 10,
    }
}

/// One compilation cache for the hostile runs: compiled once, then loaded.
fn hostile_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

/// Runs a plugin (the hostile one with a behaviour, or a hand-written component) with extra
/// policy lines, in the given format; fails unless the process survives.
fn hostile_run(path: &str, behave: &str, extra: &str, format: &str) -> Measured {
    plugins();
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.yaml");
    fs::write(
        &policy,
        format!(
            "benchmarks: [pss-baseline]\nplugins:\n  - path: {path}\n    settings: {{behave: {behave}}}\n{}    memoryMib: {}\n{extra}",
            if extra.contains("fuel:") {
                ""
            } else {
                "    fuel: 200000000\n"
            },
            // Room for 100 MB of output, so that the output cap (not the memory cap) stops it.
            if behave == "huge-output" { 320 } else { 32 }
        ),
    )
    .expect("write");
    let policy = policy.display().to_string();
    let run = measured(
        &[
            "scan",
            "examples/privileged-daemonset.yaml",
            "-f",
            format,
            "--config",
            &policy,
        ],
        hostile_cache(),
        Duration::from_secs(120),
    );
    assert!(
        matches!(run.out.status.code(), Some(0 | 1)),
        "{behave}: the process survives: {:?}\n{}",
        run.out.status,
        String::from_utf8_lossy(&run.out.stderr)
    );
    run
}

/// Runs the hostile plugin with a behaviour; returns the report and the plugin's results.
fn hostile(behave: &str) -> (Value, Vec<Value>) {
    let run = hostile_run(&plugin("hostile_plugin.wasm"), behave, "", "json");
    let report = json_of(&run.out.stdout);
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
        (
            "huge-output",
            "more than the 8 MiB of findings a plugin may return",
        ),
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
    // (Written outside the cache directory: wasmtime's cache worker may delete files it does
    // not recognise there, in the background.)
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let changed = elsewhere.path().join("changed.wasm");
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
            } else if path.extension().is_none() {
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

/// A component written by hand: a core module in WebAssembly text, given the plugin contract's
/// types and wrapped as wasm-tools would (`component embed` + `component new`). It exports
/// `metadata` (the body given) and `validate-settings` and `evaluate`, which return nothing;
/// its first memory has `pages` pages.
fn component(memories_and_tables: &str, metadata: &str, pages: u32) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (memory (export "memory") {pages})
  {memories_and_tables}
  (global $bump (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    global.get $bump
    local.set $p
    global.get $bump
    local.get 3
    i32.add
    global.set $bump
    local.get $p)
  (func (export "stockade:plugin/rule@0.1.0#metadata") (result i32) {metadata})
  (func (export "stockade:plugin/rule@0.1.0#validate-settings") (param i32 i32) (result i32)
    i32.const 0)
  (func (export "stockade:plugin/rule@0.1.0#evaluate") (param i32 i32 i32 i32 i32 i32) (result i32)
    i32.const 0))"#
    );
    let mut module = wat::parse_str(&wat).expect("valid WebAssembly text");
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve
        .push_file(root().join("wit/stockade-plugin.wit"))
        .expect("the contract parses");
    let world = resolve
        .select_world(&[package], Some("rule-plugin"))
        .expect("the world");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .expect("embeds the contract");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("a core module")
        .validate(true)
        .encode()
        .expect("a component")
}

/// A component whose metadata declares `rules` rules (codes `R0000000`, `R0000001`...), each
/// with a remediation of `remediation` bytes (one text, pointed at by every rule), built in
/// memory by a loop as the canonical ABI lays it out: the record (name, version, rules) at
/// 1024, the texts at 2048, then the 44-byte rule records, then the 8-byte codes.
fn metadata_component(rules: u32, remediation: u32) -> Vec<u8> {
    let text = 2048u32;
    let records = (text + 3 + remediation + 7) & !7;
    let codes = records + rules * 44;
    let pages = (codes + rules * 8) / 65536 + 1;
    component(
        "",
        &format!(
            r#"(local $i i32) (local $rec i32) (local $code i32) (local $n i32) (local $k i32)
    (i32.store (i32.const 1024) (i32.const {text}))
    (i32.store (i32.const 1028) (i32.const 3))
    (i32.store (i32.const 1032) (i32.const {text}))
    (i32.store (i32.const 1036) (i32.const 3))
    (i32.store (i32.const 1040) (i32.const {records}))
    (i32.store (i32.const 1044) (i32.const {rules}))
    (i32.store8 (i32.const {text}) (i32.const 119))
    (i32.store8 (i32.const {t1}) (i32.const 97))
    (i32.store8 (i32.const {t2}) (i32.const 116))
    (memory.fill (i32.const {t3}) (i32.const 114) (i32.const {remediation}))
    (loop $rule
      (local.set $rec (i32.add (i32.const {records}) (i32.mul (local.get $i) (i32.const 44))))
      (local.set $code (i32.add (i32.const {codes}) (i32.mul (local.get $i) (i32.const 8))))
      (i32.store (local.get $rec) (local.get $code))
      (i32.store offset=4 (local.get $rec) (i32.const 8))
      (i32.store offset=8 (local.get $rec) (i32.const {text}))
      (i32.store offset=12 (local.get $rec) (i32.const 3))
      (i32.store offset=28 (local.get $rec) (i32.const {t3}))
      (i32.store offset=32 (local.get $rec) (i32.const {remediation}))
      (i32.store8 (local.get $code) (i32.const 82))
      (local.set $n (local.get $i))
      (local.set $k (i32.const 7))
      (loop $digit
        (i32.store8 (i32.add (local.get $code) (local.get $k))
          (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
        (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $digit (i32.gt_u (local.get $k) (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rule (i32.lt_u (local.get $i) (i32.const {rules}))))
    i32.const 1024"#,
            t1 = text + 1,
            t2 = text + 2,
            t3 = text + 3,
        ),
        pages,
    )
}

/// Every class of the sandbox's weaknesses, each attack ending in a bounded time and memory, as
/// one error result naming the plugin and the cause, with every built-in result as in a clean
/// run.
#[test]
fn every_attack_is_bounded_and_one_error_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        fs::write(&path, bytes).expect("write");
        path.display().to_string()
    };
    // Four memories, each under the cap, 100 MiB together.
    let memories = write(
        "memories.wasm",
        component(
            "(memory $a 1) (memory $b 1) (memory $c 1)",
            "(drop (memory.grow $a (i32.const 400))) (drop (memory.grow $b (i32.const 400)))
             (drop (memory.grow $c (i32.const 400))) (drop (memory.grow (i32.const 400)))
             i32.const 0",
            1,
        ),
    );
    // A table grown by a million elements at a time, a thousand times (8 GB of host memory).
    let tables = write(
        "tables.wasm",
        component(
            "(table $t 1 funcref)",
            "(local $i i32)
             (loop $again
               (drop (table.grow $t (ref.null func) (i32.const 1000000)))
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))
             i32.const 0",
            1,
        ),
    );
    // Metadata: 16 MiB of remediation; 200,000 rules (a quadratic duplicate check takes hours).
    let big_text = write("big-text.wasm", metadata_component(1, 16 << 20));
    let many_rules = write("many-rules.wasm", metadata_component(200_000, 0));
    let hostile = plugin("hostile_plugin.wasm");
    let clean = hostile_run(&hostile, "nothing", "", "json");
    let built_in = |r: &Value| {
        results(r, "PSS")
            .iter()
            .map(|x| format!("{}{}{}", x["rule"], x["status"], x["pointer"]))
            .collect::<Vec<_>>()
    };
    let clean = built_in(&json_of(&clean.out.stdout));
    assert!(!clean.is_empty());
    for (path, behave, extra, name, cause) in [
        (
            &hostile,
            "sleep",
            "    deadlineMs: 1500\n",
            "hostile",
            "exceeded its deadline of 1500 ms",
        ),
        (
            &memories,
            "",
            "",
            "memories.wasm",
            "exceeded its memory cap of 32 MiB (all its linear memories together)",
        ),
        (
            &tables,
            "",
            "",
            "tables.wasm",
            "exceeded its cap of 100000 table elements",
        ),
        (
            &big_text,
            "",
            "",
            "big-text.wasm",
            "the remediation of rule R0000000 is 16777216 long, more than the 16384 allowed",
        ),
        (
            &many_rules,
            "",
            "",
            "many-rules.wasm",
            "it declares 200000 rules, more than the 1000 a plugin may declare",
        ),
        (
            &hostile,
            "amplify",
            "",
            "hostile",
            "more than the 8 MiB of findings a plugin may return (60000 findings",
        ),
        (&hostile, "log-flood", "", "hostile", "ran out of fuel"),
        (
            &hostile,
            "loop",
            "    deadlineMs: 1000\n    fuel: 100000000000\n",
            "hostile",
            "exceeded its deadline of 1000 ms",
        ),
    ] {
        let run = hostile_run(path, behave, extra, "json");
        let what = format!("{name} {behave}");
        assert!(
            run.elapsed < Duration::from_secs(30),
            "{what}: took {:?}",
            run.elapsed
        );
        assert!(run.peak_mib < 200, "{what}: peak RSS {} MiB", run.peak_mib);
        let report = json_of(&run.out.stdout);
        let errors: Vec<&Value> = report["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["status"] == "error")
            .collect();
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("plugin ")
                && message.split(':').next().is_some_and(|p| p.ends_with(name))
                && message.contains(cause),
            "{what}: {message}"
        );
        assert_eq!(
            built_in(&report),
            clean,
            "{what}: built-in results as in a clean run"
        );
        eprintln!("{what}: {:?}, peak RSS {} MiB", run.elapsed, run.peak_mib);
    }
}

/// A plugin cannot speak with Stockade's voice: its log lines are framed and escaped, budgeted
/// per call, and its messages reach the text report with their control characters escaped.
#[test]
fn a_plugin_cannot_forge_stockade_lines_or_drive_the_terminal() {
    let run = hostile_run(&plugin("hostile_plugin.wasm"), "forge", "", "text");
    let stderr = String::from_utf8_lossy(&run.out.stderr);
    let stdout = String::from_utf8_lossy(&run.out.stdout);
    for (what, text) in [("stderr", &stderr), ("stdout", &stdout)] {
        for bad in ['\x1b', '\r', '\x08', '\x07', '\u{202e}'] {
            assert!(!text.contains(bad), "{what} holds {bad:?}:\n{text}");
        }
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("stockade: plugin other") || l.starts_with("error: forged")),
            "{what}: a forged line:\n{text}"
        );
    }
    assert!(
        stderr.contains(
            r#"stockade: plugin hostile logs [info]: "fine\nstockade: plugin other [error]: forged\x1b[2J\r\x08""#
        ),
        "{stderr}"
    );
    // 1,001 messages: 100 printed, the rest counted.
    let lines = stderr
        .lines()
        .filter(|l| l.starts_with("stockade: plugin hostile logs"))
        .count();
    assert_eq!(lines, 100, "{stderr}");
    assert!(
        stderr.contains("stockade: plugin hostile: 901 more log messages dropped"),
        "{stderr}"
    );
    assert!(
        stdout.contains(r"line\nerror: forged.yaml:1:1: forged\x1b]0;title\x07\r\x08\u{202e}"),
        "{stdout}"
    );
}

/// The panic message is the first report of the SDK's panic hook (`host.report-panic`), never
/// text the plugin printed to stderr before or after it; a later report is ignored, and so is a
/// report from a call that does not trap. Without a report, stderr is quoted as unverified.
#[test]
fn a_panic_is_explained_by_the_hooks_first_report_not_by_what_the_plugin_printed() {
    let built_in = |r: &Value| {
        results(r, "PSS")
            .iter()
            .map(|x| format!("{}{}{}", x["rule"], x["status"], x["pointer"]))
            .collect::<Vec<_>>()
    };
    let (clean, _) = hostile("nothing");
    for behave in ["fake-panic", "forge-after-panic", "no-hook-panic"] {
        let run = hostile_run(&plugin("hostile_plugin.wasm"), behave, "", "json");
        assert!(
            run.elapsed < Duration::from_secs(30),
            "{behave}: took {:?}",
            run.elapsed
        );
        assert!(
            run.peak_mib < 200,
            "{behave}: peak RSS {} MiB",
            run.peak_mib
        );
        let report = json_of(&run.out.stdout);
        assert_eq!(report["summary"]["error"], 1, "{behave}");
        assert_eq!(
            built_in(&report),
            built_in(&clean),
            "{behave}: built-in results"
        );
    }
    for behave in ["fake-panic", "forge-after-panic"] {
        let (_, own) = hostile(behave);
        assert_eq!(own.len(), 1, "{behave}: {own:?}");
        let message = own[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("plugin hostile: trapped (")
                && message.contains(" after its panic hook reported: \"the real panic (at ")
                && !message.contains("all is well")
                && !message.contains("forged"),
            "{behave}: {message}"
        );
    }
    let (_, own) = hostile("no-hook-panic");
    let message = own[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "it reported no panic, and its stderr (its own output, unverified) ends with: \""
        ) && message.contains("an unreported panic")
            && !message.contains("panic hook reported"),
        "{message}"
    );
    let (_, own) = hostile("report-and-return");
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["status"], "pass", "{own:?}");
    assert_eq!(own[0]["message"], "behaved", "{own:?}");
}

/// Findings that cannot be placed are counted: one error result per plugin and cause.
#[test]
fn unplaceable_findings_are_one_error_per_cause() {
    let (_, own) = hostile("unplaceable");
    let messages: Vec<&str> = own.iter().filter_map(|r| r["message"].as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"NOPE42\", which it does not declare")
                && m.contains("and 29999 more findings")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("which is not a JSON pointer")
                && m.contains("and 29999 more findings")),
        "{messages:?}"
    );
}

/// `validate-settings` and `evaluate` each run in an instance of their own (and under a budget
/// of their own): the plugin's evaluation sees no state left by its validation.
#[test]
fn each_call_gets_a_fresh_instance() {
    let (_, own) = hostile("count-calls");
    assert_eq!(
        own[0]["message"], "calls before this one in this instance: 0",
        "{own:?}"
    );
}

/// The componentize-py that scripts/setup.sh installs (a venv under target/), or why there is
/// none.
fn componentize_py() -> Result<PathBuf, String> {
    let tool = root().join("target/python/bin/componentize-py");
    let out = std::process::Command::new(&tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "{} cannot be run ({e}): run scripts/setup.sh, which installs componentize-py from PyPI",
                tool.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!("{} --version failed", tool.display()));
    }
    Ok(tool)
}

/// Builds the Python plugin (tests/plugins/python) with componentize-py. Its output differs
/// from run to run, so the build is kept under target/, keyed by the sha256 of its inputs (the
/// source, the contract and the tool's version), and reused while they do not change.
fn python_plugin(tool: &Path) -> PathBuf {
    let source = root().join("tests/plugins/python");
    let version = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .expect("componentize-py runs")
        .stdout;
    let mut inputs = version;
    for file in ["tests/plugins/python/app.py", "wit/stockade-plugin.wit"] {
        inputs.extend(fs::read(root().join(file)).expect("read"));
    }
    let dir = root().join("target/python-plugin");
    let out = dir.join(format!("memory-limits-{}.wasm", &sha256_hex(&inputs)[..16]));
    if out.exists() {
        return out;
    }
    fs::create_dir_all(&dir).expect("mkdir");
    let partial = dir.join(format!("partial-{}.wasm", std::process::id()));
    let status = std::process::Command::new(tool)
        .args([
            "-d",
            "wit",
            "-w",
            "rule-plugin",
            "componentize",
            "app",
            "-p",
        ])
        .arg(&source)
        .arg("-o")
        .arg(&partial)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("componentize-py runs");
    assert!(
        status.success(),
        "componentize-py could not build {source:?}"
    );
    fs::rename(&partial, &out).expect("rename");
    out
}

/// A plugin in another language: Python, built with componentize-py against the current
/// contract. Its findings are placed in their files and its rule takes part in the report like
/// a Rust plugin's; its errors (a raised `Err`) are reported; and its compilation, slow for an
/// 18 MB component, is cached. Without componentize-py the test says so, and fails in CI.
#[test]
fn a_python_plugin_runs_like_a_rust_one() {
    let tool = match componentize_py() {
        Ok(tool) => tool,
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the Python plugin test cannot run: {why}"
            );
            eprintln!("SKIPPED: the Python plugin test cannot run: {why}");
            return;
        }
    };
    let plugin = python_plugin(&tool);
    let size = fs::metadata(&plugin).expect("built").len();
    let cache = cache();
    let check = |settings: &str| {
        let start = Instant::now();
        let out = stockade()
            .env("STOCKADE_CACHE_DIR", cache.path())
            .args(["plugin", "check", "--settings", settings])
            .arg(&plugin)
            .output()
            .expect("runs");
        (out, start.elapsed())
    };
    let (first, compile) = check("{}");
    assert!(
        first.status.success()
            && String::from_utf8_lossy(&first.stdout).contains(
                "ok: memory-limits 0.1.0 (1 rules, contract stockade:plugin/rule@0.1.0; compiled)"
            ),
        "{first:?}"
    );
    let (second, cached) = check(r#"{"kinds": ["Pod"]}"#);
    assert!(
        second.status.success()
            && String::from_utf8_lossy(&second.stdout).contains("loaded from the cache"),
        "{second:?}"
    );
    // The measurements docs/plugins.md quotes (`--no-capture` shows them).
    eprintln!("Python plugin: {size} bytes; first compile {compile:?}; from the cache {cached:?}");
    assert!(
        cached < Duration::from_secs(20),
        "loading from the cache took {cached:?}"
    );
    // A settings error is the plugin's own `Err`, raised in Python.
    let (rejected, _) = check(r#"{"kind": "Pod"}"#);
    assert!(
        !rejected.status.success()
            && String::from_utf8_lossy(&rejected.stderr)
                .contains("rejected its settings: unknown setting(s): kind (known: kinds, crash)"),
        "{rejected:?}"
    );

    let scan = |format: &str| {
        stockade()
            .env("STOCKADE_CACHE_DIR", cache.path())
            .args(["scan", "--no-config", "-b", "pss-baseline", "-f", format])
            .arg("--plugin")
            .arg(&plugin)
            .arg("tests/plugins/python/workloads.yaml")
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
    // Its log line is framed as the plugin's.
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("stockade: plugin memory-limits logs [debug]: \"3 findings\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let own = results(&report, "memory-limits/LIM001");
    let verdicts: Vec<(&str, &str, &str)> = own
        .iter()
        .map(|r| {
            (
                r["resource"]["name"].as_str().unwrap_or_default(),
                r["container"].as_str().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("api", "api", "pass"),
            ("api", "proxy", "fail"),
            ("debug", "shell", "fail")
        ],
        "{own:?}"
    );
    // A missing field is placed at its closest existing parent, in its own file.
    let at = |r: &Value| {
        (
            r["location"]["file"].as_str().map(str::to_owned),
            r["location"]["line"].as_u64(),
            r["location"]["column"].as_u64(),
        )
    };
    let file = Some("tests/plugins/python/workloads.yaml".to_owned());
    assert_eq!(
        own[1]["pointer"],
        "/spec/template/spec/containers/1/resources/limits/memory"
    );
    // `resources:` of the proxy; the shell's list item (no `resources` at all).
    assert_eq!(
        at(own[1]),
        (file.clone(), Some(20), Some(11)),
        "{:?}",
        own[1]
    );
    assert_eq!(at(own[2]), (file, Some(30), Some(7)), "{:?}", own[2]);
    assert_eq!(own[1]["severity"], "medium");
    assert_eq!(own[1]["name"], "containers-set-a-memory-limit");
    assert_eq!(
        own[1]["remediation"],
        "Set resources.limits.memory on every container."
    );
    assert_eq!(own[1]["controls"][0]["benchmark"], "nsa-cisa");
    let runs: Vec<&str> = report["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .filter_map(|s| s["benchmark"].as_str())
        .collect();
    assert!(runs.contains(&"plugin:memory-limits"), "{runs:?}");
    assert_eq!(report["plugins"][0]["name"], "memory-limits");
    // An exception that is not an `Err` traps; the plugin reported no panic through
    // `host.report-panic`, so its stderr (the traceback) is quoted as unverified.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("p.yaml"),
        format!(
            "benchmarks: [pss-baseline]\nplugins:\n  - path: {}\n    settings: {{crash: true}}\n",
            plugin.display()
        ),
    )
    .expect("write");
    let crashed = stockade()
        .env("STOCKADE_CACHE_DIR", cache.path())
        .args(["scan", "-f", "json", "--config"])
        .arg(dir.path().join("p.yaml"))
        .arg("tests/plugins/python/workloads.yaml")
        .output()
        .expect("runs");
    let crashed = json_of(&crashed.stdout);
    let errors = results(&crashed, "memory-limits");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("plugin memory-limits: trapped (")
            && message.contains(
                "it reported no panic, and its stderr (its own output, unverified) ends with: \""
            )
            && message.contains("RuntimeError: asked to crash"),
        "{message}"
    );
    let text = String::from_utf8_lossy(&scan("text").stdout).into_owned();
    assert!(
        text.contains("memory-limits/LIM001")
            && text.contains("container proxy sets no memory limit"),
        "{text}"
    );
}
