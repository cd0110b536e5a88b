//! The fleet view: when more than one node's facts are scanned, how the nodes compare.
//!
//! Per check (benchmark run and rule), how many nodes pass, fail, warn or skip it and which
//! nodes fail it; per node, its counts and score; and the nodes grouped by role, Kubernetes
//! version and OS release. Computed from the results (so that exemptions and baselines apply)
//! and from what each node's facts say of it (its role and versions), which the engine records.
//!
//! A node's status for a check is the worst of its results for that check, in the order
//! fail, error, warn, exempt, pass, manual, skip: a node with one failing file out of three fails
//! the check. A node's score is the share of the controls it has decided results for (not
//! manual, skipped or exempt) whose results all pass, as the benchmark scores count a resource
//! (see [`super::score`]); a group's score is the mean of its nodes' scores.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{CheckResult, Report, Status, escape_controls as e};
use crate::vocab::Severity;

/// What a node does in its cluster, from its facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum NodeRole {
    /// It runs a control-plane component (kube-apiserver, controller manager, scheduler or
    /// etcd), as a process or as a static pod manifest.
    ControlPlane,
    /// It runs a kubelet and no control-plane component.
    Worker,
    /// Neither was found in its facts.
    Unknown,
}

impl NodeRole {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::ControlPlane => "control-plane",
            NodeRole::Worker => "worker",
            NodeRole::Unknown => "unknown",
        }
    }
}

/// How many nodes (or results) have each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatusCounts {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// To verify by hand.
    pub manual: usize,
    /// Not applicable.
    pub skip: usize,
    /// Could not be evaluated.
    pub error: usize,
    /// Accepted by an exemption.
    pub exempt: usize,
}

impl StatusCounts {
    fn add(&mut self, status: Status) {
        let n = match status {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Warn => &mut self.warn,
            Status::Manual => &mut self.manual,
            Status::Skip => &mut self.skip,
            Status::Error => &mut self.error,
            Status::Exempt => &mut self.exempt,
        };
        *n += 1;
    }

    /// The sum of every count.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.manual + self.skip + self.error + self.exempt
    }
}

/// One node of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FleetNode {
    /// The host name from its facts (results name it as a `Node`).
    pub name: String,
    /// The file its facts were read from.
    pub file: String,
    /// The line its facts document starts at.
    pub line: u32,
    /// Control plane, worker or unknown.
    pub role: NodeRole,
    /// Its Kubernetes version, when its facts tell (`unknown` otherwise).
    pub kubernetes_version: String,
    /// Its OS release (`ubuntu 22.04`), when its facts tell (`unknown` otherwise).
    pub os: String,
    /// Its results by status.
    #[serde(default)]
    pub results: StatusCounts,
    /// Compliance percentage over the controls it has decided results for, one decimal.
    #[serde(default)]
    pub score: f64,
}

/// One check across the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FleetCheck {
    /// The benchmark run (`cis-k8s@1.12`).
    pub benchmark: String,
    /// Rule code (`CIS-1.2.1`).
    pub rule: String,
    /// Rule name.
    pub name: String,
    /// Severity.
    pub severity: Severity,
    /// Nodes by their status for this check.
    pub nodes: StatusCounts,
    /// The nodes that fail it (or whose result is an error), in node order.
    pub failing: Vec<String>,
}

/// Nodes that share a role, a Kubernetes version or an OS release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FleetGroup {
    /// `role`, `kubernetes` or `os`.
    pub by: String,
    /// The shared value (`worker`, `v1.31.4`, `ubuntu 22.04`).
    pub value: String,
    /// How many nodes.
    pub nodes: usize,
    /// How many of them fail at least one check.
    pub failing: usize,
    /// The mean of their scores, one decimal.
    pub score: f64,
}

