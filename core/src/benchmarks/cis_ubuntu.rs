//! The CIS Ubuntu Linux 22.04 LTS Benchmark (v2.0.0, Level 1 and Level 2 - Server) evaluated
//! on node facts.
//!
//! The checks are data (`cis_ubuntu.yaml`, compiled in): each names one kind of test (a kernel
//! parameter, a mount option, a package, a service, a file's mode and owner, an sshd setting, an
//! audit rule, ...) read by this evaluator, and the profile it belongs to. A fact that was not
//! collected is an `error`, never a pass; a check that does not apply (an option of a partition
//! that is not separate, sshd on a node without openssh-server) is a `skip` that says why.
//!
//! Every file is read the way the program that reads it does: sshd's settings are its
//! effective configuration (`sshd` in the facts when a collector ran `sshd -T`, else derived
//! here from `/etc/ssh/sshd_config` and its `Include`s: the first value wins, time values take
//! units, and a `Match` block that sets a weaker value fails the check), with the defaults of
//! OpenSSH 8.9, Ubuntu 22.04's version, for what is not set; kmod reads only `*.conf` in
//! modprobe.d; sudo follows its `@include`/`@includedir` lines and skips names with a dot;
//! augenrules reads `*.rules` in `ls -v` order; pam_limits reads limits.conf then
//! limits.d/*.conf.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::cis::{Evidence, Outcome, Undecided, mode_within};
use crate::facts::plan::FileRequest;
use crate::facts::{FileFact, FileType, NodeFacts};
use crate::input::yaml::{self, Limits};
use crate::rules::Severity;
use crate::vocab::Status;

/// The benchmark's version, as reports label it.
pub const VERSION: &str = "2.0.0";

/// One check, as written in `cis_ubuntu.yaml`: one test kind is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UbuntuCheck {
    /// Control id, e.g. `3.3.1`.
    pub id: String,
    /// What the check wants, in one line.
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// The benchmark profile the check belongs to: 1 (Level 1 - Server, and so Level 2 as
    /// well) or 2 (Level 2 - Server only).
    #[serde(default = "level_one")]
    pub level: u8,
    /// How to fix a failure.
    pub remediation: String,
    /// A kernel module that must be disabled in modprobe.d and not loaded.
    #[serde(default)]
    module: Option<String>,
    /// A separate mount, or an option of it.
    #[serde(default)]
    mount: Option<MountTest>,
    /// Packages that must be installed, or absent.
    #[serde(default)]
    packages: Option<PackagesTest>,
    /// systemd units that must be enabled, or not.
    #[serde(default)]
    services: Option<ServicesTest>,
    /// A service that must not be in use: its packages absent, or its units not enabled.
    #[serde(default)]
    not_in_use: Option<NotInUseTest>,
    /// Exactly one time synchronization daemon is enabled.
    #[serde(default)]
    time_sync: Option<bool>,
    /// Kernel parameters and the values they may have.
    #[serde(default)]
    sysctl: Option<BTreeMap<String, OneOrMany>>,
    /// A pam_limits hard limit every user must have (with `sysctl`: both are needed).
    #[serde(default)]
    limits: Option<LimitsTest>,
    /// The kernel command line.
    #[serde(default)]
    cmdline: Option<CmdlineTest>,
    /// AppArmor's profiles (`profiles-enforce-or-complain`).
    #[serde(default)]
    apparmor: Option<String>,
    /// A file's mode and owner.
    #[serde(default)]
    file: Option<FileTest>,
    /// The mode and owner of the files in a directory with a suffix.
    #[serde(default)]
    files_in: Option<FilesInTest>,
    /// A file's content must not match a pattern.
    #[serde(default)]
    content: Option<ContentTest>,
    /// An sshd setting.
    #[serde(default)]
    sshd: Option<SshdTest>,
    /// A `Defaults` setting of sudo (`use_pty`, `logfile`).
    #[serde(default)]
    sudoers: Option<String>,
    /// A property of /etc/passwd and /etc/group.
    #[serde(default)]
    accounts: Option<String>,
    /// A setting of /etc/audit/auditd.conf.
    #[serde(default)]
    auditd: Option<AuditdTest>,
    /// Audit rules that must be loaded at boot (from /etc/audit/rules.d).
    #[serde(default)]
    audit_rules: Option<Vec<String>>,
    /// What a person must verify.
    #[serde(default)]
    pub manual: Option<String>,
}

fn level_one() -> u8 {
    1
}

impl UbuntuCheck {
    /// The rule code results carry (`UBU-3.3.1`).
    pub fn code(&self) -> String {
        format!("UBU-{}", self.id)
    }

    /// The profile's name: `Level 1 - Server` or `Level 2 - Server`.
    pub fn profile(&self) -> &'static str {
        profile_name(self.level)
    }
}

/// `Level 1 - Server` or `Level 2 - Server`.
pub fn profile_name(level: u8) -> &'static str {
    if level >= 2 {
        "Level 2 - Server"
    } else {
        "Level 1 - Server"
    }
}

