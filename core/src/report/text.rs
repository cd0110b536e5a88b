//! The human report: findings grouped by resource, each with file:line:col and a fix.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{CheckResult, ErrorLevel, Finding, Report, Status, escape_controls as e};

/// Options for the text report.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Use ANSI colours (the CLI turns this on for terminals only).
    pub color: bool,
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}

const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Renders the report for people.
pub fn render(report: &Report, options: TextOptions) -> String {
    let p = Painter {
        color: options.color,
    };
    let mut out = String::new();

    // Results are grouped by resource (its file and identity), in the order resources first
    // appear; cross-resource checks come after the per-resource ones but join their group.
    // A finding several benchmark runs report is shown once, with every run named.
    let mut groups: Vec<(&CheckResult, Vec<Finding<'_>>, usize)> = Vec::new();
    let mut group_of: std::collections::BTreeMap<
        (&str, &std::sync::Arc<super::ResourceRef>),
        usize,
    > = std::collections::BTreeMap::new();
    for finding in report.findings() {
        let r = finding.first;
        let key = (r.location.file.as_str(), &r.resource);
        let at = *group_of.entry(key).or_insert_with(|| {
            groups.push((r, Vec::new(), 0));
            groups.len() - 1
        });
        if let Some((_, fails, passes)) = groups.get_mut(at) {
            if r.status == Status::Pass {
                *passes += 1;
            } else {
                fails.push(finding);
            }
        }
    }
    let clean: Vec<String> = groups
        .iter()
        .filter(|(_, findings, _)| findings.is_empty())
        .map(|(first, _, _)| e(&first.resource.display()).into_owned())
        .collect();
    for (first, findings, passes) in &groups {
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{}  {}",
            p.paint(BOLD, &e(&first.resource.display())),
            p.paint(DIM, &e(&first.location.file))
        );
        for finding in findings {
            let f = finding.first;
            let marker = match f.status {
                Status::Fail | Status::Error => p.paint(RED, "✗"),
                Status::Warn | Status::Manual => p.paint(YELLOW, "!"),
                Status::Pass => p.paint(GREEN, "✓"),
                Status::Skip => p.paint(DIM, "-"),
                Status::Exempt => p.paint(DIM, "~"),
            };
            let _ = writeln!(
                out,
                "  {marker} {}:{}:{} {} {} [{}] {}",
                e(&f.location.file),
                f.location.line,
                f.location.column,
                p.paint(BOLD, &e(&f.rule)),
                e(&f.name),
                f.severity.as_str(),
                p.paint(DIM, &finding.benchmarks()),
            );
            let _ = writeln!(out, "      {}", e(&f.message));
            if let Some(x) = &f.exemption {
                let until = x
                    .expires
                    .as_ref()
                    .map(|d| format!(", until {d}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "      {} {} ({}{until})",
                    p.paint(DIM, "exempt:"),
                    e(&x.reason),
                    e(&x.source)
                );
                continue;
            }
            if f.baseline_state == Some(super::BaselineState::Unchanged) {
                let _ = writeln!(out, "      {}", p.paint(DIM, "in the baseline"));
            }
            if let Some(source) = &f.location.helm_source {
                let _ = writeln!(
                    out,
                    "      {}",
                    p.paint(DIM, &e(&format!("rendered from {source}")))
                );
            }
            if let Some(source) = f.evidence.as_ref().and_then(|e| e.source.as_ref()) {
                let _ = writeln!(out, "      {} {}", p.paint(DIM, "source:"), e(source));
            }
            if !f.remediation.is_empty() {
                // A remediation may span lines (a file to write): each further line is
                // indented under its result, so none can pass for a line of the report.
                let fix: Vec<_> = f.remediation.split('\n').map(e).collect();
                let _ = writeln!(
                    out,
                    "      {} {}",
                    p.paint(DIM, "fix:"),
                    fix.join("\n        ")
                );
            }
        }
        if *passes > 0 {
            let _ = writeln!(
                out,
                "  {} {passes} {} passed",
                p.paint(GREEN, "✓"),
                if *passes == 1 { "check" } else { "checks" }
            );
        }
        out.push('\n');
    }

    if !clean.is_empty() {
        let _ = writeln!(
            out,
            "{} {} passed every check: {}\n",
            p.paint(GREEN, "✓"),
            if clean.len() == 1 {
                "1 resource".to_owned()
            } else {
                format!("{} resources", clean.len())
            },
            clean.join(", ")
        );
    }

    if !report.admission.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                BOLD,
                "Pod Security Admission (namespace labels in the input)"
            )
        );
        for v in &report.admission {
            let (marker, what) = match v.effect.as_str() {
                "allowed" => (p.paint(GREEN, "✓"), "allowed".to_owned()),
                "rejected" => (p.paint(RED, "✗"), "rejected".to_owned()),
                "podsRejected" => (p.paint(RED, "✗"), "pods rejected".to_owned()),
                other => (p.paint(YELLOW, "!"), other.to_owned()),
            };
            let _ = writeln!(
                out,
                "  {marker} {} ({}:{}) {what} by {}={}:{}",
                e(&v.resource.display()),
                e(&v.location.file),
                v.location.line,
                v.mode.as_str(),
                v.level.as_str(),
                v.version
            );
            if !v.message.is_empty() {
                let _ = writeln!(out, "      {}", e(&v.message));
            }
        }
        out.push('\n');
    }

    for x in &report.errors {
        let label = match x.level {
            ErrorLevel::Error => p.paint(RED, "error"),
            ErrorLevel::Warning => p.paint(YELLOW, "warning"),
        };
        if x.line == 0 {
            let _ = writeln!(out, "{label}: {}: {}", e(&x.file), e(&x.message));
        } else {
            let _ = writeln!(
                out,
                "{label}: {}:{}:{}: {}",
                e(&x.file),
                x.line,
                x.column,
                e(&x.message)
            );
        }
    }
    if !report.errors.is_empty() {
        out.push('\n');
    }

    let s = &report.summary;
    let benchmarks: Vec<&str> = report.benchmarks.iter().map(|b| b.id.as_str()).collect();
    let _ = write!(
        out,
        "{} files, {} resources, {}: {} passed, {} failed",
        s.files,
        s.resources,
        benchmarks.join(", "),
        p.paint(GREEN, &s.pass.to_string()),
        if s.fail > 0 {
            p.paint(RED, &s.fail.to_string())
        } else {
            s.fail.to_string()
        },
    );
    for (n, what) in [
        (s.warn, "warnings"),
        (s.manual, "manual"),
        (s.skip, "skipped"),
        (s.error, "check errors"),
        (s.exempt, "exempt"),
        (s.unchanged, "in the baseline"),
        (s.input_errors, "input errors"),
        (s.input_warnings, "input warnings"),
        (s.admission_denied, "rejected at admission"),
    ] {
        if n > 0 {
            let _ = write!(out, ", {n} {what}");
        }
    }
    out.push('\n');
    out
}
