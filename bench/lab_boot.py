"""Benchmark: how long the lab takes to boot, and what a node costs in memory.

For each inventory (clusters/lab.yaml, clusters/lab-ha.yaml by default) it boots the
lab on its own loopback /16 and state dir, reports wall time to "every node ready"
(sshd answering, supervisord instances up, first-boot commands done) and the
proportional memory (PSS) of every process in each node's PID namespace. The machine is
shared and noisy, so boot time is also given as a ratio against a peer measured in the
same invocation: starting one bare sshd per node on the same addresses (the floor: no
namespaces, no overlay, no supervisord, no Contrail).

    .venv/bin/python bench/lab_boot.py [--rounds 3] [clusters/lab.yaml ...]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import boot  # noqa: E402
from lab.paths import LabPaths  # noqa: E402
from tests.lab.conftest import lab_inventory  # noqa: E402

BENCH_NETS = {"lab.yaml": "127.25", "lab-ha.yaml": "127.26"}


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def node_memory_mib(inv) -> dict[str, float]:
    paths = LabPaths(inv.lab_state_dir)
    by_ns: dict[str, str] = {}
    for node in inv.model.all_nodes():
        pid = int(paths.node(node.name).init_pid.read_text())
        by_ns[os.readlink(f"/proc/{pid}/ns/pid")] = node.name
    totals = {name: 0 for name in by_ns.values()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ns = os.readlink(f"/proc/{entry}/ns/pid")
        except OSError:
            continue
        if ns in by_ns:
            totals[by_ns[ns]] += pss_kib(int(entry))
    return {name: kib / 1024 for name, kib in totals.items()}


def agents_established(inv, timeout: float = 600) -> float:
    """Seconds until every compute's agent has an Established XMPP session (from the lab's introspect)."""
    from checks.introspect import parse_agent_xmpp
    from lab.node_exec import run_in_node

    t0 = time.perf_counter()
    pending = list(inv.model.computes)
    while pending and time.perf_counter() - t0 < timeout:
        still = []
        for c in pending:
            res = run_in_node(inv.lab_state_dir, c.name,
                              ["curl", "-s", f"http://{c.ip}:8085/Snh_AgentXmppConnectionStatusReq"])
            try:
                ok = any(s.state == "Established" for s in parse_agent_xmpp(res.stdout))
            except ValueError:
                ok = False
            if not ok:
                still.append(c)
        pending = still
        if pending:
            time.sleep(1)
    return time.perf_counter() - t0


def bare_sshd_peer(inv, workdir: Path) -> float:
    """Seconds to start one plain sshd per node address and see each answer."""
    key = workdir / "hostkey"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    procs = []
    t0 = time.perf_counter()
    for node in inv.model.all_nodes():
        procs.append(subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", "/dev/null", "-h", str(key), "-o", f"ListenAddress={node.ip}:22",
             "-o", "PidFile=none", "-o", "UsePAM=no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        for node in inv.model.all_nodes():
            deadline = time.monotonic() + 30
            while True:
                with socket.socket() as s:
                    s.settimeout(0.5)
                    if s.connect_ex((node.ip, 22)) == 0 and s.recv(4).startswith(b"SSH-"):
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"peer sshd on {node.ip} never answered")
                time.sleep(0.01)
        return time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


def scaled_inventory(workdir: Path, computes: int):
    """lab.yaml with N computes (127.27.2.x .. 127.27.<2+N//250>.y), for the 100+ compute question."""
    import yaml

    from issu.inventory import load

    data = yaml.safe_load((ROOT / "clusters/lab.yaml").read_text())
    text = yaml.safe_dump(data).replace("127.18.", "127.27.")
    data = yaml.safe_load(text)
    data["name"] = f"bench-{computes}c"
    data["lab"]["network"] = "127.27.0.0/16"
    data["computes"] = [{"name": f"compute{i + 1}", "ip": f"127.27.{2 + i // 250}.{1 + i % 250}",
                         "group": f"batch{i // 20}"} for i in range(computes)]
    path = workdir / f"bench-{computes}c.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load(path)


def bench(name: str, rounds: int, workdir: Path, computes: int | None = None) -> None:
    if computes:
        inv = scaled_inventory(workdir, computes)
        name = f"lab.yaml scaled to {computes} computes"
    else:
        inv = lab_inventory(workdir, name, "bench-" + name.removesuffix(".yaml"), BENCH_NETS.get(name, "127.27"))
    boot.down(inv)
    boots, peers, settle, memory = [], [], [], {}
    for _ in range(rounds):
        peers.append(bare_sshd_peer(inv, workdir))
        t0 = time.perf_counter()
        boot.up(inv, log=lambda m: None, timeout=900)
        boots.append(time.perf_counter() - t0)
        settle.append(time.perf_counter() - t0 + agents_established(inv))
        memory = node_memory_mib(inv)
        boot.down(inv)
    lab_s, peer_s = statistics.median(boots), statistics.median(peers)
    print(f"\n{name}: {len(inv.model.all_nodes())} nodes, {rounds} rounds")
    print(f"  boot to ready      median {lab_s:6.2f} s   (min {min(boots):.2f}, max {max(boots):.2f})")
    print(f"  peer: bare sshds   median {peer_s:6.2f} s   ratio lab/peer = {lab_s / peer_s:.1f}x")
    print(f"  every agent XMPP Established (cluster ready) median {statistics.median(settle):6.2f} s")
    print("  memory (PSS) per node:")
    shown = inv.model.all_nodes() if len(inv.model.computes) <= 6 else inv.model.all_nodes()[:6]
    for node in shown:
        print(f"    {node.name:<12} {inv.model.kind_of(node):<9} {memory[node.name]:6.1f} MiB")
    computes = [memory[c.name] for c in inv.model.computes]
    print(f"  per compute: mean {statistics.mean(computes):.1f} MiB, max {max(computes):.1f} MiB; "
          f"lab total {sum(memory.values()):.0f} MiB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inventories", nargs="*", default=["lab.yaml", "lab-ha.yaml"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--computes", type=int, default=None,
                    help="instead: boot lab.yaml with this many computes (e.g. 100) and report memory")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/lab_boot.py: must run as root", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        if args.computes:
            bench("lab.yaml", args.rounds, Path(tmp), computes=args.computes)
            return 0
        for name in args.inventories:
            bench(Path(name).name, args.rounds, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
