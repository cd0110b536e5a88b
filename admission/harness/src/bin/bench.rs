//! The policy's size and speed: module bytes, load (compile) time, and the time of one
//! `validate` call for typical requests, through the waPC host as a policy server calls it.
//!
//! `bench POLICY.wasm [CALLS]` prints a markdown table (bench/admission.sh runs it).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use stockade_admission_harness::Policy;

const DEPLOYMENT: &str =
    include_str!("../../../../core/tests/fixtures/admission/create-privileged-deployment.json");
const POD: &str =
    include_str!("../../../../core/tests/fixtures/admission/create-restricted-pod.json");

fn request(review: &str) -> Result<Value> {
    let review: Value = serde_json::from_str(review)?;
    review
        .get("request")
        .cloned()
        .context("fixture without request")
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().context("usage: bench POLICY.wasm [CALLS]")?;
    let calls: usize = args.get(1).map_or(Ok(500), |n| n.parse())?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    let start = Instant::now();
    let policy = Policy::from_bytes(&bytes)?;
    let load = start.elapsed();

    // The example policy: PSS restricted enforced, CIS section 5 as warnings.
    let settings = json!({
        "benchmarks": ["pss-restricted@latest", "cis-k8s@1.12"],
        "admission": {
            "enforce": {"benchmarks": ["pss-restricted@latest"]},
            "warn": {"benchmarks": ["cis-k8s@1.12"]},
        }
    });
    let deployment = request(DEPLOYMENT)?;
    let pod = request(POD)?;
    let mut scaled = deployment.clone();
    scaled["operation"] = json!("UPDATE");
    scaled["oldObject"] = scaled["object"].clone();
    scaled["object"]["spec"]["replicas"] = json!(5);
    let mut relabelled = pod.clone();
    relabelled["operation"] = json!("UPDATE");
    relabelled["oldObject"] = relabelled["object"].clone();
    relabelled["object"]["metadata"]["labels"] = json!({"tier": "api"});
    let cases = [
        ("restricted Pod, CREATE, allowed", pod),
        ("privileged Deployment, CREATE, rejected", deployment),
        (
            "privileged Deployment, UPDATE (replicas), old and new evaluated",
            scaled,
        ),
        ("Pod UPDATE (labels only), not re-evaluated", relabelled),
    ];
    println!(
        "module: {} bytes ({:.1} MiB); loaded (compiled by wasmtime) in {} ms\n",
        bytes.len(),
        bytes.len() as f64 / 1_048_576.0,
        load.as_millis()
    );
    println!("| request | median | p99 | calls |");
    println!("| --- | --- | --- | --- |");
    for (name, req) in cases {
        let payload = json!({"request": req, "settings": settings}).to_string();
        for _ in 0..10 {
            policy.validate_raw(&payload)?;
        }
        let mut times: Vec<Duration> = Vec::with_capacity(calls);
        for _ in 0..calls {
            let t = Instant::now();
            policy.validate_raw(&payload)?;
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {calls} |",
            at(0.5).as_secs_f64() * 1000.0,
            at(0.99).as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
