//! Fixes of the CIS Kubernetes and DISA STIG flag checks on a control-plane static pod: the
//! change to the component's command line (`command` and `args`) that makes a failing check
//! pass.
//!
//! A check's test says what the flag must be; the fix is derived from it, as the component
//! reads flags (the flag table's types and defaults, how repeated flags combine):
//!
//! - an explicit setting whose default passes is removed (`--service-account-lookup=false`,
//!   `--insecure-port=8080`, `AllAlpha=true` in `--feature-gates`): the diff is one line, and a
//!   flag a newer release no longer knows is not written again. Not a threshold: a short
//!   `--audit-log-maxage=7` becomes 30, not "no limit" (the default);
//! - `eq`, `gte`/`lte` and `loopback` set the flag to the value the benchmark names (`gte 30`
//!   writes 30, `loopback` writes 127.0.0.1); `has` adds an element to the list, `nothave` removes
//!   it from every occurrence (an occurrence left empty goes), `set: false` removes the flag;
//!   `valid_elements` keeps only the allowed elements, or writes the check's `fix` value when
//!   none is left or the flag is not set; a `regex` writes the check's `fix` value;
//! - `set: true` alone (a file path: `--audit-log-path`, `--encryption-provider-config`) has no
//!   fix: the value, and the volume that holds it, are the operator's to choose.
//!
//! Every fix is verified before it is offered: the component's command line is rebuilt with the
//! change, the check must pass on it, and no other CIS or STIG check of the component that
//! passed may fail. The failing checks of one container are planned together (twice over, so
//! that a change another one enables is taken too: removing `AlwaysAllow` from an
//! `--authorization-mode` that is not set is only possible once `Node` and `RBAC` are added),
//! and their changes are written as one edit of the command line.
//!
//! Some changes the benchmark asks for would break the control plane as written, and are not
//! offered (the result keeps its remediation text):
//!
//! - `--anonymous-auth=false` on an API server whose container has an `httpGet` probe: the
//!   kubelet's probes carry no credentials, so they fail and the API server is restarted again
//!   and again;
//! - a loopback `--bind-address` on a controller manager or scheduler whose `httpGet` probe does
//!   not name a loopback `host`: the kubelet probes the pod's (the node's) address;
//! - turning etcd's `--auto-tls` (or `--peer-auto-tls`) off while no `--cert-file` (or
//!   `--peer-cert-file`) is set: etcd would have no certificate to serve with;
//! - adding `EventRateLimit` to `--enable-admission-plugins`: the plugin needs its configuration
//!   in the file `--admission-control-config-file` names, and the API server does not start
//!   without it.

use super::cst::{CNode, Kind};
use crate::benchmarks::cis::{self, CheckDef, CisVersion, Op, Test, TestItem};
use crate::benchmarks::k8s_stig;
use crate::facts::argv::{Flag, parse_flags};
use crate::facts::flags::{self, Effective, FlagType, Value};
use crate::facts::plan::Component;
use crate::report::CheckResult;
use crate::vocab::Status;

/// A change to a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    /// The flag takes this value (the last occurrence is changed; a list flag keeps one
    /// occurrence; a flag that is not given is added).
    Set { flag: String, value: String },
    /// Every occurrence of the flag goes.
    Remove { flag: String },
    /// The list flag holds this element (added to its last occurrence, or a new flag with the
    /// component's default elements and this one).
    AddElement { flag: String, element: String },
    /// No occurrence of the list flag holds this element.
    RemoveElement { flag: String, element: String },
    /// The map flag (`--feature-gates`) has `key=value`.
    SetKey {
        flag: String,
        key: String,
        value: String,
    },
    /// No occurrence of the map flag has `key`.
    RemoveKey { flag: String, key: String },
}

impl Change {
    fn flag(&self) -> &str {
        match self {
            Change::Set { flag, .. }
            | Change::Remove { flag }
            | Change::AddElement { flag, .. }
            | Change::RemoveElement { flag, .. }
            | Change::SetKey { flag, .. }
            | Change::RemoveKey { flag, .. } => flag,
        }
    }

