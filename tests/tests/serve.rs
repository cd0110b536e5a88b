//! `stockade serve` end to end: the real binary, a certificate generated here, a real HTTPS
//! client (hyper over rustls) trusting only the generated CA.
//!
//! Decisions are compared with the core's `admit()` for every judged object of `examples/`,
//! under both example admission policies; each fault of issue #19 has its own bounded test
//! (loopback, small counts, every wait under a deadline). The 10,000-connection figure and the
//! load and soak runs are in `bench/serve.sh`, not here.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use stockade_core::OptionsSpec;
use stockade_core::admission::{AdmissionPolicy, Decision, admit};
use stockade_core::input::manifest::parse_manifests;
use stockade_core::input::yaml::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Every wait in these tests is bounded by this.
const DEADLINE: Duration = Duration::from_secs(60);

/// A CA and the server certificate it signed, written to `dir`.
struct Pki {
    ca_key: KeyPair,
    ca_params: CertificateParams,
    ca_der: CertificateDer<'static>,
    dir: PathBuf,
}

impl Pki {
    fn new(dir: &Path) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "stockade test CA");
        let ca_der = ca_params.self_signed(&ca_key).unwrap().der().clone();
        let pki = Pki {
            ca_key,
            ca_params,
            ca_der,
            dir: dir.to_path_buf(),
        };
        pki.issue("server one");
        pki
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("tls.crt")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("tls.key")
    }

    /// Issues a new server certificate (and key) and swaps it in as the kubelet updates a
    /// secret volume: both files in a new directory, then the `..data` symlink replaced in one
    /// rename (`tls.crt` and `tls.key` link through it). Returns the certificate's DER.
    fn issue(&self, cn: &str) -> CertificateDer<'static> {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        let version = self.dir.join(format!("..{}", cn.replace(' ', "_")));
        std::fs::create_dir(&version).unwrap();
        std::fs::write(version.join("tls.key"), key.serialize_pem()).unwrap();
        std::fs::write(version.join("tls.crt"), cert.pem()).unwrap();
        let tmp = self.dir.join("..data_tmp");
        std::os::unix::fs::symlink(&version, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
        for file in ["tls.crt", "tls.key"] {
            let link = self.dir.join(file);
            if std::fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(self.dir.join("..data").join(file), &link).unwrap();
            }
        }
        cert.der().clone()
    }

    fn connector(&self) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        TlsConnector::from(Arc::new(config))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The running server: killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(pki: Option<&Pki>, config: Option<&Path>, extra: &[&str]) -> Server {
        let mut cmd = std::process::Command::new(common::binary());
        cmd.current_dir(common::root())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--reload-interval",
                "200ms",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match pki {
            Some(pki) => {
                cmd.arg("--tls-cert").arg(pki.cert());
                cmd.arg("--tls-key").arg(pki.key());
            }
            None => {
                cmd.arg("--insecure-http");
            }
        }
        if let Some(config) = config {
            cmd.arg("--config").arg(config);
        }
        cmd.args(extra);
        let mut child = cmd.spawn().expect("stockade serve starts");
        let stdout = child.stdout.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let logs = Arc::clone(&logs);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let v: Value = serde_json::from_str(&line).unwrap_or_default();
                    if v["msg"] == "listening" {
                        let _ = tx.send(v["address"].as_str().unwrap_or_default().to_owned());
                    }
                    logs.lock().unwrap().push(line);
                }
            });
        }
        let addr = rx
            .recv_timeout(DEADLINE)
            .expect("the server logs the address it listens on");
        Server {
            child,
            addr: addr.parse().unwrap(),
            logs,
        }
    }

    fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Waits until a log line contains `needle`.
    fn wait_log(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(l) = self.logs().into_iter().find(|l| l.contains(needle)) {
                return l;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no log line with {needle:?} in:\n{}",
                self.logs().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn sigterm(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, returning its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(start.elapsed() < DEADLINE, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn tls(pki: &Pki, addr: SocketAddr) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    pki.connector()
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// An HTTP/1.1 connection (hyper's client) over TLS.
struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(pki: &Pki, addr: SocketAddr) -> Client {
        let stream = tls(pki, addr).await.expect("TLS connection");
        Client::over(TokioIo::new(stream)).await
    }

    async fn over<I>(io: I) -> Client
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let (sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        Client { sender }
    }

    async fn request(&mut self, method: &str, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        self.try_request(method, path, body).await.unwrap()
    }

    async fn try_request(
        &mut self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), hyper::Error> {
        self.sender.ready().await?;
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes().to_vec();
        Ok((status, body))
    }

    async fn review(&mut self, review: &Value) -> Value {
        let (status, body) = self
            .request("POST", "/validate", review.to_string().into_bytes())
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}

fn review(uid: &str, object: &Value, operation: &str, old: Option<&Value>) -> Value {
    let kind = object["kind"].as_str().unwrap_or_default();
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"].as_str().unwrap_or("default"),
            "operation": operation,
            "userInfo": {"username": "alice@example.com", "groups": ["system:authenticated"]},
            "object": object,
            "oldObject": old.cloned().unwrap_or(Value::Null),
            "dryRun": false,
        }
    })
}

/// A restricted-compliant pod and a privileged one.
fn good_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "good", "namespace": "team-a"},
        "spec": {
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": "registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
            }]
        }
    })
}

