"""contrail-api: the config REST API on listen_ip_addr:8082 (introspect 8084).

Conf: `--conf_file /etc/contrail/contrail-api.conf --conf_file /etc/contrail/contrail-keystone-auth.conf`
([DEFAULTS] listen_ip_addr, listen_port, http_server_port, cassandra_server_list, zk_server_ip,
cluster_id, disc_server_ip, disc_server_port, auth; [KEYSTONE] admin_user, admin_password,
admin_tenant_name).

Routes (JSON; `<type>` in virtual-network, bgp-router, project, domain, global-system-config,
config-node, analytics-node, database-node, virtual-router, routing-instance, network-ipam, ...):
  GET  /                          {"href", "links": [{"link": {"rel", "href", "name"}}]}
  GET  /<type>s[?detail=True&parent_id=U&count=true]
                                  {"<type>s": [{"href", "fq_name", "uuid"}]} (detail: [{"<type>": {..}}])
  POST /<type>s  {"<type>": {...}} -> {"<type>": {"fq_name", "uuid", "href", "name", "parent_uuid", ...}}
                                  409 if the fq_name exists
  GET|PUT|DELETE /<type>/<uuid>   read {"<type>": {...}} / update (merge) / delete (409 with children)
  POST /fqname-to-id {"type", "fq_name"} -> {"uuid"};  POST /id-to-fqname {"uuid"} -> {"type", "fq_name"}
Authentication (when [DEFAULTS] auth = keystone and multi_tenancy is not False), as the 3.2
api-server's keystonemiddleware auth_token does it (contrail-controller R3.2
src/config/api-server/vnc_auth_keystone.py, utils.py; keystonemiddleware auth_token.py):
  GET / and /documentation* need no token (white_list '^/$', '^/documentation').
  Otherwise X-Auth-Token is validated against keystone ([KEYSTONE] of
  contrail-keystone-auth.conf: auth_url, else auth_protocol://auth_host:auth_port/v2.0; 'v2.0' in
  the URL path -> GET /v2.0/tokens/<id>, else v3 GET /v3/auth/tokens + X-Subject-Token) with an
  admin token of [KEYSTONE] admin_user/admin_password/admin_tenant_name; valid tokens are cached
  token_cache_time (300) s. No token, a bad one, or HTTP Basic (never looked at) ->
  `401 Unauthorized`, `WWW-Authenticate: Keystone uri='<identity uri>'`, text/plain
  "Authentication required". Keystone unreachable -> 503 "Service unavailable". A token without
  the admin role -> `403 Permission Denied` (cloud-admin mode, AuthPostKeystone).
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..common import daemon
from ..common.db import CassandraClient, DbError, ZkClient
from ..common.discovery import Publisher
from ..common.rabbit import conf_connections as rabbit_connections
from ..common.health import StatusLoop, database_deps
from ..common import keystone_auth
from ..common.sandesh import IntrospectServer, LabHTTPServer
from .vnc_model import PLURALS, TYPES, ApiError
from .vnc_store import VncStore, render


WHITE_LIST = (re.compile(r"^/documentation"), re.compile(r"^/$"))


class KeystoneAuth:
    """keystonemiddleware auth_token as the api-server configures it: validate X-Auth-Token."""

    def __init__(self, auth_url: str, user: str, password: str, tenant: str, user_domain: str = "Default",
                 project_domain: str = "Default", cache_time: float = 300.0) -> None:
        self.auth_url, self.user, self.password, self.tenant = auth_url, user, password, tenant
        self.user_domain, self.project_domain = user_domain, project_domain
        # auth_uri is not set by contrail: the middleware falls back to the identity endpoint.
        self.auth_uri = keystone_auth.root_of(auth_url)
        self.cache_time = cache_time
        self._admin: str | None = None
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_conf(cls, cp) -> "KeystoneAuth":
        k = lambda key, d="": daemon.get(cp, "KEYSTONE", key, d)  # noqa: E731
        url = k("auth_url") or f"{k('auth_protocol', 'http')}://{k('auth_host', '127.0.0.1')}:{k('auth_port', '35357')}/v2.0"
        return cls(url, k("admin_user"), k("admin_password"), k("admin_tenant_name"),
                   k("user_domain_name", "Default"), k("project_domain_name", k("user_domain_name", "Default")),
                   float(k("token_cache_time", "300")))

    def _admin_token(self, fresh: bool = False) -> str:
        if fresh or self._admin is None:
            self._admin = keystone_auth.get_token(self.auth_url, self.user, self.password, self.tenant,
                                                  self.user_domain, self.project_domain).id
        return self._admin

    def check(self, token: str | None) -> tuple[int, str]:
        """(0, '') when the request may go on; else (status, reason)."""
        if not token:
            return 401, "no token"
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token)
        if cached and cached[0] > now:
            roles = cached[1]
        else:
            try:
                try:
                    got = keystone_auth.validate(self.auth_url, self._admin_token(), token)
                except keystone_auth.KeystoneRefused as exc:
                    if exc.status != 401:
                        raise
                    got = keystone_auth.validate(self.auth_url, self._admin_token(fresh=True), token)
            except (keystone_auth.KeystoneUnreachable, keystone_auth.KeystoneRefused, ValueError, KeyError):
                return 503, "keystone"
            if got is None:
                return 401, "invalid token"
            roles = got.roles
            with self._lock:
                self._cache[token] = (now + self.cache_time, roles)
        if "admin" not in [r.lower() for r in roles]:
            return 403, "not admin"
        return 0, ""


class Api:
    """Request routing on top of a VncStore: (method, path, body) -> (status, json)."""

    def __init__(self, store: VncStore, base: str) -> None:
        self.store, self.base = store, base

    def dispatch(self, method: str, path: str, body: dict[str, Any], host: str | None = None) -> tuple[int, Any]:
        """One request; hrefs use the client's Host header when given (through HAProxy: the VIP)."""
        parts = urlsplit(path)
        segs = [s for s in parts.path.split("/") if s]
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        base = f"http://{host}" if host else self.base
        try:
            return self._route(method, segs, query, body, base)
        except ApiError as exc:
            return exc.status, str(exc)
        except DbError as exc:
            return 503, f"Service Unavailable: config database: {exc}"

    def _route(self, method: str, segs: list[str], q: dict[str, str], body: dict[str, Any],
               base: str) -> tuple[int, Any]:
        if not segs and method == "GET":
            return 200, {"href": base, "links": [
                {"link": {"rel": "collection", "href": f"{base}/{p}", "name": t}}
                for p, t in sorted(PLURALS.items())]}
        if segs == ["fqname-to-id"] and method == "POST":
            return 200, {"uuid": self.store.fq_name_to_uuid(str(body.get("type", "")), list(body.get("fq_name", [])))}
        if segs == ["id-to-fqname"] and method == "POST":
            obj = self.store.load(str(body.get("uuid", "")))
            return 200, {"type": obj.obj_type, "fq_name": obj.fq_name}
        if len(segs) == 1 and segs[0] in PLURALS:
            obj_type = PLURALS[segs[0]]
            if method == "GET":
                return 200, self._list(obj_type, q, base)
            if method == "POST":
                if not isinstance(body.get(obj_type), dict):
                    raise ApiError(400, f"Bad Request: body must be {{\"{obj_type}\": {{...}}}}")
                obj = self.store.create(obj_type, body[obj_type])
                out = render(obj, base)
                return 200, {obj_type: {k: out[k] for k in ("fq_name", "uuid", "href", "name", "parent_type",
                                                              "parent_uuid", "parent_href") if k in out}}
        if len(segs) == 2 and segs[0] in TYPES:
            obj_type, obj_uuid = segs
            if method == "GET":
                return 200, {obj_type: render(self.store.load(obj_uuid, obj_type), base, self.store)}
            if method == "PUT":
                obj = self.store.update(obj_type, obj_uuid, dict(body.get(obj_type) or {}))
                return 200, {obj_type: {"href": f"{base}/{obj_type}/{obj.uuid}", "uuid": obj.uuid}}
            if method == "DELETE":
                self.store.delete(obj_type, obj_uuid)
                return 200, ""
        raise ApiError(404, "Not Found")

    def _list(self, obj_type: str, q: dict[str, str], base: str) -> dict[str, Any]:
        plural = obj_type + "s"
        items = self.store.list(obj_type)
        parents = set(q.get("parent_id", "").split(",")) - {""}
        detail = q.get("detail", "").lower() == "true"
        objs = []
        if parents or detail:
            objs = [o for o in (self.store.load(u, obj_type) for _, u in items)
                    if not parents or o.parent_uuid in parents]
            items = [(o.fq_name, o.uuid) for o in objs]
        if q.get("count", "").lower() == "true":
            return {plural: {"count": len(items)}}
        if detail:
            return {plural: [{obj_type: render(o, base, self.store)} for o in objs]}
        return {plural: [{"href": f"{base}/{obj_type}/{u}", "fq_name": fq, "uuid": u} for fq, u in items]}


