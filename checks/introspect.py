"""Parse sandesh introspect XML (the HTTP pages every Contrail daemon serves).

Sandesh renders each field as an element named after the field, with `type=` and
`identifier=` attributes, lists as `<field type="list"><list type="struct" size="N">
<Struct>...</Struct>...</list></field>`, and adds `<more type="bool">` to a response.

Pages parsed here:

- control node `:8083/Snh_BgpNeighborReq?search_string=` → `BgpNeighborListResp` with
  `BgpNeighborResp` entries (BGP peers and XMPP agents). The control node returns at most
  64 XMPP peers a page; when a page is full its `next_batch` element holds the iterate key
  (`<next entry>||<search string>`), requested with `Snh_BgpNeighborReqIterate?x=<key>`.
  The last page has an empty or missing `next_batch`.
- vrouter agent `:8085/Snh_AgentXmppConnectionStatusReq` → `AgentXmppData` entries, one
  per configured controller (at most 2).
- any daemon `Snh_SandeshUVECacheReq?x=NodeStatus` → `NodeStatus` with `process_status`
  (`ProcessStatus`: state Functional / Non-Functional, description, `connection_infos`).

All parsers use defusedxml and raise `ParseError` (a ValueError) on malformed XML or
on XML that is not the expected page.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from checks.evidence import ParseError

BGP_NEIGHBOR_FIRST = "Snh_BgpNeighborReq?search_string="
BGP_NEIGHBOR_ITERATE = "Snh_BgpNeighborReqIterate?x="
AGENT_XMPP_PATH = "Snh_AgentXmppConnectionStatusReq"
NODE_STATUS_PATH = "Snh_SandeshUVECacheReq?x=NodeStatus"
MAX_PAGES = 1000
_PAGES = "__pages__"


class PagingError(ParseError):
    """The introspect paging did not terminate (repeated key, or too many pages)."""


@dataclass(frozen=True)
class BgpPeer:
    """One `BgpNeighborResp` of a control node: a BGP router or an XMPP agent."""

    name: str
    address: str
    asn: int | None
    encoding: str
    peer_type: str
    state: str
    router_type: str
    flap_count: int
    last_error: str = ""

    @property
    def established(self) -> bool:
        return self.state == "Established"


@dataclass(frozen=True)
class BgpNeighborPage:
    """One page of `Snh_BgpNeighborReq`.

    `next_batch` is the iterate key of the next page (the non-empty text of the
    `next_batch` element), None on the last page. `more` is sandesh's own flag; the real
    control node leaves it false even on a full page, so paging never depends on it.
    """

    peers: list[BgpPeer]
    next_batch: str | None
    more: bool = False


@dataclass(frozen=True)
class XmppSession:
    """One `AgentXmppData`: the agent's channel to one control node."""

    controller_ip: str
    state: str
    peer_name: str
    cfg_controller: bool
    mcast_controller: bool
    flap_count: int
    last_state: str
    peer_address: str = ""

    @property
    def established(self) -> bool:
        return self.state == "Established"


@dataclass(frozen=True)
class Connection:
    """One `ConnectionInfo` of a process: a link to a peer service."""

    type: str
    name: str
    status: str
    description: str
    server_addrs: tuple[str, ...]


@dataclass(frozen=True)
class ProcessStatus:
    """One `ProcessStatus` entry of a NodeStatus UVE."""

    module_id: str
    instance_id: str
    state: str
    description: str
    connections: tuple[Connection, ...]


