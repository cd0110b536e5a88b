//! The webhook's metrics, in the Prometheus text exposition format (version 0.0.4), written
//! by hand: a few counters and one histogram do not need a metrics library.
//!
//! Every label value comes from a closed set (decisions, modes, the kinds admission evaluates,
//! error causes), so no caller can grow the output without bound.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds (the last is `+Inf`).
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Why a request or connection was not answered with a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorCause {
    /// The body is not JSON.
    MalformedJson,
    /// JSON, but not an `admission.k8s.io/v1` AdmissionReview with a request.
    NotAdmissionReview,
    /// The body is over the limit.
    BodyTooLarge,
    /// The body did not arrive within the body timeout.
    BodyTimeout,
    /// The client went away while sending the body.
    ClientDisconnect,
    /// The evaluation did not finish within its budget.
    EvaluationTimeout,
    /// The evaluation task failed (a bug).
    Internal,
    /// The TLS handshake failed.
    TlsHandshake,
    /// The TLS handshake did not finish within the idle timeout (a half-open connection).
    TlsHandshakeTimeout,
    /// The connection failed at the HTTP level: request head too slow (slowloris) or too
    /// large, a reset, a protocol error.
    Http,
}

impl ErrorCause {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCause::MalformedJson => "malformed_json",
            ErrorCause::NotAdmissionReview => "not_admission_review",
            ErrorCause::BodyTooLarge => "body_too_large",
            ErrorCause::BodyTimeout => "body_timeout",
            ErrorCause::ClientDisconnect => "client_disconnect",
            ErrorCause::EvaluationTimeout => "evaluation_timeout",
            ErrorCause::Internal => "internal",
            ErrorCause::TlsHandshake => "tls_handshake",
            ErrorCause::TlsHandshakeTimeout => "tls_handshake_timeout",
            ErrorCause::Http => "http",
        }
    }
}

/// A reloadable input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reloadable {
    Policy,
    Certificate,
}

#[derive(Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// The counters.
#[derive(Default)]
pub struct Metrics {
    /// Decisions by (decision, kind, mode).
    requests: Mutex<BTreeMap<(&'static str, String, &'static str), u64>>,
    latency: Histogram,
    errors: Mutex<BTreeMap<ErrorCause, u64>>,
    reloads: Mutex<BTreeMap<Reloadable, u64>>,
    reload_errors: Mutex<BTreeMap<Reloadable, u64>>,
    connections_open: AtomicU64,
    connections_total: AtomicU64,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *map.entry(key).or_insert(0) += 1;
}

impl Metrics {
    /// A decision: `decision` is `allowed`, `rejected` or `error`; `kind` a kind admission
    /// evaluates or `other`; `mode` the mode that decided (`enforce`, `warn`, `audit` or
    /// `none`).
    pub fn decision(
        &self,
        decision: &'static str,
        kind: &str,
        mode: &'static str,
        latency: Duration,
    ) {
        bump(&self.requests, (decision, kind.to_owned(), mode));
        let secs = latency.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        if let Some(c) = self.latency.counts.get(bucket) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn error(&self, cause: ErrorCause) {
        bump(&self.errors, cause);
    }

    pub fn reloaded(&self, what: Reloadable) {
        bump(&self.reloads, what);
    }

    pub fn reload_failed(&self, what: Reloadable) {
        bump(&self.reload_errors, what);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        self.connections_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let _ = writeln!(
            out,
            "# HELP stockade_admission_requests_total Admission reviews answered, by decision (allowed, rejected, error), kind and the mode that decided (enforce, warn, audit, none)."
        );
        let _ = writeln!(out, "# TYPE stockade_admission_requests_total counter");
        for ((decision, kind, mode), n) in &requests {
            let _ = writeln!(
                out,
                "stockade_admission_requests_total{{decision=\"{decision}\",kind=\"{kind}\",mode=\"{mode}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP stockade_admission_duration_seconds Time from a review's request head to its answer."
        );
        let _ = writeln!(out, "# TYPE stockade_admission_duration_seconds histogram");
        let mut cumulative = 0u64;
        for (i, c) in self.latency.counts.iter().enumerate() {
            cumulative += c.load(Ordering::Relaxed);
            let le = match BUCKETS.get(i) {
                Some(b) => b.to_string(),
                None => "+Inf".to_owned(),
            };
            let _ = writeln!(
                out,
                "stockade_admission_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "stockade_admission_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "stockade_admission_duration_seconds_count {cumulative}"
        );
        let errors = self
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let _ = writeln!(
            out,
            "# HELP stockade_serve_errors_total Requests and connections that got no decision, by cause."
        );
        let _ = writeln!(out, "# TYPE stockade_serve_errors_total counter");
        for (cause, n) in &errors {
            let _ = writeln!(
                out,
                "stockade_serve_errors_total{{cause=\"{}\"}} {n}",
                cause.as_str()
            );
        }
        for (name, help, map, what) in [
            (
                "stockade_policy_reloads_total",
                "Policy files loaded after a change (or a new day).",
                &self.reloads,
                Reloadable::Policy,
            ),
            (
                "stockade_policy_reload_errors_total",
                "Changed policy files refused (the previous policy is kept).",
                &self.reload_errors,
                Reloadable::Policy,
            ),
            (
                "stockade_tls_reloads_total",
                "Certificate and key loaded after a change.",
                &self.reloads,
                Reloadable::Certificate,
            ),
            (
                "stockade_tls_reload_errors_total",
                "Changed certificates or keys refused (the previous pair is kept).",
                &self.reload_errors,
                Reloadable::Certificate,
            ),
        ] {
            let n = map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&what)
                .copied()
                .unwrap_or(0);
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP stockade_connections_open Connections being served."
        );
        let _ = writeln!(out, "# TYPE stockade_connections_open gauge");
        let _ = writeln!(
            out,
            "stockade_connections_open {}",
            self.connections_open.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP stockade_connections_total Connections accepted."
        );
        let _ = writeln!(out, "# TYPE stockade_connections_total counter");
        let _ = writeln!(
            out,
            "stockade_connections_total {}",
            self.connections_total.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        m.decision("allowed", "Pod", "none", Duration::from_micros(80));
        m.decision(
            "rejected",
            "Deployment",
            "enforce",
            Duration::from_millis(3),
        );
        m.decision("allowed", "Pod", "none", Duration::from_secs(9));
        m.error(ErrorCause::MalformedJson);
        m.reload_failed(Reloadable::Policy);
        let text = m.render();
        assert!(text.contains(
            "stockade_admission_requests_total{decision=\"allowed\",kind=\"Pod\",mode=\"none\"} 2"
        ));
        assert!(text.contains("stockade_admission_duration_seconds_bucket{le=\"0.0001\"} 1"));
        assert!(text.contains("stockade_admission_duration_seconds_bucket{le=\"0.005\"} 2"));
        assert!(text.contains("stockade_admission_duration_seconds_bucket{le=\"2.5\"} 2"));
        assert!(text.contains("stockade_admission_duration_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("stockade_admission_duration_seconds_count 3"));
        assert!(text.contains("stockade_serve_errors_total{cause=\"malformed_json\"} 1"));
        assert!(text.contains("stockade_policy_reload_errors_total 1"));
        assert!(text.contains("stockade_tls_reload_errors_total 0"));
    }
}
