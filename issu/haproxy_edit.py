"""Point the config-API backend of haproxy.cfg at other servers. Pure.

Only the `server` lines of the backend behind the frontend on the API port are
replaced (a blind `sed s/old/new/g` over the file is a known ISSU trap: it rewrites
unrelated backends that share an address). Everything else stays byte for byte.
"""
from __future__ import annotations

from checks import haproxy
from checks.evidence import ParseError


def switch_backend(text: str, frontend_port: int, servers: list[tuple[str, str, int]],
                   options: str = "check inter 2000 rise 2 fall 3") -> str:
    cfg = haproxy.parse(text)
    fe = cfg.frontend_on_port(frontend_port)
    if fe is None:
        raise ParseError(f"haproxy.cfg: no frontend on port {frontend_port}")
    section = ("listen", fe.name) if fe.kind == "listen" else ("backend", fe.default_backend)
    out: list[str] = []
    inside = replaced = False
    indent = "    "
    for line in text.splitlines(keepends=True):
        words = line.split()
        if words and not line[:1].isspace() and words[0] in haproxy.SECTION_KEYWORDS:
            if inside and not replaced:
                out += _servers(indent, servers, options)
                replaced = True
            inside = tuple(words[:2]) == section
        if inside and words[:1] == ["server"]:
            indent = line[: len(line) - len(line.lstrip())]
            if not replaced:
                out += _servers(indent, servers, options)
                replaced = True
            continue
        out.append(line)
    if inside and not replaced:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out += _servers(indent, servers, options)
    return "".join(out)


def _servers(indent: str, servers: list[tuple[str, str, int]], options: str) -> list[str]:
    return [f"{indent}server {name} {ip}:{port} {options}\n" for name, ip, port in servers]


def set_frontends_disabled(text: str, ports: list[int], disabled: bool) -> str:
    """Add (or remove) the `disabled` keyword of the frontends bound on `ports`; nothing else
    changes. A disabled frontend is created stopped and releases its port (HAProxy
    configuration.txt, "disabled"), so a reload freezes exactly these front-ends."""
    cfg = haproxy.parse(text)
    names = {("listen" if fe.kind == "listen" else "frontend", fe.name)
             for fe in (cfg.frontend_on_port(p) for p in ports) if fe is not None}
    out: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        words = line.split("#", 1)[0].split()
        if words and not line[:1].isspace() and words[0] in haproxy.SECTION_KEYWORDS:
            inside = tuple(words[:2]) in names
            out.append(line if line.endswith("\n") else line + "\n")
            if inside and disabled:
                out.append("    disabled\n")
            continue
        if inside and words in (["disabled"], ["enabled"]):
            continue
        out.append(line)
    return "".join(out)


def switch_backends(text: str, servers_by_port: dict[int, list[tuple[str, str, int]]]) -> str:
    """switch_backend for each frontend port present in the file (absent ports are skipped)."""
    cfg = haproxy.parse(text)
    for port, servers in servers_by_port.items():
        if cfg.frontend_on_port(port) is not None:
            text = switch_backend(text, port, servers)
    return text
