//! Pod Security Admission's verdict on one pod at a level and version, in PSA's own words
//! (`violates PodSecurity "baseline:v1.29": ...`): for namespace labels (stage 3) and for
//! admission.

use crate::benchmarks::pss_checks;
use crate::input::pod::Pod;
use crate::rules::pss::{Level, Outcome, Version};
use crate::rules::{Rule, RuleKind};

/// Runs PSS for a pod at a level and version: PSA's verdict and message.
pub fn psa_verdict(pod: &Pod, level: Level, version: Version) -> Vec<(&'static Rule, Outcome)> {
    pss_checks(level, version)
        .into_iter()
        .filter_map(|rule| {
            let RuleKind::Pss(check) = &rule.kind else {
                return None;
            };
            (check.evaluate)(pod, version).map(|o| (rule, o))
        })
        .collect()
}

/// What Pod Security Admission says about a pod at a level and version: `None` if it is
/// allowed, else its message `violates PodSecurity "restricted:latest": reason (detail), ...`.
pub fn psa_decision(pod: &Pod, level: Level, version: Version) -> Option<String> {
    let failures = psa_verdict(pod, level, version);
    (!failures.is_empty()).then(|| psa_message(level, version, &failures))
}

/// PSA's wording: `violates PodSecurity "restricted:latest": reason (detail), ...`.
pub(super) fn psa_message(
    level: Level,
    version: Version,
    failures: &[(&'static Rule, Outcome)],
) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|(_, o)| {
            if o.detail.is_empty() {
                o.reason.clone()
            } else {
                format!("{} ({})", o.reason, o.detail)
            }
        })
        .collect();
    format!(
        "violates PodSecurity \"{}:{}\": {}",
        level.as_str(),
        version.label(),
        parts.join(", ")
    )
}