/// A pam_limits hard limit (limits.conf(5)): `* hard <item> <value>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LimitsTest {
    item: String,
    value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn allows(&self, value: &str) -> bool {
        match self {
            OneOrMany::One(v) => v == value,
            OneOrMany::Many(vs) => vs.iter().any(|v| v == value),
        }
    }

    fn describe(&self) -> String {
        match self {
            OneOrMany::One(v) => v.clone(),
            OneOrMany::Many(vs) => vs.join(" or "),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MountTest {
    path: String,
    #[serde(default)]
    option: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PackagesTest {
    #[serde(default)]
    installed: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ServicesTest {
    #[serde(default)]
    enabled: Vec<String>,
    #[serde(default)]
    disabled: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NotInUseTest {
    packages: Vec<String>,
    services: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CmdlineTest {
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    at_least: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileTest {
    path: String,
    mode: String,
    owner: Vec<String>,
    /// A file that may be absent (the check is about its permissions if it exists).
    #[serde(default)]
    optional: bool,
    /// The check applies only when this package is installed.
    #[serde(default)]
    when_package: Option<String>,
    /// Every other file sshd reads is checked too: the regular files of
    /// /etc/ssh/sshd_config.d and the files an `Include` names.
    #[serde(default)]
    sshd_files: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilesInTest {
    dir: String,
    suffix: String,
    mode: String,
    owner: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContentTest {
    path: String,
    forbids: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SshdTest {
    /// The keyword, lowercase; `a|b` means any of them.
    key: String,
    #[serde(default)]
    set: bool,
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
    #[serde(default)]
    min: Option<u64>,
    #[serde(default)]
    max: Option<u64>,
    #[serde(default)]
    max_startups: Option<[u64; 3]>,
    /// A second keyword the check needs as well (`ClientAliveInterval` and
    /// `ClientAliveCountMax`).
    #[serde(default)]
    and: Option<Box<SshdTest>>,
    /// Weak algorithms that a package version fixes (`excludes` tests).
    #[serde(default)]
    fixed: Option<FixedIn>,
}

/// A weakness the benchmark names for a CVE, and the package version that fixes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FixedIn {
    /// The CVE (`CVE-2023-48795`).
    cve: String,
    /// The algorithms the benchmark excludes because of it.
    algorithms: Vec<String>,
    /// The Debian package that carries the fix.
    package: String,
    /// Its first fixed version.
    version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuditdTest {
    key: String,
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    min: Option<u64>,
}

/// The benchmark's checks (parsed once from the compiled-in data).
pub fn checks() -> &'static [UbuntuCheck] {
    static CHECKS: OnceLock<Vec<UbuntuCheck>> = OnceLock::new();
    CHECKS.get_or_init(|| parse_checks().unwrap_or_default())
}

fn parse_checks() -> Result<Vec<UbuntuCheck>, String> {
    let (node, errors) =
        yaml::parse_document(include_str!("cis_ubuntu.yaml"), 0, Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!("cis_ubuntu.yaml:{}: {}", e.pos.line, e.message));
    }
    let node = node.ok_or("cis_ubuntu.yaml is empty")?;
    serde_json::from_value(node.to_json()).map_err(|e| format!("cis_ubuntu.yaml: {e}"))
}

/// Every kernel parameter the checks read (a collector reads these from `/proc/sys`).
pub fn sysctl_keys() -> BTreeSet<&'static str> {
    checks()
        .iter()
        .filter_map(|c| c.sysctl.as_ref())
        .flat_map(|s| s.keys().map(String::as_str))
        .collect()
}

/// Files whose content the checks read (config files; never keys or /etc/shadow), and
/// directories whose regular files' content they read.
pub const CONTENT_FILES: &[&str] = &[
    "/etc/security/limits.conf",
    "/etc/systemd/coredump.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/motd",
    "/etc/issue",
    "/etc/issue.net",
    "/etc/ssh/sshd_config",
    "/etc/sudoers",
    "/etc/audit/auditd.conf",
];

/// Directories listed with the content of their files.
pub const CONTENT_DIRS: &[&str] = &[
    "/etc/ssh/sshd_config.d",
    "/etc/modprobe.d",
    "/etc/audit/rules.d",
    "/etc/sudoers.d",
    "/etc/security/limits.d",
    "/etc/systemd/coredump.conf.d",
];

/// What a collector must read besides [`CONTENT_FILES`] and [`CONTENT_DIRS`], given what it
/// has read so far: `(path, content, list)`. The files sshd's `Include`s and sudoers'
/// `@include`s name, by content (their directories listed first, by metadata, so that a glob
/// can be expanded); files that a listing recorded by metadata only are asked again with
/// content.
pub fn requests(facts: &NodeFacts) -> Vec<(String, bool, bool)> {
    let mut out: Vec<(String, bool, bool)> = Vec::new();
    let mut want = |path: &str, content: bool, list: bool| {
        let known = facts.file(path);
        let needed = match known {
            None => facts.error_for(path).is_none(),
            Some(f) => {
                content
                    && f.exists
                    && f.content.is_none()
                    && f.file_type != Some(FileType::Directory)
                    && facts.error_for(path).is_none()
            }
        };
        if needed && !out.iter().any(|(p, _, _)| p == path) {
            out.push((path.to_owned(), content, list));
        }
    };
    // sshd: every Include of every config file read so far.
    let mut todo = vec!["/etc/ssh/sshd_config".to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) || seen.len() > 64 {
            continue;
        }
        let Some(text) = facts.file(&path).and_then(|f| f.content.as_deref()) else {
            continue;
        };
        for line in text.lines() {
            let Some((key, value)) = sshd_line(line) else {
                continue;
            };
            if key != "include" {
                continue;
            }
            for pattern in value.split_whitespace() {
                let pattern = include_pattern(pattern);
                let (dir, glob) = pattern.rsplit_once('/').unwrap_or(("", ""));
                if has_glob(dir) || dir.is_empty() {
                    continue;
                }
                if !has_glob(glob) {
                    want(&pattern, true, false);
                    todo.push(pattern.clone());
                    continue;
                }
                want(dir, false, true);
                if let Ok(files) = include_targets(facts, &pattern) {
                    for f in files {
                        want(&f, true, false);
                        todo.push(f);
                    }
                }
            }
        }
    }
    // sudoers: `@include` files and `@includedir` directories.
    let mut todo = vec!["/etc/sudoers".to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) || seen.len() > 64 {
            continue;
        }
        let Some(text) = facts.file(&path).and_then(|f| f.content.as_deref()) else {
            continue;
        };
        let base = path.rsplit_once('/').map_or("/etc", |(d, _)| d).to_owned();
        for line in text.lines() {
            let Some((is_dir, target)) = sudoers_include(line) else {
                continue;
            };
            let target = if target.starts_with('/') {
                target.to_owned()
            } else {
                format!("{base}/{target}")
            };
            if is_dir {
                want(&target, true, true);
                for f in facts.files_under(&target) {
                    if f.content.is_some() {
                        todo.push(f.path.clone());
                    }
                }
            } else {
                want(&target, true, false);
                todo.push(target);
            }
        }
    }
    out
}

/// What this benchmark reads from a node, for the collection plan: config files by content, the
/// rest by metadata, and the files sshd's and sudo's includes name.
pub fn file_requests(facts: &NodeFacts) -> Vec<FileRequest> {
    let mut out = Vec::new();
    let mut add = |path: &str, content: bool, list: bool| {
        out.push(FileRequest {
            path: path.to_owned(),
            content,
            list,
        });
    };
    for path in CONTENT_FILES {
        add(path, true, false);
    }
    for dir in CONTENT_DIRS {
        add(dir, true, true);
    }
    for path in metadata_paths() {
        add(path, false, path == "/etc/ssh");
    }
    for (path, content, list) in requests(facts) {
        add(&path, content, list);
    }
    out
}

/// Files and directories whose metadata the checks read.
pub fn metadata_paths() -> BTreeSet<&'static str> {
    let mut paths: BTreeSet<&'static str> = checks()
        .iter()
        .filter_map(|c| c.file.as_ref().map(|f| f.path.as_str()))
        .collect();
    paths.extend(
        checks()
            .iter()
            .filter_map(|c| c.files_in.as_ref().map(|f| f.dir.as_str())),
    );
    paths
}

/// What a node's facts say, prepared once for all checks.
pub struct Host<'f> {
    facts: &'f NodeFacts,
    sshd: Result<Sshd, Undecided>,
}

impl<'f> Host<'f> {
    /// Prepares the facts of one node.
    pub fn new(facts: &'f NodeFacts) -> Host<'f> {
        Host {
            facts,
            sshd: effective_sshd(facts),
        }
    }

    fn package(&self, pattern: &str) -> Result<Vec<String>, Undecided> {
        let packages = self
            .facts
            .packages
            .as_ref()
            .ok_or_else(|| Undecided::not_collected("installed packages were not collected"))?;
        Ok(match pattern.strip_suffix('*') {
            Some(prefix) => packages
                .keys()
                .filter(|p| p.starts_with(prefix))
                .cloned()
                .collect(),
            None => packages
                .get_key_value(pattern)
                .map(|(k, v)| vec![format!("{k} {v}")])
                .unwrap_or_default(),
        })
    }

    fn enabled(&self) -> Result<&'f [String], Undecided> {
        self.facts
            .enabled_services
            .as_deref()
            .ok_or_else(|| Undecided::not_collected("enabled services were not collected"))
    }

    fn content(&self, path: &str) -> Result<Option<&'f str>, Undecided> {
        if let Some(err) = self.facts.error_for(path) {
            return Err(Undecided::from(format!(
                "{path} could not be collected: {}",
                err.message
            )));
        }
        match self.facts.file(path) {
            None => Err(Undecided::not_collected(format!(
                "{path} was not collected"
            ))),
            Some(f) if !f.exists => Ok(None),
            Some(f) => f.content.as_deref().map(Some).ok_or_else(|| {
                Undecided::not_collected(format!("the content of {path} was not collected"))
            }),
        }
    }

    /// The regular files of a directory, with content, in path order.
    fn dir_contents(&self, dir: &str) -> Result<Vec<(&'f str, &'f str)>, Undecided> {
        if let Some(err) = self.facts.error_for(dir) {
            return Err(Undecided::from(format!(
                "{dir} could not be collected: {}",
                err.message
            )));
        }
        match self.facts.file(dir) {
            None => return Err(Undecided::not_collected(format!("{dir} was not collected"))),
            Some(f) if !f.exists => return Ok(Vec::new()),
            Some(_) => {}
        }
        Ok(self
            .facts
            .files_under(dir)
            .into_iter()
            .filter_map(|f| Some((f.path.as_str(), f.content.as_deref()?)))
            .collect())
    }
}

fn outcome(status: Status, message: String) -> Outcome {
    Outcome::simple(status, message, Evidence::Node)
}

fn decided(pass: bool, message: String, expected: String, actual: String) -> Outcome {
    Outcome {
        status: if pass { Status::Pass } else { Status::Fail },
        message,
        expected: Some(expected),
        actual: Some(actual),
        source: None,
        evidence: Evidence::Node,
    }
}

/// Evaluates the checks of a profile (1: Level 1 - Server; 2: Level 2 - Server, which
/// includes Level 1) on one node. A node that is not Ubuntu, or facts that hold no OS section
/// at all (an older collector, a tool that collects Kubernetes only), skip every check with
/// the reason. Facts with OS sections that do not say which OS it is (no `os.id`) are an
/// error for every check: they may come from any distribution.
pub fn evaluate(host: &Host<'_>, level: u8) -> Vec<(&'static UbuntuCheck, Outcome)> {
    let f = host.facts;
    let has_os_sections = f.sysctl.is_some()
        || f.mounts.is_some()
        || f.packages.is_some()
        || f.modules.is_some()
        || f.enabled_services.is_some();
    let os_id = f.os.as_ref().and_then(|o| o.id.as_deref());
    let not_applicable = match os_id {
        None if has_os_sections => Some(outcome(
            Status::Error,
            "the facts do not say which OS the node runs (no `os.id`, from /etc/os-release): the Ubuntu checks cannot be decided on them".to_owned(),
        )),
        Some(id) if id != "ubuntu" => Some(outcome(Status::Skip, format!(
            "the node runs {}, not Ubuntu",
            f.os.as_ref()
                .and_then(|o| o.pretty_name.clone())
                .unwrap_or_else(|| id.to_owned())
        ))),
        _ if !has_os_sections => Some(outcome(
            Status::Skip,
            "these facts hold no OS section (sysctl, mounts, packages, modules, enabled services): collect them with `stockade collect` (facts v1alpha2)"
                .to_owned(),
        )),
        _ => None,
    };
    checks()
        .iter()
        .filter(|c| c.level <= level)
        .map(|c| {
            let out = match &not_applicable {
                Some(why) => why.clone(),
                None => evaluate_check(c, host),
            };
            (c, out)
        })
        .collect()
}

fn evaluate_check(check: &UbuntuCheck, host: &Host<'_>) -> Outcome {
    let result = if let Some(text) = &check.manual {
        Ok(outcome(Status::Manual, text.clone()))
    } else if let Some(m) = &check.module {
        module(host, m)
    } else if let Some(t) = &check.mount {
        mount(host, t)
    } else if let Some(t) = &check.packages {
        packages(host, t)
    } else if let Some(t) = &check.services {
        services(host, t)
    } else if let Some(t) = &check.not_in_use {
        not_in_use(host, t)
    } else if check.time_sync.is_some() {
        time_sync(host)
    } else if let Some(t) = &check.sysctl {
        match (sysctl(host, t), &check.limits) {
            (Ok(a), Some(l)) => limits(host, l).map(|b| both(a, b)),
            (result, _) => result,
        }
    } else if let Some(t) = &check.cmdline {
        cmdline(host, t)
    } else if check.apparmor.is_some() {
        apparmor(host)
    } else if let Some(t) = &check.file {
        file(host, t)
    } else if let Some(t) = &check.files_in {
        files_in(host, t)
    } else if let Some(t) = &check.content {
        content(host, t)
    } else if let Some(t) = &check.sshd {
        sshd(host, t)
    } else if let Some(t) = &check.sudoers {
        sudoers(host, t)
    } else if let Some(t) = &check.accounts {
        accounts(host, t)
    } else if let Some(t) = &check.auditd {
        auditd(host, t)
    } else if let Some(t) = &check.audit_rules {
        audit_rules(host, t)
    } else {
        Err(Undecided::from(format!("check {} has no test", check.id)))
    };
    match result {
        // Every verdict points at the fact it judged: a test that did not say which entry
        // points at the section or file its kind of test reads.
        Ok(mut out) => {
            if out.evidence == Evidence::Node
                && let Some(evidence) = section_of(check)
            {
                out.evidence = evidence;
            }
            out
        }
        Err(why) => why.outcome(Evidence::Node),
    }
}

/// The part of the facts a check's kind of test reads.
fn section_of(check: &UbuntuCheck) -> Option<Evidence> {
    let fact = |p: &str| Some(Evidence::Fact(p.to_owned()));
    if check.mount.is_some() {
        fact("/mounts")
    } else if check.packages.is_some() || check.not_in_use.is_some() {
        fact("/packages")
    } else if check.services.is_some() || check.time_sync.is_some() {
        fact("/enabledServices")
    } else if check.sysctl.is_some() {
        fact("/sysctl")
    } else if check.cmdline.is_some() {
        fact("/kernelCmdline")
    } else if check.apparmor.is_some() {
        fact("/apparmor")
    } else if let Some(t) = &check.files_in {
        Some(Evidence::File(t.dir.clone()))
    } else if check.sudoers.is_some() {
        Some(Evidence::File("/etc/sudoers".to_owned()))
    } else if check.audit_rules.is_some() {
        Some(Evidence::File("/etc/audit/rules.d".to_owned()))
    } else if check.module.is_some() {
        fact("/modules")
    } else if check.sshd.is_some() {
        Some(Evidence::File("/etc/ssh/sshd_config".to_owned()))
    } else if let Some(t) = &check.content {
        Some(Evidence::File(t.path.clone()))
    } else {
        check.file.as_ref().map(|t| Evidence::File(t.path.clone()))
    }
}

type Checked = Result<Outcome, Undecided>;

fn module(host: &Host<'_>, name: &str) -> Checked {
    let kernel_name = name.replace('-', "_");
    let loaded = host
        .facts
        .modules
        .as_ref()
        .ok_or_else(|| Undecided::not_collected("loaded kernel modules were not collected"))?
        .iter()
        .any(|m| m.replace('-', "_") == kernel_name);
    let mut install = None;
    let mut blacklisted = None;
    // kmod reads only the `*.conf` files of modprobe.d (modprobe.d(5)): `cramfs.conf.disabled`
    // or `blacklist.bak` configure nothing.
    let confs: Vec<(&str, &str)> = host
        .dir_contents("/etc/modprobe.d")?
        .into_iter()
        .filter(|(path, _)| {
            path.strip_prefix("/etc/modprobe.d/")
                .is_some_and(|name| !name.contains('/') && name.ends_with(".conf"))
        })
        .collect();
    for (path, text) in confs {
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let same = |w: Option<&&str>| w.is_some_and(|w| w.replace('-', "_") == kernel_name);
            match words.first().copied() {
                Some("install")
                    if same(words.get(1))
                        && words
                            .get(2)
                            .is_some_and(|c| c.ends_with("/false") || c.ends_with("/true")) =>
                {
                    install = Some(path);
                }
                Some("blacklist") if same(words.get(1)) => blacklisted = Some(path),
                _ => {}
            }
        }
    }
    let mut problems = Vec::new();
    if loaded {
        problems.push("it is loaded".to_owned());
    }
    if install.is_none() {
        problems.push(format!("no `install {name} /bin/false` in /etc/modprobe.d"));
    }
    if blacklisted.is_none() {
        problems.push(format!("no `blacklist {name}` in /etc/modprobe.d"));
    }
    let pass = problems.is_empty();
    let evidence = if loaded {
        Evidence::Fact("/modules".to_owned())
    } else {
        Evidence::File("/etc/modprobe.d".to_owned())
    };
    Ok(Outcome {
        evidence,
        ..decided(
            pass,
            if pass {
                format!(
                    "{name} is not loaded and is disabled ({})",
                    install.unwrap_or_default()
                )
            } else {
                format!("{name}: {}", problems.join("; "))
            },
            "not loaded, install /bin/false, blacklisted".to_owned(),
            if pass {
                "disabled".to_owned()
            } else {
                problems.join("; ")
            },
        )
    })
}

fn mount(host: &Host<'_>, test: &MountTest) -> Checked {
    let mounts = host
        .facts
        .mounts
        .as_ref()
        .ok_or_else(|| Undecided::not_collected("mounts were not collected"))?;
    let at = mounts.iter().rposition(|m| m.target == test.path);
    let Some((i, found)) = at.and_then(|i| Some((i, mounts.get(i)?))) else {
        return Ok(match &test.option {
            None => decided(
                false,
                format!("{} is not a separate mount", test.path),
                "a separate mount".to_owned(),
                "part of its parent file system".to_owned(),
            ),
            Some(_) => outcome(
                Status::Skip,
                format!(
                    "{} is not a separate mount, so its options cannot be set",
                    test.path
                ),
            ),
        });
    };
    let entry = Evidence::Fact(format!("/mounts/{i}"));
    Ok(Outcome {
        evidence: entry,
        ..mount_verdict(test, found)
    })
}

fn mount_verdict(test: &MountTest, found: &crate::facts::Mount) -> Outcome {
    match &test.option {
        None => decided(
            true,
            format!(
                "{} is mounted from {} ({})",
                test.path, found.source, found.fs_type
            ),
            "a separate mount".to_owned(),
            format!("{} {}", found.fs_type, found.source),
        ),
        Some(option) => {
            let has = found.options.iter().any(|o| o == option);
            decided(
                has,
                format!("{} is mounted with {}", test.path, found.options.join(",")),
                option.clone(),
                found.options.join(","),
            )
        }
    }
}

fn packages(host: &Host<'_>, test: &PackagesTest) -> Checked {
    let mut missing = Vec::new();
    for p in &test.installed {
        if host.package(p)?.is_empty() {
            missing.push(p.clone());
        }
    }
    let mut present = Vec::new();
    for p in &test.absent {
        present.extend(host.package(p)?);
    }
    let pass = missing.is_empty() && present.is_empty();
    let evidence = present
        .first()
        .and_then(|p| p.split(' ').next())
        .map_or(Evidence::Fact("/packages".to_owned()), |name| {
            Evidence::Fact(format!("/packages/{name}"))
        });
    let message = match (missing.is_empty(), present.is_empty()) {
        (true, true) if test.absent.is_empty() => {
            format!("installed: {}", test.installed.join(", "))
        }
        (true, true) => format!("not installed: {}", test.absent.join(", ")),
        (false, _) => format!("not installed: {}", missing.join(", ")),
        (true, false) => format!("installed: {}", present.join(", ")),
    };
    Ok(Outcome {
        evidence,
        ..decided(
            pass,
            message.clone(),
            if test.absent.is_empty() {
                format!("installed: {}", test.installed.join(", "))
            } else {
                format!("not installed: {}", test.absent.join(", "))
            },
            message,
        )
    })
}

fn services(host: &Host<'_>, test: &ServicesTest) -> Checked {
    let enabled = host.enabled()?;
    let on = |u: &String| enabled.iter().any(|e| e == u);
    let not_enabled: Vec<&str> = test
        .enabled
        .iter()
        .filter(|u| !on(u))
        .map(String::as_str)
        .collect();
    let wrongly: Vec<&str> = test
        .disabled
        .iter()
        .filter(|u| on(u))
        .map(String::as_str)
        .collect();
    let pass = not_enabled.is_empty() && wrongly.is_empty();
    let evidence = unit_entry(enabled, wrongly.first().copied());
    let message = if !not_enabled.is_empty() {
        format!("not enabled: {}", not_enabled.join(", "))
    } else if !wrongly.is_empty() {
        format!("enabled: {}", wrongly.join(", "))
    } else if test.disabled.is_empty() {
        format!("enabled: {}", test.enabled.join(", "))
    } else {
        format!("not enabled: {}", test.disabled.join(", "))
    };
    Ok(Outcome {
        evidence,
        ..decided(
            pass,
            message.clone(),
            if test.disabled.is_empty() {
                format!("enabled: {}", test.enabled.join(", "))
            } else {
                format!("not enabled: {}", test.disabled.join(", "))
            },
            message,
        )
    })
}

/// The entry of an enabled unit (`/enabledServices/3`), or the list when there is none.
fn unit_entry(enabled: &[String], unit: Option<&str>) -> Evidence {
    Evidence::Fact(
        unit.and_then(|u| enabled.iter().position(|e| e == u))
            .map_or_else(
                || "/enabledServices".to_owned(),
                |i| format!("/enabledServices/{i}"),
            ),
    )
}

fn not_in_use(host: &Host<'_>, test: &NotInUseTest) -> Checked {
    let mut installed = Vec::new();
    for p in &test.packages {
        installed.extend(host.package(p)?);
    }
    if installed.is_empty() {
        return Ok(decided(
            true,
            format!("not installed: {}", test.packages.join(", ")),
            "not installed, or its units not enabled".to_owned(),
            "not installed".to_owned(),
        ));
    }
    let enabled = host.enabled()?;
    let on: Vec<&str> = test
        .services
        .iter()
        .filter(|u| enabled.contains(u))
        .map(String::as_str)
        .collect();
    // The enabled unit, else the installed package.
    let evidence = match on.first() {
        Some(unit) => unit_entry(enabled, Some(unit)),
        None => Evidence::Fact(
            installed
                .first()
                .and_then(|i| i.split_whitespace().next())
                .map_or_else(
                    || "/packages".to_owned(),
                    |name| format!("/packages/{name}"),
                ),
        ),
    };
    let verdict = decided(
        on.is_empty(),
        if on.is_empty() {
            format!(
                "installed ({}), but its units are not enabled",
                installed.join(", ")
            )
        } else {
            format!(
                "installed ({}) and enabled: {}",
                installed.join(", "),
                on.join(", ")
            )
        },
        "not installed, or its units not enabled".to_owned(),
        if on.is_empty() {
            "installed, not enabled".to_owned()
        } else {
            format!("enabled: {}", on.join(", "))
        },
    );
    Ok(Outcome {
        evidence,
        ..verdict
    })
}

fn time_sync(host: &Host<'_>) -> Checked {
    const DAEMONS: &[&str] = &[
        "systemd-timesyncd.service",
        "chrony.service",
        "chronyd.service",
        "ntp.service",
    ];
    let enabled = host.enabled()?;
    let on: Vec<&str> = DAEMONS
        .iter()
        .copied()
        .filter(|d| enabled.iter().any(|e| e == d))
        .collect();
    Ok(decided(
        on.len() == 1,
        match on.len() {
            0 => "no time synchronization daemon is enabled".to_owned(),
            1 => format!("{} is the time synchronization daemon", on.join("")),
            _ => format!("more than one is enabled: {}", on.join(", ")),
        },
        "exactly one of systemd-timesyncd, chrony".to_owned(),
        if on.is_empty() {
            "none".to_owned()
        } else {
            on.join(", ")
        },
    ))
}

fn sysctl(host: &Host<'_>, test: &BTreeMap<String, OneOrMany>) -> Checked {
    let values = host
        .facts
        .sysctl
        .as_ref()
        .ok_or_else(|| Undecided::not_collected("kernel parameters were not collected"))?;
    let mut wrong = Vec::new();
    let mut seen = Vec::new();
    for (key, want) in test {
        match values.get(key) {
            Some(v) => {
                seen.push(format!("{key} = {v}"));
                if !want.allows(v.trim()) {
                    wrong.push(format!("{key} = {v} (expected {})", want.describe()));
                }
            }
            // IPv6 parameters do not exist when IPv6 is disabled: nothing to configure.
            None if key.starts_with("net.ipv6.") => {
                seen.push(format!("{key} absent (IPv6 disabled)"));
            }
            None => return Err(Undecided::not_collected(format!("{key} was not collected"))),
        }
    }
    let expected = test
        .iter()
        .map(|(k, v)| format!("{k} = {}", v.describe()))
        .collect::<Vec<_>>()
        .join(", ");
    let first_wrong = test
        .iter()
        .find(|(k, want)| values.get(*k).is_some_and(|v| !want.allows(v.trim())))
        .or_else(|| test.iter().find(|(k, _)| values.contains_key(*k)))
        .map(|(k, _)| k.replace('~', "~0").replace('/', "~1"));
    let mut out = decided(
        wrong.is_empty(),
        if wrong.is_empty() {
            seen.join(", ")
        } else {
            wrong.join(", ")
        },
        expected,
        seen.join(", "),
    );
    if let Some(key) = first_wrong {
        out.evidence = Evidence::Fact(format!("/sysctl/{key}"));
    }
    Ok(out)
}

fn cmdline(host: &Host<'_>, test: &CmdlineTest) -> Checked {
    let line = host
        .facts
        .kernel_cmdline
        .as_deref()
        .ok_or_else(|| Undecided::not_collected("the kernel command line was not collected"))?;
    let params: Vec<&str> = line.split_whitespace().collect();
    let mut missing: Vec<String> = test
        .contains
        .iter()
        .filter(|p| !params.contains(&p.as_str()))
        .cloned()
        .collect();
    for (name, min) in &test.at_least {
        let value = params
            .iter()
            .rev()
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<u64>().ok());
        if value.is_none_or(|v| v < *min) {
            missing.push(format!("{name}={min} or more"));
        }
    }
    let mut wanted = test.contains.clone();
    wanted.extend(test.at_least.iter().map(|(k, v)| format!("{k}>={v}")));
    Ok(decided(
        missing.is_empty(),
        if missing.is_empty() {
            format!("the kernel command line has {}", wanted.join(" "))
        } else {
            format!("the kernel command line lacks {}", missing.join(" "))
        },
        wanted.join(" "),
        line.to_owned(),
    ))
}

