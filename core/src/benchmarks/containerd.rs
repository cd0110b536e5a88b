//! containerd hardening, evaluated on node facts: the settings of `/etc/containerd/config.toml`
//! (parsed here, config versions 2 and 3) and of the registry `hosts.toml` files, the socket's
//! and config's permissions, the kubelet's default seccomp profile, and the versions of
//! containerd and runc against a table of container breakout CVEs.
//!
//! Each check is a function below, documented with what it checks, why it matters, an example,
//! the fix and references; [`CHECKS`] lists them with their ids.

use std::collections::BTreeMap;

use super::cis::{Evidence, Outcome, Undecided, mode_within};
use crate::facts::NodeFacts;
use crate::facts::plan::{Component, FileRequest, NodeView};
use crate::rules::Severity;
use crate::vocab::Status;

/// The config file containerd reads by default.
pub const CONFIG: &str = "/etc/containerd/config.toml";
/// containerd's gRPC socket.
pub const SOCKET: &str = "/run/containerd/containerd.sock";

/// One containerd check.
pub struct CheckDef {
    /// Id, e.g. `1`; results carry `CTR-1`.
    pub id: &'static str,
    /// What the check wants, in one line.
    pub title: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// How to fix a failure.
    pub remediation: &'static str,
    check: fn(&Runtime<'_>) -> Result<Outcome, Undecided>,
}

impl CheckDef {
    /// `CTR-1`.
    pub fn code(&self) -> String {
        format!("CTR-{}", self.id)
    }
}

/// Every check, in order.
pub const CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "1",
        title: "Registries are reached over TLS only",
        severity: Severity::High,
        remediation: "Replace `http://` mirror endpoints and `server`/`[host]` entries with `https://` ones, in config.toml and in the hosts.toml files under the registry config_path.",
        check: tls_only,
    },
    CheckDef {
        id: "2",
        title: "Registry TLS certificates are verified",
        severity: Severity::High,
        remediation: "Remove `insecure_skip_verify = true` (config.toml) and `skip_verify = true` (hosts.toml); give containerd the registry's CA with `ca = \"...\"` instead.",
        check: tls_verified,
    },
    CheckDef {
        id: "3",
        title: "runc uses the systemd cgroup driver",
        severity: Severity::Medium,
        remediation: "Set `SystemdCgroup = true` under the runc runtime's options (`[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]`, or `io.containerd.cri.v1.runtime` in config version 3) and the kubelet's `cgroupDriver: systemd`.",
        check: systemd_cgroup,
    },
    CheckDef {
        id: "4",
        title: "AppArmor is not disabled for containers",
        severity: Severity::High,
        remediation: "Remove `disable_apparmor = true` from the CRI plugin's configuration.",
        check: apparmor,
    },
    CheckDef {
        id: "5",
        title: "Pods can use low ports and ping without capabilities",
        severity: Severity::Low,
        remediation: "Set `enable_unprivileged_ports = true` and `enable_unprivileged_icmp = true` in the CRI plugin's configuration (the default from containerd 2.0), so that pods can drop NET_BIND_SERVICE and NET_RAW.",
        check: unprivileged_ports,
    },
    CheckDef {
        id: "6",
        title: "The streaming server listens on localhost only",
        severity: Severity::High,
        remediation: "Set `stream_server_address = \"127.0.0.1\"` (the default) in the CRI plugin's configuration.",
        check: streaming_localhost,
    },
    CheckDef {
        id: "7",
        title: "The containerd socket is 660 or stricter, owned by root",
        severity: Severity::High,
        remediation: "Set `[grpc] uid = 0`, `gid = 0` in config.toml (containerd creates the socket 0660); never make the socket group- or world-accessible to non-root users.",
        check: socket,
    },
    CheckDef {
        id: "8",
        title: "config.toml is 644 or stricter, owned by root:root",
        severity: Severity::Medium,
        remediation: "`chown root:root /etc/containerd/config.toml && chmod 644 /etc/containerd/config.toml`.",
        check: config_file,
    },
    CheckDef {
        id: "9",
        title: "Pods default to the runtime's seccomp profile",
        severity: Severity::Medium,
        remediation: "Set `seccompDefault: true` in the kubelet's config file (or `--seccomp-default`), so that pods without a seccompProfile get RuntimeDefault.",
        check: seccomp_default,
    },
    CheckDef {
        id: "10",
        title: "containerd has no known container breakout vulnerability",
        severity: Severity::Critical,
        remediation: "Upgrade containerd to a release with the fixes (see the CVE table in docs/containerd.md).",
        check: containerd_version,
    },
    CheckDef {
        id: "11",
        title: "runc has no known container breakout vulnerability",
        severity: Severity::Critical,
        remediation: "Upgrade runc to a release with the fixes (see the CVE table in docs/containerd.md).",
        check: runc_version,
    },
];

