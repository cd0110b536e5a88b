//! `stockade`: scan Kubernetes manifests against hardening benchmarks.
//!
//! A thin adapter over `stockade-core`: it reads files, calls the engine, writes the report and
//! sets the exit code (0 nothing failed, 1 something failed, 2 usage or input error).

mod collect;
mod files;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use stockade_core::benchmarks::cis;
use stockade_core::report::{json, text};
use stockade_core::{Input, Options, RULES, Selection, SourceFile, find_rule};

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
    /// List the rules.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a rule's documentation (by code, name or PSA check id; CIS checks by id).
    Explain {
        /// e.g. PSS102, allow-privilege-escalation, allowPrivilegeEscalation, CIS-1.2.1
        rule: String,
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
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Manifest files or directories (directories are searched for *.yaml, *.yml and *.json).
    #[arg(required_unless_present = "facts")]
    paths: Vec<String>,
    /// Node facts from `stockade collect` (repeatable; `-` reads stdin).
    #[arg(long = "facts", value_name = "FILE")]
    facts: Vec<String>,
    /// Benchmark to run, as ID[@VERSION] (repeatable): pss-baseline, pss-restricted (VERSION
    /// `latest` or `v1.N`), cis-k8s (VERSION 1.11 or 1.12; by default picked from each node's
    /// Kubernetes version). Default: pss-restricted@latest and cis-k8s.
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
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Rules { format } => {
            let out = match format {
                Format::Json => rules_json(),
                Format::Text => rules_text(),
            };
            write_stdout(&out)?;
            Ok(0)
        }
        Command::Explain { rule } => {
            write_stdout(&explain(&rule)?)?;
            Ok(0)
        }
        Command::Collect {
            root,
            output,
            kubernetes_version,
        } => {
            let facts = collect::collect(Path::new(&root), kubernetes_version);
            let mut text = serde_json::to_string_pretty(&facts).context("serializing facts")?;
            text.push('\n');
            match output {
                Some(path) => write_atomically(Path::new(&path), &text)?,
                None => write_stdout(&text)?,
            }
            Ok(0)
        }
    }
}

fn rules_text() -> String {
    let line = |code: &str, name: &str, severity: &str, title: &str| {
        format!("{code:<10} {name:<28} {severity:<9} {title}\n")
    };
    let mut out: String = RULES
        .iter()
        .map(|r| line(r.code, r.name, r.severity.as_str(), r.title))
        .collect();
    for c in latest_cis_checks() {
        out.push_str(&line(&c.code(), "cis-k8s", c.severity.as_str(), &c.title));
    }
    out
}

fn explain(rule: &str) -> Result<String> {
    if let Some(r) = find_rule(rule) {
        return Ok(format!(
            "# {} {}: {}\n\n{}",
            r.code,
            r.name,
            r.title,
            r.documentation()
        ));
    }
    let id = rule
        .strip_prefix("CIS-")
        .or_else(|| rule.strip_prefix("cis-"))
        .unwrap_or(rule);
    let versions: Vec<&cis::CheckDef> = cis::checks().iter().filter(|c| c.id == id).collect();
    let Some(last) = versions.last() else {
        bail!("no rule `{rule}`; `stockade rules` lists them");
    };
    let mut text = format!(
        "# {} (CIS Kubernetes Benchmark): {}\n\nComponent: {}\nSeverity: {}\n",
        last.code(),
        last.title,
        last.component.component().binary(),
        last.severity.as_str()
    );
    for c in &versions {
        let which = if c.only.is_empty() {
            "1.11 and 1.12".to_owned()
        } else {
            c.only.join(", ")
        };
        text.push_str(&format!("\n## Benchmark {which}\n"));
        if let Some(files) = &c.files {
            let want = files
                .mode
                .as_ref()
                .map(|m| format!("mode {m} or more restrictive"))
                .or_else(|| files.owner.as_ref().map(|o| format!("owned by {o}")))
                .unwrap_or_default();
            text.push_str(&format!("Checks the files of {:?}: {want}\n", files.role));
        }
        if let Some(test) = &c.test {
            text.push_str(&format!("Test: {}\n", test_json(test)));
        }
        if let Some(manual) = &c.manual {
            text.push_str(&format!("Manual: {manual}\n"));
        }
        text.push_str(&format!("Fix: {}\n", c.remediation));
    }
    Ok(text)
}

