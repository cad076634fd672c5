"""Clients of the lab's config-database stand-ins and the names they use.

The lab runs two small servers per DATABASE-role controller instead of Cassandra and
ZooKeeper (contrail_sim.config.database, contrail_sim.config.zookeeper). Both speak the
same protocol, described here once:

    TCP to <ip>:9160 (contrail-database) or <ip>:2181 (zookeeper); one JSON object per
    line in each direction, strictly request/response on one connection:
        request   {"op": "<name>", <arguments>...}\\n
        response  {"ok": true, "result": <value>}\\n
                  {"ok": false, "error": "<message>"}\\n

contrail-database ops (data model = Cassandra's: keyspace -> column family -> row key ->
{column: value}, every name and value a string):
    ping -> "pong";  version -> int (bumped on every mutation, for change polling)
    list_keyspaces -> [ks...];  describe_keyspace {ks} -> [cf...] (error if absent)
    create_keyspace {ks, cfs} -> null (adds missing column families, keeps data)
    drop_keyspace {ks};  get {ks, cf, key} -> {col: val} | null
    get_range {ks, cf} -> {key: {col: val}}
    insert {ks, cf, key, columns} (merge);  put_row {ks, cf, key, columns} (replace)
    remove {ks, cf, key, columns?} (whole row, or the listed columns)
    batch {mutations: [{op: insert|put_row|remove, ...}]} -> applied in order, atomically

zookeeper ops (znodes with string data; ephemeral znodes vanish with the connection that
made them, as ZooKeeper sessions do):
    ping;  exists {path} -> bool;  get {path} -> str (error if absent)
    create {path, value, ephemeral?, sequence?, makepath?} -> created path
    set {path, value};  delete {path, recursive?};  children {path} -> [name...]
"""
from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import threading
from typing import Any, Iterable, Sequence

CASSANDRA_PORT = 9160
ZOOKEEPER_PORT = 2181

# The keyspaces and column families of the config database (Contrail 3.2 names).
CONFIG_DB_UUID = "config_db_uuid"
CONFIG_DB_CFS = ("obj_uuid_table", "obj_fq_name_table", "obj_shared_table")
USERAGENT = "useragent"
KEYSPACES: dict[str, tuple[str, ...]] = {
    CONFIG_DB_UUID: CONFIG_DB_CFS,
    "to_bgp_keyspace": ("route_target_table", "service_chain_table",
                        "service_chain_ip_address_table", "service_chain_uuid_table"),
    USERAGENT: ("useragent_keyval_table",),
    "svc_monitor_keyspace": ("pool_table", "service_instance_table"),
    "dm_keyspace": ("dm_pr_vn_ip_table", "dm_pnf_resource_table"),
}
# useragent is the one keyspace the real code never prefixes with cluster_id.
UNPREFIXED = frozenset({USERAGENT})
ZNODE_ISSU_LIST = ("fq-name-to-uuid", "api-server", "id")


class DbError(Exception):
    """The server answered with an error."""


class DbUnavailable(DbError):
    """No server in the list could be reached."""


def keyspace_name(prefix: str, keyspace: str) -> str:
    """'' + config_db_uuid -> config_db_uuid; 'v2' -> v2_config_db_uuid (useragent never prefixed)."""
    if not prefix or keyspace in UNPREFIXED:
        return keyspace
    return f"{prefix}_{keyspace}"


def zk_path(prefix: str, *parts: str) -> str:
    """The znode path under a cluster_id: zk_path('', 'id') -> '/id'; zk_path('v2', 'id') -> '/v2/id'."""
    segs = [p.strip("/") for p in (prefix, *parts) if p and p.strip("/")]
    return "/" + "/".join(segs)


def parse_server_list(text: str | Sequence[str], default_port: int) -> list[tuple[str, int]]:
    """'a:9160 b:9160' / 'a,b' / ['a:9160'] -> [(host, port)]; raises ValueError on a bad port."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    out = []
    for item in items:
        host, _, port = item.strip().partition(":")
        if not host:
            continue
        if port and not port.isdigit():
            raise ValueError(f"bad server address {item!r}")
        out.append((host, int(port) if port else default_port))
    return out


def lab_address(host: str) -> bool:
    """True for an address inside 127.0.0.0/8 (or 'localhost'): the only places the lab talks to."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        return False


