//! JUnit XML: one test suite per benchmark run, one test case per result, for CI systems that
//! show test reports. Input errors form their own suite.

use std::fmt::Write as _;

use super::{Report, Status};

/// Escapes text for XML attributes and content.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut suites: Vec<(String, Vec<&super::CheckResult>)> = Vec::new();
    for r in &report.results {
        match suites.iter_mut().find(|(name, _)| *name == r.benchmark) {
            Some((_, list)) => list.push(r),
            None => suites.push((r.benchmark.to_string(), vec![r])),
        }
    }
    let count = |list: &[&super::CheckResult], statuses: &[Status]| {
        list.iter().filter(|r| statuses.contains(&r.status)).count()
    };
    let failures = [Status::Fail, Status::Warn];
    let errors = [Status::Error];
    let skipped = [Status::Skip, Status::Manual];
    let input_errors = report.errors.iter().filter(|e| e.is_error()).count();
    let all: Vec<&super::CheckResult> = report.results.iter().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"stockade\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        all.len() + input_errors,
        count(&all, &failures),
        count(&all, &errors) + input_errors,
        count(&all, &skipped)
    );
    for (name, list) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            xml_escape(name),
            list.len(),
            count(list, &failures),
            count(list, &errors),
            count(list, &skipped)
        );
        for r in list {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{} {}{}\" file=\"{}\" line=\"{}\"",
                xml_escape(&r.resource.display()),
                xml_escape(&r.rule),
                xml_escape(&r.name),
                r.container
                    .as_ref()
                    .map(|c| format!(" [{}]", xml_escape(c)))
                    .unwrap_or_default(),
                xml_escape(&r.location.file),
                r.location.line
            );
            let body = format!(
                "{}:{}:{}: {}{}",
                r.location.file,
                r.location.line,
                r.location.column,
                r.message,
                if r.remediation.is_empty() {
                    String::new()
                } else {
                    format!("\nfix: {}", r.remediation)
                }
            );
            let element = match r.status {
                Status::Pass => None,
                Status::Fail | Status::Warn => Some("failure"),
                Status::Error => Some("error"),
                Status::Skip | Status::Manual | Status::Exempt => Some("skipped"),
            };
            match element {
                None => out.push_str("/>\n"),
                Some(tag) => {
                    let _ = writeln!(
                        out,
                        ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>",
                        xml_escape(&r.message),
                        r.severity.as_str(),
                        xml_escape(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if input_errors > 0 {
        let _ = writeln!(
            out,
            "  <testsuite name=\"input\" tests=\"{input_errors}\" failures=\"0\" errors=\"{input_errors}\" skipped=\"0\">"
        );
        for e in report.errors.iter().filter(|e| e.is_error()) {
            let _ = writeln!(
                out,
                "    <testcase classname=\"input\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <error message=\"{}\">{}:{}:{}: {}</error>\n    </testcase>",
                xml_escape(&e.file),
                xml_escape(&e.file),
                e.line,
                xml_escape(&e.message),
                xml_escape(&e.file),
                e.line,
                e.column,
                xml_escape(&e.message)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::xml_escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}"
        );
    }
}
