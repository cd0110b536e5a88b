//! Rules: one file per rule, its documentation in its doc comment.
//!
//! A rule is declared with [`declare_rule!`](crate::declare_rule), which keeps the doc comment
//! both as rustdoc and as the text `stockade explain` prints, so there is one source for both.

pub mod image;
pub mod manifest;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod workload;

use serde::{Deserialize, Serialize};

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

/// What kind of rule this is, with what its family needs to run it.
#[derive(Debug)]
pub enum RuleKind {
    /// A Pod Security Admission check.
    Pss(pss::PssCheck),
    /// A check of manifests beyond PSA: RBAC, workloads, network, images.
    Manifest(manifest::ManifestCheck),
}

/// A rule: stable code, documentation and how to evaluate it.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, never reused (e.g. `PSS003`).
    pub code: &'static str,
    /// Kebab-case name (e.g. `privileged`).
    pub name: &'static str,
    /// One line: what the rule wants.
    pub title: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// How to fix a failure, in one or two sentences.
    pub remediation: &'static str,
    /// The rule's doc comment (markdown with fixed sections).
    pub docs: &'static str,
    /// How it is evaluated.
    pub kind: RuleKind,
}

impl Rule {
    /// The folder of its fixtures and the family shown in catalogs (`pss`, `rbac`, ...).
    pub fn family(&self) -> &'static str {
        match &self.kind {
            RuleKind::Pss(_) => "pss",
            RuleKind::Manifest(m) => m.family,
        }
    }

    /// The documentation as markdown, with rustdoc's leading space removed.
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// Declares a rule static whose doc comment is also its runtime documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $name:ident = Rule { $($field:ident : $value:expr),* $(,)? };
    ) => {
        $(#[doc = $doc])*
        $vis static $name: $crate::rules::Rule = $crate::rules::Rule {
            docs: concat!($($doc, "\n"),*),
            $($field: $value),*
        };
    };
}
