//! PSA check `sysctls` (baseline; the safe set grows at v1.27, v1.29, v1.32 and v1.37).

use super::{Level, Outcome, PssCheck, Version, Violation, go_quote};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that sets a sysctl (`spec.securityContext.sysctls[*].name`) outside the safe
    /// set of the policy version:
    /// - v1.0: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    ///   `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
    ///   `net.ipv4.ip_unprivileged_port_start`
    /// - v1.27: `net.ipv4.ip_local_reserved_ports`
    /// - v1.29: `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`,
    ///   `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`
    /// - v1.32: `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`
    /// - v1.37: `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat`
    ///
    /// ## Why is this bad?
    /// Sysctls outside the safe set are not isolated per pod: they change the kernel for every
    /// workload on the node, or disable security mechanisms.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - name: kernel.msgmax
    ///     value: "65536"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - name: net.ipv4.ip_local_port_range
    ///     value: "1024 65535"
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Sysctls": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - Kubernetes docs, "Using sysctls in a Kubernetes Cluster"
    /// - PSA source: `policy/check_sysctls.go`
    pub static RULE = Rule {
        code: "PSS012",
        name: "unsafe-sysctls",
        title: "Pods may only set safe sysctls",
        severity: Severity::Medium,
        remediation: "Remove the sysctl, or set it on the node (and keep such workloads on dedicated nodes) instead of in the pod.",
        kind: RuleKind::Pss(PssCheck {
            id: "sysctls",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

/// Safe sysctls and the policy version (`v1.<minor>`) that first allows each.
const SAFE: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

fn is_safe(name: &str, version: Version) -> bool {
    SAFE.iter()
        .any(|(n, since)| *n == name && version.at_least(*since))
}

fn evaluate(pod: &Pod, version: Version) -> Option<Outcome> {
    let sysctls = pod
        .security_context
        .as_ref()
        .map(|sc| sc.sysctls.as_slice())
        .unwrap_or_default();
    let bad: Vec<_> = sysctls
        .iter()
        .filter(|s| !is_safe(&s.value, version))
        .collect();
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "forbidden sysctls".to_owned(),
        detail: bad
            .iter()
            .map(|s| s.value.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        violations: bad
            .iter()
            .map(|s| Violation {
                container: None,
                loc: s.loc.clone(),
                message: format!(
                    "pod must not set sysctl {} (not in the safe set of policy v1.{})",
                    go_quote(&s.value),
                    version.effective_minor()
                ),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    fn with(name: &str) -> Pod {
        pod(&format!(
            "spec:\n  securityContext:\n    sysctls:\n    - name: {name}\n      value: '1'\n"
        ))
    }

    #[test]
    fn the_safe_set_grows_with_the_version() {
        for (name, since) in SAFE {
            let p = with(name);
            if *since > 0 {
                assert!(
                    evaluate(&p, Version::v1(since - 1)).is_some(),
                    "{name} before v1.{since}"
                );
            }
            assert!(
                evaluate(&p, Version::v1(*since)).is_none(),
                "{name} at v1.{since}"
            );
        }
        let out = evaluate(&with("kernel.msgmax"), Version::LATEST).expect("fails");
        assert_eq!(out.detail, "kernel.msgmax");
        assert_eq!(
            out.violations[0].loc.pointer,
            "/spec/securityContext/sysctls/0/name"
        );
    }
}
