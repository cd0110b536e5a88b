//! The one table of rule codes. Codes are stable and never reused.

use serde::{Deserialize, Serialize};

use crate::benchmarks::cis;
pub use crate::rules::{RULES, find_rule};
use crate::rules::{Rule, RuleKind, Severity};
use crate::vocab::Control;

/// A rule or benchmark check, as `stockade rules` and the npm package list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RuleInfo {
    /// Stable code (`PSS102`, `CIS-4.2.1`).
    pub code: String,
    /// Kebab-case name.
    pub name: String,
    /// One line: what it wants.
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// The rule family (`pss`, `rbac`, `workload`, `network`, `image`) or `cis-k8s` for node checks.
    pub benchmark: String,
    /// The controls it implements.
    pub controls: Vec<Control>,
    /// How to fix a failure.
    pub remediation: String,
    /// Full documentation (markdown).
    pub documentation: String,
    /// Whether some of its failures carry a mechanical fix (`stockade fix`, a result's `fix`);
    /// false: its remediation text is the fix.
    pub fixable: bool,
}

/// [`catalog`], computed once (renderers describe rules from it on every call).
pub fn catalog_cached() -> &'static [RuleInfo] {
    static CATALOG: std::sync::OnceLock<Vec<RuleInfo>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(catalog)
}

/// A CIS check or STIG rule as the catalog lists it: `check`'s text; fixable when any row of
/// `all` with its id is (a CIS check has a row per benchmark version, a STIG rule one per
/// component).
fn check_info(
    check: &cis::CheckDef,
    all: &[cis::CheckDef],
    benchmark: &str,
    controls: Vec<Control>,
    documentation: Option<String>,
) -> RuleInfo {
    RuleInfo {
        code: check.code(),
        name: crate::vocab::slug(&check.title),
        title: check.title.clone(),
        severity: check.severity,
        benchmark: benchmark.to_owned(),
        controls,
        remediation: check.remediation.clone(),
        documentation: documentation.unwrap_or_default(),
        fixable: all.iter().any(|c| c.id == check.id && c.fixable()),
    }
}

