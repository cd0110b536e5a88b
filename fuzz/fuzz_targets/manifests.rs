//! Manifest text to every report format, with every benchmark and a policy that exercises
//! selection, settings and exemptions (annotations included). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockade_core::{Input, SourceFile, evaluate, load_policy_file};

const POLICY: &str = "benchmarks: [pss-baseline@v1.20, pss-restricted, cis-k8s, nsa-cisa, image-hygiene]
now: 2026-11-29
settings: {allowedRegistries: [registry.example.com], expectDistroless: true}
severity: {IMG: high}
exemptions:
  - rules: [PSS003]
    resources: {name: \"a*\"}
    reason: fuzz
    expires: 2027-01-01
";

fuzz_target!(|data: &[u8]| {
    static OPTIONS: std::sync::OnceLock<stockade_core::Options> = std::sync::OnceLock::new();
    let options = OPTIONS
        .get_or_init(|| load_policy_file("stockade.yaml", POLICY).expect("the fuzz policy is valid"));
    let text = String::from_utf8_lossy(data);
    let input = Input {
        files: vec![SourceFile { name: "fuzz.yaml", text: &text }],
        ..Input::default()
    };
    let report = evaluate(&input, options);
    for format in ["text", "json", "sarif", "junit", "markdown", "html"] {
        let _ = report.render(format);
    }
});
