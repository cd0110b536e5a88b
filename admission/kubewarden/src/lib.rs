//! Stockade as a Kubewarden policy: a thin waPC adapter over `stockade_core::admission`.
//!
//! Conversion only. The policy's settings are the Stockade policy (the options object of
//! `stockade.yaml`, `admission` section included); `validate` hands the request to
//! [`stockade_core::admission::admit_value`] and turns its decision into Kubewarden's
//! `ValidationResponse`. The adapter's only I/O is the clock: the current UTC date, against
//! which policy exemptions expire (the core reads no clock).

use std::collections::HashMap;

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde_json::Value;
use stockade_core::OptionsSpec;
use stockade_core::admission::{AdmissionPolicy, Decision, admit_value};

#[cfg(target_arch = "wasm32")]
mod guest {
    use kubewarden_policy_sdk::protocol_version_guest;
    use kubewarden_policy_sdk::wapc_guest::{CallResult, register_function};

    /// waPC's entry point: registers the functions a policy server calls.
    #[unsafe(no_mangle)]
    pub extern "C" fn wapc_init() {
        register_function("validate", validate);
        register_function("validate_settings", validate_settings);
        register_function("protocol_version", protocol_version_guest);
    }

    fn validate(payload: &[u8]) -> CallResult {
        Ok(super::validate(payload, super::today().as_deref()))
    }

    fn validate_settings(payload: &[u8]) -> CallResult {
        Ok(super::validate_settings(payload))
    }
}

/// The settings as a policy, or why they are not one (naming the bad key).
pub fn policy(settings: &Value, now: Option<&str>) -> Result<AdmissionPolicy, String> {
    let mut spec: OptionsSpec = match settings {
        // Kubewarden sends no settings as `null` or `{}`.
        Value::Null => OptionsSpec::default(),
        v => serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                format!("invalid Stockade settings: {}", e.inner())
            } else {
                format!("invalid Stockade settings at `{path}`: {}", e.inner())
            }
        })?,
    };
    if spec.now.is_none() {
        spec.now = now.map(str::to_owned);
    }
    AdmissionPolicy::new(&spec).map_err(|e| format!("invalid Stockade settings: {e}"))
}

/// `validate_settings`: the settings (JSON) in, a `SettingsValidationResponse` (JSON) out.
pub fn validate_settings(payload: &[u8]) -> Vec<u8> {
    let outcome = serde_json::from_slice::<Value>(payload)
        .map_err(|e| format!("the settings are not JSON: {e}"))
        .and_then(|settings| policy(&settings, None).map(|_| ()));
    let response = SettingsValidationResponse {
        valid: outcome.is_ok(),
        message: outcome.err(),
    };
    serde_json::to_vec(&response).unwrap_or_default()
}

/// What `validate` decides on a payload `{"request": AdmissionRequest, "settings": ...}`.
pub fn decide(payload: &[u8], now: Option<&str>) -> Decision {
    let size = payload.len();
    let payload: Value = match serde_json::from_slice(payload) {
        Ok(v) => v,
        Err(e) => return Decision::error("", format!("the payload is not JSON: {e}")),
    };
    let settings = payload.get("settings").unwrap_or(&Value::Null);
    let policy = match policy(settings, now) {
        Ok(p) => p,
        Err(message) => return Decision::error("", message),
    };
    let Some(request) = payload.get("request") else {
        return Decision::error("", "the payload has no `request`");
    };
    // The payload is the request and the settings: the limit is on both, read as one.
    if size > policy.max_request_bytes() {
        let uid = request
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Decision::error(
            uid,
            format!(
                "the request is {size} bytes, over the policy's limit of {} (admission.maxRequestBytes)",
                policy.max_request_bytes()
            ),
        );
    }
    admit_value(request, &policy)
}

/// `validate`: the payload in, a `ValidationResponse` (JSON) out.
pub fn validate(payload: &[u8], now: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&response(decide(payload, now))).unwrap_or_default()
}

fn response(decision: Decision) -> ValidationResponse {
    ValidationResponse {
        accepted: decision.allowed,
        message: decision.message,
        code: decision.code,
        mutated_object: None,
        audit_annotations: (!decision.audit_annotations.is_empty()).then(|| {
            decision
                .audit_annotations
                .into_iter()
                .collect::<HashMap<_, _>>()
        }),
        warnings: (!decision.warnings.is_empty()).then_some(decision.warnings),
    }
}

/// Today's UTC date (`YYYY-MM-DD`) from the WASI clock, if the host gives one.
pub fn today() -> Option<String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let days = i64::try_from(secs / 86_400).ok()?;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}
