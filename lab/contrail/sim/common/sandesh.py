"""Sandesh introspect for the simulated daemons: XML rendering and the HTTP server.

A real Contrail daemon answers `GET http://<ip>:<port>/Snh_<Request>?<args>` with one
line of XML: the `xml-stylesheet` processing instruction, then the response sandesh,
every field tagged with its thrift `type=` and `identifier=`:

    <?xml-stylesheet type="text/xsl" href="/universal_parse.xsl"?><BgpNeighborListResp
    type="sandesh"><neighbors type="list" identifier="1"><list type="struct" size="1">
    <BgpNeighborResp><peer type="string" identifier="1">ctl-new-1</peer>...

The render helpers below build those fragments as strings (values are XML-escaped);
`IntrospectServer` routes `/Snh_*` requests to handlers and always serves the daemon's
NodeStatus UVE at `/Snh_SandeshUVECacheReq?x=NodeStatus`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

STYLESHEET_PI = '<?xml-stylesheet type="text/xsl" href="/universal_parse.xsl"?>'

Handler = Callable[[dict[str, str]], str]

FUNCTIONAL = "Functional"
NON_FUNCTIONAL = "Non-Functional"

# The UVE key the real daemons put on NodeStatus.name, by module (default ObjectGeneratorInfo).
_UVE_KEYS = {
    "contrail-control": "ObjectBgpRouter",
    "contrail-dns": "ObjectBgpRouter",
    "contrail-control-nodemgr": "ObjectBgpRouter",
    "contrail-vrouter-agent": "ObjectVRouter",
    "contrail-vrouter-nodemgr": "ObjectVRouter",
    "contrail-api": "ObjectConfigNode",
    "contrail-schema": "ObjectConfigNode",
    "contrail-svc-monitor": "ObjectConfigNode",
    "contrail-device-manager": "ObjectConfigNode",
    "contrail-discovery": "ObjectConfigNode",
    "contrail-config-nodemgr": "ObjectConfigNode",
    "contrail-collector": "ObjectCollectorInfo",
    "contrail-analytics-api": "ObjectCollectorInfo",
    "contrail-query-engine": "ObjectCollectorInfo",
    "contrail-analytics-nodemgr": "ObjectCollectorInfo",
    "contrail-database-nodemgr": "ObjectDatabaseInfo",
}


# -- rendering ---------------------------------------------------------------------

def _attrs(extra: Mapping[str, str]) -> str:
    return "".join(f" {k}={quoteattr(str(v))}" for k, v in extra.items())


def scalar(name: str, type_: str, identifier: int, value: object, **attrs: str) -> str:
    """`<name type="T" identifier="N">value</name>`; bool renders true/false."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = escape(str(value))
    return f'<{name} type="{type_}" identifier="{identifier}"{_attrs(attrs)}>{text}</{name}>'


def string(name: str, identifier: int, value: object, **attrs: str) -> str:
    return scalar(name, "string", identifier, value, **attrs)


def u32(name: str, identifier: int, value: int, **attrs: str) -> str:
    return scalar(name, "u32", identifier, int(value), **attrs)


def u64(name: str, identifier: int, value: int, **attrs: str) -> str:
    return scalar(name, "u64", identifier, int(value), **attrs)


def i32(name: str, identifier: int, value: int, **attrs: str) -> str:
    return scalar(name, "i32", identifier, int(value), **attrs)


def boolean(name: str, identifier: int, value: bool, **attrs: str) -> str:
    return scalar(name, "bool", identifier, bool(value), **attrs)


def struct(type_name: str, fields: Iterable[str]) -> str:
    """A struct value: `<TypeName>fields...</TypeName>`."""
    return f"<{type_name}>{''.join(fields)}</{type_name}>"


def struct_field(name: str, identifier: int, struct_xml: str, **attrs: str) -> str:
    """A struct-typed field: `<name type="struct" identifier="N"><Type>..</Type></name>`."""
    return f'<{name} type="struct" identifier="{identifier}"{_attrs(attrs)}>{struct_xml}</{name}>'


