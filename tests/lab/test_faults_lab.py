"""End to end: every fault kind applied to a real lab node, observed, then cleared.

Boots a copy of clusters/lab.yaml on 127.62.0.0/16 (its own state dir). Each test applies
one fault through lab.faults (what `issu-lab fault` calls), checks the effect from the
outside the way an operator would see it, clears it and checks the node is back.
"""
from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from checks import introspect

from checks.service_status import State, parse_status
from lab import faults
from lab.node_exec import run_in_node
from tests.lab.conftest import running_lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab.yaml", "faultlab", "127.62") as inv:
        yield inv


def sh(inv, node: str, script: str, timeout: float = 60):
    return run_in_node(inv.lab_state_dir, node, ["sh", "-c", script], timeout=timeout)


def apply(inv, node: str, kind: str):
    return faults.apply_fault(inv.lab_state_dir, inv.model, node, kind)


def clear(inv, node: str, kind: str | None = None):
    return faults.clear_fault(inv.lab_state_dir, inv.model, node, kind)


def active(inv) -> set[tuple[str, str]]:
    return {(r.node, r.kind) for r in faults.active_faults(inv.lab_state_dir)}


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.3)


def ssh_banner(ip: str, timeout: float = 2.0) -> str | None:
    """The SSH server's greeting, or None when the port accepts but nobody answers."""
    with socket.create_connection((ip, 22), timeout=timeout) as s:
        s.settimeout(timeout)
        try:
            return s.recv(64).decode(errors="replace")
        except socket.timeout:
            return None


def test_node_down_freezes_every_process_of_the_node(lab):
    node = lab.model.computes[2]
    assert (ssh_banner(node.ip) or "").startswith("SSH-2.0")
    apply(lab, node.name, "node-down")
    ns = faults.node_namespace(lab.lab_state_dir, node.name)
    try:
        members = faults.namespace_members(ns)
        assert len(members) > 2  # init, sshd, supervisord, ...
        assert all(faults._proc_state(p) in ("T", "t", "Z") for p in members)
        assert ssh_banner(node.ip) is None
        assert (node.name, "node-down") in active(lab)
        # other nodes keep answering
        assert (ssh_banner(lab.model.computes[1].ip) or "").startswith("SSH-2.0")
    finally:
        cleared = clear(lab, node.name)
    assert cleared == ["node-down"]
    assert not any(faults._proc_state(p) in ("T", "t") for p in faults.namespace_members(ns))
    assert (ssh_banner(node.ip, timeout=5) or "").startswith("SSH-2.0")
    assert active(lab) == set()


def test_control_stopped(lab):
    node = lab.model.old.nodes[0].name
    def control_status():
        proc = sh(lab, node, "service supervisor-control status")
        return parse_status(proc.returncode, proc.stdout, proc.stderr)

    assert control_status().running
    apply(lab, node, "control-stopped")
    try:
        assert control_status().state is State.stopped
        assert sh(lab, node, "test -S /var/run/supervisord_control.sock").returncode == 1
    finally:
        clear(lab, node, "control-stopped")
    assert control_status().running
    assert active(lab) == set()


def _agent_xmpp(ip: str) -> str | None:
    try:
        with urllib.request.urlopen(f"http://{ip}:8085/Snh_AgentXmppConnectionStatusReq", timeout=3) as r:
            return r.read().decode()
    except OSError:
        return None


def _established(ip: str) -> bool:
    """Any XMPP session of the agent Established, read with the runbook's own parser (sandesh
    writes typed elements, so a plain `<state>Established</state>` string never matches)."""
    xml = _agent_xmpp(ip)
    return xml is not None and any(s.established for s in introspect.parse_agent_xmpp(xml))


def test_agent_refuses_sets_the_flag_the_agent_honours(lab):
    node = lab.model.computes[0]
    flag = faults.flag_path("agent-refuses")
    assert sh(lab, node.name, f"test -e {flag}").returncode == 1
    wait_for(lambda: _established(node.ip), 30, "the agent's first XMPP session")
    apply(lab, node.name, "agent-refuses")
    try:
        assert sh(lab, node.name, f"cat {flag}").returncode == 0
        wait_for(lambda: _agent_xmpp(node.ip) is not None and not _established(node.ip), 30,
                 f"the agent to drop its XMPP sessions (does it honour {flag}?)")
    finally:
        clear(lab, node.name, "agent-refuses")
    assert sh(lab, node.name, f"test -e {flag}").returncode == 1
    wait_for(lambda: _established(node.ip), 30, "the agent to connect again after clear")
    assert active(lab) == set()


