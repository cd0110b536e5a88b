//! `stockade collect`: gathers node facts from a live node, or from a tree mounted at `--root`.
//!
//! What to read is decided by the core (`facts::plan`), from what has been read so far, so the
//! collector and the evaluator cannot disagree on where a component keeps its files. The
//! collector never follows a symlink out of the root, never reads key files or kubeconfigs (only
//! their metadata), redacts credentials from the config files it does read, and records every
//! file it could not read instead of failing.

use std::collections::BTreeMap;
use std::path::Path;

use rustix::fs::FileType as Kind;
use stockade_core::benchmarks::collection_plan;
use stockade_core::facts::plan::Component;
use stockade_core::facts::{
    CollectionError, FileFact, FileType, KubernetesInfo, NodeFacts, OsInfo, Process,
};

use crate::rootfs::{ReadError, Root};

/// Largest config file whose content is collected.
const MAX_CONTENT: u64 = 1024 * 1024;
/// Largest command line or environment read from `/proc` (Linux allows far more).
const MAX_PROC_FILE: u64 = 1024 * 1024;
/// Largest package database read (`/var/lib/dpkg/status`; a few MB on a server).
const MAX_PACKAGE_DB: u64 = 64 * 1024 * 1024;
/// Most entries listed under one directory.
const MAX_LISTED: usize = 2000;

/// Collects the facts of the node whose file system is at `root` (`/` for this node).
/// `kubernetes_version`, when the operator knows it, picks the CIS benchmark version on nodes
/// without control-plane manifests (whose image tags otherwise tell it).
///
/// Every path is resolved inside `root` (see [`crate::rootfs`]): links never lead out of it.
pub fn collect(root: &Path, kubernetes_version: Option<String>) -> std::io::Result<NodeFacts> {
    let root = Root::open(root)?;
    let mut c = Collector {
        users: read_id_names(&root, "/etc/passwd"),
        groups: read_id_names(&root, "/etc/group"),
        facts: NodeFacts::new(&hostname(&root)),
        root,
    };
    c.facts.os = Some(os_info(&c.root));
    c.facts.kubernetes = kubernetes_version.map(|version| KubernetesInfo {
        version: Some(version),
    });
    c.processes();
    c.os_facts();
    for _round in 0..5 {
        let requests = collection_plan(&c.facts);
        // A request is new when the path was not recorded, or when a listing recorded a regular
        // file by metadata only and its content is now asked (a file an sshd `Include` names).
        let new: Vec<_> = requests
            .into_iter()
            .filter(|r| {
                c.facts.error_for(&r.path).is_none()
                    && c.facts.file(&r.path).is_none_or(|f| {
                        r.content
                            && !r.list
                            && f.exists
                            && f.content.is_none()
                            && f.file_type == Some(FileType::File)
                    })
            })
            .collect();
        if new.is_empty() {
            break;
        }
        // Files first, then listings: a listed directory's entries are recorded by metadata
        // only, and must not shadow a file of it whose content is requested.
        // Listings that read content go before metadata-only ones (/etc/ssh/sshd_config.d
        // before /etc/ssh), for the same reason.
        let (mut listed, single): (Vec<_>, Vec<_>) = new.into_iter().partition(|r| r.list);
        listed.sort_by_key(|r| !r.content);
        for request in single {
            c.file(&request.path, request.content);
        }
        for request in listed {
            c.file(&request.path, false);
            c.list(&request.path, 0, request.content);
        }
    }
    c.facts.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(c.facts)
}

struct Collector {
    root: Root,
    users: BTreeMap<u32, String>,
    groups: BTreeMap<u32, String>,
    facts: NodeFacts,
}

impl Collector {
    fn error(&mut self, path: &str, message: String) {
        self.facts.errors.push(CollectionError {
            path: Some(path.to_owned()),
            message,
        });
    }

