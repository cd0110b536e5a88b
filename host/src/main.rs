//! `stockade`: scan Kubernetes manifests against hardening benchmarks.
//!
//! A thin adapter over `stockade-core`: it reads files, calls the engine, writes the report and
//! sets the exit code (0 nothing failed, 1 something failed, 2 usage or input error).

mod collect;
mod files;
mod fix;
mod fleet;
mod plugins;
mod rootfs;
mod serve;
mod threads;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use stockade_core::report::{Gate, html, json, junit, markdown, sarif, text};
use stockade_core::{Input, Options, Selection, Severity};

#[derive(Parser)]
#[command(
    name = "stockade",
    version,
    about = "Compliance checks for Kubernetes platforms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan manifest files and directories (`-` reads stdin).
    Scan(ScanArgs),
    /// Fix the failing findings that have a mechanical fix: print a unified diff (default) or
    /// write the files in place (`--write`).
    Fix(FixArgs),
    /// List the rules.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print a rule's documentation (by code, name or PSA check id; CIS checks by id).
    Explain {
        /// e.g. PSS102, allow-privilege-escalation, allowPrivilegeEscalation, CIS-1.2.1
        rule: String,
    },
    /// Inspect or check a rule plugin (a wasm component).
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Collect node facts (processes, files, OS) for `stockade scan --facts`.
    Collect {
        /// Read this directory as the node's root file system (default `/`).
        #[arg(long, default_value = "/")]
        root: String,
        /// Write the facts to FILE (atomically) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<String>,
        /// The node's Kubernetes version (e.g. v1.31.4), when known: it picks the CIS benchmark
        /// version on nodes without control-plane manifests.
        #[arg(long, value_name = "VERSION")]
        kubernetes_version: Option<String>,
        /// `json`: indented; `jsonl`: one line, for a log that many nodes' collectors write to
        /// (`kubectl logs ... | stockade scan --facts -`).
        #[arg(long, value_enum, default_value_t = CollectFormat::Json)]
        format: CollectFormat,
    },
    /// Serve the policy as a Kubernetes validating admission webhook (HTTPS).
    Serve(serve::ServeArgs),
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum CollectFormat {
    Json,
    Jsonl,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Print the plugin's name, version and rules.
    Inspect {
        /// The plugin (.wasm component).
        file: String,
    },
    /// Load, compile and validate the plugin (and its settings); exit 0 when it is usable.
    Check {
        /// The plugin (.wasm component).
        file: String,
        /// Settings to validate, as JSON.
        #[arg(long, value_name = "JSON")]
        settings: Option<String>,
    },
}

/// Where compiled plugins are cached.
#[derive(clap::Args, Clone)]
struct CacheArgs {
    /// Cache compiled plugins in DIR (default: $STOCKADE_CACHE_DIR, else
    /// ~/.cache/stockade/wasmtime).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        conflicts_with = "no_plugin_cache"
    )]
    plugin_cache: Option<String>,
    /// Compile plugins every time.
    #[arg(long, global = true)]
    no_plugin_cache: bool,
}

