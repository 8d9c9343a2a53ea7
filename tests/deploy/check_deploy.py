#!/usr/bin/env python3
"""Checks deploy/ against the code it deploys.

    check_deploy.py REPO_ROOT GRANTFLOWD

- The generated files are deploy/generate.py's output, unchanged.
- Kubernetes: a Service and a one-replica StatefulSet per service, its
  RocksDB directory on a persistent volume, grpc.health.v1 probes for its
  own gRPC service, the metrics port served and announced, peers that name
  every other service at a Service the file defines, and TLS files that
  deploy/tls/make-certs.sh makes.
- systemd: every flag the units pass is one grantflowd accepts; the split
  env files give each service its own ports and every other service as a
  peer at the address that service listens on; the target starts them all.
Exits 1 with every problem listed.
"""

import filecmp
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

import yaml

problems = []


def check(ok, what):
    if not ok:
        problems.append(what)
    return ok


def load_generator(root):
    spec = importlib.util.spec_from_file_location(
        "generate", os.path.join(root, "deploy", "generate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grantflowd_flags(grantflowd):
    text = subprocess.run([grantflowd, "--helpfull"], capture_output=True,
                          text=True).stdout
    return set(re.findall(r"^\s+--([a-z_]+) \(", text, re.M))


def flags_in(args):
    return [re.match(r"--([a-z_]+)", a).group(1) for a in args
            if a.startswith("--")]


def check_generated(root, gen):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable,
                        os.path.join(root, "deploy", "generate.py"), out],
                       check=True)
        for dirpath, _, files in os.walk(out):
            for f in files:
                fresh = os.path.join(dirpath, f)
                committed = os.path.join(root, "deploy",
                                         os.path.relpath(fresh, out))
                check(os.path.exists(committed) and
                      filecmp.cmp(fresh, committed, shallow=False),
                      f"{os.path.relpath(committed, root)} is not what "
                      "deploy/generate.py writes: run it and commit")


def check_kubernetes(root, gen, known_flags):
    path = os.path.join(root, "deploy", "kubernetes", "grantflow.yaml")
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    names = [n for n, _ in gen.SERVICES]
    certs = open(os.path.join(root, "deploy", "tls", "make-certs.sh")).read()
    for name, grpc_name in gen.SERVICES:
        svc = by.get(("Service", name))
        sts = by.get(("StatefulSet", name))
        if not check(svc and sts, f"{name}: no Service and StatefulSet"):
            continue
        spec = sts["spec"]
        check(spec["replicas"] == 1,
              f"{name}: one writer per RocksDB store, so one replica")
        pod = spec["template"]["spec"]
        c = pod["containers"][0]
        args = dict(a[2:].split("=", 1) for a in c["args"])
        for flag in flags_in(c["args"]):
            check(flag in known_flags, f"{name}: grantflowd has no --{flag}")
        check(args.get("services") == name, f"{name}: hosts {args.get('services')}")
        claims = [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]]
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        check("data" in claims and mounts.get("data") == args["data_dir"],
              f"{name}: --data_dir is not on the persistent volume")
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        check(args["listen"].endswith(f":{ports['grpc']}"),
              f"{name}: listens off its grpc port")
        check(args["metrics_listen"].endswith(f":{ports['metrics']}"),
              f"{name}: serves metrics off its metrics port")
        notes = spec["template"]["metadata"]["annotations"]
        check(notes.get("prometheus.io/port") == str(ports["metrics"]),
              f"{name}: Prometheus is pointed at another port")
        check({p["name"] for p in svc["spec"]["ports"]} == {"grpc", "metrics"},
              f"{name}: the Service does not expose grpc and metrics")
        for kind in ("readinessProbe", "livenessProbe"):
            cmd = c[kind]["exec"]["command"]
            check(cmd[-2:] == ["health", grpc_name],
                  f"{name}: {kind} does not ask grpc.health.v1 for {grpc_name}")
            check(f"127.0.0.1:{ports['grpc']}" in cmd,
                  f"{name}: {kind} asks another port")
        peers = dict(p.split("=", 1) for p in args["peer"].split(","))
        check(sorted(peers) == sorted(n for n in names if n != name),
              f"{name}: peers {sorted(peers)} are not every other service")
        for peer, addr in peers.items():
            host, port = addr.rsplit(":", 1)
            check(host == f"{peer}.{gen.NAMESPACE}.svc" and
                  ("Service", peer) in by and int(port) == gen.K8S_GRPC,
                  f"{name}: peer {peer} at {addr} is not its Service")
        tls = next(v for v in pod["volumes"] if v["name"] == "tls")
        keys = {i["key"] for i in tls["secret"]["items"]}
        check(keys == {"ca.pem", f"{name}.pem", f"{name}.key"},
              f"{name}: TLS files {sorted(keys)}")
        check(re.search(rf"\b{name}\b", certs),
              f"{name}: make-certs.sh makes no certificate for it")
        # The proto defines the service the probes ask for.
        proto = open(os.path.join(root, "proto", "grantflow", name, "v1",
                                  f"{name}.proto")).read()
        package, service = grpc_name.rsplit(".", 1)
        check(f"package {package};" in proto and
              f"service {service} " in proto,
              f"{name}: {grpc_name} is not in its proto")
    job = by.get(("CronJob", "grantflow-backup"))
    if check(job, "no backup CronJob"):
        c = job["spec"]["jobTemplate"]["spec"]["template"]["spec"][
            "containers"][0]
        check(c["args"][-2:] == ["backup", "create"],
              "the backup CronJob does not run grantctl backup create")
        for name in names:
            check(f"--addr-{name}" in c["args"],
                  f"the backup CronJob does not reach {name}")