def make_http(ip: str, port: int, api: Api, auth: KeystoneAuth | None) -> ThreadingHTTPServer:
    class H(BaseHTTPRequestHandler):
        server_version = "contrail-api"

        def _refuse(self, code: int) -> None:
            status, text, headers = {
                401: ("Unauthorized", "Authentication required",
                      [("WWW-Authenticate", f"Keystone uri='{auth.auth_uri if auth else ''}'")]),
                403: ("Permission Denied", "403 Permission Denied", []),
                503: ("Service Unavailable", "Service unavailable", []),
            }[code]
            data = text.encode()
            self.send_response(code, status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            path = urlsplit(self.path).path
            if auth and not any(p.search(path) for p in WHITE_LIST):
                code, _ = auth.check(self.headers.get("X-Auth-Token"))
                if code:
                    n = int(self.headers.get("Content-Length") or 0)
                    if n:
                        self.rfile.read(n)
                    return self._refuse(code)
            body: dict[str, Any] = {}
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                try:
                    body = json.loads(self.rfile.read(n))
                except ValueError:
                    return self._send(400, "Bad Request: body is not JSON")
            code, out = api.dispatch(method, self.path, body if isinstance(body, dict) else {},
                                     self.headers.get("Host"))
            self._send(code, out)

        def _send(self, code: int, out: Any) -> None:
            data = (json.dumps(out) if code == 200 and out != "" else str(out)).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8" if code == 200 else "text/html; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._handle("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._handle("DELETE")

        def log_message(self, format: str, *args: object) -> None:
            return

    return LabHTTPServer((ip, port), H)


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("contrail-api", "/etc/contrail/contrail-api.conf", argv,
                            extra=[("--worker_id", {"default": "0"})])
    cp = daemon.read_conf(args.conf_file)
    g = lambda k, d="": daemon.get(cp, "DEFAULTS", k, d)  # noqa: E731
    ip, port = g("listen_ip_addr", "127.0.0.1"), int(g("listen_port", "8082"))
    cass_list, zk_list = g("cassandra_server_list", f"{ip}:9160"), g("zk_server_ip", ip)
    intro = IntrospectServer(ip, int(g("http_server_port", "8084")), "contrail-api", daemon.node_name(),
                             instance_id=args.worker_id)
    intro.start()
    status = StatusLoop(intro.set_status, database_deps(cass_list, zk_list))
    status.tick()
    store = VncStore(CassandraClient(cass_list), ZkClient(zk_list), g("cluster_id"))
    while True:  # like the real server: wait for the database before serving
        try:
            store.ensure_schema()
            break
        except DbError as exc:
            daemon.log("contrail-api", f"waiting for the config database: {exc}")
            status.tick()
            time.sleep(2)
    auth = None
    # aaa_mode: multi_tenancy False -> no-auth; unset or True -> cloud-admin (vnc_cfg_api_server.py).
    if g("auth").lower() == "keystone" and g("multi_tenancy", "True").lower() not in ("false", "0", "no"):
        auth = KeystoneAuth.from_conf(cp)
    httpd = make_http(ip, port, Api(store, f"http://{ip}:{port}"), auth)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    disc = g("disc_server_ip")
    pubs = []
    if disc:
        pubs.append(Publisher(disc, int(g("disc_server_port", "5998")), daemon.node_name(), "ApiServer",
                              {"ip-address": ip, "port": str(port)}, ip).start())
        pubs.append(Publisher(disc, int(g("disc_server_port", "5998")), daemon.node_name(), "IfmapServer",
                              {"ip-address": g("ifmap_server_ip", ip), "port": g("ifmap_server_port", "8443")},
                              ip).start())
    status.extra = lambda: [p.connection() for p in pubs] + rabbit_connections(cp)
    status.start()
    daemon.log("contrail-api", f"serving on {ip}:{port} (cluster_id {g('cluster_id')!r})")
    daemon.wait_forever()
