"""/opt/contrail/utils/provision_{control,config_node,analytics_node,database_node}.py.

Same arguments as the 3.2 tools; they act on contrail-api through contrail_sim.common.vnc_client.
--oper add creates or updates (idempotent, like the real read-then-update); --oper del
deletes and fails with "NoIdError: Name [...] not found" when the object is absent.
A wrong password ends in `RuntimeError: Authentication Failure` (a traceback, exit 1) as
with vnc_api; an unreachable API is retried 5 times, 2 s apart, then exit 1 with a message.
Keystone: provision_{config,analytics,database}_node.py take --openstack_ip and hand it to
VncApi as auth_host; provision_control.py has no such option (argparse: "unrecognized
arguments", exit 2) and finds keystone in /etc/contrail/vnc_api_lib.ini [auth] (contrail-
controller R3.2 src/config/utils/provision_*.py).
`-c/--conf_file FILE` (same sources): SafeConfigParser ('%' interpolation), [DEFAULTS] must
exist (else ConfigParser.NoSectionError, a traceback), its keys become argument defaults;
the *_node.py tools then apply [KEYSTONE] admin_user/admin_password/admin_tenant_name over
their built-in user1/password1/default-domain (which also override [DEFAULTS]);
provision_control.py reads admin_* from [DEFAULTS] only.
"""
from __future__ import annotations

import argparse
import configparser
import sys
from typing import Any, Sequence

from ..common.vnc_client import ApiHttpError, ApiUnreachable, VncClient

GSC = ["default-global-system-config"]
IP_FABRIC_RI = ["default-domain", "default-project", "ip-fabric", "__default__"]
DEFAULT_FAMILIES = ["route-target", "inet-vpn", "e-vpn", "erm-vpn", "inet6-vpn"]


def _common(description: str, openstack_ip: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host_name", required=True, help="hostname of the node")
    p.add_argument("--host_ip", required=True, help="IP address of the node")
    p.add_argument("--api_server_ip", default="127.0.0.1", help="IP address of the api server")
    p.add_argument("--api_server_port", default="8082", help="port of the api server")
    p.add_argument("--api_server_use_ssl", default=False, help="use SSL to connect to the api server")
    p.add_argument("--oper", default="add", choices=("add", "del"), help="provision operation to be done (add or del)")
    p.add_argument("--admin_user", help="name of keystone admin user")
    p.add_argument("--admin_password", help="password of keystone admin user")
    p.add_argument("--admin_tenant_name", help="tenant name for keystone admin user")
    if openstack_ip:
        p.add_argument("--openstack_ip", help="IP address of openstack node")
    return p


def control_parser() -> argparse.ArgumentParser:
    p = _common("Provision a control node as a bgp-router", openstack_ip=False)
    p.add_argument("--router_asn", default="64512", help="AS number of the BGP router")
    p.add_argument("--local_autonomous_system", default=None, help="local AS number")
    p.add_argument("--bgp_server_port", default="179", help="BGP server port number")
    p.add_argument("--address_families", nargs="+", default=None, help="address families to be configured")
    p.add_argument("--md5", default=None, help="md5 key for the BGP session")
    p.add_argument("--router_type", default="control-node", help="router type")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--ibgp_auto_mesh", dest="ibgp_auto_mesh", action="store_true", default=None,
                   help="create iBGP mesh automatically")
    g.add_argument("--no_ibgp_auto_mesh", dest="ibgp_auto_mesh", action="store_false",
                   help="don't create iBGP mesh automatically")
    return p


def bgp_router_parameters(a: argparse.Namespace) -> dict[str, Any]:
    return {
        "vendor": "contrail", "router_type": a.router_type, "autonomous_system": int(a.router_asn),
        "identifier": a.host_ip, "address": a.host_ip, "port": int(a.bgp_server_port), "hold_time": 90,
        "address_families": {"family": a.address_families or DEFAULT_FAMILIES},
        "local_autonomous_system": int(a.local_autonomous_system) if a.local_autonomous_system else None,
        "auth_data": {"key_type": "md5", "key_items": [{"key_id": 0, "key": a.md5}]} if a.md5 else None,
    }


