"""checks/ parsers on real-format output captured from the lab (tests/data/lab/, made by
tests/data/lab/capture.py on a copy of clusters/lab.yaml at 127.52.0.0/16, after peering
the old and new control nodes and adding an external MX bgp-router)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks import contrail_status, discovery, introspect, verdicts
from checks.versions import parse_dpkg_query

DATA = Path(__file__).resolve().parents[1] / "data" / "lab"
OLD_CTL, NEW_CTL, MX = "127.52.0.21", "127.52.1.21", "127.52.9.1"
COMPUTES = {"compute1": "127.52.2.1", "compute2": "127.52.2.2", "compute3": "127.52.2.3"}
OLD_VERSION = "3.2.3.0-73"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_capture_describes_the_lab_it_came_from():
    addresses = json.loads(read("lab-addresses.json"))
    assert addresses["old_control"] == ["ctl-old-1", OLD_CTL]
    assert addresses["new_control"] == ["ctl-new-1", NEW_CTL]
    assert addresses["computes"] == COMPUTES
    assert addresses["old_version"] == OLD_VERSION


def test_controller_contrail_status():
    report = contrail_status.parse(read("contrail-status-controller.txt"))
    assert [s.title for s in report.sections] == [
        "Contrail Control", "Contrail Analytics", "Contrail Config", "Contrail Web UI", "Contrail Config Database"]
    assert report.unparsed == () and report.runtime_failures == ()
    config = report.section("Config")
    assert config.supervisor.name == "supervisor-config" and config.supervisor.state == "active"
    assert {s.name for s in config.services} == {
        "supervisor-config", "contrail-api:0", "contrail-config-nodemgr", "contrail-device-manager",
        "contrail-discovery:0", "contrail-schema", "contrail-svc-monitor", "ifmap"}
    assert report.service("contrail-api").name == "contrail-api:0"
    assert report.service("contrail-control").state == "active"
    assert verdicts.status_healthy(report, "ctl-old-1").ok
    assert verdicts.exactly_one_active(
        {"ctl-old-1": report}, ("contrail-schema", "contrail-svc-monitor", "contrail-device-manager")).ok
    assert len(report.services) == 27


def test_compute_contrail_status():
    report = contrail_status.parse(read("contrail-status-compute.txt"))
    assert [s.title for s in report.sections] == ["Contrail vRouter"]
    assert [(s.name, s.state, s.is_supervisor) for s in report.services] == [
        ("supervisor-vrouter", "active", True),
        ("contrail-vrouter-agent", "active", False),
        ("contrail-vrouter-nodemgr", "active", False),
    ]
    assert not report.vrouter_not_present
    assert verdicts.status_healthy(report, "compute1").ok


def test_control_bgp_neighbors():
    page = introspect.parse_bgp_neighbors(read("control-bgp-neighbors.xml"))
    assert page.next_batch is None and page.more is False  # 5 peers: a single page
    by_name = {p.name: p for p in page.peers}
    assert set(by_name) == {"ctl-new-1", "mx-gw-1", *COMPUTES}
    new = by_name["ctl-new-1"]
    assert (new.address, new.asn, new.encoding, new.peer_type, new.state, new.router_type) == (
        NEW_CTL, 64512, "BGP", "internal", "Established", "control-node")
    mx = by_name["mx-gw-1"]
    assert (mx.address, mx.router_type, mx.state, mx.established) == (MX, "router", "Active", False)
    for name, ip in COMPUTES.items():
        agent = by_name[name]
        assert (agent.address, agent.encoding, agent.state, agent.flap_count) == (ip, "XMPP", "Established", 0)
    assert verdicts.bgp_established(page.peers, "ctl-old-1", [NEW_CTL]).ok
    assert not verdicts.bgp_established(page.peers, "ctl-old-1", [NEW_CTL, MX]).ok
    assert verdicts.bgp_established(page.peers, "ctl-old-1", COMPUTES.values(), encoding="XMPP").ok


def test_control_bgp_neighbors_through_collect_pages():
    asked = []

    def fetch(path: str) -> str:
        asked.append(path)
        return read("control-bgp-neighbors.xml")

    peers = introspect.collect_pages(fetch)
    assert asked == [introspect.BGP_NEIGHBOR_FIRST]
    assert len(peers) == 5


def test_agent_xmpp_sessions():
    sessions = introspect.parse_agent_xmpp(read("agent-xmpp.xml"))
    assert len(sessions) == 1
    s = sessions[0]
    assert (s.controller_ip, s.state, s.peer_name, s.peer_address) == (
        OLD_CTL, "Established", "network-control@contrailsystems.com", f"{OLD_CTL}:5269")
    assert s.cfg_controller and s.mcast_controller and s.flap_count == 0
    assert verdicts.agent_on_controls(sessions, "compute1", [OLD_CTL], [NEW_CTL]).ok
    assert not verdicts.agent_on_controls(sessions, "compute1", [NEW_CTL], [OLD_CTL]).ok


def test_control_node_status():
    status = introspect.parse_node_status(read("node-status-control.xml"))
    assert status.name == "ctl-old-1" and status.functional
    assert [p.module_id for p in status.processes] == ["contrail-control"]
    assert {(c.type, c.name, c.status) for c in status.connections} == {
        ("IFMap", "IFMapServer", "Up"), ("Discovery", "xmpp-server", "Up")}
    assert status.connection("IFMap").server_addrs == (f"{OLD_CTL}:8443",)
    assert status.down_connections() == []
    assert verdicts.node_functional(status, "ctl-old-1", "contrail-control").ok


def test_agent_node_status():
    status = introspect.parse_node_status(read("node-status-agent.xml"))
    assert status.name == "compute1" and status.functional
    xmpp = status.connection("XMPP")
    assert (xmpp.name, xmpp.status, xmpp.description, xmpp.server_addrs) == (
        f"control-node:{OLD_CTL}", "Up", "Established", (f"{OLD_CTL}:5269",))
    assert status.connection("Discovery", "xmpp-server").server_addrs == (f"{OLD_CTL}:5998",)
    assert '"build-version" : "3.2.3.0"' in read("node-status-agent.xml")


def test_discovery_services():
    services = discovery.parse_services(read("discovery-services.json"))
    assert {s.service_type for s in services} == {
        "AlarmGenerator", "ApiServer", "Collector", "IfmapServer", "OpServer", "xmpp-server"}
    assert all(s.ip == OLD_CTL and s.up for s in services)
    api = discovery.of_type(services, "ApiServer")
    assert [(s.service_id, s.port, s.remote) for s in api] == [("ctl-old-1:ApiServer", 8082, OLD_CTL)]
    assert discovery.of_type(services, "xmpp-server")[0].port == 5269
    assert verdicts.discovery_publishes(services, "ctl-old-1", "xmpp-server", [OLD_CTL]).ok


def test_discovery_clients():
    clients = discovery.parse_clients(read("discovery-clients.json"))
    assert sorted((c.client_id, c.remote, c.service_type, c.service_id) for c in clients) == [
        (f"{name}:contrail-vrouter-agent", ip, "xmpp-server", "ctl-old-1:xmpp-server")
        for name, ip in sorted(COMPUTES.items())]
    assert all(c.client_type == "contrail-vrouter-agent" and c.ttl and c.ttl > 0 for c in clients)


def test_bgp_routers_json():
    routers = {r["bgp-router"]["fq_name"][-1]: r["bgp-router"] for r in json.loads(read("bgp-routers.json"))["bgp-routers"]}
    assert set(routers) == {"ctl-old-1", "ctl-new-1", "mx-gw-1"}
    for name, ip in (("ctl-old-1", OLD_CTL), ("ctl-new-1", NEW_CTL)):
        params = routers[name]["bgp_router_parameters"]
        assert (params["router_type"], params["vendor"], params["address"], params["autonomous_system"]) == (
            "control-node", "contrail", ip, 64512)
        assert routers[name]["fq_name"][:4] == ["default-domain", "default-project", "ip-fabric", "__default__"]
    mx = routers["mx-gw-1"]["bgp_router_parameters"]
    assert (mx["router_type"], mx["vendor"], mx["address"]) == ("router", "mx", MX)
    assert "ADMIN_PASSWORD" not in read("bgp-routers.json")


def test_compute_packages():
    states = parse_dpkg_query(read("dpkg-query-compute.txt"))
    assert set(states) == {"contrail-lib", "contrail-nodemgr", "contrail-vrouter-agent",
                           "contrail-vrouter-common", "contrail-vrouter-utils", "python-contrail"}
    for name in states:
        assert verdicts.version_installed(states, name, OLD_VERSION, "compute1").ok
    assert not verdicts.version_installed(states, "contrail-vrouter-agent", "3.2.10.0-59", "compute1").ok


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*") if p.suffix in (".txt", ".xml", ".json")))
def test_no_lab_secret_in_a_capture(name):
    text = read(name)
    assert "password" not in text.lower() or "ADMIN_PASSWORD" in text
