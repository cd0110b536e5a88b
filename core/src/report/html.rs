//! HTML: one self-contained page for auditors. Scores per benchmark and section with bars,
//! findings by severity with their place, message, fix, controls and node evidence, the
//! exemptions with reason and expiry, admission verdicts and input problems.
//!
//! The page loads nothing: styles and the small filter script are inline, and its Content
//! Security Policy (`default-src 'none'`) forbids every request, so a report opened from a CI
//! artifact cannot call home. Without the script (printing, a reader that blocks scripts) every
//! finding is shown. Like every renderer it is a pure function of the report: the same report
//! gives the same bytes.

use std::fmt::Write as _;

use super::{BaselineState, CheckResult, Finding, Report, Status, escape_controls};
use crate::vocab::Severity;

/// Escapes text for HTML content and attribute values (control characters made visible first,
/// as in every human format).
fn h(text: &str) -> String {
    super::junit::xml_escape(&escape_controls(text))
}

/// A multi-line text (a remediation that holds a file to write): kept as written.
fn block(text: &str) -> String {
    let lines: Vec<String> = text.split('\n').map(h).collect();
    if lines.len() > 1 {
        format!("<pre>{}</pre>", lines.join("\n"))
    } else {
        lines.concat()
    }
}

/// The statuses listed as findings, in the order of the status filter.
const LISTED: [Status; 5] = [
    Status::Fail,
    Status::Error,
    Status::Warn,
    Status::Manual,
    Status::Exempt,
];

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1b1f24; --muted: #4a5360; --line: #d0d7de; --bg: #ffffff;
  --panel: #f6f8fa; --fail: #a40e26; --warn: #7a4d00; --ok: #116329; --info: #0a4b9c; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
