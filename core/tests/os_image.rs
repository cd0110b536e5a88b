//! Scans of the node's OS image (OSI-1 to OSI-3): linked to the node's facts by host name or
//! by OS release and package set, judged like image scans, and compared with the node's packages.

use stockade_core::report::{ErrorLevel, Report, Status};
use stockade_core::{OptionsSpec, evaluate};

mod common;

// Tests may read their fixtures; the no-I/O rule (clippy.toml) is for the library.
#[allow(clippy::disallowed_methods)]
fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/os-image/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

/// Node facts of an Ubuntu 22.04 node with these dpkg packages.
fn facts(hostname: &str, packages: &[(&str, &str)]) -> String {
    let packages: serde_json::Map<String, serde_json::Value> = packages
        .iter()
        .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
        .collect();
    serde_json::json!({
        "apiVersion": "stockade.dev/v1alpha2",
        "kind": "NodeFacts",
        "node": {"hostname": hostname},
        "os": {"id": "ubuntu", "versionId": "22.04"},
        "packages": packages,
    })
    .to_string()
}

const PACKAGES: &[(&str, &str)] = &[
    ("libc6", "2.35-0ubuntu3.8"),
    ("openssh-server", "1:8.9p1-3ubuntu0.10"),
    ("containerd.io", "1.7.27-1"),
];

/// Evaluates (file name, text) inputs with image-hygiene on 2026-11-29.
fn run(files: &[(&str, String)]) -> Report {
    let input = common::manifests(files);
    let spec: OptionsSpec =
        serde_json::from_str(r#"{"benchmarks": ["image-hygiene"], "now": "2026-11-29"}"#)
            .expect("options");
    evaluate(&input, &spec.resolve().expect("valid"))
}

/// (rule, node, status) of the OS scan checks, sorted.
fn verdicts(report: &Report) -> Vec<(String, String, Status)> {
    let mut out: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.rule.starts_with("OSI-"))
        .map(|r| (r.rule.to_string(), r.resource.name.to_string(), r.status))
        .collect();
    out.sort();
    out
}

fn rows(rows: &[(&str, &str, Status)]) -> Vec<(String, String, Status)> {
    rows.iter()
        .map(|(a, b, s)| ((*a).to_owned(), (*b).to_owned(), *s))
        .collect()
}

#[test]
fn a_clean_recent_rootfs_scan_linked_by_package_set_passes() {
    let report = run(&[
        ("nodes/worker-1.json", facts("worker-1", PACKAGES)),
        ("scans/rootfs.trivy.json", fixture("pass-trivy-rootfs.json")),
    ]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        verdicts(&report),
        rows(&[
            ("OSI-1", "worker-1", Status::Pass),
            ("OSI-2", "worker-1", Status::Pass),
            ("OSI-3", "worker-1", Status::Pass),
        ])
    );
    let osi3 = common::result_of(&report, "OSI-3", Some("worker-1"));
    assert!(
        osi3.message
            .contains("by OS release and package set (3 packages)"),
        "{}",
        osi3.message
    );
    assert_eq!(&*osi3.resource.kind, "Node");
}

#[test]
fn an_old_vulnerable_vm_scan_of_other_package_versions_fails_all_three() {
    // Linked by the file name (`worker-2.trivy.json`): the artifact name is the disk image.
    let report = run(&[
        ("nodes/worker-2.json", facts("worker-2", PACKAGES)),
        ("scans/worker-2.trivy.json", fixture("fail-trivy-vm.json")),
    ]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        verdicts(&report),
        rows(&[
            ("OSI-1", "worker-2", Status::Fail),
            ("OSI-2", "worker-2", Status::Fail),
            ("OSI-3", "worker-2", Status::Fail),
        ])
    );
    let osi1 = common::result_of(&report, "OSI-1", None);
    assert!(
        osi1.message.contains("CVE-2024-6387 in openssh-server"),
        "{}",
        osi1.message
    );
    assert_eq!(&*osi1.location.file, "scans/worker-2.trivy.json");
    let osi2 = common::result_of(&report, "OSI-2", None);
    assert!(osi2.message.contains("59 days old"), "{}", osi2.message);
    // The node has a newer openssh-server than the one scanned: located at it in the facts.
    let osi3 = common::result_of(&report, "OSI-3", None);
    assert!(
        osi3.message.contains(
            "scan does not match the node: 1 of 1 packages have another version on the node, \
             e.g. openssh-server 1:8.9p1-3ubuntu0.10 (scanned 1:8.9p1-3ubuntu0.7)"
        ),
        "{}",
        osi3.message
    );
    assert_eq!(&*osi3.location.file, "nodes/worker-2.json");
    assert_eq!(&*osi3.pointer, "/packages/openssh-server");
}

