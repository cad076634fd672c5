"""/opt/contrail/utils/provision_{control,config_node,analytics_node,database_node}.py.

The 3.2 tools' arguments and behaviour (contrail-controller R3.2 src/config/utils/
provision_control.py, provision_bgp.py, provision_{config,analytics,database}_node.py,
src/api-lib/vnc_api.py, src/config/common/exceptions.py); they act on contrail-api through
contrail_sim.common.vnc_client.

Arguments: argv is joined with ' ' and split on whitespace again (`' '.join(sys.argv[1:])`,
`args_str.split()`). provision_control.py requires --router_asn, --api_server_ip and
--api_server_port; --oper has no default. The *_node.py tools require --host_name,
--host_ip and --api_server_ip; --api_server_port defaults to 8082, --oper to add. Any other
option (e.g. --local_autonomous_system, --bgp_server_port, --router_type) is argparse's
"unrecognized arguments", exit 2.

provision_control.py:
- no --oper: sets the ASN (and --ibgp_auto_mesh/--no_ibgp_auto_mesh when given, and the
  graceful-restart parameters with --set_graceful_restart_parameters) on
  default-global-system-config and nothing else. With --oper, the ASN/mesh are NOT set.
- --oper add (provision_bgp.add_bgp_router): an existing bgp-router is left as it is (with
  --md5 its auth_data is set, after printing "Setting md5 on the existing uuid") and the tool
  prints "BGP Router <pformat(fq_name)> already exists with uuid <uuid>". Else it creates the
  bgp-router (vendor contrail, router_type control-node, autonomous_system, identifier =
  address = --host_ip, port 179, address_families; no hold_time, no local_autonomous_system),
  then gives it a ref to every other bgp-router of ip-fabric:__default__ and prints nothing.
- --oper del: reads the bgp-router by fq_name and deletes it; a missing one ends in a
  NoIdError traceback (exit 1).
- any other --oper: prints "Unknown operation X. Only 'add' and 'del' supported", exit 0.
The *_node.py tools: read default-global-system-config, then add (create, or update an
existing object with what it already holds: its IP is NOT changed), del (a missing object:
NoIdError traceback, exit 1) or the same "Unknown operation" line (exit 0). Nothing is
printed on success.
API errors surface as vnc_api raises them (src/api-lib/vnc_api.py _request): 404 NoIdError
('Error: oper N url U body B response C'), 409 RefsExistError, 403 PermissionDenied,
400 BadRequest, other HttpError -- each a traceback, exit 1. A wrong password ends in
`RuntimeError: Authentication Failure` (a traceback, exit 1) as with vnc_api; an
unreachable API is retried 5 times, 2 s apart, then exit 1 with a message.
Keystone: provision_{config,analytics,database}_node.py take --openstack_ip and hand it to
VncApi as auth_host; provision_control.py has no such option (argparse: "unrecognized
arguments", exit 2) and finds keystone in /etc/contrail/vnc_api_lib.ini [auth].
`-c/--conf_file FILE` (same sources): SafeConfigParser ('%' interpolation), [DEFAULTS] must
exist (else ConfigParser.NoSectionError, a traceback), its keys become argument defaults;
the *_node.py tools then apply [KEYSTONE] admin_user/admin_password/admin_tenant_name over
their built-in user1/password1/default-domain (which also override [DEFAULTS]);
provision_control.py reads admin_* from [DEFAULTS] only.
"""
from __future__ import annotations

import argparse
import configparser
import ipaddress
import sys
from pprint import pformat
from typing import Any, Callable, Sequence

from ..common.vnc_client import ApiHttpError, ApiUnreachable, VncClient

GSC = ["default-global-system-config"]
IP_FABRIC_RI = ["default-domain", "default-project", "ip-fabric", "__default__"]
DEFAULT_FAMILIES = ["route-target", "inet-vpn", "e-vpn", "erm-vpn", "inet6-vpn"]
# vnc_api's rest.OP_* (contrail-controller R3.2 src/config/common/rest.py)
OP_CODES = {"POST": 1, "GET": 2, "PUT": 3, "DELETE": 4}
# what _object_read sends as query parameters (R3.2 src/api-lib/vnc_api.py _object_read)
READ_QUERY = {"exclude_back_refs": True, "exclude_children": True}