def test_package_install_fails(lab):
    node = lab.model.computes[1].name
    old = lab.model.old.version
    install = f"DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall contrail-lib={old}"
    apply(lab, node, "package-install-fails")
    try:
        proc = sh(lab, node, install)
        assert proc.returncode != 0
        assert "lab fault: package install fails" in proc.stderr
        status = sh(lab, node, "dpkg-query -W -f '${Version} ${db:Status-Abbrev}' contrail-lib").stdout
        assert status.split()[:2] == [old, "ii"]
    finally:
        clear(lab, node, "package-install-fails")
    proc = sh(lab, node, install)
    assert proc.returncode == 0, proc.stderr
    assert sh(lab, node, f"test -e {faults.APT_FAULT_FILE}").returncode == 1
    assert sh(lab, node, "dpkg-query -W -f '${Version}' contrail-lib").stdout == old
    assert active(lab) == set()


# A stand-in run-sync earlier on PATH than any packaged one, so the test exercises the
# fault's mechanism (executable swap + supervisord) whatever the config plane ships.
STAND_IN = "#!/bin/sh\nwhile :; do sleep 1; done\n"
ISSU_PROGRAM = """[program:contrail-issu]
command = contrail-issu-run-sync
numprocs = 1
process_name = %(process_num)s
redirect_stderr = true
stdout_logfile = /var/log/issu-contrail-run-sync-%(process_num)s-stdout.log
stderr_logfile = /dev/null
priority = 440
autostart = true
killasgroup = false
stopsignal = KILL
exitcodes = 0
"""


def _issu_state(inv, node: str) -> str:
    out = sh(inv, node, "supervisorctl status 'contrail-issu:*'").stdout.split()
    return out[1] if len(out) > 1 else ""


def test_run_sync_dies_under_the_system_supervisord(lab):
    node = lab.model.new.nodes[0].name
    setup = (
        f"printf '%s' '{STAND_IN}' > /usr/local/bin/contrail-issu-run-sync && "
        "chmod 0755 /usr/local/bin/contrail-issu-run-sync && "
        f"cat > {faults.ISSU_PROGRAM_CONF} <<'EOF'\n{ISSU_PROGRAM}EOF\n"
        "supervisorctl update >/dev/null"
    )
    assert sh(lab, node, setup).returncode == 0
    try:
        wait_for(lambda: _issu_state(lab, node) == "RUNNING", 20, "contrail-issu:0 RUNNING")
        apply(lab, node, "run-sync-dies")
        wait_for(lambda: _issu_state(lab, node) == "FATAL", 40, "contrail-issu:0 FATAL")
        log = sh(lab, node, "cat /var/log/issu-contrail-run-sync-0-stdout.log").stdout
        assert "lab fault run-sync-dies" in log
        clear(lab, node, "run-sync-dies")
        wait_for(lambda: _issu_state(lab, node) == "RUNNING", 20, "contrail-issu:0 RUNNING again")
        assert sh(lab, node, "cat /usr/local/bin/contrail-issu-run-sync").stdout == STAND_IN
        assert active(lab) == set()
    finally:
        sh(lab, node, f"rm -f {faults.ISSU_PROGRAM_CONF} /usr/local/bin/contrail-issu-run-sync*; "
                      "supervisorctl update >/dev/null")


def test_clear_all_thaws_a_frozen_node(lab):
    node = lab.model.computes[1]
    apply(lab, node.name, "node-down")
    assert ssh_banner(node.ip) is None
    cleared = faults.clear_all_faults(lab.lab_state_dir, lab.model)
    assert [(r.node, r.kind) for r in cleared] == [(node.name, "node-down")]
    assert (ssh_banner(node.ip, timeout=5) or "").startswith("SSH-2.0")
