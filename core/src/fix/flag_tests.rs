//! Fixes of the CIS and STIG flag checks on control-plane static pods: each case states the
//! exact text after the fix, then checks that the fixed checks pass, that no other result got
//! worse, that the YAML still reads, and that fixing again changes nothing. The refusals (a fix
//! that would break the control plane) are cases too.

use super::tests::{check_case, fix_with, scan_with};
use super::*;

const BENCHMARKS: &[&str] = &["cis-k8s", "k8s-stig", "pss-restricted"];

fn scan(text: &str) -> crate::Report {
    scan_with(text, BENCHMARKS)
}

fn fix_rules(text: &str, rules: &[&str]) -> String {
    fix_with(text, rules, BENCHMARKS)
}

/// [`check_case`], and every failing result of the rules carried its fix in the report.
#[track_caller]
fn case(rules: &[&str], before: &str, after: &str) {
    let (old, _) = check_case(BENCHMARKS, rules, before, after);
    for rule in rules {
        assert!(
            old.results
                .iter()
                .filter(|r| r.rule == *rule && r.status == Status::Fail)
                .all(|r| r.fix.is_some()),
            "every failing {rule} result carries its fix"
        );
    }
}

/// The rules fail, and no fix is offered or made.
#[track_caller]
fn refused(rules: &[&str], text: &str) {
    let report = scan(text);
    for rule in rules {
        let results: Vec<&CheckResult> = report
            .results
            .iter()
            .filter(|r| r.rule == *rule && r.status == Status::Fail)
            .collect();
        assert!(!results.is_empty(), "{rule} fails");
        assert!(results.iter().all(|r| r.fix.is_none()), "{rule} has no fix");
    }
    assert_eq!(fix_rules(text, rules), text);
}

fn pod(component: &str, tag: &str, command: &str, rest: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: {component}\n    image: registry.k8s.io/{component}:{tag}\n    command:\n{command}{rest}"
    )
}

fn apiserver(command: &str) -> String {
    pod("kube-apiserver", "v1.33.2", command, "")
}

#[test]
fn a_wrong_value_is_changed_in_place_and_a_missing_flag_is_added_last() {
    case(
        &["CIS-1.2.15", "CIS-1.2.30"],
        &apiserver(
            "    - kube-apiserver\n    - --profiling=true\n    - --authorization-mode=Node,RBAC\n",
        ),
        &apiserver(
            "    - kube-apiserver\n    - --profiling=false\n    - --authorization-mode=Node,RBAC\n    - --service-account-extend-token-expiration=false\n",
        ),
    );
}

#[test]
fn an_explicit_setting_whose_default_passes_is_removed_and_a_forbidden_flag_too() {
    case(
        &["CIS-1.2.21", "CIS-1.2.2", "STIG-V-242386", "STIG-V-245542"],
        &apiserver(
            "    - kube-apiserver\n    - --service-account-lookup=false\n    - --token-auth-file=/etc/tokens.csv\n    - --insecure-port=8080\n    - --basic-auth-file=/etc/basic.csv\n    - --profiling=false\n",
        ),
        &apiserver("    - kube-apiserver\n    - --profiling=false\n"),
    );
}

#[test]
fn admission_plugins_are_added_to_and_removed_from_their_lists() {
    case(
        &["CIS-1.2.3", "CIS-1.2.10", "CIS-1.2.12"],
        &apiserver(
            "    - kube-apiserver\n    - --enable-admission-plugins=AlwaysAdmit,NodeRestriction\n    - --disable-admission-plugins=ServiceAccount\n",
        ),
        &apiserver(
            "    - kube-apiserver\n    - --enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs\n",
        ),
    );
    // A list flag given twice: the element goes from every occurrence.
    case(
        &["CIS-1.2.10"],
        &apiserver(
            "    - kube-apiserver\n    - --enable-admission-plugins=AlwaysAdmit\n    - --enable-admission-plugins=NodeRestriction,AlwaysAdmit\n",
        ),
        &apiserver("    - kube-apiserver\n    - --enable-admission-plugins=NodeRestriction\n"),
    );
}

