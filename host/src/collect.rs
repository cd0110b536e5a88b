//! `stockade collect`: gathers node facts from a live node, or from a tree mounted at `--root`.
//!
//! What to read is decided by the core (`facts::plan`), from what has been read so far, so the
//! collector and the evaluator cannot disagree on where a component keeps its files. The
//! collector never follows a symlink out of the root, never reads key files or kubeconfigs (only
//! their metadata), redacts credentials from the config files it does read, and records every
//! file it could not read instead of failing.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use stockade_core::facts::plan::{Component, plan};
use stockade_core::facts::{
    CollectionError, FileFact, FileType, KubernetesInfo, NodeFacts, OsInfo, Process,
};

/// Largest config file whose content is collected.
const MAX_CONTENT: u64 = 1024 * 1024;
/// Most entries listed under one directory.
const MAX_LISTED: usize = 2000;

/// Collects the facts of the node whose file system is at `root` (`/` for this node).
/// `kubernetes_version`, when the operator knows it, picks the CIS benchmark version on nodes
/// without control-plane manifests (whose image tags otherwise tell it).
pub fn collect(root: &Path, kubernetes_version: Option<String>) -> NodeFacts {
    let mut c = Collector {
        root: fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        users: read_id_names(root, "etc/passwd"),
        groups: read_id_names(root, "etc/group"),
        facts: NodeFacts::new(&hostname(root)),
    };
    c.facts.os = Some(os_info(root));
    c.facts.kubernetes = kubernetes_version.map(|version| KubernetesInfo {
        version: Some(version),
    });
    c.processes();
    for _round in 0..5 {
        let requests = plan(&c.facts);
        let new: Vec<_> = requests
            .into_iter()
            .filter(|r| c.facts.file(&r.path).is_none() && c.facts.error_for(&r.path).is_none())
            .collect();
        if new.is_empty() {
            break;
        }
        for request in new {
            c.file(&request.path, request.content);
            if request.list {
                c.list(&request.path, 0);
            }
        }
    }
    c.facts.files.sort_by(|a, b| a.path.cmp(&b.path));
    c.facts
}

struct Collector {
    root: PathBuf,
    users: BTreeMap<u32, String>,
    groups: BTreeMap<u32, String>,
    facts: NodeFacts,
}

impl Collector {
    fn host_path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    fn error(&mut self, path: &str, message: String) {
        self.facts.errors.push(CollectionError {
            path: Some(path.to_owned()),
            message,
        });
    }

    fn processes(&mut self) {
        let Ok(entries) = fs::read_dir(self.root.join("proc")) else {
            self.facts.errors.push(CollectionError {
                path: Some("/proc".to_owned()),
                message: "cannot list processes".to_owned(),
            });
            return;
        };
        let mut pids: Vec<u32> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        let mut vanished = 0usize;
        for pid in pids {
            let dir = self.root.join("proc").join(pid.to_string());
            // A process may exit between the listing and the read: counted, not fatal.
            let Ok(raw) = fs::read(dir.join("cmdline")) else {
                vanished += 1;
                continue;
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
            if component == Component::Etcd
                && let Ok(raw) = fs::read(dir.join("environ"))
            {
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

    /// Records one path: metadata always, content when asked and safe.
    fn file(&mut self, path: &str, content: bool) {
        let host = self.host_path(path);
        let meta = match fs::symlink_metadata(&host) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.facts.files.push(FileFact {
                    path: path.to_owned(),
                    exists: false,
                    ..FileFact::default()
                });
                return;
            }
            Err(e) => return self.error(path, e.to_string()),
            Ok(meta) => meta,
        };
        let meta = if meta.file_type().is_symlink() {
            match fs::canonicalize(&host) {
                Ok(real) if real.starts_with(&self.root) => match fs::metadata(&real) {
                    Ok(m) => m,
                    Err(e) => return self.error(path, e.to_string()),
                },
                Ok(_) => {
                    return self.error(
                        path,
                        "symlink points outside the collection root; not followed".to_owned(),
                    );
                }
                Err(e) => return self.error(path, format!("dangling symlink: {e}")),
            }
        } else {
            meta
        };
        let file_type = if meta.is_dir() {
            FileType::Directory
        } else if meta.is_file() {
            FileType::File
        } else {
            FileType::Other
        };
        let mut fact = FileFact {
            path: path.to_owned(),
            exists: true,
            file_type: Some(file_type),
            mode: Some(format!("{:04o}", meta.mode() & 0o7777)),
            uid: Some(meta.uid()),
            gid: Some(meta.gid()),
            user: self.users.get(&meta.uid()).cloned(),
            group: self.groups.get(&meta.gid()).cloned(),
            ..FileFact::default()
        };
        if content && file_type == FileType::File {
            if meta.len() > MAX_CONTENT {
                self.error(
                    path,
                    format!("larger than {MAX_CONTENT} bytes; content not collected"),
                );
            } else {
                match fs::read(&host) {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        let (clean, redacted) = redact(&text);
                        fact.content = Some(clean);
                        fact.redacted = redacted;
                    }
                    Err(e) => self.error(path, format!("content not readable: {e}")),
                }
            }
        }
        self.facts.files.push(fact);
    }

    /// Records a directory's entries (metadata only), recursively.
    fn list(&mut self, dir: &str, depth: usize) {
        if depth > 4 || !stockade_core::facts::plan::is_dir(&self.facts, dir) {
            return;
        }
        let entries = match fs::read_dir(self.host_path(dir)) {
            Ok(e) => e,
            Err(e) => return self.error(dir, format!("cannot list: {e}")),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        for name in names.into_iter().take(MAX_LISTED) {
            let path = format!("{}/{name}", dir.trim_end_matches('/'));
            if self.facts.file(&path).is_some() {
                continue;
            }
            self.file(&path, false);
            self.list(&path, depth + 1);
        }
    }
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
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches('"');
        let key = trimmed
            .split([':', '"'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let is_secret = trimmed.contains(':')
            && !key.ends_with("file")
            && !key.ends_with("path")
            && SECRET_KEYS.iter().any(|s| key.contains(s));
        if is_secret && let Some(colon) = line.find(':') {
            out.push_str(&line[..=colon]);
            out.push_str(" REDACTED");
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

fn hostname(root: &Path) -> String {
    ["etc/hostname", "proc/sys/kernel/hostname"]
        .iter()
        .find_map(|p| {
            let text = fs::read_to_string(root.join(p)).ok()?;
            let name = text.trim().to_owned();
            (!name.is_empty()).then_some(name)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn os_info(root: &Path) -> OsInfo {
    let release = fs::read_to_string(root.join("etc/os-release")).unwrap_or_default();
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
        kernel: fs::read_to_string(root.join("proc/sys/kernel/osrelease"))
            .ok()
            .map(|k| k.trim().to_owned()),
    }
}

fn read_id_names(root: &Path, file: &str) -> BTreeMap<u32, String> {
    fs::read_to_string(root.join(file))
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
    use super::{redact, redact_arg};

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
        let (same, redacted) = redact("readOnlyPort: 0\n");
        assert_eq!((same.as_str(), redacted), ("readOnlyPort: 0\n", false));
    }
}