def struct_list(name: str, identifier: int, structs: Sequence[str], **attrs: str) -> str:
    """A list<struct> field; `structs` are rendered with `struct()`."""
    return (
        f'<{name} type="list" identifier="{identifier}"{_attrs(attrs)}>'
        f'<list type="struct" size="{len(structs)}">{"".join(structs)}</list></{name}>'
    )


def string_list(name: str, identifier: int, values: Sequence[str], **attrs: str) -> str:
    items = "".join(f"<element>{escape(str(v))}</element>" for v in values)
    return (
        f'<{name} type="list" identifier="{identifier}"{_attrs(attrs)}>'
        f'<list type="string" size="{len(values)}">{items}</list></{name}>'
    )


def next_batch(link: str, key: str = "", identifier: int = 2) -> str:
    """The paging field of a show response: `2: optional string next_batch (link=<Iterate>,
    link_title="next_batch")` in bgp_peer.sandesh (contrail-controller R3.2). TXMLProtocol
    writes type and identifier, then the annotations in key order; an unset optional field
    (the last page) is not written at all."""
    if not key:
        return ""
    return string("next_batch", identifier, key, link=link, link_title="next_batch")


def more(value: bool) -> str:
    return boolean("more", 0, value)


def sandesh(name: str, fields: Iterable[str]) -> str:
    """A response sandesh: `<Name type="sandesh">fields...</Name>`."""
    return f'<{name} type="sandesh">{"".join(fields)}</{name}>'


def document(*body: str) -> str:
    """The full HTTP body: the stylesheet PI followed by the sandesh(es)."""
    return STYLESHEET_PI + "".join(body)


# -- NodeStatus --------------------------------------------------------------------

@dataclass(frozen=True)
class Connection:
    """One ConnectionInfo of a ProcessStatus (type e.g. 'XMPP', 'Discovery', 'Collector')."""

    type: str
    name: str
    status: str  # Up / Down / Initializing
    server_addrs: tuple[str, ...] = ()
    description: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> "Connection":
        addrs = d.get("server_addrs", ())
        if isinstance(addrs, str):
            addrs = (addrs,) if addrs else ()
        return cls(
            type=str(d.get("type", "")),
            name=str(d.get("name", "")),
            status=str(d.get("status", "Up")),
            server_addrs=tuple(str(a) for a in addrs),  # type: ignore[union-attr]
            description=str(d.get("description", "")),
        )

    def render(self) -> str:
        return struct("ConnectionInfo", [
            string("type", 1, self.type),
            string("name", 2, self.name),
            string_list("server_addrs", 3, self.server_addrs),
            string("status", 4, self.status),
            string("description", 5, self.description),
        ])


@dataclass(frozen=True)
class NodeStatus:
    node_name: str
    module: str
    state: str = NON_FUNCTIONAL
    description: str = ""
    connections: tuple[Connection, ...] = ()
    instance_id: str = "0"
    build_info: str = ""
    uve_key: str = ""

    def render(self) -> str:
        """The body of `Snh_SandeshUVECacheReq?x=NodeStatus`."""
        process = struct("ProcessStatus", [
            string("module_id", 1, self.module),
            string("instance_id", 2, self.instance_id),
            string("state", 3, self.state),
            struct_list("connection_infos", 4, [c.render() for c in self.connections]),
            string("description", 5, self.description),
        ])
        fields = [
            string("name", 1, self.node_name, key=self.uve_key or _UVE_KEYS.get(self.module, "ObjectGeneratorInfo")),
            struct_list("process_status", 4, [process], aggtype="union"),
        ]
        if self.build_info:
            fields.append(string("build_info", 9, self.build_info))
        uve = sandesh("NodeStatusUVE", [struct_field("data", 1, struct("NodeStatus", fields))])
        trailer = sandesh("SandeshUVECacheResp", [u32("returned", 1, 1), more(False)])
        return document(f'<__NodeStatusUVE_list type="slist">{uve}{trailer}</__NodeStatusUVE_list>')


