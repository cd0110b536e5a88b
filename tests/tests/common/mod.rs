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

pub fn stockade() -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(root()).env_remove("NO_COLOR");
    cmd
}
