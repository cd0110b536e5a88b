//! The single entry point: text in, [`Report`] out.
//!
//! [`evaluate_with`] runs five stages, one file each, so that a reader can follow a manifest
//! from the input to its results:
//!
//! 1. [`gather`]: the report's frame, plugin findings by object, the files sorted by what they
//!    hold (manifests, node facts, image reports) and the image reports read;
//! 2. [`objects`]: each manifest file a job (on the [`Executor`]'s threads): parsed, and each
//!    object evaluated against every selected rule;
//! 3. [`cluster`]: the checks that need several objects, image reports, manual controls, PSA's
//!    verdicts for labelled namespaces ([`psa`] words them);
//! 4. [`nodes`]: the node benchmarks on facts (streamed, a batch of nodes at a time, on the
//!    [`Executor`]'s threads; with several nodes, a fleet view), and CIS on control-plane
//!    static pods;
//! 5. [`merge`]: the results in input order, then owners, the policy and admission; then the
//!    summary; last, each failing result of a fixable rule gets its fix ([`crate::fix`]).

mod cluster;
mod gather;
mod merge;
mod nodes;
mod objects;
mod psa;

use crate::benchmarks::Selection;
use crate::facts::stream::Piece;
pub use crate::input::SourceFile;
use crate::input::yaml::Limits;
use crate::policy::Policy;
use crate::report::Report;
use crate::vocab::InputError;
pub use psa::{psa_decision, psa_verdict};

/// Everything to evaluate.
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    /// Manifest files, in the order they should be reported.
    pub files: Vec<SourceFile<'a>>,
    /// Node facts documents (see [`crate::facts`]).
    pub facts: Vec<SourceFile<'a>>,
    /// Problems the caller met before evaluation (e.g. unreadable files); they are kept in the
    /// report so that nothing is lost silently.
    pub errors: Vec<InputError>,
    /// What rule plugins found (the CLI runs them on [`crate::plugins::plugin_resources`]).
    pub plugins: Vec<crate::plugins::PluginRun>,
}

/// How to evaluate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The benchmarks to run; empty means [`Selection::defaults`].
    pub benchmarks: Vec<Selection>,
    /// Bounds on each YAML document.
    pub limits: Limits,
    /// Selection, severities, settings, exemptions, gates.
    pub policy: Policy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            benchmarks: Selection::defaults(),
            limits: Limits::default(),
            policy: Policy::default(),
        }
    }
}

/// The engine's version, as reports state it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the engine runs independent jobs (one a manifest file: parsing it and evaluating its
/// objects). The core never starts a thread; a host that can passes an executor that does (the
/// CLI uses every core). Results are merged in input order, so the report is byte-identical
/// whichever executor ran the jobs and in whatever order they finished.
pub trait Executor: Sync {
    /// Calls `job(0)` to `job(count - 1)`, each once, in any order, on any threads, and returns
    /// when all have returned. A job that is not run is run afterwards by the engine itself, so
    /// a faulty executor costs time, never results.
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync));
}

/// Runs the jobs one after the other on the calling thread (WebAssembly, and [`evaluate`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Executor for Sequential {
    fn run(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in 0..count {
            job(i);
        }
    }
}

/// Evaluates manifests against the selected benchmarks. Never fails and never panics on input:
/// problems are reported as input errors, and everything readable is still evaluated.
pub fn evaluate(input: &Input<'_>, options: &Options) -> Report {
    evaluate_with(input, options, &Sequential)
}

/// [`evaluate`], with the manifest files scanned by `executor` (in parallel, if it can).
pub fn evaluate_with(input: &Input<'_>, options: &Options, executor: &dyn Executor) -> Report {
    evaluate_stream(input, options, executor, &mut std::iter::empty())
}

/// [`evaluate_with`], with more node facts documents read from `facts` after those of `input`,
/// one batch at a time (see [`crate::facts::stream`]): a host streaming a fleet's facts never
/// holds more than a batch of documents, only their results.
pub fn evaluate_stream(
    input: &Input<'_>,
    options: &Options,
    executor: &dyn Executor,
    facts: &mut dyn Iterator<Item = Piece>,
) -> Report {
    run(input, options, executor, facts, None, None, true)
}

