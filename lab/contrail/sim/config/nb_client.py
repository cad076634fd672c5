"""contrail-nb-client: the lab's "OpenStack" northbound client, talking to the API VIP (HAProxy).

    contrail-nb-client create virtual-network NAME [--project P] [--api VIP:PORT]
    contrail-nb-client list virtual-network [--api VIP:PORT]      one fq_name per line (a:b:c)
    contrail-nb-client delete virtual-network NAME [--api VIP:PORT]
Credentials and the default VIP come from /etc/contrail/contrail-nb-client.conf
([API] api_server, [KEYSTONE] auth_url, admin_*, user_domain_name): a keystone token, as
neutron's contrail plugin gets one, sent as X-Auth-Token. Exit 0 on success; 1 with "ERROR: ..." when
the API refuses or cannot be reached (e.g. HAProxy frozen: 503 / connection refused).
"""
from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from ..common import daemon
from ..common.vnc_client import ApiHttpError, ApiUnreachable, VncClient

CONF = "/etc/contrail/contrail-nb-client.conf"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="contrail-nb-client")
    p.add_argument("action", choices=("create", "list", "delete"))
    p.add_argument("type", choices=("virtual-network", "project"))
    p.add_argument("name", nargs="?")
    p.add_argument("--project", default="default-project")
    p.add_argument("--api", help="VIP:PORT of the config API (default from the conf file)")
    p.add_argument("--conf_file", default=CONF)
    a = p.parse_args(argv)
    cp = daemon.read_conf([a.conf_file])
    api = a.api or daemon.get(cp, "API", "api_server")
    host, _, port = api.partition(":")
    k = lambda key, d="": daemon.get(cp, "KEYSTONE", key, d)  # noqa: E731
    auth_url = urlsplit(k("auth_url", "http://127.0.0.1:35357/v2.0"))
    vnc = VncClient(host, int(port or 8082), k("admin_user", "admin"), k("admin_password"),
                    k("admin_tenant_name", "admin"), timeout=10, retries=2, retry_wait=1,
                    auth_protocol=auth_url.scheme, auth_host=auth_url.hostname, auth_port=auth_url.port or 35357,
                    auth_url="/v2.0/tokens" if "v2.0" in auth_url.path else "/v3/auth/tokens",
                    domain_name=k("user_domain_name", "Default"), conf_file=CONF)
    parent = ["default-domain"] if a.type == "project" else ["default-domain", a.project]
    try:
        if a.action == "list":
            for item in vnc.list(a.type):
                print(":".join(item["fq_name"]))
            return
        if not a.name:
            sys.exit("ERROR: NAME is required")
        fq = parent + [a.name]
        if a.action == "create":
            obj = vnc.create(a.type, {"fq_name": fq, "parent_type": "domain" if a.type == "project" else "project"})
            print(obj["uuid"])
        else:
            obj_uuid = vnc.fq_name_to_id(a.type, fq)
            if obj_uuid is None:
                sys.exit(f"ERROR: {a.type} {':'.join(fq)} not found")
            vnc.delete(a.type, obj_uuid)
            print(f"deleted {obj_uuid}")
    except (ApiUnreachable, ApiHttpError, RuntimeError) as exc:
        sys.exit(f"ERROR: {exc}")
