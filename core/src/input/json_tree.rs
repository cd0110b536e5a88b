//! The tree of a JSON value as [`yaml::parse_json_document`] would read it from the value's
//! pretty-printed text (`serde_json::to_string_pretty`), built from the value directly.
//!
//! Admission evaluates the request's object as that text (so that a result's line, column and
//! JSON pointer are those of a scan of the same object), and reading the text back was more than
//! half the cost of a review. The pretty printer's layout is fixed (one key or item a line, two
//! spaces of indentation a level, `{}` and `[]` for empty containers), so every position is
//! known without the text; a scalar is what the reader resolves from its printed form.
//!
//! Where the reader's answer is not that simple (a float, an integer beyond 64 bits, a
//! character that YAML treats specially, a merge key, a tree near the limits), [`pretty_tree`]
//! returns `None` and the caller parses the text instead: the tree is always the reader's.

use serde_json::Value as Json;

use super::yaml::{Entry, Limits, Node, Pos, Value};

/// The tree [`yaml::parse_json_document`]`(&serde_json::to_string_pretty(value)?, 0, limits)`
/// returns for a JSON object or array, without its errors (it has none), or `None` where this
/// function cannot be sure of it.
///
/// [`yaml::parse_json_document`]: super::yaml::parse_json_document
pub(crate) fn pretty_tree(value: &Json, limits: Limits) -> Option<Node> {
    if !(value.is_object() || value.is_array()) {
        return None;
    }
    let mut builder = Builder {
        line: 1,
        nodes: 0,
        // Far from the reader's own limits, so that it never would have refused the tree.
        max_depth: limits.max_depth / 2,
        max_nodes: limits.max_nodes / 2,
    };
    builder.node(value, 1, 0)
}

struct Builder {
    /// The line being laid out.
    line: u32,
    nodes: usize,
    max_depth: usize,
    max_nodes: usize,
}

impl Builder {
    /// The node of `value`, printed from `column` on the current line, at nesting `depth`
    /// (its items are indented by `2 * (depth + 1)` spaces).
    fn node(&mut self, value: &Json, column: u32, depth: usize) -> Option<Node> {
        self.nodes += 1;
        if self.nodes > self.max_nodes || depth >= self.max_depth {
            return None;
        }
        let pos = Pos {
            line: self.line,
            column,
        };
        let item_column = u32::try_from(2 * (depth + 1) + 1).ok()?;
        let value = match value {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            // Printed in decimal, read back as the same integer; other numbers are printed in
            // a form the reader resolves by its own rules.
            Json::Number(n) => Value::Int(n.as_i64()?),
            Json::String(s) => Value::Str(plain_string(s)?.to_owned()),
            Json::Array(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                for item in items {
                    self.line = self.line.checked_add(1)?;
                    nodes.push(self.node(item, item_column, depth + 1)?);
                }
                if !items.is_empty() {
                    // The closing bracket's line.
                    self.line = self.line.checked_add(1)?;
                }
                Value::Seq(nodes)
            }
            Json::Object(map) => {
                let mut entries = Vec::with_capacity(map.len());
                for (key, item) in map {
                    // `<<` is YAML's merge key.
                    if key == "<<" {
                        return None;
                    }
                    let key = plain_string(key)?;
                    self.line = self.line.checked_add(1)?;
                    let key_pos = Pos {
                        line: self.line,
                        column: item_column,
                    };
                    // `"key": ` then the value.
                    let width = u32::try_from(printed_width(key)).ok()?;
                    let column = item_column.checked_add(width)?.checked_add(2)?;
                    entries.push(Entry {
                        key: key.to_owned(),
                        key_pos,
                        value: self.node(item, column, depth + 1)?,
                    });
                }
                if !map.is_empty() {
                    self.line = self.line.checked_add(1)?;
                }
                Value::Map(entries)
            }
        };
        Some(Node { pos, value })
    }
}