/// The checks of the newest CIS version (for listing).
fn latest_cis_checks() -> impl Iterator<Item = &'static cis::CheckDef> {
    cis::checks()
        .iter()
        .filter(|c| c.in_version(cis::CisVersion::NEWEST))
}

fn test_json(test: &cis::Test) -> serde_json::Value {
    match test {
        cis::Test::All { all } => {
            serde_json::json!({"all": all.iter().map(test_json).collect::<Vec<_>>()})
        }
        cis::Test::Any { any } => {
            serde_json::json!({"any": any.iter().map(test_json).collect::<Vec<_>>()})
        }
        cis::Test::Item(i) => {
            let mut v = serde_json::Map::new();
            for (k, val) in [
                ("flag", i.flag.clone()),
                ("config", i.config.clone()),
                ("env", i.env.clone()),
                ("op", i.op.map(|o| format!("{o:?}").to_lowercase())),
                ("value", i.value.clone()),
                ("default", i.default.clone()),
            ] {
                if let Some(val) = val {
                    v.insert(k.to_owned(), serde_json::Value::String(val));
                }
            }
            if let Some(set) = i.set {
                v.insert("set".to_owned(), serde_json::Value::Bool(set));
            }
            serde_json::Value::Object(v)
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    if args.paths.iter().any(|p| p == "-") && args.facts.iter().any(|p| p == "-") {
        bail!("stdin (`-`) can hold manifests or facts, not both");
    }
    let loaded = files::load(&args.paths);
    let facts = files::load_files(&args.facts);
    let mut errors = loaded.errors;
    errors.extend(facts.errors);
    let input = Input {
        files: loaded
            .files
            .iter()
            .map(|f| SourceFile {
                name: &f.name,
                text: &f.text,
            })
            .collect(),
        facts: facts
            .files
            .iter()
            .map(|f| SourceFile {
                name: &f.name,
                text: &f.text,
            })
            .collect(),
        errors,
    };
    let options = Options {
        benchmarks: args.benchmarks,
        ..Options::default()
    };
    let report = stockade_core::evaluate(&input, &options);
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let rendered = match args.format {
        Format::Json => json::render(&report),
        Format::Text => text::render(&report, text::TextOptions { color }),
    };
    match &args.output {
        Some(path) => write_atomically(Path::new(path), &rendered)?,
        None => write_stdout(&rendered)?,
    }
    Ok(u8::try_from(report.exit_code()).unwrap_or(2))
}

fn rules_json() -> String {
    let rules: Vec<_> = RULES
        .iter()
        .map(|r| {
            let stockade_core::rules::RuleKind::Pss(check) = &r.kind;
            serde_json::json!({
                "code": r.code,
                "name": r.name,
                "title": r.title,
                "severity": r.severity,
                "remediation": r.remediation,
                "controls": [{"benchmark": "pss", "id": check.id, "level": check.level, "since": format!("v1.{}", check.since)}],
                "documentation": r.documentation(),
            })
        })
        .chain(latest_cis_checks().map(|c| {
            serde_json::json!({
                "code": c.code(),
                "name": "cis-k8s",
                "title": c.title,
                "severity": c.severity,
                "remediation": c.remediation,
                "controls": [{"benchmark": "cis-k8s", "id": c.id}],
                "documentation": c.manual.clone().unwrap_or_default(),
            })
        }))
        .collect();
    let mut out = serde_json::to_string_pretty(&rules).unwrap_or_default();
    out.push('\n');
    out
}

fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`stockade scan . | head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("writing to stdout"),
    }
}

/// Writes through a temporary file in the same directory and renames it into place, so that an
/// interrupted run never leaves a truncated report.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
