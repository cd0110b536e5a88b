//! The project's vocabulary: the words every layer of the core shares (severities, statuses,
//! PSS levels, dates, places in the input, object identities, controls, input problems).
//!
//! This module is the bottom of the core: it imports nothing else of the crate, so that the
//! input readers, rules, benchmarks, renderers and the engine can all speak it without
//! importing one another. Each type is re-exported where it was first defined
//! (`report::Status`, `rules::Severity`, `policy::Date`, ...), so the public paths are stable.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// A 1-based line and column in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// How bad a failing result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Weakens a layer of defence.
    Medium,
    /// Opens a path to the node or other workloads.
    High,
    /// Hands over the node.
    Critical,
}

impl Severity {
    /// Parses a lowercase name.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No restrictions.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Current pod hardening best practice.
    Restricted,
}

impl Level {
    /// The lowercase name, as in namespace labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// Parses a level name as PSA's labels spell it.
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The resource complies.
    Pass,
    /// The resource violates the rule.
    Fail,
    /// Not a violation, but worth a look.
    Warn,
    /// Cannot be decided from the input: a person must check.
    Manual,
    /// Not applicable.
    Skip,
    /// The check could not run.
    Error,
    /// A failure (or warning, error or manual check) that an exemption accepts; see
    /// `exemption` for why, by whom and until when.
    Exempt,
}

impl Status {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Manual => "manual",
            Status::Skip => "skip",
            Status::Error => "error",
            Status::Exempt => "exempt",
        }
    }
}

impl Status {
    /// `fail`, `warn` or `error`: a result someone must act on.
    pub fn is_problem(self) -> bool {
        matches!(self, Status::Fail | Status::Warn | Status::Error)
    }
}

/// Identity of a Kubernetes object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `apiVersion`
    pub api_version: SmolStr,
    /// `kind`
    pub kind: SmolStr,
    /// `metadata.namespace`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<SmolStr>,
    /// `metadata.name` (or `generateName` followed by `*`).
    pub name: SmolStr,
}

impl ResourceRef {
    /// `Kind namespace/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A position in an input file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// File name as given.
    pub file: SmolStr,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The Helm template that rendered this object (`# Source:`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm_source: Option<SmolStr>,
}

/// A benchmark control a result maps to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Control {
    /// Benchmark family (`pss`).
    pub benchmark: SmolStr,
    /// Control id (the PSA check id for PSS).
    pub id: SmolStr,
    /// Level, where the benchmark has levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
}

/// How bad an input problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ErrorLevel {
    /// The input was used anyway (e.g. a duplicate key).
    Warning,
    /// Part of the input could not be used.
    Error,
}

/// A problem with the input.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct InputError {
    /// File name as given.
    pub file: String,
    /// 1-based line (0 when the whole file is concerned).
    pub line: u32,
    /// 1-based column (0 when the whole file is concerned).
    pub column: u32,
    /// What went wrong.
    pub message: String,
    /// `error` when part of the input was lost, `warning` when it was used anyway.
    pub level: ErrorLevel,
}

impl InputError {
    /// An input problem at a position of a file.
    pub fn at(file: &str, pos: Pos, level: ErrorLevel, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            level,
        }
    }

    /// Whether part of the input was lost.
    pub fn is_error(&self) -> bool {
        self.level == ErrorLevel::Error
    }
}

/// A calendar date (proleptic Gregorian), ordered by time. The engine only validates and
/// compares dates, so a date library (45 KiB more gzipped wasm) is not worth its size here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    fn days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Whole days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i64 {
        self.days() - earlier.days()
    }

    /// Parses `YYYY-MM-DD`, rejecting days that do not exist (`2027-02-29`).
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        let shape = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape {
            return None;
        }
        let year: u16 = text.get(0..4)?.parse().ok()?;
        let month: u8 = text.get(5..7)?.parse().ok()?;
        let day: u8 = text.get(8..10)?.parse().ok()?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year > 0 && (1..=days).contains(&day)).then_some(Date { year, month, day })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A title as a kebab-case name: `API server rejects anonymous requests` →
/// `api-server-rejects-anonymous-requests`.
pub fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for ch in title.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}
