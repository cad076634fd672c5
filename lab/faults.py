"""Fault injection for the embedded lab (QA regression runs): `issu-lab fault NODE KIND`.

A fault is data: a kind, a one-line description, which nodes it makes sense on, and two
actions, `apply(target, node)` and `clear(target, node)`. Every action is idempotent and
works through a real mechanism of the node (signals, supervisord, apt configuration,
the files the daemons read), never by patching the simulation's internals.

Active faults are recorded in `<lab_dir>/faults.json` (written atomically, under a lock),
each with the node's incarnation (its PID namespace): a record of a node that has been
rebooted or torn down since is stale and is not reported as active.

Faults the node's daemons honour themselves put a flag file in FLAG_DIR on the node
(`/etc/contrail/lab-faults/<kind>`); today: `agent-refuses` (read by the simulated
vrouter agent: while the file exists it opens no XMPP session and drops those it has).
"""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterator, Mapping, Protocol

from issu.inventory import Inventory, Node, Role
from lab.paths import LabPaths

FAULTS_FILE = "faults.json"
LOCK_FILE = "faults.lock"
FLAG_DIR = "/etc/contrail/lab-faults"
APT_FAULT_FILE = "/etc/apt/apt.conf.d/00lab-fault"
RUN_SYNC = "contrail-issu-run-sync"
SAVED_SUFFIX = ".lab-fault-orig"
ISSU_PROGRAM_CONF = "/etc/supervisor/conf.d/contrail-issu.conf"
ALL_KINDS = frozenset({"openstack", "old", "new", "compute"})


class FaultError(Exception):
    """A fault that cannot be applied or cleared, with a one-line reason."""


class Runner(Protocol):
    def __call__(self, lab_dir: Path, node: str, argv: list[str], *, timeout: float = 60,
                 input: str | None = None) -> subprocess.CompletedProcess[str]: ...


def _default_runner(lab_dir: Path, node: str, argv: list[str], *, timeout: float = 60,
                    input: str | None = None) -> subprocess.CompletedProcess[str]:
    from lab.node_exec import run_in_node  # late: needs nsenter, only on a live lab

    return run_in_node(lab_dir, node, argv, timeout=timeout, input=input)