# -- vnc_api's exceptions (R3.2 src/config/common/exceptions.py), named as in a real traceback --
class VncError(Exception):
    pass


class NoIdError(VncError):
    def __init__(self, unknown_id: str) -> None:
        super().__init__(unknown_id)
        self.unknown_id = unknown_id

    def __str__(self) -> str:
        return f"Unknown id: {self.unknown_id}"


class RefsExistError(VncError):
    pass


class PermissionDenied(VncError):
    pass


class BadRequest(Exception):
    def __init__(self, status_code: int, content: str) -> None:
        super().__init__(content)
        self.status_code, self.content = status_code, content

    def __str__(self) -> str:
        return self.content


class HttpError(VncError):
    def __init__(self, status_code: int, content: str) -> None:
        super().__init__(status_code, content)
        self.status_code, self.content = status_code, content

    def __str__(self) -> str:
        return f"HTTP Status: {self.status_code} Content: {self.content}"


for _cls in (VncError, NoIdError, RefsExistError, PermissionDenied, BadRequest, HttpError):
    _cls.__module__ = "cfgm_common.exceptions"


def vnc_error(exc: ApiHttpError, method: str, path: str, data: Any = None) -> Exception:
    """The exception vnc_api's _request raises for an HTTP error status."""
    if exc.status == 404:
        return NoIdError(f"Error: oper {OP_CODES[method]} url {path} body {data} response {exc.message}")
    if exc.status == 409:
        return RefsExistError(exc.message)
    if exc.status == 403:
        return PermissionDenied(exc.message)
    if exc.status == 400:
        return BadRequest(exc.status, exc.message)
    return HttpError(exc.status, exc.message)