fn bad_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "bad", "namespace": "team-a"},
        "spec": {"containers": [{
            "name": "app", "image": "nginx",
            "env": [{"name": "TOKEN", "value": "do-not-log-this-value"}],
            "securityContext": {"privileged": true}
        }]}
    })
}

/// The policy of an example `ClusterAdmissionPolicy` (its `settings`), pinned to a date.
fn example_policy(file: &str) -> Value {
    let text =
        std::fs::read_to_string(common::root().join("examples/admission").join(file)).unwrap();
    let parsed = parse_manifests(file, &text, Limits::default());
    let mut settings = parsed.resources[0].node.to_json()["spec"]["settings"].clone();
    settings["now"] = json!(common::TODAY);
    settings
}

fn compiled(settings: &Value) -> AdmissionPolicy {
    let spec: OptionsSpec = serde_json::from_value(settings.clone()).unwrap();
    AdmissionPolicy::new(&spec).unwrap()
}

fn write_policy(dir: &Path, settings: &Value) -> PathBuf {
    let path = dir.join("stockade.yaml");
    write_atomically(
        &path,
        serde_json::to_string_pretty(settings).unwrap().as_bytes(),
    );
    path
}

/// The response must say what `admit()` decided.
fn assert_same(answer: &Value, decision: &Decision, what: &str) {
    let r = &answer["response"];
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1", "{what}");
    assert_eq!(answer["kind"], "AdmissionReview", "{what}");
    assert_eq!(r["uid"], json!(decision.uid), "{what}");
    assert_eq!(r["allowed"], json!(decision.allowed), "{what}: {answer}");
    assert_eq!(
        r["status"]["code"],
        json!(decision.code),
        "{what}: {answer}"
    );
    assert_eq!(r["status"]["message"], json!(decision.message), "{what}");
    let warnings = r.get("warnings").cloned().unwrap_or(json!([]));
    assert_eq!(warnings, json!(decision.warnings), "{what}");
    let annotations = r.get("auditAnnotations").cloned().unwrap_or(json!({}));
    assert_eq!(annotations, json!(decision.audit_annotations), "{what}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            manifest_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

/// Every object of `examples/` and the core's fixtures (the Kubewarden parity test's inputs),
/// as a CREATE and as an UPDATE from itself: kinds admission judges and kinds it refuses.
fn example_reviews() -> Vec<Value> {
    let root = common::root();
    let mut paths = Vec::new();
    for dir in ["examples", "core/tests/fixtures"] {
        manifest_files(&root.join(dir), &mut paths);
    }
    let mut out = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        for (i, resource) in parse_manifests(&name, &text, Limits::default())
            .resources
            .iter()
            .enumerate()
        {
            let object = resource.node.to_json();
            if !object["kind"].is_string() {
                continue;
            }
            let uid = format!("{name}#{i}");
            out.push(review(&format!("{uid}-create"), &object, "CREATE", None));
            out.push(review(
                &format!("{uid}-update"),
                &object,
                "UPDATE",
                Some(&object),
            ));
        }
    }
    out
}

#[test]
fn decisions_equal_admit_for_the_examples_under_both_example_policies() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let reviews = example_reviews();
    assert!(reviews.len() > 200, "{} reviews", reviews.len());
    for file in ["stockade-enforce.yaml", "stockade-warn-first.yaml"] {
        let settings = example_policy(file);
        let config = write_policy(dir.path(), &settings);
        let policy = compiled(&settings);
        let server = Server::start(Some(&pki), Some(&config), &[]);
        let (mut allowed, mut rejected) = (0, 0);
        runtime().block_on(async {
            let mut client = Client::connect(&pki, server.addr).await;
            for r in reviews.iter().chain([
                &review("g", &good_pod(), "CREATE", None),
                &review("b", &bad_pod(), "CREATE", None),
            ]) {
                let answer = client.review(r).await;
                let expected = admit(&r.to_string(), &policy);
                assert_same(
                    &answer,
                    &expected,
                    &format!("{file}: {}", r["request"]["uid"]),
                );
                if expected.allowed {
                    allowed += 1;
                } else {
                    rejected += 1;
                }
            }
        });
        // Not vacuous: the enforcing policy rejects some, and allows some.
        if file == "stockade-enforce.yaml" {
            assert!(
                allowed > 50 && rejected > 50,
                "{allowed} allowed, {rejected} rejected"
            );
        } else {
            assert!(allowed > 100, "{allowed} allowed, {rejected} rejected");
        }
        // One log line per decision, without the object's contents.
        let logs = server.logs();
        let decisions: Vec<Value> = logs
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["msg"] == "admission")
            .collect();
        assert_eq!(decisions.len(), reviews.len() + 2);
        let bad = decisions.iter().find(|d| d["uid"] == "b").unwrap();
        assert_eq!(bad["kind"], "Pod");
        assert_eq!(bad["namespace"], "team-a");
        assert_eq!(bad["name"], "bad");
        assert_eq!(bad["user"], "alice@example.com");
        assert!(
            bad["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "PSS003"),
            "{bad}"
        );
        assert!(bad["latency_ms"].is_number());
        assert!(!logs.iter().any(|l| l.contains("do-not-log-this-value")));
    }
}