def unit_exec_flags(path):
    text = open(path).read().replace("\\\n", " ")
    line = next(l for l in text.splitlines() if l.startswith("ExecStart="))
    return flags_in(line.split()[1:])


def env_file(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k] = v
    return out


def check_systemd(root, gen, known_flags):
    d = os.path.join(root, "deploy", "systemd")
    for unit in ("grantflowd.service", "grantflowd@.service"):
        for flag in unit_exec_flags(os.path.join(d, unit)):
            check(flag in known_flags, f"{unit}: grantflowd has no --{flag}")
    listens = {}
    envs = {}
    for name, _ in gen.SERVICES:
        env = env_file(os.path.join(d, "split", f"{name}.env"))
        envs[name] = env
        for key in ("GRANTFLOW_LISTEN", "GRANTFLOW_METRICS_LISTEN",
                    "GRANTFLOW_PEERS"):
            check(key in env, f"split/{name}.env: no {key}")
        listens[name] = env.get("GRANTFLOW_LISTEN")
    ports = [e.get(k) for e in envs.values()
             for k in ("GRANTFLOW_LISTEN", "GRANTFLOW_METRICS_LISTEN")]
    check(len(set(ports)) == len(ports), "split: two listeners share a port")
    for name, env in envs.items():
        peers = dict(p.split("=", 1) for p in env["GRANTFLOW_PEERS"].split(","))
        check(peers == {n: a for n, a in listens.items() if n != name},
              f"split/{name}.env: peers are not every other service where "
              "it listens")
    target = open(os.path.join(d, "grantflow-split.target")).read()
    for name, _ in gen.SERVICES:
        check(f"grantflowd@{name}.service" in target,
              f"grantflow-split.target does not start {name}")


def main():
    root, grantflowd = sys.argv[1:3]
    gen = load_generator(root)
    known = grantflowd_flags(grantflowd)
    check(len(known) > 10, "cannot read grantflowd --helpfull")
    check_generated(root, gen)
    check_kubernetes(root, gen, known)
    check_systemd(root, gen, known)
    for p in problems:
        print("deploy:", p)
    print(f"deploy: {len(gen.SERVICES)} services checked in Kubernetes and "
          f"systemd; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
