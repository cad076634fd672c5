"""contrail-issu-pre-sync / -run-sync / -post-sync / -zk-sync of the lab, after the real R3.2 tools.

Sources (Juniper/contrail-controller, branch R3.2): src/config/contrail_issu/contrail_issu/
issu_contrail_config.py (parse_args, defaults, keyspace and znode lists, _myprint/lognprint),
issu_contrail_common.py (ICCassandraClient.issu_merge_copy), issu_contrail_pre_sync.py,
issu_contrail_post_sync.py, issu_contrail_run_sync.py (ICKombuClient._act_on_api,
prepare_to_consume), issu_contrail_zk_sync.py (ContrailZKIssu); src/config/common/vnc_cassandra.py
(server list, keyspace '<prefix>_<ks>', retry-forever connect, "Waiting for keyspace"),
src/config/common/vnc_kombu.py (rabbit host list split on ',', 'user:pw@host:port', the drainer
greenlet that logs any exception and starts over), src/config/common/zkclient.py (the host string
goes to KazooClient as is; connect retries forever). kazoo's host parsing: python-zk/kazoo
kazoo/hosts.py collect_hosts (see contrail_sim.common.db.kazoo_hosts).

What follows from them and what this module does:
- `-c/--conf_file FILE` (repeatable); only then is the file read, with SafeConfigParser rules
  (% interpolation, keys lower-cased, a missing file silently ignored), and its [DEFAULTS]
  section must exist (NoSectionError traceback otherwise). Values keep their quotes.
  Without -c every value is the built-in default: addresses 10.84.24.35, which the lab refuses
  BEFORE sending anything (common.db.guard_connect) and then retries like an unreachable server.
- Cassandra lists are split on whitespace ('ip:9160 ip:9160'); each entry is 'host[:port]'.
  The connect loop retries forever (every 3 s, no log line), as VncCassandraClient does.
  The old keyspaces must exist: until they do the tool logs "Waiting for keyspace X to be
  created" every second, forever (wrong odb_prefix = a hang, as with the real tool).
- The ZooKeeper list is the kazoo host string ('ip:2181,ip:2181'); a space-separated list
  raises kazoo's ValueError from the client constructor: traceback, exit 1.
- RabbitMQ lists are split on ','; '[user[:password]@]host[:port]' each, defaults from
  *_rabbit_user/_password/_port; vhost '' -> '/'; any non-empty ha_mode (even "False")
  asks for the x-ha-policy 'all' queue.
- new_api_info is ast.literal_eval'ed at run-sync start: {'ip': ['user', 'password'], ...}.
- Logs: logging.basicConfig(filename=/var/log/issu_contrail_{pre_sync,run_sync,post_sync}.log
  or /var/log/issu_contrail_zk.log, format '%(asctime)s %(message)s'); every logger() line is
  '<SandeshLevel name> <message>' at logging.INFO whatever its level (SYS_DEBUG lines too).
  stdout gets only the lognprint lines (pre/post-sync "Done syncing ...") and run-sync's four
  print lines. CONTRAIL_ISSU_LOG_DIR overrides /var/log (tests only).
- run-sync: merge-copies config_db_uuid with supervisor-config stopped on EVERY new_api_info
  node (paramiko, password, AutoAddPolicy: `service supervisor-config stop`, then `start`,
  logging exit status, stdout and stderr lines), then replays every later change of the old
  config_db_uuid (the real one follows the old RabbitMQ; the lab polls the old database, same
  effect). A paramiko error (wrong password, node down) is caught by the drainer loop as in
  vnc_kombu: "SYS_ERR Error in rabbitmq drainer greenlet: <error>", reconnect, start over:
  the process keeps RUNNING and never reaches "Start Compute upgrade...". The lab waits
  RETRY_PACE seconds between rounds (the real loop has no pause).
- zk-sync: under /<ndb_prefix> delete fq-name-to-uuid, api-server, id (nothing else), copy them
  from /<odb_prefix>, compare children; logs "failed..." (SYS_DEBUG) and then ALWAYS "passed..."
  (SYS_INFO), exit 0, as the real issu_compare does.
"""
from __future__ import annotations

