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
