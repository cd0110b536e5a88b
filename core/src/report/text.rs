//! The human report: findings grouped by resource, each with file:line:col and a fix.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{CheckResult, ErrorLevel, Finding, Report, ResourceRef, Status, escape_controls as e};

/// Options for the text report.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Use ANSI colours (the CLI turns this on for terminals only).
    pub color: bool,
    /// Which quiet statuses are listed one by one rather than counted.
    pub show: Show,
}

/// The statuses the text report lists one by one only when asked (`--show skip,manual,pass`).
/// By default skipped checks are counted per reason, manual checks per benchmark run, and
/// passes per resource: failures, errors, warnings and exemptions are what a reader acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Show {
    /// List every skipped check.
    pub skip: bool,
    /// List every manual check.
    pub manual: bool,
    /// List every passed check.
    pub pass: bool,
}

/// The order of results inside a resource: what to act on first.
fn rank(status: Status) -> u8 {
    match status {
        Status::Fail | Status::Error => 0,
        Status::Warn => 1,
        Status::Exempt => 2,
        Status::Manual => 3,
        Status::Skip => 4,
        Status::Pass => 5,
    }
}

/// Counts of results not listed one by one, keyed in order of first appearance, with the
/// resources they concern.
#[derive(Default)]
struct Tally<'a> {
    keys: Vec<String>,
    counts: std::collections::BTreeMap<String, (usize, BTreeSet<&'a ResourceRef>)>,
}

impl<'a> Tally<'a> {
    fn add(&mut self, key: String, resource: &'a ResourceRef) {
        let entry = self.counts.entry(key.clone()).or_insert_with(|| {
            self.keys.push(key);
            (0, BTreeSet::new())
        });
        entry.0 += 1;
        entry.1.insert(resource);
    }

    fn iter(&self) -> impl Iterator<Item = (&str, usize, &BTreeSet<&'a ResourceRef>)> {
        self.keys.iter().filter_map(|k| {
            self.counts
                .get(k)
                .map(|(n, resources)| (k.as_str(), *n, resources))
        })
    }
}

/// Why a check was skipped, without the check's title that starts its message
/// (`API server ... is mode 600 or stricter: kube-apiserver is not running on this node`).
fn reason(result: &CheckResult) -> &str {
    let message = result.message.as_str();
    let mut from = 0;
    while let Some(at) = message.get(from..).and_then(|rest| rest.find(": ")) {
        let end = from + at;
        if message
            .get(..end)
            .is_some_and(|title| crate::vocab::slug(title) == result.name.as_str())
        {
            return message.get(end + 2..).unwrap_or(message);
        }
        from = end + 2;
    }
    message
}

fn checks(n: usize) -> String {
    if n == 1 {
        "1 check".to_owned()
    } else {
        format!("{n} checks")
    }
}

/// `on Node worker-1`, or `on 3 resources`.
fn on(resources: &BTreeSet<&ResourceRef>) -> String {
    match resources.first() {
        Some(one) if resources.len() == 1 => format!("on {}", e(&one.display())),
        _ => format!("on {} resources", resources.len()),
    }
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

/// The results of one resource (in one file).
struct Group<'a> {
    first: &'a CheckResult,
    /// Listed one by one, most urgent first.
    listed: Vec<Finding<'a>>,
    /// Passed, not listed.
    passes: usize,
    /// Skipped or manual, counted in the summary lines.
    counted: usize,
}

/// Renders the report for people.
pub fn render(report: &Report, options: TextOptions) -> String {
    let p = Painter {
        color: options.color,
    };
    let mut out = String::new();

    // Results are grouped by resource (its file and identity), in the order resources first
    // appear; cross-resource checks come after the per-resource ones but join their group.
    // A finding several benchmark runs report is shown once, with every run named.
    // Results not listed one by one are counted: passes per resource, skips per reason,
    // manual checks per benchmark run (`options.show` lists them instead).
    let show = options.show;
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut group_of: std::collections::BTreeMap<
        (&str, &std::sync::Arc<super::ResourceRef>),
        usize,
    > = std::collections::BTreeMap::new();
    let mut skipped = Tally::default();
    let mut manual = Tally::default();
    for finding in report.findings() {
        let r = finding.first;
        let key = (r.location.file.as_str(), &r.resource);
        let at = *group_of.entry(key).or_insert_with(|| {
            groups.push(Group {
                first: r,
                listed: Vec::new(),
                passes: 0,
                counted: 0,
            });
            groups.len() - 1
        });
        let Some(group) = groups.get_mut(at) else {
            continue;
        };
        match r.status {
            Status::Pass if !show.pass => group.passes += 1,
            Status::Skip if !show.skip => {
                group.counted += 1;
                skipped.add(e(reason(r)).into_owned(), &r.resource);
            }
            Status::Manual if !show.manual => {
                group.counted += 1;
                manual.add(finding.benchmarks(), &r.resource);
            }
            _ => group.listed.push(finding),
        }
    }
    let clean: Vec<String> = groups
        .iter()
        .filter(|g| g.listed.is_empty() && g.counted == 0)
        .map(|g| e(&g.first.resource.display()).into_owned())
        .collect();
    for group in &mut groups {
        group.listed.sort_by_key(|f| rank(f.first.status));
    }
    for Group {
        first,
        listed: findings,
        passes,
        ..
    } in &groups
    {
        if findings.is_empty() {
            continue;
        }
        let folded = report
            .owned
            .iter()
            .find(|f| f.file == first.location.file && *f.owner == *first.resource)
            .map(|f| {
                format!(
                    "  (and the same verdicts of the {} it controls)",
                    f.describe_objects()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  {}{}",
            p.paint(BOLD, &e(&first.resource.display())),
            p.paint(DIM, &e(&first.location.file)),
            p.paint(DIM, &e(&folded))
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
                p.paint(DIM, &finding.runs()),
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

    for (why, n, resources) in skipped.iter() {
        let _ = writeln!(
            out,
            "{} {} skipped {}: {why}",
            p.paint(DIM, "-"),
            checks(n),
            on(resources)
        );
    }
    for (runs, n, resources) in manual.iter() {
        let _ = writeln!(
            out,
            "{} {} to verify by hand ({runs}) {}",
            p.paint(YELLOW, "!"),
            checks(n),
            on(resources)
        );
    }
    let hidden: Vec<&str> = [
        (skipped.keys.is_empty(), "skip"),
        (manual.keys.is_empty(), "manual"),
    ]
    .into_iter()
    .filter(|(empty, _)| !empty)
    .map(|(_, what)| what)
    .collect();
    if !hidden.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            p.paint(
                DIM,
                &format!("  (--show {} lists them one by one)", hidden.join(","))
            )
        );
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

    out.push_str(&super::fleet::text(report, &|t| p.paint(BOLD, t)));

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
    for (n, what) in s.other_counts() {
        let _ = write!(out, ", {n} {what}");
    }
    out.push('\n');
    out
}
