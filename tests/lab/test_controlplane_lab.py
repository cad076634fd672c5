"""End to end: control nodes, vrouter agents and contrail-status inside a booted lab.

Boots a copy of clusters/lab.yaml on 127.32.0.0/16 (state dir /var/lib/issu-lab/cplab) and
checks, over the nodes' own addresses and commands: agents Established to the old control
node they found through the old discovery, contrail-status healthy, old<->new BGP peering
only once both clusters have both control nodes configured, a stopped control node
dropping the session, and an agent repointed at the new discovery moving to the new control.
"""
from __future__ import annotations

import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from lab.node_exec import run_in_node
from tests.lab.conftest import running_lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab.yaml", "cplab", "127.32") as inv:
        yield inv


def sh(inv, node: str, script: str, timeout: float = 120):
    return run_in_node(inv.lab_state_dir, node, ["sh", "-c", script], timeout=timeout)


def wait_until(predicate, timeout: float = 90.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def get_xml(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return ET.fromstring(resp.read().decode().split("?>", 1)[1])
    except OSError:
        return None


def neighbors(ip: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    path = "Snh_BgpNeighborReq?search_string="
    while path:
        root = get_xml(f"http://{ip}:8083/{path}")
        if root is None:
            return out
        out.update({n.findtext("peer"): (n.findtext("encoding"), n.findtext("state"))
                    for n in root.iter("BgpNeighborResp")})
        key = root.findtext("next_batch") or ""
        path = f"Snh_BgpNeighborReqIterate?x={urllib.request.quote(key)}" if key else ""
    return out


def agent_channels(ip: str) -> dict[str, str]:
    root = get_xml(f"http://{ip}:8085/Snh_AgentXmppConnectionStatusReq")
    return {} if root is None else {d.findtext("controller_ip"): d.findtext("state") for d in root.iter("AgentXmppData")}


def status_lines(inv, node: str) -> dict[str, str]:
    proc = sh(inv, node, "contrail-status; echo rc=$?")
    assert proc.stdout.rstrip().endswith("rc=0"), proc.stdout + proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        if line and not line.startswith("==") and not line.startswith("rc="):
            name, _, state = line.partition(" ")
            out[name.rstrip(":")] = state.strip()
    return out


def provision(inv, on_node: str, api_ip: str, host: str, ip: str, oper: str = "add"):
    pw = sh(inv, on_node, "crudini --get /etc/contrail/contrail-keystone-auth.conf KEYSTONE admin_password").stdout.strip()
    cmd = (f"python /opt/contrail/utils/provision_control.py --host_name {host} --host_ip {ip} "
           f"--api_server_ip {api_ip} --api_server_port 8082 --oper {oper} --admin_user admin "
           f"--admin_password '{pw}' --admin_tenant_name admin --router_asn 64512")
    proc = sh(inv, on_node, cmd)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_agents_use_the_old_control_and_everything_is_healthy(lab):
    old, new = lab.model.old.nodes[0], lab.model.new.nodes[0]
    computes = [c.name for c in lab.model.computes]
    wait_until(lambda: all(neighbors(old.ip).get(c) == ("XMPP", "Established") for c in computes),
               what="every agent Established on the old control node")
    for c in lab.model.computes:
        assert agent_channels(c.ip) == {old.ip: "Established"}
    wait_until(lambda: status_lines(lab, computes[0]).get("contrail-vrouter-agent") == "active",
               what="agent active in contrail-status")
    st = status_lines(lab, computes[0])
    assert st["supervisor-vrouter"] == "active" and st["contrail-vrouter-nodemgr"] == "active"
    wait_until(lambda: all(status_lines(lab, old.name).get(p) == "active" for p in
                           ("contrail-control", "contrail-control-nodemgr", "contrail-dns", "contrail-named")),
               what="control services active on the old controller")
    assert neighbors(new.ip) == {}  # nothing points at the new cluster yet


def test_agent_reports_the_installed_package_version(lab):
    c = lab.model.computes[0]
    root = get_xml(f"http://{c.ip}:8085/Snh_SandeshUVECacheReq?x=NodeStatus")
    base, _, build = lab.model.old.version.partition("-")
    info = root.findtext(".//NodeStatus/build_info")
    assert f'"build-version" : "{base}"' in info and f'"build-number" : "{build}"' in info


def test_bgp_peering_needs_both_clusters_configured_and_a_stopped_control_drops(lab):
    old, new = lab.model.old.nodes[0], lab.model.new.nodes[0]
    provision(lab, old.name, old.ip, new.name, new.ip)  # the seed's first step: new control into the old config
    wait_until(lambda: old.ip and neighbors(old.ip).get(new.name, ("", ""))[0] == "BGP", what="old control knows new")
    assert neighbors(old.ip)[new.name][1] != "Established"  # the new cluster does not know the old control yet
    provision(lab, new.name, new.ip, old.name, old.ip)  # what pre-sync brings over
    wait_until(lambda: neighbors(old.ip).get(new.name) == ("BGP", "Established"), what="old sees new Established")
    wait_until(lambda: neighbors(new.ip).get(old.name) == ("BGP", "Established"), what="new sees old Established")
    assert sh(lab, new.name, "service supervisor-control stop").returncode == 0
    wait_until(lambda: neighbors(old.ip).get(new.name, ("", ""))[1] not in ("", "Established"),
               what="old control sees the stopped new control go down")
    assert status_lines(lab, new.name)["supervisor-control"].startswith("inactive")
    assert sh(lab, new.name, "service supervisor-control start").returncode == 0
    wait_until(lambda: neighbors(old.ip).get(new.name) == ("BGP", "Established"), what="session back")


def test_agent_repointed_at_the_new_discovery_moves_to_the_new_control(lab):
    old, new = lab.model.old.nodes[0], lab.model.new.nodes[0]
    c = lab.model.computes[0]
    script = (f"openstack-config --set /etc/contrail/contrail-vrouter-agent.conf DISCOVERY server {new.ip} && "
              f"openstack-config --set /etc/contrail/contrail-vrouter-nodemgr.conf DISCOVERY server {new.ip} && "
              "service supervisor-vrouter restart")
    proc = sh(lab, c.name, script)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wait_until(lambda: agent_channels(c.ip) == {new.ip: "Established"}, what="agent Established to the new control only")
    wait_until(lambda: neighbors(new.ip).get(c.name) == ("XMPP", "Established"), what="new control sees the agent")
    wait_until(lambda: c.name not in neighbors(old.ip), what="old control lost the agent")
    other = lab.model.computes[1]
    assert agent_channels(other.ip) == {old.ip: "Established"}


def test_agent_refuses_flag_drops_the_sessions_until_cleared(lab):
    c = lab.model.computes[2]
    old = lab.model.old.nodes[0]
    flag = "/etc/contrail/lab-faults/agent-refuses"
    assert sh(lab, c.name, f"mkdir -p /etc/contrail/lab-faults && echo test > {flag}").returncode == 0
    try:
        wait_until(lambda: agent_channels(c.ip).get(old.ip) not in (None, "Established"), what="agent dropped XMPP")
        wait_until(lambda: status_lines(lab, c.name).get("contrail-vrouter-agent", "").startswith(
            f"initializing (XMPP:control-node:{old.ip}"), what="contrail-status shows the agent initializing")
    finally:
        sh(lab, c.name, f"rm -f {flag}")
    wait_until(lambda: agent_channels(c.ip) == {old.ip: "Established"}, what="agent back after the flag is gone")
