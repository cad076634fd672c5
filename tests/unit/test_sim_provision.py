"""The lab's provision_*.py parse and decide like contrail-controller R3.2
src/config/utils/provision_control.py, provision_bgp.py, provision_{config,analytics,database}_node.py.

(API behaviour -- silent create, "already exists", NoIdError tracebacks, refs, the GSC -- is proved
against a running contrail-api in tests/unit/test_sim_config_daemons.py::test_provision_*.)
"""
from __future__ import annotations

import pytest

from lab.contrail.sim.config import provision as p

API = ["--api_server_ip", "127.0.0.1"]


def control(*argv: str, conf: dict[str, str] | None = None):
    return p.control_parser(conf).parse_args(list(argv))


def node(*argv: str, conf: dict[str, str] | None = None):
    return p.node_parser("config", conf).parse_args(list(argv))


@pytest.mark.parametrize("missing", ["--router_asn", "--api_server_ip", "--api_server_port"])
def test_control_requires_asn_api_ip_and_port(missing, capsys):
    """provision_control.py: add_argument(..., required=True) for these three."""
    argv = {"--router_asn": "64512", "--api_server_ip": "127.0.0.1", "--api_server_port": "8082"}
    argv.pop(missing)
    with pytest.raises(SystemExit) as exc:
        control("--host_name", "h", "--host_ip", "127.0.0.9", *[x for kv in argv.items() for x in kv])
    assert exc.value.code == 2 and missing in capsys.readouterr().err


def test_control_defaults_oper_none_mesh_none_families_empty():
    a = control("--router_asn", "64512", *API, "--api_server_port", "8082")
    assert (a.oper, a.ibgp_auto_mesh, a.address_families, a.md5, a.host_name) == (None, None, [], None, None)
    assert control("--router_asn", "1", *API, "--api_server_port", "1", "--no_ibgp_auto_mesh").ibgp_auto_mesh is False


@pytest.mark.parametrize("missing", ["--host_name", "--host_ip", "--api_server_ip"])
def test_node_tools_require_host_name_ip_and_api_ip(missing, capsys):
    argv = {"--host_name": "n", "--host_ip": "127.0.0.9", "--api_server_ip": "127.0.0.1"}
    argv.pop(missing)
    with pytest.raises(SystemExit) as exc:
        node(*[x for kv in argv.items() for x in kv])
    assert exc.value.code == 2 and missing in capsys.readouterr().err


def test_node_tools_default_port_8082_and_oper_add_over_a_conf_oper():
    """set_defaults(**conf) runs before add_argument('--oper', default='add'): the argument's own
    default wins over a [DEFAULTS] oper; a [DEFAULTS] api_server_port is used."""
    a = node("--host_name", "n", "--host_ip", "127.0.0.9", *API, conf={"oper": "del", "api_server_port": "9100"})
    assert (a.oper, a.api_server_port) == ("add", "9100")
    assert node("--host_name", "n", "--host_ip", "127.0.0.9", *API).api_server_port == "8082"


@pytest.mark.parametrize("option", [["--local_autonomous_system", "64513"], ["--bgp_server_port", "1179"],
                                    ["--router_type", "router"], ["--hold_time", "90"]])
def test_control_rejects_options_r32_does_not_have(option, capsys):
    with pytest.raises(SystemExit) as exc:
        control("--router_asn", "64512", *API, "--api_server_port", "8082", "--oper", "add", *option)
    assert exc.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def test_control_rejects_an_unknown_address_family(capsys):
    with pytest.raises(SystemExit) as exc:
        control("--router_asn", "64512", *API, "--api_server_port", "8082", "--address_families", "inet")
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_argv_is_joined_and_split_on_whitespace():
    """' '.join(sys.argv[1:]).split(): an argument holding a space becomes two arguments."""
    assert p.resplit(["--admin_password", "a b", "--oper", "add"]) == ["--admin_password", "a", "b", "--oper", "add"]


def test_a_password_with_a_space_breaks_the_command_line(capsys):
    with pytest.raises(SystemExit) as exc:
        p.parse(p.control_parser, ["--router_asn", "64512", *API, "--api_server_port", "8082",
                                   "--admin_password", "two words"], node_tool=False)
    assert exc.value.code == 2 and "unrecognized arguments: words" in capsys.readouterr().err


def test_new_router_parameters_are_what_add_bgp_router_sets():
    params = p.bgp_router_parameters("127.0.0.9/24", "64512", [])
    assert params == {"router_type": "control-node", "vendor": "contrail", "autonomous_system": 64512,
                      "identifier": "127.0.0.9", "address": "127.0.0.9", "port": 179,
                      "address_families": {"family": ["route-target", "inet-vpn", "e-vpn", "erm-vpn", "inet6-vpn"]}}
    assert p.bgp_router_parameters("127.0.0.9", "1", ["inet-vpn"])["address_families"] == {"family": ["inet-vpn"]}


def test_erm_vpn_is_for_control_nodes_only():
    assert "erm-vpn" not in p.address_families("router", [])
    with pytest.raises(RuntimeError, match="Only contrail bgp routers can support family 'erm-vpn'"):
        p.address_families("router", ["erm-vpn"])


def test_unknown_oper_text():
    assert p.unknown_oper("remove") == "Unknown operation remove. Only 'add' and 'del' supported"


def test_vnc_errors_are_named_and_worded_as_vnc_api_raises_them():
    from lab.contrail.sim.common.vnc_client import ApiHttpError

    e = p.vnc_error(ApiHttpError(404, "gone"), "DELETE", "/config-node/None")
    assert (type(e).__module__, type(e).__name__, str(e)) == (
        "cfgm_common.exceptions", "NoIdError", "Unknown id: Error: oper 4 url /config-node/None body None response gone")
    assert str(p.vnc_error(ApiHttpError(409, "Delete when resource still referred: [x]"), "DELETE", "/x")) == \
        "Delete when resource still referred: [x]"
    assert type(p.vnc_error(ApiHttpError(409, "c"), "DELETE", "/x")).__name__ == "RefsExistError"
    assert str(p.vnc_error(ApiHttpError(500, "boom"), "GET", "/x")) == "HTTP Status: 500 Content: boom"
