//! Workload: the NET_RAW capability.

use super::{container_label, per_container};
use crate::rules::manifest::{Evaluator, Field, Finding, ManifestCheck, Settings, Subject};
use crate::rules::{RuleKind, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Fails each container of a Linux pod that keeps `NET_RAW`, reading `capabilities` the way
    /// containerd and CRI-O apply them: start from the runtime's default set (which has
    /// `NET_RAW`), add every capability if `add` has `ALL`, remove every one if `drop` has
    /// `ALL`, then add each named capability of `add`, then remove each of `drop`. So
    /// `drop: [ALL]` or `drop: [NET_RAW]` removes it, `add: [NET_RAW]` after `drop: [ALL]`
    /// keeps it, and `add: [ALL]` with `drop: [NET_RAW]` does not. Names are case-insensitive
    /// (`all`, `net_raw`), as both runtimes upper-case them. Windows pods are not judged.
    ///
    /// `CAP_NET_RAW` in `drop` is read as `NET_RAW` by CRI-O but not by containerd, which
    /// prefixes `CAP_` again and drops the unknown `CAP_CAP_NET_RAW`: the container keeps
    /// `NET_RAW` there, so the rule fails it and says why. (PSS106, restricted capabilities,
    /// keeps Pod Security Admission's own reading: only the exact `ALL` counts.)
    ///
    /// ## Why is this bad?
    /// `NET_RAW` lets a process craft any packet: spoof addresses, poison ARP and DNS caches of
    /// neighbours on the node's network, and exploit kernel bugs in raw socket handling. Almost
    /// no application needs it (`ping` does not, with unprivileged ICMP sockets).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   securityContext: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    /// - name: web
    ///   securityContext:
    ///     capabilities:
    ///       drop: ["ALL"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.12 5.2.8
    pub static RULE = Rule {
        code: "WKL006",
        name: "net-raw-capability",
        title: "Containers drop the NET_RAW capability",
        severity: Severity::Medium,
        remediation: "Add `capabilities.drop: [\"ALL\"]` (or at least NET_RAW) to the container's securityContext and do not add it back.",
        kind: RuleKind::Manifest(ManifestCheck {
            family: "workload",
            evaluator: Evaluator::Resource(evaluate),
        }),
    };
}

/// How a runtime reads one name of `capabilities.add` or `drop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// `ALL`, any case.
    All,
    /// `NET_RAW`, any case.
    NetRaw,
    /// `CAP_NET_RAW`, any case: `NET_RAW` for CRI-O, an unknown name for containerd.
    PrefixedNetRaw,
    /// Anything else.
    Other,
}

fn name(text: &str) -> Name {
    match text.to_ascii_uppercase().as_str() {
        "ALL" => Name::All,
        "NET_RAW" => Name::NetRaw,
        "CAP_NET_RAW" => Name::PrefixedNetRaw,
        _ => Name::Other,
    }
}

/// The first item of `items` that is one of `wanted`.
fn find<'a>(items: &[Field<'a>], wanted: &[Name]) -> Option<Field<'a>> {
    items
        .iter()
        .find(|i| i.str().is_some_and(|t| wanted.contains(&name(t))))
        .cloned()
}

fn evaluate(subject: &Subject<'_>, _: &Settings) -> Vec<Finding> {
    if subject.pod.as_ref().is_some_and(|p| p.is_windows()) {
        return Vec::new();
    }
    per_container(subject, "no container keeps NET_RAW", |c| {
        let sc = c.field.get("securityContext");
        let caps = sc.as_ref().and_then(|s| s.get("capabilities"));
        let list = |key: &str| {
            caps.as_ref()
                .and_then(|k| k.get(key))
                .map(|l| l.items())
                .unwrap_or_default()
        };
        let (add, drop) = (list("add"), list("drop"));
        // The runtimes remove the named drops last: a dropped NET_RAW is gone whatever was added.
        if find(&drop, &[Name::NetRaw]).is_some() {
            return Vec::new();
        }
        if let Some(item) = find(&add, &[Name::NetRaw, Name::PrefixedNetRaw]) {
            let what = item.str().unwrap_or_default().to_owned();
            return vec![Finding::fail(
                item.loc,
                Some(c.name),
                format!("{} adds capability {what}", container_label(c)),
            )];
        }
        if find(&drop, &[Name::All]).is_some() {
            return Vec::new();
        }
        if let Some(item) = find(&drop, &[Name::PrefixedNetRaw]) {
            let what = item.str().unwrap_or_default().to_owned();
            return vec![Finding::fail(
                item.loc,
                Some(c.name),
                format!(
                    "{} drops {what:?}, which containerd reads as CAP_{} and does not remove \
                     NET_RAW (CRI-O does); write NET_RAW or ALL",
                    container_label(c),
                    what.to_ascii_uppercase()
                ),
            )];
        }
        if let Some(item) = find(&add, &[Name::All]) {
            let what = item.str().unwrap_or_default().to_owned();
            return vec![Finding::fail(
                item.loc,
                Some(c.name),
                format!("{} adds capability {what}", container_label(c)),
            )];
        }
        let loc = caps
            .as_ref()
            .and_then(|k| k.get("drop"))
            .map(|f| f.loc)
            .or_else(|| caps.map(|f| f.loc))
            .or_else(|| sc.map(|f| f.loc))
            .unwrap_or_else(|| c.field.loc.clone());
        vec![Finding::fail(
            loc,
            Some(c.name),
            format!(
                "{} must drop NET_RAW (capabilities.drop: [\"ALL\"] or [\"NET_RAW\"])",
                container_label(c)
            ),
        )]
    })
}
