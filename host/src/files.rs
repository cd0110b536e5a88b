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
pub fn load(paths: &[String]) -> Inputs {
    let mut inputs = Inputs::default();
    for path in paths {
        if path == "-" {
            read_stdin(&mut inputs);
            continue;
        }
        let p = Path::new(path);
        match fs::metadata(p) {
            Ok(meta) if meta.is_dir() => {
                let mut visited = BTreeSet::new();
                walk(p, &mut visited, &mut inputs);
            }
            Ok(_) => read_file(p, &mut inputs),
            Err(e) => inputs.errors.push(file_error(path, &e.to_string())),
        }
    }
    inputs
}

/// Reads each path as one file (`-` is stdin), whatever its extension; directories are errors.
pub fn load_files(paths: &[String]) -> Inputs {
    let mut inputs = Inputs::default();
    for path in paths {
        if path == "-" {
            read_stdin(&mut inputs);
        } else {
            read_file(Path::new(path), &mut inputs);
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
                    read_file(&path, inputs);
                }
            }
            Ok(_) => {}
            Err(e) => inputs
                .errors
                .push(file_error(&path.display().to_string(), &e.to_string())),
        }
    }
}

fn read_stdin(inputs: &mut Inputs) {
    let mut bytes = Vec::new();
    match std::io::stdin().read_to_end(&mut bytes) {
        Ok(_) => push_text(inputs, "<stdin>".to_owned(), bytes),
        Err(e) => inputs.errors.push(file_error("<stdin>", &e.to_string())),
    }
}

fn read_file(path: &Path, inputs: &mut Inputs) {
    let name = path.display().to_string();
    match fs::read(path) {
        Ok(bytes) => push_text(inputs, name, bytes),
        Err(e) => inputs.errors.push(file_error(&name, &e.to_string())),
    }
}

fn push_text(inputs: &mut Inputs, name: String, bytes: Vec<u8>) {
    match String::from_utf8(bytes) {
        Ok(text) if text.contains('\0') => inputs.errors.push(file_error(
            &name,
            "binary file (contains NUL bytes); not scanned",
        )),
        Ok(text) => inputs.files.push(Loaded { name, text }),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = e.as_bytes().get(..at).unwrap_or_default();
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            inputs.errors.push(InputError {
                file: name,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
                message: format!("not UTF-8 text (invalid byte at offset {at}); not scanned"),
                level: ErrorLevel::Error,
            });
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