/// The fleet view of a report of several nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    /// Every node, in input order.
    pub nodes: Vec<FleetNode>,
    /// How many nodes fail at least one check.
    #[serde(default)]
    pub failing_nodes: usize,
    /// The mean of the nodes' scores, one decimal.
    #[serde(default)]
    pub score: f64,
    /// Every check any node has a result for, most failing nodes first.
    #[serde(default)]
    pub checks: Vec<FleetCheck>,
    /// Nodes by role, then by Kubernetes version, then by OS release.
    #[serde(default)]
    pub groups: Vec<FleetGroup>,
}

/// Worst first: the status a node has for a check with several results.
fn weight(status: Status) -> u8 {
    match status {
        Status::Fail => 6,
        Status::Error => 5,
        Status::Warn => 4,
        Status::Exempt => 3,
        Status::Pass => 2,
        Status::Manual => 1,
        Status::Skip => 0,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn mean(scores: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = scores.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        100.0
    } else {
        round1(sum / n as f64)
    }
}

impl Fleet {
    /// A fleet of nodes (identity, role and versions); [`Fleet::tally`] fills in the rest.
    pub fn new(nodes: Vec<FleetNode>) -> Fleet {
        Fleet {
            nodes,
            failing_nodes: 0,
            score: 100.0,
            checks: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Recomputes counts, scores, checks and groups from the results of the nodes.
    pub fn tally(&mut self, results: &[CheckResult]) {
        let index: BTreeMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut counts = vec![StatusCounts::default(); self.nodes.len()];
        // (check, node) -> worst status; check -> its first result.
        let mut checks: Vec<&CheckResult> = Vec::new();
        let mut check_of: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut status: BTreeMap<(usize, usize), Status> = BTreeMap::new();
        // (node, benchmark, control) -> all decided results passed
        let mut controls: BTreeMap<(usize, &str, &str), bool> = BTreeMap::new();
        for r in results {
            if r.resource.kind != "Node" || r.resource.namespace.is_some() {
                continue;
            }
            let Some(&node) = index.get(r.resource.name.as_str()) else {
                continue;
            };
            if let Some(c) = counts.get_mut(node) {
                c.add(r.status);
            }
            let check = *check_of
                .entry((r.benchmark.as_str(), r.rule.as_str()))
                .or_insert_with(|| {
                    checks.push(r);
                    checks.len() - 1
                });
            status
                .entry((check, node))
                .and_modify(|s| {
                    if weight(r.status) > weight(*s) {
                        *s = r.status;
                    }
                })
                .or_insert(r.status);
            if !matches!(r.status, Status::Manual | Status::Skip | Status::Exempt) {
                for control in r.controls.iter() {
                    let passed = controls
                        .entry((node, r.benchmark.as_str(), control.id.as_str()))
                        .or_insert(true);
                    *passed = *passed && r.status == Status::Pass;
                }
            }
        }
        let mut decided = vec![(0usize, 0usize); self.nodes.len()];
        for ((node, _, _), passed) in &controls {
            if let Some(d) = decided.get_mut(*node) {
                d.0 += 1;
                d.1 += usize::from(*passed);
            }
        }
        let mut fleet_checks: Vec<FleetCheck> = checks
            .iter()
            .map(|r| FleetCheck {
                benchmark: r.benchmark.to_string(),
                rule: r.rule.to_string(),
                name: r.name.to_string(),
                severity: r.severity,
                nodes: StatusCounts::default(),
                failing: Vec::new(),
            })
            .collect();
        let mut failing = vec![false; self.nodes.len()];
        for (&(check, node), &s) in &status {
            let (Some(c), Some(n)) = (fleet_checks.get_mut(check), self.nodes.get(node)) else {
                continue;
            };
            c.nodes.add(s);
            if matches!(s, Status::Fail | Status::Error) {
                c.failing.push(n.name.clone());
                if let Some(f) = failing.get_mut(node) {
                    *f = true;
                }
            }
        }
        // Most failing nodes first, then the order the checks first appear in.
        fleet_checks.sort_by_key(|c| std::cmp::Reverse(c.failing.len()));
        for ((node, c), (total, passed)) in self.nodes.iter_mut().zip(counts).zip(decided) {
            node.results = c;
            node.score = if total == 0 {
                100.0
            } else {
                round1(100.0 * passed as f64 / total as f64)
            };
        }
        self.failing_nodes = failing.iter().filter(|f| **f).count();
        self.score = mean(self.nodes.iter().map(|n| n.score));
        self.checks = fleet_checks;
        let mut groups = Vec::new();
        for by in ["role", "kubernetes", "os"] {
            let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, n) in self.nodes.iter().enumerate() {
                let value = match by {
                    "role" => n.role.as_str(),
                    "kubernetes" => n.kubernetes_version.as_str(),
                    _ => n.os.as_str(),
                };
                members.entry(value).or_default().push(i);
            }
            for (value, nodes) in members {
                groups.push(FleetGroup {
                    by: by.to_owned(),
                    value: value.to_owned(),
                    nodes: nodes.len(),
                    failing: nodes
                        .iter()
                        .filter(|i| failing.get(**i).copied().unwrap_or(false))
                        .count(),
                    score: mean(
                        nodes
                            .iter()
                            .filter_map(|i| self.nodes.get(*i))
                            .map(|n| n.score),
                    ),
                });
            }
        }
        self.groups = groups;
    }

    /// The checks some node fails.
    pub fn failing_checks(&self) -> impl Iterator<Item = &FleetCheck> {
        self.checks.iter().filter(|c| !c.failing.is_empty())
    }
}

/// At most this many node names are written per check in text and Markdown (the JSON report
/// has them all).
pub const NAMES_SHOWN: usize = 10;

/// `a, b, c and 12 more`.
pub fn some_names(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(String::as_str).collect();
    let mut out = shown.join(", ");
    if names.len() > NAMES_SHOWN {
        let _ = write!(out, " and {} more", names.len() - NAMES_SHOWN);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The fleet section of the text report (nothing for a report of at most one node).
pub fn text(report: &Report, bold: &dyn Fn(&str) -> String) -> String {
    // Stable sorts below: equal scores keep input order.
    let Some(fleet) = &report.fleet else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        bold(&format!(
            "Fleet: {}, {} failing at least one check, mean score {:.1}",
            plural(fleet.nodes.len(), "node", "nodes"),
            fleet.failing_nodes,
            fleet.score
        ))
    );
    for g in &fleet.groups {
        let _ = writeln!(
            out,
            "  {:<10} {:<24} {} ({} failing), mean score {:.1}",
            g.by,
            e(&g.value),
            plural(g.nodes, "node", "nodes"),
            g.failing,
            g.score
        );
    }
    let failing: Vec<&FleetCheck> = fleet.failing_checks().collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "  Checks failing on some nodes:");
        for c in failing {
            let _ = writeln!(
                out,
                "    {} {} ({}): {} of {} failing: {}",
                e(&c.rule),
                e(&c.name),
                e(&c.benchmark),
                c.failing.len(),
                plural(c.nodes.total(), "node", "nodes"),
                e(&some_names(&c.failing))
            );
        }
    }
    let mut lowest: Vec<&FleetNode> = fleet.nodes.iter().collect();
    lowest.sort_by(|a, b| a.score.total_cmp(&b.score));
    let _ = writeln!(out, "  Lowest scores:");
    for n in lowest.iter().take(NAMES_SHOWN) {
        let _ = writeln!(
            out,
            "    {:>5.1}  {} ({}, {}, {}): {} failed, {} passed",
            n.score,
            e(&n.name),
            n.role.as_str(),
            e(&n.kubernetes_version),
            e(&n.os),
            n.results.fail,
            n.results.pass
        );
    }
    out.push('\n');
    out
}

/// The fleet section of the Markdown report (nothing for a report of at most one node).
pub fn markdown(report: &Report, cell: &dyn Fn(&str) -> String) -> String {
    let Some(fleet) = &report.fleet else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Fleet\n\n{}, {} failing at least one check, mean score {:.1}.\n",
        plural(fleet.nodes.len(), "node", "nodes"),
        fleet.failing_nodes,
        fleet.score
    );
    out.push_str("| Group | Value | Nodes | Failing | Mean score |\n|---|---|---:|---:|---:|\n");
    for g in &fleet.groups {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} |",
            g.by,
            cell(&g.value),
            g.nodes,
            g.failing,
            g.score
        );
    }
    let failing: Vec<&FleetCheck> = fleet.failing_checks().collect();
    if !failing.is_empty() {
        out.push_str(
            "\n| Check | Benchmark | Severity | Failing | Pass | Skip | Failing nodes |\n\
             |---|---|---|---:|---:|---:|---|\n",
        );
        for c in failing {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} | {} | {} |",
                cell(&c.rule),
                cell(&c.name),
                cell(&c.benchmark),
                c.severity.as_str(),
                c.failing.len(),
                c.nodes.pass,
                c.nodes.skip,
                cell(&some_names(&c.failing))
            );
        }
    }
    let mut lowest: Vec<&FleetNode> = fleet.nodes.iter().collect();
    lowest.sort_by(|a, b| a.score.total_cmp(&b.score));
    out.push_str("\n| Node | Role | Kubernetes | OS | Score | Failed | Passed |\n");
    out.push_str("|---|---|---|---|---:|---:|---:|\n");
    for n in lowest.iter().take(MARKDOWN_NODES) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} | {} | {} |",
            cell(&n.name),
            n.role.as_str(),
            cell(&n.kubernetes_version),
            cell(&n.os),
            n.score,
            n.results.fail,
            n.results.pass
        );
    }
    if fleet.nodes.len() > MARKDOWN_NODES {
        let _ = writeln!(
            out,
            "\n…the {MARKDOWN_NODES} lowest scores of {} nodes; every node is in the JSON and HTML \
             reports.",
            fleet.nodes.len()
        );
    }
    out.push('\n');
    out
}

