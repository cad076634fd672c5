"""One-shot at first boot: provision this control node as a bgp-router in its own cluster.

A real cluster's installer runs `provision_control.py` for every control node, once without
--oper (the ASN on global-system-config) and once with --oper add (the bgp-router);
the lab does it once per node, under the system supervisord, when the config API of the
node's cluster answers. Reads contrail-control.conf ([DEFAULT] hostname/hostip, [IFMAP]
server_url -> the API) and the admin credentials of contrail-keystone-auth.conf; leaves
a marker so later `service supervisor restart`s do nothing.
Once done it retires itself from the system supervisord (contrail_sim.common.firstboot),
as a real installer leaves nothing there; --keep_program keeps it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from ..common import daemon, firstboot
from . import peers
from .daemon import DEFAULT_CONF, KEYSTONE_AUTH_CONF, api_auth_headers, api_host

MARKER = "/var/lib/contrail-sim/control-provisioned"
PROGRAM = "contrail-lab-provision-control"  # its [program:] in the system supervisord


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="contrail-lab-provision-control")
    parser.add_argument("--conf_file", default=DEFAULT_CONF)
    parser.add_argument("--router_asn", default="64512")
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the config API")
    parser.add_argument("--marker", default=MARKER)
    parser.add_argument("--keep_program", action="store_true",
                        help=f"leave {PROGRAM} in the system supervisord when done")
    args = parser.parse_args(argv)
    if firstboot.already_done(args.marker, PROGRAM, args.keep_program):
        return
    cp = daemon.read_conf([args.conf_file])
    hostname = daemon.get(cp, "DEFAULT", "hostname") or daemon.node_name()
    hostip = daemon.get(cp, "DEFAULT", "hostip")
    api = api_host(cp)
    headers = api_auth_headers(KEYSTONE_AUTH_CONF)
    deadline = time.monotonic() + args.wait
    while True:
        try:
            peers.fetch_routers(api, 8082, headers=headers)
            break
        except peers.ApiError as exc:
            if time.monotonic() > deadline:
                sys.exit(f"config API {api}:8082 not ready: {exc}")
            time.sleep(2)
    ks = daemon.read_conf([KEYSTONE_AUTH_CONF]) if os.path.exists(KEYSTONE_AUTH_CONF) else None
    creds = []
    if ks is not None:
        creds = ["--admin_user", daemon.get(ks, "KEYSTONE", "admin_user"),
                 "--admin_password", daemon.get(ks, "KEYSTONE", "admin_password"),
                 "--admin_tenant_name", daemon.get(ks, "KEYSTONE", "admin_tenant_name", "admin")]
    from ..config.provision import main_control  # the lab's provision_control.py

    # as contrail-fabric-utils R3.2 fabfile/tasks/provision.py prov_control_bgp does it: first
    # without --oper (the ASN on global-system-config), then the same command plus
    # --host_name/--host_ip/--oper add (the bgp-router); no --ibgp_auto_mesh.
    base = ["--api_server_ip", api, "--api_server_port", "8082", "--router_asn", args.router_asn, *creds]
    main_control(base)
    main_control([*base, "--host_name", hostname, "--host_ip", hostip, "--oper", "add"])
    os.makedirs(os.path.dirname(args.marker), exist_ok=True)
    with open(args.marker, "w") as fh:
        fh.write(f"{hostname} {hostip} {api}\n")
    if not args.keep_program:
        firstboot.retire(PROGRAM)


if __name__ == "__main__":
    main()
