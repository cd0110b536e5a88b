//! Command-line flags as Kubernetes components parse them (spf13/pflag).
//!
//! `--flag=value` and `--flag value` both set a value, except for boolean flags, which never take
//! the next argument (`--profiling false` leaves profiling on and `false` as a stray argument,
//! exactly as pflag does). A bare `--flag` is `true`. A flag given twice keeps its last value.

/// One flag occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Name without leading dashes.
    pub name: String,
    /// Its value (`true` for a bare boolean flag).
    pub value: String,
    /// Index in argv of the argument that names the flag.
    pub index: usize,
}

/// Flags of the Kubernetes components that the benchmarks read as booleans.
const BOOLEAN_FLAGS: &[&str] = &[
    "allow-privileged",
    "anonymous-auth",
    "auto-tls",
    "client-cert-auth",
    "enable-debugging-handlers",
    "make-iptables-util-chains",
    "peer-auto-tls",
    "peer-client-cert-auth",
    "profiling",
    "protect-kernel-defaults",
    "rotate-certificates",
    "seccomp-default",
    "service-account-extend-token-expiration",
    "service-account-lookup",
    "use-service-account-credentials",
];

/// Parses the flags of a command line (`argv[0]` is the program and is skipped).
pub fn parse_flags<S: AsRef<str>>(argv: &[S]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut i = 1;
    while let Some(arg) = argv.get(i).map(AsRef::as_ref) {
        if arg == "--" {
            break;
        }
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            i += 1;
            continue;
        };
        if body.is_empty() {
            i += 1;
            continue;
        }
        let index = i;
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => {
                let next = argv.get(i + 1).map(AsRef::as_ref);
                match next {
                    Some(v) if !BOOLEAN_FLAGS.contains(&body) && !v.starts_with('-') => {
                        i += 1;
                        (body.to_owned(), v.to_owned())
                    }
                    _ => (body.to_owned(), "true".to_owned()),
                }
            }
        };
        flags.push(Flag { name, value, index });
        i += 1;
    }
    flags
}

/// The last occurrence of a flag (pflag's "last one wins"), and how many times it was given.
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
    fn a_flag_followed_by_a_flag_is_true_and_double_dash_stops() {
        let argv = [
            "kubelet",
            "--hostname-override",
            "--v=2",
            "--",
            "--ignored=1",
        ];
        assert_eq!(get(&argv, "hostname-override"), Some(("true".into(), 1)));
        assert_eq!(get(&argv, "ignored"), None);
    }
}
