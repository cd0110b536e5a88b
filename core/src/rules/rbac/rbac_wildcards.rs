//! RBAC: wildcards in roles.

use super::{is_role, policy_rules};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject, verdict};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each rule of a Role or ClusterRole that has `*` in its `apiGroups`, `resources`,
    /// `verbs` or `nonResourceURLs` (`*` there is every non-resource URL: `/metrics`, `/debug/`,
    /// `/logs`...).
    ///
    /// ## Why is this bad?
    /// A wildcard grants everything that exists now and everything added later: new resource
    /// types from CRDs, new subresources, new verbs. The role's power can grow without anyone
    /// changing it, and reviewers cannot see what it allows.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: app-admin, namespace: app}
    /// rules:
    /// - apiGroups: ["*"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Role
    /// metadata: {name: app-admin, namespace: app}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "watch", "patch"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.1.3
    /// - Kubernetes RBAC good practices: <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub static RULE = Rule {
        code: "RBAC003",
        name: "rbac-wildcards",
        title: "Roles do not use wildcards",
        severity: Severity::Medium,
        remediation: "List the API groups, resources and verbs the subject needs instead of `*`.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "rbac",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    let id = &subject.resource.identity;
    if !is_role(&id.kind) {
        return Vec::new();
    }
    let mut fails = Vec::new();
    for rule in policy_rules(subject) {
        for key in ["apiGroups", "resources", "verbs", "nonResourceURLs"] {
            let Some(list) = rule.get(key) else { continue };
            for item in list.items() {
                if item.str() == Some("*") {
                    fails.push(Finding::fail(
                        item.loc,
                        None,
                        format!("{} {:?} uses a wildcard in {key}", id.kind, id.name),
                    ));
                }
            }
        }
    }
    verdict(
        fails,
        subject.name_loc(),
        format!("{} {:?} uses no wildcards", id.kind, id.name),
    )
}
