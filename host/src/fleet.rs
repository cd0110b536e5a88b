//! Reading many nodes' facts as a stream: `--facts DIR` (every `*.json` below it), a file of
//! JSON lines or concatenated documents, or `-` (stdin, e.g. `kubectl logs ... | stockade scan
//! --facts -`).
//!
//! Files are read one line at a time into the core's splitter, which hands back each document as
//! soon as it is complete; the engine evaluates documents in small batches and keeps only their
//! results. So memory holds a batch of documents' text, never the whole fleet's.

use std::collections::{BTreeSet, VecDeque};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use stockade_core::facts::stream::{Piece, Splitter};
use stockade_core::report::{ErrorLevel, InputError};

/// The bytes read at most at once from a line: a longer line is handed to the splitter in
/// parts, so that a line without an end cannot exhaust memory.
const CHUNK: u64 = 1 << 20;

/// The facts inputs, read lazily, in order: each path's documents as an iterator of pieces.
pub struct FactsReader {
    pending: VecDeque<Piece>,
    /// Files (or `-`) still to open.
    queue: VecDeque<(String, Option<PathBuf>)>,
    current: Option<Current>,
    max_size: usize,
}

struct Current {
    name: String,
    reader: Box<dyn BufRead>,
    splitter: Splitter,
    line: u32,
}

/// Every path to read: `-` is stdin; a directory gives its `*.json` files, recursively, in
/// sorted order; anything else is a file. Directories that cannot be listed are errors.
pub fn reader(paths: &[String], max_size: usize) -> FactsReader {
    let mut queue = VecDeque::new();
    let mut pending = VecDeque::new();
    for path in paths {
        if path == "-" {
            queue.push_back(("<stdin>".to_owned(), None));
            continue;
        }
        let p = Path::new(path);
        if p.is_dir() {
            let mut found = Vec::new();
            let mut visited = BTreeSet::new();
            walk(p, &mut visited, &mut found, &mut pending);
            queue.extend(
                found
                    .into_iter()
                    .map(|f| (f.display().to_string(), Some(f))),
            );
        } else {
            queue.push_back((path.clone(), Some(p.to_path_buf())));
        }
    }
    FactsReader {
        pending,
        queue,
        current: None,
        max_size,
    }
}

fn walk(
    dir: &Path,
    visited: &mut BTreeSet<PathBuf>,
    found: &mut Vec<PathBuf>,
    errors: &mut VecDeque<Piece>,
) {
    let error = |path: &Path, message: String| {
        Piece::Error(InputError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message,
            level: ErrorLevel::Error,
        })
    };
    match fs::canonicalize(dir) {
        Ok(real) => {
            if !visited.insert(real) {
                return; // a symlink loop
            }
        }
        Err(e) => {
            errors.push_back(error(dir, format!("cannot resolve directory: {e}")));
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push_back(error(dir, format!("cannot list directory: {e}")));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, visited, found, errors);
        } else if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            found.push(path);
        }
    }
}

impl FactsReader {
    fn open_next(&mut self) -> bool {
        let Some((name, path)) = self.queue.pop_front() else {
            return false;
        };
        let reader: Box<dyn BufRead> = match path {
            None => Box::new(BufReader::new(std::io::stdin())),
            Some(path) => match fs::File::open(&path) {
                Ok(file) => Box::new(BufReader::with_capacity(1 << 16, file)),
                Err(e) => {
                    self.pending.push_back(Piece::Error(InputError {
                        file: name,
                        line: 0,
                        column: 0,
                        message: format!("cannot read: {e}"),
                        level: ErrorLevel::Error,
                    }));
                    return true;
                }
            },
        };
        let mut reader = reader;
        // YAML facts (anything that does not start with `{`) are one document, read whole as
        // before.
        let json = match reader.fill_buf() {
            Ok(head) => head
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_none_or(|b| *b == b'{'),
            Err(_) => true,
        };
        if !json {
            self.pending
                .push_back(read_whole(&name, reader, self.max_size));
            return true;
        }
        self.current = Some(Current {
            splitter: Splitter::new(&name, self.max_size),
            name,
            reader,
            line: 1,
        });
        true
    }

    /// Reads from the current file until it gives a piece or ends.
    fn read_current(&mut self) {
        let Some(current) = &mut self.current else {
            return;
        };
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let read = (&mut current.reader)
                .take(CHUNK)
                .read_until(b'\n', &mut buf);
            match read {
                Ok(0) => break,
                Ok(_) => {
                    let ends_line = buf.last() == Some(&b'\n');
                    if ends_line {
                        buf.pop();
                    }
                    let text = match std::str::from_utf8(&buf) {
                        Ok(text) => std::borrow::Cow::Borrowed(text),
                        Err(_) => {
                            self.pending.push_back(Piece::Error(InputError {
                                file: current.name.clone(),
                                line: current.line,
                                column: 0,
                                message: "node facts: the line is not UTF-8 (invalid bytes \
                                          are read as U+FFFD)"
                                    .to_owned(),
                                level: ErrorLevel::Error,
                            }));
                            String::from_utf8_lossy(&buf)
                        }
                    };
                    if ends_line {
                        current.line = current.line.saturating_add(1);
                    }
                    self.pending.extend(current.splitter.push(&text, ends_line));
                    if !self.pending.is_empty() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.pending.push_back(Piece::Error(InputError {
                        file: current.name.clone(),
                        line: current.line,
                        column: 0,
                        message: format!("cannot read: {e}"),
                        level: ErrorLevel::Error,
                    }));
                    break;
                }
            }
        }
        if let Some(current) = self.current.take() {
            self.pending.extend(current.splitter.finish());
        }
    }
}

impl Iterator for FactsReader {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        loop {
            if let Some(piece) = self.pending.pop_front() {
                return Some(piece);
            }
            if self.current.is_some() {
                self.read_current();
            } else if !self.open_next() {
                return None;
            }
        }
    }
}

/// A whole file as one document, at most `max_size` bytes.
fn read_whole(name: &str, reader: Box<dyn BufRead>, max_size: usize) -> Piece {
    let error = |message: String| {
        Piece::Error(InputError {
            file: name.to_owned(),
            line: 0,
            column: 0,
            message,
            level: ErrorLevel::Error,
        })
    };
    let mut text = String::new();
    let limit = u64::try_from(max_size)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    match reader.take(limit).read_to_string(&mut text) {
        Ok(n) if n > max_size => error(format!(
            "larger than {max_size} bytes (maxFileSize): not scanned; raise maxFileSize in \
             stockade.yaml to scan it"
        )),
        Ok(_) => Piece::Document(stockade_core::facts::stream::Document {
            file: name.to_owned(),
            text,
            first_line: 1,
        }),
        Err(e) => error(format!("cannot read: {e}")),
    }
}