def guard_connect(host: str, port: int) -> None:
    """Refuse, BEFORE any packet or DNS query, an address outside 127.0.0.0/8 (e.g. the real tools'
    built-in default 10.84.24.35): the caller sees the OSError a dead route gives."""
    if not lab_address(host):
        raise OSError(errno.ENETUNREACH, f"{os.strerror(errno.ENETUNREACH)} (lab: {host}:{port} is outside "
                                         f"127.0.0.0/8, nothing sent)")


def cassandra_server_list(text: str) -> list[str]:
    """cassandra_server_list as the real daemons read it: `value.split()` (contrail-controller R3.2
    src/config/api-server/utils.py, contrail_issu/issu_contrail_config.py). A comma is not a separator:
    'a:9160,b:9160' stays one (unusable) server, as with the real ones."""
    return text.split()


def thrift_server(server: str) -> tuple[str, int]:
    """One pycassa server string 'host' or 'host:port' (default 9160); ValueError when malformed."""
    if ":" not in server:
        return server, CASSANDRA_PORT
    host, port = server.split(":")  # 'a:1:2' -> ValueError (too many values to unpack), as pycassa
    return host, int(port)


def _py27_urlsplit_port(netloc: str) -> int | None:
    """urlparse.SplitResult.port of Python 2.7 (what Contrail 3.2's kazoo ran on):
    netloc.split(':')[1] as an int; ValueError "invalid literal for int() with base 10: '...'"."""
    netloc = netloc.split("@")[-1].split("]")[-1]
    if ":" in netloc:
        port = netloc.split(":")[1]
        if port:
            try:
                value = int(port, 10)
            except ValueError:
                raise ValueError(f"invalid literal for int() with base 10: {port!r}") from None
            if 0 <= value <= 65535:
                return value
    return None


def kazoo_hosts(hosts: str) -> tuple[list[tuple[str, int]], str | None]:
    """kazoo.hosts.collect_hosts (python-zk/kazoo 2.x kazoo/hosts.py), not randomized: split off a
    '/chroot', split the rest on ',' ONLY, each part parsed as the netloc of 'xxx://<part>'.
    'a:2181 b:2181' is one part whose port is '2181 b' -> ValueError, as kazoo raises it from
    KazooClient() (so ZookeeperClient dies before connecting)."""
    host_ports, _, chroot = hosts.partition("/")
    result = []
    for host_port in host_ports.split(","):
        netloc = host_port.split("@")[-1]
        if "[" in netloc and "]" in netloc:
            host: str | None = netloc.split("]")[0][1:].lower()
        elif ":" in netloc:
            host = netloc.split(":")[0].lower()
        else:
            host = netloc.lower() or None
        if host is None:
            raise ValueError("bad hostname")
        port = _py27_urlsplit_port(netloc)
        result.append((host.strip(), port or ZOOKEEPER_PORT))
    return result, ("/" + chroot if chroot else None)


class JsonLineClient:
    """One persistent connection to the first reachable server; thread-safe; reconnects once per call."""

    def __init__(self, servers: Iterable[tuple[str, int]], timeout: float = 5.0) -> None:
        self.servers = list(servers)
        if not self.servers:
            raise ValueError("empty server list")
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._file: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return " ".join(f"{h}:{p}" for h, p in self.servers)

    def _connect(self) -> None:
        errors = []
        for host, port in self.servers:
            try:
                guard_connect(host, port)
                sock = socket.create_connection((host, port), timeout=self.timeout)
            except OSError as exc:
                errors.append(f"{host}:{port}: {exc.strerror or exc}")
                continue
            sock.settimeout(self.timeout)
            self._sock, self._file = sock, sock.makefile("rwb")
            return
        raise DbUnavailable("cannot connect to " + "; ".join(errors))

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        for thing in (self._file, self._sock):
            try:
                if thing is not None:
                    thing.close()
            except OSError:
                pass
        self._sock = self._file = None

    def connected(self) -> bool:
        return self._sock is not None

    def call(self, op: str, **args: Any) -> Any:
        line = (json.dumps({"op": op, **args}) + "\n").encode()
        with self._lock:
            for attempt in (1, 2):
                if self._sock is None:
                    self._connect()
                try:
                    self._file.write(line)
                    self._file.flush()
                    answer = self._file.readline()
                    if not answer:
                        raise ConnectionError("connection closed by server")
                    break
                except (OSError, ConnectionError) as exc:
                    self._drop()
                    if attempt == 2:
                        raise DbUnavailable(f"{self.describe()}: {exc}") from None
        reply = json.loads(answer)
        if not reply.get("ok"):
            raise DbError(reply.get("error", "unknown error"))
        return reply.get("result")


