//! PSA check `hostProbesAndHostLifecycle` (baseline, from v1.34).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, containers_phrase, go_quote,
    join_quote, pluralize,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod in which a liveness, readiness or startup probe, or a `postStart`/`preStop`
    /// lifecycle handler, sets `httpGet.host` or `tcpSocket.host`. Applies from policy v1.34.
    ///
    /// ## Why is this bad?
    /// The kubelet performs probes and lifecycle requests from the node. A `host` field points
    /// those requests anywhere the node can reach, turning the kubelet into a confused deputy
    /// for server-side request forgery against node-local or internal services.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     host: 169.254.169.254
    ///     path: /latest/meta-data/
    ///     port: 80
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     path: /healthz   # the pod's own IP is used
    ///     port: 8080
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "Probes / Lifecycle Hooks": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - PSA source: `policy/check_hostProbesAndhostLifecycle.go`
    pub static RULE = Rule {
        code: "PSS007",
        name: "host-probes-and-lifecycle",
        title: "Probes and lifecycle handlers must not set a host",
        severity: Severity::Medium,
        remediation: "Remove `host` from the probe or lifecycle handler so that the kubelet targets the pod's own IP.",
        kind: RuleKind::Pss(PssCheck {
            id: "hostProbesAndHostLifecycle",
            level: Level::Baseline,
            since: 34,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let mut bad = SortedSet::new();
    let mut hosts = SortedSet::new();
    let mut violations = Vec::new();
    for c in pod.containers.iter() {
        for host in &c.probe_hosts {
            bad.insert(c.name.clone());
            hosts.insert(host.value.clone());
            violations.push(Violation {
                container: Some(c.name.clone()),
                loc: host.loc.clone(),
                message: format!(
                    "{} must not set {} to {}",
                    containers_phrase(&[&c.name]),
                    dotted(&host.loc.pointer),
                    go_quote(&host.value)
                ),
            });
        }
    }
    if bad.is_empty() {
        return None;
    }
    let names: Vec<_> = bad.into_iter().collect();
    Some(Outcome {
        reason: "probe or lifecycle host".to_owned(),
        detail: format!(
            "{} {} {} {}",
            containers_phrase(&names),
            pluralize("uses", "use", names.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
        violations,
    })
}

/// `.../containers/0/livenessProbe/httpGet/host` → `livenessProbe.httpGet.host`.
fn dotted(pointer: &str) -> String {
    let parts: Vec<&str> = pointer.rsplit('/').take(3).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn probe_and_lifecycle_hosts() {
        let p = pod(
            "spec:\n  containers:\n  - name: a\n    livenessProbe: {httpGet: {host: evil, port: 80}}\n    lifecycle: {preStop: {tcpSocket: {host: other, port: 1}}}\n    readinessProbe: {httpGet: {host: '', port: 80}}\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(
            out.detail,
            "container \"a\" uses probe or lifecycle hosts \"evil\", \"other\""
        );
        assert_eq!(
            out.violations[0].message,
            "container \"a\" must not set livenessProbe.httpGet.host to \"evil\""
        );
        assert_eq!(
            out.violations[1].message,
            "container \"a\" must not set preStop.tcpSocket.host to \"other\""
        );
    }
}