h4 { font-size: 1rem; margin: 0 0 .25rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
pre { white-space: pre-wrap; background: var(--panel); padding: .5rem; margin: .25rem 0; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
th { background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.summary { color: var(--muted); margin: 0; }
.bar { display: inline-block; width: 10rem; height: .8rem; background: #e6e9ed; border: 1px solid #8c959f; border-radius: 3px; vertical-align: middle; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--ok); }
.bar.low > span { background: var(--fail); }
.bar.mid > span { background: #bf8700; }
details { margin: .25rem 0; }
summary { cursor: pointer; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; background: var(--panel); padding: .75rem; border-radius: 6px; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0; padding: .25rem .75rem .5rem; }
fieldset label { margin-right: .75rem; white-space: nowrap; }
select { font: inherit; }
ol.findings { list-style: none; padding: 0; margin: 0; }
ol.findings > li { border: 1px solid var(--line); border-left-width: 6px; border-radius: 4px; padding: .6rem .8rem; margin: .5rem 0; }
ol.findings > li.fail, ol.findings > li.error { border-left-color: var(--fail); }
ol.findings > li.warn, ol.findings > li.manual { border-left-color: #bf8700; }
ol.findings > li.exempt { border-left-color: #8c959f; }
caption { text-align: left; }
.badge { display: inline-block; font-size: .8rem; font-weight: 600; padding: 0 .4rem; border-radius: 3px; border: 1px solid currentColor; text-transform: uppercase; }
.s-fail, .s-error { color: var(--fail); }
.s-warn, .s-manual { color: var(--warn); }
.s-exempt { color: var(--muted); }
.where, .controls { color: var(--muted); margin: .1rem 0; }
.message { margin: .25rem 0; }
.fix { margin: .25rem 0; }
.evidence { width: auto; }
.evidence th { width: 7rem; }
footer { color: var(--muted); padding: 2rem 1rem; }
[hidden] { display: none !important; }
:focus-visible { outline: 3px solid var(--info); outline-offset: 2px; }
@media print {
  .filters, #shown { display: none; }
  ol.findings > li, tr { break-inside: avoid; }
  body { font-size: 11pt; }
  details > * { display: block; }
}
"#;

/// Shows the findings that match every filter and says how many (a live region).
const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('filters');
  if (!form) { return; }
  form.hidden = false;
  function checked(name) {
    return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'),
      function (i) { return i.checked; }).map(function (i) { return i.value; });
  }
  function apply() {
    var statuses = checked('status'), severities = checked('severity');
    var bench = form.querySelector('select[name="benchmark"]').value;
    var shown = 0;
    document.querySelectorAll('section.severity').forEach(function (section) {
      var visible = 0;
      section.querySelectorAll('ol.findings > li').forEach(function (li) {
        var ok = statuses.indexOf(li.dataset.status) >= 0
          && severities.indexOf(li.dataset.severity) >= 0
          && (bench === '' || li.dataset.benchmarks.split(' ').indexOf(bench) >= 0);
        li.hidden = !ok;
        if (ok) { visible += 1; }
      });
      section.hidden = visible === 0;
      shown += visible;
    });
    document.getElementById('shown').textContent = shown + (shown === 1 ? ' finding shown' : ' findings shown');
  }
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  apply();
})();
"#;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A score as a bar and a number, readable without the bar.
fn bar(score: f64) -> String {
    let class = if score < 50.0 {
        " low"
    } else if score < 90.0 {
        " mid"
    } else {
        ""
    };
    format!(
        "<span class=\"bar{class}\" aria-hidden=\"true\"><span style=\"width:{score:.1}%\"></span></span> {score:.1}%"
    )
}

fn status_badge(status: Status) -> String {
    format!("<span class=\"badge s-{0}\">{0}</span>", status.as_str())
}

/// Renders the report as one HTML page.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let title = if s.fail > 0 {
        format!(
            "Stockade report: {} in {}",
            plural(s.fail, "failing check", "failing checks"),
            plural(s.resources, "resource", "resources")
        )
    } else {
        format!(
            "Stockade report: no failing checks in {}",
            plural(s.resources, "resource", "resources")
        )
    };
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    );
    let _ = writeln!(out, "<title>{}</title>", h(&title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");

    // Header: what was scanned and the counts.
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", h(&title));
    let benchmarks: Vec<&str> = report.benchmarks.iter().map(|b| b.id.as_str()).collect();
    let mut counts = vec![
        plural(s.files, "file", "files"),
        plural(s.resources, "resource", "resources"),
        format!("{} passed", s.pass),
        format!("{} failed", s.fail),
    ];
    counts.extend(
        s.other_counts()
            .into_iter()
            .map(|(n, what)| format!("{n} {what}")),
    );
    let _ = writeln!(
        out,
        "<p class=\"summary\">Benchmarks: {}. {}.</p>\n</header>\n<main>",
        h(&benchmarks.join(", ")),
        h(&counts.join(", "))
    );

    scores(report, &mut out);
    out.push_str(&super::fleet::html(report, &h));
    findings(report, &mut out);
    exemptions(report, &mut out);
    folded(report, &mut out);
    admission(report, &mut out);
    problems(report, &mut out);

    let _ = writeln!(
        out,
        "</main>\n<footer>Written by {} {}. This page makes no network request.</footer>",
        h(&report.tool.name),
        h(&report.tool.version)
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

fn scores(report: &Report, out: &mut String) {
    if report.scores.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"scores\">\n<h2 id=\"scores\">Scores</h2>\n");
    out.push_str(
        "<table>\n<caption class=\"summary\">A control scores the share of resources that pass it; a benchmark or section, the mean of its controls. Manual, skipped and exempt results do not count.</caption>\n<thead><tr><th scope=\"col\">Benchmark</th><th scope=\"col\">Score</th><th scope=\"col\" class=\"num\">Controls passed</th></tr></thead>\n<tbody>\n",
    );
    for score in &report.scores {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{} of {}</td></tr>",
            h(&score.benchmark),
            bar(score.score),
            score.controls_passed,
            score.controls
        );
    }
    out.push_str("</tbody>\n</table>\n");
    for score in report.scores.iter().filter(|s| !s.sections.is_empty()) {
        let _ = writeln!(
            out,
            "<details>\n<summary>Sections of {}</summary>\n<table>\n<thead><tr><th scope=\"col\">Section</th><th scope=\"col\">Score</th><th scope=\"col\" class=\"num\">Controls passed</th></tr></thead>\n<tbody>",
            h(&score.benchmark)
        );
        for section in &score.sections {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{} of {}</td></tr>",
                h(&section.section),
                bar(section.score),
                section.controls_passed,
                section.controls
            );
        }
        out.push_str("</tbody>\n</table>\n</details>\n");
    }
    out.push_str("</section>\n");
}

fn findings(report: &Report, out: &mut String) {
    let listed: Vec<Finding<'_>> = report
        .findings()
        .into_iter()
        .filter(|f| {
            LISTED.contains(&f.first.status)
                && f.first.baseline_state != Some(BaselineState::Unchanged)
        })
        .collect();
    out.push_str("<section aria-labelledby=\"findings\">\n<h2 id=\"findings\">Findings</h2>\n");
    if listed.is_empty() {
        out.push_str(
            "<p>Nothing to act on: no failing, warning, manual or exempt result.</p>\n</section>\n",
        );
        return;
    }
    // The filters work with the script only: without it they are hidden and all is shown.
    out.push_str(
        "<form id=\"filters\" class=\"filters\" aria-label=\"Filter the findings\" hidden>\n",
    );
    out.push_str("<fieldset><legend>Status</legend>\n");
    for status in LISTED {
        let n = listed.iter().filter(|f| f.first.status == status).count();
        if n > 0 {
            let _ = writeln!(
                out,
                "<label><input type=\"checkbox\" name=\"status\" value=\"{0}\" checked> {0} ({n})</label>",
                status.as_str()
            );
        }
    }
    out.push_str("</fieldset>\n<fieldset><legend>Severity</legend>\n");
    for severity in SEVERITIES {
        let n = listed
            .iter()
            .filter(|f| f.first.severity == severity)
            .count();
        if n > 0 {
            let _ = writeln!(
                out,
                "<label><input type=\"checkbox\" name=\"severity\" value=\"{0}\" checked> {0} ({n})</label>",
                severity.as_str()
            );
        }
    }
    out.push_str("</fieldset>\n<fieldset><legend>Benchmark</legend>\n<label>Run <select name=\"benchmark\">\n<option value=\"\">all</option>\n");
    for b in &report.benchmarks {
        let _ = writeln!(out, "<option>{}</option>", h(&b.id));
    }
    out.push_str("</select></label>\n</fieldset>\n</form>\n");
    let _ = writeln!(
        out,
        "<p id=\"shown\" role=\"status\">{}</p>",
        plural(listed.len(), "finding", "findings")
    );
    for severity in SEVERITIES {
        let of: Vec<&Finding<'_>> = listed
            .iter()
            .filter(|f| f.first.severity == severity)
            .collect();
        if of.is_empty() {
            continue;
        }
        let name = severity.as_str();
        let _ = writeln!(
            out,
            "<section class=\"severity\" aria-labelledby=\"sev-{name}\">\n<h3 id=\"sev-{name}\">Severity {name} ({})</h3>\n<ol class=\"findings\">",
            of.len()
        );
        for f in of {
            finding(f, out);
        }
        out.push_str("</ol>\n</section>\n");
    }
    out.push_str("</section>\n");
}

fn finding(f: &Finding<'_>, out: &mut String) {
    let r: &CheckResult = f.first;
    let runs: Vec<&str> = f.runs.iter().map(|r| r.benchmark.as_str()).collect();
    let _ = writeln!(
        out,
        "<li class=\"{0}\" data-status=\"{0}\" data-severity=\"{1}\" data-benchmarks=\"{2}\">",
        r.status.as_str(),
        r.severity.as_str(),
        h(&runs.join(" "))
    );
    let _ = writeln!(
        out,
        "<h4>{} <code>{}</code> {}</h4>",
        status_badge(r.status),
        h(&r.rule),
        h(&r.name)
    );
    let container = r
        .container
        .as_ref()
        .map(|c| format!(", container {}", h(c)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<p class=\"where\">{}{container} at <code>{}:{}:{}</code>{}</p>",
        h(&r.resource.display()),
        h(&r.location.file),
        r.location.line,
        r.location.column,
        r.location
            .helm_source
            .as_ref()
            .map(|s| format!(", rendered from <code>{}</code>", h(s)))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "<p class=\"message\">{}</p>", h(&r.message));
    if let Some(e) = &r.evidence {
        out.push_str("<table class=\"evidence\">\n<caption class=\"summary\">Evidence</caption>\n");
        for (what, value) in [
            ("Expected", &e.expected),
            ("Actual", &e.actual),
            ("Source", &e.source),
        ] {
            if let Some(v) = value {
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\">{what}</th><td>{}</td></tr>",
                    h(v)
                );
            }
        }
        out.push_str("</table>\n");
    }
    if let Some(x) = &r.exemption {
        let _ = writeln!(
            out,
            "<p class=\"fix\"><strong>Exempt</strong> (would be {}): {}{}. <span class=\"where\">{}</span></p>",
            x.status.as_str(),
            h(&x.reason),
            x.expires
                .as_ref()
                .map(|d| format!(", until {}", h(d)))
                .unwrap_or_default(),
            h(&x.source)
        );
    } else if !r.remediation.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"fix\"><strong>Fix:</strong> {}</div>",
            block(&r.remediation)
        );
    }
    let controls = f.controls();
    if !controls.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"controls\">Controls: {}</p>",
            h(&controls.join(", "))
        );
    }
    out.push_str("</li>\n");
}

