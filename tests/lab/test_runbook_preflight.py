"""End to end: `pytest runbook --cluster <lab> --phase preflight` against a real lab,
asserted on the exit code, the Allure results, the JUnit file and the journal."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab import boot
from lab.node_exec import run_in_node
from tests.lab.conftest import ROOT, lab_inventory

pytestmark = pytest.mark.lab


def runbook(inv, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "runbook", "--cluster", str(inv.path), "-p", "no:cacheprovider",
         f"--alluredir={out / 'allure'}", f"--junitxml={out / 'junit.xml'}", f"--journal={out / 'journal.jsonl'}",
         *args], cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def allure_results(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (out / "allure").glob("*-result.json")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    inv = lab_inventory(tmp_path_factory.mktemp("inv"), "lab.yaml", "rbtest", "127.28")
    boot.down(inv)
    yield inv
    boot.down(inv)


def test_preflight_boots_the_lab_and_passes(lab, tmp_path):
    proc = runbook(lab, tmp_path, "--phase", "preflight")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "booting it" in proc.stdout
    results = {r["name"]: r for r in allure_results(tmp_path)}
    assert {r["status"] for r in results.values()} == {"passed"} and len(results) == 9
    identity = results["Every node of the inventory is reachable over SSH and is the host the inventory says"]
    hosts = {s["name"] for s in identity["steps"]}
    assert hosts == {f"[{n.name}] $ hostname" for n in lab.model.all_nodes()}
    for step in identity["steps"]:
        assert {a["name"] for a in step["attachments"]} >= {"stdout", "result"}
    env = (tmp_path / "allure/environment.properties").read_text()
    assert "cluster=rbtest\n" in env and "version.new=3.2.10.0-59\n" in env
    assert json.loads((tmp_path / "allure/categories.json").read_text())[0]["name"] == "Blocked by earlier failure"
    journal = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert [e["event"] for e in journal if e["step"] == "session"] == ["start", "finish"]
    assert sum(e["event"] == "call:passed" for e in journal) == 9
    assert {e["inventory"] for e in journal} == {lab.digest}
    assert 'tests="9"' in (tmp_path / "junit.xml").read_text()


def test_preflight_fails_when_a_node_does_not_answer(lab, tmp_path):
    assert boot.lab_status(lab) == "up"
    killed = run_in_node(lab.lab_state_dir, "compute2", ["pkill", "-x", "sshd"])
    assert killed.returncode == 0, killed.stderr
    try:
        proc = runbook(lab, tmp_path, "--phase", "preflight", "--no-lab-autostart")
        assert proc.returncode == 1, proc.stdout[-3000:]
        assert "[compute2] 127.28.2.2: unreachable:" in proc.stdout
        by_name = {r["name"]: r for r in allure_results(tmp_path)}
        first = by_name.pop("Every node of the inventory is reachable over SSH and is the host the inventory says")
        assert first["status"] == "failed"
        assert "[compute2] 127.28.2.2: unreachable" in first["statusDetails"]["message"]
        assert by_name and all(r["status"] == "failed" and "blocked by test_every_node_is_reachable_and_is_the_"
                               "declared_host" in r["statusDetails"]["message"] for r in by_name.values())
    finally:
        run_in_node(lab.lab_state_dir, "compute2", ["/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config"])
