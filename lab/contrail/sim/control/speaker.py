"""BGP sessions of one control node over real TCP (port 179 on the node's own address).

One `PeerSession` per configured neighbor walks the RFC 4271 FSM
(Idle -> Connect/Active -> OpenSent -> OpenConfirm -> Established). To keep
connection collisions out of a two-line lab, the speaker with the numerically lower
address initiates and the other one waits in Active; both accept. A connection from an
address that is not configured is refused with a NOTIFICATION (Cease / connection
rejected), so a session is Established only when both ends have the other configured.
Loss of the peer is seen at once when TCP closes, or after the hold time.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from . import bgp
from .bgp import CeaseSubcode, ErrorCode, Keepalive, Notification, Open, State
from .peers import Peer

Log = Callable[[str], None]


@dataclass(frozen=True)
class NeighborView:
    """What the introspect shows about one BGP neighbor."""

    name: str
    address: str
    asn: int
    peer_type: str
    state: str
    router_type: str
    flap_count: int
    last_state: str


def _send(sock: socket.socket, msg: bgp.Message) -> None:
    sock.sendall(bgp.encode(msg))


def _close(sock: socket.socket | None, notification: Notification | None = None) -> None:
    if sock is None:
        return
    try:
        if notification is not None:
            sock.settimeout(1.0)
            _send(sock, notification)
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class PeerSession:
    """The FSM of one configured neighbor; its I/O runs in its own threads."""

    def __init__(self, speaker: "Speaker", peer: Peer) -> None:
        self.speaker = speaker
        self.peer = peer
        self.state = State.IDLE
        self.last_state = State.IDLE
        self.flap_count = 0
        self._sock: socket.socket | None = None
        self._lock = threading.RLock()
        self._removed = threading.Event()
        self._generation = 0
        self.initiator = int(ipaddress.ip_address(speaker.ip)) < int(ipaddress.ip_address(peer.address))
        if self.initiator:
            threading.Thread(target=self._connect_loop, name=f"bgp-connect-{peer.name}", daemon=True).start()
        else:
            self._set_state(State.ACTIVE)

    # -- state
    def _set_state(self, state: State) -> None:
        with self._lock:
            if state == self.state:
                return
            if self.state == State.ESTABLISHED:
                self.flap_count += 1
            self.last_state, self.state = self.state, state
        self.speaker.log(f"BGP peer {self.peer.name} ({self.peer.address}): {self.last_state.value} -> {state.value}")

    def view(self) -> NeighborView:
        with self._lock:
            return NeighborView(
                name=self.peer.name, address=self.peer.address, asn=self.peer.asn,
                peer_type="internal" if self.peer.asn == self.speaker.asn else "external",
                state=self.state.value, router_type=self.peer.router_type,
                flap_count=self.flap_count, last_state=self.last_state.value,
            )

    # -- lifecycle
    def remove(self, subcode: int = CeaseSubcode.PEER_DECONFIGURED) -> None:
        """The neighbor was deconfigured (or the speaker stops): close with a Cease."""
        self._removed.set()
        with self._lock:
            sock, self._sock = self._sock, None
            self._generation += 1
        _close(sock, Notification(ErrorCode.CEASE, subcode))
        self._set_state(State.IDLE)

    def _connect_loop(self) -> None:
        retry = self.speaker.connect_retry
        while not self._removed.is_set():
            with self._lock:
                busy = self._sock is not None
            if not busy:
                self._set_state(State.CONNECT)
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    sock.bind((self.speaker.ip, 0))
                    sock.settimeout(3.0)
                    sock.connect((self.peer.address, self.peer.port))
                except OSError:
                    sock.close()
                    if not self._removed.is_set():
                        self._set_state(State.ACTIVE)
                else:
                    self.attach(sock, received_open=None)
            self._removed.wait(retry)

    def attach(self, sock: socket.socket, received_open: Open | None) -> None:
        """Run the session on a connected socket (outgoing, or incoming whose OPEN was read)."""
        with self._lock:
            old, self._sock = self._sock, sock
            self._generation += 1
            gen = self._generation
        if old is not None:
            _close(old, Notification(ErrorCode.CEASE, CeaseSubcode.COLLISION_RESOLUTION))
        threading.Thread(target=self._run, args=(sock, gen, received_open),
                         name=f"bgp-{self.peer.name}", daemon=True).start()

    def _current(self, gen: int) -> bool:
        with self._lock:
            return gen == self._generation and not self._removed.is_set()

    def _run(self, sock: socket.socket, gen: int, received_open: Open | None) -> None:
        sp = self.speaker
        reader = bgp.Reader()
        hold = sp.hold_time
        notification: Notification | None = None
        try:
            sock.settimeout(1.0)
            _send(sock, Open(asn=sp.asn, hold_time=sp.hold_time, bgp_id=sp.bgp_id))
            last_tx = time.monotonic()
            last_rx = time.monotonic()
            if received_open is not None:
                notification = bgp.check_open(received_open, self.peer.asn, sp.bgp_id)
                if notification:
                    return
                hold = bgp.negotiated_hold_time(sp.hold_time, received_open.hold_time)
                _send(sock, Keepalive())
                self._set_state(State.OPEN_CONFIRM)
            else:
                self._set_state(State.OPEN_SENT)
            while self._current(gen):
                now = time.monotonic()
                if self.state in (State.OPEN_CONFIRM, State.ESTABLISHED) and hold and now - last_tx >= hold / 3:
                    _send(sock, Keepalive())
                    last_tx = now
                # OpenSent waits at most the large hold time of RFC 4271 (4 min); we use 4x hold.
                limit = hold if self.state != State.OPEN_SENT else 4 * sp.hold_time
                if limit and now - last_rx > limit:
                    notification = Notification(ErrorCode.HOLD_TIMER_EXPIRED, 0)
                    return
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                if not data:
                    return  # the peer closed the TCP connection
                last_rx = time.monotonic()
                for msg in reader.feed(data):
                    if isinstance(msg, Notification):
                        sp.log(f"BGP peer {self.peer.name}: NOTIFICATION received {msg.describe()}")
                        return
                    if isinstance(msg, Open):
                        if self.state != State.OPEN_SENT:
                            notification = Notification(ErrorCode.FSM, 0)
                            return
                        notification = bgp.check_open(msg, self.peer.asn, sp.bgp_id)
                        if notification:
                            return
                        hold = bgp.negotiated_hold_time(sp.hold_time, msg.hold_time)
                        _send(sock, Keepalive())
                        last_tx = time.monotonic()
                        self._set_state(State.OPEN_CONFIRM)
                    elif isinstance(msg, Keepalive):
                        if self.state == State.OPEN_CONFIRM:
                            self._set_state(State.ESTABLISHED)
                        elif self.state == State.OPEN_SENT:
                            notification = Notification(ErrorCode.FSM, 0)
                            return
        except bgp.DecodeError as exc:
            notification = Notification(exc.code, exc.subcode)
        except OSError:
            pass
        finally:
            with self._lock:
                mine = gen == self._generation
                if mine:
                    self._sock = None
            _close(sock, notification)
            if mine and not self._removed.is_set():
                self._set_state(State.IDLE)
                if not self.initiator:
                    self._set_state(State.ACTIVE)


class Speaker:
    """The BGP side of contrail-control: a listener on (ip, port) and a session per peer."""

    def __init__(self, ip: str, asn: int, bgp_id: str, hold_time: int = 9, port: int = 179,
                 connect_retry: float = 2.0, log: Log = print) -> None:
        self.ip = ip
        self.asn = asn
        self.bgp_id = bgp_id
        self.hold_time = hold_time
        self.port = port
        self.connect_retry = connect_retry
        self.log = log
        self._sessions: dict[str, PeerSession] = {}  # by peer address
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((self.ip, self.port))
        lsock.listen(64)
        self._listener = lsock
        threading.Thread(target=self._accept_loop, name="bgp-listen", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for s in sessions:
            s.remove(CeaseSubcode.ADMIN_SHUTDOWN)

    def set_identity(self, asn: int, bgp_id: str) -> None:
        """This node's own bgp-router parameters (ASN, identifier) from the config."""
        self.asn, self.bgp_id = asn, bgp_id

    def set_peers(self, peers: list[Peer]) -> None:
        """Reconcile sessions with the configured neighbors."""
        wanted = {p.address: p for p in peers}
        with self._lock:
            gone = [s for addr, s in self._sessions.items()
                    if addr not in wanted or wanted[addr] != s.peer]
            for s in gone:
                del self._sessions[s.peer.address]
            new = [p for addr, p in wanted.items() if addr not in self._sessions]
        for s in gone:
            s.remove()
        for p in new:
            session = PeerSession(self, p)
            with self._lock:
                self._sessions[p.address] = session

    def neighbors(self) -> list[NeighborView]:
        with self._lock:
            sessions = list(self._sessions.values())
        return sorted((s.view() for s in sessions), key=lambda v: v.name)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, (addr, _) = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._incoming, args=(sock, addr), daemon=True).start()

    def _incoming(self, sock: socket.socket, addr: str) -> None:
        with self._lock:
            session = self._sessions.get(addr)
        if session is None:
            self.log(f"BGP connection from unconfigured {addr} rejected")
            _close(sock, Notification(ErrorCode.CEASE, CeaseSubcode.CONNECTION_REJECTED))
            return
        reader = bgp.Reader()
        deadline = time.monotonic() + 4 * self.hold_time
        try:
            sock.settimeout(1.0)
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                if not data:
                    sock.close()
                    return
                msgs = reader.feed(data)
                if not msgs:
                    continue
                first = msgs[0]
                if not isinstance(first, Open):
                    _close(sock, Notification(ErrorCode.FSM, 0))
                    return
                session.attach(sock, received_open=first)
                return
        except bgp.DecodeError as exc:
            _close(sock, Notification(exc.code, exc.subcode))
            return
        except OSError:
            sock.close()
            return
        _close(sock, Notification(ErrorCode.HOLD_TIMER_EXPIRED, 0))
