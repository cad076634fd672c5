"""Parse the Contrail 3.x discovery server's JSON (port 5998).

`GET /services.json` → `{"services": [{"service_type", "service_id" ("<id>:<type>"),
"remote", "info": {"ip-address", "port", ...}, "oper_state", "admin_state",
"status" ("up"|"down", from the heartbeat), "in_use", "prov_state", ...}]}`.

`GET /clients.json` → `{"services": [...]}` too (sic): one entry per subscription, with
`client_id`, `client_type`, `remote`, `service_type`, `service_id`, `ttl` and the
subscription data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from checks.evidence import ParseError


@dataclass(frozen=True)
class DiscoveredService:
    """One publisher entry of services.json."""

    service_type: str
    service_id: str
    ip: str
    port: int | None
    oper_state: str
    admin_state: str
    status: str
    in_use: int
    remote: str = ""
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def up(self) -> bool:
        """Heartbeat alive and not administratively down."""
        return self.status == "up" and self.admin_state == "up"


@dataclass(frozen=True)
class DiscoveryClient:
    """One subscription entry of clients.json."""

    client_id: str
    client_type: str
    remote: str
    service_type: str
    service_id: str
    ttl: int | None


def parse_services(json_text: str) -> list[DiscoveredService]:
    """Publishers listed by `/services.json`."""
    result = []
    for index, entry in enumerate(_entries(json_text, "services.json")):
        info = entry.get("info") or {}
        if not isinstance(info, dict):
            raise ParseError(f"services.json: services[{index}].info: expected an object, got {info!r}")
        result.append(
            DiscoveredService(
                service_type=_text(entry, "service_type", index),
                service_id=str(entry.get("service_id", "")),
                ip=str(info.get("ip-address", "")),
                port=_int_or_none(info.get("port")),
                oper_state=str(entry.get("oper_state", "")),
                admin_state=str(entry.get("admin_state", "")),
                status=str(entry.get("status", "")),
                in_use=_int_or_none(entry.get("in_use")) or 0,
                remote=str(entry.get("remote", "")),
                info=dict(info),
            )
        )
    return result


def parse_clients(json_text: str) -> list[DiscoveryClient]:
    """Subscriptions listed by `/clients.json`."""
    return [
        DiscoveryClient(
            client_id=str(entry.get("client_id", "")),
            client_type=str(entry.get("client_type", "")),
            remote=str(entry.get("remote", "")),
            service_type=_text(entry, "service_type", index),
            service_id=str(entry.get("service_id", "")),
            ttl=_int_or_none(entry.get("ttl")),
        )
        for index, entry in enumerate(_entries(json_text, "clients.json"))
    ]


def of_type(services: list[DiscoveredService], service_type: str) -> list[DiscoveredService]:
    """Publishers of one type (`xmpp-server`, `Collector`, `IfmapServer`, ...)."""
    return [s for s in services if s.service_type == service_type]


def _entries(json_text: str, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(json_text)
    except (json.JSONDecodeError, TypeError) as exc:
        shown = (json_text or "")[:60]
        raise ParseError(f"{what}: expected JSON {{\"services\": [...]}}, got {shown!r}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise ParseError(f"{what}: expected an object with a \"services\" list, got {str(data)[:60]!r}")
    entries = data["services"]
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ParseError(f"{what}: services[{index}]: expected an object, got {entry!r}")
    return entries


def _text(entry: dict[str, Any], key: str, index: int) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ParseError(f"services[{index}].{key}: expected a non-empty string, got {value!r}")
    return value


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
