//! A well-behaved plugin for a contract version this Stockade does not know: it must be
//! refused with a clear error, not misread.

wit_bindgen::generate!({ path: "wit", world: "rule-plugin" });

use exports::stockade::plugin::rule::Guest;
use stockade::plugin::types::{Evaluation, Finding, PluginMetadata};

struct Future;

impl Guest for Future {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "future".to_owned(),
            version: "9.0.0".to_owned(),
            rules: Vec::new(),
        }
    }

    fn validate_settings(_settings: String) -> Result<(), String> {
        Ok(())
    }

    fn evaluate(_input: Evaluation) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}

export!(Future);