    fn describe(&self) -> String {
        match self {
            Change::Set { flag, value } => format!("set --{flag}={value}"),
            Change::Remove { flag } => format!("remove --{flag}"),
            Change::AddElement { flag, element } => format!("add {element} to --{flag}"),
            Change::RemoveElement { flag, element } => format!("remove {element} from --{flag}"),
            Change::SetKey { flag, key, value } => format!("set {key}={value} in --{flag}"),
            Change::RemoveKey { flag, key } => format!("remove {key} from --{flag}"),
        }
    }

    /// Whether two changes cannot both hold.
    fn conflicts(&self, other: &Change) -> bool {
        use Change::{AddElement, RemoveElement, RemoveKey, SetKey};
        if self.flag() != other.flag() || self == other {
            return false;
        }
        match (self, other) {
            (AddElement { element: a, .. }, RemoveElement { element: b, .. })
            | (RemoveElement { element: a, .. }, AddElement { element: b, .. }) => a == b,
            (
                AddElement { .. } | RemoveElement { .. },
                AddElement { .. } | RemoveElement { .. },
            ) => false,
            (
                SetKey { key: a, .. } | RemoveKey { key: a, .. },
                SetKey { key: b, .. } | RemoveKey { key: b, .. },
            ) => a == b,
            // Two values for one flag, a flag both set and removed, whole-flag and element changes.
            _ => true,
        }
    }
}

/// Adds `more` to `have` unless one of them conflicts; false (and `have` unchanged) if so.
pub(super) fn merge(have: &mut Vec<Change>, more: &[Change]) -> bool {
    if more.iter().any(|m| have.iter().any(|h| h.conflicts(m))) {
        return false;
    }
    for m in more {
        if !have.contains(m) {
            have.push(m.clone());
        }
    }
    true
}

/// One argument of a rebuilt command line: its text and, when it was there before, its index in
/// the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Arg {
    pub text: String,
    pub origin: Option<usize>,
}

/// The components whose static pods carry flag checks.
fn control_plane(component: Component) -> bool {
    matches!(
        component,
        Component::ApiServer
            | Component::ControllerManager
            | Component::Scheduler
            | Component::Etcd
    )
}

/// The check a result of a CIS or STIG flag check names (at the CIS version it was evaluated at).
fn check_of(
    result: &CheckResult,
    component: Component,
    version: CisVersion,
) -> Option<&'static CheckDef> {
    let rule = result.rule.as_str();
    let found = if let Some(id) = rule.strip_prefix("CIS-") {
        cis::checks()
            .iter()
            .find(|c| c.id == id && c.in_version(version))
    } else if let Some(id) = rule.strip_prefix("STIG-") {
        k8s_stig::checks()
            .iter()
            .find(|c| c.id == id && c.component.component() == component)
    } else {
        None
    };
    found.filter(|c| c.component.component() == component && c.test.is_some())
}

/// Whether the rule code names a CIS or STIG flag check of a control-plane component that has a
/// fix for some of its findings on a static pod.
pub(super) fn is_fixable(rule: &str) -> bool {
    static CODES: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    CODES
        .get_or_init(|| {
            cis::checks()
                .iter()
                .chain(k8s_stig::checks())
                .filter(|c| c.fixable())
                .map(CheckDef::code)
                .collect()
        })
        .contains(rule)
}

/// Whether a result is one of a flag check on a static pod (its rule is fixed here).
pub(super) fn is_flag_result(result: &CheckResult) -> bool {
    result.resource.kind == "Pod"
        && (result.rule.starts_with("CIS-") || result.rule.starts_with("STIG-"))
}