/// A container breakout CVE and the first fixed release of each affected line.
pub struct Cve {
    /// `CVE-2024-21626`.
    pub id: &'static str,
    /// What it allows.
    pub summary: &'static str,
    /// First fixed versions, one per release line.
    pub fixed: &'static [&'static str],
}

/// Breakout CVEs of runc (documented in `docs/containerd.md`).
pub const RUNC_CVES: &[Cve] = &[
    Cve {
        id: "CVE-2019-5736",
        summary: "a container overwrites the host's runc binary and gains root on the host",
        fixed: &["1.0.0-rc7"],
    },
    Cve {
        id: "CVE-2024-21626",
        summary: "a leaked file descriptor gives a container the host's file system (Leaky Vessels)",
        fixed: &["1.1.12"],
    },
    Cve {
        id: "CVE-2025-31133, CVE-2025-52565, CVE-2025-52881",
        summary: "races on masked paths, /dev/console and procfs writes let a container write to the host's /proc",
        fixed: &["1.2.8", "1.3.3", "1.4.0-rc.3"],
    },
];

/// Breakout CVEs of containerd (documented in `docs/containerd.md`).
pub const CONTAINERD_CVES: &[Cve] = &[
    Cve {
        id: "CVE-2020-15257",
        summary: "containers in the host network namespace reach the shim API and escape",
        fixed: &["1.3.9", "1.4.3"],
    },
    Cve {
        id: "CVE-2022-23648",
        summary: "a crafted image volume exposes arbitrary host files to the container",
        fixed: &["1.4.13", "1.5.10", "1.6.1"],
    },
];

/// A node's runtime configuration, parsed once for all checks.
pub struct Runtime<'f> {
    facts: &'f NodeFacts,
    config: Result<Option<toml::Table>, Undecided>,
}

