//! PSA check `windowsHostProcess` (baseline, all versions).

use super::{Level, Outcome, PssCheck, Version, bad_setters};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that sets `securityContext.windowsOptions.hostProcess: true`, at pod level or
    /// on any container, init container or ephemeral container.
    ///
    /// ## Why is this bad?
    /// A Windows HostProcess container runs as a process on the host with the host's network,
    /// file system and privileges: it is the Windows equivalent of a privileged container and
    /// gives full access to the node.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     windowsOptions:
    ///       hostProcess: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     windowsOptions: {}
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "HostProcess": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - PSA source: `policy/check_windowsHostProcess.go`
    pub static RULE = Rule {
        code: "PSS001",
        name: "host-process",
        title: "Windows pods must not run HostProcess containers",
        severity: Severity::Critical,
        remediation: "Remove `windowsOptions.hostProcess: true` from the pod and container security contexts; run node agents outside this namespace's policy if they truly need the host.",
        kind: RuleKind::Pss(PssCheck {
            id: "windowsHostProcess",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

const FIELD: &str = "securityContext.windowsOptions.hostProcess=true";

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let found = bad_setters(
        pod,
        |sc| sc.windows_host_process.as_ref(),
        |on| *on,
        |who, _| format!("{who} must not set {FIELD}"),
    );
    if found.setters.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "hostProcess".to_owned(),
        detail: format!("{} must not set {FIELD}", found.setters.join(" and ")),
        violations: found.violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn pod_and_container_host_process() {
        let p = pod(
            "spec:\n  securityContext: {windowsOptions: {hostProcess: true}}\n  containers:\n  - name: a\n    securityContext: {windowsOptions: {hostProcess: true}}\n  - name: b\n    securityContext: {windowsOptions: {hostProcess: false}}\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "pod and container \"a\" must not set securityContext.windowsOptions.hostProcess=true"
        );
        assert_eq!(out.violations.len(), 2);
        assert!(evaluate(&pod("spec:\n  containers: [{name: a}]\n"), Version::LATEST).is_none());
    }
}