/// The container's command line: `command` then `args`, every item a scalar; with where each
/// item is (`command` or `args`, index).
pub(super) fn argv_of(container: &CNode) -> Option<Vec<(&'static str, usize, &CNode)>> {
    let mut out = Vec::new();
    for key in ["command", "args"] {
        let Some(list) = container.child(key) else {
            continue;
        };
        let Kind::Seq { items, .. } = &list.kind else {
            return None;
        };
        for (i, item) in items.iter().enumerate() {
            item.scalar()?;
            out.push((key, i, item));
        }
    }
    (!out.is_empty()).then_some(out)
}

fn texts(argv: &[(&'static str, usize, &CNode)]) -> Vec<String> {
    argv.iter()
        .map(|(_, _, n)| n.scalar().unwrap_or_default().to_owned())
        .collect()
}

/// The control-plane component a container runs, if it runs one (what its flag checks read:
/// the first word of `command`, then `args`).
pub(super) fn container_component(container: &CNode) -> Option<Component> {
    let argv = argv_of(container)?;
    let (_, _, program) = argv.first()?;
    Component::of_command(program.scalar()?).filter(|c| control_plane(*c))
}

/// A result (index `i` of `results`) with, when it is a flag check, the other failing flag
/// checks of `wanted` on the same container that read one of its flags: a report plans a
/// flag that is not given with every check that needs it.
pub(super) fn with_siblings<'r>(
    i: usize,
    wanted: &[usize],
    results: &'r [CheckResult],
) -> Vec<&'r CheckResult> {
    let Some(result) = results.get(i) else {
        return Vec::new();
    };
    let mut group = vec![result];
    if is_flag_result(result) {
        let reads = flags_read(result);
        group.extend(wanted.iter().filter(|j| **j != i).filter_map(|j| {
            let other = results.get(*j)?;
            (is_flag_result(other)
                && other.container == result.container
                && other.resource == result.resource
                && flags_read(other).iter().any(|f| reads.contains(f)))
            .then_some(other)
        }));
    }
    group
}

/// The component a command line runs, if it is a control-plane one.
pub(super) fn component_of(argv: &[String]) -> Option<Component> {
    argv.first()
        .and_then(|a| Component::of_command(a))
        .filter(|c| control_plane(*c))
}

fn accumulates(component: Component, flag: &str) -> bool {
    flags::spec(component, flag).is_some_and(|s| {
        matches!(s.ty, FlagType::Map | FlagType::MapBool)
            || (matches!(s.ty, FlagType::Strings | FlagType::Array)
                && flags::syntax(component) == flags::Syntax::Pflag)
    })
}

/// A command line being edited: removed arguments stay in place (so indexes do not move) and
/// are skipped.
struct Editing {
    args: Vec<(Arg, bool)>,
    component: Component,
}

impl Editing {
    fn live(&self) -> Vec<usize> {
        (0..self.args.len())
            .filter(|i| self.args.get(*i).is_some_and(|(_, gone)| !gone))
            .collect()
    }

    /// The occurrences of a flag: (index of its name argument, index of its value argument when
    /// the value is the next argument, the value).
    fn occurrences(&self, flag: &str) -> Vec<(usize, Option<usize>, String)> {
        let live = self.live();
        let words: Vec<&str> = live
            .iter()
            .filter_map(|i| self.args.get(*i).map(|(a, _)| a.text.as_str()))
            .collect();
        parse_flags(&words)
            .into_iter()
            .filter(|f| f.name == flag)
            .filter_map(|f| {
                let at = *live.get(f.index)?;
                let value_at = if f.separate_value {
                    Some(*live.get(f.index + 1)?)
                } else {
                    None
                };
                Some((at, value_at, f.value))
            })
            .collect()
    }

    fn text_mut(&mut self, i: usize) -> Option<&mut String> {
        self.args.get_mut(i).map(|(a, _)| &mut a.text)
    }

    /// Writes `value` into an occurrence.
    fn write(
        &mut self,
        (at, value_at, _): &(usize, Option<usize>, String),
        value: &str,
    ) -> Option<()> {
        match value_at {
            Some(v) => *self.text_mut(*v)? = value.to_owned(),
            None => {
                let text = self.text_mut(*at)?;
                let name = match text.split_once('=') {
                    Some((name, _)) => name.to_owned(),
                    None => text.clone(),
                };
                *text = format!("{name}={value}");
            }
        }
        Some(())
    }

