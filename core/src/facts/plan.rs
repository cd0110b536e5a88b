//! Finding a component's files the way the component does, and telling a collector what to read.
//!
//! The kubelet's config file is the path in its `--config` flag, not a guessed default; its
//! kubeconfig is `--kubeconfig`; static pod manifests live in the kubelet's `staticPodPath`. The
//! same resolution serves the collector (what to read) and the evaluator (what was read), so
//! they cannot disagree. Pure: the facts in, paths out.

use super::argv::{Flag, last, parse_flags};
use super::{FileType, NodeFacts};
use crate::input::yaml::{self, Limits, Node, Value};

/// A Kubernetes component a node may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// kube-apiserver
    ApiServer,
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

impl Component {
    /// Every component.
    pub const ALL: [Component; 6] = [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
        Component::Kubelet,
        Component::Proxy,
    ];

    /// The binary name.
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
            Component::Kubelet => "kubelet",
            Component::Proxy => "kube-proxy",
        }
    }

    /// The component a command line runs, from the base name of `argv[0]`.
    pub fn of_command(argv0: &str) -> Option<Component> {
        let base = argv0.rsplit('/').next().unwrap_or(argv0);
        Component::ALL.into_iter().find(|c| c.binary() == base)
    }

    /// The static pod manifest file name kubeadm uses for a control-plane component.
    pub fn manifest_name(self) -> Option<&'static str> {
        match self {
            Component::ApiServer => Some("kube-apiserver.yaml"),
            Component::ControllerManager => Some("kube-controller-manager.yaml"),
            Component::Scheduler => Some("kube-scheduler.yaml"),
            Component::Etcd => Some("etcd.yaml"),
            Component::Kubelet | Component::Proxy => None,
        }
    }
}

/// Where a component's command line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandSource {
    /// A running process (index into `facts.processes`).
    Process(usize),
    /// The `command` and `args` of its static pod manifest (not running at collection time).
    StaticPod(String),
}

/// A component found on the node.
#[derive(Debug, Clone)]
pub struct Running {
    /// Which component.
    pub component: Component,
    /// Where its command line came from.
    pub source: CommandSource,
    /// Its command line.
    pub argv: Vec<String>,
    /// Its flags.
    pub flags: Vec<Flag>,
    /// Its configuring environment (`ETCD_*`).
    pub env: std::collections::BTreeMap<String, String>,
}

impl Running {
    /// The last value of a flag, and how many times it was given. An empty value, or a flag
    /// left without its value, is the same as not setting it.
    pub fn flag(&self, name: &str) -> Option<(&Flag, usize)> {
        last(&self.flags, name).filter(|(f, _)| !f.value.is_empty() && !f.missing_value)
    }
}

/// Why a config file a component names (`--config`) cannot be read: its settings are unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigUnavailable {
    /// The collector recorded an error for it (`error`); otherwise it was not collected, or
    /// cannot be what the component runs with (`warn`).
    pub collection_error: bool,
    /// What happened, naming the file.
    pub reason: String,
}

/// A file the benchmarks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A control-plane component's static pod manifest.
    Manifest(Component),
    /// kube-controller-manager's kubeconfig.
    ControllerManagerKubeconfig,
    /// kube-scheduler's kubeconfig.
    SchedulerKubeconfig,
    /// The kubeadm administrator kubeconfigs.
    AdminKubeconfig,
    /// etcd's data directory.
    EtcdDataDir,
    /// The Kubernetes PKI directory.
    PkiDir,
    /// The CNI configuration directory.
    CniConfDir,
    /// The kubelet's systemd unit or drop-in.
    KubeletService,
    /// The kubelet's kubeconfig.
    KubeletKubeconfig,
    /// The kubelet's config file.
    KubeletConfig,
    /// The CA bundle the kubelet authenticates clients with.
    KubeletClientCa,
    /// kube-proxy's kubeconfig.
    ProxyKubeconfig,
    /// kube-proxy's config file.
    ProxyConfig,
}

