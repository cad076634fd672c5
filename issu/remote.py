"""Remote execution: every command the runbook runs on a cluster node goes through here.

`SshExecutor` runs one command at a time over one lazily opened, reused paramiko
connection, and is strict where the design-card libraries are lax:

- host keys come only from the inventory's known_hosts file; an unknown host raises
  `UnknownHost`, a changed key `HostKeyMismatch` (never auto-accepted);
- with `loopback_only` (lab inventories, or env `CI` / `ISSU_LOOPBACK_ONLY=1`) any
  target outside 127.0.0.0/8 is refused before a socket exists; target addresses are
  literal IPs, nothing is ever resolved;
- transport trouble (connect, auth, host key, timeout, lost connection) raises
  `TransportError`; it is never returned as an exit code, and a command is never
  re-run after a reconnect;
- in check-only mode a command not marked read-only raises `CheckOnlyViolation`
  before anything is connected;
- every command is logged (logger `issu.remote`) and recorded as an Allure step with
  its output attached, all through the `Redactor`; exception messages are built from
  redacted text only;
- an optional jump host (`jump=Target(...)`) is reached the same way (pinned, guarded)
  and carries the target's session in a direct-tcpip channel.

`facts_host(executor)` gives a testinfra Host on top of an executor, for file and
service facts without testinfra's auto-accepting paramiko backend.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import select
import shlex
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import paramiko

from issu.redact import Redactor
from issu.reporting import attach_text, command_step

log = logging.getLogger("issu.remote")

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
# Lines of stderr quoted in a CommandFailed message.
STDERR_TAIL_LINES = 20
_STDERR_TAIL_CHARS = 2000
# Longest single wait while a command runs; bounds how late a deadline is noticed.
_POLL_SECONDS = 0.5
_READ_CHUNK = 65536
KEEPALIVE_SECONDS = 30


class RemoteError(Exception):
    """Base of every error raised by remote execution."""


class TransportError(RemoteError):
    """The command could not be run or its outcome is unknown: connect, auth, host key, timeout."""


class HostKeyMismatch(TransportError):
    """The host presented a key different from the one pinned in known_hosts."""


class UnknownHost(TransportError):
    """The host has no key in the known_hosts file (or the file is missing)."""


class CommandFailed(RemoteError):
    """The command ran and exited non-zero (raised by `CommandResult.check`)."""

    def __init__(self, host: str, command: str, rc: int, stderr_tail: str):
        self.host = host
        self.command = command
        self.rc = rc
        self.stderr_tail = stderr_tail
        msg = f"command failed on {host} with rc={rc}: {command}"
        if stderr_tail:
            msg += "\n--- stderr (tail) ---\n" + stderr_tail
        super().__init__(msg)


class CheckOnlyViolation(RemoteError):
    """A mutating command was attempted during a check-only run."""


class SudoRefused(RemoteError):
    """sudo on a host will not run commands as root for the SSH user: it asks for a password
    the inventory does not give, refuses the one it gives, or is not usable at all. Raised
    before the first command that needs root, so nothing has been changed on that host."""


def _tail(text: str, lines: int = STDERR_TAIL_LINES, chars: int = _STDERR_TAIL_CHARS) -> str:
    out = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return out if len(out) <= chars else "..." + out[-chars:]


@dataclass(frozen=True)
class CommandResult:
    """One finished command. `command` is redacted; stdout/stderr are the raw output
    (parsers need it) and are left out of repr so an assertion message cannot leak them."""

    host: str
    command: str
    rc: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)
    duration: float
    # The executor's redactor, so that check() builds its message from redacted stderr.
    redactor: Redactor | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def check(self) -> "CommandResult":
        """Return self if rc == 0, else raise CommandFailed with the (redacted) stderr tail."""
        if self.rc != 0:
            stderr = self.redactor.redact(self.stderr) if self.redactor is not None else self.stderr
            raise CommandFailed(self.host, self.command, self.rc, _tail(stderr))
        return self


@dataclass(frozen=True)
class Target:
    """Where to connect: `ip` must be a literal IP address (names are never resolved)."""

    name: str
    ip: str
    port: int
    user: str

    def __str__(self) -> str:
        return f"{self.user}@{self.name} ({self.ip}:{self.port})"


class Executor(Protocol):
    """What steps and checks use to run commands on a node."""

    def run(
        self,
        command: str | Sequence[str],
        *,
        read_only: bool,
        timeout: float | None = None,
        sudo: bool = False,
        stdin: str | None = None,
        title: str | None = None,
    ) -> CommandResult: ...

    def read_file(self, path: str | os.PathLike[str]) -> str: ...

    def close(self) -> None: ...


# -- pure helpers ----------------------------------------------------------


def loopback_required(requested: bool, environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """True if the loopback guard is on: asked for, or forced by env CI / ISSU_LOOPBACK_ONLY=1."""
    env = os.environ if environ is None else environ
    return requested or bool(env.get("CI")) or env.get("ISSU_LOOPBACK_ONLY") == "1"


def guard_address(target: Target, loopback_only: bool) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The target's address, or TransportError if it is not a literal IP or (with
    `loopback_only`) lies outside 127.0.0.0/8. Resolves nothing, opens nothing."""
    try:
        ip = ipaddress.ip_address(target.ip)
    except ValueError:
        raise TransportError(
            f"{target.name}: address {target.ip!r} is not a literal IP address; host names are never resolved"
        ) from None
    if not 1 <= target.port <= 65535:
        raise TransportError(f"{target.name}: port {target.port} is out of range")
    if loopback_only and ip not in LOOPBACK:
        raise TransportError(
            f"{target.name}: refusing to connect to {ip}: loopback-only mode "
            "(lab inventory, CI or ISSU_LOOPBACK_ONLY=1) allows 127.0.0.0/8 only"
        )
    return ip


