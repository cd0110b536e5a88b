//! Property: for generated manifests (the parity property's generator), fixing everything
//! fixable and scanning again never makes a result worse, never breaks a document, and the
//! fixed results pass.

mod common;
mod generate;

use std::collections::BTreeMap;

use generate::case;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use stockade_core::report::CheckResult;
use stockade_core::{Input, Options, Report, Selection, SourceFile, Status, evaluate, fix};

fn scan(files: &[(String, String)], benchmarks: &[&str]) -> Report {
    let input = Input {
        files: files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect(),
        ..Input::default()
    };
    let options = Options {
        benchmarks: benchmarks
            .iter()
            .map(|b| b.parse::<Selection>().expect("benchmark"))
            .collect(),
        ..Options::default()
    };
    evaluate(&input, &options)
}

/// A result's rule, benchmark, object and container (not its location: a fix moves lines).
fn key(r: &CheckResult) -> String {
    format!(
        "{} {} {} {:?}",
        r.rule,
        r.benchmark,
        r.resource.display(),
        r.container
    )
}

/// Failing results per [`key`].
fn failures(report: &Report) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in report.results.iter().filter(|r| r.status == Status::Fail) {
        *out.entry(key(r)).or_insert(0) += 1;
    }
    out
}

/// What a fix made worse between two scans, if anything: a document that no longer reads, a
/// result that fails more, a result it fixed (`fixed`, by [`key`]) that still fails.
fn made_worse(before: &Report, after: &Report, fixed: &[String]) -> Option<String> {
    if after.errors.len() > before.errors.len() {
        return Some(format!("the fix broke a document: {:?}", after.errors));
    }
    let (old, new) = (failures(before), failures(after));
    new.iter().find_map(|(key, n)| {
        if n > old.get(key).unwrap_or(&0) {
            Some(format!("{key} got worse"))
        } else if *n > 0 && fixed.contains(key) {
            Some(format!("{key} was fixed but still fails"))
        } else {
            None
        }
    })
}

