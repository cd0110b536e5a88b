//! Admission: an `admission.k8s.io/v1` AdmissionRequest in, a [`Decision`] out.
//!
//! Not a second engine: the request's object is handed to [`crate::evaluate`] as one JSON
//! document, with the same [`OptionsSpec`] that `stockade scan` reads from `stockade.yaml`, so
//! a rule's verdict, message and JSON pointer at the cluster's door are the ones CI reports.
//! What is admission's own is decided here, following Kubernetes' Pod Security Admission (PSA):
//!
//! - **Modes.** `enforce` rejects, `warn` allows with warnings to the client, `audit` allows
//!   with audit annotations; each mode has its own benchmarks and severity threshold. Without
//!   an `admission` section, `enforce` applies the policy's benchmarks from its `failOn`.
//! - **Operations.** CREATE and UPDATE are evaluated; DELETE and CONNECT are allowed untouched.
//! - **Subresources.** As PSA: for pods, `exec`, `attach`, `binding`, `eviction`, `log`,
//!   `portforward`, `proxy` and `status` are allowed untouched and any other subresource
//!   (`ephemeralcontainers`, `resize`, ...) carries a pod and is evaluated; for every other kind
//!   a subresource (`status`, `scale`) is allowed untouched.
//! - **Updates.** A pod UPDATE is evaluated only when it is significant by PSA's own test
//!   (`isSignificantPodUpdate`): a container's image, the seccomp annotations, the number of
//!   containers or init containers, or an ephemeral container added or changed; a running pod's
//!   other fields are immutable or not read by a rule. For every other kind the old object is
//!   evaluated too, and a violation that it already had (same benchmark, rule, JSON pointer,
//!   container and message) is not newly rejected: it is returned as a warning, so that scaling
//!   or relabelling a workload admitted before the policy is not blocked, while any change that
//!   a rule reads differently is judged.
//! - **Exemptions.** The `admission.exemptions` block (PSA's usernames, namespaces and
//!   runtimeClasses, plus groups) allows a request untouched, noted in the audit annotation
//!   `exempt`. The policy's own `exemptions` apply as in a scan. A resource's
//!   `stockade.dev/exempt` annotation is ignored unless `admission.annotationRules` names the
//!   rules it may exempt (anyone who may create an object may write its annotations), and the
//!   decision says so in a warning.
//! - **Scope.** Pods and every pod-bearing kind (Deployment, StatefulSet, DaemonSet, ReplicaSet,
//!   Job, CronJob, ReplicationController, PodTemplate), RBAC objects (Role, ClusterRole and their
//!   bindings) and ServiceAccounts: the kinds a single-object rule reads. Cross-resource rules
//!   (`NET001`, `WKL004`) need other objects that an admission request does not carry, so they
//!   are not evaluated here. Any other kind is an error decision: the policy's `rules` should not
//!   send it.
//! - **Bad input** (a malformed request or object, an unknown kind or operation, a request over
//!   `admission.maxRequestBytes`) gives an error decision (rejected, code 400) saying why.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{Options, Plan, evaluate_object};
use crate::policy::{
    AdmissionExemptions, AnnotationPolicy, EXEMPT_ANNOTATION, OptionsSpec, PolicyError,
};
use crate::registry::RULES;
use crate::report::{CheckResult, ErrorLevel, Status};
use crate::rules::manifest::Evaluator;
use crate::rules::{RuleKind, Severity};

/// The largest request evaluated by default: the API server's own limit on a request body.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;

/// A Pod Security Admission mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Reject.
    Enforce,
    /// Allow, with warnings.
    Warn,
    /// Allow, with audit annotations.
    Audit,
}

impl Mode {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// One mode, compiled: the options a scan would use, and the threshold.
#[derive(Debug, Clone)]
struct ModePolicy {
    mode: Mode,
    options: Options,
    /// What every evaluation with `options` prepares, prepared once.
    plan: Arc<Plan>,
    threshold: Severity,
}

/// The policy, compiled once and applied to any number of requests.
#[derive(Debug, Clone)]
pub struct AdmissionPolicy {
    modes: Vec<ModePolicy>,
    exemptions: AdmissionExemptions,
    annotation_rules: Vec<String>,
    max_request_bytes: usize,
}

/// The codes of the rules that judge several objects together: an admission request carries
/// one, so they are not evaluated there.
pub fn cross_resource_rules() -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| {
            matches!(&r.kind, RuleKind::Manifest(m) if matches!(m.evaluator, Evaluator::Cluster(_)))
        })
        .map(|r| r.code)
        .collect()
}

