//! Fixes: for a failing result whose remedy is mechanical, the change that makes it pass, as
//! text edits on the user's file and as a JSON Patch on the object.
//!
//! A fix is planned as operations on JSON pointers (set a value, append to a list, remove a
//! member). The operations of every result fixed in one document are merged into one tree
//! first, so two fixes that both create `securityContext` in the same container create it once,
//! and the tree is then written into the document in the document's own style:
//!
//! - a new member goes after the mapping's last entry, at the mapping's indentation, or before
//!   the closing `}` of a flow mapping; a new list item after the last item, with the list's
//!   dash column, or before the `]` of a flow list;
//! - nested mappings that do not exist yet are written in block style, indented by the
//!   document's own indentation width, with its own sequence indentation (`- ` under the key or
//!   indented), inside a flow collection in flow style;
//! - nothing else is touched: comments, quotes, key order, blank lines, `\r\n` line breaks,
//!   the other documents of the file and Helm's `# Source:` comments stay as they were.
//!
//! Where the right place is a choice (pod or container level), the fix takes the narrowest
//! one that makes the rule pass, the container's `securityContext`, and says so. JSON files
//! are not edited (a fix there would have to re-quote every key); their results keep the
//! remediation text.

mod cst;
mod flags;

use crate::input::pod::template_path;
use crate::input::yaml;
pub use crate::report::fix::{Fix, PatchOp, TextEdit, TextPosition};
use crate::report::{CheckResult, Status};
use cst::{CNode, Kind};
use saphyr_parser::ScalarStyle;

pub use crate::rules::FIXABLE_RULES;

/// Whether `rule` has a mechanical fix for (some of) its findings: a rule of
/// [`FIXABLE_RULES`], or a CIS Kubernetes or DISA STIG flag check of a control-plane component
/// (`CIS-1.2.1`, `STIG-V-242378`), fixed on a static pod's command line.
pub fn is_fixable(rule: &str) -> bool {
    FIXABLE_RULES.contains(&rule) || flags::is_fixable(rule)
}

/// A value a fix writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Bool(bool),
    Str(&'static str),
}

impl Val {
    fn yaml(self, quote: Option<char>) -> String {
        match (self, quote) {
            (Val::Bool(b), _) => b.to_string(),
            (Val::Str(s), Some(q)) => format!("{q}{s}{q}"),
            (Val::Str(s), None) => s.to_owned(),
        }
    }

    fn json(self) -> serde_json::Value {
        match self {
            Val::Bool(b) => serde_json::Value::Bool(b),
            Val::Str(s) => serde_json::Value::String(s.to_owned()),
        }
    }

    /// Whether a scalar written `text` already reads as this value.
    fn matches(self, text: &str) -> bool {
        match self {
            Val::Bool(b) => yaml_bool(text) == Some(b),
            Val::Str(s) => text == s,
        }
    }
}

/// Booleans as Kubernetes' YAML reader (YAML 1.1) spells them.
fn yaml_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Set(Val),
    Append(Vec<Val>),
    Remove,
    /// Changes to the command line of the container whose `command` this is at (its
    /// `command` and `args` together).
    Argv(Vec<flags::Change>),
}

/// One planned operation, at a path of keys from the document's root.
#[derive(Debug, Clone)]
struct Op {
    path: Vec<String>,
    action: Action,
}

/// The operations of a document, merged by path.
#[derive(Debug, Default)]
struct Tree {
    children: Vec<(String, Tree)>,
    action: Option<Action>,
}

impl Tree {
    /// Adds an operation; false when it conflicts with one already there.
    fn add(&mut self, op: &Op) -> bool {
        let mut node = self;
        for step in &op.path {
            if node.action.is_some() {
                return false;
            }
            let at = match node.children.iter().position(|(k, _)| k == step) {
                Some(i) => i,
                None => {
                    node.children.push((step.clone(), Tree::default()));
                    node.children.len() - 1
                }
            };
            let Some((_, child)) = node.children.get_mut(at) else {
                return false;
            };
            node = child;
        }
        match (&mut node.action, &op.action) {
            (None, action) if node.children.is_empty() => {
                node.action = Some(action.clone());
                true
            }
            (Some(Action::Append(have)), Action::Append(more)) => {
                for v in more {
                    if !have.contains(v) {
                        have.push(*v);
                    }
                }
                // Dropping ALL drops every named capability too.
                if have.contains(&Val::Str("ALL")) {
                    have.retain(|v| *v == Val::Str("ALL"));
                }
                true
            }
            (Some(Action::Argv(have)), Action::Argv(more)) => flags::merge(have, more),
            (Some(have), action) => have == action,
            (None, _) => false,
        }
    }
}

/// A plan for one result: its operations and what they do.
struct Plan {
    ops: Vec<Op>,
    description: String,
}

fn steps(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn owned(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| (*s).to_owned()).collect()
}

/// The object's path in its document: `/items/N` for an item of a `kind: List`, else the root.
fn object_base(result: &CheckResult, root: &CNode) -> Vec<String> {
    let path = steps(&result.pointer);
    let is_list = root
        .child("kind")
        .and_then(CNode::scalar)
        .is_some_and(|k| k.ends_with("List"));
    match (is_list, path.first(), path.get(1)) {
        (true, Some(items), Some(n)) if items == "items" => vec![items.clone(), n.clone()],
        _ => Vec::new(),
    }
}