/// Every rule and CIS check (the newest text of each CIS control id).
pub fn catalog() -> Vec<RuleInfo> {
    let mut out: Vec<RuleInfo> = RULES
        .iter()
        .map(|r| RuleInfo {
            code: r.code.to_owned(),
            name: r.name.to_owned(),
            title: r.title.to_owned(),
            severity: r.severity,
            benchmark: r.family().to_owned(),
            controls: rule_controls(r),
            remediation: r.remediation.to_owned(),
            documentation: r.documentation(),
            fixable: crate::rules::FIXABLE_RULES.contains(&r.code),
        })
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for check in cis::checks().iter().rev() {
        if seen.contains(&check.id.as_str()) {
            continue;
        }
        seen.push(&check.id);
        out.push(check_info(
            check,
            cis::checks(),
            "cis-k8s",
            // The check, and the DISA STIG rules that ask what it asks (it decides them).
            std::iter::once(Control {
                benchmark: "cis-k8s".into(),
                id: check.id.as_str().into(),
                level: None,
            })
            .chain(
                crate::benchmarks::k8s_stig::checks()
                    .iter()
                    .filter(|row| row.cis.as_deref() == Some(check.id.as_str()))
                    .map(|row| Control {
                        benchmark: crate::benchmarks::k8s_stig::LABEL.into(),
                        id: row.id.as_str().into(),
                        level: None,
                    }),
            )
            .collect(),
            explain_cis(&check.id),
        ));
    }
    // Manifest controls that no rule decides are reported as `manual` under their own code.
    let mut seen: Vec<String> = Vec::new();
    for control in crate::benchmarks::manifest::controls()
        .iter()
        .rev()
        .filter(|c| c.rules.is_empty())
    {
        let code = control.code();
        if seen.contains(&code) {
            continue;
        }
        seen.push(code.clone());
        out.push(RuleInfo {
            name: crate::vocab::slug(&control.title),
            title: control.title.clone(),
            severity: control.severity.unwrap_or(Severity::Medium),
            benchmark: control.benchmark.clone(),
            controls: vec![Control {
                benchmark: control.benchmark.as_str().into(),
                id: control.id.as_str().into(),
                level: None,
            }],
            remediation: control.manual.clone().unwrap_or_default(),
            documentation: explain(&code).unwrap_or_default(),
            fixable: false,
            code,
        });
    }
    // The DISA STIG's rules with a check of their own (the others carry a CIS check's code).
    let mut seen: Vec<&str> = Vec::new();
    for row in crate::benchmarks::k8s_stig::checks() {
        if row.cis.is_some() || seen.contains(&row.id.as_str()) {
            continue;
        }
        seen.push(&row.id);
        out.push(check_info(
            row,
            crate::benchmarks::k8s_stig::checks(),
            "k8s-stig",
            vec![Control {
                benchmark: crate::benchmarks::k8s_stig::LABEL.into(),
                id: row.id.as_str().into(),
                level: None,
            }],
            explain(&row.code()),
        ));
    }
    let cis_start = RULES.len();
    if let Some(rest) = out.get_mut(cis_start..) {
        rest.sort_by_key(|a| {
            (
                !a.code.starts_with("CIS-"),
                cis_order(&a.code),
                a.code.clone(),
            )
        });
    }
    let ubuntu = format!("cis-ubuntu@{}", crate::benchmarks::cis_ubuntu::VERSION);
    for check in crate::benchmarks::cis_ubuntu::checks() {
        out.push(RuleInfo {
            code: check.code(),
            name: crate::vocab::slug(&check.title),
            title: check.title.clone(),
            severity: check.severity,
            benchmark: "cis-ubuntu".to_owned(),
            controls: vec![Control {
                benchmark: ubuntu.as_str().into(),
                id: check.id.as_str().into(),
                level: None,
            }],
            remediation: check.remediation.clone(),
            documentation: explain(&check.code()).unwrap_or_default(),
            fixable: false,
        });
    }
    for check in crate::benchmarks::containerd::CHECKS {
        out.push(RuleInfo {
            code: check.code(),
            name: crate::vocab::slug(check.title),
            title: check.title.to_owned(),
            severity: check.severity,
            benchmark: "containerd".to_owned(),
            controls: vec![Control {
                benchmark: "containerd".into(),
                id: check.id.into(),
                level: None,
            }],
            remediation: check.remediation.to_owned(),
            documentation: explain(&check.code()).unwrap_or_default(),
            fixable: false,
        });
    }
    for check in crate::benchmarks::os_scan::CHECKS {
        out.push(RuleInfo {
            code: check.code(),
            name: crate::vocab::slug(check.title),
            title: check.title.to_owned(),
            severity: check.severity,
            benchmark: crate::benchmarks::os_scan::BENCHMARK.to_owned(),
            controls: vec![Control {
                benchmark: crate::benchmarks::os_scan::BENCHMARK.into(),
                id: check.id.into(),
                level: None,
            }],
            remediation: check.remediation.to_owned(),
            documentation: explain(&check.code()).unwrap_or_default(),
            fixable: false,
        });
    }
    out
}

/// A CIS Ubuntu or containerd check (`UBU-3.3.1`, `CTR-1`): what it asks and how to fix it.
fn explain_node_check(key: &str) -> Option<String> {
    let upper = key.to_ascii_uppercase();
    if let Some(id) = upper.strip_prefix("UBU-") {
        let check = crate::benchmarks::cis_ubuntu::checks()
            .iter()
            .find(|c| c.id == id)?;
        let exemption = crate::benchmarks::cis_ubuntu::KUBERNETES_NODE_EXEMPTIONS
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, reason)| {
                format!(
                    "\nProfile kubernetes-node: exempt on nodes that run a kubelet. {reason}.\n"
                )
            })
            .unwrap_or_default();
        let how = match &check.manual {
            Some(_) => "Decided by: a person (manual).\n".to_owned(),
            None => "Decided from: node facts (`stockade collect`).\n".to_owned(),
        };
        return Some(format!(
            "# {} (CIS Ubuntu Linux 22.04 LTS Benchmark v{}, {}): {}\n\nSeverity: {}\n{how}{exemption}\n## Remediation\n\n{}\n",
            check.code(),
            crate::benchmarks::cis_ubuntu::VERSION,
            check.profile(),
            check.title,
            check.severity.as_str(),
            check.remediation
        ));
    }
    let id = upper.strip_prefix("CTR-")?;
    let check = crate::benchmarks::containerd::CHECKS
        .iter()
        .find(|c| c.id == id)?;
    Some(format!(
        "# {} (containerd hardening): {}\n\nSeverity: {}\nDecided from: node facts (config.toml, hosts.toml, the socket, package versions).\n\n## Remediation\n\n{}\n",
        check.code(),
        check.title,
        check.severity.as_str(),
        check.remediation
    ))
}