/// How a role resolved to paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// These paths, found this way (e.g. "kubelet --config").
    Paths(Vec<String>, String),
    /// The role does not apply on this node, and why.
    NotApplicable(String),
    /// Where the files are depends on a config file that is not available.
    Unknown(ConfigUnavailable),
}

/// Paths of the kubelet unit files kubeadm and distribution packages install.
const KUBELET_UNITS: &[&str] = &[
    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/lib/systemd/system/kubelet.service",
    "/etc/systemd/system/kubelet.service",
    "/usr/lib/systemd/system/kubelet.service",
];
const DEFAULT_MANIFEST_DIR: &str = "/etc/kubernetes/manifests";
const PKI_DIR: &str = "/etc/kubernetes/pki";
const CNI_DIR: &str = "/etc/cni/net.d";

/// The node as the benchmarks see it: which components run, with which flags and configs.
#[derive(Debug, Clone)]
pub struct NodeView<'a> {
    /// The facts.
    pub facts: &'a NodeFacts,
    /// The components found.
    pub running: Vec<Running>,
    /// The kubelet's config file, parsed, when it uses one and it was collected.
    pub kubelet_config: Option<(String, Node)>,
    /// kube-proxy's config file, parsed, when it uses one and it was collected.
    pub proxy_config: Option<(String, Node)>,
}

