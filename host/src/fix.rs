//! `stockade fix`: scan, then apply the fixes of the selected failing results to the files
//! (or print them as a unified diff).

use std::path::Path;

use anyhow::{Context, Result, bail};
use stockade_core::report::CheckResult;
use stockade_core::{Input, Options, Status};

/// What to fix and how to show it.
pub struct FixRun<'a> {
    /// Only these rule codes (all fixable rules when empty).
    pub rules: &'a [String],
    /// Write the files instead of printing a diff.
    pub write: bool,
}

/// Fixes the files of `inputs`; returns the exit code: 0 when nothing is left to fix (nothing
/// to do, or, with `--write`, everything written), 1 when the diff is not empty or a fixable
/// finding could not be fixed.
pub fn run(
    inputs: &crate::files::Inputs,
    options: &Options,
    run: &FixRun<'_>,
    executor: &dyn stockade_core::Executor,
    out: &mut dyn std::io::Write,
) -> Result<u8> {
    for rule in run.rules {
        // A rule code, or a benchmark check's (`CIS-1.2.1`, `STIG-V-242378`), as reports show.
        if stockade_core::find_rule(rule).is_none() && stockade_core::explain(rule).is_none() {
            bail!("no rule `{rule}`; `stockade rules` lists them");
        }
        if !stockade_core::fix::is_fixable(&rule.to_ascii_uppercase()) {
            eprintln!(
                "stockade: warning: rule {rule} has no mechanical fix (see `stockade explain {rule}`)"
            );
        }
    }
    let input = Input {
        files: inputs.sources(),
        ..Input::default()
    };
    let report = stockade_core::evaluate_with(&input, options, executor);
    for error in report
        .errors
        .iter()
        .filter(|e| matches!(e.level, stockade_core::report::ErrorLevel::Error))
    {
        eprintln!(
            "stockade: {}:{}:{}: {}",
            error.file, error.line, error.column, error.message
        );
    }
    let selected = |r: &CheckResult| {
        r.status == Status::Fail
            && (run.rules.is_empty() || run.rules.iter().any(|c| c.eq_ignore_ascii_case(&r.rule)))
    };
    let mut pending = false;
    let mut unfixed = 0usize;
    let mut fixed_total = 0usize;
    for file in &inputs.files {
        let results: Vec<&CheckResult> = report
            .results
            .iter()
            .filter(|r| r.location.file == file.name.as_str() && selected(r))
            .collect();
        if results.is_empty() {
            continue;
        }
        let plan = stockade_core::fix::fix_file(&file.text, &results);
        unfixed += results
            .iter()
            .enumerate()
            .filter(|(i, r)| r.fix.is_some() && !plan.fixed.contains(i))
            .count();
        if plan.edits.is_empty() {
            continue;
        }
        let Some(fixed) = stockade_core::fix::apply(&file.text, &plan.edits) else {
            bail!("{}: the fixes overlap (a bug: please report it)", file.name);
        };
        fixed_total += plan.fixed.len();
        if run.write {
            if file.name == "<stdin>" {
                bail!("stdin cannot be fixed in place: use --diff");
            }
            write_keeping_mode(Path::new(&file.name), fixed.as_bytes())?;
            eprintln!(
                "stockade: fixed {} finding(s) in {}",
                plan.fixed.len(),
                file.name
            );
        } else {
            pending = true;
            let diff = similar::TextDiff::from_lines(file.text.as_str(), fixed.as_str());
            write!(
                out,
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{}", file.name), &format!("b/{}", file.name))
            )
            .context("writing the diff")?;
        }
    }
    if unfixed > 0 {
        eprintln!(
            "stockade: {unfixed} fixable finding(s) were left alone: their fixes conflict with \
             others in the same object; run `stockade fix` again"
        );
    }
    if run.write {
        eprintln!("stockade: {fixed_total} finding(s) fixed");
    }
    Ok(u8::from(pending || unfixed > 0))
}

/// Replaces `path` atomically (a temporary file in the same directory, renamed over it) with
/// the original's permissions.
fn write_keeping_mode(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?;
    if !meta.is_file() {
        bail!("{shown} is not a regular file: use --diff");
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write {shown}"))?;
    tmp.write_all(bytes)
        .and_then(|()| std::fs::set_permissions(tmp.path(), meta.permissions()))
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {shown}"))?;
    tmp.persist(path)
        .map_err(|e| anyhow::Error::from(e.error))
        .with_context(|| format!("cannot write {shown}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "a: 1\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_keeping_mode(&path, b"a: 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 2\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}
