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

pub use crate::vocab::Pos;

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
    parse(text, line_offset, limits, false)
}

/// Parses one value of a JSON stream (see [`split_stream`]) as [`parse_document`] does, but
/// without the checks of what go-yaml refuses in YAML: Kubernetes reads such a value with
/// Go's JSON decoder (where `\/` is a valid escape).
pub fn parse_json_document(
    text: &str,
    line_offset: u32,
    limits: Limits,
) -> (Option<Node>, Vec<YamlError>) {
    parse(text, line_offset, limits, true)
}

/// Whether kubectl reads a manifest file as a stream of JSON values: its first 4096 bytes
/// start with `{` after white space.
pub fn is_json_stream(text: &str) -> bool {
    let head = text.get(..4096).unwrap_or(text);
    head.trim_start().starts_with('{')
}

fn parse(
    text: &str,
    line_offset: u32,
    limits: Limits,
    json: bool,
) -> (Option<Node>, Vec<YamlError>) {
    if let Some(err) = control_character(text, line_offset) {
        return (None, vec![err]);
    }
    if let Some(line) = end_marker_first(text) {
        let err = YamlError {
            pos: Pos {
                line: line.saturating_add(1).saturating_add(line_offset),
                column: 1,
            },
            message: "invalid YAML: a document end marker `...` before any content (and no \
                      `---`): Kubernetes finds no node content and refuses the document"
                .to_owned(),
            recoverable: false,
        };
        return (None, vec![err]);
    }
    let (mut text, kept_breaks) = normalize_breaks(text);
    // A byte order mark inside the text is content for go-yaml (only one that starts the text is
    // skipped), but the YAML 1.2 parser refuses it. It stands in as U+FFFF, which go-yaml refuses
    // (see `control_character`) and so cannot be in the text: same length, same positions; the
    // builder turns it back into U+FEFF in scalars.
    let first = text.chars().next().map_or(0, char::len_utf8);
    if let (Some(head), Some(rest)) = (text.get(..first), text.get(first..))
        && rest.contains('\u{feff}')
    {
        let owned = format!("{head}{}", rest.replace('\u{feff}', "\u{ffff}"));
        text = std::borrow::Cow::Owned(owned);
    }
    // Lines whose leading white space was rewritten by a repair, with the change in length, so
    // that positions still point into the original text.
    let mut shifts: Vec<(u32, i64)> = Vec::new();
    let mut repairs = 0usize;
    loop {
        let mut builder = Builder {
            line_offset,
            limits,
            stack: Vec::new(),
            anchors: Vec::new(),
            nodes: 0,
            root: None,
            errors: Vec::new(),
            documents: 0,
            shifts: &shifts,
            kept_breaks: &kept_breaks,
            ended: false,
            json,
            last_end: saphyr_parser::Marker::new(0, 1, 0),
            flow_fixes: Vec::new(),
            scanned_to: 0,
        };
        let failure = builder.run(&text);
        // Each repair parses the document again: large documents get fewer of them, so that a
        // hostile one costs at most a few times its size.
        let budget = MAX_REPAIRS.min(REPAIR_BYTES / text.len().max(1));
        if !builder.flow_fixes.is_empty() {
            // What go-yaml reads as plain scalars in flow collections: read again with
            // stand-ins, whether or not the YAML 1.2 reading failed (same length in
            // characters: positions do not move).
            let first = builder.flow_fixes.iter().map(|f| f.0).min().unwrap_or(0);
            if repairs < budget
                && let Some(fixed) = apply_fixes(&text, &mut builder.flow_fixes)
            {
                repairs += 1;
                text = std::borrow::Cow::Owned(fixed);
                continue;
            }
            let (line, column) = line_column(&text, first);
            let err = YamlError {
                pos: Pos {
                    line: line.saturating_add(1).saturating_add(line_offset),
                    column: shifted(column, line, &shifts),
                },
                message: "invalid YAML: too many flow collections to read as Kubernetes reads                           them (a plain scalar with `:` or `-` right before `,`, `]` or `}`)"
                    .to_owned(),
                recoverable: false,
            };
            return (None, vec![err]);
        }
        let Some((pos, line, info)) = failure else {
            return (builder.root, builder.errors);
        };
        if repairs < budget {
            let flow = builder.in_flow(&text);
            let last = builder.last_end;
            let from = offset_of(
                &text,
                saturate(last.line()).saturating_sub(1),
                saturate(last.col()).saturating_add(1),
            );
            let error_at = offset_of(&text, line, pos.column);
            let in_collection = !builder.stack.is_empty();
            let fixed = repair(&text, line, pos.column, &info, flow, in_collection)
                .or_else(|| quoted_continuation(&text, from?, error_at?))
                .or_else(|| match info.as_str() {
                    "invalid indentation in flow construct"
                    | "invalid indentation"
                    | "tabs disallowed within this context (block indentation)"
                    | "tab cannot be used as indentation" => flow_continuation(&text, from?, line),
                    _ => None,
                })
                .or_else(|| alias_key(&text, error_at?))
                .or_else(|| alias_key(&text, from?));
            if let Some((fixed, line_shifts)) = fixed {
                repairs += 1;
                for (l, delta) in line_shifts {
                    match shifts.iter_mut().find(|(at, _)| *at == l) {
                        Some((_, d)) => *d += delta,
                        None => shifts.push((l, delta)),
                    }
                }
                text = std::borrow::Cow::Owned(fixed);
                continue;
            }
        }
        let mut pos = Pos {
            line: pos.line,
            column: shifted(pos.column, line, &shifts),
        };
        let mut info = info;
        // A tab after a complex key's `:` (not repaired, see `repair`): say so, at the tab.
        if info == "':' must be followed by a valid YAML whitespace"
            && offset_of(&text, line, pos.column.saturating_sub(1))
                .and_then(|at| text.get(at..))
                .is_some_and(|r| r.starts_with('\t'))
        {
            info = TAB_BETWEEN_TOKENS.to_owned();
            pos.column = pos.column.saturating_sub(1);
        }
        builder.errors.push(YamlError {
            pos,
            message: format!("invalid YAML: {info}"),
            recoverable: false,
        });
        return (None, builder.errors);
    }
}

/// How many times one document may be repaired (see [`repair`]) before its error is reported.
const MAX_REPAIRS: usize = 256;

/// Bytes that the repairs of one document may parse again in all.
const REPAIR_BYTES: usize = 16 * 1024 * 1024;

/// A column moved back by the shift applied to its (0-based, document-relative) line.
fn shifted(column: u32, line: u32, shifts: &[(u32, i64)]) -> u32 {
    let delta = shifts
        .iter()
        .find(|(at, _)| *at == line)
        .map_or(0, |(_, d)| *d);
    let column = i64::from(column).saturating_sub(delta).max(1);
    u32::try_from(column).unwrap_or(u32::MAX)
}

/// The first character go-yaml refuses ("control characters are not allowed"): C0 controls
/// other than tab and line breaks, DEL, C1 controls other than NEL, U+FFFE and U+FFFF.
fn control_character(text: &str, line_offset: u32) -> Option<YamlError> {
    // Fast path: printable ASCII, tabs and line breaks only.
    if text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return None;
    }
    let mut line = 1u32;
    let mut column = 1u32;
    for c in text.chars() {
        let code = u32::from(c);
        let allowed = matches!(c, '\t' | '\n' | '\r')
            || (0x20..=0x7e).contains(&code)
            || code == 0x85
            || (0xa0..=0xfffd).contains(&code)
            || code >= 0x1_0000;
        if !allowed {
            return Some(YamlError {
                pos: Pos {
                    line: line.saturating_add(line_offset),
                    column,
                },
                message: format!(
                    "invalid YAML: control character U+{code:04X} is not allowed (Kubernetes \
                     refuses the document)"
                ),
                recoverable: false,
            });
        }
        if c == '\n' {
            line = line.saturating_add(1);
            column = 1;
        } else {
            column = column.saturating_add(1);
        }
    }
    None
}

/// Line breaks as go-yaml (YAML 1.1) sees them: `\r\n`, a lone `\r`, NEL (U+0085), LS (U+2028)
/// and PS (U+2029) each end a line. They become `\n`, so that the YAML 1.2 parser reads the
/// same lines (line numbers then count them, as Kubernetes' messages do). go-yaml keeps LS and
/// PS in a scalar's value where other breaks are folded or become `\n`: the (0-based) lines they
/// end are returned with them, in order.
fn normalize_breaks(text: &str) -> (std::borrow::Cow<'_, str>, Vec<(u32, char)>) {
    let mut kept = Vec::new();
    if !text.contains(['\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return (std::borrow::Cow::Borrowed(text), kept);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut line = 0u32;
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                    line = line.saturating_add(1);
                }
            }
            '\u{2028}' | '\u{2029}' => {
                kept.push((line, c));
                out.push('\n');
                line = line.saturating_add(1);
            }
            '\u{85}' | '\n' => {
                out.push('\n');
                line = line.saturating_add(1);
            }
            c => out.push(c),
        }
    }
    (std::borrow::Cow::Owned(out), kept)
}

