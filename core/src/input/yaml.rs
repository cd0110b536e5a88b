//! A YAML tree that remembers where every key and value came from.
//!
//! `saphyr-parser` gives us a YAML 1.2 event stream with spans; we build a small tree from it and
//! resolve plain scalars the way Kubernetes does. Kubernetes decodes manifests with go-yaml v2
//! (through `sigs.k8s.io/yaml`), which follows YAML 1.1: `yes`, `on` and `y` are booleans there,
//! and `<<` merge keys work. A manifest that says `privileged: yes` is privileged, so we resolve
//! scalars the same way rather than by the YAML 1.2 core schema.
//!
//! The tree is built iteratively (no recursion on input depth) and its size is bounded, so alias
//! bombs and absurd nesting become errors instead of exhausted memory or stack.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A 1-based line and column in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub pos: Pos,
    /// The value.
    pub value: Value,
}

/// A resolved YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean (YAML 1.1 spellings included, as Kubernetes reads them).
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating-point number, or an integer too large for 64 bits.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, keys unique (the last duplicate wins, as in Kubernetes).
    Map(Vec<Entry>),
}

/// One key of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as text.
    pub key: String,
    /// Where the key starts: findings about a field point here.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The value of `key` if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for `key` if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The string value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The position of the value at a JSON pointer (RFC 6901) below this node: a mapping
    /// value's key position; the closest existing parent's when the pointer goes further than
    /// the tree.
    pub fn locate(&self, pointer: &str) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for part in pointer.split('/').skip(1) {
            let part = part.replace("~1", "/").replace("~0", "~");
            if let Some(entry) = node.entry(&part) {
                pos = entry.key_pos;
                node = &entry.value;
            } else if let Some(item) = part
                .parse::<usize>()
                .ok()
                .and_then(|i| node.as_seq().and_then(|s| s.get(i)))
            {
                pos = item.pos;
                node = item;
            } else {
                break;
            }
        }
        pos
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }

    /// Converts to JSON (for plugins, debugging and the JSON report).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Bounds on one input file and on what one document may expand to. Each bound turns a
/// hostile input (an alias bomb, absurd nesting, a file of a million documents) into an input
/// error at its location, instead of exhausted memory, stack or time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes one document may hold after aliases are expanded.
    pub max_nodes: usize,
    /// Most documents one file may hold; the rest of the file is reported, not scanned.
    pub max_documents: usize,
    /// Largest file, in bytes, that is scanned.
    pub max_file_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_nodes: 2_000_000,
            max_documents: 100_000,
            max_file_size: 64 * 1024 * 1024,
        }
    }
}

/// A problem found while reading YAML, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where it happened.
    pub pos: Pos,
    /// What went wrong.
    pub message: String,
    /// Whether the document could still be used (e.g. a duplicate key: the last value wins).
    pub recoverable: bool,
}

/// Parses one YAML document (the text between two `---` markers).
///
/// `line_offset` is added to every line, so that positions refer to the whole file.
/// Returns the root node (`None` for an empty document) and the problems found; on an
/// unrecoverable error the root is `None`.
pub fn parse_document(
    text: &str,
    line_offset: u32,
    limits: Limits,
) -> (Option<Node>, Vec<YamlError>) {
    let mut builder = Builder {
        line_offset,
        limits,
        stack: Vec::new(),
        anchors: Vec::new(),
        nodes: 0,
        root: None,
        errors: Vec::new(),
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                if let Err(err) = builder.on_event(event, span) {
                    builder.errors.push(err);
                    return (None, builder.errors);
                }
            }
            Err(err) => {
                let marker = err.marker();
                let pos = Pos {
                    line: saturate(marker.line()).saturating_add(line_offset),
                    column: saturate(marker.col()).saturating_add(1),
                };
                builder.errors.push(YamlError {
                    pos,
                    message: format!("invalid YAML: {}", err.info()),
                    recoverable: false,
                });
                return (None, builder.errors);
            }
        }
    }
    (builder.root, builder.errors)
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Entries,
        pending_key: Option<(String, Pos)>,
    },
}

/// The entries of a mapping being built, with a key index once it is large enough that a
/// linear search per key would make a hostile mapping (100,000 keys) quadratic.
#[derive(Default)]
struct Entries {
    list: Vec<Entry>,
    index: Option<std::collections::BTreeMap<String, usize>>,
    /// Keys that came from a `<<` merge: an explicit key replaces them without a warning.
    merged: std::collections::BTreeSet<String>,
}

impl Entries {
    /// Mappings smaller than this are searched linearly (faster, and no allocation).
    const INDEX_FROM: usize = 16;

    fn position(&mut self, key: &str) -> Option<usize> {
        if self.index.is_none() && self.list.len() >= Self::INDEX_FROM {
            self.index = Some(
                self.list
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.key.clone(), i))
                    .collect(),
            );
        }
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.list.iter().position(|e| e.key == key),
        }
    }

    fn push(&mut self, entry: Entry) {
        if let Some(index) = &mut self.index {
            index.insert(entry.key.clone(), self.list.len());
        }
        self.list.push(entry);
    }
}