#[test]
fn authorization_mode_that_is_not_set_becomes_node_and_rbac() {
    // Each check alone would leave the default AlwaysAllow in (or remove the only mode);
    // planned together they give Node,RBAC.
    case(
        &["CIS-1.2.6", "CIS-1.2.7", "CIS-1.2.8"],
        &apiserver("    - kube-apiserver\n    - --profiling=false\n"),
        &apiserver(
            "    - kube-apiserver\n    - --profiling=false\n    - --authorization-mode=Node,RBAC\n",
        ),
    );
    // The report's fix of each of them is that same edit.
    let report = scan(&apiserver(
        "    - kube-apiserver\n    - --profiling=false\n",
    ));
    let fix = report
        .results
        .iter()
        .find(|r| r.rule == "CIS-1.2.6" && r.benchmark.starts_with("cis-k8s"))
        .and_then(|r| r.fix.as_ref())
        .expect("CIS-1.2.6 has a fix");
    assert_eq!(
        fix.description,
        "add Node to --authorization-mode, add RBAC to --authorization-mode, remove AlwaysAllow from --authorization-mode on kube-apiserver"
    );
    assert_eq!(
        fix.patch,
        vec![PatchOp::Add {
            path: "/spec/containers/0/command/-".to_owned(),
            value: serde_json::json!("--authorization-mode=Node,RBAC"),
        }]
    );
    // Node alone could be added after the default (AlwaysAllow,Node); a flag that is not set
    // is written once, as every failing check of it needs it.
    let fix = report
        .results
        .iter()
        .find(|r| r.rule == "CIS-1.2.7" && r.benchmark.starts_with("cis-k8s"))
        .and_then(|r| r.fix.as_ref())
        .expect("CIS-1.2.7 has a fix");
    assert!(
        fix.edits
            .iter()
            .all(|e| e.new_text == "    - --authorization-mode=Node,RBAC\n"),
        "{fix:?}"
    );
}

#[test]
fn the_report_fix_of_a_given_flag_is_the_narrowest() {
    let report = scan(&apiserver(
        "    - kube-apiserver\n    - --enable-admission-plugins=NodeRestriction,AlwaysAdmit\n",
    ));
    let describe = |rule: &str| {
        report
            .results
            .iter()
            .find(|r| r.rule == rule && r.benchmark.starts_with("cis-k8s"))
            .and_then(|r| r.fix.as_ref())
            .map(|f| f.description.clone())
    };
    assert_eq!(
        describe("CIS-1.2.10").as_deref(),
        Some("remove AlwaysAdmit from --enable-admission-plugins on kube-apiserver")
    );
    assert_eq!(
        describe("CIS-1.2.3").as_deref(),
        Some("add DenyServiceExternalIPs to --enable-admission-plugins on kube-apiserver")
    );
    assert_eq!(
        describe("CIS-1.2.9"),
        None,
        "EventRateLimit needs its configuration"
    );
}

#[test]
fn a_threshold_is_raised_to_the_benchmark_value_not_removed() {
    case(
        &["CIS-1.2.17"],
        &apiserver(
            "    - kube-apiserver\n    - --audit-log-path=/var/log/audit.log\n    - --audit-log-maxage=7\n",
        ),
        &apiserver(
            "    - kube-apiserver\n    - --audit-log-path=/var/log/audit.log\n    - --audit-log-maxage=30\n",
        ),
    );
    // Without an audit log path there is nothing to keep: no fix (the path is a choice).
    refused(
        &["CIS-1.2.17", "CIS-1.2.16"],
        &apiserver("    - kube-apiserver\n    - --audit-log-maxage=7\n"),
    );
}

#[test]
fn the_value_in_the_next_argument_a_bare_boolean_and_quotes() {
    case(
        &["CIS-1.2.15", "CIS-1.2.1", "CIS-1.2.17"],
        &apiserver(
            "    - kube-apiserver\n    - --anonymous-auth\n    - \"--profiling=true\"\n    - --audit-log-path\n    - /var/log/audit.log\n    - --audit-log-maxage\n    - '7'\n",
        ),
        &apiserver(
            "    - kube-apiserver\n    - --anonymous-auth=false\n    - \"--profiling=false\"\n    - --audit-log-path\n    - /var/log/audit.log\n    - --audit-log-maxage\n    - '30'\n",
        ),
    );
}