/// A quoted or plain scalar as go-yaml's scanner reads it, from its text (`raw` starts at the
/// opening quote, or is the plain scalar's text; `first_line` is its 0-based line). Used where
/// the scalar spans a line that ends with LS or PS (`kept_breaks`): go-yaml keeps such a break
/// in the value, the YAML 1.2 parser folds it like any other. `None` if the text is not a
/// complete quoted scalar.
fn go_scalar(
    raw: &str,
    first_line: u32,
    kept_breaks: &[(u32, char)],
    plain: bool,
) -> Option<String> {
    let break_at = |line: u32| {
        kept_breaks
            .binary_search_by_key(&line, |b| b.0)
            .ok()
            .and_then(|i| kept_breaks.get(i))
            .map_or('\n', |b| b.1)
    };
    let mut chars = raw.chars().peekable();
    let single = if plain { false } else { chars.next()? == '\'' };
    let quoted = !plain;
    let mut line = first_line;
    let mut s = String::new();
    let mut whitespaces = String::new();
    loop {
        let mut leading_blanks = false;
        // Characters up to white space, a line break or the closing quote.
        loop {
            let Some(&c) = chars.peek() else {
                // The end of a plain scalar's text; a quoted one is not closed.
                return plain.then_some(s);
            };
            if matches!(c, ' ' | '\t' | '\n') {
                break;
            }
            chars.next();
            match c {
                '\'' if single => {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        s.push('\'');
                    } else {
                        return Some(s);
                    }
                }
                '"' if quoted && !single => return Some(s),
                '\\' if quoted && !single => {
                    let escaped = match chars.next()? {
                        '\n' => {
                            // An escaped line break: nothing of it is kept.
                            line = line.saturating_add(1);
                            leading_blanks = true;
                            break;
                        }
                        '0' => '\0',
                        'a' => '\x07',
                        'b' => '\x08',
                        't' | '\t' => '\t',
                        'n' => '\n',
                        'v' => '\x0b',
                        'f' => '\x0c',
                        'r' => '\r',
                        'e' => '\x1b',
                        ' ' => ' ',
                        '"' => '"',
                        '\'' => '\'',
                        '\\' => '\\',
                        'N' => '\u{85}',
                        '_' => '\u{a0}',
                        'L' => '\u{2028}',
                        'P' => '\u{2029}',
                        e @ ('x' | 'u' | 'U') => {
                            let digits = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let mut code = 0u32;
                            for _ in 0..digits {
                                code = code
                                    .checked_mul(16)?
                                    .checked_add(chars.next()?.to_digit(16)?)?;
                            }
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    s.push(escaped);
                }
                c => s.push(c),
            }
        }
        // White space and line breaks: folded as go-yaml folds them.
        let mut leading_break: Option<char> = None;
        let mut trailing_breaks = String::new();
        loop {
            match chars.peek() {
                Some(&c @ (' ' | '\t')) => {
                    chars.next();
                    if !leading_blanks {
                        whitespaces.push(c);
                    }
                }
                Some('\n') => {
                    chars.next();
                    let b = break_at(line);
                    line = line.saturating_add(1);
                    if leading_blanks {
                        trailing_breaks.push(b);
                    } else {
                        whitespaces.clear();
                        leading_break = Some(b);
                        leading_blanks = true;
                    }
                }
                _ => break,
            }
        }
        if leading_blanks {
            if leading_break == Some('\n') {
                if trailing_breaks.is_empty() {
                    s.push(' ');
                } else {
                    s.push_str(&trailing_breaks);
                }
            } else {
                s.extend(leading_break);
                s.push_str(&trailing_breaks);
            }
        } else {
            s.push_str(&whitespaces);
        }
        whitespaces.clear();
    }
}

/// The byte offset of a 0-based line and a 1-based character column.
fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let start = line_start(text, line)?;
    let rest = text.get(start..)?;
    let skip = usize::try_from(column.saturating_sub(1)).ok()?;
    match rest.char_indices().nth(skip) {
        Some((i, _)) => Some(start + i),
        None => Some(text.len()),
    }
}

/// The parser's marker for a byte offset.
fn marker_at(text: &str, at: usize) -> saphyr_parser::Marker {
    let (line, column) = line_column(text, at);
    let index = text.get(..at).map_or(0, |t| t.chars().count());
    saphyr_parser::Marker::new(
        index,
        usize::try_from(line)
            .unwrap_or(usize::MAX)
            .saturating_add(1),
        usize::try_from(column)
            .unwrap_or(usize::MAX)
            .saturating_sub(1),
    )
}

/// The 0-based line and 1-based character column of a byte offset.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count());
    (
        saturate(before.matches('\n').count()),
        saturate(column).saturating_add(1),
    )
}

/// The byte offset at which a 0-based line starts.
fn line_start(text: &str, line: u32) -> Option<usize> {
    if line == 0 {
        return Some(0);
    }
    let mut seen = 0u32;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            seen += 1;
            if seen == line {
                return Some(i + 1);
            }
        }
    }
    None
}

/// Rewrites the text so that the YAML 1.2 parser accepts what go-yaml accepts, without changing
/// what it means. go-yaml (a port of libyaml) does not check the indentation of the
/// continuation lines of quoted scalars and flow collections, and lets a comment follow a
/// closing quote or bracket directly; saphyr-parser, following YAML 1.2, refuses both. Leading
/// white space on such continuation lines is folded away, so re-indenting them keeps the value;
/// a space before the `#` only separates the comment. Returns the new text and the lines whose
/// length changed, or `None` when the error is not one of these.
fn repair(
    text: &str,
    line: u32,
    column: u32,
    info: &str,
    in_flow: Option<u32>,
    in_collection: bool,
) -> Option<(String, Vec<(u32, i64)>)> {
    match info {
        "comments must be separated from other tokens by whitespace" => {
            // The parser stops at the `#`, or just before it.
            let at = offset_of(text, line, column)?;
            let hash = at + text.get(at..)?.find('#')?;
            let between = text.get(at..hash)?;
            if between.contains('\n') || !between.trim().is_empty() {
                return None;
            }
            let mut fixed = String::with_capacity(text.len() + 1);
            fixed.push_str(text.get(..hash)?);
            fixed.push(' ');
            fixed.push_str(text.get(hash..)?);
            Some((fixed, vec![]))
        }
        "':' must be followed by a valid YAML whitespace" => {
            // go-yaml takes a tab after `:` as the separating white space.
            // The parser stops after the tab(s): the last `:` and tab before that point.
            let start = line_start(text, line)?;
            let at = offset_of(text, line, column)?;
            let colon = start + text.get(start..at)?.rfind(":\t")?;
            // Only after a key on the same line: after a complex key's `:` (`? a\n:\tb`) go-yaml
            // refuses the tab (after a complete root node it reads no further than the `:`).
            if in_collection && text.get(start..colon)?.trim().is_empty() {
                return None;
            }
            let mut fixed = String::with_capacity(text.len());
            fixed.push_str(text.get(..=colon)?);
            fixed.push(' ');
            fixed.push_str(text.get(colon + 2..)?);
            Some((fixed, vec![]))
        }
        "invalid indentation in quoted scalar" => {
            // The position is the opening quote: re-indent every continuation line to one
            // column past it, which is deeper than any block that holds the scalar.
            let at = offset_of(text, line, column)?;
            let quote = text.get(at..)?.chars().next()?;
            let end = at + quoted_end(text.get(at..)?, quote)?;
            let first = line.saturating_add(1);
            let last =
                line.saturating_add(u32::try_from(text.get(at..end)?.matches('\n').count()).ok()?);
            reindent(text, first..=last, column)
        }
        "invalid indentation in flow construct"
        | "invalid indentation"
        | "tabs disallowed within this context (block indentation)"
        | "tab cannot be used as indentation" => {
            // Inside a flow collection, indentation means nothing to go-yaml: move the line
            // past the collection's opening bracket.
            let bracket = in_flow?;
            reindent(text, line..=line, bracket)
        }
        _ => None,
    }
}

/// The byte offset of the next token after `from` (the end of the last node read): white
/// space, comments, the indicators `-`, `?`, `:`, `,`, `[`, `{` and node properties skipped.
fn next_token(text: &str, from: usize) -> Option<usize> {
    next_token_from(text, from, true)
}

/// A flow collection's continuation line that the YAML 1.2 parser finds less indented than the
/// block around it (left of a `- ` entry's column) or indented with a tab, met before the
/// collection's start was read: when the next token after `from` opens a flow collection, the
/// line (0-based `line`) is moved one column past its bracket, as in [`repair`].
fn flow_continuation(text: &str, from: usize, line: u32) -> Option<(String, Vec<(u32, i64)>)> {
    let at = next_token_from(text, from, false)?;
    if !text.get(at..)?.starts_with(['[', '{']) {
        return None;
    }
    let bracket_line = saturate(text.get(..at)?.matches('\n').count());
    if bracket_line >= line {
        return None;
    }
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |n| n + 1);
    let column = saturate(text.get(line_start..at)?.chars().count()).saturating_add(1);
    reindent(text, line..=line, column)
}

fn next_token_from(text: &str, from: usize, skip_brackets: bool) -> Option<usize> {
    let mut comment = false;
    let mut property = false;
    for (i, c) in text.get(from..)?.char_indices() {
        match c {
            '\n' => {
                comment = false;
                property = false;
            }
            _ if comment => {}
            ' ' | '\t' => property = false,
            _ if property => {}
            '#' => comment = true,
            '&' | '!' => property = true,
            ',' => {}
            '[' | '{' if skip_brackets => {}
            '-' | '?' | ':'
                if text
                    .get(from + i + 1..)
                    .is_none_or(|r| r.is_empty() || r.starts_with([' ', '\t', '\n'])) => {}
            _ => return Some(from + i),
        }
    }
    None
}

/// go-yaml does not check the indentation of a quoted scalar's continuation lines, tabs
/// included; the YAML 1.2 parser refuses a tab there. When the error at `error_at` is inside
/// the quoted scalar that is the next token after `from`, its continuation lines are
/// re-indented one column past the opening quote (their leading white space is folded away).
fn quoted_continuation(
    text: &str,
    from: usize,
    error_at: usize,
) -> Option<(String, Vec<(u32, i64)>)> {
    let at = next_token(text, from)?;
    let quote = text
        .get(at..)?
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\''))?;
    let end = at + quoted_end(text.get(at..)?, quote)?;
    if !(at < error_at && error_at < end) {
        return None;
    }
    let line = saturate(text.get(..at)?.matches('\n').count());
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |n| n + 1);
    let column = saturate(text.get(line_start..at)?.chars().count()).saturating_add(1);
    let last = line.saturating_add(saturate(text.get(at..end)?.matches('\n').count()));
    reindent_lines(text, line.saturating_add(1)..=last, column, true)
}

/// go-yaml ends an alias name at the first character other than a letter, a digit, `-` or
/// `_`: `*a: 1` is the alias `a` as a key. YAML 1.2 reads the alias `a:` and then misses the
/// key's `:`. When the next token after `from` (the end of the last node read) is such an
/// alias, the `:` is set apart by a space (the key keeps its position).
fn alias_key(text: &str, from: usize) -> Option<(String, Vec<(u32, i64)>)> {
    let mut at = from;
    let mut comment = false;
    for (i, c) in text.get(from..)?.char_indices() {
        at = from + i;
        match c {
            '\n' => comment = false,
            _ if comment => {}
            '#' => comment = true,
            ' ' | '\t' | '-' | '?' | ',' | '[' | '{' => {}
            _ => break,
        }
    }
    let name = text.get(at..)?.strip_prefix('*')?;
    let len = name
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        .unwrap_or(name.len());
    let rest = name.get(len..)?.strip_prefix(':')?;
    if len == 0 || !(rest.is_empty() || rest.starts_with([' ', '\t', '\n'])) {
        return None;
    }
    let colon = at + 1 + len;
    let mut fixed = String::with_capacity(text.len() + 1);
    fixed.push_str(text.get(..colon)?);
    fixed.push(' ');
    fixed.push_str(text.get(colon..)?);
    Some((fixed, vec![]))
}