@dataclass(frozen=True)
class LabTarget:
    """What a fault action gets: the lab and a way to run commands inside its nodes."""

    lab_dir: Path
    inventory: Inventory
    runner: Runner = _default_runner

    def sh(self, node: Node, script: str, what: str, timeout: float = 60) -> str:
        """Run `sh -c script` in the node; a non-zero exit raises FaultError naming `what`."""
        try:
            proc = self.runner(self.lab_dir, node.name, ["sh", "-c", script], timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FaultError(f"{node.name}: {what}: no answer within {timeout:.0f} s") from None
        except Exception as exc:  # NodeNotRunning and the like, kept to one line
            raise FaultError(f"{node.name}: {what}: {exc}") from None
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise FaultError(
                f"{node.name}: {what} failed (exit {proc.returncode})"
                + (f": {detail[-1]}" if detail else "")
            )
        return proc.stdout


Applies = Callable[[Inventory, Node], bool]


@dataclass(frozen=True)
class Fault:
    kind: str
    description: str
    apply: Callable[[LabTarget, Node], None]
    clear: Callable[[LabTarget, Node], None]
    applies_to: Applies = field(default=lambda inv, node: True)
    where: str = "any node"  # says in words which nodes `applies_to` accepts


@dataclass(frozen=True)
class FaultRecord:
    node: str
    kind: str
    applied_at: str
    incarnation: str | None = None  # the node's PID namespace when the fault was applied

    def __str__(self) -> str:
        return f"{self.node} {self.kind} (since {self.applied_at})"


# -- node processes (node-down) ------------------------------------------------------

def _init_pid(lab_dir: Path, node: str) -> int | None:
    try:
        return int(LabPaths(Path(lab_dir)).node(node).init_pid.read_text().strip())
    except (OSError, ValueError):
        return None


def _pidns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _is_node_init(lab_dir: Path, node: str, pid: int) -> bool:
    """Whether `pid` is still this node's init (a stale init.pid may name a reused pid)."""
    return LabPaths(Path(lab_dir)).node(node).is_init(pid)


def node_namespace(lab_dir: Path, node: str) -> str | None:
    """The running node's PID namespace (`pid:[inode]`), or None when it is not running."""
    pid = _init_pid(lab_dir, node)
    if not pid or not _is_node_init(lab_dir, node, pid):
        return None
    return _pidns(pid)


def node_incarnation(lab_dir: Path, node: str) -> str | None:
    """Names this boot of the node (namespace and init pid: inodes alone get reused)."""
    pid = _init_pid(lab_dir, node)
    ns = node_namespace(lab_dir, node)
    return f"{ns}/{pid}" if ns else None


def namespace_members(pidns: str) -> list[int]:
    """Host pids of every process whose PID namespace is `pidns`."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _pidns(int(entry)) == pidns:
            out.append(int(entry))
    return sorted(out)


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _node_namespace(target: LabTarget, node: Node) -> str:
    ns = node_namespace(target.lab_dir, node.name)
    if ns is None:
        raise FaultError(f"{node.name}: the node is not running")
    return ns


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _freeze_node(target: LabTarget, node: Node) -> None:
    ns = _node_namespace(target, node)
    deadline = time.monotonic() + 10
    while True:  # processes forked meanwhile are caught by the next pass
        running = [p for p in namespace_members(ns) if _proc_state(p) not in ("T", "t", "Z", None)]
        if not running:
            return
        if time.monotonic() > deadline:
            raise FaultError(f"{node.name}: processes would not stop: {running}")
        _signal_all(running, signal.SIGSTOP)
        time.sleep(0.05)


def _thaw_node(target: LabTarget, node: Node) -> None:
    ns = node_namespace(target.lab_dir, node.name)
    if ns is not None:
        _signal_all(namespace_members(ns), signal.SIGCONT)


# -- in-node mechanisms ----------------------------------------------------------------

def _has_role(role: Role) -> Applies:
    def check(inv: Inventory, node: Node) -> bool:
        return node in inv.old.nodes + inv.new.nodes and role in getattr(node, "roles", ())
    return check


def _is_compute(inv: Inventory, node: Node) -> bool:
    return node in inv.computes


def _is_controller(inv: Inventory, node: Node) -> bool:
    return node in inv.old.nodes + inv.new.nodes


def _service(name: str, action: str) -> Callable[[LabTarget, Node], None]:
    def act(target: LabTarget, node: Node) -> None:
        target.sh(node, f"service {name} {action}", f"service {name} {action}", timeout=90)
    return act


def flag_path(kind: str) -> str:
    return f"{FLAG_DIR}/{kind}"


def _set_flag(kind: str, reason: str) -> Callable[[LabTarget, Node], None]:
    def act(target: LabTarget, node: Node) -> None:
        target.sh(
            node,
            f"mkdir -p {FLAG_DIR} && printf '%s\\n' '{reason}' > {flag_path(kind)}.tmp "
            f"&& mv -f {flag_path(kind)}.tmp {flag_path(kind)}",
            f"set flag {flag_path(kind)}",
        )
    return act


def _remove_flag(kind: str) -> Callable[[LabTarget, Node], None]:
    def act(target: LabTarget, node: Node) -> None:
        target.sh(node, f"rm -f {flag_path(kind)}", f"remove flag {flag_path(kind)}")
    return act


APT_FAULT_CONF = (
    "// issu-lab fault package-install-fails: every dpkg run started by apt fails.\n"
    "DPkg::Pre-Invoke {\"echo 'lab fault: package install fails' >&2; exit 1\";};\n"
)


def _apt_fault_apply(target: LabTarget, node: Node) -> None:
    target.sh(
        node,
        f"cat > {APT_FAULT_FILE}.tmp <<'EOF'\n{APT_FAULT_CONF}EOF\nmv -f {APT_FAULT_FILE}.tmp {APT_FAULT_FILE}",
        f"write {APT_FAULT_FILE}",
    )


def _apt_fault_clear(target: LabTarget, node: Node) -> None:
    target.sh(node, f"rm -f {APT_FAULT_FILE}", f"remove {APT_FAULT_FILE}")


# The run-sync executable is swapped for one that exits 1 at once, and the running
# run-sync is killed: supervisord restarts it (autorestart=unexpected), it dies within
# startsecs every time, and supervisord gives up: contrail-issu:0 ends FATAL.
_BROKEN_RUN_SYNC = (
    "#!/bin/sh\n"
    "echo 'contrail-issu-run-sync: lab fault run-sync-dies: exiting' >&2\n"
    "exit 1\n"
)

RUN_SYNC_DIES_APPLY = f"""set -e
bin=$(command -v {RUN_SYNC} || true)
[ -n "$bin" ] || {{ echo "{RUN_SYNC} is not installed on this node" >&2; exit 3; }}
[ -e "$bin{SAVED_SUFFIX}" ] || mv "$bin" "$bin{SAVED_SUFFIX}"
cat > "$bin.tmp" <<'EOF'
{_BROKEN_RUN_SYNC}EOF
chmod 0755 "$bin.tmp"
mv -f "$bin.tmp" "$bin"
if [ -e {ISSU_PROGRAM_CONF} ] && [ -S /var/run/supervisor.sock ]; then
    supervisorctl signal KILL 'contrail-issu:*' >/dev/null 2>&1 || true
fi
"""

RUN_SYNC_DIES_CLEAR = f"""set -e
for dir in $(echo "$PATH" | tr ':' ' '); do
    if [ -e "$dir/{RUN_SYNC}{SAVED_SUFFIX}" ]; then
        mv -f "$dir/{RUN_SYNC}{SAVED_SUFFIX}" "$dir/{RUN_SYNC}"
    fi
done
if [ -e {ISSU_PROGRAM_CONF} ] && [ -S /var/run/supervisor.sock ]; then
    supervisorctl start 'contrail-issu:*' >/dev/null 2>&1 || true
fi
"""


def _script(script: str, what: str) -> Callable[[LabTarget, Node], None]:
    def act(target: LabTarget, node: Node) -> None:
        target.sh(node, script, what, timeout=60)
    return act


# -- the registry --------------------------------------------------------------------

def _registry(*faults: Fault) -> Mapping[str, Fault]:
    return MappingProxyType({f.kind: f for f in faults})


FAULTS: Mapping[str, Fault] = _registry(
    Fault(
        "node-down",
        "the whole node stops answering (SIGSTOP to every process of its PID namespace)",
        _freeze_node, _thaw_node,
    ),
    Fault(
        "control-stopped",
        "the control node's processes are stopped (service supervisor-control stop)",
        _service("supervisor-control", "stop"), _service("supervisor-control", "start"),
        _has_role(Role.control), "controllers with the control role",
    ),
    Fault(
        "agent-refuses",
        f"the vrouter agent opens no XMPP session (flag {flag_path('agent-refuses')})",
        _set_flag("agent-refuses", "lab fault: agent refuses to connect"),
        _remove_flag("agent-refuses"),
        _is_compute, "computes",
    ),
    Fault(
        "package-install-fails",
        f"every apt-driven dpkg run fails ({APT_FAULT_FILE}: DPkg::Pre-Invoke exits 1)",
        _apt_fault_apply, _apt_fault_clear,
    ),
    Fault(
        "run-sync-dies",
        "contrail-issu-run-sync exits 1 at once; under the system supervisord it ends FATAL",
        _script(RUN_SYNC_DIES_APPLY, "break contrail-issu-run-sync"),
        _script(RUN_SYNC_DIES_CLEAR, "restore contrail-issu-run-sync"),
        _is_controller, "controllers",
    ),
)


# -- the record ----------------------------------------------------------------------

def _faults_file(lab_dir: Path) -> Path:
    return Path(lab_dir) / FAULTS_FILE


@contextmanager
def _locked(lab_dir: Path) -> Iterator[None]:
    Path(lab_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(lab_dir) / LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def read_records(lab_dir: Path) -> list[FaultRecord]:
    """Every recorded fault, stale or not. An unreadable file is reported, never trusted."""
    path = _faults_file(lab_dir)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise FaultError(f"{path}: unreadable fault record ({exc}); remove it to start over") from None
    try:
        return [FaultRecord(**rec) for rec in data["faults"]]
    except (KeyError, TypeError) as exc:
        raise FaultError(f"{path}: not a fault record ({exc}); remove it to start over") from None


def write_records(lab_dir: Path, records: list[FaultRecord]) -> None:
    """Atomic replace: a temp file in the same directory, fsync'd, renamed over."""
    path = _faults_file(lab_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = {"faults": [asdict(r) for r in sorted(records, key=lambda r: (r.node, r.kind))]}
    with open(tmp, "w") as fh:
        json.dump(payload, fh, indent=1)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _is_current(lab_dir: Path, rec: FaultRecord) -> bool:
    return rec.incarnation == node_incarnation(lab_dir, rec.node)


def active_faults(lab_dir: Path) -> list[FaultRecord]:
    """Faults in force: recorded, on a node still in the incarnation they were applied to."""
    return [r for r in read_records(lab_dir) if _is_current(lab_dir, r)]


# -- apply / clear -------------------------------------------------------------------

def _node(inventory: Inventory, name: str) -> Node:
    try:
        return inventory.node(name)
    except KeyError:
        names = ", ".join(n.name for n in inventory.all_nodes())
        raise FaultError(f"unknown node {name!r}; nodes: {names}") from None


def _fault(registry: Mapping[str, Fault], kind: str) -> Fault:
    if kind not in registry:
        raise FaultError(f"unknown fault kind {kind!r}; kinds: {', '.join(sorted(registry))}")
    return registry[kind]


def _check_applies(fault: Fault, inventory: Inventory, node: Node) -> None:
    if not fault.applies_to(inventory, node):
        fit = [n.name for n in inventory.all_nodes() if fault.applies_to(inventory, n)]
        raise FaultError(
            f"fault {fault.kind} applies to {fault.where}, not to {node.name}"
            + (f"; candidates: {', '.join(fit)}" if fit else "")
        )


def _check_not_frozen(lab_dir: Path, node: Node, kind: str) -> None:
    """In-node actions cannot run on a frozen node: say so instead of timing out."""
    if kind == "node-down":
        return
    for rec in read_records(lab_dir):
        if rec.node == node.name and rec.kind == "node-down" and _is_current(lab_dir, rec):
            raise FaultError(f"{node.name} is frozen by node-down; clear node-down first")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def apply_fault(lab_dir: Path, inventory: Inventory, node_name: str, kind: str, *,
                runner: Runner = _default_runner,
                registry: Mapping[str, Fault] = FAULTS) -> FaultRecord:
    """Inject `kind` on `node_name` and record it. Applying an active fault again re-applies it."""
    node = _node(inventory, node_name)
    fault = _fault(registry, kind)
    _check_applies(fault, inventory, node)
    target = LabTarget(Path(lab_dir), inventory, runner)
    with _locked(lab_dir):
        _check_not_frozen(lab_dir, node, kind)
        fault.apply(target, node)
        rec = FaultRecord(node.name, kind, _now(), node_incarnation(lab_dir, node.name))
        kept = [r for r in read_records(lab_dir)
                if _is_current(lab_dir, r) and (r.node, r.kind) != (node.name, kind)]
        write_records(lab_dir, kept + [rec])
    return rec


def clear_fault(lab_dir: Path, inventory: Inventory, node_name: str, kind: str | None = None, *,
                runner: Runner = _default_runner,
                registry: Mapping[str, Fault] = FAULTS) -> list[str]:
    """Clear `kind` (or every fault recorded) on `node_name`; returns the kinds cleared.

    Clearing a named kind runs its clear action even when no record says it is active
    (the actions are idempotent), so a fault left behind by a crashed command can go.
    """
    node = _node(inventory, node_name)
    target = LabTarget(Path(lab_dir), inventory, runner)
    with _locked(lab_dir):
        records = read_records(lab_dir)
        if kind is not None:
            fault = _fault(registry, kind)
            _check_applies(fault, inventory, node)
            _check_not_frozen(lab_dir, node, kind)
            kinds = [kind]
        else:
            kinds = sorted({r.kind for r in records if r.node == node.name and _is_current(lab_dir, r)})
        # node-down first: nothing else can act on a frozen node.
        kinds.sort(key=lambda k: k != "node-down")
        for k in kinds:
            _fault(registry, k).clear(target, node)
        kept = [r for r in records
                if _is_current(lab_dir, r) and not (r.node == node.name and r.kind in kinds)]
        write_records(lab_dir, kept)
    return kinds


def clear_all_faults(lab_dir: Path, inventory: Inventory, *, runner: Runner = _default_runner,
                     registry: Mapping[str, Fault] = FAULTS) -> list[FaultRecord]:
    """Best effort, for `issu-lab down`: thaw frozen nodes and forget every record."""
    records = active_faults(lab_dir) if _faults_file(lab_dir).exists() else []
    target = LabTarget(Path(lab_dir), inventory, runner)
    for rec in sorted(records, key=lambda r: r.kind != "node-down"):
        try:
            registry[rec.kind].clear(target, inventory.node(rec.node))
        except Exception:  # the node may be gone already; keep going
            pass
    _faults_file(lab_dir).unlink(missing_ok=True)
    return records
