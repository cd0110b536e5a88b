//! `stockade serve`: the admission policy as a Kubernetes validating admission webhook.
//!
//! A thin adapter: HTTP/1.1 (hyper) over TLS (rustls, TLS 1.2 and 1.3) on tokio; every
//! decision is the core's `admit_value`, the one the Kubewarden policy returns. This module
//! holds the server's own concerns: the limits (connections, header, body and evaluation
//! timeouts, body size), the reload of the policy and certificate, graceful shutdown, logs and
//! metrics. `docs/serve.md` documents them for operators.

mod handler;
mod log;
mod metrics;
mod reload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use serde_json::{Map, Value};
use stockade_core::admission::AdmissionPolicy;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};

use metrics::{ErrorCause, Metrics};
use reload::{Current, TlsFiles};

/// A duration flag: `500ms`, `10s`, `2m` (a bare number is seconds).
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 500ms, 10s, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("{text:?}: unknown unit {unit:?} (use ms, s or m)")),
    }
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The server certificate chain (PEM). Reloaded when it changes.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "insecure_http",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1). Reloaded when it changes.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "insecure_http",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS: for local testing only (the API server calls
    /// webhooks over HTTPS).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    insecure_http: bool,
    /// Address and port to listen on (port 0 picks a free one; the address bound is logged).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// The policy file (`stockade.yaml`: the options object, `admission` section included).
    /// Reloaded when it changes; a bad new policy is refused and the old one kept. Default: the
    /// default options.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Connections served at once; more wait in the listen backlog until one closes.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: u32,
    /// Time a connection has to finish its TLS handshake, and then to send each request's
    /// headers (counted from the connection's start or its previous answer: it is also the
    /// keep-alive idle timeout).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    header_timeout: Duration,
    /// Time a request's body has to arrive after its headers.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    body_timeout: Duration,
    /// Budget of one evaluation; over it the request gets 503 (and the webhook's
    /// failurePolicy applies).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    eval_timeout: Duration,
    /// After SIGTERM, keep serving this long (with /readyz failing) before closing the
    /// listener, while the endpoint is removed from the Service.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration)]
    shutdown_delay: Duration,
    /// After the listener closes, how long in-flight requests have to finish.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = duration)]
    drain_timeout: Duration,
    /// How often the policy file and certificate are checked for changes.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    reload_interval: Duration,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<std::num::NonZeroUsize>,
}

/// The per-request limits.
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub eval_timeout: Duration,
}

/// What every connection shares.
pub struct State {
    pub policy: Current<AdmissionPolicy>,
    pub tls: Option<Current<ServerConfig>>,
    pub metrics: Metrics,
    pub limits: Limits,
    /// SIGTERM received: /readyz fails.
    pub draining: AtomicBool,
}

pub fn run(args: ServeArgs) -> Result<u8> {
    if args.max_connections == 0 {
        bail!("--max-connections must be at least 1");
    }
    let tls_files = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let (policy, tls, watched) = reload::load_all(args.config.as_deref(), tls_files.as_ref())?;
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, std::num::NonZeroUsize::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        // Evaluations: CPU-bound and short; a few more than the cores, so that one past its
        // budget (it cannot be cancelled) does not hold up the others.
        .max_blocking_threads(threads.saturating_mul(4))
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let state = Arc::new(State {
        policy: Current::new(policy),
        tls: tls.map(Current::new),
        metrics: Metrics::default(),
        limits: Limits {
            header_timeout: args.header_timeout,
            body_timeout: args.body_timeout,
            eval_timeout: args.eval_timeout,
        },
        draining: AtomicBool::new(false),
    });
    let code = runtime.block_on(serve(args, state, watched))?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(code)
}

async fn serve(args: ServeArgs, state: Arc<State>, mut watched: reload::Watched) -> Result<u8> {
    let socket = if args.listen.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .context("creating the socket")?;
    socket.set_reuseaddr(true).context("SO_REUSEADDR")?;
    socket
        .bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    // Connections over --max-connections wait here (the kernel caps it at somaxconn).
    let listener = socket
        .listen(4096)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let bound = listener.local_addr().context("the bound address")?;
    log::line(
        "info",
        "listening",
        Map::from_iter([
            ("address".to_owned(), Value::from(bound.to_string())),
            ("tls".to_owned(), Value::from(state.tls.is_some())),
            (
                "config".to_owned(),
                Value::from(
                    args.config
                        .as_ref()
                        .map_or("(default policy)".to_owned(), |p| p.display().to_string()),
                ),
            ),
        ]),
    );

    // The watcher: polls the files on a blocking thread.
    {
        let state = Arc::clone(&state);
        let interval = args.reload_interval.max(Duration::from_millis(100));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let st = Arc::clone(&state);
                let w = tokio::task::spawn_blocking(move || {
                    watched.poll(&st.policy, st.tls.as_ref(), &st.metrics);
                    watched
                })
                .await;
                match w {
                    Ok(w) => watched = w,
                    Err(_) => return,
                }
            }
        });
    }

    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("handling SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("handling SIGINT")?;
    let draining = {
        let state = Arc::clone(&state);
        let delay = args.shutdown_delay;
        async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            state.draining.store(true, Ordering::SeqCst);
            log::info(
                "shutting down",
                &[
                    ("signal", name),
                    ("delay_ms", &delay.as_millis().to_string()),
                ],
            );
            tokio::time::sleep(delay).await;
        }
    };
    tokio::pin!(draining);

    let limit = Arc::new(Semaphore::new(args.max_connections as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    loop {
        let permit = tokio::select! {
            biased;
            _ = &mut draining => break,
            p = Arc::clone(&limit).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, _peer) = tokio::select! {
            biased;
            _ = &mut draining => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait a
                    // little and go on.
                    log::error("accept failed", &[("error", &e.to_string())]);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let state = Arc::clone(&state);
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            state.metrics.connection_opened();
            connection(stream, &state, stop).await;
            state.metrics.connection_closed();
            drop(permit);
        });
    }
    // Refuse new connections; finish what was accepted.
    drop(listener);
    let _ = stop_tx.send(true);
    let open = args.max_connections as usize - limit.available_permits();
    log::info(
        "listener closed; draining",
        &[("connections", &open.to_string())],
    );
    let drained =
        tokio::time::timeout(args.drain_timeout, limit.acquire_many(args.max_connections))
            .await
            .is_ok();
    if drained {
        log::info("stopped", &[]);
    } else {
        let open = args.max_connections as usize - limit.available_permits();
        log::error(
            "stopped with connections still open after the drain timeout",
            &[("connections", &open.to_string())],
        );
    }
    Ok(0)
}

async fn connection(stream: TcpStream, state: &Arc<State>, stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    match &state.tls {
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.get());
            match tokio::time::timeout(state.limits.header_timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => http(TokioIo::new(stream), state, stop).await,
                Ok(Err(_)) => state.metrics.error(ErrorCause::TlsHandshake),
                Err(_) => state.metrics.error(ErrorCause::TlsHandshakeTimeout),
            }
        }
        None => http(TokioIo::new(stream), state, stop).await,
    }
}

async fn http<I>(io: I, state: &Arc<State>, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let st = Arc::clone(state);
    let service = service_fn(move |req| handler::handle(req, Arc::clone(&st)));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(state.limits.header_timeout)
        .max_buf_size(64 * 1024);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if result.is_err() {
                    state.metrics.error(ErrorCause::Http);
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    // Finish the request in flight (if any), then close.
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert!(duration("2h").is_err());
        assert!(duration("fast").is_err());
        assert!(duration("").is_err());
    }
}
