//! The CIS Kubernetes Benchmark on node facts: a node configured to pass every automated check
//! and one configured to fail every automated check, in both benchmark versions, plus the cases
//! where a careful auditor says neither pass nor fail (component absent, file not collected,
//! collection errors).

mod common;

use stockade_core::benchmarks::cis::{self, CisVersion};
use stockade_core::facts::{FileFact, FileType, KubernetesInfo, NodeFacts, Process};
use stockade_core::report::{Report, Status, json, text};
use stockade_core::{Input, Options, SourceFile, evaluate};

fn process(pid: u32, argv: &[&str]) -> Process {
    Process {
        pid,
        argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        env: Default::default(),
    }
}

fn file(path: &str, mode: &str, owner: (&str, u32)) -> FileFact {
    FileFact {
        path: path.to_owned(),
        exists: true,
        file_type: Some(FileType::File),
        mode: Some(mode.to_owned()),
        uid: Some(owner.1),
        gid: Some(owner.1),
        user: Some(owner.0.to_owned()),
        group: Some(owner.0.to_owned()),
        ..FileFact::default()
    }
}

fn dir(path: &str, mode: &str, owner: (&str, u32)) -> FileFact {
    FileFact {
        file_type: Some(FileType::Directory),
        ..file(path, mode, owner)
    }
}

fn with_content(mut f: FileFact, content: &str) -> FileFact {
    f.content = Some(content.to_owned());
    f
}

const ROOT: (&str, u32) = ("root", 0);
const ETCD: (&str, u32) = ("etcd", 1001);
const NOBODY: (&str, u32) = ("nobody", 65534);

/// A control-plane node (which also runs a kubelet and kube-proxy) in good order.
fn compliant() -> NodeFacts {
    let mut f = NodeFacts::new("cp-good");
    f.kubernetes = Some(KubernetesInfo {
        version: Some("v1.33.2".to_owned()),
    });
    f.processes = vec![
        process(
            101,
            &[
                "kube-apiserver",
                "--anonymous-auth=false",
                "--authorization-mode=Node,RBAC",
                "--client-ca-file=/etc/kubernetes/pki/ca.crt",
                "--enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs",
                "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
                "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
                "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
                "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
                "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
                "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
                "--profiling=false",
                "--audit-log-path=/var/log/kubernetes/audit.log",
                "--audit-log-maxage=30",
                "--audit-log-maxbackup=10",
                "--audit-log-maxsize=100",
                "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
                "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
                "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
                "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
                "--encryption-provider-config=/etc/kubernetes/encryption.yaml",
                "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "--service-account-extend-token-expiration=false",
            ],
        ),
        process(
            102,
            &[
                "kube-controller-manager",
                "--kubeconfig=/etc/kubernetes/controller-manager.conf",
                "--terminated-pod-gc-threshold=10",
                "--profiling=false",
                "--use-service-account-credentials=true",
                "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
                "--root-ca-file=/etc/kubernetes/pki/ca.crt",
                "--bind-address=127.0.0.1",
            ],
        ),
        process(
            103,
            &[
                "kube-scheduler",
                "--kubeconfig=/etc/kubernetes/scheduler.conf",
                "--profiling=false",
                "--bind-address=127.0.0.1",
            ],
        ),
        process(
            104,
            &[
                "etcd",
                "--data-dir=/var/lib/etcd",
                "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
                "--key-file=/etc/kubernetes/pki/etcd/server.key",
                "--client-cert-auth=true",
                "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
                "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
                "--peer-client-cert-auth=true",
            ],
        ),
        process(
            105,
            &[
                "/usr/bin/kubelet",
                "--config=/var/lib/kubelet/config.yaml",
                "--kubeconfig=/etc/kubernetes/kubelet.conf",
            ],
        ),
        process(
            106,
            &[
                "/usr/local/bin/kube-proxy",
                "--config=/var/lib/kube-proxy/config.conf",
            ],
        ),
    ];
    let kubelet_config = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nauthorization:\n  mode: Webhook\nreadOnlyPort: 0\nstreamingConnectionIdleTimeout: 5m\neventRecordQPS: 50\ntlsCertFile: /var/lib/kubelet/pki/kubelet.crt\ntlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet.key\nrotateCertificates: true\ntlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\npodPidsLimit: 4096\nseccompDefault: true\nstaticPodPath: /etc/kubernetes/manifests\n";
    let proxy_config = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nmetricsBindAddress: 127.0.0.1:10249\n";
    f.files = vec![
        file(
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "0600",
            ROOT,
        ),
        file(
            "/etc/kubernetes/manifests/kube-controller-manager.yaml",
            "0600",
            ROOT,
        ),
        file(
            "/etc/kubernetes/manifests/kube-scheduler.yaml",
            "0600",
            ROOT,
        ),
        file("/etc/kubernetes/manifests/etcd.yaml", "0600", ROOT),
        dir("/etc/cni/net.d", "0755", ROOT),
        file("/etc/cni/net.d/10-calico.conflist", "0600", ROOT),
        dir("/var/lib/etcd", "0700", ETCD),
        file("/etc/kubernetes/admin.conf", "0600", ROOT),
        file("/etc/kubernetes/super-admin.conf", "0600", ROOT),
        file("/etc/kubernetes/scheduler.conf", "0600", ROOT),
        file("/etc/kubernetes/controller-manager.conf", "0600", ROOT),
        dir("/etc/kubernetes/pki", "0755", ROOT),
        file("/etc/kubernetes/pki/ca.crt", "0644", ROOT),
        file("/etc/kubernetes/pki/ca.key", "0600", ROOT),
        dir("/etc/kubernetes/pki/etcd", "0755", ROOT),
        file("/etc/kubernetes/pki/etcd/ca.crt", "0644", ROOT),
        file("/etc/kubernetes/pki/etcd/ca.key", "0600", ROOT),
        file(
            "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
            "0600",
            ROOT,
        ),
        file("/etc/kubernetes/kubelet.conf", "0600", ROOT),
        with_content(
            file("/var/lib/kubelet/config.yaml", "0600", ROOT),
            kubelet_config,
        ),
        with_content(
            file("/var/lib/kube-proxy/config.conf", "0600", ROOT),
            proxy_config,
        ),
        file("/var/lib/kube-proxy/kubeconfig.conf", "0600", ROOT),
    ];
    f
}

