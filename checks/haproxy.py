"""HAProxy configuration (haproxy.cfg) as structured facts. Pure.

Only what the ISSU needs: frontends (name, bind addresses, default_backend, whether the
section says `disabled`: HAProxy then creates it stopped and releases its port, configuration.txt
"disabled") and backends (name, servers with address:port and whether they are disabled). Sections
are `global`, `defaults`, `frontend NAME`, `backend NAME`, `listen NAME`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from checks.evidence import ParseError

SECTION_KEYWORDS = ("global", "defaults", "frontend", "backend", "listen", "resolvers", "peers",
                    "userlist", "program", "cache", "mailers", "ring", "http-errors")


@dataclass(frozen=True)
class Server:
    name: str
    address: str
    port: int
    disabled: bool


@dataclass
class Proxy:
    kind: str  # frontend | backend | listen
    name: str
    binds: list[str] = field(default_factory=list)
    default_backend: str | None = None
    servers: list[Server] = field(default_factory=list)
    disabled: bool = False


@dataclass
class HaproxyConfig:
    proxies: list[Proxy]

    def frontends(self) -> list[Proxy]:
        return [p for p in self.proxies if p.kind in ("frontend", "listen")]

    def backend(self, name: str) -> Proxy | None:
        for p in self.proxies:
            if p.kind in ("backend", "listen") and p.name == name:
                return p
        return None

    def frontend_on_port(self, port: int) -> Proxy | None:
        for p in self.frontends():
            for bind in p.binds:
                if bind.rsplit(":", 1)[-1] == str(port):
                    return p
        return None

    def servers_behind(self, frontend: Proxy) -> list[Server]:
        if frontend.kind == "listen":
            return list(frontend.servers)
        backend = self.backend(frontend.default_backend or "")
        return list(backend.servers) if backend else []


def parse(text: str) -> HaproxyConfig:
    proxies: list[Proxy] = []
    current: Proxy | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] in SECTION_KEYWORDS and not raw[:1].isspace():
            current = None
            if words[0] in ("frontend", "backend", "listen"):
                if len(words) < 2:
                    raise ParseError(f"haproxy.cfg line {n}: {words[0]} without a name")
                current = Proxy(words[0], words[1])
                proxies.append(current)
                if words[0] == "listen" and len(words) > 2:
                    current.binds.append(words[2])
            continue
        if current is None:
            continue
        if words[0] == "bind" and len(words) > 1:
            current.binds.extend(b for b in words[1].split(","))
        elif words == ["disabled"]:
            current.disabled = True
        elif words == ["enabled"]:
            current.disabled = False
        elif words[0] == "default_backend" and len(words) > 1:
            current.default_backend = words[1]
        elif words[0] == "server" and len(words) > 2:
            addr, _, port = words[2].rpartition(":")
            if not addr or not port.isdigit():
                raise ParseError(f"haproxy.cfg line {n}: server {words[1]} has no address:port ({words[2]!r})")
            current.servers.append(Server(words[1], addr, int(port), "disabled" in words[3:]))
    return HaproxyConfig(proxies)
