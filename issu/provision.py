"""Command lines of Contrail's /opt/contrail/utils/provision_*.py tools, with the seed's arguments.

The keystone admin credentials never go on the command line (other users read
/proc/*/cmdline): the real tools take `-c/--conf_file FILE` (contrail-controller R3.2
src/config/utils/provision_control.py and provision_{config,analytics,database}_node.py:
ConfigParser.SafeConfigParser, section [DEFAULTS] read always -- it must exist -- and, for
the *_node.py tools, [KEYSTONE] admin_user/admin_password/admin_tenant_name, which override
[DEFAULTS]; provision_control.py reads admin_* from [DEFAULTS] only). The runbook sends that
file on stdin; on the node `sh` stores it in a 0600 mktemp file, runs the tool with
`-c <file>` and removes the file when the shell exits. SafeConfigParser interpolates '%'
(a literal '%' is written '%%'). `openstack_ip` (the keystone host, the *_node.py tools'
--openstack_ip, VncApi auth_host) is set in [DEFAULTS] as well.
"""
from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from issu import facts
from issu.inventory import Node

UTILS = "/opt/contrail/utils"


def _v(value: str) -> str:
    return value.replace("%", "%%")


def credentials_conf(inventory) -> str:
    """The provision tools' -c file: [DEFAULTS] and [KEYSTONE] with the keystone admin credentials."""
    ks = inventory.model.keystone
    password = inventory.secret(ks.admin_password).resolve()
    if "\n" in password or "\r" in password:
        raise ValueError("keystone.admin_password: a password with a line break cannot go in an INI file")
    creds = (f"admin_user = {_v(ks.admin_user)}\nadmin_password = {_v(password)}\n"
             f"admin_tenant_name = {_v(ks.admin_tenant_name)}\n")
    openstack_ip = urlsplit(inventory.model.keystone_url()).hostname or inventory.model.openstack.ip
    return f"[DEFAULTS]\nopenstack_ip = {openstack_ip}\n{creds}\n[KEYSTONE]\n{creds}"


def _wrap(argv: list[str]) -> str:
    """sh: conf from stdin into a 0600 temp file, run `argv -c <file>`, remove the file."""
    tool = " ".join(shlex.quote(a) for a in argv)
    return ("sh -c " + shlex.quote('umask 077; f=$(mktemp) || exit 1; trap \'rm -f "$f"\' EXIT; '
                                   f'cat > "$f" && {tool} -c "$f"'))


def node_command(inventory, script: str, node: Node, api_ip: str, oper: str) -> str:
    """provision_config_node.py / provision_analytics_node.py / provision_database_node.py (stdin: credentials_conf).

    R3.2: --host_name, --host_ip, --api_server_ip required; add on an existing object changes
    nothing (not even its IP); del of an absent one is a NoIdError traceback, exit 1; silent on
    success. The runbook plans add/del from what the API lists, never from the tool's words."""
    return _wrap(["python", f"{UTILS}/{script}", "--api_server_ip", api_ip, "--api_server_port", str(facts.API_PORT),
                  "--host_name", node.name, "--host_ip", node.ip, "--oper", oper])


def control_command(inventory, node: Node, api_ip: str, oper: str) -> str:
    """provision_control.py --oper add|del: a control node as a bgp-router (stdin: credentials_conf).

    R3.2 provision_control.py requires --router_asn, --api_server_ip and --api_server_port;
    with --oper it touches the bgp-router only (--ibgp_auto_mesh would be ignored: only a run
    without --oper writes the ASN/mesh to global-system-config, which the installer did).
    add: an existing router is left as it is ("already exists", exit 0); the runbook plans an
    add only for an absent router and a del only for a present one (del of an absent one is a
    NoIdError traceback, exit 1)."""
    return _wrap(["python", f"{UTILS}/provision_control.py", "--api_server_ip", api_ip,
                  "--api_server_port", str(facts.API_PORT), "--host_name", node.name, "--host_ip", node.ip,
                  "--oper", oper, "--router_asn", str(inventory.model.asn)])