/// Stands in for a `:` that go-yaml reads as part of a plain scalar in a flow collection (see
/// [`scan_flow`]). go-yaml refuses U+FFFE (see [`control_character`]), so it cannot be in the
/// text; the builder turns it back into `:`.
const FLOW_COLON: char = '\u{fffe}';

/// Stands in for a `-` that go-yaml reads as a plain scalar right before `,`, `]` or `}` (`[-]`),
/// which the YAML 1.2 parser refuses. U+0080 is refused by go-yaml, so cannot be in the text.
const FLOW_DASH: char = '\u{80}';

/// What go-yaml reads differently from the YAML 1.2 parser in one flow collection.
#[derive(Debug, Default, PartialEq, Eq)]
struct FlowScan {
    /// Byte offsets of `:` and `-` characters that go-yaml reads as (part of) a plain scalar
    /// and the YAML 1.2 parser as an indicator (or refuses), with their stand-ins.
    fixes: Vec<(usize, char)>,
    /// The first place where go-yaml refuses what the YAML 1.2 parser reads, and why.
    refused: Option<(usize, &'static str)>,
    /// Just past the collection's closing bracket (or the end of the text).
    end: usize,
}

/// Reads the flow collection that opens at byte `open` (a `[` or `{`) the way go-yaml's scanner
/// (libyaml 0.1, YAML 1.1) reads it, where it differs from YAML 1.2:
///
/// - inside a plain scalar, a `:` ends the scalar only before white space: `{x:}` is the key
///   `x:`, `[x :]` the string `x :` (YAML 1.2 reads the key `x`, and a mapping `{x: null}`);
/// - a `?` ends a plain scalar, and then stands as an explicit key indicator where no node may
///   follow: `[a?b]` is an error (YAML 1.2 reads `a?b`);
/// - at the start of a token, `?` and `:` are always indicators: `[?x]` is the pair `{x: null}`
///   and `[:x]` an error (YAML 1.2 reads the strings `?x` and `:x`);
/// - a `-` followed by anything but white space starts a plain scalar: `[-]` is `["-"]` (an
///   error in YAML 1.2).
///
/// Linear in the collection's length; the text's line breaks are `\n` (see [`normalize_breaks`]).
fn scan_flow(text: &str, open: usize) -> FlowScan {
    let bytes = text.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let blankz = |b: u8| matches!(b, 0 | b' ' | b'\t' | b'\n' | b'\r');
    let flow_indicator = |b: u8| matches!(b, b',' | b'[' | b']' | b'{' | b'}');
    let mut scan = FlowScan {
        end: bytes.len(),
        ..FlowScan::default()
    };
    let refuse = |scan: &mut FlowScan, i: usize, why: &'static str| {
        if scan.refused.is_none() {
            scan.refused = Some((i, why));
        }
    };
    let mut i = open;
    // Whether each open collection is a mapping.
    let mut open_maps: Vec<bool> = Vec::new();
    // Whether the last token was a quoted scalar or a closing bracket: YAML 1.2 too reads a `:`
    // right after one as a value indicator (`{"a":x}`).
    let mut json_like = false;
    while i < bytes.len() {
        if scan.refused.is_some() {
            // go-yaml stops here: the stand-ins do not matter (and must not hide the cause).
            scan.fixes.clear();
            return scan;
        }
        let c = at(i);
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' => {
                i = text
                    .get(i..)
                    .and_then(|r| r.find('\n'))
                    .map_or(bytes.len(), |n| i + n);
            }
            b'[' | b'{' => {
                open_maps.push(c == b'{');
                json_like = false;
                i += 1;
            }
            b']' | b'}' => {
                open_maps.pop();
                json_like = true;
                i += 1;
                if open_maps.is_empty() {
                    scan.end = i;
                    return scan;
                }
            }
            b'\'' | b'"' => {
                let quote = char::from(c);
                match text.get(i..).and_then(|r| quoted_end(r, quote)) {
                    Some(n) => i += n,
                    None => return scan,
                }
                json_like = true;
            }
            b'?' | b':' => {
                let next = at(i + 1);
                // YAML 1.2 reads `?x` and `:x` as text, go-yaml as indicators.
                let text_in_yaml_1_2 = !(blankz(next) || flow_indicator(next));
                if c == b'?' && text_in_yaml_1_2 && open_maps.last() == Some(&true) {
                    // In a flow mapping, `?x` and ` x` are the same key (on one line).
                    scan.fixes.push((i, ' '));
                } else if text_in_yaml_1_2 && !(c == b':' && json_like) {
                    refuse(
                        &mut scan,
                        i,
                        if c == b'?' {
                            "`?` right before a character in a flow sequence: Kubernetes (YAML \
                             1.1) reads it as an explicit key indicator, the YAML 1.2 parser as \
                             text (write `? x` for a key, or quote the string)"
                        } else {
                            "`:` right before a character at the start of a flow node: Kubernetes \
                             (YAML 1.1) reads it as a value indicator and refuses the document \
                             (quote the string)"
                        },
                    );
                }
                json_like = false;
                i += 1;
            }
            b'!' => {
                // A tag (one right before an indicator is refused by `go_yaml_refuses`).
                while !blankz(at(i)) && !flow_indicator(at(i)) {
                    i += 1;
                }
                json_like = false;
            }
            b'&' | b'*' => {
                i += 1;
                while at(i).is_ascii_alphanumeric() || matches!(at(i), b'-' | b'_') {
                    i += 1;
                }
                json_like = c == b'*';
            }
            b'-' if blankz(at(i + 1)) => i += 1,
            b'|' | b'>' | b'%' | b'@' | b'`' | b',' => {
                json_like = false;
                i += 1;
            }
            _ => {
                if c == b'-' && matches!(at(i + 1), b',' | b']' | b'}') {
                    scan.fixes.push((i, FLOW_DASH));
                }
                // A document marker at the start of a line is not a scalar (go-yaml refuses
                // it in a flow collection): step over it.
                i = plain_in_flow(text, i, &mut scan).max(i + 1);
                json_like = false;
            }
        }
    }
    if scan.refused.is_some() {
        scan.fixes.clear();
    }
    scan
}

/// Reads a plain scalar that starts at byte `start` in a flow collection as go-yaml's scanner
/// does; returns where it ends. See [`scan_flow`].
fn plain_in_flow(text: &str, start: usize, scan: &mut FlowScan) -> usize {
    let bytes = text.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let blankz = |b: u8| matches!(b, 0 | b' ' | b'\t' | b'\n' | b'\r');
    let mut i = start;
    loop {
        // A document marker at the start of a line, or a comment after white space, ends it.
        let line_start = i == 0 || at(i - 1) == b'\n';
        let rest = bytes.get(i..).unwrap_or_default();
        if line_start && (rest.starts_with(b"---") || rest.starts_with(b"...")) && blankz(at(i + 3))
        {
            return i;
        }
        if at(i) == b'#' {
            return i;
        }
        while !blankz(at(i)) {
            let c = at(i);
            if c == b':' && blankz(at(i + 1)) {
                return i;
            }
            if matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}') {
                if c == b'?' && scan.refused.is_none() {
                    scan.refused = Some((
                        i,
                        "`?` inside a plain scalar in a flow collection: Kubernetes (YAML 1.1) \
                         ends the scalar there and refuses the document (quote the string)",
                    ));
                }
                return i;
            }
            if c == b':' && matches!(at(i + 1), b',' | b']' | b'}') {
                scan.fixes.push((i, FLOW_COLON));
            }
            i += 1;
        }
        if at(i) == 0 {
            return i;
        }
        while matches!(at(i), b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
    }
}

/// The text with the stand-ins of [`scan_flow`] put in.
fn apply_fixes(text: &str, fixes: &mut [(usize, char)]) -> Option<String> {
    fixes.sort_unstable();
    let mut fixed = String::with_capacity(text.len() + 2 * fixes.len());
    let mut from = 0usize;
    for &(at, stand_in) in fixes.iter() {
        if at < from {
            continue;
        }
        fixed.push_str(text.get(from..at)?);
        fixed.push(stand_in);
        from = at + 1;
    }
    fixed.push_str(text.get(from..)?);
    Some(fixed)
}

/// go-yaml's rules for tabs in block context, which YAML 1.2 does not have: its scanner skips a
/// tab between tokens only where no key may start, so a tab that begins a line (after spaces)
/// or follows `-`, `?` or a complex key's `:` is refused; a plain scalar's lines may not hold a
/// tab left of its indentation; a block scalar's lines may not hold one where an indentation
/// space is expected. Fed every event in order, it finds the first such tab, looking at each
/// part of the text once.
#[derive(Default)]
struct Tabs {
    /// go-yaml's `parser.indent` of each open collection (inherited in flow collections and
    /// indentless sequences), and whether it is a block collection.
    open: Vec<(i64, bool)>,
    /// How many flow collections are open.
    flow: usize,
    /// Where the text not yet looked at starts (a byte offset).
    from: usize,
    /// What the last token read was.
    after: After,
}

#[derive(Default, Clone, Copy)]
enum After {
    /// The start of the document or a block scalar: a key may start next.
    #[default]
    KeyAllowed,
    /// A plain scalar: its scanner reads the white space after it, refusing a tab left of
    /// `indent` on a later line.
    Plain { indent: i64 },
    /// A quoted scalar, an alias, a flow collection's end, `---`: no key may start on the same
    /// line.
    Node,
}

const TAB_BETWEEN_TOKENS: &str = "a tab at the start of a line, or after `-`, `?` or `:` \
    that starts a value, in block context: Kubernetes (YAML 1.1) refuses it (use spaces)";
const TAB_IN_PLAIN: &str = "a tab left of a plain scalar's indentation on its following \
    lines: Kubernetes (YAML 1.1) refuses it (use spaces)";
const TAB_IN_BLOCK_SCALAR: &str = "a tab where a block scalar's indentation space is \
    expected: Kubernetes (YAML 1.1) refuses it (use spaces)";

impl Tabs {
    /// go-yaml's `parser.indent`.
    fn indent(&self) -> i64 {
        self.open.last().map_or(-1, |o| o.0)
    }

