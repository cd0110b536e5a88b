//! Runs `admit_value` on one AdmissionReview N times, for a profiler (`valgrind
//! --tool=callgrind` counts instructions, which a shared machine does not disturb):
//!
//!     admit_loop POLICY.yaml REVIEW.json N
//!
//! Prints the decision once, so that a profile is known to be of the intended review.
//! `bench/RESULTS.md` (the serve section) gives the instruction counts per review.

#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use stockade_core::admission::{AdmissionPolicy, admit_value};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, policy, review, n] = args.as_slice() else {
        eprintln!("usage: admit_loop POLICY.yaml REVIEW.json N");
        std::process::exit(2);
    };
    let mut spec =
        stockade_core::load_policy_spec(policy, &std::fs::read_to_string(policy).unwrap()).unwrap();
    spec.now = Some("2026-01-01".to_owned());
    let policy = AdmissionPolicy::new(&spec).unwrap();
    let review: Value = serde_json::from_str(&std::fs::read_to_string(review).unwrap()).unwrap();
    let n: usize = n.parse().expect("N is a number");
    let first = admit_value(&review, &policy);
    println!("{}", serde_json::to_string(&first).unwrap());
    let mut allowed = 0usize;
    for _ in 1..n {
        allowed += usize::from(admit_value(&review, &policy).allowed);
    }
    println!("allowed {allowed} of {} more", n.saturating_sub(1));
}
