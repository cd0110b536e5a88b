//! The pod as Pod Security Admission sees it, decoded from any workload kind.
//!
//! PSA evaluates a `PodSpec` and the pod's metadata. Workload resources carry them in a pod
//! template; this module finds the template for every workload kind and decodes just the fields
//! the checks read, each with its source position and JSON pointer. A field of the wrong type
//! (`privileged: "true"`) is an input error, as it is for the API server, never silently ignored.

use super::yaml::{Node, Pos, Value};

/// Where something is: a JSON pointer inside the resource and a position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// JSON pointer (RFC 6901) from the resource's root.
    pub pointer: String,
    /// Line and column in the file.
    pub pos: Pos,
}

impl Loc {
    /// The location of `key` inside this one.
    pub fn child(&self, key: &str, pos: Pos) -> Loc {
        // Built in place: a pod's decoding makes one for nearly every field.
        let mut pointer = String::with_capacity(self.pointer.len() + 1 + key.len());
        pointer.push_str(&self.pointer);
        pointer.push('/');
        if key.contains(['~', '/']) {
            pointer.push_str(&escape_pointer(key));
        } else {
            pointer.push_str(key);
        }
        Loc { pointer, pos }
    }

    /// The location of item `index` inside this one.
    pub fn index(&self, index: usize, pos: Pos) -> Loc {
        use std::fmt::Write;
        let mut pointer = String::with_capacity(self.pointer.len() + 4);
        pointer.push_str(&self.pointer);
        let _ = write!(pointer, "/{index}");
        Loc { pointer, pos }
    }
}

/// Escapes a key for a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it is.
    pub loc: Loc,
}

/// Which list of the pod spec a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `spec.initContainers`
    Init,
    /// `spec.containers`
    Regular,
    /// `spec.ephemeralContainers`
    Ephemeral,
}

/// The fields of a pod or container security context that the checks read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityContext {
    /// Where the `securityContext` mapping is.
    pub loc: Option<Loc>,
    /// `runAsNonRoot`
    pub run_as_non_root: Option<At<bool>>,
    /// `runAsUser`
    pub run_as_user: Option<At<i64>>,
    /// `seccompProfile.type` (an empty string when `seccompProfile` has no type).
    pub seccomp_profile_type: Option<At<String>>,
    /// `appArmorProfile.type`
    pub app_armor_profile_type: Option<At<String>>,
    /// `seLinuxOptions`
    pub se_linux_options: Option<SeLinuxOptions>,
    /// `windowsOptions.hostProcess`
    pub windows_host_process: Option<At<bool>>,
    /// `privileged` (containers only)
    pub privileged: Option<At<bool>>,
    /// `allowPrivilegeEscalation` (containers only)
    pub allow_privilege_escalation: Option<At<bool>>,
    /// `procMount` (containers only)
    pub proc_mount: Option<At<String>>,
    /// `capabilities` (containers only)
    pub capabilities: Option<Capabilities>,
    /// `sysctls[*].name` (pods only)
    pub sysctls: Vec<At<String>>,
}

/// `seLinuxOptions` of a pod or container.
#[derive(Debug, Clone, PartialEq)]
pub struct SeLinuxOptions {
    /// Where the mapping is.
    pub loc: Loc,
    /// `type`, empty when unset.
    pub type_: At<String>,
    /// `user`, empty when unset.
    pub user: At<String>,
    /// `role`, empty when unset.
    pub role: At<String>,
}

/// `securityContext.capabilities` of a container.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// Where the mapping is.
    pub loc: Loc,
    /// `add`
    pub add: Vec<At<String>>,
    /// `drop`
    pub drop: Vec<At<String>>,
}

/// A container, init container or ephemeral container.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// Which list it is in.
    pub kind: ContainerKind,
    /// `name`
    pub name: String,
    /// Where the container is.
    pub loc: Loc,
    /// `securityContext`, if present.
    pub security_context: Option<SecurityContext>,
    /// Non-zero `ports[*].hostPort` values.
    pub host_ports: Vec<At<i64>>,
    /// Non-empty `host` of probes (`httpGet`, `tcpSocket`) and lifecycle handlers.
    pub probe_hosts: Vec<At<String>>,
}