impl AdmissionPolicy {
    /// Checks and compiles a policy (the options object, `admission` section included).
    /// Errors name the bad value by JSON pointer.
    pub fn new(spec: &OptionsSpec) -> Result<AdmissionPolicy, PolicyError> {
        if !spec.plugins.is_empty() {
            return Err(PolicyError {
                pointer: "/plugins".to_owned(),
                message: "rule plugins run in the stockade CLI only, not at admission".to_owned(),
            });
        }
        // Checks the whole policy (the `admission` section included) once, as a scan would.
        spec.resolve()?;
        let admission = spec.admission.clone().unwrap_or_default();
        let default_threshold = spec.fail_on.unwrap_or(Severity::Low);
        let configured = [
            (Mode::Enforce, &admission.enforce),
            (Mode::Warn, &admission.warn),
            (Mode::Audit, &admission.audit),
        ];
        let none_configured = configured.iter().all(|(_, m)| m.is_none());
        let mut modes = Vec::new();
        for (mode, mode_spec) in configured {
            let mode_spec = match mode_spec {
                Some(m) => m.clone(),
                None if none_configured && mode == Mode::Enforce => Default::default(),
                None => continue,
            };
            let mut scan = spec.clone();
            scan.admission = None;
            if !mode_spec.benchmarks.is_empty() {
                scan.benchmarks = mode_spec.benchmarks.clone();
            }
            scan.ignore
                .extend(cross_resource_rules().into_iter().map(str::to_owned));
            scan.annotations = if admission.annotation_rules.is_empty() {
                AnnotationPolicy {
                    allow: false,
                    rules: None,
                }
            } else {
                AnnotationPolicy {
                    allow: spec.annotations.allow,
                    rules: Some(admission.annotation_rules.clone()),
                }
            };
            let options = scan.resolve().map_err(|e| PolicyError {
                pointer: if e.pointer.starts_with("/benchmarks") {
                    format!("/admission/{}{}", mode.as_str(), e.pointer)
                } else {
                    e.pointer
                },
                message: e.message,
            })?;
            modes.push(ModePolicy {
                mode,
                plan: Arc::new(Plan::new(&options)),
                options,
                threshold: mode_spec.severity.unwrap_or(default_threshold),
            });
        }
        Ok(AdmissionPolicy {
            modes,
            exemptions: admission.exemptions,
            annotation_rules: admission.annotation_rules,
            max_request_bytes: admission
                .max_request_bytes
                .unwrap_or(DEFAULT_MAX_REQUEST_BYTES),
        })
    }

    /// The largest request evaluated, in bytes.
    pub fn max_request_bytes(&self) -> usize {
        self.max_request_bytes
    }
}

/// What admission does with a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The request's `uid`, for the AdmissionResponse.
    pub uid: String,
    /// Whether the request is allowed.
    pub allowed: bool,
    /// The HTTP status of a rejection: 403 for a policy violation, 400 for bad input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Why it is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Warnings for the client (`kubectl` prints them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Annotations for the audit log (the API server prefixes each key with the webhook's
    /// name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    /// Every violation counted by a mode, structured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

/// A failing result that a mode counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// The mode that counts it.
    pub mode: Mode,
    /// The benchmark run it fails (`pss-restricted@latest`).
    pub benchmark: String,
    /// The rule's code (`PSS003`).
    pub rule: String,
    /// The rule's name (`privileged`).
    pub name: String,
    /// Its severity, after the policy's overrides.
    pub severity: Severity,
    /// JSON pointer of the failing field in the request's object.
    pub pointer: String,
    /// The container concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// What is wrong, as `stockade scan` says it.
    pub message: String,
    /// The old object of an UPDATE already had it: it is not newly rejected.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preexisting: bool,
}

impl Decision {
    fn allow(uid: &str) -> Decision {
        Decision {
            uid: uid.to_owned(),
            allowed: true,
            ..Decision::default()
        }
    }