    fn remove(&mut self, (at, value_at, _): &(usize, Option<usize>, String)) {
        for i in std::iter::once(*at).chain(*value_at) {
            if let Some((_, gone)) = self.args.get_mut(i) {
                *gone = true;
            }
        }
    }

    fn push(&mut self, flag: &str, value: &str) {
        self.args.push((
            Arg {
                text: format!("--{flag}={value}"),
                origin: None,
            },
            false,
        ));
    }

    /// The default elements of a list flag that is not given.
    fn default_elements(&self, flag: &str) -> Vec<String> {
        flags::spec(self.component, flag)
            .and_then(|s| s.default.as_deref())
            .and_then(flags::parse_csv)
            .unwrap_or_default()
    }

    fn set(&mut self, flag: &str, value: &str) -> Option<()> {
        let found = self.occurrences(flag);
        let Some((last, earlier)) = found.split_last() else {
            self.push(flag, value);
            return Some(());
        };
        self.write(last, value)?;
        if accumulates(self.component, flag) {
            for o in earlier {
                self.remove(o);
            }
        }
        Some(())
    }

    fn elements(&mut self, flag: &str, add: &[&str], remove: &[&str]) -> Option<()> {
        let found = self.occurrences(flag);
        if found.is_empty() {
            let base = self.default_elements(flag);
            let mut list: Vec<String> = base
                .iter()
                .filter(|e| !remove.contains(&e.as_str()))
                .cloned()
                .collect();
            for a in add {
                if !list.iter().any(|e| e == a) {
                    list.push((*a).to_owned());
                }
            }
            if list == base {
                return Some(());
            }
            if list.is_empty() {
                return None;
            }
            self.push(flag, &list.join(","));
            return Some(());
        }
        self.remove_parts(&found, |e| remove.contains(&e))?;
        let missing: Vec<&str> = add
            .iter()
            .copied()
            .filter(|a| {
                !found
                    .iter()
                    .any(|o| flags::parse_csv(&o.2).is_some_and(|l| l.iter().any(|e| e == a)))
            })
            .collect();
        if missing.is_empty() {
            return Some(());
        }
        // Add to the last occurrence still there (re-read: it may have been rewritten).
        let now = self.occurrences(flag);
        match now.last() {
            Some(last) => {
                let mut list = flags::parse_csv(&last.2)?;
                list.extend(missing.iter().map(|m| (*m).to_owned()));
                self.write(last, &list.join(","))
            }
            None => {
                self.push(flag, &missing.join(","));
                Some(())
            }
        }
    }

    /// Removes the comma-separated parts (list elements, `key=value` pairs) that `drop` matches
    /// from every occurrence; an occurrence left empty goes.
    fn remove_parts(
        &mut self,
        found: &[(usize, Option<usize>, String)],
        drop: impl Fn(&str) -> bool,
    ) -> Option<()> {
        for o in found {
            let parts = flags::parse_csv(&o.2)?;
            let kept: Vec<&str> = parts
                .iter()
                .map(String::as_str)
                .filter(|p| !drop(p))
                .collect();
            if kept.len() != parts.len() {
                if kept.is_empty() {
                    self.remove(o);
                } else {
                    self.write(o, &kept.join(","))?;
                }
            }
        }
        Some(())
    }