fn apparmor(host: &Host<'_>) -> Checked {
    let state = host
        .facts
        .apparmor
        .as_ref()
        .ok_or_else(|| Undecided::not_collected("AppArmor's state was not collected"))?;
    if !state.enabled {
        return Ok(decided(
            false,
            "AppArmor is not enabled".to_owned(),
            "every profile in enforce or complain mode".to_owned(),
            "disabled".to_owned(),
        ));
    }
    let other: Vec<String> = state
        .profiles
        .iter()
        .filter(|(_, mode)| !matches!(mode.as_str(), "enforce" | "complain" | "kill"))
        .map(|(name, mode)| format!("{name} ({mode})"))
        .collect();
    let pass = other.is_empty() && !state.profiles.is_empty();
    Ok(decided(
        pass,
        if state.profiles.is_empty() {
            "no AppArmor profile is loaded".to_owned()
        } else if pass {
            format!(
                "{} profiles, all in enforce or complain mode",
                state.profiles.len()
            )
        } else {
            format!("not enforced: {}", other.join(", "))
        },
        "every profile in enforce or complain mode".to_owned(),
        format!("{} profiles", state.profiles.len()),
    ))
}

fn owner_of(f: &FileFact) -> String {
    let user = f.user.clone().or_else(|| {
        f.uid.map(|u| {
            if u == 0 {
                "root".to_owned()
            } else {
                u.to_string()
            }
        })
    });
    let group = f.group.clone().or_else(|| {
        f.gid.map(|g| {
            if g == 0 {
                "root".to_owned()
            } else {
                g.to_string()
            }
        })
    });
    match (user, group) {
        (Some(u), Some(g)) => format!("{u}:{g}"),
        _ => "unknown owner".to_owned(),
    }
}

