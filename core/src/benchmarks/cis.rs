//! The CIS Kubernetes Benchmark (sections 1-4) evaluated on node facts and static pods.
//!
//! The checks are data (`cis_k8s.yaml`, compiled in) read by one small evaluator. The vocabulary
//! is kube-bench's; the semantics are the components': a setting is read from the component's
//! flag (typed, and combined over repeats, by the flag table in `component_flags.yaml`), else
//! its config file (flags win, as in the components), else its environment, else the
//! component's documented default, and every result says which of these it came from. An empty
//! value is unset; a value the component would refuse to start with fails, with the reason.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::facts::FileType;
use crate::facts::argv::Flag;
use crate::facts::flags::{self, Effective, FlagSpec, FlagType, Meaning, Value};
use crate::facts::plan::{
    CommandSource, Component, ConfigUnavailable, NodeView, Resolved, Role, config_value,
};
use crate::input::yaml::{self, Limits};
use crate::rules::Severity;
use crate::vocab::Status;

/// A version of the CIS Kubernetes Benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CisVersion {
    /// v1.11, for Kubernetes 1.29-1.31.
    V1_11,
    /// v1.12, for Kubernetes 1.32-1.34.
    V1_12,
}

impl CisVersion {
    /// The newest version.
    pub const NEWEST: CisVersion = CisVersion::V1_12;

    /// `1.11` or `1.12`.
    pub fn label(self) -> &'static str {
        match self {
            CisVersion::V1_11 => "1.11",
            CisVersion::V1_12 => "1.12",
        }
    }

    /// Parses `1.11`, `1.12` (optionally with a `v`) or `latest`.
    pub fn parse(text: &str) -> Option<CisVersion> {
        match text.strip_prefix('v').unwrap_or(text) {
            "1.11" => Some(CisVersion::V1_11),
            "1.12" | "latest" => Some(CisVersion::V1_12),
            _ => None,
        }
    }

    /// The benchmark version for a Kubernetes version (`1.33.2`, `v1.30`), and why.
    pub fn for_kubernetes(version: Option<&str>) -> (CisVersion, String) {
        let minor = version.and_then(|v| {
            let v = v.strip_prefix('v').unwrap_or(v);
            let mut parts = v.split('.');
            (parts.next() == Some("1")).then_some(())?;
            parts
                .next()?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .ok()
        });
        match (version, minor) {
            (Some(v), Some(m)) if m <= 31 => (
                CisVersion::V1_11,
                if m < 29 {
                    format!(
                        "Kubernetes {v} is older than v1.11 covers (1.29-1.31); using the oldest known, v1.11"
                    )
                } else {
                    format!("Kubernetes {v}: CIS v1.11 covers 1.29-1.31")
                },
            ),
            (Some(v), Some(m)) => (
                CisVersion::V1_12,
                if m > 34 {
                    format!(
                        "Kubernetes {v} is newer than v1.12 covers (1.32-1.34); using the newest, v1.12"
                    )
                } else {
                    format!("Kubernetes {v}: CIS v1.12 covers 1.32-1.34")
                },
            ),
            _ => (
                CisVersion::NEWEST,
                "Kubernetes version unknown; using the newest benchmark, v1.12".to_owned(),
            ),
        }
    }
}

/// One check of the benchmark, as written in `cis_k8s.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckDef {
    /// Control id, e.g. `1.2.1`.
    pub id: String,
    /// What the check wants, in one line.
    pub title: String,
    /// The component the check is about.
    pub component: ComponentName,
    /// Severity of a failure.
    pub severity: Severity,
    /// Benchmark versions that have this check (all when empty).
    #[serde(default)]
    pub only: Vec<String>,
    /// A file permission or ownership test.
    #[serde(default)]
    pub files: Option<FileTest>,
    /// A flag / config / environment test.
    #[serde(default)]
    pub test: Option<Test>,
    /// What a person must verify, for checks that cannot be decided from facts.
    #[serde(default)]
    pub manual: Option<String>,
    /// A flag naming a file that, when given, decides the setting instead of the tested flags
    /// (`--authorization-config` replaces `--authorization-mode`): the check is then `warn`,
    /// since Stockade does not read that file, never the tested flags' default.
    #[serde(default)]
    pub configured_by: Option<String>,
    /// How to fix a failure.
    pub remediation: String,
    /// A DISA STIG row (`k8s_stig.yaml`): the rule version (`CNTR-K8-000170`); its `id` is the
    /// Vuln ID (`V-242378`).
    #[serde(default)]
    pub stig: Option<String>,
    /// A DISA STIG row that asks exactly what a CIS check asks: that check's id, which decides it.
    #[serde(default)]
    pub cis: Option<String>,
    /// Skipped on nodes that run a control-plane component (the STIG's worker-node rules).
    #[serde(default)]
    pub worker_only: bool,
    /// systemd units that must not be enabled at boot (`ssh.service`), read from the facts'
    /// `enabledServices`.
    #[serde(default)]
    pub disabled_services: Vec<String>,
}

impl CheckDef {
    /// The rule code results carry (`CIS-1.2.1`, `STIG-V-242378`).
    pub fn code(&self) -> String {
        match self.stig {
            Some(_) => format!("STIG-{}", self.id),
            None => format!("CIS-{}", self.id),
        }
    }

    /// Whether the check exists in a benchmark version.
    pub fn in_version(&self, version: CisVersion) -> bool {
        self.only.is_empty() || self.only.iter().any(|v| v == version.label())
    }

    /// Whether a failure of the check can have a mechanical fix: a flag test of a control-plane
    /// component, fixed on its static pod's command line, whose test names a value to write
    /// (not only "set", which needs a path the operator chooses).
    pub fn fixable(&self) -> bool {
        use crate::facts::plan::Component;
        matches!(
            self.component.component(),
            Component::ApiServer
                | Component::ControllerManager
                | Component::Scheduler
                | Component::Etcd
        ) && self.test.as_ref().is_some_and(test_fixable)
    }
}

/// List elements a fix never adds, and why: the component does not start with them alone.
pub const NEVER_ADDED: &[(&str, &str, &str)] = &[(
    "enable-admission-plugins",
    "EventRateLimit",
    "EventRateLimit needs its configuration in --admission-control-config-file",
)];

/// Whether some failure of a test has a value to write (for [`CheckDef::fixable`]).
fn test_fixable(test: &Test) -> bool {
    match test {
        Test::All { all: tests } | Test::Any { any: tests } => tests.iter().any(test_fixable),
        Test::Item(item) if item.op == Some(Op::Has) => {
            !NEVER_ADDED.iter().any(|(flag, element, _)| {
                item.flag.as_deref() == Some(*flag) && item.value.as_deref() == Some(*element)
            })
        }
        Test::Item(item) => {
            item.flag.is_some()
                && (item.fix.is_some()
                    || item.set == Some(false)
                    || item.default.is_some()
                    || matches!(
                        item.op,
                        Some(
                            Op::Eq
                                | Op::Gte
                                | Op::Lte
                                | Op::Nothave
                                | Op::ValidElements
                                | Op::Loopback
                        )
                    ))
        }
    }
}

/// The component names the data uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentName {
    /// kube-apiserver
    Apiserver,
    /// kube-controller-manager
    ControllerManager,
    /// kube-scheduler
    Scheduler,
    /// etcd
    Etcd,
    /// kubelet
    Kubelet,
    /// kube-proxy
    Proxy,
}

impl ComponentName {
    /// The component.
    pub fn component(self) -> Component {
        match self {
            ComponentName::Apiserver => Component::ApiServer,
            ComponentName::ControllerManager => Component::ControllerManager,
            ComponentName::Scheduler => Component::Scheduler,
            ComponentName::Etcd => Component::Etcd,
            ComponentName::Kubelet => Component::Kubelet,
            ComponentName::Proxy => Component::Proxy,
        }
    }
}