impl<'f> Runtime<'f> {
    /// Parses the facts of one node.
    pub fn new(facts: &'f NodeFacts) -> Runtime<'f> {
        Runtime {
            facts,
            config: parse_config(facts),
        }
    }

    fn installed(&self) -> bool {
        self.facts.file(CONFIG).is_some_and(|f| f.exists)
            || self.facts.file(SOCKET).is_some_and(|f| f.exists)
            || self.version("containerd").is_some()
    }

    /// The parsed config.toml (`None`: containerd runs on its built-in defaults).
    fn config(&self) -> Result<Option<&toml::Table>, Undecided> {
        self.config
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }

    /// The config file's schema version (1, 2 or 3; containerd 2.x writes 3).
    fn config_version(&self) -> Result<i64, Undecided> {
        Ok(self
            .config()?
            .and_then(|c| c.get("version"))
            .and_then(toml::Value::as_integer)
            .unwrap_or(2))
    }

    /// containerd's major version, from the runtime facts or its package.
    fn major(&self) -> Option<(u64, String)> {
        let (version, from) = self.version("containerd")?;
        parse_version(&version).map(|v| (v.0, format!("containerd {version} ({from})")))
    }

    /// The tables containerd reads a CRI plugin's settings from, and the ones it ignores,
    /// decided by the binary's version and the config's: containerd 1.x reads
    /// `io.containerd.grpc.v1.cri` (config version 2) and cannot load a version 3 config;
    /// containerd 2.x converts a version 2 config (its `io.containerd.grpc.v1.cri` settings
    /// move to `io.containerd.cri.v1.runtime` and `io.containerd.cri.v1.images`), and in a
    /// version 3 config `io.containerd.grpc.v1.cri` holds only the streaming server's
    /// settings: anything else written there is ignored.
    fn tables(
        &self,
        plugin: Plugin,
    ) -> Result<(&'static [&'static str], &'static [&'static str]), Undecided> {
        const GRPC: &str = "io.containerd.grpc.v1.cri";
        let config_version = self.config_version()?;
        let major = self.major();
        if config_version >= 3 {
            if let Some((1, which)) = &major {
                return Err(Undecided::from(format!(
                    "{CONFIG} is config version 3, which {which} cannot load (version 3 came with containerd 2.0): containerd does not start with it"
                )));
            }
            return Ok(match plugin {
                Plugin::Runtime => (&["io.containerd.cri.v1.runtime"], &[GRPC]),
                Plugin::Images => (&["io.containerd.cri.v1.images"], &[GRPC]),
                Plugin::Streaming => (&[GRPC], &[]),
            });
        }
        Ok(match (plugin, major.map(|m| m.0)) {
            (Plugin::Streaming, _) => (&[GRPC], &[]),
            (Plugin::Runtime, Some(1)) => (&[GRPC], &["io.containerd.cri.v1.runtime"]),
            (Plugin::Images, Some(1)) => (&[GRPC], &["io.containerd.cri.v1.images"]),
            (Plugin::Runtime, _) => (&[GRPC, "io.containerd.cri.v1.runtime"], &[]),
            (Plugin::Images, _) => (&[GRPC, "io.containerd.cri.v1.images"], &[]),
        })
    }

    /// A CRI setting, from the tables containerd reads it from (see [`Runtime::tables`]);
    /// with a note when the config also sets it in a table containerd ignores.
    fn cri(&self, plugin: Plugin, key: &str) -> Result<Option<(&toml::Value, String)>, Undecided> {
        let Some(config) = self.config()? else {
            return Ok(None);
        };
        let (read, _) = self.tables(plugin)?;
        for table in read {
            let mut path: Vec<&str> = vec!["plugins", table];
            path.extend(key.split('.'));
            if let Some(v) = lookup(config, &path) {
                return Ok(Some((v, format!("[plugins.\"{table}\"] {key}"))));
            }
        }
        Ok(None)
    }

    /// Where the config sets a key in a table containerd ignores, if it does.
    fn ignored(&self, plugin: Plugin, key: &str) -> Result<Option<String>, Undecided> {
        let Some(config) = self.config()? else {
            return Ok(None);
        };
        let (read, ignored) = self.tables(plugin)?;
        for table in ignored {
            let mut path: Vec<&str> = vec!["plugins", table];
            path.extend(key.split('.'));
            if let Some(v) = lookup(config, &path) {
                let v = match v {
                    toml::Value::Boolean(b) => b.to_string(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::String(t) => format!("{t:?}"),
                    _ => "(a table or list)".to_owned(),
                };
                let why = if self.config_version()? >= 3 {
                    "in a version 3 config that table holds only the streaming server's settings"
                } else {
                    "containerd 1.x does not know that table"
                };
                return Ok(Some(format!(
                    "{key} = {v} in [plugins.\"{table}\"] is ignored ({why}; containerd reads it from [plugins.\"{}\"])",
                    read.first().copied().unwrap_or_default()
                )));
            }
        }
        Ok(None)
    }

    fn version(&self, what: &str) -> Option<(String, String)> {
        self.version_at(what).map(|(v, from, _)| (v, from))
    }

    /// The version, where it was read (`package runc`), and the fact that holds it.
    fn version_at(&self, what: &str) -> Option<(String, String, Evidence)> {
        let explicit = self.facts.runtime.as_ref().and_then(|r| match what {
            "containerd" => r.containerd.clone(),
            _ => r.runc.clone(),
        });
        if let Some(v) = explicit {
            let key = if what == "containerd" {
                "containerd"
            } else {
                "runc"
            };
            return Some((
                v,
                "runtime facts".to_owned(),
                Evidence::Fact(format!("/runtime/{key}")),
            ));
        }
        let packages = self.facts.packages.as_ref()?;
        let names: &[&str] = match what {
            "containerd" => &["containerd.io", "containerd"],
            _ => &["runc"],
        };
        names.iter().find_map(|n| {
            packages.get(*n).map(|v| {
                (
                    v.clone(),
                    format!("package {n}"),
                    Evidence::Fact(format!("/packages/{n}")),
                )
            })
        })
    }
}

/// The CRI plugins whose settings the checks read.
#[derive(Debug, Clone, Copy)]
enum Plugin {
    /// Runtimes, cgroups, AppArmor, unprivileged ports (`io.containerd.cri.v1.runtime` in 2.x).
    Runtime,
    /// Registries (`io.containerd.cri.v1.images` in 2.x).
    Images,
    /// The streaming server (`io.containerd.grpc.v1.cri` in every version).
    Streaming,
}

/// Every table a registry `config_path` may be in (for the collector).
const IMAGE_TABLES: &[&str] = &["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images"];

fn lookup<'t>(table: &'t toml::Table, path: &[&str]) -> Option<&'t toml::Value> {
    let (first, rest) = path.split_first()?;
    let value = table.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    lookup(value.as_table()?, rest)
}

