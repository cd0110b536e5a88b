//! `stockade collect --root` on synthetic node trees, then `stockade scan --facts`: a compliant
//! kubeadm control plane, a misconfigured worker whose kubelet config is passed through
//! `--config`, and a node whose files cannot be read. The trees are built here; ownership needs
//! root (as in CI), since the benchmark checks owners.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::Path;

use common::stockade;
use serde_json::Value;

struct Tree {
    dir: tempfile::TempDir,
}

const ROOT: u32 = 0;
const ETCD: u32 = 1001;

impl Tree {
    fn new(hostname: &str) -> Tree {
        let tree = Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        tree.file("/etc/hostname", 0o644, ROOT, &format!("{hostname}\n"));
        tree.file(
            "/etc/passwd",
            0o644,
            ROOT,
            "root:x:0:0::/root:/bin/bash\netcd:x:1001:1001::/var/lib/etcd:/bin/false\n",
        );
        tree.file("/etc/group", 0o644, ROOT, "root:x:0:\netcd:x:1001:\n");
        tree.file(
            "/etc/os-release",
            0o644,
            ROOT,
            "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n",
        );
        tree
    }

    fn path(&self, path: &str) -> std::path::PathBuf {
        self.dir.path().join(path.trim_start_matches('/'))
    }

    fn own(&self, path: &Path, mode: u32, owner: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        chown(path, Some(owner), Some(owner)).expect("chown (these tests run as root, like CI)");
    }

    fn dir(&self, path: &str, mode: u32, owner: u32) {
        let p = self.path(path);
        fs::create_dir_all(&p).expect("mkdir");
        self.own(&p, mode, owner);
    }

    fn file(&self, path: &str, mode: u32, owner: u32, content: &str) {
        let p = self.path(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, content).expect("write");
        self.own(&p, mode, owner);
    }

    fn process(&self, pid: u32, argv: &[&str], environ: &[&str]) {
        let dir = self.path(&format!("/proc/{pid}"));
        fs::create_dir_all(&dir).expect("mkdir");
        let join = |parts: &[&str]| parts.iter().map(|a| format!("{a}\0")).collect::<String>();
        fs::write(dir.join("cmdline"), join(argv)).expect("cmdline");
        fs::write(dir.join("environ"), join(environ)).expect("environ");
    }

    fn collect(&self) -> (Value, String) {
        let out = stockade()
            .args(["collect", "--root"])
            .arg(self.dir.path())
            .output()
            .expect("collect runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        (serde_json::from_str(&text).expect("facts JSON"), text)
    }

    fn scan(&self, benchmark: &str) -> (Value, i32) {
        let (_, facts) = self.collect();
        let out = stockade()
            .args(["scan", "--facts", "-", "-b", benchmark, "-f", "json"])
            .write_stdin(facts)
            .output()
            .expect("scan runs");
        (
            serde_json::from_slice(&out.stdout).expect("report JSON"),
            out.status.code().unwrap_or(-1),
        )
    }
}

fn status_of(report: &Value, rule: &str) -> String {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["rule"] == rule)
        .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no result for {rule}"))
}

/// The message of the collection error recorded for `path` (empty when there is none).
fn collection_error(facts: &Value, path: &str) -> String {
    facts["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["path"] == path)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn result_of<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no result for {rule}"))
}