/// The same node with every automated check broken.
fn noncompliant() -> NodeFacts {
    let mut f = NodeFacts::new("cp-bad");
    f.kubernetes = Some(KubernetesInfo {
        version: Some("1.30.4".to_owned()),
    });
    f.processes = vec![
        process(
            201,
            &[
                "kube-apiserver",
                "--anonymous-auth=true",
                "--token-auth-file=/etc/kubernetes/tokens.csv",
                "--authorization-mode=AlwaysAllow",
                "--enable-admission-plugins=AlwaysAdmit",
                "--disable-admission-plugins=ServiceAccount,NamespaceLifecycle",
                "--profiling=true",
                "--audit-log-maxage=1",
                "--audit-log-maxbackup=1",
                "--audit-log-maxsize=1",
                "--service-account-lookup=false",
                "--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA",
            ],
        ),
        process(
            202,
            &[
                "kube-controller-manager",
                "--kubeconfig=/etc/kubernetes/controller-manager.conf",
                "--profiling",
                "--use-service-account-credentials=false",
                "--feature-gates=RotateKubeletServerCertificate=false",
                "--bind-address=0.0.0.0",
            ],
        ),
        process(
            203,
            &[
                "kube-scheduler",
                "--kubeconfig=/etc/kubernetes/scheduler.conf",
                "--bind-address",
                "0.0.0.0",
            ],
        ),
        process(
            204,
            &[
                "etcd",
                "--data-dir=/var/lib/etcd",
                "--client-cert-auth=false",
                "--auto-tls=true",
                "--peer-auto-tls=true",
            ],
        ),
        process(
            205,
            &[
                "/usr/bin/kubelet",
                "--config=/srv/kubelet/custom.yaml",
                "--kubeconfig=/srv/kubelet/kubelet.conf",
                "--hostname-override=other-name",
            ],
        ),
        process(
            206,
            &[
                "/usr/local/bin/kube-proxy",
                "--kubeconfig=/var/lib/kube-proxy/kubeconfig.conf",
                "--metrics-bind-address=0.0.0.0:10249",
            ],
        ),
    ];
    let kubelet_config = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: true\n  x509:\n    clientCAFile: /srv/kubelet/ca.crt\nauthorization:\n  mode: AlwaysAllow\nreadOnlyPort: 10255\nstreamingConnectionIdleTimeout: 0s\nmakeIPTablesUtilChains: false\neventRecordQPS: -1\nrotateCertificates: false\nserverTLSBootstrap: false\nfeatureGates:\n  RotateKubeletServerCertificate: false\ntlsCipherSuites: [TLS_RSA_WITH_RC4_128_SHA]\npodPidsLimit: -1\nseccompDefault: false\n";
    f.files = vec![
        file(
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "0644",
            NOBODY,
        ),
        file(
            "/etc/kubernetes/manifests/kube-controller-manager.yaml",
            "0666",
            NOBODY,
        ),
        file(
            "/etc/kubernetes/manifests/kube-scheduler.yaml",
            "0640",
            NOBODY,
        ),
        file("/etc/kubernetes/manifests/etcd.yaml", "0644", NOBODY),
        dir("/etc/cni/net.d", "0755", ROOT),
        file("/etc/cni/net.d/10-calico.conflist", "0644", NOBODY),
        dir("/var/lib/etcd", "0755", ROOT),
        file("/etc/kubernetes/admin.conf", "0644", NOBODY),
        file("/etc/kubernetes/scheduler.conf", "0644", NOBODY),
        file("/etc/kubernetes/controller-manager.conf", "0644", NOBODY),
        dir("/etc/kubernetes/pki", "0755", NOBODY),
        file("/etc/kubernetes/pki/ca.crt", "0666", ROOT),
        file("/etc/kubernetes/pki/ca.key", "0644", ROOT),
        file(
            "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
            "0644",
            NOBODY,
        ),
        file("/srv/kubelet/kubelet.conf", "0644", NOBODY),
        file("/srv/kubelet/ca.crt", "0666", NOBODY),
        with_content(
            file("/srv/kubelet/custom.yaml", "0644", NOBODY),
            kubelet_config,
        ),
        file("/var/lib/kube-proxy/kubeconfig.conf", "0644", NOBODY),
    ];
    f
}

