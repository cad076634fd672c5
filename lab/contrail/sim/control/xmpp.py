"""The XMPP stream framing contrail-control and the vrouter agent exchange on TCP 5269.

Only the session part is simulated: the client (agent) opens a stream naming itself in
`from`, the server (control node) answers with its own stream header and
`<stream:features/>`, and both sides then send whitespace keepalives. A session is
closed with `</stream:stream>` or by the TCP connection going away. Pure functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

# The name the control node uses as the XMPP server peer (as the agent introspect shows it).
CONTROL_JID = "network-control@contrailsystems.com"
PORT = 5269
KEEPALIVE = " "
STREAM_CLOSE = "</stream:stream>"
FEATURES = "<stream:features/>"

_OPEN_RE = re.compile(r"<stream:stream\b([^>]*)>", re.S)
_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def stream_open(from_: str, to: str, stream_id: str = "") -> str:
    """The stream header a side sends first (the server adds an id)."""
    sid = f" id={quoteattr(stream_id)}" if stream_id else ""
    return (
        '<?xml version="1.0"?>'
        f"<stream:stream from={quoteattr(from_)} to={quoteattr(to)}{sid}"
        ' version="1.0" xml:lang="en" xmlns="jabber:client"'
        ' xmlns:stream="http://etherx.jabber.org/streams">'
    )


@dataclass(frozen=True)
class StreamHeader:
    from_: str
    to: str
    stream_id: str


def parse_stream_open(buffer: str) -> tuple[StreamHeader | None, str]:
    """Find a stream header in received text: (header or None, text left after it)."""
    m = _OPEN_RE.search(buffer)
    if not m:
        return None, buffer
    attrs = {k: (v1 if v1 is not None and v1 != "" else v2) for k, v1, v2 in _ATTR_RE.findall(m.group(1))}
    header = StreamHeader(from_=attrs.get("from", ""), to=attrs.get("to", ""), stream_id=attrs.get("id", ""))
    return header, buffer[m.end():]


def is_closed(buffer: str) -> bool:
    return STREAM_CLOSE in buffer