    /// Looks at the text up to `event`, and at the event's own text for a block scalar; the
    /// byte offset of a tab go-yaml refuses, and why.
    fn event(
        &mut self,
        text: &str,
        event: &Event<'_>,
        start: usize,
        end: usize,
    ) -> Option<(usize, &'static str)> {
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                // In a flow collection, any collection (a `[x: y]` pair too) is flow.
                if self.flow > 0 || text.get(..end).is_some_and(|t| t.ends_with(['[', '{'])) {
                    let refused = self.gap(text, start);
                    self.open.push((self.indent(), false));
                    self.flow += 1;
                    self.from = end;
                    self.after = After::Node;
                    return refused;
                }
                // A block collection starts where its first key or `-` is (zero width); an
                // indentless sequence (`key:\n- x`) is marked after its `-` and keeps the
                // indentation of the mapping around it.
                let line_start = text
                    .get(..start)
                    .and_then(|t| t.rfind('\n'))
                    .map_or(0, |n| n + 1);
                let column = text.get(line_start..start).map_or(0, |l| l.chars().count());
                let indentless = matches!(event, Event::SequenceStart(..))
                    && !text.get(start..).is_some_and(|r| r.starts_with('-'));
                let indent = if indentless {
                    self.indent()
                } else {
                    i64::try_from(column).unwrap_or(i64::MAX)
                };
                self.open.push((indent, true));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((_, false)) = self.open.pop() {
                    let refused = self.gap(text, start);
                    self.flow = self.flow.saturating_sub(1);
                    self.from = end;
                    self.after = After::Node;
                    return refused;
                }
                None
            }
            Event::Scalar(_, style, ..) => {
                let refused = self.gap(text, start);
                self.from = end;
                self.after = match style {
                    ScalarStyle::Plain => After::Plain {
                        indent: self.indent().saturating_add(1),
                    },
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        if refused.is_none() && self.flow == 0 {
                            let refused = self.block_scalar(text, start, end);
                            if refused.is_some() {
                                return refused;
                            }
                        }
                        After::KeyAllowed
                    }
                    _ => After::Node,
                };
                refused
            }
            Event::Alias(_) => {
                let refused = self.gap(text, start);
                self.from = end;
                self.after = After::Node;
                refused
            }
            Event::DocumentStart(explicit) => {
                if *explicit {
                    let refused = self.gap(text, start);
                    self.from = end;
                    self.after = After::Node;
                    return refused;
                }
                None
            }
            Event::DocumentEnd | Event::StreamEnd => self.gap(text, start),
            Event::StreamStart | Event::Nothing => None,
        }
    }

    /// The text between the last token and the next node: white space, comments, indicators.
    fn gap(&mut self, text: &str, to: usize) -> Option<(usize, &'static str)> {
        let bytes = text.as_bytes();
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        let blankz = |b: u8| matches!(b, 0 | b' ' | b'\t' | b'\n' | b'\r');
        let mut i = self.from;
        let to = to.min(bytes.len());
        if i >= to {
            return None;
        }
        let mut key_allowed = match self.after {
            After::KeyAllowed => true,
            After::Node => false,
            After::Plain { indent } => {
                // The plain scalar's scanner reads white space and line breaks. Columns only
                // matter after a line break (ASCII white space: bytes are characters).
                let mut column = 0i64;
                let mut broke = false;
                while i < to {
                    match at(i) {
                        b' ' => {}
                        b'\t' if broke && column < indent => return Some((i, TAB_IN_PLAIN)),
                        b'\t' => {}
                        b'\n' => {
                            broke = true;
                            column = -1;
                        }
                        _ => break,
                    }
                    column = column.saturating_add(1);
                    i += 1;
                }
                broke
            }
        };
        if self.flow > 0 {
            return None;
        }
        // Whether a `:` met now follows no simple key on its line (a complex key's value).
        let mut broke = key_allowed;
        while i < to {
            match at(i) {
                b'\t' if key_allowed => return Some((i, TAB_BETWEEN_TOKENS)),
                b'#' => {
                    i = text
                        .get(i..to)
                        .and_then(|r| r.find('\n'))
                        .map_or(to, |n| i + n);
                    continue;
                }
                b'\n' => {
                    key_allowed = true;
                    broke = true;
                }
                b'-' | b'?' if blankz(at(i + 1)) => key_allowed = true,
                // After a simple key's `:` (on the key's line) no key may start.
                b':' if blankz(at(i + 1)) => key_allowed = broke,
                b'&' | b'!' => {
                    while i < to && !blankz(at(i)) {
                        i += 1;
                    }
                    key_allowed = false;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// A literal or folded scalar whose text spans `start..end` (properties, header and the
    /// lines go-yaml reads for it), as go-yaml's scanner checks its indentation.
    fn block_scalar(&self, text: &str, start: usize, end: usize) -> Option<(usize, &'static str)> {
        let bytes = text.as_bytes();
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        let _ = end;
        let header = block_header(text, start)?;
        let mut i = header + 1;
        let mut increment = 0i64;
        while matches!(at(i), b'+' | b'-' | b'1'..=b'9') {
            if at(i).is_ascii_digit() {
                increment = i64::from(at(i) - b'0');
            }
            i += 1;
        }
        let next_line = |i: usize| text.get(i..).and_then(|r| r.find('\n')).map(|n| i + n + 1);
        i = next_line(i)?;
        let parent = self.indent();
        let mut indent = match increment {
            0 => 0,
            d if parent >= 0 => parent + d,
            d => d,
        };
        let mut column;
        if indent == 0 {
            // Leading empty lines and the first line with text decide the indentation.
            let mut max_indent = 0i64;
            loop {
                column = 0;
                while at(i) == b' ' {
                    i += 1;
                    column += 1;
                }
                max_indent = max_indent.max(column);
                if at(i) == b'\t' {
                    return Some((i, TAB_IN_BLOCK_SCALAR));
                }
                if at(i) != b'\n' {
                    break;
                }
                i += 1;
            }
            indent = max_indent.max(parent.saturating_add(1)).max(1);
        } else {
            match Self::breaks(bytes, &mut i, indent) {
                Ok(c) => column = c,
                Err(tab) => return Some((tab, TAB_IN_BLOCK_SCALAR)),
            }
        }
        // Lines at the indentation are content (tabs included); the first line left of it
        // ends the scalar.
        while column == indent && at(i) != 0 {
            i = next_line(i)?;
            match Self::breaks(bytes, &mut i, indent) {
                Ok(c) => column = c,
                Err(tab) => return Some((tab, TAB_IN_BLOCK_SCALAR)),
            }
        }
        None
    }

    /// go-yaml's `scan_block_scalar_breaks` with a known indentation: empty lines and the
    /// indentation of the next line. Leaves `i` after the indentation and returns its column,
    /// or the offset of a tab where a space is expected.
    fn breaks(bytes: &[u8], i: &mut usize, indent: i64) -> Result<i64, usize> {
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        loop {
            let mut column = 0i64;
            while column < indent && at(*i) == b' ' {
                *i += 1;
                column += 1;
            }
            if column < indent && at(*i) == b'\t' {
                return Err(*i);
            }
            if at(*i) != b'\n' {
                return Ok(column);
            }
            *i += 1;
        }
    }
}

/// The byte offset of the `|` or `>` that starts the block scalar whose content the parser
/// places at `start`: the last token of the nearest line before it that is not blank (or of
/// the text before it on its own line), before a comment.
fn block_header(text: &str, start: usize) -> Option<usize> {
    let mut end = start;
    loop {
        let line_start = text.get(..end)?.rfind('\n').map_or(0, |n| n + 1);
        let line = text.get(line_start..end)?;
        let comment = line
            .char_indices()
            .find(|&(i, c)| c == '#' && line.get(..i).is_some_and(|b| b.ends_with([' ', '\t'])));
        let code = comment.map_or(line, |(n, _)| line.get(..n).unwrap_or(line));
        let code = code.trim_end_matches([' ', '\t']);
        let head = code.trim_end_matches(['+', '-', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        if head.ends_with(['|', '>']) {
            return Some(line_start + head.len() - 1);
        }
        if !code.is_empty() || line_start == 0 {
            return None;
        }
        end = line_start - 1;
    }
}

/// Where a quoted scalar that starts at `text[0]` with `quote` ends (just past the closing
/// quote).
fn quoted_end(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('"', '"') => return Some(i + 1),
            ('\'', '\'') => {
                if text.get(i + 1..).is_some_and(|r| r.starts_with('\'')) {
                    chars.next();
                } else {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Replaces the leading white space of the given (0-based) lines by `indent` spaces, leaving
/// blank lines alone.
fn reindent(
    text: &str,
    lines: std::ops::RangeInclusive<u32>,
    indent: u32,
) -> Option<(String, Vec<(u32, i64)>)> {
    reindent_lines(text, lines, indent, false)
}

/// [`reindent`], and with `clear_blank` lines of only white space are emptied.
fn reindent_lines(
    text: &str,
    lines: std::ops::RangeInclusive<u32>,
    indent: u32,
    clear_blank: bool,
) -> Option<(String, Vec<(u32, i64)>)> {
    let indent = usize::try_from(indent).ok()?;
    let mut fixed = String::with_capacity(text.len() + 64);
    let mut shifts = Vec::new();
    let mut changed = false;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        let n = u32::try_from(n).ok()?;
        let body = l.trim_start_matches([' ', '\t']);
        let lead = l.len() - body.len();
        if clear_blank && lines.contains(&n) && body.trim().is_empty() && lead > 0 {
            fixed.push_str(body);
            let old = i64::try_from(l.get(..lead)?.chars().count()).ok()?;
            shifts.push((n, -old));
            changed = true;
        } else if lines.contains(&n)
            && !body.trim().is_empty()
            && l.get(..lead)? != " ".repeat(indent)
        {
            fixed.push_str(&" ".repeat(indent));
            fixed.push_str(body);
            let old = i64::try_from(l.get(..lead)?.chars().count()).ok()?;
            let new = i64::try_from(indent).ok()?;
            shifts.push((n, new - old));
            changed = true;
        } else {
            fixed.push_str(l);
        }
    }
    changed.then_some((fixed, shifts))
}

/// One document of a manifest file, cut as kubectl cuts it (see [`split_stream`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// The document's text.
    pub text: &'a str,
    /// The 1-based line at which it starts in the file.
    pub first_line: u32,
}

/// Cuts a manifest file into documents the way kubectl does (k8s.io/apimachinery's
/// `YAMLOrJSONDecoder`), so that every document is the text Kubernetes would read:
///
/// - a file whose first 4096 bytes start with `{` after white space is JSON, read whole;
/// - otherwise a line that starts with `---` ends the document before it, when followed only by
///   white space or a comment; anything else after `---` (`--- {a: 1}`, `----`) is an error
///   that ends the file, as kubectl's "invalid Yaml document separator". A separator line met
///   before any text of the next document (the file's first line, two markers in a row) stays
///   in that document as its explicit start.
///
/// Documents that hold nothing but blank lines, comments and markers are dropped: Kubernetes
/// reads them as `null` and skips them. The error, if any, comes after the documents before it.
pub fn split_stream(text: &str) -> (Vec<Chunk<'_>>, Option<YamlError>) {
    let mut chunks = Vec::new();
    let mut error = None;
    if is_json_stream(text) {
        return split_json(text);
    }
    let mut start: Option<(usize, u32)> = None;
    let mut offset = 0usize;
    let mut line_no = 1u32;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                if let Some((from, first_line)) = start.take() {
                    push_chunk(&mut chunks, text.get(from..offset), first_line);
                }
                error = Some(YamlError {
                    pos: Pos {
                        line: line_no,
                        column: 4,
                    },
                    message: "invalid document separator: only a comment may follow `---` on \
                              its line, as kubectl requires; the rest of the file is not read"
                        .to_owned(),
                    recoverable: false,
                });
                return (chunks, error);
            }
            if let Some((from, first_line)) = start.take() {
                push_chunk(&mut chunks, text.get(from..offset), first_line);
                offset += line.len();
                line_no = line_no.saturating_add(1);
                continue;
            }
        }
        if start.is_none() {
            start = Some((offset, line_no));
        }
        offset += line.len();
        line_no = line_no.saturating_add(1);
    }
    if let Some((from, first_line)) = start {
        push_chunk(&mut chunks, text.get(from..), first_line);
    }
    (chunks, error)
}

/// A stream of JSON values, as Go's `encoding/json` decoder reads it (strictly: no comments,
/// no trailing commas, no raw control characters in strings, numbers that fit a float64). Each
/// value is a document; the first error ends the stream.
fn split_json(text: &str) -> (Vec<Chunk<'_>>, Option<YamlError>) {
    let mut chunks = Vec::new();
    let mut stream =
        // A full value, not `IgnoredAny`: that one lets numbers out of range through.
        serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let mut end = 0usize;
    loop {
        let value = stream.next();
        let start = end
            + text
                .get(end..)
                .map_or(0, |rest| rest.len() - rest.trim_start().len());
        end = stream.byte_offset();
        match value {
            None => return (chunks, None),
            Some(Ok(_)) => {
                let first_line = line_of(text, start);
                if let Some(chunk) = text.get(start..end) {
                    chunks.push(Chunk {
                        text: chunk,
                        first_line,
                    });
                }
            }
            Some(Err(err)) => {
                let error = YamlError {
                    pos: Pos {
                        line: saturate(err.line()).max(1),
                        column: saturate(err.column()).max(1),
                    },
                    message: format!("invalid JSON: {err}"),
                    recoverable: false,
                };
                return (chunks, Some(error));
            }
        }
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u32 {
    let newlines = text.get(..offset).map_or(0, |t| t.matches('\n').count());
    saturate(newlines).saturating_add(1)
}

fn push_chunk<'a>(chunks: &mut Vec<Chunk<'a>>, text: Option<&'a str>, first_line: u32) {
    let Some(text) = text else { return };
    let blank = text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t.starts_with("---") || t == "..."
    });
    if !blank || end_marker_first(text).is_some() {
        chunks.push(Chunk { text, first_line });
    }
}

/// The 0-based line of a document end marker `...` met before anything else but blank lines
/// and comments. go-yaml refuses such a document ("did not find expected node content"): only
/// after an explicit `---` may a document be empty.
fn end_marker_first(text: &str) -> Option<u32> {
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let rest = line.strip_prefix("...")?;
        return (rest.is_empty() || rest.starts_with([' ', '\t'])).then(|| saturate(n));
    }
    None
}

/// Byte offsets of the parser's character indices, computed once when the text is not ASCII
/// (`None` for ASCII text, where they are the same).
#[derive(Default)]
struct CharOffsets(Option<Option<Vec<usize>>>);

impl CharOffsets {
    fn byte(&mut self, text: &str, index: usize) -> usize {
        let table = self.0.get_or_insert_with(|| {
            (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect())
        });
        match table {
            None => index.min(text.len()),
            Some(table) => table.get(index).copied().unwrap_or(text.len()),
        }
    }
}

/// What go-yaml (YAML 1.1) refuses in the text of a node that the YAML 1.2 parser accepts: an
/// anchor or alias name with a character other than an ASCII letter, a digit, `-` or `_`
/// (`&a.b`, `*a/b`), and the escape `\/` in a double-quoted scalar. Returns where and why.
/// Looks only at the node's own text, so the check is linear in the document.
fn go_yaml_refuses(
    text: &str,
    offsets: &mut CharOffsets,
    event: &Event<'_>,
    span: Span,
) -> Option<(saphyr_parser::Marker, String)> {
    // An empty node with a tag right before `,`, `]` or `}` (`[!x,]`): go-yaml reads the
    // indicator as part of the tag, then misses the white space that must end it.
    if let Event::Scalar(value, ScalarStyle::Plain, _, Some(_)) = event
        && value.is_empty()
    {
        let start = offsets.byte(text, span.start.index());
        let end = offsets.byte(text, span.end.index()).max(start);
        let last = text.get(start..end)?.rsplit([' ', '\t', '\n']).next()?;
        if last.starts_with('!')
            && text
                .get(end..)?
                .starts_with(|c: char| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        {
            return Some((
                span.start,
                format!(
                    "invalid YAML: tag `{last}` must be followed by white space: Kubernetes \
                     (YAML 1.1) reads what follows as part of the tag"
                ),
            ));
        }
    }
    let (anchor, alias, double) = match event {
        Event::Scalar(_, style, anchor, _) => {
            (*anchor != 0, false, *style == ScalarStyle::DoubleQuoted)
        }
        Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
            (*anchor != 0, false, false)
        }
        Event::Alias(_) => (false, true, false),
        _ => return None,
    };
    if !anchor && !alias && !double {
        return None;
    }
    let start = offsets.byte(text, span.start.index());
    let end = offsets.byte(text, span.end.index()).max(start);
    let raw = text.get(start..end)?;
    if anchor || alias {
        // The node's text starts with its properties: `&name`, or a tag then `&name`.
        let sigil = if alias { '*' } else { '&' };
        let at = if raw.starts_with(sigil) {
            0
        } else if raw.starts_with('!') {
            let tag_end = raw.find([' ', '\t', '\n'])?;
            let rest = raw.get(tag_end..)?;
            tag_end + (rest.len() - rest.trim_start_matches([' ', '\t']).len())
        } else {
            return None;
        };
        let name_text = raw.get(at..)?.strip_prefix(sigil)?;
        let name_len = name_text
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
            .unwrap_or(name_text.len());
        let name = name_text.get(..name_len)?;
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            let what = if alias { "alias" } else { "anchor" };
            return Some((
                span.start,
                format!(
                    "invalid YAML: {what} name `{name}` holds `{bad}`: Kubernetes (YAML 1.1) \
                     allows only letters, digits, `-` and `_` in it"
                ),
            ));
        }
    }
    if double {
        let quote = raw.find('"')?;
        let mut chars = raw.get(quote + 1..)?.chars();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.next() == Some('/') {
                return Some((
                    span.start,
                    "invalid YAML: unknown escape `\\/` in a double-quoted scalar: Kubernetes \
                     (YAML 1.1) does not have it (write `/`)"
                        .to_owned(),
                ));
            }
        }
    }
    None
}

