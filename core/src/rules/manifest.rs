//! What manifest rules (RBAC, workload, network, image) see and return.
//!
//! A rule reads one resource at a time ([`Evaluator::Resource`]) or, when its verdict depends on
//! other objects (a namespace and its NetworkPolicies, a pod and its ServiceAccount), reads the
//! [`Index`] the engine builds while it reads every document ([`Evaluator::Cluster`]). The index
//! keeps only the few facts such rules need, so that the objects' trees can be freed as soon as
//! they are evaluated.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::input::manifest::Resource;
use crate::input::pod::{ContainerKind, Loc, template_path};
use crate::input::yaml::{Node, Value};
use crate::vocab::{ResourceRef, Status};

/// Settings of the rules that need them (the `settings` of the policy file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Registries (or registry/path prefixes, e.g. `ghcr.io/acme`) images may come from. Images
    /// without a registry are `docker.io` images (`nginx` is `docker.io/library/nginx`). Empty:
    /// rule IMG003 is not evaluated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_registries: Vec<String>,
    /// Images are expected to be distroless: commands run through a shell (`sh -c`) fail
    /// rule IMG005. Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expect_distroless: bool,
    /// How the OS benchmark (cis-ubuntu) treats a node: `kubernetes-node` exempts the checks a
    /// Kubernetes node must differ on (IP forwarding), `server` applies the benchmark as
    /// written, `auto` (the default) is `kubernetes-node` on nodes that run a kubelet.
    #[serde(default, skip_serializing_if = "NodeProfile::is_auto")]
    pub node_profile: NodeProfile,
    /// Rule IMG008 fails an image with a vulnerability of this severity or worse (default
    /// `high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_severity: Option<crate::rules::Severity>,
    /// Rule IMG009 fails a vulnerability scan older than this many days (default 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scan_age_days: Option<u32>,
}

impl Settings {
    /// IMG008's threshold.
    pub fn vulnerability_threshold(&self) -> crate::rules::Severity {
        self.vulnerability_severity
            .unwrap_or(crate::rules::Severity::High)
    }

    /// IMG009's limit.
    pub fn scan_age_limit(&self) -> u32 {
        self.max_scan_age_days.unwrap_or(7)
    }
}

/// The node profile of the OS benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum NodeProfile {
    /// `kubernetes-node` where a kubelet runs, else `server`.
    #[default]
    Auto,
    /// The benchmark with the documented exemptions a Kubernetes node needs.
    KubernetesNode,
    /// The benchmark as written.
    Server,
}

impl NodeProfile {
    fn is_auto(&self) -> bool {
        *self == NodeProfile::Auto
    }
}

/// One verdict of a rule on a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `Pass` or `Fail` (or `Manual` when the input cannot decide).
    pub status: Status,
    /// The container concerned, if one.
    pub container: Option<SmolStr>,
    /// The offending field (or its closest parent), or the object for a pass.
    pub loc: Loc,
    /// What is wrong, or what was checked (stored once, shared by every benchmark's result).
    pub message: SmolStr,
}

impl Finding {
    /// A failure at a field.
    pub fn fail(loc: Loc, container: Option<&str>, message: impl Into<SmolStr>) -> Finding {
        Finding {
            status: Status::Fail,
            container: container.map(SmolStr::from),
            loc,
            message: message.into(),
        }
    }

    /// A pass for the whole object.
    pub fn pass(loc: Loc, message: impl Into<SmolStr>) -> Finding {
        Finding {
            status: Status::Pass,
            container: None,
            loc,
            message: message.into(),
        }
    }
}

/// `fails`, or one pass at `loc` when there are none.
pub fn verdict(fails: Vec<Finding>, loc: Loc, passed: impl Into<SmolStr>) -> Vec<Finding> {
    if fails.is_empty() {
        vec![Finding::pass(loc, passed)]
    } else {
        fails
    }
}