/// Nodes listed in the Markdown report, lowest scores first.
const MARKDOWN_NODES: usize = 50;

/// The fleet section of the HTML report (nothing for a report of at most one node); `h`
/// escapes text for HTML.
pub fn html(report: &Report, h: &dyn Fn(&str) -> String) -> String {
    let Some(fleet) = &report.fleet else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section id=\"fleet\">\n<h2>Fleet</h2>\n<p>{}, {} failing at least one check, mean \
         score {:.1}.</p>",
        plural(fleet.nodes.len(), "node", "nodes"),
        fleet.failing_nodes,
        fleet.score
    );
    out.push_str(
        "<table>\n<thead><tr><th>Group</th><th>Value</th><th>Nodes</th><th>Failing</th>\
         <th>Mean score</th></tr></thead>\n<tbody>\n",
    );
    for g in &fleet.groups {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            h(&g.by),
            h(&g.value),
            g.nodes,
            g.failing,
            g.score
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let failing: Vec<&FleetCheck> = fleet.failing_checks().collect();
    if !failing.is_empty() {
        out.push_str(
            "<table>\n<thead><tr><th>Check</th><th>Benchmark</th><th>Severity</th>\
             <th>Failing</th><th>Pass</th><th>Skip</th><th>Failing nodes</th></tr></thead>\n\
             <tbody>\n",
        );
        for c in failing {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                h(&c.rule),
                h(&c.name),
                h(&c.benchmark),
                c.severity.as_str(),
                c.failing.len(),
                c.nodes.pass,
                c.nodes.skip,
                h(&c.failing.join(", "))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str(
        "<table>\n<thead><tr><th>Node</th><th>Role</th><th>Kubernetes</th><th>OS</th>\
         <th>Score</th><th>Failed</th><th>Passed</th></tr></thead>\n<tbody>\n",
    );
    for n in &fleet.nodes {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td>\
             <td>{}</td></tr>",
            h(&n.name),
            n.role.as_str(),
            h(&n.kubernetes_version),
            h(&n.os),
            n.score,
            n.results.fail,
            n.results.pass
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}