    fn keys(&mut self, flag: &str, set: &[(&str, &str)], remove: &[&str]) -> Option<()> {
        let split = |text: &str| -> Vec<(String, String)> {
            text.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.trim().to_owned(), v.to_owned()),
                    None => (p.trim().to_owned(), String::new()),
                })
                .collect()
        };
        let join = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let found = self.occurrences(flag);
        self.remove_parts(&found, |pair| {
            remove.contains(&pair.split_once('=').map_or(pair, |(k, _)| k).trim())
        })?;
        for (key, value) in set {
            let now = self.occurrences(flag);
            let holder = now
                .iter()
                .rev()
                .find(|o| split(&o.2).iter().any(|(k, _)| k == key))
                .or(now.last());
            match holder {
                Some(o) => {
                    let mut pairs = split(&o.2);
                    match pairs.iter_mut().rev().find(|(k, _)| k == key) {
                        Some(pair) => pair.1 = (*value).to_owned(),
                        None => pairs.push(((*key).to_owned(), (*value).to_owned())),
                    }
                    let o = o.clone();
                    self.write(&o, &join(&pairs))?;
                }
                None => self.push(flag, &format!("{key}={value}")),
            }
        }
        Some(())
    }
}

/// The command line `argv` with `changes` made, or `None` when they cannot be (a list left with
/// no element where the flag's default would come back, a value that cannot be read).
pub(super) fn apply(component: Component, argv: &[String], changes: &[Change]) -> Option<Vec<Arg>> {
    let mut editing = Editing {
        args: argv
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    Arg {
                        text: t.clone(),
                        origin: Some(i),
                    },
                    false,
                )
            })
            .collect(),
        component,
    };
    let mut names: Vec<&str> = Vec::new();
    for c in changes {
        if !names.contains(&c.flag()) {
            names.push(c.flag());
        }
    }
    for flag in names {
        let mine: Vec<&Change> = changes.iter().filter(|c| c.flag() == flag).collect();
        let mut add = Vec::new();
        let mut remove = Vec::new();
        let mut set_keys = Vec::new();
        let mut remove_keys = Vec::new();
        for c in &mine {
            match c {
                Change::Set { value, .. } => editing.set(flag, value)?,
                Change::Remove { .. } => {
                    for o in editing.occurrences(flag) {
                        editing.remove(&o);
                    }
                }
                Change::AddElement { element, .. } => add.push(element.as_str()),
                Change::RemoveElement { element, .. } => remove.push(element.as_str()),
                Change::SetKey { key, value, .. } => set_keys.push((key.as_str(), value.as_str())),
                Change::RemoveKey { key, .. } => remove_keys.push(key.as_str()),
            }
        }
        if !add.is_empty() || !remove.is_empty() {
            editing.elements(flag, &add, &remove)?;
        }
        if !set_keys.is_empty() || !remove_keys.is_empty() {
            editing.keys(flag, &set_keys, &remove_keys)?;
        }
    }
    Some(
        editing
            .args
            .into_iter()
            .filter(|(_, gone)| !gone)
            .map(|(a, _)| a)
            .collect(),
    )
}

fn flags_of(args: &[Arg]) -> Vec<Flag> {
    let words: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    parse_flags(&words)
}

fn passes(test: &Test, component: Component, flags: &[Flag]) -> bool {
    cis::command_test_status(test, component, flags) == Status::Pass
}

fn passes_with(item: &TestItem, component: Component, argv: &[String], changes: &[Change]) -> bool {
    apply(component, argv, changes)
        .is_some_and(|args| passes(&Test::Item(item.clone()), component, &flags_of(&args)))
}

/// The changes that make `test` pass on `argv` (none when it passes), if there are any.
fn derive(test: &Test, component: Component, argv: &[String]) -> Option<Vec<Change>> {
    let flags = parse_flags(argv);
    if passes(test, component, &flags) {
        return Some(Vec::new());
    }
    match test {
        Test::All { all } => {
            let mut out = Vec::new();
            for t in all {
                let more = derive(t, component, argv)?;
                if !merge(&mut out, &more) {
                    return None;
                }
            }
            Some(out)
        }
        Test::Any { any } => any
            .iter()
            .find_map(|t| derive(t, component, argv).filter(|c| !c.is_empty())),
        Test::Item(item) => derive_item(item, component, argv, &flags),
    }
}