/// The file roles the data uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleName {
    /// kube-apiserver's static pod manifest
    ApiserverManifest,
    /// kube-controller-manager's static pod manifest
    ControllerManagerManifest,
    /// kube-scheduler's static pod manifest
    SchedulerManifest,
    /// etcd's static pod manifest
    EtcdManifest,
    /// the CNI config directory's files
    CniDir,
    /// etcd's data directory
    EtcdDataDir,
    /// admin.conf and super-admin.conf
    AdminKubeconfig,
    /// kube-scheduler's kubeconfig
    SchedulerKubeconfig,
    /// kube-controller-manager's kubeconfig
    ControllerManagerKubeconfig,
    /// the PKI directory
    PkiDir,
    /// the kubelet unit files
    KubeletService,
    /// kube-proxy's kubeconfig
    ProxyKubeconfig,
    /// the kubelet's kubeconfig
    KubeletKubeconfig,
    /// the kubelet's client CA
    KubeletClientCa,
    /// the kubelet's config file
    KubeletConfig,
}

impl RoleName {
    /// The files, in words, with where they are found on a node (for `stockade explain` and
    /// the rule reference).
    pub fn describe(self) -> &'static str {
        match self {
            RoleName::ApiserverManifest => {
                "kube-apiserver's static pod manifest (kube-apiserver.yaml in the kubelet's \
                 staticPodPath, /etc/kubernetes/manifests by default)"
            }
            RoleName::ControllerManagerManifest => {
                "kube-controller-manager's static pod manifest (kube-controller-manager.yaml in \
                 the kubelet's staticPodPath)"
            }
            RoleName::SchedulerManifest => {
                "kube-scheduler's static pod manifest (kube-scheduler.yaml in the kubelet's \
                 staticPodPath)"
            }
            RoleName::EtcdManifest => {
                "etcd's static pod manifest (etcd.yaml in the kubelet's staticPodPath)"
            }
            RoleName::CniDir => "the CNI configuration files (/etc/cni/net.d)",
            RoleName::EtcdDataDir => {
                "etcd's data directory (etcd --data-dir, else ETCD_DATA_DIR, else /var/lib/etcd)"
            }
            RoleName::AdminKubeconfig => {
                "the admin kubeconfigs (/etc/kubernetes/admin.conf and super-admin.conf)"
            }
            RoleName::SchedulerKubeconfig => {
                "kube-scheduler's kubeconfig (--kubeconfig, else /etc/kubernetes/scheduler.conf)"
            }
            RoleName::ControllerManagerKubeconfig => {
                "kube-controller-manager's kubeconfig (--kubeconfig, else \
                 /etc/kubernetes/controller-manager.conf)"
            }
            RoleName::PkiDir => "the PKI directory and its files (/etc/kubernetes/pki)",
            RoleName::KubeletService => {
                "the kubelet's systemd unit files (kubelet.service and its drop-ins)"
            }
            RoleName::ProxyKubeconfig => {
                "kube-proxy's kubeconfig (--kubeconfig, else its config file's \
                 clientConnection.kubeconfig)"
            }
            RoleName::KubeletKubeconfig => "the kubelet's kubeconfig (--kubeconfig)",
            RoleName::KubeletClientCa => {
                "the kubelet's client CA file (--client-ca-file, else its config file's \
                 authentication.x509.clientCAFile)"
            }
            RoleName::KubeletConfig => "the kubelet's config file (--config)",
        }
    }

    fn role(self) -> Role {
        match self {
            RoleName::ApiserverManifest => Role::Manifest(Component::ApiServer),
            RoleName::ControllerManagerManifest => Role::Manifest(Component::ControllerManager),
            RoleName::SchedulerManifest => Role::Manifest(Component::Scheduler),
            RoleName::EtcdManifest => Role::Manifest(Component::Etcd),
            RoleName::CniDir => Role::CniConfDir,
            RoleName::EtcdDataDir => Role::EtcdDataDir,
            RoleName::AdminKubeconfig => Role::AdminKubeconfig,
            RoleName::SchedulerKubeconfig => Role::SchedulerKubeconfig,
            RoleName::ControllerManagerKubeconfig => Role::ControllerManagerKubeconfig,
            RoleName::PkiDir => Role::PkiDir,
            RoleName::KubeletService => Role::KubeletService,
            RoleName::ProxyKubeconfig => Role::ProxyKubeconfig,
            RoleName::KubeletKubeconfig => Role::KubeletKubeconfig,
            RoleName::KubeletClientCa => Role::KubeletClientCa,
            RoleName::KubeletConfig => Role::KubeletConfig,
        }
    }
}

/// A permissions or ownership test on the files of a role.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileTest {
    /// Which files.
    pub role: RoleName,
    /// Maximum permission bits, octal (`600`: the mode must be this or more restrictive).
    #[serde(default)]
    pub mode: Option<String>,
    /// Required `user:group`.
    #[serde(default)]
    pub owner: Option<String>,
    /// For directory roles: only files with this suffix.
    #[serde(default)]
    pub suffix: Option<String>,
    /// For directory roles: the directory itself too.
    #[serde(default)]
    pub include_dir: bool,
}

/// A flag / config key / environment test, or a combination.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Test {
    /// Every test must pass.
    All {
        /// The tests.
        all: Vec<Test>,
    },
    /// One test must pass.
    Any {
        /// The tests.
        any: Vec<Test>,
    },
    /// A single setting.
    Item(TestItem),
}

/// One setting and what it must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestItem {
    /// Flag name without dashes.
    #[serde(default)]
    pub flag: Option<String>,
    /// Dotted key in the component's config file.
    #[serde(default)]
    pub config: Option<String>,
    /// Environment variable.
    #[serde(default)]
    pub env: Option<String>,
    /// For a map flag (`--feature-gates`) and its config map: the key whose value is tested.
    #[serde(default)]
    pub key: Option<String>,
    /// Presence required (`true`) or forbidden (`false`).
    #[serde(default)]
    pub set: Option<bool>,
    /// Comparison.
    #[serde(default)]
    pub op: Option<Op>,
    /// Value compared with.
    #[serde(default)]
    pub value: Option<String>,
    /// The component's default when nothing sets it: the flag table's default unless given
    /// (a test checks that both agree); for a map `key`, the key's default.
    #[serde(default)]
    pub default: Option<String>,
    /// The default when the component runs with a config file.
    #[serde(default)]
    pub config_default: Option<String>,
    /// The value a fix writes where the test alone names none (a `regex`, or a `valid_elements`
    /// flag that is not set): `stockade fix` sets the flag to it on a static pod.
    #[serde(default)]
    pub fix: Option<String>,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal (booleans case-insensitively).
    Eq,
    /// Not equal.
    Noteq,
    /// Greater than (integers, durations; "no limit" is greater than any number).
    Gt,
    /// Greater than or equal (integers).
    Gte,
    /// Less than (integers).
    Lt,
    /// Less than or equal (integers).
    Lte,
    /// An element of the comma-separated value equals the expected one.
    Has,
    /// No element of the comma-separated value equals the expected one.
    Nothave,
    /// The value contains the expected text.
    Contains,
    /// The value matches the regular expression.
    Regex,
    /// Every comma-separated element is one of the expected ones.
    ValidElements,
    /// A Go duration that is not zero.
    NonzeroDuration,
    /// An IP address on the loopback network (127.0.0.0/8 or ::1).
    Loopback,
    /// A number that sets a limit (not "no limit" as the component reads it, and above 0).
    Limited,
}

/// The benchmark's checks (parsed once from the compiled-in data).
pub fn checks() -> &'static [CheckDef] {
    static CHECKS: OnceLock<Vec<CheckDef>> = OnceLock::new();
    CHECKS.get_or_init(|| parse_checks().unwrap_or_default())
}

/// Parses the compiled-in data; a unit test makes sure it does.
fn parse_checks() -> Result<Vec<CheckDef>, String> {
    parse_check_data("cis_k8s.yaml", include_str!("cis_k8s.yaml"))
}

/// Parses a table of checks (`cis_k8s.yaml`, `k8s_stig.yaml`).
pub(crate) fn parse_check_data(name: &str, text: &str) -> Result<Vec<CheckDef>, String> {
    let (node, errors) = yaml::parse_document(text, 0, Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!("{name}:{}: {}", e.pos.line, e.message));
    }
    let node = node.ok_or_else(|| format!("{name} is empty"))?;
    serde_json::from_value(node.to_json()).map_err(|e| format!("{name}: {e}"))
}