    fn processes(&mut self) {
        let Ok(entries) = self.root.list("/proc") else {
            self.facts.errors.push(CollectionError {
                path: Some("/proc".to_owned()),
                message: "cannot list processes".to_owned(),
            });
            return;
        };
        let mut pids: Vec<u32> = entries.iter().filter_map(|e| e.parse().ok()).collect();
        pids.sort_unstable();
        let mut vanished = 0usize;
        for pid in pids {
            let dir = format!("/proc/{pid}");
            // A process may exit between the listing and the read: counted, not fatal.
            let raw = match self.root.read(&format!("{dir}/cmdline"), MAX_PROC_FILE) {
                Ok(raw) => raw,
                Err(ReadError::TooLarge(limit)) => {
                    self.error(
                        &format!("{dir}/cmdline"),
                        format!("command line larger than {limit} bytes; process skipped"),
                    );
                    continue;
                }
                Err(_) => {
                    vanished += 1;
                    continue;
                }
            };
            let argv: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let Some(component) = argv.first().and_then(|a| Component::of_command(a)) else {
                continue;
            };
            let mut env = BTreeMap::new();
            let environ = (component == Component::Etcd)
                .then(|| self.root.read(&format!("{dir}/environ"), MAX_PROC_FILE));
            if let Some(Err(_)) = &environ {
                // Reading another process's environment needs CAP_SYS_PTRACE unless the
                // collector holds every capability etcd does: say so, never pretend it is empty.
                self.error(
                    &format!("{dir}/environ"),
                    "cannot read etcd's environment (ETCD_* settings); it is judged by its \
                     command line"
                        .to_owned(),
                );
            }
            if let Some(Ok(raw)) = environ {
                for var in raw.split(|b| *b == 0) {
                    let var = String::from_utf8_lossy(var);
                    if let Some((k, v)) = var.split_once('=')
                        && k.starts_with("ETCD_")
                    {
                        env.insert(k.to_owned(), v.to_owned());
                    }
                }
            }
            let argv = argv.into_iter().map(|a| redact_arg(&a)).collect();
            self.facts.processes.push(Process { pid, argv, env });
        }
        if vanished > 0 {
            self.facts.errors.push(CollectionError {
                path: Some("/proc".to_owned()),
                message: format!(
                    "{vanished} processes exited (or hid their command line) while being read"
                ),
            });
        }
    }

    /// Records one path: metadata always, content when asked and safe. A path recorded before
    /// (by metadata only) is recorded again.
    fn file(&mut self, path: &str, content: bool) {
        self.facts.files.retain(|f| f.path != path);
        let entry = match self.root.resolve(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.is_dangling_link(path) {
                    return self.error(
                        path,
                        "dangling symlink: its target does not exist inside the collection root \
                         (links are resolved inside the root, never outside it)"
                            .to_owned(),
                    );
                }
                self.facts.files.push(FileFact {
                    path: path.to_owned(),
                    exists: false,
                    ..FileFact::default()
                });
                return;
            }
            Err(e) => return self.error(path, e.to_string()),
            Ok(entry) => entry,
        };
        let file_type = match entry.file_type() {
            Kind::Directory => FileType::Directory,
            Kind::RegularFile => FileType::File,
            _ => FileType::Other,
        };
        let (uid, gid) = (entry.stat.st_uid, entry.stat.st_gid);
        let mut fact = FileFact {
            path: path.to_owned(),
            exists: true,
            file_type: Some(file_type),
            mode: Some(format!("{:04o}", entry.stat.st_mode & 0o7777)),
            uid: Some(uid),
            gid: Some(gid),
            user: self.users.get(&uid).cloned(),
            group: self.groups.get(&gid).cloned(),
            ..FileFact::default()
        };
        if content {
            match entry.read(MAX_CONTENT) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    let (clean, redacted) = if path == "/etc/passwd" || path == "/etc/group" {
                        redact_password_fields(&text)
                    } else {
                        redact(&text)
                    };
                    fact.content = Some(clean);
                    fact.redacted = redacted;
                }
                Err(ReadError::TooLarge(limit)) => {
                    self.error(
                        path,
                        format!("larger than {limit} bytes; content not collected"),
                    );
                }
                Err(e) => self.error(path, format!("content not collected: {e}")),
            }
        }
        self.facts.files.push(fact);
    }

    /// Whether the last component of `path` is a symlink (whose target is missing).
    fn is_dangling_link(&self, path: &str) -> bool {
        let Some((dir, name)) = path.trim_end_matches('/').rsplit_once('/') else {
            return false;
        };
        let Ok(parent) = self.root.resolve(if dir.is_empty() { "/" } else { dir }) else {
            return false;
        };
        rustix::fs::statat(
            parent.as_path_fd(),
            name,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .is_ok_and(|st| Kind::from_raw_mode(st.st_mode) == Kind::Symlink)
    }

    /// Records a directory's entries, recursively: metadata, and the content of regular files
    /// when `content` is asked.
    fn list(&mut self, dir: &str, depth: usize, content: bool) {
        if depth > 4 || !stockade_core::facts::plan::is_dir(&self.facts, dir) {
            return;
        }
        let names = match self.root.list(dir) {
            Ok(names) => names,
            Err(e) => return self.error(dir, format!("cannot list: {e}")),
        };
        for name in names.into_iter().take(MAX_LISTED) {
            let path = format!("{}/{name}", dir.trim_end_matches('/'));
            if self.facts.file(&path).is_some() {
                continue;
            }
            let is_file = self
                .root
                .resolve(&path)
                .is_ok_and(|e| e.file_type() == Kind::RegularFile);
            self.file(&path, content && is_file);
            self.list(&path, depth + 1, content);
        }
    }
}