fn exemptions(report: &Report, out: &mut String) {
    let exempt: Vec<_> = report
        .findings()
        .into_iter()
        .filter_map(|f| Some((f.first, f.first.exemption.as_ref()?)))
        .collect();
    if exempt.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"exemptions\">\n<h2 id=\"exemptions\">Exemptions</h2>\n<table>\n<thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Resource</th><th scope=\"col\">Reason</th><th scope=\"col\">Until</th><th scope=\"col\">Written in</th></tr></thead>\n<tbody>\n");
    for (r, x) in exempt {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&r.rule),
            h(&r.resource.display()),
            h(&x.reason),
            x.expires.as_deref().map_or("no expiry".to_owned(), h),
            h(&x.source)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn folded(report: &Report, out: &mut String) {
    if report.owned.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"owned\">\n<h2 id=\"owned\">Objects reported on their controller</h2>\n<p class=\"summary\">Objects read back from a cluster whose controller was scanned too: their verdicts that repeat the controller's are shown once, on the controller; what differs (an injected sidecar, a mutated field) stays on the object.</p>\n<table>\n<thead><tr><th scope=\"col\">Controller</th><th scope=\"col\">File</th><th scope=\"col\">Objects</th><th scope=\"col\" class=\"num\">Results folded</th></tr></thead>\n<tbody>\n");
    for f in &report.owned {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td></tr>",
            h(&f.owner.display()),
            h(&f.file),
            h(&f.describe_objects()),
            f.results
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn admission(report: &Report, out: &mut String) {
    if report.admission.is_empty() {
        return;
    }
    out.push_str("<section aria-labelledby=\"admission\">\n<h2 id=\"admission\">Pod Security Admission</h2>\n<p class=\"summary\">What the namespace labels in the input would make the API server do.</p>\n<table>\n<thead><tr><th scope=\"col\">Resource</th><th scope=\"col\">Where</th><th scope=\"col\">Effect</th><th scope=\"col\">Mode</th><th scope=\"col\">Message</th></tr></thead>\n<tbody>\n");
    for v in &report.admission {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}:{}</code></td><td>{}</td><td>{}={}:{}</td><td>{}</td></tr>",
            h(&v.resource.display()),
            h(&v.location.file),
            v.location.line,
            h(&v.effect),
            v.mode.as_str(),
            v.level.as_str(),
            h(&v.version),
            h(&v.message)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn problems(report: &Report, out: &mut String) {
    if report.errors.is_empty() {
        return;
    }
    out.push_str(
        "<section aria-labelledby=\"problems\">\n<h2 id=\"problems\">Input problems</h2>\n<ul>\n",
    );
    for e in &report.errors {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> <code>{}:{}:{}</code>: {}</li>",
            if e.is_error() { "error" } else { "warning" },
            h(&e.file),
            e.line,
            e.column,
            h(&e.message)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::{block, h};

    #[test]
    fn text_cannot_break_out_of_the_markup() {
        assert_eq!(
            h("<script>alert('x')</script> & \"q\"\u{1b}[2J"),
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot;\\x1b[2J"
        );
        assert_eq!(block("a\n<b>"), "<pre>a\n&lt;b&gt;</pre>");
        assert_eq!(block("one line"), "one line");
    }
}