    /// An error decision: the request is rejected with code 400 and the cause.
    pub fn error(uid: &str, cause: impl std::fmt::Display) -> Decision {
        Decision {
            uid: uid.to_owned(),
            allowed: false,
            code: Some(400),
            message: Some(format!("stockade: cannot evaluate the request: {cause}")),
            ..Decision::default()
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Gvk {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
struct UserInfo {
    #[serde(default)]
    username: String,
    #[serde(default)]
    groups: Vec<String>,
}

/// The fields of an AdmissionRequest that admission reads (others are ignored). Kubewarden's
/// SDK writes some in snake case: both spellings are read. `O`, the type of the objects, is
/// [`IgnoredAny`] when the request is a JSON object: the objects are then read where they are,
/// not copied.
#[derive(Debug, Deserialize)]
struct Request<O> {
    #[serde(default)]
    uid: String,
    kind: Gvk,
    #[serde(default, alias = "sub_resource", rename = "subResource")]
    sub_resource: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    operation: String,
    #[serde(default, alias = "user_info", rename = "userInfo")]
    user_info: UserInfo,
    #[serde(default)]
    object: O,
    #[serde(default, alias = "old_object", rename = "oldObject")]
    old_object: O,
}

/// The kinds evaluated, by API group: those a single-object rule reads.
const KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "ReplicationController"),
    ("", "PodTemplate"),
    ("", "ServiceAccount"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
];

/// Whether admission evaluates objects of this kind (API group and kind), as opposed to giving
/// an error decision. The webhook labels its metrics with the kind only for these, so that a
/// caller cannot grow the metrics without bound.
pub fn is_evaluated_kind(group: &str, kind: &str) -> bool {
    KINDS.iter().any(|(g, k)| *g == group && *k == kind)
}

/// Pod subresources that carry no pod spec to judge (PSA's `ignoredPodSubresources`).
const IGNORED_POD_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// Decides on an AdmissionRequest (JSON text; a whole AdmissionReview is accepted too).
pub fn admit(request: &str, policy: &AdmissionPolicy) -> Decision {
    if request.len() > policy.max_request_bytes {
        return Decision::error(
            "",
            format!(
                "the request is {} bytes, over the policy's limit of {} (admission.maxRequestBytes)",
                request.len(),
                policy.max_request_bytes
            ),
        );
    }
    match serde_json::from_str::<Value>(request) {
        Ok(value) => admit_value(&value, policy),
        Err(e) => Decision::error("", format!("the request is not JSON: {e}")),
    }
}

/// Decides on an AdmissionRequest already parsed (the caller checks its size against
/// [`AdmissionPolicy::max_request_bytes`]); a whole AdmissionReview is accepted too.
pub fn admit_value(request: &Value, policy: &AdmissionPolicy) -> Decision {
    let request = match request.get("kind").and_then(Value::as_str) {
        Some("AdmissionReview") => match request.get("request") {
            Some(r) => r,
            None => return Decision::error("", "the AdmissionReview has no `request`"),
        },
        _ => request,
    };
    let uid = request
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    /// The request's fields, or why they are invalid.
    fn read<T: serde::de::DeserializeOwned>(request: &Value) -> Result<T, String> {
        serde_path_to_error::deserialize(request).map_err(|e| {
            let path = e.path().to_string();
            format!("invalid AdmissionRequest at `{path}`: {}", e.inner())
        })
    }
    if request.is_object() {
        // The objects are read in place: copying them was a tenth of a review's time.
        let fields: Request<IgnoredAny> = match read(request) {
            Ok(r) => r,
            Err(cause) => return Decision::error(uid, cause),
        };
        // At most one spelling is there (both is an error above).
        let old = request
            .get("oldObject")
            .or_else(|| request.get("old_object"));
        let null = Value::Null;
        decide(
            &fields,
            request.get("object").unwrap_or(&null),
            old.unwrap_or(&null),
            policy,
        )
    } else {
        // A request written as a list of its fields in order, which serde reads too.
        let request: Request<Value> = match read(request) {
            Ok(r) => r,
            Err(cause) => return Decision::error(uid, cause),
        };
        decide(&request, &request.object, &request.old_object, policy)
    }
}

fn decide<O>(
    request: &Request<O>,
    object: &Value,
    old_object: &Value,
    policy: &AdmissionPolicy,
) -> Decision {
    let uid = request.uid.as_str();
    match request.operation.as_str() {
        "CREATE" | "UPDATE" => {}
        "DELETE" | "CONNECT" => return Decision::allow(uid),
        other => {
            return Decision::error(
                uid,
                format!("unknown operation {other:?} (expected CREATE, UPDATE, DELETE or CONNECT)"),
            );
        }
    }
    let kind = request.kind.kind.as_str();
    if !KINDS
        .iter()
        .any(|(g, k)| *g == request.kind.group && *k == kind)
    {
        return Decision::error(
            uid,
            format!(
                "Stockade does not evaluate {} (group {:?}); the policy's `rules` should target only pods, pod controllers, RBAC objects and ServiceAccounts",
                if kind.is_empty() {
                    "an object without a kind"
                } else {
                    kind
                },
                request.kind.group
            ),
        );
    }
    let is_pod = kind == "Pod";
    if !request.sub_resource.is_empty()
        && (!is_pod || IGNORED_POD_SUBRESOURCES.contains(&request.sub_resource.as_str()))
    {
        return Decision::allow(uid);
    }
    let exempt = |why: &str| {
        let mut d = Decision::allow(uid);
        d.audit_annotations
            .insert("exempt".to_owned(), why.to_owned());
        d
    };
    let ex = &policy.exemptions;
    if !request.namespace.is_empty() && ex.namespaces.contains(&request.namespace) {
        return exempt("namespace");
    }
    if ex.usernames.contains(&request.user_info.username) {
        return exempt("user");
    }
    if request
        .user_info
        .groups
        .iter()
        .any(|g| ex.groups.contains(g))
    {
        return exempt("group");
    }
    let object = match check_object(object, request, "object") {
        Ok(o) => o,
        Err(cause) => return Decision::error(uid, cause),
    };
    if let Some(class) = runtime_class(kind, &object)
        && ex.runtime_classes.iter().any(|c| c == class)
    {
        return exempt("runtimeClass");
    }
    let old = if request.operation == "UPDATE" {
        match check_object(old_object, request, "oldObject") {
            Ok(o) => Some(o),
            Err(cause) => return Decision::error(uid, cause),
        }
    } else {
        None
    };
    if is_pod
        && let Some(old) = &old
        && !significant_pod_update(&object, old)
    {
        return Decision::allow(uid);
    }
    let name = format!(
        "admission:{kind}/{}{}",
        if request.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", request.namespace)
        },
        if request.name.is_empty() {
            object
                .pointer("/metadata/generateName")
                .and_then(Value::as_str)
                .map_or_else(String::new, |g| format!("{g}*"))
        } else {
            request.name.clone()
        }
    );
    evaluate_modes(
        uid,
        &name,
        &object,
        old.as_deref().filter(|_| !is_pod),
        policy,
    )
}

/// The object as the engine will read it: a mapping of the request's kind, with the request's
/// namespace filled in (a namespaced object's `metadata.namespace` may be absent at CREATE).
/// Borrowed when nothing is missing (the API server's requests): copying the object was a
/// tenth of a review.
fn check_object<'v, O>(
    object: &'v Value,
    request: &Request<O>,
    field: &str,
) -> Result<Cow<'v, Value>, String> {
    if let Value::Object(map) = object
        && map.get("kind").and_then(Value::as_str) == Some(request.kind.kind.as_str())
        && map.contains_key("apiVersion")
        && (request.namespace.is_empty()
            || matches!(map.get("metadata"), Some(Value::Object(meta)) if meta.contains_key("namespace")))
    {
        return Ok(Cow::Borrowed(object));
    }
    let Value::Object(map) = object else {
        return Err(format!(
            "`{field}` is {}, not an object",
            match object {
                Value::Null => "missing",
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                _ => "a scalar",
            }
        ));
    };
    let mut map = map.clone();
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if k == request.kind.kind => {}
        Some(k) => {
            return Err(format!(
                "`{field}` is a {k}, but the request is about a {}",
                request.kind.kind
            ));
        }
        None => {
            map.insert("kind".to_owned(), Value::String(request.kind.kind.clone()));
        }
    }
    if !map.contains_key("apiVersion") {
        let gv = if request.kind.group.is_empty() {
            request.kind.version.clone()
        } else {
            format!("{}/{}", request.kind.group, request.kind.version)
        };
        map.insert("apiVersion".to_owned(), Value::String(gv));
    }
    if !request.namespace.is_empty() {
        match map.get_mut("metadata") {
            Some(Value::Object(meta)) => {
                meta.entry("namespace")
                    .or_insert_with(|| Value::String(request.namespace.clone()));
            }
            Some(_) => return Err(format!("`{field}.metadata` is not an object")),
            None => {
                let mut meta = serde_json::Map::new();
                meta.insert(
                    "namespace".to_owned(),
                    Value::String(request.namespace.clone()),
                );
                map.insert("metadata".to_owned(), Value::Object(meta));
            }
        }
    }
    Ok(Cow::Owned(Value::Object(map)))
}

