//! Command-line flags as the components parse them: spf13/pflag for the Kubernetes components,
//! Go's `flag` package for etcd (the syntax is in the flag table, [`super::flags`]).
//!
//! `--flag=value` and `--flag value` both set a value; a flag whose type takes a value takes the
//! next argument even when it starts with `-` (as both libraries do), and with no next argument
//! it has no value (the component refuses to start; [`Flag::missing_value`]). Boolean flags
//! never take the next argument (`--profiling false` leaves profiling on and `false` as a stray
//! argument). A bare `--flag` is `true`. For the Kubernetes components `_` in a name is `-`
//! (their word-separator normalisation); pflag goes on after positional arguments, Go's `flag`
//! stops at the first one. How repeated occurrences combine depends on the flag's type and is
//! decided by [`super::flags::effective`]; this module only lists the occurrences.

use super::flags::{self, FlagType, Syntax};
use super::plan::Component;

/// One flag occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Name without leading dashes.
    pub name: String,
    /// Its value (`true` for a bare boolean flag, empty when it has none).
    pub value: String,
    /// Index in argv of the argument that names the flag.
    pub index: usize,
    /// A flag that needs a value was the last argument: the component would not start.
    pub missing_value: bool,
    /// The value is the next argument (`--flag value`), not after `=` or implied (`--flag`).
    pub separate_value: bool,
}

/// Flags outside the table that the components define as booleans, so that a bare one does not
/// swallow the next argument.
const OTHER_BOOLEAN_FLAGS: &[&str] = &[
    "alsologtostderr",
    "enable-aggregator-routing",
    "enable-garbage-collector",
    "enable-priority-and-fairness",
    "logtostderr",
    "service-account-extend-token-expiration",
    "strict-transport-security-directives",
];

fn is_boolean(component: Option<Component>, name: &str) -> Option<bool> {
    let row = match component {
        Some(c) => flags::spec(c, name),
        None => Component::ALL.iter().find_map(|c| flags::spec(*c, name)),
    };
    match row {
        Some(row) => Some(row.ty == FlagType::Bool),
        None if OTHER_BOOLEAN_FLAGS.contains(&name) => Some(true),
        None => None,
    }
}

/// Parses the flags of a command line (`argv[0]` is the program and is skipped; it names the
/// component, whose flag table decides which flags are booleans).
pub fn parse_flags<S: AsRef<str>>(argv: &[S]) -> Vec<Flag> {
    let component = argv.first().and_then(|a| Component::of_command(a.as_ref()));
    let syntax = component.map_or(Syntax::Pflag, flags::syntax);
    let mut out = Vec::new();
    let mut i = 1;
    while let Some(arg) = argv.get(i).map(AsRef::as_ref) {
        if arg == "--" {
            break;
        }
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            if syntax == Syntax::Goflag {
                break;
            }
            i += 1;
            continue;
        };
        if body.is_empty() {
            if syntax == Syntax::Goflag {
                break;
            }
            i += 1;
            continue;
        }
        let index = i;
        let normalize = |name: &str| match syntax {
            Syntax::Pflag => name.replace('_', "-"),
            Syntax::Goflag => name.to_owned(),
        };
        let (name, value, missing_value) = match body.split_once('=') {
            Some((name, value)) => (normalize(name), value.to_owned(), false),
            None => {
                let name = normalize(body);
                let next = argv.get(i + 1).map(AsRef::as_ref);
                match (is_boolean(component, &name), next) {
                    (Some(true), _) => (name, "true".to_owned(), false),
                    // A known value flag takes the next argument, whatever it looks like.
                    (Some(false), Some(v)) => {
                        i += 1;
                        (name, v.to_owned(), false)
                    }
                    (Some(false), None) => (name, String::new(), true),
                    // A flag outside the table: a value unless the next argument is a flag.
                    (None, Some(v)) if !v.starts_with('-') => {
                        i += 1;
                        (name, v.to_owned(), false)
                    }
                    (None, _) => (name, "true".to_owned(), false),
                }
            }
        };
        out.push(Flag {
            name,
            value,
            index,
            missing_value,
            separate_value: i > index,
        });
        i += 1;
    }
    out
}