/// The string, if the reader gives it back unchanged from its printed (quoted, escaped) form:
/// not when it holds a character that is not printable in YAML (DEL, the C1 controls,
/// U+FFFE, U+FFFF), a YAML 1.1 line break (NEL, U+2028, U+2029) or a byte order mark, which
/// the printer writes as is. C0 controls are printed as escapes, which the reader decodes.
fn plain_string(s: &str) -> Option<&str> {
    let special = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    };
    // Below DEL every byte is a character printed as is or escaped.
    (s.bytes().all(|b| b < 0x7f) || !s.chars().any(special)).then_some(s)
}

/// Columns a key takes once printed: quotes, and escapes (`\"`, `\\`, `\n`, `\u0001`).
fn printed_width(key: &str) -> usize {
    2 + key
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            c if c < ' ' => 6,
            _ => 1,
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::yaml::parse_json_document;
    use serde_json::json;

    /// The tree, and the reader's tree of the printed text: the same, whenever there is one.
    fn check(value: &Json) -> Option<Node> {
        let limits = Limits::default();
        let tree = pretty_tree(value, limits);
        let text = serde_json::to_string_pretty(value).expect("printable");
        let (read, errors) = parse_json_document(&text, 0, limits);
        if let Some(tree) = &tree {
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(Some(tree), read.as_ref(), "{text}");
        }
        tree
    }

    #[test]
    fn positions_follow_the_pretty_printer() {
        let value = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {}, "annotations": {"a\"b": "x", "é": "ü"}},
            "spec": {
                "replicas": 3,
                "paused": false,
                "minReadySeconds": -5,
                "revisionHistoryLimit": null,
                "template": {"spec": {
                    "containers": [
                        {"name": "web", "args": ["sh", "-c", "a\nb\t\"c\" \\ \u{1}"], "ports": []},
                        [],
                        [[1, 2], {}],
                        "text"
                    ]
                }}
            },
            "\\key\n": "\u{0}"
        });
        let tree = check(&value).expect("a tree");
        // Keys in order (`"\\key\n"` first): `spec` on line 13, its value after `"spec": `.
        let spec = tree.entry("spec").expect("spec");
        assert_eq!(
            spec.key_pos,
            Pos {
                line: 13,
                column: 3
            }
        );
        assert_eq!(
            spec.value.pos,
            Pos {
                line: 13,
                column: 11
            }
        );
    }

    /// The YAML and JSON files under `dir`, sorted.
    #[allow(clippy::disallowed_methods)]
    fn manifest_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("the corpus")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                manifest_files(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                out.push(path);
            }
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn the_corpus_reads_the_same() {
        // Every object of the shared corpus of real-world manifests and of the examples, as
        // JSON: the tree built, when there is one, is the tree read from its text.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        manifest_files(&root.join("../shared/corpus"), &mut files);
        manifest_files(&root.join("examples"), &mut files);
        let (mut built, mut objects) = (0, 0);
        for path in files {
            let text = std::fs::read_to_string(&path).expect("readable");
            let parsed =
                crate::input::manifest::parse_manifests("c.yaml", &text, Limits::default());
            for resource in parsed.resources {
                objects += 1;
                if check(&resource.node.to_json()).is_some() {
                    built += 1;
                }
            }
        }
        assert!(
            built > 500 && built * 10 > objects * 9,
            "{built} of {objects} objects built"
        );
    }

    #[test]
    fn the_reader_decides_where_it_is_not_simple() {
        for value in [
            json!({"a": 1.5}),
            json!({"a": 18446744073709551615u64}),
            json!({"a": "\u{85}"}),
            json!({"a": "x\u{2028}y"}),
            json!({"a": "\u{feff}"}),
            json!({"<<": {"b": 1}}),
            json!({"a\u{7f}": 1}),
            json!("scalar"),
        ] {
            assert!(pretty_tree(&value, Limits::default()).is_none(), "{value}");
        }
        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        assert!(pretty_tree(&deep, Limits::default()).is_none());
        assert!(check(&json!([[[1]]])).is_some());
    }
}
