"""A copy of clusters/lab-ha.yaml (127.47.0.0/16): the runbook logs in as `operator`, whose sudo
asks for its password (ssh.sudo_password), on nodes whose init answers as systemd.

- the lab creates the users as the inventory says (operator: password sudo, contrail: NOPASSWD);
- `service` through sudo answers as systemd, and checks.service_status reads it;
- the runbook's pre-flight passes, and the sudo password is in no artifact (Allure results,
  JUnit, journal, stdout/stderr);
- a wrong sudo password stops the pre-flight with a located error saying what sudo said."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checks.service_status import Init, parse_status
from issu.fleet import Fleet
from issu.inventory import load
from issu.remote import SudoRefused
from lab import boot
from tests.lab.conftest import ROOT, lab_inventory

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    inv = lab_inventory(tmp_path_factory.mktemp("inv"), "lab-ha.yaml", "sudolab", "127.47")
    boot.down(inv)
    try:
        assert boot.up(inv, timeout=600, log=lambda m: None) is True
        yield inv
    finally:
        boot.down(inv)


def sudo_password(inv) -> str:
    return inv.secret(inv.model.ssh.sudo_password).resolve()


def runbook(inv_path: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "runbook", "--cluster", str(inv_path), "-p", "no:cacheprovider",
         f"--alluredir={out / 'allure'}", f"--junitxml={out / 'junit.xml'}", f"--journal={out / 'journal.jsonl'}",
         "--no-lab-autostart", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def everything_written(out: Path, proc: subprocess.CompletedProcess) -> str:
    texts = [proc.stdout, proc.stderr]
    texts += [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    return "\n".join(texts)


def test_operator_logs_in_and_sudo_asks_its_password(lab):
    assert lab.model.ssh.user == "operator" and lab.model.lab.init == "systemd"
    fleet = Fleet(lab, check_only=True)
    try:
        node = lab.model.new.nodes[0]
        ex = fleet.executor(node)
        assert ex.run("id -un", read_only=True).stdout.strip() == "operator"
        asked = ex.run("sudo -n true", read_only=True)
        assert asked.rc == 1 and "password is required" in asked.stderr
        assert ex.run("id -u", read_only=True, sudo=True).check().stdout == "0\n"
        # `contrail` keeps its passwordless sudo on every lab
        contrail = ex.run("sudo -n -u contrail sudo -n id -u", read_only=True, sudo=True)
        assert contrail.check().stdout == "0\n"
    finally:
        fleet.close()


def test_service_status_answers_as_systemd(lab):
    fleet = Fleet(lab, check_only=True)
    try:
        node = lab.model.old.nodes[0]
        res = fleet.executor(node).run("service supervisor-config status", read_only=True, sudo=True)
        st = parse_status(res.rc, res.stdout, res.stderr)
        assert st.running and st.init is Init.systemd, res.stdout
        assert "Active: active (running)" in res.stdout
    finally:
        fleet.close()


def test_preflight_passes_as_operator_and_the_password_is_in_no_artifact(lab, tmp_path):
    proc = runbook(lab.path, tmp_path, "--phase", "preflight")
    assert proc.returncode == 0, proc.stdout[-4000:]
    written = everything_written(tmp_path, proc)
    assert "verify the sudo password" in written  # the password sudo path was taken
    assert sudo_password(lab) not in written


def test_a_wrong_sudo_password_stops_preflight_with_a_located_error(lab, tmp_path):
    wrong = tmp_path / "wrong-sudo-password"
    wrong.write_text("Wrong-Sudo-Pw-9134\n")
    wrong.chmod(0o600)
    data = yaml.safe_load(lab.path.read_text())
    data["ssh"]["sudo_password"] = {"file": str(wrong)}
    path = tmp_path / "wrong.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    fleet = Fleet(load(path), check_only=True)
    try:
        with pytest.raises(SudoRefused, match=r"ctl-old-1 .*operator refused the sudo password.*incorrect password"):
            fleet.executor(lab.model.old.nodes[0]).run("id -u", read_only=True, sudo=True)
    finally:
        fleet.close()
    out = tmp_path / "out"
    proc = runbook(path, out, "--phase", "preflight")
    assert proc.returncode == 1
    assert "refused the sudo password" in proc.stdout, proc.stdout[-4000:]
    assert "Wrong-Sudo-Pw-9134" not in everything_written(out, proc)