struct Builder {
    line_offset: u32,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: Vec<(usize, Node)>,
    nodes: usize,
    root: Option<Node>,
    errors: Vec<YamlError>,
    documents: usize,
}

impl Builder {
    fn pos(&self, span: Span) -> Pos {
        Pos {
            line: saturate(span.start.line()).saturating_add(self.line_offset),
            column: saturate(span.start.col()).saturating_add(1),
        }
    }

    fn fatal(pos: Pos, message: impl Into<String>) -> YamlError {
        YamlError {
            pos,
            message: message.into(),
            recoverable: false,
        }
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Self::fatal(
                pos,
                format!(
                    "document expands to more than {} values (an alias bomb?)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let pos = self.pos(span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Self::fatal(
                        pos,
                        "a second document in the same chunk (a `---` marker not at the start of a line?)",
                    ));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, pos)?;
                let untagged = |text: &str| {
                    if style == ScalarStyle::Plain {
                        resolve_plain(text)
                    } else {
                        Value::Str(text.to_owned())
                    }
                };
                let value = match tag.as_deref() {
                    None => untagged(&text),
                    Some(tag) => match self.tagged(tag, &text, pos) {
                        Some(value) => value,
                        None => untagged(&text),
                    },
                };
                self.push(Node { pos, value }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(pos)?;
                self.stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(pos)?;
                self.stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Entries::default(),
                    pending_key: None,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => self.push(
                    Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    anchor,
                ),
                _ => Err(Self::fatal(pos, "unbalanced sequence end")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    ..
                }) => self.push(
                    Node {
                        pos,
                        value: Value::Map(entries.list),
                    },
                    anchor,
                ),
                _ => Err(Self::fatal(pos, "unbalanced mapping end")),
            },
            Event::Alias(id) => {
                let Some(node) = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone())
                else {
                    return Err(Self::fatal(pos, "alias to an unknown anchor"));
                };
                self.count(count_nodes(&node), pos)?;
                self.push(node, 0)
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }

    /// A scalar with an explicit tag, as go-yaml reads it: the core types (`!!str`, `!!bool`,
    /// `!!int`, `!!float`, `!!null`) decide the type; a value that does not fit its tag, and any
    /// other tag, get a warning and are read as if untagged (`None`).
    fn tagged(&mut self, tag: &saphyr_parser::Tag, text: &str, pos: Pos) -> Option<Value> {
        let core = (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!")
            .then_some(tag.suffix.as_str());
        let warn = |errors: &mut Vec<YamlError>, message: String| {
            errors.push(YamlError {
                pos,
                message,
                recoverable: true,
            });
        };
        match core {
            Some("str") => Some(Value::Str(text.to_owned())),
            Some(kind @ ("bool" | "int" | "float" | "null")) => match (kind, resolve_plain(text)) {
                ("bool", v @ Value::Bool(_))
                | ("int", v @ Value::Int(_))
                | ("float", v @ Value::Float(_))
                | ("null", v @ Value::Null) => Some(v),
                #[allow(clippy::cast_precision_loss)]
                ("float", Value::Int(i)) => Some(Value::Float(i as f64)),
                _ => {
                    warn(
                        &mut self.errors,
                        format!(
                            "`!!{kind}` tag on {text:?}, which is not a {kind}: read as a string"
                        ),
                    );
                    Some(Value::Str(text.to_owned()))
                }
            },
            // The non-specific tag `!` makes a plain scalar a string.
            None if format!("{}{}", tag.handle, tag.suffix) == "!" => {
                Some(Value::Str(text.to_owned()))
            }
            _ => {
                warn(
                    &mut self.errors,
                    format!(
                        "tag `{}{}` is not interpreted: the value is read as if it had no tag",
                        if core.is_some() {
                            "!!"
                        } else {
                            tag.handle.as_str()
                        },
                        tag.suffix
                    ),
                );
                None
            }
        }
    }

    fn open(&mut self, pos: Pos) -> Result<(), YamlError> {
        self.count(1, pos)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(Self::fatal(
                pos,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let key = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Null => "null".to_owned(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(Self::fatal(
                                node.pos,
                                "a mapping key must be a scalar, not a list or mapping",
                            ));
                        }
                    };
                    *pending_key = Some((key, node.pos));
                    Ok(())
                }
                Some((key, key_pos)) => {
                    if key == "<<" {
                        merge(entries, node);
                        return Ok(());
                    }
                    let existing = entries
                        .position(&key)
                        .and_then(|at| entries.list.get_mut(at));
                    if entries.merged.remove(&key) {
                        if let Some(existing) = existing {
                            existing.key_pos = key_pos;
                            existing.value = node;
                        }
                        return Ok(());
                    }
                    if let Some(existing) = existing {
                        self.errors.push(YamlError {
                            pos: key_pos,
                            message: format!(
                                "duplicate key `{key}` (first at line {}); the last value is used, as Kubernetes does",
                                existing.key_pos.line
                            ),
                            recoverable: true,
                        });
                        existing.key_pos = key_pos;
                        existing.value = node;
                    } else {
                        entries.push(Entry {
                            key,
                            key_pos,
                            value: node,
                        });
                    }
                    Ok(())
                }
            },
        }
    }
}

