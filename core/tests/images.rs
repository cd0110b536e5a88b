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

/// The image-report verdicts of one evaluation: on the images (rule, image name, status) and
/// on the workload (rule, container, status), each sorted.
type Verdicts = (Vec<(String, String, Status)>, Vec<(String, String, Status)>);

/// Evaluates the real-shaped reports in `fixtures/image/reports/` next to a Deployment whose
/// containers run `images` (container name, image), on 2026-11-29.
fn judge(reports: &[&str], images: &[(&str, &str)]) -> (Verdicts, stockade_core::report::Report) {
    let mut deployment = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: shop}\n\
         spec:\n  template:\n    spec:\n      containers:\n",
    );
    for (name, image) in images {
        deployment.push_str(&format!("      - name: {name}\n        image: {image}\n"));
    }
    let texts: Vec<(String, String)> = reports
        .iter()
        .map(|r| ((*r).to_owned(), fixture(&format!("reports/{r}"))))
        .chain([("deploy.yaml".to_owned(), deployment)])
        .collect();
    let input = common::manifests(&texts);
    let spec: OptionsSpec =
        serde_json::from_str(r#"{"benchmarks": ["image-hygiene"], "now": "2026-11-29"}"#)
            .expect("options");
    let report = evaluate(&input, &spec.resolve().expect("valid"));
    let image_rules = ["IMG006", "IMG007", "IMG008", "IMG009"];
    let mut on_images: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.resource.kind == "Image" && image_rules.contains(&r.rule.as_str()))
        .map(|r| (r.rule.to_string(), r.resource.name.to_string(), r.status))
        .collect();
    let mut on_workload: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.resource.kind == "Deployment" && image_rules.contains(&r.rule.as_str()))
        .map(|r| {
            (
                r.rule.to_string(),
                r.container.as_deref().unwrap_or("").to_owned(),
                r.status,
            )
        })
        .collect();
    on_images.sort();
    on_workload.sort();
    ((on_images, on_workload), report)
}

fn owned(rows: &[(&str, &str, Status)]) -> Vec<(String, String, Status)> {
    let mut rows: Vec<_> = rows
        .iter()
        .map(|(a, b, s)| ((*a).to_owned(), (*b).to_owned(), *s))
        .collect();
    rows.sort();
    rows
}

use Status::{Fail, Manual, Pass};

