//! Flag types and documented defaults of the Kubernetes components, and a flag's effective value
//! as the component computes it.
//!
//! The table is data (`benchmarks/component_flags.yaml`, compiled in), one list per component.
//! A flag's type decides how its text is parsed (Go's `strconv.ParseBool`, `ParseInt` with base
//! 0, `time.ParseDuration`) and how repeated occurrences combine: scalars keep the last one, pflag
//! string slices append every occurrence after the first, maps merge their keys. An empty string
//! value is the same as not setting the flag; a value the component would refuse to start with is
//! [`Effective::Invalid`], never a value.

use std::sync::OnceLock;

use serde::Deserialize;

use super::argv::Flag;
use super::plan::Component;
use crate::input::yaml::{self, Limits};

/// How a component parses its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    /// spf13/pflag (every Kubernetes component).
    Pflag,
    /// Go's standard `flag` package (etcd).
    Goflag,
}

/// The type of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagType {
    /// `strconv.ParseBool`.
    Bool,
    /// Any text.
    String,
    /// An IP address.
    Ip,
    /// `strconv.ParseInt(s, 0, 64)`.
    Int,
    /// `time.ParseDuration`.
    Duration,
    /// pflag `stringSlice`: comma-separated, appends on repeat.
    Strings,
    /// pflag `stringArray`: appends on repeat, never split.
    Array,
    /// `key=value,...`, merges on repeat.
    Map,
    /// `key=bool,...`, merges on repeat.
    MapBool,
}

/// What a component does with a number (0, or a negative one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// No limit at all.
    Unlimited,
    /// The feature is off.
    Disabled,
    /// The component refuses to start.
    Invalid,
    /// The component uses this number instead.
    Means(i64),
}

impl<'de> Deserialize<'de> for Meaning {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Meaning, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "unlimited" => Ok(Meaning::Unlimited),
            "disabled" => Ok(Meaning::Disabled),
            "invalid" => Ok(Meaning::Invalid),
            other => other.parse().map(Meaning::Means).map_err(|_| {
                serde::de::Error::custom(format!(
                    "{other:?} is not unlimited, disabled, invalid or a number"
                ))
            }),
        }
    }
}

impl Meaning {
    /// In words.
    pub fn describe(self) -> String {
        match self {
            Meaning::Unlimited => "no limit".to_owned(),
            Meaning::Disabled => "disabled".to_owned(),
            Meaning::Invalid => "invalid".to_owned(),
            Meaning::Means(n) => format!("the same as {n}"),
        }
    }
}

/// One flag of a component.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagSpec {
    /// Name without dashes.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FlagType,
    /// The documented default, when it is not empty.
    #[serde(default)]
    pub default: Option<String>,
    /// What 0 means (ints), when it is not simply the number 0.
    #[serde(default)]
    pub zero: Option<Meaning>,
    /// What a negative number means (ints), when it is not simply that number.
    #[serde(default)]
    pub negative: Option<Meaning>,
}

/// The flags of one component.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentFlags {
    /// The binary name (`kube-apiserver`).
    pub component: String,
    /// How it parses its command line.
    pub syntax: Syntax,
    /// The flag naming a config file that, when given, makes the component ignore its other
    /// flags (kube-proxy `config`, etcd `config-file`).
    #[serde(default, rename = "configReplacesFlags")]
    pub config_replaces_flags: Option<String>,
    /// Its flags.
    pub flags: Vec<FlagSpec>,
}

/// The whole table (parsed once from the compiled-in data; a unit test makes sure it parses).
pub fn table() -> &'static [ComponentFlags] {
    static TABLE: OnceLock<Vec<ComponentFlags>> = OnceLock::new();
    TABLE.get_or_init(|| parse_table().unwrap_or_default())
}

fn parse_table() -> Result<Vec<ComponentFlags>, String> {
    let text = include_str!("../benchmarks/component_flags.yaml");
    let (node, errors) = yaml::parse_document(text, 0, Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!(
            "component_flags.yaml:{}: {}",
            e.pos.line, e.message
        ));
    }
    let node = node.ok_or("component_flags.yaml is empty")?;
    serde_json::from_value(node.to_json()).map_err(|e| format!("component_flags.yaml: {e}"))
}

