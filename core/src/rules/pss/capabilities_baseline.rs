//! PSA check `capabilities_baseline` (baseline, all versions).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, containers_phrase, go_quote,
    join_quote,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which a container adds a Linux capability beyond the container runtime's
    /// default set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD,
    /// NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.
    ///
    /// ## Why is this bad?
    /// Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or NET_RAW give a container powers
    /// over the kernel and the network that are the usual first step of a container escape or
    /// of attacks on other pods.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["SYS_ADMIN"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Capabilities": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - CIS Kubernetes Benchmark 5.2.8, 5.2.9
    /// - PSA source: `policy/check_capabilities_baseline.go`
    pub static RULE = Rule {
        code: "PSS004",
        name: "non-default-capabilities",
        title: "Containers must not add capabilities beyond the default set",
        severity: Severity::High,
        remediation: "Remove the capability from `securityContext.capabilities.add`; if the process needs a privileged operation, move it to a separate, reviewed workload.",
        kind: RuleKind::Pss(PssCheck {
            id: "capabilities_baseline",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

/// The capabilities container runtimes grant by default (minus NET_RAW), which baseline allows.
pub(crate) const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let mut bad = Vec::new();
    let mut forbidden = SortedSet::new();
    let mut violations = Vec::new();
    for c in &pod.containers {
        let Some(caps) = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.capabilities.as_ref())
        else {
            continue;
        };
        let mut valid = true;
        for cap in caps
            .add
            .iter()
            .filter(|cap| !ALLOWED.contains(&cap.value.as_str()))
        {
            valid = false;
            forbidden.insert(cap.value.clone());
            violations.push(Violation {
                container: Some(c.name.clone()),
                loc: cap.loc.clone(),
                message: format!(
                    "{} must not include {} in securityContext.capabilities.add",
                    containers_phrase(&[&c.name]),
                    go_quote(&cap.value)
                ),
            });
        }
        if !valid {
            bad.push(c.name.clone());
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "non-default capabilities".to_owned(),
        detail: format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad),
            join_quote(&forbidden)
        ),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn default_capabilities_pass_others_fail() {
        let ok = pod(
            "spec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {add: [CHOWN, NET_BIND_SERVICE]}}\n",
        );
        assert!(evaluate(&ok, Version::LATEST).is_none());
        let bad = pod(
            "spec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {add: [SYS_ADMIN, NET_RAW, CHOWN]}}\n",
        );
        let out = evaluate(&bad, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "container \"a\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add"
        );
        assert_eq!(out.violations.len(), 2);
    }
}