#[test]
fn a_trivy_report_of_an_image_archive_is_linked_by_its_repo_tags_and_digests() {
    // `trivy image --input images/alpine-310.tar.gz`: the artifact name is the archive's path;
    // the image's names are in Metadata.RepoTags and RepoDigests.
    let ((images, workload), report) = judge(
        &["trivy-archive.json"],
        &[
            ("by-tag", "alpine:3.10"),
            (
                "by-digest",
                "docker.io/library/alpine@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ),
            ("other", "alpine:3.11"),
        ],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        images,
        owned(&[
            ("IMG007", "alpine:3.10", Fail),
            ("IMG008", "alpine:3.10", Fail),
            ("IMG009", "alpine:3.10", Pass),
        ])
    );
    assert_eq!(
        workload,
        owned(&[
            ("IMG007", "by-digest", Fail),
            ("IMG007", "by-tag", Fail),
            ("IMG008", "by-digest", Fail),
            ("IMG008", "by-tag", Fail),
            ("IMG009", "", Pass),
        ])
    );
}

#[test]
fn trivy_cyclonedx_and_spdx_reports_are_linked_by_their_image_properties() {
    // Trivy's CycloneDX output names the image in aquasecurity:trivy:RepoTag/RepoDigest
    // properties; its `vulnerabilities: []` is written whether or not it scanned: no scan.
    let ((images, workload), report) = judge(
        &["trivy-archive.cdx.json"],
        &[
            ("by-tag", "redis:7.4"),
            (
                "by-digest",
                "redis@sha256:2222222222222222222222222222222222222222222222222222222222222222",
            ),
        ],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        images,
        owned(&[
            ("IMG006", "redis:7.4", Fail),
            ("IMG008", "redis:7.4", Manual),
            ("IMG009", "redis:7.4", Manual),
        ])
    );
    assert_eq!(
        workload,
        owned(&[("IMG006", "by-digest", Fail), ("IMG006", "by-tag", Fail)])
    );
    let manual = report
        .results
        .iter()
        .find(|r| r.rule == "IMG008")
        .expect("IMG008");
    assert!(
        manual.message.contains("--scanners vuln"),
        "{}",
        manual.message
    );

    // Trivy's SPDX output: attributionTexts "RepoTag: ..." and "RepoDigest: ...".
    let ((images, workload), report) = judge(
        &["trivy-spdx.json"],
        &[
            ("by-second-tag", "ghcr.io/acme/api:stable"),
            (
                "by-digest",
                "ghcr.io/acme/api@sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            ),
        ],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(images, owned(&[("IMG006", "ghcr.io/acme/api:2.0", Fail)]));
    assert_eq!(
        workload,
        owned(&[
            ("IMG006", "by-digest", Fail),
            ("IMG006", "by-second-tag", Fail)
        ])
    );
}

#[test]
fn a_report_that_ran_no_vulnerability_scan_never_passes_the_scan_rules() {
    // Trivy with `--scanners license`: only license results.
    let ((images, workload), report) = judge(
        &["trivy-license-only.json"],
        &[("billing", "ghcr.io/acme/billing:3.1")],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        images,
        owned(&[
            ("IMG007", "ghcr.io/acme/billing:3.1", Pass),
            ("IMG008", "ghcr.io/acme/billing:3.1", Manual),
            ("IMG009", "ghcr.io/acme/billing:3.1", Manual),
        ])
    );
    assert_eq!(workload, owned(&[("IMG007", "", Pass)]));
    let manual = report
        .results
        .iter()
        .find(|r| r.rule == "IMG008")
        .expect("IMG008");
    assert!(
        manual
            .message
            .contains("only of class license, license-file"),
        "{}",
        manual.message
    );

    // A Syft SBOM (no `vulnerabilities` key) is not a scan; a Grype CycloneDX document with an
    // empty list is a clean scan.
    let image = [("web", "registry.example.com/web:2.1.0")];
    let ((images, workload), _) = judge(&["syft-image.cdx.json"], &image);
    assert_eq!(
        images,
        owned(&[("IMG006", "registry.example.com/web:2.1.0", Pass)])
    );
    assert_eq!(workload, owned(&[("IMG006", "", Pass)]));
    let ((images, workload), _) = judge(&["grype-clean.cdx.json"], &image);
    assert_eq!(
        images,
        owned(&[
            ("IMG006", "registry.example.com/web:2.1.0", Pass),
            ("IMG008", "registry.example.com/web:2.1.0", Pass),
            ("IMG009", "registry.example.com/web:2.1.0", Pass),
        ])
    );
    assert_eq!(
        workload,
        owned(&[
            ("IMG006", "", Pass),
            ("IMG008", "", Pass),
            ("IMG009", "", Pass)
        ])
    );
}

#[test]
fn the_empty_image_config_of_a_trivy_sbom_scan_is_no_evidence_of_root() {
    // `trivy sbom sboms/nginx.cdx.json`: ImageConfig holds Go zero values.
    let ((images, workload), report) = judge(
        &["trivy-of-sbom.json"],
        &[
            ("by-tag", "nginx:1.27.3"),
            (
                "by-digest",
                "nginx@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            ),
        ],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        images,
        owned(&[
            ("IMG008", "nginx:1.27.3", Fail),
            ("IMG009", "nginx:1.27.3", Pass),
        ])
    );
    assert_eq!(
        workload,
        owned(&[
            ("IMG008", "by-digest", Fail),
            ("IMG008", "by-tag", Fail),
            ("IMG009", "", Pass),
        ])
    );
}

#[test]
fn documents_about_a_directory_a_repository_or_a_cluster_are_not_judged_as_images() {
    let reports = [
        "syft-directory.cdx.json",
        "trivy-repo.cdx.json",
        "kbom.cdx.json",
        "grype-directory.json",
        "syft-directory.spdx.json",
        "trivy-fs.json",
    ];
    let ((images, workload), report) = judge(&reports, &[("web", "nginx:1.27.3")]);
    assert!(images.is_empty(), "{images:?}");
    assert!(workload.is_empty(), "{workload:?}");
    let warnings: Vec<(&str, &str)> = report
        .errors
        .iter()
        .map(|e| (e.file.as_str(), e.message.as_str()))
        .collect();
    for (file, what) in [
        (
            "syft-directory.cdx.json",
            "file `/src/shop` (metadata.component.type)",
        ),
        (
            "trivy-repo.cdx.json",
            "application `https://github.com/acme/shop` (metadata.component.type)",
        ),
        ("kbom.cdx.json", "platform `k8s.io/kubernetes`"),
        ("grype-directory.json", "a directory (`source.type`)"),
        (
            "syft-directory.spdx.json",
            "file `/src/shop` (primaryPackagePurpose)",
        ),
        ("trivy-fs.json", "a file system (`trivy fs`)"),
    ] {
        assert!(
            warnings
                .iter()
                .any(|(f, m)| *f == file && m.contains(what) && m.contains("not judged")),
            "{file}: {warnings:?}"
        );
    }
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.level == stockade_core::report::ErrorLevel::Warning)
    );
}

#[test]
fn trivy_reports_before_schema_2_are_evaluated_and_trivy_k8s_reports_are_refused_clearly() {
    // Trivy 0.19 and older: a bare list of results; the OS result's target names the image.
    let ((images, workload), report) = judge(
        &["trivy-schema1.json"],
        &[("by-tag", "alpine:3.10"), ("other", "alpine:3.11")],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        images,
        owned(&[
            ("IMG008", "alpine:3.10", Fail),
            ("IMG009", "alpine:3.10", Manual)
        ])
    );
    assert_eq!(workload, owned(&[("IMG008", "by-tag", Fail)]));

    // `trivy k8s --format json` (Trivy 0.45-0.58): kept out of the fixture folders, which are
    // scanned whole by the end-to-end tests and must give no input error.
    let k8s = serde_json::json!({
        "ClusterName": "kind-kind",
        "Resources": [{
            "Namespace": "kube-system",
            "Kind": "Pod",
            "Name": "etcd-kind-control-plane",
            "Metadata": {"RepoTags": ["registry.k8s.io/etcd:3.5.9-0"]},
            "Results": [{
                "Target": "registry.k8s.io/etcd:3.5.9-0 (debian 11.7)",
                "Class": "os-pkgs",
                "Type": "debian"
            }]
        }]
    })
    .to_string();
    let files = [("trivy-k8s.json", k8s.as_str())];
    let input = common::manifests(&files);
    let spec: OptionsSpec =
        serde_json::from_str(r#"{"benchmarks": ["image-hygiene"]}"#).expect("options");
    let report = evaluate(&input, &spec.resolve().expect("valid"));
    let images: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.resource.kind == "Image")
        .collect();
    assert!(images.is_empty());
    let errors: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("Trivy Kubernetes report: not supported: ")
            && errors[0].contains("trivy image -f json"),
        "{errors:?}"
    );
    assert!(
        !report.errors[0].message.contains("kind"),
        "no misleading manifest error"
    );
}
