"""One-shot at first boot: provision this controller's config/analytics/database roles in its cluster.

What a real installer does with provision_{config,analytics,database}_node.py --oper add,
so that the finalize step of the ISSU finds the old cluster's node objects to delete.
Reads /etc/contrail/contrail-lab-provision.conf ([DEFAULTS] api_server_ip, api_server_port,
host_name, host_ip, roles, admin_user, admin_password, admin_tenant_name, openstack_ip: the
keystone host, as provision_*_node.py --openstack_ip); waits up to
--wait seconds for the API; leaves a marker so a later `service supervisor restart` is a no-op.
Once done it retires itself from the system supervisord (contrail_sim.common.firstboot),
as a real installer leaves nothing there; --keep_program keeps it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from ..common import daemon, firstboot
from ..common.vnc_client import ApiHttpError, ApiUnreachable, VncClient
from .provision import GSC

MARKER = "/var/lib/contrail-sim/config-nodes-provisioned"
PROGRAM = "contrail-lab-provision-nodes"  # its [program:] in the system supervisord
ROLE_OBJECTS = {"config": ("config-node", "config_node_ip_address"),
                "analytics": ("analytics-node", "analytics_node_ip_address"),
                "database": ("database-node", "database_node_ip_address")}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="contrail-lab-provision-nodes")
    p.add_argument("--conf_file", default="/etc/contrail/contrail-lab-provision.conf")
    p.add_argument("--wait", type=float, default=300.0)
    p.add_argument("--marker", default=MARKER)
    p.add_argument("--keep_program", action="store_true",
                   help=f"leave {PROGRAM} in the system supervisord when done")
    a = p.parse_args(argv)
    if firstboot.already_done(a.marker, PROGRAM, a.keep_program):
        return
    cp = daemon.read_conf([a.conf_file])
    g = lambda k, d="": daemon.get(cp, "DEFAULTS", k, d)  # noqa: E731
    vnc = VncClient(g("api_server_ip"), int(g("api_server_port", "8082")), g("admin_user", "admin"),
                    g("admin_password"), g("admin_tenant_name", "admin"), timeout=5, retries=1,
                    auth_host=g("openstack_ip") or None)
    deadline = time.monotonic() + a.wait
    roles = [r for r in g("roles").split() if r in ROLE_OBJECTS]
    while True:
        try:
            for role in roles:
                obj_type, field = ROLE_OBJECTS[role]
                obj_uuid, created = vnc.create_or_update(obj_type, GSC + [g("host_name")],
                                                         {"parent_type": "global-system-config",
                                                          field: g("host_ip")})
                print(f"{'Added' if created else 'Updated'} {obj_type} {g('host_name')} ({obj_uuid})", flush=True)
            break
        except (ApiUnreachable, ApiHttpError, RuntimeError) as exc:  # RuntimeError: keystone not up yet
            if time.monotonic() > deadline:
                sys.exit(f"ERROR: giving up after {a.wait:.0f}s: {exc}")
            time.sleep(3)
    os.makedirs(os.path.dirname(a.marker), exist_ok=True)
    with open(a.marker, "w") as fh:
        fh.write(" ".join(roles) + "\n")
    if not a.keep_program:
        firstboot.retire(PROGRAM)
