//! Stage 5, merge: every file's results in input order, each object's plugin findings before
//! its own results, then the results of stages 3 and 4. What reads every result runs last:
//! RBAC results name who holds a role, owned objects fold into their controller, the policy
//! applies its exemptions, severities and baseline, and PSA's namespace verdicts are decided.
//! (The summary follows, in [`super::run`].)

use std::collections::BTreeMap;

use super::gather::PlacedFinding;
use super::objects::FileScan;
use super::{Input, Options};
use crate::input::manifest::Resource;
use crate::input::pod::Pod;
use crate::policy::Exemption;
use crate::report::{CheckResult, Report};
use crate::rules::manifest::Index;

/// Takes every file's summary and input errors into the report and numbers the objects of
/// every file in input order, for the rules that need several objects. Returns the index and
/// the number of objects.
pub(super) fn index_objects(report: &mut Report, scans: &mut [FileScan]) -> (Index, usize) {
    let mut index = Index::default();
    let mut objects = 0;
    for scan in scans.iter_mut() {
        report.inputs.push(std::mem::take(&mut scan.summary));
        report.errors.append(&mut scan.errors);
        index.append(std::mem::take(&mut scan.index));
        objects += scan.resources.len();
    }
    (index, objects)
}

/// Merges the results into the report and finishes it.
pub(super) fn merge(
    mut report: Report,
    scans: Vec<FileScan>,
    mut plugin_findings: BTreeMap<u32, Vec<PlacedFinding<'_>>>,
    mut later: Vec<CheckResult>,
    index: &Index,
    input: &Input<'_>,
    options: &Options,
) -> Report {
    let objects: usize = scans.iter().map(|s| s.resources.len()).sum();
    report.results.reserve_exact(
        scans.iter().map(|s| s.results.len()).sum::<usize>()
            + plugin_findings.values().map(Vec::len).sum::<usize>()
            + later.len(),
    );
    let mut own_exemptions: Vec<Vec<Exemption>> = Vec::with_capacity(objects);
    let mut workloads: Vec<(Resource, Option<Pod>)> = Vec::with_capacity(objects);
    let mut resource_index: u32 = 0;
    for scan in scans {
        let mut results = scan.results.into_iter();
        for scanned in scan.resources {
            let (mut resource, pod) = scanned.workload;
            for (p, finding, rule) in plugin_findings.remove(&resource_index).unwrap_or_default() {
                if let Some(run) = input.plugins.get(p) {
                    report.results.push(run.result(finding, rule, &resource));
                }
            }
            resource_index = resource_index.saturating_add(1);
            report
                .results
                .extend(results.by_ref().take(scanned.results));
            own_exemptions.push(scanned.exemptions);
            if resource.identity.kind != "Namespace" {
                resource.node.value = crate::input::yaml::Value::Null;
            }
            workloads.push((resource, pod));
        }
    }
    report.results.append(&mut later);
    super::cluster::name_role_subjects(index, &mut report.results);
    report.owned = crate::owners::fold(index, &mut report.results);
    let targets = index
        .resources
        .iter()
        .zip(own_exemptions)
        .map(|(r, own)| {
            (
                (r.file.clone(), r.identity.clone()),
                (r.labels.clone(), own),
            )
        })
        .fold(BTreeMap::new(), |mut map, (key, value)| {
            map.entry(key).or_insert(value);
            map
        });
    crate::policy::apply(
        &options.policy,
        &mut report.results,
        &targets,
        &mut report.errors,
    );
    report.admission = super::cluster::admission(&workloads, &mut report.errors);
    report.errors.sort();
    report
}
