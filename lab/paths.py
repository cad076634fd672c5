"""Where a lab keeps its state on the host (one directory per inventory name)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LabPaths:
    root: Path  # e.g. /var/lib/issu-lab/lab

    @property
    def state_file(self) -> Path:
        return self.root / "lab.json"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def ssh_key(self) -> Path:
        return self.secrets / "ssh_key"

    @property
    def ssh_dir(self) -> Path:
        return self.root / "ssh"

    @property
    def known_hosts(self) -> Path:
        return self.ssh_dir / "known_hosts"

    @property
    def repo(self) -> Path:
        """The local apt repository; kept across `down` as a build cache."""
        return self.root / "repo"

    @property
    def nodes(self) -> Path:
        return self.root / "nodes"

    def node(self, name: str) -> "NodePaths":
        return NodePaths(self.nodes / name)


@dataclass(frozen=True)
class NodePaths:
    root: Path

    @property
    def upper(self) -> Path:
        return self.root / "upper"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def merged(self) -> Path:
        return self.root / "merged"

    @property
    def spec(self) -> Path:
        return self.root / "spec.json"

    @property
    def boot_log(self) -> Path:
        return self.root / "boot.log"

    @property
    def init_pid(self) -> Path:
        return self.root / "init.pid"

    def is_init(self, pid: int) -> bool:
        """Whether `pid` is this node's init. Pids and PID-namespace inode numbers are
        reused by the kernel, so identity is the command line naming this node's spec."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return str(self.spec).encode() in argv

    def holds(self, pid: int) -> bool:
        """Whether process `pid` runs inside this node (its root is the node's root)."""
        try:
            root = os.readlink(f"/proc/{pid}/root")
        except OSError:
            return False
        return root == str(self.merged) or self.is_init(pid)
