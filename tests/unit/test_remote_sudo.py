"""sudo with a password (ssh.sudo_password) against a real sshd + sudo (tests/sshd_fixture.py,
sshd with UsePAM no; sudo authenticates through its own PAM stack and /etc/shadow).

The password goes to `sudo -S` on stdin only when sudo asks, never on a command line, and is
masked everywhere; a missing or wrong password stops the host's first root command with a
located error that says what sudo said, before anything is changed."""
from __future__ import annotations

import logging
import traceback

import pytest

from issu.remote import SudoRefused
from tests.sshd_fixture import NOPASSWD_USER, SUDO_USER, SUDO_USER_PASSWORD

MARK = "/tmp/issu-sudo-test-mark"
WRONG = "Not-The-Sudo-Pw-42"


def _absent(make_executor, path: str) -> bool:
    return make_executor("root").run(["test", "-e", path], read_only=True).rc == 1


def test_a_wrong_sudo_password_stops_before_the_command(make_executor, allure_recorder, caplog):
    caplog.set_level(logging.DEBUG, logger="issu.remote")
    ex = make_executor(SUDO_USER, sudo_password=WRONG, name="ctl-new-2")
    with pytest.raises(SudoRefused) as info:
        ex.run(["touch", MARK], read_only=False, stdin="url = \"http://127.0.0.1/\"\n")
    msg = str(info.value)
    assert "ctl-new-2" in msg and SUDO_USER in msg
    assert "refused the sudo password" in msg and "incorrect password" in msg  # what sudo said
    assert _absent(make_executor, MARK)
    # and it stays refused without asking sudo again (no further attempts in the auth log)
    steps_before = len(allure_recorder.steps)
    with pytest.raises(SudoRefused):
        ex.run("id -u", read_only=True, sudo=True)
    assert len(allure_recorder.steps) == steps_before
    everything = allure_recorder.everything() + caplog.text + msg + "".join(traceback.format_exception(info.value))
    assert WRONG not in everything


def test_a_missing_sudo_password_says_so(make_executor):
    ex = make_executor(SUDO_USER, name="ctl-old-1")
    with pytest.raises(SudoRefused, match=r"ctl-old-1 .*asks for a password and the inventory gives none"):
        ex.run(["touch", MARK], read_only=False)
    assert _absent(make_executor, MARK)


def test_reads_need_root_too_and_get_it_with_the_password(make_executor):
    ex = make_executor(SUDO_USER, sudo_password=SUDO_USER_PASSWORD)
    assert ex.run("id -u", read_only=True, sudo=True).check().stdout == "0\n"
    # -k: every command authenticates afresh, so each one consumes exactly its password line
    for payload in ("first\n", "second\nline\n"):
        assert ex.run("cat", read_only=True, sudo=True, stdin=payload).check().stdout == payload


def test_a_curl_config_on_stdin_follows_the_password_line(make_executor):
    """What facts.api_read does: `curl -K -` reads its config (a token header) from stdin."""
    ex = make_executor(SUDO_USER, sudo_password=SUDO_USER_PASSWORD)
    config = 'header = "X-Auth-Token: tok-123"\nurl = "http://127.0.0.1:9/"\n'
    res = ex.run("sed -n 's/^header = //p'", read_only=True, sudo=True, stdin=config).check()
    assert res.stdout == '"X-Auth-Token: tok-123"\n'


def test_the_password_is_on_no_command_line(make_executor):
    """Other users see /proc/*/cmdline: list every process's arguments while sudo runs."""
    ex = make_executor(SUDO_USER, sudo_password=SUDO_USER_PASSWORD)
    res = ex.run("cat /proc/[0-9]*/cmdline | tr '\\0' ' '", read_only=True, sudo=True).check()
    assert "sudo -S -k -p" in res.stdout and SUDO_USER_PASSWORD not in res.stdout


def test_passwordless_sudo_never_sees_the_password(make_executor, allure_recorder):
    ex = make_executor(NOPASSWD_USER, sudo_password=SUDO_USER_PASSWORD)
    assert ex.run("cat", read_only=True, sudo=True, stdin="mine\n").stdout == "mine\n"
    assert "verify the sudo password" not in " ".join(allure_recorder.steps)


def test_executor_repr_hides_the_password(make_executor):
    ex = make_executor(SUDO_USER, sudo_password=SUDO_USER_PASSWORD)
    assert SUDO_USER_PASSWORD not in repr(ex) and SUDO_USER_PASSWORD not in repr(vars(ex))
