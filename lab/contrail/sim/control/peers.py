"""Which BGP peers a control node has, from the bgp-router objects of its cluster's config API.

contrail-control learns its configuration (over IF-MAP in 3.2; here over the REST API):
each control node is a bgp-router with router_type 'control-node'. With iBGP auto-mesh
(the default of global-system-config) a control node peers with every other control-node
bgp-router of the same ASN, and with the routers linked to it by bgp_router_refs (either
direction) or of router_type 'router' (an external gateway, e.g. an MX).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence


@dataclass(frozen=True)
class Router:
    """One bgp-router object, reduced to what peering needs."""

    uuid: str
    name: str
    address: str
    asn: int
    identifier: str
    router_type: str
    port: int = 179
    hold_time: int = 0
    refs: tuple[str, ...] = ()  # uuids of the bgp-routers it references

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> "Router":
        """From the JSON body of GET /bgp-router/<uuid> (with or without the outer key)."""
        body = obj.get("bgp-router", obj)
        params = body.get("bgp_router_parameters") or {}
        fq = body.get("fq_name") or []
        name = body.get("name") or (fq[-1] if fq else "")
        address = str(params.get("address") or "")
        refs = tuple(str(r.get("uuid", "")) for r in body.get("bgp_router_refs") or [] if r.get("uuid"))
        return cls(
            uuid=str(body.get("uuid", "")),
            name=str(name),
            address=address,
            asn=int(params.get("autonomous_system") or 64512),
            identifier=str(params.get("identifier") or address),
            router_type=str(params.get("router_type") or "control-node"),
            port=int(params.get("port") or 179),
            hold_time=int(params.get("hold_time") or 0),
            refs=refs,
        )


@dataclass(frozen=True)
class Peer:
    """A configured BGP neighbor of this control node."""

    name: str
    address: str
    asn: int
    router_type: str
    port: int = 179


def find_self(routers: Iterable[Router], hostname: str, hostip: str) -> Router | None:
    """This node's own bgp-router: by name, else by address."""
    routers = list(routers)
    for r in routers:
        if r.name == hostname:
            return r
    for r in routers:
        if r.address == hostip:
            return r
    return None


def select_peers(routers: Sequence[Router], hostname: str, hostip: str,
                 ibgp_auto_mesh: bool = True) -> tuple[Router | None, list[Peer]]:
    """(my router or None, my peers sorted by name). No own router -> no peers."""
    me = find_self(routers, hostname, hostip)
    if me is None:
        return None, []
    peers: dict[str, Peer] = {}
    for r in routers:
        if r.uuid == me.uuid or not r.address or r.address == me.address:
            continue
        linked = r.uuid in me.refs or me.uuid in r.refs
        meshed = ibgp_auto_mesh and r.router_type == "control-node" and r.asn == me.asn
        external = r.router_type == "router"
        if linked or meshed or external:
            peers[r.name] = Peer(name=r.name, address=r.address, asn=r.asn,
                                 router_type=r.router_type, port=r.port)
    return me, [peers[k] for k in sorted(peers)]


class ApiError(Exception):
    """The config API could not be read."""


def _get_json(url: str, timeout: float, headers: Mapping[str, str]) -> Any:
    req = urllib.request.Request(url, headers=dict(headers))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode() or "null")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ApiError(f"{url}: {exc}") from None


def fetch_routers(api_ip: str, api_port: int = 8082, timeout: float = 3.0,
                  headers: Mapping[str, str] | None = None) -> list[Router]:
    """GET /bgp-routers then each /bgp-router/<uuid>; raises ApiError."""
    headers = headers or {}
    base = f"http://{api_ip}:{api_port}"
    listing = _get_json(f"{base}/bgp-routers", timeout, headers) or {}
    out = []
    for item in listing.get("bgp-routers", []):
        uuid = item.get("uuid")
        if not uuid:
            continue
        try:
            obj = _get_json(f"{base}/bgp-router/{uuid}", timeout, headers)
        except ApiError:
            continue  # deleted between the two requests
        if obj:
            out.append(Router.from_object(obj))
    return out


def fetch_auto_mesh(api_ip: str, api_port: int = 8082, timeout: float = 3.0,
                    headers: Mapping[str, str] | None = None) -> bool:
    """global-system-config ibgp_auto_mesh (absent or unreadable: True, the product default)."""
    try:
        body = _get_json(f"http://{api_ip}:{api_port}/global-system-configs?detail=True", timeout, headers or {})
    except ApiError:
        return True
    for item in (body or {}).get("global-system-configs", []) if isinstance(body, dict) else []:
        gsc = item.get("global-system-config", item) if isinstance(item, dict) else {}
        value = gsc.get("ibgp_auto_mesh")
        if value is not None:
            return bool(value)
    return True
