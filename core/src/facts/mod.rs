//! Node facts: what a collector found on one node, as a versioned JSON document.
//!
//! The engine never reads a node. A collector (`stockade collect`, or any other tool that
//! writes this format; see `schema/node-facts.schema.json`) records processes, files and OS
//! details; the engine evaluates the benchmarks on that record. Facts never carry secrets: key
//! files are recorded by their metadata only, and config contents are redacted by the collector.

pub mod argv;
pub mod flags;
pub mod plan;
pub mod stream;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::yaml::{self, Limits, Node, Pos};
use crate::vocab::{ErrorLevel, InputError};

/// The `apiVersion` of the facts format this engine writes. `v1alpha2` added the OS and
/// container runtime sections (`sysctl`, `mounts`, `packages`, `modules`, `enabledServices`,
/// `kernelCmdline`, `apparmor`, `runtime`); it is a superset of `v1alpha1`.
pub const API_VERSION: &str = "stockade.dev/v1alpha2";
/// Every `apiVersion` the engine reads.
pub const API_VERSIONS: &[&str] = &["stockade.dev/v1alpha1", API_VERSION];
/// The `kind` of a facts document.
pub const KIND: &str = "NodeFacts";

/// What was collected on one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeFacts {
    /// Always `stockade.dev/v1alpha1`.
    pub api_version: String,
    /// Always `NodeFacts`.
    pub kind: String,
    /// The node's identity.
    pub node: NodeInfo,
    /// The Kubernetes version running on the node, when the collector knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesInfo>,
    /// Operating system release and kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Kubernetes component processes, with their full command lines.
    #[serde(default)]
    pub processes: Vec<Process>,
    /// Files the benchmarks name, and files the components' flags point to.
    #[serde(default)]
    pub files: Vec<FileFact>,
    /// What the collector could not collect, and why.
    #[serde(default)]
    pub errors: Vec<CollectionError>,
    /// Kernel parameters by dotted name (`net.ipv4.ip_forward`), as `/proc/sys` shows them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysctl: Option<BTreeMap<String, String>>,
    /// Mounted file systems (`/proc/mounts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<Mount>>,
    /// Installed packages (dpkg), name to version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<BTreeMap<String, String>>,
    /// Loaded kernel modules (`/proc/modules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules: Option<Vec<String>>,
    /// systemd units enabled to start at boot (`foo.service`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_services: Option<Vec<String>>,
    /// The kernel command line (`/proc/cmdline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_cmdline: Option<String>,
    /// AppArmor's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apparmor: Option<AppArmor>,
    /// sshd's effective configuration (`sshd -T`: lowercase keyword to value), when the
    /// collector could run it; otherwise it is derived from `/etc/ssh/sshd_config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sshd: Option<BTreeMap<String, String>>,
    /// Container runtime versions, when known other than from `packages`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeInfo>,
}

/// A mounted file system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mount {
    /// The device or source (`/dev/sda2`, `tmpfs`).
    pub source: String,
    /// Where it is mounted.
    pub target: String,
    /// File system type.
    pub fs_type: String,
    /// Mount options (`rw`, `nodev`, `nosuid`, ...).
    #[serde(default)]
    pub options: Vec<String>,
}

/// AppArmor's state: whether the module is enabled, and every loaded profile's mode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppArmor {
    /// `/sys/module/apparmor/parameters/enabled` is `Y`.
    pub enabled: bool,
    /// Loaded profiles and their modes (`enforce`, `complain`, `kill`, `unconfined`).
    #[serde(default)]
    pub profiles: BTreeMap<String, String>,
}

/// Container runtime versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeInfo {
    /// containerd's version (`1.7.27`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containerd: Option<String>,
    /// runc's version (`1.2.8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runc: Option<String>,
}

/// The node's identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeInfo {
    /// The host name.
    pub hostname: String,
}

/// Kubernetes on the node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubernetesInfo {
    /// e.g. `1.33.2` or `v1.33.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Operating system facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OsInfo {
    /// `ID` from os-release (e.g. `ubuntu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `VERSION_ID` from os-release (e.g. `22.04`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `PRETTY_NAME` from os-release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The kernel release (`/proc/sys/kernel/osrelease`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

/// A process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// The full command line, `argv[0]` first.
    pub argv: Vec<String>,
    /// Environment variables that configure the component (etcd's `ETCD_*` only); never secrets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// The type of a file system entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// Anything else (socket, device, ...).
    Other,
}

/// A file the collector looked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileFact {
    /// Absolute path on the node.
    pub path: String,
    /// False when the collector looked and found nothing.
    pub exists: bool,
    /// The entry type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    /// Permission bits in octal, e.g. `"0600"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Owner uid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Owner gid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// Owner user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Owner group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Text content, for configuration files only (redacted of credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// True when the collector removed credentials from `content`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

