"""contrail-control: BGP on <hostip>:179, XMPP on <hostip>:5269, introspect on 8083.

Reads /etc/contrail/contrail-control.conf (real 3.2 keys):
  [DEFAULT]   hostip, hostname, http_server_port (8083), bgp_port (179), xmpp_server_port (5269)
  [DISCOVERY] server, port (5998)        -> publishes `xmpp-server` {ip-address: hostip, port: 5269}
  [IFMAP]     server_url (https://<config node>:8443)
The configuration (its own bgp-router and its neighbors) comes from the config API of its
cluster: GET http://<api>:8082/bgp-routers and /bgp-router/<uuid>, re-read every few
seconds; <api> is the host of [IFMAP] server_url, else the discovery server. When the API
wants credentials they are the [KEYSTONE] admin_user/admin_password/admin_tenant_name of
/etc/contrail/contrail-keystone-auth.conf, exchanged at its keystone (auth_url) for a token
sent as X-Auth-Token (as the lab's contrail-api checks); the token is dropped on any API error.
(The real 3.2 control node reads its config from IF-MAP, not the API: a lab shortcut.)
"""
from __future__ import annotations

import configparser
import os
import threading
from urllib.parse import urlsplit

from ..common import daemon, keystone_auth
from ..common.discovery import Publisher
from ..common.sandesh import FUNCTIONAL, NON_FUNCTIONAL, IntrospectServer
from . import introspect, peers
from .speaker import Speaker
from .xmpp_server import XmppServer

PROG = "contrail-control"
DEFAULT_CONF = "/etc/contrail/contrail-control.conf"
KEYSTONE_AUTH_CONF = "/etc/contrail/contrail-keystone-auth.conf"
HOLD_TIME = 9          # seconds; real default is 90, short so a lost peer shows quickly
CONFIG_POLL = 3.0      # seconds between reads of the config API


def api_host(cp: configparser.ConfigParser) -> str:
    url = daemon.get(cp, "IFMAP", "server_url")
    if url:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
        if host:
            return host
    return daemon.get(cp, "DISCOVERY", "server")


def ifmap_addr(cp: configparser.ConfigParser) -> str:
    """host:port of [IFMAP] server_url, as the IFMap ConnectionInfo names it."""
    url = daemon.get(cp, "IFMAP", "server_url")
    parts = urlsplit(url if "//" in url else f"//{url}") if url else None
    if parts and parts.hostname:
        return f"{parts.hostname}:{parts.port or 8443}"
    return ""


_TOKENS: dict[str, str] = {}


def forget_token(path: str = KEYSTONE_AUTH_CONF) -> None:
    _TOKENS.pop(path, None)


def api_auth_headers(path: str = KEYSTONE_AUTH_CONF) -> dict[str, str]:
    """{'X-Auth-Token': ...} from the keystone of contrail-keystone-auth.conf ({} when it cannot be had)."""
    if not os.path.exists(path):
        return {}
    if path not in _TOKENS:
        cp = daemon.read_conf([path])
        k = lambda key, d="": daemon.get(cp, "KEYSTONE", key, d)  # noqa: E731
        if not k("admin_user"):
            return {}
        url = k("auth_url") or f"{k('auth_protocol', 'http')}://{k('auth_host', '127.0.0.1')}:{k('auth_port', '35357')}/v2.0"
        try:
            _TOKENS[path] = keystone_auth.get_token(url, k("admin_user"), k("admin_password"),
                                                    k("admin_tenant_name", "admin"),
                                                    k("user_domain_name", "Default"),
                                                    k("project_domain_name", k("user_domain_name", "Default"))).id
        except (keystone_auth.KeystoneUnreachable, keystone_auth.KeystoneRefused, ValueError, KeyError):
            return {}
    return {"X-Auth-Token": _TOKENS[path]}


