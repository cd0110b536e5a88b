//! The Pod Security Standards, check by check, as Kubernetes' Pod Security Admission decides.
//!
//! Each file implements one PSA check (`k8s.io/pod-security-admission/policy/check_*.go`) with
//! all of its versions. A check returns `None` when the pod is allowed, or an [`Outcome`] that
//! carries both PSA's own wording (`reason` and `detail`, used for admission messages) and one
//! [`Violation`] per offending field, each pointing at a line.

pub mod allow_privilege_escalation;
pub mod apparmor_profile;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes;
pub mod host_process;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_volumes;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod seccomp_baseline;
pub mod seccomp_restricted;
pub mod selinux_options;
pub mod sysctls;

use std::collections::BTreeSet;

use crate::input::pod::{At, Container, Loc, Pod, SecurityContext};

pub use crate::vocab::Level;

/// The newest PSS policy version this engine knows (`v1.37`); `latest` means this one.
pub const LATEST_MINOR: u32 = 37;

/// A PSS policy version `v1.<minor>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The minor number as asked for (it may be newer than [`LATEST_MINOR`]).
    pub minor: u32,
    /// Whether it was asked for as `latest`.
    pub latest: bool,
}

impl Version {
    /// The newest version.
    pub const LATEST: Version = Version {
        minor: LATEST_MINOR,
        latest: true,
    };

    /// A specific version. One newer than the newest known evaluates as the newest, as in PSA
    /// (every check compares with [`Version::at_least`]), but keeps its label in messages.
    pub fn v1(minor: u32) -> Version {
        Version {
            minor,
            latest: false,
        }
    }

    /// The version whose semantics apply: the newest known for anything newer.
    pub fn effective_minor(self) -> u32 {
        self.minor.min(LATEST_MINOR)
    }

    /// Parses `latest`, `v1.23` (or `1.23`). Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        if text == "latest" {
            return Some(Version::LATEST);
        }
        let rest = text.strip_prefix('v').unwrap_or(text);
        let (major, minor) = rest.split_once('.')?;
        if major != "1" || minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let minor: u32 = minor.parse().ok()?;
        Some(Version::v1(minor))
    }

    /// As PSA writes it: `latest` or `v1.23`.
    pub fn label(self) -> String {
        if self.latest {
            "latest".to_owned()
        } else {
            format!("v1.{}", self.minor)
        }
    }

    /// Whether this version is at least `v1.<minor>`.
    pub fn at_least(self, minor: u32) -> bool {
        self.minor >= minor
    }
}

/// One offending field.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The container at fault, when it is one container's.
    pub container: Option<String>,
    /// The offending field, or its closest existing parent when the field is missing.
    pub loc: Loc,
    /// What is wrong, naming the field and the value.
    pub message: String,
}

/// A failed check: PSA's wording and the individual violations.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// PSA's `ForbiddenReason`, e.g. `allowPrivilegeEscalation != false`.
    pub reason: String,
    /// PSA's `ForbiddenDetail`, e.g. `container "app" must set ...`.
    pub detail: String,
    /// One per offending field, in pod order.
    pub violations: Vec<Violation>,
}

/// How a PSA check is run.
#[derive(Debug)]
pub struct PssCheck {
    /// PSA's check id (e.g. `allowPrivilegeEscalation`).
    pub id: &'static str,
    /// The level it belongs to.
    pub level: Level,
    /// The first policy version it applies at (`v1.<since>`).
    pub since: u32,
    /// Baseline checks this one replaces at the restricted level (from `since` on).
    pub overrides: &'static [&'static str],
    /// Evaluates the pod at a version (never below `since`).
    pub evaluate: fn(&Pod, Version) -> Option<Outcome>,
}

/// The closest existing location for a container's security context field.
pub(crate) fn container_sc_loc(c: &Container) -> Loc {
    c.security_context
        .as_ref()
        .and_then(|sc| sc.loc.clone())
        .unwrap_or_else(|| c.loc.clone())
}