impl<'a> NodeView<'a> {
    /// Finds the components of a node: running processes first, then static pod manifests of
    /// control-plane components that were not running.
    pub fn new(facts: &'a NodeFacts) -> NodeView<'a> {
        let mut running: Vec<Running> = Vec::new();
        for (index, process) in facts.processes.iter().enumerate() {
            let Some(component) = process.argv.first().and_then(|a| Component::of_command(a))
            else {
                continue;
            };
            if running.iter().any(|r| r.component == component) {
                continue;
            }
            running.push(Running {
                component,
                source: CommandSource::Process(index),
                flags: parse_flags(&process.argv),
                argv: process.argv.clone(),
                env: process.env.clone(),
            });
        }
        let mut view = NodeView {
            facts,
            running,
            kubelet_config: None,
            proxy_config: None,
        };
        view.kubelet_config = view.config_of(Component::Kubelet);
        view.proxy_config = view.config_of(Component::Proxy);
        for component in [
            Component::ApiServer,
            Component::ControllerManager,
            Component::Scheduler,
            Component::Etcd,
        ] {
            if view.component(component).is_some() {
                continue;
            }
            let Resolved::Paths(paths, _) = view.resolve(Role::Manifest(component)) else {
                continue;
            };
            for path in paths {
                let argv = facts
                    .file(&path)
                    .and_then(|f| f.content.as_deref())
                    .and_then(static_pod_argv);
                if let Some(argv) = argv {
                    view.running.push(Running {
                        component,
                        source: CommandSource::StaticPod(path),
                        flags: parse_flags(&argv),
                        argv,
                        env: Default::default(),
                    });
                }
            }
        }
        view
    }

    /// The component, if it is on this node.
    pub fn component(&self, component: Component) -> Option<&Running> {
        self.running.iter().find(|r| r.component == component)
    }

    /// Why the config file a component names (`--config`) is not available, if it names one
    /// that is not (kubelet and kube-proxy).
    pub fn config_unavailable(&self, component: Component) -> Option<ConfigUnavailable> {
        let parsed = match component {
            Component::Kubelet => self.kubelet_config.is_some(),
            Component::Proxy => self.proxy_config.is_some(),
            _ => return None,
        };
        if parsed {
            return None;
        }
        let path = &self.component(component)?.flag("config")?.0.value;
        let file = self.facts.file(path);
        let (collection_error, reason) = match self.facts.error_for(path) {
            Some(err) => (
                true,
                format!(
                    "{path} (named by --config) could not be collected: {}",
                    err.message
                ),
            ),
            None if file.is_some_and(|f| f.content.is_some()) => (
                true,
                format!("{path} (named by --config) is not a valid YAML or JSON config"),
            ),
            None if file.is_some_and(|f| !f.exists) => (
                false,
                format!(
                    "{path} (named by --config) does not exist in the facts, though {} runs with it",
                    component.binary()
                ),
            ),
            None if file.is_some() => (
                false,
                format!("{path} (named by --config) was collected without its content"),
            ),
            None => (
                false,
                format!("{path} (named by --config) was not collected"),
            ),
        };
        Some(ConfigUnavailable {
            collection_error,
            reason,
        })
    }

    fn config_of(&self, component: Component) -> Option<(String, Node)> {
        let path = self.component(component)?.flag("config")?.0.value.clone();
        let content = self.facts.file(&path)?.content.as_deref()?;
        let (node, _) = yaml::parse_document(content, 0, Limits::default());
        node.map(|n| (path, n))
    }

    /// A key of the kubelet's config file (dotted path).
    pub fn kubelet_config_value(&self, path: &str) -> Option<String> {
        config_value(&self.kubelet_config.as_ref()?.1, path)
    }

    /// The manifest directory, as the kubelet sees it.
    fn manifest_dir(&self) -> (String, String) {
        let kubelet = self.component(Component::Kubelet);
        if let Some((flag, _)) = kubelet.and_then(|k| k.flag("pod-manifest-path")) {
            return (flag.value.clone(), "kubelet --pod-manifest-path".to_owned());
        }
        if let Some(path) = self.kubelet_config_value("staticPodPath") {
            return (path, "kubelet config staticPodPath".to_owned());
        }
        (
            DEFAULT_MANIFEST_DIR.to_owned(),
            "the kubeadm default".to_owned(),
        )
    }

    fn flag_or(&self, component: Component, flag: &str, default: Option<&str>) -> Resolved {
        let Some(running) = self.component(component) else {
            return Resolved::NotApplicable(format!(
                "{} is not running on this node",
                component.binary()
            ));
        };
        match (running.flag(flag), default) {
            (Some((f, _)), _) => Resolved::Paths(
                vec![f.value.clone()],
                format!("{} --{flag}", component.binary()),
            ),
            (None, Some(d)) => Resolved::Paths(
                vec![d.to_owned()],
                format!("the kubeadm default (no --{flag})"),
            ),
            (None, None) => {
                Resolved::NotApplicable(format!("{} has no --{flag}", component.binary()))
            }
        }
    }

    /// The paths a role stands for on this node.
    pub fn resolve(&self, role: Role) -> Resolved {
        match role {
            Role::Manifest(component) => {
                let (dir, how) = self.manifest_dir();
                let name = component.manifest_name().unwrap_or_default();
                Resolved::Paths(vec![format!("{}/{name}", dir.trim_end_matches('/'))], how)
            }
            Role::ControllerManagerKubeconfig => self.flag_or(
                Component::ControllerManager,
                "kubeconfig",
                Some("/etc/kubernetes/controller-manager.conf"),
            ),
            Role::SchedulerKubeconfig => self.flag_or(
                Component::Scheduler,
                "kubeconfig",
                Some("/etc/kubernetes/scheduler.conf"),
            ),
            Role::AdminKubeconfig => Resolved::Paths(
                vec![
                    "/etc/kubernetes/admin.conf".to_owned(),
                    "/etc/kubernetes/super-admin.conf".to_owned(),
                ],
                "the kubeadm administrator kubeconfigs".to_owned(),
            ),
            Role::EtcdDataDir => {
                let Some(etcd) = self.component(Component::Etcd) else {
                    return Resolved::NotApplicable("etcd is not running on this node".to_owned());
                };
                if let Some((f, _)) = etcd.flag("data-dir") {
                    Resolved::Paths(vec![f.value.clone()], "etcd --data-dir".to_owned())
                } else if let Some(dir) = etcd.env.get("ETCD_DATA_DIR") {
                    Resolved::Paths(
                        vec![dir.clone()],
                        "etcd environment ETCD_DATA_DIR".to_owned(),
                    )
                } else {
                    Resolved::Paths(
                        vec!["/var/lib/etcd".to_owned()],
                        "the kubeadm default".to_owned(),
                    )
                }
            }
            Role::PkiDir => Resolved::Paths(
                vec![PKI_DIR.to_owned()],
                "the kubeadm PKI directory".to_owned(),
            ),
            Role::CniConfDir => Resolved::Paths(
                vec![CNI_DIR.to_owned()],
                "the CNI configuration directory".to_owned(),
            ),
            Role::KubeletService => {
                if self.component(Component::Kubelet).is_none() {
                    return Resolved::NotApplicable(
                        "kubelet is not running on this node".to_owned(),
                    );
                }
                let found: Vec<String> = KUBELET_UNITS
                    .iter()
                    .filter(|p| self.facts.file(p).is_some_and(|f| f.exists))
                    .map(|p| (*p).to_owned())
                    .collect();
                if found.is_empty() {
                    Resolved::Paths(
                        KUBELET_UNITS.iter().map(|p| (*p).to_owned()).collect(),
                        "the systemd unit paths of kubeadm and packages".to_owned(),
                    )
                } else {
                    Resolved::Paths(
                        found,
                        "the systemd unit paths of kubeadm and packages".to_owned(),
                    )
                }
            }
            Role::KubeletKubeconfig => self.flag_or(Component::Kubelet, "kubeconfig", None),
            Role::KubeletConfig => self.flag_or(Component::Kubelet, "config", None),
            Role::KubeletClientCa => {
                let Some(kubelet) = self.component(Component::Kubelet) else {
                    return Resolved::NotApplicable(
                        "kubelet is not running on this node".to_owned(),
                    );
                };
                if let Some((f, _)) = kubelet.flag("client-ca-file") {
                    Resolved::Paths(vec![f.value.clone()], "kubelet --client-ca-file".to_owned())
                } else if let Some(path) =
                    self.kubelet_config_value("authentication.x509.clientCAFile")
                {
                    Resolved::Paths(
                        vec![path],
                        "kubelet config authentication.x509.clientCAFile".to_owned(),
                    )
                } else if let Some(unavailable) = self.config_unavailable(Component::Kubelet) {
                    Resolved::Unknown(unavailable)
                } else {
                    Resolved::NotApplicable("the kubelet sets no client CA file".to_owned())
                }
            }
            Role::ProxyKubeconfig => {
                let Some(proxy) = self.component(Component::Proxy) else {
                    return Resolved::NotApplicable(
                        "kube-proxy is not running on this node".to_owned(),
                    );
                };
                // With a config file, kube-proxy ignores its flags (the flag table says so).
                let flag = proxy
                    .flag("kubeconfig")
                    .filter(|_| proxy.flag("config").is_none());
                if let Some((f, _)) = flag {
                    Resolved::Paths(vec![f.value.clone()], "kube-proxy --kubeconfig".to_owned())
                } else if let Some(path) = self
                    .proxy_config
                    .as_ref()
                    .and_then(|(_, n)| config_value(n, "clientConnection.kubeconfig"))
                {
                    Resolved::Paths(
                        vec![path],
                        "kube-proxy config clientConnection.kubeconfig".to_owned(),
                    )
                } else if let Some(unavailable) = self.config_unavailable(Component::Proxy) {
                    Resolved::Unknown(unavailable)
                } else {
                    Resolved::NotApplicable(
                        "kube-proxy uses no kubeconfig file (in-cluster credentials)".to_owned(),
                    )
                }
            }
            Role::ProxyConfig => self.flag_or(Component::Proxy, "config", None),
        }
    }
}

/// A file a collector should read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileRequest {
    /// Absolute path on the node.
    pub path: String,
    /// Whether its text content is needed (config files only; never keys or kubeconfigs).
    pub content: bool,
    /// Whether to list a directory's entries (recursively) as well; with `content`, the
    /// content of the regular files in it is read too.
    pub list: bool,
}