/// Mode and owner of one file fact: the problems, if any.
fn access(f: &FileFact, mode: &str, owners: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    match f
        .mode
        .as_deref()
        .and_then(|m| u32::from_str_radix(m, 8).ok())
    {
        Some(have) if mode_within(have, mode) => {}
        Some(have) => problems.push(format!(
            "mode {:o} (expected {mode} or stricter)",
            have & 0o7777
        )),
        None => problems.push("unknown mode".to_owned()),
    }
    let owner = owner_of(f);
    if !owners.contains(&owner) {
        problems.push(format!(
            "owned by {owner} (expected {})",
            owners.join(" or ")
        ));
    }
    problems
}

fn file(host: &Host<'_>, test: &FileTest) -> Checked {
    if let Some(package) = &test.when_package
        && host.package(package)?.is_empty()
    {
        return Ok(outcome(Status::Skip, format!("{package} is not installed")));
    }
    if let Some(err) = host.facts.error_for(&test.path) {
        return Err(Undecided::from(format!(
            "{} could not be collected: {}",
            test.path, err.message
        )));
    }
    let f = host
        .facts
        .file(&test.path)
        .ok_or_else(|| Undecided::not_collected(format!("{} was not collected", test.path)))?;
    let expected = format!("{} or stricter, {}", test.mode, test.owner.join(" or "));
    if !f.exists {
        return Ok(decided(
            test.optional,
            format!("{} does not exist", test.path),
            expected,
            "absent".to_owned(),
        ));
    }
    let mut problems = access(f, &test.mode, &test.owner);
    let mut others = Vec::new();
    if test.sshd_files {
        others = sshd_files(host)?;
        for other in &others {
            if let Some(o) = host.facts.file(other) {
                problems.extend(
                    access(o, &test.mode, &test.owner)
                        .into_iter()
                        .map(|p| format!("{other}: {p}")),
                );
            }
        }
    }
    let mut out = decided(
        problems.is_empty(),
        if problems.is_empty() && !others.is_empty() {
            format!(
                "{} is {} {}, and {} other files sshd reads are within {} {}",
                test.path,
                f.mode.as_deref().unwrap_or_default(),
                owner_of(f),
                others.len(),
                test.mode,
                test.owner.join(" or ")
            )
        } else if problems.is_empty() {
            format!(
                "{} is {} {}",
                test.path,
                f.mode.as_deref().unwrap_or_default(),
                owner_of(f)
            )
        } else {
            format!("{}: {}", test.path, problems.join(", "))
        },
        expected,
        format!("{} {}", f.mode.as_deref().unwrap_or_default(), owner_of(f)),
    );
    out.evidence = Evidence::File(test.path.clone());
    Ok(out)
}

/// The files sshd reads besides sshd_config: every regular file of /etc/ssh/sshd_config.d
/// (whether or not its name matches the Include), and every file an `Include` names.
fn sshd_files(host: &Host<'_>) -> Result<Vec<String>, Undecided> {
    const DIR: &str = "/etc/ssh/sshd_config.d";
    if let Some(err) = host.facts.error_for(DIR) {
        return Err(Undecided::from(format!(
            "{DIR} could not be collected: {}",
            err.message
        )));
    }
    if host.facts.file(DIR).is_none() {
        return Err(Undecided::not_collected(format!("{DIR} was not collected")));
    }
    let mut files: BTreeSet<String> = host
        .facts
        .files_under(DIR)
        .into_iter()
        .filter(|f| f.file_type != Some(FileType::Directory))
        .map(|f| f.path.clone())
        .collect();
    if let Ok(sshd) = &host.sshd {
        files.extend(
            sshd.files
                .iter()
                .filter(|p| p.as_str() != "/etc/ssh/sshd_config")
                .cloned(),
        );
    }
    Ok(files.into_iter().collect())
}

/// pam_limits (limits.conf(5)): /etc/security/limits.conf, then the `*.conf` files of
/// /etc/security/limits.d in order; for the `*` domain the last `hard` (or `-`) entry of the
/// item wins, and an entry for a user, group or uid range takes precedence for those users, so
/// such an entry with another value fails the check as well.
fn limits(host: &Host<'_>, test: &LimitsTest) -> Checked {
    let mut texts: Vec<(String, &str)> = Vec::new();
    if let Some(t) = host.content("/etc/security/limits.conf")? {
        texts.push(("/etc/security/limits.conf".to_owned(), t));
    }
    for (path, text) in host.dir_contents("/etc/security/limits.d")? {
        if path
            .strip_prefix("/etc/security/limits.d/")
            .is_some_and(|name| !name.contains('/') && name.ends_with(".conf"))
        {
            texts.push((path.to_owned(), text));
        }
    }
    let mut everyone: Option<(String, String)> = None;
    let mut others = Vec::new();
    for (path, text) in &texts {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default();
            let words: Vec<&str> = line.split_whitespace().collect();
            let [domain, kind, item, value] = words.as_slice() else {
                continue;
            };
            if *item != test.item || !matches!(*kind, "hard" | "-") {
                continue;
            }
            let at = format!("{path} line {}", n + 1);
            if *domain == "*" {
                everyone = Some(((*value).to_owned(), at));
            } else if *value != test.value {
                others.push(format!("`{domain} {kind} {item} {value}` ({at})"));
            }
        }
    }
    let mut expected = format!("* hard {} {}", test.item, test.value);
    let (mut pass, mut message, actual) = match &everyone {
        None => (
            false,
            format!(
                "no `* hard {}` limit in /etc/security/limits.conf or limits.d",
                test.item
            ),
            "not set".to_owned(),
        ),
        Some((v, at)) if *v != test.value => (
            false,
            format!("the hard {} limit is {v} ({at})", test.item),
            v.clone(),
        ),
        Some((v, at)) if !others.is_empty() => (
            false,
            format!(
                "the hard {} limit is {v} ({at}), but {} sets another for some users",
                test.item,
                others.join("; ")
            ),
            v.clone(),
        ),
        Some((v, at)) => (
            true,
            format!("the hard {} limit is {v} ({at})", test.item),
            v.clone(),
        ),
    };
    if test.item == "core"
        && host.facts.packages.is_some()
        && !host.package("systemd-coredump")?.is_empty()
    {
        let problems = coredump(host)?;
        expected.push_str("; systemd-coredump: Storage=none, ProcessSizeMax=0");
        if !problems.is_empty() {
            message = format!(
                "{message}; systemd-coredump is installed and {}",
                problems.join(", ")
            );
            pass = false;
        }
    }
    let mut out = decided(pass, message, expected, actual);
    out.evidence = Evidence::File("/etc/security/limits.conf".to_owned());
    Ok(out)
}

/// systemd-coredump(8)'s settings (coredump.conf(5)): /etc/systemd/coredump.conf, then the
/// `*.conf` drop-ins of /etc/systemd/coredump.conf.d in name order, the last value of a key in
/// the `[Coredump]` section winning. The benchmark wants `Storage=none` and
/// `ProcessSizeMax=0`; the defaults are `external` and 1G. What is wrong, if anything.
fn coredump(host: &Host<'_>) -> Result<Vec<String>, Undecided> {
    let mut texts: Vec<(String, &str)> = Vec::new();
    if let Some(t) = host.content("/etc/systemd/coredump.conf")? {
        texts.push(("/etc/systemd/coredump.conf".to_owned(), t));
    }
    let mut dropins: Vec<(&str, &str)> = host
        .dir_contents("/etc/systemd/coredump.conf.d")?
        .into_iter()
        .filter(|(path, _)| {
            path.strip_prefix("/etc/systemd/coredump.conf.d/")
                .is_some_and(|name| !name.contains('/') && name.ends_with(".conf"))
        })
        .collect();
    dropins.sort_by(|a, b| a.0.cmp(b.0));
    texts.extend(dropins.into_iter().map(|(p, t)| (p.to_owned(), t)));
    let mut storage = ("external".to_owned(), "the default".to_owned());
    let mut size = ("1G".to_owned(), "the default".to_owned());
    for (path, text) in &texts {
        let mut in_section = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') {
                in_section = line == "[Coredump]";
                continue;
            }
            if !in_section || line.starts_with(['#', ';']) {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let at = format!("{path} line {}", n + 1);
            match key.trim() {
                "Storage" => storage = (value.trim().to_owned(), at),
                "ProcessSizeMax" => size = (value.trim().to_owned(), at),
                _ => {}
            }
        }
    }
    let mut problems = Vec::new();
    if storage.0 != "none" {
        problems.push(format!("Storage={} ({})", storage.0, storage.1));
    }
    if size.0 != "0" {
        problems.push(format!("ProcessSizeMax={} ({})", size.0, size.1));
    }
    Ok(problems)
}

fn files_in(host: &Host<'_>, test: &FilesInTest) -> Checked {
    if let Some(err) = host.facts.error_for(&test.dir) {
        return Err(Undecided::from(format!(
            "{} could not be collected: {}",
            test.dir, err.message
        )));
    }
    if host.facts.file(&test.dir).is_none() {
        return Err(Undecided::not_collected(format!(
            "{} was not collected",
            test.dir
        )));
    }
    let files: Vec<&FileFact> = host
        .facts
        .files_under(&test.dir)
        .into_iter()
        .filter(|f| f.path.ends_with(&test.suffix))
        .collect();
    if files.is_empty() {
        return Ok(outcome(
            Status::Skip,
            format!("no *{} files in {}", test.suffix, test.dir),
        ));
    }
    let mut problems = Vec::new();
    for f in &files {
        for p in access(f, &test.mode, &test.owner) {
            problems.push(format!("{}: {p}", f.path));
        }
    }
    Ok(decided(
        problems.is_empty(),
        if problems.is_empty() {
            format!("{} files as expected", files.len())
        } else {
            problems.join("; ")
        },
        format!("{} or stricter, {}", test.mode, test.owner.join(" or ")),
        format!("{} files", files.len()),
    ))
}