fn kubeadm_control_plane() -> Tree {
    let t = Tree::new("cp-1");
    t.process(101, &[
        "kube-apiserver", "--anonymous-auth=false", "--authorization-mode=Node,RBAC",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs",
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt", "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt", "--profiling=false",
        "--audit-log-path=/var/log/kubernetes/audit.log", "--audit-log-maxage=30", "--audit-log-maxbackup=10",
        "--audit-log-maxsize=100", "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
        "--encryption-provider-config=/etc/kubernetes/encryption.yaml",
        "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "--service-account-extend-token-expiration=false",
    ], &[]);
    t.process(
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
        &[],
    );
    t.process(
        103,
        &[
            "kube-scheduler",
            "--kubeconfig=/etc/kubernetes/scheduler.conf",
            "--profiling=false",
            "--bind-address=127.0.0.1",
        ],
        &[],
    );
    t.process(
        104,
        &[
            "etcd",
            "--data-dir=/var/lib/etcd",
            "--client-cert-auth=true",
            "--peer-client-cert-auth=true",
        ],
        &[
            "ETCD_CERT_FILE=/etc/kubernetes/pki/etcd/server.crt",
            "ETCD_KEY_FILE=/etc/kubernetes/pki/etcd/server.key",
            "ETCD_PEER_CERT_FILE=/etc/kubernetes/pki/etcd/peer.crt",
            "ETCD_PEER_KEY_FILE=/etc/kubernetes/pki/etcd/peer.key",
            "SECRET_THING=do-not-collect",
        ],
    );
    t.process(
        105,
        &[
            "/usr/bin/kubelet",
            "--config=/var/lib/kubelet/config.yaml",
            "--kubeconfig=/etc/kubernetes/kubelet.conf",
        ],
        &[],
    );
    t.process(
        106,
        &[
            "/usr/local/bin/kube-proxy",
            "--config=/var/lib/kube-proxy/config.conf",
        ],
        &[],
    );
    t.process(107, &["/usr/sbin/sshd", "-D"], &[]);
    for c in [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "etcd",
    ] {
        t.file(
            &format!("/etc/kubernetes/manifests/{c}.yaml"),
            0o600,
            ROOT,
            &format!("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: {c}\n    image: registry.k8s.io/{c}:v1.33.2\n    command: [{c}]\n"),
        );
    }
    t.file("/var/lib/kubelet/config.yaml", 0o600, ROOT, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nauthorization:\n  mode: Webhook\nreadOnlyPort: 0\ntlsCertFile: /var/lib/kubelet/pki/kubelet.crt\ntlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet.key\nrotateCertificates: true\ntlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\npodPidsLimit: 4096\nseccompDefault: true\nstaticPodPath: /etc/kubernetes/manifests\n");
    t.file("/var/lib/kube-proxy/config.conf", 0o600, ROOT, "kind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nmetricsBindAddress: 127.0.0.1:10249\n");
    let kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: UFJJVkFURS1LRVktTUFURVJJQUw=\n";
    for f in [
        "admin.conf",
        "super-admin.conf",
        "scheduler.conf",
        "controller-manager.conf",
        "kubelet.conf",
    ] {
        t.file(&format!("/etc/kubernetes/{f}"), 0o600, ROOT, kubeconfig);
    }
    t.file(
        "/var/lib/kube-proxy/kubeconfig.conf",
        0o600,
        ROOT,
        kubeconfig,
    );
    t.dir("/etc/kubernetes/pki/etcd", 0o755, ROOT);
    t.dir("/etc/kubernetes/pki", 0o755, ROOT);
    for f in ["ca", "apiserver", "etcd/ca", "etcd/server"] {
        t.file(
            &format!("/etc/kubernetes/pki/{f}.crt"),
            0o644,
            ROOT,
            "-----BEGIN CERTIFICATE-----\n",
        );
        t.file(
            &format!("/etc/kubernetes/pki/{f}.key"),
            0o600,
            ROOT,
            "-----BEGIN PRIVATE KEY-----\nPRIVATE-KEY-MATERIAL\n",
        );
    }
    t.dir("/var/lib/etcd", 0o700, ETCD);
    t.file("/etc/cni/net.d/10-calico.conflist", 0o600, ROOT, "{}\n");
    t.file(
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        0o600,
        ROOT,
        "[Service]\n",
    );
    t
}

#[test]
fn a_compliant_kubeadm_control_plane_passes_every_automated_check() {
    let t = kubeadm_control_plane();
    let (facts, text) = t.collect();
    assert_eq!(facts["node"]["hostname"], "cp-1");
    assert_eq!(facts["os"]["versionId"], "22.04");
    assert_eq!(
        facts["processes"].as_array().map(Vec::len),
        Some(6),
        "only Kubernetes components are collected"
    );
    assert!(
        !text.contains("PRIVATE-KEY-MATERIAL"),
        "key files are never read"
    );
    assert!(
        !text.contains("UFJJVkFURS1LRVktTUFURVJJQUw="),
        "kubeconfig credentials are never collected"
    );
    assert!(
        !text.contains("do-not-collect"),
        "only ETCD_* environment is collected"
    );
    let (report, code) = t.scan("cis-k8s");
    let results = report["results"].as_array().expect("results");
    let bad: Vec<String> = results
        .iter()
        .filter(|r| !["pass", "manual"].contains(&r["status"].as_str().unwrap_or_default()))
        .map(|r| format!("{} {}: {}", r["rule"], r["status"], r["message"]))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(code, 0);
    assert_eq!(
        results[0]["benchmark"], "cis-k8s@1.12",
        "picked from the manifests' image tags"
    );
    assert_eq!(
        status_of(&report, "CIS-1.1.12"),
        "pass",
        "etcd:etcd owns the data dir"
    );
    assert_eq!(
        status_of(&report, "CIS-2.1"),
        "pass",
        "etcd's TLS files come from its environment"
    );
    assert_eq!(
        result_of(&report, "CIS-2.1")["source"],
        "environment ETCD_CERT_FILE of etcd"
    );
}

#[test]
fn a_misconfigured_worker_with_its_kubelet_config_passed_through_config() {
    let t = Tree::new("worker-7");
    t.process(
        42,
        &[
            "/usr/bin/kubelet",
            "--config=/srv/kubelet/custom.yaml",
            "--kubeconfig=/srv/kubelet/kubelet.conf",
            "--hostname-override=w7",
        ],
        &[],
    );
    // A decoy at the default path: the kubelet does not read it, and neither may Stockade.
    t.file(
        "/var/lib/kubelet/config.yaml",
        0o600,
        ROOT,
        "authentication:\n  anonymous:\n    enabled: false\nreadOnlyPort: 0\n",
    );
    t.file("/srv/kubelet/custom.yaml", 0o644, ROOT, "kind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: true\n  webhook:\n    token: not-for-your-eyes\nauthorization:\n  mode: AlwaysAllow\nreadOnlyPort: 10255\n");
    t.file(
        "/srv/kubelet/kubelet.conf",
        0o644,
        ROOT,
        "apiVersion: v1\nkind: Config\n",
    );
    t.file(
        "/lib/systemd/system/kubelet.service",
        0o644,
        ROOT,
        "[Service]\n",
    );
    let (facts, text) = t.collect();
    assert!(
        !text.contains("not-for-your-eyes"),
        "credentials in config files are redacted"
    );
    assert!(
        facts["files"]
            .as_array()
            .expect("files")
            .iter()
            .any(|f| f["path"] == "/srv/kubelet/custom.yaml" && f["redacted"] == true)
    );
    let (report, code) = t.scan("cis-k8s@1.12");
    assert_eq!(code, 1);
    for (rule, status) in [
        ("CIS-1.1.1", "skip"),
        ("CIS-1.2.1", "skip"),
        ("CIS-2.1", "skip"),
        ("CIS-4.1.1", "fail"),
        ("CIS-4.1.5", "fail"),
        ("CIS-4.1.9", "fail"),
        ("CIS-4.1.10", "pass"),
        ("CIS-4.2.1", "fail"),
        ("CIS-4.2.2", "fail"),
        ("CIS-4.2.3", "fail"),
        ("CIS-4.2.4", "fail"),
        ("CIS-4.2.7", "fail"),
        // rotateCertificates is off by default (with and without a config file).
        ("CIS-4.2.10", "fail"),
        ("CIS-4.3.1", "skip"),
    ] {
        assert_eq!(status_of(&report, rule), status, "{rule}");
    }
    let anonymous = result_of(&report, "CIS-4.2.1");
    assert_eq!(
        anonymous["source"],
        "/srv/kubelet/custom.yaml: authentication.anonymous.enabled"
    );
    assert_eq!(anonymous["actual"], "true");
    let unit = result_of(&report, "CIS-4.1.1");
    assert!(
        unit["actual"]
            .as_str()
            .is_some_and(|a| a.contains("/lib/systemd/system/kubelet.service 644"))
    );
}

#[test]
fn unreadable_files_become_errors_never_passes() {
    let t = Tree::new("odd-1");
    let outside = tempfile::tempdir().expect("outside");
    fs::write(
        outside.path().join("kubelet.conf"),
        "secret outside the root",
    )
    .expect("write");
    t.process(
        9,
        &[
            "kubelet",
            "--config=/etc/kubelet/missing-target.yaml",
            "--kubeconfig=/etc/kubelet/kubelet.conf",
        ],
        &[],
    );
    t.dir("/etc/kubelet", 0o755, ROOT);
    symlink(
        outside.path().join("kubelet.conf"),
        t.path("/etc/kubelet/kubelet.conf"),
    )
    .expect("symlink out of the root");
    symlink(
        "/nonexistent/target.yaml",
        t.path("/etc/kubelet/missing-target.yaml"),
    )
    .expect("dangling symlink");
    // A process that vanished between listing and reading: a /proc entry without a cmdline.
    fs::create_dir_all(t.path("/proc/77")).expect("mkdir");
    let (facts, text) = t.collect();
    assert!(!text.contains("secret outside the root"));
    let errors = &facts["errors"];
    assert!(
        collection_error(&facts, "/etc/kubelet/kubelet.conf").contains("never outside it"),
        "{errors:?}"
    );
    assert!(
        !collection_error(&facts, "/etc/kubelet/missing-target.yaml").is_empty(),
        "{errors:?}"
    );
    assert!(
        collection_error(&facts, "/proc").starts_with("1 processes exited"),
        "the vanished process is recorded: {errors:?}"
    );
    let (report, _) = t.scan("cis-k8s@1.12");
    assert_eq!(status_of(&report, "CIS-4.1.5"), "error");
    assert_eq!(status_of(&report, "CIS-4.1.9"), "error");
}

#[test]
fn the_operator_can_state_the_kubernetes_version_of_a_worker() {
    let t = Tree::new("worker-2");
    t.process(
        5,
        &["kubelet", "--kubeconfig=/etc/kubernetes/kubelet.conf"],
        &[],
    );
    let out = stockade()
        .args(["collect", "--kubernetes-version", "v1.30.4", "--root"])
        .arg(t.dir.path())
        .output()
        .expect("collect runs");
    let facts = String::from_utf8(out.stdout).expect("utf-8");
    let scanned = stockade()
        .args(["scan", "--facts", "-", "-f", "json"])
        .write_stdin(facts)
        .output()
        .expect("scan runs");
    let report: Value = serde_json::from_slice(&scanned.stdout).expect("JSON");
    let node = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["resource"]["kind"] == "Node")
        .expect("node results")
        .clone();
    assert_eq!(node["benchmark"], "cis-k8s@1.11");
}