/// What an evaluation prepares from its options alone, before reading any input: the
/// benchmarks to run, each manifest benchmark's rules and controls, each PSS run's checks, the
/// messages of PSS passes. Admission prepares it once per policy ([`evaluate_object`]).
pub(crate) struct Plan {
    selections: Vec<crate::benchmarks::Selection>,
    runs: Vec<objects::ManifestRun>,
    pss_runs: Vec<objects::PssRun>,
    pss_passes: objects::PssPasses,
}

impl Plan {
    /// The plan of an evaluation with `options`.
    pub(crate) fn new(options: &Options) -> Plan {
        let selections = gather::selections(options);
        let runs = objects::manifest_runs(&selections, &options.policy.filter);
        let pss_runs = selections
            .iter()
            .filter_map(|s| objects::PssRun::new(*s, &options.policy.filter))
            .collect();
        Plan {
            selections,
            runs,
            pss_runs,
            pss_passes: objects::PssPasses::new(),
        }
    }
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("selections", &self.selections)
            .finish_non_exhaustive()
    }
}

/// [`evaluate`] of one manifest file, `text`, that is the pretty-printed JSON
/// (`serde_json::to_string_pretty`) of `object`: admission's evaluation of a request's object.
/// The report is the one [`evaluate`] gives, except that it has no summary or scores and no
/// result carries its fix (admission reads only the results and errors), and the object's tree is built from `object` rather than read back from
/// the text, where that gives the same tree ([`crate::input::json_tree`]).
///
/// `plan` is [`Plan::new`]`(options)`, made once for any number of objects.
pub(crate) fn evaluate_object(
    name: &str,
    text: &str,
    object: &serde_json::Value,
    options: &Options,
    plan: &Plan,
) -> Report {
    let input = Input {
        files: vec![SourceFile { name, text }],
        ..Input::default()
    };
    run(
        &input,
        options,
        &Sequential,
        &mut std::iter::empty(),
        Some(plan),
        Some(object),
        false,
    )
}