/// Something the collector could not collect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectionError {
    /// The path concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What went wrong (e.g. `permission denied`).
    pub message: String,
}

impl NodeFacts {
    /// An empty facts document for a host name.
    pub fn new(hostname: &str) -> NodeFacts {
        NodeFacts {
            api_version: API_VERSION.to_owned(),
            kind: KIND.to_owned(),
            node: NodeInfo {
                hostname: hostname.to_owned(),
            },
            ..NodeFacts::default()
        }
    }

    /// The file fact for a path, if collected. Paths compare normalized (`/a/./b/../c` is
    /// `/a/c`), as facts documents are once parsed.
    pub fn file(&self, path: &str) -> Option<&FileFact> {
        let path = normalize_path(path);
        self.files.iter().find(|f| f.path == path)
    }

    /// The collection error recorded for a path, if any.
    pub fn error_for(&self, path: &str) -> Option<&CollectionError> {
        let path = normalize_path(path);
        self.errors
            .iter()
            .find(|e| e.path.as_deref() == Some(path.as_ref()))
    }

    /// File facts inside a directory (recursively), in path order.
    pub fn files_under(&self, dir: &str) -> Vec<&FileFact> {
        let prefix = format!("{}/", normalize_path(dir).trim_end_matches('/'));
        let mut files: Vec<&FileFact> = self
            .files
            .iter()
            .filter(|f| f.path.starts_with(&prefix) && f.exists)
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }
}

/// A path without `.`, `..` or repeated slashes, resolved lexically: `..` at the root stays at
/// the root, as in the kernel. A file fact named `/etc/kubernetes/pki/../../shadow` is
/// `/etc/shadow`, never a file inside the PKI directory.
pub fn normalize_path(path: &str) -> std::borrow::Cow<'_, str> {
    let clean = path
        .split('/')
        .enumerate()
        .all(|(i, c)| (i == 0 || !c.is_empty()) && c != "." && c != "..");
    if clean {
        return std::borrow::Cow::Borrowed(path);
    }
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    std::borrow::Cow::Owned(if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    })
}

/// A facts document with the source positions of its parts.
#[derive(Debug, Clone)]
pub struct FactsDocument {
    /// The name of the file it came from.
    pub file: String,
    /// The facts.
    pub facts: NodeFacts,
    /// The parsed document, for positions.
    node: Node,
}

impl FactsDocument {
    /// Where process `index` is in the document.
    pub fn process_pos(&self, index: usize) -> Pos {
        self.item_pos("processes", index).unwrap_or(self.node.pos)
    }

    /// Where argument `arg` of process `index` is.
    pub fn arg_pos(&self, index: usize, arg: usize) -> Pos {
        self.node
            .get("processes")
            .and_then(Node::as_seq)
            .and_then(|p| p.get(index))
            .and_then(|p| p.get("argv"))
            .and_then(Node::as_seq)
            .and_then(|a| a.get(arg))
            .map_or_else(|| self.process_pos(index), |n| n.pos)
    }

    /// Where the fact for `path` is.
    pub fn file_pos(&self, path: &str) -> Pos {
        let path = normalize_path(path);
        self.facts
            .files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| self.item_pos("files", i))
            .unwrap_or(self.node.pos)
    }

    /// Where the document starts.
    pub fn root_pos(&self) -> Pos {
        self.node.pos
    }

    /// Where the value at a JSON pointer is (the closest existing parent if it is absent).
    pub fn pos_of(&self, pointer: &str) -> Pos {
        self.node.locate(pointer)
    }

    fn item_pos(&self, key: &str, index: usize) -> Option<Pos> {
        self.node
            .get(key)
            .and_then(Node::as_seq)
            .and_then(|items| items.get(index))
            .map(|n| n.pos)
    }
}

/// Parses a facts document (JSON, or YAML). Problems are input errors naming the file and line.
pub fn parse_facts(file: &str, text: &str, limits: Limits) -> Result<FactsDocument, InputError> {
    parse_facts_at(file, text, 1, limits)
}

