//! `stockade fix`: diffs, `--write`, rule and benchmark selection, exemptions, exit codes.

mod common;

use common::stockade;

const POD: &str = "# a pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n    - name: app   # the app\n      image: registry.example.com/app:1.0\n      ports:\n        - containerPort: 80\n          hostPort: 80\n";

#[test]
fn diff_is_the_default_and_exits_1_while_something_is_left_to_fix() {
    let out = stockade()
        .args(["fix", "--no-config", "examples/privileged-daemonset.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    insta::assert_snapshot!("fix_privileged_daemonset_diff", diff);
}

#[test]
fn write_fixes_in_place_keeping_the_mode_then_nothing_is_left() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pod.yaml");
    std::fs::write(&path, POD).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).expect("chmod");
    let file = path.to_str().expect("utf-8 path");
    let out = stockade()
        .args([
            "fix",
            "--no-config",
            "--write",
            "-b",
            "pss-restricted",
            file,
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
    let fixed = std::fs::read_to_string(&path).expect("read");
    assert_eq!(
        fixed,
        "# a pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n    - name: app   # the app\n      image: registry.example.com/app:1.0\n      ports:\n        - containerPort: 80\n      securityContext:\n        allowPrivilegeEscalation: false\n        runAsNonRoot: true\n        seccompProfile:\n          type: RuntimeDefault\n        capabilities:\n          drop:\n            - ALL\n"
    );
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o604);
    // Nothing is left: the diff is empty and the scan passes.
    let again = stockade()
        .args(["fix", "--no-config", "-b", "pss-restricted", file])
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(again.stdout.is_empty());
    let scan = stockade()
        .args(["scan", "--no-config", "-b", "pss-restricted", file])
        .output()
        .expect("runs");
    assert_eq!(scan.status.code(), Some(0), "{scan:?}");
}

#[test]
fn only_the_selected_rules_are_fixed() {
    let out = stockade()
        .args(["fix", "--no-config", "--rule", "PSS102", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        diff.contains("+        allowPrivilegeEscalation: false\n"),
        "{diff}"
    );
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(added.len(), 2, "{diff}");
    assert!(
        !diff.lines().any(|l| l.starts_with("-          hostPort")),
        "{diff}"
    );
}

#[test]
fn only_the_selected_benchmarks_findings_are_fixed() {
    // Baseline does not ask for allowPrivilegeEscalation, only for the host port to go.
    let out = stockade()
        .args(["fix", "--no-config", "-b", "pss-baseline", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    assert!(diff.contains("-          hostPort: 80\n"), "{diff}");
    assert!(!diff.contains("allowPrivilegeEscalation"), "{diff}");
}

#[test]
fn exempt_findings_are_not_fixed() {
    // The examples' policy exempts the node agent's host port (PSS006).
    let out = stockade()
        .args([
            "fix",
            "--config",
            "examples/stockade.yaml",
            "examples/privileged-daemonset.yaml",
        ])
        .output()
        .expect("runs");
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        diff.contains("+            allowPrivilegeEscalation: false"),
        "{diff}"
    );
    assert!(!diff.contains("-              hostPort: 9100"), "{diff}");
}

#[test]
fn stdin_cannot_be_written_and_diff_conflicts_with_write() {
    let out = stockade()
        .args(["fix", "--no-config", "--write", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = stockade()
        .args(["fix", "--diff", "--write", "x.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = stockade()
        .args(["fix", "--no-config", "--rule", "NOPE1", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_examples_diff_fixes_static_pod_flags_too() {
    let out = stockade()
        .args(["fix", "--no-config", "examples/"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    insta::assert_snapshot!("fix_examples_diff", diff);
}

#[test]
fn a_static_pod_is_fixed_for_cis_and_stig_in_one_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kube-apiserver.yaml");
    std::fs::copy(
        common::root().join("examples/control-plane/kube-apiserver.yaml"),
        &path,
    )
    .expect("copy");
    let file = path.to_str().expect("utf-8 path");
    let benchmarks = ["-b", "cis-k8s", "-b", "k8s-stig"];
    let out = stockade()
        .args(["fix", "--no-config", "--write"])
        .args(benchmarks)
        .arg(file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let fixed = std::fs::read_to_string(&path).expect("read");
    for flag in [
        "- --anonymous-auth=false\n",
        "- --enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs,AlwaysPullImages\n",
        "- --audit-log-maxage=30\n",
        "- --tls-min-version=VersionTLS12\n",
    ] {
        assert!(fixed.contains(flag), "{flag} in:\n{fixed}");
    }
    // Nothing is left to fix, and what still fails has no mechanical fix.
    let again = stockade()
        .args(["fix", "--no-config"])
        .args(benchmarks)
        .arg(file)
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(again.stdout.is_empty());
    let scan = stockade()
        .args(["scan", "--no-config", "--format", "json"])
        .args(benchmarks)
        .arg(file)
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).expect("json");
    let failing: Vec<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| format!("{} {}", r["rule"], r["benchmark"]))
        .collect();
    assert!(
        failing
            .iter()
            .all(|r| !r.contains("CIS-1.2.1 ") && !r.contains("V-242378")),
        "{failing:?}"
    );
    assert!(
        report["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["status"] == "fail")
            .all(|r| r.get("fix").is_none()),
        "a failing result with a fix is left: {failing:?}"
    );
}

#[test]
fn a_benchmark_check_code_selects_its_fix() {
    let out = stockade()
        .args([
            "fix",
            "--no-config",
            "--rule",
            "cis-1.2.1",
            "examples/control-plane/kube-apiserver.yaml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let diff = String::from_utf8(out.stdout).expect("utf-8");
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        [
            "-        - --anonymous-auth=true",
            "+        - --anonymous-auth=false"
        ],
        "{diff}"
    );
    let unknown = stockade()
        .args(["fix", "--no-config", "--rule", "CIS-9.9.9", "examples/"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
}