fn component_flags(component: Component) -> Option<&'static ComponentFlags> {
    table().iter().find(|c| c.component == component.binary())
}

/// How a component parses its command line.
pub fn syntax(component: Component) -> Syntax {
    component_flags(component).map_or(Syntax::Pflag, |c| c.syntax)
}

/// The flag naming a config file that, when given, makes the component ignore its other flags.
pub fn config_replaces_flags(component: Component) -> Option<&'static str> {
    component_flags(component)?.config_replaces_flags.as_deref()
}

/// A flag's row.
pub fn spec(component: Component, name: &str) -> Option<&'static FlagSpec> {
    component_flags(component)?
        .flags
        .iter()
        .find(|f| f.name == name)
}

/// A parsed value, in its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// Text (string, ip).
    Text(String),
    /// A number, and what the component makes of it.
    Int(i64, Option<Meaning>),
    /// A duration in nanoseconds, and its text.
    Duration(i128, String),
    /// A list (strings, array).
    List(Vec<String>),
    /// Key/value pairs in the order first set (map, map-bool; bools as `true`/`false`).
    Map(Vec<(String, String)>),
}

impl Value {
    /// The value as text: lists and maps comma-separated, booleans `true`/`false`.
    pub fn text(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Text(t) => t.clone(),
            Value::Int(n, _) => n.to_string(),
            Value::Duration(_, text) => text.clone(),
            Value::List(items) => items.join(","),
            Value::Map(pairs) => pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Whether the value counts as "set": empty text, lists and maps do not.
    pub fn is_set(&self) -> bool {
        match self {
            Value::Text(t) => !t.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(pairs) => !pairs.is_empty(),
            _ => true,
        }
    }

    /// The value of a key of a map.
    pub fn key(&self, key: &str) -> Option<&str> {
        match self {
            Value::Map(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

/// A flag's effective value on a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effective {
    /// The value the component runs with.
    Value {
        /// The value.
        value: Value,
        /// argv indexes of every occurrence, in order.
        indexes: Vec<usize>,
        /// How the occurrences combined, when there were several.
        combined: Option<&'static str>,
    },
    /// A value the component would refuse to start with.
    Invalid {
        /// Why.
        reason: String,
        /// The argv index of the offending occurrence.
        index: usize,
    },
}

/// Parses one value of a type. `Err` says why the component would reject it.
pub fn parse_value(spec: &FlagSpec, text: &str) -> Result<Value, String> {
    match spec.ty {
        FlagType::Bool => parse_bool(text)
            .map(Value::Bool)
            .ok_or_else(|| format!("{text:?} is not a boolean (true, false, 1, 0, t, f)")),
        FlagType::String => Ok(Value::Text(text.to_owned())),
        FlagType::Ip => text
            .parse::<std::net::IpAddr>()
            .map(|_| Value::Text(text.to_owned()))
            .map_err(|_| format!("{text:?} is not an IP address")),
        FlagType::Int => {
            let n = parse_int(text).ok_or_else(|| format!("{text:?} is not an integer"))?;
            let meaning = match n {
                0 => spec.zero,
                n if n < 0 => spec.negative,
                _ => None,
            };
            if meaning == Some(Meaning::Invalid) {
                return Err(format!("{n} is not allowed"));
            }
            Ok(Value::Int(n, meaning))
        }
        FlagType::Duration => parse_duration(text)
            .map(|ns| Value::Duration(ns, text.to_owned()))
            .ok_or_else(|| format!("{text:?} is not a duration (e.g. 5m0s)")),
        FlagType::Strings => parse_csv(text)
            .map(Value::List)
            .ok_or_else(|| format!("{text:?} is not a comma-separated list")),
        FlagType::Array => Ok(Value::List(vec![text.to_owned()])),
        FlagType::Map | FlagType::MapBool => {
            let mut pairs = Vec::new();
            for part in text.split(',') {
                if part.trim().is_empty() {
                    continue;
                }
                let Some((k, v)) = part.split_once('=') else {
                    return Err(format!("{part:?} is not key=value"));
                };
                let (k, v) = (k.trim(), v.trim());
                let v = if spec.ty == FlagType::MapBool {
                    parse_bool(v)
                        .ok_or_else(|| format!("{k}={v}: {v:?} is not a boolean"))?
                        .to_string()
                } else {
                    v.to_owned()
                };
                pairs.push((k.to_owned(), v));
            }
            Ok(Value::Map(pairs))
        }
    }
}

/// The effective value of a flag from its occurrences on a command line (`None` when it is not
/// given). Flags without a row are read as text, the last occurrence winning.
pub fn effective(component: Component, flags: &[Flag], name: &str) -> Option<Effective> {
    let occurrences: Vec<&Flag> = flags.iter().filter(|f| f.name == name).collect();
    let last = occurrences.last()?;
    let fallback = FlagSpec {
        name: name.to_owned(),
        ty: FlagType::String,
        default: None,
        zero: None,
        negative: None,
    };
    let spec = spec(component, name).unwrap_or(&fallback);
    let indexes: Vec<usize> = occurrences.iter().map(|f| f.index).collect();
    let mut values = Vec::new();
    for f in &occurrences {
        if f.missing_value {
            return Some(Effective::Invalid {
                reason: format!("--{name} needs a value and has none"),
                index: f.index,
            });
        }
        match parse_value(spec, &f.value) {
            Ok(v) => values.push(v),
            Err(reason) => {
                return Some(Effective::Invalid {
                    reason: format!("--{name}={}: {reason}", f.value),
                    index: f.index,
                });
            }
        }
    }
    let accumulates = match spec.ty {
        FlagType::Strings | FlagType::Array => syntax(component) == Syntax::Pflag,
        FlagType::Map | FlagType::MapBool => true,
        _ => false,
    };
    let combined = (occurrences.len() > 1).then_some(match (spec.ty, accumulates) {
        (FlagType::Map | FlagType::MapBool, _) => "the occurrences' keys merge, a later key wins",
        (_, true) => "a list flag appends every occurrence",
        _ => "the last wins",
    });
    let value = if accumulates {
        let mut items = Vec::new();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for v in values {
            match v {
                Value::List(l) => items.extend(l),
                Value::Map(m) => {
                    for (k, v) in m {
                        pairs.retain(|(key, _)| *key != k);
                        pairs.push((k, v));
                    }
                }
                _ => {}
            }
        }
        if matches!(spec.ty, FlagType::Map | FlagType::MapBool) {
            Value::Map(pairs)
        } else {
            Value::List(items)
        }
    } else {
        values.pop().unwrap_or(Value::Text(last.value.clone()))
    };
    Some(Effective::Value {
        value,
        indexes,
        combined,
    })
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)`: a sign, then decimal, `0x` hex, `0o`/`0` octal or `0b`
/// binary digits, with `_` allowed between digits (base 0 only).
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower.get(1..)?, true)
    } else {
        (10, lower.as_str(), false)
    };
    if digits.is_empty() {
        return None;
    }
    // `_` only between digits, or right after a base prefix.
    let bytes = digits.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let before_ok = i > 0 && bytes.get(i - 1) != Some(&b'_') || (i == 0 && prefixed);
            let after_ok = bytes.get(i + 1).is_some_and(|c| *c != b'_');
            if !before_ok || !after_ok {
                return None;
            }
        }
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let magnitude = u64::from_str_radix(&clean, radix).ok()?;
    if negative {
        if magnitude == 1 << 63 {
            Some(i64::MIN)
        } else {
            i64::try_from(magnitude).ok().map(|m| -m)
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: `[-+]` then one or more decimal numbers (with an
/// optional fraction), each followed by a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`); `0` alone
/// needs no unit.
pub fn parse_duration(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = rest.get(..number_len)?;
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = rest.get(number_len..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_len)?;
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * scale;
        rest = rest.get(unit_len..)?;
    }
    if total > 9.3e18 {
        return None; // beyond time.Duration
    }
    // Whole nanoseconds: exact up to about 100 days, far beyond any setting a check reads.
    #[allow(clippy::cast_possible_truncation)]
    let ns = total.round() as i128;
    Some(if negative { -ns } else { ns })
}

/// A pflag string-slice value: one CSV record (`encoding/csv`, so `"a,b",c` is two elements).
/// An empty value is an empty list.
pub fn parse_csv(text: &str) -> Option<Vec<String>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let mut items = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut at_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if at_start && c == '"' {
            quoted = true;
            at_start = false;
            continue;
        }
        at_start = false;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                    // After a closing quote only a comma or the end may follow.
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => return None,
                    }
                }
            } else {
                field.push(c);
            }
        } else if c == ',' {
            items.push(std::mem::take(&mut field));
            at_start = true;
        } else if c == '"' {
            return None;
        } else {
            field.push(c);
        }
    }
    if quoted {
        return None;
    }
    items.push(field);
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::argv::parse_flags;

    #[test]
    fn the_table_parses_and_every_row_is_well_formed() {
        let table = parse_table().expect("component_flags.yaml is valid");
        let names: Vec<&str> = table.iter().map(|c| c.component.as_str()).collect();
        for c in Component::ALL {
            assert!(names.contains(&c.binary()), "{} has no table", c.binary());
        }
        for c in &table {
            let mut seen: Vec<&str> = Vec::new();
            for row in &c.flags {
                assert!(
                    !seen.contains(&row.name.as_str()),
                    "{} --{} twice",
                    c.component,
                    row.name
                );
                seen.push(&row.name);
                // Every row's default is a valid value of its type.
                if let Some(d) = &row.default {
                    assert!(
                        parse_value(row, d).is_ok(),
                        "{} --{} default {d:?} is not a {:?}",
                        c.component,
                        row.name,
                        row.ty
                    );
                }
                // zero/negative only make sense for numbers.
                assert!(
                    row.ty == FlagType::Int || (row.zero.is_none() && row.negative.is_none()),
                    "{} --{}",
                    c.component,
                    row.name
                );
            }
        }
    }

    /// A test per row: a value of its type given on a command line is read back as that value;
    /// given twice, it combines as its type says; a value of the wrong type is invalid.
    #[test]
    fn every_row_parses_as_its_type() {
        for c in table() {
            let component = Component::of_command(&c.component).expect("a component");
            for row in &c.flags {
                let name = &row.name;
                let (a, b, want_repeat, bad): (&str, &str, Value, Option<&str>) = match row.ty {
                    FlagType::Bool => ("false", "true", Value::Bool(true), Some("maybe")),
                    FlagType::String => ("/a", "/b", Value::Text("/b".into()), None),
                    FlagType::Ip => ("10.0.0.1", "::1", Value::Text("::1".into()), Some("")),
                    FlagType::Int => ("7", "0x10", Value::Int(16, None), Some("10k")),
                    FlagType::Duration => (
                        "1s",
                        "1h30m",
                        Value::Duration(5_400_000_000_000, "1h30m".into()),
                        Some("5"),
                    ),
                    FlagType::Strings if c.syntax == Syntax::Pflag => (
                        "A,B",
                        "C",
                        Value::List(vec!["A".into(), "B".into(), "C".into()]),
                        Some("\"A"),
                    ),
                    FlagType::Strings => ("A,B", "C", Value::List(vec!["C".into()]), None),
                    FlagType::Array => (
                        "A,B",
                        "C",
                        Value::List(vec!["A,B".into(), "C".into()]),
                        None,
                    ),
                    FlagType::Map => (
                        "a=1,b=2",
                        "a=3",
                        Value::Map(vec![("b".into(), "2".into()), ("a".into(), "3".into())]),
                        Some("a"),
                    ),
                    FlagType::MapBool => (
                        "A=true,B=false",
                        "A=f",
                        Value::Map(vec![
                            ("B".into(), "false".into()),
                            ("A".into(), "false".into()),
                        ]),
                        Some("A=maybe"),
                    ),
                };
                let argv = [
                    c.component.clone(),
                    format!("--{name}={a}"),
                    format!("--{name}"),
                    b.to_owned(),
                ];
                let flags = parse_flags(&argv);
                let got = effective(component, &flags, name);
                if row.ty == FlagType::Bool {
                    // A boolean never takes the next argument: `--flag true` is a bare `--flag`.
                    assert!(
                        matches!(&got, Some(Effective::Value { value: Value::Bool(true), indexes, .. }) if indexes == &[1, 2]),
                        "{} --{name}: {got:?}",
                        c.component
                    );
                } else {
                    assert!(
                        matches!(&got, Some(Effective::Value { value, indexes, .. }) if *value == want_repeat && indexes == &[1, 2]),
                        "{} --{name}: {got:?}",
                        c.component
                    );
                }
                if let Some(bad) = bad {
                    let flags = parse_flags(&[c.component.clone(), format!("--{name}={bad}")]);
                    assert!(
                        matches!(
                            effective(component, &flags, name),
                            Some(Effective::Invalid { index: 1, .. })
                        ),
                        "{} --{name}={bad}",
                        c.component
                    );
                }
            }
        }
    }

    fn eff(argv: &[&str], name: &str) -> Option<Effective> {
        let component =
            Component::of_command(argv.first().copied().unwrap_or_default()).expect("a component");
        effective(component, &parse_flags(argv), name)
    }

    fn value(argv: &[&str], name: &str) -> Option<String> {
        match eff(argv, name)? {
            Effective::Value { value, .. } => Some(value.text()),
            Effective::Invalid { reason, .. } => Some(format!("invalid: {reason}")),
        }
    }

    #[test]
    fn repeated_list_flags_accumulate_and_scalars_keep_the_last() {
        let cases: &[(&[&str], &str, &str)] = &[
            (
                &[
                    "kube-apiserver",
                    "--authorization-mode=AlwaysAllow",
                    "--authorization-mode=Node,RBAC",
                ],
                "authorization-mode",
                "AlwaysAllow,Node,RBAC",
            ),
            (
                &[
                    "kube-apiserver",
                    "--enable-admission-plugins",
                    "NodeRestriction",
                    "--enable-admission-plugins=AlwaysAdmit",
                ],
                "enable-admission-plugins",
                "NodeRestriction,AlwaysAdmit",
            ),
            (
                &[
                    "kube-apiserver",
                    "--tls-cipher-suites=A,B",
                    "--tls-cipher-suites=A",
                ],
                "tls-cipher-suites",
                "A,B,A",
            ),
            (
                &["kube-apiserver", "--profiling=false", "--profiling"],
                "profiling",
                "true",
            ),
            (
                &[
                    "kube-apiserver",
                    "--audit-log-maxage=30",
                    "--audit-log-maxage=7",
                ],
                "audit-log-maxage",
                "7",
            ),
            (
                &[
                    "kube-controller-manager",
                    "--feature-gates=RotateKubeletServerCertificate=false,A=true",
                    "--feature-gates=RotateKubeletServerCertificate=TRUE",
                ],
                "feature-gates",
                "A=true,RotateKubeletServerCertificate=true",
            ),
            (
                &["kubelet", "--tls-cipher-suites=\"X,Y\",Z"],
                "tls-cipher-suites",
                "X,Y,Z",
            ),
            // etcd (Go's flag package): the last wins for every type.
            (
                &["etcd", "--client-cert-auth=false", "-client-cert-auth"],
                "client-cert-auth",
                "true",
            ),
            // `_` is `-` for the Kubernetes components.
            (
                &["kube-apiserver", "--authorization_mode=RBAC"],
                "authorization-mode",
                "RBAC",
            ),
        ];
        for (argv, name, want) in cases {
            assert_eq!(value(argv, name).as_deref(), Some(*want), "{argv:?}");
        }
        match eff(
            &[
                "kube-apiserver",
                "--authorization-mode=AlwaysAllow",
                "--authorization-mode=Node,RBAC",
            ],
            "authorization-mode",
        ) {
            Some(Effective::Value {
                combined, indexes, ..
            }) => {
                assert_eq!(indexes, vec![1, 2]);
                assert_eq!(combined, Some("a list flag appends every occurrence"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_missing_and_malformed_values() {
        let cases: &[(&[&str], &str, &str)] = &[
            // An empty string is a value that counts as unset (the caller checks is_set).
            (
                &["kube-apiserver", "--tls-private-key-file="],
                "tls-private-key-file",
                "",
            ),
            (
                &["kube-apiserver", "--enable-admission-plugins="],
                "enable-admission-plugins",
                "",
            ),
            // A value flag takes the next argument even when it looks like a flag (pflag).
            (
                &[
                    "kube-apiserver",
                    "--tls-cert-file",
                    "--tls-private-key-file=/k",
                ],
                "tls-cert-file",
                "--tls-private-key-file=/k",
            ),
            (
                &["kube-apiserver", "--tls-cert-file"],
                "tls-cert-file",
                "invalid: --tls-cert-file needs a value and has none",
            ),
            (
                &["kube-apiserver", "--profiling=maybe"],
                "profiling",
                "invalid: --profiling=maybe: \"maybe\" is not a boolean (true, false, 1, 0, t, f)",
            ),
            (&["kube-apiserver", "--profiling=F"], "profiling", "false"),
            (&["kube-apiserver", "--profiling=0"], "profiling", "false"),
            (
                &["kube-apiserver", "--profiling="],
                "profiling",
                "invalid: --profiling=: \"\" is not a boolean (true, false, 1, 0, t, f)",
            ),
            (
                &["kube-apiserver", "--audit-log-maxage=-1"],
                "audit-log-maxage",
                "invalid: --audit-log-maxage=-1: -1 is not allowed",
            ),
            (
                &["kube-apiserver", "--audit-log-maxage=030"],
                "audit-log-maxage",
                "24",
            ),
            (
                &["kube-apiserver", "--audit-log-maxage=1_000"],
                "audit-log-maxage",
                "1000",
            ),
            (
                &["kube-apiserver", "--audit-log-maxage=30d"],
                "audit-log-maxage",
                "invalid: --audit-log-maxage=30d: \"30d\" is not an integer",
            ),
            (
                &["kube-scheduler", "--bind-address="],
                "bind-address",
                "invalid: --bind-address=: \"\" is not an IP address",
            ),
            (
                &[
                    "kube-controller-manager",
                    "--feature-gates=RotateKubeletServerCertificate",
                ],
                "feature-gates",
                "invalid: --feature-gates=RotateKubeletServerCertificate: \"RotateKubeletServerCertificate\" is not key=value",
            ),
            (
                &["kubelet", "--streaming-connection-idle-timeout=5"],
                "streaming-connection-idle-timeout",
                "invalid: --streaming-connection-idle-timeout=5: \"5\" is not a duration (e.g. 5m0s)",
            ),
        ];
        for (argv, name, want) in cases {
            assert_eq!(value(argv, name).as_deref(), Some(*want), "{argv:?}");
        }
        assert_eq!(eff(&["kube-apiserver"], "profiling"), None);
    }

    #[test]
    fn go_parsers() {
        for (text, want) in [
            ("0", Some(0)),
            ("42", Some(42)),
            ("-7", Some(-7)),
            ("+7", Some(7)),
            ("0x1F", Some(31)),
            ("0o17", Some(15)),
            ("017", Some(15)),
            ("0b101", Some(5)),
            ("1_000", Some(1000)),
            ("0x_1F", Some(31)),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("08", None),
            ("", None),
            ("-", None),
            ("1.5", None),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
        ] {
            assert_eq!(parse_int(text), want, "{text:?}");
        }
        for (text, want) in [
            ("0", Some(0)),
            ("0s", Some(0)),
            ("0h0m0s", Some(0)),
            ("5m0s", Some(300_000_000_000)),
            ("4h0m0s", Some(14_400_000_000_000)),
            ("1.5h", Some(5_400_000_000_000)),
            ("300ms", Some(300_000_000)),
            ("-5m", Some(-300_000_000_000)),
            ("1µs", Some(1000)),
            ("5", None),
            ("", None),
            ("5 m", None),
            ("1d", None),
            ("m", None),
        ] {
            assert_eq!(parse_duration(text), want, "{text:?}");
        }
        for (text, want) in [
            ("true", Some(true)),
            ("True", Some(true)),
            ("TRUE", Some(true)),
            ("t", Some(true)),
            ("1", Some(true)),
            ("false", Some(false)),
            ("F", Some(false)),
            ("0", Some(false)),
            ("yes", None),
            ("tRUE", None),
            ("", None),
        ] {
            assert_eq!(parse_bool(text), want, "{text:?}");
        }
        for (text, want) in [
            ("", Some(vec![])),
            ("a", Some(vec!["a"])),
            ("a,b", Some(vec!["a", "b"])),
            ("a,,b", Some(vec!["a", "", "b"])),
            ("\"a,b\",c", Some(vec!["a,b", "c"])),
            ("\"a\"\"b\"", Some(vec!["a\"b"])),
            ("\"a", None),
            ("a\"b", None),
        ] {
            let want: Option<Vec<String>> =
                want.map(|w| w.into_iter().map(str::to_owned).collect());
            assert_eq!(parse_csv(text), want, "{text:?}");
        }
    }
}
