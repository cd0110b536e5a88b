//! Many nodes' facts in one input: JSON lines (one document a line, as the collector DaemonSet
//! writes to its log, so `kubectl logs ... | stockade scan --facts -` works) or concatenated
//! JSON documents (`cat */facts.json`).
//!
//! The [`Splitter`] is fed one line at a time and hands back each document as soon as its
//! braces close, so that a host reading a stream never holds more than one document's text.
//! It recovers from broken input, so that one bad node is one located error and every other
//! node is still evaluated:
//!
//! - a line that starts with `{` in its first column while a document is still open starts a
//!   new document: the open one was cut short (a truncated log line, a collector killed while
//!   writing). The collector writes either one document a line or pretty-printed documents whose
//!   inner lines are indented, so a well-formed document never has such a line;
//! - text outside any document (a log line, a `kubectl logs --prefix` prefix) is an error for
//!   its lines, and the next document is read;
//! - a document larger than the file size limit is an error, and its text is not kept.
//!
//! Braces and brackets are counted outside JSON strings; whether the document is valid JSON is
//! for the facts parser to say, with the line in the stream.

use crate::vocab::{ErrorLevel, InputError};

/// One document of a facts stream, or what was wrong between documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A complete document (its braces balance).
    Document(Document),
    /// Text that is no document, or a document cut short.
    Error(InputError),
}

/// The text of one facts document and where it starts in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The file (or `<stdin>`) it comes from.
    pub file: String,
    /// Its text, from its `{` to its `}`; preceded by spaces when it starts after other text
    /// on its first line, so that columns stay those of the file.
    pub text: String,
    /// The 1-based line of its `{`.
    pub first_line: u32,
}

/// The document being read.
struct Open {
    text: String,
    first_line: u32,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Longer than the limit: no longer kept, reported when it closes.
    oversized: bool,
}

/// Cuts a stream of JSON facts documents into documents, a line at a time (see the module
/// documentation for how it recovers from broken input).
pub struct Splitter {
    file: String,
    max_size: usize,
    /// The number of the next line.
    line: u32,
    open: Option<Open>,
    /// The first and last line of a run of text outside documents.
    stray: Option<(u32, u32)>,
    /// The last part read did not end its line.
    mid_line: bool,
    /// The line being read is stray text, skipped to its end.
    skip_line: bool,
}

impl Splitter {
    /// A splitter for a file (its name as reports show it); a document longer than `max_size`
    /// bytes is an error.
    pub fn new(file: &str, max_size: usize) -> Splitter {
        Splitter {
            file: file.to_owned(),
            max_size,
            line: 1,
            open: None,
            stray: None,
            mid_line: false,
            skip_line: false,
        }
    }

    /// Reads the next line (with or without its line break) and returns what it completed.
    pub fn push_line(&mut self, line: &str) -> Vec<Piece> {
        self.push(line.strip_suffix('\n').unwrap_or(line), true)
    }

