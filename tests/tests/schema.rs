//! The published JSON Schema of the node facts format (`schema/node-facts.schema.json`) is
//! generated from the Rust types; this test fails when it is out of date. Regenerate it with
//! `STOCKADE_UPDATE_SCHEMA=1 cargo test -p stockade-tests --test schema`.

mod common;

use std::fs;

use stockade_core::facts::NodeFacts;

#[test]
fn the_node_facts_schema_is_current() {
    let schema = schemars::schema_for!(NodeFacts);
    let mut generated = serde_json::to_string_pretty(&schema).expect("schema serializes");
    generated.push('\n');
    let path = common::root().join("schema/node-facts.schema.json");
    if std::env::var_os("STOCKADE_UPDATE_SCHEMA").is_some() {
        fs::write(&path, &generated).expect("write schema");
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/node-facts.schema.json is out of date; regenerate it with STOCKADE_UPDATE_SCHEMA=1 cargo test -p stockade-tests --test schema"
    );
}

#[test]
fn collected_facts_validate_against_the_schema_shape() {
    // Every top-level field the collector writes is declared in the schema.
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(common::root().join("schema/node-facts.schema.json")).expect("schema"),
    )
    .expect("JSON");
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
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown fields are rejected, as the parser does"
    );
}
