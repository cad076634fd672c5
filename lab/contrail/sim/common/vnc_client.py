"""A small client of contrail-api (what vnc_api is to the real tools), stdlib only.

Authenticates like VncApi R3.2 (contrail-controller R3.2 src/api-lib/vnc_api.py):
- keystone settings from the arguments, else /etc/contrail/vnc_api_lib.ini [auth]
  AUTHN_TYPE (keystone), AUTHN_PROTOCOL (http), AUTHN_SERVER (127.0.0.1), AUTHN_PORT (35357),
  AUTHN_URL (/v2.0/tokens or /v3/auth/tokens; unset: try v3, then v2.0), AUTHN_DOMAIN (default);
  provision_{config,analytics,database}_node.py pass --openstack_ip as auth_host.
- lazily: a request goes without a token; on 401 it gets one (v2.0 body: passwordCredentials +
  tenantName, token = access.token.id; v3 body: password method, user/project domain, token =
  X-Subject-Token) and retries once. A keystone that answers anything but 200/201 ->
  RuntimeError('Authentication Failure'); no answer -> RuntimeError('Unable to connect to
  keystone for authentication. Exception ...'). A second 401 is an HTTP error 401.
Connection failures to the API are retried `retries` times, `retry_wait` s apart, then raise
ApiUnreachable; a call never blocks longer than `timeout` per attempt.
"""
from __future__ import annotations

import configparser
import json
import time
import urllib.error
import urllib.request
from typing import Any

from . import keystone_auth

import os

# The real file; CONTRAIL_SIM_VNC_API_LIB_INI points elsewhere in host-side unit tests only.
VNC_API_LIB_INI = os.environ.get("CONTRAIL_SIM_VNC_API_LIB_INI", "/etc/contrail/vnc_api_lib.ini")


class ApiUnreachable(Exception):
    pass


class ApiHttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


def _ini(path: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"), strict=False)
    try:
        cp.read(path)
    except configparser.Error:
        pass
    return cp


class VncClient:
    def __init__(self, ip: str, port: int, user: str, password: str, tenant: str = "admin",
                 timeout: float = 10.0, retries: int = 5, retry_wait: float = 2.0, *,
                 auth_host: str | None = None, auth_port: str | int | None = None,
                 auth_protocol: str | None = None, auth_url: str | None = None, domain_name: str | None = None,
                 conf_file: str = VNC_API_LIB_INI) -> None:
        self.base = f"http://{ip}:{port}"
        cp = _ini(conf_file)
        a = lambda k, d: cp.get("auth", k, fallback=d).strip()  # noqa: E731
        self.authn_type = a("AUTHN_TYPE", "keystone")
        proto = auth_protocol or a("AUTHN_PROTOCOL", "http")
        server = auth_host or a("AUTHN_SERVER", "127.0.0.1")
        kport = auth_port or a("AUTHN_PORT", "35357")
        self.authn_root = f"{proto}://{server}:{kport}"
        self.authn_url = auth_url or (a("AUTHN_URL", "") or None)
        self.user, self.password, self.tenant = user, password, tenant
        self.domain = domain_name or a("AUTHN_DOMAIN", "default")
        self.token: str | None = None
        self.headers = {"X-Tenant-Name": tenant, "Content-Type": "application/json"}
        self.timeout, self.retries, self.retry_wait = timeout, retries, retry_wait

    # -- keystone ------------------------------------------------------------------------
    def _domain(self) -> str:
        return "Default" if self.domain.lower() == "default" else self.domain

    def authenticate(self) -> str:
        """A new token from keystone (vnc_api _authenticate; _discover when AUTHN_URL is unset)."""
        urls = [self.authn_url] if self.authn_url else ["/v3/auth/tokens", "/v2.0/tokens"]
        for n, path in enumerate(urls):
            version = "v2.0" if "v2" in path else "v3"
            try:
                token = keystone_auth.get_token(f"{self.authn_root}/{version}", self.user, self.password,
                                                self.tenant, self._domain(), self._domain(), timeout=self.timeout)
            except keystone_auth.KeystoneUnreachable as exc:
                if n + 1 < len(urls):
                    continue
                raise RuntimeError(f"Unable to connect to keystone for authentication. Exception {exc}") from None
            except (keystone_auth.KeystoneRefused, ValueError, KeyError):
                if n + 1 < len(urls):
                    continue
                raise RuntimeError("Authentication Failure") from None
            self.authn_url = path
            self.token = token.id
            self.headers["X-AUTH-TOKEN"] = token.id
            return token.id
        raise RuntimeError("Authentication Failure")

    # -- requests --------------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict[str, Any] | None = None, _retry_after_authn: bool = False) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        last = ""
        for attempt in range(1, self.retries + 1):
            req = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                text = exc.read().decode(errors="replace")
                if exc.code == 401 and self.authn_type == "keystone" and not _retry_after_authn:
                    self.authenticate()
                    return self.request(method, path, body, _retry_after_authn=True)
                if exc.code in (502, 503, 504) and attempt < self.retries:
                    last = f"{exc.code} {text}"
                else:
                    raise ApiHttpError(exc.code, text) from None
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if attempt < self.retries:
                time.sleep(self.retry_wait)
        raise ApiUnreachable(f"Unable to connect to API server {self.base} after {self.retries} attempts: {last}")

    # -- object helpers -----------------------------------------------------------------
    def list(self, obj_type: str, detail: bool = False) -> list[dict[str, Any]]:
        out = self.request("GET", f"/{obj_type}s" + ("?detail=True" if detail else ""))
        items = out.get(f"{obj_type}s", [])
        return [i[obj_type] for i in items] if detail else items

    def read(self, obj_type: str, obj_uuid: str) -> dict[str, Any]:
        return self.request("GET", f"/{obj_type}/{obj_uuid}")[obj_type]

    def fq_name_to_id(self, obj_type: str, fq_name: list[str]) -> str | None:
        try:
            return self.request("POST", "/fqname-to-id", {"type": obj_type, "fq_name": fq_name})["uuid"]
        except ApiHttpError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, obj_type: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/{obj_type}s", {obj_type: body})[obj_type]

    def update(self, obj_type: str, obj_uuid: str, body: dict[str, Any]) -> None:
        self.request("PUT", f"/{obj_type}/{obj_uuid}", {obj_type: body})

    def delete(self, obj_type: str, obj_uuid: str) -> None:
        self.request("DELETE", f"/{obj_type}/{obj_uuid}")

    def create_or_update(self, obj_type: str, fq_name: list[str], body: dict[str, Any]) -> tuple[str, bool]:
        """(uuid, created): what the provision_* tools do on --oper add (read, then update or create)."""
        obj_uuid = self.fq_name_to_id(obj_type, fq_name)
        if obj_uuid:
            self.update(obj_type, obj_uuid, body)
            return obj_uuid, False
        return self.create(obj_type, {"fq_name": fq_name, **body})["uuid"], True