fn scan(facts: &[(&str, &NodeFacts)], benchmark: &str) -> Report {
    common::scan_facts(
        facts,
        &Options {
            benchmarks: vec![benchmark.parse().expect("valid")],
            ..Options::default()
        },
    )
}

fn statuses(report: &Report, node: &str) -> Vec<(String, Status)> {
    report
        .results
        .iter()
        .filter(|r| r.resource.name == node)
        .map(|r| (r.rule.to_string(), r.status))
        .collect()
}

fn automated(version: CisVersion) -> Vec<String> {
    cis::checks()
        .iter()
        .filter(|c| c.in_version(version) && c.manual.is_none())
        .map(|c| c.code())
        .collect()
}

#[test]
fn every_automated_check_passes_on_the_good_node_and_fails_on_the_bad_one() {
    for version in [CisVersion::V1_11, CisVersion::V1_12] {
        let benchmark = format!("cis-k8s@{}", version.label());
        let report = scan(
            &[("good.json", &compliant()), ("bad.json", &noncompliant())],
            &benchmark,
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let good = statuses(&report, "cp-good");
        let bad = statuses(&report, "cp-bad");
        // 4.2.3 (the kubelet has a client CA) cannot fail on the node whose client CA file is
        // checked by 4.1.7 and 4.1.8: a second bad node without a client CA covers it.
        let mut no_ca = noncompliant();
        no_ca.node.hostname = "cp-bad-no-ca".to_owned();
        for f in &mut no_ca.files {
            if let Some(c) = f.content.as_mut() {
                *c = c.replace("  x509:\n    clientCAFile: /srv/kubelet/ca.crt\n", "");
            }
        }
        let no_ca_report = scan(&[("bad-no-ca.json", &no_ca)], &benchmark);
        let no_ca = statuses(&no_ca_report, "cp-bad-no-ca");
        for code in automated(version) {
            let status =
                |all: &[(String, Status)]| all.iter().find(|(c, _)| *c == code).map(|(_, s)| *s);
            assert_eq!(
                status(&good),
                Some(Status::Pass),
                "{code} on the good node ({benchmark})"
            );
            let bad_status = if code == "CIS-4.2.3" {
                status(&no_ca)
            } else {
                status(&bad)
            };
            assert_eq!(
                bad_status,
                Some(Status::Fail),
                "{code} on the bad node ({benchmark})"
            );
        }
        for (code, status) in good.iter().chain(&bad) {
            if !automated(version).contains(code) {
                assert_eq!(*status, Status::Manual, "{code}");
            }
        }
    }
}

#[test]
fn reports_on_the_good_and_bad_nodes_are_snapshotted() {
    let report = scan(
        &[("good.json", &compliant()), ("bad.json", &noncompliant())],
        "cis-k8s",
    );
    // Everything listed (`--show skip,manual`): the manual checks' texts are part of the
    // snapshot.
    let show = text::Show {
        skip: true,
        manual: true,
        pass: false,
    };
    insta::assert_snapshot!(
        "cis_text",
        text::render(&report, text::TextOptions { color: false, show })
    );
    let fails: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail && r.rule.starts_with("CIS-4.2"))
        .collect();
    insta::assert_snapshot!(
        "cis_kubelet_failures_json",
        serde_json::to_string_pretty(&fails).expect("json")
    );
}

#[test]
fn the_version_follows_each_node_s_kubernetes_version() {
    let report = scan(
        &[("good.json", &compliant()), ("bad.json", &noncompliant())],
        "cis-k8s",
    );
    let benchmark_of = |node: &str| {
        report
            .results
            .iter()
            .find(|r| r.resource.name == node)
            .map(|r| r.benchmark.clone())
    };
    assert_eq!(benchmark_of("cp-good").as_deref(), Some("cis-k8s@1.12"));
    assert_eq!(benchmark_of("cp-bad").as_deref(), Some("cis-k8s@1.11"));
    // 4.2.15 exists in 1.11 only.
    assert!(
        report
            .results
            .iter()
            .any(|r| r.resource.name == "cp-bad" && r.rule == "CIS-4.2.15")
    );
    assert!(
        !report
            .results
            .iter()
            .any(|r| r.resource.name == "cp-good" && r.rule == "CIS-4.2.15")
    );
}

