"""contrail-control introspect (8083): `Snh_BgpNeighborReq` / `Snh_BgpNeighborReqIterate`.

Paging as in contrail-controller R3.2 src/bgp/bgp_show_handler.h and bgp_show_neighbor.cc:
BGP neighbors are all listed on the first page; XMPP neighbors follow, sorted by name,
until the page holds 64 entries (kPageLimit; at least one XMPP neighbor is always added).
When more remain, `next_batch` carries the iterate key `<next xmpp peer>||<search_string>`
(kIterSeparator) to pass as `Snh_BgpNeighborReqIterate?x=<key>`; the last page has no
`next_batch` element. The response is sent with Response(), so sandesh's `more` stays
false on every page. BgpNeighborResp fields are written in their bgp_peer.sandesh order
with their identifiers (a subset). Pure functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..common import sandesh as s

PAGE_LIMIT = 64
ITER_SEPARATOR = "||"


@dataclass(frozen=True)
class Neighbor:
    """One row of BgpNeighborListResp."""

    peer: str
    peer_address: str
    peer_asn: int
    encoding: str  # BGP | XMPP
    peer_type: str  # internal | external
    state: str
    router_type: str
    flap_count: int = 0
    local_address: str = ""
    last_error: str = ""

    def render(self) -> str:
        return s.struct("BgpNeighborResp", [
            s.string("instance_name", 53, ""),
            s.string("peer", 1, self.peer, link="BgpNeighborReq"),
            s.boolean("deleted", 36, False),
            s.string("peer_address", 2, self.peer_address, link="BgpNeighborReq"),
            s.u32("peer_asn", 3, self.peer_asn),
            s.string("encoding", 6, self.encoding),
            s.string("peer_type", 7, self.peer_type),
            s.string("state", 8, self.state),
            s.string("router_type", 52, self.router_type),
            s.string("local_address", 4, self.local_address),
            s.string("last_error", 13, self.last_error),
            s.u64("flap_count", 23, self.flap_count),
        ])


@dataclass(frozen=True)
class Page:
    neighbors: tuple[Neighbor, ...]
    next_batch: str  # "" on the last page


def _matches(n: Neighbor, search: str) -> bool:
    if not search:
        return True
    try:
        expr = re.compile(search)
    except re.error:
        return search in n.peer or search in n.peer_address
    return bool(expr.search(n.peer) or expr.search(n.peer_address))


def parse_iterate_key(key: str) -> tuple[str, str] | None:
    """'next_entry||search_string' -> (next_entry, search_string); None if malformed."""
    if ITER_SEPARATOR not in key:
        return None
    next_entry, _, search = key.partition(ITER_SEPARATOR)
    return next_entry, search


def page(bgp_peers: Sequence[Neighbor], xmpp_peers: Sequence[Neighbor], search: str = "",
         next_entry: str = "", limit: int = PAGE_LIMIT) -> Page:
    """One page: BGP peers only on the first page, then XMPP peers from next_entry on."""
    rows: list[Neighbor] = []
    if not next_entry:
        rows += [n for n in bgp_peers if _matches(n, search)]
    xmpp_sorted = sorted((n for n in xmpp_peers if _matches(n, search)), key=lambda n: n.peer)
    pending = [n for n in xmpp_sorted if n.peer >= next_entry] if next_entry else xmpp_sorted
    room = max(limit - len(rows), 1)
    rows += pending[:room]
    rest = pending[room:]
    key = f"{rest[0].peer}{ITER_SEPARATOR}{search}" if rest else ""
    return Page(tuple(rows), key)


def render(p: Page) -> str:
    """The BgpNeighborListResp document, shaped like the real one (see samples)."""
    return s.document(s.sandesh("BgpNeighborListResp", [
        s.struct_list("neighbors", 1, [n.render() for n in p.neighbors]),
        s.next_batch("BgpNeighborReqIterate", p.next_batch),
        s.more(False),
    ]))


def render_empty() -> str:
    """Answer to a malformed iterate key (the real handler returns an empty response)."""
    return render(Page((), ""))