    /// Reads part of a line: `ends_line` when it is the rest of the line. A host reading a
    /// stream with a bounded buffer hands a very long line over in parts.
    pub fn push(&mut self, line: &str, ends_line: bool) -> Vec<Piece> {
        let mut out = Vec::new();
        let number = self.line;
        let line_start = !self.mid_line;
        self.mid_line = !ends_line;
        if ends_line {
            self.line = self.line.saturating_add(1);
        }
        if line_start {
            self.skip_line = false;
        } else if self.skip_line {
            // The rest of a line of stray text.
            return out;
        }
        if line_start
            && line.starts_with('{')
            && let Some(open) = self.open.take()
        {
            out.push(Piece::Error(self.cut_short(&open, number)));
        }
        let bytes = line.as_bytes();
        // Where the open document's text in this line starts.
        let mut from = 0usize;
        let mut i = 0usize;
        while let Some(&b) = bytes.get(i) {
            match &mut self.open {
                None => {
                    if b == b'{' {
                        self.end_stray(&mut out);
                        let column = line.get(..i).map_or(0, |p| p.chars().count());
                        self.open = Some(Open {
                            text: " ".repeat(column),
                            first_line: number,
                            depth: 1,
                            in_string: false,
                            escaped: false,
                            oversized: false,
                        });
                        from = i;
                    } else if !b.is_ascii_whitespace() {
                        // Not a document: the rest of the line is skipped.
                        self.skip_line = true;
                        self.stray = Some(match self.stray {
                            Some((first, _)) => (first, number),
                            None => (number, number),
                        });
                        break;
                    }
                }
                Some(open) => {
                    if open.in_string {
                        if open.escaped {
                            open.escaped = false;
                        } else if b == b'\\' {
                            open.escaped = true;
                        } else if b == b'"' {
                            open.in_string = false;
                        }
                    } else {
                        match b {
                            b'"' => open.in_string = true,
                            b'{' | b'[' => open.depth = open.depth.saturating_add(1),
                            b'}' | b']' => open.depth = open.depth.saturating_sub(1),
                            _ => {}
                        }
                        if open.depth == 0 {
                            let end = i + 1;
                            let segment = line.get(from..end).unwrap_or_default();
                            self.append(segment, false);
                            if let Some(piece) = self.close() {
                                out.push(piece);
                            }
                            from = end;
                        }
                    }
                }
            }
            i += 1;
        }
        if self.open.is_some() {
            let segment = line.get(from..).unwrap_or_default();
            self.append(segment, ends_line);
        }
        out
    }

    /// The end of the stream: a document still open was cut short.
    pub fn finish(mut self) -> Vec<Piece> {
        let mut out = Vec::new();
        self.end_stray(&mut out);
        if let Some(open) = self.open.take() {
            out.push(Piece::Error(self.cut_short(&open, 0)));
        }
        out
    }

    /// Splits a whole text (a file already in memory).
    pub fn split(file: &str, text: &str, max_size: usize) -> Vec<Piece> {
        let mut splitter = Splitter::new(file, max_size);
        let mut out = Vec::new();
        for line in text.split_inclusive('\n') {
            out.append(&mut splitter.push_line(line));
        }
        out.append(&mut splitter.finish());
        out
    }

    fn append(&mut self, segment: &str, line_break: bool) {
        let max_size = self.max_size;
        let Some(open) = &mut self.open else { return };
        if open.oversized {
            return;
        }
        if open.text.len() + segment.len() + 1 > max_size {
            open.oversized = true;
            open.text = String::new();
            return;
        }
        open.text.push_str(segment);
        if line_break {
            open.text.push('\n');
        }
    }

    fn close(&mut self) -> Option<Piece> {
        let open = self.open.take()?;
        if open.oversized {
            return Some(Piece::Error(InputError {
                file: self.file.clone(),
                line: open.first_line,
                column: 1,
                message: format!(
                    "node facts: the document is larger than {} bytes (maxFileSize): not read",
                    self.max_size
                ),
                level: ErrorLevel::Error,
            }));
        }
        Some(Piece::Document(Document {
            file: self.file.clone(),
            text: open.text,
            first_line: open.first_line,
        }))
    }

    fn cut_short(&self, open: &Open, next: u32) -> InputError {
        let message = if next == 0 {
            "node facts: the document is cut short: the stream ends before its closing `}` \
             (a truncated log, or a collector stopped while writing)"
                .to_owned()
        } else {
            format!(
                "node facts: the document is cut short: a new document starts at line {next} \
                 before its closing `}}` (a truncated log line, or a collector stopped while \
                 writing)"
            )
        };
        InputError {
            file: self.file.clone(),
            line: open.first_line,
            column: 1,
            message,
            level: ErrorLevel::Error,
        }
    }