/// What an outcome points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Argument `index` of the component's command line.
    Arg(CommandSource, usize),
    /// The component as a whole (a missing flag).
    Component(CommandSource),
    /// A file fact.
    File(String),
    /// The collected content of a file fact: a setting read from a config file.
    Content(String),
    /// A JSON pointer into the facts document (`/sysctl/net.ipv4.ip_forward`).
    Fact(String),
    /// The node as a whole.
    Node,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// pass, fail, manual, skip, warn or error.
    pub status: Status,
    /// What was found, in a sentence.
    pub message: String,
    /// What the benchmark expects.
    pub expected: Option<String>,
    /// What was found.
    pub actual: Option<String>,
    /// Where the actual value came from (flag, config file and key, environment, default).
    pub source: Option<String>,
    /// What to point at.
    pub evidence: Evidence,
}

impl Outcome {
    pub(crate) fn simple(status: Status, message: String, evidence: Evidence) -> Outcome {
        Outcome {
            status,
            message,
            expected: None,
            actual: None,
            source: None,
            evidence,
        }
    }
}

/// Why a node check has no verdict, and the status that says so: a fact that was not collected
/// is `warn` (collect it and scan again; nothing is known to be wrong), a broken one is `error`
/// (a collection error the collector recorded, content that does not parse, facts that
/// contradict themselves). Every node benchmark draws the line in the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Undecided {
    pub(crate) status: Status,
    pub(crate) message: String,
}

impl Undecided {
    /// A fact, file or section the collector did not collect.
    pub(crate) fn not_collected(message: impl Into<String>) -> Undecided {
        Undecided {
            status: Status::Warn,
            message: message.into(),
        }
    }

    /// The outcome that reports it, pointing at `evidence`.
    pub(crate) fn outcome(self, evidence: Evidence) -> Outcome {
        Outcome::simple(self.status, self.message, evidence)
    }
}

/// Anything else that stops a check is an error.
impl From<String> for Undecided {
    fn from(message: String) -> Undecided {
        Undecided {
            status: Status::Error,
            message,
        }
    }
}

impl From<&str> for Undecided {
    fn from(message: &str) -> Undecided {
        Undecided::from(message.to_owned())
    }
}

/// Evaluates every check of a version on a node.
pub fn evaluate_node(
    view: &NodeView<'_>,
    version: CisVersion,
) -> Vec<(&'static CheckDef, Outcome)> {
    checks()
        .iter()
        .filter(|c| c.in_version(version))
        .map(|c| (c, evaluate_check(c, view)))
        .collect()
}

/// The components whose presence makes a node a control-plane node.
pub(crate) const CONTROL_PLANE: [Component; 4] = [
    Component::ApiServer,
    Component::ControllerManager,
    Component::Scheduler,
    Component::Etcd,
];

/// Sections 1 (control plane components), 2 (etcd) and 3 (control plane configuration) are
/// about control-plane nodes, whatever component a check names (1.1.9 and 1.1.10 read the CNI
/// files a worker has too).
fn is_control_plane_check(check: &CheckDef) -> bool {
    check.stig.is_none() && ["1.", "2.", "3."].iter().any(|p| check.id.starts_with(p))
}

pub(crate) fn evaluate_check(check: &CheckDef, view: &NodeView<'_>) -> Outcome {
    let component = check.component.component();
    let Some(running) = view.component(component) else {
        return Outcome::simple(
            Status::Skip,
            format!(
                "{} is not running on this node (no process and no static pod manifest)",
                component.binary()
            ),
            Evidence::Node,
        );
    };
    if is_control_plane_check(check) && !CONTROL_PLANE.iter().any(|c| view.component(*c).is_some())
    {
        return Outcome::simple(
            Status::Skip,
            format!(
                "a control-plane check, and this node runs no control-plane component ({}): a worker node",
                CONTROL_PLANE
                    .iter()
                    .map(|c| c.binary())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Evidence::Node,
        );
    }
    if check.worker_only && CONTROL_PLANE.iter().any(|c| view.component(*c).is_some()) {
        return Outcome::simple(
            Status::Skip,
            "a worker-node check, and this node runs the control plane".to_owned(),
            Evidence::Node,
        );
    }
    if let Some(files) = &check.files {
        return evaluate_files(files, view);
    }
    if !check.disabled_services.is_empty() {
        return evaluate_services(&check.disabled_services, view);
    }
    if let Some(flag) = check.configured_by.as_deref()
        && let Some((file, _)) = running.flag(flag)
        && (flags::config_replaces_flags(component) == Some(flag)
            || !tests_a_given_flag(check, &running.flags))
    {
        return Outcome::simple(
            Status::Warn,
            format!(
                "{} takes this setting from --{flag} {} (a file Stockade does not collect): verify the check there",
                component.binary(),
                file.value
            ),
            Evidence::Arg(running.source.clone(), file.index),
        );
    }
    if let Some(test) = &check.test {
        let settings = Settings {
            flags: &running.flags,
            env: &running.env,
            config: config_for(view, component),
            config_unknown: view.config_unavailable(component),
            source: &running.source,
            component,
            flags_ignored: flags::config_replaces_flags(component)
                .is_some_and(|config| running.flag(config).is_some()),
            status_only: false,
        };
        return evaluate_test(test, &settings);
    }
    Outcome::simple(
        Status::Manual,
        check
            .manual
            .clone()
            .unwrap_or_else(|| "verify by hand".to_owned()),
        Evidence::Component(running.source.clone()),
    )
}

/// Units that must not be enabled at boot: decided from the facts' `enabledServices` (the units
/// `systemctl` reports enabled), `warn` when they were not collected.
fn evaluate_services(units: &[String], view: &NodeView<'_>) -> Outcome {
    let Some(enabled) = view.facts.enabled_services.as_deref() else {
        return Undecided::not_collected(
            "the enabled systemd units were not collected (enabledServices)",
        )
        .outcome(Evidence::Node);
    };
    let on: Vec<&str> = units
        .iter()
        .filter(|u| enabled.contains(u))
        .map(String::as_str)
        .collect();
    let expected = format!("none of {} enabled", units.join(", "));
    let (status, actual) = if on.is_empty() {
        (Status::Pass, "not enabled".to_owned())
    } else {
        (Status::Fail, format!("enabled: {}", on.join(", ")))
    };
    Outcome {
        status,
        message: format!("{}: {actual}; expected {expected}", units.join(", ")),
        expected: Some(expected),
        actual: Some(actual),
        source: Some("the systemd units enabled at boot (enabledServices)".to_owned()),
        evidence: Evidence::Fact("/enabledServices".to_owned()),
    }
}

/// Whether a flag the check tests is on the command line (it then decides, even beside a
/// `configuredBy` file: the component takes the flag, or refuses to start with both).
fn tests_a_given_flag(check: &CheckDef, flags: &[Flag]) -> bool {
    fn names(test: &Test, out: &mut Vec<String>) {
        match test {
            Test::All { all: tests } | Test::Any { any: tests } => {
                tests.iter().for_each(|t| names(t, out));
            }
            Test::Item(item) => out.extend(item.flag.clone()),
        }
    }
    let mut tested = Vec::new();
    if let Some(test) = &check.test {
        names(test, &mut tested);
    }
    flags.iter().any(|f| tested.contains(&f.name))
}

/// Evaluates the flag checks of a component whose command line is known but whose node is not
/// (a static pod manifest scanned as a file). File checks do not apply and are left out.
pub fn evaluate_command(
    component: Component,
    flags: &[Flag],
    version: CisVersion,
) -> Vec<(&'static CheckDef, Outcome)> {
    evaluate_command_checks(
        checks().iter().filter(|c| c.in_version(version)),
        component,
        flags,
    )
}

/// [`evaluate_command`] for any checks (the DISA STIG's rows too): those of `component` that
/// have a test.
pub(crate) fn evaluate_command_checks<'c>(
    checks: impl Iterator<Item = &'c CheckDef>,
    component: Component,
    flags: &[Flag],
) -> Vec<(&'c CheckDef, Outcome)> {
    with_command(component, flags, false, |settings| {
        evaluate_command_checks_with(checks, settings)
    })
}