#[test]
fn a_grype_scan_of_the_root_file_system_is_linked_by_host_name() {
    let report = run(&[
        (
            "nodes/worker-3.json",
            facts("worker-3", &[("libc6", "2.35-0ubuntu3.6")]),
        ),
        (
            "scans/worker-3.grype.json",
            fixture("fail-grype-rootfs.json"),
        ),
    ]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        verdicts(&report),
        rows(&[
            ("OSI-1", "worker-3", Status::Fail),
            ("OSI-2", "worker-3", Status::Pass),
            ("OSI-3", "worker-3", Status::Pass),
        ])
    );
}

#[test]
fn a_scan_of_another_release_does_not_match_the_node() {
    let scan = fixture("pass-trivy-rootfs.json").replace("\"22.04\"", "\"20.04\"");
    let report = run(&[
        ("nodes/worker-4.json", facts("worker-4", PACKAGES)),
        ("scans/worker-4.trivy.json", scan),
    ]);
    let osi3 = common::result_of(&report, "OSI-3", None);
    assert_eq!(osi3.status, Status::Fail);
    assert!(
        osi3.message
            .contains("it scanned ubuntu 20.04, the node runs ubuntu 22.04"),
        "{}",
        osi3.message
    );
}

#[test]
fn a_node_without_a_linked_scan_gets_no_verdict_and_the_unlinked_scan_is_said() {
    // Another host name and another package set: nothing links the scan to this node.
    let report = run(&[
        (
            "nodes/worker-5.json",
            facts("worker-5", &[("libc6", "2.35-0ubuntu3.8")]),
        ),
        ("scans/rootfs.trivy.json", fixture("pass-trivy-rootfs.json")),
    ]);
    assert!(verdicts(&report).is_empty(), "{:?}", verdicts(&report));
    let warnings: Vec<&str> = report
        .errors
        .iter()
        .filter(|e| e.level == ErrorLevel::Warning)
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", report.errors);
    assert!(
        warnings[0].contains("no node facts given link to it"),
        "{warnings:?}"
    );
    // And facts alone, without any scan: no OSI result at all.
    let report = run(&[("nodes/worker-5.json", facts("worker-5", PACKAGES))]);
    assert!(verdicts(&report).is_empty());
}

#[test]
fn an_os_scan_that_ran_no_vulnerability_scan_is_manual_never_a_pass() {
    let scan = serde_json::json!({
        "SchemaVersion": 2,
        "CreatedAt": "2026-11-27T06:00:00Z",
        "ArtifactName": "/",
        "ArtifactType": "rootfs",
        "Metadata": {"OS": {"Family": "ubuntu", "Name": "22.04"}},
        "Results": [{"Target": "OS Packages", "Class": "license"}],
    })
    .to_string();
    let report = run(&[
        ("nodes/worker-6.json", facts("worker-6", PACKAGES)),
        ("scans/worker-6.trivy.json", scan),
    ]);
    assert_eq!(
        verdicts(&report),
        rows(&[
            ("OSI-1", "worker-6", Status::Manual),
            ("OSI-2", "worker-6", Status::Manual),
            ("OSI-3", "worker-6", Status::Manual),
        ])
    );
}
