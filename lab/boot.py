"""Bring a lab up, take it down, tell its state.

`up` is safe to repeat (an up lab is left alone), cleans the leftovers of a crashed lab
first, checks every address:port it will listen on before starting anything, and on any
failure tears down what it started. `down` stops every node's PID namespace (which
takes every process and mount of the node with it) and verifies nothing is left.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets as pysecrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from issu.inventory import LoadedInventory, Node, Role
from lab import nodeinit
from lab.nodefiles import NODE_REPO_DIR, NodeContext, NodeFile
from lab.paths import LabPaths, NodePaths

# root_password: root's login on every node (run-sync's new_api_info SSH login);
# sudo_password: the SSH user's own password, asked by sudo where the inventory says so.
GENERATED_SECRETS = ("admin_password", "rabbit_password", "root_password", "sudo_password")
SECRET_ALPHABET = string.ascii_letters + string.digits
SUPERVISOR_ROLES = (Role.database, Role.config, Role.control, Role.analytics, Role.webui)


class LabError(Exception):
    """A lab operation that cannot proceed, with a one-line reason."""


@dataclass(frozen=True)
class NodeState:
    name: str
    ip: str
    kind: str
    pid: int | None
    pidns: str | None
    alive: bool
    status: str  # ready | booting | failed: ... | down


def lab_paths(inv: LoadedInventory) -> LabPaths:
    if inv.model.lab is None or inv.lab_state_dir is None:
        raise LabError(f"{inv.path}: has no lab: block; it describes a real cluster, not a lab")
    return LabPaths(inv.lab_state_dir)


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("must run as root (the lab uses namespaces, mounts and sshd on port 22)")


@contextmanager
def locked(paths: LabPaths) -> Iterator[None]:
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LabError(f"another issu-lab command holds {paths.lock_file}") from None
        yield


# -- node contexts ------------------------------------------------------------
def node_context(inv: LoadedInventory, node: Node, secrets: dict[str, str], paths: LabPaths) -> NodeContext:
    model = inv.model
    kind = model.kind_of(node)
    if kind in ("old", "new"):
        cluster = model.old if kind == "old" else model.new
        supervisors = tuple(r.value for r in SUPERVISOR_ROLES if r in node.roles)  # type: ignore[attr-defined]
    elif kind == "compute":
        cluster, supervisors = model.old, ("vrouter",)
    else:
        cluster, supervisors = None, ()
    return NodeContext(model, node, kind, supervisors, cluster, secrets, paths.root)


def _providers():
    from lab.providers import PROVIDERS  # late: the Contrail planes are large
    return PROVIDERS


# -- state --------------------------------------------------------------------
def _pidns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _read_pid(np: NodePaths) -> int | None:
    try:
        return int(np.init_pid.read_text().strip())
    except (OSError, ValueError):
        return None


def _boot_status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/root/run/issu-lab/boot-status").read_text().strip()
    except OSError:
        return "booting"


def _recorded(paths: LabPaths) -> dict:
    try:
        return json.loads(paths.state_file.read_text())
    except (OSError, ValueError):
        return {}


def node_states(inv: LoadedInventory) -> list[NodeState]:
    paths = lab_paths(inv)
    recorded = _recorded(paths).get("nodes", {})
    out = []
    for node in inv.model.all_nodes():
        rec = recorded.get(node.name, {})
        pid, ns = rec.get("pid"), rec.get("pidns")
        alive = bool(pid) and ns is not None and _pidns(pid) == ns and paths.node(node.name).is_init(pid)
        status = _boot_status(pid) if alive else "down"
        out.append(NodeState(node.name, node.ip, inv.model.kind_of(node), pid, ns, alive, status))
    return out


def lab_status(inv: LoadedInventory) -> str:
    """'up', 'down' or 'partial'."""
    if not lab_paths(inv).state_file.exists():
        return "down"
    states = node_states(inv)
    ready = [s for s in states if s.alive and s.status == "ready"]
    if len(ready) == len(states):
        return "up"
    if not any(s.alive for s in states):
        return "down"
    return "partial"


# -- checks before starting -----------------------------------------------------
def check_ports_free(inv: LoadedInventory, contexts: list[NodeContext]) -> None:
    for ctx in contexts:
        wanted: list[int] = []
        for provider in _providers():
            wanted += [p for p in provider.ports(ctx) if p not in wanted]
        for port in wanted:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                # As the servers themselves do: TIME_WAIT leftovers are not "in use".
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((ctx.node.ip, port))
                except OSError as exc:
                    raise LabError(
                        f"{ctx.node.ip}:{port} is already in use ({exc.strerror}); node "
                        f"{ctx.node.name} needs it. Find the holder with: ss -ltnp 'sport = :{port}'"
                    ) from None


# -- provisioning -----------------------------------------------------------------
def _write_node_file(upper: Path, f: NodeFile) -> None:
    target = upper / f.path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    data = f.content.encode() if isinstance(f.content, str) else f.content
    tmp = target.with_name(target.name + ".issu-lab-tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, f.mode)
    os.replace(tmp, target)


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(f"{argv[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def make_secrets(paths: LabPaths) -> dict[str, str]:
    paths.secrets.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.secrets, 0o700)
    out: dict[str, str] = {}
    for name in GENERATED_SECRETS:
        f = paths.secrets / name
        # Letters and digits only: a value starting with '-' breaks `--admin_password VALUE`
        # in the provision tools' argparse (as it would on a real cluster).
        f.write_text("".join(pysecrets.choice(SECRET_ALPHABET) for _ in range(24)) + "\n")
        os.chmod(f, 0o600)
        out[name] = f.read_text().strip()
    for p in (paths.ssh_key, paths.ssh_key.with_suffix(".pub")):
        p.unlink(missing_ok=True)
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"issu-lab@{paths.root.name}",
          "-f", str(paths.ssh_key)])
    out["ssh_key.pub"] = paths.ssh_key.with_suffix(".pub").read_text()
    paths.ssh_dir.mkdir(parents=True, exist_ok=True)
    link = paths.ssh_dir / "id_ed25519"
    link.unlink(missing_ok=True)
    link.symlink_to(paths.ssh_key)
    return out


def provision_node(ctx: NodeContext, paths: LabPaths, port: int) -> tuple[str, list[str]]:
    """Write the node's files into its upper dir; return (known_hosts line, boot commands)."""
    np = paths.node(ctx.node.name)
    for d in (np.upper, np.work, np.merged):
        d.mkdir(parents=True, exist_ok=True)
    commands: list[str] = []
    for provider in _providers():
        for f in provider.provide(ctx):
            _write_node_file(np.upper, f)
        commands += list(provider.boot_commands(ctx))
    hostkey = np.upper / "etc/ssh/ssh_host_ed25519_key"
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{ctx.node.name}", "-f", str(hostkey)])
    keytype, keydata = hostkey.with_suffix(".pub").read_text().split()[:2]
    host = ctx.node.ip if port == 22 else f"[{ctx.node.ip}]:{port}"
    return f"{host} {keytype} {keydata}", commands


