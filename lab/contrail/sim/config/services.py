"""The other config/analytics/database/webui daemons: listen, introspect, NodeStatus, elections.

`contrail-schema`, `contrail-svc-monitor`, `contrail-device-manager` run an election per
cluster_id (contrail_sim.config.election). As in real 3.2, a backup instance does not
open its introspect port; contrail-status turns that connection error into `backup` for
these three (its BackupImplementedServices). The active one serves NodeStatus on its
port: Functional, or Non-Functional with "Database:Cassandra[] connection down"-style
descriptions, which contrail-status shows as `initializing (...)`. The active one also
creates its keyspace (<cluster_id>_to_bgp_keyspace / _svc_monitor_keyspace / _dm_keyspace).

Every daemon takes `--conf_file FILE` (repeatable) and reads [DEFAULTS]; it binds the IP
of `http_server_ip` / `listen_ip_addr` / `host_ip`, else its hostname's address (/etc/hosts).
"""
from __future__ import annotations

import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..common import daemon
from ..common.db import KEYSPACES, CassandraClient, DbError, keyspace_name
from ..common.discovery import Publisher
from ..common.health import Dependency, StatusLoop, database_deps
from ..common.rabbit import conf_connections as rabbit_connections
from ..common.sandesh import IntrospectServer, LabHTTPServer
from .election import Elector


@dataclass(frozen=True)
class Spec:
    conf: str                              # default --conf_file
    introspect: int | None                 # sandesh http port (ServiceHttpPortMap)
    listen: tuple[int, ...] = ()           # extra TCP ports served
    election: str = ""                     # znode name under /<cluster_id>
    keyspace: str = ""                     # created when active
    publish: tuple[tuple[str, int], ...] = ()   # discovery service types and ports
    deps: tuple[str, ...] = ()             # 'db', 'zk', 'api'
    uve_key: str = ""


SPECS: dict[str, Spec] = {
    "contrail-schema": Spec("/etc/contrail/contrail-schema.conf", 8087, election="schema-transformer",
                            keyspace="to_bgp_keyspace", deps=("db", "zk", "api")),
    "contrail-svc-monitor": Spec("/etc/contrail/contrail-svc-monitor.conf", 8088, election="svc-monitor",
                                 keyspace="svc_monitor_keyspace", deps=("db", "zk", "api")),
    "contrail-device-manager": Spec("/etc/contrail/contrail-device-manager.conf", 8096, election="device-manager",
                                    keyspace="dm_keyspace", deps=("db", "zk", "api")),
    "ifmap": Spec("/etc/contrail/contrail-api.conf", None, listen=(8443,)),
    "contrail-config-nodemgr": Spec("/etc/contrail/contrail-config-nodemgr.conf", 8100),
    "contrail-database-nodemgr": Spec("/etc/contrail/contrail-database-nodemgr.conf", 8103, deps=("db",)),
    "contrail-analytics-nodemgr": Spec("/etc/contrail/contrail-analytics-nodemgr.conf", 8104),
    "contrail-collector": Spec("/etc/contrail/contrail-collector.conf", 8089, listen=(8086,),
                               publish=(("Collector", 8086),)),
    "contrail-analytics-api": Spec("/etc/contrail/contrail-analytics-api.conf", 8090, listen=(8081,),
                                   publish=(("OpServer", 8081),)),
    "contrail-alarm-gen": Spec("/etc/contrail/contrail-alarm-gen.conf", 5995, publish=(("AlarmGenerator", 5995),)),
    "contrail-query-engine": Spec("/etc/contrail/contrail-query-engine.conf", 8091),
    "contrail-snmp-collector": Spec("/etc/contrail/contrail-snmp-collector.conf", 5920),
    "contrail-topology": Spec("/etc/contrail/contrail-topology.conf", 5921),
    "contrail-webui": Spec("/etc/contrail/config.global.js", None, listen=(8080, 8143)),
    "contrail-webui-middleware": Spec("/etc/contrail/config.global.js", None, listen=(3000,)),
}


def listener(ip: str, port: int, banner: str) -> ThreadingHTTPServer:
    """A plain HTTP responder standing in for a port we only need to be open and answer."""
    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            data = f"<html><body>{banner}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = LabHTTPServer((ip, port), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def my_ip(cp, node: str) -> str:
    for key in ("http_server_ip", "listen_ip_addr", "host_ip"):
        value = daemon.get(cp, "DEFAULTS", key)
        if value and value != "0.0.0.0":
            return value
    return socket.gethostbyname(node)


