//! The fix a failing result carries: text edits on its file and a JSON Patch on its object.

use serde::{Deserialize, Serialize};

/// A mechanical change that makes a failing result pass, in two forms: edits on the source
/// text (which keep the file's comments, order, quoting and indentation) and an RFC 6902 JSON
/// Patch on the object (for tools that change objects, not files).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    /// What the fix does, naming the field it sets and where (container or pod level).
    pub description: String,
    /// Edits on the file, in order, not overlapping; apply all of them at once.
    pub edits: Vec<TextEdit>,
    /// The same change as a JSON Patch on the object (paths from the object's root).
    pub patch: Vec<PatchOp>,
}

/// Replace the text from `start` (included) to `end` (excluded) by `newText`; an insertion has
/// `start == end`. Positions are in the file as given, like the result's location.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TextEdit {
    /// Where the replaced text starts.
    pub start: TextPosition,
    /// Where the replaced text ends (the position just after it).
    pub end: TextPosition,
    /// The replacement, with the file's own line breaks (`\r\n` in a CRLF file).
    pub new_text: String,
}

/// A position in a text: `line` is 1-based; `column` is 1-based and counts Unicode code points
/// (characters), as the results' locations do and as the SARIF report declares
/// (`columnKind: unicodeCodePoints`); `offset` is the 0-based byte offset in the UTF-8 text,
/// for tools that work on bytes. (JavaScript strings count UTF-16 units: the npm package
/// converts.)
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TextPosition {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in Unicode code points.
    pub column: u32,
    /// 0-based byte offset in the file.
    pub offset: usize,
}

/// One operation of an RFC 6902 JSON Patch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    /// Adds a member (or appends to an array, with a path ending in `/-`).
    Add {
        /// JSON pointer from the object's root.
        path: String,
        /// The value added.
        value: serde_json::Value,
    },
    /// Replaces an existing value.
    Replace {
        /// JSON pointer from the object's root.
        path: String,
        /// The new value.
        value: serde_json::Value,
    },
    /// Removes a member.
    Remove {
        /// JSON pointer from the object's root.
        path: String,
    },
}