class ControlNode:
    def __init__(self, cp: configparser.ConfigParser, auth_conf: str = KEYSTONE_AUTH_CONF) -> None:
        self.hostname = daemon.get(cp, "DEFAULT", "hostname") or daemon.node_name()
        self.hostip = daemon.get(cp, "DEFAULT", "hostip")
        if not self.hostip:
            raise SystemExit(f"{PROG}: [DEFAULT] hostip is not set")
        self.api = api_host(cp)
        self.api_port = 8082
        self.ifmap = ifmap_addr(cp) or f"{self.api}:8443"
        self.auth_conf = auth_conf
        self.api_up = False
        self.intro = IntrospectServer(self.hostip, int(daemon.get(cp, "DEFAULT", "http_server_port", "8083")),
                                      PROG, self.hostname)
        self.speaker = Speaker(self.hostip, asn=64512, bgp_id=self.hostip, hold_time=HOLD_TIME,
                               port=int(daemon.get(cp, "DEFAULT", "bgp_port", "179")), log=self.log)
        xmpp_port = int(daemon.get(cp, "DEFAULT", "xmpp_server_port", "5269"))
        self.xmpp = XmppServer(self.hostip, xmpp_port, hold_time=HOLD_TIME, log=self.log)
        disc = daemon.get(cp, "DISCOVERY", "server")
        self.publisher = None
        if disc:
            self.publisher = Publisher(disc, int(daemon.get(cp, "DISCOVERY", "port", "5998")), self.hostname,
                                       "xmpp-server", {"ip-address": self.hostip, "port": str(xmpp_port)},
                                       self.hostip)
        self._stop = threading.Event()
        self.intro.route("Snh_BgpNeighborReq", self._neighbor_req)
        self.intro.route("Snh_BgpNeighborReqIterate", self._neighbor_iterate)

    def log(self, message: str) -> None:
        daemon.log(PROG, message)

    # -- introspect
    def _rows(self) -> tuple[list[introspect.Neighbor], list[introspect.Neighbor]]:
        bgp_rows = [introspect.Neighbor(n.name, n.address, n.asn, "BGP", n.peer_type, n.state,
                                        n.router_type, n.flap_count) for n in self.speaker.neighbors()]
        xmpp_rows = [introspect.Neighbor(p.name, p.address, self.speaker.asn, "XMPP", "internal", p.state,
                                         "", p.flap_count) for p in self.xmpp.peers()]
        return bgp_rows, xmpp_rows

    def _neighbor_req(self, query: dict[str, str]) -> str:
        bgp_rows, xmpp_rows = self._rows()
        return introspect.render(introspect.page(bgp_rows, xmpp_rows, query.get("search_string", "")))

    def _neighbor_iterate(self, query: dict[str, str]) -> str:
        parsed = introspect.parse_iterate_key(query.get("x") or query.get("iterate_info") or "")
        if parsed is None:
            return introspect.render_empty()
        next_entry, search = parsed
        bgp_rows, xmpp_rows = self._rows()
        return introspect.render(introspect.page(bgp_rows, xmpp_rows, search, next_entry or "\x00"))

    # -- configuration and status
    def poll_config(self) -> None:
        """One read of the config API -> identity and neighbors; keeps the last good config on error."""
        try:
            routers = peers.fetch_routers(self.api, self.api_port, headers=api_auth_headers(self.auth_conf))
        except peers.ApiError as exc:
            forget_token(self.auth_conf)
            if self.api_up:
                self.log(f"config API unreachable: {exc}")
            self.api_up = False
            return
        self.api_up = True
        mesh = peers.fetch_auto_mesh(self.api, self.api_port, headers=api_auth_headers(self.auth_conf))
        me, neighbors = peers.select_peers(routers, self.hostname, self.hostip, ibgp_auto_mesh=mesh)
        if me is not None:
            self.speaker.set_identity(me.asn, me.identifier or self.hostip)
        self.speaker.set_peers(neighbors)

    def update_status(self) -> None:
        conns: list[dict[str, object]] = [{
            "type": "IFMap", "name": "IFMapServer", "status": "Up" if self.api_up else "Down",
            "server_addrs": [self.ifmap],
            "description": "Connection with IFMap Server (irond)" if self.api_up else "Connection down",
        }]
        if self.publisher is not None:
            conns.append(self.publisher.connection())
        down = [f"{c['type']}:{c['name']}" for c in conns if c["status"] != "Up"]
        if down:
            self.intro.set_status(NON_FUNCTIONAL, ", ".join(down) + " connection down", conns)
        else:
            self.intro.set_status(FUNCTIONAL, "", conns)

    def run(self) -> None:
        self.intro.start()
        self.speaker.start()
        self.xmpp.start()
        if self.publisher is not None:
            self.publisher.start()
        self.log(f"started on {self.hostip}: BGP {self.speaker.port}, XMPP {self.xmpp.port}, "
                 f"introspect {self.intro.port}, config API {self.api}:{self.api_port}")
        while not self._stop.is_set():
            self.poll_config()
            self.update_status()
            self._stop.wait(CONFIG_POLL)

    def stop(self) -> None:
        self._stop.set()
        self.speaker.stop()
        self.xmpp.stop()
        if self.publisher is not None:
            self.publisher.stop()
        self.intro.stop()


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args(PROG, DEFAULT_CONF, argv)
    cp = daemon.read_conf(args.conf_file)
    node = ControlNode(cp)
    threading.Thread(target=node.run, name="control-main", daemon=True).start()
    daemon.wait_forever()
    node.stop()


if __name__ == "__main__":
    main()
