"""SshExecutor against a real OpenSSH sshd (see tests/sshd_fixture.py). Real paramiko
throughout; one test makes a reused connection refuse a session once (a path a live
server cannot be made to take on demand).

Marked `lab`: the server logs users in as root, which needs root.
"""
from __future__ import annotations

import logging
import shlex
import socket
import subprocess
import time

import paramiko
import pytest

from issu.redact import MASK, Redactor
from issu.remote import (
    SudoRefused,
    CheckOnlyViolation,
    CommandFailed,
    HostKeyMismatch,
    SshExecutor,
    Target,
    TransportError,
    UnknownHost,
    facts_host,
    fan_out,
)
from tests.sshd_fixture import NOPASSWD_USER, SUDO_USER, SUDO_USER_PASSWORD, keygen

from .conftest import SECRET

pytestmark = pytest.mark.lab


# -- commands ------------------------------------------------------------------------


def test_command_ok_captures_stdout_and_stderr_separately(make_executor):
    result = make_executor().run("echo out; echo err >&2", read_only=True)
    assert (result.rc, result.stdout, result.stderr) == (0, "out\n", "err\n")
    assert result.host == "node-a"
    assert result.command == "echo out; echo err >&2"
    assert result.duration > 0


def test_non_zero_rc_is_returned_and_check_raises(make_executor):
    result = make_executor().run("echo 'no such service' >&2; exit 3", read_only=True)
    assert result.rc == 3
    with pytest.raises(CommandFailed) as info:
        result.check()
    assert info.value.rc == 3 and info.value.host == "node-a"
    assert "no such service" in str(info.value)


def test_list_command_is_quoted_for_the_remote_shell(make_executor):
    result = make_executor().run(["printf", "%s|", "a b", "$HOME", "x;y"], read_only=True)
    assert result.stdout == "a b|$HOME|x;y|"


def test_stdin_is_delivered_and_closed(make_executor):
    assert make_executor().run("cat", read_only=True, stdin="line1\nline2\n").stdout == "line1\nline2\n"
    # Without stdin the command sees EOF instead of hanging.
    assert make_executor().run("cat; echo done", read_only=True).stdout == "done\n"


def test_connection_is_opened_once_and_reused(make_executor):
    ex = make_executor()
    first = ex.run("echo $SSH_CONNECTION", read_only=True).stdout
    second = ex.run("echo $SSH_CONNECTION", read_only=True).stdout
    # Same client port = same TCP connection.
    assert first == second and first.strip()


def test_read_file(make_executor, sshd):
    ex = make_executor()
    assert ex.read_file(sshd.known_hosts) == sshd.known_hosts.read_text()
    with pytest.raises(CommandFailed, match="No such file"):
        ex.read_file("/nonexistent/contrail-api.conf")


def test_killed_command_is_a_command_failure_not_a_transport_error(make_executor):
    result = make_executor().run("kill -9 $$", read_only=True)
    assert result.rc != 0
    with pytest.raises(CommandFailed):
        result.check()


# -- timeouts and lost connections -------------------------------------------------------


def test_timeout_raises_transport_error_and_the_executor_stays_usable(make_executor):
    ex = make_executor()
    with pytest.raises(TransportError, match=r"command timed out after 1 s on host node-a.*sleep 30"):
        ex.run("sleep 30", read_only=True, timeout=1)
    assert ex.run("echo still here", read_only=True).stdout == "still here\n"


def test_connection_dropped_mid_command_is_a_transport_error_and_never_re_run(make_executor, sshd):
    marker = sshd.workdir / "runs.log"
    ex = make_executor()
    # $PPID is the sshd process serving this connection: killing it drops the connection.
    with pytest.raises(TransportError, match="lost while running a command.*not re-run"):
        ex.run(f"echo run >> {marker}; kill -9 $PPID; sleep 5", read_only=True, timeout=20)
    # The next command reconnects; the interrupted one ran exactly once.
    assert ex.run(["cat", str(marker)], read_only=True).stdout == "run\n"