/// The five stages. `plan`: [`Plan::new`]`(options)` if the caller has it; `object`: the JSON
/// value every manifest file of the input prints ([`evaluate_object`]); `complete`: whether the
/// report gets its summary and scores and each failing result its fix (admission reads only
/// the results and errors).
fn run(
    input: &Input<'_>,
    options: &Options,
    executor: &dyn Executor,
    facts: &mut dyn Iterator<Item = Piece>,
    plan: Option<&Plan>,
    object: Option<&serde_json::Value>,
    complete: bool,
) -> Report {
    // 1. Gather: the report's frame, plugin findings by object, the files sorted by what they
    //    hold (manifests, node facts, image reports), image reports read.
    let planned;
    let plan = match plan {
        Some(plan) => plan,
        None => {
            planned = Plan::new(options);
            &planned
        }
    };
    let (selections, runs) = (&plan.selections, &plan.runs);
    let mut report = gather::new_report(selections, input);
    let mut plugins = gather::plugin_findings(input, &mut report);
    let files = gather::sort_files(input, options, &mut report);

    // 2. Objects: each manifest file is a job that parses it and evaluates its objects.
    let mut context = objects::FileContext::new(
        options,
        plan,
        &files.images,
        !plugins.by_resource.is_empty(),
    );
    context.object = object;
    let mut scans = objects::scan_files(&files.manifests, &context, executor);
    let (index, objects) = merge::index_objects(&mut report, &mut scans);

    // 3 and 4. The results that follow the objects' own (checks across objects, node
    // benchmarks) are computed before those are moved into the report, so that the report's
    // result list is allocated once at its final size: growing a list of a large input's
    // results by doubling held up to three times their memory.
    let mut later = Vec::new();
    plugins.place(objects, input, &mut later);
    let first_file = report.inputs.first().map(|i| i.file.clone());
    cluster::cross_object_results(
        runs,
        &index,
        &files.images,
        &options.policy.settings,
        first_file.as_deref(),
        &mut later,
    );
    let mut pieces = input
        .facts
        .iter()
        .chain(files.facts.iter().copied())
        .flat_map(|file| nodes::facts_pieces(file, options.limits))
        .chain(facts);
    let nodes = nodes::NodeContext {
        selections,
        options,
        os_scans: &files.os_scans,
    };
    nodes::evaluate_facts(&mut pieces, &nodes, executor, &mut report, &mut later);

    // 5. Merge, in input order; then what reads every result (owners, the policy, admission).
    let mut report = merge::merge(
        report,
        scans,
        plugins.by_resource,
        later,
        &index,
        input,
        options,
    );
    if complete {
        report.summarize();
        // Every failing result of a fixable rule gets the edit that makes it pass.
        crate::fix::attach(&mut report.results, &files.manifests);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AdmissionMode, Status};
    use crate::rules::pss::Level;

    fn run(text: &str, benchmarks: &[&str]) -> Report {
        let input = Input {
            files: vec![SourceFile {
                name: "t.yaml",
                text,
            }],
            ..Input::default()
        };
        let options = Options {
            benchmarks: benchmarks
                .iter()
                .map(|b| b.parse().expect("valid"))
                .collect(),
            ..Options::default()
        };
        evaluate(&input, &options)
    }

    const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: true\n";

    #[test]
    fn fails_carry_the_field_line_and_pointer() {
        let report = run(PRIVILEGED_POD, &["pss-baseline"]);
        let fail = report
            .results
            .iter()
            .find(|r| r.status == Status::Fail)
            .expect("a failure");
        assert_eq!(fail.rule, "PSS003");
        assert_eq!((fail.location.line, fail.location.column), (11, 7));
        assert_eq!(
            fail.pointer,
            "/spec/containers/0/securityContext/privileged"
        );
        assert_eq!(fail.container.as_deref(), Some("app"));
        assert_eq!(report.summary.fail, 1);
        assert_eq!(report.summary.pass, 11);
        assert_eq!(report.exit_code(), 1);
    }

    #[test]
    fn non_workloads_pass_through() {
        let report = run(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n",
            &["pss-restricted"],
        );
        assert!(report.results.is_empty());
        assert_eq!(report.summary.resources, 1);
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn namespace_labels_give_admission_verdicts() {
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.29\n    pod-security.kubernetes.io/warn: restricted\n---\n";
        let report = run(&format!("{ns}{PRIVILEGED_POD}"), &[]);
        assert_eq!(report.admission.len(), 2);
        let enforce = &report.admission[0];
        assert!(!enforce.allowed);
        assert_eq!(enforce.effect, "rejected");
        assert_eq!(
            enforce.message,
            "pods \"p\" is forbidden: violates PodSecurity \"baseline:v1.29\": privileged (container \"app\" must not set securityContext.privileged=true)"
        );
        assert_eq!(report.admission[1].mode, AdmissionMode::Warn);
        assert!(report.admission[1].message.starts_with("would violate PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true), allowPrivilegeEscalation != false"));
        assert_eq!(report.summary.admission_denied, 1);
    }

    #[test]
    fn invalid_namespace_labels_fall_back_like_psa() {
        let text = "kind: Namespace\nmetadata:\n  name: apps\n  labels:\n    pod-security.kubernetes.io/enforce: strict\n    pod-security.kubernetes.io/enforce-version: \"1.2.3\"\n---\nkind: Pod\nmetadata: {name: p, namespace: apps}\nspec:\n  containers: [{name: a, image: app}]\n";
        let report = run(text, &[]);
        assert_eq!(report.admission[0].level, Level::Restricted);
        assert_eq!(report.admission[0].version, "latest");
        assert_eq!(report.summary.input_warnings, 2);
    }

    #[test]
    fn bad_documents_are_reported_and_the_rest_evaluated() {
        let text = format!("kind: Pod\nmetadata: {{name: a\n---\n{PRIVILEGED_POD}");
        let report = run(&text, &["pss-baseline"]);
        assert_eq!(report.summary.input_errors, 1);
        assert_eq!(report.summary.fail, 1);
        assert_eq!(report.exit_code(), 2);
    }

    #[test]
    fn results_are_deterministic() {
        let a = crate::report::json::render(&run(
            PRIVILEGED_POD,
            &["pss-baseline", "pss-restricted@v1.20"],
        ));
        let b = crate::report::json::render(&run(
            PRIVILEGED_POD,
            &["pss-baseline", "pss-restricted@v1.20"],
        ));
        assert_eq!(a, b);
    }
}
