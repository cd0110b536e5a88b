//! Node facts (JSON) to a report: facts from a compromised node may lie in any way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockade_core::{Input, Options, SourceFile, evaluate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let input = Input {
        facts: vec![SourceFile { name: "node.json", text: &text }],
        ..Input::default()
    };
    for benchmark in ["cis-k8s", "cis-k8s@1.11"] {
        let options = Options {
            benchmarks: vec![benchmark.parse().expect("valid")],
            ..Options::default()
        };
        let report = evaluate(&input, &options);
        let _ = report.render("sarif");
    }
});