    fn end_stray(&mut self, out: &mut Vec<Piece>) {
        let Some((first, last)) = self.stray.take() else {
            return;
        };
        let lines = if first == last {
            format!("line {first}")
        } else {
            format!("lines {first}-{last}")
        };
        out.push(Piece::Error(InputError {
            file: self.file.clone(),
            line: first,
            column: 1,
            message: format!(
                "node facts: {lines} hold text that is no JSON document (a facts stream is JSON \
                 documents, one a line or one after the other; with `kubectl logs`, pass \
                 `--prefix=false`): skipped"
            ),
            level: ErrorLevel::Error,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(pieces: &[Piece]) -> Vec<(u32, &str)> {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Document(d) => Some((d.first_line, d.text.as_str())),
                Piece::Error(_) => None,
            })
            .collect()
    }

    fn errors(pieces: &[Piece]) -> Vec<(u32, &str)> {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Error(e) => Some((e.line, e.message.as_str())),
                Piece::Document(_) => None,
            })
            .collect()
    }

    #[test]
    fn json_lines_and_concatenated_documents() {
        let text = "{\"a\": 1}\n{\"b\": \"}{\"}\n\n{\n  \"c\": [1, {\"d\": 2}]\n}{\"e\": 3}\n";
        let pieces = Splitter::split("s", text, 1 << 20);
        assert_eq!(
            docs(&pieces),
            vec![
                (1, "{\"a\": 1}"),
                (2, "{\"b\": \"}{\"}"),
                (4, "{\n  \"c\": [1, {\"d\": 2}]\n}"),
                (6, " {\"e\": 3}"),
            ]
        );
        assert!(errors(&pieces).is_empty());
    }

    #[test]
    fn escaped_quotes_do_not_end_strings() {
        let pieces = Splitter::split("s", "{\"a\": \"x\\\"}\"}\n{\"b\": 1}\n", 1 << 20);
        assert_eq!(docs(&pieces).len(), 2);
    }

    #[test]
    fn a_truncated_line_is_one_error_and_the_next_document_is_read() {
        let text = "{\"a\": 1}\n{\"b\": [1, 2\n{\"c\": 3}\n";
        let pieces = Splitter::split("s", text, 1 << 20);
        assert_eq!(docs(&pieces), vec![(1, "{\"a\": 1}"), (3, "{\"c\": 3}")]);
        let errors = errors(&pieces);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, 2);
        assert!(errors[0].1.contains("cut short"), "{}", errors[0].1);
    }

    #[test]
    fn stray_text_is_located_and_skipped() {
        let text = "I1202 log line\nanother\n{\"a\": 1}\n{\"b\"";
        let pieces = Splitter::split("s", text, 1 << 20);
        assert_eq!(docs(&pieces), vec![(3, "{\"a\": 1}")]);
        let errors = errors(&pieces);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, 1);
        assert!(errors[0].1.contains("lines 1-2"), "{}", errors[0].1);
        assert_eq!(errors[1].0, 4);
        assert!(errors[1].1.contains("stream ends"), "{}", errors[1].1);
    }

    #[test]
    fn lines_in_parts_read_as_whole_lines() {
        let mut splitter = Splitter::new("s", 1 << 20);
        let mut pieces = splitter.push("{\"a\": ", false);
        pieces.append(&mut splitter.push("{\"b\": 1}}", true));
        pieces.append(&mut splitter.push("log {", false));
        pieces.append(&mut splitter.push("{\"x\": 1}", true));
        pieces.append(&mut splitter.push("{\"c\": 2}", true));
        pieces.append(&mut splitter.finish());
        assert_eq!(
            docs(&pieces),
            vec![(1, "{\"a\": {\"b\": 1}}"), (3, "{\"c\": 2}")]
        );
        assert_eq!(errors(&pieces).len(), 1);
    }

    #[test]
    fn oversized_documents_are_not_kept() {
        let text = format!("{{\"a\": \"{}\"}}\n{{\"b\": 1}}\n", "x".repeat(100));
        let pieces = Splitter::split("s", &text, 50);
        assert_eq!(docs(&pieces), vec![(2, "{\"b\": 1}")]);
        assert!(errors(&pieces)[0].1.contains("larger than 50 bytes"));
    }
}