/// The pod's (or pod template's) `runtimeClassName`.
fn runtime_class<'a>(kind: &str, object: &'a Value) -> Option<&'a str> {
    let path = crate::input::pod::template_path(kind)?;
    let mut node = object;
    for key in path {
        node = node.get(*key)?;
    }
    node.pointer("/spec/runtimeClassName")?.as_str()
}

/// PSA's `isSignificantPodUpdate`: whether a pod UPDATE changes a field that a running pod may
/// change and a rule reads (images, seccomp annotations, ephemeral containers).
fn significant_pod_update(pod: &Value, old: &Value) -> bool {
    const POD_SECCOMP: &str = "seccomp.security.alpha.kubernetes.io/pod";
    let annotation = |v: &Value, key: &str| {
        v.get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(key))
            .cloned()
    };
    if annotation(pod, POD_SECCOMP) != annotation(old, POD_SECCOMP) {
        return true;
    }
    let list = |v: &Value, key: &str| -> Vec<Value> {
        v.get("spec")
            .and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let changed = |c: &Value, o: &Value| {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let key = format!("container.seccomp.security.alpha.kubernetes.io/{name}");
        c.get("image") != o.get("image") || annotation(pod, &key) != annotation(old, &key)
    };
    for key in ["containers", "initContainers"] {
        let (new, was) = (list(pod, key), list(old, key));
        if new.len() != was.len() || new.iter().zip(&was).any(|(c, o)| changed(c, o)) {
            return true;
        }
    }
    let was = list(old, "ephemeralContainers");
    list(pod, "ephemeralContainers").iter().any(|c| {
        match was
            .iter()
            .find(|o| o.get("name").is_some() && o.get("name") == c.get("name"))
        {
            None => true,
            Some(o) => changed(c, o),
        }
    })
}

/// One evaluation of an object, as `stockade scan` would make it.
struct Scan {
    failing: Vec<CheckResult>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// The object as `stockade scan` reads it: its pretty-printed JSON, printed once for every
/// mode's scan.
struct Printed<'a> {
    object: &'a Value,
    text: String,
}

impl Printed<'_> {
    fn of(object: &Value) -> Printed<'_> {
        Printed {
            object,
            text: serde_json::to_string_pretty(object).unwrap_or_default(),
        }
    }
}