/// Where the container of a result is: the `containers/N` (or init, ephemeral) prefix of its
/// pointer, else the container of that name.
fn container_path(result: &CheckResult, root: &CNode, base: &[String]) -> Option<Vec<String>> {
    let path = steps(&result.pointer);
    for (i, step) in path.iter().enumerate() {
        if matches!(
            step.as_str(),
            "containers" | "initContainers" | "ephemeralContainers"
        ) && let Some(n) = path.get(i + 1)
            && n.parse::<usize>().is_ok()
        {
            return path.get(..i + 2).map(<[String]>::to_vec);
        }
    }
    let name = result.container.as_deref()?;
    let spec = pod_spec_path(result, base)?;
    let spec_node = root.at(spec.iter().map(String::as_str))?;
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(Kind::Seq { items, .. }) = spec_node.child(list).map(|n| &n.kind) {
            for (i, item) in items.iter().enumerate() {
                if item.child("name").and_then(CNode::scalar) == Some(name) {
                    let mut p = spec.clone();
                    p.push(list.to_owned());
                    p.push(i.to_string());
                    return Some(p);
                }
            }
        }
    }
    None
}

fn pod_spec_path(result: &CheckResult, base: &[String]) -> Option<Vec<String>> {
    let mut path = base.to_vec();
    path.extend(owned(template_path(&result.resource.kind)?));
    path.push("spec".to_owned());
    Some(path)
}

/// The container's name for descriptions.
fn container_name(result: &CheckResult) -> String {
    result.container.as_deref().map_or_else(
        || "the container".to_owned(),
        |n| format!("container {n:?}"),
    )
}

/// A security-context field in the result's container.
fn in_container(
    result: &CheckResult,
    root: &CNode,
    base: &[String],
    field: &[&str],
    action: Action,
    what: &str,
) -> Option<Plan> {
    let mut path = container_path(result, root, base)?;
    path.extend(owned(field));
    Some(Plan {
        ops: vec![Op { path, action }],
        description: format!(
            "{what} in {} (container level, the narrowest setting that passes)",
            container_name(result)
        ),
    })
}

/// The field the result points at, when it is named `key` and exists.
fn at_pointer(result: &CheckResult, root: &CNode, keys: &[&str]) -> Option<Vec<String>> {
    let path = steps(&result.pointer);
    let last = path.last()?;
    if !keys.contains(&last.as_str()) {
        return None;
    }
    let node = root.at(path.iter().map(String::as_str))?;
    matches!(node.kind, Kind::Scalar(..)).then_some(path)
}

fn set_at(path: Vec<String>, value: Val, what: String) -> Plan {
    Plan {
        ops: vec![Op {
            path,
            action: Action::Set(value),
        }],
        description: what,
    }
}

/// Whether the object at `base` is a Pod whose container runs a control-plane component
/// (kube-apiserver, kube-controller-manager, kube-scheduler, etcd): a static pod of the
/// control plane, which the CIS checks read too.
fn runs_control_plane(root: &CNode, base: &[String]) -> bool {
    let object = root.at(base.iter().map(String::as_str));
    let Some(object) = object.filter(|o| o.child("kind").and_then(CNode::scalar) == Some("Pod"))
    else {
        return false;
    };
    let Some(Kind::Seq { items, .. }) = object.at(["spec", "containers"]).map(|c| &c.kind) else {
        return false;
    };
    items
        .iter()
        .any(|container| flags::container_component(container).is_some())
}

/// Whether the result's container runs as uid 0 by its own or its pod's `runAsUser`.
fn runs_as_root(result: &CheckResult, root: &CNode, base: &[String]) -> bool {
    let user = |path: Option<Vec<String>>| {
        let mut path = path?;
        path.extend(owned(&["securityContext", "runAsUser"]));
        root.at(path.iter().map(String::as_str))
            .and_then(CNode::scalar)
            .map(|u| u.trim() == "0")
    };
    user(container_path(result, root, base))
        .or_else(|| user(pod_spec_path(result, base)))
        .unwrap_or(false)
}