impl CacheArgs {
    fn sandbox(&self) -> Result<plugins::Sandbox> {
        let dir = match (&self.plugin_cache, self.no_plugin_cache) {
            (_, true) => None,
            (Some(dir), false) => Some(std::path::PathBuf::from(dir)),
            (None, false) => plugins::default_cache_dir(),
        };
        plugins::Sandbox::new(dir.as_deref())
    }
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Manifest files or directories (directories are searched for *.yaml, *.yml and *.json).
    #[arg(required_unless_present = "facts")]
    paths: Vec<String>,
    /// Node facts from `stockade collect` (repeatable; `-` reads stdin): a file, a directory
    /// (every *.json below it) or a stream of documents (JSON lines or one after the other),
    /// read one document at a time.
    #[arg(long = "facts", value_name = "FILE|DIR")]
    facts: Vec<String>,
    /// Benchmark to run, as ID[@VERSION] (repeatable): pss-baseline, pss-restricted (VERSION
    /// `latest` or `v1.N`), cis-k8s (VERSION 1.11 or 1.12; by default picked from each node's
    /// Kubernetes version), nsa-cisa, image-hygiene, cis-ubuntu (VERSION l1 or l2: the Level 1
    /// or Level 2 - Server profile; l1 by default), containerd, k8s-stig (the DISA Kubernetes
    /// STIG; VERSION v2r4 (the default), v2r6 or latest). Overrides the policy file's `benchmarks`. Default:
    /// pss-restricted@latest and cis-k8s.
    #[arg(long = "benchmark", short = 'b', value_name = "ID[@VERSION]")]
    benchmarks: Vec<Selection>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// In text output, list these results one by one (comma-separated or repeated): skip,
    /// manual, pass. By default skipped checks are counted per reason, manual checks per
    /// benchmark and passes per resource.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    show: Vec<ShowArg>,
    /// Exit 1 only for failing results of this severity or worse (default: any; overrides the
    /// policy's `failOn`).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<SeverityArg>,
    /// Exit 1 when a benchmark's compliance score is below N (0-100; overrides `minScore`).
    #[arg(long, value_name = "N")]
    min_score: Option<f64>,
    /// The policy file. Default: the first `stockade.yaml` in the working directory or a
    /// parent.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<String>,
    /// Do not look for a policy file.
    #[arg(long)]
    no_config: bool,
    /// An earlier JSON report: findings already in it are marked `unchanged` and do not fail
    /// the run; only new ones do.
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<String>,
    /// A rule plugin (.wasm component) to run, sandboxed (repeatable; added to the policy's
    /// `plugins`).
    #[arg(long = "plugin", value_name = "FILE.wasm")]
    plugins: Vec<String>,
    #[command(flatten)]
    cache: CacheArgs,
    /// Today's date (YYYY-MM-DD) for exemption expiry. Default: the UTC date of
    /// SOURCE_DATE_EPOCH when set (reproducible reports), else of the clock.
    #[arg(long, value_name = "DATE")]
    now: Option<String>,
    /// Files scanned at once. Default: one per core. The report is the same for any value.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<std::num::NonZeroUsize>,
}