class Vnc:
    """The handful of vnc_api calls the provision tools make, failing the way vnc_api fails."""

    def __init__(self, client: VncClient) -> None:
        self.c = client

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, shown: Any = None) -> Any:
        try:
            return self.c.request(method, path, body)
        except ApiHttpError as exc:
            raise vnc_error(exc, method, path, shown if shown is not None else body) from None

    def fq_name_to_id(self, obj_type: str, fq_name: list[str]) -> str | None:
        """POST /fqname-to-id; 404 -> None (vnc_api R3.2 fq_name_to_id)."""
        return self.c.fq_name_to_id(obj_type, fq_name)

    def read(self, obj_type: str, fq_name: list[str] | None = None, obj_uuid: str | None = None) -> dict[str, Any]:
        """_object_read: an unknown fq_name becomes GET /<type>/None -> 404 -> NoIdError."""
        if obj_uuid is None:
            obj_uuid = str(self.fq_name_to_id(obj_type, fq_name or []))
        return self._call("GET", f"/{obj_type}/{obj_uuid}", shown=READ_QUERY)[obj_type]

    def delete(self, obj_type: str, fq_name: list[str] | None = None, obj_uuid: str | None = None) -> None:
        """_object_delete: an unknown fq_name becomes DELETE /<type>/None -> 404 -> NoIdError."""
        if obj_uuid is None:
            obj_uuid = str(self.fq_name_to_id(obj_type, fq_name or []))
        self._call("DELETE", f"/{obj_type}/{obj_uuid}")

    def create(self, obj_type: str, body: dict[str, Any]) -> str:
        return self._call("POST", f"/{obj_type}s", {obj_type: body})[obj_type]["uuid"]

    def update(self, obj_type: str, obj_uuid: str, body: dict[str, Any]) -> None:
        self._call("PUT", f"/{obj_type}/{obj_uuid}", {obj_type: body})

    def list(self, obj_type: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/{obj_type}s").get(f"{obj_type}s", [])


# -- arguments --------------------------------------------------------------------------------
def _gr_time(value: str) -> int:
    time = int(value)
    if time < 0 or time > 4095:
        raise argparse.ArgumentTypeError(f"graceful_restart_time {value} must be in range (0..4095)")
    return time


def _llgr_time(value: str) -> int:
    time = int(value)
    if time < 0 or time > 16777215:
        raise argparse.ArgumentTypeError(
            f"long_lived_graceful_restart_time {value} must be in range (0..16777215)")
    return time


def _keystone_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--admin_user", help="Name of keystone admin user")
    p.add_argument("--admin_password", help="Password of keystone admin user")
    p.add_argument("--admin_tenant_name", help="Tenamt name for keystone admin user")


def _parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("-c", "--conf_file", help="Specify config file", metavar="FILE")
    return p


def node_parser(role: str, conf: dict[str, str] | None = None) -> argparse.ArgumentParser:
    """provision_{config,analytics,database}_node.py's _parse_args. `conf`: the -c file's
    defaults; set before the arguments are added, so an argument's own default= wins."""
    p = _parser(f"Provision a {role} node")
    p.set_defaults(**{"api_server_ip": "127.0.0.1", "api_server_port": "8082", "api_server_use_ssl": False,
                      "oper": "add", **(conf or {})})
    p.add_argument("--host_name", help=f"hostname name of {role} node", required=True)
    p.add_argument("--host_ip", help=f"IP address of {role} node", required=True)
    p.add_argument("--api_server_ip", help="IP address of api server", required=True)
    p.add_argument("--api_server_port", help="Port of api server")
    p.add_argument("--api_server_use_ssl", help="Use SSL to connect with API server")
    p.add_argument("--oper", default="add", help="Provision operation to be done(add or del)")
    _keystone_args(p)
    p.add_argument("--openstack_ip", help="IP address of openstack node")
    return p


def control_parser(conf: dict[str, str] | None = None) -> argparse.ArgumentParser:
    """provision_control.py's _parse_args (no --openstack_ip); `conf` as for node_parser."""
    p = _parser("Provision a control node as a bgp-router")
    p.set_defaults(**{"router_asn": "64512", "ibgp_auto_mesh": None, "api_server_ip": "127.0.0.1",
                      "api_server_port": "8082", "api_server_use_ssl": False, "oper": None, "admin_user": None,
                      "admin_password": None, "admin_tenant_name": None, "md5": None,
                      "graceful_restart_time": 60, "long_lived_graceful_restart_time": 300,
                      "end_of_rib_timeout": 300, "graceful_restart_bgp_helper_enable": False,
                      "graceful_restart_xmpp_helper_enable": False, "graceful_restart_enable": False,
                      "set_graceful_restart_parameters": False, **(conf or {})})
    p.add_argument("--host_name", help="hostname name of control-node")
    p.add_argument("--host_ip", help="IP address of control-node")
    p.add_argument("--router_asn", help="AS Number the control-node is in", required=True)
    p.add_argument("--address_families", help="Address family list", choices=DEFAULT_FAMILIES, nargs="*",
                   default=[])
    p.add_argument("--md5", help="Md5 config for the node")
    p.add_argument("--ibgp_auto_mesh", help="Create iBGP mesh automatically", dest="ibgp_auto_mesh",
                   action="store_true")
    p.add_argument("--no_ibgp_auto_mesh", help="Don't create iBGP mesh automatically", dest="ibgp_auto_mesh",
                   action="store_false")
    p.add_argument("--api_server_ip", help="IP address of api server", required=True)
    p.add_argument("--api_server_port", help="Port of api server", required=True)
    p.add_argument("--api_server_use_ssl", help="Use SSL to connect with API server")
    p.add_argument("--oper", help="Provision operation to be done(add or del)")
    _keystone_args(p)
    p.add_argument("--graceful_restart_time", type=_gr_time, default=60,
                   help="Graceful Restart Time in seconds (0..4095)")
    p.add_argument("--long_lived_graceful_restart_time", type=_llgr_time, default=300,
                   help="Long Lived Graceful Restart Time in seconds (0..16777215)")
    p.add_argument("--end_of_rib_timeout", type=_gr_time, default=300,
                   help="EndOfRib timeout value in seconds (0..4095)")
    p.add_argument("--graceful_restart_bgp_helper_enable", action="store_true",
                   help="Enable helper mode for BGP graceful restart")
    p.add_argument("--graceful_restart_xmpp_helper_enable", action="store_true",
                   help="Enable helper mode for XMPP graceful restart")
    p.add_argument("--graceful_restart_enable", action="store_true", help="Enable Graceful Restart")
    p.add_argument("--set_graceful_restart_parameters", action="store_true",
                   help="Set Graceful Restart Parameters")
    return p


# -- what provision_bgp.add_bgp_router builds -------------------------------------------------
def _ip(value: str) -> str:
    """provision_bgp.get_ip: str(IPNetwork(ip_w_pfx).ip)."""
    return str(ipaddress.ip_interface(value).ip)


def address_families(router_type: str, families: Sequence[str] | None) -> list[str]:
    fams = list(families or DEFAULT_FAMILIES)
    if not families and router_type != "control-node":
        fams.remove("erm-vpn")
    if router_type != "control-node" and "erm-vpn" in fams:
        raise RuntimeError("Only contrail bgp routers can support family 'erm-vpn'")
    return fams


def bgp_router_parameters(router_ip: str, router_asn: str, families: Sequence[str] | None,
                          router_type: str = "control-node") -> dict[str, Any]:
    """BgpRouterParams(router_type, vendor, autonomous_system, identifier, address, port=179,
    address_families): no hold_time, no local_autonomous_system."""
    vendor = {"control-node": "contrail", "router": "mx"}.get(router_type, "unknown")
    return {"router_type": router_type, "vendor": vendor, "autonomous_system": int(router_asn),
            "identifier": _ip(router_ip), "address": _ip(router_ip), "port": 179,
            "address_families": {"family": address_families(router_type, families)}}


def peering_attributes(families: list[str]) -> dict[str, Any]:
    """BgpPeeringAttributes(session=[BgpSession(attributes=[BgpSessionAttributes(address_families)])])."""
    return {"session": [{"attributes": [{"address_families": {"family": families}}]}]}


def md5_auth(key: str) -> dict[str, Any]:
    return {"key_items": [{"key": key, "key_id": 0}], "key_type": "md5"}


def add_bgp_router(vnc: Vnc, name: str, router_ip: str, router_asn: str, families: Sequence[str] | None,
                   md5: str | None, out: Callable[[str], None] = print) -> None:
    params = bgp_router_parameters(router_ip, router_asn, families)
    vnc.read("routing-instance", IP_FABRIC_RI)
    fq = IP_FABRIC_RI + [name]
    existing = vnc.fq_name_to_id("bgp-router", fq)
    if existing:
        obj = vnc.read("bgp-router", obj_uuid=existing)
        if md5:
            out("Setting md5 on the existing uuid")
            current = dict(obj.get("bgp_router_parameters") or {})
            current["auth_data"] = md5_auth(md5)
            vnc.update("bgp-router", existing, {"bgp_router_parameters": current})
        out("BGP Router " + pformat(fq) + " already exists with uuid " + existing)
        return
    cur = vnc.create("bgp-router", {"fq_name": fq, "parent_type": "routing-instance",
                                    "bgp_router_parameters": params})
    vnc.read("bgp-router", obj_uuid=cur)
    attr = peering_attributes(params["address_families"]["family"])
    refs = [{"to": r["fq_name"], "uuid": r["uuid"], "attr": attr} for r in vnc.list("bgp-router")
            if list(r.get("fq_name", []))[:-1] == IP_FABRIC_RI and r.get("uuid") != cur]
    update: dict[str, Any] = {"bgp_router_refs": refs}
    if md5:
        update["bgp_router_parameters"] = {**params, "auth_data": md5_auth(md5)}
    vnc.update("bgp-router", cur, update)


def del_bgp_router(vnc: Vnc, name: str) -> None:
    """provision_bgp.del_bgp_router: read (NoIdError when absent), delete by uuid. It drops the
    other routers' refs only in memory (never updates them), so only the delete reaches the API."""
    vnc.read("routing-instance", IP_FABRIC_RI)
    obj = vnc.read("bgp-router", IP_FABRIC_RI + [name])
    vnc.delete("bgp-router", obj_uuid=obj["uuid"])


def _client(a: argparse.Namespace, node_tool: bool = True) -> Vnc:
    """VncApi(admin_user, admin_password, admin_tenant_name, api_server_ip, api_server_port, '/',
    auth_host=openstack_ip) -- provision_control.py passes no auth_host."""
    return Vnc(VncClient(a.api_server_ip, int(a.api_server_port), a.admin_user or "", a.admin_password or "",
                         a.admin_tenant_name or "default-tenant",
                         auth_host=(getattr(a, "openstack_ip", None) or None) if node_tool else None))


def unknown_oper(oper: str) -> str:
    return f"Unknown operation {oper}. Only 'add' and 'del' supported"


def run_control(a: argparse.Namespace, out: Callable[[str], None] = print) -> None:
    if a.router_asn and not a.oper:
        vnc = _client(a, node_tool=False)
        gsc = vnc.read("global-system-config", GSC)
        update: dict[str, Any] = {"autonomous_system": int(a.router_asn)}
        if a.ibgp_auto_mesh is not None:
            update["ibgp_auto_mesh"] = a.ibgp_auto_mesh
        if a.set_graceful_restart_parameters:
            update["graceful_restart_parameters"] = {
                "restart_time": int(a.graceful_restart_time),
                "long_lived_restart_time": int(a.long_lived_graceful_restart_time),
                "end_of_rib_timeout": int(a.end_of_rib_timeout), "enable": a.graceful_restart_enable,
                "bgp_helper_enable": a.graceful_restart_bgp_helper_enable,
                "xmpp_helper_enable": a.graceful_restart_xmpp_helper_enable}
        vnc.update("global-system-config", gsc["uuid"], update)
        return
    vnc = _client(a, node_tool=False)
    if a.oper == "add":
        add_bgp_router(vnc, a.host_name, a.host_ip, a.router_asn, a.address_families, a.md5, out)
    elif a.oper == "del":
        del_bgp_router(vnc, a.host_name)
    else:
        out(unknown_oper(a.oper))


def run_node(obj_type: str, ip_field: str, a: argparse.Namespace, out: Callable[[str], None] = print) -> None:
    vnc = _client(a)
    vnc.read("global-system-config", GSC)
    fq = GSC + [a.host_name]
    if a.oper == "add":
        existing = vnc.fq_name_to_id(obj_type, fq)
        if existing:
            vnc.read(obj_type, obj_uuid=existing)
            vnc.update(obj_type, existing, {})  # the object as read: nothing changes, not even the IP
        else:
            vnc.create(obj_type, {"fq_name": fq, "parent_type": "global-system-config", ip_field: a.host_ip})
    elif a.oper == "del":
        vnc.delete(obj_type, fq)
    else:
        out(unknown_oper(a.oper))


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


def resplit(argv: Sequence[str] | None) -> list[str]:
    """`args_str = ' '.join(sys.argv[1:])` then `args_str.split()`: an argument holding a space
    becomes two."""
    return " ".join(sys.argv[1:] if argv is None else argv).split()


def parse(make_parser: Callable[[dict[str, str]], argparse.ArgumentParser], argv: Sequence[str] | None,
          node_tool: bool) -> argparse.Namespace:
    argv = resplit(argv)
    return make_parser(_conf_defaults(argv, node_tool=node_tool)).parse_args(argv)


def _main(make_parser, node_tool: bool, run, argv: Sequence[str] | None) -> None:
    a = parse(make_parser, argv, node_tool)
    try:
        run(a)
    except ApiUnreachable as exc:
        sys.exit(f"ERROR: {exc}")


def main_control(argv: Sequence[str] | None = None) -> None:
    _main(control_parser, False, run_control, argv)


def main_config_node(argv: Sequence[str] | None = None) -> None:
    _main(lambda conf: node_parser("config", conf), True,
          lambda a: run_node("config-node", "config_node_ip_address", a), argv)


def main_analytics_node(argv: Sequence[str] | None = None) -> None:
    _main(lambda conf: node_parser("analytics", conf), True,
          lambda a: run_node("analytics-node", "analytics_node_ip_address", a), argv)


def main_database_node(argv: Sequence[str] | None = None) -> None:
    _main(lambda conf: node_parser("database", conf), True,
          lambda a: run_node("database-node", "database_node_ip_address", a), argv)
