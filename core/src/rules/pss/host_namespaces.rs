//! PSA check `hostNamespaces` (baseline, all versions).

use super::{Level, Outcome, PssCheck, Version, Violation};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that sets `spec.hostNetwork`, `spec.hostPID` or `spec.hostIPC` to `true`.
    ///
    /// ## Why is this bad?
    /// Sharing the node's namespaces removes the isolation between the pod and the node: with
    /// `hostPID` the pod sees and can signal every process on the node, with `hostNetwork` it
    /// can bind node ports and sniff node traffic, with `hostIPC` it can read shared memory of
    /// other processes.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    ///   hostPID: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   hostNetwork: false   # or leave unset
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Host Namespaces": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - PSA source: `policy/check_hostNamespaces.go`
    pub static RULE = Rule {
        code: "PSS002",
        name: "host-namespaces",
        title: "Pods must not share the node's network, PID or IPC namespace",
        severity: Severity::High,
        remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false); expose ports through a Service instead of the host network.",
        kind: RuleKind::Pss(PssCheck {
            id: "hostNamespaces",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let mut shared = Vec::new();
    let mut violations = Vec::new();
    for (field, value) in [
        ("hostNetwork", &pod.host_network),
        ("hostPID", &pod.host_pid),
        ("hostIPC", &pod.host_ipc),
    ] {
        if let Some(v) = value.as_ref().filter(|v| v.value) {
            shared.push(format!("{field}=true"));
            violations.push(Violation {
                container: None,
                loc: v.loc.clone(),
                message: format!("pod must not set {field}=true"),
            });
        }
    }
    if shared.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "host namespaces".to_owned(),
        detail: shared.join(", "),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn lists_every_shared_namespace() {
        let out = evaluate(
            &pod("spec:\n  hostNetwork: true\n  hostPID: false\n  hostIPC: true\n"),
            Version::LATEST,
        )
        .expect("fails");
        assert_eq!(out.detail, "hostNetwork=true, hostIPC=true");
        assert_eq!(out.violations[1].loc.pos.line, 4);
        assert!(evaluate(&pod("spec:\n  hostNetwork: false\n"), Version::LATEST).is_none());
    }
}
