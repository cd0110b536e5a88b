//! Image: commands run through a shell where images are expected to be distroless.

use crate::rules::manifest::{
    ContainerField, Evaluator, Field, Finding, ManifestCheck, Settings, Subject,
};
use crate::rules::workload::{container_label, per_container};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// When the policy sets `settings.expectDistroless: true`, fails each container command,
    /// and each exec probe or lifecycle hook, that runs a shell with `-c` (`sh -c ...`,
    /// `/bin/bash -c ...`, `busybox sh -c ...`). Without that setting the rule is not
    /// evaluated. Only commands the manifest spells out are judged: an image's own entrypoint
    /// is not in the manifest.
    ///
    /// ## Why is this bad?
    /// Distroless images ship no shell, which removes the attacker's favourite tool after a
    /// compromise. A manifest that needs `sh -c` cannot run on such an image, so the platform
    /// keeps shipping shells; the command also hides its real argv behind string parsing.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   command: ["/bin/sh", "-c", "exec /app/server --port=$PORT"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   command: ["/app/server"]
    ///   args: ["--port=$(PORT)"]
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guidance v1.2, "Container images" (minimal images)
    /// - Distroless images: <https://github.com/GoogleContainerTools/distroless>
    pub static RULE = Rule {
        code: "IMG005",
        name: "shell-command",
        title: "Commands do not need a shell",
        severity: Severity::Low,
        remediation: "Run the program directly (`command: [\"/app/server\"]`), using `$(VAR)` expansion in args instead of shell expansion.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "image",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"];

/// Whether argv runs a shell with `-c`.
pub fn is_shell_invocation(argv: &[&str]) -> bool {
    let mut words = argv.iter().map(|w| w.rsplit('/').next().unwrap_or(w));
    let mut first = words.next();
    if first == Some("busybox") || first == Some("env") {
        first = words.next();
    }
    first.is_some_and(|f| SHELLS.contains(&f))
        && words.any(|w| w.starts_with('-') && w.contains('c'))
}

fn check_argv(c: &ContainerField<'_>, at: Field<'_>, argv: &[&str], what: &str) -> Option<Finding> {
    is_shell_invocation(argv).then(|| {
        Finding::fail(
            at.loc,
            Some(c.name),
            format!(
                "{} runs its {what} through a shell: {}",
                container_label(c),
                argv.join(" ")
            ),
        )
    })
}

fn evaluate(subject: &Subject<'_>, settings: &Settings) -> Vec<Finding> {
    if !settings.expect_distroless {
        return Vec::new();
    }
    per_container(subject, "no command needs a shell", |c| {
        let mut fails = Vec::new();
        if let Some(command) = c.field.get("command") {
            let mut argv = command.strings();
            argv.extend(c.field.get("args").map(|a| a.strings()).unwrap_or_default());
            fails.extend(check_argv(c, command, &argv, "command"));
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(cmd) = c.field.path(&[probe, "exec", "command"]) {
                fails.extend(check_argv(c, cmd.clone(), &cmd.strings(), probe));
            }
        }
        for hook in ["postStart", "preStop"] {
            if let Some(cmd) = c.field.path(&["lifecycle", hook, "exec", "command"]) {
                fails.extend(check_argv(c, cmd.clone(), &cmd.strings(), hook));
            }
        }
        fails
    })
}

#[cfg(test)]
mod tests {
    use super::is_shell_invocation;

    #[test]
    fn shells_with_dash_c_are_recognised() {
        assert!(is_shell_invocation(&["/bin/sh", "-c", "x"]));
        assert!(is_shell_invocation(&["bash", "-ec", "x"]));
        assert!(is_shell_invocation(&["busybox", "sh", "-c", "x"]));
        assert!(!is_shell_invocation(&["/app/server", "-c", "config"]));
        assert!(!is_shell_invocation(&["sh", "script.sh"]));
    }
}