/// The statuses of [`evaluate_command_checks`], without their messages (a fix verifies its
/// edit against many checks, many times).
pub(crate) fn command_statuses<'c>(
    checks: impl Iterator<Item = &'c CheckDef>,
    component: Component,
    flags: &[Flag],
) -> Vec<(&'c CheckDef, Status)> {
    with_command(component, flags, true, |settings| {
        evaluate_command_checks_with(checks, settings)
            .into_iter()
            .map(|(c, o)| (c, o.status))
            .collect()
    })
}

fn evaluate_command_checks_with<'c>(
    checks: impl Iterator<Item = &'c CheckDef>,
    settings: &Settings<'_>,
) -> Vec<(&'c CheckDef, Outcome)> {
    let (component, flags, source) = (settings.component, settings.flags, settings.source);
    checks
        .filter(|c| c.component.component() == component)
        .filter_map(|c| {
            let test = c.test.as_ref()?;
            if let Some(flag) = c.configured_by.as_deref()
                && let Some((file, _)) = crate::facts::argv::last(flags, flag)
                    .filter(|(f, _)| !f.value.is_empty() && !f.missing_value)
                && (flags::config_replaces_flags(component) == Some(flag)
                    || !tests_a_given_flag(c, flags))
            {
                return Some((
                    c,
                    Outcome::simple(
                        Status::Warn,
                        format!(
                            "{} takes this setting from --{flag} {} (a file Stockade does not collect): verify the check there",
                            component.binary(),
                            file.value
                        ),
                        Evidence::Arg(source.clone(), file.index),
                    ),
                ));
            }
            Some((c, evaluate_test(test, settings)))
        })
        .collect()
}

/// Runs `f` with the settings of a component known only by its command line (a static pod:
/// no environment, no config file).
fn with_command<R>(
    component: Component,
    flags: &[Flag],
    status_only: bool,
    f: impl FnOnce(&Settings<'_>) -> R,
) -> R {
    let empty = Default::default();
    let source = CommandSource::StaticPod(String::new());
    f(&Settings {
        flags,
        env: &empty,
        config: None,
        config_unknown: None,
        source: &source,
        component,
        flags_ignored: false,
        status_only,
    })
}

/// The status of one test of a component from its command line alone (a static pod), as
/// [`evaluate_command_checks`] decides it: a fix checks with it that its edit makes the test
/// pass.
pub(crate) fn command_test_status(test: &Test, component: Component, flags: &[Flag]) -> Status {
    with_command(component, flags, true, |settings| {
        evaluate_test(test, settings).status
    })
}

/// The Kubernetes version a control-plane image names (`registry.k8s.io/kube-apiserver:v1.33.2`
/// gives `v1.33.2`), which picks the CIS version for a static pod.
pub fn image_kubernetes_version(image: &str) -> Option<&str> {
    image.rsplit_once(':').map(|(_, tag)| tag)
}

fn config_for<'v>(
    view: &'v NodeView<'_>,
    component: Component,
) -> Option<(&'v str, &'v crate::input::yaml::Node)> {
    let config = match component {
        Component::Kubelet => view.kubelet_config.as_ref(),
        Component::Proxy => view.proxy_config.as_ref(),
        _ => None,
    };
    config.map(|(path, node)| (path.as_str(), node))
}

struct Settings<'a> {
    flags: &'a [Flag],
    env: &'a std::collections::BTreeMap<String, String>,
    config: Option<(&'a str, &'a crate::input::yaml::Node)>,
    /// Why the config file the component names (`--config`) is not available, if it is not:
    /// a setting it could hold is then unknown, never its default.
    config_unknown: Option<ConfigUnavailable>,
    source: &'a CommandSource,
    component: Component,
    /// The component runs with a config file and ignores its flags then (kube-proxy).
    flags_ignored: bool,
    /// Only the status is wanted (a fix verifying its edit, many times over): no message,
    /// expected or actual text is written.
    status_only: bool,
}

impl Settings<'_> {
    fn binary(&self) -> &'static str {
        self.component.binary()
    }
}

/// Where a setting's value came from.
enum Found {
    Flag {
        value: Value,
        index: usize,
        count: usize,
        combined: Option<&'static str>,
    },
    Config {
        value: Value,
        file: String,
        key: String,
    },
    Env {
        value: Value,
        name: String,
    },
    Default {
        value: Value,
    },
    /// A value the component would refuse to start with.
    Invalid {
        reason: String,
        evidence: Evidence,
        origin: String,
    },
    Missing,
}

impl Found {
    fn value(&self) -> Option<&Value> {
        match self {
            Found::Flag { value, .. }
            | Found::Config { value, .. }
            | Found::Env { value, .. }
            | Found::Default { value } => Some(value),
            Found::Invalid { .. } | Found::Missing => None,
        }
    }

    fn is_set(&self) -> bool {
        matches!(
            self,
            Found::Flag { .. } | Found::Config { .. } | Found::Env { .. }
        )
    }
}

/// The row of the flag table a test item reads (a string with no default for settings that
/// have no flag, or flags outside the table; a test makes sure every flag a check reads has a
/// row).
fn spec_of(item: &TestItem, component: Component) -> FlagSpec {
    item.flag
        .as_deref()
        .and_then(|f| flags::spec(component, f))
        .cloned()
        .unwrap_or(FlagSpec {
            name: item.flag.clone().unwrap_or_default(),
            ty: FlagType::String,
            default: None,
            zero: None,
            negative: None,
        })
}

/// The spec a value is parsed with: the flag's own, or for a map key, its element type.
fn element_spec(spec: &FlagSpec, item: &TestItem) -> FlagSpec {
    if item.key.is_some() {
        FlagSpec {
            ty: if spec.ty == FlagType::MapBool {
                FlagType::Bool
            } else {
                FlagType::String
            },
            default: None,
            ..spec.clone()
        }
    } else {
        spec.clone()
    }
}

fn lookup(item: &TestItem, s: &Settings<'_>) -> Found {
    let spec = spec_of(item, s.component);
    let element = element_spec(&spec, item);
    if let Some(name) = item.flag.as_deref().filter(|_| !s.flags_ignored) {
        match flags::effective(s.component, s.flags, name) {
            Some(Effective::Invalid { reason, index }) => {
                return Found::Invalid {
                    reason,
                    evidence: Evidence::Arg(s.source.clone(), index),
                    origin: format!("flag --{name} of {}", s.binary()),
                };
            }
            Some(Effective::Value {
                value,
                indexes,
                combined,
            }) => {
                let value = match &item.key {
                    Some(key) => value.key(key).map(|v| flags::parse_value(&element, v)),
                    None => Some(Ok(value)),
                };
                if let Some(Ok(value)) = value
                    && value.is_set()
                {
                    return Found::Flag {
                        value,
                        index: indexes.last().copied().unwrap_or_default(),
                        count: indexes.len(),
                        combined,
                    };
                }
            }
            None => {}
        }
    }
    if let (Some(key), Some((file, node))) = (item.config.as_deref(), s.config) {
        let key = match &item.key {
            Some(k) => format!("{key}.{k}"),
            None => key.to_owned(),
        };
        if let Some(text) = config_value(node, &key) {
            match flags::parse_value(&element, &text) {
                Ok(value) if !value.is_set() => {}
                Ok(value) => {
                    return Found::Config {
                        value,
                        file: file.to_owned(),
                        key,
                    };
                }
                Err(reason) => {
                    return Found::Invalid {
                        reason: format!("{key}: {reason}"),
                        evidence: Evidence::File(file.to_owned()),
                        origin: format!("{file}: {key}"),
                    };
                }
            }
        }
    }
    if let Some(name) = item.env.as_deref()
        && let Some(text) = s.env.get(name)
    {
        match flags::parse_value(&element, text) {
            Ok(value) if !value.is_set() => {}
            Ok(value) => {
                return Found::Env {
                    value,
                    name: name.to_owned(),
                };
            }
            Err(reason) => {
                return Found::Invalid {
                    reason: format!("{name}={text}: {reason}"),
                    evidence: Evidence::Component(s.source.clone()),
                    origin: format!("environment {name} of {}", s.binary()),
                };
            }
        }
    }
    let default = if s.config.is_some() {
        item.config_default.as_ref().or(item.default.as_ref())
    } else {
        item.default.as_ref()
    };
    let default = default.or(if item.key.is_none() {
        spec.default.as_ref()
    } else {
        None
    });
    match default.map(|d| flags::parse_value(&element, d)) {
        Some(Ok(value)) if value.is_set() => Found::Default { value },
        _ => Found::Missing,
    }
}