#[test]
fn collect_writes_atomically_with_output_flag() {
    let t = kubeadm_control_plane();
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("facts.json");
    stockade()
        .args(["collect", "--root"])
        .arg(t.dir.path())
        .arg("-o")
        .arg(&target)
        .assert()
        .success()
        .stdout(predicates::str::is_empty());
    let facts: Value =
        serde_json::from_str(&fs::read_to_string(&target).expect("written")).expect("JSON");
    assert_eq!(facts["kind"], "NodeFacts");
    // Facts and manifests in one report.
    stockade()
        .args(["scan", "examples/privileged-daemonset.yaml", "--facts"])
        .arg(&target)
        .args(["-f", "json"])
        .assert()
        .code(1)
        .stdout(
            predicates::str::contains("\"kind\": \"Node\"")
                .and(predicates::str::contains("\"kind\": \"DaemonSet\"")),
        );
}

use predicates::prelude::PredicateBooleanExt;

/// A node tree built to mislead the collector: links and `..` pointing out of the root, a FIFO
/// where a config file should be, a command line of megabytes. The collector records each as an
/// error, reads nothing outside the root, and never blocks.
#[test]
fn a_hostile_tree_is_collected_without_leaving_the_root_or_blocking() {
    let t = Tree::new("hostile-1");
    let outside = tempfile::tempdir().expect("outside");
    fs::create_dir_all(outside.path().join("manifests")).expect("mkdir");
    for file in ["manifests/kube-apiserver.yaml", "admin.conf", "proxy.yaml"] {
        fs::write(outside.path().join(file), "secret-outside-the-root").expect("write");
    }
    // /etc/kubernetes is a link to a directory outside the root.
    fs::create_dir_all(t.path("/etc")).expect("mkdir");
    symlink(outside.path(), t.path("/etc/kubernetes")).expect("dir symlink");
    // The kubelet's config is a FIFO: opening it for reading would block forever.
    fs::create_dir_all(t.path("/var/lib/kubelet")).expect("mkdir");
    let fifo = t.path("/var/lib/kubelet/config.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    t.process(
        10,
        &["/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml"],
        &[],
    );
    // kube-proxy's config climbs out with `..`.
    let climb = format!(
        "--config=/../../../../..{}",
        outside.path().join("proxy.yaml").display()
    );
    t.process(20, &["kube-proxy", &climb], &[]);
    // A command line of 3 MB (Linux allows it; the collector reads at most 1 MiB).
    let huge = format!("--x={}", "a".repeat(3 * 1024 * 1024));
    t.process(30, &["kube-apiserver", &huge], &[]);

    let out = stockade()
        .args(["collect", "--root"])
        .arg(t.dir.path())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("collect runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains("secret-outside-the-root"), "{text}");
    let facts: Value = serde_json::from_str(&text).expect("facts JSON");
    let errors = facts["errors"].as_array().expect("errors");
    assert!(
        collection_error(&facts, "/var/lib/kubelet/config.yaml").contains("not a regular file"),
        "{errors:?}"
    );
    assert!(
        collection_error(&facts, "/proc/30/cmdline").contains("larger than 1048576 bytes"),
        "{errors:?}"
    );
    let files = facts["files"].as_array().expect("files");
    let fact = |path: &str| files.iter().find(|f| f["path"] == path);
    let apiserver_manifest = fact("/etc/kubernetes/manifests/kube-apiserver.yaml");
    assert!(
        apiserver_manifest.is_none_or(|f| f["exists"] == false && f["content"].is_null()),
        "{apiserver_manifest:?}"
    );
    // The scan of these facts decides nothing from them: errors and skips, never passes.
    let scanned = stockade()
        .args(["scan", "--facts", "-", "-b", "cis-k8s@1.12", "-f", "json"])
        .write_stdin(text)
        .output()
        .expect("scan runs");
    let report: Value = serde_json::from_slice(&scanned.stdout).expect("report JSON");
    assert_eq!(status_of(&report, "CIS-4.2.1"), "error");
}

/// Key material never reaches the facts, even when a command line names a key file where a
/// config file belongs; an oversized config file is recorded, not read.
#[test]
fn key_material_and_huge_files_are_never_copied() {
    let t = Tree::new("hostile-2");
    t.file(
        "/etc/kubernetes/pki/kubelet.key",
        0o600,
        ROOT,
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAprivate-key-bytes\n-----END RSA PRIVATE KEY-----\n",
    );
    t.file(
        "/var/lib/kube-proxy/config.conf",
        0o644,
        ROOT,
        &format!("# padding\n{}", "x: y\n".repeat(400_000)),
    );
    t.process(
        10,
        &["kubelet", "--config=/etc/kubernetes/pki/kubelet.key"],
        &[],
    );
    t.process(
        20,
        &["kube-proxy", "--config=/var/lib/kube-proxy/config.conf"],
        &[],
    );
    let (facts, text) = t.collect();
    assert!(!text.contains("private-key-bytes"));
    assert!(text.contains("REDACTED PRIVATE KEY"));
    assert!(
        collection_error(&facts, "/var/lib/kube-proxy/config.conf")
            .contains("content not collected"),
        "{:?}",
        facts["errors"]
    );
    assert!(!text.contains("x: y\\nx: y"));
}

/// `stockade collect` on a synthetic Ubuntu 22.04 worker tree: kernel parameters from
/// /proc/sys, mounts, dpkg's database, enabled units, AppArmor, sshd's config and its includes,
/// containerd's config and its registry hosts; then one scan of the facts with the OS and
/// runtime benchmarks. Password hashes and registry credentials never reach the facts.
#[test]
fn an_ubuntu_worker_is_collected_and_scanned_for_every_layer() {
    let t = Tree::new("ubuntu-1");
    t.process(
        40,
        &["/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml"],
        &[],
    );
    t.file(
        "/var/lib/kubelet/config.yaml",
        0o644,
        ROOT,
        "kind: KubeletConfiguration\nseccompDefault: true\n",
    );
    for (key, value) in [
        ("net/ipv4/ip_forward", "1"),
        ("net/ipv4/tcp_syncookies", "1"),
        ("kernel/randomize_va_space", "2"),
        ("fs/suid_dumpable", "2"),
    ] {
        t.file(
            &format!("/proc/sys/{key}"),
            0o644,
            ROOT,
            &format!("{value}\n"),
        );
    }
    t.file(
        "/proc/mounts",
        0o444,
        ROOT,
        "/dev/sda1 / ext4 rw,relatime 0 0\ntmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\ntmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n/dev/sdb1 /var/lib/my\\040data ext4 rw 0 0\n",
    );
    t.file(
        "/proc/modules",
        0o444,
        ROOT,
        "overlay 151552 10 - Live 0x0\nsquashfs 73728 3 - Live 0x0\n",
    );
    t.file(
        "/proc/cmdline",
        0o444,
        ROOT,
        "BOOT_IMAGE=/vmlinuz ro apparmor=1 security=apparmor\n",
    );
    t.file(
        "/sys/module/apparmor/parameters/enabled",
        0o444,
        ROOT,
        "Y\n",
    );
    t.file(
        "/sys/kernel/security/apparmor/profiles",
        0o444,
        ROOT,
        "/usr/bin/man (enforce)\ncri-containerd.apparmor.d (enforce)\n",
    );
    t.file(
        "/var/lib/dpkg/status",
        0o644,
        ROOT,
        "Package: openssh-server\nStatus: install ok installed\nVersion: 1:8.9p1-3ubuntu0.10\n\nPackage: telnet\nStatus: deinstall ok config-files\nVersion: 0.17-44build1\n\nPackage: runc\nStatus: install ok installed\nVersion: 1.1.12-0ubuntu2~22.04.1\n\nPackage: containerd\nStatus: install ok installed\nVersion: 1.7.24-0ubuntu1~22.04.1\n",
    );
    t.dir("/etc/systemd/system/multi-user.target.wants", 0o755, ROOT);
    symlink(
        "/lib/systemd/system/cron.service",
        t.path("/etc/systemd/system/multi-user.target.wants/cron.service"),
    )
    .expect("symlink");
    t.file(
        "/etc/passwd",
        0o644,
        ROOT,
        "root:x:0:0:root:/root:/bin/bash\nlegacy:$6$salt$secrethash:1001:1001::/home/legacy:/bin/sh\n",
    );
    t.file(
        "/etc/shadow",
        0o640,
        ROOT,
        "root:$6$rootsalt$roothash:19000:0:99999:7:::\n",
    );
    t.file(
        "/etc/ssh/sshd_config",
        0o600,
        ROOT,
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\n",
    );
    t.file(
        "/etc/ssh/sshd_config.d/10-hardening.conf",
        0o600,
        ROOT,
        "PermitRootLogin no\n",
    );
    t.file(
        "/etc/ssh/ssh_host_ed25519_key",
        0o600,
        ROOT,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nhostkeybytes\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    t.file(
        "/etc/containerd/config.toml",
        0o644,
        ROOT,
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r.example\".auth]\n  password = \"registry-secret\"\n",
    );
    t.file(
        "/etc/containerd/certs.d/r.example/hosts.toml",
        0o644,
        ROOT,
        "server = \"http://r.example:5000\"\n",
    );
    let (facts, text) = t.collect();
    assert!(
        !text.contains("secrethash") && !text.contains("roothash"),
        "no password hash"
    );
    assert!(!text.contains("registry-secret"), "no registry credential");
    assert!(!text.contains("hostkeybytes"), "no host key");
    assert_eq!(facts["apiVersion"], "stockade.dev/v1alpha2");
    assert_eq!(facts["sysctl"]["net.ipv4.ip_forward"], "1");
    assert_eq!(
        facts["mounts"][3]["target"], "/var/lib/my data",
        "octal escapes decoded"
    );
    assert_eq!(facts["packages"]["openssh-server"], "1:8.9p1-3ubuntu0.10");
    assert!(
        facts["packages"].get("telnet").is_none(),
        "removed packages are not installed"
    );
    assert_eq!(
        facts["enabledServices"],
        serde_json::json!(["cron.service"])
    );
    assert_eq!(facts["apparmor"]["profiles"]["/usr/bin/man"], "enforce");
    let (report, _) = t.scan("cis-ubuntu");
    assert_eq!(status_of(&report, "UBU-3.3.10"), "pass");
    assert_eq!(status_of(&report, "UBU-1.5.3"), "fail");
    assert_eq!(
        status_of(&report, "UBU-3.3.1"),
        "exempt",
        "a kubelet runs: kubernetes-node"
    );
    assert_eq!(status_of(&report, "UBU-1.1.2.1.4"), "pass");
    assert_eq!(status_of(&report, "UBU-1.1.2.2.4"), "fail");
    assert_eq!(status_of(&report, "UBU-1.3.1.3"), "pass");
    assert_eq!(
        status_of(&report, "UBU-5.1.20"),
        "pass",
        "the include comes first and wins: {}",
        result_of(&report, "UBU-5.1.20")["message"]
    );
    assert_eq!(
        status_of(&report, "UBU-7.2.1"),
        "fail",
        "a password hash in /etc/passwd"
    );
    assert_eq!(status_of(&report, "UBU-2.4.1.1"), "pass");
    let (report, _) = t.scan("containerd");
    assert_eq!(status_of(&report, "CTR-1"), "fail", "http:// in hosts.toml");
    assert_eq!(
        status_of(&report, "CTR-9"),
        "pass",
        "seccompDefault in the kubelet config"
    );
    // runc 1.1.12 has the CVE-2024-21626 fix but predates the 2025 fixes; Ubuntu's build may
    // carry backports, so a person checks the changelog.
    let runc = result_of(&report, "CTR-11");
    assert_eq!(runc["status"], "manual");
    assert!(
        runc["message"]
            .as_str()
            .is_some_and(|m| m.contains("CVE-2025-31133") && !m.contains("CVE-2024-21626"))
    );
}

#[test]
fn files_that_sshd_and_sudo_include_are_collected_with_their_content() {
    let t = Tree::new("ubuntu-2");
    t.file(
        "/var/lib/dpkg/status",
        0o644,
        ROOT,
        "Package: openssh-server\nStatus: install ok installed\nVersion: 1:8.9p1-3ubuntu0.10\n\nPackage: sudo\nStatus: install ok installed\nVersion: 1.9.9-1ubuntu2.4\n",
    );
    t.file(
        "/etc/ssh/sshd_config",
        0o600,
        ROOT,
        "Include /etc/ssh/sshd_config.d/*.conf\nInclude extra.conf\nInclude /etc/ssh/site/*.conf\nPermitRootLogin no\n",
    );
    t.dir("/etc/ssh/sshd_config.d", 0o755, ROOT);
    // In /etc/ssh, which is otherwise listed by metadata only (host keys live there).
    t.file("/etc/ssh/extra.conf", 0o600, ROOT, "MaxAuthTries 3\n");
    t.file(
        "/etc/ssh/site/10-root.conf",
        0o644,
        ROOT,
        "PermitRootLogin yes\n",
    );
    t.file("/etc/ssh/site/README", 0o644, ROOT, "not included\n");
    t.file(
        "/etc/ssh/ssh_host_ed25519_key",
        0o600,
        ROOT,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nhostkeybytes\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    t.file(
        "/etc/sudoers",
        0o440,
        ROOT,
        "Defaults env_reset\n@include sudoers.local\n@includedir /etc/sudoers.d\n",
    );
    t.file("/etc/sudoers.local", 0o440, ROOT, "Defaults use_pty\n");
    t.file(
        "/etc/sudoers.d/use_pty.bak",
        0o440,
        ROOT,
        "Defaults !use_pty\n",
    );
    let (facts, text) = t.collect();
    assert!(!text.contains("hostkeybytes"), "no host key");
    let content = |path: &str| {
        facts["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["content"].clone())
            .unwrap_or_else(|| panic!("{path} not collected"))
    };
    assert_eq!(content("/etc/ssh/extra.conf"), "MaxAuthTries 3\n");
    assert_eq!(
        content("/etc/ssh/site/10-root.conf"),
        "PermitRootLogin yes\n"
    );
    assert_eq!(content("/etc/sudoers.local"), "Defaults use_pty\n");
    let (report, _) = t.scan("cis-ubuntu");
    let root = result_of(&report, "UBU-5.1.20");
    assert_eq!(root["status"], "fail", "{}", root["message"]);
    assert!(
        root["message"]
            .as_str()
            .unwrap_or_default()
            .contains("/etc/ssh/site/10-root.conf line 1"),
        "{}",
        root["message"]
    );
    assert_eq!(status_of(&report, "UBU-5.1.16"), "pass", "MaxAuthTries 3");
    // /etc/ssh/site/10-root.conf is 0644: the permission check covers Include targets.
    let access = result_of(&report, "UBU-5.1.1");
    assert_eq!(access["status"], "fail", "{}", access["message"]);
    // sudoers.local is read in place; sudoers.d/use_pty.bak has a dot: skipped.
    assert_eq!(status_of(&report, "UBU-5.2.2"), "pass");
}

/// Every verdict on a node points at the fact it judged (the process argument, the file entry,
/// the package, the mount, the unit), never at the top of the facts file.
#[test]
fn node_verdicts_are_located_at_the_fact_they_judge() {
    let out = stockade()
        .args([
            "scan",
            "--facts",
            "examples/node-facts/worker-1.json",
            "--facts",
            "examples/node-facts/cp-1.json",
            "-b",
            "cis-k8s",
            "-b",
            "cis-ubuntu@l2",
            "-b",
            "containerd",
            "-f",
            "json",
        ])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let at_top: Vec<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| matches!(r["status"].as_str(), Some("pass" | "fail" | "warn")))
        .filter(|r| r["location"]["line"] == 1)
        .filter(|r| {
            !r["message"]
                .as_str()
                .unwrap_or("")
                .contains("does not exist")
        })
        .map(|r| format!("{} {}", r["rule"], r["message"]))
        .collect();
    assert!(at_top.is_empty(), "located at 1:1: {at_top:#?}");
}
