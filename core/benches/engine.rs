//! The engine's speed on the shared corpus replicated to about 10,000 documents: parsing alone
//! (the floor: reading the YAML and finding the objects) against parsing and evaluating every
//! manifest benchmark; and the CIS benchmark on 100 nodes' facts. `bench/run.sh` runs these and
//! reports them in `bench/RESULTS.md`.

// Benchmarks read their inputs from disk; the no-I/O rule (clippy.toml) is for the library.
#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stockade_core::input::manifest::parse_manifests;
use stockade_core::input::yaml::Limits;
use stockade_core::{Input, Options, SourceFile, evaluate};

// The allocator the CLI uses, so that these figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

/// The corpus, replicated until it holds at least 10,000 documents: (name, text) pairs.
fn corpus() -> (Vec<(String, String)>, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| (p.display().to_string(), fs::read_to_string(p).unwrap()))
        .collect();
    let docs_per_copy: usize = files
        .iter()
        .map(|(n, t)| parse_manifests(n, t, Limits::default()).documents)
        .sum();
    let copies = 10_000usize.div_ceil(docs_per_copy.max(1));
    let mut all = Vec::new();
    for copy in 0..copies {
        for (name, text) in &files {
            all.push((format!("copy-{copy}/{name}"), text.clone()));
        }
    }
    (all, docs_per_copy * copies)
}

fn manifests(c: &mut Criterion) {
    let (files, documents) = corpus();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    println!(
        "corpus: {} files, {documents} documents, {bytes} bytes",
        files.len()
    );
    let mut group = c.benchmark_group("corpus-10k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|(n, t)| parse_manifests(n, t, Limits::default()).resources.len())
                .sum::<usize>()
        })
    });
    let input = Input {
        files: files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect(),
        ..Input::default()
    };
    let options = Options {
        benchmarks: [
            "pss-baseline",
            "pss-restricted",
            "cis-k8s",
            "nsa-cisa",
            "image-hygiene",
        ]
        .iter()
        .map(|b| b.parse().unwrap())
        .collect(),
        ..Options::default()
    };
    group.bench_function("evaluate", |b| {
        b.iter(|| evaluate(&input, &options).results.len())
    });
    group.finish();
}

fn nodes(c: &mut Criterion) {
    let facts = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/node-facts/cp-1.json"),
    )
    .unwrap();
    let names: Vec<String> = (0..100).map(|i| format!("node-{i}.json")).collect();
    let input = Input {
        facts: names
            .iter()
            .map(|name| SourceFile { name, text: &facts })
            .collect(),
        ..Input::default()
    };
    let options = Options {
        benchmarks: vec!["cis-k8s".parse().unwrap()],
        ..Options::default()
    };
    let mut group = c.benchmark_group("facts");
    group.sample_size(10);
    group.bench_function("cis-100-nodes", |b| {
        b.iter(|| evaluate(&input, &options).results.len())
    });
    group.finish();
}

criterion_group!(benches, manifests, nodes);
criterion_main!(benches);
