//! One admission review, without HTTP: `admit_value` on the two AdmissionReviews that
//! `bench/serve.sh` sends (written by `bench/serve/reviews.py`: a restricted Deployment, allowed,
//! and a privileged one, rejected), under the bench's example policy (PSS restricted enforced,
//! CIS section 5 warned). `stockade serve` spends its CPU here; `bench/RESULTS.md` records the
//! figures, and `examples/admit_loop.rs` runs the same review under callgrind.

// Benchmarks read their inputs from disk; the no-I/O rule (clippy.toml) is for the library.
#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use stockade_core::admission::{AdmissionPolicy, admit_value};

// The allocator the CLI uses, so that these figures are the webhook's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The example policy of `bench/serve.sh`.
const POLICY: &str = "benchmarks: [pss-restricted@latest, cis-k8s@1.12]\nadmission:\n  enforce: {benchmarks: [pss-restricted@latest]}\n  warn: {benchmarks: [cis-k8s@1.12]}\n";

/// The bench's two reviews, as `bench/serve/reviews.py` writes them.
fn reviews() -> (Value, Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::temp_dir().join(format!("stockade-bench-admission-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("python3")
        .arg(root.join("bench/serve/reviews.py"))
        .arg(&out)
        .status()
        .expect("python3 runs bench/serve/reviews.py");
    assert!(status.success(), "bench/serve/reviews.py failed");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    let reviews = (read("allowed.json"), read("rejected.json"));
    let _ = std::fs::remove_dir_all(&out);
    reviews
}

fn policy() -> AdmissionPolicy {
    let mut spec = stockade_core::load_policy_spec("stockade.yaml", POLICY).unwrap();
    // Pinned, as the server pins it to the day (an exemption's expiry reads it).
    spec.now = Some("2026-01-01".to_owned());
    AdmissionPolicy::new(&spec).unwrap()
}

fn admission(c: &mut Criterion) {
    let (allowed, rejected) = reviews();
    let policy = policy();
    assert!(admit_value(&allowed, &policy).allowed);
    assert!(!admit_value(&rejected, &policy).allowed);
    let mut group = c.benchmark_group("admission");
    group.bench_function("allowed", |b| {
        b.iter(|| admit_value(&allowed, &policy).allowed)
    });
    group.bench_function("rejected", |b| {
        b.iter(|| admit_value(&rejected, &policy).allowed)
    });
    group.finish();
}

criterion_group!(benches, admission);
criterion_main!(benches);
