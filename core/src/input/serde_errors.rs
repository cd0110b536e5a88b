//! Deserialization errors located in the input: serde says which field, the YAML tree says at
//! which line and column that field is.

use crate::input::yaml::{Node, Pos};

/// Where in `root` a deserialization error is, and what it says (prefixed by the field's JSON
/// pointer), so that an error in a YAML or JSON input points at its line.
pub(crate) fn locate_serde_error(
    root: &Node,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> (Pos, String) {
    let pointer = path_to_pointer(e.path());
    let message = e.inner().to_string();
    // serde names an unknown field by itself; point at it.
    let pointer = match unknown_field(&message) {
        Some(field) if !pointer.ends_with(&format!("/{field}")) => format!("{pointer}/{field}"),
        _ => pointer,
    };
    (root.locate(&pointer), described(&pointer, &message))
}

pub(crate) fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
            }
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    out
}

fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

pub(crate) fn described(pointer: &str, message: &str) -> String {
    if pointer.is_empty() {
        message.to_owned()
    } else {
        format!("{pointer}: {message}")
    }
}
