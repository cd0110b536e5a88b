//! Embeds `metadata.yml` in the policy module the way Kubewarden's tools read it (what
//! `kwctl annotate` does): a custom section `io.kubewarden.metadata` holding the metadata as
//! JSON, with the `protocolVersion` the module itself reports. An existing section is replaced.
//!
//! `annotate POLICY.wasm METADATA.yml OUTPUT.wasm`

use anyhow::{Context, Result, bail};
use serde_json::Value;
use stockade_admission_harness::{Policy, metadata_section, with_custom_section};
use stockade_core::input::yaml::{Limits, parse_document};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [module, metadata, output] = args.as_slice() else {
        bail!("usage: annotate POLICY.wasm METADATA.yml OUTPUT.wasm");
    };
    let bytes = std::fs::read(module).with_context(|| format!("reading {module}"))?;
    let text = std::fs::read_to_string(metadata).with_context(|| format!("reading {metadata}"))?;
    let (node, errors) = parse_document(&text, 0, Limits::default());
    if let Some(e) = errors.first() {
        bail!("{metadata}:{}:{}: {}", e.pos.line, e.pos.column, e.message);
    }
    let mut json = node.map(|n| n.to_json()).unwrap_or(Value::Null);
    let Some(fields) = json.as_object_mut() else {
        bail!("{metadata}: expected a mapping");
    };
    let version = Policy::from_bytes(&bytes)?.protocol_version()?;
    fields.insert("protocolVersion".to_owned(), version);
    let annotated = with_custom_section(&bytes, metadata_section(), &serde_json::to_vec(&json)?)?;
    std::fs::write(output, annotated).with_context(|| format!("writing {output}"))?;
    eprintln!("annotated {module} with {metadata} -> {output}");
    Ok(())
}
