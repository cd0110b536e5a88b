//! Structured logs: one JSON object per line on stdout (`ts`, `level`, `msg`, then fields).
//! No object contents are ever logged: a decision names the request, the user, the verdict and
//! the rules, never a field of the object.

use std::io::Write;

use serde_json::{Map, Value};

/// The longest string value logged; longer ones are cut (a name is at most 253 bytes, but a
/// request need not come from the API server).
const MAX_VALUE: usize = 256;

pub fn truncated(s: &str) -> String {
    if s.len() <= MAX_VALUE {
        return s.to_owned();
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", s.get(..end).unwrap_or_default())
}

/// Writes one line: `ts`, `level` and `msg` first, then `fields` (in key order).
pub fn line(level: &str, msg: &str, fields: Map<String, Value>) {
    let mut text = format!(
        "{{\"ts\":{},\"level\":{},\"msg\":{}",
        Value::String(jiff::Timestamp::now().to_string()),
        Value::String(level.to_owned()),
        Value::String(msg.to_owned()),
    );
    for (key, value) in fields {
        text.push(',');
        text.push_str(&Value::String(key).to_string());
        text.push(':');
        text.push_str(&value.to_string());
    }
    text.push_str("}\n");
    // A closed stdout must not stop the server.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn strings(fields: &[(&str, &str)]) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect()
}

pub fn info(msg: &str, fields: &[(&str, &str)]) {
    line("info", msg, strings(fields));
}

pub fn error(msg: &str, fields: &[(&str, &str)]) {
    line("error", msg, strings(fields));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        assert_eq!(truncated("short"), "short");
        let long = "é".repeat(200);
        let cut = truncated(&long);
        assert!(cut.ends_with("...") && cut.len() <= MAX_VALUE + 3, "{cut}");
    }
}