#[test]
fn results_show_expected_actual_and_source() {
    let report = scan(&[("bad.json", &noncompliant())], "cis-k8s@1.12");
    let find = |code: &str| {
        report
            .results
            .iter()
            .find(|r| r.rule == code)
            .expect(code)
            .clone()
    };
    let anonymous = find("CIS-4.2.1");
    assert_eq!(
        anonymous
            .evidence
            .as_ref()
            .and_then(|e| e.actual.as_deref()),
        Some("true")
    );
    assert_eq!(
        anonymous
            .evidence
            .as_ref()
            .and_then(|e| e.expected.as_deref()),
        Some("false")
    );
    assert_eq!(
        anonymous
            .evidence
            .as_ref()
            .and_then(|e| e.source.as_deref()),
        Some("/srv/kubelet/custom.yaml: authentication.anonymous.enabled")
    );
    let profiling = find("CIS-1.3.2");
    assert_eq!(
        profiling
            .evidence
            .as_ref()
            .and_then(|e| e.actual.as_deref()),
        Some("true")
    );
    assert!(
        profiling
            .evidence
            .as_ref()
            .and_then(|e| e.source.as_deref())
            .is_some_and(|s| s.starts_with("flag --profiling"))
    );
    assert_eq!(profiling.pointer, "/processes/1/argv/2");
    let mode = find("CIS-1.1.1");
    assert_eq!(
        mode.evidence.as_ref().and_then(|e| e.actual.as_deref()),
        Some("/etc/kubernetes/manifests/kube-apiserver.yaml 644")
    );
    // Flags override the config file, as in the kubelet.
    let mut flagged = noncompliant();
    if let Some(kubelet) = flagged
        .processes
        .iter_mut()
        .find(|p| p.argv[0].ends_with("kubelet"))
    {
        kubelet.argv.push("--anonymous-auth=false".to_owned());
    }
    let report = scan(&[("flagged.json", &flagged)], "cis-k8s@1.12");
    let anonymous = common::result_of(&report, "CIS-4.2.1", None);
    assert_eq!(anonymous.status, Status::Pass);
}

#[test]
fn a_json_report_read_back_equals_the_report_with_and_without_evidence() {
    let report = scan(&[("bad.json", &noncompliant())], "cis-k8s@1.12");
    assert!(report.results.iter().any(|r| r.evidence.is_some()));
    assert!(report.results.iter().any(|r| r.evidence.is_none()));
    let read: Report = serde_json::from_str(&json::render(&report)).expect("a JSON report");
    assert_eq!(read, report);
}

#[test]
fn absent_components_skip_and_missing_facts_never_pass() {
    // A worker: no control plane, a kubelet without a config file.
    let mut worker = NodeFacts::new("worker-1");
    worker.processes = vec![process(
        7,
        &["kubelet", "--kubeconfig=/etc/kubernetes/kubelet.conf"],
    )];
    worker.errors.push(stockade_core::facts::CollectionError {
        path: Some("/etc/kubernetes/kubelet.conf".to_owned()),
        message: "permission denied".to_owned(),
    });
    let report = scan(&[("worker.json", &worker)], "cis-k8s@1.12");
    let status = |code: &str| {
        report
            .results
            .iter()
            .find(|r| r.rule == code)
            .map(|r| r.status)
    };
    assert_eq!(status("CIS-1.2.1"), Some(Status::Skip));
    assert_eq!(status("CIS-1.1.1"), Some(Status::Skip));
    assert_eq!(
        status("CIS-4.1.5"),
        Some(Status::Error),
        "a collection error is an error, never a pass"
    );
    assert_eq!(
        status("CIS-4.1.9"),
        Some(Status::Skip),
        "no --config: the kubelet uses no config file"
    );
    assert_eq!(
        status("CIS-4.1.1"),
        Some(Status::Warn),
        "unit files were not collected"
    );
    // Without a config file, the kubelet's flag defaults apply: anonymous auth is on.
    assert_eq!(status("CIS-4.2.1"), Some(Status::Fail));
    assert_eq!(
        status("CIS-4.2.4"),
        Some(Status::Fail),
        "read-only port defaults to 10255 without a config file"
    );
    let skip = common::result_of(&report, "CIS-1.2.1", None);
    assert!(
        skip.message
            .contains("kube-apiserver is not running on this node")
    );
}

#[test]
fn settings_of_a_config_file_that_was_not_collected_are_errors_not_defaults() {
    // The kubelet names a config file the collector could not read (a FIFO, a file over the
    // size limit, a lie): its settings are unknown. Defaults would be a guess, and a guess that
    // can pass.
    let mut node = NodeFacts::new("worker-2");
    node.processes = vec![process(
        7,
        &[
            "kubelet",
            "--config=/var/lib/kubelet/config.yaml",
            "--read-only-port=0",
        ],
    )];
    node.errors.push(stockade_core::facts::CollectionError {
        path: Some("/var/lib/kubelet/config.yaml".to_owned()),
        message: "content not collected: not a regular file".to_owned(),
    });
    let report = scan(&[("worker.json", &node)], "cis-k8s@1.12");
    let result = |code: &str| {
        report
            .results
            .iter()
            .find(|r| r.rule == code)
            .unwrap_or_else(|| panic!("{code}"))
    };
    let anonymous = result("CIS-4.2.1");
    assert_eq!(anonymous.status, Status::Error);
    assert!(
        anonymous
            .message
            .contains("/var/lib/kubelet/config.yaml (named by --config) could not be collected"),
        "{}",
        anonymous.message
    );
    // A flag wins over the config file, so a flag still decides.
    assert_eq!(result("CIS-4.2.4").status, Status::Pass);
}

