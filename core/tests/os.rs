//! The lower layers on node facts: CIS Ubuntu 22.04 (Level 1 - Server) and containerd
//! hardening. A hardened Ubuntu node passes every automated check and an unhardened one fails
//! every one; a safe containerd configuration passes every containerd check and an unsafe one
//! fails each. Plus the `kubernetes-node` profile, facts that were not collected, and sshd's
//! include order.

mod common;

use std::collections::BTreeMap;

use stockade_core::OptionsSpec;
use stockade_core::benchmarks::{cis_ubuntu, containerd};
use stockade_core::facts::{AppArmor, FileFact, FileType, Mount, NodeFacts, OsInfo, Process};
use stockade_core::report::{Report, Status, text};

fn file(path: &str, mode: &str, owner: (&str, &str)) -> FileFact {
    FileFact {
        path: path.to_owned(),
        exists: true,
        file_type: Some(FileType::File),
        mode: Some(mode.to_owned()),
        uid: Some(0),
        gid: Some(if owner.1 == "root" { 0 } else { 42 }),
        user: Some(owner.0.to_owned()),
        group: Some(owner.1.to_owned()),
        ..FileFact::default()
    }
}

fn dir(path: &str, mode: &str) -> FileFact {
    FileFact {
        file_type: Some(FileType::Directory),
        ..file(path, mode, ROOT)
    }
}

fn text_file(path: &str, mode: &str, content: &str) -> FileFact {
    FileFact {
        content: Some(content.to_owned()),
        ..file(path, mode, ROOT)
    }
}

fn absent(path: &str) -> FileFact {
    FileFact {
        path: path.to_owned(),
        exists: false,
        ..FileFact::default()
    }
}

const ROOT: (&str, &str) = ("root", "root");
const MODULES: &[&str] = &[
    "cramfs",
    "freevxfs",
    "hfs",
    "hfsplus",
    "jffs2",
    "usb-storage",
];

