//! Misbehaves as its settings ask (`{"behave": "loop"}`), so that the tests can prove that no
//! plugin can hang, crash or starve Stockade, and that a plugin gets no capabilities.

use stockade_plugin_sdk::{Finding, Input, Metadata, Plugin, RuleInfo, Severity, Value};

struct Hostile;

fn behave(settings: &Value) -> &str {
    settings
        .get("behave")
        .and_then(Value::as_str)
        .unwrap_or("nothing")
}

impl Plugin for Hostile {
    fn metadata() -> Metadata {
        Metadata::new("hostile", "0.1.0").rule(RuleInfo::new("BAD001", "Misbehaves", Severity::Low))
    }

    fn evaluate(input: &Input) -> Result<Vec<Finding>, String> {
        let first = input.resources.first().ok_or("no resources")?;
        match behave(&input.settings) {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => std::process::abort(),
            "panic" => panic!("the hostile plugin panics on purpose"),
            "error" => Err("the hostile plugin refuses".to_owned()),
            "huge-output" => {
                // About 100 MB of findings: far more than the host accepts (the test raises the
                // memory cap so that the output cap, not the memory cap, is what stops it).
                let message = "x".repeat(4000);
                Ok((0..25_000)
                    .map(|_| Finding::fail("BAD001", first, "/metadata", message.clone()))
                    .collect())
            }
            "bad-pointers" => Ok(vec![
                Finding::fail("BAD001", first, "no-leading-slash", "a pointer without /"),
                Finding::fail(
                    "NOPE42",
                    first,
                    "/metadata",
                    "a rule the plugin never declared",
                ),
            ]),
            "invalid-utf8" => {
                // Safe Rust cannot build this string; the canonical ABI lowers the bytes as they
                // are, and the host must reject them when it lifts the result.
                let bytes = vec![b'o', b'k', 0xff, 0xfe];
                let message = unsafe { String::from_utf8_unchecked(bytes) };
                Ok(vec![Finding::fail("BAD001", first, "/metadata", message)])
            }
            "bad-resource" => {
                let mut far = first.clone();
                far.index = 10_000;
                Ok(vec![Finding::fail(
                    "BAD001",
                    &far,
                    "/metadata",
                    "a resource that does not exist",
                )])
            }
            "capabilities" => {
                let file = std::fs::read_to_string("/etc/passwd").map(|t| t.len());
                let vars = std::env::vars().count();
                let dir = std::fs::read_dir("/").map(|d| d.count());
                println!("can a plugin write to stdout?");
                Ok(vec![Finding::fail(
                    "BAD001",
                    first,
                    "/metadata",
                    format!("file: {file:?}; env vars: {vars}; root dir: {dir:?}"),
                )])
            }
            _ => Ok(vec![Finding::pass("BAD001", first, "behaved")]),
        }
    }
}

stockade_plugin_sdk::plugin!(Hostile);
