//! The JSON report: the documented, stable contract.

use super::Report;

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    // Serializing plain structs of strings and numbers cannot fail; fall back to an empty
    // object rather than panic if that ever changes.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned());
    out.push('\n');
    out
}
