"""The server side of the JSON-lines protocol (see contrail_sim.common.db for the wire format).

`serve(ip, port, make_session)` answers each connection with its own session object:
`session.handle(op, args) -> result` (raise `RequestError` for a clean error reply) and
`session.close()` when the peer goes away (the zookeeper stand-in drops ephemerals there).
"""
from __future__ import annotations

import json
import socketserver
import threading
from typing import Any, Callable, Protocol


class RequestError(Exception):
    """A request the server refuses; its message goes back to the client."""


class Session(Protocol):
    def handle(self, op: str, args: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


def _reply(ok: bool, value: Any) -> bytes:
    body = {"ok": True, "result": value} if ok else {"ok": False, "error": str(value)}
    return (json.dumps(body) + "\n").encode()


def make_server(ip: str, port: int, make_session: Callable[[], Session]) -> socketserver.ThreadingTCPServer:
    class _Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            session = make_session()
            try:
                for line in self.rfile:
                    if not line.strip():
                        continue
                    try:
                        req = json.loads(line)
                        op = req.pop("op")
                        result = session.handle(op, req)
                        out = _reply(True, result)
                    except RequestError as exc:
                        out = _reply(False, exc)
                    except (ValueError, KeyError, TypeError) as exc:
                        out = _reply(False, f"bad request: {exc}")
                    self.wfile.write(out)
                    self.wfile.flush()
            except OSError:
                pass
            finally:
                session.close()

    class _Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    return _Server((ip, port), _Handler)


def serve_in_thread(server: socketserver.ThreadingTCPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
