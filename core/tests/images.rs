//! Image reports linked to the workloads that run them: a finding of a report appears on the
//! image and on every scanned workload whose container runs that image (by digest, else by
//! normalized reference), at the container's `image` line.

use stockade_core::report::Status;
use stockade_core::{OptionsSpec, evaluate};

mod common;

// Tests may read their fixtures; the no-I/O rule (clippy.toml) is for the library.
#[allow(clippy::disallowed_methods)]
fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/image/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: nginx
        image: docker.io/library/nginx:1.25.0
      - name: tool
        image: ghcr.io/acme/tool@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
      - name: unscanned
        image: busybox:1.36
";

#[test]
fn findings_of_image_reports_appear_on_the_workloads_that_run_the_images() {
    let trivy = fixture("image-vulnerabilities/fail-trivy-high.json");
    let grype = fixture("image-vulnerabilities/fail-grype-critical.json");
    let files = [
        ("deploy.yaml", DEPLOYMENT),
        ("nginx.trivy.json", trivy.as_str()),
        ("tool.grype.json", grype.as_str()),
    ];
    let input = common::manifests(&files);
    let spec: OptionsSpec =
        serde_json::from_str(r#"{"benchmarks": ["image-hygiene"], "now": "2026-11-29"}"#)
            .expect("options");
    let report = evaluate(&input, &spec.resolve().expect("valid"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let on_workload: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.rule == "IMG008" && r.resource.kind == "Deployment")
        .collect();
    let failed: Vec<(&str, u32)> = on_workload
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| (r.container.as_deref().unwrap_or(""), r.location.line))
        .collect();
    // nginx by reference (docker.io/library/nginx:1.25.0 is nginx:1.25.0), tool by digest;
    // the unscanned container has no report, so nothing is said about it.
    assert_eq!(failed, [("nginx", 9), ("tool", 11)], "{on_workload:#?}");
    let nginx = on_workload
        .iter()
        .find(|r| r.container.as_deref() == Some("nginx"))
        .expect("nginx");
    assert!(
        nginx.message.contains("CVE-2023-4911 in libc6"),
        "{}",
        nginx.message
    );
    assert!(
        nginx.message.contains("in nginx.trivy.json"),
        "{}",
        nginx.message
    );
    // And on the images themselves, at the reports.
    let images: Vec<(&str, &str, Status)> = report
        .results
        .iter()
        .filter(|r| r.resource.kind == "Image")
        .map(|r| (r.rule.as_str(), r.resource.name.as_str(), r.status))
        .collect();
    assert!(
        images.contains(&("IMG008", "nginx:1.25.0", Status::Fail)),
        "{images:?}"
    );
    assert!(
        images.contains(&("IMG008", "ghcr.io/acme/tool:1.0", Status::Fail)),
        "{images:?}"
    );
    assert!(
        images.contains(&("IMG009", "nginx:1.25.0", Status::Pass)),
        "{images:?}"
    );
    assert!(
        images.contains(&("IMG007", "nginx:1.25.0", Status::Pass)),
        "{images:?}"
    );
    // No report decides IMG006 for these images: no result, not a pass.
    assert!(!report.results.iter().any(|r| r.rule == "IMG006"));
}

#[test]
fn a_broken_report_is_an_input_error_and_the_rest_is_scanned() {
    let files = [
        ("deploy.yaml", DEPLOYMENT),
        (
            "broken.json",
            "{\"SchemaVersion\": 2, \"ArtifactName\": \"x\", \"Results\": [",
        ),
        (
            "anonymous.json",
            "{\"bomFormat\": \"CycloneDX\", \"components\": []}",
        ),
    ];
    let input = common::manifests(&files);
    let spec: OptionsSpec =
        serde_json::from_str(r#"{"benchmarks": ["image-hygiene"]}"#).expect("options");
    let report = evaluate(&input, &spec.resolve().expect("valid"));
    let errors: Vec<(&str, &str)> = report
        .errors
        .iter()
        .map(|e| (e.file.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|(f, m)| *f == "broken.json" && m.starts_with("Trivy report: invalid YAML")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(f, m)| *f == "anonymous.json" && m.contains("names no image")),
        "{errors:?}"
    );
    assert!(
        report
            .results
            .iter()
            .any(|r| r.rule == "IMG001" && r.resource.name == "web")
    );
}