/// [`parse_facts`] for a document that starts at line `first_line` of its file (one document of
/// a stream, see [`stream`]): positions are the file's.
pub fn parse_facts_at(
    file: &str,
    text: &str,
    first_line: u32,
    limits: Limits,
) -> Result<FactsDocument, InputError> {
    let error = |pos: Pos, message: String| InputError::at(file, pos, ErrorLevel::Error, message);
    let start = Pos {
        line: first_line.max(1),
        column: 1,
    };
    if text.len() > limits.max_file_size {
        return Err(error(
            start,
            format!(
                "node facts: the file is {} bytes, more than the limit of {} (maxFileSize): not read",
                text.len(),
                limits.max_file_size
            ),
        ));
    }
    let (node, errors) = yaml::parse_document(text, start.line - 1, limits);
    if let Some(e) = errors.into_iter().find(|e| !e.recoverable) {
        return Err(error(e.pos, format!("node facts: {}", e.message)));
    }
    let Some(node) = node else {
        return Err(error(start, "node facts: empty document".to_owned()));
    };
    let api_version = node.get("apiVersion").and_then(Node::as_str);
    let kind = node.get("kind").and_then(Node::as_str);
    if kind != Some(KIND) || !api_version.is_some_and(|v| API_VERSIONS.contains(&v)) {
        return Err(error(
            node.pos,
            format!(
                "node facts: expected apiVersion {} and kind {KIND:?}, found {:?} and {:?}",
                API_VERSIONS
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(" or "),
                api_version.unwrap_or(""),
                kind.unwrap_or("")
            ),
        ));
    }
    let json = node.to_json();
    let mut facts: NodeFacts = serde_path_to_error::deserialize(&json).map_err(|e| {
        let (pos, message) = crate::input::serde_errors::locate_serde_error(&node, &e);
        error(pos, format!("node facts: {message}"))
    })?;
    // Values that have the right type and still cannot be true (a collector that lies, or a
    // document edited by hand) are errors at their line, never silently read.
    for (i, file) in facts.files.iter_mut().enumerate() {
        if let Some(mode) = &file.mode
            && !u32::from_str_radix(mode, 8).is_ok_and(|m| m <= 0o7777)
        {
            let pointer = format!("/files/{i}/mode");
            return Err(error(
                node.locate(&pointer),
                format!(
                    "node facts: {pointer}: {mode:?} is not a file mode (octal digits, at most 7777)"
                ),
            ));
        }
        file.path = normalize_path(&file.path).into_owned();
    }
    for e in &mut facts.errors {
        if let Some(path) = &mut e.path {
            *path = normalize_path(path).into_owned();
        }
    }
    Ok(FactsDocument {
        file: file.to_owned(),
        facts,
        node,
    })
}

/// Whether a file is a node facts document (by its kind and apiVersion near the top).
pub(crate) fn looks_like_facts(text: &str) -> bool {
    // The first 512 characters, borrowed.
    let head = text
        .char_indices()
        .nth(512)
        .and_then(|(end, _)| text.get(..end))
        .unwrap_or(text);
    API_VERSIONS.iter().any(|v| head.contains(v)) && head.contains(&format!("\"{}\"", KIND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_lexically() {
        for (path, want) in [
            ("/etc/kubernetes/admin.conf", "/etc/kubernetes/admin.conf"),
            ("/etc/kubernetes/pki/../../shadow", "/etc/shadow"),
            ("/../../etc//./kubelet/", "/etc/kubelet"),
            ("/..", "/"),
            ("a/../../b", "../b"),
        ] {
            assert_eq!(normalize_path(path), want, "{path}");
        }
    }

    #[test]
    fn parses_with_positions() {
        let text = r#"{
  "apiVersion": "stockade.dev/v1alpha1",
  "kind": "NodeFacts",
  "node": {"hostname": "cp-1"},
  "processes": [
    {"pid": 10, "argv": ["kube-apiserver",
                         "--profiling=true"]}
  ],
  "files": [{"path": "/etc/kubernetes/admin.conf", "exists": true, "mode": "0600"}]
}"#;
        let doc = parse_facts("n.json", text, Limits::default()).expect("valid");
        assert_eq!(doc.facts.node.hostname, "cp-1");
        assert_eq!(doc.arg_pos(0, 1).line, 7);
        assert_eq!(doc.file_pos("/etc/kubernetes/admin.conf").line, 9);
    }

    #[test]
    fn wrong_kind_and_unknown_fields_are_errors() {
        let e = parse_facts(
            "n.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}",
            Limits::default(),
        )
        .expect_err("kind");
        assert!(e.message.contains("expected apiVersion"));
        let e = parse_facts(
            "n.json",
            "{\"apiVersion\": \"stockade.dev/v1alpha1\", \"kind\": \"NodeFacts\", \"node\": {\"hostname\": \"a\"}, \"bogus\": 1}",
            Limits::default(),
        )
        .expect_err("unknown field");
        assert!(e.message.contains("bogus"), "{}", e.message);
        let e = parse_facts("n.json", "{\"apiVersion\": [", Limits::default()).expect_err("syntax");
        assert!(
            e.line >= 1 && e.message.starts_with("node facts: invalid YAML"),
            "{e:?}"
        );
    }
}