impl Collector {
    /// The OS and runtime facts the OS benchmarks read: kernel parameters, mounts, packages,
    /// modules, enabled units, the kernel command line and AppArmor. Each is left out (and the
    /// checks that need it say so) when its source cannot be read.
    fn os_facts(&mut self) {
        let mut sysctl = BTreeMap::new();
        for key in stockade_core::benchmarks::cis_ubuntu::sysctl_keys() {
            let path = format!("/proc/sys/{}", key.replace('.', "/"));
            if let Ok(bytes) = self.root.read(&path, 4096) {
                sysctl.insert(
                    key.to_owned(),
                    String::from_utf8_lossy(&bytes).trim().to_owned(),
                );
            }
        }
        if sysctl.is_empty() {
            self.error("/proc/sys", "no kernel parameter could be read".to_owned());
        } else {
            self.facts.sysctl = Some(sysctl);
        }
        match self.text("/proc/mounts", MAX_PROC_FILE) {
            Some(text) => self.facts.mounts = Some(parse_mounts(&text)),
            None => self.error("/proc/mounts", "mounts could not be read".to_owned()),
        }
        match self.text("/var/lib/dpkg/status", MAX_PACKAGE_DB) {
            Some(text) => self.facts.packages = Some(parse_dpkg_status(&text)),
            None => self.error(
                "/var/lib/dpkg/status",
                "installed packages could not be read".to_owned(),
            ),
        }
        match self.text("/proc/modules", MAX_PROC_FILE) {
            Some(text) => {
                self.facts.modules = Some(
                    text.lines()
                        .filter_map(|l| l.split_whitespace().next())
                        .map(str::to_owned)
                        .collect(),
                );
            }
            None => self.error(
                "/proc/modules",
                "loaded modules could not be read".to_owned(),
            ),
        }
        match self.root.list("/etc/systemd/system") {
            Ok(entries) => {
                let mut units = std::collections::BTreeSet::new();
                for wants in entries.iter().filter(|e| e.ends_with(".wants")) {
                    let dir = format!("/etc/systemd/system/{wants}");
                    if let Ok(names) = self.root.list(&dir) {
                        units.extend(names);
                    }
                }
                self.facts.enabled_services = Some(units.into_iter().collect());
            }
            Err(e) => self.error("/etc/systemd/system", format!("cannot list: {e}")),
        }
        self.facts.kernel_cmdline = self
            .text("/proc/cmdline", MAX_PROC_FILE)
            .map(|t| t.trim().to_owned());
        if let Some(enabled) = self.text("/sys/module/apparmor/parameters/enabled", 16) {
            let profiles = self
                .text("/sys/kernel/security/apparmor/profiles", MAX_PROC_FILE)
                .unwrap_or_default();
            self.facts.apparmor = Some(stockade_core::facts::AppArmor {
                enabled: enabled.trim() == "Y",
                profiles: profiles
                    .lines()
                    .filter_map(|l| {
                        let (name, mode) = l.rsplit_once(" (")?;
                        Some((name.to_owned(), mode.trim_end_matches(')').to_owned()))
                    })
                    .collect(),
            });
        }
    }

