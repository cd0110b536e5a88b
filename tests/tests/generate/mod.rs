//! The manifest generator of the property tests: manifests built from the fields the rules
//! read (security contexts, host namespaces, volumes, capabilities, images, RBAC rules, ...)
//! with values that include YAML 1.1 oddities (`yes`, `0o17`, `~`), values of the wrong type,
//! out-of-range numbers and broken documents. Shared by the native-versus-wasm parity property
//! and the fix-all property.

use proptest::prelude::*;

/// A YAML value as text tokens: scalars are written as they are (plain or quoted).
#[derive(Debug, Clone)]
enum Y {
    Scalar(&'static str),
    Map(Vec<(&'static str, Y)>),
    Seq(Vec<Y>),
}

impl Y {
    /// Flow style: `{a: b, c: [d, e]}`.
    fn flow(&self, out: &mut String) {
        match self {
            Y::Scalar(s) => out.push_str(s),
            Y::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    v.flow(out);
                }
                out.push('}');
            }
            Y::Seq(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.flow(out);
                }
                out.push(']');
            }
        }
    }

    /// Block style for mappings (the way manifests are written), flow inside sequences.
    fn block(&self, indent: usize, out: &mut String) {
        match self {
            Y::Map(entries) if !entries.is_empty() => {
                for (k, v) in entries {
                    out.push_str(&" ".repeat(indent));
                    out.push_str(k);
                    out.push(':');
                    match v {
                        Y::Map(inner) if !inner.is_empty() => {
                            out.push('\n');
                            v.block(indent + 2, out);
                        }
                        Y::Seq(items) if !items.is_empty() => {
                            out.push('\n');
                            for item in items {
                                out.push_str(&" ".repeat(indent));
                                out.push_str("- ");
                                item.flow(out);
                                out.push('\n');
                            }
                        }
                        _ => {
                            out.push(' ');
                            v.flow(out);
                            out.push('\n');
                        }
                    }
                }
            }
            other => {
                out.push_str(&" ".repeat(indent));
                other.flow(out);
                out.push('\n');
            }
        }
    }
}

fn pick(values: &'static [&'static str]) -> BoxedStrategy<Y> {
    proptest::sample::select(values).prop_map(Y::Scalar).boxed()
}

const BOOLS: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "\"true\"", "~", "1", "True",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "1000",
    "-1",
    "65535",
    "0o17",
    "010",
    "1e3",
    "99999999999999999999",
    "\"0\"",
    "~",
];
const CAPS: &[&str] = &[
    "ALL",
    "NET_RAW",
    "SYS_ADMIN",
    "CHOWN",
    "NET_BIND_SERVICE",
    "SETUID",
    "CAP_SYS_ADMIN",
    "all",
];
const IMAGES: &[&str] = &[
    "nginx",
    "nginx:1.25",
    "nginx:latest",
    "registry.example.com/app:1.0",
    "registry.example.com/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    "\"\"",
    "docker.io/library/busybox",
];
const SECCOMP: &[&str] = &["RuntimeDefault", "Unconfined", "Localhost", "bogus", "~"];
const PATHS: &[&str] = &[
    "/var/run/docker.sock",
    "/etc",
    "/",
    "/proc",
    "/data",
    "\"\"",
];
const SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.tcp_syncookies",
    "kernel.msgmax",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ping_group_range",
    "vm.swappiness",
];
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "\"*\"",
    "bind",
    "escalate",
    "impersonate",
    "approve",
];
const RESOURCES: &[&str] = &[
    "pods",
    "secrets",
    "\"*\"",
    "nodes/proxy",
    "pods/exec",
    "serviceaccounts/token",
    "certificatesigningrequests/approval",
    "persistentvolumes",
    "validatingwebhookconfigurations",
];

