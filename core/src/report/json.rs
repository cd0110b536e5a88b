//! The JSON report: the documented, stable contract.

use std::io::Write as _;

use super::Report;

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    // Serializing plain structs of strings and numbers cannot fail; fall back to an empty
    // object rather than panic if that ever changes.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned());
    out.push('\n');
    out
}

/// Writes the same bytes as [`render`] to a writer, without building the text in memory first
/// (a report of a large input can be hundreds of megabytes).
pub fn write(report: &Report, writer: impl std::io::Write) -> std::io::Result<()> {
    let mut writer = std::io::BufWriter::with_capacity(1 << 16, writer);
    serde_json::to_writer_pretty(&mut writer, report)?;
    writer.write_all(b"\n")?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn writing_gives_the_rendered_bytes() {
        let input = crate::Input {
            files: vec![crate::SourceFile {
                name: "p.yaml",
                text: "kind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: a}]\n",
            }],
            ..crate::Input::default()
        };
        let report = crate::evaluate(&input, &crate::Options::default());
        let mut bytes = Vec::new();
        super::write(&report, &mut bytes).expect("written");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            super::render(&report)
        );
    }
}
