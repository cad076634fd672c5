"""BGP-4 wire messages (RFC 4271) as far as a session needs them: OPEN, KEEPALIVE, NOTIFICATION.

Pure encode/decode, no sockets. Every message starts with the 19-byte header:
16 bytes of 0xFF (marker), 2-byte total length, 1-byte type.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from enum import Enum, IntEnum

MARKER = b"\xff" * 16
HEADER_LEN = 19
MAX_LEN = 4096
AS_TRANS = 23456  # RFC 6793: the 2-byte AS field of a speaker whose ASN needs 4 bytes
CAP_FOUR_OCTET_AS = 65
CAP_MULTIPROTOCOL = 1


class MsgType(IntEnum):
    OPEN = 1
    UPDATE = 2
    NOTIFICATION = 3
    KEEPALIVE = 4


class ErrorCode(IntEnum):
    MESSAGE_HEADER = 1
    OPEN_MESSAGE = 2
    UPDATE_MESSAGE = 3
    HOLD_TIMER_EXPIRED = 4
    FSM = 5
    CEASE = 6


class OpenSubcode(IntEnum):
    UNSUPPORTED_VERSION = 1
    BAD_PEER_AS = 2
    BAD_BGP_IDENTIFIER = 3
    UNACCEPTABLE_HOLD_TIME = 6


class CeaseSubcode(IntEnum):
    ADMIN_SHUTDOWN = 2
    PEER_DECONFIGURED = 3
    ADMIN_RESET = 4
    CONNECTION_REJECTED = 5
    COLLISION_RESOLUTION = 7


class State(str, Enum):
    """The RFC 4271 FSM states, spelled as contrail-control's introspect shows them."""

    IDLE = "Idle"
    CONNECT = "Connect"
    ACTIVE = "Active"
    OPEN_SENT = "OpenSent"
    OPEN_CONFIRM = "OpenConfirm"
    ESTABLISHED = "Established"


class DecodeError(ValueError):
    """A malformed message; carries the NOTIFICATION code/subcode to answer with."""

    def __init__(self, message: str, code: int = ErrorCode.MESSAGE_HEADER, subcode: int = 0):
        super().__init__(message)
        self.code = int(code)
        self.subcode = int(subcode)


@dataclass(frozen=True)
class Open:
    asn: int
    hold_time: int
    bgp_id: str
    version: int = 4
    # (afi, safi) pairs advertised with the multiprotocol capability
    families: tuple[tuple[int, int], ...] = ((1, 1), (1, 128))


@dataclass(frozen=True)
class Keepalive:
    pass


@dataclass(frozen=True)
class Notification:
    code: int
    subcode: int = 0
    data: bytes = b""

    def describe(self) -> str:
        try:
            name = ErrorCode(self.code).name
        except ValueError:
            name = str(self.code)
        return f"{name}/{self.subcode}"


@dataclass(frozen=True)
class Update:
    body: bytes = b""


Message = Open | Keepalive | Notification | Update


def _header(msg_type: MsgType, body: bytes) -> bytes:
    length = HEADER_LEN + len(body)
    if length > MAX_LEN:
        raise ValueError(f"BGP message too long: {length}")
    return MARKER + struct.pack("!HB", length, int(msg_type)) + body


def _capability(code: int, value: bytes) -> bytes:
    return struct.pack("!BB", code, len(value)) + value


def encode(msg: Message) -> bytes:
    if isinstance(msg, Keepalive):
        return _header(MsgType.KEEPALIVE, b"")
    if isinstance(msg, Notification):
        return _header(MsgType.NOTIFICATION, struct.pack("!BB", msg.code, msg.subcode) + msg.data)
    if isinstance(msg, Update):
        return _header(MsgType.UPDATE, msg.body)
    if isinstance(msg, Open):
        caps = b"".join(_capability(CAP_MULTIPROTOCOL, struct.pack("!HBB", afi, 0, safi))
                        for afi, safi in msg.families)
        caps += _capability(CAP_FOUR_OCTET_AS, struct.pack("!I", msg.asn))
        params = struct.pack("!BB", 2, len(caps)) + caps  # param type 2 = capabilities
        my_as = msg.asn if msg.asn <= 0xFFFF else AS_TRANS
        body = struct.pack("!BHH4sB", msg.version, my_as, msg.hold_time,
                           ipaddress.IPv4Address(msg.bgp_id).packed, len(params)) + params
        return _header(MsgType.OPEN, body)
    raise TypeError(f"not a BGP message: {msg!r}")