/// The fix of one failing result, as operations.
fn plan(result: &CheckResult, root: &CNode) -> Option<Plan> {
    let base = object_base(result, root);
    let base = base.as_slice();
    let pointer_text = result.pointer.as_str();
    let sc = "securityContext";
    match result.rule.as_str() {
        // A control-plane static pod needs the host's network (its clients and the kubelet
        // reach it on the node's address), and runs as root to read the root-owned keys under
        // /etc/kubernetes/pki: turning either off would break the cluster, not fix it.
        "PSS002" | "PSS006" | "PSS103" if runs_control_plane(root, base) => None,
        "PSS102" => in_container(
            result,
            root,
            base,
            &[sc, "allowPrivilegeEscalation"],
            Action::Set(Val::Bool(false)),
            "set securityContext.allowPrivilegeEscalation: false",
        ),
        // `runAsUser: 0` with `runAsNonRoot: true` is a container the kubelet refuses to start:
        // which user to run as is the operator's choice (PSS104 asks for it too).
        "PSS103" if runs_as_root(result, root, base) => None,
        "PSS103" => {
            if let Some(path) = at_pointer(result, root, &["runAsNonRoot"]) {
                let level = if result.container.is_some() {
                    container_name(result)
                } else {
                    "the pod".to_owned()
                };
                return Some(set_at(
                    path,
                    Val::Bool(true),
                    format!("change securityContext.runAsNonRoot to true in {level}"),
                ));
            }
            in_container(
                result,
                root,
                base,
                &[sc, "runAsNonRoot"],
                Action::Set(Val::Bool(true)),
                "set securityContext.runAsNonRoot: true",
            )
        }
        "PSS105" => {
            if let Some(path) = at_pointer(result, root, &["type"]) {
                let parent = path.get(..path.len().saturating_sub(1))?;
                let profile = root.at(parent.iter().map(String::as_str))?;
                if parent.last().map(String::as_str) != Some("seccompProfile")
                    || profile.entry("localhostProfile").is_some()
                {
                    return None;
                }
                return Some(set_at(
                    path,
                    Val::Str("RuntimeDefault"),
                    "change seccompProfile.type to RuntimeDefault".to_owned(),
                ));
            }
            if pointer_text.ends_with("/seccompProfile") {
                // A profile without a type (or with one the pointer does not reach): only an
                // empty one is completed safely.
                return None;
            }
            in_container(
                result,
                root,
                base,
                &[sc, "seccompProfile", "type"],
                Action::Set(Val::Str("RuntimeDefault")),
                "set securityContext.seccompProfile.type: RuntimeDefault",
            )
        }
        "PSS106" | "WKL006" => {
            if pointer_text.contains("/capabilities/add") {
                // The container asks for a capability the rule forbids: removing it changes what
                // the application can do, which is not a mechanical decision.
                return None;
            }
            let (cap, what) = if result.rule == "PSS106" {
                ("ALL", "add ALL to securityContext.capabilities.drop")
            } else {
                (
                    "NET_RAW",
                    "add NET_RAW to securityContext.capabilities.drop",
                )
            };
            in_container(
                result,
                root,
                base,
                &[sc, "capabilities", "drop"],
                Action::Append(vec![Val::Str(cap)]),
                what,
            )
        }
        "PSS003" => at_pointer(result, root, &["privileged"]).map(|p| {
            set_at(
                p,
                Val::Bool(false),
                format!(
                    "change securityContext.privileged to false in {}",
                    container_name(result)
                ),
            )
        }),
        "PSS002" => {
            let path = at_pointer(result, root, &["hostNetwork", "hostPID", "hostIPC"])?;
            let key = path.last()?.clone();
            Some(set_at(
                path,
                Val::Bool(false),
                format!("change {key} to false in the pod spec"),
            ))
        }
        "PSS006" => {
            let path = at_pointer(result, root, &["hostPort"])?;
            Some(Plan {
                ops: vec![Op {
                    path,
                    action: Action::Remove,
                }],
                description: format!(
                    "remove hostPort from the port of {}",
                    container_name(result)
                ),
            })
        }
        "PSS010" | "PSS107" => at_pointer(result, root, &["procMount"]).map(|p| {
            set_at(
                p,
                Val::Str("Default"),
                format!(
                    "change securityContext.procMount to Default in {}",
                    container_name(result)
                ),
            )
        }),
        "WKL001" => {
            if let Some(path) = at_pointer(result, root, &["readOnlyRootFilesystem"]) {
                return Some(set_at(
                    path,
                    Val::Bool(true),
                    format!(
                        "change securityContext.readOnlyRootFilesystem to true in {}",
                        container_name(result)
                    ),
                ));
            }
            in_container(
                result,
                root,
                base,
                &[sc, "readOnlyRootFilesystem"],
                Action::Set(Val::Bool(true)),
                "set securityContext.readOnlyRootFilesystem: true",
            )
        }
        "WKL004" => {
            let mut path = pod_spec_path(result, base)?;
            path.push("automountServiceAccountToken".to_owned());
            Some(set_at(
                path,
                Val::Bool(false),
                "set automountServiceAccountToken: false in the pod spec (pod level: the \
                 ServiceAccount may serve pods that need the token)"
                    .to_owned(),
            ))
        }
        "RBAC005" => {
            let mut path = base.to_vec();
            path.push("automountServiceAccountToken".to_owned());
            Some(set_at(
                path,
                Val::Bool(false),
                "set automountServiceAccountToken: false on the default ServiceAccount".to_owned(),
            ))
        }
        "IMG004" => {
            let mut path = container_path(result, root, base)?;
            path.push("imagePullPolicy".to_owned());
            Some(set_at(
                path,
                Val::Str("Always"),
                format!("set imagePullPolicy: Always in {}", container_name(result)),
            ))
        }
        _ => None,
    }
}

/// How the document is written, for the text a fix adds.
#[derive(Debug, Clone, Copy)]
struct Style {
    crlf: bool,
    /// Spaces per level of block mapping.
    width: usize,
    /// Columns between a key and the `- ` of its block list (0 or the width, usually).
    seq_indent: usize,
    /// Spaces after the `-` of a block list item (1, or more to align with the width).
    dash_pad: usize,
}

fn line_start(text: &str, at: usize) -> usize {
    text.get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

fn column(text: &str, at: usize) -> usize {
    at - line_start(text, at)
}

/// The byte after the line break that ends the line of `at` (the text's end if none).
fn next_line(text: &str, at: usize) -> Option<usize> {
    text.get(at..)?.find('\n').map(|i| at + i + 1)
}

impl Style {
    fn of(text: &str, root: &CNode) -> Style {
        let mut width = None;
        let mut seq_indent = None;
        let mut dash_pad = None;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match &node.kind {
                Kind::Map {
                    flow: false,
                    entries,
                    ..
                } => {
                    for (k, v) in entries {
                        match &v.kind {
                            Kind::Map {
                                flow: false,
                                entries: inner,
                                ..
                            } if width.is_none() => {
                                if let Some((ik, _)) = inner.first() {
                                    let d = column(text, ik.start)
                                        .saturating_sub(column(text, k.start));
                                    if d > 0
                                        && line_start(text, ik.start) != line_start(text, k.start)
                                    {
                                        width = Some(d);
                                    }
                                }
                            }
                            Kind::Seq {
                                flow: false, items, ..
                            } if seq_indent.is_none() => {
                                if let Some((item, dash)) =
                                    items.first().and_then(|i| Some((i, dash_of(text, i)?)))
                                {
                                    seq_indent = Some(
                                        column(text, dash).saturating_sub(column(text, k.start)),
                                    );
                                    dash_pad = Some(item.start.saturating_sub(dash + 1).max(1));
                                }
                            }
                            _ => {}
                        }
                        stack.push(v);
                    }
                }
                Kind::Map { entries, .. } => stack.extend(entries.iter().map(|(_, v)| v)),
                Kind::Seq { items, .. } => stack.extend(items.iter()),
                _ => {}
            }
        }
        Style {
            crlf: text.contains("\r\n"),
            width: width.unwrap_or(2),
            seq_indent: seq_indent.unwrap_or(0),
            dash_pad: dash_pad.unwrap_or(1),
        }
    }

    /// `- ` as the document writes it.
    fn dash(self) -> String {
        format!("-{}", " ".repeat(self.dash_pad))
    }

    fn nl(self) -> &'static str {
        if self.crlf { "\r\n" } else { "\n" }
    }
}

