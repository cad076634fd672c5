"""contrail-database: the Cassandra stand-in of a config database node.

Reads the node's /etc/cassandra/cassandra.yaml (the keys a real one has: `cluster_name`,
`rpc_address`, `rpc_port`, `data_file_directories`), serves the JSON-lines protocol
documented in contrail_sim.common.db on rpc_address:rpc_port (9160, Thrift's port) and
keeps everything in `<data_file_directories[0]>/contrail-database.json`, rewritten
atomically after every mutation, so a restart (or a node reboot) keeps the data.

With several database nodes (`seed_provider` seeds), every mutation is forwarded to the
other seeds (marked "replica": true so they do not forward it again), and a node that
starts takes over the data of the most advanced reachable peer ("dump" op) before it
serves: clients that fail over to another node find the same data, as with Cassandra's
replication (eventual, best effort: a peer down at write time catches up at its restart).
"""
from __future__ import annotations

import copy
import json
import os
import queue
import re
import threading
from typing import Any, Callable

from ..common import daemon
from ..common.db import CassandraClient, DbError
from ..common.jsonline import RequestError, make_server

Rows = dict[str, dict[str, str]]
DATA_FILE = "contrail-database.json"


def parse_cassandra_yaml(text: str) -> dict[str, Any]:
    """The few top-level keys we need from cassandra.yaml (scalars and '- item' lists)."""
    out: dict[str, Any] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.startswith((" ", "\t")) and line.strip().startswith("- ") and current:
            out.setdefault(current, [])
            if isinstance(out[current], list):
                out[current].append(line.strip()[2:].strip().strip("'\""))
            continue
        if ":" in line and not line.startswith((" ", "\t")):
            key, _, value = line.partition(":")
            current = key.strip()
            value = value.strip().strip("'\"")
            out[current] = value if value else []
    return out


class CassandraStore:
    """The data, its version counter and the operations; thread-safe; persistence optional."""

    MUTATIONS = frozenset({"create_keyspace", "drop_keyspace", "insert", "put_row", "remove", "batch"})

    def __init__(self, path: str | None = None,
                 on_mutation: Callable[[str, dict[str, Any]], None] = lambda op, args: None) -> None:
        self.path = path
        self.on_mutation = on_mutation
        self._lock = threading.Lock()
        self.data: dict[str, dict[str, Rows]] = {}
        self.version = 0
        if path and os.path.exists(path):
            with open(path) as fh:
                saved = json.load(fh)
            self.data, self.version = saved.get("keyspaces", {}), int(saved.get("version", 0))

    def _save(self) -> None:
        self.version += 1
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"version": self.version, "keyspaces": self.data}, fh)
        os.replace(tmp, self.path)

    def _cf(self, ks: str, cf: str) -> Rows:
        if ks not in self.data:
            raise RequestError(f"Keyspace '{ks}' does not exist")
        if cf not in self.data[ks]:
            raise RequestError(f"Column family '{cf}' does not exist in keyspace '{ks}'")
        return self.data[ks][cf]

    def _mutate(self, op: str, a: dict[str, Any]) -> None:
        rows = self._cf(a["ks"], a["cf"])
        key = str(a["key"])
        if op == "insert":
            rows.setdefault(key, {}).update({str(k): str(v) for k, v in a["columns"].items()})
        elif op == "put_row":
            rows[key] = {str(k): str(v) for k, v in a["columns"].items()}
        elif op == "remove":
            cols = a.get("columns")
            if not cols:
                rows.pop(key, None)
            elif key in rows:
                for c in cols:
                    rows[key].pop(c, None)
                if not rows[key]:
                    del rows[key]
        else:
            raise RequestError(f"unknown mutation {op!r}")

    def load_dump(self, dump: dict[str, Any]) -> None:
        with self._lock:
            self.data = dump["keyspaces"]
            self.version = int(dump["version"]) - 1
            self._save()

    def handle(self, op: str, a: dict[str, Any]) -> Any:
        with self._lock:  # replication sees mutations in the order they were applied
            result = self._handle(op, a)
            if op in self.MUTATIONS and not a.get("replica"):
                self.on_mutation(op, a)
            return result

    def _handle(self, op: str, a: dict[str, Any]) -> Any:
        if op == "dump":
            return {"version": self.version, "keyspaces": copy.deepcopy(self.data)}
        if op == "ping":
            return "pong"
        if op == "version":
            return self.version
        if op == "list_keyspaces":
            return sorted(self.data)
        if op == "describe_keyspace":
            if a["ks"] not in self.data:
                raise RequestError(f"Keyspace '{a['ks']}' does not exist")
            return sorted(self.data[a["ks"]])
        if op == "create_keyspace":
            ks = self.data.setdefault(a["ks"], {})
            for cf in a.get("cfs", []):
                ks.setdefault(cf, {})
            self._save()
            return None
        if op == "drop_keyspace":
            self.data.pop(a["ks"], None)
            self._save()
            return None
        if op == "get":
            row = self._cf(a["ks"], a["cf"]).get(str(a["key"]))
            return dict(row) if row is not None else None
        if op == "get_range":
            return copy.deepcopy(self._cf(a["ks"], a["cf"]))
        if op in ("insert", "put_row", "remove"):
            self._mutate(op, a)
            self._save()
            return None
        if op == "batch":
            snapshot = copy.deepcopy(self.data)
            try:
                for m in a["mutations"]:
                    m = dict(m)
                    self._mutate(m.pop("op"), m)
            except (RequestError, KeyError) as exc:
                self.data = snapshot
                raise RequestError(f"batch failed, nothing applied: {exc}") from None
            self._save()
            return None
        raise RequestError(f"unknown op {op!r}")