fn parse_config(facts: &NodeFacts) -> Result<Option<toml::Table>, Undecided> {
    if let Some(err) = facts.error_for(CONFIG) {
        return Err(Undecided::from(format!(
            "{CONFIG} could not be collected: {}",
            err.message
        )));
    }
    match facts.file(CONFIG) {
        None => Err(Undecided::not_collected(format!(
            "{CONFIG} was not collected"
        ))),
        Some(f) if !f.exists => Ok(None),
        Some(f) => {
            let text = f.content.as_deref().ok_or_else(|| {
                Undecided::not_collected(format!("the content of {CONFIG} was not collected"))
            })?;
            text.parse::<toml::Table>().map(Some).map_err(|e| {
                Undecided::from(format!("{CONFIG} is not valid TOML: {}", e.message()))
            })
        }
    }
}

fn outcome(status: Status, message: String) -> Outcome {
    Outcome::simple(status, message, Evidence::Node)
}

fn decided(pass: bool, message: String, expected: &str, actual: String) -> Outcome {
    Outcome {
        status: if pass { Status::Pass } else { Status::Fail },
        message,
        expected: Some(expected.to_owned()),
        actual: Some(actual),
        source: None,
        evidence: Evidence::File(CONFIG.to_owned()),
    }
}

/// Evaluates every check on one node. On a node without containerd (no config, no socket, no
/// package), every check is a skip that says so.
pub fn evaluate(facts: &NodeFacts) -> Vec<(&'static CheckDef, Outcome)> {
    let runtime = Runtime::new(facts);
    let installed = runtime.installed();
    CHECKS
        .iter()
        .map(|c| {
            let out = if installed {
                (c.check)(&runtime).unwrap_or_else(|why| why.outcome(Evidence::Node))
            } else {
                outcome(
                    Status::Skip,
                    "containerd is not on this node (no config, socket or package)".to_owned(),
                )
            };
            (c, out)
        })
        .collect()
}

/// The registry `hosts.toml` files (under the CRI registry `config_path`), parsed.
fn hosts_files(rt: &Runtime<'_>) -> Result<Vec<(String, toml::Table)>, Undecided> {
    let Some((dir, _)) = rt.cri(Plugin::Images, "registry.config_path")? else {
        return Ok(Vec::new());
    };
    let Some(dir) = dir.as_str() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for dir in dir.split(':').filter(|d| !d.is_empty()) {
        if rt.facts.file(dir).is_none() {
            return Err(Undecided::not_collected(format!(
                "the registry config_path {dir} was not collected"
            )));
        }
        for f in rt.facts.files_under(dir) {
            if !f.path.ends_with("/hosts.toml") {
                continue;
            }
            let text = f.content.as_deref().ok_or_else(|| {
                Undecided::not_collected(format!("the content of {} was not collected", f.path))
            })?;
            let table = text
                .parse::<toml::Table>()
                .map_err(|e| format!("{} is not valid TOML: {}", f.path, e.message()))?;
            out.push((f.path.clone(), table));
        }
    }
    Ok(out)
}

/// **Registries are reached over TLS only.** A mirror endpoint or registry host reached over
/// plain HTTP lets anyone on the path swap the images a node runs.
///
/// Example (fails): `[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
/// endpoint = ["http://mirror.internal:5000"]`, or `server = "http://registry.local"` in a
/// hosts.toml.
///
/// Fix: use `https://` endpoints. References: containerd docs/hosts.md; NSA/CISA Kubernetes
/// Hardening Guidance (image provenance).
fn tls_only(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let mut plain = Vec::new();
    if let Some((mirrors, _)) = rt.cri(Plugin::Images, "registry.mirrors")?
        && let Some(mirrors) = mirrors.as_table()
    {
        for (name, mirror) in mirrors {
            let endpoints = mirror
                .get("endpoint")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_str);
            for e in endpoints.filter(|e| e.starts_with("http://")) {
                plain.push(format!("mirror {name}: {e} ({CONFIG})"));
            }
        }
    }
    for (path, table) in hosts_files(rt)? {
        if let Some(server) = table.get("server").and_then(toml::Value::as_str)
            && server.starts_with("http://")
        {
            plain.push(format!("server {server} ({path})"));
        }
        if let Some(hosts) = table.get("host").and_then(toml::Value::as_table) {
            for host in hosts.keys().filter(|h| h.starts_with("http://")) {
                plain.push(format!("host {host} ({path})"));
            }
        }
    }
    Ok(decided(
        plain.is_empty(),
        if plain.is_empty() {
            "no registry is reached over plain HTTP".to_owned()
        } else {
            format!("plain HTTP: {}", plain.join("; "))
        },
        "https:// endpoints only",
        if plain.is_empty() {
            "https only".to_owned()
        } else {
            plain.join("; ")
        },
    ))
}