import argparse
import ast
import configparser
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from ..common.db import (CONFIG_DB_CFS, CONFIG_DB_UUID, KEYSPACES, ZNODE_ISSU_LIST, CassandraClient, DbError,
                         ZkClient, guard_connect, kazoo_hosts, thrift_server)
from ..common.rabbit import RabbitClient

# -- issu_contrail_config.py ---------------------------------------------------------------
DEFAULTS: dict[str, Any] = {
    "old_rabbit_user": "guest", "old_rabbit_password": "guest", "old_rabbit_ha_mode": False,
    "old_rabbit_q_name": "vnc-config.issu-queue", "old_rabbit_vhost": None, "old_rabbit_port": "5672",
    "new_rabbit_user": "guest", "new_rabbit_password": "guest", "new_rabbit_ha_mode": False,
    "new_rabbit_q_name": "vnc-config.issu-queue", "new_rabbit_vhost": "", "new_rabbit_port": "5672",
    "odb_prefix": "", "ndb_prefix": "", "reset_config": None,
    "old_cassandra_address_list": "10.84.24.35:9160", "old_zookeeper_address_list": "10.84.24.35:2181",
    "old_rabbit_address_list": "10.84.24.35",
    "new_cassandra_address_list": "10.84.24.35:9160", "new_zookeeper_address_list": "10.84.24.35:2181",
    "new_rabbit_address_list": "10.84.24.35",
    "new_api_info": '{"10.84.24.52": [("root"), ("c0ntrail123")]}',
}
ARGS = ("old_rabbit_user", "old_rabbit_password", "old_rabbit_ha_mode", "old_rabbit_q_name", "old_rabbit_vhost",
        "old_rabbit_port", "new_rabbit_user", "new_rabbit_password", "new_rabbit_ha_mode", "new_rabbit_q_name",
        "new_rabbit_vhost", "new_rabbit_port", "old_rabbit_address_list", "old_zookeeper_address_list",
        "new_rabbit_address_list", "new_zookeeper_address_list", "old_db_prefix", "new_db_prefix", "reset_config")

# (keyspace, column families) in the order the real tools merge them.
PRE_SYNC = [(CONFIG_DB_UUID, CONFIG_DB_CFS)] + [(ks, KEYSPACES[ks]) for ks in
                                                ("to_bgp_keyspace", "useragent", "svc_monitor_keyspace", "dm_keyspace")]
POST_SYNC = PRE_SYNC[1:]
RUN_SYNC = PRE_SYNC[:1]
DONE = {CONFIG_DB_UUID: "Done syncing Configdb uuid", "to_bgp_keyspace": "Done syncing bgp keyspace",
        "useragent": "Done syncing useragent keyspace", "svc_monitor_keyspace": "Done syncing svc-monitor keyspace",
        "dm_keyspace": "Done syncing dm keyspace"}

LOG_FILES = {"pre": "issu_contrail_pre_sync.log", "run": "issu_contrail_run_sync.log",
             "post": "issu_contrail_post_sync.log", "zk": "issu_contrail_zk.log"}
SYS_INFO, SYS_NOTICE, SYS_ERR, SYS_DEBUG = "SYS_INFO", "SYS_NOTICE", "SYS_ERR", "SYS_DEBUG"
CASSANDRA_RETRY = 3.0   # vnc_cassandra._cassandra_system_manager: time.sleep(3)
ZK_RETRY = 1.0          # zkclient.ZookeeperClient.connect: gevent.sleep(1)
RABBIT_RETRY = 2.0      # kombu ensure_connection interval_start
RETRY_PACE = 1.0        # lab only: pause between drainer rounds (the real loop has none)
POLL = 1.0              # lab only: how often run-sync looks for changes in the old database


def logger(msg: object, level: str = SYS_INFO) -> None:
    """issu_contrail_config._myprint: the level name, a space, the message; always logging.info."""
    logging.info(f"{level} {msg}")


def lognprint(msg: str, level: str = SYS_INFO) -> None:
    print(msg)
    logger(msg, level)