/// The controls a rule implements in every benchmark (CIS rows of the newest version).
pub fn rule_controls(rule: &Rule) -> Vec<Control> {
    let mut out = Vec::new();
    if let RuleKind::Pss(check) = &rule.kind {
        out.push(Control {
            benchmark: "pss".into(),
            id: check.id.into(),
            level: Some(check.level),
        });
    }
    for c in crate::benchmarks::manifest::controls() {
        let newest =
            c.only.is_empty() || c.only.iter().any(|v| v == cis::CisVersion::NEWEST.label());
        if newest && c.rule_refs().any(|(r, _)| r.code == rule.code) {
            let control = Control {
                benchmark: c.benchmark.as_str().into(),
                id: c.id.as_str().into(),
                level: None,
            };
            if !out.contains(&control) {
                out.push(control);
            }
        }
    }
    out
}

fn cis_order(code: &str) -> Vec<u32> {
    code.trim_start_matches("CIS-")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// A rule's documentation as markdown, by code, name, PSA check id or CIS control id.
pub fn explain(key: &str) -> Option<String> {
    if let Some(r) = find_rule(key) {
        let mut text = format!(
            "# {} {}: {}\n\n{}",
            r.code,
            r.name,
            r.title,
            r.documentation()
        );
        if crate::rules::FIXABLE_RULES.contains(&r.code) {
            text.push_str(MECHANICAL_FIX);
        }
        return Some(text);
    }
    let id = key
        .strip_prefix("CIS-")
        .or_else(|| key.strip_prefix("cis-"))
        .unwrap_or(key);
    explain_cis(id)
        .or_else(|| explain_manifest_control(key))
        .or_else(|| explain_node_check(key))
        .or_else(|| explain_os_scan(key))
        .or_else(|| explain_stig(key))
}

/// A DISA STIG rule on nodes and static pods, by Vuln ID (`V-242378`, `STIG-V-242378`) or rule
/// version (`CNTR-K8-000170`): its identifiers, category, and what decides it.
fn explain_stig(key: &str) -> Option<String> {
    use crate::benchmarks::k8s_stig;
    let rows = k8s_stig::find(key);
    let first = rows.first()?;
    let mut text = format!(
        "# {} (DISA Kubernetes STIG {}): {}\n\nVuln ID: {}\nRule version: {}\nSeverity: {} ({})\n\
         Decided from: node facts (`stockade collect`) and control-plane static pod manifests.\n",
        first.code(),
        k8s_stig::VERSION.to_ascii_uppercase(),
        first.title,
        first.id,
        first.stig.as_deref().unwrap_or_default(),
        k8s_stig::category(first.severity),
        first.severity.as_str()
    );
    let releases = k8s_stig::releases_of(first);
    if releases.len() < k8s_stig::StigVersion::ALL.len() {
        let name = |v: &k8s_stig::StigVersion| v.label().to_ascii_uppercase();
        let missing: Vec<String> = k8s_stig::StigVersion::ALL
            .iter()
            .filter(|v| !releases.contains(v))
            .map(name)
            .collect();
        text.push_str(&format!(
            "Releases: {} (not in {}: `-b k8s-stig@{}` does not evaluate it).\n",
            releases.iter().map(name).collect::<Vec<_>>().join(", "),
            missing.join(", "),
            k8s_stig::StigVersion::ALL
                .iter()
                .find(|v| !releases.contains(v))
                .map(|v| v.label())
                .unwrap_or_default()
        ));
    }
    let mut fixable = false;
    for row in &rows {
        text.push_str(&format!("\n## {}\n", row.component.component().binary()));
        let check = match &row.cis {
            Some(id) => {
                let check = cis::checks().iter().find(|c| &c.id == id)?;
                text.push_str(&format!(
                    "Decided by {} ({}), which asks the same: its results carry that code and \
                     this control, so a scan selecting both benchmarks reports the finding once.\n",
                    check.code(),
                    check.title
                ));
                check
            }
            None => *row,
        };
        if row.worker_only {
            text.push_str("Worker nodes only: skipped on nodes that run the control plane.\n");
        }
        describe_check(&mut text, check);
        text.push_str(&format!("Fix: {}\n", row.remediation));
        fixable |= check.fixable();
    }
    if fixable {
        text.push_str(MECHANICAL_FIX);
    }
    Some(text)
}

/// An OS image scan check (`OSI-1`): what it asks, how a scan is linked to a node, the fix.
fn explain_os_scan(key: &str) -> Option<String> {
    use crate::benchmarks::os_scan;
    let upper = key.to_ascii_uppercase();
    let id = upper.strip_prefix("OSI-")?;
    let check = os_scan::CHECKS.iter().find(|c| c.id == id)?;
    Some(format!(
        "# {} (container image hygiene, on node facts): {}\n\nSeverity: {}\nDecided from: a \
         vulnerability scan of the node's OS image or root file system (Trivy `vm`/`rootfs` JSON, \
         Grype JSON of the root file system or its SBOM) given with the node's facts. A scan is \
         linked to the node when its file name up to the first `.` or its artifact name is the \
         node's host name, or when it names the node's OS release and lists exactly the node's \
         package names (`--list-all-pkgs`). A node no scan is linked to gets no result.\n\n\
         ## Remediation\n\n{}\n",
        check.code(),
        check.title,
        check.severity.as_str(),
        check.remediation
    ))
}

/// A control of a manifest benchmark (`CIS-5.2.3`, `NSA-audit.logging`, `5.1.1`,
/// `pod-security.non-root`): what it asks, the rules that decide it, and guidance.
fn explain_manifest_control(key: &str) -> Option<String> {
    let rows: Vec<&crate::benchmarks::manifest::ControlDef> =
        crate::benchmarks::manifest::controls()
            .iter()
            .filter(|c| {
                c.code().eq_ignore_ascii_case(key)
                    || c.id == key
                    || c.stig
                        .as_deref()
                        .is_some_and(|v| v.eq_ignore_ascii_case(key))
            })
            .collect();
    let first = rows.first()?;
    let mut text = format!(
        "# {} ({}): {}\n",
        first.code(),
        first.benchmark,
        first.title
    );
    if let (Some(version), Some(severity)) = (&first.stig, first.severity) {
        text.push_str(&format!(
            "\nVuln ID: {}\nRule version: {version}\nSeverity: {} ({})\n",
            first.id,
            crate::benchmarks::k8s_stig::category(severity),
            severity.as_str()
        ));
    }
    for c in &rows {
        let which = if c.only.is_empty() {
            String::new()
        } else {
            format!(" (benchmark {})", c.only.join(", "))
        };
        text.push_str(&format!("\n## {}{which}\n", c.title));
        for (rule, field) in c.rule_refs() {
            let at = field
                .map(|f| format!(" (violations at `{f}`)"))
                .unwrap_or_default();
            text.push_str(&format!(
                "- {} {}: {}{at}\n",
                rule.code, rule.name, rule.title
            ));
        }
        if let Some(manual) = &c.manual {
            text.push_str(&format!("\nManual: {manual}\n"));
        }
    }
    Some(text)
}

fn explain_cis(id: &str) -> Option<String> {
    let versions: Vec<&cis::CheckDef> = cis::checks().iter().filter(|c| c.id == id).collect();
    let last = versions.last()?;
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
        describe_check(&mut text, c);
        text.push_str(&format!("Fix: {}\n", c.remediation));
    }
    if versions.iter().any(|c| c.fixable()) {
        text.push_str(MECHANICAL_FIX);
    }
    Some(text)
}