def join_command(command: str | Sequence[str]) -> str:
    """A command line: a string is used as is, a sequence is joined with shlex.quote."""
    if isinstance(command, str):
        text = command
    else:
        parts = [str(p) for p in command]
        if not parts:
            raise ValueError("empty command")
        text = shlex.join(parts)
    if not text.strip():
        raise ValueError("empty command")
    return text


def sudo_wrap(command: str, *, password_on_stdin: bool = False) -> str:
    """`command` run as root through sudo and sh. Without a password sudo must not
    prompt (-n); with one it reads it from the first line of stdin (-S, no prompt text,
    -k so a cached credential cannot leave the password line to the command)."""
    if password_on_stdin:
        return f"sudo -S -k -p '' -- sh -c {shlex.quote(command)}"
    return f"sudo -n -- sh -c {shlex.quote(command)}"


def needs_sudo(user: str, *, read_only: bool, sudo: bool) -> bool:
    """Root never needs sudo; anyone else uses it when asked or for a mutating command."""
    return user != "root" and (sudo or not read_only)


class _Hidden:
    """Holds a secret; repr and str never show it (tracebacks, --showlocals)."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__


class _RejectUnknownHost(paramiko.MissingHostKeyPolicy):
    """Like paramiko's RejectPolicy, but raises an UnknownHost that says what to do."""

    def __init__(self, target: Target, known_hosts: Path):
        self._target = target
        self._known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHost(
            f"{self._target.name} ({self._target.ip}:{self._target.port}): host key {key.get_name()} "
            f"{key.fingerprint} is not in known_hosts file {self._known_hosts} (looked up as {hostname!r}); "
            "refusing to connect. Verify the key out of band and add it to that file."
        )


# -- the executor ------------------------------------------------------------


