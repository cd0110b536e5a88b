//! The webhook's two inputs from disk, the policy file and the certificate with its key: loaded
//! at start (an error stops the start) and polled afterwards. A change (of content, not just of
//! modification time: a Kubernetes secret or config map volume swaps a symlink) is loaded and,
//! if valid, replaces the current one; if not, the current one is kept, with a log line and a
//! metric. A connection keeps the TLS configuration it was accepted with, and a review the
//! policy it started with, so a swap drops nothing in flight.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result, anyhow};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use stockade_core::admission::AdmissionPolicy;

use super::log;
use super::metrics::{Metrics, Reloadable};

/// A value swapped whole: readers clone the `Arc` and keep it as long as they need it.
pub struct Current<T>(RwLock<Arc<T>>);

impl<T> Current<T> {
    pub fn new(value: T) -> Current<T> {
        Current(RwLock::new(Arc::new(value)))
    }

    pub fn get(&self) -> Arc<T> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, value: T) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(value);
    }
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// Where the certificate and key are.
#[derive(Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The TLS configuration from a PEM certificate chain and key: TLS 1.3 and 1.2 only, HTTP/1.1.
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8], files: &TlsFiles) -> Result<ServerConfig> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("{}: not a PEM certificate chain: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(anyhow!(
            "{}: no certificate (expected PEM `CERTIFICATE` blocks)",
            files.cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| anyhow!("{}: no usable PEM private key: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            anyhow!(
                "{} and {}: not a usable certificate and key: {e}",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Today's UTC date, `YYYY-MM-DD`: policy exemptions expire against it.
pub fn today() -> String {
    jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
        .to_string()
}

/// The policy: `file` (`stockade.yaml`) or the default options, dated `today` unless the file
/// pins `now`.
pub fn load_policy(file: Option<&Path>, text: &str, today: &str) -> Result<AdmissionPolicy> {
    let mut spec = match file {
        Some(path) => {
            let shown = path.display().to_string();
            stockade_core::load_policy_spec(&shown, text)
                .map_err(|e| anyhow!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))?
        }
        None => stockade_core::OptionsSpec::default(),
    };
    if spec.now.is_none() {
        spec.now = Some(today.to_owned());
    }
    let shown = file.map_or("the default policy".to_owned(), |p| p.display().to_string());
    AdmissionPolicy::new(&spec).map_err(|e| anyhow!("{shown}: not an admission policy: {e}"))
}

/// The state of the watched inputs.
pub struct Watched {
    pub policy_file: Option<PathBuf>,
    pub tls_files: Option<TlsFiles>,
    policy_digest: [u8; 32],
    policy_day: String,
    tls_digest: [u8; 32],
}

/// Loads everything once, at start.
pub fn load_all(
    policy_file: Option<&Path>,
    tls_files: Option<&TlsFiles>,
) -> Result<(AdmissionPolicy, Option<ServerConfig>, Watched)> {
    let text = match policy_file {
        Some(path) => String::from_utf8(read(path)?)
            .with_context(|| format!("{} is not UTF-8", path.display()))?,
        None => String::new(),
    };
    let day = today();
    let policy = load_policy(policy_file, &text, &day)?;
    let (tls, tls_digest) = match tls_files {
        Some(files) => {
            let (cert, key) = (read(&files.cert)?, read(&files.key)?);
            (
                Some(tls_config(&cert, &key, files)?),
                digest(&[&cert, &key]),
            )
        }
        None => (None, [0; 32]),
    };
    Ok((
        policy,
        tls,
        Watched {
            policy_file: policy_file.map(Path::to_path_buf),
            tls_files: tls_files.cloned(),
            policy_digest: digest(&[text.as_bytes()]),
            policy_day: day,
            tls_digest,
        },
    ))
}

impl Watched {
    /// One poll: reloads what changed. Runs on a blocking thread (file reads, compiling).
    pub fn poll(
        &mut self,
        policy: &Current<AdmissionPolicy>,
        tls: Option<&Current<ServerConfig>>,
        metrics: &Metrics,
    ) {
        if let Some(path) = self.policy_file.clone() {
            let day = today();
            match read(&path).and_then(|bytes| {
                String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))
            }) {
                Ok(text) => {
                    let d = digest(&[text.as_bytes()]);
                    if d != self.policy_digest || day != self.policy_day {
                        match load_policy(Some(&path), &text, &day) {
                            Ok(p) => {
                                policy.set(p);
                                metrics.reloaded(Reloadable::Policy);
                                log::info(
                                    "policy loaded",
                                    &[("file", &path.display().to_string())],
                                );
                            }
                            Err(e) => {
                                metrics.reload_failed(Reloadable::Policy);
                                log::error(
                                    "policy refused; the previous policy is kept",
                                    &[
                                        ("file", &path.display().to_string()),
                                        ("error", &format!("{e:#}")),
                                    ],
                                );
                            }
                        }
                        // A bad file is reported once, not at every poll.
                        self.policy_digest = d;
                        self.policy_day = day;
                    }
                }
                Err(e) => {
                    // A file briefly missing (a volume's symlink swap) is not a new policy.
                    if self.policy_digest != [0; 32] {
                        metrics.reload_failed(Reloadable::Policy);
                        log::error(
                            "policy file unreadable; the previous policy is kept",
                            &[("error", &format!("{e:#}"))],
                        );
                        self.policy_digest = [0; 32];
                    }
                }
            }
        } else if today() != self.policy_day {
            let day = today();
            if let Ok(p) = load_policy(None, "", &day) {
                policy.set(p);
                metrics.reloaded(Reloadable::Policy);
            }
            self.policy_day = day;
        }
        if let (Some(files), Some(current)) = (self.tls_files.clone(), tls) {
            match read(&files.cert).and_then(|c| Ok((c, read(&files.key)?))) {
                Ok((cert, key)) => {
                    let d = digest(&[&cert, &key]);
                    if d != self.tls_digest {
                        match tls_config(&cert, &key, &files) {
                            Ok(config) => {
                                current.set(config);
                                metrics.reloaded(Reloadable::Certificate);
                                log::info(
                                    "certificate loaded",
                                    &[("file", &files.cert.display().to_string())],
                                );
                            }
                            Err(e) => {
                                metrics.reload_failed(Reloadable::Certificate);
                                log::error(
                                    "certificate refused; the previous one is kept",
                                    &[("error", &format!("{e:#}"))],
                                );
                            }
                        }
                        self.tls_digest = d;
                    }
                }
                Err(e) => {
                    if self.tls_digest != [0; 32] {
                        metrics.reload_failed(Reloadable::Certificate);
                        log::error(
                            "certificate unreadable; the previous one is kept",
                            &[("error", &format!("{e:#}"))],
                        );
                        self.tls_digest = [0; 32];
                    }
                }
            }
        }
    }
}