@dataclass(frozen=True)
class NodeStatus:
    """A daemon's NodeStatus UVE, reduced to what contrail-status looks at.

    `state` is the process state (`Functional`, `Non-Functional`); with several
    processes it is `Functional` only if all are; `Unknown` when the daemon has no
    NodeStatus UVE yet.
    """

    name: str
    state: str
    description: str
    connections: tuple[Connection, ...]
    processes: tuple[ProcessStatus, ...] = ()

    @property
    def functional(self) -> bool:
        return self.state == "Functional"

    def connection(self, type_: str, name: str | None = None) -> Connection | None:
        """The first connection of `type_` (and `name`, if given)."""
        return next(
            (c for c in self.connections if c.type == type_ and (name is None or c.name == name)),
            None,
        )

    def down_connections(self) -> list[Connection]:
        """Connections whose status is not `Up`."""
        return [c for c in self.connections if c.status != "Up"]


def parse_xml(xml_text: str | bytes) -> ET.Element:
    """Parse one sandesh page safely; several concatenated documents get one root."""
    if isinstance(xml_text, bytes):
        xml_text = xml_text.decode("utf-8", errors="replace")
    if not xml_text or not xml_text.strip():
        raise ParseError("expected sandesh XML, got empty text")
    try:
        return DET.fromstring(xml_text)
    except DefusedXmlException as exc:
        raise ParseError(f"refused unsafe XML ({type(exc).__name__})") from exc
    except ET.ParseError as exc:
        if "junk after document element" not in str(exc):
            raise ParseError(f"expected sandesh XML, got malformed XML: {exc}: {xml_text[:80]!r}") from exc
    body = re.sub(r"<\?xml[^>]*\?>|<\?xml-stylesheet[^>]*\?>", "", xml_text)
    try:
        return DET.fromstring(f"<{_PAGES}>{body}</{_PAGES}>")
    except (ET.ParseError, DefusedXmlException) as exc:
        raise ParseError(f"expected sandesh XML, got malformed XML: {exc}: {xml_text[:80]!r}") from exc


def parse_bgp_neighbors(xml_text: str | bytes) -> BgpNeighborPage:
    """One page of `Snh_BgpNeighborReq` / `Snh_BgpNeighborReqIterate`."""
    root = parse_xml(xml_text)
    responses = _all(root, "BgpNeighborListResp")
    if not responses:
        raise ParseError(f"expected a BgpNeighborListResp page, got {_describe(root)}")
    peers = [
        BgpPeer(
            name=_child_text(entry, "peer"),
            address=_child_text(entry, "peer_address"),
            asn=_child_int(entry, "peer_asn"),
            encoding=_child_text(entry, "encoding"),
            peer_type=_child_text(entry, "peer_type"),
            state=_child_text(entry, "state"),
            router_type=_child_text(entry, "router_type"),
            flap_count=_child_int(entry, "flap_count") or 0,
            last_error=_child_text(entry, "last_error"),
        )
        for response in responses
        for entry in response.iter("BgpNeighborResp")
    ]
    next_batch = None
    more = False
    for response in responses:
        key = _child_text(response, "next_batch")
        if key.startswith("x="):  # tolerate a page that prints the query form
            key = key[2:]
        if key:
            next_batch = key
        more = more or _child_text(response, "more").lower() == "true"
    return BgpNeighborPage(peers=peers, next_batch=next_batch, more=more)


def collect_pages(
    fetch: Callable[[str], str | bytes],
    first_path: str = BGP_NEIGHBOR_FIRST,
    *,
    iterate_path: str = BGP_NEIGHBOR_ITERATE,
    max_pages: int = MAX_PAGES,
) -> list[BgpPeer]:
    """All peers of a control node, following `next_batch` page after page.

    `fetch(path)` returns the XML of `http://<control>:8083/<path>`. Stops when a page
    has no `next_batch`; raises `PagingError` on a repeated key or after `max_pages`.
    A peer seen on several pages is listed once (its latest state).
    """
    found: dict[tuple[str, str, str], BgpPeer] = {}
    seen_keys: set[str] = set()
    path = first_path
    for _ in range(max_pages):
        page = parse_bgp_neighbors(fetch(path))
        for peer in page.peers:
            found[(peer.encoding, peer.name, peer.address)] = peer
        if not page.next_batch:
            return list(found.values())
        if page.next_batch in seen_keys:
            raise PagingError(f"introspect paging repeated next_batch {page.next_batch!r} (after {path})")
        seen_keys.add(page.next_batch)
        path = iterate_path + quote(page.next_batch, safe="|:@,/-_.")
    raise PagingError(f"introspect paging did not end after {max_pages} pages (last {path})")


