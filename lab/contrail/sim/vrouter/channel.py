"""One XMPP channel of the vrouter agent to one control node (TCP 5269), with reconnects.

State names as the agent introspect shows them: Idle, Active, Connect, OpenSent,
OpenConfirm, Established. The agent opens a stream as itself, the control node answers
(OpenConfirm), then keepalives flow both ways (Established). When the connection fails
or closes, the channel goes back to Active and retries with an exponential backoff
(1, 2, 4 ... at most `max_backoff` seconds).
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from ..control import xmpp

Log = Callable[[str], None]


@dataclass(frozen=True)
class ChannelView:
    controller_ip: str
    port: int
    state: str
    last_state: str
    flap_count: int
    down_since: float | None  # monotonic time it left Established / never reached it


def backoff(attempt: int, max_backoff: float) -> float:
    """Seconds to wait before reconnect attempt number `attempt` (1-based)."""
    if attempt <= 0:
        return 0.0
    return float(min(1 << min(attempt - 1, 10), max_backoff))


class Channel:
    def __init__(self, agent_name: str, agent_ip: str, controller_ip: str, port: int = xmpp.PORT,
                 hold_time: int = 9, max_backoff: float = 8.0, log: Log = print,
                 blocked: Callable[[], bool] = lambda: False) -> None:
        self.agent_name = agent_name
        self.agent_ip = agent_ip
        self.controller_ip = controller_ip
        self.port = port
        self.hold_time = hold_time
        self.max_backoff = max_backoff
        self.log = log
        self.blocked = blocked  # True while the agent must not talk to control nodes (lab fault)
        self.state = "Idle"
        self.last_state = "Idle"
        self.flap_count = 0
        self.down_since: float | None = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None

    def _set(self, state: str) -> None:
        with self._lock:
            if state == self.state:
                return
            if self.state == "Established":
                self.flap_count += 1
                self.down_since = time.monotonic()
            if state == "Established":
                self.down_since = None
            self.last_state, self.state = self.state, state
        self.log(f"XMPP channel to {self.controller_ip}: {self.last_state} -> {state}")

    def view(self) -> ChannelView:
        with self._lock:
            return ChannelView(self.controller_ip, self.port, self.state, self.last_state,
                               self.flap_count, self.down_since)

    def start(self) -> None:
        threading.Thread(target=self._loop, name=f"xmpp-{self.controller_ip}", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.sendall(xmpp.STREAM_CLOSE.encode())
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass

    def _loop(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            if self.blocked():
                self._set("Active")
                self._stop.wait(1.0)
                continue
            self._set("Connect")
            established = self._session()
            if self._stop.is_set():
                break
            self._set("Active")
            attempt = 1 if established else attempt + 1
            self._stop.wait(backoff(attempt, self.max_backoff))
        self._set("Idle")

    def _session(self) -> bool:
        """One connection; True if it reached Established before it ended."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        reached = False
        try:
            if self.agent_ip:
                sock.bind((self.agent_ip, 0))
            sock.settimeout(3.0)
            sock.connect((self.controller_ip, self.port))
            with self._lock:
                if self._stop.is_set():
                    return False
                self._sock = sock
            sock.sendall(xmpp.stream_open(self.agent_name, xmpp.CONTROL_JID).encode())
            self._set("OpenSent")
            sock.settimeout(1.0)
            buffer = ""
            last_rx = last_tx = time.monotonic()
            while not self._stop.is_set():
                if self.blocked():
                    sock.sendall(xmpp.STREAM_CLOSE.encode())
                    return reached
                now = time.monotonic()
                if self.state in ("OpenConfirm", "Established") and now - last_tx >= self.hold_time / 3:
                    sock.sendall(xmpp.KEEPALIVE.encode())
                    last_tx = now
                if now - last_rx > self.hold_time:
                    self.log(f"XMPP channel to {self.controller_ip}: hold timer expired")
                    return reached
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                if not data:
                    return reached
                last_rx = time.monotonic()
                buffer += data.decode("utf-8", "replace")
                if self.state == "OpenSent":
                    header, buffer = xmpp.parse_stream_open(buffer)
                    if header is None:
                        continue
                    self._set("OpenConfirm")
                    sock.sendall(xmpp.KEEPALIVE.encode())
                    last_tx = time.monotonic()
                if xmpp.is_closed(buffer):
                    return reached
                if self.state == "OpenConfirm" and buffer:  # features or a keepalive after the open
                    self._set("Established")
                    reached = True
                buffer = buffer[-64:]
            return reached
        except OSError:
            return reached
        finally:
            with self._lock:
                if self._sock is sock:
                    self._sock = None
            try:
                sock.close()
            except OSError:
                pass