/// The `-` of a block list item.
fn dash_of(text: &str, item: &CNode) -> Option<usize> {
    let before = text.get(line_start(text, item.start)..item.start)?;
    let trimmed = before.trim_end();
    trimmed
        .ends_with('-')
        .then(|| line_start(text, item.start) + trimmed.len() - 1)
}

/// Writes a merged tree into one document.
struct Writer<'t> {
    text: &'t str,
    style: Style,
    /// Edits as (start, end, new text), in bytes of the document.
    edits: Vec<(usize, usize, String)>,
    patch: Vec<PatchOp>,
    /// Length of the object's path in the document (stripped from patch paths).
    base: usize,
    /// False when some operation could not be written.
    complete: bool,
}

impl Writer<'_> {
    fn patch_path(&self, path: &[String]) -> String {
        pointer(path.get(self.base..).unwrap_or_default())
    }

    fn walk(&mut self, node: &CNode, tree: &Tree, path: &mut Vec<String>) {
        if let Some(action) = &tree.action {
            self.act(node, action, path);
            return;
        }
        match &node.kind {
            Kind::Map {
                flow,
                entries,
                close,
            } => {
                let mut missing = Vec::new();
                for (key, sub) in &tree.children {
                    if let Some(Action::Argv(changes)) = &sub.action {
                        self.argv(node, changes, path);
                        continue;
                    }
                    path.push(key.clone());
                    match node.entry(key) {
                        Some((k, v)) => {
                            if sub.action == Some(Action::Remove) {
                                self.remove(entries, k, v, path);
                            } else if v.is_null() && !matches!(sub.action, Some(Action::Set(_))) {
                                self.fill_null(*flow, k, v, sub, path);
                            } else {
                                self.walk(v, sub, path);
                            }
                        }
                        None if sub.action == Some(Action::Remove) => {}
                        None => missing.push((key.as_str(), sub)),
                    }
                    path.pop();
                }
                if !missing.is_empty() {
                    self.insert(node, *flow, entries, *close, &missing, path);
                }
            }
            Kind::Seq { items, .. } => {
                for (key, sub) in &tree.children {
                    match key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                        Some(item) => {
                            path.push(key.clone());
                            self.walk(item, sub, path);
                            path.pop();
                        }
                        None => self.complete = false,
                    }
                }
            }
            _ => self.complete = false,
        }
    }

    fn act(&mut self, node: &CNode, action: &Action, path: &[String]) {
        match (action, &node.kind) {
            (Action::Set(v), Kind::Scalar(text, style)) => {
                if v.matches(text) && *style == ScalarStyle::Plain {
                    return;
                }
                let quote = match style {
                    ScalarStyle::SingleQuoted => Some('\''),
                    ScalarStyle::DoubleQuoted => Some('"'),
                    _ => None,
                };
                let quote = if matches!(v, Val::Str(_)) {
                    quote
                } else {
                    None
                };
                let mut new = v.yaml(quote);
                if node.start == node.end
                    && self
                        .text
                        .get(..node.start)
                        .is_some_and(|t| t.ends_with(':'))
                {
                    new.insert(0, ' ');
                }
                self.edits.push((node.start, node.end, new));
                self.patch.push(PatchOp::Replace {
                    path: self.patch_path(path),
                    value: v.json(),
                });
            }
            (Action::Append(values), Kind::Seq { flow, items, close }) => {
                let new: Vec<Val> = values
                    .iter()
                    .copied()
                    .filter(|v| {
                        !items
                            .iter()
                            .any(|i| i.scalar().is_some_and(|s| v.matches(s)))
                    })
                    .collect();
                if new.is_empty() {
                    return;
                }
                let quote = items.last().and_then(|i| match i.kind {
                    Kind::Scalar(_, ScalarStyle::SingleQuoted) => Some('\''),
                    Kind::Scalar(_, ScalarStyle::DoubleQuoted) => Some('"'),
                    _ => None,
                });
                let rendered: Vec<String> = new.iter().map(|v| v.yaml(quote)).collect();
                match (flow, items.last(), close) {
                    (true, Some(last), _) => {
                        self.edits
                            .push((last.end, last.end, format!(", {}", rendered.join(", "))));
                    }
                    (true, None, Some(close)) => {
                        self.edits.push((*close, *close, rendered.join(", ")));
                    }
                    (false, Some(last), _) => {
                        let Some(dash) = items.first().and_then(|i| dash_of(self.text, i)) else {
                            self.complete = false;
                            return;
                        };
                        let pad = " ".repeat(column(self.text, dash));
                        let after = items
                            .first()
                            .map_or(1, |i| i.start.saturating_sub(dash + 1).max(1));
                        let after = " ".repeat(after);
                        let nl = self.style.nl();
                        let mut lines = String::new();
                        for r in &rendered {
                            lines.push_str(&format!("{pad}-{after}{r}{nl}"));
                        }
                        self.insert_lines(last.end, lines);
                    }
                    _ => {
                        self.complete = false;
                        return;
                    }
                }
                for v in new {
                    self.patch.push(PatchOp::Add {
                        path: format!("{}/-", self.patch_path(path)),
                        value: v.json(),
                    });
                }
            }
            _ => self.complete = false,
        }
    }

    /// Inserts whole lines after the line of `after`.
    fn insert_lines(&mut self, after: usize, lines: String) {
        match next_line(self.text, after) {
            Some(at) => self.edits.push((at, at, lines)),
            None => {
                let at = self.text.len();
                let nl = self.style.nl();
                self.edits
                    .push((at, at, format!("{nl}{}", lines.trim_end_matches(nl))));
            }
        }
    }

    fn remove(&mut self, entries: &[(CNode, CNode)], key: &CNode, value: &CNode, path: &[String]) {
        let Some(i) = entries.iter().position(|(k, _)| k.start == key.start) else {
            self.complete = false;
            return;
        };
        // From this key to the next one, or from the previous value to this one's end: the
        // entry and the separator that goes with it, never a comment.
        let range = match (
            entries.get(i + 1),
            i.checked_sub(1).and_then(|p| entries.get(p)),
        ) {
            (Some((next, _)), _) => (key.start, next.start),
            (None, Some((_, prev))) => (prev.end, value.end),
            (None, None) => {
                self.complete = false;
                return;
            }
        };
        if self
            .text
            .get(range.0..range.1)
            .is_none_or(|t| t.contains('#'))
        {
            self.complete = false;
            return;
        }
        self.edits.push((range.0, range.1, String::new()));
        self.patch.push(PatchOp::Remove {
            path: self.patch_path(path),
        });
    }

    /// `key:` with no value (or `~`, `null`) that must become a mapping or a list.
    fn fill_null(&mut self, flow: bool, key: &CNode, value: &CNode, tree: &Tree, path: &[String]) {
        let nl = self.style.nl();
        if flow {
            let mut new = render_flow(tree);
            if self
                .text
                .get(..value.start)
                .is_some_and(|t| t.ends_with(':'))
            {
                new.insert(0, ' ');
            }
            self.edits.push((value.start, value.end, new));
        } else {
            if value.end > value.start {
                self.edits.push((value.start, value.end, String::new()));
            }
            let mut lines = String::new();
            let indent = column(self.text, key.start);
            match &tree.action {
                Some(Action::Append(values)) => {
                    let pad = " ".repeat(indent + self.style.seq_indent);
                    for v in values {
                        let dash = self.style.dash();
                        lines.push_str(&format!("{pad}{dash}{}{nl}", v.yaml(None)));
                    }
                }
                _ => self.render_block(&children(tree), indent + self.style.width, &mut lines),
            }
            self.insert_lines(key.end.max(value.end), lines);
        }
        self.patch.push(PatchOp::Replace {
            path: self.patch_path(path),
            value: json_of(tree),
        });
    }

    fn insert(
        &mut self,
        map: &CNode,
        flow: bool,
        entries: &[(CNode, CNode)],
        close: Option<usize>,
        missing: &[(&str, &Tree)],
        path: &mut Vec<String>,
    ) {
        if flow {
            let text = missing
                .iter()
                .map(|(k, t)| format!("{k}: {}", render_flow(t)))
                .collect::<Vec<_>>()
                .join(", ");
            match (entries.last(), close) {
                (Some((_, last)), _) => self.edits.push((last.end, last.end, format!(", {text}"))),
                (None, Some(close)) => self.edits.push((close, close, text)),
                _ => {
                    self.complete = false;
                    return;
                }
            }
        } else {
            let Some((first, _)) = entries.first() else {
                self.complete = false;
                return;
            };
            let mut lines = String::new();
            self.render_block(missing, column(self.text, first.start), &mut lines);
            self.insert_lines(map.end, lines);
        }
        for (k, t) in missing {
            path.push((*k).to_owned());
            self.patch.push(PatchOp::Add {
                path: self.patch_path(path),
                value: json_of(t),
            });
            path.pop();
        }
    }

    /// Rewrites a container's command line (its `command`, then its `args`) with `changes`:
    /// changed arguments in place (keeping their quotes), removed ones with their line, new
    /// flags after the last argument, in the list that holds it.
    fn argv(&mut self, container: &CNode, changes: &[flags::Change], path: &[String]) {
        let Some(old) = flags::argv_of(container) else {
            self.complete = false;
            return;
        };
        let texts: Vec<String> = old
            .iter()
            .map(|(_, _, n)| n.scalar().unwrap_or_default().to_owned())
            .collect();
        let Some(new) = flags::component_of(&texts)
            .and_then(|component| flags::apply(component, &texts, changes))
        else {
            self.complete = false;
            return;
        };
        let item_path = |key: &str, i: usize| {
            let mut p = path.to_vec();
            p.push(key.to_owned());
            p.push(i.to_string());
            p
        };
        let mut removed: Vec<(&str, usize)> = Vec::new();
        for (oi, (key, i, node)) in old.iter().enumerate() {
            let flow = matches!(
                container.child(key).map(|l| &l.kind),
                Some(Kind::Seq { flow: true, .. })
            );
            match new.iter().find(|a| a.origin == Some(oi)) {
                None => {
                    removed.push((key, *i));
                    self.remove_item(container.child(key), *i);
                }
                Some(arg) if texts.get(oi) != Some(&arg.text) => {
                    let Some(rendered) = scalar_text(&arg.text, style_of(node), flow) else {
                        self.complete = false;
                        return;
                    };
                    self.edits.push((node.start, node.end, rendered));
                    self.patch.push(PatchOp::Replace {
                        path: self.patch_path(&item_path(key, *i)),
                        value: serde_json::Value::String(arg.text.clone()),
                    });
                }
                Some(_) => {}
            }
        }
        removed.sort_by(|a, b| b.cmp(a));
        for (key, i) in removed {
            self.patch.push(PatchOp::Remove {
                path: self.patch_path(&item_path(key, i)),
            });
        }
        let added: Vec<&str> = new
            .iter()
            .filter(|a| a.origin.is_none())
            .map(|a| a.text.as_str())
            .collect();
        let Some((key, ..)) = old.last() else {
            return;
        };
        if added.is_empty() {
            return;
        }
        let Some(list) = container.child(key) else {
            self.complete = false;
            return;
        };
        self.append_items(list, &added);
        let mut list_path = path.to_vec();
        list_path.push((*key).to_owned());
        for text in added {
            self.patch.push(PatchOp::Add {
                path: format!("{}/-", self.patch_path(&list_path)),
                value: serde_json::Value::String(text.to_owned()),
            });
        }
    }

    /// Appends string items to a list, written as its last item is (quotes, dash column).
    fn append_items(&mut self, list: &CNode, texts: &[&str]) {
        let Kind::Seq { flow, items, close } = &list.kind else {
            self.complete = false;
            return;
        };
        let style = items.last().map_or(ScalarStyle::Plain, style_of);
        let mut rendered = Vec::new();
        for t in texts {
            match scalar_text(t, style, *flow) {
                Some(r) => rendered.push(r),
                None => {
                    self.complete = false;
                    return;
                }
            }
        }
        match (flow, items.last(), close) {
            (true, Some(last), _) => {
                self.edits
                    .push((last.end, last.end, format!(", {}", rendered.join(", "))));
            }
            (true, None, Some(close)) => self.edits.push((*close, *close, rendered.join(", "))),
            (false, Some(last), _) => {
                let Some(dash) = items.first().and_then(|i| dash_of(self.text, i)) else {
                    self.complete = false;
                    return;
                };
                let pad = " ".repeat(column(self.text, dash));
                let after = " ".repeat(
                    items
                        .first()
                        .map_or(1, |i| i.start.saturating_sub(dash + 1).max(1)),
                );
                let nl = self.style.nl();
                let lines: String = rendered
                    .iter()
                    .map(|r| format!("{pad}-{after}{r}{nl}"))
                    .collect();
                self.insert_lines(last.end, lines);
            }
            _ => self.complete = false,
        }
    }

    /// Removes item `i` of a list: its whole line in a block list, the item and one comma in a
    /// flow list; never a comment (the edit is then not made).
    fn remove_item(&mut self, list: Option<&CNode>, i: usize) {
        let Some(Kind::Seq { flow, items, .. }) = list.map(|l| &l.kind) else {
            self.complete = false;
            return;
        };
        let Some(item) = items.get(i) else {
            self.complete = false;
            return;
        };
        let range = if *flow {
            match (
                i.checked_sub(1).and_then(|p| items.get(p)),
                items.get(i + 1),
            ) {
                (Some(prev), _) => Some((prev.end, item.end)),
                (None, Some(next)) => Some((item.start, next.start)),
                (None, None) => None,
            }
        } else {
            dash_of(self.text, item).and_then(|dash| {
                let start = line_start(self.text, dash);
                let end = next_line(self.text, item.end).unwrap_or(self.text.len());
                let before = self.text.get(start..dash)?;
                let after = self.text.get(item.end..end)?;
                (before.trim().is_empty() && after.trim().is_empty()).then_some((start, end))
            })
        };
        match range {
            Some((start, end)) if self.text.get(start..end).is_some_and(|t| !t.contains('#')) => {
                self.edits.push((start, end, String::new()));
            }
            _ => self.complete = false,
        }
    }

    fn render_block(&self, entries: &[(&str, &Tree)], indent: usize, out: &mut String) {
        let nl = self.style.nl();
        let pad = " ".repeat(indent);
        for (key, tree) in entries {
            match &tree.action {
                Some(Action::Set(v)) => out.push_str(&format!("{pad}{key}: {}{nl}", v.yaml(None))),
                Some(Action::Append(values)) => {
                    out.push_str(&format!("{pad}{key}:{nl}"));
                    let pad = " ".repeat(indent + self.style.seq_indent);
                    let dash = self.style.dash();
                    for v in values {
                        out.push_str(&format!("{pad}{dash}{}{nl}", v.yaml(None)));
                    }
                }
                Some(Action::Remove | Action::Argv(_)) => {}
                None => {
                    out.push_str(&format!("{pad}{key}:{nl}"));
                    self.render_block(&children(tree), indent + self.style.width, out);
                }
            }
        }
    }
}