/// **Registry TLS certificates are verified.** Skipping verification makes TLS worthless
/// against an attacker on the path: any certificate is accepted.
///
/// Example (fails): `[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".tls]
/// insecure_skip_verify = true`, or `skip_verify = true` in a hosts.toml.
///
/// Fix: remove the setting; configure the registry's CA with `ca`. References: containerd
/// docs/hosts.md.
fn tls_verified(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let mut skipped = Vec::new();
    if let Some((configs, _)) = rt.cri(Plugin::Images, "registry.configs")?
        && let Some(configs) = configs.as_table()
    {
        for (name, c) in configs {
            let skip = c
                .get("tls")
                .and_then(|t| t.get("insecure_skip_verify"))
                .and_then(toml::Value::as_bool);
            if skip == Some(true) {
                skipped.push(format!("{name} ({CONFIG})"));
            }
        }
    }
    for (path, table) in hosts_files(rt)? {
        if table.get("skip_verify").and_then(toml::Value::as_bool) == Some(true) {
            skipped.push(path.clone());
        }
        if let Some(hosts) = table.get("host").and_then(toml::Value::as_table) {
            for (host, h) in hosts {
                if h.get("skip_verify").and_then(toml::Value::as_bool) == Some(true) {
                    skipped.push(format!("{host} ({path})"));
                }
            }
        }
    }
    Ok(decided(
        skipped.is_empty(),
        if skipped.is_empty() {
            "no registry skips certificate verification".to_owned()
        } else {
            format!("verification skipped: {}", skipped.join("; "))
        },
        "certificates verified",
        if skipped.is_empty() {
            "verified".to_owned()
        } else {
            skipped.join("; ")
        },
    ))
}

/// A boolean CRI setting: its value and where it came from, or its default (`None` when the
/// default depends on a containerd version that was not collected). A value written in a
/// table containerd ignores is named in the source, and the default applies.
fn cri_bool(
    rt: &Runtime<'_>,
    plugin: Plugin,
    key: &str,
    default: Option<bool>,
) -> Result<(Option<bool>, String), Undecided> {
    let ignored = rt.ignored(plugin, key)?;
    match rt.cri(plugin, key)? {
        Some((v, at)) => v
            .as_bool()
            .map(|b| (Some(b), at.clone()))
            .ok_or_else(|| Undecided::from(format!("{at} is not a boolean"))),
        None => {
            let default_text = match default {
                Some(d) => format!("{key} not set (default {d})"),
                None => format!("{key} not set"),
            };
            Ok((
                default,
                match ignored {
                    Some(note) => format!("{default_text}; {note}"),
                    None => default_text,
                },
            ))
        }
    }
}

/// A boolean setting whose default does not depend on the version.
fn cri_bool_fixed(
    rt: &Runtime<'_>,
    plugin: Plugin,
    key: &str,
    default: bool,
) -> Result<(bool, String), Undecided> {
    let (v, at) = cri_bool(rt, plugin, key, Some(default))?;
    Ok((v.unwrap_or(default), at))
}

/// **runc uses the systemd cgroup driver.** With systemd managing the node, two cgroup
/// managers (kubelet/containerd's cgroupfs and systemd) disagree under resource pressure; the
/// Kubernetes docs require one driver, systemd, on systemd hosts.
///
/// Example (fails): no `SystemdCgroup = true` under the runc options, or one written under
/// `io.containerd.grpc.v1.cri` in a version 3 config (containerd 2.x ignores it there).
///
/// Fix: set it where the running containerd reads it, and the kubelet's `cgroupDriver:
/// systemd`. References: kubernetes.io, "Container Runtimes: cgroup drivers"; containerd
/// docs/cri/config.md.
fn systemd_cgroup(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let (on, at) = cri_bool_fixed(
        rt,
        Plugin::Runtime,
        "containerd.runtimes.runc.options.SystemdCgroup",
        false,
    )?;
    Ok(decided(
        on,
        format!("SystemdCgroup is {on} ({at})"),
        "true",
        on.to_string(),
    ))
}

/// **AppArmor is not disabled for containers.** With `disable_apparmor`, containerd applies no
/// AppArmor profile, not even the runtime default, so pods lose a confinement layer PSS relies
/// on.
///
/// Example (fails): `disable_apparmor = true` in the CRI plugin table.
///
/// Fix: remove it. References: containerd CRI config docs; Pod Security Standards (AppArmor).
fn apparmor(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let (off, at) = cri_bool_fixed(rt, Plugin::Runtime, "disable_apparmor", false)?;
    Ok(decided(
        !off,
        format!("disable_apparmor is {off} ({at})"),
        "false",
        off.to_string(),
    ))
}

