"""keystone stand-in on the openstack node: the identity API the config API validates tokens against.

Listens on bind_host:public_port (6000) and bind_host:admin_port (35358), behind the node's
HAProxy front-ends *:5000 and *:35357 (contrail-fabric-utils R3.2 fabfile/tasks/ha.py
fixup_restart_haproxy_in_openstack_node + templates/openstack_haproxy.py: keystone
servers on :6000, keystone-admin servers on :35358). Both ports serve v2.0 and v3.

Conf /etc/keystone/keystone-lab.conf (0600, lab-only format):
  [DEFAULT] bind_host, public_port, admin_port, token_expiration (s)
  [user:<name>] password, project, domain (name, 'Default'), roles (comma separated)

  GET  /                      300 {"versions": {"values": [...]}}
  POST /v2.0/tokens           200 {"access": {"token": {"id", "expires", "issued_at", "tenant"}, "user": {...},
                              "serviceCatalog": [], "metadata": {...}}}
  GET  /v2.0/tokens/<id>      X-Auth-Token of an admin -> 200 {"access": ...} | 404
  POST /v3/auth/tokens        201, X-Subject-Token: <id>, {"token": {"methods", "user", "project", "roles", ...}}
  GET  /v3/auth/tokens        X-Auth-Token + X-Subject-Token -> 200 {"token": ...} | 404
Errors as keystone renders them (keystone/common/wsgi.py render_exception):
  {"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires
  authentication."}} + WWW-Authenticate: Keystone uri="http://<host:port>"; 404 "Could not find token: <id>."
Tokens are UUID (32 hex) and live in memory: a restart revokes them all (clients re-authenticate).
"""
from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..common import daemon
from ..common.sandesh import LabHTTPServer

CONF = "/etc/keystone/keystone-lab.conf"
UNAUTHORIZED = "The request you have made requires authentication."


class KsError(Exception):
    TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "title": self.TITLES.get(self.code, "Error"), "message": self.message}}


@dataclass(frozen=True)
class User:
    name: str
    password: str
    project: str
    domain: str
    roles: tuple[str, ...]

    @property
    def id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"user:{self.name}").hex

    @property
    def project_id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"project:{self.project}").hex


@dataclass
class Issued:
    user: User
    issued: float
    expires: float
    version: str


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e6):06d}Z"


def _domain_matches(spec: Any, domain: str) -> bool:
    """{"name": "Default"} or {"id": "default"}; the default domain's id is 'default'."""
    if not isinstance(spec, dict):
        return False
    if "id" in spec:
        return str(spec["id"]) == domain.lower()
    return str(spec.get("name", "")) == domain


class Keystone:
    def __init__(self, users: list[User], ttl: float = 3600.0) -> None:
        self.users = {u.name: u for u in users}
        self.ttl = ttl
        self.tokens: dict[str, Issued] = {}
        self.lock = threading.Lock()

    # -- issuing ---------------------------------------------------------------
    def _check(self, name: str, password: str) -> User:
        user = self.users.get(name)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            raise KsError(401, UNAUTHORIZED)
        return user

    def _issue(self, user: User, version: str) -> str:
        token = uuid.uuid4().hex
        now = time.time()
        with self.lock:
            self.tokens[token] = Issued(user, now, now + self.ttl, version)
        return token

    def lookup(self, token: str | None) -> Issued | None:
        with self.lock:
            got = self.tokens.get(token or "")
        if got is None or got.expires <= time.time():
            return None
        return got

    def issue_v2(self, body: Any) -> dict[str, Any]:
        auth = body.get("auth") if isinstance(body, dict) else None
        creds = auth.get("passwordCredentials") if isinstance(auth, dict) else None
        if not isinstance(creds, dict) or "username" not in creds or "password" not in creds:
            raise KsError(400, "Expecting to find username or userId in passwordCredentials - the server could "
                               "not comply with the request since it is either malformed or otherwise incorrect. "
                               "The client is assumed to be in error.")
        user = self._check(str(creds["username"]), str(creds["password"]))
        tenant = auth.get("tenantName")
        if tenant is not None and tenant != user.project:
            raise KsError(401, UNAUTHORIZED)
        token = self._issue(user, "v2.0")
        return self.render_v2(token)

    def render_v2(self, token: str) -> dict[str, Any]:
        got = self.tokens[token]
        u = got.user
        roles = [{"name": r} for r in u.roles]
        return {"access": {
            "token": {"id": token, "issued_at": _iso(got.issued), "expires": _iso(got.expires)[:19] + "Z",
                      "tenant": {"id": u.project_id, "name": u.project, "enabled": True, "description": None}},
            "serviceCatalog": [],
            "user": {"id": u.id, "name": u.name, "username": u.name, "roles": roles, "roles_links": []},
            "metadata": {"is_admin": 0, "roles": [uuid.uuid5(uuid.NAMESPACE_URL, r).hex for r in u.roles]}}}

    def issue_v3(self, body: Any) -> tuple[str, dict[str, Any]]:
        try:
            identity = body["auth"]["identity"]
            methods = identity["methods"]
            spec = identity["password"]["user"]
        except (KeyError, TypeError):
            raise KsError(400, "Expecting to find identity in auth - the server could not comply with the request "
                               "since it is either malformed or otherwise incorrect. The client is assumed to be "
                               "in error.") from None
        if "password" not in methods:
            raise KsError(401, UNAUTHORIZED)
        user = self._check(str(spec.get("name", "")), str(spec.get("password", "")))
        if not _domain_matches(spec.get("domain"), user.domain):
            raise KsError(401, UNAUTHORIZED)
        scope = (body["auth"].get("scope") or {}).get("project")
        if scope is not None and (scope.get("name") != user.project
                                  or not _domain_matches(scope.get("domain"), user.domain)):
            raise KsError(401, UNAUTHORIZED)
        token = self._issue(user, "v3")
        return token, self.render_v3(token)

    def render_v3(self, token: str) -> dict[str, Any]:
        got = self.tokens[token]
        u = got.user
        domain = {"id": u.domain.lower(), "name": u.domain}
        return {"token": {
            "methods": ["password"], "issued_at": _iso(got.issued), "expires_at": _iso(got.expires),
            "user": {"id": u.id, "name": u.name, "domain": domain},
            "project": {"id": u.project_id, "name": u.project, "domain": domain},
            "roles": [{"id": uuid.uuid5(uuid.NAMESPACE_URL, r).hex, "name": r} for r in u.roles],
            "catalog": [], "extras": {}, "audit_ids": [uuid.uuid4().hex[:22]]}}

    # -- validation --------------------------------------------------------------
    def _caller(self, token: str | None) -> Issued:
        got = self.lookup(token)
        if got is None:
            raise KsError(401, UNAUTHORIZED)
        if "admin" not in got.user.roles:
            raise KsError(403, "You are not authorized to perform the requested action: identity:validate_token")
        return got

    def validate_v2(self, caller: str | None, token: str) -> dict[str, Any]:
        self._caller(caller)
        if self.lookup(token) is None:
            raise KsError(404, f"Could not find token: {token}.")
        return self.render_v2(token)

    def validate_v3(self, caller: str | None, token: str | None) -> dict[str, Any]:
        self._caller(caller)
        if self.lookup(token) is None:
            raise KsError(404, f"Could not find token: {token}.")
        return self.render_v3(token or "")


