"""issu.remote guards and pure helpers, without any SSH server.

The loopback and check-only guards must act before a socket exists: the `no_network`
fixture makes name resolution and every connect fail the test.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from issu.redact import MASK, Redactor
from issu.remote import (
    CheckOnlyViolation,
    CommandFailed,
    CommandResult,
    SshExecutor,
    Target,
    TransportError,
    guard_address,
    join_command,
    loopback_required,
    needs_sudo,
    sudo_wrap,
)

from .conftest import SECRET, closed_port


def executor(ip: str = "127.30.9.9", *, port: int = 22, user: str = "root", **overrides) -> SshExecutor:
    args = dict(
        key_file=Path("/nonexistent/id_ed25519"),
        password=None,
        known_hosts=Path("/nonexistent/known_hosts"),
        connect_timeout=5.0,
        command_timeout=5.0,
        check_only=False,
        redactor=Redactor([SECRET]),
        loopback_only=True,
    )
    args.update(overrides)
    return SshExecutor(Target("ctl-old-1", ip, port, user), **args)


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ISSU_LOOPBACK_ONLY", raising=False)


# -- command construction --------------------------------------------------------


def test_list_commands_are_joined_with_shell_quoting():
    assert join_command(["echo", "a b", "$HOME", "it's"]) == "echo 'a b' '$HOME' 'it'\"'\"'s'"


def test_string_commands_are_used_as_given():
    assert join_command("ls -l /etc/contrail | wc -l") == "ls -l /etc/contrail | wc -l"


@pytest.mark.parametrize("empty", ["", "   ", []])
def test_empty_commands_are_refused(empty):
    with pytest.raises(ValueError):
        join_command(empty)


def test_sudo_wrap_without_password_never_prompts():
    assert sudo_wrap("service supervisor-config restart") == (
        "sudo -n -- sh -c 'service supervisor-config restart'"
    )


def test_sudo_wrap_with_password_reads_it_from_stdin_not_the_command_line():
    wire = sudo_wrap("echo 'x' > /etc/y", password_on_stdin=True)
    assert wire == "sudo -S -k -p '' -- sh -c 'echo '\"'\"'x'\"'\"' > /etc/y'"


@pytest.mark.parametrize(
    "user, read_only, sudo, expected",
    [
        ("root", False, False, False),
        ("root", True, True, False),
        ("ops", False, False, True),  # mutating as non-root: sudo
        ("ops", True, False, False),  # reading as non-root: as the user
        ("ops", True, True, True),  # reading a root-only file: asked for
    ],
)
def test_who_needs_sudo(user, read_only, sudo, expected):
    assert needs_sudo(user, read_only=read_only, sudo=sudo) is expected


# -- loopback guard -------------------------------------------------------------------


def test_loopback_guard_refuses_outside_127_8():
    with pytest.raises(TransportError, match=r"refusing to connect to 192\.0\.2\.3.*127\.0\.0\.0/8"):
        guard_address(Target("c1", "192.0.2.3", 22, "root"), loopback_only=True)


def test_loopback_guard_refuses_ipv6_loopback_too():
    with pytest.raises(TransportError):
        guard_address(Target("c1", "::1", 22, "root"), loopback_only=True)


def test_loopback_guard_accepts_any_127_address():
    assert str(guard_address(Target("c1", "127.18.2.1", 22, "root"), loopback_only=True)) == "127.18.2.1"


def test_outside_the_lab_other_addresses_are_allowed():
    assert str(guard_address(Target("c1", "192.0.2.3", 22, "root"), loopback_only=False)) == "192.0.2.3"


@pytest.mark.parametrize("flag", [True, False])
def test_host_names_are_never_accepted(flag):
    with pytest.raises(TransportError, match="not a literal IP"):
        guard_address(Target("c1", "localhost", 22, "root"), loopback_only=flag)


def test_port_out_of_range_is_refused():
    with pytest.raises(TransportError, match="port 0"):
        guard_address(Target("c1", "127.0.0.1", 0, "root"), loopback_only=True)


@pytest.mark.parametrize(
    "env, expected",
    [({}, False), ({"CI": "true"}, True), ({"ISSU_LOOPBACK_ONLY": "1"}, True), ({"ISSU_LOOPBACK_ONLY": "0"}, False)],
)
def test_environment_forces_loopback_only(env, expected):
    assert loopback_required(False, env) is expected
    assert loopback_required(True, env) is True


@pytest.fixture
def usable_files(tmp_path):
    """An existing known_hosts and a password, so only the guard can stop the connection."""
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("192.0.2.3 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHpO+WeVWcCNQUkXV92sJQfh5CbdlhkakCisPkb93nL2\n")
    return dict(known_hosts=known_hosts, key_file=None, password="some-password")


def test_executor_refuses_10_1_2_3_before_any_socket(no_network, clean_env, usable_files):
    ex = executor("192.0.2.3", **usable_files)
    with pytest.raises(TransportError, match=r"refusing to connect to 192\.0\.2\.3: loopback-only"):
        ex.run("true", read_only=True)
    assert no_network == []


def test_ci_environment_forces_the_guard_even_if_not_asked(no_network, monkeypatch, usable_files):
    monkeypatch.setenv("CI", "1")
    ex = executor("192.0.2.3", loopback_only=False, **usable_files)
    with pytest.raises(TransportError, match="loopback-only"):
        ex.run("true", read_only=True)
    assert no_network == []


def test_executor_does_not_resolve_host_names(no_network, clean_env, usable_files):
    ex = executor("ctl-old-1.example.net", loopback_only=False, **usable_files)
    with pytest.raises(TransportError, match="not a literal IP"):
        ex.run("true", read_only=True)
    assert no_network == []


def test_jump_host_outside_loopback_is_refused_before_any_socket(no_network, clean_env, usable_files):
    ex = executor("127.30.9.9", jump=Target("bastion", "192.0.2.3", 22, "root"), **usable_files)
    with pytest.raises(TransportError, match="bastion: refusing to connect to 192.0.2.3"):
        ex.run("true", read_only=True)
    assert no_network == []


def test_target_outside_loopback_is_refused_even_behind_a_loopback_jump(no_network, clean_env, usable_files):
    ex = executor("192.0.2.3", jump=Target("bastion", "127.30.9.9", 22, "root"), **usable_files)
    with pytest.raises(TransportError, match="ctl-old-1: refusing to connect to 192.0.2.3"):
        ex.run("true", read_only=True)
    assert no_network == []


# -- check-only guard -------------------------------------------------------------------


def test_check_only_refuses_a_mutating_command_before_connecting(no_network, allure_recorder):
    ex = executor(check_only=True)
    with pytest.raises(CheckOnlyViolation) as info:
        ex.run(["openstack-config", "--set", "/etc/x.conf", "DEFAULTS", "password", SECRET], read_only=False)
    message = str(info.value)
    assert "ctl-old-1" in message
    assert "openstack-config --set /etc/x.conf DEFAULTS password" in message
    assert SECRET not in message and MASK in message
    assert no_network == []
    assert allure_recorder.steps == []  # nothing was run, so nothing is recorded as run


def test_check_only_lets_read_only_commands_through(clean_env, tmp_path):
    # Read-only commands are not refused: this one gets as far as connecting (to a closed
    # loopback port), which fails as a TransportError, not a CheckOnlyViolation.
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    ex = executor(
        "127.30.0.1", port=closed_port(), check_only=True, known_hosts=known_hosts,
        key_file=None, password="not-used-pw",
    )
    with pytest.raises(TransportError, match="cannot connect to ctl-old-1"):
        ex.run("contrail-status", read_only=True)


def test_missing_known_hosts_file_is_refused_before_connecting(no_network, clean_env):
    ex = executor("127.30.9.9")
    with pytest.raises(TransportError, match="known_hosts file /nonexistent/known_hosts does not exist"):
        ex.run("true", read_only=True)
    assert no_network == []


# -- results and errors ------------------------------------------------------------------


def test_check_returns_the_result_when_rc_is_zero():
    r = CommandResult("c1", "true", 0, "out", "", 0.1)
    assert r.check() is r and r.ok


def test_check_raises_with_host_command_rc_and_stderr_tail():
    stderr = "".join(f"line {i}\n" for i in range(1, 31))
    r = CommandResult("compute2", "service supervisor-vrouter restart", 3, "", stderr, 0.5)
    with pytest.raises(CommandFailed) as info:
        r.check()
    err = info.value
    assert (err.host, err.command, err.rc) == ("compute2", "service supervisor-vrouter restart", 3)
    text = str(err)
    assert "compute2" in text and "rc=3" in text and "service supervisor-vrouter restart" in text
    assert "line 30" in text and "line 11\n" in text
    assert "line 10\n" not in text  # only the tail (20 lines)


def test_result_repr_does_not_show_output():
    r = CommandResult("c1", "cat /etc/contrail/contrail-api.conf", 0, f"rabbit_password = {SECRET}", "", 0.1)
    assert SECRET not in repr(r)
    assert "rc=0" in repr(r)


def test_executor_repr_and_errors_do_not_show_the_password():
    ex = executor(password="P4ssw0rd-of-ops", key_file=None)
    assert "P4ssw0rd" not in repr(ex)
    assert "P4ssw0rd" not in repr(vars(ex))
    # Its own password is masked even though the caller's redactor did not know it.
    assert ex.redactor.redact("x P4ssw0rd-of-ops") == f"x {MASK}"


def test_executor_needs_a_credential():
    with pytest.raises(ValueError, match="key file or a password"):
        executor(key_file=None, password=None)


def test_check_only_violation_is_logged_nowhere_as_run(no_network, caplog):
    caplog.set_level(logging.DEBUG, logger="issu.remote")
    with pytest.raises(CheckOnlyViolation):
        executor(check_only=True).run("rm -rf /etc/contrail", read_only=False)
    assert "$ rm" not in caplog.text
