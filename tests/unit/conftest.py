"""Fixtures for the remote-execution tests: a real sshd, executors bound to it, and an
Allure recorder (a plugin registered on allure's own plugin manager)."""
from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import allure_commons
import pytest

from issu.redact import Redactor
from issu.remote import SshExecutor, Target
from tests.sshd_fixture import LocalSshd, start_sshd

# This suite's loopback range is 127.30.0.0/16.
SSHD_IP = "127.30.0.1"
SSHD_ALIAS_IP = "127.30.0.2"  # the same sshd, a second address (a "target behind a bastion")
SECRET = "Tr0ub4dor&3-s3cret"


@pytest.fixture(scope="session")
def sshd() -> Iterator[LocalSshd]:
    if os.geteuid() != 0:
        pytest.skip("running sshd that logs in as root needs root")
    if not Path("/usr/sbin/sshd").exists() or shutil.which("unshare") is None:
        pytest.skip("needs /usr/sbin/sshd and unshare")
    server = start_sshd(SSHD_IP, alias_ip=SSHD_ALIAS_IP)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture
def make_executor(sshd: LocalSshd) -> Iterator[Any]:
    """Build executors against the test sshd; all are closed at teardown."""
    made: list[SshExecutor] = []

    def make(user: str = "root", **overrides: Any) -> SshExecutor:
        args: dict[str, Any] = dict(
            key_file=sshd.client_key,
            password=None,
            known_hosts=sshd.known_hosts,
            connect_timeout=10.0,
            command_timeout=30.0,
            check_only=False,
            redactor=Redactor([SECRET]),
            loopback_only=True,
        )
        args.update(overrides)
        name = args.pop("name", "node-a")
        ip = args.pop("ip", sshd.ip)
        executor = SshExecutor(Target(name, ip, sshd.port, user), **args)
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.close()


@dataclass
class AllureRecorder:
    """What allure would have written: step titles, step errors, attachments."""

    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    @allure_commons.hookimpl
    def start_step(self, uuid, title, params):  # noqa: ARG002 - hook signature
        self.steps.append(title)

    @allure_commons.hookimpl
    def stop_step(self, uuid, exc_type, exc_val, exc_tb):  # noqa: ARG002
        if exc_val is not None:
            self.errors.append(str(exc_val))

    @allure_commons.hookimpl
    def attach_data(self, body, name, attachment_type, extension):
        self.attachments.append((name, body, attachment_type, extension))

    def bodies(self, name: str) -> list[str]:
        return [body for n, body, _, _ in self.attachments if n == name]

    def everything(self) -> str:
        return "\n".join([*self.steps, *self.errors, *(str(a[1]) for a in self.attachments)])


@pytest.fixture
def allure_recorder() -> Iterator[AllureRecorder]:
    recorder = AllureRecorder()
    allure_commons.plugin_manager.register(recorder)
    try:
        yield recorder
    finally:
        allure_commons.plugin_manager.unregister(recorder)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail loudly if anything resolves a name or opens a connection."""
    attempts: list[str] = []

    def forbidden(what: str):
        def fail(*args: Any, **kwargs: Any):
            attempts.append(what)
            raise AssertionError(f"{what} called: the guard must refuse before any socket is opened")

        return fail

    monkeypatch.setattr(socket, "create_connection", forbidden("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", forbidden("socket.getaddrinfo"))
    monkeypatch.setattr(socket.socket, "connect", forbidden("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden("socket.connect_ex"))
    return attempts


def closed_port(ip: str = SSHD_IP) -> int:
    """A port on ip that nothing listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]