#[test]
fn health_readiness_metrics_and_plain_http() {
    let server = Server::start(None, None, &[]);
    runtime().block_on(async {
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut client = Client::over(TokioIo::new(tcp)).await;
        assert_eq!(client.request("GET", "/healthz", vec![]).await.0, 200);
        assert_eq!(client.request("GET", "/readyz", vec![]).await.0, 200);
        assert_eq!(client.request("GET", "/nothing", vec![]).await.0, 404);
        assert_eq!(client.request("GET", "/validate", vec![]).await.0, 405);
        let answer = client.review(&review("p1", &bad_pod(), "CREATE", None)).await;
        assert_eq!(answer["response"]["uid"], "p1");
        assert_eq!(answer["response"]["allowed"], false);
        assert_eq!(answer["response"]["status"]["code"], 403);
        let answer = client.review(&review("p2", &good_pod(), "CREATE", None)).await;
        assert_eq!(answer["response"]["allowed"], true, "{answer}");
        let (status, body) = client.request("GET", "/metrics", vec![]).await;
        assert_eq!(status, 200);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(
            "stockade_admission_requests_total{decision=\"rejected\",kind=\"Pod\",mode=\"enforce\"} 1"
        ), "{text}");
        assert!(text.contains(
            "stockade_admission_requests_total{decision=\"allowed\",kind=\"Pod\",mode=\"none\"} 1"
        ), "{text}");
        assert!(text.contains("stockade_admission_duration_seconds_count 2"), "{text}");
    });
}

