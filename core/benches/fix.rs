//! What fixes cost: 100 control-plane static pods (the four components, each failing a dozen
//! CIS and STIG flag checks), scanned with `-b cis-k8s -b k8s-stig` (every failing result gets
//! its fix, planned and verified against the benchmark) against the same pods once fixed (the
//! same checks, nothing to plan), and every fix of every file merged into one set of edits, as
//! `stockade fix` does. `bench/run.sh` runs these.

#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use stockade_core::report::CheckResult;
use stockade_core::{Input, Options, Report, SourceFile, evaluate, fix};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn pod(component: &str, tag: &str, flags: &[&str]) -> String {
    let command: String = flags.iter().map(|f| format!("    - {f}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: {component}\n    image: registry.k8s.io/{component}:{tag}\n    command:\n    - {component}\n{command}    livenessProbe:\n      httpGet:\n        host: 127.0.0.1\n        path: /healthz\n        port: 10257\n        scheme: HTTPS\n"
    )
}

fn static_pods() -> Vec<(String, String)> {
    let components = [
        pod(
            "kube-apiserver",
            "v1.33.2",
            &[
                "--anonymous-auth=true",
                "--profiling=true",
                "--enable-admission-plugins=NodeRestriction,AlwaysAdmit",
                "--disable-admission-plugins=ServiceAccount",
                "--token-auth-file=/etc/tokens.csv",
                "--service-account-lookup=false",
                "--audit-log-path=/var/log/audit.log",
                "--audit-log-maxage=7",
                "--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA",
                "--insecure-port=8080",
            ],
        ),
        pod(
            "kube-controller-manager",
            "v1.32.0",
            &[
                "--profiling=true",
                "--use-service-account-credentials=false",
                "--feature-gates=RotateKubeletServerCertificate=false",
                "--bind-address=0.0.0.0",
            ],
        ),
        pod(
            "kube-scheduler",
            "v1.32.0",
            &["--profiling=true", "--bind-address=0.0.0.0"],
        ),
        pod(
            "etcd",
            "3.5.15-0",
            &[
                "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
                "--key-file=/etc/kubernetes/pki/etcd/server.key",
                "--auto-tls=true",
                "--client-cert-auth=false",
            ],
        ),
    ];
    (0..100)
        .map(|i| {
            let text = components.get(i % components.len()).unwrap().clone();
            (format!("node-{}/{i}.yaml", i / 4), text)
        })
        .collect()
}

fn input_of(files: &[(String, String)]) -> Input<'_> {
    Input {
        files: files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect(),
        ..Input::default()
    }
}

/// The merged fix of every result of one file, as `stockade fix` plans it.
fn fix_of(report: &Report, name: &str, text: &str) -> Vec<fix::TextEdit> {
    let results: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.location.file == name)
        .collect();
    fix::fix_file(text, &results).edits
}

fn fixes(c: &mut Criterion) {
    let files = static_pods();
    let input = input_of(&files);
    let options = Options {
        benchmarks: ["cis-k8s", "k8s-stig"]
            .iter()
            .map(|b| b.parse().unwrap())
            .collect(),
        ..Options::default()
    };
    let report = evaluate(&input, &options);
    let with_fix = report.results.iter().filter(|r| r.fix.is_some()).count();
    println!(
        "{} static pods: {} results, {} failing with a fix",
        files.len(),
        report.results.len(),
        with_fix
    );
    let mut group = c.benchmark_group("static-pods-100");
    group.sample_size(10);
    group.bench_function("evaluate-with-fixes", |b| {
        b.iter(|| evaluate(&input, &options).results.len())
    });
    // The same pods once fixed: the same checks, with nothing left to plan a fix for.
    let fixed: Vec<(String, String)> = files
        .iter()
        .map(|(name, text)| {
            let edits = fix_of(&report, name, text);
            (name.clone(), fix::apply(text, &edits).unwrap())
        })
        .collect();
    let fixed_input = input_of(&fixed);
    group.bench_function("evaluate-fixed-pods", |b| {
        b.iter(|| evaluate(&fixed_input, &options).results.len())
    });
    group.bench_function("fix-every-file", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|(name, text)| fix_of(&report, name, text).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, fixes);
criterion_main!(benches);