/// The inverse of [`shifted`]: a column of the original text in the repaired one.
fn shifted_back(column: u32, line: u32, shifts: &[(u32, i64)]) -> u32 {
    let delta = shifts
        .iter()
        .find(|(at, _)| *at == line)
        .map_or(0, |(_, d)| *d);
    let column = i64::from(column).saturating_add(delta).max(1);
    u32::try_from(column).unwrap_or(u32::MAX)
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

struct Builder<'s> {
    line_offset: u32,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: Vec<(usize, Node)>,
    nodes: usize,
    root: Option<Node>,
    errors: Vec<YamlError>,
    documents: usize,
    shifts: &'s [(u32, i64)],
    /// The (0-based) lines that end with LS or PS, and which (see [`normalize_breaks`]).
    kept_breaks: &'s [(u32, char)],
    /// The first document ended: what follows is not read (as go-yaml reads one document).
    ended: bool,
    /// A value of a JSON stream: what go-yaml refuses does not matter.
    json: bool,
    /// Where the last event read ends.
    last_end: saphyr_parser::Marker,
    /// Characters that go-yaml reads as part of a plain scalar in a flow collection and the
    /// YAML 1.2 parser does not (see [`scan_flow`]): byte offsets and stand-ins.
    flow_fixes: Vec<(usize, char)>,
    /// The end of the last flow collection read by [`scan_flow`] (a byte offset).
    scanned_to: usize,
}

