//! The rule and check reference under `docs/rules/` is generated from the rules' doc comments
//! (the same text `stockade explain` prints) and the benchmark data, as ruff generates its rule
//! pages; this test fails when a page is out of date, missing or left over. Regenerate with
//! `STOCKADE_UPDATE_DOCS=1 cargo nextest run -p stockade-tests -E 'binary(rule_docs)'`.
//!
//! - `docs/rules/README.md`: the index (benchmarks, PSA checks, manifest rules, node benchmarks).
//! - `docs/rules/<CODE>.md`: one page per manifest rule (PSS, RBAC, WKL, IMG, NET).
//! - `docs/rules/<benchmark>.md`: one page per node benchmark and per family of manual controls,
//!   every check a section (CIS Kubernetes sections 1-4 and its manual controls, CIS Ubuntu,
//!   containerd, NSA/CISA, image hygiene on nodes).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;

use stockade_core::registry::RuleInfo;
use stockade_core::rules::RuleKind;
use stockade_core::{RULES, catalog};

const GENERATED: &str = "<!-- Generated from the rules' doc comments and the benchmark data by \
tests/tests/rule_docs.rs; do not edit. Regenerate with \
`STOCKADE_UPDATE_DOCS=1 cargo nextest run -p stockade-tests -E 'binary(rule_docs)'`. -->";