/// YAML 1.1 merge key: the merged mapping's keys fill in what the mapping does not set itself.
fn merge(entries: &mut Entries, source: Node) {
    let maps = match source.value {
        Value::Map(m) => vec![m],
        Value::Seq(items) => items
            .into_iter()
            .filter_map(|n| match n.value {
                Value::Map(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for map in maps {
        for entry in map {
            if entries.position(&entry.key).is_none() {
                entries.merged.insert(entry.key.clone());
                entries.push(entry);
            }
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0usize;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count = count.saturating_add(1);
        match &n.value {
            Value::Seq(items) => todo.extend(items.iter()),
            Value::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// Resolves a plain scalar as go-yaml v2 (YAML 1.1) does.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Value::Str(text.to_owned());
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if plain.chars().any(|c| c.is_ascii_digit())
        && plain
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && let Ok(f) = plain.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.to_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let (radix, body) = if let Some(rest) = digits.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = digits.strip_prefix("0b") {
        (2, rest)
    } else if let Some(rest) = digits.strip_prefix("0o") {
        (8, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, digits.get(1..)?)
    } else {
        (10, digits.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let (node, errors) = parse_document(text, 0, Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        node.expect("a document")
    }

    #[test]
    fn resolves_scalars_like_kubernetes() {
        let doc = parse(
            "a: yes\nb: off\nc: 0x10\nd: 010\ne: '10'\nf: 1.5\ng: ~\nh: text\ni: -3\nj: 99999999999999999999\n",
        );
        let get = |k: &str| doc.get(k).map(|n| n.value.clone());
        assert_eq!(get("a"), Some(Value::Bool(true)));
        assert_eq!(get("b"), Some(Value::Bool(false)));
        assert_eq!(get("c"), Some(Value::Int(16)));
        assert_eq!(get("d"), Some(Value::Int(8)));
        assert_eq!(get("e"), Some(Value::Str("10".into())));
        assert_eq!(get("f"), Some(Value::Float(1.5)));
        assert_eq!(get("g"), Some(Value::Null));
        assert_eq!(get("h"), Some(Value::Str("text".into())));
        assert_eq!(get("i"), Some(Value::Int(-3)));
        assert_eq!(get("j"), Some(Value::Float(1e20)));
    }

    #[test]
    fn keeps_key_and_value_positions() {
        let doc = parse("spec:\n  containers:\n    - name: app\n      image: nginx\n");
        let containers = doc
            .get("spec")
            .and_then(|s| s.entry("containers"))
            .expect("key");
        assert_eq!(containers.key_pos, Pos { line: 2, column: 3 });
        let first = &containers.value.as_seq().expect("seq")[0];
        assert_eq!(first.pos, Pos { line: 3, column: 7 });
        assert_eq!(
            first.entry("image").expect("image").key_pos,
            Pos { line: 4, column: 7 }
        );
    }

    #[test]
    fn line_offset_applies() {
        let (node, _) = parse_document("a: 1\n", 10, Limits::default());
        assert_eq!(node.expect("doc").entry("a").expect("a").key_pos.line, 11);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_and_warn() {
        let (node, errors) = parse_document("a: 1\na: 2\n", 0, Limits::default());
        assert_eq!(
            node.expect("doc").get("a").map(|n| n.value.clone()),
            Some(Value::Int(2))
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].recoverable);
        assert_eq!(errors[0].pos.line, 2);
    }

    #[test]
    fn merge_keys_fill_in_missing_keys() {
        let doc = parse("base: &b {x: 1, z: 2}\nderived:\n  <<: *b\n  z: 3\n");
        let derived = doc.get("derived").expect("derived");
        assert_eq!(
            derived.get("x").map(|n| n.value.clone()),
            Some(Value::Int(1))
        );
        assert_eq!(
            derived.get("z").map(|n| n.value.clone()),
            Some(Value::Int(3))
        );
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let (node, errors) = parse_document(&text, 0, Limits::default());
        assert!(node.is_none());
        assert!(errors[0].message.contains("alias bomb"), "{errors:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Both our limit and the parser's own recursion limit refuse it; either way it is an
        // error, not a stack overflow.
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (node, errors) = parse_document(&text, 0, Limits::default());
        assert!(node.is_none());
        assert!(!errors[0].recoverable);
        let shallow = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let (node, errors) = parse_document("a: {b: {c: {d: 1}}}", 0, shallow);
        assert!(node.is_none());
        assert!(errors[0].message.contains("nesting deeper"), "{errors:?}");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let (node, errors) = parse_document("a: 1\nb: [1, 2\n", 0, Limits::default());
        assert!(node.is_none());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.starts_with("invalid YAML"));
        assert!(errors[0].pos.line >= 2);
    }

    #[test]
    fn json_documents_parse() {
        let doc = parse("{\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}");
        assert_eq!(doc.get("kind").and_then(Node::as_str), Some("Pod"));
        assert_eq!(
            doc.get("spec")
                .and_then(|s| s.get("hostPID"))
                .map(|n| n.value.clone()),
            Some(Value::Bool(true))
        );
    }
}