/// **Pods can use low ports and ping without capabilities.** With `enable_unprivileged_ports`
/// and `enable_unprivileged_icmp`, pods need neither NET_BIND_SERVICE nor NET_RAW, so the
/// restricted profile's "drop ALL" costs nothing.
///
/// The defaults come from the binary, not the config: true from containerd 2.0 (whatever the
/// config's version, as 2.x converts a version 2 config), false in 1.x. A version 3 config
/// implies 2.x; with a version 2 config and no known containerd version, an unset value is
/// `manual`.
///
/// Example (fails): containerd 1.7 with neither set.
///
/// Fix: set both to true. References: containerd CRI config docs; KEP-3619 discussion of
/// unprivileged ports.
fn unprivileged_ports(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let default = match rt.major() {
        Some((major, _)) => Some(major >= 2),
        None if rt.config_version()? >= 3 => Some(true),
        None => None,
    };
    let (ports, a) = cri_bool(rt, Plugin::Runtime, "enable_unprivileged_ports", default)?;
    let (icmp, b) = cri_bool(rt, Plugin::Runtime, "enable_unprivileged_icmp", default)?;
    let show = |v: Option<bool>| v.map_or("unknown".to_owned(), |v| v.to_string());
    let message = format!(
        "enable_unprivileged_ports is {} ({a}); enable_unprivileged_icmp is {} ({b})",
        show(ports),
        show(icmp)
    );
    let actual = format!("ports {}, icmp {}", show(ports), show(icmp));
    if ports == Some(false) || icmp == Some(false) {
        return Ok(decided(false, message, "both true", actual));
    }
    match (ports, icmp) {
        (Some(true), Some(true)) => Ok(decided(true, message, "both true", actual)),
        _ => Ok(Outcome {
            status: Status::Manual,
            message: format!(
                "{message}: the default is true from containerd 2.0 and false before, and the containerd version was not collected: check `containerd --version`"
            ),
            expected: Some("both true".to_owned()),
            actual: Some(actual),
            source: None,
            evidence: Evidence::File(CONFIG.to_owned()),
        }),
    }
}

/// **The streaming server listens on localhost only.** The CRI streaming server serves
/// `exec`, `attach` and `port-forward`; on a routable address it can be reached without the
/// API server's authorization.
///
/// Example (fails): `stream_server_address = "0.0.0.0"`.
///
/// Fix: `127.0.0.1` (the default). References: containerd CRI config docs.
fn streaming_localhost(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let (address, at) = match rt.cri(Plugin::Streaming, "stream_server_address")? {
        Some((v, at)) => (v.as_str().unwrap_or("").to_owned(), at),
        None => (
            "127.0.0.1".to_owned(),
            "stream_server_address not set (default 127.0.0.1)".to_owned(),
        ),
    };
    let local = address == "127.0.0.1" || address == "::1" || address == "localhost";
    Ok(decided(
        local,
        format!("the streaming server listens on {address:?} ({at})"),
        "127.0.0.1",
        address,
    ))
}

fn owner_and_mode(rt: &Runtime<'_>, path: &str, mode: &str) -> Result<Outcome, Undecided> {
    if let Some(err) = rt.facts.error_for(path) {
        return Err(Undecided::from(format!(
            "{path} could not be collected: {}",
            err.message
        )));
    }
    let f = rt
        .facts
        .file(path)
        .ok_or_else(|| Undecided::not_collected(format!("{path} was not collected")))?;
    if !f.exists {
        return Ok(outcome(Status::Skip, format!("{path} does not exist")));
    }
    let have = f
        .mode
        .as_deref()
        .and_then(|m| u32::from_str_radix(m, 8).ok());
    let root = f.uid == Some(0) && f.gid == Some(0);
    let pass = have.is_some_and(|m| mode_within(m, mode)) && root;
    let mut out = decided(
        pass,
        format!(
            "{path} is {} owned by {}:{}",
            f.mode.as_deref().unwrap_or("unknown"),
            f.uid
                .map_or("an owner not collected".to_owned(), |u| u.to_string()),
            f.gid
                .map_or("a group not collected".to_owned(), |g| g.to_string())
        ),
        &format!("{mode} or stricter, root:root"),
        f.mode.clone().unwrap_or_default(),
    );
    out.evidence = Evidence::File(path.to_owned());
    Ok(out)
}

/// **The containerd socket is 660 or stricter, owned by root.** Whoever can write to the
/// socket controls every container on the node, and through them the node.
///
/// Example (fails): the socket is 0666, or its group is a users' group.
///
/// Fix: `[grpc] uid = 0, gid = 0`. References: CIS Docker Benchmark 3.x (socket ownership, by
/// analogy); containerd config docs.
fn socket(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    owner_and_mode(rt, SOCKET, "660")
}

