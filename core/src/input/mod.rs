//! Reading input text: YAML with positions, manifests, and the pod model the checks read.

pub(crate) mod json_tree;
pub mod manifest;
pub mod pod;
pub mod serde_errors;
pub mod yaml;

/// One input file: its name (as the user should see it) and its text.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    /// The name shown in locations (a path, `<stdin>`, ...).
    pub name: &'a str,
    /// The content.
    pub text: &'a str,
}
