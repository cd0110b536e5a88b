//! Finding and reading input files.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use stockade_core::report::{ErrorLevel, InputError};

/// A file read into memory, or the reason it could not be.
pub struct Loaded {
    /// The name shown in reports.
    pub name: String,
    /// The text.
    pub text: String,
}

/// What the paths on the command line held.
#[derive(Default)]
pub struct Inputs {
    /// Files read, in a stable order.
    pub files: Vec<Loaded>,
    /// Files that could not be read.
    pub errors: Vec<InputError>,
    /// Largest file read, in bytes.
    max_size: u64,
}

impl Inputs {
    /// The files as the engine takes them.
    pub fn sources(&self) -> Vec<stockade_core::SourceFile<'_>> {
        self.files
            .iter()
            .map(|f| stockade_core::SourceFile {
                name: &f.name,
                text: &f.text,
            })
            .collect()
    }
}

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The policy file's name.
pub const POLICY_FILE: &str = "stockade.yaml";

/// Reads every path: `-` is stdin, a file is read whatever its extension, a directory is walked
/// recursively for `*.yaml`, `*.yml` and `*.json` in sorted order (symlink loops are cut).
/// Policy files (`stockade.yaml`) met while walking are configuration, not manifests: skipped.
///
/// A file larger than `max_size` bytes is an input error and is never read into memory.
pub fn load(paths: &[String], max_size: usize) -> Inputs {
    let mut inputs = Inputs {
        max_size: u64::try_from(max_size).unwrap_or(u64::MAX),
        ..Inputs::default()
    };
    for path in paths {
        if path == "-" {
            inputs.read_stdin();
            continue;
        }
        let p = Path::new(path);
        match fs::metadata(p) {
            Ok(meta) if meta.is_dir() => {
                let mut visited = BTreeSet::new();
                walk(p, &mut visited, &mut inputs);
            }
            Ok(_) => inputs.read_file(p),
            Err(e) => inputs.errors.push(file_error(path, &e.to_string())),
        }
    }
    inputs
}

fn walk(dir: &Path, visited: &mut BTreeSet<PathBuf>, inputs: &mut Inputs) {
    let Ok(real) = fs::canonicalize(dir) else {
        inputs.errors.push(file_error(
            &dir.display().to_string(),
            "cannot resolve directory",
        ));
        return;
    };
    if !visited.insert(real) {
        return; // a symlink loop or a directory reached twice
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            inputs
                .errors
                .push(file_error(&dir.display().to_string(), &e.to_string()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, visited, inputs),
            Ok(meta) if meta.is_file() => {
                let wanted = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e))
                    && path.file_name().is_none_or(|n| n != POLICY_FILE);
                if wanted {
                    inputs.read_file(&path);
                }
            }
            Ok(_) => {}
            Err(e) => inputs
                .errors
                .push(file_error(&path.display().to_string(), &e.to_string())),
        }
    }
}

impl Inputs {
    fn too_large(&mut self, name: &str) {
        self.errors.push(InputError {
            file: name.to_owned(),
            line: 0,
            column: 0,
            message: format!(
                "larger than {} bytes (maxFileSize): not scanned; raise maxFileSize in \
                 stockade.yaml to scan it",
                self.max_size
            ),
            level: ErrorLevel::Error,
        });
    }

    /// Reads at most one byte more than the limit, so that a stream without a known size (a
    /// pipe, a device) cannot exhaust memory either. `size` (a regular file's length) sizes the
    /// buffer once: growing it by doubling left up to half of it unused, and the texts are kept
    /// for the whole scan.
    fn read_bounded(&mut self, name: String, reader: impl Read, size: Option<u64>) {
        let exact = size
            .filter(|s| *s <= self.max_size)
            .and_then(|s| usize::try_from(s).ok());
        // One byte more than the length: reading it tells that the end was reached.
        let mut bytes = Vec::with_capacity(exact.map_or(0, |s| s.saturating_add(1)));
        match reader
            .take(self.max_size.saturating_add(1))
            .read_to_end(&mut bytes)
        {
            Ok(n) if u64::try_from(n).unwrap_or(u64::MAX) > self.max_size => self.too_large(&name),
            Ok(_) => {
                bytes.shrink_to_fit();
                self.push_text(name, bytes);
            }
            Err(e) => self.errors.push(file_error(&name, &e.to_string())),
        }
    }

    fn read_stdin(&mut self) {
        self.read_bounded("<stdin>".to_owned(), std::io::stdin().lock(), None);
    }

    fn read_file(&mut self, path: &Path) {
        let name = path.display().to_string();
        let file = match fs::File::open(path) {
            Ok(file) => file,
            Err(e) => return self.errors.push(file_error(&name, &e.to_string())),
        };
        let size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        if size.is_some_and(|len| len > self.max_size) {
            return self.too_large(&name);
        }
        self.read_bounded(name, file, size);
    }

    fn push_text(&mut self, name: String, bytes: Vec<u8>) {
        let position = |prefix: &[u8]| {
            let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
            let column = prefix.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            (
                u32::try_from(line).unwrap_or(u32::MAX),
                u32::try_from(column).unwrap_or(u32::MAX),
            )
        };
        match String::from_utf8(bytes) {
            Ok(text) => match text.find('\0') {
                Some(at) => {
                    let (line, column) = position(text.as_bytes().get(..at).unwrap_or_default());
                    self.errors.push(InputError {
                        file: name,
                        line,
                        column,
                        message: "binary file (a NUL byte here); not scanned".to_owned(),
                        level: ErrorLevel::Error,
                    });
                }
                None => self.files.push(Loaded { name, text }),
            },
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let (line, column) = position(e.as_bytes().get(..at).unwrap_or_default());
                self.errors.push(InputError {
                    file: name,
                    line,
                    column,
                    message: format!("not UTF-8 text (invalid byte at offset {at}); not scanned"),
                    level: ErrorLevel::Error,
                });
            }
        }
    }
}

fn file_error(name: &str, message: &str) -> InputError {
    InputError {
        file: name.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot read: {message}"),
        level: ErrorLevel::Error,
    }
}
