"""Which BGP neighbors a simulated control node takes from the bgp-router objects, and the agent's conf."""
import configparser

from lab.contrail.sim.control import peers
from lab.contrail.sim.vrouter import agent, agent_conf


def router(uuid, name, ip, asn=64512, rtype="control-node", refs=()):
    return peers.Router.from_object({"bgp-router": {
        "uuid": uuid, "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", name],
        "bgp_router_parameters": {"router_type": rtype, "vendor": "contrail", "autonomous_system": asn,
                                  "identifier": ip, "address": ip, "port": 179, "hold_time": 90},
        "bgp_router_refs": [{"uuid": r, "to": []} for r in refs]}})


ROUTERS = [
    router("u1", "ctl-old-1", "127.18.0.21"),
    router("u2", "ctl-new-1", "127.18.1.21"),
    router("u3", "mx1", "127.18.9.1", rtype="router"),
    router("u4", "other-as", "127.18.9.2", asn=65000),
]


def test_router_from_object_reads_name_from_fq_name_and_parameters():
    r = ROUTERS[0]
    assert (r.name, r.address, r.asn, r.router_type, r.port) == ("ctl-old-1", "127.18.0.21", 64512, "control-node", 179)


def test_auto_mesh_peers_with_same_asn_control_nodes_and_external_routers():
    me, ps = peers.select_peers(ROUTERS, "ctl-old-1", "127.18.0.21")
    assert me.uuid == "u1"
    assert [p.name for p in ps] == ["ctl-new-1", "mx1"]


def test_a_referenced_router_of_another_asn_is_a_peer():
    routers = [router("u1", "ctl-old-1", "127.18.0.21", refs=("u4",))] + ROUTERS[1:]
    _, ps = peers.select_peers(routers, "ctl-old-1", "127.18.0.21")
    assert "other-as" in [p.name for p in ps]


def test_unprovisioned_control_node_has_no_peers():
    me, ps = peers.select_peers(ROUTERS[1:], "ctl-old-1", "127.18.0.21")
    assert me is None and ps == []


def test_own_router_is_found_by_address_when_the_name_differs():
    me, ps = peers.select_peers(ROUTERS, "renamed", "127.18.1.21")
    assert me.name == "ctl-new-1" and "ctl-old-1" in [p.name for p in ps]


def _conf(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(text)
    return cp


def test_agent_conf_with_discovery():
    cfg = agent_conf.parse(_conf("[DISCOVERY]\nserver=127.18.1.21\nport=5998\nmax_control_nodes=2\n"
                                 "[VIRTUAL-HOST-INTERFACE]\nip=127.18.2.1/24\n"), "compute1")
    assert (cfg.discovery_server, cfg.discovery_port, cfg.max_control_nodes) == ("127.18.1.21", 5998, 2)
    assert (cfg.hostname, cfg.ip, cfg.introspect_port) == ("compute1", "127.18.2.1", 8085)


def test_agent_conf_static_servers_both_spellings_and_quotes():
    cfg = agent_conf.parse(_conf('[CONTROL-NODE]\nservers="127.0.0.5:5269 127.0.0.6:5270 127.0.0.7"\n'), "c", "127.0.0.9")
    assert cfg.static_controllers == (("127.0.0.5", 5269), ("127.0.0.6", 5270))
    assert cfg.ip == "127.0.0.9" and cfg.discovery_server == ""
    cfg = agent_conf.parse(_conf("[CONTROL-NODE]\nserver=127.0.0.5\n"), "c")
    assert cfg.static_controllers == (("127.0.0.5", 5269),)


def test_agent_keeps_controllers_still_offered():
    a, b, c = ("1.1.1.1", 5269), ("2.2.2.2", 5269), ("3.3.3.3", 5269)
    assert agent.pick_controllers([a, b], [c, b], 2) == [b, c]
    assert agent.pick_controllers([], [a, b, c], 2) == [a, b]