def test_dead_idle_connection_is_replaced_and_the_next_command_runs_once(make_executor, sshd):
    marker = sshd.workdir / "idle-runs.log"
    killed = sshd.workdir / "idle-killed"
    ex = make_executor()
    before = ex.run("echo $SSH_CONNECTION", read_only=True).stdout
    # Kill the sshd process serving this connection after the command has returned.
    ex.run(f"(sleep 0.2; kill -9 $PPID; touch {killed}) >/dev/null 2>&1 &", read_only=True)
    deadline = time.monotonic() + 10
    while not killed.exists():
        assert time.monotonic() < deadline, "the connection was not killed"
        time.sleep(0.05)
    result = ex.run(f"echo run >> {marker}; echo $SSH_CONNECTION", read_only=True)
    assert result.rc == 0
    assert result.stdout != before  # a new connection (new client port)
    assert marker.read_text() == "run\n"


def test_session_refused_on_a_reused_connection_reconnects_before_sending(make_executor, sshd, monkeypatch):
    # The only stand-in in this file: the reused connection refuses a new session once
    # (as a half-dead connection does). Nothing was sent, so reconnecting is safe.
    marker = sshd.workdir / "session-runs.log"
    ex = make_executor()
    ex.run("true", read_only=True)
    real_open = paramiko.Transport.open_session
    refused: list[bool] = []

    def open_once_refused(self, *args, **kwargs):
        if not refused:
            refused.append(True)
            raise paramiko.SSHException("Unable to open channel.")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(paramiko.Transport, "open_session", open_once_refused)
    assert ex.run(f"echo run >> {marker}", read_only=True).rc == 0
    assert refused == [True]
    assert marker.read_text() == "run\n"


# -- host keys and authentication ----------------------------------------------------------