fn content(host: &Host<'_>, test: &ContentTest) -> Checked {
    let Some(text) = host.content(&test.path)? else {
        return Ok(decided(
            true,
            format!("{} does not exist", test.path),
            "no OS details".to_owned(),
            "absent".to_owned(),
        ));
    };
    let pattern = regex_lite::Regex::new(&test.forbids)
        .map_err(|e| format!("invalid pattern {}: {e}", test.forbids))?;
    let found = pattern.find(text).map(|m| m.as_str().to_owned());
    let mut out = decided(
        found.is_none(),
        match &found {
            None => format!("{} shows no OS details", test.path),
            Some(m) => format!("{} shows `{m}`", test.path),
        },
        "no OS name or \\m \\r \\s \\v escapes".to_owned(),
        found.unwrap_or_else(|| "none".to_owned()),
    );
    out.evidence = Evidence::File(test.path.clone());
    Ok(out)
}

/// OpenSSH 8.9p1's defaults (Ubuntu 22.04) for the settings the checks read.
const SSHD_DEFAULTS: &[(&str, &str)] = &[
    ("banner", "none"),
    (
        "ciphers",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    ),
    ("clientaliveinterval", "0"),
    ("clientalivecountmax", "3"),
    ("disableforwarding", "no"),
    ("hostbasedauthentication", "no"),
    ("ignorerhosts", "yes"),
    (
        "kexalgorithms",
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
    ),
    ("logingracetime", "120"),
    ("loglevel", "info"),
    (
        "macs",
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    ),
    ("maxauthtries", "6"),
    ("maxsessions", "10"),
    ("maxstartups", "10:30:100"),
    ("permitemptypasswords", "no"),
    ("permitrootlogin", "prohibit-password"),
    ("permituserenvironment", "no"),
    ("usepam", "no"),
];

/// A `Match` block of the sshd configuration: its criteria, where it starts, and the settings
/// it makes (keyword, value, where), in order.
struct MatchBlock {
    criteria: String,
    at: String,
    settings: Vec<(String, String, String)>,
}

/// sshd's configuration as the checks read it.
struct Sshd {
    /// Global settings: keyword → (value, where it came from); the first value wins.
    settings: BTreeMap<String, (String, String)>,
    /// The `Match` blocks, in order. From the config files, also when `sshd -T` gave the
    /// global settings (it prints no Match context); empty when the files were not collected.
    blocks: Vec<MatchBlock>,
    /// The config files sshd reads (sshd_config and every file an `Include` names).
    files: Vec<String>,
}

#[derive(Default)]
struct SshdReader {
    settings: BTreeMap<String, (String, String)>,
    blocks: Vec<MatchBlock>,
    files: Vec<String>,
}

/// sshd's configuration: `sshd` in the facts (`sshd -T`) for the global settings when given,
/// else the config files read as sshd reads them.
fn effective_sshd(facts: &NodeFacts) -> Result<Sshd, Undecided> {
    let from_files = match facts.file("/etc/ssh/sshd_config") {
        None => Err(Undecided::not_collected(
            "/etc/ssh/sshd_config was not collected",
        )),
        Some(f) if !f.exists => Err(Undecided::from("/etc/ssh/sshd_config does not exist")),
        Some(_) => {
            let mut reader = SshdReader::default();
            reader
                .read(facts, "/etc/ssh/sshd_config", None, 0)
                .map(|()| reader)
        }
    };
    if let Some(given) = &facts.sshd {
        let (blocks, files) = from_files.map(|r| (r.blocks, r.files)).unwrap_or_default();
        return Ok(Sshd {
            settings: given
                .iter()
                .map(|(k, v)| (k.to_lowercase(), (v.clone(), "sshd -T".to_owned())))
                .collect(),
            blocks,
            files,
        });
    }
    let r = from_files?;
    Ok(Sshd {
        settings: r.settings,
        blocks: r.blocks,
        files: r.files,
    })
}

/// One line of sshd_config: the lowercase keyword and the rest (`Key value`, `Key=value`).
/// Empty lines and comments give `None`; a `#` word ends the line, as sshd splits arguments.
fn sshd_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (key, rest) = match line.split_once(|c: char| c.is_whitespace() || c == '=') {
        Some((k, v)) => (k, v.trim_start_matches([' ', '\t', '='])),
        None => (line, ""),
    };
    let mut words = Vec::new();
    for word in rest.split_whitespace() {
        if word.starts_with('#') {
            break;
        }
        words.push(word.trim_matches('"'));
    }
    Some((key.to_lowercase(), words.join(" ")))
}

impl SshdReader {
    /// Reads one config file in order, as sshd does: an `Include` reads the named files in its
    /// place (in the block it appears in), the first global value of a keyword wins, and a
    /// `Match` line opens a block that lasts to the next `Match` or to the end of this file
    /// (sshd restores the including file's state after each included file).
    fn read(
        &mut self,
        facts: &NodeFacts,
        path: &str,
        block: Option<usize>,
        depth: usize,
    ) -> Result<(), Undecided> {
        if depth > 16 {
            return Err(Undecided::from(format!(
                "{path}: includes nested more than 16 deep (a loop?)"
            )));
        }
        if let Some(err) = facts.error_for(path) {
            return Err(Undecided::from(format!(
                "{path} could not be collected: {}",
                err.message
            )));
        }
        let text = match facts.file(path) {
            Some(f) if !f.exists => return Ok(()),
            Some(f) => f.content.as_deref().ok_or_else(|| {
                Undecided::not_collected(format!("the content of {path} was not collected"))
            })?,
            None => {
                return Err(Undecided::not_collected(format!(
                    "{path} was not collected"
                )));
            }
        };
        self.files.push(path.to_owned());
        let mut current = block;
        for (n, line) in text.lines().enumerate() {
            let Some((key, value)) = sshd_line(line) else {
                continue;
            };
            let at = format!("{path} line {}", n + 1);
            match key.as_str() {
                "match" => {
                    self.blocks.push(MatchBlock {
                        criteria: value,
                        at,
                        settings: Vec::new(),
                    });
                    current = self.blocks.len().checked_sub(1);
                }
                "include" => {
                    for pattern in value.split_whitespace() {
                        for included in include_targets(facts, pattern)? {
                            self.read(facts, &included, current, depth + 1)?;
                        }
                    }
                }
                _ => match current.and_then(|i| self.blocks.get_mut(i)) {
                    Some(b) => b.settings.push((key, value, at)),
                    None => {
                        self.settings.entry(key).or_insert((value, at));
                    }
                },
            }
        }
        Ok(())
    }
}

/// An `Include` argument as an absolute glob (relative ones are in /etc/ssh).
fn include_pattern(pattern: &str) -> String {
    if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("/etc/ssh/{pattern}")
    }
}

fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// The files an `Include` pattern names, in glob(3)'s order (byte order). The pattern's
/// directory must have been collected; wildcards in directory names are not supported.
fn include_targets(facts: &NodeFacts, pattern: &str) -> Result<Vec<String>, Undecided> {
    let pattern = include_pattern(pattern);
    let (dir, glob) = pattern.rsplit_once('/').unwrap_or(("", ""));
    let dir = if dir.is_empty() { "/" } else { dir };
    if has_glob(dir) {
        return Err(Undecided::from(format!(
            "Include {pattern}: wildcards in directory names are not supported; run `sshd -T` on the node and give its output as `sshd` in the facts"
        )));
    }
    if !has_glob(glob) {
        return match facts.file(&pattern) {
            None if facts.error_for(&pattern).is_none() => Err(Undecided::not_collected(format!(
                "{pattern} (named by an Include) was not collected"
            ))),
            Some(f) if !f.exists => Ok(Vec::new()),
            _ => Ok(vec![pattern.clone()]),
        };
    }
    if let Some(err) = facts.error_for(dir) {
        return Err(Undecided::from(format!(
            "{dir} (named by Include {pattern}) could not be collected: {}",
            err.message
        )));
    }
    match facts.file(dir) {
        None => {
            return Err(Undecided::not_collected(format!(
                "{dir} (named by Include {pattern}) was not collected"
            )));
        }
        Some(f) if !f.exists => return Ok(Vec::new()),
        Some(_) => {}
    }
    let mut matched: Vec<String> = facts
        .files_under(dir)
        .into_iter()
        .filter(|f| {
            f.file_type != Some(FileType::Directory)
                && f.path.rsplit_once('/').map(|(d, _)| d) == Some(dir.trim_end_matches('/'))
                && glob_match(glob, f.path.rsplit('/').next().unwrap_or(""))
        })
        .map(|f| f.path.clone())
        .collect();
    matched.sort();
    Ok(matched)
}

/// glob(3) on one file name: `*`, `?`, `[...]` (ranges, `!`/`^` negation); a leading `.` of
/// the name is matched only by a literal `.`.
fn glob_match(pattern: &str, name: &str) -> bool {
    fn class(set: &[char], c: char) -> Option<(bool, usize)> {
        let (negate, start) = match set.first() {
            Some('!' | '^') => (true, 1),
            _ => (false, 0),
        };
        let mut i = start;
        let mut hit = false;
        loop {
            let first = *set.get(i)?;
            if first == ']' && i > start {
                return Some((hit != negate, i + 1));
            }
            if set.get(i + 1) == Some(&'-') && set.get(i + 2).is_some_and(|e| *e != ']') {
                let last = *set.get(i + 2)?;
                hit |= first <= c && c <= last;
                i += 3;
            } else {
                hit |= first == c;
                i += 1;
            }
        }
    }
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => {
                let rest = p.get(1..).unwrap_or_default();
                (0..=n.len()).any(|skip| go(rest, n.get(skip..).unwrap_or_default()))
            }
            Some('?') => {
                !n.is_empty()
                    && go(
                        p.get(1..).unwrap_or_default(),
                        n.get(1..).unwrap_or_default(),
                    )
            }
            Some('[') => {
                let Some(c) = n.first() else { return false };
                match class(p.get(1..).unwrap_or_default(), *c) {
                    Some((true, used)) => go(
                        p.get(used + 1..).unwrap_or_default(),
                        n.get(1..).unwrap_or_default(),
                    ),
                    Some((false, _)) => false,
                    // An unclosed `[` is a literal.
                    None => {
                        *c == '['
                            && go(
                                p.get(1..).unwrap_or_default(),
                                n.get(1..).unwrap_or_default(),
                            )
                    }
                }
            }
            Some(l) => {
                n.first() == Some(l)
                    && go(
                        p.get(1..).unwrap_or_default(),
                        n.get(1..).unwrap_or_default(),
                    )
            }
        }
    }
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

fn sshd_default(key: &str) -> &'static str {
    SSHD_DEFAULTS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap_or_default()
}

fn sshd_value(sshd: &Sshd, key: &str) -> (String, String) {
    if let Some((v, source)) = sshd.settings.get(key) {
        return (v.clone(), source.clone());
    }
    (
        sshd_default(key).to_owned(),
        "the OpenSSH 8.9 default".to_owned(),
    )
}

