"""End to end: the real runbook upgrades a real lab, asserted from the lab's own state.

One lab per inventory (default and HA), and the scenario an operator or QA runs:
check-only before (changes nothing), check-only with a fault (fails, says why),
migrate-config + compute1 only, roll compute1 back, a post-condition failure mid-run
(later steps blocked, Allure categories), then the whole upgrade, check-only after
(changes nothing), and no secret anywhere under the reports.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checks import introspect, service_status
from issu.inventory import Role
from issu.plugin import CATEGORIES
from lab import boot
from lab.node_exec import run_in_node
from lab.paths import LabPaths
from tests.lab.conftest import ROOT, lab_inventory

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SNAPSHOT = r"""
find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum
sha256sum /var/lib/dpkg/status
for s in /var/run/supervisord*.sock /var/run/supervisor.sock; do
  [ -S "$s" ] && supervisorctl -s "unix://$s" status | awk -v s="$s" '{print s, $1, $2}'
done
true
"""


class Lab:
    def __init__(self, inv, reports: Path):
        self.inv = inv
        self.m = inv.model
        self.dir = inv.lab_state_dir
        self.reports = reports
        self.runs = 0
        self.ha = len(self.m.old.nodes) > 1

    def default_only(self) -> None:
        if self.ha:
            pytest.skip("proven on the default lab; the HA lab runs the upgrade path (suite time budget)")

    def runbook(self, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
        self.runs += 1
        out = self.reports / f"run{self.runs}"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "runbook", "--cluster", str(self.inv.path), "-p", "no:cacheprovider",
             f"--alluredir={out / 'allure-results'}", f"--junitxml={out / 'junit.xml'}",
             f"--journal={out / 'journal.jsonl'}", "--settle-timeout=60", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        (out / "stdout.txt").write_text(proc.stdout + proc.stderr)
        return proc, out

    def sh(self, node: str, script: str) -> str:
        res = run_in_node(self.dir, node, ["sh", "-c", script], timeout=120)
        assert res.returncode == 0, f"{node}: {script}: {res.stderr}"
        return res.stdout

    def snapshot(self) -> dict[str, str]:
        return {n.name: hashlib.sha256(self.sh(n.name, SNAPSHOT).encode()).hexdigest() for n in self.m.all_nodes()}

    def settled_snapshot(self) -> dict[str, str]:
        last = self.snapshot()
        for _ in range(20):
            time.sleep(2)
            now = self.snapshot()
            if now == last:
                return now
            last = now
        raise AssertionError("the lab never settled")

    def agent_controls(self, compute) -> dict[str, str]:
        xml = self.sh(compute.name, f"curl -s http://{compute.ip}:8085/Snh_AgentXmppConnectionStatusReq")
        return {s.controller_ip: s.state for s in introspect.parse_agent_xmpp(xml)}

    def version(self, node: str, package: str = "contrail-vrouter-agent") -> str:
        return self.sh(node, f"dpkg-query -W -f '${{Version}}' {package}")

    def wait_agent_on(self, compute, ips: set[str], timeout: float = 90) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = self.agent_controls(compute)
            except AssertionError:
                found = {}
            if set(found) <= ips and found and all(v == "Established" for v in found.values()):
                return found
            if time.monotonic() > deadline:  # a wait that runs out fails; it never returns what it last saw
                raise AssertionError(f"{compute.name}: agent not Established to {sorted(ips)} only within "
                                     f"{timeout:.0f} s; last seen {found}")
            time.sleep(1)

    def issu_lab(self, *args: str) -> None:
        proc = subprocess.run([sys.executable, "-m", "lab.cli", *args, "--cluster", str(self.inv.path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr


def controls(cluster) -> set[str]:
    return {n.ip for n in cluster.with_role(Role.control)}


def results(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json")]


def category(result: dict) -> str | None:
    """The Allure category a result falls in (first match, as the report does)."""
    details = result.get("statusDetails", {})
    for cat in CATEGORIES:
        if result["status"] not in cat["matchedStatuses"]:
            continue
        if "messageRegex" in cat and not re.fullmatch(cat["messageRegex"], details.get("message", ""), re.S):
            continue
        if "traceRegex" in cat and not re.fullmatch(cat["traceRegex"], details.get("trace", ""), re.S):
            continue
        return cat["name"]
    return None


@pytest.fixture(scope="module", params=[("lab.yaml", "127.29"), ("lab-ha.yaml", "127.39")], ids=["default", "ha"])
def lab(request, tmp_path_factory):
    base, net = request.param
    inv = lab_inventory(tmp_path_factory.mktemp("inv"), base, "e2e-" + base.removesuffix(".yaml"), net)
    boot.down(inv)
    boot.up(inv, log=lambda m: None)
    yield Lab(inv, tmp_path_factory.mktemp("reports"))
    boot.down(inv)


def test_check_only_before_the_upgrade_passes_and_changes_nothing(lab):
    before = lab.settled_snapshot()
    proc, out = lab.runbook("--check-only")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert {r["status"] for r in results(out)} == {"passed"}
    assert lab.snapshot() == before


def test_check_only_fails_with_a_clear_reason_under_a_fault(lab):
    lab.default_only()
    lab.issu_lab("fault", "compute2", "agent-refuses")
    try:
        time.sleep(3)
        proc, out = lab.runbook("--check-only", "--phase", "preflight")
        assert proc.returncode == 1
        by_name = {r["name"]: r for r in results(out)}
        first = by_name["contrail-status is healthy on every live controller and compute"]
        assert first["status"] == "failed" and category(first) == "Post-condition failed"
        message = first["statusDetails"]["message"]
        assert "[compute2] contrail-status: expected every service active/backup, found contrail-vrouter-agent" in message
        assert "initializing (XMPP:control-node" in message
        baseline = by_name["Baseline: every agent has XMPP sessions Established to control nodes of one cluster"]
        assert category(baseline) == "Blocked by earlier failure"
    finally:
        lab.issu_lab("fault", "clear", "compute2")
    assert lab.wait_agent_on(lab.m.node("compute2"), controls(lab.m.old))


def test_migrate_config_and_compute1_only(lab):
    lab.default_only()
    proc, out = lab.runbook("--yes", "--phase", "migrate-config", "--phase", "migrate-compute", "--computes", "compute1")
    assert proc.returncode == 0, proc.stdout[-4000:]
    new_controls, old_controls = controls(lab.m.new), controls(lab.m.old)
    c1, c2 = lab.m.node("compute1"), lab.m.node("compute2")
    assert lab.version("compute1") == lab.m.new.version
    assert lab.version("compute2") == lab.m.old.version
    assert set(lab.wait_agent_on(c1, new_controls)) <= new_controls
    assert set(lab.wait_agent_on(c2, old_controls)) <= old_controls
    assert "server=" + lab.m.new.nodes[0].ip in lab.sh("compute1", "grep -A3 '^\\[DISCOVERY\\]' "
                                                                   "/etc/contrail/contrail-vrouter-agent.conf | tr -d ' '")
    steps = results(out)
    assert {r["status"] for r in steps} == {"passed"}
    per_command = [s for r in steps for s in r.get("steps", []) if s["name"].startswith("[")]
    assert per_command and all(any(a["name"] == "stdout" for a in s.get("attachments", [])) for s in per_command)


def test_rollback_compute1(lab):
    lab.default_only()
    proc, _ = lab.runbook("--yes", "--phase", "rollback-compute", "--computes", "compute1")
    assert proc.returncode == 0, proc.stdout[-4000:]
    old_controls = controls(lab.m.old)
    assert lab.version("compute1") == lab.m.old.version
    found = lab.wait_agent_on(lab.m.node("compute1"), old_controls)
    assert found and set(found) <= old_controls


def test_a_post_condition_failure_blocks_every_later_step(lab):
    lab.default_only()
    lab.issu_lab("fault", "compute2", "agent-refuses")
    try:
        proc, out = lab.runbook("--yes", "--phase", "migrate-compute", "--phase", "finalize", "--settle-timeout=8")
    finally:
        lab.issu_lab("fault", "clear", "compute2")
    # compute2 was mid-migration: once the fault is gone its agent joins the new controls
    assert lab.wait_agent_on(lab.m.node("compute2"), controls(lab.m.new))
    assert proc.returncode == 1
    by_name = {r["name"]: r for r in results(out)}
    failed = by_name["Migrate compute compute2 to the new controllers"]
    assert failed["status"] == "failed"
    message = failed["statusDetails"]["message"]
    assert "[compute2] agent XMPP sessions: expected Established to new controls" in message
    assert category(failed) == "Post-condition failed"
    blocked = [r for r in results(out) if "blocked by" in r.get("statusDetails", {}).get("message", "")]
    assert {r["name"] for r in blocked} >= {"Migrate compute compute3 to the new controllers",
                                            "Stop the Contrail services on the older version"}
    assert all(r["status"] == "failed" and category(r) == "Blocked by earlier failure" for r in blocked)
    assert lab.version("compute3") == lab.m.old.version  # blocked: really not run


def test_the_whole_upgrade_then_the_lab_is_upgraded(lab):
    proc, out = lab.runbook("--yes")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert {r["status"] for r in results(out)} == {"passed"}
    new_controls = controls(lab.m.new)
    for compute in lab.m.computes:
        assert lab.version(compute.name) == lab.m.new.version
        found = lab.wait_agent_on(compute, new_controls)
        assert found and set(found) <= new_controls, f"{compute.name}: {found}"
    cfg = lab.sh(lab.m.openstack.name, "cat /etc/haproxy/haproxy.cfg")
    servers = re.findall(r"^\s*server\s+\S+\s+([\d.]+):8082", cfg, re.M)
    assert set(servers) == {n.ip for n in lab.m.new.nodes}
    for node in lab.m.old.nodes:
        status = run_in_node(lab.dir, node.name, ["service", "supervisor-config", "status"])
        # judged by its text: upstart (lab.yaml) exits 0 when stopped, systemd (lab-ha.yaml) 3
        reading = service_status.parse_status(status.returncode, status.stdout, status.stderr)
        assert reading.stopped, f"{node.name}: {reading.describe()}"
    password = (LabPaths(lab.dir).secrets / "admin_password").read_text().strip()
    api = lab.m.new.nodes[0]
    from lab.contrail.sim.common import keystone_auth  # a keystone token: contrail-api refuses HTTP Basic

    token = keystone_auth.get_token(lab.m.keystone_url(), lab.m.keystone.admin_user, password,
                                    lab.m.keystone.admin_tenant_name).id
    routers = json.loads(lab.sh(api.name, f"curl -s -H 'X-Auth-Token: {token}' http://{api.ip}:8082/bgp-routers"))
    names = {r["fq_name"][-1] for r in routers["bgp-routers"]}
    assert names == {n.name for n in lab.m.new.nodes}


def test_check_only_after_the_upgrade_passes_and_changes_nothing(lab):
    before = lab.settled_snapshot()
    proc, out = lab.runbook("--check-only")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert lab.snapshot() == before


def test_no_secret_in_any_report(lab):
    secrets_dir = LabPaths(lab.dir).secrets
    secrets = [(secrets_dir / n).read_text().strip()
               for n in ("admin_password", "rabbit_password", "root_password", "sudo_password")]
    key_lines = [ln for ln in (secrets_dir / "ssh_key").read_text().splitlines() if ln and "PRIVATE KEY" not in ln]
    assert lab.runs >= (3 if lab.ha else 6)
    files = [p for p in lab.reports.rglob("*") if p.is_file()]
    assert len(files) > 50
    for path in files:
        text = path.read_text(errors="replace")
        for secret in secrets + key_lines:
            assert secret not in text, f"a secret leaked into {path}"
        # keystone tokens (UUID, 32 hex): never in a header line, a token response or the journal
        assert not re.search(r"(?i)x-(auth|subject)-token:\s*[0-9a-f]{32}", text), f"a token leaked into {path}"
        assert not re.search(r'"token":\s*\{\s*"id":\s*"[0-9a-f]{32}"', text), f"a token leaked into {path}"
