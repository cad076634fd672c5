"""Config API (port 8082) JSON as structured facts. Pure."""
from __future__ import annotations

import json
from dataclasses import dataclass

from checks.evidence import ParseError


@dataclass(frozen=True)
class BgpRouter:
    name: str
    uuid: str
    router_type: str  # control-node | router | ...
    vendor: str
    address: str
    asn: int | None

    @property
    def is_control_node(self) -> bool:
        return self.router_type == "control-node"


def _load(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"config API: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ParseError("config API: expected a JSON object")
    return data


def parse_bgp_routers(text: str) -> list[BgpRouter]:
    """`GET /bgp-routers?detail=True` (objects wrapped as {"bgp-router": {...}})."""
    data = _load(text)
    if "bgp-routers" not in data:
        raise ParseError("config API: no 'bgp-routers' list (was ?detail=True asked?)")
    out = []
    for entry in data["bgp-routers"]:
        obj = entry.get("bgp-router", entry)
        params = obj.get("bgp_router_parameters") or {}
        fq = obj.get("fq_name") or []
        out.append(BgpRouter(name=obj.get("name") or (fq[-1] if fq else ""), uuid=obj.get("uuid", ""),
                             router_type=params.get("router_type") or "", vendor=params.get("vendor") or "",
                             address=params.get("address") or "", asn=params.get("autonomous_system")))
    return out


def parse_names(text: str, collection: str) -> list[str]:
    """Last fq_name element of every object of `GET /<collection>` (e.g. virtual-networks)."""
    data = _load(text)
    if collection not in data:
        raise ParseError(f"config API: no {collection!r} list")
    return sorted((e.get(collection[:-1], e).get("fq_name") or [""])[-1] for e in data[collection])
