//! Objects read back from a cluster, reported once: a Deployment's ReplicaSets and their Pods
//! carry the Deployment's pod template, so their verdicts repeat its own.
//!
//! `kubectl get pods,replicasets,deployments -A -o yaml` gives every level of a workload. Each
//! object a controller made names it in `metadata.ownerReferences` (the entry with
//! `controller: true`, matched by `uid` when both sides have one, else by kind, namespace and
//! name). A result of such an object that its top controller in the input also has (same
//! benchmark run, rule, status, container and message) is folded into the controller's, and the
//! report says how many objects of each kind were folded. What differs is kept on the object
//! itself: a sidecar injected at admission, a field a mutating webhook changed, or an object
//! whose controller was not scanned.

use std::collections::{BTreeMap, BTreeSet};

use smol_str::SmolStr;

pub use crate::report::Folded;
use crate::report::{CheckResult, ResourceRef, Status};
use crate::rules::manifest::{Index, IndexedResource};

/// How far a chain of controllers is followed (a Pod, its ReplicaSet, its Deployment is 2).
const MAX_DEPTH: usize = 8;

/// The controller that made resource `i`, if it is in the input.
fn parent(
    index: &Index,
    i: usize,
    by_uid: &BTreeMap<&str, usize>,
    by_name: &ByName<'_>,
) -> Option<usize> {
    let r = index.resources.get(i)?;
    let owner = r.controller.as_ref()?;
    if let Some(uid) = &owner.uid
        && let Some(&o) = by_uid.get(uid.as_str())
    {
        return (o != i).then_some(o);
    }
    // By name, in the object's namespace (or cluster-scoped), unless the object found is
    // another incarnation (a different uid).
    [r.identity.namespace.as_deref(), None]
        .into_iter()
        .find_map(|ns| by_name.get(&(ns, owner.kind.as_str(), owner.name.as_str())))
        .copied()
        .filter(|&o| {
            o != i
                && match (
                    &owner.uid,
                    index.resources.get(o).and_then(|x| x.uid.as_ref()),
                ) {
                    (Some(want), Some(have)) => want == have,
                    _ => true,
                }
        })
}

type ByName<'a> = BTreeMap<(Option<&'a str>, &'a str, &'a str), usize>;

/// The top controller in the input of each resource (`None`: it has none, or a cycle).
fn top_owners(index: &Index) -> Vec<Option<usize>> {
    let mut by_uid = BTreeMap::new();
    let mut by_name: ByName<'_> = BTreeMap::new();
    for (i, r) in index.resources.iter().enumerate() {
        if let Some(uid) = &r.uid {
            by_uid.entry(uid.as_str()).or_insert(i);
        }
        by_name
            .entry((
                r.identity.namespace.as_deref(),
                r.identity.kind.as_str(),
                r.identity.name.as_str(),
            ))
            .or_insert(i);
    }
    (0..index.resources.len())
        .map(|i| {
            let mut at = i;
            let mut seen = BTreeSet::from([i]);
            for _ in 0..MAX_DEPTH {
                match parent(index, at, &by_uid, &by_name) {
                    Some(p) if seen.insert(p) => at = p,
                    Some(_) => return None,
                    None => break,
                }
            }
            (at != i).then_some(at)
        })
        .collect()
}

/// What makes two results the same verdict, wherever they are located: a message that names
/// its own object (`Pod shop/web-x is not in the default namespace`) is compared with the
/// object's name left out.
type Signature<'a> = (&'a str, &'a str, Status, Option<&'a str>, String);

fn signature(r: &CheckResult) -> Signature<'_> {
    (
        r.benchmark.as_str(),
        r.rule.as_str(),
        r.status,
        r.container.as_deref(),
        r.message.replace(&r.resource.display(), "\u{0}"),
    )
}

fn key(r: &IndexedResource) -> (&str, &ResourceRef) {
    (r.file.as_str(), &r.identity)
}

/// Folds the results of controlled objects into their controllers' (see the module's text).
pub fn fold(index: &Index, results: &mut Vec<CheckResult>) -> Vec<Folded> {
    let tops = top_owners(index);
    if tops.iter().all(Option::is_none) {
        return Vec::new();
    }
    let mut resource_of: BTreeMap<(&str, &ResourceRef), usize> = BTreeMap::new();
    for (i, r) in index.resources.iter().enumerate() {
        resource_of.entry(key(r)).or_insert(i);
    }
    let of = |r: &CheckResult| {
        resource_of
            .get(&(r.location.file.as_str(), &*r.resource))
            .copied()
    };
    let mut verdicts: BTreeMap<usize, BTreeSet<Signature<'_>>> = BTreeMap::new();
    let owners: BTreeSet<usize> = tops.iter().flatten().copied().collect();
    for r in results.iter() {
        if let Some(i) = of(r).filter(|i| owners.contains(i)) {
            verdicts.entry(i).or_default().insert(signature(r));
        }
    }
    let mut folded: BTreeMap<usize, (BTreeSet<usize>, usize)> = BTreeMap::new();
    let keep: Vec<bool> = results
        .iter()
        .map(|r| {
            let Some(i) = of(r) else { return true };
            let Some(top) = tops.get(i).copied().flatten() else {
                return true;
            };
            let entry = folded.entry(top).or_default();
            entry.0.insert(i);
            if verdicts
                .get(&top)
                .is_some_and(|v| v.contains(&signature(r)))
            {
                entry.1 += 1;
                false
            } else {
                true
            }
        })
        .collect();
    let mut keep = keep.into_iter();
    results.retain(|_| keep.next().unwrap_or(true));
    folded
        .into_iter()
        .filter_map(|(top, (objects, results))| {
            let owner = index.resources.get(top)?;
            let mut counts: BTreeMap<SmolStr, usize> = BTreeMap::new();
            for o in objects {
                if let Some(r) = index.resources.get(o) {
                    *counts.entry(r.identity.kind.clone()).or_default() += 1;
                }
            }
            Some(Folded {
                owner: owner.identity.clone(),
                file: owner.file.clone(),
                objects: counts,
                results,
            })
        })
        .collect()
}