fn scan(name: &str, object: &Printed<'_>, mode: &ModePolicy) -> Scan {
    // The report `evaluate` gives for the text, less the fixes (not offered at admission).
    let report = evaluate_object(name, &object.text, object.object, &mode.options, &mode.plan);
    let mut out = Scan {
        failing: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for e in report.errors {
        match e.level {
            ErrorLevel::Error => out.errors.push(e.message),
            ErrorLevel::Warning => out.warnings.push(e.message),
        }
    }
    for r in report.results {
        match r.status {
            Status::Fail => out.failing.push(r),
            Status::Error => out.warnings.push(format!(
                "{} {} could not be checked: {}",
                r.rule, r.name, r.message
            )),
            _ => {}
        }
    }
    out
}

fn same_violation(a: &CheckResult, b: &CheckResult) -> bool {
    a.benchmark == b.benchmark
        && a.rule == b.rule
        && a.pointer == b.pointer
        && a.container == b.container
        && a.message == b.message
}

fn evaluate_modes(
    uid: &str,
    name: &str,
    object: &Value,
    old: Option<&Value>,
    policy: &AdmissionPolicy,
) -> Decision {
    let mut decision = Decision::allow(uid);
    let printed = Printed::of(object);
    let printed_old = old.map(Printed::of);
    let mut scans: Vec<(&Options, Scan, Option<Scan>)> = Vec::new();
    for mode in &policy.modes {
        // Modes with the same benchmarks share one evaluation.
        if scans
            .iter()
            .any(|(o, _, _)| o.benchmarks == mode.options.benchmarks)
        {
            continue;
        }
        let new = scan(name, &printed, mode);
        if !new.errors.is_empty() {
            return Decision::error(uid, new.errors.join("; "));
        }
        let was = printed_old.as_ref().map(|o| scan(name, o, mode));
        scans.push((&mode.options, new, was));
    }
    let annotated = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(EXEMPT_ANNOTATION))
        .is_some();
    if annotated {
        decision.warnings.push(if policy.annotation_rules.is_empty() {
            format!(
                "{EXEMPT_ANNOTATION} is ignored at admission: anyone who may create this object may write its annotations (the policy's admission.annotationRules names the rules it may exempt)"
            )
        } else {
            format!(
                "{EXEMPT_ANNOTATION} is honoured at admission only for {} (admission.annotationRules): anyone who may create this object may write its annotations",
                policy.annotation_rules.join(", ")
            )
        });
    }
    let mut seen_warnings: Vec<String> = Vec::new();
    for (_, new, _) in &scans {
        for w in &new.warnings {
            if !seen_warnings.contains(w) {
                seen_warnings.push(w.clone());
            }
        }
    }
    // The engine's own note on the annotation is already said above, in admission's words.
    decision
        .warnings
        .extend(seen_warnings.into_iter().filter(|w| {
            !(annotated && w.ends_with("the policy does not allow annotation exemptions"))
        }));
    let mut rejected: Vec<&Violation> = Vec::new();
    let mut violations = Vec::new();
    for mode in &policy.modes {
        let Some((_, new, was)) = scans
            .iter()
            .find(|(o, _, _)| o.benchmarks == mode.options.benchmarks)
        else {
            continue;
        };
        for r in new.failing.iter().filter(|r| r.severity >= mode.threshold) {
            let preexisting = was
                .as_ref()
                .is_some_and(|w| w.failing.iter().any(|o| same_violation(o, r)));
            violations.push(Violation {
                mode: mode.mode,
                benchmark: r.benchmark.to_string(),
                rule: r.rule.to_string(),
                name: r.name.to_string(),
                severity: r.severity,
                pointer: r.pointer.to_string(),
                container: r.container.as_ref().map(ToString::to_string),
                message: r.message.to_string(),
                preexisting,
            });
        }
    }
    for v in &violations {
        if v.mode == Mode::Enforce && !v.preexisting {
            rejected.push(v);
        }
    }
    if !rejected.is_empty() {
        decision.allowed = false;
        decision.code = Some(403);
        decision.message = Some(format!("violates {}", grouped(&rejected)));
    }
    let kept: Vec<&Violation> = violations
        .iter()
        .filter(|v| v.mode == Mode::Enforce && v.preexisting)
        .collect();
    if !kept.is_empty() {
        decision.warnings.push(format!(
            "already violated before this update, so not newly rejected: {}",
            grouped(&kept)
        ));
    }
    let warned: Vec<&Violation> = violations.iter().filter(|v| v.mode == Mode::Warn).collect();
    if !warned.is_empty() {
        decision
            .warnings
            .push(format!("would violate {}", grouped(&warned)));
    }
    let audited: Vec<&Violation> = violations
        .iter()
        .filter(|v| v.mode == Mode::Audit)
        .collect();
    if !audited.is_empty() {
        decision.audit_annotations.insert(
            "audit-violations".to_owned(),
            format!("would violate {}", grouped(&audited)),
        );
    }
    decision.violations = violations;
    decision
}