/// **config.toml is 644 or stricter, owned by root:root.** Whoever can edit it chooses the
/// runtime binaries and registries of every pod.
///
/// Example (fails): `/etc/containerd/config.toml` is 0666.
///
/// Fix: `chmod 644`, `chown root:root`. References: CIS Kubernetes Benchmark 4.1 (config file
/// permissions, by analogy).
fn config_file(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    owner_and_mode(rt, CONFIG, "644")
}

/// **Pods default to the runtime's seccomp profile.** Without `seccompDefault`, a pod that
/// sets no seccompProfile runs Unconfined: every syscall is open to it.
///
/// Example (fails): a kubelet config without `seccompDefault: true`.
///
/// Fix: `seccompDefault: true` in the kubelet config. References: Kubernetes docs, "Restrict a
/// Container's Syscalls with seccomp"; Pod Security Standards (restricted: seccomp).
fn seccomp_default(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    let view = NodeView::new(rt.facts);
    let Some(kubelet) = view.component(Component::Kubelet) else {
        return Ok(outcome(
            Status::Skip,
            "the kubelet is not running on this node".to_owned(),
        ));
    };
    // The flag when it decides, else the kubelet (whose config file or default does).
    let mut evidence = Evidence::Component(kubelet.source.clone());
    let (value, at) = if let Some((flag, i)) = kubelet.flag("seccomp-default") {
        evidence = Evidence::Arg(kubelet.source.clone(), i);
        (flag.value.clone(), "kubelet --seccomp-default".to_owned())
    } else if let Some(v) = view.kubelet_config_value("seccompDefault") {
        (v, "kubelet config seccompDefault".to_owned())
    } else if kubelet.flag("config").is_some() && view.kubelet_config_value("kind").is_none() {
        return Err(Undecided::not_collected(
            "the kubelet's config file (--config) was not collected",
        ));
    } else {
        ("false".to_owned(), "not set (default false)".to_owned())
    };
    let on = value.eq_ignore_ascii_case("true");
    Ok(Outcome {
        evidence,
        ..decided(
            on,
            format!("seccompDefault is {value} ({at})"),
            "true",
            value,
        )
    })
}

/// A version as `(major, minor, patch, pre-release)`; a pre-release sorts before its release.
fn parse_version(text: &str) -> Option<(u64, u64, u64, Option<String>)> {
    let text = text.trim().trim_start_matches('v');
    // Debian versions: an epoch (`1:`), `~` before pre-releases.
    let text = text
        .split_once(':')
        .map_or(text, |(_, v)| v)
        .replace('~', "-");
    let (core, pre) = match text.split_once('-') {
        Some((c, p)) if p.starts_with("rc") || p.starts_with("beta") || p.starts_with("alpha") => {
            (c.to_owned(), Some(p.replace('.', "")))
        }
        Some((c, _)) => (c.to_owned(), None),
        None => (text.clone(), None),
    };
    let mut parts = core.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u64>()
    });
    let major = parts.next()?.ok()?;
    let minor = parts.next().and_then(Result::ok).unwrap_or(0);
    let patch = parts.next().and_then(Result::ok).unwrap_or(0);
    Some((major, minor, patch, pre))
}

fn older(a: &(u64, u64, u64, Option<String>), b: &(u64, u64, u64, Option<String>)) -> bool {
    if (a.0, a.1, a.2) != (b.0, b.1, b.2) {
        return (a.0, a.1, a.2) < (b.0, b.1, b.2);
    }
    match (&a.3, &b.3) {
        (Some(_), None) => true,
        (Some(x), Some(y)) => {
            let n = |s: &str| {
                s.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<u64>()
                    .unwrap_or(0)
            };
            n(x) < n(y)
        }
        _ => false,
    }
}

/// Whether `version` is affected by a CVE whose fixes are `fixed` (one per release line).
pub fn affected(version: &str, fixed: &[&str]) -> Option<bool> {
    let v = parse_version(version)?;
    let fixes: Vec<_> = fixed.iter().filter_map(|f| parse_version(f)).collect();
    if let Some(same_line) = fixes.iter().find(|f| (f.0, f.1) == (v.0, v.1)) {
        return Some(older(&v, same_line));
    }
    let newest = fixes.iter().max_by(|a, b| {
        if older(a, b) {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Greater
        }
    })?;
    Some(older(&v, newest))
}