def test_unknown_host_is_refused_and_not_added(make_executor, sshd, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    ex = make_executor(known_hosts=known_hosts)
    with pytest.raises(UnknownHost) as info:
        ex.run("true", read_only=True)
    message = str(info.value)
    assert "node-a" in message and f"{sshd.ip}:{sshd.port}" in message and str(known_hosts) in message
    assert known_hosts.read_text() == ""


def test_host_key_for_port_22_does_not_vouch_for_another_port(make_executor, sshd, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"{sshd.ip} {sshd.host_key_line}\n")
    with pytest.raises(UnknownHost):
        make_executor(known_hosts=known_hosts).run("true", read_only=True)


def test_changed_host_key_is_a_mismatch(make_executor, sshd, tmp_path):
    other = keygen(tmp_path / "other_host_key", "someone-else")
    known_hosts = tmp_path / "known_hosts"
    pinned = f"[{sshd.ip}]:{sshd.port} {other}\n"
    known_hosts.write_text(pinned)
    with pytest.raises(HostKeyMismatch) as info:
        make_executor(known_hosts=known_hosts).run("true", read_only=True)
    assert "node-a" in str(info.value) and str(known_hosts) in str(info.value)
    assert known_hosts.read_text() == pinned


def test_wrong_client_key_is_an_authentication_failure(make_executor, tmp_path):
    keygen(tmp_path / "stranger", "stranger")
    with pytest.raises(TransportError, match="authentication failed for user root"):
        make_executor(key_file=tmp_path / "stranger").run("true", read_only=True)


def test_password_login_works_and_a_wrong_password_never_shows_in_the_error(make_executor):
    ok = make_executor(SUDO_USER, key_file=None, password=SUDO_USER_PASSWORD)
    assert ok.run("id -un", read_only=True).stdout == f"{SUDO_USER}\n"
    bad = make_executor(SUDO_USER, key_file=None, password="Wrong-Passw0rd-x")
    with pytest.raises(TransportError) as info:
        bad.run("true", read_only=True)
    assert "authentication failed" in str(info.value)
    assert "Wrong-Passw0rd" not in str(info.value)


# -- check-only against a live host -------------------------------------------------------


def test_check_only_runs_read_only_commands_and_refuses_mutations(make_executor, sshd):
    marker = sshd.workdir / "check-only-marker"
    ex = make_executor(check_only=True)
    assert ex.run("echo read", read_only=True).stdout == "read\n"
    with pytest.raises(CheckOnlyViolation, match="check-only"):
        ex.run(["touch", str(marker)], read_only=False)
    assert not marker.exists()


# -- redaction ------------------------------------------------------------------------------


def test_secrets_are_masked_in_result_attachments_logs_and_errors(make_executor, allure_recorder, caplog):
    caplog.set_level(logging.DEBUG, logger="issu.remote")
    ex = make_executor()
    quoted = shlex.quote(SECRET)  # the shell-quoted form must be masked too
    assert quoted != SECRET
    result = ex.run(f"echo {quoted}; echo {quoted} >&2", read_only=True)
    assert result.command == f"echo {MASK}; echo {MASK} >&2"
    assert result.stdout == f"{SECRET}\n"  # raw output for parsers
    assert allure_recorder.bodies("stdout") == [f"{MASK}\n"]
    assert allure_recorder.bodies("stderr") == [f"{MASK}\n"]
    [summary] = allure_recorder.bodies("result")
    assert summary.startswith("rc=0 duration=") and summary.endswith("s host=node-a")
    assert allure_recorder.steps == [f"[node-a] $ echo {MASK}; echo {MASK} >&2"]

    failing = ex.run(f"echo 'bad password {SECRET}' >&2; exit 1", read_only=True)
    with pytest.raises(CommandFailed) as info:
        failing.check()
    assert MASK in str(info.value)

    with pytest.raises(TransportError) as timeout:
        ex.run(f"sleep 30 # {SECRET}", read_only=True, timeout=1)
    assert MASK in str(timeout.value)

    for text in (str(info.value), str(timeout.value), caplog.text, allure_recorder.everything()):
        assert SECRET not in text
    assert f"$ echo {MASK}" in caplog.text


def test_stderr_attachment_only_when_there_is_stderr(make_executor, allure_recorder):
    make_executor().run("echo quiet", read_only=True)
    assert [a[0] for a in allure_recorder.attachments] == ["stdout", "result"]


# -- sudo -----------------------------------------------------------------------------------


def test_non_root_mutating_command_goes_through_passwordless_sudo(make_executor):
    ex = make_executor(NOPASSWD_USER)
    mutating = ex.run("id -u", read_only=False)
    assert mutating.command == "sudo -n -- sh -c 'id -u'"
    assert mutating.stdout == "0\n"
    reading = ex.run("id -u", read_only=True)
    assert reading.command == "id -u" and reading.stdout != "0\n"
    assert ex.run("id -u", read_only=True, sudo=True).stdout == "0\n"


def test_sudo_that_wants_a_password_fails_without_prompting(make_executor):
    with pytest.raises(SudoRefused, match="password is required"):
        make_executor(SUDO_USER).run("id -u", read_only=False, timeout=20)


def test_sudo_password_goes_to_stdin_never_to_the_command_line_or_the_report(
    make_executor, allure_recorder, caplog
):
    caplog.set_level(logging.DEBUG, logger="issu.remote")
    ex = make_executor(SUDO_USER, sudo_password=SUDO_USER_PASSWORD)
    result = ex.run("id -u; cat", read_only=False, stdin="payload\n", timeout=20).check()
    assert result.stdout == "0\npayload\n"  # root, and the command got only its own stdin
    assert result.command == "sudo -S -k -p '' -- sh -c 'id -u; cat'"
    assert SUDO_USER_PASSWORD not in result.command
    assert SUDO_USER_PASSWORD not in caplog.text
    assert SUDO_USER_PASSWORD not in allure_recorder.everything()


def test_sudo_password_is_not_fed_to_a_sudo_that_does_not_ask(make_executor):
    # Passwordless sudo: the probe says so, and `cat` must not receive the password line.
    ex = make_executor(NOPASSWD_USER, sudo_password="Unused-sudo-pw")
    result = ex.run("cat", read_only=False, stdin="only this\n")
    assert result.stdout == "only this\n"
    assert result.command == "sudo -n -- sh -c cat"


# -- fan-out over real hosts -----------------------------------------------------------------


def test_fan_out_over_executors_keeps_order_and_reports_failures(make_executor, sshd):
    names = ["compute1", "compute2", "compute3"]
    executors = {n: make_executor(name=n) for n in names}
    broken = SshExecutor(
        Target("compute4", sshd.ip, sshd.port, "root"),
        key_file=sshd.client_key,
        password=None,
        known_hosts=sshd.workdir / "missing_known_hosts",
        connect_timeout=5,
        command_timeout=5,
        check_only=False,
        redactor=Redactor([]),
        loopback_only=True,
    )
    executors["compute4"] = broken
    try:
        results = fan_out(
            lambda n: executors[n].run(["echo", n], read_only=True).stdout.strip(),
            [*names, "compute4"],
            max_parallel=2,
        )
    finally:
        broken.close()
    assert [r for _, r in results[:3]] == names
    assert results[3][0] == "compute4" and isinstance(results[3][1], UnknownHost)


def test_ssh_client_agrees_with_the_fixture_known_hosts(sshd):
    # The fixture's known_hosts also works for OpenSSH's own client (same pinning semantics).
    out = subprocess.run(
        ["ssh", "-F", "/dev/null", "-i", str(sshd.client_key), "-p", str(sshd.port),
         "-o", f"UserKnownHostsFile={sshd.known_hosts}", "-o", "StrictHostKeyChecking=yes",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", f"root@{sshd.ip}", "echo pinned"],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "pinned\n"


# -- testinfra facts through the executor -----------------------------------------------------


def test_testinfra_facts_go_through_the_pinned_executor(make_executor, sshd, allure_recorder, tmp_path):
    host = facts_host(make_executor())
    assert host.file(str(sshd.known_hosts)).content_string == sshd.known_hosts.read_text()
    assert not host.file("/nonexistent/contrail-api.conf").exists
    assert host.run("echo %s", "a b").stdout == "a b\n"
    # Every testinfra command shows up as one of our (redacted, recorded) steps.
    assert any("/nonexistent/contrail-api.conf" in step for step in allure_recorder.steps)
    # And it refuses an unpinned host like the executor does.
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(UnknownHost):
        facts_host(make_executor(known_hosts=empty)).file("/etc/hostname").exists


# -- jump host -----------------------------------------------------------------------------


def test_jump_host_carries_the_session_over_one_local_socket(make_executor, sshd, monkeypatch):
    real_connect = socket.socket.connect
    dialled: list[tuple] = []

    def recording_connect(self, address):
        dialled.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    log_before = sshd.log_text()
    bastion = Target("bastion", sshd.ip, sshd.port, NOPASSWD_USER)
    ex = make_executor("root", jump=bastion, ip=sshd.alias_ip)
    assert ex.run("id -un", read_only=True).stdout == "root\n"
    # One TCP connection from here, to the bastion; the target session rides inside it.
    assert dialled == [(sshd.ip, sshd.port)]
    new_log = sshd.log_text()[len(log_before):]
    assert f"Accepted publickey for {NOPASSWD_USER}" in new_log
    assert f"on {sshd.alias_ip} port {sshd.port}" in new_log  # the bastion dialled the target
    assert "Accepted publickey for root" in new_log


def test_target_key_is_still_pinned_behind_a_jump_host(make_executor, sshd, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[{sshd.ip}]:{sshd.port} {sshd.host_key_line}\n")  # the bastion only
    bastion = Target("bastion", sshd.ip, sshd.port, "root")
    ex = make_executor("root", jump=bastion, known_hosts=known_hosts, name="ctl-new-1", ip=sshd.alias_ip)
    with pytest.raises(UnknownHost, match=rf"ctl-new-1 \({sshd.alias_ip}:{sshd.port}\)"):
        ex.run("true", read_only=True)


def test_unknown_jump_host_is_refused(make_executor, sshd, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[{sshd.alias_ip}]:{sshd.port} {sshd.host_key_line}\n")  # the target only
    bastion = Target("bastion", sshd.ip, sshd.port, "root")
    ex = make_executor("root", jump=bastion, known_hosts=known_hosts, ip=sshd.alias_ip)
    with pytest.raises(UnknownHost, match=rf"bastion \({sshd.ip}:{sshd.port}\)"):
        ex.run("true", read_only=True)