fn packages(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn sysctl(good: bool) -> BTreeMap<String, String> {
    cis_ubuntu::sysctl_keys()
        .into_iter()
        .map(|key| {
            let hardened = match key {
                "kernel.randomize_va_space" => "2",
                "kernel.yama.ptrace_scope" => "1",
                k if k.ends_with("icmp_ignore_bogus_error_responses")
                    || k.ends_with("icmp_echo_ignore_broadcasts")
                    || k.ends_with("rp_filter")
                    || k.ends_with("log_martians")
                    || k.ends_with("tcp_syncookies") =>
                {
                    "1"
                }
                _ => "0",
            };
            // Unhardened: the opposite (ASLR and ptrace_scope off).
            let value = if good {
                hardened
            } else if hardened == "0" {
                "1"
            } else {
                "0"
            }
            .to_owned();
            (key.to_owned(), value)
        })
        .collect()
}

fn mounts(options: &str) -> Vec<Mount> {
    [
        "/",
        "/tmp",
        "/dev/shm",
        "/home",
        "/var",
        "/var/tmp",
        "/var/log",
        "/var/log/audit",
    ]
    .iter()
    .map(|target| Mount {
        source: if *target == "/tmp" || *target == "/dev/shm" {
            "tmpfs".to_owned()
        } else {
            format!(
                "/dev/mapper/vg-{}",
                target.trim_start_matches('/').replace('/', "_")
            )
        },
        target: (*target).to_owned(),
        fs_type: if target.ends_with("tmp") || *target == "/dev/shm" {
            "tmpfs".to_owned()
        } else {
            "ext4".to_owned()
        },
        options: if *target == "/" {
            vec!["rw".to_owned(), "relatime".to_owned()]
        } else {
            options.split(',').map(str::to_owned).collect()
        },
    })
    .collect()
}

const SSHD_HARDENED: &str = "\
Include /etc/ssh/sshd_config.d/*.conf
LogLevel VERBOSE
PermitRootLogin no
MaxAuthTries 4
MaxSessions 10
MaxStartups 10:30:60
IgnoreRhosts yes
HostbasedAuthentication no
PermitEmptyPasswords no
PermitUserEnvironment no
Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512,hmac-sha2-256
KexAlgorithms -diffie-hellman-group14-sha1
ClientAliveInterval 15
ClientAliveCountMax 3
LoginGraceTime 1m
Banner /etc/issue.net
UsePAM yes
DisableForwarding yes
AllowGroups ssh-users
Match User backup
    MaxSessions 2
";

const AUDIT_RULES: &str = "\
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d -p wa -k scope
-a always,exit -F arch=b64 -S adjtimex,settimeofday -k time-change
-a always,exit -F arch=b32 -S adjtimex,settimeofday -k time-change
-a always,exit -F arch=b64 -S clock_settime -F a0=0x0 -k time-change
-a always,exit -F arch=b32 -S clock_settime -F a0=0x0 -k time-change
-w /etc/localtime -p wa -k time-change
-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale
-a always,exit -F arch=b32 -S sethostname,setdomainname -k system-locale
-w /etc/issue -p wa -k system-locale
-w /etc/issue.net -p wa -k system-locale
-w /etc/hosts -p wa -k system-locale
-w /etc/networks -p wa -k system-locale
-w /etc/network/ -p wa -k system-locale
-w /etc/netplan/ -p wa -k system-locale
-w /etc/group -p wa -k identity
-w /etc/passwd -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/security/opasswd -p wa -k identity
-w /etc/nsswitch.conf -p wa -k identity
-w /etc/pam.conf -p wa -k identity
-w /etc/pam.d -p wa -k identity
-w /var/run/utmp -p wa -k session
-w /var/log/wtmp -p wa -k session
-w /var/log/btmp -p wa -k session
-w /var/log/lastlog -p wa -k logins
-w /var/run/faillock -p wa -k logins
-w /etc/apparmor/ -p wa -k MAC-policy
-w /etc/apparmor.d/ -p wa -k MAC-policy
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module,create_module,query_module -F auid>=1000 -F auid!=unset -k kernel_modules
-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k kernel_modules
-e 2
";

/// os-release of Ubuntu 22.04.
fn jammy() -> Option<OsInfo> {
    Some(OsInfo {
        id: Some("ubuntu".to_owned()),
        version_id: Some("22.04".to_owned()),
        pretty_name: Some("Ubuntu 22.04.4 LTS".to_owned()),
        kernel: Some("5.15.0-107-generic".to_owned()),
    })
}

/// An Ubuntu 22.04 node hardened to CIS Level 2 - Server (and so Level 1).
fn hardened() -> NodeFacts {
    let mut f = NodeFacts::new("ubuntu-good");
    f.os = jammy();
    f.sysctl = Some(sysctl(true));
    f.mounts = Some(mounts("rw,nodev,nosuid,noexec,relatime"));
    f.packages = Some(packages(&[
        ("apparmor", "3.0.4-2ubuntu2.3"),
        ("apparmor-utils", "3.0.4-2ubuntu2.3"),
        ("aide", "0.17.4-1"),
        ("aide-common", "0.17.4-1"),
        ("auditd", "1:3.0.7-1build1"),
        ("audispd-plugins", "1:3.0.7-1build1"),
        ("openssh-server", "1:8.9p1-3ubuntu0.10"),
        ("sudo", "1.9.9-1ubuntu2.4"),
        ("ufw", "0.36.1-4ubuntu0.1"),
        ("systemd-timesyncd", "249.11-0ubuntu3.12"),
    ]));
    f.modules = Some(vec!["overlay".to_owned(), "br_netfilter".to_owned()]);
    f.enabled_services = Some(
        [
            "auditd.service",
            "cron.service",
            "dailyaidecheck.timer",
            "systemd-timesyncd.service",
            "ufw.service",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
    );
    f.kernel_cmdline = Some(
        "BOOT_IMAGE=/vmlinuz ro apparmor=1 security=apparmor audit=1 audit_backlog_limit=8192"
            .to_owned(),
    );
    f.apparmor = Some(AppArmor {
        enabled: true,
        profiles: [
            ("/usr/sbin/chronyd", "enforce"),
            ("cri-containerd.apparmor.d", "enforce"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
    });
    let modprobe: String = MODULES
        .iter()
        .map(|m| format!("install {m} /bin/false\nblacklist {m}\n"))
        .collect();
    f.files = vec![
        file("/boot/grub/grub.cfg", "0400", ROOT),
        text_file("/etc/motd", "0644", "Authorized use only.\n"),
        text_file("/etc/issue", "0644", "Authorized use only.\n"),
        text_file("/etc/issue.net", "0644", "Authorized use only.\n"),
        file("/etc/crontab", "0600", ROOT),
        dir("/etc/cron.hourly", "0700"),
        dir("/etc/cron.daily", "0700"),
        dir("/etc/cron.weekly", "0700"),
        dir("/etc/cron.monthly", "0700"),
        dir("/etc/cron.d", "0700"),
        file("/etc/cron.allow", "0640", ROOT),
        absent("/etc/at.allow"),
        dir("/etc/modprobe.d", "0755"),
        text_file("/etc/modprobe.d/cis.conf", "0644", &modprobe),
        text_file("/etc/ssh/sshd_config", "0600", SSHD_HARDENED),
        dir("/etc/ssh", "0755"),
        dir("/etc/ssh/sshd_config.d", "0755"),
        text_file(
            "/etc/ssh/sshd_config.d/50-cloud-init.conf",
            "0600",
            "PasswordAuthentication no\n",
        ),
        file("/etc/ssh/ssh_host_ed25519_key", "0600", ROOT),
        file("/etc/ssh/ssh_host_ed25519_key.pub", "0644", ROOT),
        text_file(
            "/etc/sudoers",
            "0440",
            "Defaults env_reset\nDefaults use_pty\nDefaults logfile=\"/var/log/sudo.log\"\n@includedir /etc/sudoers.d\n",
        ),
        dir("/etc/sudoers.d", "0750"),
        text_file(
            "/etc/passwd",
            "0644",
            "root:x:0:0:root:/root:/bin/bash\nsync:x:4:65534:sync:/bin:/bin/sync\nubuntu:x:1000:1000::/home/ubuntu:/bin/bash\n",
        ),
        text_file(
            "/etc/group",
            "0644",
            "root:x:0:\nnogroup:x:65534:\nshadow:x:42:\nubuntu:x:1000:\n",
        ),
        file("/etc/passwd-", "0644", ROOT),
        file("/etc/group-", "0644", ROOT),
        file("/etc/shadow", "0640", ("root", "shadow")),
        file("/etc/shadow-", "0640", ("root", "shadow")),
        file("/etc/gshadow", "0640", ("root", "shadow")),
        file("/etc/gshadow-", "0640", ("root", "shadow")),
        file("/etc/shells", "0644", ROOT),
        absent("/etc/security/opasswd"),
        text_file(
            "/etc/security/limits.conf",
            "0644",
            "#<domain> <type> <item> <value>\n*    soft    core    unlimited\n",
        ),
        dir("/etc/security/limits.d", "0755"),
        text_file(
            "/etc/security/limits.d/60-cis.conf",
            "0644",
            "* hard core 0\n",
        ),
        text_file(
            "/etc/audit/auditd.conf",
            "0640",
            "log_file = /var/log/audit/audit.log\nmax_log_file = 8\nmax_log_file_action = keep_logs\nspace_left_action = email\ndisk_full_action = single\n",
        ),
        dir("/etc/audit/rules.d", "0750"),
        text_file("/etc/audit/rules.d/50-cis.rules", "0640", AUDIT_RULES),
    ];
    f
}

/// The same node before hardening: every automated check fails.
fn unhardened() -> NodeFacts {
    let mut f = NodeFacts::new("ubuntu-bad");
    f.os = jammy();
    f.sysctl = Some(sysctl(false));
    let mut m = mounts("rw,relatime");
    m.retain(|m| m.target != "/tmp" && m.target != "/dev/shm");
    m.push(Mount {
        source: "tmpfs".to_owned(),
        target: "/dev/shm".to_owned(),
        fs_type: "tmpfs".to_owned(),
        options: vec!["rw".to_owned()],
    });
    f.mounts = Some(m);
    f.packages = Some(packages(&[
        ("autofs", "5.1.8"),
        ("avahi-daemon", "0.8"),
        ("isc-dhcp-server", "4.4.1"),
        ("bind9", "9.18"),
        ("dnsmasq", "2.90"),
        ("vsftpd", "3.0.5"),
        ("slapd", "2.5"),
        ("dovecot-imapd", "2.3"),
        ("nfs-kernel-server", "2.6"),
        ("ypserv", "4.1"),
        ("cups", "2.4"),
        ("rpcbind", "1.2"),
        ("rsync", "3.2"),
        ("samba", "4.15"),
        ("snmpd", "5.9"),
        ("tftpd-hpa", "5.2"),
        ("squid", "5.7"),
        ("apache2", "2.4"),
        ("xinetd", "2.3"),
        ("nis", "4.3"),
        ("rsh-client", "0.17"),
        ("talk", "0.17"),
        ("telnet", "0.17"),
        ("ldap-utils", "2.5"),
        ("ftp", "20210827"),
        ("prelink", "0.0"),
        // Before the CVE-2023-48795 fix (1:8.9p1-3ubuntu0.5): chacha20-poly1305 is weak.
        ("openssh-server", "1:8.9p1-3ubuntu0.4"),
        ("at", "3.2.5"),
    ]));
    f.modules = Some(MODULES.iter().map(|m| m.replace('-', "_")).collect());
    f.enabled_services = Some(
        [
            "apport.service",
            "autofs.service",
            "avahi-daemon.service",
            "isc-dhcp-server.service",
            "named.service",
            "dnsmasq.service",
            "vsftpd.service",
            "slapd.service",
            "dovecot.service",
            "nfs-server.service",
            "ypserv.service",
            "cups.service",
            "rpcbind.service",
            "rsync.service",
            "smbd.service",
            "snmpd.service",
            "tftpd-hpa.service",
            "squid.service",
            "apache2.service",
            "xinetd.service",
            "chrony.service",
            "systemd-timesyncd.service",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
    );
    f.kernel_cmdline = Some("BOOT_IMAGE=/vmlinuz ro audit_backlog_limit=64".to_owned());
    f.apparmor = Some(AppArmor {
        enabled: true,
        profiles: [("/usr/bin/man", "unconfined")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    });
    f.files = vec![
        file("/boot/grub/grub.cfg", "0644", ROOT),
        text_file("/etc/motd", "0666", "Welcome to Ubuntu 22.04.4 LTS\n"),
        text_file("/etc/issue", "0666", "Ubuntu 22.04.4 LTS \\n \\l\n"),
        text_file("/etc/issue.net", "0666", "Ubuntu 22.04.4 LTS\n"),
        file("/etc/crontab", "0644", ROOT),
        dir("/etc/cron.hourly", "0755"),
        dir("/etc/cron.daily", "0755"),
        dir("/etc/cron.weekly", "0755"),
        dir("/etc/cron.monthly", "0755"),
        dir("/etc/cron.d", "0755"),
        absent("/etc/cron.allow"),
        absent("/etc/at.allow"),
        dir("/etc/modprobe.d", "0755"),
        text_file(
            "/etc/ssh/sshd_config",
            "0644",
            "Include /etc/ssh/sshd_config.d/*.conf\nX11Forwarding yes\nLogLevel QUIET\n",
        ),
        dir("/etc/ssh", "0755"),
        dir("/etc/ssh/sshd_config.d", "0755"),
        text_file(
            "/etc/ssh/sshd_config.d/50-bad.conf",
            "0644",
            "PermitRootLogin yes\nKexAlgorithms +diffie-hellman-group14-sha1\nPermitEmptyPasswords yes\nIgnoreRhosts no\nHostbasedAuthentication yes\nPermitUserEnvironment yes\nMaxAuthTries 10\nMaxSessions 20\nUsePAM no\nLoginGraceTime 5m\nMaxStartups 100\n",
        ),
        file("/etc/ssh/ssh_host_ed25519_key", "0644", ROOT),
        file("/etc/ssh/ssh_host_ed25519_key.pub", "0666", ROOT),
        text_file(
            "/etc/sudoers",
            "0440",
            "Defaults env_reset\nDefaults !use_pty\n",
        ),
        dir("/etc/sudoers.d", "0750"),
        text_file(
            "/etc/passwd",
            "0666",
            "root:x:0:0:root:/root:/bin/bash\ntoor:REDACTED:0:0::/root:/bin/bash\nubuntu:x:1000:1000::/home/ubuntu:/bin/bash\nubuntu:x:1000:999::/home/u2:/bin/bash\nbackup:x:34:42::/:/bin/sh\n",
        ),
        text_file(
            "/etc/group",
            "0666",
            "root:x:0:\nshadow:x:42:ubuntu\nubuntu:x:1000:\nubuntu:x:1000:\n",
        ),
        file("/etc/passwd-", "0666", ROOT),
        file("/etc/group-", "0666", ROOT),
        file("/etc/shadow", "0644", ROOT),
        file("/etc/shadow-", "0644", ROOT),
        file("/etc/gshadow", "0644", ROOT),
        file("/etc/gshadow-", "0644", ROOT),
        file("/etc/shells", "0666", ROOT),
        file("/etc/security/opasswd", "0644", ("root", "users")),
        text_file("/etc/security/limits.conf", "0644", "* soft core 0\n"),
        dir("/etc/security/limits.d", "0755"),
        text_file(
            "/etc/audit/auditd.conf",
            "0640",
            "max_log_file_action = rotate\nspace_left_action = ignore\ndisk_full_action = suspend\nmax_log_file = 0\n",
        ),
        dir("/etc/audit/rules.d", "0750"),
        text_file("/etc/audit/rules.d/audit.rules", "0640", "-D\n-b 8192\n"),
    ];
    f
}

fn scan_with(facts: &[(&str, &NodeFacts)], options: &str) -> Report {
    let spec: OptionsSpec = serde_json::from_str(options).expect("options");
    common::scan_facts(facts, &spec.resolve().expect("valid options"))
}

fn statuses(report: &Report, node: &str, prefix: &str) -> BTreeMap<String, Status> {
    report
        .results
        .iter()
        .filter(|r| r.resource.name == node && r.rule.starts_with(prefix))
        .map(|r| (r.rule.to_string(), r.status))
        .collect()
}

#[test]
fn a_hardened_ubuntu_node_passes_every_automated_check_and_an_unhardened_one_fails_them() {
    let good = hardened();
    let bad = unhardened();
    let report = scan_with(
        &[("good.json", &good), ("bad.json", &bad)],
        r#"{"benchmarks": ["cis-ubuntu@l2"]}"#,
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let good = statuses(&report, "ubuntu-good", "UBU-");
    let bad = statuses(&report, "ubuntu-bad", "UBU-");
    // Checks that do not apply to the hardened node, and why.
    let not_applicable = ["UBU-2.4.2.1"]; // `at` is not installed
    for check in cis_ubuntu::checks() {
        let code = check.code();
        if check.manual.is_some() {
            assert_eq!(good.get(&code), Some(&Status::Manual), "{code}");
            assert_eq!(bad.get(&code), Some(&Status::Manual), "{code}");
            continue;
        }
        if not_applicable.contains(&code.as_str()) {
            assert_eq!(good.get(&code), Some(&Status::Skip), "{code}");
        } else {
            assert_eq!(
                good.get(&code),
                Some(&Status::Pass),
                "{code} on the hardened node: {:?}",
                message(&report, "ubuntu-good", &code)
            );
        }
        // Options of partitions that are not separate cannot be set: skipped, as the
        // benchmark says, and the separate-partition check itself fails.
        let skipped_on_bad = code.starts_with("UBU-1.1.2.1.");
        let want = if skipped_on_bad && code != "UBU-1.1.2.1.1" {
            Status::Skip
        } else if code == "UBU-1.1.2.2.1" {
            // systemd always mounts /dev/shm: it is separate on every Ubuntu node, and the
            // unhardened node fails on its options instead.
            Status::Pass
        } else {
            Status::Fail
        };
        assert_eq!(
            bad.get(&code),
            Some(&want),
            "{code} on the unhardened node: {:?}",
            message(&report, "ubuntu-bad", &code)
        );
    }
}

fn message(report: &Report, node: &str, code: &str) -> String {
    report
        .results
        .iter()
        .find(|r| r.resource.name == node && r.rule == code)
        .map(|r| r.message.to_string())
        .unwrap_or_default()
}

#[test]
fn results_point_at_their_facts_and_name_values_and_sources() {
    let report = scan_with(
        &[("bad.json", &unhardened())],
        r#"{"benchmarks": ["cis-ubuntu"], "select": ["UBU-3.3.10", "UBU-5.1.20", "UBU-7.1.5", "UBU-1.1.1.1"]}"#,
    );
    let rendered = text::render(&report, text::TextOptions::default());
    insta::assert_snapshot!("ubuntu_failures_text", rendered);
    let syn = common::result_of(&report, "UBU-3.3.10", None);
    assert_eq!(syn.pointer, "/sysctl/net.ipv4.tcp_syncookies");
    let root_login = common::result_of(&report, "UBU-5.1.20", None);
    assert_eq!(
        root_login
            .evidence
            .as_ref()
            .and_then(|e| e.source.as_deref()),
        Some("/etc/ssh/sshd_config.d/50-bad.conf line 1"),
        "the included file is read in place of its Include line, and the first value wins"
    );
}

#[test]
fn the_kubernetes_node_profile_exempts_ip_forwarding_where_a_kubelet_runs() {
    let mut node = hardened();
    node.node.hostname = "k8s-worker".to_owned();
    if let Some(s) = node.sysctl.as_mut() {
        s.insert("net.ipv4.ip_forward".to_owned(), "1".to_owned());
    }
    node.processes = vec![Process {
        pid: 1,
        argv: vec!["/usr/bin/kubelet".to_owned()],
        env: BTreeMap::new(),
    }];
    let auto = scan_with(&[("n.json", &node)], r#"{"benchmarks": ["cis-ubuntu"]}"#);
    let forwarding = common::result_of(&auto, "UBU-3.3.1", None);
    assert_eq!(forwarding.status, Status::Exempt);
    let note = forwarding.exemption.as_ref().expect("why");
    assert_eq!(note.source, "profile kubernetes-node");
    assert_eq!(note.status, Status::Fail);
    assert!(note.reason.contains("ip_forward=1"));
    // The benchmark as written: a failure.
    let server = scan_with(
        &[("n.json", &node)],
        r#"{"benchmarks": ["cis-ubuntu"], "settings": {"nodeProfile": "server"}}"#,
    );
    let forwarding = common::result_of(&server, "UBU-3.3.1", None);
    assert_eq!(forwarding.status, Status::Fail);
    // Without a kubelet, `auto` is `server`.
    node.processes.clear();
    let plain = scan_with(&[("n.json", &node)], r#"{"benchmarks": ["cis-ubuntu"]}"#);
    assert_eq!(
        plain
            .results
            .iter()
            .find(|r| r.rule == "UBU-3.3.1")
            .map(|r| r.status),
        Some(Status::Fail)
    );
}

#[test]
fn facts_that_were_not_collected_are_warnings_and_broken_facts_errors_never_passes() {
    // An Ubuntu node with some OS sections, not all: what was not collected is `warn` where a
    // check needs it (as in the Kubernetes benchmark), naming what is missing.
    let mut node = NodeFacts::new("partial");
    node.os = jammy();
    node.packages = Some(packages(&[("openssh-server", "1:8.9p1-3ubuntu0.10")]));
    let report = scan_with(
        &[("partial.json", &node)],
        r#"{"benchmarks": ["cis-ubuntu@l2"]}"#,
    );
    let mut warned = 0;
    for r in report.results.iter().filter(|r| r.rule.starts_with("UBU-")) {
        assert_ne!(r.status, Status::Error, "{}: {}", r.rule, r.message);
        if r.status == Status::Warn {
            assert!(r.message.contains("not collected"), "{}", r.message);
            warned += 1;
        }
    }
    assert!(warned > 100, "{warned} warnings");
    let sysctl = common::result_of(&report, "UBU-3.3.1", None);
    assert_eq!(sysctl.status, Status::Warn);
    assert_eq!(
        sysctl.message.as_str(),
        "IP forwarding is disabled: kernel parameters were not collected"
    );
    // A collection error the collector recorded is an `error`, with its cause.
    let mut failed = hardened();
    failed.errors.push(stockade_core::facts::CollectionError {
        path: Some("/etc/ssh/sshd_config".to_owned()),
        message: "permission denied".to_owned(),
    });
    let (status, msg) = check(&failed, "UBU-5.1.20");
    assert_eq!(status, Status::Error, "{msg}");
    assert!(msg.contains("permission denied"), "{msg}");

    // OS sections that do not say which OS it is: an error on every check.
    let mut node = NodeFacts::new("partial");
    node.packages = Some(packages(&[("openssh-server", "1:8.9p1")]));
    let report = scan_with(
        &[("partial.json", &node)],
        r#"{"benchmarks": ["cis-ubuntu", "containerd"]}"#,
    );
    let mut errors = 0;
    for r in report.results.iter().filter(|r| r.rule.starts_with("UBU-")) {
        // Only what the collected packages decide may pass.
        let from_packages = r.message.contains("not installed");
        assert!(
            from_packages
                || matches!(
                    r.status,
                    Status::Error | Status::Manual | Status::Skip | Status::Fail
                ),
            "{} is {:?}: {}",
            r.rule,
            r.status,
            r.message
        );
        errors += usize::from(r.status == Status::Error);
    }
    assert!(errors > 100, "{errors} errors");
    // No OS section at all (a Kubernetes-only collector): the benchmark does not apply.
    let bare = scan_with(
        &[("bare.json", &NodeFacts::new("bare"))],
        r#"{"benchmarks": ["cis-ubuntu"]}"#,
    );
    assert!(bare.results.iter().all(|r| r.status == Status::Skip));
    let first = bare.results.first().expect("results");
    assert!(
        first.message.contains("hold no OS section"),
        "{}",
        first.message
    );
    // No containerd on this node: every containerd check says so.
    for r in report.results.iter().filter(|r| r.rule.starts_with("CTR-")) {
        assert_eq!(r.status, Status::Skip, "{}", r.rule);
    }
}

const SAFE_CONTAINERD: &str = r#"version = 2

[grpc]
  address = "/run/containerd/containerd.sock"
  uid = 0
  gid = 0

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true

  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = true

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
"#;

const UNSAFE_CONTAINERD: &str = r#"version = 2

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "0.0.0.0"
  disable_apparmor = true

  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = ["http://mirror.internal:5000", "https://registry-1.docker.io"]
  [plugins."io.containerd.grpc.v1.cri".registry.configs."registry.internal".tls]
    insecure_skip_verify = true
"#;

fn containerd_node(name: &str, safe: bool) -> NodeFacts {
    let mut f = NodeFacts::new(name);
    f.processes = vec![Process {
        pid: 7,
        argv: vec![
            "/usr/bin/kubelet".to_owned(),
            "--config=/var/lib/kubelet/config.yaml".to_owned(),
        ],
        env: BTreeMap::new(),
    }];
    let kubelet = if safe {
        "kind: KubeletConfiguration\nseccompDefault: true\ncgroupDriver: systemd\n"
    } else {
        "kind: KubeletConfiguration\n"
    };
    f.packages = Some(packages(&[
        ("containerd.io", if safe { "1.7.27-1" } else { "1.6.0-1" }),
        ("runc", if safe { "1.2.8-1" } else { "1.1.11-1" }),
    ]));
    let mode = if safe { "0660" } else { "0666" };
    f.files = vec![
        text_file("/var/lib/kubelet/config.yaml", "0644", kubelet),
        text_file(
            containerd::CONFIG,
            if safe { "0644" } else { "0666" },
            if safe {
                SAFE_CONTAINERD
            } else {
                UNSAFE_CONTAINERD
            },
        ),
        FileFact {
            file_type: Some(FileType::Other),
            ..file(containerd::SOCKET, mode, ROOT)
        },
    ];
    if safe {
        f.files.push(dir("/etc/containerd/certs.d", "0755"));
        f.files.push(text_file(
            "/etc/containerd/certs.d/docker.io/hosts.toml",
            "0644",
            "server = \"https://registry-1.docker.io\"\n[host.\"https://mirror.internal\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = \"/etc/containerd/certs.d/docker.io/ca.crt\"\n",
        ));
    }
    f
}

#[test]
fn a_safe_containerd_passes_every_check_and_an_unsafe_one_fails_each() {
    let report = scan_with(
        &[
            ("safe.json", &containerd_node("runtime-safe", true)),
            ("unsafe.json", &containerd_node("runtime-unsafe", false)),
        ],
        r#"{"benchmarks": ["containerd"]}"#,
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let safe = statuses(&report, "runtime-safe", "CTR-");
    let unsafe_ = statuses(&report, "runtime-unsafe", "CTR-");
    assert_eq!(safe.len(), containerd::CHECKS.len());
    for check in containerd::CHECKS {
        let code = check.code();
        assert_eq!(
            safe.get(&code),
            Some(&Status::Pass),
            "{code}: {}",
            message(&report, "runtime-safe", &code)
        );
        assert_eq!(
            unsafe_.get(&code),
            Some(&Status::Fail),
            "{code}: {}",
            message(&report, "runtime-unsafe", &code)
        );
    }
    let runc = message(&report, "runtime-unsafe", "CTR-11");
    assert!(runc.contains("CVE-2024-21626"), "{runc}");
    let mirrors = message(&report, "runtime-unsafe", "CTR-1");
    assert!(mirrors.contains("http://mirror.internal:5000"), "{mirrors}");
}

#[test]
fn distribution_builds_below_a_fix_are_manual_not_failures() {
    let mut node = containerd_node("ubuntu-runtime", true);
    node.packages = Some(packages(&[
        ("containerd", "1.6.0-0ubuntu1~22.04.2"),
        ("runc", "1.1.7-0ubuntu1~22.04.2"),
    ]));
    let report = scan_with(&[("n.json", &node)], r#"{"benchmarks": ["containerd"]}"#);
    let runc = common::result_of(&report, "CTR-11", None);
    assert_eq!(runc.status, Status::Manual);
    assert!(
        runc.message.contains("apt changelog runc"),
        "{}",
        runc.message
    );
}

#[test]
fn containerd_config_version_3_and_its_defaults() {
    let mut node = containerd_node("runtime-v3", true);
    node.packages = Some(packages(&[
        ("containerd.io", "2.0.5-1"),
        ("runc", "1.2.8-1"),
    ]));
    let v3 = "version = 3\n[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n";
    if let Some(f) = node.files.iter_mut().find(|f| f.path == containerd::CONFIG) {
        f.content = Some(v3.to_owned());
    }
    let report = scan_with(&[("n.json", &node)], r#"{"benchmarks": ["containerd"]}"#);
    let status = |code: &str| {
        report
            .results
            .iter()
            .find(|r| r.rule == code)
            .map(|r| r.status)
    };
    assert_eq!(status("CTR-3"), Some(Status::Pass), "v3 runtime table");
    assert_eq!(
        status("CTR-5"),
        Some(Status::Pass),
        "containerd 2 defaults: unprivileged ports and ICMP on"
    );
    // Broken TOML is an error on every config check, never a pass.
    if let Some(f) = node.files.iter_mut().find(|f| f.path == containerd::CONFIG) {
        f.content = Some("version = [\n".to_owned());
    }
    let report = scan_with(&[("n.json", &node)], r#"{"benchmarks": ["containerd"]}"#);
    let broken = common::result_of(&report, "CTR-4", None);
    assert_eq!(broken.status, Status::Error);
    assert!(
        broken.message.contains("is not valid TOML"),
        "{}",
        broken.message
    );
}

/// One check's status and message on one node, at Level 2 (every check).
fn check(node: &NodeFacts, code: &str) -> (Status, String) {
    let report = scan_with(&[("n.json", node)], r#"{"benchmarks": ["cis-ubuntu@l2"]}"#);
    report
        .results
        .iter()
        .find(|r| r.rule == code)
        .map(|r| (r.status, r.message.to_string()))
        .unwrap_or_else(|| panic!("no result for {code}"))
}

/// Sets a file's content (adding the file if needed), root:root 0600.
fn put(node: &mut NodeFacts, path: &str, content: &str) {
    node.files.retain(|f| f.path != path);
    node.files.push(text_file(path, "0600", content));
}

fn remove(node: &mut NodeFacts, path: &str) {
    node.files.retain(|f| f.path != path);
}

fn sshd_config(node: &mut NodeFacts, from: &str, to: &str) {
    assert!(SSHD_HARDENED.contains(from), "{from}");
    put(
        node,
        "/etc/ssh/sshd_config",
        &SSHD_HARDENED.replace(from, to),
    );
}

#[test]
fn sshd_is_read_as_openssh_8_9_reads_it() {
    // Time values take units: 5m is 300 seconds.
    let mut n = hardened();
    sshd_config(&mut n, "ClientAliveInterval 15", "ClientAliveInterval 5m");
    assert_eq!(check(&n, "UBU-5.1.7").0, Status::Pass);
    sshd_config(&mut n, "LoginGraceTime 1m", "LoginGraceTime 2m");
    let (status, msg) = check(&n, "UBU-5.1.13");
    assert_eq!(status, Status::Fail, "2m is 120 seconds: {msg}");
    // ClientAliveCountMax 0 disables the termination of idle sessions.
    let mut n = hardened();
    sshd_config(&mut n, "ClientAliveCountMax 3", "ClientAliveCountMax 0");
    let (status, msg) = check(&n, "UBU-5.1.7");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("clientalivecountmax is 0"), "{msg}");
    // MaxStartups 10 means 10:30:10.
    let mut n = hardened();
    sshd_config(&mut n, "MaxStartups 10:30:60", "MaxStartups 10");
    assert_eq!(check(&n, "UBU-5.1.18").0, Status::Pass);
    sshd_config(&mut n, "MaxStartups 10:30:60", "MaxStartups 11");
    assert_eq!(check(&n, "UBU-5.1.18").0, Status::Fail);
    // A Match block that weakens a setting fails the check, naming the block.
    let mut n = hardened();
    sshd_config(
        &mut n,
        "Match User backup\n",
        "Match Address 10.0.0.0/8\n    PermitRootLogin yes\nMatch User backup\n",
    );
    let (status, msg) = check(&n, "UBU-5.1.20");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(
        msg.contains(
            "`Match Address 10.0.0.0/8` (/etc/ssh/sshd_config line 21) sets permitrootlogin yes (/etc/ssh/sshd_config line 22)"
        ),
        "{msg}"
    );
    // ... also when `sshd -T` gave the global values (it prints no Match context).
    n.sshd = Some(BTreeMap::from([(
        "permitrootlogin".to_owned(),
        "no".to_owned(),
    )]));
    assert_eq!(check(&n, "UBU-5.1.20").0, Status::Fail);
    // A Match block in an included file ends with that file: what follows the Include line
    // in sshd_config is global again.
    let mut n = hardened();
    put(
        &mut n,
        "/etc/ssh/sshd_config.d/50-cloud-init.conf",
        "PasswordAuthentication no\nMatch User deploy\n    X11Forwarding no\n",
    );
    let (status, msg) = check(&n, "UBU-5.1.20");
    assert_eq!(status, Status::Pass, "{msg}");
    // The permission check covers every file in sshd_config.d.
    let mut n = hardened();
    n.files.push(text_file(
        "/etc/ssh/sshd_config.d/99-extra.conf.bak",
        "0644",
        "",
    ));
    let (status, msg) = check(&n, "UBU-5.1.1");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(
        msg.contains("/etc/ssh/sshd_config.d/99-extra.conf.bak: mode 644"),
        "{msg}"
    );
}

#[test]
fn sshd_includes_outside_sshd_config_d_are_read_or_named_as_missing() {
    let mut n = hardened();
    sshd_config(
        &mut n,
        "Include /etc/ssh/sshd_config.d/*.conf\n",
        "Include /etc/ssh/sshd_config.d/*.conf\nInclude site/*.conf\n",
    );
    // The directory was not collected: a warning that names it, never a pass.
    let (status, msg) = check(&n, "UBU-5.1.20");
    assert_eq!(status, Status::Warn, "{msg}");
    assert!(msg.contains("/etc/ssh/site"), "{msg}");
    // Collected: read in place (first value wins).
    n.files.push(dir("/etc/ssh/site", "0755"));
    put(
        &mut n,
        "/etc/ssh/site/10-root.conf",
        "PermitRootLogin yes\n",
    );
    let (status, msg) = check(&n, "UBU-5.1.20");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("/etc/ssh/site/10-root.conf line 1"), "{msg}");
}

#[test]
fn configuration_is_read_the_way_the_tools_read_it() {
    // kmod reads only *.conf in modprobe.d.
    let mut n = hardened();
    let modprobe = n
        .files
        .iter()
        .find(|f| f.path == "/etc/modprobe.d/cis.conf")
        .and_then(|f| f.content.clone())
        .expect("modprobe");
    remove(&mut n, "/etc/modprobe.d/cis.conf");
    put(&mut n, "/etc/modprobe.d/cis.conf.disabled", &modprobe);
    let (status, msg) = check(&n, "UBU-1.1.1.1");
    assert_eq!(status, Status::Fail, "{msg}");
    // sudo's @includedir skips names with a dot; a later `Defaults` wins.
    let mut n = hardened();
    put(
        &mut n,
        "/etc/sudoers",
        "Defaults env_reset\n@includedir /etc/sudoers.d\n",
    );
    put(&mut n, "/etc/sudoers.d/use_pty.conf", "Defaults use_pty\n");
    assert_eq!(check(&n, "UBU-5.2.2").0, Status::Fail);
    remove(&mut n, "/etc/sudoers.d/use_pty.conf");
    put(&mut n, "/etc/sudoers.d/10-cis", "Defaults use_pty\n");
    let (status, msg) = check(&n, "UBU-5.2.2");
    assert_eq!(status, Status::Pass, "{msg}");
    assert!(msg.contains("/etc/sudoers.d/10-cis line 1"), "{msg}");
    put(&mut n, "/etc/sudoers.d/20-site", "Defaults !use_pty\n");
    assert_eq!(check(&n, "UBU-5.2.2").0, Status::Fail);
    // Without an @includedir, sudoers.d is not read at all.
    let mut n = hardened();
    put(&mut n, "/etc/sudoers", "Defaults env_reset\n");
    put(&mut n, "/etc/sudoers.d/10-cis", "Defaults use_pty\n");
    assert_eq!(check(&n, "UBU-5.2.2").0, Status::Fail);
    // augenrules reads rules files in `ls -v` order; the last -e wins.
    let mut n = hardened();
    put(&mut n, "/etc/audit/rules.d/99-lock.rules", "-e 2\n");
    put(&mut n, "/etc/audit/rules.d/100-unlock.rules", "-e 1\n");
    let (status, msg) = check(&n, "UBU-6.2.3.20");
    assert_eq!(status, Status::Fail, "100 comes after 99: {msg}");
    remove(&mut n, "/etc/audit/rules.d/100-unlock.rules");
    put(&mut n, "/etc/audit/rules.d/98-unlock.rules", "-e 1\n");
    put(
        &mut n,
        "/etc/audit/rules.d/99-lock.rules.disabled",
        "-e 0\n",
    );
    assert_eq!(check(&n, "UBU-6.2.3.20").0, Status::Pass);
    // The login banner check matches the OS name in any case.
    let mut n = hardened();
    put(&mut n, "/etc/issue.net", "UBUNTU 22.04 LTS\n");
    assert_eq!(check(&n, "UBU-1.6.3").0, Status::Fail);
    // 64-bit nodes need the arch=b32 rules too.
    let mut n = hardened();
    let only_b64: String = AUDIT_RULES
        .lines()
        .filter(|l| !l.contains("arch=b32"))
        .map(|l| format!("{l}\n"))
        .collect();
    put(&mut n, "/etc/audit/rules.d/50-cis.rules", &only_b64);
    for code in ["UBU-6.2.3.4", "UBU-6.2.3.5"] {
        let (status, msg) = check(&n, code);
        assert_eq!(status, Status::Fail, "{code}: {msg}");
        assert!(msg.contains("arch=b32"), "{msg}");
    }
}

#[test]
fn what_the_benchmark_requires_and_its_two_levels() {
    // AppArmor needs apparmor-utils as well.
    let mut n = hardened();
    if let Some(p) = n.packages.as_mut() {
        p.remove("apparmor-utils");
    }
    assert_eq!(check(&n, "UBU-1.3.1.1").0, Status::Fail);
    // Core dumps: the sysctl alone is not enough.
    let mut n = hardened();
    remove(&mut n, "/etc/security/limits.d/60-cis.conf");
    let (status, msg) = check(&n, "UBU-1.5.3");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("no `* hard core` limit"), "{msg}");
    // limits.d files other than *.conf are not read; a user's own limit overrides `*`.
    put(
        &mut n,
        "/etc/security/limits.d/60-cis.conf.off",
        "* hard core 0\n",
    );
    assert_eq!(check(&n, "UBU-1.5.3").0, Status::Fail);
    put(
        &mut n,
        "/etc/security/limits.d/60-cis.conf",
        "* hard core 0\nroot - core unlimited\n",
    );
    let (status, msg) = check(&n, "UBU-1.5.3");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("`root - core unlimited`"), "{msg}");
    // With systemd-coredump installed, its storage must be off too (coredump.conf(5)).
    let mut n = hardened();
    if let Some(p) = n.packages.as_mut() {
        p.insert(
            "systemd-coredump".to_owned(),
            "249.11-0ubuntu3.12".to_owned(),
        );
    }
    n.files.push(absent("/etc/systemd/coredump.conf"));
    n.files.push(absent("/etc/systemd/coredump.conf.d"));
    let (status, msg) = check(&n, "UBU-1.5.3");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("Storage=external (the default)"), "{msg}");
    put(
        &mut n,
        "/etc/systemd/coredump.conf",
        "[Coredump]\nStorage=none\nProcessSizeMax=0\n",
    );
    remove(&mut n, "/etc/systemd/coredump.conf.d");
    n.files.push(dir("/etc/systemd/coredump.conf.d", "0755"));
    let (status, msg) = check(&n, "UBU-1.5.3");
    assert_eq!(status, Status::Pass, "{msg}");
    put(
        &mut n,
        "/etc/systemd/coredump.conf.d/50-debug.conf",
        "[Coredump]\nStorage=external\n",
    );
    let (status, msg) = check(&n, "UBU-1.5.3");
    assert_eq!(status, Status::Fail, "a drop-in wins: {msg}");
    assert!(msg.contains("50-debug.conf line 2"), "{msg}");
    // AIDE is a Level 1 check.
    let mut n = hardened();
    if let Some(p) = n.packages.as_mut() {
        p.remove("aide");
    }
    assert_eq!(check(&n, "UBU-6.3.1").0, Status::Fail);
    // The two profiles: Level 1 leaves out auditd and DisableForwarding.
    let n = hardened();
    let l1 = scan_with(&[("n.json", &n)], r#"{"benchmarks": ["cis-ubuntu"]}"#);
    let l2 = scan_with(&[("n.json", &n)], r#"{"benchmarks": ["cis-ubuntu@l2"]}"#);
    let codes =
        |r: &Report| -> Vec<String> { r.results.iter().map(|r| r.rule.to_string()).collect() };
    let (one, two) = (codes(&l1), codes(&l2));
    for level2 in ["UBU-5.1.8", "UBU-6.2.1.1", "UBU-6.2.3.20"] {
        assert!(!one.contains(&level2.to_owned()), "{level2} in Level 1");
        assert!(two.contains(&level2.to_owned()), "{level2} not in Level 2");
    }
    assert!(one.contains(&"UBU-6.3.1".to_owned()));
    assert_eq!(
        two.len(),
        cis_ubuntu::checks().len(),
        "Level 2 has every check"
    );
    let run = l2.benchmarks.first().expect("run");
    assert_eq!(run.id, "cis-ubuntu@l2");
    assert!(run.title.contains("Level 2 - Server"), "{}", run.title);
    let label = |r: &Report| {
        r.results
            .first()
            .and_then(|r| r.controls.first())
            .map(|c| c.benchmark.to_string())
    };
    assert_eq!(label(&l1).as_deref(), Some("cis-ubuntu@2.0.0"));
    assert_eq!(label(&l2).as_deref(), Some("cis-ubuntu@2.0.0-l2"));
}

#[test]
fn the_cipher_check_knows_which_openssh_fixes_terrapin() {
    let default_ciphers = |version: Option<&str>| {
        let mut n = hardened();
        sshd_config(
            &mut n,
            "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr\n",
            "",
        );
        match version {
            Some(v) => {
                if let Some(p) = n.packages.as_mut() {
                    p.insert("openssh-server".to_owned(), v.to_owned());
                }
            }
            None => n.packages = None,
        }
        check(&n, "UBU-5.1.6")
    };
    let (status, msg) = default_ciphers(Some("1:8.9p1-3ubuntu0.10"));
    assert_eq!(status, Status::Pass, "{msg}");
    assert!(msg.contains("CVE-2023-48795"), "{msg}");
    assert_eq!(default_ciphers(Some("1:8.9p1-3ubuntu0.5")).0, Status::Pass);
    let (status, msg) = default_ciphers(Some("1:8.9p1-3ubuntu0.4"));
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("predates the fix"), "{msg}");
    let (status, msg) = default_ciphers(None);
    assert_eq!(status, Status::Manual, "{msg}");
    // A weakness the fix does not cover still fails.
    let mut n = hardened();
    sshd_config(
        &mut n,
        "Ciphers aes256-gcm@openssh.com,",
        "Ciphers aes256-cbc,aes256-gcm@openssh.com,",
    );
    assert_eq!(check(&n, "UBU-5.1.6").0, Status::Fail);
}

#[test]
fn facts_without_an_os_are_not_scored_as_ubuntu() {
    let mut n = hardened();
    n.os = None;
    let report = scan_with(&[("n.json", &n)], r#"{"benchmarks": ["cis-ubuntu"]}"#);
    assert!(!report.results.is_empty());
    for r in &report.results {
        assert_eq!(r.status, Status::Error, "{}", r.rule);
        assert!(r.message.contains("no `os.id`"), "{}", r.message);
    }
    n.os = Some(OsInfo {
        id: Some("debian".to_owned()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".to_owned()),
        ..OsInfo::default()
    });
    let report = scan_with(&[("n.json", &n)], r#"{"benchmarks": ["cis-ubuntu"]}"#);
    assert!(
        report
            .results
            .iter()
            .all(|r| r.status == Status::Skip && r.message.contains("Debian GNU/Linux 12"))
    );
}

fn with_config(version: Option<&str>, config: &str) -> NodeFacts {
    let mut n = containerd_node("runtime", true);
    n.packages = version.map(|v| packages(&[("containerd.io", v), ("runc", "1.2.8-1")]));
    n.runtime = None;
    if let Some(f) = n.files.iter_mut().find(|f| f.path == containerd::CONFIG) {
        f.content = Some(config.to_owned());
    }
    n
}

fn ctr(node: &NodeFacts, code: &str) -> (Status, String) {
    let report = scan_with(&[("n.json", node)], r#"{"benchmarks": ["containerd"]}"#);
    let r = common::result_of(&report, code, None);
    (r.status, r.message.to_string())
}

#[test]
fn containerd_settings_follow_the_binary_version_not_the_config_version() {
    let v2_without_unprivileged = SAFE_CONTAINERD
        .replace("  enable_unprivileged_ports = true\n", "")
        .replace("  enable_unprivileged_icmp = true\n", "");
    // containerd 2.x converts a version 2 config and takes its defaults from the binary.
    let (status, msg) = ctr(
        &with_config(Some("2.1.3-1"), &v2_without_unprivileged),
        "CTR-5",
    );
    assert_eq!(status, Status::Pass, "{msg}");
    assert_eq!(
        ctr(
            &with_config(Some("2.1.3-1"), &v2_without_unprivileged),
            "CTR-3"
        )
        .0,
        Status::Pass,
        "migrated SystemdCgroup"
    );
    // containerd 1.7: off by default.
    assert_eq!(
        ctr(
            &with_config(Some("1.7.27-1"), &v2_without_unprivileged),
            "CTR-5"
        )
        .0,
        Status::Fail
    );
    // Unknown version with a version 2 config: a person checks.
    let (status, msg) = ctr(&with_config(None, &v2_without_unprivileged), "CTR-5");
    assert_eq!(status, Status::Manual, "{msg}");
    // In a version 3 config, io.containerd.grpc.v1.cri holds only streaming settings.
    let v3_misplaced = "version = 3\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  stream_server_address = \"127.0.0.1\"\n  enable_unprivileged_ports = false\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n    SystemdCgroup = true\n";
    let node = with_config(Some("2.0.5-1"), v3_misplaced);
    let (status, msg) = ctr(&node, "CTR-3");
    assert_eq!(status, Status::Fail, "{msg}");
    assert!(msg.contains("is ignored"), "{msg}");
    let (status, msg) = ctr(&node, "CTR-5");
    assert_eq!(
        status,
        Status::Pass,
        "the misplaced false is ignored: {msg}"
    );
    assert_eq!(
        ctr(&node, "CTR-6").0,
        Status::Pass,
        "streaming stays in grpc.v1.cri"
    );
    // ... and a version 3 config implies containerd 2.x when the version is unknown.
    assert_eq!(
        ctr(&with_config(None, v3_misplaced), "CTR-3").0,
        Status::Fail
    );
    // containerd 1.x cannot load a version 3 config.
    let (status, msg) = ctr(&with_config(Some("1.7.27-1"), v3_misplaced), "CTR-3");
    assert_eq!(status, Status::Error, "{msg}");
    assert!(msg.contains("cannot load"), "{msg}");
}

/// The node facts fixtures (`tests/fixtures/node-facts/`), one per OS and runtime case, with
/// the verdicts the software's behaviour gives.
#[test]
#[allow(clippy::disallowed_methods)]
fn node_facts_fixtures_for_each_os_and_runtime_case() {
    use stockade_core::facts::parse_facts;
    use stockade_core::input::yaml::Limits;
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, Status)]);
    let cases: &[Case<'_>] = &[
        (
            "ubuntu-openssh-semantics.json",
            "cis-ubuntu@l2",
            &[
                ("UBU-5.1.7", Status::Fail),  // ClientAliveCountMax 0
                ("UBU-5.1.13", Status::Pass), // LoginGraceTime 1m
                ("UBU-5.1.18", Status::Pass), // MaxStartups 10 = 10:30:10
                ("UBU-5.1.20", Status::Fail), // Match Address ... PermitRootLogin yes
                ("UBU-5.1.1", Status::Fail),  // sshd_config.d/10-site.conf is 0644
                ("UBU-5.1.6", Status::Pass),  // default ciphers, openssh with the Terrapin fix
            ],
        ),
        (
            "ubuntu-what-the-tools-read.json",
            "cis-ubuntu@l2",
            &[
                ("UBU-1.1.1.1", Status::Fail),  // cramfs.conf.disabled is not read
                ("UBU-5.2.2", Status::Fail),    // sudoers.d/use_pty.conf is skipped
                ("UBU-6.2.3.20", Status::Fail), // 100-unlock.rules is read last
                ("UBU-1.6.3", Status::Fail),    // UBUNTU
            ],
        ),
        (
            "os-sections-without-os.json",
            "cis-ubuntu",
            &[("UBU-1.5.1", Status::Error), ("UBU-5.1.20", Status::Error)],
        ),
        (
            "containerd-2.1-config-v2.json",
            "containerd",
            &[("CTR-3", Status::Pass), ("CTR-5", Status::Pass)],
        ),
        (
            "containerd-1.7-config-v2.json",
            "containerd",
            &[("CTR-3", Status::Pass), ("CTR-5", Status::Fail)],
        ),
        (
            "containerd-2.0-config-v3-misplaced.json",
            "containerd",
            &[
                ("CTR-3", Status::Fail),
                ("CTR-5", Status::Pass),
                ("CTR-6", Status::Pass),
            ],
        ),
        (
            "containerd-1.7-config-v3.json",
            "containerd",
            &[
                ("CTR-3", Status::Error),
                ("CTR-5", Status::Error),
                ("CTR-6", Status::Error),
            ],
        ),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/node-facts");
    for (name, benchmark, want) in cases {
        let text = std::fs::read_to_string(dir.join(name)).expect("fixture");
        let doc = parse_facts(name, &text, Limits::default()).expect("valid facts");
        let report = scan_with(
            &[(name, &doc.facts)],
            &format!(r#"{{"benchmarks": ["{benchmark}"]}}"#),
        );
        for (code, status) in *want {
            let r = common::result_of(&report, code, None);
            assert_eq!(r.status, *status, "{name} {code}: {}", r.message);
        }
    }
}