#[test]
fn flags_in_args_in_a_flow_list_with_crlf() {
    let before = "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: kube-scheduler, namespace: kube-system}\r\nspec:\r\n  containers:\r\n  - name: kube-scheduler\r\n    image: registry.k8s.io/kube-scheduler:v1.30.1\r\n    command: [kube-scheduler]\r\n    args: [--profiling=true, --bind-address=0.0.0.0]\r\n";
    let after = "apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: kube-scheduler, namespace: kube-system}\r\nspec:\r\n  containers:\r\n  - name: kube-scheduler\r\n    image: registry.k8s.io/kube-scheduler:v1.30.1\r\n    command: [kube-scheduler]\r\n    args: [--profiling=false, --bind-address=127.0.0.1, --tls-min-version=VersionTLS12]\r\n";
    case(&["CIS-1.4.1", "CIS-1.4.2", "STIG-V-242377"], before, after);
}

#[test]
fn feature_gate_keys_and_a_second_occurrence() {
    let cm = |flags: &str| {
        pod(
            "kube-controller-manager",
            "v1.32.0",
            &format!("    - kube-controller-manager\n{flags}"),
            "",
        )
    };
    case(
        &["CIS-1.3.6", "CIS-1.3.2", "CIS-1.3.3"],
        &cm(
            "    - --feature-gates=RotateKubeletServerCertificate=false,Foo=true\n    - --profiling=true\n    - --profiling=true\n    - --use-service-account-credentials=false\n",
        ),
        &cm(
            "    - --feature-gates=Foo=true\n    - --profiling=true\n    - --profiling=false\n    - --use-service-account-credentials=true\n",
        ),
    );
    // A gate alone goes with its flag.
    case(
        &["CIS-1.3.6"],
        &cm(
            "    - --feature-gates=RotateKubeletServerCertificate=false\n    - --profiling=false\n",
        ),
        &cm("    - --profiling=false\n"),
    );
}

#[test]
fn stig_cipher_suites_replace_the_cis_list_in_one_pass() {
    case(
        &["CIS-1.2.29", "STIG-V-242418"],
        &apiserver(
            "    - kube-apiserver\n    - --tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n",
        ),
        &apiserver(
            "    - kube-apiserver\n    - --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n",
        ),
    );
    case(
        &["CIS-1.2.29", "STIG-V-242418"],
        &apiserver("    - kube-apiserver\n    - --profiling=false\n"),
        &apiserver(
            "    - kube-apiserver\n    - --profiling=false\n    - --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n",
        ),
    );
}

#[test]
fn etcd_flags_in_go_flag_syntax() {
    let etcd = |flags: &str| pod("etcd", "3.5.15-0", &format!("    - etcd\n{flags}"), "");
    case(
        &["CIS-2.2", "CIS-2.3", "CIS-2.5"],
        &etcd(
            "    - --cert-file=/etc/kubernetes/pki/etcd/server.crt\n    - --key-file=/etc/kubernetes/pki/etcd/server.key\n    - --auto-tls=true\n    - --client-cert-auth=false\n",
        ),
        &etcd(
            "    - --cert-file=/etc/kubernetes/pki/etcd/server.crt\n    - --key-file=/etc/kubernetes/pki/etcd/server.key\n    - --client-cert-auth=true\n    - --peer-client-cert-auth=true\n",
        ),
    );
}

#[test]
fn a_list_item_of_a_kind_list() {
    let before = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: kube-scheduler\n    namespace: kube-system\n  spec:\n    containers:\n    - name: kube-scheduler\n      image: registry.k8s.io/kube-scheduler:v1.33.0\n      command:\n      - kube-scheduler\n      - --bind-address=127.0.0.1\n";
    let after = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: kube-scheduler\n    namespace: kube-system\n  spec:\n    containers:\n    - name: kube-scheduler\n      image: registry.k8s.io/kube-scheduler:v1.33.0\n      command:\n      - kube-scheduler\n      - --bind-address=127.0.0.1\n      - --profiling=false\n";
    case(&["CIS-1.4.1"], before, after);
    let report = scan(before);
    let fix = report
        .results
        .iter()
        .find(|r| r.rule == "CIS-1.4.1")
        .and_then(|r| r.fix.as_ref())
        .expect("a fix");
    // The patch's paths start at the object, as for every fix.
    assert_eq!(
        fix.patch,
        vec![PatchOp::Add {
            path: "/spec/containers/0/command/-".to_owned(),
            value: serde_json::json!("--profiling=false"),
        }]
    );
}