def parse_agent_xmpp(xml_text: str | bytes) -> list[XmppSession]:
    """The agent's XMPP channels from `Snh_AgentXmppConnectionStatusReq`."""
    root = parse_xml(xml_text)
    if not _all(root, "AgentXmppConnectionStatus"):
        raise ParseError(f"expected an AgentXmppConnectionStatus page, got {_describe(root)}")
    return [
        XmppSession(
            controller_ip=_child_text(entry, "controller_ip"),
            state=_child_text(entry, "state"),
            peer_name=_child_text(entry, "peer_name"),
            cfg_controller=_yes(_child_text(entry, "cfg_controller")),
            mcast_controller=_yes(_child_text(entry, "mcast_controller")),
            flap_count=_child_int(entry, "flap_count") or 0,
            last_state=_child_text(entry, "last_state"),
            peer_address=_child_text(entry, "peer_address"),
        )
        for entry in root.iter("AgentXmppData")
    ]


def parse_node_status(xml_text: str | bytes) -> NodeStatus:
    """A daemon's NodeStatus UVE from `Snh_SandeshUVECacheReq?x=NodeStatus`."""
    root = parse_xml(xml_text)
    nodes = _all(root, "NodeStatus")
    if not nodes:
        if _all(root, "__NodeStatusUVE_list") or _all(root, "NodeStatusUVE"):
            return NodeStatus(name="", state="Unknown", description="no NodeStatus UVE", connections=())
        raise ParseError(f"expected a NodeStatus UVE page, got {_describe(root)}")
    node = next((n for n in nodes if n.find("process_status") is not None), nodes[0])
    processes = tuple(_process(p) for p in node.iter("ProcessStatus"))
    if not processes:
        state, description = "Unknown", "no process_status"
    elif len(processes) == 1:
        state, description = processes[0].state, processes[0].description
    else:
        all_ok = all(p.state == "Functional" for p in processes)
        state = "Functional" if all_ok else "Non-Functional"
        description = "; ".join(p.description for p in processes if p.description)
    return NodeStatus(
        name=_child_text(node, "name"),
        state=state,
        description=description,
        connections=tuple(c for p in processes for c in p.connections),
        processes=processes,
    )


def _process(element: ET.Element) -> ProcessStatus:
    connections = tuple(
        Connection(
            type=_child_text(info, "type"),
            name=_child_text(info, "name"),
            status=_child_text(info, "status"),
            description=_child_text(info, "description"),
            server_addrs=tuple(
                (e.text or "").strip()
                for addrs in info.findall("server_addrs")
                for e in addrs.iter("element")
            ),
        )
        for info in element.iter("ConnectionInfo")
    )
    return ProcessStatus(
        module_id=_child_text(element, "module_id"),
        instance_id=_child_text(element, "instance_id"),
        state=_child_text(element, "state"),
        description=_child_text(element, "description"),
        connections=connections,
    )


def _describe(root: ET.Element) -> str:
    tags = [child.tag for child in root] if root.tag == _PAGES else [root.tag]
    return ", ".join(f"<{tag}>" for tag in tags) or "no element"


def _all(root: ET.Element, tag: str) -> list[ET.Element]:
    return [root] if root.tag == tag else list(root.iter(tag))


def _child_text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    if child is None or child.text is None:
        return ""
    return child.text.strip()


def _child_int(element: ET.Element, tag: str) -> int | None:
    text = _child_text(element, tag)
    try:
        return int(text)
    except ValueError:
        return None


def _yes(text: str) -> bool:
    return text.lower() in {"yes", "true", "1"}