def build_info_json(version: str, build_host: str = "contrail-builder") -> str:
    """The build_info string real daemons report (JSON with build-version/build-number)."""
    base, _, number = version.partition("-")
    return (
        '{"build-info" : [{"build-version" : "%s", "build-time" : "", '
        '"build-user" : "contrail-builder", "build-hostname" : "%s", '
        '"build-number" : "%s"}]}' % (base, build_host, number)
    )


# -- HTTP server -------------------------------------------------------------------

def parse_query(query: str) -> dict[str, str]:
    """`a=1&b=` -> {'a': '1', 'b': ''}; a repeated key keeps its last value."""
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


class LabHTTPServer(ThreadingHTTPServer):
    """The HTTP server every simulated daemon uses: a thread per request that never blocks
    exit, and a port that can be bound again at once after a restart."""

    daemon_threads = True
    allow_reuse_address = True


class IntrospectServer:
    """Threaded HTTP introspect on (ip, port): `/Snh_<Name>?args` -> XML from a routed handler."""

    def __init__(self, ip: str, port: int, module: str, node_name: str, *,
                 instance_id: str = "0", uve_key: str = "") -> None:
        self.ip = ip
        self.port = port
        self.module = module
        self.node_name = node_name
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._status = NodeStatus(node_name=node_name, module=module, instance_id=instance_id,
                                  uve_key=uve_key, description="Initializing")
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.route("Snh_SandeshUVECacheReq", self._uve_cache)

    # -- configuration
    def route(self, name: str, handler: Handler) -> None:
        """Serve `/name?...` (e.g. 'Snh_BgpNeighborReq') with handler(query) -> XML text."""
        self._routes[name.lstrip("/")] = handler

    def set_status(self, state: str, description: str = "",
                   connections: Iterable[Mapping[str, object]] = ()) -> None:
        """Update the NodeStatus: state Functional / Non-Functional, description, ConnectionInfos."""
        conns = tuple(c if isinstance(c, Connection) else Connection.from_dict(c) for c in connections)
        with self._lock:
            self._status = NodeStatus(
                node_name=self._status.node_name, module=self._status.module, state=state,
                description=description, connections=conns, instance_id=self._status.instance_id,
                build_info=self._status.build_info, uve_key=self._status.uve_key,
            )

    def set_build_info(self, build_info: str) -> None:
        """Set NodeStatus.build_info (e.g. `build_info_json(installed_version)`)."""
        with self._lock:
            s = self._status
            self._status = NodeStatus(s.node_name, s.module, s.state, s.description, s.connections,
                                      s.instance_id, build_info, s.uve_key)

    @property
    def status(self) -> NodeStatus:
        with self._lock:
            return self._status

    def _uve_cache(self, query: dict[str, str]) -> str:
        tname = query.get("x") or query.get("tname") or ""
        if tname and tname != "NodeStatus":
            trailer = sandesh("SandeshUVECacheResp", [u32("returned", 1, 0), more(False)])
            return document(trailer)
        return self.status.render()

    def handle(self, path: str) -> tuple[int, str]:
        """Answer one request path (with query): (HTTP status, body). Pure dispatch, no I/O."""
        parts = urlsplit(path)
        name = parts.path.lstrip("/")
        handler = self._routes.get(name)
        if handler is None:
            return 404, "<html><body>Not Found</body></html>"
        return 200, handler(parse_query(parts.query))

    # -- lifecycle
    def start(self) -> None:
        """Bind (ip, port) and serve in a daemon thread; raises OSError if the port is taken."""
        server = self

        class _RequestHandler(BaseHTTPRequestHandler):
            server_version = "Sandesh"
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                try:
                    code, body = server.handle(self.path)
                except Exception as exc:  # a handler bug must not kill the daemon
                    code, body = 500, f"<html><body>{escape(str(exc))}</body></html>"
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "text/xml" if code == 200 else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._httpd = LabHTTPServer((self.ip, self.port), _RequestHandler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"introspect-{self.port}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
