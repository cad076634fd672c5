"""Run a command inside a lab node from the host (tests, faults), without SSH.

nsenter joins the node's mount, UTS and PID namespaces and its root (the chroot), so the
command sees exactly what the node's own processes see.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from lab.paths import LabPaths

NODE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root", "LANG": "C.UTF-8"}


class NodeNotRunning(Exception):
    pass


def node_init_pid(lab_dir: Path, node: str) -> int:
    np = LabPaths(Path(lab_dir)).node(node)
    try:
        pid = int(np.init_pid.read_text().strip())
    except (OSError, ValueError):
        raise NodeNotRunning(f"node {node} is not running (no {np.init_pid})") from None
    if not np.is_init(pid):
        raise NodeNotRunning(f"node {node} is not running (init pid {pid} is gone)")
    return pid


def run_in_node(lab_dir: Path, node: str, argv: list[str], *, timeout: float = 60,
                input: str | None = None) -> subprocess.CompletedProcess[str]:
    pid = node_init_pid(lab_dir, node)
    cmd = ["nsenter", "-t", str(pid), "-m", "-u", "-p", "-r", "-w", "--", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input,
                          env=NODE_ENV)