def read_js_conf(path: str) -> dict[str, str]:
    """config.global.js lines `config.x.y = 'v';` -> {'x.y': 'v'} (what the webui needs)."""
    out = {}
    try:
        with open(path) as fh:
            for line in fh:
                line = line.strip().rstrip(";")
                if line.startswith("config.") and "=" in line:
                    k, _, v = line.partition("=")
                    out[k.strip()[len("config."):]] = v.strip().strip("'\"")
    except FileNotFoundError:
        sys.exit(f"{path}: No such file or directory")
    return out


@dataclass
class Runner:
    name: str
    spec: Spec
    ip: str
    node: str
    cluster_id: str
    deps: list[Dependency]
    pubs: list[Publisher] = field(default_factory=list)
    intro: IntrospectServer | None = None
    status: StatusLoop | None = None
    cass: str = ""
    rabbit: Callable[[], list[dict[str, object]]] = lambda: []

    def start_introspect(self) -> None:
        if self.spec.introspect is None or self.intro is not None:
            return
        intro = IntrospectServer(self.ip, self.spec.introspect, self.name, self.node)
        intro.start()
        self.intro = intro
        self.status = StatusLoop(intro.set_status, self.deps,
                                 lambda: [p.connection() for p in self.pubs] + self.rabbit())
        self.status.tick()
        self.status.start()

    def stop_introspect(self) -> None:
        if self.status:
            self.status.stop()
        if self.intro:
            self.intro.stop()
        self.intro = self.status = None

    def on_election(self, leader: bool) -> None:
        daemon.log(self.name, "elected active" if leader else "backup")
        if leader:
            if self.spec.keyspace and self.cass:
                try:
                    CassandraClient(self.cass).create_keyspace(
                        keyspace_name(self.cluster_id, self.spec.keyspace), KEYSPACES[self.spec.keyspace])
                except DbError as exc:
                    daemon.log(self.name, f"cannot create keyspace: {exc}")
            self.start_introspect()
        else:
            self.stop_introspect()


def main(name: str, argv: list[str] | None = None) -> None:
    spec = SPECS[name]
    args = daemon.conf_args(name, spec.conf, argv)
    node = daemon.node_name()
    if spec.conf.endswith(".js"):
        js = {}
        for path in args.conf_file:
            js.update(read_js_conf(path))
        ip = js.get("webui_addresses", "") or socket.gethostbyname(node)
        for port in spec.listen:
            listener(ip, port, name)
        daemon.log(name, f"listening on {ip} {spec.listen}")
        daemon.wait_forever()
        return
    cp = daemon.read_conf(args.conf_file)
    g = lambda k, d="": daemon.get(cp, "DEFAULTS", k, d)  # noqa: E731
    ip = my_ip(cp, node)
    cluster_id = g("cluster_id")
    cass = g("cassandra_server_list")
    zk = g("zk_server_ip")
    deps = database_deps(cass if "db" in spec.deps else "", zk if "zk" in spec.deps else "")
    if "api" in spec.deps and g("api_server_ip"):
        deps.append(Dependency("ApiServer", "", ((g("api_server_ip"), int(g("api_server_port", "8082"))),)))
    runner = Runner(name, spec, ip, node, cluster_id, deps, cass=cass,
                    rabbit=(lambda: rabbit_connections(cp)) if "api" in spec.deps else (lambda: []))
    for port in spec.listen:
        listener(ip, port, name)
    disc = g("disc_server_ip") or daemon.get(cp, "DISCOVERY", "disc_server_ip") or daemon.get(cp, "DISCOVERY", "server")
    disc_port = int(g("disc_server_port") or daemon.get(cp, "DISCOVERY", "disc_server_port")
                    or daemon.get(cp, "DISCOVERY", "port") or "5998")
    if disc:
        for stype, port in spec.publish:
            runner.pubs.append(Publisher(disc, disc_port, node, stype, {"ip-address": ip, "port": str(port)}, ip).start())
    if spec.election:
        if not zk:
            sys.exit(f"{name}: [DEFAULTS] zk_server_ip is not set")
        Elector(zk, cluster_id, spec.election, f"{node}:{os.getpid()}", runner.on_election).start()
        daemon.log(name, f"candidate for /{cluster_id}/{spec.election} on {zk}".replace("//", "/"))
    else:
        runner.start_introspect()
        daemon.log(name, f"running on {ip}")
    daemon.wait_forever()