fn describe_setting(item: &TestItem, binary: &str) -> String {
    let base = match (&item.flag, &item.config, &item.env) {
        (Some(f), Some(c), _) => format!("{binary} --{f} (config {c})"),
        (Some(f), None, Some(e)) => format!("{binary} --{f} (env {e})"),
        (Some(f), None, None) => format!("{binary} --{f}"),
        (None, Some(c), _) => format!("{binary} config {c}"),
        (None, None, Some(e)) => format!("{binary} env {e}"),
        (None, None, None) => binary.to_owned(),
    };
    match &item.key {
        Some(k) => format!("{k} in {base}"),
        None => base,
    }
}

fn source_text(found: &Found, binary: &str, item: &TestItem) -> Option<String> {
    let flag = item.flag.as_deref().unwrap_or_default();
    match found {
        Found::Flag {
            index,
            count,
            combined,
            ..
        } => Some(match combined {
            Some(how) if *count > 1 => {
                format!("flag --{flag} of {binary} (argument {index}; given {count} times, {how})")
            }
            _ => format!("flag --{flag} of {binary} (argument {index})"),
        }),
        Found::Config { file, key, .. } => Some(format!("{file}: {key}")),
        Found::Env { name, .. } => Some(format!("environment {name} of {binary}")),
        Found::Default { .. } => Some(format!("the {binary} default (not set)")),
        Found::Invalid { origin, .. } => Some(origin.clone()),
        Found::Missing => Some(format!(
            "not set on {binary} (no flag, config key or environment variable)"
        )),
    }
}

fn evidence_of(found: &Found, s: &Settings<'_>) -> Evidence {
    match found {
        Found::Flag { index, .. } => Evidence::Arg(s.source.clone(), *index),
        Found::Config { file, .. } => Evidence::Content(file.clone()),
        Found::Invalid { evidence, .. } => evidence.clone(),
        _ => Evidence::Component(s.source.clone()),
    }
}

fn evaluate_test(test: &Test, s: &Settings<'_>) -> Outcome {
    match test {
        Test::Item(item) => evaluate_item(item, s),
        Test::All { all } => {
            let outcomes: Vec<Outcome> = all.iter().map(|t| evaluate_test(t, s)).collect();
            combine(outcomes, true)
        }
        Test::Any { any } => {
            let outcomes: Vec<Outcome> = any.iter().map(|t| evaluate_test(t, s)).collect();
            combine(outcomes, false)
        }
    }
}

fn combine(outcomes: Vec<Outcome>, all: bool) -> Outcome {
    // An undecidable part leaves the whole undecided unless the rest settles it (a failing
    // part of `all`, a passing part of `any`); an error outranks a warning.
    let settled = if all {
        outcomes.iter().any(|o| o.status == Status::Fail)
    } else {
        outcomes.iter().any(|o| o.status == Status::Pass)
    };
    if !settled
        && let Some(undecided) = outcomes
            .iter()
            .find(|o| o.status == Status::Error)
            .or_else(|| outcomes.iter().find(|o| o.status == Status::Warn))
    {
        return undecided.clone();
    }
    let pass = if all {
        outcomes.iter().all(|o| o.status == Status::Pass)
    } else {
        outcomes.iter().any(|o| o.status == Status::Pass)
    };
    let chosen = if pass == all {
        // all passed (for all) or none passed (for any): report the most telling one
        outcomes
            .iter()
            .find(|o| o.source.as_deref().is_some_and(|s| !s.contains("default")))
            .or(outcomes.first())
    } else if all {
        outcomes.iter().find(|o| o.status != Status::Pass)
    } else {
        outcomes.iter().find(|o| o.status == Status::Pass)
    };
    let mut out = chosen
        .cloned()
        .unwrap_or_else(|| Outcome::simple(Status::Error, "empty test".to_owned(), Evidence::Node));
    out.status = if pass { Status::Pass } else { Status::Fail };
    if all && outcomes.len() > 1 {
        let messages: Vec<&str> = outcomes.iter().map(|o| o.message.as_str()).collect();
        out.message = messages.join("; ");
    }
    out
}

/// Whether a setting found passes a test item.
fn item_passes(item: &TestItem, found: &Found) -> bool {
    let want = item.value.as_deref().unwrap_or_default();
    match (item.set, item.op) {
        (Some(false), _) => !found.is_set(),
        (Some(true), None) | (None, None) => found.is_set(),
        (Some(true), Some(op)) => {
            found.is_set() && found.value().is_some_and(|v| compare_value(op, v, want))
        }
        (None, Some(op)) => found.value().is_some_and(|v| compare_value(op, v, want)),
    }
}

fn evaluate_item(item: &TestItem, s: &Settings<'_>) -> Outcome {
    let found = lookup(item, s);
    if s.status_only {
        let status = match (&s.config_unknown, &item.config, &found) {
            (_, _, Found::Invalid { .. }) => Status::Fail,
            (Some(unknown), Some(_), f) if !matches!(f, Found::Flag { .. }) => {
                if unknown.collection_error {
                    Status::Error
                } else {
                    Status::Warn
                }
            }
            _ if item_passes(item, &found) => Status::Pass,
            _ => Status::Fail,
        };
        return Outcome::simple(status, String::new(), Evidence::Node);
    }
    let subject = describe_setting(item, s.binary());
    if let (Some(unknown), Some(_), false) = (
        &s.config_unknown,
        &item.config,
        matches!(found, Found::Flag { .. } | Found::Invalid { .. }),
    ) {
        return Outcome {
            status: if unknown.collection_error {
                Status::Error
            } else {
                Status::Warn
            },
            message: format!("{subject} cannot be decided: {}", unknown.reason),
            expected: None,
            actual: None,
            source: None,
            evidence: Evidence::Component(s.source.clone()),
        };
    }
    let source = source_text(&found, s.binary(), item);
    let mut evidence = evidence_of(&found, s);
    let want = item.value.clone().unwrap_or_default();
    let expected = match (item.set, item.op) {
        (Some(false), _) => "not set".to_owned(),
        (Some(true), Some(op)) => format!("set explicitly, {}", describe_op(op, &want)),
        (None, Some(op)) => describe_op(op, &want),
        _ => "set".to_owned(),
    };
    if let Found::Invalid { reason, .. } = &found {
        // The component refuses to start with this value: the setting the benchmark asks for
        // is not in place, whatever it asks for.
        return Outcome {
            status: Status::Fail,
            message: format!(
                "{subject} is invalid ({reason}): {} refuses to start with it; expected {expected}",
                s.binary()
            ),
            expected: Some(expected),
            actual: Some(format!("invalid: {reason}")),
            source,
            evidence,
        };
    }
    let describe = |v: &Value| match v {
        Value::Int(n, Some(m)) if *m != Meaning::Invalid => format!("{n} ({})", m.describe()),
        other => other.text(),
    };
    let shown = match (&found, item.set) {
        // A presence test on a default: say it is not set, and what the component does.
        (Found::Default { value }, Some(_)) => format!("not set (default {})", describe(value)),
        _ => found.value().map_or_else(|| "not set".to_owned(), describe),
    };
    let pass = item_passes(item, &found);
    // A list flag given several times: point at the occurrence that decided a `nothave` failure.
    if let (Found::Flag { count, .. }, Some(Op::Nothave), false, Some(flag)) =
        (&found, item.op, pass, item.flag.as_deref())
        && *count > 1
        && let Some(f) = s.flags.iter().find(|f| {
            f.name == flag && flags::parse_csv(&f.value).is_some_and(|l| l.contains(&want))
        })
    {
        evidence = Evidence::Arg(s.source.clone(), f.index);
    }
    let message = if pass {
        format!("{subject} is {shown}, as expected ({expected})")
    } else {
        format!("{subject} is {shown}; expected {expected}")
    };
    Outcome {
        status: if pass { Status::Pass } else { Status::Fail },
        message,
        expected: Some(expected),
        actual: Some(shown),
        source,
        evidence,
    }
}