    fn text(&self, path: &str, limit: u64) -> Option<String> {
        self.root
            .read(path, limit)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// `/proc/mounts`: source, target, type, options; `\040` and friends are octal escapes.
fn parse_mounts(text: &str) -> Vec<stockade_core::facts::Mount> {
    let unescape = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find('\\') {
            out.push_str(rest.get(..at).unwrap_or_default());
            let code = rest
                .get(at + 1..at + 4)
                .and_then(|o| u8::from_str_radix(o, 8).ok());
            match code {
                Some(c) => {
                    out.push(char::from(c));
                    rest = rest.get(at + 4..).unwrap_or_default();
                }
                None => {
                    out.push('\\');
                    rest = rest.get(at + 1..).unwrap_or_default();
                }
            }
        }
        out.push_str(rest);
        out
    };
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some(stockade_core::facts::Mount {
                source: unescape(f.next()?),
                target: unescape(f.next()?),
                fs_type: f.next()?.to_owned(),
                options: f.next()?.split(',').map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// dpkg's status database: the packages whose status is `install ok installed`.
fn parse_dpkg_status(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza.lines().find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|r| r.strip_prefix(':'))
                    .map(|v| v.trim().to_owned())
            })
        };
        if let (Some(name), Some(status), Some(version)) =
            (field("Package"), field("Status"), field("Version"))
            && status.ends_with(" installed")
        {
            out.insert(name, version);
        }
    }
    out
}

/// Hides the value of a credential flag (one whose name ends in `token`, `password` or
/// `secret`, e.g. `--token=...`); `--token-auth-file` and the like are paths and are kept.
pub fn redact_arg(arg: &str) -> String {
    const SECRET_FLAGS: &[&str] = &["token", "password", "secret"];
    match arg.split_once('=') {
        Some((name, _))
            if name.starts_with('-')
                && SECRET_FLAGS.contains(
                    &name
                        .rsplit('-')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                        .as_str(),
                ) =>
        {
            format!("{name}=REDACTED")
        }
        _ => arg.to_owned(),
    }
}

/// /etc/passwd and /etc/group: a password hash in the second field (where `x` should be) is
/// replaced, so the checks still see that it is there, but never what it is.
pub fn redact_password_fields(text: &str) -> (String, bool) {
    let mut redacted = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut fields: Vec<&str> = line.splitn(3, ':').collect();
        if let Some(password) = fields.get_mut(1)
            && !matches!(*password, "" | "x" | "*" | "!" | "!!")
        {
            *password = "REDACTED";
            redacted = true;
        }
        out.push_str(&fields.join(":"));
    }
    (out, redacted)
}

/// Replaces the values of credential-looking keys in a config file.
pub fn redact(text: &str) -> (String, bool) {
    const SECRET_KEYS: &[&str] = &[
        "token",
        "password",
        "secret",
        "key-data",
        "keydata",
        "private-key",
        "privatekey",
    ];
    let mut redacted = false;
    let mut in_private_key = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        // A PEM private key (inline in a config, or a key file named where a config was
        // expected): its lines are never copied.
        if line.contains("-----BEGIN") && line.contains("PRIVATE KEY-----") {
            in_private_key = true;
            redacted = true;
            out.push_str("REDACTED PRIVATE KEY\n");
        }
        if in_private_key {
            if line.contains("-----END") {
                in_private_key = false;
            }
            continue;
        }
        let trimmed = line
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches('"');
        // YAML and JSON (`key: value`), TOML and INI (`key = value`).
        let key = trimmed
            .split([':', '"', '='])
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let separator = line.find([':', '=']);
        let is_secret = separator.is_some()
            && !key.ends_with("file")
            && !key.ends_with("path")
            && (SECRET_KEYS.iter().any(|s| key.contains(s))
                || matches!(key.as_str(), "auth" | "identitytoken"));
        if is_secret && let Some(colon) = separator {
            out.push_str(&line[..=colon]);
            // A quoted string after `=` keeps TOML valid; a plain one after `:` keeps YAML valid.
            out.push_str(if line.get(colon..=colon) == Some("=") {
                " \"REDACTED\""
            } else {
                " REDACTED"
            });
            if line.ends_with('\n') {
                out.push('\n');
            }
            redacted = true;
        } else {
            out.push_str(line);
        }
    }
    (out, redacted)
}