class CassandraClient(JsonLineClient):
    """Client of contrail-database (the Cassandra stand-in)."""

    def __init__(self, servers: str | Sequence[str] | Sequence[tuple[str, int]], timeout: float = 5.0) -> None:
        """servers: a cassandra_server_list value (whitespace-separated 'ip:9160', as the real daemons
        split it), a list of such strings, or (host, port) pairs. ValueError on a malformed entry."""
        items = cassandra_server_list(servers) if isinstance(servers, str) else list(servers)
        super().__init__([s if isinstance(s, tuple) else thrift_server(s) for s in items], timeout)

    def version(self) -> int:
        return int(self.call("version"))

    def list_keyspaces(self) -> list[str]:
        return list(self.call("list_keyspaces"))

    def describe_keyspace(self, ks: str) -> list[str]:
        return list(self.call("describe_keyspace", ks=ks))

    def create_keyspace(self, ks: str, cfs: Sequence[str]) -> None:
        self.call("create_keyspace", ks=ks, cfs=list(cfs))

    def get(self, ks: str, cf: str, key: str) -> dict[str, str] | None:
        return self.call("get", ks=ks, cf=cf, key=key)

    def get_range(self, ks: str, cf: str) -> dict[str, dict[str, str]]:
        return dict(self.call("get_range", ks=ks, cf=cf))

    def insert(self, ks: str, cf: str, key: str, columns: dict[str, str]) -> None:
        self.call("insert", ks=ks, cf=cf, key=key, columns=columns)

    def put_row(self, ks: str, cf: str, key: str, columns: dict[str, str]) -> None:
        self.call("put_row", ks=ks, cf=cf, key=key, columns=columns)

    def remove(self, ks: str, cf: str, key: str, columns: Sequence[str] | None = None) -> None:
        self.call("remove", ks=ks, cf=cf, key=key, columns=list(columns) if columns else None)

    def batch(self, mutations: list[dict[str, Any]]) -> None:
        if mutations:
            self.call("batch", mutations=mutations)


class ZkClient(JsonLineClient):
    """Client of the zookeeper stand-in. Ephemeral znodes live as long as this connection."""

    def __init__(self, servers: str | Sequence[str], timeout: float = 5.0) -> None:
        """servers: a kazoo host string ('ip:2181,ip:2181', what zk_server_ip holds and the real
        ZookeeperClient hands to KazooClient) -> kazoo_hosts() rules, ValueError as kazoo's; or a list."""
        pairs = kazoo_hosts(servers)[0] if isinstance(servers, str) else parse_server_list(servers, ZOOKEEPER_PORT)
        super().__init__(pairs, timeout)

    def exists(self, path: str) -> bool:
        return bool(self.call("exists", path=path))

    def get(self, path: str) -> str:
        return str(self.call("get", path=path))

    def create(self, path: str, value: str = "", *, ephemeral: bool = False,
               sequence: bool = False, makepath: bool = True) -> str:
        return str(self.call("create", path=path, value=value, ephemeral=ephemeral,
                             sequence=sequence, makepath=makepath))

    def set(self, path: str, value: str) -> None:
        self.call("set", path=path, value=value)

    def delete(self, path: str, recursive: bool = False) -> None:
        self.call("delete", path=path, recursive=recursive)

    def children(self, path: str) -> list[str]:
        return list(self.call("children", path=path))
