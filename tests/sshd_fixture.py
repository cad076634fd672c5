"""A real OpenSSH sshd for the remote-execution tests, isolated from the host.

sshd runs as PID 1 of its own PID + mount namespace (`unshare`), so:
- its private /run is a tmpfs (sshd's privilege-separation dir /run/sshd and sudo's
  timestamps live there; the host's /run is untouched);
- /etc/passwd, /etc/shadow, /etc/group and /etc/sudoers.d are bind-mounted copies with
  two throwaway users added (`issuops`: sudo with a password, `issunopw`: passwordless
  sudo); the host's files are not modified;
- killing `unshare` kills the namespace, so every session child (left-over `sleep` of
  a timed-out command included) dies with it.

Needs root (sshd can only log users in as root; namespaces and bind mounts).
"""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
SUDO_USER = "issuops"  # sudo asks for its password
NOPASSWD_USER = "issunopw"  # passwordless sudo
SUDO_USER_PASSWORD = "Sudo-Pass-7f3kq!"
START_TIMEOUT = 15.0


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30, **kwargs)


def keygen(path: Path, comment: str) -> str:
    """Create an ed25519 key pair at path; return the public key line."""
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path.with_suffix(".pub").read_text().strip()


def free_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


@dataclass
class LocalSshd:
    """A running sshd: where it listens and the files a client needs."""

    ip: str
    port: int
    alias_ip: str | None  # a second address of the same sshd, if any
    workdir: Path
    host_key_line: str  # "ssh-ed25519 AAAA..."
    client_key: Path
    known_hosts: Path
    log_file: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # unshare ignores SIGTERM while it waits for its child; SIGKILL it, and
            # --kill-child SIGKILLs the namespace's PID 1 (sshd), which ends the namespace.
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def _users_files(work: Path, home: Path) -> Path:
    """Copies of the host's account files with the two test users appended."""
    etc = work / "etc"
    etc.mkdir()
    hashed = _run(["openssl", "passwd", "-6", "-stdin"], input=SUDO_USER_PASSWORD + "\n").stdout.strip()
    users = [(SUDO_USER, 64101, hashed), (NOPASSWD_USER, 64102, "*")]
    passwd = Path("/etc/passwd").read_text()
    group = Path("/etc/group").read_text()
    shadow = Path("/etc/shadow").read_text()
    for name, uid, pw_hash in users:
        passwd += f"{name}:x:{uid}:{uid}:issu test user:{home}:/bin/sh\n"
        group += f"{name}:x:{uid}:\n"
        shadow += f"{name}:{pw_hash}:20000:0:99999:7:::\n"
    (etc / "passwd").write_text(passwd)
    (etc / "group").write_text(group)
    (etc / "shadow").write_text(shadow)
    os.chmod(etc / "passwd", 0o644)
    os.chmod(etc / "group", 0o644)
    os.chmod(etc / "shadow", 0o640)
    sudoers = etc / "sudoers.d"
    sudoers.mkdir(mode=0o755)
    rule = sudoers / "issu-test"
    rule.write_text(
        # fqdn would make sudo resolve the host name: nothing may leave loopback.
        "Defaults !fqdn\n"
        f"{SUDO_USER} ALL=(ALL:ALL) ALL\n"
        f"{NOPASSWD_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n"
    )
    os.chmod(rule, 0o440)
    return etc


def start_sshd(ip: str, alias_ip: str | None = None) -> LocalSshd:
    """Start sshd on ip:<free port> (and alias_ip, same port); the caller must call
    stop() and remove workdir."""
    work = Path(tempfile.mkdtemp(prefix="issu-sshd-", dir="/tmp"))
    os.chmod(work, 0o755)  # the test users read authorized_keys and enter home
    home = work / "home"
    home.mkdir(mode=0o755)
    auth = work / "auth"
    auth.mkdir(mode=0o755)
    client_dir = work / "client"
    client_dir.mkdir(mode=0o700)

    host_pub = keygen(work / "host_ed25519", "issu-test-host")
    client_pub = keygen(client_dir / "id_ed25519", "issu-test-client")
    (auth / "authorized_keys").write_text(client_pub + "\n")
    os.chmod(auth / "authorized_keys", 0o644)
    etc = _users_files(work, home)

    port = free_port(ip)
    config = work / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"ListenAddress {ip}:{port}",
                *([f"ListenAddress {alias_ip}:{port}"] if alias_ip else []),
                f"HostKey {work / 'host_ed25519'}",
                "PidFile none",
                "UsePAM no",
                f"AuthorizedKeysFile {auth / 'authorized_keys'}",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication no",
                "UseDNS no",
                "MaxStartups 50",
                "MaxSessions 50",
                "LogLevel VERBOSE",
                "",
            ]
        )
    )
    (work / "known_hosts").write_text("".join(f"[{a}]:{port} {host_pub}\n" for a in (ip, alias_ip) if a))

    q = shlex.quote
    inside = " && ".join(
        [
            "mount -t tmpfs -o mode=755 issu-sshd-run /run",
            "mkdir -m 755 /run/sshd",
            *(f"mount --bind {q(str(etc / n))} /etc/{n}" for n in ("passwd", "group", "shadow", "sudoers.d")),
            f"exec {SSHD} -D -e -f {q(str(config))}",
        ]
    )
    log_file = work / "sshd.log"
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
             "--mount-proc", "sh", "-c", inside],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LocalSshd(
        ip=ip,
        port=port,
        alias_ip=alias_ip,
        workdir=work,
        host_key_line=host_pub,
        client_key=client_dir / "id_ed25519",
        known_hosts=work / "known_hosts",
        log_file=log_file,
        proc=proc,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            text = server.log_text()
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
            raise RuntimeError(f"sshd exited with {proc.returncode}:\n{text}")
        try:
            with socket.create_connection((ip, port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                text = server.log_text()
                server.stop()
                shutil.rmtree(work, ignore_errors=True)
                raise RuntimeError(f"sshd did not listen on {ip}:{port} within {START_TIMEOUT}s:\n{text}")
            time.sleep(0.1)
    return server