/// The last occurrence of a flag, and how many times it was given. For the type-aware value
/// (lists accumulate, maps merge) use [`super::flags::effective`].
pub fn last<'a>(flags: &'a [Flag], name: &str) -> Option<(&'a Flag, usize)> {
    let count = flags.iter().filter(|f| f.name == name).count();
    flags
        .iter()
        .rev()
        .find(|f| f.name == name)
        .map(|f| (f, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(argv: &[&str], name: &str) -> Option<(String, usize)> {
        let flags = parse_flags(argv);
        last(&flags, name).map(|(f, _)| (f.value.clone(), f.index))
    }

    #[test]
    fn a_value_in_the_next_argument_is_marked() {
        let flags = parse_flags(&[
            "kube-apiserver",
            "--audit-log-maxage",
            "5",
            "--profiling",
            "--anonymous-auth=false",
            "--unknown-flag",
            "value",
        ]);
        let separate: Vec<(&str, bool)> = flags
            .iter()
            .map(|f| (f.name.as_str(), f.separate_value))
            .collect();
        assert_eq!(
            separate,
            [
                ("audit-log-maxage", true),
                ("profiling", false),
                ("anonymous-auth", false),
                ("unknown-flag", true)
            ]
        );
    }

    #[test]
    fn equals_and_space_forms() {
        let argv = [
            "kube-apiserver",
            "--authorization-mode=Node,RBAC",
            "--audit-log-path",
            "/var/log/audit.log",
            "-v=2",
        ];
        assert_eq!(
            get(&argv, "authorization-mode"),
            Some(("Node,RBAC".into(), 1))
        );
        assert_eq!(
            get(&argv, "audit-log-path"),
            Some(("/var/log/audit.log".into(), 2))
        );
        assert_eq!(get(&argv, "v"), Some(("2".into(), 4)));
    }

    #[test]
    fn boolean_flags_never_take_the_next_argument() {
        let argv = [
            "kube-apiserver",
            "--profiling",
            "false",
            "--anonymous-auth=false",
        ];
        assert_eq!(get(&argv, "profiling"), Some(("true".into(), 1)));
        assert_eq!(get(&argv, "anonymous-auth"), Some(("false".into(), 3)));
    }

    #[test]
    fn bare_flags_are_true_and_the_last_occurrence_wins() {
        let argv = [
            "etcd",
            "--client-cert-auth",
            "--data-dir=/a",
            "--data-dir",
            "/b",
        ];
        assert_eq!(get(&argv, "client-cert-auth"), Some(("true".into(), 1)));
        let flags = parse_flags(&argv);
        let (flag, count) = last(&flags, "data-dir").expect("set");
        assert_eq!((flag.value.as_str(), flag.index, count), ("/b", 3, 2));
    }

    #[test]
    fn a_value_flag_takes_the_next_argument_and_double_dash_stops() {
        let argv = [
            "kubelet",
            "--hostname-override",
            "--v=2",
            "--unknown",
            "--x",
            "--",
            "--ignored=1",
        ];
        // pflag: a flag that takes a value takes the next argument, even `--v=2`.
        assert_eq!(get(&argv, "hostname-override"), Some(("--v=2".into(), 1)));
        // A flag outside the table followed by a flag: read as a bare flag.
        assert_eq!(get(&argv, "unknown"), Some(("true".into(), 3)));
        assert_eq!(get(&argv, "ignored"), None);
        let flags = parse_flags(&["kube-apiserver", "--tls-cert-file"]);
        assert!(flags.first().is_some_and(|f| f.missing_value));
    }

    #[test]
    fn pflag_goes_on_after_positional_arguments_and_go_flag_stops() {
        let argv = ["kube-apiserver", "stray", "--profiling=false"];
        assert_eq!(get(&argv, "profiling"), Some(("false".into(), 2)));
        let argv = [
            "etcd",
            "--client-cert-auth",
            "false",
            "--peer-auto-tls=true",
        ];
        assert_eq!(get(&argv, "client-cert-auth"), Some(("true".into(), 1)));
        assert_eq!(get(&argv, "peer-auto-tls"), None, "etcd stops at `false`");
    }

    #[test]
    fn underscores_are_dashes_for_kubernetes_components_only() {
        assert_eq!(
            get(
                &["kube-apiserver", "--anonymous_auth=false"],
                "anonymous-auth"
            ),
            Some(("false".into(), 1))
        );
        assert_eq!(get(&["etcd", "--auto_tls=true"], "auto-tls"), None);
    }
}