impl Builder<'_> {
    fn pos(&self, span: Span) -> Pos {
        let line = saturate(span.start.line()).saturating_sub(1);
        Pos {
            line: saturate(span.start.line()).saturating_add(self.line_offset),
            column: shifted(
                saturate(span.start.col()).saturating_add(1),
                line,
                self.shifts,
            ),
        }
    }

    /// Feeds the parser's events to the builder. On a syntax error, returns its position (the
    /// column not yet shifted back), its 0-based document line and its description; errors of
    /// the builder itself are recorded in `errors`.
    fn run(&mut self, text: &str) -> Option<(Pos, u32, String)> {
        let mut parser = Parser::new_from_str(text);
        let mut offsets = CharOffsets::default();
        // Whether each open collection is a flow mapping, and where the implicit key just read
        // in one ends (with the key's start).
        let mut flow_maps: Vec<bool> = Vec::new();
        let mut flow_key: Option<(usize, saphyr_parser::Marker)> = None;
        let mut tabs = Tabs::default();
        for event in &mut parser {
            match event {
                Ok((event, span)) => {
                    if self.ended {
                        if !matches!(event, Event::StreamEnd) {
                            self.warn_ignored(self.pos(span));
                        }
                        return None;
                    }
                    let node = matches!(
                        event,
                        Event::Scalar(..)
                            | Event::SequenceStart(..)
                            | Event::MappingStart(..)
                            | Event::Alias(_)
                    );
                    let is_value = matches!(
                        self.stack.last(),
                        Some(Frame::Map {
                            pending_key: Some(_),
                            ..
                        })
                    );
                    let mut refused = if self.json {
                        None
                    } else {
                        go_yaml_refuses(text, &mut offsets, &event, span)
                    };
                    if node && is_value && refused.is_none() && !self.json {
                        // go-yaml reads an implicit key of a flow mapping on one line: its `:`
                        // on a later line is an error.
                        if let Some((key_end, key_start)) = flow_key.take() {
                            let value_start = offsets.byte(text, span.start.index());
                            let between = text.get(key_end..value_start.max(key_end)).unwrap_or("");
                            if let Some(colon) = between.find(':')
                                && between.get(..colon).is_some_and(|b| b.contains('\n'))
                            {
                                refused = Some((
                                    key_start,
                                    "invalid YAML: the `:` of a flow mapping's key is on a later \
                                     line: Kubernetes (YAML 1.1) wants it on the key's line"
                                        .to_owned(),
                                ));
                            }
                        }
                    }
                    if refused.is_none() && !self.json {
                        let start = offsets.byte(text, span.start.index());
                        let end = offsets.byte(text, span.end.index()).max(start);
                        if let Some((at, why)) = tabs.event(text, &event, start, end) {
                            refused = Some((marker_at(text, at), format!("invalid YAML: {why}")));
                        }
                    }
                    if let Event::SequenceStart(..) | Event::MappingStart(..) = event
                        && refused.is_none()
                        && !self.json
                    {
                        let end = offsets.byte(text, span.end.index());
                        let bracket = end.saturating_sub(1);
                        if text.get(bracket..end).is_some_and(|b| b == "[" || b == "{") {
                            refused = self.scan_flow_at(text, bracket);
                        }
                    }
                    match event {
                        Event::SequenceStart(..) => flow_maps.push(false),
                        Event::MappingStart(..) => {
                            let at = offsets.byte(text, span.start.index());
                            let end = offsets.byte(text, span.end.index()).max(at);
                            let raw = text.get(at..end).unwrap_or("");
                            flow_maps.push(raw.ends_with('{'));
                        }
                        Event::SequenceEnd | Event::MappingEnd => {
                            flow_maps.pop();
                        }
                        _ => {}
                    }
                    if node && !is_value {
                        flow_key = None;
                        let key_in_flow_map = matches!(self.stack.last(), Some(Frame::Map { .. }))
                            && flow_maps.last() == Some(&true);
                        if key_in_flow_map && let Event::Scalar(..) = event {
                            let start = offsets.byte(text, span.start.index());
                            let before = text.get(..start).unwrap_or("");
                            let explicit = before.trim_end_matches([' ', '\t']).ends_with('?');
                            if !explicit {
                                flow_key = Some((offsets.byte(text, span.end.index()), span.start));
                            }
                        }
                    }
                    if let Some((at, message)) = refused {
                        self.root = None;
                        let mut pos = self.pos(Span::new(at, at));
                        pos.line = pos.line.max(1);
                        self.errors.push(Self::fatal(pos, message));
                        return None;
                    }
                    self.last_end = span.end;
                    let event = self.keep_breaks(text, &mut offsets, event, span);
                    if let Err(err) = self.on_event(event, span) {
                        self.root = None;
                        self.errors.push(err);
                        return None;
                    }
                }
                Err(err) => {
                    let marker = err.marker();
                    let line = saturate(marker.line()).saturating_sub(1);
                    let pos = Pos {
                        line: saturate(marker.line()).saturating_add(self.line_offset),
                        column: saturate(marker.col()).saturating_add(1),
                    };
                    // Once the root node is complete, go-yaml reads no further than the next
                    // token: when that token scans (it is only not a document start), what
                    // follows is ignored, not an error.
                    let after_root = self.stack.is_empty()
                        && self.root.is_some()
                        && err.info() == "did not find expected <document start>";
                    if self.ended || after_root {
                        self.warn_ignored(pos);
                        return None;
                    }
                    self.root = None;
                    // The parser may stop in a flow collection before its start is read (it
                    // reads ahead for a key): read it as go-yaml does.
                    if !self.json {
                        let from = offset_of(
                            text,
                            saturate(self.last_end.line()).saturating_sub(1),
                            saturate(self.last_end.col()).saturating_add(1),
                        );
                        let bracket = from.and_then(|from| next_token_from(text, from, false));
                        if let Some(bracket) = bracket
                            && text
                                .get(bracket..)
                                .is_some_and(|r| r.starts_with(['[', '{']))
                            && let Some((at, message)) = self.scan_flow_at(text, bracket)
                        {
                            let mut pos = self.pos(Span::new(at, at));
                            pos.line = pos.line.max(1);
                            self.errors.push(Self::fatal(pos, message));
                            return None;
                        }
                    }
                    return Some((pos, line, err.info().to_owned()));
                }
            }
        }
        None
    }

    /// Reads the flow collection that opens at byte `bracket` as go-yaml does (see
    /// [`scan_flow`]), unless it was read already: records the stand-ins to put in, and returns
    /// where and why go-yaml refuses it.
    fn scan_flow_at(
        &mut self,
        text: &str,
        bracket: usize,
    ) -> Option<(saphyr_parser::Marker, String)> {
        if bracket < self.scanned_to {
            return None;
        }
        let scan = scan_flow(text, bracket);
        self.scanned_to = scan.end;
        self.flow_fixes.extend(scan.fixes);
        let (at, why) = scan.refused?;
        Some((marker_at(text, at), format!("invalid YAML: {why}")))
    }

    /// A quoted scalar that spans a line ending with LS or PS, read again as go-yaml reads it
    /// (see [`go_scalar`]); any other event as it is.
    fn keep_breaks<'e>(
        &self,
        text: &str,
        offsets: &mut CharOffsets,
        event: Event<'e>,
        span: Span,
    ) -> Event<'e> {
        let Event::Scalar(value, style, anchor, tag) = event else {
            return event;
        };
        let first = saturate(span.start.line()).saturating_sub(1);
        let last = saturate(span.end.line()).saturating_sub(1);
        let folded = matches!(
            style,
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted | ScalarStyle::Plain
        );
        let from = self.kept_breaks.partition_point(|b| b.0 < first);
        let spans_kept_break = self.kept_breaks.get(from).is_some_and(|b| b.0 < last);
        if !folded || !spans_kept_break {
            return Event::Scalar(value, style, anchor, tag);
        }
        let start = offsets.byte(text, span.start.index());
        let end = offsets.byte(text, span.end.index()).max(start);
        let mut raw = text.get(start..end).unwrap_or("");
        // Skip the node's properties (a tag, an anchor) to the opening quote.
        while raw.starts_with(['!', '&']) {
            let name = raw.find([' ', '\t', '\n']).unwrap_or(raw.len());
            raw = raw
                .get(name..)
                .unwrap_or("")
                .trim_start_matches([' ', '\t', '\n']);
        }
        let quote_line = first.saturating_add(saturate(
            text.get(start..end)
                .and_then(|r| r.get(..r.len() - raw.len()))
                .map_or(0, |p| p.matches('\n').count()),
        ));
        let plain = style == ScalarStyle::Plain;
        match go_scalar(raw, quote_line, self.kept_breaks, plain) {
            Some(read) => Event::Scalar(std::borrow::Cow::Owned(read), style, anchor, tag),
            None => Event::Scalar(value, style, anchor, tag),
        }
    }

    fn warn_ignored(&mut self, pos: Pos) {
        self.errors.push(YamlError {
            pos,
            message: "text after the end of the document is ignored, as Kubernetes ignores \
                      it (start a new document with `---`)"
                .to_owned(),
            recoverable: true,
        });
    }

    /// The 1-based column just past the opening bracket of the innermost open collection, if
    /// it is a flow collection (`[` or `{` in the text at its position).
    fn in_flow(&self, text: &str) -> Option<u32> {
        let pos = match self.stack.last()? {
            Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
        };
        let line = pos.line.checked_sub(self.line_offset)?.checked_sub(1)?;
        let column = shifted_back(pos.column, line, self.shifts);
        let at = offset_of(text, line, column)?;
        text.get(at..)?.starts_with(['[', '{']).then_some(column)
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
                // Byte order marks inside the text stand in as U+FFFF (see `parse`).
                let text = if text.contains(['\u{ffff}', FLOW_COLON, FLOW_DASH]) {
                    let restored = text
                        .replace('\u{ffff}', "\u{feff}")
                        .replace(FLOW_COLON, ":")
                        .replace(FLOW_DASH, "-");
                    std::borrow::Cow::Owned(restored)
                } else {
                    text
                };
                let untagged = |text: &str| {
                    if style == ScalarStyle::Plain {
                        resolve_plain(text)
                    } else {
                        Value::Str(text.to_owned())
                    }
                };
                let value = match tag.as_deref() {
                    None => untagged(&text),
                    Some(tag) => self.tagged(tag, &text, pos)?,
                };
                let is_key = matches!(
                    self.stack.last(),
                    Some(Frame::Map {
                        pending_key: None,
                        ..
                    })
                );
                if let Value::Float(f) = value
                    && !f.is_finite()
                    && !is_key
                {
                    return Err(Self::fatal(
                        pos,
                        format!(
                            "`{text}` is not a number JSON can hold: Kubernetes refuses the document"
                        ),
                    ));
                }
                if is_key
                    && style == ScalarStyle::Plain
                    && tag.is_none()
                    && text.parse::<u64>().is_ok_and(|n| i64::try_from(n).is_err())
                {
                    return Err(Self::fatal(
                        pos,
                        format!("key `{text}` is too large an integer: Kubernetes refuses it"),
                    ));
                }
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
            Event::DocumentEnd => {
                self.ended = true;
                Ok(())
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(()),
        }
    }

    /// A scalar with an explicit tag, as go-yaml v2 reads it: the core types (`!!str`,
    /// `!!bool`, `!!int`, `!!float`, `!!null`) decide the type, and a value that does not fit its
    /// tag is an error ("cannot decode"); `!!binary` is decoded from base64; any other tag makes
    /// the value a string.
    fn tagged(
        &mut self,
        tag: &saphyr_parser::Tag,
        text: &str,
        pos: Pos,
    ) -> Result<Value, YamlError> {
        let core = (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!")
            .then_some(tag.suffix.as_str());
        match core {
            Some("str") => Ok(Value::Str(text.to_owned())),
            Some(kind @ ("bool" | "int" | "float" | "null")) => match (kind, resolve_plain(text)) {
                ("bool", v @ Value::Bool(_))
                | ("int", v @ Value::Int(_))
                | ("float", v @ Value::Float(_))
                | ("null", v @ Value::Null) => Ok(v),
                #[allow(clippy::cast_precision_loss)]
                ("float", Value::Int(i)) => Ok(Value::Float(i as f64)),
                _ => Err(Self::fatal(
                    pos,
                    format!("cannot read {text:?} as a `!!{kind}`, as its tag says"),
                )),
            },
            Some("binary") => match base64(text) {
                Some(bytes) => Ok(Value::Str(String::from_utf8_lossy(&bytes).into_owned())),
                None => Err(Self::fatal(
                    pos,
                    "a `!!binary` value must be base64 data".to_owned(),
                )),
            },
            _ => {
                if format!("{}{}", tag.handle, tag.suffix) != "!" {
                    self.errors.push(YamlError {
                        pos,
                        message: format!(
                            "tag `{}{}` is not interpreted: the value is read as a string, as \
                             Kubernetes reads it",
                            if core.is_some() {
                                "!!"
                            } else {
                                tag.handle.as_str()
                            },
                            tag.suffix
                        ),
                        recoverable: true,
                    });
                }
                Ok(Value::Str(text.to_owned()))
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
                    // Keys become JSON strings as sigs.k8s.io/yaml makes them.
                    let key = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => go_float_key(*f),
                        Value::Null => {
                            return Err(Self::fatal(
                                node.pos,
                                "a mapping key is null (or missing): Kubernetes refuses it",
                            ));
                        }
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
                        return merge(entries, node);
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

/// YAML 1.1 merge key, as go-yaml v2 applies it: where the `<<` stands, the merged mapping's
/// keys are set, replacing those already there (keys written after it replace them in turn);
/// of a list of mappings, the earlier ones win. Anything else than mappings is an error.
fn merge(entries: &mut Entries, source: Node) -> Result<(), YamlError> {
    let not_a_map =
        |pos| Builder::fatal(pos, "a merge (`<<`) takes a mapping or a list of mappings");
    let pos = source.pos;
    let maps = match source.value {
        Value::Map(m) => vec![m],
        Value::Seq(items) => {
            let mut maps = Vec::with_capacity(items.len());
            for item in items.into_iter().rev() {
                match item.value {
                    Value::Map(m) => maps.push(m),
                    _ => return Err(not_a_map(item.pos)),
                }
            }
            maps
        }
        _ => return Err(not_a_map(pos)),
    };
    for map in maps {
        for entry in map {
            entries.merged.insert(entry.key.clone());
            match entries
                .position(&entry.key)
                .and_then(|at| entries.list.get_mut(at))
            {
                Some(existing) => existing.value = entry.value,
                None => entries.push(entry),
            }
        }
    }
    Ok(())
}

/// A float key as sigs.k8s.io/yaml writes it: Go's `FormatFloat(f, 'g', -1, 32)`, with
/// go-yaml's spellings of the infinities and NaN.
fn go_float_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    #[allow(clippy::cast_possible_truncation)]
    let single = f as f32;
    // The shortest digits that read back as the same f32, and the decimal exponent.
    let sci = format!("{single:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // Go writes the exponent form below 1e-4 and from 1e6 on (`'g'` with the shortest digits).
    if (-4..6).contains(&exp) {
        return format!("{single}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// Decodes standard base64 (white space allowed, as go-yaml allows line breaks in it).
fn base64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0u32;
    let mut out = Vec::new();
    let mut padding = 0;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let v = match c {
            'A'..='Z' => u32::from(c) - u32::from('A'),
            'a'..='z' => u32::from(c) - u32::from('a') + 26,
            '0'..='9' => u32::from(c) - u32::from('0') + 52,
            '+' => 62,
            '/' => 63,
            '=' => {
                padding += 1;
                continue;
            }
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    Some(out)
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
        && f.is_finite()
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
        // Keys of different types that JSON writes the same: the last too (Kubernetes keeps
        // either, at random).
        let (node, errors) = parse_document("1: a\n\"1\": b\n", 0, Limits::default());
        assert_eq!(
            node.map(|n| n.to_json()),
            Some(serde_json::json!({"1": "b"}))
        );
        assert!(errors.len() == 1 && errors[0].recoverable, "{errors:?}");
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

    fn json(text: &str) -> serde_json::Value {
        parse(text).to_json()
    }

    fn refused(text: &str) -> YamlError {
        let (node, errors) = parse_document(text, 0, Limits::default());
        assert!(node.is_none(), "{text:?} was read: {node:?}");
        errors
            .into_iter()
            .find(|e| !e.recoverable)
            .expect("a fatal error")
    }

    #[test]
    fn quoted_continuation_lines_may_sit_at_any_column_as_in_kubernetes() {
        // The shell script of an older public manifest: continuation lines left of the item.
        let doc = parse(
            "spec:\n  containers:\n    - name: app\n      args: [\"-c\", \"echo one;\necho two \\\n&& done\"]\n      image: x\n",
        );
        let container = &doc
            .get("spec")
            .and_then(|s| s.get("containers"))
            .expect("containers")
            .as_seq()
            .expect("seq")[0];
        assert_eq!(
            container.get("args").map(Node::to_json),
            Some(serde_json::json!(["-c", "echo one; echo two && done"]))
        );
        // Positions still point into the original text.
        assert_eq!(
            container.entry("image").expect("image").key_pos,
            Pos { line: 7, column: 7 }
        );
        assert_eq!(
            json("key: 'one\nit''s'\nafter: 1\n"),
            serde_json::json!({"key": "one it's", "after": 1})
        );
        assert_eq!(
            json("a:\n  key: {a: 1,\nb: 2}\n  after: [x,\n w]\n"),
            serde_json::json!({"a": {"key": {"a": 1, "b": 2}, "after": ["x", "w"]}})
        );
    }

    #[test]
    fn comments_right_after_a_quote_or_bracket_and_tabs_after_colons_are_read() {
        assert_eq!(
            json("a: \"x\"#c\nb: [z]#c\nc:\t1\n"),
            serde_json::json!({"a": "x", "b": ["z"], "c": 1})
        );
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        let err = refused("a: 1\nb: x\u{7}y\n");
        assert_eq!(err.pos, Pos { line: 2, column: 5 });
        assert!(err.message.contains("U+0007"), "{}", err.message);
    }

    #[test]
    fn nel_and_lone_cr_end_lines_as_in_yaml_1_1() {
        assert_eq!(
            json("a: 1\u{85}b: 2\rc: 3\n"),
            serde_json::json!({"a": 1, "b": 2, "c": 3})
        );
    }

    #[test]
    fn values_json_cannot_hold_and_null_keys_are_refused() {
        assert!(refused("a: .inf\n").message.contains("JSON"));
        assert_eq!(refused("a: -.inf\n").pos, Pos { line: 1, column: 4 });
        assert!(refused("~: 1\n").message.contains("null"));
        assert!(
            refused("18446744073709551615: a\n")
                .message
                .contains("too large")
        );
        // Out of range as a float: a string, as go-yaml reads it.
        assert_eq!(json("a: 1e400\n"), serde_json::json!({"a": "1e400"}));
    }

    #[test]
    fn float_keys_are_written_as_go_writes_them() {
        assert_eq!(
            json("1.5: a\n1e20: b\n3.14159265358979: c\n.inf: d\n0.00001: e\n"),
            serde_json::json!({"1.5": "a", "1e+20": "b", "3.1415927": "c", ".inf": "d", "1e-05": "e"})
        );
    }

    #[test]
    fn merges_follow_go_yaml_v2() {
        // The merged keys replace those before the `<<`; earlier mappings of a list win.
        assert_eq!(
            json("d:\n  a: 2\n  <<: [{a: 1, b: 1}, {b: 2, c: 2}]\n  c: 3\n"),
            serde_json::json!({"d": {"a": 1, "b": 1, "c": 3}})
        );
        assert!(
            refused("a: &s text\nd:\n  <<: *s\n")
                .message
                .contains("merge")
        );
        assert!(refused("d:\n  <<: ~\n").message.contains("merge"));
    }

    #[test]
    fn tags_are_read_as_go_yaml_reads_them() {
        let (node, warnings) = parse_document(
            "a: !foo 10\nb: !<tag:x> y\nc: !!binary aGVsbG8=\nd: !!float 1\n",
            0,
            Limits::default(),
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(
            node.map(|n| n.to_json()),
            Some(serde_json::json!({"a": "10", "b": "y", "c": "hello", "d": 1.0}))
        );
        assert_eq!(json("e: !!float 1\n"), serde_json::json!({"e": 1.0}));
        assert!(refused("a: !!int x\n").message.contains("!!int"));
    }

    #[test]
    fn text_after_a_document_end_marker_is_ignored_with_a_warning() {
        let (node, errors) = parse_document("a: 1\n...\nb: 2\n", 0, Limits::default());
        assert_eq!(node.map(|n| n.to_json()), Some(serde_json::json!({"a": 1})));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].recoverable && errors[0].pos.line == 3,
            "{errors:?}"
        );
    }

    #[test]
    fn anchor_names_and_escapes_go_yaml_refuses_are_refused() {
        for (text, line, column) in [
            ("a: &a.b 1\n", 1, 4),
            ("a: 1\nb: !t &a/b [x]\n", 2, 4),
            ("a: &k\n  b: 1\nc: *k.x\n", 3, 4),
            ("a:\n  b: \"x\\/y\"\n", 2, 6),
        ] {
            let err = refused(text);
            assert_eq!(
                (err.pos.line, err.pos.column),
                (line, column),
                "{text:?}: {err:?}"
            );
        }
        // What go-yaml allows stays read: letters, digits, `-`, `_`; an escaped backslash.
        let doc = parse("a: &a-B_9 1\nb: *a-B_9\nc: \"\\\\/\"\nd: [&x z, *x]\n");
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"a": 1, "b": 1, "c": "\\/", "d": ["z", "z"]})
        );
        // In a JSON stream `\/` is a valid escape.
        let (node, _) = parse_json_document("{\"a\": \"\\/\"}", 0, Limits::default());
        assert_eq!(
            node.map(|n| n.to_json()),
            Some(serde_json::json!({"a": "/"}))
        );
    }

    #[test]
    fn byte_order_marks_inside_the_text_are_content_as_in_kubernetes() {
        let doc = parse("\u{feff}a: x\u{feff}y\n\u{feff}b: [\"\u{feff}\"]\n");
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"a": "x\u{feff}y", "\u{feff}b": ["\u{feff}"]})
        );
        assert_eq!(doc.locate("/\u{feff}b/0"), Pos { line: 2, column: 6 });
        // U+FFFF, which stands in for them, is still refused where it is.
        assert_eq!(
            refused("a: 1\nb: x\u{ffff}\n").pos,
            Pos { line: 2, column: 5 }
        );
    }

    #[test]
    fn an_alias_key_may_touch_its_colon_as_in_kubernetes() {
        let doc = parse("a: &k key\nb:\n  *k: 1\n  c: *k\n");
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"a": "key", "b": {"key": 1, "c": "key"}})
        );
        assert_eq!(doc.locate("/b/c"), Pos { line: 4, column: 3 });
        // An alias that is not known without its colon is still an error, at the alias.
        assert_eq!(refused("a: 1\n*k: 1\n").pos, Pos { line: 2, column: 1 });
    }

    #[test]
    fn quoted_continuation_lines_may_start_with_tabs_as_in_kubernetes() {
        let doc = parse(
            "a:\n  - k: \"one\n\t\ttwo \\\n\tthree\"\n    j: 'x\n\t y'\n  - \"p\n\tq\"\nb: 1\n",
        );
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"a": [{"k": "one two three", "j": "x y"}, "p q"], "b": 1})
        );
        // Positions still point into the original text.
        assert_eq!(doc.locate("/a/0/j"), Pos { line: 5, column: 5 });
        assert_eq!(doc.locate("/b"), Pos { line: 9, column: 1 });
    }

    #[test]
    fn flow_continuation_lines_left_of_a_sequence_entry_are_read_as_in_kubernetes() {
        let doc = parse("spec:\n  args:\n    - [a,\n  b, [c,\n\td]]\n    - {x: 1,\n w: 2}\nz: 3\n");
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"spec": {"args": [["a", "b", ["c", "d"]], {"x": 1, "w": 2}]}, "z": 3})
        );
        assert_eq!(doc.locate("/spec/args/0/1"), Pos { line: 4, column: 3 });
        assert_eq!(doc.locate("/spec/args/1/w"), Pos { line: 7, column: 2 });
    }

    #[test]
    fn a_tag_right_before_a_flow_indicator_is_refused_as_in_kubernetes() {
        for text in ["a: [!x,]\n", "a:\n  b: [!!str]\n", "a: {k: !x}\n"] {
            let err = refused(text);
            assert!(err.message.contains("white space"), "{text:?}: {err:?}");
        }
        assert_eq!(
            refused("a:\n  b: [1, !x]\n").pos,
            Pos {
                line: 2,
                column: 10
            }
        );
        // With white space after it, or an anchor last, the empty node is read.
        let (doc, _) = parse_document("a: [!x , &y,]\nb: !x\n", 0, Limits::default());
        assert_eq!(
            doc.map(|d| d.to_json()),
            Some(serde_json::json!({"a": ["", null], "b": ""}))
        );
    }

    #[test]
    fn a_flow_key_whose_colon_is_on_a_later_line_is_refused_as_in_kubernetes() {
        assert_eq!(
            refused("a: 1\nb: {x\n  : 1}\n").pos,
            Pos { line: 2, column: 5 }
        );
        assert_eq!(
            refused("- [{\"k\"\n : 1}]\n").pos,
            Pos { line: 1, column: 5 }
        );
        // An explicit key may have its `:` on a later line; a key on one line is fine.
        let doc = parse("a: {? x\n  : 1, z: 2}\n");
        assert_eq!(doc.to_json(), serde_json::json!({"a": {"x": 1, "z": 2}}));
    }

    #[test]
    fn plain_scalars_in_flow_collections_end_where_kubernetes_ends_them() {
        // A `:` right before `,`, `]` or `}` is part of the scalar (go-yaml, YAML 1.1).
        assert_eq!(
            json("a: {x:}\nb: [x :, y:]\nc: {k: v:, w::}\nd: [-, -:]\ne: [x\n\n :]\n"),
            serde_json::json!({
                "a": {"x:": null},
                "b": ["x :", "y:"],
                "c": {"k": "v:", "w::": null},
                "d": ["-", "-:"],
                "e": ["x\n:"]
            })
        );
        // `?x` in a flow mapping is the key `x`.
        assert_eq!(
            json("a: {?x: 1, ?z}\n"),
            serde_json::json!({"a": {"x": 1, "z": null}})
        );
        // Positions still point into the original text.
        let doc = parse("a: [x:,\n  y:]\nb: {k:}\n");
        assert_eq!(doc.locate("/a/1"), Pos { line: 2, column: 3 });
        assert_eq!(doc.locate("/b/k:"), Pos { line: 3, column: 5 });
        // What go-yaml refuses is refused where it refuses it.
        for (text, column) in [
            ("a: [sh, -c, echo hi?]\n", 20),
            ("a: {k?: 1}\n", 6),
            ("a: [x, :y]\n", 8),
            ("a: [?x]\n", 5),
        ] {
            let err = refused(text);
            assert_eq!(err.pos, Pos { line: 1, column }, "{text:?}: {err:?}");
        }
        // Only plain scalars: quoted ones, comments and block scalars are left alone.
        let text = "[x:, \"a:]\", 'b:}', # c:]\n y]";
        let scan = scan_flow(text, 0);
        assert_eq!(scan.fixes, [(2, FLOW_COLON)]);
        assert_eq!((scan.end, scan.refused), (text.len(), None));
        assert_eq!(
            json("k: |\n  [x:]\nb: \"[y:]\"\n"),
            serde_json::json!({"k": "[x:]\n", "b": "[y:]"})
        );
    }

    #[test]
    fn ls_and_ps_are_kept_in_quoted_and_plain_scalars_as_in_yaml_1_1() {
        // They end a line (positions count it), but go-yaml keeps them where it folds `\n`;
        // white space around them is trimmed; breaks after them are kept too.
        let doc = parse(
            "a: 'x \u{2028}  y'\nb: \"p\u{2029}\n\n  q\\tr \\\u{2028}  s\"\nc: &k !!str 'm\n\u{2028}n'\nd: *k\n",
        );
        assert_eq!(
            doc.to_json(),
            serde_json::json!({
                "a": "x\u{2028}y",
                "b": "p\u{2029}\n\nq\tr s",
                "c": "m\u{2028}n",
                "d": "m\u{2028}n"
            })
        );
        assert_eq!(doc.locate("/c"), Pos { line: 8, column: 1 });
        // Escapes are read as go-yaml reads them.
        assert_eq!(
            go_scalar(
                "\"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\0\\a\\e\\ \"",
                0,
                &[],
                false
            ),
            Some("A\u{e9}\u{1f600}\u{85}\u{a0}\u{2028}\u{2029}\0\x07\x1b ".to_owned())
        );
        assert_eq!(
            go_scalar("'it''s\n\n x'", 0, &[(1, '\u{2029}')], false),
            Some("it's\u{2029}x".to_owned())
        );
        assert_eq!(go_scalar("'open", 0, &[], false), None);
        // A plain scalar: no escapes, no quotes.
        assert_eq!(
            go_scalar("a\\x 'b\n  c", 0, &[(0, '\u{2028}')], true),
            Some("a\\x 'b\u{2028}c".to_owned())
        );
        assert_eq!(
            json("a: x \u{2028} y\nb: [p\u{2029}q]\n"),
            serde_json::json!({"a": "x\u{2028}y", "b": ["p\u{2029}q"]})
        );
    }

    #[test]
    fn tabs_kubernetes_refuses_in_block_context_are_refused_where_they_are() {
        for (text, line, column) in [
            // At the start of a line (after spaces) where a token may start.
            ("key: \"x\"\n\t\nafter: 1\n", 2, 1),
            ("a:\n  key: [x]\n \t\n  after: 1\n", 3, 2),
            ("a:\n  \tb: 2\n", 2, 3),
            // After `-`, or a complex key's `:`.
            ("a:\n-\tb\n", 2, 2),
            ("- - x\n  - \ty\n", 2, 5),
            ("? a\n:\tb\n", 2, 2),
            // Left of a plain scalar's indentation on the lines after it.
            ("a:\n  b: &k x\n \t\n", 3, 2),
            // Where a block scalar's indentation space is expected.
            ("key: |\n \ttext\n", 2, 2),
            ("a: |\n  x\n \ty\n", 3, 2),
        ] {
            let err = refused(text);
            assert_eq!(
                (err.pos.line, err.pos.column),
                (line, column),
                "{text:?}: {err:?}"
            );
        }
        // What go-yaml reads stays read: a tab after a key's `:` or after a node on its line,
        // in a flow collection, as a block scalar's content, on a plain scalar's later lines
        // at its indentation.
        assert_eq!(
            json("a:\t1\nb: \"x\"\t# c\nc: [x,\n\tz]\nd: |\n  x\n  \ty\ne: p\n  \tq\n"),
            serde_json::json!({"a": 1, "b": "x", "c": ["x", "z"], "d": "x\n\ty\n", "e": "p q"})
        );
    }

    #[test]
    fn a_document_that_starts_with_an_end_marker_is_refused() {
        for text in ["...\n", "# c\n\n... # x\n", "...\n...\n"] {
            let (chunks, _) = split_stream(text);
            assert_eq!(chunks.len(), 1, "{text:?}");
            let err = refused(text);
            assert!(err.message.contains("`...`"), "{err:?}");
        }
        assert_eq!(refused("\n\n...\n").pos.line, 3);
        // After an explicit `---` the document is empty, as in Kubernetes.
        assert_eq!(split_stream("---\n...\n").0.len(), 0);
        assert!(
            parse_document("---\n...\n", 0, Limits::default())
                .1
                .is_empty()
        );
        assert_eq!(parse("....\n").to_json(), serde_json::json!("...."));
    }

    #[test]
    fn streams_are_split_as_kubectl_splits_them() {
        let (chunks, error) =
            split_stream("---\na: 1\n--- # c\nb: 2\n---\n---\nc: 3\n--- {d: 4}\ne: 5\n");
        let firsts: Vec<_> = chunks.iter().map(|c| c.first_line).collect();
        assert_eq!(firsts, [1, 4, 6]);
        let error = error.expect("a separator error");
        assert_eq!(error.pos.line, 8);
        // JSON: a stream of values, strictly.
        let (chunks, error) = split_stream("{\"a\": 1}\n\n{\"b\": 2}\n");
        assert_eq!(
            chunks.iter().map(|c| c.first_line).collect::<Vec<_>>(),
            [1, 3]
        );
        assert!(error.is_none());
        let (chunks, error) = split_stream("{\"a\": 1,}\n");
        assert!(chunks.is_empty());
        assert!(error.expect("error").message.starts_with("invalid JSON"));
    }
}
