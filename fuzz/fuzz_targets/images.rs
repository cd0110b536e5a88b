//! An image report (any bytes that look like a CycloneDX, SPDX, Trivy or Grype document) next to
//! a workload that runs the image it may name: the report is parsed, linked and judged by the
//! image rules, and rendered. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockade_core::{Input, SourceFile, evaluate, load_policy_file};

const WORKLOAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: a, image: nginx:1.25.0}
      - {name: b, image: \"ghcr.io/acme/tool@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}
";

fuzz_target!(|data: &[u8]| {
    static OPTIONS: std::sync::OnceLock<stockade_core::Options> = std::sync::OnceLock::new();
    let options = OPTIONS.get_or_init(|| {
        load_policy_file(
            "stockade.yaml",
            "benchmarks: [image-hygiene]\nnow: 2026-11-29\nsettings: {vulnerabilitySeverity: medium, maxScanAgeDays: 3}\n",
        )
        .expect("the fuzz policy is valid")
    });
    let text = String::from_utf8_lossy(data);
    let input = Input {
        files: vec![
            SourceFile { name: "deploy.yaml", text: WORKLOAD },
            SourceFile { name: "report.json", text: &text },
        ],
        ..Input::default()
    };
    let report = evaluate(&input, options);
    for format in ["text", "sarif"] {
        let _ = report.render(format);
    }
});