#[test]
fn bad_facts_are_input_errors_and_other_inputs_still_count() {
    let good = serde_json::to_string(&compliant()).expect("json");
    let input = Input {
        facts: vec![
            SourceFile {
                name: "broken.json",
                text: "{\"apiVersion\": \"stockade.dev/v1alpha1\", \"kind\": \"NodeFacts\", \"node\": 3}",
            },
            SourceFile {
                name: "good.json",
                text: &good,
            },
        ],
        ..Input::default()
    };
    let report = evaluate(
        &input,
        &Options {
            benchmarks: vec!["cis-k8s".parse().expect("valid")],
            ..Options::default()
        },
    );
    assert_eq!(report.summary.input_errors, 1);
    assert_eq!(report.errors[0].file, "broken.json");
    assert!(report.summary.pass > 50);
    assert_eq!(report.exit_code(), 2);
    let rendered = json::render(&report);
    assert!(rendered.contains("\"source\""));
}

/// Facts from a node that lies: each lie is an input error at its line, or is read for what
/// it is, and never makes a check pass.
#[test]
fn facts_that_lie_are_errors_at_their_line_or_read_for_what_they_are() {
    let head = "{\n  \"apiVersion\": \"stockade.dev/v1alpha1\",\n  \"kind\": \"NodeFacts\",\n  \"node\": {\"hostname\": \"liar\"},\n";
    let located = |body: &str| {
        let text = format!("{head}{body}\n}}\n");
        let report = evaluate(
            &Input {
                facts: vec![SourceFile {
                    name: "liar.json",
                    text: &text,
                }],
                ..Input::default()
            },
            &Options {
                benchmarks: vec!["cis-k8s@1.12".parse().expect("benchmark")],
                ..Options::default()
            },
        );
        let error = report.errors.first().expect("an input error");
        (error.line, error.message.clone(), report.results.len())
    };
    // Wrong types, at the line of the wrong value.
    let (line, message, results) = located(
        "  \"processes\": [\n    {\"pid\": 1, \"argv\": [\"kubelet\"]},\n    {\"pid\": \"one\", \"argv\": []}\n  ]",
    );
    assert_eq!((line, results), (7, 0), "{message}");
    assert!(
        message.contains("/processes/1/pid: invalid type: string \"one\""),
        "{message}"
    );
    let (line, message, _) = located("  \"processes\": [{\"pid\": -1, \"argv\": [\"kubelet\"]}]");
    assert_eq!(line, 5, "{message}");
    // Modes that no file can have.
    for mode in ["-644", "99", "17777", "rwxr-xr-x"] {
        let body = format!(
            "  \"files\": [\n    {{\"path\": \"/etc/kubernetes/admin.conf\", \"exists\": true,\n     \"mode\": \"{mode}\"}}\n  ]"
        );
        let (line, message, _) = located(&body);
        assert_eq!(line, 7, "{mode}: {message}");
        assert!(message.contains("is not a file mode"), "{message}");
    }

    // A path that climbs out of the PKI directory is not a file in it.
    let mut node = compliant();
    node.files.push(FileFact {
        path: "/etc/kubernetes/pki/../../shadow".to_owned(),
        ..file("/x", "0777", NOBODY)
    });
    let report = scan(&[("node.json", &node)], "cis-k8s@1.12");
    let pki_owner = common::result_of(&report, "CIS-1.1.19", None);
    assert_eq!(pki_owner.status, Status::Pass, "{}", pki_owner.message);
    // A command line of 200,000 arguments is read; the last value of a flag wins.
    let mut node = compliant();
    let kubelet = node
        .processes
        .iter_mut()
        .find(|p| p.argv.first().is_some_and(|a| a.ends_with("kubelet")))
        .expect("kubelet");
    kubelet
        .argv
        .extend((0..200_000).map(|i| format!("--x{i}=y")));
    kubelet.argv.push("--read-only-port=10255".to_owned());
    let report = scan(&[("node.json", &node)], "cis-k8s@1.12");
    let port = common::result_of(&report, "CIS-4.2.4", None);
    assert_eq!(port.status, Status::Fail);
}

/// The status of one check on a command line (as a static pod would give it), in both versions.
fn on_command(argv: &[&str], id: &str) -> Vec<(Status, String)> {
    use stockade_core::facts::argv::parse_flags;
    use stockade_core::facts::plan::Component;
    let component = Component::of_command(argv[0]).expect("a component");
    [CisVersion::V1_11, CisVersion::V1_12]
        .into_iter()
        .map(|version| {
            let flags = parse_flags(argv);
            let (_, outcome) = cis::evaluate_command(component, &flags, version)
                .into_iter()
                .find(|(c, _)| c.id == id)
                .unwrap_or_else(|| panic!("{id} on {}", argv[0]));
            (
                outcome.status,
                format!(
                    "{} [source: {}]",
                    outcome.message,
                    outcome.source.unwrap_or_default()
                ),
            )
        })
        .collect()
}