fn derive_item(
    item: &TestItem,
    component: Component,
    argv: &[String],
    given: &[Flag],
) -> Option<Vec<Change>> {
    let flag = item.flag.clone()?;
    let is_given = given.iter().any(|f| f.name == flag);
    let want = item.value.clone().unwrap_or_default();
    if let Some(key) = item.key.clone() {
        let remove = vec![Change::RemoveKey {
            flag: flag.clone(),
            key: key.clone(),
        }];
        if is_given && passes_with(item, component, argv, &remove) {
            return Some(remove);
        }
        return (item.op == Some(Op::Eq)).then(|| {
            vec![Change::SetKey {
                flag,
                key,
                value: want,
            }]
        });
    }
    let list = accumulates(component, &flag)
        || flags::spec(component, &flag).is_some_and(|s| s.ty == FlagType::Strings);
    let remove = vec![Change::Remove { flag: flag.clone() }];
    // An explicit setting whose default passes: take it out. Not for a threshold (`gte 30`):
    // the threshold is written, since a default that passes one is "no limit" (keep audit logs
    // forever), which is not what the operator who wrote a number chose.
    let threshold = matches!(item.op, Some(Op::Gte | Op::Lte | Op::Lt));
    if is_given
        && !list
        && !threshold
        && item.set != Some(true)
        && passes_with(item, component, argv, &remove)
    {
        return Some(remove);
    }
    let set = |value: String| {
        Some(vec![Change::Set {
            flag: flag.clone(),
            value,
        }])
    };
    match (item.set, item.op) {
        (Some(false), _) => Some(remove),
        (_, Some(Op::Eq | Op::Gte | Op::Lte)) if !want.is_empty() => set(want),
        (_, Some(Op::Has)) if !want.is_empty() => Some(vec![Change::AddElement {
            flag,
            element: want,
        }]),
        (_, Some(Op::Nothave)) if !want.is_empty() => Some(vec![Change::RemoveElement {
            flag,
            element: want,
        }]),
        (_, Some(Op::ValidElements)) => {
            let valid: Vec<&str> = want.split(',').map(str::trim).collect();
            let current = match flags::effective(component, given, &flag) {
                Some(Effective::Value {
                    value: Value::List(items),
                    ..
                }) => items,
                _ => Vec::new(),
            };
            let kept: Vec<String> = current
                .into_iter()
                .filter(|e| valid.contains(&e.as_str()))
                .collect();
            if kept.is_empty() {
                item.fix.clone().and_then(set)
            } else {
                set(kept.join(","))
            }
        }
        (_, Some(Op::Loopback)) => set("127.0.0.1".to_owned()),
        _ => item.fix.clone().and_then(set),
    }
}

/// Whether a test reads one of `names`.
fn reads_any(test: &Test, names: &[&str]) -> bool {
    match test {
        Test::All { all: tests } | Test::Any { any: tests } => {
            tests.iter().any(|t| reads_any(t, names))
        }
        Test::Item(item) => item.flag.as_deref().is_some_and(|f| names.contains(&f)),
    }
}

/// Every CIS check and STIG rule with a test at a CIS version, keyed by code (and the STIG
/// rule's Vuln ID): built once, since a fix is verified against them many times.
fn tested_checks(version: CisVersion) -> &'static [(String, &'static CheckDef)] {
    type Table = Vec<(CisVersion, Vec<(String, &'static CheckDef)>)>;
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        [CisVersion::V1_11, CisVersion::V1_12]
            .into_iter()
            .map(|v| {
                let cis = cis::checks()
                    .iter()
                    .filter(|c| c.in_version(v) && c.test.is_some())
                    .map(|c| (c.code(), c));
                let stig = k8s_stig::checks().iter().filter_map(|row| {
                    let check = k8s_stig::implementation(row, v).filter(|c| c.test.is_some())?;
                    Some((format!("{} {}", row.id, check.code()), check))
                });
                (v, cis.chain(stig).collect())
            })
            .collect()
    });
    table
        .iter()
        .find(|(v, _)| *v == version)
        .map_or(&[], |(_, checks)| checks.as_slice())
}

