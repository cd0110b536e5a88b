//! The core is layered: each module may use only the modules of the layers below it (and its
//! own). This test reads every source file and fails on an arrow that points up, so the
//! structure stays visible and cannot drift back into one circle of modules.
//!
//! From the bottom:
//!
//! | layer | modules | what it is |
//! |---|---|---|
//! | 0 | `vocab` | the shared words: Severity, Status, Level, Date, Pos, Location, ResourceRef, Control, InputError, slug |
//! | 1 | `input` | YAML with positions, manifests, the pod model, located serde errors |
//! | 2 | `facts`, `images` | node facts and the collection plan; image reports |
//! | 3 | `rules` | the rules and their table (`RULES`) |
//! | 4 | `benchmarks` | benchmarks as data and their evaluators; each declares the node files it reads |
//! | 5 | `registry` | the catalog and `explain`: every rule and check described |
//! | 6 | `report` | the report model, scores and renderers |
//! | 7 | `owners`, `plugins`, `fix` | folding owned objects; plugin findings mapped into the report; fixes as text edits and JSON Patches |
//! | 8 | `policy` | the policy file: selection, settings, exemptions, baselines, gates |
//! | 9 | `engine` | `evaluate`: inputs gathered, objects evaluated, cross-object checks, nodes, merge |
//! | 10 | `admission` | an AdmissionRequest in, a decision out, through `evaluate` |
//!
//! Test code (`#[cfg(test)] mod tests`) may use anything.

// A test of the source tree: it reads the core's own files.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::path::{Path, PathBuf};

const LAYERS: &[&[&str]] = &[
    &["vocab"],
    &["input"],
    &["facts", "images"],
    &["rules"],
    &["benchmarks"],
    &["registry"],
    &["report"],
    &["owners", "plugins", "fix"],
    &["policy"],
    &["engine"],
    &["admission"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The crate's top-level modules a source text names (`crate::x`, `crate::{x, y::z}`),
/// outside its test module.
fn uses(text: &str) -> Vec<String> {
    let text = text
        .find("#[cfg(test)]\nmod ")
        .map_or(text, |at| &text[..at]);
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn every_arrow_between_core_modules_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut up = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if first == "lib" {
            continue;
        }
        let Some(own) = layer_of(&first) else {
            unplaced.push(first);
            continue;
        };
        let text = fs::read_to_string(file).expect("read a source file");
        for used in uses(&text) {
            // Items re-exported at the crate root (`crate::evaluate`) and macros are not modules.
            let Some(layer) = layer_of(&used) else {
                continue;
            };
            if layer > own {
                up.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(unplaced.is_empty(), "modules not in a layer: {unplaced:?}");
    up.sort();
    up.dedup();
    assert!(
        up.is_empty(),
        "arrows pointing up (see the table in core/tests/layers.rs):\n{}",
        up.join("\n")
    );
}

#[test]
fn the_reader_finds_grouped_and_plain_uses() {
    let text = "use crate::vocab::Status;\nuse crate::{input::yaml, report};\n\
                fn f() { crate::engine::evaluate(); }\n#[cfg(test)]\nmod tests { use crate::admission; }";
    assert_eq!(uses(text), ["vocab", "input", "report", "engine"]);
}