/// Flag semantics, check by check: repeated list flags accumulate, scalars keep the last, an
/// unset flag is its documented default, an empty value is unset, numbers mean what the
/// component makes of them, and a value the component rejects fails with the reason.
#[test]
fn flag_semantics_decide_checks_as_the_components_do() {
    use Status::{Fail, Pass};
    let cases: &[(&[&str], &str, Status, &str)] = &[
        // 1. Repeated list flags accumulate (pflag stringSlice).
        (
            &[
                "kube-apiserver",
                "--authorization-mode=AlwaysAllow",
                "--authorization-mode=Node,RBAC",
            ],
            "1.2.6",
            Fail,
            "AlwaysAllow,Node,RBAC",
        ),
        (
            &["kube-apiserver", "--authorization-mode", "Node,RBAC"],
            "1.2.6",
            Pass,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--authorization-mode=RBAC",
                "--authorization-mode=Node",
            ],
            "1.2.7",
            Pass,
            "given 2 times, a list flag appends every occurrence",
        ),
        (
            &[
                "kube-apiserver",
                "--enable-admission-plugins=NodeRestriction",
                "--enable-admission-plugins=AlwaysAdmit",
            ],
            "1.2.10",
            Fail,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--enable-admission-plugins=AlwaysAdmit",
                "--enable-admission-plugins=NodeRestriction",
            ],
            "1.2.14",
            Pass,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--disable-admission-plugins=PodSecurity",
                "--disable-admission-plugins=ServiceAccount",
            ],
            "1.2.12",
            Fail,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA",
            ],
            "1.2.29",
            Fail,
            "",
        ),
        // Scalars: the last occurrence wins.
        (
            &["kube-apiserver", "--profiling=true", "--profiling=false"],
            "1.2.15",
            Pass,
            "the last wins",
        ),
        (
            &["kube-apiserver", "--profiling=false", "--profiling"],
            "1.2.15",
            Fail,
            "",
        ),
        // Booleans: Go's ParseBool, and never the next argument.
        (&["kube-apiserver", "--profiling=F"], "1.2.15", Pass, ""),
        (&["kube-apiserver", "--profiling=0"], "1.2.15", Pass, ""),
        (
            &["kube-apiserver", "--profiling", "false"],
            "1.2.15",
            Fail,
            "",
        ),
        (
            &["kube-apiserver", "--profiling=maybe"],
            "1.2.15",
            Fail,
            "refuses to start",
        ),
        (
            &["kube-apiserver", "--profiling=no"],
            "1.2.15",
            Fail,
            "invalid",
        ),
        // Maps merge their keys; a later key wins; values are booleans as Go parses them.
        (
            &[
                "kube-controller-manager",
                "--feature-gates=RotateKubeletServerCertificate=false",
                "--feature-gates=RotateKubeletServerCertificate=true",
            ],
            "1.3.6",
            Pass,
            "",
        ),
        (
            &[
                "kube-controller-manager",
                "--feature-gates=RotateKubeletServerCertificate=False,Other=true",
            ],
            "1.3.6",
            Fail,
            "",
        ),
        (
            &[
                "kube-controller-manager",
                "--feature-gates=RotateKubeletServerCertificate=0",
                "--feature-gates=Other=true",
            ],
            "1.3.6",
            Fail,
            "",
        ),
        (&["kube-controller-manager"], "1.3.6", Pass, "default"),
        // 2. Unset is the documented default.
        (&["kube-controller-manager"], "1.3.7", Fail, "is 0.0.0.0"),
        (&["kube-scheduler"], "1.4.2", Fail, "is 0.0.0.0"),
        (
            &["kube-scheduler", "--bind-address", "127.0.0.1"],
            "1.4.2",
            Pass,
            "",
        ),
        (&["kube-scheduler", "--bind-address=::1"], "1.4.2", Pass, ""),
        (&["kube-apiserver"], "1.2.6", Fail, "is AlwaysAllow"),
        (&["kube-apiserver"], "1.2.21", Pass, ""),
        (&["etcd"], "2.3", Pass, ""),
        (&["etcd", "--auto-tls"], "2.3", Fail, ""),
        (&["kubelet"], "4.2.10", Fail, "false"),
        (&["kubelet"], "4.2.13", Fail, "no limit"),
        // 3. Empty values are unset; 0 and negatives mean what the component makes of them.
        (
            &[
                "kube-apiserver",
                "--tls-cert-file=/pki/apiserver.crt",
                "--tls-private-key-file=",
            ],
            "1.2.24",
            Fail,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--tls-cert-file",
                "--tls-private-key-file=/pki/apiserver.key",
            ],
            "1.2.24",
            Fail,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--tls-private-key-file=/pki/apiserver.key",
                "--tls-cert-file",
            ],
            "1.2.24",
            Fail,
            "needs a value",
        ),
        (
            &[
                "kube-apiserver",
                "--tls-cert-file",
                "/pki/apiserver.crt",
                "--tls-private-key-file=/pki/apiserver.key",
            ],
            "1.2.24",
            Pass,
            "",
        ),
        (&["kube-apiserver", "--token-auth-file="], "1.2.2", Pass, ""),
        (&["kube-apiserver", "--audit-log-path="], "1.2.16", Fail, ""),
        (
            &["kube-controller-manager", "--terminated-pod-gc-threshold=0"],
            "1.3.1",
            Fail,
            "disabled",
        ),
        (
            &[
                "kube-controller-manager",
                "--terminated-pod-gc-threshold=-1",
            ],
            "1.3.1",
            Fail,
            "",
        ),
        (
            &[
                "kube-controller-manager",
                "--terminated-pod-gc-threshold=10",
            ],
            "1.3.1",
            Pass,
            "",
        ),
        (&["kube-controller-manager"], "1.3.1", Fail, "not set"),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage=0",
            ],
            "1.2.17",
            Pass,
            "no limit",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage=-1",
            ],
            "1.2.17",
            Fail,
            "refuses",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage=035",
            ],
            "1.2.17",
            Fail,
            "is 29",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage=0x1e",
            ],
            "1.2.17",
            Pass,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage=30d",
            ],
            "1.2.17",
            Fail,
            "invalid",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxbackup=0",
            ],
            "1.2.18",
            Pass,
            "",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxsize=0",
            ],
            "1.2.19",
            Pass,
            "100",
        ),
        (
            &[
                "kube-apiserver",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxsize=99",
            ],
            "1.2.19",
            Fail,
            "",
        ),
        // No audit log file: nothing is kept, whatever the retention flags say.
        (
            &["kube-apiserver", "--audit-log-maxage=30"],
            "1.2.17",
            Fail,
            "--audit-log-path is not set",
        ),
        (&["kubelet", "--read-only-port=0"], "4.2.4", Pass, ""),
        (
            &["kubelet", "--read-only-port=-1"],
            "4.2.4",
            Fail,
            "refuses",
        ),
        (&["kubelet", "--pod-max-pids=0"], "4.2.13", Fail, ""),
        (&["kubelet", "--pod-max-pids=4096"], "4.2.13", Pass, ""),
        // Durations: time.ParseDuration.
        (
            &["kubelet", "--streaming-connection-idle-timeout=5m0s"],
            "4.2.5",
            Pass,
            "",
        ),
        (
            &["kubelet", "--streaming-connection-idle-timeout", "0h0m0s"],
            "4.2.5",
            Fail,
            "",
        ),
        (
            &["kubelet", "--streaming-connection-idle-timeout=300"],
            "4.2.5",
            Fail,
            "not a duration",
        ),
        (&["kubelet"], "4.2.5", Pass, "4h0m0s"),
        // The word-separator normalisation of the Kubernetes components.
        (
            &["kube-apiserver", "--anonymous_auth=false"],
            "1.2.1",
            Pass,
            "",
        ),
        // etcd: Go's flag package stops at the first non-flag argument.
        (
            &[
                "etcd",
                "--client-cert-auth",
                "false",
                "--peer-client-cert-auth=true",
            ],
            "2.5",
            Fail,
            "",
        ),
        (&["etcd", "-client-cert-auth"], "2.2", Pass, ""),
        // etcd ignores its flags beside --config-file: the file decides.
        (
            &[
                "etcd",
                "--config-file=/etc/etcd/etcd.yaml",
                "--client-cert-auth",
            ],
            "2.2",
            Status::Warn,
            "--config-file /etc/etcd/etcd.yaml",
        ),
        // A file that replaces the tested flags decides instead: not collected, so warn.
        (
            &[
                "kube-apiserver",
                "--authorization-config=/etc/kubernetes/authz.yaml",
            ],
            "1.2.6",
            Status::Warn,
            "--authorization-config /etc/kubernetes/authz.yaml",
        ),
        (
            &[
                "kube-apiserver",
                "--authentication-config=/etc/kubernetes/authn.yaml",
                "--anonymous-auth=false",
            ],
            "1.2.1",
            Pass,
            "",
        ),
    ];
    for (argv, id, status, message) in cases {
        for (got, text) in on_command(argv, id) {
            assert_eq!(got, *status, "{id} on {argv:?}: {text}");
            assert!(
                text.contains(message),
                "{id} on {argv:?}: {text:?} lacks {message:?}"
            );
        }
    }
}