def setup_logging(which: str) -> str:
    path = os.path.join(os.environ.get("CONTRAIL_ISSU_LOG_DIR", "/var/log"), LOG_FILES[which])
    logging.basicConfig(level=logging.INFO, filename=path, format="%(asctime)s %(message)s")
    return path


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """issu_contrail_config.parse_args: -c files' [DEFAULTS] over the defaults, then the CLI."""
    args_str = " ".join(sys.argv[1:] if argv is None else argv)
    conf_parser = argparse.ArgumentParser(add_help=False)
    conf_parser.add_argument("-c", "--conf_file", action="append", metavar="FILE")
    args, remaining = conf_parser.parse_known_args(args_str.split())
    defaults = dict(DEFAULTS)
    config = None
    if args.conf_file:
        # ConfigParser.SafeConfigParser (Python 2): % interpolation, unreadable files skipped,
        # ';' comments after whitespace, duplicate keys allowed (last wins).
        config = configparser.ConfigParser(interpolation=configparser.BasicInterpolation(), strict=False,
                                           inline_comment_prefixes=(";",), default_section="DEFAULT")
        config.read(args.conf_file)
        defaults.update(dict(config.items("DEFAULTS")))
    parser = argparse.ArgumentParser(parents=[conf_parser])
    parser.set_defaults(**defaults)
    for name in ARGS:
        parser.add_argument(f"--{name}")
    for name in ("old_cassandra_address_list", "new_cassandra_address_list", "new_api_info"):
        parser.add_argument(f"--{name}", nargs="+")
    ns, _ = parser.parse_known_args(remaining)
    ns.config_sections = config
    for key in ("old_cassandra_address_list", "new_cassandra_address_list"):
        if isinstance(getattr(ns, key), str):
            setattr(ns, key, getattr(ns, key).split())
    return ns


def new_api_info(args: argparse.Namespace) -> dict[str, Sequence[str]]:
    """ast.literal_eval(args.new_api_info), as _issu_rmq_main does (a quoted value stays a str)."""
    value = args.new_api_info
    return ast.literal_eval(value if isinstance(value, str) else " ".join(value))


# -- vnc_cassandra.VncCassandraClient ------------------------------------------------------
def keyspace(prefix: str, ks: str) -> str:
    """VncCassandraClient: '%s_' % db_prefix if db_prefix else '', then the keyspace name (every keyspace)."""
    return f"{prefix}_{ks}" if prefix else ks


def _ping_one(server: str) -> CassandraClient:
    host, port = thrift_server(server)  # ValueError on 'a:1:2', as pycassa
    guard_connect(host, port)
    client = CassandraClient([(host, port)])
    client.call("ping")
    return client


class VncCassandra:
    """The parts of VncCassandraClient the ISSU tools use: connect (forever), ensure/wait keyspaces,
    get_range, add, remove, delete."""

    def __init__(self, server_list: Sequence[str], db_prefix: str, rw: Sequence[tuple[str, Sequence[str]]],
                 ro: Sequence[tuple[str, Sequence[str]]], log: Callable[..., None] = logger,
                 client: CassandraClient | None = None) -> None:
        self.prefix, self.log = db_prefix or "", log
        self.cf_ks: dict[str, str] = {}
        self.client = client or self._system_manager(list(server_list))
        existing = set(self.client.list_keyspaces())
        for ks, cfs in rw:
            self.client.create_keyspace(keyspace(self.prefix, ks), list(cfs))
        for ks, _ in ro:
            name = keyspace(self.prefix, ks)
            while name not in existing:
                time.sleep(1)
                self.log(f"Waiting for keyspace {name} to be created", level=SYS_NOTICE)
                existing = set(self.client.list_keyspaces())
        for ks, cfs in list(rw) + list(ro):
            for cf in cfs:
                self.cf_ks[cf] = keyspace(self.prefix, ks)
        self.log("Cassandra connection ESTABLISHED", level=SYS_NOTICE)

    @staticmethod
    def _system_manager(servers: list[str]) -> CassandraClient:
        idx = 0
        while True:
            try:
                return _ping_one(servers[idx])
            except (OSError, ValueError, DbError):
                idx = (idx + 1) % len(servers)
                time.sleep(CASSANDRA_RETRY)

    def get_range(self, cf: str) -> dict[str, dict[str, str]]:
        return self.client.get_range(self.cf_ks[cf], cf)

    def add(self, cf: str, key: str, columns: dict[str, str]) -> None:
        self.client.insert(self.cf_ks[cf], cf, key, columns)

    def remove_columns(self, cf: str, key: str, columns: Iterable[str]) -> None:
        cols = list(columns)
        if cols:
            self.client.remove(self.cf_ks[cf], cf, key, cols)

    def delete(self, cf: str, key: str) -> None:
        self.client.remove(self.cf_ks[cf], cf, key)


