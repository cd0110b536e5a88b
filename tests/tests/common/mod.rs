//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The `stockade` binary. This package does not own it, so Cargo does not build it for these
/// tests: build it here (a no-op when it is fresh), once per test process, with the same Cargo
/// and profile that built the tests, and run it from the target directory.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("STOCKADE_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps/<test>");
        let mut args = vec!["build", "--quiet", "-p", "stockade", "--bin", "stockade"];
        if profile_dir.ends_with("release") {
            args.push("--release");
        }
        let status = std::process::Command::new(env!("CARGO"))
            .args(&args)
            .current_dir(root())
            .stdin(std::process::Stdio::null())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the stockade binary failed");
        profile_dir.join(format!("stockade{}", std::env::consts::EXE_SUFFIX))
    })
}

/// The date the tests run "on" (exemption expiry), as SOURCE_DATE_EPOCH: 2026-11-29.
pub const TODAY: &str = "2026-11-29";
pub const TODAY_EPOCH: &str = "1795910400";

pub fn stockade() -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .env("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    cmd
}

/// Every manifest benchmark, as `scan` arguments.
pub const EVERY_MANIFEST_BENCHMARK: [&str; 10] = [
    "-b",
    "pss-baseline",
    "-b",
    "pss-restricted",
    "-b",
    "cis-k8s",
    "-b",
    "nsa-cisa",
    "-b",
    "image-hygiene",
];

/// Runs a scan expected to find failures (exit code 1) and returns what it printed.
pub fn failing_scan(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Validates with `sarif-multitool validate` (installed by scripts/setup.sh from npm).
pub fn validate_sarif(sarif: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.sarif");
    std::fs::write(&path, sarif).expect("write");
    let tool = root().join("node_modules/.bin/sarif-multitool");
    assert!(
        tool.exists(),
        "run scripts/setup.sh: {} is missing",
        tool.display()
    );
    let out = std::process::Command::new(tool)
        .arg("validate")
        .arg(&path)
        .output()
        .expect("sarif-multitool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Analysis completed successfully"), "{text}");
    let problems: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": error ") || l.contains(": warning "))
        .collect();
    assert!(
        problems.is_empty(),
        "SARIF problems:\n{}",
        problems.join("\n")
    );
}
