"""contrail-discovery: the 3.x discovery service (REST on listen_ip_addr:5998, introspect 5997).

Routes (JSON in and out):
  POST /publish[/<publisher-id>]  {"<type>": {info}, "service-type": "<type>", "remote-addr": ip}
                                  -> {"cookie": "<publisher-id>:<type>"}; re-posting is the heartbeat
  POST /subscribe                 {"service", "instances", "client-type", "remote-addr", "client"}
                                  -> {"ttl": N, "<service>": [info, ...]}  (only services "up";
                                  a client keeps its assignment while those stay up; instances 0 = all)
  GET  /services.json             {"services": [{"service_type", "service_id", "remote", "info",
                                  "oper_state", "admin_state", "status": "up"|"down", "in_use",
                                  "ts_use", "prov_state" (= oper_state), "hbcount": 0, "heartbeat", ...}]}
  GET  /clients.json              {"services": [{"client_type", "client_id", "remote", "service_type",
                                  "service_id", "instances", "ttl", "heartbeat", ...}]}  (sic: "services")
  (contrail-controller R3.2 src/discovery/disc_server.py services_json / clients_json)
  GET|DELETE /service/<id>        one entry / unpublish
State is shared by the cluster's discovery servers through the config database (keyspace
[<cluster_id>_]DISCOVERY_SERVER), so any of them answers for every publisher.
A service is "down" once no heartbeat came for hc_interval * hc_max_miss seconds
([DEFAULTS] of contrail-discovery.conf, real keys and defaults 5 and 3).
"""
from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..common import daemon
from ..common.db import CassandraClient, DbError, keyspace_name
from ..common.health import StatusLoop, database_deps
from ..common.sandesh import IntrospectServer, LabHTTPServer


@dataclass
class Service:
    service_type: str
    service_id: str
    remote: str
    info: dict[str, str]
    heartbeat: float
    admin_state: str = "up"
    ts_use: int = 0


# client id -> service type -> (client_type, remote, [service ids], ttl, ts)
Clients = dict[str, dict[str, tuple[str, str, list[str], int, float]]]


class MemoryState:
    """Where a Registry keeps its state when it is alone (tests)."""

    def load(self, reg: "Registry") -> None:
        return None

    def save_service(self, s: Service) -> None:
        return None

    def save_client(self, client: str, stype: str, entry: tuple[str, str, list[str], int, float]) -> None:
        return None

    def delete_service(self, sid: str) -> None:
        return None


class DbState(MemoryState):
    """State shared by every discovery server of a cluster, in its config database, as the real
    ones share keyspace DISCOVERY_SERVER: CF `service` (row = service id) and CF `client`
    (row = client id, column = service type), values JSON. A database error keeps the last
    state in memory; the daemon's NodeStatus shows the database down."""

    CFS = ("service", "client")

    def __init__(self, db: CassandraClient, cluster_id: str) -> None:
        self.db, self.ks = db, keyspace_name(cluster_id, "DISCOVERY_SERVER")
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            self.db.create_keyspace(self.ks, self.CFS)
            self._ready = True

    def load(self, reg: "Registry") -> None:
        try:
            self._ensure()
            services = {sid: Service(**json.loads(cols["entry"]))
                        for sid, cols in self.db.get_range(self.ks, "service").items() if "entry" in cols}
            clients: Clients = {cid: {st: tuple(json.loads(v)) for st, v in cols.items()}  # type: ignore[misc]
                                for cid, cols in self.db.get_range(self.ks, "client").items()}
        except DbError:
            self._ready = False
            return
        reg.services, reg.clients = services, clients

    def _write(self, fn) -> None:
        try:
            self._ensure()
            fn()
        except DbError:
            self._ready = False

    def save_service(self, s: Service) -> None:
        self._write(lambda: self.db.put_row(self.ks, "service", s.service_id, {"entry": json.dumps(asdict(s))}))

    def save_client(self, client: str, stype: str, entry: tuple[str, str, list[str], int, float]) -> None:
        self._write(lambda: self.db.insert(self.ks, "client", client, {stype: json.dumps(list(entry))}))

    def delete_service(self, sid: str) -> None:
        self._write(lambda: self.db.remove(self.ks, "service", sid))


