//! The one table of rule codes. Codes are stable and never reused.

use crate::rules::{Rule, pss};

/// Every rule, ordered by code.
pub static RULES: &[&Rule] = &[
    &pss::host_process::RULE,
    &pss::host_namespaces::RULE,
    &pss::privileged::RULE,
    &pss::capabilities_baseline::RULE,
    &pss::host_path_volumes::RULE,
    &pss::host_ports::RULE,
    &pss::host_probes::RULE,
    &pss::apparmor_profile::RULE,
    &pss::selinux_options::RULE,
    &pss::proc_mount::RULE,
    &pss::seccomp_baseline::RULE,
    &pss::sysctls::RULE,
    &pss::restricted_volumes::RULE,
    &pss::allow_privilege_escalation::RULE,
    &pss::run_as_non_root::RULE,
    &pss::run_as_user::RULE,
    &pss::seccomp_restricted::RULE,
    &pss::capabilities_restricted::RULE,
    &pss::proc_mount_restricted::RULE,
];

/// Finds a rule by code (`PSS003`, case-insensitive), name (`privileged`) or PSA check id.
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| {
        r.code.eq_ignore_ascii_case(key)
            || r.name == key
            || matches!(&r.kind, crate::rules::RuleKind::Pss(c) if c.id == key)
    })
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
            assert!(r.code.len() == 6 && r.code.starts_with("PSS"), "{}", r.code);
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
            .map(|r| match &r.kind {
                RuleKind::Pss(c) => c.id,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 19);
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
