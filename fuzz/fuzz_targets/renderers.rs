//! Every renderer on arbitrary reports (any JSON that deserializes as a report, e.g. from the
//! npm package's `render`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockade_core::Report;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(report) = serde_json::from_str::<Report>(text) else {
        return;
    };
    for format in ["text", "json", "sarif", "junit", "markdown", "html"] {
        let _ = report.render(format);
    }
});