fn style_of(node: &CNode) -> ScalarStyle {
    match node.kind {
        Kind::Scalar(_, style) => style,
        _ => ScalarStyle::Plain,
    }
}

/// A string scalar written in `style` (a plain one is double-quoted when it would not read back
/// as the same string); `None` for block scalars (`|`, `>`), which are not rewritten.
fn scalar_text(text: &str, style: ScalarStyle, flow: bool) -> Option<String> {
    let double = || format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""));
    match style {
        ScalarStyle::SingleQuoted => Some(format!("'{}'", text.replace('\'', "''"))),
        ScalarStyle::DoubleQuoted => Some(double()),
        ScalarStyle::Plain if plain_safe(text, flow) => Some(text.to_owned()),
        ScalarStyle::Plain => Some(double()),
        _ => None,
    }
}

/// Whether `text` written plain reads back as the same string (in a flow collection when
/// `flow`): no indicator first, no `: ` or ` #`, and not a word YAML reads as another type.
fn plain_safe(text: &str, flow: bool) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let second = chars.next();
    let indicator = "[]{},#&*!|>'\"%@`".contains(first)
        || (matches!(first, '-' | '?' | ':') && second.is_none_or(char::is_whitespace));
    let typed = yaml_bool(text).is_some()
        || matches!(text, "~" | "null" | "Null" | "NULL")
        || text.parse::<f64>().is_ok()
        || text.starts_with("0x")
        || text.starts_with("0o");
    !indicator
        && !typed
        && text.trim() == text
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.contains(['\n', '\r', '\t'])
        && !(flow && text.contains([',', '[', ']', '{', '}']))
}