/// PSA's message shape (`violates PodSecurity "restricted:latest": privileged (...), ...`)
/// with Stockade's benchmark runs, rule codes and JSON pointers: `Stockade policy
/// "pss-restricted@latest", "cis-k8s@1.12": PSS003 privileged (/spec/...: message), ...`. A rule
/// that fails in only some of the runs names them.
fn grouped(violations: &[&Violation]) -> String {
    let mut benchmarks: Vec<&str> = Vec::new();
    let mut items: Vec<(String, Vec<&str>)> = Vec::new();
    for v in violations {
        if !benchmarks.contains(&v.benchmark.as_str()) {
            benchmarks.push(&v.benchmark);
        }
        let item = format!("{} {} ({}: {})", v.rule, v.name, v.pointer, v.message);
        match items.iter_mut().find(|(i, _)| *i == item) {
            Some((_, runs)) => {
                if !runs.contains(&v.benchmark.as_str()) {
                    runs.push(&v.benchmark);
                }
            }
            None => items.push((item, vec![&v.benchmark])),
        }
    }
    let header = benchmarks
        .iter()
        .map(|b| format!("{b:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let items = items
        .into_iter()
        .map(|(item, runs)| {
            if runs.len() == benchmarks.len() {
                item
            } else {
                format!("{item} [{}]", runs.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("Stockade policy {header}: {items}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(options: Value) -> AdmissionPolicy {
        let spec: OptionsSpec = serde_json::from_value(options).expect("options");
        AdmissionPolicy::new(&spec).expect("valid policy")
    }

    fn policy_error(options: Value) -> PolicyError {
        let spec: OptionsSpec = serde_json::from_value(options).expect("options");
        AdmissionPolicy::new(&spec).expect_err("invalid policy")
    }

    /// Real AdmissionReview bodies, as the API server sends them.
    fn review(name: &str) -> Value {
        let text = match name {
            "deployment" => {
                include_str!("../tests/fixtures/admission/create-privileged-deployment.json")
            }
            "pod" => include_str!("../tests/fixtures/admission/create-restricted-pod.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).expect("fixture")
    }

    fn decide_on(review: &Value, policy: &AdmissionPolicy) -> Decision {
        admit(&review.to_string(), policy)
    }

    fn rules(d: &Decision, mode: Mode) -> Vec<&str> {
        let mut out: Vec<&str> = d
            .violations
            .iter()
            .filter(|v| v.mode == mode)
            .map(|v| v.rule.as_str())
            .collect();
        out.dedup();
        out
    }

    /// The privileged Deployment as a privileged Pod of the same namespace.
    fn privileged_pod() -> Value {
        let mut r = review("deployment");
        let req = &mut r["request"];
        let template = req["object"]["spec"]["template"].clone();
        req["kind"] = json!({"group": "", "version": "v1", "kind": "Pod"});
        req["resource"] = json!({"group": "", "version": "v1", "resource": "pods"});
        req["name"] = json!("web-0");
        req["object"] = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "shop", "labels": template["metadata"]["labels"]},
            "spec": template["spec"],
        });
        r
    }

    #[test]
    fn a_privileged_deployment_is_rejected_in_psa_shape_with_codes_and_pointers() {
        let d = decide_on(&review("deployment"), &policy(json!({})));
        assert!(!d.allowed);
        assert_eq!(d.code, Some(403));
        assert_eq!(d.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
        let message = d.message.as_deref().unwrap_or_default();
        assert!(
            message.starts_with(
                "violates Stockade policy \"pss-restricted@latest\", \"cis-k8s@1.12\": PSS002 host-namespaces (/spec/template/spec/hostPID: pod must not set hostPID=true), PSS003 privileged (/spec/template/spec/containers/0/securityContext/privileged: container \"app\" must not set securityContext.privileged=true)"
            ),
            "{message}"
        );
        // A rule of one run only says which.
        assert!(message.contains("WKL006 net-raw-capability (/spec/template/spec/containers/0/securityContext: container \"app\" must drop NET_RAW (capabilities.drop: [\"ALL\"] or [\"NET_RAW\"])) [cis-k8s@1.12]"), "{message}");
        assert_eq!(
            rules(&d, Mode::Enforce),
            [
                "PSS002", "PSS003", "PSS102", "PSS103", "PSS105", "PSS106", "PSS002", "PSS003",
                "PSS102", "PSS103", "PSS105", "PSS106", "WKL006"
            ]
        );
        // Cross-resource rules need objects the request does not carry.
        assert!(
            d.violations
                .iter()
                .all(|v| v.rule != "NET001" && v.rule != "WKL004")
        );
    }

    #[test]
    fn a_restricted_pod_is_allowed_and_dry_run_changes_nothing() {
        let mut r = review("pod");
        let d = decide_on(&r, &policy(json!({})));
        assert_eq!(d, Decision::allow("1c1f4a0e-2f0c-4a39-9a55-5b2e7a0c1d01"));
        r["request"]["dryRun"] = json!(false);
        assert!(decide_on(&r, &policy(json!({}))).allowed);
        // The same pod made privileged is rejected, dry run or not.
        r["request"]["dryRun"] = json!(true);
        r["request"]["object"]["spec"]["containers"][0]["securityContext"]["privileged"] =
            json!(true);
        let d = decide_on(&r, &policy(json!({})));
        assert!(!d.allowed);
        assert_eq!(rules(&d, Mode::Enforce), ["PSS003"]);
    }

    #[test]
    fn each_mode_has_its_own_benchmarks_and_threshold() {
        let p = policy(json!({
            "admission": {
                "enforce": {"benchmarks": ["pss-baseline"]},
                "warn": {"benchmarks": ["cis-k8s@1.12"], "severity": "high"},
                "audit": {"benchmarks": ["pss-restricted@latest"], "severity": "medium"},
            }
        }));
        let d = decide_on(&review("deployment"), &p);
        assert!(!d.allowed);
        assert_eq!(rules(&d, Mode::Enforce), ["PSS002", "PSS003"]);
        assert_eq!(rules(&d, Mode::Warn), ["PSS002", "PSS003"]);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(
            d.warnings[0].starts_with(
                "would violate Stockade policy \"cis-k8s@1.12\": PSS002 host-namespaces"
            )
        );
        assert_eq!(
            rules(&d, Mode::Audit),
            ["PSS002", "PSS003", "PSS102", "PSS103", "PSS105", "PSS106"]
        );
        assert!(
            d.audit_annotations["audit-violations"]
                .starts_with("would violate Stockade policy \"pss-restricted@latest\": PSS002")
        );

        // Warn and audit alone never reject.
        let p = policy(json!({"admission": {"warn": {}, "audit": {}}}));
        let d = decide_on(&review("deployment"), &p);
        assert!(d.allowed && d.message.is_none());
        assert!(!d.warnings.is_empty() && d.audit_annotations.contains_key("audit-violations"));

        // Without a mode, enforce takes the policy's benchmarks from its failOn.
        let p = policy(json!({"benchmarks": ["pss-baseline"], "failOn": "critical"}));
        assert_eq!(
            rules(&decide_on(&review("deployment"), &p), Mode::Enforce),
            ["PSS003"]
        );
        // Severity overrides apply before the threshold.
        let p = policy(
            json!({"benchmarks": ["pss-baseline"], "failOn": "critical", "severity": {"PSS002": "critical"}}),
        );
        assert_eq!(
            rules(&decide_on(&review("deployment"), &p), Mode::Enforce),
            ["PSS002", "PSS003"]
        );
    }

    #[test]
    fn delete_and_connect_are_allowed_untouched_and_unknown_operations_are_errors() {
        for op in ["DELETE", "CONNECT"] {
            let mut r = review("deployment");
            r["request"]["operation"] = json!(op);
            r["request"]["oldObject"] = r["request"]["object"].take();
            assert_eq!(
                decide_on(&r, &policy(json!({}))),
                Decision::allow("705ab4f5-6393-11e8-b7cc-42010a800002")
            );
        }
        let mut r = review("deployment");
        r["request"]["operation"] = json!("PATCH");
        let d = decide_on(&r, &policy(json!({})));
        assert_eq!((d.allowed, d.code), (false, Some(400)));
        assert!(d.message.unwrap().contains("unknown operation \"PATCH\""));
    }

    #[test]
    fn bad_input_is_an_error_decision_that_says_why() {
        let p = policy(json!({}));
        let check = |r: &Value, expected: &str| {
            let d = decide_on(r, &p);
            assert_eq!((d.allowed, d.code), (false, Some(400)), "{expected}");
            let m = d.message.unwrap_or_default();
            assert!(
                m.starts_with("stockade: cannot evaluate the request: ") && m.contains(expected),
                "{m}"
            );
        };
        let mut r = review("deployment");
        r["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "ConfigMap"});
        check(&r, "Stockade does not evaluate ConfigMap");
        let mut r = review("deployment");
        r["request"]["object"] = json!("not an object");
        check(&r, "`object` is a string, not an object");
        let mut r = review("deployment");
        r["request"]["object"]["kind"] = json!("DaemonSet");
        check(
            &r,
            "`object` is a DaemonSet, but the request is about a Deployment",
        );
        let mut r = review("deployment");
        r["request"]["object"]["spec"]["template"]["spec"]["containers"] = json!("app");
        check(&r, "Deployment shop/web");
        let mut r = review("deployment");
        r["request"]["operation"] = json!(42);
        check(&r, "invalid AdmissionRequest at `operation`");
        let mut r = review("deployment");
        r["request"]["operation"] = json!("UPDATE");
        check(&r, "`oldObject` is missing, not an object");
        let d = admit("{\"kind\": ", &p);
        assert!(d.message.unwrap().contains("the request is not JSON"));
        let small = policy(json!({"admission": {"maxRequestBytes": 100}}));
        let d = decide_on(&review("deployment"), &small);
        assert_eq!(d.code, Some(400));
        assert!(
            d.message
                .unwrap()
                .contains("over the policy's limit of 100 (admission.maxRequestBytes)")
        );
    }

    #[test]
    fn exempt_namespaces_users_groups_and_runtime_classes_are_allowed_untouched() {
        let p = policy(json!({"admission": {"exemptions": {
            "namespaces": ["kube-system"], "usernames": ["ci-bot"],
            "groups": ["platform-admins"], "runtimeClasses": ["kata"],
        }}}));
        let cases: [(&str, Value, &str); 4] = [
            ("/request/namespace", json!("kube-system"), "namespace"),
            ("/request/userInfo/username", json!("ci-bot"), "user"),
            (
                "/request/userInfo/groups",
                json!(["platform-admins", "system:authenticated"]),
                "group",
            ),
            (
                "/request/object/spec/template/spec/runtimeClassName",
                json!("kata"),
                "runtimeClass",
            ),
        ];
        for (pointer, value, why) in cases {
            let mut r = review("deployment");
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            r.pointer_mut(parent).unwrap()[key] = value;
            let d = decide_on(&r, &p);
            assert!(d.allowed && d.violations.is_empty(), "{why}");
            assert_eq!(
                d.audit_annotations.get("exempt").map(String::as_str),
                Some(why)
            );
        }
        let mut r = review("deployment");
        r["request"]["object"]["spec"]["template"]["spec"]["runtimeClassName"] = json!("gvisor");
        assert!(!decide_on(&r, &p).allowed);
    }

    #[test]
    fn policy_exemptions_apply_as_in_a_scan() {
        let p = policy(json!({
            "benchmarks": ["pss-baseline"],
            "exemptions": [{"rules": ["PSS"], "resources": {"namespace": "shop", "name": "web*"}, "reason": "legacy agent"}]
        }));
        let d = decide_on(&review("deployment"), &p);
        assert!(d.allowed, "{:?}", d.message);
        // The namespace comes from the request when the object does not state it.
        let mut r = review("deployment");
        r["request"]["object"]["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("namespace");
        assert!(decide_on(&r, &p).allowed);
        r["request"]["namespace"] = json!("other");
        assert!(!decide_on(&r, &p).allowed);
    }

    #[test]
    fn exempt_annotations_are_ignored_at_admission_unless_allowed_for_named_rules() {
        let mut r = review("deployment");
        r["request"]["object"]["metadata"]["annotations"] = json!({
            EXEMPT_ANNOTATION: "- rules: [PSS003, PSS002]\n  reason: node agent\n"
        });
        let baseline = json!({"benchmarks": ["pss-baseline"]});
        let d = decide_on(&r, &policy(baseline.clone()));
        assert_eq!(rules(&d, Mode::Enforce), ["PSS002", "PSS003"]);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].starts_with("stockade.dev/exempt is ignored at admission: anyone who may create this object may write its annotations"));

        let mut allowed = baseline.clone();
        allowed["admission"] = json!({"annotationRules": ["PSS002", "PSS003"]});
        let d = decide_on(&r, &policy(allowed));
        assert!(d.allowed, "{:?}", d.message);
        assert!(
            d.warnings[0].starts_with(
                "stockade.dev/exempt is honoured at admission only for PSS002, PSS003"
            )
        );

        // An entry naming a rule outside the allowed ones is ignored, and the engine says so.
        let mut narrow = baseline;
        narrow["admission"] = json!({"annotationRules": ["PSS002"]});
        let d = decide_on(&r, &policy(narrow));
        assert_eq!(rules(&d, Mode::Enforce), ["PSS002", "PSS003"]);
        assert!(
            d.warnings
                .iter()
                .any(|w| w.contains("ignored: the policy lets annotations exempt only PSS002")),
            "{:?}",
            d.warnings
        );
    }

    #[test]
    fn pod_updates_are_judged_only_when_significant_as_psa_does() {
        let p = policy(json!({"benchmarks": ["pss-baseline"]}));
        let created = privileged_pod();
        assert!(!decide_on(&created, &p).allowed);
        let update = |change: &dyn Fn(&mut Value)| {
            let mut r = created.clone();
            r["request"]["operation"] = json!("UPDATE");
            r["request"]["oldObject"] = r["request"]["object"].clone();
            change(&mut r["request"]["object"]);
            decide_on(&r, &p)
        };
        // A label or an unrelated field: not re-evaluated (the pod is already running).
        let d = update(&|o| o["metadata"]["labels"]["tier"] = json!("frontend"));
        assert!(d.allowed && d.violations.is_empty());
        // A new image is.
        let d = update(&|o| {
            o["spec"]["containers"][0]["image"] = json!("registry.example.com/shop/web:1.5.0")
        });
        assert!(!d.allowed);
        assert_eq!(rules(&d, Mode::Enforce), ["PSS002", "PSS003"]);
        // So is a changed container seccomp annotation.
        let d = update(&|o| {
            o["metadata"]["annotations"] =
                json!({"container.seccomp.security.alpha.kubernetes.io/app": "unconfined"})
        });
        assert!(!d.allowed);

        // Status updates are not judged; an ephemeral container added through its subresource is.
        let mut r = review("pod");
        r["request"]["operation"] = json!("UPDATE");
        r["request"]["oldObject"] = r["request"]["object"].clone();
        r["request"]["subResource"] = json!("status");
        r["request"]["object"]["spec"]["hostPID"] = json!(true);
        assert!(decide_on(&r, &p).allowed);
        r["request"]["subResource"] = json!("ephemeralcontainers");
        r["request"]["object"]["spec"]["hostPID"] = json!(false);
        r["request"]["object"]["spec"]["ephemeralContainers"] = json!([
            {"name": "debugger", "image": "busybox:1.36", "targetContainerName": "api", "securityContext": {"privileged": true}}
        ]);
        let d = decide_on(&r, &p);
        assert!(!d.allowed);
        assert_eq!(
            d.violations[0].pointer,
            "/spec/ephemeralContainers/0/securityContext/privileged"
        );
    }

    #[test]
    fn controller_updates_reject_new_violations_only() {
        let p = policy(json!({"benchmarks": ["pss-baseline"]}));
        let mut r = review("deployment");
        r["request"]["operation"] = json!("UPDATE");
        r["request"]["oldObject"] = r["request"]["object"].clone();
        r["request"]["object"]["spec"]["replicas"] = json!(5);
        let d = decide_on(&r, &p);
        assert!(d.allowed, "{:?}", d.message);
        assert!(d.violations.iter().all(|v| v.preexisting));
        assert!(d.warnings[0].starts_with("already violated before this update, so not newly rejected: Stockade policy \"pss-baseline@latest\": PSS002"), "{:?}", d.warnings);
        // A new violation is rejected, and only it.
        r["request"]["object"]["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        let d = decide_on(&r, &p);
        assert!(!d.allowed);
        let m = d.message.unwrap();
        assert!(
            m.contains("/spec/template/spec/hostNetwork") && !m.contains("hostPID"),
            "{m}"
        );
        // Subresources of controllers (scale, status) are not judged.
        r["request"]["subResource"] = json!("scale");
        assert!(decide_on(&r, &p).allowed);
    }

    #[test]
    fn rbac_objects_are_judged() {
        let mut r = review("deployment");
        r["request"]["kind"] =
            json!({"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole"});
        r["request"]["namespace"] = json!("");
        r["request"]["object"] = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "everything"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
        });
        let d = decide_on(&r, &policy(json!({"benchmarks": ["cis-k8s@1.12"]})));
        assert!(!d.allowed);
        assert!(
            rules(&d, Mode::Enforce).contains(&"RBAC002"),
            "{:?}",
            d.violations
        );
    }

    #[test]
    fn the_policy_file_carries_the_admission_section_and_scan_checks_it() {
        let text = "benchmarks: [pss-restricted]\nadmission:\n  enforce:\n    benchmarks: [pss-baseline]\n  warn:\n    benchmarks: [cis-k8s@1.12]\n    severity: high\n  exemptions:\n    namespaces: [kube-system]\n";
        assert!(crate::load_policy_file("stockade.yaml", text).is_ok());
        let bad = text.replace("[pss-baseline]", "[pss-basic]");
        let e = crate::load_policy_file("stockade.yaml", &bad).expect_err("unknown benchmark");
        assert_eq!(e.line, 4, "{}", e.message);
        assert!(
            e.message.starts_with("/admission/enforce/benchmarks/0: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn bad_policies_name_the_key() {
        let e = policy_error(json!({"admission": {"enforce": {"benchmarks": ["pss-strict"]}}}));
        assert_eq!(e.pointer, "/admission/enforce/benchmarks/0");
        let e = policy_error(json!({"admission": {"annotationRules": ["XYZ"]}}));
        assert_eq!(e.pointer, "/admission/annotationRules/0");
        let e = policy_error(json!({"admission": {"maxRequestBytes": 0}}));
        assert_eq!(e.pointer, "/admission/maxRequestBytes");
        let e = policy_error(json!({"plugins": [{"path": "p.wasm"}]}));
        assert_eq!(e.pointer, "/plugins");
        let e: Result<OptionsSpec, _> =
            serde_json::from_value(json!({"admission": {"enforce": {"level": "restricted"}}}));
        assert!(e.unwrap_err().to_string().contains("unknown field `level`"));
    }
}