#[test]
fn fixing_everything_never_makes_a_result_worse_and_documents_still_parse() {
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let fixed_some = std::cell::Cell::new(0usize);
    let result = runner.run(&case(), |(texts, benchmarks, _)| {
        let files: Vec<(String, String)> = texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("m{i}.yaml"), t))
            .collect();
        let before = scan(&files, &benchmarks);
        let mut fixed_files = Vec::new();
        let mut fixed_count = 0;
        for (name, text) in &files {
            let results: Vec<&CheckResult> = before
                .results
                .iter()
                .filter(|r| r.location.file == name.as_str())
                .collect();
            let plan = fix::fix_file(text, &results);
            fixed_count += plan.fixed.len();
            let new = fix::apply(text, &plan.edits)
                .ok_or_else(|| TestCaseError::fail("edits overlap"))?;
            fixed_files.push((name.clone(), new));
        }
        if fixed_count > 0 {
            fixed_some.set(fixed_some.get() + 1);
        }
        let after = scan(&fixed_files, &benchmarks);
        if let Some(what) = made_worse(&before, &after, &[]) {
            return Err(TestCaseError::fail(format!(
                "{what}\nbefore: {files:?}\nafter: {fixed_files:?}"
            )));
        }
        let fixable = |r: &Report| {
            r.results
                .iter()
                .filter(|r| r.status == Status::Fail && r.fix.is_some())
                .count()
        };
        if fixed_count > 0 && fixable(&after) >= fixable(&before) {
            return Err(TestCaseError::fail(format!(
                "fixes applied, nothing got better\n{fixed_files:?}"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        fixed_some.get() > 20,
        "the generator must give fixable findings"
    );
}

/// A control-plane static pod with flags drawn from good and bad values of the CIS and STIG
/// checks (repeated flags, values in the next argument, bare booleans, quotes, `args`, flow
/// lists, probes).
fn static_pod() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    const APISERVER: &[&[&str]] = &[
        &["--anonymous-auth=true"],
        &["--anonymous-auth"],
        &["--anonymous-auth=false"],
        &["--profiling=true"],
        &["--profiling=false"],
        &["--authorization-mode=AlwaysAllow"],
        &["--authorization-mode=RBAC"],
        &["--authorization-mode=Node,RBAC"],
        &["--authorization-config=/etc/kubernetes/authz.yaml"],
        &["--enable-admission-plugins=AlwaysAdmit"],
        &["--enable-admission-plugins=NodeRestriction,AlwaysAdmit"],
        &["--enable-admission-plugins=EventRateLimit"],
        &["--disable-admission-plugins=ServiceAccount,PodSecurity"],
        &["--disable-admission-plugins=NamespaceLifecycle"],
        &["--token-auth-file=/etc/tokens.csv"],
        &["--service-account-lookup=false"],
        &["--audit-log-path=/var/log/audit.log"],
        &["--audit-log-maxage=7"],
        &["--audit-log-maxage", "'5'"],
        &["--audit-log-maxbackup=3"],
        &["--audit-log-maxsize=50"],
        &["--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA"],
        &["--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_CBC_SHA"],
        &["--tls-min-version=VersionTLS10"],
        &["--insecure-port=8080"],
        &["--secure-port=0"],
        &["--request-timeout=0"],
        &["--feature-gates=AllAlpha=true,DynamicAuditing=true"],
        &["--service-account-extend-token-expiration=true"],
        &["--profiling", "'false'"],
    ];
    const CONTROLLER_MANAGER: &[&[&str]] = &[
        &["--profiling=true"],
        &["--profiling"],
        &["--use-service-account-credentials=false"],
        &["--feature-gates=RotateKubeletServerCertificate=false"],
        &["--feature-gates=RotateKubeletServerCertificate=false,Foo=true"],
        &["--bind-address=0.0.0.0"],
        &["--bind-address", "127.0.0.1"],
        &["--terminated-pod-gc-threshold=0"],
        &["--tls-min-version=VersionTLS11"],
        &["--service-account-private-key-file=/etc/kubernetes/pki/sa.key"],
    ];
    const SCHEDULER: &[&[&str]] = &[
        &["--profiling=true"],
        &["--bind-address=0.0.0.0"],
        &["--tls-min-version=VersionTLS13"],
        &["--tls-min-version=VersionTLS10"],
    ];
    const ETCD: &[&[&str]] = &[
        &["--auto-tls=true"],
        &["--auto-tls"],
        &["--peer-auto-tls=true"],
        &["--client-cert-auth=false"],
        &["--peer-client-cert-auth=false"],
        &["--cert-file=/etc/kubernetes/pki/etcd/server.crt"],
        &["--key-file=/etc/kubernetes/pki/etcd/server.key"],
        &["--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt"],
    ];
    let components = [
        ("kube-apiserver", "v1.33.2", APISERVER),
        ("kube-controller-manager", "v1.30.4", CONTROLLER_MANAGER),
        ("kube-scheduler", "v1.32.0", SCHEDULER),
        ("etcd", "3.5.15-0", ETCD),
    ];
    (
        0..components.len(),
        proptest::collection::vec((0usize..64, any::<bool>()), 0..10),
        any::<bool>(),
        any::<bool>(),
        0..3usize,
    )
        .prop_map(move |(c, picks, in_args, flow, probe)| {
            let Some((name, tag, pool)) = components.get(c) else {
                return String::new();
            };
            let mut words: Vec<String> = Vec::new();
            for (pick, quoted) in picks {
                let Some(flag) = pool.get(pick % pool.len()) else {
                    continue;
                };
                for word in *flag {
                    words.push(if quoted && !word.starts_with('\'') {
                        format!("\"{word}\"")
                    } else {
                        (*word).to_owned()
                    });
                }
            }
            let list = |items: &[String], indent: &str| {
                if flow || items.is_empty() {
                    format!(" [{}]\n", items.join(", "))
                } else {
                    items
                        .iter()
                        .map(|i| format!("\n{indent}- {i}"))
                        .collect::<String>()
                        + "\n"
                }
            };
            let (command, args) = if in_args {
                (vec![(*name).to_owned()], words)
            } else {
                let mut all = vec![(*name).to_owned()];
                all.extend(words);
                (all, Vec::new())
            };
            let mut text = format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: {name}\n    image: registry.k8s.io/{name}:{tag}\n    command:{}",
                list(&command, "    ")
            );
            if !args.is_empty() {
                text.push_str(&format!("    args:{}", list(&args, "    ")));
            }
            match probe {
                1 => text.push_str("    livenessProbe:\n      httpGet:\n        path: /healthz\n        port: 10259\n"),
                2 => text.push_str("    livenessProbe:\n      httpGet:\n        host: 127.0.0.1\n        path: /healthz\n        port: 10259\n"),
                _ => {}
            }
            text
        })
}

#[test]
fn fixing_static_pod_flags_never_makes_a_check_worse_and_converges() {
    let benchmarks = ["cis-k8s", "k8s-stig"];
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let fixed_some = std::cell::Cell::new(0usize);
    let result = runner.run(&static_pod(), |text| {
        let mut files = vec![("static.yaml".to_owned(), text.clone())];
        let first = scan(&files, &benchmarks);
        let mut before = first.clone();
        // Fixing again until nothing changes (a fix that replaces another is taken in the next
        // pass): at most three passes, each no worse than the one before.
        for pass in 0..4 {
            let results: Vec<&CheckResult> = before.results.iter().collect();
            let Some((name, current)) = files.first().cloned() else {
                break;
            };
            let plan = fix::fix_file(&current, &results);
            if plan.edits.is_empty() {
                break;
            }
            if pass == 3 {
                return Err(TestCaseError::fail(format!("no convergence:\n{current}")));
            }
            fixed_some.set(fixed_some.get() + 1);
            let new = fix::apply(&current, &plan.edits)
                .ok_or_else(|| TestCaseError::fail("edits overlap"))?;
            let fixed_keys: Vec<String> = plan
                .fixed
                .iter()
                .filter_map(|i| results.get(*i).map(|r| key(r)))
                .collect();
            files = vec![(name, new.clone())];
            let after = scan(&files, &benchmarks);
            if let Some(what) = made_worse(&before, &after, &fixed_keys) {
                return Err(TestCaseError::fail(format!(
                    "{what}\nbefore:\n{current}\nafter:\n{new}"
                )));
            }
            before = after;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        fixed_some.get() > 50,
        "the generator must give fixable flag findings"
    );
}
