#!/usr/bin/env python3
"""Synthetic node facts for the fleet benchmark and tests.

Writes N nodes' facts, derived from examples/node-facts/ (a kubeadm control plane and an Ubuntu
worker with OS facts), with the variety of a real fleet: clusters of three control-plane nodes
and workers, several Kubernetes patch and minor versions, Ubuntu 20.04/22.04/24.04, and
misconfigurations on a share of the nodes (flags, kubelet config keys, file modes, sysctls).
Deterministic for a given seed.

    python3 bench/gen_fleet.py 5000 --jsonl /tmp/fleet.jsonl     # one JSON document a line
    python3 bench/gen_fleet.py 500 --dir /tmp/fleet               # one file a node
"""

import argparse
import copy
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples", "node-facts")

VERSIONS = ["v1.30.14", "v1.31.10", "v1.31.12", "v1.32.7", "v1.33.4", "v1.33.5", "v1.34.1"]
OSES = [
    ("20.04", "Ubuntu 20.04.6 LTS", "5.4.0-200-generic"),
    ("22.04", "Ubuntu 22.04.5 LTS", "5.15.0-126-generic"),
    ("24.04", "Ubuntu 24.04.3 LTS", "6.8.0-85-generic"),
]


def load(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return json.load(f)


def set_flag(process, flag, value):
    """Sets --flag=value on a process, replacing an earlier value."""
    argv = [a for a in process["argv"] if not a.startswith(f"--{flag}=")]
    argv.append(f"--{flag}={value}")
    process["argv"] = argv


def file_entry(facts, path):
    return next((f for f in facts["files"] if f["path"] == path), None)


def misconfigure(facts, rng, control_plane):
    """A few of the misconfigurations seen in real fleets, each on a share of the nodes."""
    procs = {os.path.basename(p["argv"][0]): p for p in facts["processes"]}
    kubelet = procs.get("kubelet")
    if kubelet and rng.random() < 0.15:
        set_flag(kubelet, "read-only-port", "10255")
    if kubelet and rng.random() < 0.10:
        set_flag(kubelet, "anonymous-auth", "true")
    if kubelet and rng.random() < 0.10:
        set_flag(kubelet, "protect-kernel-defaults", "false")
    config = file_entry(facts, "/var/lib/kubelet/config.yaml")
    if config and rng.random() < 0.2:
        config["mode"] = "0644"
    kubeconfig = file_entry(facts, "/etc/kubernetes/kubelet.conf")
    if kubeconfig and rng.random() < 0.1:
        kubeconfig["mode"] = "0666"
    if control_plane:
        api = procs.get("kube-apiserver")
        if api and rng.random() < 0.3:
            set_flag(api, "profiling", "true")
        if api and rng.random() < 0.2:
            set_flag(api, "audit-log-maxage", "7")
        admin = file_entry(facts, "/etc/kubernetes/admin.conf")
        if admin and rng.random() < 0.5:
            admin["mode"] = "0600"
    sysctl = facts.get("sysctl")
    if sysctl is not None and rng.random() < 0.2:
        sysctl["net.ipv4.conf.all.send_redirects"] = "1"


def node(i, rng, cp, worker):
    cluster, index = divmod(i, 100)
    control_plane = index < 3
    facts = copy.deepcopy(cp if control_plane else worker)
    role = "cp" if control_plane else "w"
    facts["node"]["hostname"] = f"c{cluster:03d}-{role}-{index:02d}"
    # One version per cluster, mostly; a few nodes mid-upgrade.
    version = VERSIONS[(cluster * 3) % len(VERSIONS)]
    if rng.random() < 0.05:
        version = VERSIONS[(cluster * 3 + 1) % len(VERSIONS)]
    facts["kubernetes"] = {"version": version}
    version_id, pretty, kernel = OSES[(cluster + (index % 7 == 0)) % len(OSES)]
    facts["os"] = {"id": "ubuntu", "versionId": version_id, "prettyName": pretty, "kernel": kernel}
    misconfigure(facts, rng, control_plane)
    return facts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--jsonl", help="write one document a line to this file")
    parser.add_argument("--dir", help="write one file a node into this directory")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    if not args.jsonl and not args.dir:
        parser.error("give --jsonl FILE and/or --dir DIR")
    rng = random.Random(args.seed)
    cp, worker = load("cp-1.json"), load("worker-1.json")
    out = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    for i in range(args.count):
        facts = node(i, rng, cp, worker)
        if out:
            out.write(json.dumps(facts, separators=(",", ":")) + "\n")
        if args.dir:
            path = os.path.join(args.dir, facts["node"]["hostname"] + ".json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(facts, f, indent=2)
                f.write("\n")
    if out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