/// How a manifest rule is evaluated.
#[derive(Debug, Clone, Copy)]
pub enum Evaluator {
    /// One resource at a time; an empty list means the rule does not apply to it.
    Resource(fn(&Subject<'_>, &Settings) -> Vec<Finding>),
    /// Across all scanned resources: findings with the index of the resource they are about.
    Cluster(fn(&Index) -> Vec<(usize, Finding)>),
}

/// A manifest rule's family and evaluator.
#[derive(Debug)]
pub struct ManifestCheck {
    /// The folder its fixtures live in (`rbac`, `workload`, `network`, `image`).
    pub family: &'static str,
    /// How it runs.
    pub evaluator: Evaluator,
}

/// A node of a resource and where it is.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// The value.
    pub node: &'a Node,
    /// Where it is (the key's position for a mapping entry).
    pub loc: Loc,
}

impl<'a> Field<'a> {
    /// The root of a resource.
    pub fn root(node: &'a Node) -> Field<'a> {
        Field {
            node,
            loc: Loc {
                pointer: String::new(),
                pos: node.pos,
            },
        }
    }

    /// The value of `key`, located at the key.
    pub fn get(&self, key: &str) -> Option<Field<'a>> {
        let entry = self.node.entry(key)?;
        Some(Field {
            node: &entry.value,
            loc: self.loc.child(key, entry.key_pos),
        })
    }

    /// Follows a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<Field<'a>> {
        let mut here = self.clone();
        for key in keys {
            here = here.get(key)?;
        }
        Some(here)
    }

    /// The items of a sequence (none for anything else).
    pub fn items(&self) -> Vec<Field<'a>> {
        self.node
            .as_seq()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, node)| Field {
                node,
                loc: self.loc.index(i, node.pos),
            })
            .collect()
    }

    /// The string value.
    pub fn str(&self) -> Option<&'a str> {
        self.node.as_str()
    }

    /// The strings of a sequence (non-strings skipped).
    pub fn strings(&self) -> Vec<&'a str> {
        self.node
            .as_seq()
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect()
    }

    /// The boolean value.
    pub fn bool(&self) -> Option<bool> {
        match self.node.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone)]
pub struct ContainerField<'a> {
    /// Its name (empty when missing).
    pub name: &'a str,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// The container object.
    pub field: Field<'a>,
}

/// A workload's pod spec.
#[derive(Debug, Clone)]
pub struct PodSpecField<'a> {
    /// The `spec` of the pod (or template).
    pub spec: Field<'a>,
    /// Init, regular and ephemeral containers, in that order.
    pub containers: Vec<ContainerField<'a>>,
}

impl<'a> PodSpecField<'a> {
    /// The pod spec of a workload resource, if its kind has one and it is there.
    pub fn of(kind: &str, root: &'a Node) -> Option<PodSpecField<'a>> {
        let template = Field::root(root).path(template_path(kind)?)?;
        let spec = template.get("spec")?;
        spec.node.as_map()?;
        let mut containers = Vec::new();
        for (key, kind) in [
            ("initContainers", ContainerKind::Init),
            ("containers", ContainerKind::Regular),
            ("ephemeralContainers", ContainerKind::Ephemeral),
        ] {
            for field in spec.get(key).map(|l| l.items()).unwrap_or_default() {
                if field.node.as_map().is_none() {
                    continue;
                }
                containers.push(ContainerField {
                    name: field.get("name").and_then(|n| n.str()).unwrap_or_default(),
                    kind,
                    field,
                });
            }
        }
        Some(PodSpecField { spec, containers })
    }

    /// Whether the pod declares `spec.os.name: windows`.
    pub fn is_windows(&self) -> bool {
        self.spec.path(&["os", "name"]).and_then(|f| f.str()) == Some("windows")
    }
}

/// What a per-resource rule evaluates.
#[derive(Debug)]
pub struct Subject<'a> {
    /// The resource.
    pub resource: &'a Resource,
    /// Its root, located.
    pub root: Field<'a>,
    /// Its pod spec, for workloads.
    pub pod: Option<PodSpecField<'a>>,
    /// Image reports (SBOMs, scans) among the inputs, for the rules that read the images.
    pub images: &'a Images,
}

/// The image reports of a scan, and today's date (for the age of scans).
#[derive(Debug, Default)]
pub struct Images {
    /// The reports, in input order.
    pub reports: Vec<crate::images::ImageReport>,
    /// Today.
    pub now: Option<crate::vocab::Date>,
}

static NO_IMAGES: Images = Images {
    reports: Vec::new(),
    now: None,
};

impl<'a> Subject<'a> {
    /// Wraps a resource.
    pub fn new(resource: &'a Resource) -> Subject<'a> {
        Subject::with_images(resource, &NO_IMAGES)
    }

    /// Wraps a resource, with the scan's image reports.
    pub fn with_images(resource: &'a Resource, images: &'a Images) -> Subject<'a> {
        Subject {
            resource,
            root: Field::root(&resource.node),
            pod: PodSpecField::of(&resource.identity.kind, &resource.node),
            images,
        }
    }

    /// The location of `metadata.name` (or the object when it has none).
    pub fn name_loc(&self) -> Loc {
        self.root
            .path(&["metadata", "name"])
            .map_or_else(|| self.root.loc.clone(), |f| f.loc)
    }
}