/// The same missing facts give the same status in every check: a kubelet config file that was
/// not collected (no error recorded) is `warn` for its file checks, for the files it would name
/// and for the settings it could hold; a recorded collection error is `error` for all of them.
#[test]
fn an_uncollected_kubelet_config_is_warn_everywhere_and_a_collection_error_is_error() {
    for recorded in [false, true] {
        let mut node = NodeFacts::new("worker-3");
        node.processes = vec![process(
            7,
            &["kubelet", "--config=/var/lib/kubelet/config.yaml"],
        )];
        if recorded {
            node.errors.push(stockade_core::facts::CollectionError {
                path: Some("/var/lib/kubelet/config.yaml".to_owned()),
                message: "permission denied".to_owned(),
            });
        }
        let want = if recorded {
            Status::Error
        } else {
            Status::Warn
        };
        for version in ["1.11", "1.12"] {
            let report = scan(&[("w.json", &node)], &format!("cis-k8s@{version}"));
            for code in [
                "CIS-4.1.7",
                "CIS-4.1.8",
                "CIS-4.1.9",
                "CIS-4.1.10",
                "CIS-4.2.1",
                "CIS-4.2.2",
                "CIS-4.2.4",
                "CIS-4.2.13",
            ] {
                let r = common::result_of(&report, code, None);
                assert_eq!(r.status, want, "{code} ({version}): {}", r.message);
                assert!(
                    r.message.contains("/var/lib/kubelet/config.yaml"),
                    "{code}: {}",
                    r.message
                );
            }
        }
    }
}