/// An algorithm list as sshd resolves it: `-x` removes from the default, `+x` appends, `^x`
/// prepends, anything else replaces.
fn algorithms(value: &str, default: &str) -> Vec<String> {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect()
    };
    if let Some(rest) = value.strip_prefix('-') {
        let removed = split(rest);
        split(default)
            .into_iter()
            .filter(|a| !removed.contains(a))
            .collect()
    } else if let Some(rest) = value.strip_prefix('+') {
        let mut all = split(default);
        all.extend(split(rest));
        all
    } else if let Some(rest) = value.strip_prefix('^') {
        let mut all = split(rest);
        all.extend(split(default));
        all
    } else {
        split(value)
    }
}

/// sshd's time format (sshd_config(5), TIME FORMATS): `120`, `2m`, `1h30m`, `10M`; a number
/// without a unit is seconds. Anything else is not a time (sshd refuses to start).
fn seconds(value: &str) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in value.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            let n: u64 = number.parse().ok()?;
            number.clear();
            let unit = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86400,
                'w' => 604_800,
                _ => return None,
            };
            total = total.checked_add(n.checked_mul(unit)?)?;
        }
    }
    if !number.is_empty() {
        total = total.checked_add(number.parse().ok()?)?;
    }
    Some(total)
}

/// Keywords whose values are times (sshd_config(5) TIME FORMATS).
const SSHD_TIME_KEYS: &[&str] = &["clientaliveinterval", "logingracetime"];

/// `MaxStartups start:rate:full`, or `start` alone, which sshd reads as `start:30:start`
/// (servconf.c: the full limit takes the start value, the rate keeps its default, 30).
fn max_startups(value: &str) -> Option<[u64; 3]> {
    let parts: Vec<&str> = value.split(':').collect();
    match parts.as_slice() {
        [start] => {
            let s = start.parse().ok()?;
            Some([s, 30, s])
        }
        [start, rate, full] => Some([start.parse().ok()?, rate.parse().ok()?, full.parse().ok()?]),
        _ => None,
    }
}

/// The weak algorithms a list resolves to, for an `excludes` test.
fn weak_algorithms(test: &SshdTest, key: &str, value: &str) -> Vec<String> {
    let list = algorithms(value, sshd_default(key));
    test.excludes
        .iter()
        .filter(|w| list.contains(w))
        .cloned()
        .collect()
}

/// Whether one value of the test's keyword passes, and what is expected.
fn judge(test: &SshdTest, key: &str, value: &str) -> (bool, String) {
    let lower = value.to_lowercase();
    let first = lower.split_whitespace().next().unwrap_or("");
    if !test.excludes.is_empty() {
        (
            weak_algorithms(test, key, first).is_empty(),
            format!("none of {}", test.excludes.join(", ")),
        )
    } else if !test.equals.is_empty() {
        (
            test.equals.iter().any(|e| e == first),
            test.equals.join(" or "),
        )
    } else if !test.not.is_empty() {
        (
            !first.is_empty() && !test.not.iter().any(|n| n == first),
            format!("not {}", test.not.join(" or ")),
        )
    } else if let Some(limits) = test.max_startups {
        (
            max_startups(first)
                .is_some_and(|have| have.iter().zip(limits).all(|(h, max)| *h <= max)),
            format!("{}:{}:{} or lower", limits[0], limits[1], limits[2]),
        )
    } else {
        let n = if SSHD_TIME_KEYS.contains(&key) {
            seconds(first)
        } else {
            first.parse().ok()
        };
        let ok = n.is_some_and(|n| {
            test.min.is_none_or(|min| n >= min) && test.max.is_none_or(|max| n <= max)
        });
        let unit = if SSHD_TIME_KEYS.contains(&key) {
            " seconds"
        } else {
            ""
        };
        let expected = match (test.min, test.max) {
            (Some(min), Some(max)) => format!("{min} to {max}{unit}"),
            (Some(min), None) => format!("{min}{unit} or more"),
            (None, Some(max)) => format!("{max}{unit} or less"),
            (None, None) => "a number".to_owned(),
        };
        (ok, expected)
    }
}

/// Two outcomes of one check: the worse decides (error, then fail, then manual); two passes
/// pass with both messages.
fn both(a: Outcome, b: Outcome) -> Outcome {
    let rank = |s: Status| match s {
        Status::Error => 0,
        Status::Fail => 1,
        Status::Manual => 2,
        Status::Warn => 3,
        Status::Skip => 4,
        Status::Pass | Status::Exempt => 5,
    };
    if rank(a.status) == 5 && rank(b.status) == 5 {
        let join = |x: Option<String>, y: Option<String>| match (x, y) {
            (Some(x), Some(y)) => Some(format!("{x}; {y}")),
            (x, y) => x.or(y),
        };
        return Outcome {
            status: Status::Pass,
            message: format!("{}; {}", a.message, b.message),
            expected: join(a.expected, b.expected),
            actual: join(a.actual, b.actual),
            source: join(a.source, b.source),
            evidence: a.evidence,
        };
    }
    if rank(b.status) < rank(a.status) {
        b
    } else {
        a
    }
}

fn sshd(host: &Host<'_>, test: &SshdTest) -> Checked {
    if host.facts.packages.is_some() && host.package("openssh-server")?.is_empty() {
        return Ok(outcome(
            Status::Skip,
            "openssh-server is not installed".to_owned(),
        ));
    }
    let config = host.sshd.as_ref().map_err(Clone::clone)?;
    let keys: Vec<&str> = test.key.split('|').collect();
    if test.set {
        let set: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                config
                    .settings
                    .get(*k)
                    .map(|(v, source)| format!("{k} {v} ({source})"))
            })
            .collect();
        return Ok(decided(
            !set.is_empty(),
            if set.is_empty() {
                format!("none of {} is set", keys.join(", "))
            } else {
                set.join("; ")
            },
            format!("one of {} set", keys.join(", ")),
            if set.is_empty() {
                "not set".to_owned()
            } else {
                set.join("; ")
            },
        ));
    }
    let mut out = sshd_setting(host, config, test)?;
    if let Some(also) = &test.and {
        out = both(out, sshd_setting(host, config, also)?);
    }
    Ok(out)
}

/// One keyword: its global value, then every `Match` block that sets it. sshd applies a
/// block's settings to the connections it matches, which cannot be known statically: a block
/// that sets a value the check refuses fails the check, naming the block.
fn sshd_setting(host: &Host<'_>, config: &Sshd, test: &SshdTest) -> Checked {
    let key = test.key.split('|').next().unwrap_or_default();
    let (value, source) = sshd_value(config, key);
    let (mut pass, expected) = judge(test, key, &value);
    let mut message = format!("sshd {key} is {value} ({source})");
    let mut status = None;
    if !pass && let Some(fix) = &test.fixed {
        let first = value.to_lowercase();
        let first = first.split_whitespace().next().unwrap_or("");
        let weak = weak_algorithms(test, key, first);
        if weak.iter().all(|w| fix.algorithms.contains(w)) {
            let weak = weak.join(", ");
            let (cve, package, version) = (&fix.cve, &fix.package, &fix.version);
            match host.facts.packages.as_ref().map(|p| p.get(package)) {
                Some(Some(installed)) => match compare_debian_versions(installed, version) {
                    Some(std::cmp::Ordering::Less) => {
                        message = format!(
                            "{message}: {weak} is weak ({cve}) and {package} {installed} predates the fix ({version})"
                        );
                    }
                    Some(_) => {
                        pass = true;
                        message = format!(
                            "{message}: {weak} is listed for {cve}, which {package} {installed} fixes (strict key exchange, from {version}; clients need it too)"
                        );
                    }
                    None => {
                        status = Some(Status::Manual);
                        message = format!(
                            "{message}: {weak} is listed for {cve}; the {package} version {installed:?} cannot be compared with the fixed {version}: check `apt changelog {package}`"
                        );
                    }
                },
                _ => {
                    status = Some(Status::Manual);
                    message = format!(
                        "{message}: {weak} is listed for {cve}, fixed from {package} {version}; the installed version was not collected: check `dpkg -s {package}`"
                    );
                }
            }
        }
    }
    let mut weakened = Vec::new();
    for block in &config.blocks {
        if let Some((_, v, at)) = block.settings.iter().find(|(k, _, _)| k == key)
            && !judge(test, key, v).0
        {
            weakened.push(format!(
                "`Match {}` ({}) sets {key} {v} ({at})",
                block.criteria, block.at
            ));
        }
    }
    if pass && !weakened.is_empty() {
        pass = false;
        message = format!("{message}, but {}", weakened.join("; "));
    }
    let mut out = decided(pass, message, expected, value.clone());
    if let Some(status) = status {
        out.status = status;
    }
    out.evidence = match source.split_once(" line ") {
        Some((path, _)) if path.starts_with('/') => Evidence::File(path.to_owned()),
        _ => Evidence::File("/etc/ssh/sshd_config".to_owned()),
    };
    out.source = Some(source);
    Ok(out)
}

/// A sudoers include directive: `@include`/`#include` (a file) or `@includedir`/`#includedir`
/// (a directory), with its path.
fn sudoers_include(line: &str) -> Option<(bool, &str)> {
    let line = line.trim();
    let rest = line.strip_prefix('@').or_else(|| line.strip_prefix('#'))?;
    let (dir, path) = if let Some(p) = rest.strip_prefix("includedir") {
        (true, p)
    } else {
        (false, rest.strip_prefix("include")?)
    };
    if !path.starts_with([' ', '\t']) {
        return None;
    }
    Some((dir, path.trim().trim_matches('"')))
}

/// Whether sudo reads a file of an `@includedir` directory: sudoers(5) skips names that end in
/// `~` or contain a `.` (editor backups, package manager leftovers such as `foo.dpkg-old`).
pub fn sudo_reads_from_includedir(name: &str) -> bool {
    !name.is_empty() && !name.ends_with('~') && !name.contains('.')
}

/// The lines sudo reads, from /etc/sudoers, with its includes read in place: an
/// `@includedir`'s files in lexical order (without the ones it skips), a relative path
/// relative to the including file's directory. Each line with its file and line number.
fn sudoers_lines<'f>(
    host: &Host<'f>,
    path: &str,
    text: &'f str,
    depth: usize,
    out: &mut Vec<(String, usize, &'f str)>,
) -> Result<(), Undecided> {
    if depth > 8 {
        return Err(Undecided::from(format!(
            "{path}: includes nested more than 8 deep (a loop?)"
        )));
    }
    let base = path.rsplit_once('/').map_or("/etc", |(d, _)| d);
    for (n, line) in text.lines().enumerate() {
        let Some((is_dir, target)) = sudoers_include(line) else {
            out.push((path.to_owned(), n + 1, line));
            continue;
        };
        let target = if target.starts_with('/') {
            target.to_owned()
        } else {
            format!("{base}/{target}")
        };
        if is_dir {
            let dir = target.trim_end_matches('/');
            let mut files: Vec<(&'f str, &'f str)> = host
                .dir_contents(dir)?
                .into_iter()
                .filter(|(p, _)| {
                    p.rsplit_once('/')
                        .is_some_and(|(d, name)| d == dir && sudo_reads_from_includedir(name))
                })
                .collect();
            files.sort_by(|a, b| a.0.cmp(b.0));
            for (p, t) in files {
                sudoers_lines(host, p, t, depth + 1, out)?;
            }
        } else if let Some(t) = host.content(&target)? {
            sudoers_lines(host, &target, t, depth + 1, out)?;
        }
    }
    Ok(())
}