def parse_seeds(text: str) -> list[str]:
    """The addresses of `- seeds: "a,b"` under seed_provider."""
    m = re.search(r"-\s*seeds:\s*[\"']?([^\"'\n]*)", text)
    return [x.strip() for x in m.group(1).split(",") if x.strip()] if m else []


class Replicator:
    """Forwards mutations to the peer database nodes, in order, from one background thread."""

    def __init__(self, peers: list[tuple[str, int]]) -> None:
        self.clients = [CassandraClient([f"{h}:{p}"], timeout=2.0) for h, p in peers]
        self._q: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._run, daemon=True, name="replicator").start()

    def __call__(self, op: str, args: dict[str, Any]) -> None:
        self._q.put((op, dict(args, replica=True)))

    def _run(self) -> None:
        while True:
            op, args = self._q.get()
            for client in self.clients:
                try:
                    client.call(op, **args)
                except DbError:
                    pass  # the peer catches up when it restarts


def catch_up(store: CassandraStore, peers: list[tuple[str, int]]) -> str | None:
    """Take the data of the most advanced reachable peer if it is ahead of ours."""
    best: dict[str, Any] | None = None
    source = None
    for host, port in peers:
        try:
            dump = CassandraClient([f"{host}:{port}"], timeout=2.0).call("dump")
        except DbError:
            continue
        if int(dump["version"]) > store.version and (best is None or dump["version"] > best["version"]):
            best, source = dump, f"{host}:{port}"
    if best is not None:
        store.load_dump(best)
    return source


class _Session:
    def __init__(self, store: CassandraStore) -> None:
        self.store = store

    def handle(self, op: str, args: dict[str, Any]) -> Any:
        return self.store.handle(op, args)

    def close(self) -> None:
        return None


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("contrail-database", "/etc/cassandra/cassandra.yaml", argv)
    settings: dict[str, Any] = {}
    seeds: list[str] = []
    for path in args.conf_file:
        try:
            with open(path) as fh:
                text = fh.read()
        except FileNotFoundError:
            raise SystemExit(f"{path}: No such file or directory")
        settings.update(parse_cassandra_yaml(text))
        seeds += parse_seeds(text)
    ip = str(settings.get("rpc_address") or "127.0.0.1")
    port = int(settings.get("rpc_port") or 9160)
    dirs = settings.get("data_file_directories") or ["/var/lib/cassandra/data"]
    data_dir = dirs[0] if isinstance(dirs, list) else str(dirs)
    os.makedirs(data_dir, exist_ok=True)
    peers = [(h, port) for h in dict.fromkeys(seeds) if h != ip]
    store = CassandraStore(os.path.join(data_dir, DATA_FILE), Replicator(peers) if peers else (lambda op, a: None))
    source = catch_up(store, peers)
    if source:
        daemon.log("contrail-database", f"caught up from {source} (version {store.version})")
    server = make_server(ip, port, lambda: _Session(store))
    daemon.log("contrail-database", f"cluster {settings.get('cluster_name', '')!r} listening on {ip}:{port}, "
               f"data in {data_dir}")
    server.serve_forever()