class SshExecutor:
    """Runs commands on one target over SSH. One connection, opened on first use."""

    def __init__(
        self,
        target: Target,
        *,
        key_file: Path | None,
        password: str | None,
        known_hosts: Path,
        connect_timeout: float,
        command_timeout: float,
        check_only: bool,
        redactor: Redactor,
        loopback_only: bool,
        sudo_password: str | None = None,
        jump: Target | None = None,
    ):
        if key_file is None and password is None:
            raise ValueError(f"{target.name}: needs a key file or a password")
        if connect_timeout <= 0 or command_timeout <= 0:
            raise ValueError(f"{target.name}: timeouts must be positive")
        self.target = target
        self.key_file = Path(key_file) if key_file is not None else None
        self.known_hosts = Path(known_hosts)
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self.check_only = check_only
        self.loopback_only = loopback_only
        # Optional bastion: same credentials and known_hosts; the target's key is still pinned.
        self.jump = jump
        self._password = _Hidden(password) if password else None
        self._sudo_password = _Hidden(sudo_password) if sudo_password else None
        # The executor's own credentials are masked even if the caller forgot them.
        try:
            self.redactor = redactor.extend([password, sudo_password])
        except ValueError:
            raise ValueError(f"{target.name}: the SSH or sudo password is too short to be redacted") from None
        self._client: paramiko.SSHClient | None = None
        self._jump_client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self._sudo_prompts: bool | None = None
        self._sudo_refused: str | None = None

    def __repr__(self) -> str:
        via = f", via {self.jump}" if self.jump is not None else ""
        return f"SshExecutor({self.target}{via}, check_only={self.check_only})"

    def __enter__(self) -> "SshExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------
    def run(
        self,
        command: str | Sequence[str],
        *,
        read_only: bool,
        timeout: float | None = None,
        sudo: bool = False,
        stdin: str | None = None,
        title: str | None = None,
        secret_output: bool = False,
    ) -> CommandResult:
        """Run `command` and return its result (any rc); raise TransportError if the
        outcome is unknown and CheckOnlyViolation for a mutating command in check-only mode.
        secret_output: stdout holds a credential not yet known to the redactor (a keystone
        token): it is withheld from the report and logs."""
        text = join_command(command)
        name = self.target.name
        if not read_only and self.check_only:
            raise CheckOnlyViolation(
                f"check-only run: refusing to run a mutating command on {name}: {self.redactor.redact(text)}"
            )
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        wire, prefix = text, ""
        if needs_sudo(self.target.user, read_only=read_only, sudo=sudo):
            with_password = self._sudo_asks_password()
            wire = sudo_wrap(text, password_on_stdin=with_password)
            if with_password and self._sudo_password is not None:
                prefix = self._sudo_password.value + "\n"
        safe = self.redactor.redact(wire)
        limit = self.command_timeout if timeout is None else timeout
        with command_step(name, safe, self.redactor, title):
            if stdin:
                attach_text("stdin", stdin, self.redactor)
            log.info("%s: $ %s", name, safe)
            try:
                result = self._execute(wire, safe, prefix + (stdin or ""), limit)
            except TransportError as exc:
                log.warning("%s: %s", name, exc)
                raise
            summary = f"rc={result.rc} duration={result.duration:.2f}s host={name}"
            attach_text("stdout", "(withheld: it holds a credential)" if secret_output else result.stdout,
                        self.redactor)
            if result.stderr:
                attach_text("stderr", result.stderr, self.redactor)
            attach_text("result", summary, self.redactor)
            log.info("%s: %s", name, summary)
            if result.stderr:
                log.debug("%s: stderr: %s", name, self.redactor.redact(_tail(result.stderr)))
        return result

    def read_file(self, path: str | os.PathLike[str], *, sudo: bool = False) -> str:
        """The content of a remote file (read-only); CommandFailed if it cannot be read."""
        return self.run(["cat", "--", os.fspath(path)], read_only=True, sudo=sudo).check().stdout

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- sudo --------------------------------------------------------------
    def _sudo_asks_password(self) -> bool:
        """Whether sudo wants the password here, settled once per executor before the first
        command that needs root: a sudo that does not prompt must never get the password (the
        command would read it), and a password sudo refuses must stop the run on this host
        before anything is changed. Raises SudoRefused (host, user, what sudo said)."""
        with self._lock:
            settled, refused = self._sudo_prompts, self._sudo_refused
        if refused is not None:
            raise SudoRefused(refused)
        if settled is not None:
            return settled
        where = f"{self.target.name} ({self.target.ip}): sudo for user {self.target.user}"
        probe = self.run("sudo -n -- sh -c true", read_only=True, title="probe: does sudo need a password?")
        if probe.rc == 0:
            prompts = False
        elif self._sudo_password is None:
            said = self._said(probe)
            if "password is required" in said:
                self._refuse(f"{where} asks for a password and the inventory gives none (ssh.sudo_password): "
                             f"sudo said: {said}")
            self._refuse(f"{where} is not usable (exit {probe.rc}): {said}")
        else:
            self._verify_sudo_password(where)
            prompts = True
        with self._lock:
            self._sudo_prompts = prompts
        return prompts

    def _said(self, result: CommandResult) -> str:
        text = " ".join(self.redactor.redact(result.stderr + result.stdout).split())
        return text[-_STDERR_TAIL_CHARS:] or f"exit {result.rc}, nothing printed"

    def _refuse(self, message: str) -> None:
        with self._lock:
            self._sudo_refused = message
        log.error("%s", message)
        raise SudoRefused(message)

    def _verify_sudo_password(self, where: str) -> None:
        """Run `true` through sudo with the password: a wrong password ends here, not in the
        middle of a step (where sudo would go on reading the command's own stdin as further
        password attempts). The password goes on stdin only; nothing of it is reported."""
        assert self._sudo_password is not None
        wire = sudo_wrap("true", password_on_stdin=True)
        with command_step(self.target.name, wire, self.redactor, "verify the sudo password"):
            log.info("%s: $ %s", self.target.name, wire)
            result = self._execute(wire, wire, self._sudo_password.value + "\n", self.connect_timeout + 20)
            attach_text("result", f"rc={result.rc} host={self.target.name}", self.redactor)
            if result.stderr:
                attach_text("stderr", result.stderr, self.redactor)
        if result.rc != 0:
            said = self._said(result)
            if "incorrect password" in said or "Sorry, try again" in said:
                self._refuse(f"{where} refused the sudo password the inventory gives (ssh.sudo_password): "
                             f"sudo said: {said}")
            self._refuse(f"{where} with the inventory's sudo password failed (exit {result.rc}): {said}")

    # -- connection --------------------------------------------------------
    def _drop(self) -> None:
        client, jump, self._client, self._jump_client = self._client, self._jump_client, None, None
        for c in (client, jump):
            if c is not None:
                c.close()

    def _transport(self) -> paramiko.Transport:
        with self._lock:
            if self._client is not None:
                transport = self._client.get_transport()
                if transport is not None and transport.is_active():
                    return transport
                log.warning("%s: connection lost; reconnecting for the next command", self.target.name)
                self._drop()
            client = self._connect()
            transport = client.get_transport()
            if transport is None:  # paramiko always sets it once connect() returned
                client.close()
                self._drop()
                raise TransportError(f"{self.target.name}: SSH connection has no transport")
            self._client = client
            return transport

    def _open_socket(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, hop: Target) -> socket.socket:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(self.connect_timeout)
        try:
            sock.connect((str(ip), hop.port))
        except OSError as exc:
            sock.close()
            reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
            raise TransportError(f"cannot connect to {hop.name} ({ip}:{hop.port}): {reason}") from None
        return sock

    def _connect(self) -> paramiko.SSHClient:
        """Check everything that can be checked offline, then connect (through the jump host if any)."""
        loopback = loopback_required(self.loopback_only)
        ip = guard_address(self.target, loopback)
        jump_ip = guard_address(self.jump, loopback) if self.jump is not None else None
        where = f"{self.target.name} ({ip}:{self.target.port})"
        if not self.known_hosts.is_file():
            raise UnknownHost(f"{where}: known_hosts file {self.known_hosts} does not exist; refusing to connect")
        if self.key_file is not None and not os.access(self.key_file, os.R_OK):
            raise TransportError(f"{where}: cannot read SSH key file {self.key_file}")
        if self.jump is None or jump_ip is None:
            return self._ssh_client(self.target, ip, self._open_socket(ip, self.target))
        self._jump_client = self._ssh_client(self.jump, jump_ip, self._open_socket(jump_ip, self.jump))
        jump_transport = self._jump_client.get_transport()
        try:
            if jump_transport is None:
                raise paramiko.SSHException("no transport")
            tunnel = jump_transport.open_channel(
                "direct-tcpip", (str(ip), self.target.port), ("127.0.0.1", 0), timeout=self.connect_timeout
            )
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self._drop()
            reason = self.redactor.redact(str(exc)) or type(exc).__name__
            raise TransportError(f"{where}: cannot reach it through jump host {self.jump.name}: {reason}") from None
        try:
            return self._ssh_client(self.target, ip, tunnel)
        except TransportError:
            self._drop()  # the jump connection too
            raise

    def _ssh_client(
        self, hop: Target, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, sock: socket.socket | paramiko.Channel
    ) -> paramiko.SSHClient:
        """An SSH session to `hop` over an open `sock`, host key pinned from known_hosts only."""
        where = f"{hop.name} ({ip}:{hop.port})"
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(self.known_hosts))
        except (OSError, paramiko.SSHException) as exc:
            sock.close()
            raise TransportError(
                f"{where}: cannot load known_hosts file {self.known_hosts}: {self.redactor.redact(str(exc))}"
            ) from None
        client.set_missing_host_key_policy(_RejectUnknownHost(hop, self.known_hosts))
        try:
            client.connect(
                hostname=str(ip),
                port=hop.port,
                username=hop.user,
                sock=sock,
                key_filename=str(self.key_file) if self.key_file is not None else None,
                password=self._password.value if self._password is not None else None,
                timeout=self.connect_timeout,
                banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout,
                channel_timeout=self.connect_timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except UnknownHost:
            client.close()
            sock.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            sock.close()
            raise HostKeyMismatch(
                f"{where}: HOST KEY MISMATCH: known_hosts file {self.known_hosts} pins "
                f"{exc.expected_key.get_name()} {exc.expected_key.fingerprint}, the host presented "
                f"{exc.key.get_name()} {exc.key.fingerprint}; refusing to connect "
                "(reinstalled host or man-in-the-middle: verify out of band)"
            ) from None
        except paramiko.AuthenticationException as exc:
            client.close()
            sock.close()
            raise TransportError(
                f"{where}: authentication failed for user {hop.user}: {self.redactor.redact(str(exc))}"
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            client.close()
            sock.close()
            reason = self.redactor.redact(str(exc)) or type(exc).__name__
            raise TransportError(f"{where}: SSH connection failed: {reason}") from None
        transport = client.get_transport()
        if transport is not None:
            # Notice a silently dead peer (rebooted node, idle-timeout firewall) between commands.
            transport.set_keepalive(KEEPALIVE_SECONDS)
        log.info("%s: connected as %s", where, hop.user)
        return client

    # -- one command -------------------------------------------------------
    def _open_channel(self, safe: str) -> tuple[paramiko.Transport, paramiko.Channel]:
        """A fresh session channel. The command has not been sent yet, so if the reused
        connection turns out dead, reconnecting once and trying again re-runs nothing."""
        transport = self._transport()
        try:
            return transport, transport.open_session(timeout=self.connect_timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.close()
            log.warning(
                "%s: cannot open a session (%s); reconnecting before running",
                self.target.name,
                self.redactor.redact(str(exc)) or type(exc).__name__,
            )
        transport = self._transport()
        try:
            return transport, transport.open_session(timeout=self.connect_timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.close()
            raise TransportError(
                f"{self.target.name}: cannot open an SSH session: "
                f"{self.redactor.redact(str(exc)) or type(exc).__name__}; command not run: {safe}"
            ) from None

    def _execute(self, wire: str, safe: str, stdin: str, timeout: float) -> CommandResult:
        name = self.target.name
        transport, chan = self._open_channel(safe)
        start = time.monotonic()
        deadline = start + timeout
        out, err = bytearray(), bytearray()
        try:
            chan.settimeout(timeout)
            chan.exec_command(wire)
            if stdin:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            while True:
                _drain(chan, out, err)
                if chan.closed or (chan.exit_status_ready() and chan.eof_received):
                    _drain(chan, out, err)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                select.select([chan], [], [], min(remaining, _POLL_SECONDS))
        except TimeoutError:
            chan.close()
            raise TransportError(
                f"command timed out after {timeout:g} s on host {name}; the channel was closed "
                f"(the remote process may still be running): {safe}"
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            chan.close()
            self._drop_if_dead()
            raise TransportError(
                f"{name}: SSH failure while running a command (outcome unknown, not re-run): "
                f"{self.redactor.redact(str(exc)) or type(exc).__name__}: {safe}"
            ) from None
        duration = time.monotonic() - start
        # paramiko leaves exit_status at -1 until an exit-status message arrives.
        rc = chan.exit_status
        chan.close()
        if rc == -1 and not self._still_connected(transport):
            self._drop_if_dead()
            raise TransportError(
                f"connection to {name} lost while running a command (outcome unknown, not re-run): {safe}"
            )
        # With the connection alive, -1 means OpenSSH sent exit-signal (command killed by a
        # signal), which paramiko does not parse: the command's failure, not the transport's.
        return CommandResult(
            host=name,
            command=safe,
            rc=rc,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace"),
            duration=duration,
            redactor=self.redactor,
        )

    def _still_connected(self, transport: paramiko.Transport) -> bool:
        """Whether the connection survived a channel that closed without an exit status.
        paramiko closes the channels of a dying connection before it marks the connection
        inactive, so is_active() alone could mistake a lost connection for a killed command:
        opening (and closing) a probe session settles it."""
        if not transport.is_active():
            return False
        try:
            transport.open_session(timeout=self.connect_timeout).close()
        except (paramiko.SSHException, OSError, EOFError):
            return False
        return True

    def _drop_if_dead(self) -> None:
        with self._lock:
            if self._client is not None:
                transport = self._client.get_transport()
                if transport is None or not transport.is_active():
                    self._drop()


def _drain(chan: paramiko.Channel, out: bytearray, err: bytearray) -> None:
    while chan.recv_ready():
        out += chan.recv(_READ_CHUNK)
    while chan.recv_stderr_ready():
        err += chan.recv_stderr(_READ_CHUNK)


# -- fan-out -------------------------------------------------------------------

T = TypeVar("T")
R = TypeVar("R")


def fan_out(fn: Callable[[T], R], items: Sequence[T], max_parallel: int) -> list[tuple[T, R | BaseException]]:
    """Apply `fn` to every item with at most `max_parallel` running at once. Returns
    (item, result or the exception it raised) in the order of `items`; never raises
    because one item failed."""
    if max_parallel < 1:
        raise ValueError("max_parallel must be at least 1")
    items = list(items)
    if not items:
        return []

    def call(item: T) -> R | BaseException:
        try:
            return fn(item)
        except BaseException as exc:  # noqa: BLE001 - reported per item to the caller
            return exc

    with ThreadPoolExecutor(max_workers=min(max_parallel, len(items)), thread_name_prefix="issu-fan-out") as pool:
        results = list(pool.map(call, items))
    return list(zip(items, results))


# -- testinfra on top of the executor ------------------------------------------------


def facts_host(executor: SshExecutor, *, sudo: bool = False) -> "testinfra.host.Host":  # noqa: F821
    """A testinfra Host whose every command goes through `executor` (host-key pinning,
    timeouts, redaction, Allure steps) instead of testinfra's own auto-accepting
    paramiko backend. It is a view for facts (file, service, package): every command
    is run read-only, so never use its `run` for a change; use `executor.run(read_only=False)`."""
    import testinfra.host
    from testinfra.backend.base import BaseBackend

    class _ExecutorBackend(BaseBackend):
        NAME = "issu"

        def __init__(self) -> None:
            super().__init__(executor.target.name, sudo=sudo)

        def run(self, command: str, *args: str, **kwargs: object) -> "testinfra.backend.base.CommandResult":
            text = self.quote(command, *args)
            result = executor.run(text, read_only=True, sudo=self.sudo)
            return self.result(result.rc, self.encode(result.command), result.stdout, result.stderr)

    backend = _ExecutorBackend()
    host = testinfra.host.Host(backend)
    backend.set_host(host)
    return host
