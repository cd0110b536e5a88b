//! The layout of one YAML document, as the fixes need it: where every node starts and ends (in
//! bytes of the document's text), whether a collection is written in block or flow style, and
//! where a flow collection closes. The engine's own tree ([`crate::input::yaml`]) keeps the
//! values and start positions Kubernetes reads; an edit also needs the ends and the style, so
//! this reads the same document text again with the same parser.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// A node and its extent.
#[derive(Debug, Clone)]
pub(crate) struct CNode {
    /// First byte of the node (after its anchor or tag, if any).
    pub start: usize,
    /// One past the last byte of the node's own text (for a collection, of its last child, or
    /// its closing bracket).
    pub end: usize,
    /// What the node is.
    pub kind: Kind,
}

/// The kinds of node.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A scalar: its value as read, and how it was written.
    Scalar(String, ScalarStyle),
    /// A mapping; `close` is the byte of `}` for a flow mapping.
    Map {
        flow: bool,
        entries: Vec<(CNode, CNode)>,
        close: Option<usize>,
    },
    /// A sequence; `close` is the byte of `]` for a flow sequence.
    Seq {
        flow: bool,
        items: Vec<CNode>,
        close: Option<usize>,
    },
    /// An alias (never edited through).
    Alias,
}

impl CNode {
    /// The entry of `key`, if this is a mapping that has it (the last duplicate, as Kubernetes
    /// reads it).
    pub fn entry(&self, key: &str) -> Option<&(CNode, CNode)> {
        match &self.kind {
            Kind::Map { entries, .. } => entries
                .iter()
                .rev()
                .find(|(k, _)| k.scalar().is_some_and(|s| s == key)),
            _ => None,
        }
    }

    /// The scalar's text value.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether this is an empty value (`key:`, `~`, `null`), which an edit may replace by a
    /// mapping or a list.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, ScalarStyle::Plain)
            if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The child at one step of a JSON pointer (a key, or an index of a sequence).
    pub fn child(&self, step: &str) -> Option<&CNode> {
        match &self.kind {
            Kind::Map { .. } => self.entry(step).map(|(_, v)| v),
            Kind::Seq { items, .. } => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// The node at a path of steps.
    pub fn at<'s>(&self, path: impl IntoIterator<Item = &'s str>) -> Option<&CNode> {
        let mut node = self;
        for step in path {
            node = node.child(step)?;
        }
        Some(node)
    }
}

/// Reads the first document of `text`; `None` when the parser refuses it (the engine then
/// reported the error, and there is nothing safe to edit).
pub(crate) fn parse(text: &str) -> Option<CNode> {
    // The parser counts characters; edits count bytes.
    let mut bytes: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    bytes.push(text.len());
    let byte = |index: usize| bytes.get(index).copied().unwrap_or(text.len());
    enum Frame {
        Map(usize, Vec<CNode>),
        Seq(usize, Vec<CNode>),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let start = byte(span.start.index());
        let end = byte(span.end.index()).max(start);
        let done = match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Map(start, Vec::new())
                } else {
                    Frame::Seq(start, Vec::new())
                });
                None
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (at, at_end) = (start, end);
                let frame = stack.pop()?;
                let (start, children, map) = match frame {
                    Frame::Map(s, c) => (s, c, true),
                    Frame::Seq(s, c) => (s, c, false),
                };
                // A flow collection ends at its bracket (a one-character span); a block one
                // ends where the next token starts (an empty span).
                let bracket = if map { "}" } else { "]" };
                let flow = at_end > at && text.get(at..at_end) == Some(bracket);
                let close = flow.then_some(at);
                let end = match close {
                    Some(c) => c + 1,
                    None => children.last().map_or(start, |c| c.end),
                };
                let kind = if map {
                    let mut entries = Vec::new();
                    let mut it = children.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        entries.push((k, v));
                    }
                    Kind::Map {
                        flow,
                        entries,
                        close,
                    }
                } else {
                    Kind::Seq {
                        flow,
                        items: children,
                        close,
                    }
                };
                Some(CNode { start, end, kind })
            }
            Event::Scalar(value, style, ..) => {
                // A block scalar's span runs into the lines after it: its text ends at its last
                // non-blank character.
                let end = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    start + text.get(start..end).map_or(0, |t| t.trim_end().len())
                } else {
                    end
                };
                Some(CNode {
                    start,
                    end,
                    kind: Kind::Scalar(value.into_owned(), style),
                })
            }
            Event::Alias(_) => Some(CNode {
                start,
                end,
                kind: Kind::Alias,
            }),
            Event::DocumentEnd => break,
            _ => None,
        };
        if let Some(node) = done {
            match stack.last_mut() {
                Some(Frame::Map(_, c) | Frame::Seq(_, c)) => c.push(node),
                None => root = Some(node),
            }
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_extents_and_styles() {
        let text = "a:\n  b: [x, 'y']\n  c: {d: 1}\n# c\ne: |\n  t\n\n";
        let root = parse(text).unwrap();
        let b = root.at(["a", "b"]).unwrap();
        assert!(matches!(
            b.kind,
            Kind::Seq {
                flow: true,
                close: Some(15),
                ..
            }
        ));
        assert_eq!(&text[b.start..b.end], "[x, 'y']");
        let y = b.child("1").unwrap();
        assert_eq!(&text[y.start..y.end], "'y'");
        let a = root.child("a").unwrap();
        assert!(matches!(a.kind, Kind::Map { flow: false, .. }));
        assert_eq!(&text[a.start..a.end], "b: [x, 'y']\n  c: {d: 1}");
        let e = root.child("e").unwrap();
        assert_eq!(&text[e.start..e.end], "t");
    }

    #[test]
    fn a_block_list_of_flow_mappings_is_block() {
        let text = "spec:\n  c:\n  - {name: app}\n";
        let root = parse(text).unwrap();
        let c = root.at(["spec", "c"]).unwrap();
        assert!(matches!(c.kind, Kind::Seq { flow: false, .. }));
        assert_eq!(&text[c.start..c.end], "{name: app}");
    }

    #[test]
    fn counts_bytes_not_characters() {
        let text = "é: ü\nk: v\n";
        let root = parse(text).unwrap();
        let v = root.child("k").unwrap();
        assert_eq!(&text[v.start..v.end], "v");
    }
}
