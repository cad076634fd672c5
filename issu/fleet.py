"""The cluster as the runbook reaches it: one SSH executor per inventory node.

Built from a validated inventory: host keys pinned from its known_hosts, credentials
resolved from their references at the last moment, every secret of the inventory fed
to one Redactor, the loopback guard on for lab inventories (and under CI).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from issu.inventory import EnvSecret, InventoryError, LoadedInventory, Node
from issu.redact import Redactor
from issu.remote import CommandResult, SshExecutor, Target, fan_out, loopback_required

T = TypeVar("T")


class Fleet:
    def __init__(self, inventory: LoadedInventory, *, check_only: bool, max_parallel: int = 16):
        self.inventory = inventory
        self.check_only = check_only
        self.max_parallel = max_parallel
        try:
            self.redactor = Redactor(inventory.secret_values())
        except ValueError as exc:  # too short to redact safely
            raise InventoryError(f"{inventory.path}: a secret cannot be used: {exc}") from None
        self.loopback_only = loopback_required(inventory.model.lab is not None)
        self._executors: dict[str, SshExecutor] = {}

    def _credentials(self) -> tuple[Path | None, str | None]:
        ssh = self.inventory.model.ssh
        key_file = password = None
        if ssh.key is not None:
            if isinstance(ssh.key, EnvSecret):
                raise InventoryError("ssh.key: give the key as {file: PATH} (an env var cannot hold a key file)")
            key_file = self.inventory.secret(ssh.key).path()
            if key_file is None or not key_file.exists():
                raise InventoryError(f"ssh.key: key file {key_file} does not exist")
        if ssh.password is not None:
            password = self.inventory.secret(ssh.password).resolve()
        return key_file, password

    def executor(self, node: Node) -> SshExecutor:
        if node.name not in self._executors:
            model = self.inventory.model
            known_hosts = self.inventory.known_hosts
            if known_hosts is None or not known_hosts.exists():
                raise InventoryError(f"ssh.known_hosts: {known_hosts} does not exist; host keys must be pinned")
            key_file, password = self._credentials()
            sudo_ref = model.ssh.sudo_password
            sudo_password = self.inventory.secret(sudo_ref).resolve() if sudo_ref is not None else None
            self._executors[node.name] = SshExecutor(
                Target(node.name, node.ip, node.ssh_port or model.ssh.port, model.ssh.user),
                key_file=key_file,
                password=password,
                known_hosts=known_hosts,
                connect_timeout=model.ssh.connect_timeout,
                command_timeout=model.ssh.command_timeout,
                check_only=self.check_only,
                redactor=self.redactor,
                loopback_only=self.loopback_only,
                sudo_password=sudo_password,
            )
        return self._executors[node.name]

    def add_secret(self, secret: str) -> None:
        """A secret learnt during the run (a keystone token): masked by the journal, every executor
        (present and future) and their Allure attachments from now on."""
        self.redactor.add(secret)
        for ex in self._executors.values():
            ex.redactor.add(secret)

    def each(self, nodes: Sequence[Node], fn: Callable[[SshExecutor], T]) -> list[tuple[Node, T | BaseException]]:
        """fn(executor) on every node, in parallel (bounded), results in node order."""
        pairs = fan_out(lambda n: fn(self.executor(n)), list(nodes), self.max_parallel)
        return pairs

    def run_all(self, nodes: Iterable[Node], command: str | Sequence[str], *, read_only: bool,
                sudo: bool = False, timeout: float | None = None) -> list[tuple[Node, CommandResult | BaseException]]:
        return self.each(list(nodes), lambda ex: ex.run(command, read_only=read_only, sudo=sudo, timeout=timeout))

    def close(self) -> None:
        for ex in self._executors.values():
            ex.close()
        self._executors.clear()