/// Some of `fields`, each with its value strategy, in order.
fn some_of(fields: Vec<(&'static str, BoxedStrategy<Y>)>) -> BoxedStrategy<Y> {
    let n = fields.len();
    let (keys, strategies): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    (proptest::collection::vec(any::<bool>(), n), strategies)
        .prop_map(move |(wanted, values)| {
            Y::Map(
                keys.iter()
                    .zip(values)
                    .zip(wanted)
                    .filter(|(_, w)| *w)
                    .map(|((k, v), _)| (*k, v))
                    .collect(),
            )
        })
        .boxed()
}

fn list(item: BoxedStrategy<Y>, max: usize) -> BoxedStrategy<Y> {
    proptest::collection::vec(item, 0..=max)
        .prop_map(Y::Seq)
        .boxed()
}

fn security_context(pod_level: bool) -> BoxedStrategy<Y> {
    let mut fields = vec![
        ("runAsNonRoot", pick(BOOLS)),
        ("runAsUser", pick(INTS)),
        ("runAsGroup", pick(INTS)),
        (
            "seccompProfile",
            some_of(vec![
                ("type", pick(SECCOMP)),
                ("localhostProfile", pick(&["profiles/a.json", "~"])),
            ]),
        ),
        (
            "appArmorProfile",
            some_of(vec![(
                "type",
                pick(&["RuntimeDefault", "Unconfined", "Localhost"]),
            )]),
        ),
        (
            "seLinuxOptions",
            some_of(vec![
                (
                    "type",
                    pick(&["container_t", "spc_t", "container_init_t", "x_t"]),
                ),
                ("user", pick(&["system_u", "\"\""])),
                ("role", pick(&["system_r"])),
            ]),
        ),
        (
            "windowsOptions",
            some_of(vec![("hostProcess", pick(BOOLS))]),
        ),
    ];
    if pod_level {
        fields.push((
            "sysctls",
            list(
                some_of(vec![
                    ("name", pick(SYSCTLS)),
                    ("value", pick(&["\"1\"", "0"])),
                ]),
                2,
            ),
        ));
        fields.push(("fsGroup", pick(INTS)));
    } else {
        fields.extend([
            ("privileged", pick(BOOLS)),
            ("allowPrivilegeEscalation", pick(BOOLS)),
            ("readOnlyRootFilesystem", pick(BOOLS)),
            ("procMount", pick(&["Default", "Unmasked", "bogus"])),
            (
                "capabilities",
                some_of(vec![
                    ("add", list(pick(CAPS), 2)),
                    ("drop", list(pick(CAPS), 2)),
                ]),
            ),
        ]);
    }
    some_of(fields)
}

/// A mapping with `name` first (containers and metadata are written that way).
fn named(name: Y, rest: Y) -> Y {
    let Y::Map(mut fields) = rest else {
        return rest;
    };
    fields.insert(0, ("name", name));
    Y::Map(fields)
}

fn container() -> BoxedStrategy<Y> {
    (
        pick(&["app", "sidecar", "init"]),
        // The API server rejects a container without an image (an input error, not evaluated):
        // nearly every generated container has one, so that most cases are evaluated.
        proptest::option::weighted(0.95, pick(IMAGES)),
        some_of(vec![
            (
                "imagePullPolicy",
                pick(&["Always", "IfNotPresent", "Never"]),
            ),
            ("securityContext", security_context(false)),
            (
                "ports",
                list(
                    some_of(vec![
                        ("containerPort", pick(INTS)),
                        ("hostPort", pick(INTS)),
                    ]),
                    2,
                ),
            ),
            (
                "resources",
                some_of(vec![(
                    "limits",
                    some_of(vec![
                        ("cpu", pick(&["\"1\"", "500m"])),
                        ("memory", pick(&["128Mi", "1Gi"])),
                    ]),
                )]),
            ),
            ("command", list(pick(&["sh", "-c", "/bin/app", "bash"]), 3)),
            (
                "env",
                list(
                    some_of(vec![
                        ("name", pick(&["TOKEN", "MODE"])),
                        (
                            "valueFrom",
                            some_of(vec![(
                                "secretKeyRef",
                                some_of(vec![("name", pick(&["s"])), ("key", pick(&["k"]))]),
                            )]),
                        ),
                    ]),
                    2,
                ),
            ),
        ]),
    )
        .prop_map(|(name, image, rest)| {
            let rest = match (image, rest) {
                (Some(image), Y::Map(mut fields)) => {
                    fields.insert(0, ("image", image));
                    Y::Map(fields)
                }
                (_, rest) => rest,
            };
            named(name, rest)
        })
        .boxed()
}

fn volume() -> BoxedStrategy<Y> {
    prop_oneof![
        pick(PATHS).prop_map(|p| Y::Map(vec![
            ("name", Y::Scalar("v")),
            ("hostPath", Y::Map(vec![("path", p)]))
        ])),
        Just(Y::Map(vec![
            ("name", Y::Scalar("e")),
            ("emptyDir", Y::Map(vec![]))
        ])),
        Just(Y::Map(vec![
            ("name", Y::Scalar("s")),
            ("secret", Y::Map(vec![("secretName", Y::Scalar("s"))]))
        ])),
    ]
    .boxed()
}

fn pod_spec() -> BoxedStrategy<Y> {
    (
        // A Pod needs at least one container (zero is an input error); one case in eight has none.
        prop_oneof![
            1 => Just(Vec::new()),
            7 => proptest::collection::vec(container(), 1..3),
        ],
        some_of(vec![
            ("hostNetwork", pick(BOOLS)),
            ("hostPID", pick(BOOLS)),
            ("hostIPC", pick(BOOLS)),
            ("hostUsers", pick(BOOLS)),
            ("automountServiceAccountToken", pick(BOOLS)),
            ("serviceAccountName", pick(&["default", "app"])),
            ("securityContext", security_context(true)),
            ("initContainers", list(container(), 1)),
            ("volumes", list(volume(), 2)),
            ("os", some_of(vec![("name", pick(&["linux", "windows"]))])),
        ]),
    )
        .prop_map(|(containers, rest)| {
            let Y::Map(mut fields) = rest else {
                return rest;
            };
            fields.insert(0, ("containers", Y::Seq(containers)));
            Y::Map(fields)
        })
        .boxed()
}

fn metadata() -> BoxedStrategy<Y> {
    (
        pick(&["a", "b", "web"]),
        some_of(vec![
            ("namespace", pick(&["default", "prod", "kube-system"])),
            ("labels", some_of(vec![("app", pick(&["web", "db"]))])),
            (
                "annotations",
                some_of(vec![(
                    "container.apparmor.security.beta.kubernetes.io/app",
                    pick(&["runtime/default", "unconfined", "localhost/x"]),
                )]),
            ),
        ]),
    )
        .prop_map(|(name, rest)| named(name, rest))
        .boxed()
}

fn object(
    api_version: &'static str,
    kind: &'static str,
    metadata: Y,
    rest: Vec<(&'static str, Y)>,
) -> Y {
    let mut fields = vec![
        ("apiVersion", Y::Scalar(api_version)),
        ("kind", Y::Scalar(kind)),
        ("metadata", metadata),
    ];
    fields.extend(rest);
    Y::Map(fields)
}

fn template(spec: Y) -> Y {
    Y::Map(vec![("spec", spec)])
}

/// One document: a workload, an RBAC object, a namespace or policy, or broken YAML.
fn document() -> BoxedStrategy<String> {
    let workload = (
        proptest::sample::select(&["Pod", "Deployment", "DaemonSet", "Job", "CronJob"][..]),
        metadata(),
        pod_spec(),
    )
        .prop_map(|(kind, meta, spec)| match kind {
            "Pod" => object("v1", "Pod", meta, vec![("spec", spec)]),
            "Job" => object(
                "batch/v1",
                "Job",
                meta,
                vec![("spec", Y::Map(vec![("template", template(spec))]))],
            ),
            "CronJob" => object(
                "batch/v1",
                "CronJob",
                meta,
                vec![(
                    "spec",
                    Y::Map(vec![(
                        "jobTemplate",
                        Y::Map(vec![("spec", Y::Map(vec![("template", template(spec))]))]),
                    )]),
                )],
            ),
            other => object(
                "apps/v1",
                other,
                meta,
                vec![("spec", Y::Map(vec![("template", template(spec))]))],
            ),
        });
    let rbac = (
        proptest::sample::select(&["Role", "ClusterRole"][..]),
        metadata(),
        list(
            some_of(vec![
                (
                    "apiGroups",
                    list(pick(&["\"\"", "\"*\"", "apps", "certificates.k8s.io"]), 2),
                ),
                ("resources", list(pick(RESOURCES), 3)),
                ("verbs", list(pick(VERBS), 3)),
            ]),
            3,
        ),
    )
        .prop_map(|(kind, meta, rules)| {
            object(
                "rbac.authorization.k8s.io/v1",
                kind,
                meta,
                vec![("rules", rules)],
            )
        });
    let binding = (
        metadata(),
        pick(&["cluster-admin", "a", "web"]),
        pick(&["system:masters", "default", "app"]),
    )
        .prop_map(|(meta, role, subject)| {
            object(
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                meta,
                vec![
                    (
                        "roleRef",
                        Y::Map(vec![("kind", Y::Scalar("ClusterRole")), ("name", role)]),
                    ),
                    (
                        "subjects",
                        Y::Seq(vec![Y::Map(vec![
                            ("kind", Y::Scalar("Group")),
                            ("name", subject),
                        ])]),
                    ),
                ],
            )
        });
    let other = (
        proptest::sample::select(&["Namespace", "NetworkPolicy", "Service", "ServiceAccount"][..]),
        metadata(),
    )
        .prop_map(|(kind, meta)| {
            let api = if kind == "NetworkPolicy" {
                "networking.k8s.io/v1"
            } else {
                "v1"
            };
            object(api, kind, meta, vec![])
        });
    prop_oneof![
        6 => workload.prop_map(|y| { let mut s = String::new(); y.block(0, &mut s); s }),
        2 => rbac.prop_map(|y| { let mut s = String::new(); y.block(0, &mut s); s }),
        1 => binding.prop_map(|y| { let mut s = String::new(); y.block(0, &mut s); s }),
        1 => other.prop_map(|y| { let mut s = String::new(); y.flow(&mut s); s.push('\n'); s }),
        1 => proptest::sample::select(&[
            "kind: Pod\nmetadata: {name: broken\nspec: [\n",
            "- just\n- a list\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: dup}\nspec:\n  containers: []\n  containers: [{name: a, image: x}]\n",
            "a: &x [1, 2]\nb: *x\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: alias}\n",
        ][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

pub fn case() -> impl Strategy<Value = (Vec<String>, Vec<&'static str>, &'static str)> {
    (
        proptest::collection::vec(
            proptest::collection::vec(document(), 1..4).prop_map(|docs| docs.join("---\n")),
            1..3,
        ),
        proptest::sample::subsequence(
            vec![
                "pss-baseline",
                "pss-restricted@v1.25",
                "pss-restricted@latest",
                "cis-k8s",
                "nsa-cisa",
                "image-hygiene",
            ],
            1..4,
        ),
        proptest::sample::select(&["json", "sarif", "text", "junit", "markdown"][..]),
    )
}