/// kube-proxy ignores its flags when it runs with a config file: the config (or its defaults)
/// decides 4.3.1, and an uncollected config leaves it undecided.
#[test]
fn kube_proxy_flags_are_ignored_beside_a_config_file() {
    let node = |config: Option<&str>| {
        let mut f = NodeFacts::new("w");
        f.processes = vec![process(
            9,
            &[
                "kube-proxy",
                "--config=/var/lib/kube-proxy/config.conf",
                "--metrics-bind-address=127.0.0.1:10249",
            ],
        )];
        if let Some(text) = config {
            f.files = vec![with_content(
                file("/var/lib/kube-proxy/config.conf", "0600", ROOT),
                text,
            )];
        }
        f
    };
    for (config, want) in [
        (
            Some("kind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\n"),
            Status::Fail,
        ),
        (Some("kind: KubeProxyConfiguration\n"), Status::Pass),
        (None, Status::Warn),
    ] {
        let report = scan(&[("w.json", &node(config))], "cis-k8s@1.12");
        let r = common::result_of(&report, "CIS-4.3.1", None);
        assert_eq!(r.status, want, "{config:?}: {}", r.message);
    }
}

/// The kubelet's flags over its config file, as the kubelet applies them: a list flag replaces
/// the config's list, `--feature-gates` merges key by key over `featureGates`, an empty config
/// value is unset, and a config value the kubelet would reject fails.
#[test]
fn kubelet_flags_over_its_config_file() {
    let node = |flags: &[&str], config: &str| {
        let mut argv = vec!["kubelet", "--config=/var/lib/kubelet/config.yaml"];
        argv.extend_from_slice(flags);
        let mut f = NodeFacts::new("w");
        f.processes = vec![process(9, &argv)];
        f.files = vec![with_content(
            file("/var/lib/kubelet/config.yaml", "0600", ROOT),
            &format!("kind: KubeletConfiguration\n{config}"),
        )];
        f
    };
    let good = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    let cases: Vec<(Vec<String>, &str, &str, Status)> = vec![
        // A list flag replaces the config's list (it does not append to it).
        (
            vec![format!("--tls-cipher-suites={good}")],
            "tlsCipherSuites: [TLS_RSA_WITH_RC4_128_SHA]\n",
            "CIS-4.2.12",
            Status::Pass,
        ),
        (
            vec![],
            "tlsCipherSuites: [TLS_RSA_WITH_RC4_128_SHA]\n",
            "CIS-4.2.12",
            Status::Fail,
        ),
        // Feature gates merge: a flag without the key leaves the config's value.
        (
            vec!["--feature-gates=Other=true".to_owned()],
            "featureGates:\n  RotateKubeletServerCertificate: false\n",
            "CIS-4.2.11",
            Status::Fail,
        ),
        (
            vec!["--feature-gates=RotateKubeletServerCertificate=true".to_owned()],
            "featureGates:\n  RotateKubeletServerCertificate: false\n",
            "CIS-4.2.11",
            Status::Pass,
        ),
        (
            vec![],
            "featureGates:\n  Other: true\n",
            "CIS-4.2.11",
            Status::Pass,
        ),
        // An empty config value is unset: no client CA.
        (
            vec![],
            "authentication:\n  x509:\n    clientCAFile: \"\"\n",
            "CIS-4.2.3",
            Status::Fail,
        ),
        // A config value the kubelet rejects.
        (
            vec![],
            "streamingConnectionIdleTimeout: forever\n",
            "CIS-4.2.5",
            Status::Fail,
        ),
        (
            vec![],
            "streamingConnectionIdleTimeout: 5m\n",
            "CIS-4.2.5",
            Status::Pass,
        ),
        (vec![], "podPidsLimit: 0\n", "CIS-4.2.13", Status::Fail),
        (vec![], "podPidsLimit: 4096\n", "CIS-4.2.13", Status::Pass),
        // The config file's defaults apply with a config file: read-only port off.
        (vec![], "", "CIS-4.2.4", Status::Pass),
        (
            vec!["--read-only-port=10255".to_owned()],
            "",
            "CIS-4.2.4",
            Status::Fail,
        ),
    ];
    for (flags, config, code, want) in cases {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        for version in ["cis-k8s@1.11", "cis-k8s@1.12"] {
            let report = scan(&[("w.json", &node(&flags, config))], version);
            let r = common::result_of(&report, code, None);
            assert_eq!(r.status, want, "{code} {flags:?} {config:?}: {}", r.message);
        }
    }
}