/// Statuses of the CIS and STIG flag checks of the component that read one of `names` (by check
/// code and control): a change of those flags can change no other check's status.
fn statuses(
    component: Component,
    flags: &[Flag],
    version: CisVersion,
    names: &[&str],
) -> Vec<(&'static str, Status)> {
    tested_checks(version)
        .iter()
        .filter(|(_, c)| {
            c.component.component() == component
                && (c.test.as_ref().is_some_and(|t| reads_any(t, names))
                    || c.configured_by
                        .as_deref()
                        .is_some_and(|f| names.contains(&f)))
        })
        .flat_map(|(key, c)| {
            cis::command_statuses(std::iter::once(*c), component, flags)
                .into_iter()
                .map(move |(_, status)| (key.as_str(), status))
        })
        .collect()
}

/// Why a change that makes the check pass would break the control plane as written, if it would.
fn veto(
    component: Component,
    container: &CNode,
    before: &[Flag],
    after: &[Flag],
) -> Option<&'static str> {
    // The value the component runs with: the flag's, else its default.
    let value = |flags: &[Flag], name: &str| match flags::effective(component, flags, name) {
        Some(Effective::Value { value, .. }) => Some(value),
        Some(Effective::Invalid { .. }) => None,
        None => flags::spec(component, name)
            .and_then(|spec| flags::parse_value(spec, spec.default.as_deref()?).ok()),
    };
    let turned_off = |name: &str| {
        value(before, name) != Some(Value::Bool(false))
            && value(after, name) == Some(Value::Bool(false))
    };
    let probes: Vec<&CNode> = ["livenessProbe", "readinessProbe", "startupProbe"]
        .iter()
        .filter_map(|p| container.at([*p, "httpGet"]))
        .collect();
    for (flag, element, why) in cis::NEVER_ADDED {
        let has = |flags: &[Flag]| match value(flags, flag) {
            Some(Value::List(l)) => l.iter().any(|e| e == element),
            _ => false,
        };
        if has(after) && !has(before) {
            return Some(why);
        }
    }
    match component {
        Component::ApiServer if turned_off("anonymous-auth") && !probes.is_empty() => {
            return Some(
                "the container's httpGet probes carry no credentials: with anonymous requests \
                 refused they fail and the API server is restarted",
            );
        }
        Component::ControllerManager | Component::Scheduler => {
            let bind = |flags: &[Flag]| value(flags, "bind-address").map(|v| v.text());
            let loopback_probe = |p: &&CNode| {
                p.child("host").and_then(CNode::scalar).is_some_and(|h| {
                    h == "localhost"
                        || h.parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                })
            };
            if bind(before) != bind(after) && !probes.iter().all(loopback_probe) {
                return Some(
                    "the container's httpGet probes reach it on the pod's (the node's) address, \
                     not on loopback",
                );
            }
        }
        Component::Etcd => {
            for (auto, cert) in [
                ("auto-tls", "cert-file"),
                ("peer-auto-tls", "peer-cert-file"),
            ] {
                if turned_off(auto) && !value(after, cert).is_some_and(|v| v.is_set()) {
                    return Some("etcd would have no certificate to serve TLS with");
                }
            }
        }
        _ => {}
    }
    None
}

/// The fix of a container's failing flag checks.
pub(super) struct GroupPlan {
    /// The changes of every check fixed, merged.
    pub changes: Vec<Change>,
    /// The results fixed (indexes into the results given), each with its description.
    pub fixed: Vec<(usize, String)>,
}

