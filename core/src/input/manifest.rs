//! Multi-document manifest files: YAML streams, JSON documents, `kind: List`, Helm output.
//!
//! A file is cut into documents at `---` lines before parsing, so a syntax error in one document
//! does not hide the others: the broken document becomes an input error, the rest are scanned.

use super::yaml::{self, Limits, Node, Pos, Value};
use crate::vocab::{ErrorLevel, InputError, ResourceRef};

/// One Kubernetes object found in the input.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The file it came from, as the caller named it.
    pub file: smol_str::SmolStr,
    /// 0-based index of the YAML document in the file.
    pub document: usize,
    /// JSON pointer of the object inside its document (empty for a top-level object, `/items/3`
    /// for an item of a `kind: List`).
    pub base_pointer: String,
    /// The Helm template that rendered it (from a `# Source:` comment), if any.
    pub helm_source: Option<smol_str::SmolStr>,
    /// apiVersion, kind, namespace and name.
    pub identity: std::sync::Arc<ResourceRef>,
    /// The object.
    pub node: Node,
}

/// What one file held: its resources and the problems found reading it.
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// Objects, in source order.
    pub resources: Vec<Resource>,
    /// Problems, in source order.
    pub errors: Vec<InputError>,
    /// Documents read (empty ones included).
    pub documents: usize,
}

/// Parses a file of manifests. Never fails: problems are returned as input errors with locations.
pub fn parse_manifests(file: &str, text: &str, limits: Limits) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    if text.len() > limits.max_file_size {
        parsed.errors.push(InputError::at(
            file,
            Pos { line: 1, column: 1 },
            ErrorLevel::Error,
            format!(
                "the file is {} bytes, more than the limit of {} (maxFileSize): not scanned",
                text.len(),
                limits.max_file_size
            ),
        ));
        return parsed;
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (chunks, split_error) = yaml::split_stream(text);
    let json = yaml::is_json_stream(text);
    for (index, chunk) in chunks.into_iter().enumerate() {
        if index >= limits.max_documents {
            // At the `---` that opens the document (the line before it, unless it starts
            // with its own marker).
            let marker_line = if chunk.text.starts_with("---") {
                chunk.first_line
            } else {
                chunk.first_line.saturating_sub(1).max(1)
            };
            parsed.errors.push(InputError::at(
                file,
                Pos {
                    line: marker_line,
                    column: 1,
                },
                ErrorLevel::Error,
                format!(
                    "more than {} documents in this file (maxDocuments): the rest of the file, \
                     from here, is not scanned",
                    limits.max_documents
                ),
            ));
            break;
        }
        parsed.documents += 1;
        let read = if json {
            yaml::parse_json_document
        } else {
            yaml::parse_document
        };
        let (root, errors) = read(chunk.text, chunk.first_line - 1, limits);
        for err in errors {
            let level = if err.recoverable {
                ErrorLevel::Warning
            } else {
                ErrorLevel::Error
            };
            parsed
                .errors
                .push(InputError::at(file, err.pos, level, err.message));
        }
        let Some(root) = root else { continue };
        let helm_source = helm_source(chunk.text);
        collect_objects(
            file,
            index,
            String::new(),
            helm_source.as_deref(),
            root,
            &mut parsed,
        );
    }
    if let Some(err) = split_error {
        parsed.errors.push(InputError::at(
            file,
            err.pos,
            ErrorLevel::Error,
            err.message,
        ));
    }
    parsed
}

/// [`parse_manifests`] of `text`, the pretty-printed JSON (`serde_json::to_string_pretty`) of
/// `object`, with the object's tree built from `object` instead of read from the text
/// ([`super::json_tree`]); where that tree could differ from the one read, the text is read.
pub(crate) fn parse_json_object(
    file: &str,
    text: &str,
    object: &serde_json::Value,
    limits: Limits,
) -> ParsedFile {
    // A JSON stream of one value, without a BOM, within the size limit: one document, the
    // whole text, with no `# Source:` comment.
    let one_document = text.len() <= limits.max_file_size && limits.max_documents > 0;
    match super::json_tree::pretty_tree(object, limits) {
        Some(root) if one_document && yaml::is_json_stream(text) => {
            let mut parsed = ParsedFile {
                documents: 1,
                ..ParsedFile::default()
            };
            collect_objects(file, 0, String::new(), None, root, &mut parsed);
            parsed
        }
        _ => parse_manifests(file, text, limits),
    }
}