fn sudoers(host: &Host<'_>, setting: &str) -> Checked {
    let mut lines: Vec<(String, usize, &str)> = Vec::new();
    match host.content("/etc/sudoers")? {
        Some(t) => sudoers_lines(host, "/etc/sudoers", t, 0, &mut lines)?,
        None => {
            return Ok(outcome(
                Status::Skip,
                "sudo is not configured (/etc/sudoers does not exist)".to_owned(),
            ));
        }
    }
    // The last setting sudo reads wins.
    let mut found: Option<(String, bool)> = None;
    for (path, n, line) in &lines {
        let Some(rest) = line.trim().strip_prefix("Defaults") else {
            continue;
        };
        // `Defaults`, `Defaults:user`, `Defaults@host`: only the global form counts.
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        for item in rest.split(',') {
            let item = item.trim();
            let name = item.split('=').next().unwrap_or("").trim();
            if name == setting {
                found = Some((format!("{path} line {n}"), true));
            } else if name.strip_prefix('!') == Some(setting) {
                found = Some((format!("{path} line {n}"), false));
            }
        }
    }
    Ok(match found {
        Some((at, on)) => decided(
            on,
            format!("`Defaults {}{setting}` at {at}", if on { "" } else { "!" }),
            format!("Defaults {setting}"),
            if on {
                setting.to_owned()
            } else {
                format!("!{setting}")
            },
        ),
        None => decided(
            false,
            format!("no `Defaults {setting}` in the sudoers files sudo reads"),
            format!("Defaults {setting}"),
            "not set".to_owned(),
        ),
    })
}

struct Account<'a> {
    name: &'a str,
    password: &'a str,
    uid: &'a str,
    gid: &'a str,
}

fn accounts(host: &Host<'_>, property: &str) -> Checked {
    let passwd = host
        .content("/etc/passwd")?
        .ok_or("/etc/passwd does not exist")?;
    let users: Vec<Account<'_>> = passwd
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut f = l.split(':');
            Account {
                name: f.next().unwrap_or(""),
                password: f.next().unwrap_or(""),
                uid: f.next().unwrap_or(""),
                gid: f.next().unwrap_or(""),
            }
        })
        .collect();
    let groups_text = || -> Result<&str, Undecided> {
        host.content("/etc/group")?
            .ok_or_else(|| Undecided::from("/etc/group does not exist"))
    };
    let groups = |text: &'_ str| -> Vec<(String, String, Vec<String>)> {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (
                    f.first().copied().unwrap_or("").to_owned(),
                    f.get(2).copied().unwrap_or("").to_owned(),
                    f.get(3)
                        .map(|m| {
                            m.split(',')
                                .filter(|m| !m.is_empty())
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            })
            .collect()
    };
    let duplicates = |items: Vec<&str>| -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut dup = BTreeSet::new();
        for i in items {
            if !seen.insert(i) {
                dup.insert(i.to_owned());
            }
        }
        dup.into_iter().collect()
    };
    let (bad, what): (Vec<String>, &str) = match property {
        "shadowed-passwords" => (
            users
                .iter()
                .filter(|u| u.password != "x")
                .map(|u| u.name.to_owned())
                .collect(),
            "accounts with a password in /etc/passwd",
        ),
        "uid0-only-root" => (
            users
                .iter()
                .filter(|u| u.uid == "0" && u.name != "root")
                .map(|u| u.name.to_owned())
                .collect(),
            "other accounts with UID 0",
        ),
        "gid0-only-root" => (
            users
                .iter()
                .filter(|u| {
                    u.gid == "0"
                        && !matches!(u.name, "root" | "sync" | "shutdown" | "halt" | "operator")
                })
                .map(|u| u.name.to_owned())
                .collect(),
            "other accounts with GID 0",
        ),
        "unique-uids" => (
            duplicates(users.iter().map(|u| u.uid).collect()),
            "duplicate UIDs",
        ),
        "unique-users" => (
            duplicates(users.iter().map(|u| u.name).collect()),
            "duplicate user names",
        ),
        "unique-gids" | "unique-groups" | "groups-exist" | "shadow-group-empty" => {
            let groups = groups(groups_text()?);
            match property {
                "unique-gids" => (
                    duplicates(groups.iter().map(|g| g.1.as_str()).collect()),
                    "duplicate GIDs",
                ),
                "unique-groups" => (
                    duplicates(groups.iter().map(|g| g.0.as_str()).collect()),
                    "duplicate group names",
                ),
                "groups-exist" => (
                    users
                        .iter()
                        .filter(|u| !groups.iter().any(|g| g.1 == u.gid))
                        .map(|u| format!("{} (GID {})", u.name, u.gid))
                        .collect(),
                    "accounts whose primary group does not exist",
                ),
                _ => {
                    let shadow = groups.iter().find(|g| g.0 == "shadow");
                    let mut bad: Vec<String> = shadow.map(|g| g.2.clone()).unwrap_or_default();
                    if let Some(g) = shadow {
                        bad.extend(
                            users
                                .iter()
                                .filter(|u| u.gid == g.1)
                                .map(|u| format!("{} (primary group)", u.name)),
                        );
                    }
                    (bad, "members of the shadow group")
                }
            }
        }
        other => {
            return Err(Undecided::from(format!(
                "unknown accounts property {other}"
            )));
        }
    };
    let mut out = decided(
        bad.is_empty(),
        if bad.is_empty() {
            format!("no {what}")
        } else {
            format!("{what}: {}", bad.join(", "))
        },
        format!("no {what}"),
        if bad.is_empty() {
            "none".to_owned()
        } else {
            bad.join(", ")
        },
    );
    out.evidence = Evidence::File("/etc/passwd".to_owned());
    Ok(out)
}

fn auditd(host: &Host<'_>, test: &AuditdTest) -> Checked {
    if host.facts.packages.is_some() && host.package("auditd")?.is_empty() {
        return Ok(decided(
            false,
            "auditd is not installed".to_owned(),
            format!("{} set", test.key),
            "auditd not installed".to_owned(),
        ));
    }
    let text = host
        .content("/etc/audit/auditd.conf")?
        .ok_or("/etc/audit/auditd.conf does not exist")?;
    let value = text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == test.key).then(|| v.trim().to_owned())
    });
    let Some(value) = value else {
        return Ok(decided(
            false,
            format!("{} is not set in /etc/audit/auditd.conf", test.key),
            format!("{} set", test.key),
            "not set".to_owned(),
        ));
    };
    let lower = value.to_lowercase();
    let (pass, expected) = if test.equals.is_empty() {
        let min = test.min.unwrap_or(0);
        (
            lower.parse::<u64>().is_ok_and(|n| n >= min),
            format!("{min} or more"),
        )
    } else {
        (test.equals.contains(&lower), test.equals.join(" or "))
    };
    let mut out = decided(
        pass,
        format!("{} = {value} in /etc/audit/auditd.conf", test.key),
        expected,
        value,
    );
    out.evidence = Evidence::File("/etc/audit/auditd.conf".to_owned());
    Ok(out)
}

/// An audit rule reduced to what makes it match another: the key (`-k`) is left out, syscall
/// lists are sets, fields are sets.
#[derive(Debug, PartialEq, Eq)]
enum AuditRule {
    Watch {
        path: String,
        perms: BTreeSet<char>,
    },
    Syscall {
        action: String,
        fields: BTreeSet<String>,
        syscalls: BTreeSet<String>,
    },
    Control(String),
}

fn parse_rule(line: &str) -> Option<AuditRule> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut i = 0;
    let (mut watch, mut perms, mut action) = (None, BTreeSet::new(), None);
    let mut fields = BTreeSet::new();
    let mut syscalls = BTreeSet::new();
    while i < words.len() {
        let next = words.get(i + 1).copied().unwrap_or("");
        match words.get(i).copied().unwrap_or("") {
            "-w" => watch = Some(next.trim_end_matches('/').to_owned()),
            "-p" => perms.extend(next.chars()),
            "-a" | "-A" => action = Some(next.to_owned()),
            "-S" => syscalls.extend(next.split(',').map(str::to_owned)),
            "-F" if next.starts_with("key=") => {}
            "-F" => {
                fields.insert(
                    next.replace("auid!=-1", "auid!=unset")
                        .replace("auid!=4294967295", "auid!=unset"),
                );
            }
            "-k" => {}
            "-e" => return Some(AuditRule::Control(format!("-e {next}"))),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    match (watch, action) {
        (Some(path), _) => Some(AuditRule::Watch { path, perms }),
        (None, Some(action)) => Some(AuditRule::Syscall {
            action,
            fields,
            syscalls,
        }),
        _ => None,
    }
}

fn audit_rules(host: &Host<'_>, required: &[String]) -> Checked {
    if host.facts.packages.is_some() && host.package("auditd")?.is_empty() {
        return Ok(decided(
            false,
            "auditd is not installed".to_owned(),
            required.join("; "),
            "auditd not installed".to_owned(),
        ));
    }
    // augenrules concatenates the `*.rules` files of rules.d in `ls -v` order (natural order:
    // 9-x.rules before 10-x.rules), and the last `-e` it reads is the one loaded.
    let mut files: Vec<(&str, &str)> = host
        .dir_contents("/etc/audit/rules.d")?
        .into_iter()
        .filter(|(path, _)| {
            path.strip_prefix("/etc/audit/rules.d/")
                .is_some_and(|name| !name.contains('/') && name.ends_with(".rules"))
        })
        .collect();
    files.sort_by(|a, b| filevercmp(a.0, b.0));
    let loaded: Vec<AuditRule> = files
        .into_iter()
        .flat_map(|(_, text)| text.lines().filter_map(parse_rule))
        .collect();
    let mut missing = Vec::new();
    for want in required {
        let Some(rule) = parse_rule(want) else {
            continue;
        };
        let present = match &rule {
            AuditRule::Watch { path, perms } => loaded.iter().any(|l| {
                matches!(l, AuditRule::Watch { path: p, perms: q } if p == path && q.is_superset(perms))
            }),
            AuditRule::Syscall {
                action,
                fields,
                syscalls,
            } => {
                let covered: BTreeSet<&String> = loaded
                    .iter()
                    .filter_map(|l| match l {
                        AuditRule::Syscall {
                            action: a,
                            fields: f,
                            syscalls: s,
                        } if a == action && fields.is_subset(f) => Some(s),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                syscalls.iter().all(|s| covered.contains(s))
            }
            AuditRule::Control(c) => loaded
                .iter()
                .rev()
                .find_map(|l| match l {
                    AuditRule::Control(x) if x.starts_with("-e ") => Some(x == c),
                    _ => None,
                })
                .unwrap_or(false),
        };
        if !present {
            missing.push(want.clone());
        }
    }
    Ok(decided(
        missing.is_empty(),
        if missing.is_empty() {
            format!("{} rules present in /etc/audit/rules.d", required.len())
        } else {
            format!("missing from /etc/audit/rules.d: {}", missing.join("; "))
        },
        required.join("; "),
        format!("{} rules loaded at boot", loaded.len()),
    ))
}

/// Compares two Debian package versions as dpkg does (deb-version(7)): the epoch numerically,
/// then the upstream version and the revision with dpkg's algorithm (runs of non-digits by
/// character, letters before other characters, `~` before anything, even the end; runs of
/// digits numerically). `None` when a version is not one (a non-numeric epoch, an empty
/// upstream part).
pub fn compare_debian_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    let (ea, ua, ra) = debian_parts(a)?;
    let (eb, ub, rb) = debian_parts(b)?;
    Some(
        ea.cmp(&eb)
            .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
            .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes())),
    )
}

