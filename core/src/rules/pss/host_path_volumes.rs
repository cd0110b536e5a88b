//! PSA check `hostPathVolumes` (baseline, all versions).

use super::{Level, Outcome, PssCheck, Version, Violation, go_quote, join_quote, pluralize};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod that mounts a `hostPath` volume.
    ///
    /// ## Why is this bad?
    /// A hostPath volume exposes the node's file system to the pod: `/` or `/var/run` gives
    /// the container runtime socket, kubelet credentials and every other pod's data.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:
    ///     path: /var/run/docker.sock
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// volumes:
    /// - name: scratch
    ///   emptyDir: {}
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline, "HostPath Volumes": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline>
    /// - CIS Kubernetes Benchmark 5.2.12
    /// - PSA source: `policy/check_hostPathVolumes.go`
    pub static RULE = Rule {
        code: "PSS005",
        name: "host-path-volumes",
        title: "Pods must not mount hostPath volumes",
        severity: Severity::High,
        remediation: "Replace the hostPath volume with an emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI volume.",
        kind: RuleKind::Pss(PssCheck {
            id: "hostPathVolumes",
            level: Level::Baseline,
            since: 0,
            overrides: &[],
            evaluate,
        }),
    };
}

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let bad: Vec<_> = pod
        .volumes
        .iter()
        .filter(|v| v.source.value == "hostPath")
        .collect();
    if bad.is_empty() {
        return None;
    }
    Some(Outcome {
        reason: "hostPath volumes".to_owned(),
        detail: format!(
            "{} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(bad.iter().map(|v| v.name.as_str()))
        ),
        violations: bad
            .iter()
            .map(|v| Violation {
                container: None,
                loc: v.source.loc.clone(),
                message: format!("volume {} must not use hostPath", go_quote(&v.name)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn host_path_fails() {
        let p = pod(
            "spec:\n  volumes:\n  - name: a\n    hostPath: {path: /}\n  - name: b\n    emptyDir: {}\n",
        );
        let out = evaluate(&p, Version::LATEST).expect("fails");
        assert_eq!(out.detail, "volume \"a\"");
        assert_eq!(out.violations[0].loc.pointer, "/spec/volumes/0/hostPath");
    }
}