/// Reads a metric's value from `/metrics`.
async fn metric(client: &mut Client, name: &str) -> f64 {
    let (_, body) = client.request("GET", "/metrics", vec![]).await;
    let text = String::from_utf8(body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn malformed_json_and_wrong_api_version_are_refused_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start(Some(&pki), None, &[]);
    runtime().block_on(async {
        let mut client = Client::connect(&pki, server.addr).await;
        let (status, body) = client
            .request(
                "POST",
                "/validate",
                b"{\"apiVersion\": \"admission.k8s.io/v1\", ".to_vec(),
            )
            .await;
        assert_eq!(status, 400);
        assert!(String::from_utf8_lossy(&body).contains("not JSON"));
        let mut old = review("old", &good_pod(), "CREATE", None);
        old["apiVersion"] = json!("admission.k8s.io/v1beta1");
        let (status, body) = client
            .request("POST", "/validate", old.to_string().into_bytes())
            .await;
        assert_eq!(status, 400);
        assert!(String::from_utf8_lossy(&body).contains("admission.k8s.io/v1"));
        let (status, _) = client
            .request(
                "POST",
                "/validate",
                b"{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\"}"
                    .to_vec(),
            )
            .await;
        assert_eq!(status, 400);
        // The same connection still serves.
        let answer = client
            .review(&review("after", &good_pod(), "CREATE", None))
            .await;
        assert_eq!(answer["response"]["uid"], "after");
        assert_eq!(
            metric(
                &mut client,
                "stockade_serve_errors_total{cause=\"malformed_json\"}"
            )
            .await,
            1.0
        );
        assert_eq!(
            metric(
                &mut client,
                "stockade_serve_errors_total{cause=\"not_admission_review\"}"
            )
            .await,
            2.0
        );
    });
}

#[test]
fn a_50_mb_body_is_refused_from_its_headers_and_a_long_chunked_one_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start(Some(&pki), None, &[]);
    runtime().block_on(async {
        // Headers announce 50 MB; 1 KiB follows. The answer comes without the rest.
        let mut s = tls(&pki, server.addr).await.unwrap();
        s.write_all(b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 52428800\r\n\r\n").await.unwrap();
        s.write_all(&[b' '; 1024]).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("an answer before the body is sent")
            .unwrap();
        let head = String::from_utf8_lossy(&buf[..n]);
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
        // Chunked, no length: refused when the cap (3 MiB) is passed, not at 50 MB.
        let mut s = tls(&pki, server.addr).await.unwrap();
        s.write_all(b"POST /validate HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n").await.unwrap();
        let chunk = {
            let mut c = format!("{:x}\r\n", 65536).into_bytes();
            c.extend_from_slice(&[b' '; 65536]);
            c.extend_from_slice(b"\r\n");
            c
        };
        let mut sent = 0usize;
        let (mut r, mut w) = tokio::io::split(s);
        let writer = tokio::spawn(async move {
            while sent < 50 * 1024 * 1024 {
                if w.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += 65536;
            }
            sent
        });
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(30), r.read_to_end(&mut answer)).await;
        let sent = writer.await.unwrap();
        // The answer, unless the reset of the unread bytes overtook it.
        let head = String::from_utf8_lossy(&answer);
        assert!(answer.is_empty() || head.starts_with("HTTP/1.1 413"), "{head}");
        assert!(sent < 20 * 1024 * 1024, "{sent} bytes written before the server closed");
        let mut client = Client::connect(&pki, server.addr).await;
        assert_eq!(metric(&mut client, "stockade_serve_errors_total{cause=\"body_too_large\"}").await, 2.0);
        client.review(&review("after", &good_pod(), "CREATE", None)).await;
    });
}

