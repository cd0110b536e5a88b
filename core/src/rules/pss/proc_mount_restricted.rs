//! PSA check `procMount_restricted` (restricted, from v1.35; replaces `procMount`).

use super::{Level, Outcome, PssCheck, Version};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// At the restricted level from policy v1.35, fails a pod in which a container sets
    /// `securityContext.procMount` to anything other than `Default`, even when the pod runs in
    /// its own user namespace (`hostUsers: false`). It replaces the baseline procMount check
    /// (PSS010), whose v1.35 relaxation restricted does not accept.
    ///
    /// ## Why is this bad?
    /// An unmasked /proc exposes kernel interfaces. A user namespace limits the damage, but the
    /// restricted standard keeps defence in depth: the masks cost nothing for applications.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///   - name: app
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///   - name: app
    ///     securityContext:
    ///       procMount: Default
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - PSA source: `policy/check_procMount_restricted.go`
    pub static RULE = Rule {
        code: "PSS107",
        name: "proc-mount-restricted",
        title: "Containers must use the default /proc mount, even in a user namespace",
        severity: Severity::Medium,
        remediation: "Remove `procMount` or set it to `Default`.",
        kind: RuleKind::Pss(PssCheck {
            id: "procMount_restricted",
            level: Level::Restricted,
            since: 35,
            overrides: &["procMount"],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    super::proc_mount::strict(pod)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn user_namespaces_do_not_relax_it() {
        let p = pod(
            "spec:\n  hostUsers: false\n  containers:\n  - name: a\n    securityContext: {procMount: Unmasked}\n",
        );
        assert!(evaluate(&p, Version::LATEST).is_some());
    }
}
