//! Reading input text: YAML with positions, manifests, and the pod model the checks read.

pub mod manifest;
pub mod pod;
pub mod yaml;