/// A pod volume.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// `name`
    pub name: String,
    /// Where the volume is.
    pub loc: Loc,
    /// The volume source type (`hostPath`, `emptyDir`, ...), and where it is set. A volume with
    /// no source is defaulted to `emptyDir` by the API server, and so it is here.
    pub source: At<String>,
}

/// A pod, or a workload's pod template, ready for the Pod Security checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    /// The pod (template) metadata, or the closest parent when absent.
    pub metadata: Loc,
    /// `metadata.annotations`, in source order.
    pub annotations: Vec<(String, At<String>)>,
    /// The pod spec.
    pub spec: Loc,
    /// `hostNetwork`
    pub host_network: Option<At<bool>>,
    /// `hostPID`
    pub host_pid: Option<At<bool>>,
    /// `hostIPC`
    pub host_ipc: Option<At<bool>>,
    /// `hostUsers`
    pub host_users: Option<At<bool>>,
    /// `os.name`
    pub os_name: Option<At<String>>,
    /// `securityContext`
    pub security_context: Option<SecurityContext>,
    /// `volumes`
    pub volumes: Vec<Volume>,
    /// init containers, containers and ephemeral containers, in that order (PSA's order).
    pub containers: Vec<Container>,
}

impl Pod {
    /// True when `spec.hostUsers` is explicitly false: the pod runs in a user namespace.
    pub fn in_user_namespace(&self) -> bool {
        self.host_users.as_ref().is_some_and(|h| !h.value)
    }

    /// True when `spec.os.name` is `windows`.
    pub fn is_windows(&self) -> bool {
        self.os_name.as_ref().is_some_and(|o| o.value == "windows")
    }
}

/// A field that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where the bad value is.
    pub pos: Pos,
    /// What is wrong, naming the field.
    pub message: String,
}

/// Where a workload kind keeps its pod template, as keys from the resource root.
pub fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "PodTemplate" => &["template"],
        _ => return None,
    })
}

/// What the API server's validation requires of a workload's pod (or pod template) and this one
/// lacks, each at its place: the object is rejected when it is applied, so it is an input error,
/// not a pod to evaluate. Only the clear cases are checked (the template itself,
/// `spec.containers` present and not empty, each container of `containers` and `initContainers`
/// with a `name` and an `image`); values of the wrong type are left to [`decode_pod`], which
/// reports them.
pub fn pod_rejections(kind: &str, root: &Node) -> Vec<FieldError> {
    let Some(path) = template_path(kind) else {
        return Vec::new();
    };
    // A strategic-merge patch (`$patch: delete`, `$patch: replace`) is kustomize's input, not an
    // object sent to the API server as it is.
    if root.get("$patch").is_some() {
        return Vec::new();
    }
    let mut errors = Vec::new();
    let mut here = root;
    let mut pos = root.pos;
    let keys: Vec<&str> = path.iter().copied().chain(["spec"]).collect();
    let shown = keys.join(".");
    // The template, then its spec: each must be there (an explicit null is the same as absent).
    for key in keys {
        match here.entry(key) {
            Some(e) if !matches!(e.value.value, Value::Null) => {
                pos = e.key_pos;
                here = &e.value;
            }
            Some(e) => {
                errors.push(required(e.key_pos, &format!("{shown}.containers")));
                return errors;
            }
            None => {
                errors.push(required(pos, &format!("{shown}.containers")));
                return errors;
            }
        }
        if here.as_map().is_none() {
            return errors;
        }
    }
    let spec = here;
    match spec.entry("containers") {
        None => errors.push(required(pos, &format!("{shown}.containers"))),
        Some(e) => match &e.value.value {
            Value::Null => errors.push(required(e.key_pos, &format!("{shown}.containers"))),
            Value::Seq(items) if items.is_empty() => {
                errors.push(required(e.key_pos, &format!("{shown}.containers")));
            }
            _ => {}
        },
    }
    for key in ["initContainers", "containers"] {
        let items = spec.get(key).and_then(Node::as_seq).unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            if item.as_map().is_none() {
                continue;
            }
            for field in ["name", "image"] {
                let missing = match item.get(field).map(|n| &n.value) {
                    None | Some(Value::Null) => true,
                    Some(Value::Str(s)) => s.is_empty(),
                    Some(_) => false,
                };
                if missing {
                    let at = item.entry(field).map_or(item.pos, |e| e.key_pos);
                    errors.push(required(at, &format!("{shown}.{key}[{i}].{field}")));
                }
            }
        }
    }
    errors
}

