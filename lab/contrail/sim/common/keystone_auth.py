"""Keystone client side, stdlib only: get a token (v2.0 or v3 password auth) and validate one.

What the lab's contrail-api (keystonemiddleware auth_token in front of the 3.2 api-server)
and the lab's vnc_api (VncApi._authenticate) do against keystone:

  v2.0  POST <base>/v2.0/tokens {"auth": {"passwordCredentials": {"username", "password"},
        "tenantName"}} -> 200 {"access": {"token": {"id", ...}, "user": {"roles": [...]}}}
        validate: GET <base>/v2.0/tokens/<id> with X-Auth-Token: <admin token> -> 200 | 404
  v3    POST <base>/v3/auth/tokens {"auth": {"identity": {"methods": ["password"], "password":
        {"user": {"name", "domain": {"name"}, "password"}}}, "scope": {"project": {"name",
        "domain": {"name"}}}}} -> 201, token in the X-Subject-Token header
        validate: GET <base>/v3/auth/tokens with X-Auth-Token (admin) + X-Subject-Token -> 200 | 404

Sources: contrail-controller R3.2 src/api-lib/vnc_api.py (_v2_authn_body, _v3_authn_body,
_authenticate), keystone docs api_curl_examples (mitaka), keystonemiddleware auth_token.py.
Only 127.0.0.0/8 is ever contacted (the lab's network rule): any other host fails like a
refused connection, before a packet is sent.
"""
from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

JSON = {"Content-Type": "application/json; charset=UTF-8"}


class KeystoneUnreachable(Exception):
    """No answer from keystone (refused, timeout, or a non-loopback host the lab never contacts)."""


class KeystoneRefused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass(frozen=True)
class Token:
    id: str
    roles: tuple[str, ...]


def v2_body(user: str, password: str, tenant: str) -> dict[str, Any]:
    return {"auth": {"passwordCredentials": {"username": user, "password": password}, "tenantName": tenant}}


def v3_body(user: str, password: str, project: str, user_domain: str = "Default",
            project_domain: str = "Default") -> dict[str, Any]:
    return {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "domain": {"name": user_domain}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": project_domain}}}}}


def _guard(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ok = ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise KeystoneUnreachable(f"{url}: [Errno 111] Connection refused (lab: only 127.0.0.0/8 is reachable)")


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request; any HTTP status returns, no answer raises KeystoneUnreachable."""
    _guard(url)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={**JSON, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise KeystoneUnreachable(f"{url}: {getattr(exc, 'reason', exc)}") from None


def version_of(url: str) -> str:
    """'v2.0' when the path says so (as the 3.2 api-server decides), else 'v3'."""
    return "v2.0" if "v2.0" in urlsplit(url).path.split("/") else "v3"


def root_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def get_token(auth_url: str, user: str, password: str, tenant: str, user_domain: str = "Default",
              project_domain: str = "Default", timeout: float = 5.0) -> Token:
    """A project-scoped token; KeystoneRefused on 401 (wrong credentials) or any other non-2xx."""
    root = root_of(auth_url)
    if version_of(auth_url) == "v2.0":
        status, _, raw = http("POST", f"{root}/v2.0/tokens", v2_body(user, password, tenant), timeout=timeout)
        if status != 200:
            raise KeystoneRefused(status, raw.decode(errors="replace"))
        access = json.loads(raw)["access"]
        return Token(access["token"]["id"], tuple(r["name"] for r in access.get("user", {}).get("roles", [])))
    status, headers, raw = http("POST", f"{root}/v3/auth/tokens",
                                v3_body(user, password, tenant, user_domain, project_domain), timeout=timeout)
    if status not in (200, 201):
        raise KeystoneRefused(status, raw.decode(errors="replace"))
    token = json.loads(raw)["token"]
    return Token(headers["x-subject-token"], tuple(r["name"] for r in token.get("roles", [])))


def validate(auth_url: str, admin_token: str, user_token: str, timeout: float = 5.0) -> Token | None:
    """The user token's roles when keystone knows it (200); None when it does not (404).
    KeystoneRefused(401) when the admin token itself is no longer good."""
    root = root_of(auth_url)
    if version_of(auth_url) == "v2.0":
        status, _, raw = http("GET", f"{root}/v2.0/tokens/{user_token}", headers={"X-Auth-Token": admin_token},
                              timeout=timeout)
    else:
        status, _, raw = http("GET", f"{root}/v3/auth/tokens",
                              headers={"X-Auth-Token": admin_token, "X-Subject-Token": user_token}, timeout=timeout)
    if status == 404:
        return None
    if status != 200:
        raise KeystoneRefused(status, raw.decode(errors="replace"))
    body = json.loads(raw)
    if "access" in body:
        return Token(user_token, tuple(r["name"] for r in body["access"].get("user", {}).get("roles", [])))
    return Token(user_token, tuple(r["name"] for r in body["token"].get("roles", [])))
