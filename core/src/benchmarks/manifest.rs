//! The controls of the manifest-level benchmarks (CIS section 5, NSA/CISA, image hygiene, the
//! DISA STIG's workload rules) and
//! the rules that implement them: data (`manifest_controls.yaml`, compiled in).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::input::yaml::{self, Limits};
use crate::rules::Rule;
use crate::rules::find_rule;

/// One control of a manifest benchmark.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlDef {
    /// `cis-k8s`, `nsa-cisa` or `image-hygiene`.
    pub benchmark: String,
    /// The control id (`5.1.1`, `pod-security.non-root`).
    pub id: String,
    /// What it asks, in one line.
    pub title: String,
    /// Rule codes, each possibly restricted to a field (`PSS002:hostPID`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Guidance when the control cannot be (fully) decided from manifests.
    #[serde(default)]
    pub manual: Option<String>,
    /// The benchmark versions this row belongs to (all when empty).
    #[serde(default)]
    pub only: Vec<String>,
    /// The DISA STIG's rule version (`CNTR-K8-001160`) of a STIG row (its `id` is the Vuln ID).
    #[serde(default)]
    pub stig: Option<String>,
    /// The control's own severity, where the benchmark gives one (the DISA STIG's CAT).
    #[serde(default)]
    pub severity: Option<crate::rules::Severity>,
}

impl ControlDef {
    /// Whether the row belongs to a benchmark at a version.
    pub fn in_benchmark(&self, benchmark: &str, version: &str) -> bool {
        self.benchmark == benchmark
            && (self.only.is_empty() || self.only.iter().any(|v| v == version))
    }

    /// The code results of a manual control carry (`CIS-5.2.1`, `NSA-audit.logging`).
    pub fn code(&self) -> String {
        let prefix = match self.benchmark.as_str() {
            "cis-k8s" => "CIS",
            "nsa-cisa" => "NSA",
            "k8s-stig" => "STIG",
            _ => "IMG",
        };
        format!("{prefix}-{}", self.id)
    }

    /// The rules with their optional field restriction.
    pub fn rule_refs(&self) -> impl Iterator<Item = (&'static Rule, Option<&str>)> + '_ {
        self.rules.iter().filter_map(|r| {
            let (code, field) = match r.split_once(':') {
                Some((c, f)) => (c, Some(f)),
                None => (r.as_str(), None),
            };
            Some((find_rule(code)?, field))
        })
    }
}

/// Every control of every manifest benchmark.
pub fn controls() -> &'static [ControlDef] {
    static CONTROLS: OnceLock<Vec<ControlDef>> = OnceLock::new();
    CONTROLS.get_or_init(|| parse_controls().unwrap_or_default())
}

fn parse_controls() -> Result<Vec<ControlDef>, String> {
    let text = include_str!("manifest_controls.yaml");
    let (node, errors) = yaml::parse_document(text, 0, Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!(
            "manifest_controls.yaml:{}: {}",
            e.pos.line, e.message
        ));
    }
    let node = node.ok_or("manifest_controls.yaml is empty")?;
    serde_json::from_value(node.to_json()).map_err(|e| format!("manifest_controls.yaml: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_parses_and_names_only_known_rules() {
        let controls = parse_controls().expect("valid data");
        assert!(controls.len() > 60);
        for c in &controls {
            assert!(
                !c.rules.is_empty() || c.manual.is_some(),
                "{} {} has neither rules nor guidance",
                c.benchmark,
                c.id
            );
            assert_eq!(
                c.rule_refs().count(),
                c.rules.len(),
                "{} {}: unknown rule",
                c.benchmark,
                c.id
            );
        }
    }
}