def versions(base: str) -> dict[str, Any]:
    return {"versions": {"values": [
        {"id": "v3.4", "status": "stable", "updated": "2015-03-30T00:00:00Z",
         "links": [{"rel": "self", "href": f"{base}/v3/"}]},
        {"id": "v2.0", "status": "stable", "updated": "2014-04-17T00:00:00Z",
         "links": [{"rel": "self", "href": f"{base}/v2.0/"}]}]}}


def make_http(ip: str, port: int, ks: Keystone) -> ThreadingHTTPServer:
    class H(BaseHTTPRequestHandler):
        server_version = "keystone"

        def _body(self) -> Any:
            n = int(self.headers.get("Content-Length") or 0)
            if not n:
                return None
            try:
                return json.loads(self.rfile.read(n))
            except ValueError:
                raise KsError(400, "Malformed request body") from None

        def _send(self, code: int, body: Any, extra: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Vary", "X-Auth-Token")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            # keystone's base URL is the one the client used (through HAProxy: the VIP).
            base = f"http://{self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]}"
            path = self.path.split("?", 1)[0].rstrip("/")
            try:
                if method == "GET" and path in ("", "/"):
                    return self._send(300, versions(base))
                if method == "POST" and path == "/v2.0/tokens":
                    return self._send(200, ks.issue_v2(self._body()))
                if method == "GET" and path.startswith("/v2.0/tokens/"):
                    return self._send(200, ks.validate_v2(self.headers.get("X-Auth-Token"),
                                                          path.rsplit("/", 1)[1]))
                if method == "POST" and path == "/v3/auth/tokens":
                    token, body = ks.issue_v3(self._body())
                    return self._send(201, body, {"X-Subject-Token": token})
                if method == "GET" and path == "/v3/auth/tokens":
                    subject = self.headers.get("X-Subject-Token")
                    return self._send(200, ks.validate_v3(self.headers.get("X-Auth-Token"), subject),
                                      {"X-Subject-Token": subject or ""})
                raise KsError(404, "The resource could not be found.")
            except KsError as exc:
                extra = {"WWW-Authenticate": f'Keystone uri="{base}"'} if exc.code == 401 else None
                self._send(exc.code, exc.body(), extra)

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def log_message(self, format: str, *args: object) -> None:
            return

    return LabHTTPServer((ip, port), H)


def load_users(cp) -> list[User]:
    users = []
    for section in cp.sections():
        if section.startswith("user:"):
            g = lambda k, d="": daemon.get(cp, section, k, d)  # noqa: E731
            users.append(User(section[5:], g("password"), g("project", "admin"), g("domain", "Default"),
                              tuple(r.strip() for r in g("roles", "admin").split(",") if r.strip())))
    return users


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("keystone", CONF, argv)
    cp = daemon.read_conf(args.conf_file)
    g = lambda k, d="": daemon.get(cp, "DEFAULT", k, d)  # noqa: E731
    ks = Keystone(load_users(cp), float(g("token_expiration", "3600")))
    ip = g("bind_host", "127.0.0.1")
    for port in (int(g("public_port", "6000")), int(g("admin_port", "35358"))):
        httpd = make_http(ip, port, ks)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    daemon.log("keystone", f"serving v2.0 and v3 on {ip}:{g('public_port', '6000')} and {ip}:{g('admin_port', '35358')}")
    daemon.wait_forever()