fn read_text(root: &Root, path: &str) -> Option<String> {
    root.read(path, MAX_CONTENT)
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn hostname(root: &Root) -> String {
    ["/etc/hostname", "/proc/sys/kernel/hostname"]
        .iter()
        .find_map(|p| {
            let name = read_text(root, p)?.trim().to_owned();
            (!name.is_empty()).then_some(name)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn os_info(root: &Root) -> OsInfo {
    let release = read_text(root, "/etc/os-release").unwrap_or_default();
    let field = |name: &str| {
        release.lines().find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix('=')
                .map(|v| v.trim().trim_matches('"').to_owned())
        })
    };
    OsInfo {
        id: field("ID"),
        version_id: field("VERSION_ID"),
        pretty_name: field("PRETTY_NAME"),
        kernel: read_text(root, "/proc/sys/kernel/osrelease").map(|k| k.trim().to_owned()),
    }
}

fn read_id_names(root: &Root, file: &str) -> BTreeMap<u32, String> {
    read_text(root, file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(':');
            let name = parts.next()?;
            let id = parts.nth(1)?.parse().ok()?;
            Some((id, name.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{redact, redact_arg, redact_password_fields};

    #[test]
    fn credential_flags_are_redacted_and_file_flags_kept() {
        assert_eq!(redact_arg("--token=abc"), "--token=REDACTED");
        assert_eq!(
            redact_arg("--bootstrap-token-secret=x"),
            "--bootstrap-token-secret=REDACTED"
        );
        assert_eq!(
            redact_arg("--token-auth-file=/etc/tokens.csv"),
            "--token-auth-file=/etc/tokens.csv"
        );
        assert_eq!(redact_arg("--profiling=false"), "--profiling=false");
        assert_eq!(
            redact_arg("--service-account-extend-token-expiration=false"),
            "--service-account-extend-token-expiration=false"
        );
    }

    #[test]
    fn credentials_are_redacted_and_paths_kept() {
        let text = "users:\n- name: a\n  user:\n    client-key-data: LS0tLS1CRUdJTi==\n    token: abc\n    tokenFile: /var/run/token\nauthentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n";
        let (clean, redacted) = redact(text);
        assert!(redacted);
        assert!(!clean.contains("LS0tLS1CRUdJTi"));
        assert!(!clean.contains("abc"));
        assert!(clean.contains("tokenFile: /var/run/token"));
        assert!(clean.contains("clientCAFile: /etc/kubernetes/pki/ca.crt"));
        let key = "cert: |\n  -----BEGIN CERTIFICATE-----\n  MIIB\n  -----END CERTIFICATE-----\nkey: |\n  -----BEGIN EC PRIVATE KEY-----\n  MHcCAQEEIKEY\n  -----END EC PRIVATE KEY-----\nnext: 1\n";
        let (clean, redacted) = redact(key);
        assert!(redacted);
        assert!(!clean.contains("MHcCAQEEIKEY"), "{clean}");
        assert!(
            clean.contains("MIIB") && clean.contains("next: 1"),
            "{clean}"
        );
        let toml = "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r\".auth]\n  username = \"bot\"\n  password = \"hunter2\"\n  auth = \"Ym90Omh1bnRlcjI=\"\n  config_path = \"/etc/containerd/certs.d\"\n";
        let (clean, redacted) = redact(toml);
        assert!(redacted);
        assert!(
            !clean.contains("hunter2") && !clean.contains("Ym90"),
            "{clean}"
        );
        assert!(
            clean.contains("config_path = \"/etc/containerd/certs.d\""),
            "{clean}"
        );
        let (clean, redacted) = redact_password_fields(
            "root:x:0:0::/root:/bin/bash\nold:$6$salt$hash:1001:1001::/:/bin/sh\nnopw::1002:1002::/:/bin/sh\n",
        );
        assert!(redacted);
        assert!(!clean.contains("$6$"));
        assert!(
            clean.contains("old:REDACTED:1001") && clean.contains("nopw::1002"),
            "{clean}"
        );
        let (same, redacted) = redact("readOnlyPort: 0\n");
        assert_eq!((same.as_str(), redacted), ("readOnlyPort: 0\n", false));
    }
}