def _client(a: argparse.Namespace, node_tool: bool = True) -> VncClient:
    """VncApi(admin_user, admin_password, admin_tenant_name, api_server_ip, api_server_port, '/',
    auth_host=openstack_ip) -- provision_control.py passes no auth_host."""
    return VncClient(a.api_server_ip, int(a.api_server_port), a.admin_user or "", a.admin_password or "",
                     a.admin_tenant_name or "default-tenant",
                     auth_host=(getattr(a, "openstack_ip", None) or None) if node_tool else None)


def _delete(vnc: VncClient, obj_type: str, fq_name: list[str]) -> None:
    obj_uuid = vnc.fq_name_to_id(obj_type, fq_name)
    if obj_uuid is None:
        raise LookupError(f"NoIdError: Name {fq_name!r} not found")
    vnc.delete(obj_type, obj_uuid)


def run_control(a: argparse.Namespace) -> str:
    vnc = _client(a, node_tool=False)
    fq = IP_FABRIC_RI + [a.host_name]
    if a.oper == "del":
        _delete(vnc, "bgp-router", fq)
        return f"Deleted bgp-router {a.host_name}"
    gsc_uuid = vnc.fq_name_to_id("global-system-config", GSC)
    gsc_update: dict[str, Any] = {"autonomous_system": int(a.router_asn)}
    if a.ibgp_auto_mesh is not None:
        gsc_update["ibgp_auto_mesh"] = a.ibgp_auto_mesh
    if gsc_uuid:
        vnc.update("global-system-config", gsc_uuid, gsc_update)
    _, created = vnc.create_or_update("bgp-router", fq, {"parent_type": "routing-instance",
                                                         "bgp_router_parameters": bgp_router_parameters(a)})
    return f"{'Added' if created else 'Updated'} bgp-router {a.host_name} ({a.host_ip})"


def _run_node(obj_type: str, ip_field: str, a: argparse.Namespace) -> str:
    vnc = _client(a)
    fq = GSC + [a.host_name]
    if a.oper == "del":
        _delete(vnc, obj_type, fq)
        return f"Deleted {obj_type} {a.host_name}"
    _, created = vnc.create_or_update(obj_type, fq, {"parent_type": "global-system-config", ip_field: a.host_ip})
    return f"{'Added' if created else 'Updated'} {obj_type} {a.host_name} ({a.host_ip})"


NODE_KSOPTS = {"admin_user": "user1", "admin_password": "password1", "admin_tenant_name": "default-domain"}


def _conf_defaults(argv: Sequence[str] | None, node_tool: bool) -> dict[str, str]:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-c", "--conf_file")
    args, _ = pre.parse_known_args(argv)
    defaults: dict[str, str] = {}
    ksopts = dict(NODE_KSOPTS)
    if args.conf_file:
        cp = configparser.ConfigParser()  # = py2 SafeConfigParser: '%' interpolation
        cp.read([args.conf_file])
        defaults.update(dict(cp.items("DEFAULTS")))  # NoSectionError when absent, as the real tools
        if cp.has_section("KEYSTONE"):
            ksopts.update(dict(cp.items("KEYSTONE")))
    if node_tool:
        defaults.update(ksopts)
    return defaults


def _main(parser: argparse.ArgumentParser, run, argv: Sequence[str] | None) -> None:
    parser.add_argument("-c", "--conf_file", help="Specify config file", metavar="FILE")
    parser.set_defaults(**_conf_defaults(argv if argv is not None else sys.argv[1:],
                                         node_tool=parser.get_default("openstack_ip") is not None
                                         or any(a.dest == "openstack_ip" for a in parser._actions)))
    a = parser.parse_args(argv)
    try:
        print(run(a))
    except (ApiUnreachable, LookupError) as exc:
        sys.exit(f"ERROR: {exc}")
    except ApiHttpError as exc:
        sys.exit(f"ERROR: api-server returned {exc}")


def main_control(argv: Sequence[str] | None = None) -> None:
    _main(control_parser(), run_control, argv)


def main_config_node(argv: Sequence[str] | None = None) -> None:
    _main(_common("Provision a config node"), lambda a: _run_node("config-node", "config_node_ip_address", a), argv)


def main_analytics_node(argv: Sequence[str] | None = None) -> None:
    _main(_common("Provision an analytics node"),
          lambda a: _run_node("analytics-node", "analytics_node_ip_address", a), argv)


def main_database_node(argv: Sequence[str] | None = None) -> None:
    _main(_common("Provision a database node"),
          lambda a: _run_node("database-node", "database_node_ip_address", a), argv)