fn children(tree: &Tree) -> Vec<(&str, &Tree)> {
    tree.children
        .iter()
        .filter(|(_, t)| t.action != Some(Action::Remove))
        .map(|(k, t)| (k.as_str(), t))
        .collect()
}

fn render_flow(tree: &Tree) -> String {
    match &tree.action {
        Some(Action::Set(v)) => v.yaml(None),
        Some(Action::Append(values)) => format!(
            "[{}]",
            values
                .iter()
                .map(|v| v.yaml(None))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Action::Remove | Action::Argv(_)) => String::new(),
        None => format!(
            "{{{}}}",
            children(tree)
                .iter()
                .map(|(k, t)| format!("{k}: {}", render_flow(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn json_of(tree: &Tree) -> serde_json::Value {
    match &tree.action {
        Some(Action::Set(v)) => v.json(),
        Some(Action::Append(values)) => values.iter().map(|v| v.json()).collect(),
        Some(Action::Remove | Action::Argv(_)) => serde_json::Value::Null,
        None => serde_json::Value::Object(
            children(tree)
                .into_iter()
                .map(|(k, t)| (k.to_owned(), json_of(t)))
                .collect(),
        ),
    }
}

/// The fixes of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileFix {
    /// The edits of every fixed result, merged (file positions, in order, not overlapping).
    pub edits: Vec<TextEdit>,
    /// The indices (in the results given) of the results these edits fix.
    pub fixed: Vec<usize>,
}

/// One document of a file: its text and where it starts.
struct Document<'t> {
    text: &'t str,
    offset: usize,
    first_line: u32,
    root: Option<CNode>,
}

fn documents(text: &str) -> Vec<Document<'_>> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (text.len() - rest.len(), rest),
        None => (0, text),
    };
    if yaml::is_json_stream(body) {
        return Vec::new();
    }
    let (chunks, _) = yaml::split_stream(body);
    let mut docs = Vec::new();
    for chunk in chunks {
        let mut offset = bom;
        let mut line = 1u32;
        for l in body.split_inclusive('\n') {
            if line >= chunk.first_line {
                break;
            }
            offset += l.len();
            line = line.saturating_add(1);
        }
        docs.push(Document {
            text: chunk.text,
            offset,
            first_line: chunk.first_line,
            root: None,
        });
    }
    docs
}

/// The edits (and patch) that fix `results`, all in the file `text`; results without a fix,
/// not failing, or in conflict with one already taken are left out of `fixed`. The
/// descriptions are by index into `results`.
fn fix_in_file(
    text: &str,
    docs: &mut [Document<'_>],
    results: &[&CheckResult],
) -> (FileFix, Vec<PatchOp>, Vec<(usize, String)>) {
    // Per document: the merged tree, the results fixed in it and their descriptions, the
    // length of the object's path.
    type Planned = (Tree, Vec<usize>, Vec<(usize, String)>, usize);
    let mut trees: Vec<Planned> = docs
        .iter()
        .map(|_| (Tree::default(), Vec::new(), Vec::new(), 0))
        .collect();
    // Flag checks of a static pod, by document and container: planned together.
    let mut groups: Vec<(usize, Vec<String>, Vec<usize>)> = Vec::new();
    for (i, result) in results.iter().enumerate() {
        if result.status != Status::Fail || !is_fixable(&result.rule) {
            continue;
        }
        let Some(d) = docs
            .iter()
            .rposition(|d| d.first_line <= result.location.line)
        else {
            continue;
        };
        let Some(doc) = docs.get_mut(d) else { continue };
        if doc.root.is_none() {
            doc.root = cst::parse(doc.text);
        }
        let Some(root) = doc.root.as_ref() else {
            continue;
        };
        if flags::is_flag_result(result) {
            let base = object_base(result, root);
            if let Some(path) = container_path(result, root, &base) {
                match groups
                    .iter_mut()
                    .find(|(gd, gp, _)| *gd == d && *gp == path)
                {
                    Some((_, _, members)) => members.push(i),
                    None => groups.push((d, path, vec![i])),
                }
            }
            continue;
        }
        let Some(plan) = plan(result, root) else {
            continue;
        };
        let Some((tree, fixed, descriptions, base)) = trees.get_mut(d) else {
            continue;
        };
        if plan.ops.iter().all(|op| tree.add(op)) {
            fixed.push(i);
            descriptions.push((i, plan.description));
            *base = object_base(result, root).len();
        }
    }
    for (d, path, members) in groups {
        let Some(root) = docs.get(d).and_then(|doc| doc.root.as_ref()) else {
            continue;
        };
        let Some(container) = root.at(path.iter().map(String::as_str)) else {
            continue;
        };
        let group: Vec<&CheckResult> = members
            .iter()
            .filter_map(|i| results.get(*i).copied())
            .collect();
        let Some(plan) = flags::plan_group(container, &group) else {
            continue;
        };
        let Some(first) = group.first() else { continue };
        let base = object_base(first, root).len();
        let mut command = path.clone();
        command.push("command".to_owned());
        let Some((tree, fixed, descriptions, tree_base)) = trees.get_mut(d) else {
            continue;
        };
        if tree.add(&Op {
            path: command,
            action: Action::Argv(plan.changes),
        }) {
            for (g, description) in plan.fixed {
                if let Some(&i) = members.get(g) {
                    fixed.push(i);
                    descriptions.push((i, description));
                }
            }
            *tree_base = base;
        }
    }
    let mut out = FileFix::default();
    let mut patch = Vec::new();
    let mut descriptions = Vec::new();
    for (doc, (tree, fixed, described, base)) in docs.iter().zip(trees) {
        let Some(root) = doc.root.as_ref() else {
            continue;
        };
        if fixed.is_empty() {
            continue;
        }
        let mut writer = Writer {
            text: doc.text,
            style: Style::of(doc.text, root),
            edits: Vec::new(),
            patch: Vec::new(),
            base,
            complete: true,
        };
        writer.walk(root, &tree, &mut Vec::new());
        if !writer.complete {
            continue;
        }
        let mut edits = writer.edits;
        edits.sort_by_key(|e| e.0);
        if edits.windows(2).any(|w| matches!(w, [a, b] if a.1 > b.0)) {
            continue;
        }
        out.edits
            .extend(edits.into_iter().map(|(s, e, new_text)| TextEdit {
                start: position(text, doc.offset + s),
                end: position(text, doc.offset + e),
                new_text,
            }));
        out.fixed.extend(fixed);
        patch.extend(writer.patch);
        descriptions.extend(described);
    }
    (out, patch, descriptions)
}

/// The position of a byte offset of `text`.
fn position(text: &str, offset: usize) -> TextPosition {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let units = before.get(line_start..).unwrap_or_default().chars().count();
    TextPosition {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(units + 1).unwrap_or(u32::MAX),
        offset,
    }
}

/// The fixes of all the given results that are in the file `text` (failing, fixable and not
/// in conflict with each other), merged into one set of edits.
pub fn fix_file(text: &str, results: &[&CheckResult]) -> FileFix {
    fix_in_file(text, &mut documents(text), results).0
}

/// The fix of one failing result of the file `text`, if it has one.
pub fn fix_result(text: &str, result: &CheckResult) -> Option<Fix> {
    one_fix(text, &mut documents(text), &[result])
}

/// The fix of `result` (`group[0]`), planned with `group`: for a flag check of a static pod,
/// the other failing checks of the same flags, so that the edit is the one that passes them
/// all (removing `AlwaysAllow` from an unset `--authorization-mode` needs `Node` and `RBAC`).
fn one_fix(text: &str, docs: &mut [Document<'_>], group: &[&CheckResult]) -> Option<Fix> {
    let (fix, patch, descriptions) = fix_in_file(text, docs, group);
    if !fix.fixed.contains(&0) || fix.edits.is_empty() {
        return None;
    }
    let description = descriptions
        .into_iter()
        .find(|(i, _)| *i == 0)
        .map(|(_, d)| d)?;
    Some(Fix {
        description,
        edits: fix.edits,
        patch,
    })
}

/// Applies edits (as [`fix_file`] returns them: in order, not overlapping) to `text`.
pub fn apply(text: &str, edits: &[TextEdit]) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0usize;
    for edit in edits {
        if edit.start.offset < at || edit.end.offset < edit.start.offset {
            return None;
        }
        out.push_str(text.get(at..edit.start.offset)?);
        out.push_str(&edit.new_text);
        at = edit.end.offset;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// Attaches its fix to every failing result of the manifest files of `files`. The results are
/// sorted by file once (a scan of thousands of files holds hundreds of thousands of results).
pub fn attach(results: &mut [CheckResult], files: &[&crate::input::SourceFile<'_>]) {
    let mut wanted: std::collections::BTreeMap<smol_str::SmolStr, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if r.status == Status::Fail && is_fixable(&r.rule) {
            wanted.entry(r.location.file.clone()).or_default().push(i);
        }
    }
    for file in files {
        let Some(wanted) = wanted.get(file.name) else {
            continue;
        };
        let mut docs = documents(file.text);
        for &i in wanted {
            let Some(result) = results.get(i) else {
                continue;
            };
            // A flag check is planned with the other failing checks of the same flags when its
            // flag is not given (the result points at the container, not at an argument): the
            // flag is then written once, as they all need it (`--authorization-mode=Node,RBAC`,
            // not `AlwaysAllow,Node`, the default and the element), and its default may not
            // be fixable alone (removing `AlwaysAllow` needs `Node` and `RBAC`). A flag that is
            // given is fixed alone first: the narrowest edit.
            let group = flags::with_siblings(i, wanted, results);
            let given = result.pointer.contains("/command/") || result.pointer.contains("/args/");
            let alone = [result];
            let attempts: [&[&CheckResult]; 2] = if given {
                [&alone, &group]
            } else {
                [&group, &alone]
            };
            let fix = attempts
                .iter()
                .take(if group.len() > 1 { 2 } else { 1 })
                .find_map(|planned| one_fix(file.text, &mut docs, planned));
            if let Some(r) = results.get_mut(i) {
                r.fix = fix.map(Box::new);
            }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod flag_tests;
