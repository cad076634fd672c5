"""vrouter agent introspect (8085): `Snh_AgentXmppConnectionStatusReq` (pure rendering).

As contrail-controller R3.2 src/vnsw/agent/controller/controller_sandesh.cc fills it: one
AgentXmppData per configured controller, `state` is `Established` when the channel is
READY and `Down` otherwise (the state machine's own state names appear only in
`last_state`), fields in controller.sandesh order, the response sent with more=false.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..common import sandesh as s
from ..control.xmpp import CONTROL_JID


@dataclass(frozen=True)
class XmppRow:
    controller_ip: str
    port: int
    state: str
    last_state: str
    cfg_controller: bool
    mcast_controller: bool
    flap_count: int

    def render(self) -> str:
        return s.struct("AgentXmppData", [
            s.string("controller_ip", 1, self.controller_ip),
            s.string("state", 2, "Established" if self.state == "Established" else "Down"),
            s.string("peer_name", 3, CONTROL_JID),
            s.string("peer_address", 4, f"{self.controller_ip}:{self.port}"),
            s.string("cfg_controller", 5, "Yes" if self.cfg_controller else "No"),
            s.string("mcast_controller", 6, "Yes" if self.mcast_controller else "No"),
            s.string("last_state", 7, self.last_state),
            s.u32("flap_count", 10, self.flap_count),
        ])


def render(rows: Sequence[XmppRow]) -> str:
    return s.document(s.sandesh("AgentXmppConnectionStatus", [
        s.struct_list("peer", 1, [r.render() for r in rows]),
        s.more(False),
    ]))