def spawn_node(ctx: NodeContext, paths: LabPaths, commands: list[str]) -> None:
    np = paths.node(ctx.node.name)
    from lab.base_layout import runs_system_supervisor

    spec = {
        "name": ctx.node.name,
        "merged": str(np.merged),
        "upper": str(np.upper),
        "work": str(np.work),
        "hide": str(paths.root.parent if paths.root.parent != Path("/") else paths.root),
        "repo": str(paths.repo),
        "repo_in_node": NODE_REPO_DIR,
        "boot_commands": commands,
        "supervisors": list(ctx.supervisors),
        "system_supervisor": runs_system_supervisor(ctx),
        "pid_file": str(np.init_pid),
    }
    np.spec.write_text(json.dumps(spec, indent=1))
    np.init_pid.unlink(missing_ok=True)
    with open(np.boot_log, "ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-S", nodeinit.__file__, str(np.spec)],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
    if proc.wait(timeout=30) != 0:
        raise LabError(f"node {ctx.node.name}: could not start its namespaces; see {np.boot_log}")


def _wait_ready(inv: LoadedInventory, paths: LabPaths, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = {n.name for n in inv.model.all_nodes()}
    while pending:
        for name in sorted(pending):
            np = paths.node(name)
            pid = _read_pid(np)
            if pid is None:
                continue
            status = _boot_status(pid)
            if status == "ready":
                pending.discard(name)
            elif status.startswith("failed") or (_pidns(pid) is None):
                tail = np.boot_log.read_text()[-1500:] if np.boot_log.exists() else ""
                raise LabError(f"node {name} failed to boot: {status}; see {np.boot_log}\n{tail}")
        if not pending:
            break
        if time.monotonic() > deadline:
            raise LabError(f"nodes not ready after {timeout:.0f} s: {', '.join(sorted(pending))}")
        time.sleep(0.1)


def _record(inv: LoadedInventory, paths: LabPaths) -> None:
    nodes = {}
    for node in inv.model.all_nodes():
        pid = _read_pid(paths.node(node.name))
        nodes[node.name] = {"pid": pid, "pidns": _pidns(pid) if pid else None, "ip": node.ip}
    state = {"inventory": str(inv.path), "digest": inv.digest, "nodes": nodes}
    tmp = paths.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, paths.state_file)