#[test]
fn anonymous_auth_is_not_turned_off_under_http_probes() {
    let probe = "    livenessProbe:\n      httpGet:\n        host: 10.0.0.10\n        path: /livez\n        port: 6443\n        scheme: HTTPS\n";
    refused(
        &["CIS-1.2.1"],
        &pod(
            "kube-apiserver",
            "v1.33.2",
            "    - kube-apiserver\n    - --anonymous-auth=true\n",
            probe,
        ),
    );
}

#[test]
fn bind_address_is_kept_when_probes_use_the_node_address() {
    let command = "    - kube-scheduler\n    - --bind-address=0.0.0.0\n    - --profiling=false\n";
    let probe = |host: &str| {
        format!(
            "    livenessProbe:\n      httpGet:\n{host}        path: /healthz\n        port: 10259\n        scheme: HTTPS\n"
        )
    };
    refused(
        &["CIS-1.4.2"],
        &pod("kube-scheduler", "v1.33.0", command, &probe("")),
    );
    // kubeadm's probes name 127.0.0.1: then the address is fixed.
    let with = |c: &str| {
        pod(
            "kube-scheduler",
            "v1.33.0",
            c,
            &probe("        host: 127.0.0.1\n"),
        )
    };
    case(
        &["CIS-1.4.2"],
        &with(command),
        &with("    - kube-scheduler\n    - --bind-address=127.0.0.1\n    - --profiling=false\n"),
    );
}

#[test]
fn etcd_auto_tls_is_not_turned_off_without_a_certificate() {
    refused(
        &["CIS-2.3"],
        &pod(
            "etcd",
            "3.5.15-0",
            "    - etcd\n    - --auto-tls=true\n",
            "",
        ),
    );
}

#[test]
fn event_rate_limit_and_file_paths_have_no_fix() {
    refused(
        &["CIS-1.2.9", "CIS-1.2.16", "CIS-1.2.27", "CIS-1.2.5"],
        &apiserver("    - kube-apiserver\n    - --enable-admission-plugins=NodeRestriction\n"),
    );
}

#[test]
fn a_comment_on_a_flag_to_remove_is_kept_and_the_flag_with_it() {
    refused(
        &["CIS-1.2.2"],
        &apiserver(
            "    - kube-apiserver\n    - --token-auth-file=/etc/tokens.csv  # legacy CI tokens\n",
        ),
    );
}

#[test]
fn a_control_plane_pod_is_not_made_to_run_as_non_root() {
    let text = apiserver("    - kube-apiserver\n    - --profiling=false\n");
    refused(&["PSS103"], &text);
}

#[test]
fn every_flag_check_with_a_fix_is_a_check() {
    assert!(is_fixable("CIS-1.2.1"));
    assert!(is_fixable("STIG-V-242378"));
    assert!(!is_fixable("CIS-1.2.16"), "a path has no fix");
    assert!(
        !is_fixable("CIS-1.1.1"),
        "a file mode has no fix in a manifest"
    );
    assert!(
        !is_fixable("CIS-4.2.1"),
        "kubelet flags are not in a static pod"
    );
}

#[test]
fn a_comment_after_a_changed_flag_stays() {
    case(
        &["CIS-1.2.15"],
        &apiserver(
            "    - kube-apiserver\n    - --profiling=true   # for the perf team\n    # the rest is kubeadm's\n    - --authorization-mode=Node,RBAC\n",
        ),
        &apiserver(
            "    - kube-apiserver\n    - --profiling=false   # for the perf team\n    # the rest is kubeadm's\n    - --authorization-mode=Node,RBAC\n",
        ),
    );
}

#[test]
fn a_static_pod_in_helm_output_with_other_documents() {
    let other = "---\n# Source: cp/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: audit\n  namespace: kube-system\n";
    let pod = |flag: &str| {
        format!(
            "{other}---\n# Source: cp/templates/apiserver.yaml\n{}",
            apiserver(&format!(
                "    - kube-apiserver\n    - --authorization-mode=Node,RBAC\n    - {flag}\n"
            ))
        )
    };
    case(
        &["CIS-1.2.15"],
        &pod("--profiling=true"),
        &pod("--profiling=false"),
    );
}