/// What a node benchmark reads from a node beyond the Kubernetes components' own files, given
/// what has been collected so far. Each benchmark declares its own (`cis_ubuntu::file_requests`,
/// `containerd::file_requests`); `benchmarks::collection_plan` hands them all to [`plan`], so
/// this module never needs to know the benchmarks.
pub type Needs = fn(&NodeFacts) -> Vec<FileRequest>;

/// What a collector should read, given what it has collected so far: the Kubernetes
/// components' files (from their flags and config files) and what `benchmarks` declare. Call it
/// again after adding the files: a config file read in one round can name files for the next.
/// When one path is asked for twice, the first request wins.
pub fn plan(facts: &NodeFacts, benchmarks: &[Needs]) -> Vec<FileRequest> {
    let view = NodeView::new(facts);
    let mut requests: Vec<FileRequest> = Vec::new();
    let mut add = |path: &str, content: bool, list: bool| {
        if !requests.iter().any(|r| r.path == path) {
            requests.push(FileRequest {
                path: path.to_owned(),
                content,
                list,
            });
        }
    };
    let roles = [
        (Role::Manifest(Component::ApiServer), true, false),
        (Role::Manifest(Component::ControllerManager), true, false),
        (Role::Manifest(Component::Scheduler), true, false),
        (Role::Manifest(Component::Etcd), true, false),
        (Role::ControllerManagerKubeconfig, false, false),
        (Role::SchedulerKubeconfig, false, false),
        (Role::AdminKubeconfig, false, false),
        (Role::EtcdDataDir, false, false),
        (Role::PkiDir, false, true),
        (Role::CniConfDir, false, true),
        (Role::KubeletService, false, false),
        (Role::KubeletKubeconfig, false, false),
        (Role::KubeletConfig, true, false),
        (Role::KubeletClientCa, false, false),
        (Role::ProxyKubeconfig, false, false),
        (Role::ProxyConfig, true, false),
    ];
    for (role, content, list) in roles {
        if let Resolved::Paths(paths, _) = view.resolve(role) {
            for path in paths {
                add(&path, content, list);
            }
        }
    }
    // The kubelet unit candidates are all worth a look until one is found.
    for unit in KUBELET_UNITS {
        if view.component(Component::Kubelet).is_some() {
            add(unit, false, false);
        }
    }
    // What the other node benchmarks read (CIS Ubuntu, containerd), as each declares it.
    for needs in benchmarks {
        for r in needs(facts) {
            add(&r.path, r.content, r.list);
        }
    }
    requests.sort();
    requests
}

