//! # stockade-core
//!
//! The Stockade compliance engine: Kubernetes manifests and node facts in, a report out. It
//! checks every workload against the Pod Security Standards exactly as Kubernetes' Pod Security
//! Admission decides, for every policy version, and nodes (and control-plane static pods)
//! against the CIS Kubernetes Benchmark, and says for each check: pass, fail, manual or skip,
//! on which resource, at which line and column, and how to fix it.
//!
//! The crate does no I/O at all (no files, network, processes, environment or clock), so the
//! same code runs natively and in WebAssembly, and the same input always gives the same report.
//!
//! ```
//! use stockade_core::{evaluate, Input, Options, SourceFile};
//!
//! let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: app, image: nginx}]\n";
//! let input = Input { files: vec![SourceFile { name: "pod.yaml", text }], ..Input::default() };
//! let report = evaluate(&input, &Options::default());
//! assert!(report.results.iter().any(|r| r.rule == "PSS002" && r.location.line == 5));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// No I/O and no hash-order output (see clippy.toml), and no panics on input: errors are values.
#![deny(clippy::disallowed_methods, clippy::disallowed_types)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod admission;
pub mod benchmarks;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod images;
pub mod input;
pub mod owners;
pub mod plugins;
pub mod policy;
pub mod registry;
pub mod report;
pub mod rules;
pub mod vocab;

pub use benchmarks::{Benchmark, Selection, SelectionError};
pub use engine::{
    Executor, Input, Options, Sequential, SourceFile, VERSION, evaluate, evaluate_stream,
    evaluate_with,
};
pub use policy::{OptionsSpec, load_policy_file, load_policy_spec};
pub use registry::{RULES, RuleInfo, catalog, explain, find_rule};
pub use report::{Report, Status};
pub use rules::pss::{Level, Version};
pub use rules::{Rule, Severity};
/// The string type of reports: short texts inline, longer ones shared (cloning never copies).
pub use smol_str::SmolStr;
