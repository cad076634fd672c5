"""End to end: the vRouter kernel module and the TOR agent through migrate-compute and rollback.

Boots a copy of clusters/lab.yaml on 127.75.0.0/16 and asserts from the lab's own state
(inside the nodes, through lab/node_exec.py, never the runbook's word): the module loaded
at boot is the build of the installed module package; `rmmod` refuses it while the agent
runs (kmod's text and exit code); after `--phase migrate-compute` every compute runs the
new package's module and compute1's TOR agent conf points at the new discovery with its
XMPP sessions on the new control nodes only; `--phase rollback-compute` undoes both.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from checks import introspect, vrouter_module
from issu.inventory import Role
from lab.contrail import packages as pk
from lab.contrail.controlplane import layout
from lab.node_exec import run_in_node
from tests.lab.conftest import ROOT, running_lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]

TOR_CONF = f"/etc/contrail/contrail-tor-agent-{layout.TOR_ID}.conf"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab.yaml", "kmodlab", "127.75") as inv:
        yield inv


def sh(inv, node: str, script: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return run_in_node(inv.lab_state_dir, node, ["sh", "-c", script], timeout=timeout)


def loaded_build(inv, node: str) -> str | None:
    res = sh(inv, node, "vrouter --info")
    build = vrouter_module.parse_vrouter_info(res.stdout)
    return build.version if build else None


def discovery_of(inv, node: str, path: str) -> str:
    res = sh(inv, node, f"crudini --get {path} DISCOVERY server")
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def tor_sessions_on(inv, compute, ips: set[str], timeout: float = 60) -> dict[str, str]:
    """Wait until compute's TOR agent has Established sessions to `ips` only; fail on timeout."""
    deadline = time.monotonic() + timeout
    found: dict[str, str] = {}
    while time.monotonic() < deadline:
        res = sh(inv, compute.name, f"curl -s --max-time 5 http://{compute.ip}:{layout.TOR_HTTP_PORT}/"
                                    "Snh_AgentXmppConnectionStatusReq")
        if res.returncode == 0 and res.stdout.strip():
            found = {s.controller_ip: s.state for s in introspect.parse_agent_xmpp(res.stdout)}
            if found and set(found) == ips and all(v == "Established" for v in found.values()):
                return found
        time.sleep(1)
    raise AssertionError(f"[{compute.name}] TOR agent sessions: expected Established to {sorted(ips)}, "
                         f"found {found or 'none'} after {timeout} s")


def runbook(inv, tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "runbook", "--cluster", str(inv.path), "-p", "no:cacheprovider", "--yes",
         f"--journal={tmp_path / 'journal.jsonl'}", f"--alluredir={tmp_path / 'allure'}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)


def controls(cluster) -> set[str]:
    return {n.ip for n in cluster.with_role(Role.control)}


def first_config_ip(cluster) -> str:
    return cluster.with_role(Role.config)[0].ip


def test_boot_loads_the_installed_packages_module(lab):
    old = lab.model.old.version
    for c in lab.model.computes:
        assert loaded_build(lab, c.name) == vrouter_module.upstream_version(old), c.name
        rows = vrouter_module.parse_lsmod(sh(lab, c.name, "lsmod").stdout)
        assert rows["vrouter"].used_by == 1, c.name  # the running agent holds it
        pkg = sh(lab, c.name, f"dpkg-query -W -f '${{Version}}' {pk.kmod_package()}")
        assert pkg.stdout == old, c.name


def test_rmmod_fails_while_the_agent_runs(lab):
    c = lab.model.computes[0].name
    res = sh(lab, c, "rmmod vrouter")
    assert (res.returncode, res.stderr) == (1, "rmmod: ERROR: Module vrouter is in use\n")
    res = sh(lab, c, "modprobe -r vrouter")
    assert (res.returncode, res.stderr) == (1, "modprobe: FATAL: Module vrouter is in use.\n")
    assert loaded_build(lab, c) == vrouter_module.upstream_version(lab.model.old.version)


def test_only_the_first_compute_has_a_tor_agent(lab):
    first, *rest = lab.model.computes
    assert discovery_of(lab, first.name, TOR_CONF) == first_config_ip(lab.model.old)
    status = sh(lab, first.name, "contrail-status").stdout
    assert f"contrail-tor-agent-{layout.TOR_ID}" in status and "active" in status
    tor_sessions_on(lab, first, controls(lab.model.old))
    for c in rest:
        assert sh(lab, c.name, "ls /etc/contrail/contrail-tor-agent-* 2>/dev/null").stdout == "", c.name


def test_migrate_compute_reloads_the_module_and_moves_the_tor_agent(lab, tmp_path):
    proc = runbook(lab, tmp_path, "--phase", "migrate-compute")
    assert proc.returncode == 0, proc.stdout[-4000:]
    new = lab.model.new
    for c in lab.model.computes:
        assert loaded_build(lab, c.name) == vrouter_module.upstream_version(new.version), c.name
    first = lab.model.computes[0]
    assert discovery_of(lab, first.name, TOR_CONF) == first_config_ip(new)
    tor_sessions_on(lab, first, controls(new))
    journal = (tmp_path / "journal.jsonl").read_text()
    assert "rmmod vrouter" in journal and "modprobe vrouter" in journal and TOR_CONF in journal


def test_second_migrate_plans_nothing(lab, tmp_path):
    proc = runbook(lab, tmp_path, "--phase", "migrate-compute")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert '"applied"' not in (tmp_path / "journal.jsonl").read_text()


def test_rollback_compute_restores_the_old_module_and_tor_discovery(lab, tmp_path):
    first = lab.model.computes[0]
    proc = runbook(lab, tmp_path, "--phase", "rollback-compute", "--computes", first.name)
    assert proc.returncode == 0, proc.stdout[-4000:]
    old = lab.model.old
    assert loaded_build(lab, first.name) == vrouter_module.upstream_version(old.version)
    assert discovery_of(lab, first.name, TOR_CONF) == first_config_ip(old)
    tor_sessions_on(lab, first, controls(old))
    for c in lab.model.computes[1:]:  # untouched
        assert loaded_build(lab, c.name) == vrouter_module.upstream_version(lab.model.new.version), c.name
