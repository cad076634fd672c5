"""zookeeper: the ZooKeeper stand-in of a config database node.

Reads a zoo.cfg (`clientPortAddress`, `clientPort`, `dataDir`, as the real one), serves
the JSON-lines protocol of contrail_sim.common.db on clientPortAddress:clientPort (2181).
Persistent znodes are saved in <dataDir>/znodes.json; ephemeral znodes belong to the
connection that created them and are removed when it closes (a crashed daemon loses its
election lock, as with a real ZooKeeper session expiring).
"""
from __future__ import annotations

import itertools
import json
import os
import threading
from typing import Any

from ..common import daemon
from ..common.jsonline import RequestError, make_server


def _norm(path: str) -> str:
    segs = [s for s in str(path).split("/") if s]
    return "/" + "/".join(segs)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


class ZkTree:
    """znodes: path -> value; ephemeral owners; sequence counters. Thread-safe."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.nodes: dict[str, str] = {"/": ""}
        self.owner: dict[str, int] = {}
        if path and os.path.exists(path):
            with open(path) as fh:
                self.nodes.update(json.load(fh))

    def _save(self) -> None:
        if not self.path:
            return
        keep = {p: v for p, v in self.nodes.items() if p not in self.owner}
        tmp = self.path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(keep, fh)
        os.replace(tmp, self.path)

    def _children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted({p[len(prefix):].split("/", 1)[0] for p in self.nodes
                       if p.startswith(prefix) and p != path})

    def _next_sequence(self, path: str, as_child: bool) -> str:
        """ZooKeeper appends a 10-digit counter kept per parent: '<path>0000000003'."""
        parent, stem = (path, "") if as_child else (_parent(path), path.rsplit("/", 1)[1])
        used = [int(c[len(stem):]) for c in self._children(parent)
                if c.startswith(stem) and c[len(stem):].isdigit()] if parent in self.nodes else []
        base = parent.rstrip("/")
        return f"{base}/{stem}{(max(used) + 1 if used else 0):010d}"

    def handle(self, op: str, a: dict[str, Any], session: int) -> Any:
        with self._lock:
            if op == "ping":
                return "pong"
            raw = str(a.get("path", "/"))
            path = _norm(raw)
            if op == "exists":
                return path in self.nodes
            if op == "get":
                if path not in self.nodes:
                    raise RequestError(f"NoNodeError: {path}")
                return self.nodes[path]
            if op == "children":
                if path not in self.nodes:
                    raise RequestError(f"NoNodeError: {path}")
                return self._children(path)
            if op == "create":
                if a.get("sequence"):
                    path = self._next_sequence(path, raw.endswith("/"))
                if path in self.nodes:
                    raise RequestError(f"NodeExistsError: {path}")
                parent = _parent(path)
                if parent not in self.nodes:
                    if not a.get("makepath", True):
                        raise RequestError(f"NoNodeError: {parent}")
                    segs = parent.strip("/").split("/")
                    for i in range(1, len(segs) + 1):
                        self.nodes.setdefault("/" + "/".join(segs[:i]), "")
                self.nodes[path] = str(a.get("value", ""))
                if a.get("ephemeral"):
                    self.owner[path] = session
                self._save()
                return path
            if op == "set":
                if path not in self.nodes:
                    raise RequestError(f"NoNodeError: {path}")
                self.nodes[path] = str(a.get("value", ""))
                self._save()
                return None
            if op == "delete":
                if path not in self.nodes:
                    raise RequestError(f"NoNodeError: {path}")
                if path == "/":
                    raise RequestError("BadArgumentsError: cannot delete /")
                under = [p for p in self.nodes if p.startswith(path + "/")]
                if under and not a.get("recursive"):
                    raise RequestError(f"NotEmptyError: {path}")
                for p in under + [path]:
                    self.nodes.pop(p, None)
                    self.owner.pop(p, None)
                self._save()
                return None
            raise RequestError(f"unknown op {op!r}")

    def drop_session(self, session: int) -> None:
        with self._lock:
            for p in [p for p, s in self.owner.items() if s == session]:
                self.nodes.pop(p, None)
                del self.owner[p]


class _Session:
    _ids = itertools.count(1)

    def __init__(self, tree: ZkTree) -> None:
        self.tree = tree
        self.id = next(self._ids)

    def handle(self, op: str, args: dict[str, Any]) -> Any:
        return self.tree.handle(op, args, self.id)

    def close(self) -> None:
        self.tree.drop_session(self.id)


def parse_zoo_cfg(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("zookeeper", "/etc/zookeeper/conf/zoo.cfg", argv)
    cfg: dict[str, str] = {}
    for path in args.conf_file:
        try:
            with open(path) as fh:
                cfg.update(parse_zoo_cfg(fh.read()))
        except FileNotFoundError:
            raise SystemExit(f"{path}: No such file or directory")
    ip = cfg.get("clientPortAddress", "127.0.0.1")
    port = int(cfg.get("clientPort", "2181"))
    data_dir = cfg.get("dataDir", "/var/lib/zookeeper")
    os.makedirs(data_dir, exist_ok=True)
    tree = ZkTree(os.path.join(data_dir, "znodes.json"))
    server = make_server(ip, port, lambda: _Session(tree))
    daemon.log("zookeeper", f"binding to {ip}:{port}, dataDir {data_dir}")
    server.serve_forever()


# -- zkCli.sh ---------------------------------------------------------------------------------
def zkcli_main(argv: list[str] | None = None) -> None:
    """/usr/share/zookeeper/bin/zkCli.sh [-server host:port] [-timeout ms] [ls|get|stat PATH].

    As ZooKeeperMain (apache/zookeeper branch-3.4 src/java/main/org/apache/zookeeper/ZooKeeperMain.java):
    prints "Connecting to <server>" first; `ls` prints the children as java.util.List.toString
    ("[a, b]") on stdout; a missing znode gives "Node does not exist: <path>" on stderr; the exit
    code is 0 either way (processCmd returns, main ends). The lab does not print log4j's INFO lines.
    An unreachable server: the lab prints the connection error on stderr and exits 1 (the real one
    keeps reconnecting, then fails with a ConnectionLoss trace).
    """
    import sys

    from ..common.db import DbError, ZkClient

    args = list(sys.argv[1:] if argv is None else argv)
    server = "localhost:2181"
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        value = args.pop(0) if args else ""
        if opt == "-server":
            server = value
    print(f"Connecting to {server}", flush=True)
    if len(args) < 2 or args[0] not in ("ls", "get", "stat"):
        print("ZooKeeper -server host:port cmd args\n\tls path [watch]\n\tget path [watch]\n\tstat path [watch]",
              file=sys.stderr)
        return
    cmd, path = args[0], args[1]
    try:
        client = ZkClient(server)
        print("\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null", flush=True)
        if cmd == "ls":
            print("[" + ", ".join(client.children(path)) + "]")
        elif cmd == "get":
            print(client.get(path))
        elif not client.exists(path):
            raise DbError(f"NoNodeError: {path}")
    except DbError as exc:
        if "NoNode" in str(exc):
            print(f"Node does not exist: {path}", file=sys.stderr)
            return
        print(f"Exception in thread \"main\" org.apache.zookeeper.KeeperException$ConnectionLossException: "
              f"KeeperErrorCode = ConnectionLoss for {path} ({exc})", file=sys.stderr)
        raise SystemExit(1)
    except ValueError as exc:
        print(f"Exception in thread \"main\" java.lang.IllegalArgumentException: {exc}", file=sys.stderr)
        raise SystemExit(1)
