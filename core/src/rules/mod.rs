//! Rules: one file per rule, its documentation in its doc comment.
//!
//! A rule is declared with [`declare_rule!`](crate::declare_rule), which keeps the doc comment
//! both as rustdoc and as the text `stockade explain` prints, so there is one source for both.

pub mod image;
pub mod manifest;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod workload;

pub use crate::vocab::Severity;

/// What kind of rule this is, with what its family needs to run it.
#[derive(Debug)]
pub enum RuleKind {
    /// A Pod Security Admission check.
    Pss(pss::PssCheck),
    /// A check of manifests beyond PSA: RBAC, workloads, network, images.
    Manifest(manifest::ManifestCheck),
}

/// A rule: stable code, documentation and how to evaluate it.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, never reused (e.g. `PSS003`).
    pub code: &'static str,
    /// Kebab-case name (e.g. `privileged`).
    pub name: &'static str,
    /// One line: what the rule wants.
    pub title: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// How to fix a failure, in one or two sentences.
    pub remediation: &'static str,
    /// The rule's doc comment (markdown with fixed sections).
    pub docs: &'static str,
    /// How it is evaluated.
    pub kind: RuleKind,
}

impl Rule {
    /// The folder of its fixtures and the family shown in catalogs (`pss`, `rbac`, ...).
    pub fn family(&self) -> &'static str {
        match &self.kind {
            RuleKind::Pss(_) => "pss",
            RuleKind::Manifest(m) => m.family,
        }
    }

    /// The documentation as markdown, with rustdoc's leading space removed.
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// Declares a rule static whose doc comment is also its runtime documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $name:ident = Rule { $($field:ident : $value:expr),* $(,)? };
    ) => {
        $(#[doc = $doc])*
        $vis static $name: $crate::rules::Rule = $crate::rules::Rule {
            docs: concat!($($doc, "\n"),*),
            $($field: $value),*
        };
    };
}

/// Every rule, ordered by code: the one table of rule codes (stable, never reused).
pub static RULES: &[&Rule] = &[
    &image::image_tag::RULE,
    &image::image_digest::RULE,
    &image::allowed_registries::RULE,
    &image::image_pull_policy::RULE,
    &image::shell_command::RULE,
    &image::distroless_sbom::RULE,
    &image::non_root_image::RULE,
    &image::vulnerabilities::RULE,
    &image::scan_age::RULE,
    &network::namespace_network_policy::RULE,
    &pss::host_process::RULE,
    &pss::host_namespaces::RULE,
    &pss::privileged::RULE,
    &pss::capabilities_baseline::RULE,
    &pss::host_path_volumes::RULE,
    &pss::host_ports::RULE,
    &pss::host_probes::RULE,
    &pss::apparmor_profile::RULE,
    &pss::selinux_options::RULE,
    &pss::proc_mount::RULE,
    &pss::seccomp_baseline::RULE,
    &pss::sysctls::RULE,
    &pss::restricted_volumes::RULE,
    &pss::allow_privilege_escalation::RULE,
    &pss::run_as_non_root::RULE,
    &pss::run_as_user::RULE,
    &pss::seccomp_restricted::RULE,
    &pss::capabilities_restricted::RULE,
    &pss::proc_mount_restricted::RULE,
    &rbac::cluster_admin_binding::RULE,
    &rbac::secrets_access::RULE,
    &rbac::rbac_wildcards::RULE,
    &rbac::pod_creation::RULE,
    &rbac::default_service_account_token::RULE,
    &rbac::default_service_account_binding::RULE,
    &rbac::system_masters_binding::RULE,
    &rbac::escalation_verbs::RULE,
    &rbac::persistent_volume_creation::RULE,
    &rbac::node_proxy_access::RULE,
    &rbac::csr_approval::RULE,
    &rbac::webhook_configuration_access::RULE,
    &rbac::token_creation::RULE,
    &workload::read_only_root_filesystem::RULE,
    &workload::resource_limits::RULE,
    &workload::secrets_in_env::RULE,
    &workload::automount_service_account_token::RULE,
    &workload::default_namespace::RULE,
    &workload::net_raw_capability::RULE,
    &workload::added_capabilities::RULE,
];

/// The rules that have a mechanical fix (for some of their findings: a finding whose remedy is
/// not mechanical, such as a capability that must not be added, has none).
pub const FIXABLE_RULES: &[&str] = &[
    "PSS002", "PSS003", "PSS006", "PSS010", "PSS102", "PSS103", "PSS105", "PSS106", "PSS107",
    "WKL001", "WKL004", "WKL006", "IMG004", "RBAC005",
];

/// Finds a rule by code (`PSS003`, case-insensitive), name (`privileged`) or PSA check id.
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| {
        r.code.eq_ignore_ascii_case(key)
            || r.name == key
            || matches!(&r.kind, RuleKind::Pss(c) if c.id == key)
    })
}