class IssuCassandra:
    """issu_contrail_common.ICCassandraClient."""

    def __init__(self, old_servers: Sequence[str], new_servers: Sequence[str], odb: str, ndb: str,
                 info: Sequence[tuple[str, Sequence[str]]], log: Callable[..., None] = logger,
                 clients: tuple[CassandraClient, CassandraClient] | None = None) -> None:
        self.log = log
        log("Issu contrail cassandra initialized...", level=SYS_INFO)
        log("Issu contrail cassandra prepare...", level=SYS_INFO)
        old_client, new_client = clients or (None, None)
        self.old = VncCassandra(old_servers, odb, rw=(), ro=info, log=log, client=old_client)
        self.new = VncCassandra(new_servers, ndb, rw=info, ro=(), log=log, client=new_client)

    def merge_copy(self, ks: str, cfs: Sequence[str]) -> None:
        """Old overwrites new row by row; columns only in new are removed; rows only in new deleted."""
        self.log(f"Issu contrail cassandra merge copy, keyspace: {ks}", level=SYS_INFO)
        for cf in cfs:
            new_db = dict(self.new.get_range(cf))
            self.log(f"Building New DB memory for columnfamily: {cf}", level=SYS_INFO)
            old_rows = self.old.get_range(cf)
            self.log(f"Doing ISSU copy for columnfamily: {cf}", level=SYS_INFO)
            for row, columns in old_rows.items():
                current = new_db.pop(row, None)
                updated = {**current, **columns} if current is not None else {}
                self.new.add(cf, row, updated or dict(columns))
                self.new.remove_columns(cf, row, set(updated) - set(columns))
            self.log(f"Pruning New DB if entires don't exist in old DB column family: {cf}", level=SYS_INFO)
            for row in new_db:
                self.new.delete(cf, row)


def _cassandra_main(which: str, info: list[tuple[str, Sequence[str]]], argv: Sequence[str] | None) -> None:
    """_issu_cassandra_pre_sync_main / _post_sync_main: issu_info_pre (5 keyspaces) or issu_info_post
    (no config_db_uuid) for the clients, then one merge copy + lognprint per keyspace."""
    setup_logging(which)
    args = parse_args(argv)
    cass = IssuCassandra(args.old_cassandra_address_list, args.new_cassandra_address_list,
                         args.odb_prefix, args.ndb_prefix, info, logger)
    for ks, cfs in info:
        cass.merge_copy(ks, cfs)
        lognprint(DONE[ks], level=SYS_INFO)


def main_pre_sync(argv: Sequence[str] | None = None) -> None:
    _cassandra_main("pre", PRE_SYNC, argv)


def main_post_sync(argv: Sequence[str] | None = None) -> None:
    _cassandra_main("post", POST_SYNC, argv)


# -- vnc_kombu.VncKombuClientV2 --------------------------------------------------------------
RABBIT_HOST_RE = re.compile(r"(?:(?P<user>.*?)(?::(?P<password>.*?))*@)*(?P<host>.*?)(?::(?P<port>\d+))*$")


@dataclass(frozen=True)
class RabbitUrl:
    user: str
    password: str
    host: str
    port: str
    vhost: str

    def url(self) -> str:
        return f"pyamqp://{self.user}:{self.password}@{self.host}:{self.port}/{self.vhost}"


def rabbit_urls(hosts: str, port: object, user: str, password: str, vhost: str | None) -> list[RabbitUrl]:
    """_parse_rabbit_hosts: split on ','; missing user/password/port from the *_rabbit_* values."""
    out = []
    for item in str(hosts).split(","):
        m = RABBIT_HOST_RE.match(item)
        if not m:
            continue
        d = m.groupdict()
        out.append(RabbitUrl(d["user"] or user, d["password"] or password, d["host"], d["port"] or str(port),
                             vhost or ""))
    return out