fn required(pos: Pos, field: &str) -> FieldError {
    FieldError {
        pos,
        message: format!("{field}: Required value"),
    }
}

/// Decodes the pod of a workload resource. `None` when the kind has no pod template or the
/// template is absent; field type errors are appended to `errors`.
pub fn decode_pod(kind: &str, root: &Node, errors: &mut Vec<FieldError>) -> Option<Pod> {
    let path = template_path(kind)?;
    let mut d = Decoder { errors };
    let mut loc = Loc {
        pointer: String::new(),
        pos: root.pos,
    };
    let mut template = root;
    for key in path {
        let entry = template.entry(key)?;
        loc = loc.child(key, entry.key_pos);
        template = &entry.value;
    }
    if template.as_map().is_none() {
        d.mismatch(template, &loc, "mapping");
        return None;
    }
    let (metadata, annotations) = match template.entry("metadata") {
        Some(e) => {
            let meta_loc = loc.child("metadata", e.key_pos);
            let annotations = d.string_map(&e.value, "annotations", &meta_loc);
            (meta_loc, annotations)
        }
        None => (loc.clone(), Vec::new()),
    };
    let spec_entry = template.entry("spec");
    let spec_loc = spec_entry.map_or_else(|| loc.clone(), |e| loc.child("spec", e.key_pos));
    let empty = Node {
        pos: spec_loc.pos,
        value: Value::Map(Vec::new()),
    };
    let spec = spec_entry.map_or(&empty, |e| &e.value);
    if spec.as_map().is_none() && !matches!(spec.value, Value::Null) {
        d.mismatch(spec, &spec_loc, "mapping");
        return None;
    }
    let mut containers = Vec::new();
    for (key, kind) in [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Regular),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ] {
        for (item, item_loc) in d.list(spec, key, &spec_loc) {
            if let Some(c) = d.container(item, item_loc, kind) {
                containers.push(c);
            }
        }
    }
    let volumes = d
        .list(spec, "volumes", &spec_loc)
        .into_iter()
        .filter_map(|(item, item_loc)| d.volume(item, item_loc))
        .collect();
    let os_name = d
        .map(spec, "os", &spec_loc)
        .and_then(|(os, os_loc)| d.string(os, "name", &os_loc));
    let security_context = d
        .map(spec, "securityContext", &spec_loc)
        .map(|(sc, sc_loc)| d.security_context(sc, sc_loc));
    Some(Pod {
        metadata,
        annotations,
        host_network: d.boolean(spec, "hostNetwork", &spec_loc),
        host_pid: d.boolean(spec, "hostPID", &spec_loc),
        host_ipc: d.boolean(spec, "hostIPC", &spec_loc),
        host_users: d.boolean(spec, "hostUsers", &spec_loc),
        os_name,
        security_context,
        volumes,
        containers,
        spec: spec_loc,
    })
}

/// The volume source fields PSA knows, in the order `restrictedVolumes` tests them.
const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

struct Decoder<'e> {
    errors: &'e mut Vec<FieldError>,
}