#[derive(clap::Args)]
struct FixArgs {
    /// Manifest files or directories (`-` reads stdin, with `--diff` only).
    #[arg(required = true)]
    paths: Vec<String>,
    /// Fix only the findings of this rule (repeatable): a rule code, or a benchmark check's as
    /// reports show it (`CIS-1.2.1`, `STIG-V-242378`). Default: every fixable rule.
    #[arg(long = "rule", value_name = "CODE")]
    rules: Vec<String>,
    /// Benchmark whose findings are fixed, as for `scan` (repeatable; overrides the policy
    /// file's `benchmarks`). Default: pss-restricted@latest and cis-k8s.
    #[arg(long = "benchmark", short = 'b', value_name = "ID[@VERSION]")]
    benchmarks: Vec<Selection>,
    /// Print the changes as a unified diff (the default).
    #[arg(long, conflicts_with = "write")]
    diff: bool,
    /// Edit the files in place (atomically, keeping their mode).
    #[arg(long)]
    write: bool,
    /// The policy file (selection, exemptions: exempt findings are not fixed). Default: the
    /// first `stockade.yaml` in the working directory or a parent.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<String>,
    /// Do not look for a policy file.
    #[arg(long)]
    no_config: bool,
    /// Today's date (YYYY-MM-DD) for exemption expiry, as for `scan`.
    #[arg(long, value_name = "DATE")]
    now: Option<String>,
    /// Files scanned at once. Default: one per core.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<std::num::NonZeroUsize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ShowArg {
    Skip,
    Manual,
    Pass,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

// A scan allocates many small strings (results); mimalloc is much faster at that than glibc's
// malloc (perf showed a quarter of the time in it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The temporary file of a report being written, removed if the run is interrupted.
static PENDING: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// On SIGINT (or SIGTERM, SIGHUP) stop at once: remove the report being written, so that no
/// truncated report is ever left, and exit 130 as shells do for an interrupted command.
fn stop_cleanly_on_interrupt() {
    let installed = ctrlc::set_handler(|| {
        let pending = PENDING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(path) = pending.as_ref() {
            let _ = std::fs::remove_file(path);
        }
        eprintln!("stockade: interrupted; no report written");
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!("stockade: warning: cannot handle interrupts: {e}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The webhook handles SIGTERM itself: it drains in-flight requests before exiting.
    if !matches!(cli.command, Command::Serve(_)) {
        stop_cleanly_on_interrupt();
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("stockade: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Fix(args) => fix_command(&args),
        Command::Rules { format } => {
            let out = match format {
                ListFormat::Json => rules_json(),
                ListFormat::Text => rules_text(),
            };
            write_stdout(&out)?;
            Ok(0)
        }
        Command::Explain { rule } => {
            write_stdout(&explain(&rule)?)?;
            Ok(0)
        }
        Command::Plugin { command, cache } => plugin_command(command, &cache),
        Command::Collect {
            root,
            output,
            kubernetes_version,
            format,
        } => {
            let facts = collect::collect(Path::new(&root), kubernetes_version)
                .with_context(|| format!("cannot open the collection root {root}"))?;
            let mut text = match format {
                CollectFormat::Json => serde_json::to_string_pretty(&facts),
                CollectFormat::Jsonl => serde_json::to_string(&facts),
            }
            .context("serializing facts")?;
            text.push('\n');
            match output {
                Some(path) => {
                    write_atomically(Path::new(&path), |out| out.write_all(text.as_bytes()))?
                }
                None => write_stdout(&text)?,
            }
            Ok(0)
        }
        Command::Serve(args) => serve::run(args),
    }
}

fn rules_text() -> String {
    stockade_core::catalog()
        .iter()
        .map(|r| {
            let name = if r.benchmark == "cis-k8s" {
                "cis-k8s"
            } else {
                r.name.as_str()
            };
            format!(
                "{:<10} {name:<28} {:<9} {}\n",
                r.code,
                r.severity.as_str(),
                r.title
            )
        })
        .collect()
}

fn explain(rule: &str) -> Result<String> {
    match stockade_core::explain(rule) {
        Some(text) => Ok(text),
        None => bail!("no rule `{rule}`; `stockade rules` lists them"),
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    if args.paths.iter().any(|p| p == "-") && args.facts.iter().any(|p| p == "-") {
        bail!("stdin (`-`) can hold manifests or facts, not both");
    }
    let (mut options, policy_dir) = load_policy(&args)?;
    let mut loaded = files::load(&args.paths, options.limits.max_file_size);
    // Facts are streamed to the engine, a batch of documents at a time.
    let mut facts: Box<dyn Iterator<Item = stockade_core::facts::stream::Piece>> =
        Box::new(fleet::reader(&args.facts, options.limits.max_file_size));
    let errors = std::mem::take(&mut loaded.errors);
    let mut input = Input {
        files: loaded.sources(),
        facts: Vec::new(),
        errors,
        plugins: Vec::new(),
    };
    let mut wanted: Vec<(std::path::PathBuf, stockade_core::plugins::PluginSpec)> = options
        .policy
        .plugins
        .iter()
        .map(|spec| (policy_dir.join(&spec.path), spec.clone()))
        .collect();
    wanted.extend(args.plugins.iter().map(|path| {
        (
            std::path::PathBuf::from(path),
            stockade_core::plugins::PluginSpec {
                path: path.clone(),
                ..Default::default()
            },
        )
    }));
    if !wanted.is_empty() {
        let sandbox = args.cache.sandbox()?;
        let resources = stockade_core::plugins::plugin_resources(&input.files, options.limits);
        // Plugins see every node's facts at once: read them all first.
        let pieces: Vec<stockade_core::facts::stream::Piece> = facts.collect();
        let texts: Vec<String> = pieces
            .iter()
            .filter_map(|p| match p {
                stockade_core::facts::stream::Piece::Document(d) => Some(d.text.clone()),
                stockade_core::facts::stream::Piece::Error(_) => None,
            })
            .collect();
        input.plugins = plugins::run_all(&sandbox, &wanted, &resources, &texts);
        facts = Box::new(pieces.into_iter());
    }
    if !args.benchmarks.is_empty() {
        options.benchmarks = args.benchmarks.clone();
    }
    let mut report = stockade_core::evaluate_stream(
        &input,
        &options,
        &threads::Threads::new(args.jobs),
        &mut facts,
    );
    if let Some(path) = &args.baseline {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the baseline {path}"))?;
        let previous: stockade_core::Report = serde_json::from_str(&text).with_context(|| {
            format!("{path} is not a Stockade JSON report (`stockade scan -f json`)")
        })?;
        report.apply_baseline(&previous);
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    // JSON is streamed: a report of a large input need not exist twice in memory.
    let rendered = match args.format {
        Format::Text => Some(text::render(
            &report,
            text::TextOptions {
                color,
                show: text::Show {
                    skip: args.show.contains(&ShowArg::Skip),
                    manual: args.show.contains(&ShowArg::Manual),
                    pass: args.show.contains(&ShowArg::Pass),
                },
            },
        )),
        Format::Json => None,
        Format::Sarif => Some(sarif::render(&report)),
        Format::Junit => Some(junit::render(&report)),
        Format::Markdown => Some(markdown::render(&report)),
        Format::Html => Some(html::render(&report)),
    };
    let write = |out: &mut dyn Write| match &rendered {
        Some(text) => out.write_all(text.as_bytes()),
        None => json::write(&report, out),
    };
    match &args.output {
        Some(path) => write_atomically(Path::new(path), write)?,
        None => write_stdout_with(write)?,
    }
    let gate = Gate {
        fail_on: args
            .fail_on
            .map(|s| match s {
                SeverityArg::Low => Severity::Low,
                SeverityArg::Medium => Severity::Medium,
                SeverityArg::High => Severity::High,
                SeverityArg::Critical => Severity::Critical,
            })
            .or(options.policy.gate.fail_on),
        min_score: args.min_score.or(options.policy.gate.min_score),
    };
    Ok(u8::try_from(report.gate(&gate)).unwrap_or(2))
}

fn fix_command(args: &FixArgs) -> Result<u8> {
    let (mut options, _) = policy_options(args.config.as_ref(), args.no_config, args.now.as_ref())?;
    if !args.benchmarks.is_empty() {
        options.benchmarks = args.benchmarks.clone();
    }
    let loaded = files::load(&args.paths, options.limits.max_file_size);
    for e in &loaded.errors {
        eprintln!("stockade: {}: {}", e.file, e.message);
    }
    let mut stdout = std::io::stdout().lock();
    let code = fix::run(
        &loaded,
        &options,
        &fix::FixRun {
            rules: &args.rules,
            write: args.write && !args.diff,
        },
        &threads::Threads::new(args.jobs),
        &mut stdout,
    )?;
    stdout.flush().context("writing to stdout")?;
    Ok(if loaded.errors.is_empty() { code } else { 2 })
}

/// The policy file: `--config`, else the first `stockade.yaml` from the working directory up;
/// today's date from `--now` or the clock.
fn load_policy(args: &ScanArgs) -> Result<(Options, std::path::PathBuf)> {
    policy_options(args.config.as_ref(), args.no_config, args.now.as_ref())
}

fn policy_options(
    config: Option<&String>,
    no_config: bool,
    now: Option<&String>,
) -> Result<(Options, std::path::PathBuf)> {
    let path = match (config, no_config) {
        (Some(path), _) => Some(std::path::PathBuf::from(path)),
        (None, true) => None,
        (None, false) => find_policy_file()?,
    };
    let mut options = match &path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the policy file {}", path.display()))?;
            let shown = path.display().to_string();
            stockade_core::load_policy_file(&shown, &text)
                .map_err(|e| anyhow::anyhow!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))?
        }
        None => Options::default(),
    };
    let today = match now {
        Some(text) => stockade_core::policy::Date::parse(text)
            .with_context(|| format!("--now {text:?} is not a date (YYYY-MM-DD)"))?,
        None => {
            let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
            let instant = match epoch.as_deref().map(str::trim) {
                Some(secs) => secs
                    .parse::<i64>()
                    .ok()
                    .and_then(|s| jiff::Timestamp::from_second(s).ok())
                    .with_context(|| {
                        format!("SOURCE_DATE_EPOCH {secs:?} is not a Unix timestamp")
                    })?,
                None => jiff::Timestamp::now(),
            };
            let date = jiff::tz::Offset::UTC
                .to_datetime(instant)
                .date()
                .to_string();
            stockade_core::policy::Date::parse(&date)
                .with_context(|| format!("the clock's date {date} is out of range"))?
        }
    };
    // A `now` in the policy file pins the date (reproducible runs); --now overrides it.
    if now.is_some() || options.policy.now.is_none() {
        options.policy.now = Some(today);
    }
    // Plugin paths in the policy are relative to the policy file.
    let dir = path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok((options, dir))
}

fn plugin_command(command: PluginCommand, cache: &CacheArgs) -> Result<u8> {
    let sandbox = cache.sandbox()?;
    let (file, settings) = match &command {
        PluginCommand::Inspect { file } => (file, None),
        PluginCommand::Check { file, settings } => (file, settings.as_ref()),
    };
    let settings = match settings {
        Some(text) => Some(
            serde_json::from_str::<serde_json::Value>(text)
                .with_context(|| format!("--settings is not JSON: {text}"))?,
        ),
        None => None,
    };
    let spec = stockade_core::plugins::PluginSpec {
        path: file.clone(),
        settings,
        ..Default::default()
    };
    let loaded = match sandbox.load(Path::new(file), &spec) {
        Ok(loaded) => loaded,
        Err(message) => bail!("plugin {file}: {message}"),
    };
    match command {
        PluginCommand::Inspect { .. } => {
            let mut out = serde_json::to_string_pretty(&loaded.info).context("serializing")?;
            out.push('\n');
            write_stdout(&out)?;
        }
        PluginCommand::Check { .. } => {
            if let Err(message) = sandbox.validate(&loaded, &spec) {
                bail!("plugin {file}: {message}");
            }
            write_stdout(&format!(
                "ok: {} {} ({} rules, contract {}; {})\n",
                loaded.info.name,
                loaded.info.version,
                loaded.info.rules.len(),
                plugins::CONTRACT,
                if loaded.from_cache {
                    "loaded from the cache"
                } else {
                    "compiled"
                }
            ))?;
        }
    }
    Ok(0)
}

fn find_policy_file() -> Result<Option<std::path::PathBuf>> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    Ok(cwd
        .ancestors()
        .map(|dir| dir.join(files::POLICY_FILE))
        .find(|candidate| candidate.is_file()))
}

fn rules_json() -> String {
    let mut out = serde_json::to_string_pretty(&stockade_core::catalog()).unwrap_or_default();
    out.push('\n');
    out
}

fn write_stdout(text: &str) -> Result<()> {
    write_stdout_with(|out| out.write_all(text.as_bytes()))
}

fn write_stdout_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`stockade scan . | head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("writing to stdout"),
    }
}

/// Writes through a temporary file in the same directory and renames it into place, so that an
/// interrupted run never leaves a truncated report. A path that exists and is not a regular file
/// (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming over it would replace the
/// device or pipe with a file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        return write(&mut file).with_context(|| format!("cannot write {}", path.display()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let lock = || {
        PENDING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    *lock() = Some(tmp.path().to_path_buf());
    let written = write(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()));
    // The rename happens under the lock: an interrupt sees either the temporary file (and
    // removes it) or the finished report, never a half-renamed state.
    let mut pending = lock();
    *pending = None;
    let result = match written {
        Ok(()) => tmp
            .persist(path)
            .map(drop)
            // Dropping the temporary file (inside the error) deletes it, still under the lock.
            .map_err(|e| anyhow::Error::from(e.error))
            .with_context(|| format!("cannot write {}", path.display())),
        Err(e) => {
            drop(tmp);
            Err(e)
        }
    };
    drop(pending);
    result
}