def up(inv: LoadedInventory, timeout: float = 180.0, log=print, settle: bool = True) -> bool:
    """Boot the lab. Returns False when it was already up (nothing done). With `settle`, return
    only once the Contrail cluster is ready (contrail-status healthy, agents connected)."""
    require_root()
    paths = lab_paths(inv)
    with locked(paths):
        status = lab_status(inv)
        if status == "up":
            return False
        if status == "partial" or paths.state_file.exists() or paths.nodes.exists():
            log("cleaning the leftovers of an earlier lab first")
            _teardown(inv, paths)
        try:
            _boot(inv, paths, timeout, log, settle)
        except BaseException:
            _teardown(inv, paths)
            raise
        return True


def _boot(inv: LoadedInventory, paths: LabPaths, timeout: float, log, settle: bool) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    # Record before spawning: a crash mid-boot leaves pids that `down`/`up` can find.
    secrets = make_secrets(paths)
    contexts = [node_context(inv, n, secrets, paths) for n in inv.model.all_nodes()]
    check_ports_free(inv, contexts)
    for provider in _providers():
        provider.prepare(paths.root, inv.model)
    known = []
    for ctx in contexts:
        line, commands = provision_node(ctx, paths, ctx.node.ssh_port or inv.model.ssh.port)
        known.append(line)
        spawn_node(ctx, paths, commands)
    paths.known_hosts.write_text("\n".join(known) + "\n")
    _record(inv, paths)
    log(f"booting {len(contexts)} nodes")
    _wait_ready(inv, paths, timeout)
    _record(inv, paths)
    if not settle:
        return
    log("nodes up; waiting for the Contrail cluster to settle (contrail-status healthy, agents connected)")
    from lab.settle import wait_settled

    problems = wait_settled(paths.root, inv.model, timeout)
    if problems:
        raise LabError(f"the cluster did not settle in {timeout:.0f} s: " + " | ".join(problems[:6]))


def _members_of(np: NodePaths) -> list[int]:
    """Processes still running inside a node (by their root, not by namespace inode:
    the kernel reuses those)."""
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and np.holds(int(e))]


def _is_zombie(pid: int) -> bool | None:
    """True for a zombie, False for a live process, None when there is no such pid."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return line.split()[1] == "Z"
    except OSError:
        return None
    return False


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _teardown(inv: LoadedInventory, paths: LabPaths, grace: float = 20.0) -> None:
    from lab import faults

    faults.clear_all_faults(paths.root, inv.model)  # a frozen node cannot stop
    targets: list[tuple[NodePaths, int]] = []
    for node in inv.model.all_nodes():
        np = paths.node(node.name)
        pid = _read_pid(np)
        if pid and np.is_init(pid):
            targets.append((np, pid))
    for _, pid in targets:  # SIGTERM every node first, so they stop in parallel
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for np, pid in targets:
        while np.is_init(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if np.is_init(pid):
            _signal(pid, signal.SIGKILL)  # takes the whole PID namespace with it
    # An init is orphaned to the host's PID 1 (its launcher exits at once); wait until
    # that has reaped it, so `down` returns with no trace of it, zombie included.
    reap_deadline = time.monotonic() + 10
    for _, pid in targets:
        while _is_zombie(pid) and time.monotonic() < reap_deadline:
            time.sleep(0.05)
    deadline = time.monotonic() + 10
    for np, _ in targets:
        while _members_of(np):
            if time.monotonic() > deadline:
                raise LabError(f"processes of node {np.root.name} survived: {_members_of(np)}")
            time.sleep(0.05)
    paths.state_file.unlink(missing_ok=True)
    if paths.nodes.exists():
        shutil.rmtree(paths.nodes)
    for d in (paths.secrets, paths.ssh_dir):
        if d.exists():
            shutil.rmtree(d)


def down(inv: LoadedInventory) -> bool:
    """Stop the lab. Returns False when nothing was running."""
    require_root()
    paths = lab_paths(inv)
    if not paths.root.exists():
        return False
    with locked(paths):
        was = lab_status(inv) != "down" or paths.nodes.exists()
        _teardown(inv, paths)
        return was


def leftovers(inv: LoadedInventory) -> list[str]:
    """What of this lab still exists on the host (empty after a clean `down`)."""
    paths = lab_paths(inv)
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        if str(paths.root) in line:
            found.append(f"mount: {line.split()[4]}")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(paths.nodes) in cmd:
            found.append(f"process {entry}: {cmd.strip()}")
    for node in inv.model.all_nodes():
        with socket.socket() as s:
            s.settimeout(0.3)
            if s.connect_ex((node.ip, node.ssh_port or inv.model.ssh.port)) == 0:
                found.append(f"listener: {node.ip}:{node.ssh_port or inv.model.ssh.port} ({node.name})")
    return found
