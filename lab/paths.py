"""Where a lab keeps its state on the host (one directory per inventory name)."""
from __future__ import annotations

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