fn version_check(rt: &Runtime<'_>, what: &str, cves: &[Cve]) -> Result<Outcome, Undecided> {
    let Some((version, from, at)) = rt.version_at(what) else {
        return Err(Undecided::not_collected(format!(
            "the {what} version is unknown (neither runtime facts nor its package were collected)"
        )));
    };
    let hits: Vec<String> = cves
        .iter()
        .filter(|c| affected(&version, c.fixed) == Some(true))
        .map(|c| format!("{} ({})", c.id, c.summary))
        .collect();
    if parse_version(&version).is_none() {
        return Err(Undecided::from(format!(
            "cannot read the {what} version {version:?}"
        )));
    }
    let distro = version.contains("ubuntu") || version.contains("deb");
    let message = if hits.is_empty() {
        format!("{what} {version} ({from}) has no known breakout vulnerability")
    } else {
        format!(
            "{what} {version} ({from}) is affected by {}",
            hits.join("; ")
        )
    };
    if !hits.is_empty() && distro {
        // Distributions backport fixes without changing the upstream version.
        return Ok(Outcome {
            status: Status::Manual,
            message: format!(
                "{message}, by its upstream version; this is a distribution build, which may carry backported fixes: check `apt changelog {what}` for these CVEs"
            ),
            expected: Some("a release with the fixes".to_owned()),
            actual: Some(version),
            source: Some(from),
            evidence: at,
        });
    }
    Ok(Outcome {
        status: if hits.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        message,
        expected: Some("a release with the fixes".to_owned()),
        actual: Some(version),
        source: Some(from),
        evidence: at,
    })
}

/// **containerd has no known container breakout vulnerability.** A breakout turns any
/// compromised pod into a compromised node. Versions come from the runtime facts or the
/// installed package; a distribution build below a fix is `manual` (it may carry a backport).
///
/// Example (fails): containerd 1.6.0 (CVE-2022-23648).
///
/// Fix: upgrade. References: the CVEs in [`CONTAINERD_CVES`].
fn containerd_version(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    version_check(rt, "containerd", CONTAINERD_CVES)
}

/// **runc has no known container breakout vulnerability.** runc starts every container; its
/// breakouts (a rewritten host binary, a leaked host directory descriptor, procfs writes) are
/// the worst a runtime can have.
///
/// Example (fails): runc 1.1.11 (CVE-2024-21626).
///
/// Fix: upgrade. References: the CVEs in [`RUNC_CVES`].
fn runc_version(rt: &Runtime<'_>) -> Result<Outcome, Undecided> {
    version_check(rt, "runc", RUNC_CVES)
}

/// What this benchmark reads from a node, for the collection plan: containerd's config, its
/// socket, and the registry `hosts.toml` directories the config names.
pub fn file_requests(facts: &NodeFacts) -> Vec<FileRequest> {
    let mut out: Vec<FileRequest> = requests()
        .into_iter()
        .map(|(path, content)| FileRequest {
            path: path.to_owned(),
            content,
            list: false,
        })
        .collect();
    if let Some(dirs) = registry_config_path(facts) {
        for dir in dirs.split(':').filter(|d| d.starts_with('/')) {
            out.push(FileRequest {
                path: dir.to_owned(),
                content: true,
                list: true,
            });
        }
    }
    out
}

/// The CRI registry `config_path` of the collected config.toml (where hosts.toml files live).
pub fn registry_config_path(facts: &NodeFacts) -> Option<String> {
    let config = parse_config(facts).ok()??;
    IMAGE_TABLES.iter().find_map(|table| {
        lookup(&config, &["plugins", table, "registry", "config_path"])
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    })
}

/// Paths the checks read: the config (content), the socket (metadata).
pub fn requests() -> BTreeMap<&'static str, bool> {
    BTreeMap::from([(CONFIG, true), (SOCKET, false)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compared_per_release_line() {
        let runc_2025 = &["1.2.8", "1.3.3", "1.4.0-rc.3"];
        for (v, hit) in [
            ("1.1.15", true),
            ("1.2.7", true),
            ("1.2.8", false),
            ("1.3.2", true),
            ("1.3.3", false),
            ("1.4.0-rc.2", true),
            ("1.4.0-rc.3", false),
            ("1.4.0", false),
            ("1.5.0", false),
        ] {
            assert_eq!(affected(v, runc_2025), Some(hit), "{v}");
        }
        assert_eq!(affected("1.0.0-rc6", &["1.0.0-rc7"]), Some(true));
        assert_eq!(affected("1.0.0~rc93-0ubuntu1", &["1.0.0-rc7"]), Some(false));
        assert_eq!(affected("1.1.11", &["1.1.12"]), Some(true));
        assert_eq!(
            affected("1:1.7.27-1", &["1.4.13", "1.5.10", "1.6.1"]),
            Some(false)
        );
        assert_eq!(
            affected("1.6.0", &["1.4.13", "1.5.10", "1.6.1"]),
            Some(true)
        );
        assert_eq!(affected("nonsense", &["1.0.0"]), None);
    }
}
