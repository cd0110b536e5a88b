//! The policy file: any text is either a policy or an error with a location; a policy that loads
//! then evaluates a small manifest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockade_core::{Input, SourceFile, evaluate, load_policy_file};

const MANIFEST: &str = "apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: default
  annotations:
    stockade.dev/exempt: |
      - rules: [PSS002]
        reason: r
spec:
  hostPID: true
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match load_policy_file("stockade.yaml", &text) {
        Err(e) => assert!(!e.message.is_empty()),
        Ok(options) => {
            let input = Input {
                files: vec![SourceFile { name: "pod.yaml", text: MANIFEST }],
                ..Input::default()
            };
            let report = evaluate(&input, &options);
            let _ = report.render("markdown");
        }
    }
});