/// Where a resource of the input is, for findings made after its tree was freed.
#[derive(Debug, Clone)]
pub struct IndexedResource {
    /// Its identity.
    pub identity: std::sync::Arc<ResourceRef>,
    /// Its file.
    pub file: SmolStr,
    /// Its pointer inside the document.
    pub base_pointer: String,
    /// Its Helm template.
    pub helm_source: Option<SmolStr>,
    /// `metadata.name`, located.
    pub name_loc: Loc,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.uid`, which the API server sets (objects read back from a cluster have it).
    pub uid: Option<SmolStr>,
    /// The owner reference marked `controller: true` (a Pod's ReplicaSet, a ReplicaSet's
    /// Deployment, a Job's CronJob), if any.
    pub controller: Option<OwnerRef>,
}

/// An entry of `metadata.ownerReferences`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRef {
    /// `kind`
    pub kind: SmolStr,
    /// `name`
    pub name: SmolStr,
    /// `uid`, if given.
    pub uid: Option<SmolStr>,
}

/// A workload's service account facts (CIS 5.1.6).
#[derive(Debug, Clone)]
pub struct PodAccount {
    /// The workload (index into [`Index::resources`]).
    pub resource: usize,
    /// `spec.serviceAccountName` (or the deprecated `serviceAccount`), `default` when unset.
    pub service_account: String,
    /// `spec.automountServiceAccountToken` and where it is; else where the spec is.
    pub automount: Option<bool>,
    /// The field, or the pod spec when it is not set.
    pub loc: Loc,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The binding (index into [`Index::resources`]).
    pub resource: usize,
    /// `roleRef.kind` and `roleRef.name`.
    pub role: (String, String),
    /// Subjects as `Kind name` (`ServiceAccount ns/name`).
    pub subjects: Vec<String>,
}

/// Who holds a role, from the bindings in the input.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Holders {
    /// The subjects that hold it, sorted.
    pub subjects: Vec<String>,
    /// RoleBindings (`namespace/name`) that bind a ClusterRole but cannot grant what was asked
    /// (its cluster-scoped resources).
    pub namespaced_bindings: Vec<String>,
}

/// The facts cross-resource rules need, gathered from every scanned document.
#[derive(Debug, Default)]
pub struct Index {
    /// Every resource, in input order.
    pub resources: Vec<IndexedResource>,
    /// Namespaces with at least one NetworkPolicy in the input.
    pub network_policy_namespaces: BTreeSet<SmolStr>,
    /// ServiceAccounts by (namespace, name): their `automountServiceAccountToken`.
    pub service_accounts: BTreeMap<(Option<SmolStr>, SmolStr), Option<bool>>,
    /// Workloads and the service account their pods run as.
    pub pods: Vec<PodAccount>,
    /// Role bindings.
    pub bindings: Vec<Binding>,
}

impl Index {
    /// Records what cross-resource rules need to know about a resource.
    pub fn add(&mut self, resource: &Resource) {
        let subject = Subject::new(resource);
        let id = &resource.identity;
        let labels = subject
            .root
            .path(&["metadata", "labels"])
            .and_then(|l| l.node.as_map())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| Some((e.key.clone(), e.value.as_str()?.to_owned())))
            .collect();
        let index = self.resources.len();
        self.resources.push(IndexedResource {
            identity: id.clone(),
            file: resource.file.clone(),
            base_pointer: resource.base_pointer.clone(),
            helm_source: resource.helm_source.clone(),
            name_loc: subject.name_loc(),
            labels,
            uid: subject
                .root
                .path(&["metadata", "uid"])
                .and_then(|f| f.str())
                .filter(|u| !u.is_empty())
                .map(SmolStr::from),
            controller: subject
                .root
                .path(&["metadata", "ownerReferences"])
                .map(|f| f.items())
                .unwrap_or_default()
                .into_iter()
                .find(|o| o.get("controller").and_then(|c| c.bool()) == Some(true))
                .and_then(|o| {
                    let text = |k: &str| o.get(k).and_then(|f| f.str()).filter(|v| !v.is_empty());
                    Some(OwnerRef {
                        kind: text("kind")?.into(),
                        name: text("name")?.into(),
                        uid: text("uid").map(SmolStr::from),
                    })
                }),
        });
        match id.kind.as_str() {
            "NetworkPolicy" => {
                if let Some(ns) = &id.namespace {
                    self.network_policy_namespaces.insert(ns.to_string().into());
                }
            }
            "ServiceAccount" => {
                let automount = subject
                    .root
                    .get("automountServiceAccountToken")
                    .and_then(|f| f.bool());
                self.service_accounts.insert(
                    (
                        id.namespace.clone().map(|s| s.to_string()).map(Into::into),
                        id.name.to_string().into(),
                    ),
                    automount,
                );
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_ref = subject.root.get("roleRef");
                let part = |key: &str| {
                    role_ref
                        .as_ref()
                        .and_then(|r| r.get(key))
                        .and_then(|f| f.str().map(str::to_owned))
                        .unwrap_or_default()
                };
                let subjects = subject
                    .root
                    .get("subjects")
                    .map(|s| s.items())
                    .unwrap_or_default()
                    .iter()
                    .map(|s| subject_name(s, id.namespace.as_deref()))
                    .collect();
                self.bindings.push(Binding {
                    resource: index,
                    role: (part("kind"), part("name")),
                    subjects,
                });
            }
            _ => {}
        }
        if let Some(pod) = &subject.pod {
            let account = ["serviceAccountName", "serviceAccount"]
                .iter()
                .find_map(|k| pod.spec.get(k).and_then(|f| f.str().map(str::to_owned)))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".to_owned());
            let field = pod.spec.get("automountServiceAccountToken");
            self.pods.push(PodAccount {
                resource: index,
                service_account: account,
                automount: field.as_ref().and_then(Field::bool),
                loc: field.map_or_else(|| pod.spec.loc.clone(), |f| f.loc),
            });
        }
    }

    /// Adds another index's facts after this one's (the next file's), renumbering its
    /// resources to follow this index's.
    pub fn append(&mut self, other: Index) {
        let offset = self.resources.len();
        self.resources.extend(other.resources);
        self.network_policy_namespaces
            .extend(other.network_policy_namespaces);
        // The last ServiceAccount of a name wins, as when the objects are added one by one.
        self.service_accounts.extend(other.service_accounts);
        self.pods.extend(other.pods.into_iter().map(|mut p| {
            p.resource += offset;
            p
        }));
        self.bindings
            .extend(other.bindings.into_iter().map(|mut b| {
                b.resource += offset;
                b
            }));
    }

    /// The subjects bound to a Role or ClusterRole by the bindings in the input.
    pub fn subjects_of(&self, kind: &str, namespace: Option<&str>, name: &str) -> Vec<String> {
        self.holders(kind, namespace, name, false).subjects
    }

    /// Who holds a Role or ClusterRole through the bindings in the input. With `cluster_scoped`,
    /// only ClusterRoleBindings count: a RoleBinding grants a ClusterRole's rules in its own
    /// namespace only, so never its cluster-scoped resources.
    pub fn holders(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        cluster_scoped: bool,
    ) -> Holders {
        let mut out = Holders::default();
        for b in self
            .bindings
            .iter()
            .filter(|b| b.role.0 == kind && b.role.1 == name)
        {
            let Some(binding) = self.resources.get(b.resource) else {
                continue;
            };
            let id = &binding.identity;
            // A Role can only be bound in its own namespace.
            if kind != "ClusterRole" && id.namespace.as_deref() != namespace {
                continue;
            }
            if cluster_scoped && id.kind != "ClusterRoleBinding" {
                out.namespaced_bindings.push(match id.namespace.as_deref() {
                    Some(ns) => format!("{ns}/{}", id.name),
                    None => format!("{} (namespace not set)", id.name),
                });
                continue;
            }
            out.subjects.extend(b.subjects.iter().cloned());
        }
        for list in [&mut out.subjects, &mut out.namespaced_bindings] {
            list.sort();
            list.dedup();
        }
        out
    }
}

/// `ServiceAccount ns/name`, `User alice`, `Group system:masters`; a service account whose
/// namespace neither the subject nor its binding sets is `ServiceAccount name (namespace not
/// set)`.
pub fn subject_name(subject: &Field<'_>, binding_namespace: Option<&str>) -> String {
    let get = |k: &str| subject.get(k).and_then(|f| f.str()).unwrap_or_default();
    let kind = get("kind");
    if kind == "ServiceAccount" {
        let ns = Some(get("namespace"))
            .filter(|n| !n.is_empty())
            .or(binding_namespace);
        match ns {
            Some(ns) => format!("ServiceAccount {ns}/{}", get("name")),
            None => format!("ServiceAccount {} (namespace not set)", get("name")),
        }
    } else {
        format!("{kind} {}", get("name"))
    }
}