@dataclass
class Registry:
    """Publications and subscriptions; pure logic with an injectable clock and state store."""

    hc_interval: float = 5.0
    hc_max_miss: int = 3
    ttl_min: int = 300
    ttl_max: int = 1800
    state: MemoryState = field(default_factory=MemoryState)
    services: dict[str, Service] = field(default_factory=dict)
    clients: Clients = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def is_up(self, s: Service, now: float) -> bool:
        return s.admin_state == "up" and now - s.heartbeat <= self.hc_interval * self.hc_max_miss

    def in_use(self, service_id: str) -> int:
        return sum(1 for subs in self.clients.values() for (_, _, ids, _, _) in subs.values() if service_id in ids)

    def publish(self, body: dict[str, Any], publisher_id: str, peer: str, now: float) -> str:
        stype = body.get("service-type") or next((k for k in body if k not in ("remote-addr",)), None)
        if not stype or not isinstance(body.get(stype), dict):
            raise ValueError("publish body needs {<service-type>: {info}} and 'service-type'")
        info = {str(k): str(v) for k, v in body[stype].items()}
        pub = publisher_id or info.get("ip-address") or peer
        sid = f"{pub}:{stype}"
        with self.lock:
            self.state.load(self)
            old = self.services.get(sid)
            svc = Service(stype, sid, str(body.get("remote-addr") or peer), info, now,
                          old.admin_state if old else "up", old.ts_use if old else 0)
            self.services[sid] = svc
            self.state.save_service(svc)
        return sid

    def unpublish(self, sid: str) -> bool:
        with self.lock:
            self.state.load(self)
            found = self.services.pop(sid, None)
            self.state.delete_service(sid)
            return found is not None

    def subscribe(self, body: dict[str, Any], peer: str, now: float) -> dict[str, Any]:
        stype = str(body["service"])
        count = int(body.get("instances", 1))
        client = str(body.get("client") or peer)
        ttl = random.randint(self.ttl_min, self.ttl_max) if self.ttl_max > self.ttl_min else self.ttl_min
        with self.lock:
            self.state.load(self)
            up = [s for s in self.services.values() if s.service_type == stype and self.is_up(s, now)]
            prev = self.clients.get(client, {}).get(stype)
            keep = [sid for sid in (prev[2] if prev else []) if any(s.service_id == sid for s in up)]
            want = len(up) if count == 0 else min(count, len(up))
            rest = sorted((s for s in up if s.service_id not in keep),
                          key=lambda s: (self.in_use(s.service_id), s.service_id))
            chosen = keep[:want] + [s.service_id for s in rest[: max(0, want - len(keep))]]
            for sid in chosen:
                if not prev or sid not in prev[2]:
                    self.services[sid].ts_use += 1
                    self.state.save_service(self.services[sid])
            entry = (str(body.get("client-type", "")), str(body.get("remote-addr") or peer), chosen, ttl, now)
            self.clients.setdefault(client, {})[stype] = entry
            self.state.save_client(client, stype, entry)
            return {"ttl": ttl, stype: [dict(self.services[sid].info) for sid in chosen]}

    def services_json(self, now: float) -> dict[str, Any]:
        with self.lock:
            self.state.load(self)
            out = []
            for s in sorted(self.services.values(), key=lambda s: (s.service_type, s.service_id)):
                status = "up" if self.is_up(s, now) else "down"
                # disc_server.py R3.2 services_json: the stored entry plus status, prov_state
                # (= oper_state), hbcount 0 and service_id '<id>:<type>'.
                out.append({"service_type": s.service_type, "service_id": s.service_id, "remote": s.remote,
                            "info": s.info, "oper_state": "up", "oper_state_msg": "",
                            "admin_state": s.admin_state, "status": status, "in_use": self.in_use(s.service_id),
                            "ts_use": s.ts_use, "prov_state": "up", "hbcount": 0,
                            "heartbeat": int(s.heartbeat), "version": "1.0", "ep_type": s.service_type,
                            "ep_id": s.service_id.rsplit(":", 1)[0]})
            return {"services": out}

    def clients_json(self) -> dict[str, Any]:
        with self.lock:
            self.state.load(self)
            out = []
            for cid, subs in sorted(self.clients.items()):
                for stype, (ctype, remote, ids, ttl, ts) in sorted(subs.items()):
                    for sid in ids:
                        # disc_server.py R3.2 clients_json: the client entry + its sub data.
                        out.append({"client_type": ctype, "client_id": cid, "remote": remote,
                                    "service_type": stype, "service_id": sid, "instances": len(ids),
                                    "ttl": ttl, "heartbeat": int(ts), "ep_type": ctype, "ep_id": cid,
                                    "version": "1.0"})
            return {"services": out}