/// Whether a file fact is a directory.
pub fn is_dir(facts: &NodeFacts, path: &str) -> bool {
    facts
        .file(path)
        .is_some_and(|f| f.file_type == Some(FileType::Directory))
}

/// A dotted key of a YAML/JSON config (`authentication.anonymous.enabled`), as text; lists are
/// joined with commas.
pub fn config_value(root: &Node, path: &str) -> Option<String> {
    let mut node = root;
    for key in path.split('.') {
        node = node.get(key)?;
    }
    scalar_text(node)
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Str(s) => Some(s.clone()),
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(scalar_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Value::Map(entries) => Some(
            entries
                .iter()
                .filter_map(|e| scalar_text(&e.value).map(|v| format!("{}={v}", e.key)))
                .collect::<Vec<_>>()
                .join(","),
        ),
    }
}

/// The command line of a static pod manifest: its first container's `command` then `args`.
pub fn static_pod_argv(text: &str) -> Option<Vec<String>> {
    let (node, _) = yaml::parse_document(text, 0, Limits::default());
    let node = node?;
    let container = node.get("spec")?.get("containers")?.as_seq()?.first()?;
    let mut argv: Vec<String> = Vec::new();
    for key in ["command", "args"] {
        if let Some(items) = container.get(key).and_then(Node::as_seq) {
            argv.extend(items.iter().filter_map(scalar_text));
        }
    }
    (!argv.is_empty()).then_some(argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FileFact, Process};

    fn facts(processes: &[&[&str]], files: Vec<FileFact>) -> NodeFacts {
        let mut f = NodeFacts::new("n");
        f.processes = processes
            .iter()
            .enumerate()
            .map(|(i, argv)| Process {
                pid: 100 + i as u32,
                argv: argv.iter().map(|s| (*s).to_owned()).collect(),
                env: Default::default(),
            })
            .collect();
        f.files = files;
        f
    }

    fn file(path: &str, content: Option<&str>) -> FileFact {
        FileFact {
            path: path.to_owned(),
            exists: true,
            file_type: Some(FileType::File),
            mode: Some("0600".to_owned()),
            content: content.map(str::to_owned),
            ..FileFact::default()
        }
    }

    #[test]
    fn the_kubelet_config_comes_from_its_config_flag_and_names_more_files() {
        let round1 = facts(
            &[&[
                "/usr/bin/kubelet",
                "--config=/srv/kubelet.yaml",
                "--kubeconfig",
                "/srv/kubelet.conf",
            ]],
            vec![],
        );
        let paths: Vec<_> = plan(&round1, &[]).into_iter().map(|r| r.path).collect();
        assert!(paths.contains(&"/srv/kubelet.yaml".to_owned()));
        assert!(paths.contains(&"/srv/kubelet.conf".to_owned()));
        assert!(paths.contains(&"/etc/kubernetes/manifests/kube-apiserver.yaml".to_owned()));
        let config = "staticPodPath: /srv/manifests\nauthentication:\n  x509:\n    clientCAFile: /srv/ca.crt\n";
        let round2 = facts(
            &[&["/usr/bin/kubelet", "--config=/srv/kubelet.yaml"]],
            vec![file("/srv/kubelet.yaml", Some(config))],
        );
        let requests = plan(&round2, &[]);
        let paths: Vec<_> = requests.iter().map(|r| r.path.as_str()).collect();
        assert!(paths.contains(&"/srv/ca.crt"));
        assert!(paths.contains(&"/srv/manifests/kube-apiserver.yaml"));
        assert!(!paths.contains(&"/etc/kubernetes/manifests/kube-apiserver.yaml"));
        assert!(
            requests
                .iter()
                .any(|r| r.path == "/srv/kubelet.yaml" && r.content)
        );
        assert!(
            requests
                .iter()
                .any(|r| r.path == "/srv/ca.crt" && !r.content),
            "never the content of certificates"
        );
    }

    #[test]
    fn static_pods_stand_in_for_components_that_are_not_running() {
        let manifest = "spec:\n  containers:\n  - name: kube-scheduler\n    command: [kube-scheduler, --profiling=false]\n    args: [--bind-address=127.0.0.1]\n";
        let f = facts(
            &[],
            vec![file(
                "/etc/kubernetes/manifests/kube-scheduler.yaml",
                Some(manifest),
            )],
        );
        let view = NodeView::new(&f);
        let scheduler = view
            .component(Component::Scheduler)
            .expect("from its manifest");
        assert_eq!(
            scheduler
                .flag("bind-address")
                .map(|(f, _)| f.value.as_str()),
            Some("127.0.0.1")
        );
        assert!(matches!(scheduler.source, CommandSource::StaticPod(_)));
    }

    #[test]
    fn config_values_by_dotted_path() {
        let (node, _) = yaml::parse_document(
            "a:\n  b: true\n  list: [x, z]\n  gates: {A: true}\n",
            0,
            Limits::default(),
        );
        let node = node.expect("doc");
        assert_eq!(config_value(&node, "a.b").as_deref(), Some("true"));
        assert_eq!(config_value(&node, "a.list").as_deref(), Some("x,z"));
        assert_eq!(config_value(&node, "a.gates.A").as_deref(), Some("true"));
        assert_eq!(config_value(&node, "a.missing"), None);
    }
}
