//! The HTTP endpoints: `POST /validate` (an AdmissionReview in, the same review with its
//! `response` out), `GET /healthz`, `GET /readyz` and `GET /metrics`.
//!
//! The decision is the core's ([`admit_value`]), the one the Kubewarden policy returns: this
//! module only reads the envelope, enforces the limits, and writes the response, the log line
//! and the metrics.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use stockade_core::admission::{AdmissionPolicy, Decision, Mode, admit_value, is_evaluated_kind};

use super::State;
use super::log;
use super::metrics::ErrorCause;

/// The API version of the AdmissionReview accepted and answered.
const API_VERSION: &str = "admission.k8s.io/v1";

type Resp = Response<Full<Bytes>>;

pub async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Resp, Infallible> {
    let path = req.uri().path();
    let resp = match (req.method(), path) {
        (&Method::POST, "/validate") => validate(req, &state).await,
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => {
            if state.draining.load(Ordering::Relaxed) {
                text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
            } else {
                text(StatusCode::OK, "ok\n")
            }
        }
        (&Method::GET, "/metrics") => {
            let mut r = Response::new(Full::new(Bytes::from(state.metrics.render())));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        (_, "/validate" | "/healthz" | "/readyz" | "/metrics") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(resp)
}

fn text(status: StatusCode, body: &str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A request answered without a decision: logged, counted, and its status and cause sent.
/// `close` ends the connection after the answer (when the body was not read to its end).
fn refused(
    state: &State,
    cause: ErrorCause,
    status: StatusCode,
    message: &str,
    close: bool,
) -> Resp {
    state.metrics.error(cause);
    log::line(
        "warn",
        "request refused",
        Map::from_iter([
            ("cause".to_owned(), Value::from(cause.as_str())),
            ("status".to_owned(), Value::from(status.as_u16())),
            ("error".to_owned(), Value::from(log::truncated(message))),
        ]),
    );
    let mut r = text(status, &format!("{message}\n"));
    if close {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

async fn validate(req: Request<Incoming>, state: &Arc<State>) -> Resp {
    let start = Instant::now();
    let policy = state.policy.get();
    let cap = policy.max_request_bytes();
    // Refused from its headers: the body is never read.
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|len| *len > cap as u64) {
        return refused(
            state,
            ErrorCause::BodyTooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the body is {len} bytes, over the limit of {cap} (admission.maxRequestBytes)"
            ),
            true,
        );
    }
    let body = Limited::new(req.into_body(), cap);
    let bytes = match tokio::time::timeout(state.limits.body_timeout, body.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refused(
                state,
                ErrorCause::BodyTooLarge,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is over the limit of {cap} bytes (admission.maxRequestBytes)"),
                true,
            );
        }
        Ok(Err(e)) => {
            return refused(
                state,
                ErrorCause::ClientDisconnect,
                StatusCode::BAD_REQUEST,
                &format!("reading the body failed: {e}"),
                true,
            );
        }
        Err(_) => {
            return refused(
                state,
                ErrorCause::BodyTimeout,
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the body did not arrive within {} ms",
                    state.limits.body_timeout.as_millis()
                ),
                true,
            );
        }
    };
    let st = Arc::clone(state);
    let task = tokio::task::spawn_blocking(move || review(&bytes, &policy, &st, start));
    match tokio::time::timeout(state.limits.eval_timeout, task).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => refused(
            state,
            ErrorCause::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the evaluation failed: {e}"),
            false,
        ),
        // The API server applies the webhook's failurePolicy to a 5xx.
        Err(_) => refused(
            state,
            ErrorCause::EvaluationTimeout,
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "the evaluation did not finish within its budget of {} ms",
                state.limits.eval_timeout.as_millis()
            ),
            false,
        ),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut v = v;
    for key in path {
        match v.get(key) {
            Some(next) => v = next,
            None => return "",
        }
    }
    v.as_str().unwrap_or_default()
}