fn describe_op(op: Op, want: &str) -> String {
    match op {
        Op::Eq => want.to_owned(),
        Op::Noteq => format!("not {want}"),
        Op::Gt => format!("greater than {want}"),
        Op::Gte => format!("{want} or more"),
        Op::Lt => format!("less than {want}"),
        Op::Lte => format!("{want} or less"),
        Op::Has => format!("a list including {want}"),
        Op::Nothave => format!("a list without {want}"),
        Op::Contains => format!("containing {want}"),
        Op::Regex => format!("matching {want}"),
        Op::ValidElements => format!("only elements of [{want}]"),
        Op::NonzeroDuration => "a non-zero duration".to_owned(),
        Op::Loopback => "a loopback address (127.0.0.0/8 or ::1)".to_owned(),
        Op::Limited => "a limit (a number above 0)".to_owned(),
    }
}

fn elements(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|e| !e.is_empty())
}

fn is_bool(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
}

/// Compares a typed value with an expected one. Numbers compare as the component reads them:
/// "no limit" is more than any number, a number that stands for another compares as that one.
pub fn compare_value(op: Op, actual: &Value, want: &str) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match actual {
        Value::Int(_, Some(Meaning::Unlimited)) => Some(Ordering::Greater),
        Value::Int(_, Some(Meaning::Means(n))) => flags::parse_int(want).map(|w| n.cmp(&w)),
        Value::Int(n, _) => flags::parse_int(want).map(|w| n.cmp(&w)),
        Value::Duration(ns, _) => flags::parse_duration(want).map(|w| ns.cmp(&w)),
        _ => None,
    };
    match (op, actual) {
        (Op::Eq | Op::Noteq, Value::Bool(b)) => {
            flags::parse_bool(want).is_some_and(|w| w == *b) == (op == Op::Eq)
        }
        (Op::Eq | Op::Noteq, Value::Int(..) | Value::Duration(..)) => {
            (ordering == Some(Ordering::Equal)
                && !matches!(actual, Value::Int(_, Some(Meaning::Unlimited))))
                == (op == Op::Eq)
        }
        (Op::Gt | Op::Gte | Op::Lt | Op::Lte, Value::Int(..) | Value::Duration(..)) => ordering
            .is_some_and(|o| match op {
                Op::Gt => o == Ordering::Greater,
                Op::Gte => o != Ordering::Less,
                Op::Lt => o == Ordering::Less,
                _ => o != Ordering::Greater,
            }),
        (Op::Has | Op::Nothave | Op::ValidElements, Value::List(items)) => match op {
            Op::Has => items.iter().any(|e| e == want),
            Op::Nothave => !items.iter().any(|e| e == want),
            _ => {
                let allowed: Vec<&str> = elements(want).collect();
                items.iter().all(|e| allowed.contains(&e.as_str()))
            }
        },
        (Op::NonzeroDuration, Value::Duration(ns, _)) => *ns != 0,
        (Op::Limited, Value::Int(n, meaning)) => {
            !matches!(meaning, Some(Meaning::Unlimited | Meaning::Disabled)) && *n > 0
        }
        (Op::Loopback, Value::Text(t)) => t
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        (_, other) => compare(op, &other.text(), want),
    }
}

/// A test in words, e.g. `kube-apiserver flag --profiling eq false (default true)`.
pub fn describe_test(test: &Test) -> String {
    match test {
        Test::All { all } => format!(
            "all of ({})",
            all.iter().map(describe_test).collect::<Vec<_>>().join("; ")
        ),
        Test::Any { any } => format!(
            "any of ({})",
            any.iter().map(describe_test).collect::<Vec<_>>().join("; ")
        ),
        Test::Item(i) => {
            let mut parts = Vec::new();
            if let Some(f) = &i.flag {
                parts.push(format!("flag --{f}"));
            }
            if let Some(c) = &i.config {
                parts.push(format!("config {c}"));
            }
            if let Some(e) = &i.env {
                parts.push(format!("env {e}"));
            }
            let mut text = parts.join(" / ");
            if let Some(k) = &i.key {
                text.push_str(&format!(" key {k}"));
            }
            match (i.set, i.op) {
                (Some(false), _) => text.push_str(" not set"),
                (_, Some(op)) => text.push_str(&format!(
                    " {}",
                    describe_op(op, i.value.as_deref().unwrap_or_default())
                )),
                _ => text.push_str(" set"),
            }
            if let Some(d) = &i.default {
                text.push_str(&format!(" (default {d})"));
            }
            text
        }
    }
}

/// Compares an actual value with an expected one.
pub fn compare(op: Op, actual: &str, want: &str) -> bool {
    let number = |s: &str| s.trim().parse::<i64>().ok();
    match op {
        Op::Eq if is_bool(actual) && is_bool(want) => actual.eq_ignore_ascii_case(want),
        Op::Eq => actual == want,
        Op::Noteq if is_bool(actual) && is_bool(want) => !actual.eq_ignore_ascii_case(want),
        Op::Noteq => actual != want,
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => match (number(actual), number(want)) {
            (Some(a), Some(w)) => match op {
                Op::Gt => a > w,
                Op::Gte => a >= w,
                Op::Lt => a < w,
                _ => a <= w,
            },
            _ => false,
        },
        Op::Has => elements(actual).any(|e| e == want),
        Op::Nothave => !elements(actual).any(|e| e == want),
        Op::Contains => actual.contains(want),
        Op::Regex => regex_lite::Regex::new(want).is_ok_and(|r| r.is_match(actual)),
        Op::ValidElements => {
            let allowed: Vec<&str> = elements(want).collect();
            elements(actual).all(|e| allowed.contains(&e))
        }
        Op::NonzeroDuration => flags::parse_duration(actual).is_some_and(|ns| ns != 0),
        Op::Loopback => actual
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        Op::Limited => flags::parse_int(actual).is_some_and(|n| n > 0),
    }
}

/// The component a file role belongs to.
fn role_component(role: Role) -> Option<Component> {
    Some(match role {
        Role::Manifest(c) => c,
        Role::ControllerManagerKubeconfig => Component::ControllerManager,
        Role::SchedulerKubeconfig => Component::Scheduler,
        Role::AdminKubeconfig | Role::PkiDir => Component::ApiServer,
        Role::EtcdDataDir => Component::Etcd,
        Role::CniConfDir
        | Role::KubeletService
        | Role::KubeletKubeconfig
        | Role::KubeletConfig
        | Role::KubeletClientCa => Component::Kubelet,
        Role::ProxyKubeconfig | Role::ProxyConfig => Component::Proxy,
    })
}