def ha_queue_arguments(ha_mode: object) -> dict[str, str] | None:
    """queue_args = {"x-ha-policy": "all"} if rabbit_ha_mode else None: any non-empty string counts."""
    return {"x-ha-policy": "all"} if ha_mode else None


class Kombu:
    """The connections of one VncKombuClient: log like it, retry the login forever."""

    def __init__(self, hosts: str, port: object, user: str, password: str, vhost: str | None, ha_mode: object,
                 q_name: str, log: Callable[..., None] = logger) -> None:
        self.urls = rabbit_urls(hosts, port, user, password, vhost)
        self.queue_arguments = ha_queue_arguments(ha_mode)
        self.q_name, self.log = q_name, log
        log(f"Initializing RabbitMQ connection, urls {[u.url() for u in self.urls]!r}", level=SYS_NOTICE)
        self.reconnect("drainer")
        self.reconnect("publish")

    def _login(self) -> RabbitUrl:
        while True:
            for u in self.urls:
                try:
                    port = int(u.port)
                    guard_connect(u.host, port)
                    RabbitClient(u.host, port).call("login", user=u.user, password=u.password, vhost=u.vhost or "/")
                    return u
                except (OSError, ValueError, DbError):
                    continue
            time.sleep(RABBIT_RETRY)

    def reconnect(self, which: str) -> None:
        self.log(f"RabbitMQ {which} connection down", level=SYS_NOTICE)
        u = self._login()
        self.log(f"RabbitMQ {which} connection ESTABLISHED <Connection: amqp://{u.user}:**@{u.host}:{u.port}/"
                 f"{u.vhost} at 0x{id(self):x}>", level=SYS_NOTICE)


# -- issu_contrail_run_sync.py ---------------------------------------------------------------
SshFactory = Callable[[], Any]


def _paramiko_client() -> Any:
    import paramiko  # Debian python3-paramiko, as the real tool imports paramiko
    return paramiko.SSHClient()


def _py2_list(lines: Sequence[str]) -> str:
    """How Python 2 printed paramiko's readlines() (unicode strings)."""
    return "[" + ", ".join("u" + repr(line) for line in lines) + "]"


def act_on_api(action: str, api_info: dict[str, Sequence[str]], log: Callable[..., None] = logger,
               ssh_factory: SshFactory = _paramiko_client) -> None:
    """ICKombuClient._act_on_api: `service supervisor-config <action>` on every node, password login."""
    import paramiko
    cmd = f"service supervisor-config {action}"
    log(cmd, level=SYS_INFO)
    for addr, clist in api_info.items():
        ssh = ssh_factory()
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            guard_connect(str(addr), 22)
        except OSError as exc:  # what paramiko raises when no address answers on port 22
            raise paramiko.ssh_exception.NoValidConnectionsError({(str(addr), 22): exc}) from None
        ssh.connect(addr, username=clist[0], password=clist[1])
        _stdin, stdout, stderr = ssh.exec_command(cmd)
        status = stdout.channel.recv_exit_status()
        log(status, level=SYS_INFO)
        log(_py2_list(stdout.readlines()), level=SYS_INFO)
        log(_py2_list(stderr.readlines()), level=SYS_INFO)
        ssh.close()


def _type_of(columns: dict[str, str]) -> str:
    raw = columns.get("type", '""')
    try:
        return str(ast.literal_eval(raw)) if raw[:1] in "\"'" else raw
    except (ValueError, SyntaxError):
        return raw


