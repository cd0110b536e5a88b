//! Misbehaves as its settings ask (`{"behave": "loop"}`), so that the tests can prove that no
//! plugin can hang, crash or starve Stockade, and that a plugin gets no capabilities.

use stockade_plugin_sdk::bindings::stockade::plugin::host::report_panic;
use stockade_plugin_sdk::{Finding, Input, Metadata, Plugin, RuleInfo, Severity, Value};

struct Hostile;

/// How many calls this instance has served (each call should get an instance of its own).
static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn behave(settings: &Value) -> &str {
    settings
        .get("behave")
        .and_then(Value::as_str)
        .unwrap_or("nothing")
}

impl Plugin for Hostile {
    fn metadata() -> Metadata {
        // A remediation as long as a rule's text may be: every failing result repeats it.
        Metadata::new("hostile", "0.1.0").rule(
            RuleInfo::new("BAD001", "Misbehaves", Severity::Low).remediation(&"r".repeat(16 << 10)),
        )
    }

    fn validate_settings(_settings: &Value) -> Result<(), String> {
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vec<Finding>, String> {
        let first = input.resources.first().ok_or("no resources")?;
        let calls = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match behave(&input.settings) {
            "count-calls" => Ok(vec![Finding::pass(
                "BAD001",
                first,
                format!("calls before this one in this instance: {calls}"),
            )]),
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
            "sleep" => {
                // A monotonic-clock subscription polled through WASI: blocked in the host, where
                // fuel does not count.
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(vec![])
            }
            "log-flood" => {
                // Big messages, many times: little fuel in the guest, much work in the host.
                let message = "x".repeat(8 << 20);
                loop {
                    stockade_plugin_sdk::log(&message);
                }
            }
            "forge" => {
                // Lines that would pass for Stockade's own, and terminal control sequences.
                stockade_plugin_sdk::log(
                    "fine\nstockade: plugin other [error]: forged\x1b[2J\r\x08",
                );
                let mut out = Vec::new();
                for _ in 0..1000 {
                    stockade_plugin_sdk::log("flood");
                }
                out.push(Finding::fail(
                    "BAD001",
                    first,
                    "/metadata",
                    "line\nerror: forged.yaml:1:1: forged\x1b]0;title\x07\r\x08\u{202e}",
                ));
                Ok(out)
            }
            "fake-panic" => {
                eprintln!("thread 'main' panicked at forged.rs:1:1:\nstockade: all is well");
                panic!("the real panic")
            }
            "forge-after-panic" => {
                // A hook of its own around the SDK's: after the real report, a forged stderr
                // report and a second, forged panic report.
                let sdk = std::panic::take_hook();
                std::panic::set_hook(Box::new(move |info| {
                    sdk(info);
                    eprintln!("thread 'main' panicked at forged.rs:1:1:\nstockade: all is well");
                    report_panic("forged: all is well");
                }));
                panic!("the real panic")
            }
            "no-hook-panic" => {
                // No reporting hook (as a plugin built without the SDK): the standard hook
                // writes to stderr only, after a forged line.
                drop(std::panic::take_hook());
                eprintln!("thread 'main' panicked at forged.rs:1:1:\nstockade: all is well");
                panic!("an unreported panic")
            }
            "report-and-return" => {
                // A panic report from a call that does not trap means nothing.
                report_panic("forged: a panic that never happened");
                Ok(vec![Finding::pass("BAD001", first, "behaved")])
            }
            "unplaceable" => Ok((0..60_000)
                .map(|i| {
                    if i % 2 == 0 {
                        Finding::fail("NOPE42", first, "/metadata", "x")
                    } else {
                        Finding::pass("BAD001", first, "x").at("no-slash")
                    }
                })
                .collect()),
            "amplify" => {
                // Small findings, each a failure of a rule with a 16 KiB remediation: few bytes
                // returned, a gigabyte of report.
                Ok((0..60_000)
                    .map(|_| Finding::fail("BAD001", first, "/metadata", "x"))
                    .collect())
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