/// A security-context field set to a forbidden value at pod level or in containers.
pub(crate) struct BadSetters<'p, T> {
    /// PSA's wording of who set it: `pod`, then `container "a"` / `containers "a", "b"`.
    pub setters: Vec<String>,
    /// The offending values, pod first, then in container order.
    pub values: Vec<&'p At<T>>,
    /// One violation per offending value.
    pub violations: Vec<Violation>,
}

/// Finds the pod-level and container-level settings of `field` that are `bad`; `message` words
/// a violation from who set it (`pod`, `container "a"`) and the value.
pub(crate) fn bad_setters<'p, T>(
    pod: &'p Pod,
    field: impl Fn(&'p SecurityContext) -> Option<&'p At<T>>,
    bad: impl Fn(&T) -> bool,
    message: impl Fn(&str, &T) -> String,
) -> BadSetters<'p, T> {
    let mut out = BadSetters {
        setters: Vec::new(),
        values: Vec::new(),
        violations: Vec::new(),
    };
    if let Some(v) = pod
        .security_context
        .as_ref()
        .and_then(&field)
        .filter(|v| bad(&v.value))
    {
        out.setters.push("pod".to_owned());
        out.violations.push(Violation {
            container: None,
            loc: v.loc.clone(),
            message: message("pod", &v.value),
        });
        out.values.push(v);
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if let Some(v) = c
            .security_context
            .as_ref()
            .and_then(&field)
            .filter(|v| bad(&v.value))
        {
            out.violations.push(Violation {
                container: Some(c.name.clone()),
                loc: v.loc.clone(),
                message: message(&containers_phrase(&[&c.name]), &v.value),
            });
            out.values.push(v);
            names.push(c.name.clone());
        }
    }
    if !names.is_empty() {
        out.setters.push(containers_phrase(&names));
    }
    out
}

/// Containers that leave `field` unset when the pod level does not cover them: PSA's
/// "implicitly bad" containers. Returns their names and one violation each, pointing at the
/// closest existing parent of the missing field.
pub(crate) fn unset_in_containers(
    pod: &Pod,
    covered_by_pod: bool,
    is_set: impl Fn(&SecurityContext) -> bool,
    message: impl Fn(&str) -> String,
) -> (Vec<String>, Vec<Violation>) {
    let mut names = Vec::new();
    let mut violations = Vec::new();
    if covered_by_pod {
        return (names, violations);
    }
    for c in &pod.containers {
        if c.security_context.as_ref().is_some_and(&is_set) {
            continue;
        }
        violations.push(Violation {
            container: Some(c.name.clone()),
            loc: container_sc_loc(c),
            message: message(&containers_phrase(&[&c.name])),
        });
        names.push(c.name.clone());
    }
    (names, violations)
}

/// PSA's `pluralize`.
pub(crate) fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// PSA's `joinQuote`: `"a", "b"`.
pub(crate) fn join_quote<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items
        .into_iter()
        .map(|s| go_quote(s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Go's `%q` for the strings that appear in manifests.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `container "a"` / `containers "a", "b"`.
pub(crate) fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names.iter().map(AsRef::as_ref))
    )
}

/// A sorted, de-duplicated set (Go's `sets.String.List()`).
pub(crate) type SortedSet = BTreeSet<String>;

#[cfg(test)]
pub(crate) mod test_support {
    use crate::input::pod::{Pod, decode_pod};
    use crate::input::yaml::{Limits, parse_document};

    /// Decodes a Pod manifest for check unit tests.
    pub fn pod(text: &str) -> Pod {
        let (node, errors) = parse_document(text, 0, Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let mut field_errors = Vec::new();
        let pod = decode_pod("Pod", &node.expect("a document"), &mut field_errors);
        assert!(field_errors.is_empty(), "{field_errors:?}");
        pod.expect("a pod")
    }
}