/// Plans the fixes of `results` (failing flag checks of one static pod container).
pub(super) fn plan_group(container: &CNode, results: &[&CheckResult]) -> Option<GroupPlan> {
    let argv = texts(&argv_of(container)?);
    let component = component_of(&argv)?;
    let version = results
        .first()
        .and_then(|r| r.benchmark.strip_prefix("cis-k8s@"))
        .and_then(CisVersion::parse)
        .unwrap_or_else(|| {
            CisVersion::for_kubernetes(
                container
                    .child("image")
                    .and_then(CNode::scalar)
                    .and_then(cis::image_kubernetes_version),
            )
            .0
        });
    let before_flags = parse_flags(&argv);
    let mut accepted: Vec<Change> = Vec::new();
    // The results fixed so far (indexes into `results`) and their tests.
    let mut fixed: Vec<(usize, &Test)> = Vec::new();
    for _round in 0..2 {
        for (i, result) in results.iter().enumerate() {
            if fixed.iter().any(|(f, _)| *f == i) || result.status != Status::Fail {
                continue;
            }
            // A STIG result decided by a CIS check carries that check's code, at the version
            // the image picks.
            let version = match result.benchmark.strip_prefix("cis-k8s@") {
                Some(label) => CisVersion::parse(label).unwrap_or(version),
                None => version,
            };
            let Some(check) = check_of(result, component, version) else {
                continue;
            };
            let Some(test) = check.test.as_ref() else {
                continue;
            };
            let Some(current) = apply(component, &argv, &accepted) else {
                continue;
            };
            let current: Vec<String> = current.into_iter().map(|a| a.text).collect();
            let Some(more) = derive(test, component, &current) else {
                continue;
            };
            // A change of a flag another fix already changed replaces that change, if what it
            // fixed still passes (the STIG's four cipher suites after the CIS benchmark's six).
            let mut candidate: Vec<Change> = accepted
                .iter()
                .filter(|c| !more.iter().any(|m| m.conflicts(c)))
                .cloned()
                .collect();
            if !merge(&mut candidate, &more) {
                continue;
            }
            let Some(after_args) = apply(component, &argv, &candidate) else {
                continue;
            };
            let after_flags = flags_of(&after_args);
            let still = |t: &Test| passes(t, component, &after_flags);
            if !still(test)
                || !fixed.iter().all(|(_, t)| still(t))
                || veto(component, container, &before_flags, &after_flags).is_some()
            {
                continue;
            }
            // Only the checks of the flags the changes touch can change.
            let mut names: Vec<&str> = candidate.iter().map(Change::flag).collect();
            names.dedup();
            let before = statuses(component, &before_flags, version, &names);
            let after = statuses(component, &after_flags, version, &names);
            let worse = before.iter().any(|(code, status)| {
                *status == Status::Pass
                    && after.iter().any(|(c, s)| c == code && *s != Status::Pass)
            });
            if worse {
                continue;
            }
            fixed.push((i, test));
            accepted = candidate;
        }
    }
    fixed.sort_by_key(|(i, _)| *i);
    // Each result is described by the final changes of the flags its check reads.
    let binary = component.binary();
    let fixed: Vec<(usize, String)> = fixed
        .into_iter()
        .map(|(i, test)| {
            let mut tested = Vec::new();
            flag_names(test, &mut tested);
            let what: Vec<String> = accepted
                .iter()
                .filter(|c| tested.iter().any(|t| t == c.flag()))
                .map(Change::describe)
                .collect();
            (i, format!("{} on {binary}", what.join(", ")))
        })
        .collect();
    (!fixed.is_empty()).then_some(GroupPlan {
        changes: accepted,
        fixed,
    })
}

fn flag_names(test: &Test, out: &mut Vec<String>) {
    match test {
        Test::All { all: tests } | Test::Any { any: tests } => {
            tests.iter().for_each(|t| flag_names(t, out));
        }
        Test::Item(item) => out.extend(item.flag.clone()),
    }
}

/// The flags a result's check reads (to find the other failing checks of the same flags).
pub(super) fn flags_read(result: &CheckResult) -> &'static [String] {
    static READ: std::sync::OnceLock<std::collections::BTreeMap<String, Vec<String>>> =
        std::sync::OnceLock::new();
    READ.get_or_init(|| {
        let mut map: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for check in cis::checks().iter().chain(k8s_stig::checks()) {
            if let Some(test) = &check.test {
                flag_names(test, map.entry(check.code()).or_default());
            }
        }
        map
    })
    .get(result.rule.as_str())
    .map_or(&[], Vec::as_slice)
}