/// The line that says a rule or check has a mechanical fix.
const MECHANICAL_FIX: &str = "\nMechanical fix: `stockade fix` applies it (on a control-plane static pod for a \
     flag check); results carry it as `fix`. Some findings have none: see docs/fix.md.\n";

/// What a CIS (or STIG) check reads and asks: its files, its test, or what to verify by hand.
fn describe_check(text: &mut String, check: &cis::CheckDef) {
    if let Some(files) = &check.files {
        let want = files
            .mode
            .as_ref()
            .map(|m| format!("mode {m} or more restrictive"))
            .or_else(|| files.owner.as_ref().map(|o| format!("owned by {o}")))
            .unwrap_or_default();
        text.push_str(&format!("Checks {}: {want}\n", files.role.describe()));
    }
    if let Some(test) = &check.test {
        text.push_str(&format!("Test: {}\n", cis::describe_test(test)));
    }
    if let Some(manual) = &check.manual {
        text.push_str(&format!("Manual: {manual}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleKind;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        for pair in RULES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len(), "rule names must be unique");
        for r in RULES {
            let letters = r.code.trim_end_matches(|c: char| c.is_ascii_digit());
            assert!(
                ["PSS", "RBAC", "WKL", "NET", "IMG"].contains(&letters)
                    && r.code.len() == letters.len() + 3,
                "{}",
                r.code
            );
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.name
            );
        }
    }

    #[test]
    fn every_rule_is_documented_with_the_fixed_sections() {
        for r in RULES {
            let docs = r.documentation();
            let mut last = 0;
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
                "## References",
            ] {
                let at = docs
                    .find(section)
                    .unwrap_or_else(|| panic!("{} lacks section {section:?}", r.code));
                assert!(at >= last, "{}: section {section:?} out of order", r.code);
                last = at;
            }
            assert!(docs.contains("```yaml"), "{} has no YAML example", r.code);
            assert!(
                !r.title.is_empty() && !r.remediation.is_empty(),
                "{}",
                r.code
            );
        }
    }

    #[test]
    fn all_nineteen_psa_checks_are_implemented_once() {
        let mut ids: Vec<_> = RULES
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::Pss(c) => Some(c.id),
                RuleKind::Manifest(_) => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 19);
    }

    #[test]
    fn the_catalog_lists_every_rule_and_cis_control_once() {
        let catalog = catalog();
        let mut codes: Vec<&str> = catalog.iter().map(|r| r.code.as_str()).collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
        assert!(
            catalog.iter().any(|r| r.code == "CIS-4.2.15"),
            "1.11-only controls are listed"
        );
        assert!(
            explain("CIS-1.2.29")
                .is_some_and(|d| d.contains("Benchmark 1.11") && d.contains("Benchmark 1.12"))
        );
        assert!(explain("PSS001").is_some_and(|d| d.contains("## What it does")));
        assert!(
            explain("CIS-5.2.3").is_some_and(|d| d.contains("PSS002") && d.contains("hostPID"))
        );
        assert!(
            catalog
                .iter()
                .any(|r| r.code == "CIS-5.2.1" && r.benchmark == "cis-k8s")
        );
        assert!(catalog.iter().any(|r| r.code == "NSA-audit.logging"));
    }

    #[test]
    fn lookup_by_code_name_or_check_id() {
        assert_eq!(find_rule("pss003").map(|r| r.name), Some("privileged"));
        assert_eq!(find_rule("run-as-non-root").map(|r| r.code), Some("PSS103"));
        assert_eq!(
            find_rule("seccompProfile_restricted").map(|r| r.code),
            Some("PSS105")
        );
        assert!(find_rule("nope").is_none());
    }
}