/// Decides on a body (on a blocking thread): parse, check the envelope, [`admit_value`].
fn review(body: &[u8], policy: &AdmissionPolicy, state: &State, start: Instant) -> Resp {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return refused(
                state,
                ErrorCause::MalformedJson,
                StatusCode::BAD_REQUEST,
                &format!("the body is not JSON: {e}"),
                false,
            );
        }
    };
    let api_version = value.get("apiVersion").and_then(Value::as_str);
    let kind = value.get("kind").and_then(Value::as_str);
    if api_version != Some(API_VERSION) || kind != Some("AdmissionReview") {
        return refused(
            state,
            ErrorCause::NotAdmissionReview,
            StatusCode::BAD_REQUEST,
            &format!(
                "expected an AdmissionReview of apiVersion {API_VERSION}, got kind {} apiVersion {} (list only \"v1\" in the webhook's admissionReviewVersions)",
                kind.map_or("(none)".to_owned(), |k| format!("{k:?}")),
                api_version.map_or("(none)".to_owned(), |v| format!("{v:?}")),
            ),
            false,
        );
    }
    let Some(request) = value.get("request").filter(|r| r.is_object()) else {
        return refused(
            state,
            ErrorCause::NotAdmissionReview,
            StatusCode::BAD_REQUEST,
            "the AdmissionReview has no `request` object",
            false,
        );
    };
    let decision = admit_value(&value, policy);
    let latency = start.elapsed();

    let (group, kind) = (
        str_at(request, &["kind", "group"]),
        str_at(request, &["kind", "kind"]),
    );
    let kind_label = if is_evaluated_kind(group, kind) {
        kind
    } else {
        "other"
    };
    let outcome = if decision.allowed {
        "allowed"
    } else if decision.code == Some(400) {
        "error"
    } else {
        "rejected"
    };
    let mode = deciding_mode(&decision);
    state
        .metrics
        .decision(outcome, kind_label, mode.unwrap_or("none"), latency);

    let mut rules: Vec<&str> = decision
        .violations
        .iter()
        .map(|v| v.rule.as_str())
        .collect();
    rules.sort_unstable();
    rules.dedup();
    let user = request
        .get("userInfo")
        .or_else(|| request.get("user_info"))
        .and_then(|u| u.get("username"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut fields = Map::new();
    for (key, v) in [
        ("uid", decision.uid.as_str()),
        ("kind", kind),
        ("namespace", str_at(request, &["namespace"])),
        ("name", str_at(request, &["name"])),
        ("operation", str_at(request, &["operation"])),
        ("user", user),
        ("decision", outcome),
        ("mode", mode.unwrap_or("none")),
    ] {
        fields.insert(key.to_owned(), Value::from(log::truncated(v)));
    }
    if let Some(code) = decision.code {
        fields.insert("code".to_owned(), Value::from(code));
    }
    fields.insert("rules".to_owned(), json!(rules));
    fields.insert(
        "latency_ms".to_owned(),
        Value::from((latency.as_secs_f64() * 1e6).round() / 1e3),
    );
    log::line("info", "admission", fields);

    let body = serde_json::to_vec(&response_review(&decision)).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// The mode whose violations decided: `enforce` for a policy rejection, else `warn` or `audit`
/// when such violations came back as warnings or annotations.
fn deciding_mode(decision: &Decision) -> Option<&'static str> {
    if !decision.allowed {
        return (decision.code != Some(400)).then_some(Mode::Enforce.as_str());
    }
    [Mode::Warn, Mode::Audit, Mode::Enforce]
        .into_iter()
        .find(|m| decision.violations.iter().any(|v| v.mode == *m))
        .map(Mode::as_str)
}

/// The AdmissionReview sent back: the decision as an `admission.k8s.io/v1` AdmissionResponse.
pub fn response_review(decision: &Decision) -> Value {
    let mut response = Map::new();
    response.insert("uid".to_owned(), Value::from(decision.uid.as_str()));
    response.insert("allowed".to_owned(), Value::from(decision.allowed));
    if decision.code.is_some() || decision.message.is_some() {
        let mut status = Map::new();
        if let Some(code) = decision.code {
            status.insert("code".to_owned(), Value::from(code));
        }
        if let Some(message) = &decision.message {
            status.insert("message".to_owned(), Value::from(message.as_str()));
        }
        response.insert("status".to_owned(), Value::Object(status));
    }
    if !decision.warnings.is_empty() {
        response.insert("warnings".to_owned(), json!(decision.warnings));
    }
    if !decision.audit_annotations.is_empty() {
        response.insert(
            "auditAnnotations".to_owned(),
            json!(decision.audit_annotations),
        );
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "AdmissionReview",
        "response": response,
    })
}
