//! Markdown: a summary for pull request comments. Scores first, then the failures (most severe
//! first, capped so that a comment stays readable), admission verdicts and input errors.

use std::fmt::Write as _;

use super::{Report, Status};

/// Failures listed before the rest is summarised.
const MAX_ROWS: usize = 50;

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    super::escape_controls(&text.replace('\n', " "))
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let verdict = if s.fail > 0 {
        format!(
            "{} failing check{} in {} resources",
            s.fail,
            if s.fail == 1 { "" } else { "s" },
            s.resources
        )
    } else {
        format!("no failing checks in {} resources", s.resources)
    };
    let _ = writeln!(out, "## Stockade: {verdict}\n");
    if !report.scores.is_empty() {
        out.push_str(
            "| Benchmark | Score | Controls passed | Passed | Failed | Manual | Exempt |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        for score in &report.scores {
            let of = |status: Status| {
                report
                    .results
                    .iter()
                    .filter(|r| r.benchmark == score.benchmark && r.status == status)
                    .count()
            };
            let _ = writeln!(
                out,
                "| {} | {:.1}% | {}/{} | {} | {} | {} | {} |",
                cell(&score.benchmark),
                score.score,
                score.controls_passed,
                score.controls,
                of(Status::Pass),
                of(Status::Fail),
                of(Status::Manual),
                of(Status::Exempt)
            );
            // The DISA STIG is scored per severity category as well (its sections).
            if score.benchmark.starts_with("k8s-stig") {
                for section in &score.sections {
                    let of = |status: Status| {
                        report
                            .results
                            .iter()
                            .filter(|r| r.benchmark == score.benchmark && r.status == status)
                            .filter(|r| {
                                r.controls.iter().any(|c| {
                                    crate::benchmarks::k8s_stig::category_of(&c.id)
                                        == Some(section.section.as_str())
                                })
                            })
                            .count()
                    };
                    let _ = writeln!(
                        out,
                        "| {} {} | {:.1}% | {}/{} | {} | {} | {} | {} |",
                        cell(&score.benchmark),
                        cell(&section.section),
                        section.score,
                        section.controls_passed,
                        section.controls,
                        of(Status::Pass),
                        of(Status::Fail),
                        of(Status::Manual),
                        of(Status::Exempt)
                    );
                }
            }
        }
        out.push('\n');
    }
    out.push_str(&super::fleet::markdown(report, &cell));
    // One row per finding, however many benchmark runs report it.
    let mut failures: Vec<super::Finding<'_>> = report
        .findings()
        .into_iter()
        .filter(|f| {
            f.first.status.is_problem()
                && f.first.baseline_state != Some(super::BaselineState::Unchanged)
        })
        .collect();
    // Most severe first; input order otherwise (a stable sort keeps it).
    failures.sort_by_key(|f| std::cmp::Reverse(f.first.severity));
    if !failures.is_empty() {
        out.push_str("### Findings\n\n");
        out.push_str(
            "| Severity | Rule | Resource | Where | Finding | Benchmarks |\n|---|---|---|---|---|---|\n",
        );
        for f in failures.iter().take(MAX_ROWS) {
            let r = f.first;
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | `{}:{}` | {} | {} |",
                r.severity.as_str(),
                cell(&r.rule),
                cell(&r.resource.display()),
                cell(&r.location.file),
                r.location.line,
                cell(&r.message),
                cell(&f.runs())
            );
        }
        if failures.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "\n…and {} more; the full list is in the JSON or SARIF report.",
                failures.len() - MAX_ROWS
            );
        }
        out.push('\n');
    }
    let fixes: Vec<_> = failures
        .iter()
        .filter_map(|f| Some((f.first, f.first.fix.as_deref()?)))
        .collect();
    if !fixes.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Suggested fixes ({}; `stockade fix` applies them)</summary>\n",
            fixes.len()
        );
        for (r, fix) in fixes.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "- `{}` {} (`{}:{}`): {}\n\n  ```diff",
                cell(&r.rule),
                cell(&r.resource.display()),
                cell(&r.location.file),
                r.location.line,
                cell(&fix.description)
            );
            for e in &fix.edits {
                let inserted = e.new_text.trim_end_matches(['\n', '\r']);
                if e.start == e.end {
                    let _ = writeln!(
                        out,
                        "  @@ insert at line {}, column {} @@",
                        e.start.line, e.start.column
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "  @@ replace line {}, column {} to line {}, column {} @@",
                        e.start.line, e.start.column, e.end.line, e.end.column
                    );
                }
                for line in inserted.lines().filter(|_| !inserted.is_empty()) {
                    let _ = writeln!(
                        out,
                        "  +{}",
                        crate::report::escape_controls(line.trim_end_matches('\r'))
                    );
                }
            }
            out.push_str("  ```\n");
        }
        out.push_str("\n</details>\n\n");
    }
    if s.unchanged > 0 {
        let _ = writeln!(
            out,
            "{} finding{} already in the baseline {} not listed.\n",
            s.unchanged,
            if s.unchanged == 1 { "" } else { "s" },
            if s.unchanged == 1 { "is" } else { "are" }
        );
    }
    let exempt: Vec<_> = report
        .findings()
        .into_iter()
        .filter_map(|f| Some((f.first, f.first.exemption.as_ref()?)))
        .collect();
    if !exempt.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Exemptions ({})</summary>\n\n| Rule | Resource | Reason | Until | Source |\n|---|---|---|---|---|",
            exempt.len()
        );
        for (r, e) in exempt.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell(&r.rule),
                cell(&r.resource.display()),
                cell(&e.reason),
                e.expires.as_deref().map_or("—".to_owned(), cell),
                cell(&e.source)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let denied: Vec<_> = report.admission.iter().filter(|v| !v.allowed).collect();
    if !denied.is_empty() {
        out.push_str("<details><summary>Pod Security Admission</summary>\n\n");
        for v in denied {
            let _ = writeln!(
                out,
                "- **{}** in `{}` ({} {}:{}): {}",
                cell(&v.resource.display()),
                cell(&v.namespace),
                v.mode.as_str(),
                v.level.as_str(),
                cell(&v.version),
                cell(&v.message)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    if !report.errors.is_empty() {
        out.push_str("### Input problems\n\n");
        for e in &report.errors {
            let _ = writeln!(
                out,
                "- `{}:{}:{}` ({}): {}",
                cell(&e.file),
                e.line,
                e.column,
                if e.is_error() { "error" } else { "warning" },
                cell(&e.message)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "<sub>Stockade {} · {} passed, {} failed, {} manual, {} exempt, {} skipped</sub>",
        report.tool.version, s.pass, s.fail, s.manual, s.exempt, s.skip
    );
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
    }
}
