//! `stockade`: scan Kubernetes manifests against hardening benchmarks.
//!
//! A thin adapter over `stockade-core`: it reads files, calls the engine, writes the report and
//! sets the exit code (0 nothing failed, 1 something failed, 2 usage or input error).

mod files;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
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
    /// Print a rule's documentation (by code, name or PSA check id).
    Explain {
        /// e.g. PSS102, allow-privilege-escalation, allowPrivilegeEscalation
        rule: String,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or directories (directories are searched for *.yaml, *.yml and *.json).
    #[arg(required = true)]
    paths: Vec<String>,
    /// Benchmark to run, as ID[@VERSION] (repeatable): pss-baseline, pss-restricted; VERSION is
    /// `latest` (default) or `v1.N`. Default: pss-restricted@latest.
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
                Format::Text => RULES
                    .iter()
                    .map(|r| {
                        format!(
                            "{}  {:<28} {:<9} {}\n",
                            r.code,
                            r.name,
                            r.severity.as_str(),
                            r.title
                        )
                    })
                    .collect(),
            };
            write_stdout(&out)?;
            Ok(0)
        }
        Command::Explain { rule } => {
            let Some(r) = find_rule(&rule) else {
                bail!("no rule `{rule}`; `stockade rules` lists them");
            };
            write_stdout(&format!(
                "# {} {}: {}\n\n{}",
                r.code,
                r.name,
                r.title,
                r.documentation()
            ))?;
            Ok(0)
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    let loaded = files::load(&args.paths);
    let input = Input {
        files: loaded
            .files
            .iter()
            .map(|f| SourceFile {
                name: &f.name,
                text: &f.text,
            })
            .collect(),
        errors: loaded.errors,
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
