//! The published JSON Schemas (`schema/*.schema.json`) are generated from the Rust types; this
//! test fails when one is out of date. Regenerate them with
//! `STOCKADE_UPDATE_SCHEMA=1 cargo test -p stockade-tests --test schema`.
//! The npm package's TypeScript declarations are generated from these schemas.

mod common;

use std::fs;

use stockade_core::facts::NodeFacts;
use stockade_core::{OptionsSpec, Report, RuleInfo};

fn schemas() -> Vec<(&'static str, schemars::Schema)> {
    vec![
        ("node-facts", schemars::schema_for!(NodeFacts)),
        ("report", schemars::schema_for!(Report)),
        ("options", schemars::schema_for!(OptionsSpec)),
        ("rule-info", schemars::schema_for!(RuleInfo)),
        (
            "benchmark-info",
            schemars::schema_for!(stockade_core::benchmarks::BenchmarkInfo),
        ),
    ]
}

#[test]
fn the_published_schemas_are_current() {
    let update = std::env::var_os("STOCKADE_UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, schema) in schemas() {
        let mut generated = serde_json::to_string_pretty(&schema).expect("schema serializes");
        generated.push('\n');
        let path = common::root().join(format!("schema/{name}.schema.json"));
        if update {
            fs::write(&path, &generated).expect("write schema");
        }
        if fs::read_to_string(&path).unwrap_or_default() != generated {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with STOCKADE_UPDATE_SCHEMA=1 cargo test -p stockade-tests --test schema"
    );
}

#[test]
fn the_facts_schema_declares_every_field_and_rejects_unknown_ones() {
    let schema = serde_json::to_value(schemars::schema_for!(NodeFacts)).expect("JSON");
    let properties = schema["properties"].as_object().expect("properties");
    for key in [
        "apiVersion",
        "kind",
        "node",
        "kubernetes",
        "os",
        "processes",
        "files",
        "errors",
    ] {
        assert!(properties.contains_key(key), "schema lacks {key}");
    }
    assert_eq!(schema["additionalProperties"], false);
}