class RunSync:
    """ICRMQMain + ICKombuClient, with the runtime part replaced by polling the old config_db_uuid."""

    def __init__(self, args: argparse.Namespace, log: Callable[..., None] = logger,
                 ssh_factory: SshFactory = _paramiko_client) -> None:
        self.log, self.ssh_factory = log, ssh_factory
        self.api_info = new_api_info(args)
        self.cass = IssuCassandra(args.old_cassandra_address_list, args.new_cassandra_address_list,
                                  args.odb_prefix, args.ndb_prefix, RUN_SYNC, log)
        self.new_rabbit = Kombu(args.new_rabbit_address_list, args.new_rabbit_port, args.new_rabbit_user,
                                args.new_rabbit_password, args.new_rabbit_vhost, args.new_rabbit_ha_mode,
                                args.new_rabbit_q_name, log)
        self.old_rabbit = Kombu(args.old_rabbit_address_list, args.old_rabbit_port, args.old_rabbit_user,
                                args.old_rabbit_password, args.old_rabbit_vhost, args.old_rabbit_ha_mode,
                                args.old_rabbit_q_name, log)

    def prepare_to_consume(self) -> None:
        act_on_api("stop", self.api_info, self.log, self.ssh_factory)
        try:
            self.log("Config sync initiated...", level=SYS_INFO)
            print("Config Sync initiated...")
            for ks, cfs in RUN_SYNC:
                self.cass.merge_copy(ks, cfs)
            self.log("Config sync done...", level=SYS_INFO)
            print("Config Sync done...")
        except Exception as exc:  # noqa: BLE001 - the real one logs any error and goes on
            self.log(exc, level=SYS_INFO)
        self.log("Started runtime sync...", level=SYS_INFO)
        print("Started runtime sync...")
        act_on_api("start", self.api_info, self.log, self.ssh_factory)
        self.log("Start Compute upgrade...", level=SYS_INFO)
        print("Start Compute upgrade...")

    def sync_changes(self, seen: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        """One poll: replay rows of the old obj_uuid_table that changed as CREATE/UPDATE/DELETE."""
        now = self.cass.old.get_range("obj_uuid_table")
        changed = {k for k in set(now) | set(seen) if now.get(k) != seen.get(k)}
        if not changed:
            return now
        for uuid in sorted(changed):
            oper = "DELETE" if uuid not in now else ("CREATE" if uuid not in seen else "UPDATE")
            cols = now.get(uuid) or seen.get(uuid) or {}
            self.log({"oper": oper, "type": _type_of(cols), "uuid": uuid}, level=SYS_INFO)
        for ks, cfs in RUN_SYNC:
            self.cass.merge_copy(ks, cfs)
        return now

    def run(self, rounds: int | None = None) -> None:
        """_connection_watch_forever: any exception -> SYS_ERR line, reconnect, prepare again."""
        connected, n = True, 0
        while rounds is None or n < rounds:
            n += 1
            try:
                if not connected:
                    self.old_rabbit.reconnect("drainer")
                # The real consumer's queue exists before prepare_to_consume, so updates made while
                # the merge copy and the SSH start run are buffered, not lost: take the baseline first.
                seen = self.cass.old.get_range("obj_uuid_table")
                self.prepare_to_consume()
                while True:
                    time.sleep(POLL)
                    seen = self.sync_changes(seen)
            except Exception as exc:  # noqa: BLE001
                self.log(f"Error in rabbitmq drainer greenlet: {exc}", level=SYS_ERR)
                connected = False
                time.sleep(RETRY_PACE)


def main_run_sync(argv: Sequence[str] | None = None) -> None:
    setup_logging("run")
    args = parse_args(argv)
    RunSync(args).run()


# -- issu_contrail_zk_sync.py ----------------------------------------------------------------
def zk_norm(path: str) -> str:
    """kazoo's normpath of a request path: '//' -> '/', '/v2/' -> '/v2'."""
    return "/" + "/".join(p for p in path.split("/") if p)


class Zookeeper:
    """cfgm_common.zkclient.ZookeeperClient over the lab's zookeeper stand-in."""

    def __init__(self, module: str, server_list: str, client: ZkClient | None = None) -> None:
        hosts, _chroot = kazoo_hosts(server_list)  # KazooClient(server_list): ValueError here
        self.module = module
        if client is not None:
            self.client = client
            return
        while True:  # ZookeeperClient.connect: retry forever, one second apart
            for host, port in hosts:
                try:
                    guard_connect(host, port)
                    client = ZkClient([f"{host}:{port}"])
                    client.call("ping")
                    self.client = client
                    return
                except (OSError, DbError):
                    continue
            time.sleep(ZK_RETRY)

    def exists(self, path: str) -> bool:
        try:
            return self.client.exists(zk_norm(path))
        except DbError:
            return False

    def get_children(self, path: str) -> list[str]:
        try:
            return self.client.children(zk_norm(path))
        except DbError:
            return []

    def read_node(self, path: str) -> str | None:
        try:
            return self.client.get(zk_norm(path))
        except DbError:
            return None

    def create_node(self, path: str, value: str) -> None:
        path = zk_norm(path)
        if self.client.exists(path):
            current = self.client.get(path)
            if current != value:
                raise RuntimeError(f"ResourceExistsError: {path} {current} zookeeper")
            return
        self.client.create(path, value, makepath=True)

    def delete_node(self, path: str, recursive: bool = False) -> None:
        try:
            self.client.delete(zk_norm(path), recursive=recursive)
        except DbError as exc:
            if "NoNode" not in str(exc) and "does not exist" not in str(exc):
                raise


class ZkIssu:
    """ContrailZKIssu."""

    def __init__(self, old_address: str, new_address: str, old_prefix: str, new_prefix: str,
                 log: Callable[..., None] = logger, pause: float = 1.0) -> None:
        self.old_address, self.new_address = old_address, new_address
        self.old_prefix, self.new_prefix = "/" + (old_prefix or ""), "/" + (new_prefix or "")
        self.log, self.pause = log, pause
        log("Issu contrail zookeeper initialized...", level=SYS_INFO)

    def _copy(self, old_path: str, new_path: str) -> None:
        children = self.zk_old.get_children(old_path)
        value = self.zk_old.read_node(old_path)
        self.log(f"Issu contrail zookeeper, _zk_copy, old version path{old_path}", level=SYS_DEBUG)
        self.log(f"Issu contrail zookeeper, _zk_copy, new version path{new_path}", level=SYS_DEBUG)
        self.zk_new.create_node(new_path, "" if value is None else value)
        self.log(f"Issu contrail zookeeper ,_zk_copy, new value{self.zk_new.read_node(new_path)}", level=SYS_DEBUG)
        for child in children:
            self._copy(f"{old_path}/{child}", f"{new_path}/{child}")

    def compare(self, new_prefix: str, old_prefix: str) -> None:
        for name in ZNODE_ISSU_LIST:
            if sorted(self.zk_new.get_children(new_prefix + name)) != sorted(self.zk_old.get_children(old_prefix + name)):
                self.log("Issu contrail zookeeper failed...", level=SYS_DEBUG)
                break
        self.log("Issu contrail zookeeper passed...", level=SYS_INFO)

    def start(self, clients: tuple[ZkClient, ZkClient] | None = None) -> None:
        old_client, new_client = clients or (None, None)
        self.zk_old = Zookeeper("zk issu client older version", self.old_address, old_client)
        self.zk_new = Zookeeper("zk issu client newer version", self.new_address, new_client)
        old_prefix, new_prefix = self.old_prefix + "/", self.new_prefix + "/"
        if self.zk_new.exists(new_prefix):
            for child in self.zk_new.get_children(new_prefix):
                if child in ZNODE_ISSU_LIST:
                    self.log(f"Issu contrail zookeeper ,issu_zk_start, deleted paths{new_prefix + child}",
                             level=SYS_INFO)
                    self.zk_new.delete_node(new_prefix + child, True)
        else:
            self.zk_new.create_node(new_prefix, "")
        children: list[str] = []
        if self.zk_old.exists(old_prefix):
            children = self.zk_old.get_children(old_prefix)
        elif self.zk_old.exists(self.old_prefix):
            children = self.zk_old.get_children(self.old_prefix)
            old_prefix = self.old_prefix
        for child in children:
            if child in ZNODE_ISSU_LIST:
                time.sleep(self.pause)
                self._copy(old_prefix + child, new_prefix + child)
        self.compare(new_prefix, old_prefix)


def main_zk_sync(argv: Sequence[str] | None = None) -> None:
    setup_logging("zk")
    args = parse_args(argv)
    ZkIssu(args.old_zookeeper_address_list, args.new_zookeeper_address_list, args.odb_prefix,
           args.ndb_prefix).start()

