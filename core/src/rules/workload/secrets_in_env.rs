//! Workload: Secrets passed as environment variables.

use super::{container_label, per_container};
use crate::rules::manifest::{Evaluator, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each `env[].valueFrom.secretKeyRef` and each `envFrom[].secretRef` of a container.
    ///
    /// ## Why is this bad?
    /// Environment variables leak: applications print them in crash reports and debug pages,
    /// child processes inherit them, and they show in `/proc/<pid>/environ` to anything that
    /// can read it. A Secret mounted as a file can be given tight permissions and is updated in
    /// place when the Secret changes.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   env:
    ///   - name: DB_PASSWORD
    ///     valueFrom:
    ///       secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   volumeMounts:
    ///   - {name: db, mountPath: /var/run/secrets/db, readOnly: true}
    /// volumes:
    /// - name: db
    ///   secret: {secretName: db, defaultMode: 0400}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.4.1
    /// - Good practices for Kubernetes Secrets: <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    pub static RULE = Rule {
        code: "WKL003",
        name: "secrets-in-env",
        title: "Secrets are mounted as files, not passed in environment variables",
        severity: Severity::Low,
        remediation: "Mount the Secret as a volume (read-only, mode 0400) and read it from the file.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    per_container(
        subject,
        "no Secret is passed in an environment variable",
        |c| {
            let mut fails = Vec::new();
            for var in c.field.get("env").map(|e| e.items()).unwrap_or_default() {
                if let Some(r) = var.path(&["valueFrom", "secretKeyRef"]) {
                    let name = var.get("name").and_then(|n| n.str()).unwrap_or_default();
                    fails.push(Finding::fail(
                        r.loc,
                        Some(c.name),
                        format!(
                            "{} takes environment variable {name:?} from a Secret",
                            container_label(c)
                        ),
                    ));
                }
            }
            for source in c
                .field
                .get("envFrom")
                .map(|e| e.items())
                .unwrap_or_default()
            {
                if let Some(r) = source.get("secretRef") {
                    let name = r.get("name").and_then(|n| n.str()).unwrap_or_default();
                    fails.push(Finding::fail(
                        r.loc,
                        Some(c.name),
                        format!(
                            "{} takes its environment from Secret {name:?}",
                            container_label(c)
                        ),
                    ));
                }
            }
            fails
        },
    )
}