/// `[epoch:]upstream[-revision]`: the revision follows the last hyphen.
fn debian_parts(version: &str) -> Option<(u64, &str, &str)> {
    let version = version.trim();
    let (epoch, rest) = match version.split_once(':') {
        Some((e, rest)) => (e.parse::<u64>().ok()?, rest),
        None => (0, version),
    };
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    if upstream.is_empty() || version.chars().any(char::is_whitespace) {
        return None;
    }
    Some((epoch, upstream, revision))
}

/// dpkg's `verrevcmp` (also gnulib's, behind `ls -v` and `sort -V`).
fn verrevcmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn order(c: Option<&u8>) -> i32 {
        match c {
            None => 0,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
            Some(b'~') => -1,
            Some(c) => i32::from(*c) + 256,
        }
    }
    let (mut i, mut j) = (0usize, 0usize);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (x, y) = (order(a.get(i)), order(b.get(j)));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a.get(i).cmp(&b.get(j));
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// GNU `ls -v` order of two file names (gnulib's `filevercmp`), the order augenrules reads
/// rules files in: names starting with `.` first; the file suffixes
/// (`(\.[A-Za-z~][A-Za-z0-9~]*)*$`) are compared only when the rest is equal; the rest by
/// `verrevcmp`; byte order breaks a tie.
pub fn filevercmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a == b {
        return Ordering::Equal;
    }
    let hidden = |s: &str| s.starts_with('.');
    match (hidden(a), hidden(b)) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    fn prefix_len(s: &str) -> usize {
        let bytes = s.as_bytes();
        let mut prefix = bytes.len();
        let mut i = bytes.len();
        // Scan backwards for a run of `.X...` suffixes.
        let mut suffix_start = bytes.len();
        while i > 0 {
            i -= 1;
            let c = bytes.get(i).copied().unwrap_or(0);
            if c == b'.' {
                let next = bytes.get(i + 1).copied().unwrap_or(0);
                let body_ok = bytes.get(i + 1..suffix_start).is_some_and(|body| {
                    body.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'~')
                });
                if (next.is_ascii_alphabetic() || next == b'~') && body_ok && i > 0 {
                    suffix_start = i;
                    prefix = i;
                    continue;
                }
                break;
            }
            if !(c.is_ascii_alphanumeric() || c == b'~') {
                break;
            }
        }
        prefix
    }
    let (pa, pb) = (prefix_len(a), prefix_len(b));
    let result = verrevcmp(
        a.as_bytes().get(..pa).unwrap_or_default(),
        b.as_bytes().get(..pb).unwrap_or_default(),
    );
    let result = if result == Ordering::Equal && !(pa == a.len() && pb == b.len()) {
        verrevcmp(a.as_bytes(), b.as_bytes())
    } else {
        result
    };
    result.then_with(|| a.cmp(b))
}

/// Checks a Kubernetes node needs to differ on, with the reason: the `kubernetes-node` profile
/// exempts them on nodes that run a kubelet, so that a correct node does not fail.
pub const KUBERNETES_NODE_EXEMPTIONS: &[(&str, &str)] = &[(
    "3.3.1",
    "Kubernetes nodes route pod traffic: the kubelet and CNI plugins require net.ipv4.ip_forward=1 (and IPv6 forwarding on dual-stack clusters)",
)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_checks_parse_and_each_has_one_test() {
        let checks = parse_checks().expect("cis_ubuntu.yaml parses");
        let automated = checks.iter().filter(|c| c.manual.is_none()).count();
        assert!(automated >= 60, "{automated} automated checks");
        let mut ids = BTreeSet::new();
        for c in &checks {
            assert!(ids.insert(c.id.clone()), "duplicate id {}", c.id);
            let tests = [
                c.module.is_some(),
                c.mount.is_some(),
                c.packages.is_some(),
                c.services.is_some(),
                c.not_in_use.is_some(),
                c.time_sync.is_some(),
                c.sysctl.is_some(),
                c.cmdline.is_some(),
                c.apparmor.is_some(),
                c.file.is_some(),
                c.files_in.is_some(),
                c.content.is_some(),
                c.sshd.is_some(),
                c.sudoers.is_some(),
                c.accounts.is_some(),
                c.auditd.is_some(),
                c.audit_rules.is_some(),
                c.manual.is_some(),
            ];
            assert_eq!(tests.iter().filter(|t| **t).count(), 1, "{}", c.id);
            assert!(c.limits.is_none() || c.sysctl.is_some(), "{}", c.id);
            // The published profile: auditd (6.2) and DisableForwarding (5.1.8) are Level 2
            // only; everything else here is Level 1 - Server.
            let level_two = c.id == "5.1.8" || c.id.starts_with("6.2.");
            assert_eq!(c.level, if level_two { 2 } else { 1 }, "{}", c.id);
        }
        // The figures in docs/cis-ubuntu.md.
        let auto = |level: u8| {
            checks
                .iter()
                .filter(|c| c.manual.is_none() && c.level <= level)
                .count()
        };
        assert_eq!((auto(1), auto(2)), (134, 152));
    }

    #[test]
    fn sshd_algorithm_lists_resolve_like_sshd() {
        assert_eq!(algorithms("-b,c", "a,b,c,d"), ["a", "d"]);
        assert_eq!(algorithms("+e", "a,b"), ["a", "b", "e"]);
        assert_eq!(algorithms("^e", "a"), ["e", "a"]);
        assert_eq!(algorithms("x,y", "a"), ["x", "y"]);
        assert_eq!(seconds("1m30s"), Some(90));
        assert_eq!(seconds("60"), Some(60));
        assert_eq!(seconds("2x"), None);
    }

    #[test]
    fn sshd_values_are_read_with_sshd_semantics() {
        // Time formats (sshd_config(5) TIME FORMATS).
        assert_eq!(seconds("5m"), Some(300));
        assert_eq!(seconds("1h30m"), Some(5400));
        assert_eq!(seconds("10M"), Some(600));
        assert_eq!(seconds(""), None);
        assert_eq!(seconds("m"), None);
        // MaxStartups: one number is start:30:start.
        assert_eq!(max_startups("10"), Some([10, 30, 10]));
        assert_eq!(max_startups("10:30:100"), Some([10, 30, 100]));
        assert_eq!(max_startups("10:30"), None);
        // Lines: `=` and quotes, trailing comments.
        assert_eq!(
            sshd_line("  Banner=\"/etc/issue.net\"  # site banner"),
            Some(("banner".to_owned(), "/etc/issue.net".to_owned()))
        );
        assert_eq!(sshd_line("# PermitRootLogin yes"), None);
        // glob(3) on file names.
        assert!(glob_match("*.conf", "50-cloud-init.conf"));
        assert!(!glob_match("*.conf", "50-cloud-init.conf.bak"));
        assert!(!glob_match("*.conf", ".hidden.conf"));
        assert!(glob_match("[0-9]?-*.conf", "10-x.conf"));
        assert!(!glob_match("[!0-9]*", "10-x.conf"));
        assert!(glob_match("extra", "extra"));
    }

    #[test]
    fn debian_versions_compare_as_dpkg_does() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        for (a, b, want) in [
            ("1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.5", Greater),
            ("1:8.9p1-3ubuntu0.4", "1:8.9p1-3ubuntu0.5", Less),
            ("1:8.9p1-3ubuntu0.5", "1:8.9p1-3ubuntu0.5", Equal),
            ("1:8.9p1-3", "1:8.9p1-3ubuntu0.5", Less),
            ("8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.5", Less),
            ("1:9.6p1-3ubuntu13", "1:8.9p1-3ubuntu0.5", Greater),
            ("1.0~rc1-1", "1.0-1", Less),
            ("1.0-1", "1.0+b1-1", Less),
            ("1.0", "1.0-0", Equal),
            ("1.0a", "1.0", Greater),
            ("1.0~", "1.0", Less),
            ("2.30-0ubuntu1~22.04", "2.30-0ubuntu1", Less),
            ("1.01", "1.1", Equal),
            ("1:1.2-3-4", "1:1.2-3-5", Less),
        ] {
            assert_eq!(compare_debian_versions(a, b), Some(want), "{a} vs {b}");
            assert_eq!(
                compare_debian_versions(b, a),
                Some(want.reverse()),
                "{b} vs {a}"
            );
        }
        assert_eq!(compare_debian_versions("x:1.0", "1.0"), None);
        assert_eq!(compare_debian_versions("1:", "1.0"), None);
    }

    #[test]
    fn rules_files_sort_as_ls_v_does() {
        let mut names = vec![
            "99-finalize.rules",
            "10-base-config.rules",
            "9-extra.rules",
            "30-stig.rules",
            "100-late.rules",
            "a.rules",
            "10-base-config.rules~",
        ];
        names.sort_by(|a, b| filevercmp(a, b));
        assert_eq!(
            names,
            [
                "9-extra.rules",
                // `~` sorts before the end of a name (checked against GNU ls 9.1).
                "10-base-config.rules~",
                "10-base-config.rules",
                "30-stig.rules",
                "99-finalize.rules",
                "100-late.rules",
                "a.rules",
            ]
        );
        assert_eq!(
            filevercmp("file-1.2.rules", "file-1.10.rules"),
            std::cmp::Ordering::Less
        );
    }

    #[test]
    fn sudo_skips_includedir_names_with_a_dot_or_a_tilde() {
        assert!(sudo_reads_from_includedir("90-cloud-init-users"));
        assert!(!sudo_reads_from_includedir("use_pty.conf"));
        assert!(!sudo_reads_from_includedir("README~"));
        assert_eq!(
            sudoers_include("@includedir /etc/sudoers.d"),
            Some((true, "/etc/sudoers.d"))
        );
        assert_eq!(sudoers_include("#include extra"), Some((false, "extra")));
        assert_eq!(sudoers_include("#includes are comments"), None);
    }

    #[test]
    fn audit_rules_match_regardless_of_keys_and_syscall_order() {
        let have = parse_rule(
            "-a always,exit -F arch=b64 -S clock_settime,adjtimex -S settimeofday -k time-change",
        );
        let want = parse_rule("-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime");
        assert!(matches!(
            (&have, &want),
            (Some(AuditRule::Syscall { syscalls: a, .. }), Some(AuditRule::Syscall { syscalls: b, .. })) if a == b
        ));
        assert_eq!(
            parse_rule("-w /etc/sudoers.d/ -p wa -k scope"),
            Some(AuditRule::Watch {
                path: "/etc/sudoers.d".to_owned(),
                perms: ['a', 'w'].into_iter().collect()
            })
        );
    }
}