fn evaluate_files(test: &FileTest, view: &NodeView<'_>) -> Outcome {
    // Without a file to point at, a result points at the component whose file it is.
    let at = || {
        role_component(test.role.role())
            .and_then(|c| view.component(c))
            .map_or(Evidence::Node, |r| Evidence::Component(r.source.clone()))
    };
    let paths = match view.resolve(test.role.role()) {
        Resolved::NotApplicable(reason) => {
            return Outcome::simple(Status::Skip, reason, at());
        }
        Resolved::Unknown(unknown) => {
            return Outcome::simple(
                if unknown.collection_error {
                    Status::Error
                } else {
                    Status::Warn
                },
                format!("which file cannot be decided: {}", unknown.reason),
                at(),
            );
        }
        Resolved::Paths(paths, how) => (paths, how),
    };
    let (paths, how) = paths;
    let facts = view.facts;
    let is_dir_role = matches!(test.role, RoleName::PkiDir | RoleName::CniDir);
    let mut targets: Vec<&crate::facts::FileFact> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for path in &paths {
        if let Some(err) = facts.error_for(path) {
            return Outcome::simple(
                Status::Error,
                format!("{path} could not be collected: {}", err.message),
                at(),
            );
        }
        match facts.file(path) {
            None => missing.push(path.clone()),
            Some(f) if !f.exists => {}
            Some(f) if is_dir_role => {
                if test.include_dir {
                    targets.push(f);
                }
                targets.extend(
                    facts
                        .files_under(path)
                        .into_iter()
                        .filter(|c| c.file_type != Some(FileType::Directory) || test.include_dir)
                        .filter(|c| test.suffix.as_deref().is_none_or(|s| c.path.ends_with(s))),
                );
            }
            Some(f) => targets.push(f),
        }
    }
    if targets.is_empty() {
        if !missing.is_empty() {
            return Outcome::simple(
                Status::Warn,
                format!(
                    "not collected: {} ({how}); collect it to decide this check",
                    missing.join(", ")
                ),
                at(),
            );
        }
        return Outcome::simple(
            Status::Skip,
            format!("no such file on this node: {} ({how})", paths.join(", ")),
            at(),
        );
    }
    let mut failures = Vec::new();
    let mut actuals = Vec::new();
    for f in &targets {
        let (ok, actual, expected) = if let Some(mode) = &test.mode {
            match f
                .mode
                .as_deref()
                .and_then(|m| u32::from_str_radix(m, 8).ok())
            {
                Some(have) => (
                    mode_within(have, mode),
                    format!("{:o}", have & 0o7777),
                    format!("{mode} or more restrictive"),
                ),
                None => (
                    false,
                    "unknown mode".to_owned(),
                    format!("{mode} or more restrictive"),
                ),
            }
        } else {
            let want = test.owner.clone().unwrap_or_default();
            let have = match (&f.user, &f.group, f.uid, f.gid) {
                (Some(u), Some(g), _, _) => format!("{u}:{g}"),
                (_, _, Some(0), Some(0)) => "root:root".to_owned(),
                (_, _, Some(u), Some(g)) => format!("{u}:{g}"),
                _ => "unknown owner".to_owned(),
            };
            (have == want, have, want)
        };
        actuals.push(format!("{} {actual}", f.path));
        if !ok {
            failures.push((f.path.clone(), actual, expected));
        }
    }
    let expected = test
        .mode
        .as_ref()
        .map(|m| format!("{m} or more restrictive"))
        .or_else(|| test.owner.clone());
    match failures.first() {
        None => Outcome {
            status: Status::Pass,
            message: format!(
                "{} file(s) as expected: {}",
                targets.len(),
                actuals.join(", ")
            ),
            expected,
            actual: Some(actuals.join(", ")),
            source: Some(how),
            evidence: Evidence::File(targets.first().map(|f| f.path.clone()).unwrap_or_default()),
        },
        Some((first, _, _)) => Outcome {
            status: Status::Fail,
            message: failures
                .iter()
                .map(|(p, a, e)| format!("{p} is {a}; expected {e}"))
                .collect::<Vec<_>>()
                .join("; "),
            expected,
            actual: Some(
                failures
                    .iter()
                    .map(|(p, a, _)| format!("{p} {a}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            source: Some(how),
            evidence: Evidence::File(first.clone()),
        },
    }
}

/// Whether a file mode is `max` (octal text, e.g. `600`) or more restrictive: no permission bit
/// (setuid, setgid and sticky included) beyond those of `max`.
pub fn mode_within(mode: u32, max: &str) -> bool {
    match u32::from_str_radix(max, 8) {
        Ok(max) => mode & 0o7777 & !max == 0,
        Err(_) => false,
    }
}

/// The Kubernetes version of a node: from the facts, else the tag of a static pod image.
pub fn kubernetes_version(view: &NodeView<'_>) -> Option<String> {
    if let Some(v) = view
        .facts
        .kubernetes
        .as_ref()
        .and_then(|k| k.version.clone())
    {
        return Some(v);
    }
    view.facts.files.iter().find_map(|f| {
        let content = f.content.as_deref()?;
        content.lines().find_map(|l| {
            let image = l.trim().strip_prefix("image:")?.trim().trim_matches('"');
            let (name, tag) = image.rsplit_once(':')?;
            (name.ends_with("/kube-apiserver") || name.ends_with("/kube-controller-manager"))
                .then(|| tag.to_owned())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_parses_and_ids_are_unique_per_version() {
        let checks = parse_checks().expect("cis_k8s.yaml is valid");
        assert!(checks.len() >= 100);
        for version in [CisVersion::V1_11, CisVersion::V1_12] {
            let mut ids: Vec<&str> = checks
                .iter()
                .filter(|c| c.in_version(version))
                .map(|c| c.id.as_str())
                .collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "duplicate ids in {}", version.label());
        }
        for c in &checks {
            assert!(
                c.files.is_some() || c.test.is_some() || c.manual.is_some(),
                "{} has nothing to evaluate",
                c.id
            );
            if let Some(Test::Item(item)) = &c.test {
                assert!(
                    item.op.is_none()
                        || item.value.is_some()
                        || matches!(
                            item.op,
                            Some(Op::NonzeroDuration | Op::Loopback | Op::Limited)
                        ),
                    "{}",
                    c.id
                );
            }
        }
    }

    fn items(test: &Test) -> Vec<&TestItem> {
        match test {
            Test::All { all: tests } | Test::Any { any: tests } => {
                tests.iter().flat_map(items).collect()
            }
            Test::Item(item) => vec![item],
        }
    }

    /// Every flag a check reads has a row in the flag table of its component, and a default a
    /// check states is the table's (a map key's default is the check's own).
    #[test]
    fn every_flag_a_check_reads_has_a_row_and_defaults_agree() {
        assert_flag_rows(&parse_checks().expect("valid"));
    }

    /// The same table test for the DISA STIG's rows: every flag a STIG rule reads (and every
    /// `configuredBy` flag) has a row in component_flags.yaml, with the same default.
    #[test]
    fn every_flag_a_stig_rule_reads_has_a_row_and_defaults_agree() {
        let rows = super::super::k8s_stig::parse_checks().expect("valid");
        assert!(rows.iter().any(|r| r.test.is_some()));
        assert_flag_rows(&rows);
    }

    fn assert_flag_rows(checks: &[CheckDef]) {
        for c in checks {
            let component = c.component.component();
            if let Some(flag) = &c.configured_by {
                assert!(
                    flags::spec(component, flag).is_some(),
                    "{}: --{flag} has no row",
                    c.id
                );
            }
            for item in c.test.iter().flat_map(items) {
                let Some(flag) = item.flag.as_deref() else {
                    continue;
                };
                let row = flags::spec(component, flag).unwrap_or_else(|| {
                    panic!(
                        "{}: --{flag} has no row for {} in component_flags.yaml",
                        c.id,
                        component.binary()
                    )
                });
                if item.key.is_some() {
                    assert!(
                        matches!(row.ty, FlagType::Map | FlagType::MapBool),
                        "{}: key on a flag that is not a map",
                        c.id
                    );
                } else if let Some(d) = &item.default {
                    assert_eq!(
                        Some(d),
                        row.default.as_ref(),
                        "{}: default of --{flag} differs from the table's",
                        c.id
                    );
                }
                // Ops fit the type.
                let fits = match item.op {
                    None => true,
                    Some(Op::Has | Op::Nothave | Op::ValidElements) => {
                        matches!(row.ty, FlagType::Strings | FlagType::Array)
                    }
                    Some(Op::Gt | Op::Gte | Op::Lt | Op::Lte | Op::Limited) => {
                        matches!(row.ty, FlagType::Int | FlagType::Duration)
                    }
                    Some(Op::NonzeroDuration) => row.ty == FlagType::Duration,
                    Some(Op::Loopback) => row.ty == FlagType::Ip,
                    Some(Op::Eq | Op::Noteq | Op::Contains | Op::Regex) => {
                        !matches!(row.ty, FlagType::Strings | FlagType::Array) || item.key.is_some()
                    }
                };
                assert!(fits, "{}: {:?} on a {:?} flag", c.id, item.op, row.ty);
            }
        }
    }

    #[test]
    fn typed_ops_table() {
        use Op::*;
        let int = |n: i64, m: Option<Meaning>| Value::Int(n, m);
        let list = |items: &[&str]| Value::List(items.iter().map(|s| (*s).to_owned()).collect());
        let dur = |t: &str| Value::Duration(flags::parse_duration(t).expect("duration"), t.into());
        let cases: Vec<(Op, Value, &str, bool)> = vec![
            (Eq, Value::Bool(false), "false", true),
            (Eq, Value::Bool(true), "false", false),
            (Noteq, Value::Bool(true), "false", true),
            (Gte, int(30, None), "30", true),
            (Gte, int(29, None), "30", false),
            (Gte, int(0, Some(Meaning::Unlimited)), "30", true),
            (Lte, int(0, Some(Meaning::Unlimited)), "30", false),
            (Gte, int(0, Some(Meaning::Means(100))), "100", true),
            (Gt, int(0, Some(Meaning::Disabled)), "0", false),
            (Gt, int(-5, Some(Meaning::Disabled)), "0", false),
            (Gt, int(10, None), "0", true),
            (Eq, int(0, Some(Meaning::Disabled)), "0", true),
            (Eq, int(0, Some(Meaning::Unlimited)), "0", false),
            (Limited, int(4096, None), "", true),
            (Limited, int(-1, Some(Meaning::Unlimited)), "", false),
            (Limited, int(0, Some(Meaning::Unlimited)), "", false),
            (Gte, dur("1h"), "30m", true),
            (Lt, dur("5m0s"), "1h", true),
            (Eq, dur("300s"), "5m", true),
            (NonzeroDuration, dur("5m0s"), "", true),
            (NonzeroDuration, dur("0h0m0s"), "", false),
            (Has, list(&["Node", "RBAC"]), "RBAC", true),
            (Has, list(&["Node", "RBACX"]), "RBAC", false),
            (Has, list(&["Node", " RBAC"]), "RBAC", false),
            (
                Nothave,
                list(&["AlwaysAllow", "Node", "RBAC"]),
                "AlwaysAllow",
                false,
            ),
            (
                Nothave,
                list(&["Node", "RBAC", "Node"]),
                "AlwaysAllow",
                true,
            ),
            (ValidElements, list(&["A", "B", "A"]), "A,B,C", true),
            (ValidElements, list(&["A", "D"]), "A,B,C", false),
            (Loopback, Value::Text("127.0.0.1".into()), "", true),
            (Loopback, Value::Text("127.0.1.1".into()), "", true),
            (Loopback, Value::Text("::1".into()), "", true),
            (Loopback, Value::Text("0.0.0.0".into()), "", false),
            (Loopback, Value::Text("10.0.0.1".into()), "", false),
            (
                Regex,
                Value::Text("127.0.0.1:10249".into()),
                "^127\\.0\\.0\\.1(:[0-9]+)?$",
                true,
            ),
        ];
        for (op, actual, want, expected) in cases {
            assert_eq!(
                compare_value(op, &actual, want),
                expected,
                "{op:?} {actual:?} {want:?}"
            );
        }
    }

    #[test]
    fn ops_table() {
        use Op::*;
        let cases: &[(Op, &str, &str, bool)] = &[
            (Eq, "false", "false", true),
            (Eq, "False", "false", true),
            (Eq, "0", "false", false),
            (Eq, "127.0.0.1", "127.0.0.1", true),
            (Noteq, "true", "false", true),
            (Noteq, "FALSE", "false", false),
            (Gte, "30", "30", true),
            (Gte, "29", "30", false),
            (Gte, "thirty", "30", false),
            (Gt, "4096", "0", true),
            (Gt, "-1", "0", false),
            (Lt, "5", "10", true),
            (Lte, "10", "10", true),
            (Lte, "", "10", false),
            (Has, "Node,RBAC", "RBAC", true),
            (Has, "Node,RBACX", "RBAC", false),
            (Has, "Node, RBAC", "RBAC", true),
            (Nothave, "Node,RBAC", "AlwaysAllow", true),
            (Nothave, "AlwaysAllow", "AlwaysAllow", false),
            (Contains, "127.0.0.1:10249", "127.0.0.1", true),
            (
                Regex,
                "127.0.0.1:10249",
                "^127\\.0\\.0\\.1(:[0-9]+)?$",
                true,
            ),
            (Regex, "0.0.0.0:10249", "^127\\.0\\.0\\.1(:[0-9]+)?$", false),
            (Regex, "x", "(", false),
            (ValidElements, "A,B", "A,B,C", true),
            (ValidElements, "A,D", "A,B,C", false),
            (ValidElements, "", "A", true),
            (NonzeroDuration, "5m0s", "", true),
            (NonzeroDuration, "0s", "", false),
            (NonzeroDuration, "0", "", false),
            (NonzeroDuration, "0h0m0s", "", false),
        ];
        for (op, actual, want, expected) in cases {
            assert_eq!(
                compare(*op, actual, want),
                *expected,
                "{op:?} {actual:?} {want:?}"
            );
        }
    }

    #[test]
    fn bitmask_table() {
        for (mode, max, ok) in [
            (0o600, "600", true),
            (0o400, "600", true),
            (0o000, "600", true),
            (0o644, "600", false),
            (0o640, "644", true),
            (0o664, "644", false),
            (0o700, "700", true),
            (0o750, "700", false),
            (0o4755, "755", false),
            (0o100600, "600", true),
            (0o600, "6x0", false),
        ] {
            assert_eq!(mode_within(mode, max), ok, "{mode:o} within {max}");
        }
    }

    #[test]
    fn version_selection_from_kubernetes() {
        assert_eq!(
            CisVersion::for_kubernetes(Some("v1.33.2")).0,
            CisVersion::V1_12
        );
        assert_eq!(
            CisVersion::for_kubernetes(Some("1.30.0")).0,
            CisVersion::V1_11
        );
        assert_eq!(
            CisVersion::for_kubernetes(Some("1.27")).0,
            CisVersion::V1_11
        );
        assert_eq!(
            CisVersion::for_kubernetes(Some("1.36")).0,
            CisVersion::V1_12
        );
        assert_eq!(CisVersion::for_kubernetes(None).0, CisVersion::V1_12);
        assert_eq!(
            CisVersion::for_kubernetes(Some("garbage")).0,
            CisVersion::V1_12
        );
    }

    fn settings_eval(argv: &[&str], test: &str) -> Outcome {
        let (node, _) = yaml::parse_document(test, 0, Limits::default());
        let test: Test = serde_json::from_value(node.expect("test").to_json()).expect("a test");
        let flags = crate::facts::argv::parse_flags(argv);
        let env = Default::default();
        let source = CommandSource::Process(0);
        let s = Settings {
            flags: &flags,
            env: &env,
            config: None,
            config_unknown: None,
            source: &source,
            component: Component::ApiServer,
            flags_ignored: false,
            status_only: false,
        };
        evaluate_test(&test, &s)
    }

    #[test]
    fn defaults_set_and_sources() {
        let test = "{flag: profiling, op: eq, value: 'false', default: 'true'}";
        let o = settings_eval(&["kube-apiserver"], test);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.actual.as_deref(), Some("true"));
        assert_eq!(
            o.source.as_deref(),
            Some("the kube-apiserver default (not set)")
        );
        let o = settings_eval(
            &["kube-apiserver", "--profiling=false", "--profiling=true"],
            test,
        );
        assert_eq!(o.status, Status::Fail, "the last occurrence wins");
        assert!(
            o.source
                .as_deref()
                .is_some_and(|s| s.contains("given 2 times"))
        );
        let o = settings_eval(&["kube-apiserver", "--profiling=false"], test);
        assert_eq!(
            (o.status, o.evidence),
            (Status::Pass, Evidence::Arg(CommandSource::Process(0), 1))
        );
        let unset = "{flag: token-auth-file, set: false}";
        assert_eq!(
            settings_eval(&["kube-apiserver"], unset).status,
            Status::Pass
        );
        assert_eq!(
            settings_eval(&["kube-apiserver", "--token-auth-file", "/t.csv"], unset).status,
            Status::Fail
        );
        let any = "{any: [{flag: bind-address, op: eq, value: 127.0.0.1}, {flag: bind-address, set: false}]}";
        assert_eq!(settings_eval(&["x"], any).status, Status::Pass);
        assert_eq!(
            settings_eval(&["x", "--bind-address=0.0.0.0"], any).status,
            Status::Fail
        );
        let all = "{all: [{flag: a, set: true}, {flag: b, set: true}]}";
        let o = settings_eval(&["x", "--a=1"], all);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("--b is not set"), "{}", o.message);
    }
}
