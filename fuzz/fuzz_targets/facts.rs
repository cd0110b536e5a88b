//! Node facts (JSON) to a report with every node benchmark (CIS Kubernetes in both versions,
//! CIS Ubuntu, containerd: TOML, sshd configs and audit rules inside the facts are parsed too):
//! facts from a compromised node may lie in any way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockade_core::{Input, Options, SourceFile, evaluate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let input = Input {
        facts: vec![SourceFile { name: "node.json", text: &text }],
        ..Input::default()
    };
    for benchmark in ["cis-k8s", "cis-k8s@1.11", "cis-ubuntu", "containerd"] {
        let options = Options {
            benchmarks: vec![benchmark.parse().expect("valid")],
            ..Options::default()
        };
        let report = evaluate(&input, &options);
        let _ = report.render("sarif");
    }
});