def _decode_open(body: bytes) -> Open:
    if len(body) < 10:
        raise DecodeError("OPEN too short", ErrorCode.MESSAGE_HEADER, 2)
    version, my_as, hold, bgp_id, opt_len = struct.unpack("!BHH4sB", body[:10])
    if version != 4:
        raise DecodeError(f"unsupported BGP version {version}", ErrorCode.OPEN_MESSAGE,
                          OpenSubcode.UNSUPPORTED_VERSION)
    if hold in (1, 2):
        raise DecodeError(f"unacceptable hold time {hold}", ErrorCode.OPEN_MESSAGE,
                          OpenSubcode.UNACCEPTABLE_HOLD_TIME)
    params = body[10:10 + opt_len]
    if len(params) != opt_len:
        raise DecodeError("OPEN optional parameters truncated", ErrorCode.OPEN_MESSAGE, 0)
    asn = my_as
    families: list[tuple[int, int]] = []
    i = 0
    while i + 2 <= len(params):
        ptype, plen = params[i], params[i + 1]
        pval = params[i + 2:i + 2 + plen]
        i += 2 + plen
        if ptype != 2:
            continue
        j = 0
        while j + 2 <= len(pval):
            code, clen = pval[j], pval[j + 1]
            cval = pval[j + 2:j + 2 + clen]
            j += 2 + clen
            if code == CAP_FOUR_OCTET_AS and clen == 4:
                asn = struct.unpack("!I", cval)[0]
            elif code == CAP_MULTIPROTOCOL and clen == 4:
                afi, _, safi = struct.unpack("!HBB", cval)
                families.append((afi, safi))
    return Open(asn=asn, hold_time=hold, bgp_id=str(ipaddress.IPv4Address(bgp_id)),
                version=version, families=tuple(families))


def decode(data: bytes) -> Message:
    """One complete message (header included) -> Message; raises DecodeError."""
    if len(data) < HEADER_LEN:
        raise DecodeError("message shorter than the header", ErrorCode.MESSAGE_HEADER, 2)
    if data[:16] != MARKER:
        raise DecodeError("connection not synchronized (bad marker)", ErrorCode.MESSAGE_HEADER, 1)
    length, mtype = struct.unpack("!HB", data[16:19])
    if length != len(data) or not HEADER_LEN <= length <= MAX_LEN:
        raise DecodeError(f"bad message length {length}", ErrorCode.MESSAGE_HEADER, 2)
    body = data[HEADER_LEN:]
    if mtype == MsgType.OPEN:
        return _decode_open(body)
    if mtype == MsgType.KEEPALIVE:
        if body:
            raise DecodeError("KEEPALIVE with a body", ErrorCode.MESSAGE_HEADER, 2)
        return Keepalive()
    if mtype == MsgType.NOTIFICATION:
        if len(body) < 2:
            raise DecodeError("NOTIFICATION too short", ErrorCode.MESSAGE_HEADER, 2)
        return Notification(code=body[0], subcode=body[1], data=body[2:])
    if mtype == MsgType.UPDATE:
        return Update(body)
    raise DecodeError(f"bad message type {mtype}", ErrorCode.MESSAGE_HEADER, 3)


@dataclass
class Reader:
    """Splits a TCP byte stream into complete BGP messages."""

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Message]:
        self.buffer += data
        out: list[Message] = []
        while len(self.buffer) >= HEADER_LEN:
            if bytes(self.buffer[:16]) != MARKER:
                raise DecodeError("connection not synchronized (bad marker)", ErrorCode.MESSAGE_HEADER, 1)
            length = struct.unpack("!H", self.buffer[16:18])[0]
            if not HEADER_LEN <= length <= MAX_LEN:
                raise DecodeError(f"bad message length {length}", ErrorCode.MESSAGE_HEADER, 2)
            if len(self.buffer) < length:
                break
            chunk = bytes(self.buffer[:length])
            del self.buffer[:length]
            out.append(decode(chunk))
        return out


def negotiated_hold_time(mine: int, theirs: int) -> int:
    """RFC 4271 4.2: the smaller of the two; 0 means no keepalives at all."""
    return min(mine, theirs)


def check_open(received: Open, expected_asn: int, my_bgp_id: str) -> Notification | None:
    """The OPEN checks contrail-control makes before accepting a configured peer."""
    if received.asn != expected_asn:
        return Notification(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_PEER_AS)
    if received.bgp_id == my_bgp_id or received.bgp_id == "0.0.0.0":
        return Notification(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_BGP_IDENTIFIER)
    return None
