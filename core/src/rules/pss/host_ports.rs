//! PSA check `hostPorts` (baseline, all versions).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, containers_phrase, pluralize,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which any container port sets a non-zero `hostPort`.
    ///
    /// ## Why is this bad?
    /// A host port binds directly on the node's network interfaces, bypassing Services and
    /// NetworkPolicies, and ties the pod to nodes where the port is free.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    /// - containerPort: 8080
    ///   hostPort: 80
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// ports:
    /// - containerPort: 8080   # expose it with a Service
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Host Ports": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - CIS Kubernetes Benchmark 5.2.13
    /// - PSA source: `policy/check_hostPorts.go`
    pub static RULE = Rule {
        code: "PSS006",
        name: "host-ports",
        title: "Containers must not use host ports",
        severity: Severity::Medium,
        remediation: "Remove `hostPort` and expose the port through a Service (ClusterIP, NodePort or LoadBalancer).",
        kind: RuleKind::Pss(PssCheck {
            id: "hostPorts",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let mut bad = Vec::new();
    let mut ports = SortedSet::new();
    let mut violations = Vec::new();
    for c in pod.containers.iter().filter(|c| !c.host_ports.is_empty()) {
        bad.push(c.name.clone());
        for port in &c.host_ports {
            ports.insert(port.value.to_string());
            violations.push(Violation {
                container: Some(c.name.clone()),
                loc: port.loc.clone(),
                message: format!(
                    "{} must not use hostPort {}",
                    containers_phrase(&[&c.name]),
                    port.value
                ),
            });
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "hostPort".to_owned(),
        detail: format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.into_iter().collect::<Vec<_>>().join(", ")
        ),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn zero_is_allowed_others_fail() {
        let p = pod(
            "spec:\n  containers:\n  - name: a\n    ports: [{containerPort: 1, hostPort: 0}]\n",
        );
        assert!(evaluate(&p, Version::LATEST).is_none());
        let p = pod(
            "spec:\n  containers:\n  - name: a\n    ports: [{hostPort: 8080}, {hostPort: 80}]\n  - name: b\n    ports: [{hostPort: 80}]\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(out.detail, "containers \"a\", \"b\" use hostPorts 80, 8080");
        assert_eq!(out.violations.len(), 3);
    }
}