impl Decoder<'_> {
    fn mismatch(&mut self, node: &Node, loc: &Loc, expected: &str) {
        let shown = match &node.value {
            Value::Str(s) => format!(" {s:?}"),
            Value::Bool(b) => format!(" {b}"),
            Value::Int(i) => format!(" {i}"),
            Value::Float(f) if expected == "integer" && f.fract() == 0.0 => {
                format!(" {f:e}, outside the 64-bit integer range")
            }
            Value::Float(f) => format!(" {f}"),
            _ => String::new(),
        };
        let article = |word: &str| {
            if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            }
        };
        let found = node.type_name();
        self.errors.push(FieldError {
            pos: node.pos,
            message: format!(
                "{}: expected {} {expected}, found {} {found}{shown}; the API server would reject this object",
                loc.pointer,
                article(expected),
                article(found),
            ),
        });
    }

    /// A present, non-null field: the node and its location.
    fn field<'n>(&mut self, parent: &'n Node, key: &str, loc: &Loc) -> Option<(&'n Node, Loc)> {
        let entry = parent.entry(key)?;
        if matches!(entry.value.value, Value::Null) {
            return None;
        }
        Some((&entry.value, loc.child(key, entry.key_pos)))
    }

    fn map<'n>(&mut self, parent: &'n Node, key: &str, loc: &Loc) -> Option<(&'n Node, Loc)> {
        let (node, loc) = self.field(parent, key, loc)?;
        if node.as_map().is_none() {
            self.mismatch(node, &loc, "mapping");
            return None;
        }
        Some((node, loc))
    }

    fn list<'n>(&mut self, parent: &'n Node, key: &str, loc: &Loc) -> Vec<(&'n Node, Loc)> {
        let Some((node, loc)) = self.field(parent, key, loc) else {
            return Vec::new();
        };
        let Some(items) = node.as_seq() else {
            self.mismatch(node, &loc, "list");
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| (item, loc.index(i, item.pos)))
            .collect()
    }

    fn boolean(&mut self, parent: &Node, key: &str, loc: &Loc) -> Option<At<bool>> {
        let (node, loc) = self.field(parent, key, loc)?;
        match node.value {
            Value::Bool(value) => Some(At { value, loc }),
            _ => {
                self.mismatch(node, &loc, "boolean");
                None
            }
        }
    }

    fn integer(&mut self, parent: &Node, key: &str, loc: &Loc) -> Option<At<i64>> {
        let (node, loc) = self.field(parent, key, loc)?;
        match node.value {
            Value::Int(value) => Some(At { value, loc }),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(At {
                value: f as i64,
                loc,
            }),
            _ => {
                self.mismatch(node, &loc, "integer");
                None
            }
        }
    }

    fn string(&mut self, parent: &Node, key: &str, loc: &Loc) -> Option<At<String>> {
        let (node, loc) = self.field(parent, key, loc)?;
        match &node.value {
            Value::Str(s) => Some(At {
                value: s.clone(),
                loc,
            }),
            _ => {
                self.mismatch(node, &loc, "string");
                None
            }
        }
    }

    /// A string field that defaults to "" and points at its parent when absent.
    fn string_or_empty(&mut self, parent: &Node, key: &str, loc: &Loc) -> At<String> {
        self.string(parent, key, loc).unwrap_or_else(|| At {
            value: String::new(),
            loc: loc.clone(),
        })
    }

    fn string_list(&mut self, parent: &Node, key: &str, loc: &Loc) -> Vec<At<String>> {
        self.list(parent, key, loc)
            .into_iter()
            .filter_map(|(item, item_loc)| match &item.value {
                Value::Str(s) => Some(At {
                    value: s.clone(),
                    loc: item_loc,
                }),
                _ => {
                    self.mismatch(item, &item_loc, "string");
                    None
                }
            })
            .collect()
    }

    fn string_map(&mut self, parent: &Node, key: &str, loc: &Loc) -> Vec<(String, At<String>)> {
        let Some((node, loc)) = self.map(parent, key, loc) else {
            return Vec::new();
        };
        node.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let entry_loc = loc.child(&e.key, e.key_pos);
                match &e.value.value {
                    Value::Str(s) => Some((
                        e.key.clone(),
                        At {
                            value: s.clone(),
                            loc: entry_loc,
                        },
                    )),
                    _ => {
                        self.mismatch(&e.value, &entry_loc, "string");
                        None
                    }
                }
            })
            .collect()
    }

    fn security_context(&mut self, sc: &Node, loc: Loc) -> SecurityContext {
        let seccomp_profile_type = self
            .map(sc, "seccompProfile", &loc)
            .map(|(p, p_loc)| self.string_or_empty(p, "type", &p_loc));
        let app_armor_profile_type = self
            .map(sc, "appArmorProfile", &loc)
            .map(|(p, p_loc)| self.string_or_empty(p, "type", &p_loc));
        let se_linux_options =
            self.map(sc, "seLinuxOptions", &loc)
                .map(|(o, o_loc)| SeLinuxOptions {
                    type_: self.string_or_empty(o, "type", &o_loc),
                    user: self.string_or_empty(o, "user", &o_loc),
                    role: self.string_or_empty(o, "role", &o_loc),
                    loc: o_loc,
                });
        let windows_host_process = self
            .map(sc, "windowsOptions", &loc)
            .and_then(|(w, w_loc)| self.boolean(w, "hostProcess", &w_loc));
        let capabilities = self
            .map(sc, "capabilities", &loc)
            .map(|(c, c_loc)| Capabilities {
                add: self.string_list(c, "add", &c_loc),
                drop: self.string_list(c, "drop", &c_loc),
                loc: c_loc,
            });
        let sysctls = self
            .list(sc, "sysctls", &loc)
            .into_iter()
            .filter_map(|(item, item_loc)| self.string(item, "name", &item_loc))
            .collect();
        SecurityContext {
            run_as_non_root: self.boolean(sc, "runAsNonRoot", &loc),
            run_as_user: self.integer(sc, "runAsUser", &loc),
            seccomp_profile_type,
            app_armor_profile_type,
            se_linux_options,
            windows_host_process,
            privileged: self.boolean(sc, "privileged", &loc),
            allow_privilege_escalation: self.boolean(sc, "allowPrivilegeEscalation", &loc),
            proc_mount: self.string(sc, "procMount", &loc),
            capabilities,
            sysctls,
            loc: Some(loc),
        }
    }

    fn container(&mut self, node: &Node, loc: Loc, kind: ContainerKind) -> Option<Container> {
        if node.as_map().is_none() {
            self.mismatch(node, &loc, "mapping");
            return None;
        }
        let name = self
            .string(node, "name", &loc)
            .map(|n| n.value)
            .unwrap_or_default();
        let security_context = self
            .map(node, "securityContext", &loc)
            .map(|(sc, sc_loc)| self.security_context(sc, sc_loc));
        let host_ports = self
            .list(node, "ports", &loc)
            .into_iter()
            .filter_map(|(port, port_loc)| self.integer(port, "hostPort", &port_loc))
            .filter(|p| p.value != 0)
            .collect();
        let mut probe_hosts = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some((p, p_loc)) = self.map(node, probe, &loc) {
                self.handler_hosts(p, &p_loc, &mut probe_hosts);
            }
        }
        if let Some((lifecycle, l_loc)) = self.map(node, "lifecycle", &loc) {
            for hook in ["postStart", "preStop"] {
                if let Some((h, h_loc)) = self.map(lifecycle, hook, &l_loc) {
                    self.handler_hosts(h, &h_loc, &mut probe_hosts);
                }
            }
        }
        Some(Container {
            kind,
            name,
            loc,
            security_context,
            host_ports,
            probe_hosts,
        })
    }

    fn handler_hosts(&mut self, handler: &Node, loc: &Loc, hosts: &mut Vec<At<String>>) {
        for action in ["httpGet", "tcpSocket"] {
            if let Some((a, a_loc)) = self.map(handler, action, loc)
                && let Some(host) = self.string(a, "host", &a_loc)
                && !host.value.is_empty()
            {
                hosts.push(host);
            }
        }
    }

    fn volume(&mut self, node: &Node, loc: Loc) -> Option<Volume> {
        let Some(entries) = node.as_map() else {
            self.mismatch(node, &loc, "mapping");
            return None;
        };
        let name = self
            .string(node, "name", &loc)
            .map(|n| n.value)
            .unwrap_or_default();
        let source = VOLUME_SOURCES
            .iter()
            .find_map(|s| {
                entries
                    .iter()
                    .find(|e| e.key == *s && !matches!(e.value.value, Value::Null))
                    .map(|e| At {
                        value: (*s).to_owned(),
                        loc: loc.child(s, e.key_pos),
                    })
            })
            .or_else(|| {
                // An unrecognised source key: PSA reports such a volume as type "unknown".
                entries
                    .iter()
                    .find(|e| e.key != "name" && !matches!(e.value.value, Value::Null))
                    .map(|e| At {
                        value: "unknown".to_owned(),
                        loc: loc.child(&e.key, e.key_pos),
                    })
            })
            .unwrap_or_else(|| At {
                value: "emptyDir".to_owned(),
                loc: loc.clone(),
            });
        Some(Volume { name, loc, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::yaml::{Limits, parse_document};

    fn pod(kind: &str, text: &str) -> (Option<Pod>, Vec<FieldError>) {
        let (node, errs) = parse_document(text, 0, Limits::default());
        assert!(errs.is_empty());
        let mut errors = Vec::new();
        let pod = decode_pod(kind, &node.expect("doc"), &mut errors);
        (pod, errors)
    }

    #[test]
    fn finds_the_template_of_every_workload_kind() {
        let cron = "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n";
        let (p, _) = pod("CronJob", cron);
        let p = p.expect("pod");
        assert_eq!(p.spec.pointer, "/spec/jobTemplate/spec/template/spec");
        assert_eq!(
            p.containers[0].loc.pointer,
            "/spec/jobTemplate/spec/template/spec/containers/0"
        );
        assert_eq!(p.containers[0].loc.pos.line, 7);
        let (p, _) = pod(
            "PodTemplate",
            "template:\n  spec:\n    containers: [{name: x}]\n",
        );
        assert_eq!(p.expect("pod").containers[0].name, "x");
        assert!(pod("Service", "spec: {}\n").0.is_none());
    }

    #[test]
    fn visits_all_container_lists_in_psa_order() {
        let (p, _) = pod(
            "Pod",
            "spec:\n  ephemeralContainers: [{name: e}]\n  containers: [{name: c}]\n  initContainers: [{name: i}]\n",
        );
        let names: Vec<_> = p
            .expect("pod")
            .containers
            .iter()
            .map(|c| c.name.clone())
            .collect();
        assert_eq!(names, ["i", "c", "e"]);
    }

    #[test]
    fn wrong_types_are_errors_with_positions() {
        let (p, errors) = pod(
            "Pod",
            "spec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: \"true\"\n",
        );
        assert!(
            p.expect("pod").containers[0]
                .security_context
                .as_ref()
                .expect("sc")
                .privileged
                .is_none()
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pos.line, 5);
        assert!(
            errors[0]
                .message
                .contains("/spec/containers/0/securityContext/privileged")
        );
    }

    #[test]
    fn volumes_without_a_source_default_to_empty_dir() {
        let (p, _) = pod(
            "Pod",
            "spec:\n  volumes:\n  - name: a\n  - name: b\n    hostPath: {path: /}\n  - name: c\n    weird: {}\n",
        );
        let types: Vec<_> = p
            .expect("pod")
            .volumes
            .iter()
            .map(|v| v.source.value.clone())
            .collect();
        assert_eq!(types, ["emptyDir", "hostPath", "unknown"]);
    }

    #[test]
    fn pointers_escape_keys() {
        let (p, _) = pod("Pod", "metadata:\n  annotations:\n    a/b~c: x\nspec: {}\n");
        assert_eq!(
            p.expect("pod").annotations[0].1.loc.pointer,
            "/metadata/annotations/a~1b~0c"
        );
    }
}