#[test]
fn slowloris_and_half_open_tls_are_cut_at_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start(Some(&pki), None, &["--header-timeout", "1s"]);
    runtime().block_on(async {
        let start = Instant::now();
        // Half-open TLS: a TCP connection that never says hello.
        let mut silent = TcpStream::connect(server.addr).await.unwrap();
        // Half a ClientHello.
        let mut partial = TcpStream::connect(server.addr).await.unwrap();
        partial.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).await.unwrap();
        // Slowloris: a request head trickled a byte at a time.
        let slow = tls(&pki, server.addr).await.unwrap();
        let trickle = tokio::spawn(async move {
            let mut slow = slow;
            let head = b"POST /validate HTTP/1.1\r\nhost: localhost\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
            for b in head {
                if slow.write_all(&[*b]).await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Closed by the server: a read gives EOF or an error.
            let mut buf = [0u8; 256];
            matches!(slow.read(&mut buf).await, Ok(0) | Err(_))
                || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408")
        });
        // Meanwhile the server answers others at once.
        let mut client = Client::connect(&pki, server.addr).await;
        let t = Instant::now();
        client.review(&review("busy", &good_pod(), "CREATE", None)).await;
        assert!(t.elapsed() < Duration::from_secs(1));
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
        assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "silent TLS client not cut: {n:?}");
        let n = tokio::time::timeout(Duration::from_secs(10), partial.read(&mut buf)).await;
        assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "half ClientHello not cut: {n:?}");
        let closed = tokio::time::timeout(Duration::from_secs(10), trickle).await.unwrap().unwrap();
        assert!(closed, "the slow client was not cut");
        assert!(start.elapsed() < Duration::from_secs(8), "{:?}", start.elapsed());
        let mut client = Client::connect(&pki, server.addr).await;
        assert_eq!(metric(&mut client, "stockade_serve_errors_total{cause=\"tls_handshake_timeout\"}").await, 2.0);
        assert!(metric(&mut client, "stockade_serve_errors_total{cause=\"http\"}").await >= 1.0);
    });
}

