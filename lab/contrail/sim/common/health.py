"""NodeStatus from real reachability: each daemon lists its dependencies, a thread probes them.

contrail-status turns NodeStatus into a line (see contrail_sim.common.sandesh):
Functional -> `active`; Non-Functional -> `initializing (<description>)`. The description,
as the real ConnectionState builds it, names what is down:
`Database:Cassandra[] connection down`, `Collector, Zookeeper:Zookeeper[] connection down`.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

from .db import CASSANDRA_PORT, ZOOKEEPER_PORT, parse_server_list


@dataclass(frozen=True)
class Dependency:
    type: str          # ConnectionInfo type, e.g. 'Database', 'Zookeeper', 'Collector', 'Discovery'
    name: str          # e.g. 'Cassandra', 'Zookeeper', '' (real names; '' renders as just the type)
    servers: tuple[tuple[str, int], ...]


def database_deps(cassandra: str, zookeeper: str) -> list[Dependency]:
    """The Database:Cassandra and Zookeeper:Zookeeper connections of a config daemon (empty lists skipped)."""
    deps = []
    if cassandra.strip():
        deps.append(Dependency("Database", "Cassandra", tuple(parse_server_list(cassandra, CASSANDRA_PORT))))
    if zookeeper.strip():
        deps.append(Dependency("Zookeeper", "Zookeeper", tuple(parse_server_list(zookeeper, ZOOKEEPER_PORT))))
    return deps


def tcp_up(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def describe_down(down: Sequence[Dependency]) -> str:
    """Real wording: 'Collector, Database:Cassandra[] connection down'."""
    if not down:
        return ""
    parts = [f"{d.type}:{d.name}[]" if d.name else d.type for d in down]
    return ", ".join(parts) + " connection down"


def probe(deps: Sequence[Dependency]) -> tuple[list[dict[str, object]], list[Dependency]]:
    conns, down = [], []
    for d in deps:
        ok = any(tcp_up(h, p) for h, p in d.servers) if d.servers else False
        if not ok:
            down.append(d)
        conns.append({"type": d.type, "name": d.name, "status": "Up" if ok else "Down",
                      "server_addrs": [f"{h}:{p}" for h, p in d.servers], "description": ""})
    return conns, down


class StatusLoop:
    """Every `interval` s: probe deps, then call set_status(state, description, connections)."""

    def __init__(self, set_status: Callable[..., None], deps: Sequence[Dependency],
                 extra: Callable[[], list[dict[str, object]]] = lambda: [], interval: float = 2.0) -> None:
        self.set_status, self.deps, self.extra, self.interval = set_status, list(deps), extra, interval
        self._stop = threading.Event()

    def tick(self) -> bool:
        conns, down = probe(self.deps)
        extra = self.extra()
        conns += extra
        down += [Dependency(str(c["type"]), str(c["name"]), ()) for c in extra if c.get("status") != "Up"]
        if down:
            self.set_status("Non-Functional", describe_down(down), conns)
            return False
        self.set_status("Functional", "", conns)
        return True

    def start(self) -> "StatusLoop":
        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # a probe bug must not kill the daemon
                    pass
                self._stop.wait(self.interval)
        threading.Thread(target=run, daemon=True, name="node-status").start()
        return self

    def stop(self) -> None:
        self._stop.set()