fn helm_source(chunk: &str) -> Option<String> {
    chunk
        .lines()
        .take_while(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with('#') || t.starts_with("---")
        })
        .find_map(|l| {
            l.trim()
                .strip_prefix("# Source:")
                .map(|s| s.trim().to_owned())
        })
}

fn collect_objects(
    file: &str,
    document: usize,
    base_pointer: String,
    helm_source: Option<&str>,
    node: Node,
    parsed: &mut ParsedFile,
) {
    let error = |pos: Pos, message: String| InputError::at(file, pos, ErrorLevel::Error, message);
    if matches!(node.value, Value::Null) {
        return;
    }
    if node.as_map().is_none() {
        parsed.errors.push(error(
            node.pos,
            format!(
                "expected a Kubernetes object (a mapping with apiVersion and kind), found a {}",
                node.type_name()
            ),
        ));
        return;
    }
    let kind = node.get("kind").and_then(Node::as_str).map(str::to_owned);
    let Some(kind) = kind else {
        parsed.errors.push(error(
            node.pos,
            "object has no `kind`: not a Kubernetes object".to_owned(),
        ));
        return;
    };
    if kind == "List" || (kind.ends_with("List") && node.get("items").is_some()) {
        let Some(Node {
            value: Value::Seq(items),
            ..
        }) = take_entry(node, "items")
        else {
            return;
        };
        for (i, item) in items.into_iter().enumerate() {
            collect_objects(
                file,
                document,
                format!("{base_pointer}/items/{i}"),
                helm_source,
                item,
                parsed,
            );
        }
        return;
    }
    let metadata = node.get("metadata");
    let text_of = |n: Option<&Node>, key: &str| {
        n.and_then(|m| m.get(key))
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    let identity = ResourceRef {
        api_version: text_of(Some(&node), "apiVersion")
            .unwrap_or_default()
            .into(),
        kind: kind.into(),
        namespace: text_of(metadata, "namespace").map(Into::into),
        name: text_of(metadata, "name")
            .or_else(|| text_of(metadata, "generateName").map(|g| format!("{g}*")))
            .unwrap_or_default()
            .into(),
    };
    parsed.resources.push(Resource {
        file: file.into(),
        document,
        base_pointer,
        helm_source: helm_source.map(str::to_owned).map(Into::into),
        identity: identity.into(),
        node,
    });
}

fn take_entry(node: Node, key: &str) -> Option<Node> {
    match node.value {
        Value::Map(entries) => entries.into_iter().find(|e| e.key == key).map(|e| e.value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedFile {
        parse_manifests("m.yaml", text, Limits::default())
    }

    #[test]
    fn splits_documents_and_skips_empty_ones() {
        let p = parse(
            "---\n# only a comment\n---\nkind: Pod\nmetadata: {name: a}\n---\n---\nkind: Service\nmetadata: {name: b}\n...\n",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let names: Vec<_> = p
            .resources
            .iter()
            .map(|r| r.identity.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(p.resources[1].node.pos.line, 8);
    }

    #[test]
    fn a_broken_document_does_not_hide_the_others() {
        let p = parse(
            "kind: Pod\nmetadata: {name: a}\n---\nkind: [\n---\nkind: Pod\nmetadata: {name: c}\n",
        );
        assert_eq!(p.resources.len(), 2);
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].line >= 4, "{:?}", p.errors);
    }

    #[test]
    fn list_items_become_resources() {
        let p = parse(
            "kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: b}\n",
        );
        assert_eq!(p.resources.len(), 2);
        assert_eq!(p.resources[1].base_pointer, "/items/1");
        assert_eq!(p.resources[1].node.pos.line, 5);
    }

    #[test]
    fn helm_source_comments_are_kept() {
        let p = parse(
            "---\n# Source: chart/templates/deploy.yaml\nkind: Deployment\nmetadata: {name: a}\n",
        );
        assert_eq!(
            p.resources[0].helm_source.as_deref(),
            Some("chart/templates/deploy.yaml")
        );
    }

    #[test]
    fn non_objects_are_errors() {
        let p = parse("- a\n- b\n---\nfoo: bar\n");
        assert_eq!(p.errors.len(), 2);
        assert!(p.errors[0].message.contains("found a list"));
        assert!(p.errors[1].message.contains("no `kind`"));
        assert_eq!(p.errors[1].line, 4);
    }

    #[test]
    fn json_file() {
        let p = parse(
            "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"j\"}\n}\n",
        );
        assert_eq!(p.resources.len(), 1);
        assert_eq!(p.resources[0].identity.name, "j");
    }
}