/// A table cell: one line, no unescaped `|`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn controls(info: &RuleInfo) -> String {
    info.controls
        .iter()
        .map(|c| format!("{} {}", c.benchmark, c.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Markdown with every heading outside code fences one level deeper.
fn demote(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 64);
    let mut fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if !fence && line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn rule_page(info: &RuleInfo) -> String {
    let rule = RULES.iter().find(|r| r.code == info.code);
    let mut page = format!("# {} {}\n\n{GENERATED}\n\n", info.code, info.name);
    let _ = writeln!(page, "{}\n", info.title);
    page.push_str("| | |\n|---|---|\n");
    let _ = writeln!(page, "| family | {} |", info.benchmark);
    let _ = writeln!(page, "| severity | {} |", info.severity.as_str());
    if let Some(RuleKind::Pss(check)) = rule.map(|r| &r.kind) {
        let _ = writeln!(
            page,
            "| PSA check | `{}` ({}, from policy version v1.{}) |",
            check.id,
            check.level.as_str(),
            check.since
        );
    }
    let _ = writeln!(page, "| controls | {} |", cell(&controls(info)));
    let _ = writeln!(page, "| fix | {} |", cell(&info.remediation));
    if info.fixable {
        let _ = writeln!(
            page,
            "| mechanical fix | [`stockade fix`](../fix.md) applies it; results carry it as `fix` |"
        );
    }
    let _ = writeln!(
        page,
        "\nIn the CLI: `stockade explain {}`. [All rules](README.md).\n",
        info.code
    );
    page.push_str(&info.documentation);
    page
}

/// The rules and checks of other families that decide controls of benchmark `id` (a CIS check
/// decides the DISA STIG rule that asks the same; PSS003 decides CIS 5.2.2): each with the
/// control it decides.
fn decided_elsewhere<'a>(id: &str, catalog: &'a [RuleInfo]) -> Vec<(String, &'a RuleInfo)> {
    let mut out = Vec::new();
    for info in catalog.iter().filter(|i| i.benchmark != id) {
        for c in &info.controls {
            if c.benchmark.split('@').next() == Some(id) {
                out.push((c.id.to_string(), info));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
    out
}

/// Where a rule's documentation is: its own page, or its section of a benchmark page.
fn link(info: &RuleInfo) -> String {
    if RULES.iter().any(|r| r.code == info.code) {
        format!("[{code}]({code}.md)", code = info.code)
    } else {
        format!("[{code}]({}.md#{code})", info.benchmark, code = info.code)
    }
}

fn benchmark_page(id: &str, title: &str, checks: &[&RuleInfo], catalog: &[RuleInfo]) -> String {
    let mut page = format!("# {title}\n\n{GENERATED}\n\n");
    let elsewhere = decided_elsewhere(id, catalog);
    let _ = writeln!(
        page,
        "{} checks and controls of its own under `-b {id}`{}. [All rules](README.md).\n",
        checks.len(),
        if elsewhere.is_empty() {
            String::new()
        } else {
            format!(
                ", and {} controls decided by a rule or check of another family (listed after \
                 them)",
                elsewhere.len()
            )
        }
    );
    page.push_str("| code | title | severity | mechanical fix |\n|---|---|---|---|\n");
    for info in checks {
        let _ = writeln!(
            page,
            "| [{code}](#{code}) | {} | {} | {} |",
            cell(&info.title),
            info.severity.as_str(),
            if info.fixable {
                "[`stockade fix`](../fix.md)"
            } else {
                ""
            },
            code = info.code
        );
    }
    if !elsewhere.is_empty() {
        page.push_str(
            "\n## Decided by another rule or check\n\nThese controls ask what a rule or check of \
             another family asks; its results carry this benchmark's control too, so a scan that \
             selects both reports one finding.\n\n| control | decided by | title |\n|---|---|---|\n",
        );
        for (control, info) in &elsewhere {
            let _ = writeln!(
                page,
                "| {control} | {} | {} |",
                link(info),
                cell(&info.title)
            );
        }
    }
    for info in checks {
        let _ = write!(page, "\n<a id=\"{}\"></a>\n\n", info.code);
        let doc = if info.documentation.trim().is_empty() {
            format!("# {}: {}\n\n{}\n", info.code, info.title, info.remediation)
        } else {
            info.documentation.clone()
        };
        page.push_str(&demote(&doc));
    }
    page
}

/// Every generated page, by file name under `docs/rules/`.
fn pages() -> BTreeMap<String, String> {
    let catalog = catalog();
    let benchmarks = stockade_core::benchmarks::catalog();
    let title_of = |id: &str| {
        benchmarks
            .iter()
            .find(|b| b.id == id)
            .map_or_else(|| id.to_owned(), |b| b.title.clone())
    };
    let is_rule = |info: &RuleInfo| RULES.iter().any(|r| r.code == info.code);

    let mut pages = BTreeMap::new();
    let mut index = format!("# Rule and check reference\n\n{GENERATED}\n\n");
    index.push_str(
        "Every rule and benchmark check Stockade evaluates, with what it checks, why it matters, \
         an example, the fix and references. `stockade rules` lists them and `stockade explain \
         CODE` prints one. Codes are stable and never reused. How the rules decide across \
         families (the RBAC authorizer, exempt and invalid objects) is in \
         [the rules guide](../manifest-rules.md).\n\n## Benchmarks\n\n\
         | id | title | versions (`-b ID@VERSION`) | default |\n|---|---|---|---|\n",
    );
    for b in &benchmarks {
        let _ = writeln!(
            index,
            "| `{}` | {} | {} | {} |",
            b.id,
            cell(&b.title),
            cell(&b.versions.join(", ")),
            cell(&b.default_version)
        );
    }

    index.push_str(
        "\n## Pod Security Standards\n\nThe checks of Kubernetes' Pod Security Admission, with \
         PSA's check ids, levels and the first policy version each applies at.\n\n\
         | code | name | PSA check | level | since | severity |\n|---|---|---|---|---|---|\n",
    );
    for rule in RULES {
        if let RuleKind::Pss(check) = &rule.kind {
            let _ = writeln!(
                index,
                "| [{code}]({code}.md) | {} | `{}` | {} | v1.{} | {} |",
                rule.name,
                check.id,
                check.level.as_str(),
                check.since,
                rule.severity.as_str(),
                code = rule.code
            );
        }
    }
    index.push_str(
        "\n## Manifest rules beyond PSA\n\nEach maps to the controls of every benchmark it \
         serves: one rule, many controls.\n\n\
         | code | name | severity | wants | controls |\n|---|---|---|---|---|\n",
    );
    let mut rules: Vec<&RuleInfo> = catalog
        .iter()
        .filter(|i| is_rule(i) && i.benchmark != "pss")
        .collect();
    rules.sort_by(|a, b| a.code.cmp(&b.code));
    for info in rules {
        let _ = writeln!(
            index,
            "| [{code}]({code}.md) | {} | {} | {} | {} |",
            info.name,
            info.severity.as_str(),
            cell(&info.title),
            cell(&controls(info)),
            code = info.code
        );
    }
    for info in catalog.iter().filter(|i| is_rule(i)) {
        pages.insert(format!("{}.md", info.code), rule_page(info));
    }

    index.push_str(
        "\n## Node checks and manual controls\n\nChecks decided on node facts (`stockade \
         collect`) and controls that manifests cannot decide (reported as `manual` with \
         guidance), one page per benchmark.\n\n| benchmark | checks |\n|---|---:|\n",
    );
    let mut groups: BTreeMap<&str, Vec<&RuleInfo>> = BTreeMap::new();
    for info in catalog.iter().filter(|i| !is_rule(i)) {
        groups
            .entry(info.benchmark.as_str())
            .or_default()
            .push(info);
    }
    for (id, checks) in &groups {
        let title = title_of(id);
        let _ = writeln!(index, "| [{}]({id}.md) | {} |", cell(&title), checks.len());
        pages.insert(
            format!("{id}.md"),
            benchmark_page(id, &title, checks, &catalog),
        );
    }
    pages.insert("README.md".to_owned(), index);
    pages
}

#[test]
fn the_rule_reference_is_current() {
    let dir = common::root().join("docs/rules");
    let update = std::env::var_os("STOCKADE_UPDATE_DOCS").is_some();
    let pages = pages();
    if update {
        fs::create_dir_all(&dir).expect("create docs/rules");
        for entry in fs::read_dir(&dir).expect("read docs/rules").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") && !pages.contains_key(&name) {
                fs::remove_file(entry.path()).expect("remove a stale page");
            }
        }
        for (name, text) in &pages {
            fs::write(dir.join(name), text).expect("write a page");
        }
    }
    let mut stale: Vec<String> = pages
        .iter()
        .filter(|(name, text)| fs::read_to_string(dir.join(name)).ok().as_ref() != Some(*text))
        .map(|(name, _)| name.clone())
        .collect();
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && !pages.contains_key(&name) {
            stale.push(format!("{name} (no longer generated)"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules/ is out of date: {stale:?}; regenerate with \
         STOCKADE_UPDATE_DOCS=1 cargo nextest run -p stockade-tests -E 'binary(rule_docs)'"
    );
}

#[test]
fn every_rule_and_check_has_a_page_with_its_documentation() {
    let pages = pages();
    for info in catalog() {
        let on_own_page = pages.get(&format!("{}.md", info.code));
        let on_benchmark_page = pages.get(&format!("{}.md", info.benchmark));
        let page = on_own_page
            .or(on_benchmark_page)
            .unwrap_or_else(|| panic!("{} has no page", info.code));
        assert!(
            page.contains(info.title.as_str()),
            "{}: the page lacks its title",
            info.code
        );
        let first_doc_line = info
            .documentation
            .lines()
            .find(|l| !l.starts_with('#') && !l.trim().is_empty());
        if let Some(line) = first_doc_line {
            assert!(
                page.contains(line),
                "{}: the page lacks its documentation",
                info.code
            );
        }
    }
}

/// Relative links in the README and the pages under `docs/` name files that exist (the README
/// was split into pages; a moved section must not leave a dead link behind).
#[test]
fn every_relative_link_in_the_docs_resolves() {
    let root = common::root();
    let mut pages = vec![root.join("README.md")];
    for dir in ["docs", "docs/rules"] {
        for entry in fs::read_dir(root.join(dir)).expect("read docs").flatten() {
            if entry.path().extension().is_some_and(|e| e == "md") {
                pages.push(entry.path());
            }
        }
    }
    pages.sort();
    let mut broken = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).expect("read a page");
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let dir = page.parent().expect("a page has a directory");
            if !dir.join(target).exists() {
                broken.push(format!(
                    "{}: {target}",
                    page.strip_prefix(&root).unwrap_or(page).display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "dead links: {broken:#?}");
}
