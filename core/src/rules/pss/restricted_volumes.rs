//! PSA check `restrictedVolumes` (restricted, all versions; replaces `hostPathVolumes`).

use super::{
    Level, Outcome, PssCheck, SortedSet, Version, Violation, go_quote, join_quote, pluralize,
};
use crate::input::pod::Pod;
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails a pod with a volume of a type outside the restricted set: `configMap`, `csi`,
    /// `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`
    /// and `secret`. A volume with no source is an `emptyDir` (the API server defaults it).
    ///
    /// ## Why is this bad?
    /// The other volume types (hostPath, nfs, iscsi, rbd, gitRepo, ...) let a pod reach node
    /// storage or network storage directly, outside the PersistentVolume machinery that cluster
    /// administrators control; `gitRepo` has run arbitrary git hooks on the node.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: data
    ///   nfs:
    ///     server: 10.0.0.2
    ///     path: /exports
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// volumes:
    /// - name: data
    ///   persistentVolumeClaim:
    ///     claimName: data
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted, "Volume Types": <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>
    /// - PSA source: `policy/check_restrictedVolumes.go`
    pub static RULE = Rule {
        code: "PSS101",
        name: "restricted-volumes",
        title: "Pods may only use the restricted volume types",
        severity: Severity::Medium,
        remediation: "Use a PersistentVolumeClaim (backed by a PersistentVolume the administrators manage), or a configMap, secret, projected, downwardAPI, emptyDir, ephemeral, csi or image volume.",
        kind: RuleKind::Pss(PssCheck {
            id: "restrictedVolumes",
            level: Level::Restricted,
            since: 0,
            overrides: &["hostPathVolumes"],
            evaluate,
        }),
    };
}

const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn evaluate(pod: &Pod, _version: Version) -> Option<Outcome> {
    let bad: Vec<_> = pod
        .volumes
        .iter()
        .filter(|v| !ALLOWED.contains(&v.source.value.as_str()))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let types: SortedSet = bad.iter().map(|v| v.source.value.clone()).collect();
    Some(Outcome {
        reason: "restricted volume types".to_owned(),
        detail: format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(bad.iter().map(|v| v.name.as_str())),
            pluralize("uses", "use", bad.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        violations: bad
            .iter()
            .map(|v| Violation {
                container: None,
                loc: v.source.loc.clone(),
                message: format!(
                    "volume {} uses restricted volume type {}",
                    go_quote(&v.name),
                    go_quote(&v.source.value)
                ),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::pss::test_support::pod;

    #[test]
    fn only_the_allowed_types_pass() {
        let ok = pod(
            "spec:\n  volumes:\n  - {name: a, configMap: {name: x}}\n  - {name: b}\n  - {name: c, projected: {sources: []}}\n",
        );
        assert!(evaluate(&ok, Version::LATEST).is_none());
        let bad = pod(
            "spec:\n  volumes:\n  - {name: a, nfs: {server: s, path: /}}\n  - {name: b, hostPath: {path: /}}\n",
        );
        assert_eq!(
            evaluate(&bad, Version::LATEST).expect("fails").detail,
            "volumes \"a\", \"b\" use restricted volume types \"hostPath\", \"nfs\""
        );
    }
}