#[test]
fn a_client_leaving_mid_request_costs_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let server = Server::start(Some(&pki), None, &[]);
    runtime().block_on(async {
        let body = review("gone", &bad_pod(), "CREATE", None)
            .to_string()
            .into_bytes();
        for _ in 0..20 {
            let mut s = tls(&pki, server.addr).await.unwrap();
            let head = format!(
                "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&body[..body.len() / 2]).await.unwrap();
            s.flush().await.unwrap();
            drop(s);
        }
        // A complete request whose client leaves before the answer.
        for _ in 0..20 {
            let mut s = tls(&pki, server.addr).await.unwrap();
            let head = format!(
                "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&body).await.unwrap();
            drop(s);
        }
        let mut client = Client::connect(&pki, server.addr).await;
        let start = Instant::now();
        while metric(
            &mut client,
            "stockade_serve_errors_total{cause=\"client_disconnect\"}",
        )
        .await
            < 20.0
        {
            assert!(start.elapsed() < DEADLINE);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let answer = client
            .review(&review("after", &good_pod(), "CREATE", None))
            .await;
        assert_eq!(answer["response"]["allowed"], true);
        while metric(&mut client, "stockade_connections_open").await > 1.0 {
            assert!(start.elapsed() < DEADLINE, "connections left open");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

#[test]
fn two_thousand_connections_at_once_are_all_answered() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Arc::new(Pki::new(dir.path()));
    // Fewer slots than connections: the others wait in the backlog, none is dropped.
    let server = Server::start(Some(&pki), None, &["--max-connections", "256"]);
    const N: usize = 2000;
    runtime().block_on(async {
        let addr = server.addr;
        let body = Arc::new(review("many", &bad_pod(), "CREATE", None));
        let mut tasks = Vec::new();
        for i in 0..N {
            let pki = Arc::clone(&pki);
            let body = Arc::clone(&body);
            tasks.push(tokio::spawn(async move {
                let mut r = (*body).clone();
                r["request"]["uid"] = json!(format!("many-{i}"));
                let mut client = Client::connect(&pki, addr).await;
                let answer = client.review(&r).await;
                answer["response"]["uid"] == json!(format!("many-{i}"))
                    && answer["response"]["allowed"] == false
            }));
        }
        let start = Instant::now();
        let mut ok = 0;
        for t in tasks {
            if tokio::time::timeout(DEADLINE, t).await.unwrap().unwrap() {
                ok += 1;
            }
        }
        assert_eq!(ok, N);
        eprintln!("{N} connections answered in {:?}", start.elapsed());
    });
}

#[test]
fn sigterm_finishes_requests_in_flight_and_refuses_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Arc::new(Pki::new(dir.path()));
    let mut server = Server::start(Some(&pki), None, &[]);
    let addr = server.addr;
    let rt = runtime();
    // Requests in flight: headers and half the body sent.
    let body = review("inflight", &bad_pod(), "CREATE", None)
        .to_string()
        .into_bytes();
    let mut streams = rt.block_on(async {
        let mut streams = Vec::new();
        for _ in 0..10 {
            let mut s = tls(&pki, addr).await.unwrap();
            let head = format!(
                "POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&body[..body.len() / 2]).await.unwrap();
            s.flush().await.unwrap();
            streams.push(s);
        }
        // Under load meanwhile: clients sending reviews in a loop.
        streams
    });
    let load: Vec<_> = (0..4)
        .map(|w| {
            let pki = Arc::clone(&pki);
            rt.spawn(async move {
                let (mut answered, mut bad) = (0, 0);
                loop {
                    let Ok(stream) = tls(&pki, addr).await else {
                        break;
                    };
                    let mut client = Client::over(TokioIo::new(stream)).await;
                    loop {
                        let r =
                            review(&format!("load-{w}-{answered}"), &good_pod(), "CREATE", None);
                        match client
                            .try_request("POST", "/validate", r.to_string().into_bytes())
                            .await
                        {
                            Ok((status, body)) => {
                                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                                if status == 200 && v["response"]["uid"] == r["request"]["uid"] {
                                    answered += 1;
                                } else {
                                    bad += 1;
                                }
                            }
                            // The connection closed by the shutdown (before this request was
                            // read): open another, which the closed listener refuses.
                            Err(_) => break,
                        }
                    }
                }
                (answered, bad)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    server.sigterm();
    server.wait_log("listener closed");
    rt.block_on(async {
        // The rest of the bodies: every request in flight is answered.
        for s in &mut streams {
            s.write_all(&body[body.len() / 2..]).await.unwrap();
        }
        for s in &mut streams {
            let mut answer = Vec::new();
            tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
                .await
                .unwrap()
                .ok();
            let text = String::from_utf8_lossy(&answer);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(text.contains("\"uid\":\"inflight\""), "{text}");
        }
        let (mut answered, mut bad) = (0, 0);
        for l in load {
            let (a, b) = tokio::time::timeout(DEADLINE, l).await.unwrap().unwrap();
            answered += a;
            bad += b;
        }
        assert!(answered > 0);
        assert_eq!(bad, 0, "{answered} answered");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "a new connection was accepted"
        );
    });
    assert_eq!(server.wait_exit(), Some(0));
    server.wait_log("\"msg\":\"stopped\"");
}

#[test]
fn a_certificate_swapped_under_load_drops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Arc::new(Pki::new(dir.path()));
    let server = Server::start(Some(&pki), None, &[]);
    let addr = server.addr;
    runtime().block_on(async {
        // A connection made before the swap, used after it.
        let mut before = Client::connect(&pki, addr).await;
        before
            .review(&review("before", &good_pod(), "CREATE", None))
            .await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let load: Vec<_> = (0..4)
            .map(|w| {
                let pki = Arc::clone(&pki);
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        // A new connection each time: handshakes across the swap.
                        let mut client = Client::connect(&pki, addr).await;
                        let uid = format!("swap-{w}-{n}");
                        let answer = client
                            .review(&review(&uid, &good_pod(), "CREATE", None))
                            .await;
                        assert_eq!(answer["response"]["uid"], json!(uid));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let new = pki.issue("server two");
        server.wait_log("certificate loaded");
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut total = 0;
        for l in load {
            total += tokio::time::timeout(DEADLINE, l).await.unwrap().unwrap();
        }
        assert!(total > 0);
        // New connections get the new certificate; the old connection still serves.
        let s = tls(&pki, addr).await.unwrap();
        let peer = s.get_ref().1.peer_certificates().unwrap()[0].clone();
        assert_eq!(peer, new);
        before
            .review(&review("after", &good_pod(), "CREATE", None))
            .await;
        // A bad certificate is refused and the current one kept.
        let broken = dir.path().join("..broken");
        std::fs::create_dir(&broken).unwrap();
        std::fs::write(
            broken.join("tls.crt"),
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        std::fs::write(broken.join("tls.key"), std::fs::read(pki.key()).unwrap()).unwrap();
        std::os::unix::fs::symlink(&broken, dir.path().join("..data_tmp")).unwrap();
        std::fs::rename(dir.path().join("..data_tmp"), dir.path().join("..data")).unwrap();
        server.wait_log("certificate refused");
        let mut client = Client::connect(&pki, addr).await;
        client
            .review(&review("kept", &good_pod(), "CREATE", None))
            .await;
        assert_eq!(
            metric(&mut client, "stockade_tls_reload_errors_total").await,
            1.0
        );
    });
}

#[test]
fn an_invalid_policy_swapped_in_is_refused_and_the_old_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let enforce = example_policy("stockade-enforce.yaml");
    let config = write_policy(dir.path(), &enforce);
    let server = Server::start(Some(&pki), Some(&config), &[]);
    runtime().block_on(async {
        let mut client = Client::connect(&pki, server.addr).await;
        let bad = review("bad", &bad_pod(), "CREATE", None);
        let answer = client.review(&bad).await;
        assert_eq!(answer["response"]["allowed"], false);
        // Invalid: an unknown key, at line 2.
        write_atomically(&config, b"admission:\n  enforce:\n    level: restricted\n");
        let line = server.wait_log("policy refused");
        assert!(line.contains("stockade.yaml:3"), "{line}");
        assert!(line.contains("level"), "{line}");
        let answer = client.review(&bad).await;
        assert_same(
            &answer,
            &admit(&bad.to_string(), &compiled(&enforce)),
            "old policy kept",
        );
        assert_eq!(
            metric(&mut client, "stockade_policy_reload_errors_total").await,
            1.0
        );
        // A valid new policy is taken.
        let warn = example_policy("stockade-warn-first.yaml");
        write_policy(dir.path(), &warn);
        server.wait_log("policy loaded");
        let answer = client.review(&bad).await;
        assert_same(
            &answer,
            &admit(&bad.to_string(), &compiled(&warn)),
            "new policy",
        );
        assert_eq!(answer["response"]["allowed"], true);
        assert_eq!(
            metric(&mut client, "stockade_policy_reloads_total").await,
            1.0
        );
    });
}

#[test]
fn a_bad_start_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let config = dir.path().join("stockade.yaml");
    std::fs::write(&config, "failOn: never\n").unwrap();
    common::stockade()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(pki.cert())
        .arg("--tls-key")
        .arg(pki.key())
        .arg("--config")
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("stockade.yaml:1"));
    common::stockade()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-key"])
        .arg(pki.key())
        .arg("--tls-cert")
        .arg(dir.path().join("missing.crt"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.crt"));
    common::stockade()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--tls-cert"));
}

#[test]
fn the_webhook_deployment_passes_the_restricted_scan() {
    let out = common::stockade()
        .args([
            "scan",
            "deploy/webhook",
            "--no-config",
            "-b",
            "pss-restricted",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let results = report["results"].as_array().unwrap();
    // Not vacuous: the Deployment's pod template is judged, and passes every check.
    assert!(
        results
            .iter()
            .any(|r| r["resource"]["kind"] == "Deployment" && r["status"] == "pass"),
        "{report:#}"
    );
    assert!(!results.iter().any(|r| r["status"] == "fail"), "{report:#}");
    assert_eq!(report["errors"], json!([]), "{report:#}");
}
