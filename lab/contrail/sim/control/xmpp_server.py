"""contrail-control's XMPP server: accepts vrouter agents on TCP 5269 at the node's address.

Each agent opens a stream naming itself (`from` = its hostname); the server answers with
its own stream header and features (OpenConfirm) and the session is Established once
the agent's first keepalive arrives. The peer disappears when its TCP connection closes
or nothing is heard for the hold time.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from . import xmpp

Log = Callable[[str], None]


@dataclass(frozen=True)
class XmppPeerView:
    name: str
    address: str
    state: str
    flap_count: int


class _Conn:
    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address
        self.name = ""
        self.state = "Active"
        self.flap_count = 0


class XmppServer:
    def __init__(self, ip: str, port: int = xmpp.PORT, hold_time: int = 9, log: Log = print) -> None:
        self.ip = ip
        self.port = port
        self.hold_time = hold_time
        self.log = log
        self._peers: dict[str, _Conn] = {}  # by agent name, once the stream is open
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._counter = 0

    def start(self) -> None:
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((self.ip, self.port))
        lsock.listen(256)
        self._listener = lsock
        threading.Thread(target=self._accept_loop, name="xmpp-listen", daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            conns = list(self._peers.values())
            self._peers.clear()
        for c in conns:
            try:
                c.sock.sendall(xmpp.STREAM_CLOSE.encode())
                c.sock.close()
            except OSError:
                pass

    def peers(self) -> list[XmppPeerView]:
        with self._lock:
            conns = list(self._peers.values())
        return sorted((XmppPeerView(c.name, c.address, c.state, c.flap_count) for c in conns),
                      key=lambda v: v.name)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, (addr, _) = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(_Conn(sock, addr),), daemon=True).start()

    def _serve(self, conn: _Conn) -> None:
        sock = conn.sock
        buffer = ""
        last_rx = last_tx = time.monotonic()
        try:
            sock.settimeout(1.0)
            while True:
                now = time.monotonic()
                if conn.name and now - last_tx >= self.hold_time / 3:
                    sock.sendall(xmpp.KEEPALIVE.encode())
                    last_tx = now
                if now - last_rx > self.hold_time:
                    self.log(f"XMPP peer {conn.name or conn.address}: hold timer expired")
                    return
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                if not data:
                    return
                last_rx = time.monotonic()
                buffer += data.decode("utf-8", "replace")
                if not conn.name:
                    header, buffer = xmpp.parse_stream_open(buffer)
                    if header is None:
                        continue
                    if not header.from_:
                        return
                    conn.name = header.from_
                    self._counter += 1
                    sock.sendall((xmpp.stream_open(xmpp.CONTROL_JID, conn.name, f"++{self._counter}")
                                  + xmpp.FEATURES).encode())
                    last_tx = time.monotonic()
                    conn.state = "OpenConfirm"
                    self._register(conn)
                    continue
                if xmpp.is_closed(buffer):
                    return
                if conn.state == "OpenConfirm":
                    conn.state = "Established"
                    self.log(f"XMPP peer {conn.name} ({conn.address}): Established")
                buffer = buffer[-64:]
        except OSError:
            pass
        finally:
            self._unregister(conn)
            try:
                sock.close()
            except OSError:
                pass

    def _register(self, conn: _Conn) -> None:
        with self._lock:
            old = self._peers.get(conn.name)
            if old is not None:
                conn.flap_count = old.flap_count + (1 if old.state == "Established" else 0)
            self._peers[conn.name] = conn
        if old is not None:
            try:
                old.sock.close()
            except OSError:
                pass

    def _unregister(self, conn: _Conn) -> None:
        with self._lock:
            if conn.name and self._peers.get(conn.name) is conn:
                del self._peers[conn.name]
        if conn.name:
            self.log(f"XMPP peer {conn.name} ({conn.address}): closed")
