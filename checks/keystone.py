"""Keystone token responses (what `curl -i` prints for a token request). Pure.

v2.0: POST <auth_url>/tokens -> 200, token = body access.token.id
v3:   POST <auth_url>/auth/tokens -> 201, token = X-Subject-Token response header
Wrong credentials: 401 with {"error": {"code": 401, "title": "Unauthorized", "message": ...}}.
Sources: keystone docs api_curl_examples (openstack/keystone, mitaka), keystone/common/wsgi.py
render_exception; contrail-controller R3.2 src/api-lib/vnc_api.py _authenticate (same fields).
"""
from __future__ import annotations

import json

from checks.evidence import ParseError


class KeystoneRefused(Exception):
    """Keystone answered, but not with a token (wrong credentials: 401)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"keystone refused the token request: HTTP {status}: {message}")
        self.status = status


def v2_body(user: str, password: str, tenant: str) -> str:
    return json.dumps({"auth": {"passwordCredentials": {"username": user, "password": password},
                                "tenantName": tenant}})


def v3_body(user: str, password: str, project: str, user_domain: str, project_domain: str) -> str:
    return json.dumps({"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "domain": {"name": user_domain}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": project_domain}}}}})


def token_path(version: str) -> str:
    return "/tokens" if version == "v2.0" else "/auth/tokens"


def split_response(text: str) -> tuple[int, dict[str, str], str]:
    """(status, headers with lower-case names, body) of the last response in `curl -i` output."""
    rest = text.replace("\r\n", "\n")
    while True:
        head, sep, body = rest.partition("\n\n")
        lines = head.lstrip("\n").split("\n")
        if not lines or not lines[0].startswith("HTTP/"):
            raise ParseError(f"keystone: not an HTTP response: {text[:80]!r}")
        words = lines[0].split()
        if len(words) < 2 or not words[1].isdigit():
            raise ParseError(f"keystone: bad status line {lines[0]!r}")
        status = int(words[1])
        if status == 100 and body.startswith("HTTP/"):
            rest = body
            continue
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, body if sep else ""


def parse_token_response(text: str, version: str) -> str:
    status, headers, body = split_response(text)
    if status not in (200, 201):
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = body.strip()[:200]
        raise KeystoneRefused(status, message)
    if version == "v2.0":
        try:
            return str(json.loads(body)["access"]["token"]["id"])
        except (ValueError, KeyError, TypeError):
            raise ParseError("keystone v2.0: no access.token.id in the token response") from None
    token = headers.get("x-subject-token", "")
    if not token:
        raise ParseError("keystone v3: no X-Subject-Token header in the token response")
    return token
