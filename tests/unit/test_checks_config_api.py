import pytest

from checks.config_api import parse_bgp_routers, parse_names
from checks.evidence import ParseError

DETAIL = """{"bgp-routers": [
 {"bgp-router": {"uuid": "u1", "name": "ctl-old-1",
   "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", "ctl-old-1"],
   "bgp_router_parameters": {"vendor": "contrail", "router_type": "control-node", "autonomous_system": 64512,
                             "address": "127.18.0.21", "port": 179}}},
 {"bgp-router": {"uuid": "u2", "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", "mx1"],
   "bgp_router_parameters": {"vendor": "mx", "router_type": "router", "autonomous_system": 64512,
                             "address": "127.18.9.1"}}}]}"""


def test_bgp_routers_detail():
    routers = parse_bgp_routers(DETAIL)
    assert [(r.name, r.router_type, r.address, r.is_control_node) for r in routers] == [
        ("ctl-old-1", "control-node", "127.18.0.21", True), ("mx1", "router", "127.18.9.1", False)]


def test_names_and_errors():
    vns = '{"virtual-networks": [{"fq_name": ["default-domain", "admin", "web"], "uuid": "x"}]}'
    assert parse_names(vns, "virtual-networks") == ["web"]
    with pytest.raises(ParseError, match="not JSON"):
        parse_bgp_routers("<html>401</html>")
    with pytest.raises(ParseError, match="no 'bgp-routers' list"):
        parse_bgp_routers('{"virtual-networks": []}')


def test_lab_api_lists_what_the_real_api_server_lists():
    """vnc_cfg_api_server.py R3.2 _list_collection: `{'<type>s': [...]}`; without detail each entry
    is {uuid, href, fq_name}; with ?detail=True each is {'<type>': obj} (name = fq_name[-1]).
    BgpRouterParams keys as in src/schema/bgp_schema.xsd (underscored in JSON)."""
    import json

    from tests.unit.test_sim_config_logic import make_api

    api, _, _ = make_api()
    params = {"vendor": "contrail", "router_type": "control-node", "autonomous_system": 64512,
              "identifier": "127.18.0.21", "address": "127.18.0.21", "port": 179,
              "address_families": {"family": ["route-target", "inet-vpn", "e-vpn", "erm-vpn", "inet6-vpn"]}}
    code, _ = api.dispatch("POST", "/bgp-routers", {"bgp-router": {
        "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", "ctl-old-1"],
        "parent_type": "routing-instance", "bgp_router_parameters": params}})
    assert code == 200
    code, detail = api.dispatch("GET", "/bgp-routers?detail=True", {})
    assert code == 200 and list(detail) == ["bgp-routers"] and list(detail["bgp-routers"][0]) == ["bgp-router"]
    (router,) = parse_bgp_routers(json.dumps(detail))
    assert (router.name, router.router_type, router.address, router.asn) == ("ctl-old-1", "control-node",
                                                                             "127.18.0.21", 64512)
    code, plain = api.dispatch("GET", "/virtual-networks", {})
    assert set(plain["virtual-networks"][0]) == {"uuid", "href", "fq_name"}
    assert "ip-fabric" in parse_names(json.dumps(plain), "virtual-networks")