def make_http(ip: str, port: int, reg: Registry) -> ThreadingHTTPServer:
    class H(BaseHTTPRequestHandler):
        server_version = "bottle/0.12"

        def _send(self, code: int, body: Any) -> None:
            data = json.dumps(body, indent=1).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n) or b"{}")

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/services.json":
                return self._send(200, reg.services_json(time.time()))
            if path == "/clients.json":
                return self._send(200, reg.clients_json())
            if path.startswith("/service/"):
                sid = path[len("/service/"):]
                entry = next((s for s in reg.services_json(time.time())["services"] if s["service_id"] == sid), None)
                return self._send(200, entry) if entry else self._send(404, {"error": f"Unknown service {sid}"})
            self._send(404, {"error": "Not Found"})

        def do_DELETE(self) -> None:  # noqa: N802
            path = self.path.rstrip("/")
            if path.startswith("/service/"):
                found = reg.unpublish(path[len("/service/"):])
                return self._send(200 if found else 404, {})
            self._send(404, {"error": "Not Found"})

        def do_POST(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0].rstrip("/")
            try:
                body = self._body()
                if path == "/publish" or path.startswith("/publish/"):
                    pub_id = path[len("/publish/"):] if path.startswith("/publish/") else ""
                    return self._send(200, {"cookie": reg.publish(body, pub_id, self.client_address[0], time.time())})
                if path == "/subscribe":
                    return self._send(200, reg.subscribe(body, self.client_address[0], time.time()))
            except (ValueError, KeyError, TypeError) as exc:
                return self._send(400, {"error": f"Bad Request: {exc}"})
            self._send(404, {"error": "Not Found"})

        def log_message(self, format: str, *args: object) -> None:
            return

    return LabHTTPServer((ip, port), H)


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("contrail-discovery", "/etc/contrail/contrail-discovery.conf", argv)
    cp = daemon.read_conf(args.conf_file)
    g = lambda k, d="": daemon.get(cp, "DEFAULTS", k, d)  # noqa: E731
    ip, port = g("listen_ip_addr", "127.0.0.1"), int(g("listen_port", "5998"))
    cass_list = g("cassandra_server_list", f"{ip}:9160")
    reg = Registry(hc_interval=float(g("hc_interval", "5")), hc_max_miss=int(g("hc_max_miss", "3")),
                   ttl_min=int(g("ttl_min", "300")), ttl_max=int(g("ttl_max", "1800")),
                   state=DbState(CassandraClient(cass_list, timeout=3.0), g("cluster_id")))
    intro = IntrospectServer(ip, int(g("http_server_port", "5997")), "contrail-discovery", daemon.node_name())
    intro.start()
    zk = " ".join(f"{h}:{g('zk_server_port', '2181')}" for h in g("zk_server_ip", ip).replace(",", " ").split())
    StatusLoop(intro.set_status, database_deps(cass_list, zk)).start()
    httpd = make_http(ip, port, reg)
    daemon.log("contrail-discovery", f"listening on {ip}:{port}")
    httpd.serve_forever()
