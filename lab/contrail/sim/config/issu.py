"""contrail-issu-pre-sync / -run-sync / -post-sync / -zk-sync, all `-c /etc/contrail/contrail-issu.conf`.

[DEFAULTS] keys as the real issu_contrail_config.py (and its defaults): old_/new_rabbit_user,
_password, _vhost, _port, _address_list, _ha_mode, _q_name; old_/new_cassandra_address_list
(ip:9160 ...); old_/new_zookeeper_address_list (ip:2181 ...); odb_prefix; ndb_prefix;
new_api_info ("{'ip': ['user', 'password']}"); db_/config_/analytics_/control_host_info
("{'ip': 'hostname'}"); admin_user, admin_password, admin_tenant_name, openstack_ip,
api_server_ip, api_server_port.

pre-sync   copies every keyspace of the config DB old -> new: <odb_prefix>_config_db_uuid
           (obj_uuid_table, obj_fq_name_table, obj_shared_table), _to_bgp_keyspace, useragent,
           _svc_monitor_keyspace, _dm_keyspace. Old rows overwrite new ones, rows only in new
           are removed. A keyspace absent on the old side is skipped, except config_db_uuid:
           then the prefix is wrong and the tool stops with a message (the real one hangs).
run-sync   the same copy whenever the old DB changes (polled every second), forever; logs
           each change on stdout. The real one follows the old RabbitMQ; the effect on the new
           DB is the same.
post-sync  pre-sync without config_db_uuid.
zk-sync    deletes everything under /<ndb_prefix> on the new ZooKeeper (but 'zookeeper'), copies
           /<odb_prefix>/{fq-name-to-uuid,api-server,id} there, compares, prints
           "Issu contrail zookeeper passed..." or fails with exit 1.
pre-, post- and run-sync first log in to each side's RabbitMQ (when *_rabbit_address_list
is set) with its user, password and vhost: a wrong vhost fails at once with RabbitMQ's
"NOT_ALLOWED - vhost ... not found" (the real tools hang there).
Without -c the tools read /etc/contrail/contrail-issu.conf. Bad input fails within seconds, with a message and exit 1: missing/unreadable -c file, no
[DEFAULTS], unknown prefix, a database unreachable for CONNECT_WAIT (10) seconds.
"""
from __future__ import annotations

import argparse
import ast
import configparser
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, TypeVar

from ..common.db import (CONFIG_DB_UUID, KEYSPACES, ZNODE_ISSU_LIST, CassandraClient, DbError, DbUnavailable,
                         JsonLineClient, ZkClient, keyspace_name, zk_path)
from ..common.rabbit import login_error

Rows = dict[str, dict[str, str]]
Log = Callable[[str], None]

DEFAULTS = {
    "old_rabbit_user": "guest", "old_rabbit_password": "guest", "old_rabbit_ha_mode": "False",
    "old_rabbit_q_name": "vnc-config.issu-queue", "old_rabbit_vhost": "", "old_rabbit_port": "5672",
    "new_rabbit_user": "guest", "new_rabbit_password": "guest", "new_rabbit_ha_mode": "False",
    "new_rabbit_q_name": "vnc-config.issu-queue", "new_rabbit_vhost": "/v2", "new_rabbit_port": "5672",
    "odb_prefix": "", "ndb_prefix": "v2",
    "old_cassandra_address_list": "", "old_zookeeper_address_list": "", "old_rabbit_address_list": "",
    "new_cassandra_address_list": "", "new_zookeeper_address_list": "", "new_rabbit_address_list": "",
    "new_api_info": "{}",
}
DEFAULT_CONF = "/etc/contrail/contrail-issu.conf"  # when -c is not given (the seed's run-sync command line)
PRE_KEYSPACES = tuple(KEYSPACES)
POST_KEYSPACES = tuple(k for k in KEYSPACES if k != CONFIG_DB_UUID)


class IssuError(Exception):
    pass


@dataclass(frozen=True)
class IssuConf:
    values: dict[str, str]
    new_api_info: dict[str, list[str]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    @property
    def odb_prefix(self) -> str:
        return self["odb_prefix"]

    @property
    def ndb_prefix(self) -> str:
        return self["ndb_prefix"]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_issu_conf(text: str, source: str = "contrail-issu.conf") -> IssuConf:
    """Parse the [DEFAULTS] of contrail-issu.conf over the real defaults; raises IssuError."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text, source=source)
    except configparser.Error as exc:
        raise IssuError(f"{source}: cannot parse: {exc}") from None
    if not cp.has_section("DEFAULTS"):
        raise IssuError(f"{source}: no [DEFAULTS] section")
    values = dict(DEFAULTS)
    values.update({k: _unquote(v) for k, v in cp.items("DEFAULTS")})
    for key in ("old_cassandra_address_list", "new_cassandra_address_list"):
        if not values[key].strip():
            raise IssuError(f"{source}: [DEFAULTS] {key} is not set")
    try:
        api_info = ast.literal_eval(values["new_api_info"] or "{}")
    except (ValueError, SyntaxError):
        raise IssuError(f"{source}: new_api_info is not a Python dict literal: {values['new_api_info']!r}") from None
    if not isinstance(api_info, dict):
        raise IssuError(f"{source}: new_api_info must be a dict {{'ip': ['user', 'password']}}")
    return IssuConf(values, {str(k): list(v) for k, v in api_info.items()})


def plan_rows(old: Rows, new: Rows) -> tuple[Rows, list[str]]:
    """(rows to write to new so it equals old, row keys to delete from new)."""
    upserts = {k: cols for k, cols in old.items() if new.get(k) != cols}
    deletes = sorted(k for k in new if k not in old)
    return upserts, deletes


@dataclass
class CopyStats:
    keyspace: str
    written: int = 0
    pruned: int = 0
    skipped: bool = False


def copy_keyspaces(old: CassandraClient, new: CassandraClient, odb: str, ndb: str,
                   keyspaces: Iterable[str]) -> list[CopyStats]:
    existing = set(old.list_keyspaces())
    cfg_ks = keyspace_name(odb, CONFIG_DB_UUID)
    if cfg_ks not in existing:
        found = ", ".join(sorted(existing)) or "none"
        raise IssuError(f"keyspace {cfg_ks!r} does not exist on the old cassandra ({old.describe()}); "
                        f"check odb_prefix (found keyspaces: {found})")
    stats = []
    for ks in keyspaces:
        src, dst = keyspace_name(odb, ks), keyspace_name(ndb, ks)
        st = CopyStats(f"{src} -> {dst}")
        if src not in existing:
            st.skipped = True
            stats.append(st)
            continue
        cfs = old.describe_keyspace(src)
        new.create_keyspace(dst, cfs)
        for cf in cfs:
            upserts, deletes = plan_rows(old.get_range(src, cf), new.get_range(dst, cf))
            muts = [{"op": "put_row", "ks": dst, "cf": cf, "key": k, "columns": c} for k, c in upserts.items()]
            muts += [{"op": "remove", "ks": dst, "cf": cf, "key": k} for k in deletes]
            new.batch(muts)
            st.written += len(upserts)
            st.pruned += len(deletes)
        stats.append(st)
    return stats


def zk_sync(old: ZkClient, new: ZkClient, odb: str, ndb: str, log: Log) -> bool:
    old_root, new_root = zk_path(odb), zk_path(ndb)
    if new.exists(new_root):
        for child in new.children(new_root):
            if child != "zookeeper":
                log(f"Issu contrail zookeeper, deleted path {zk_path(ndb, child)}")
                new.delete(zk_path(ndb, child), recursive=True)
    else:
        new.create(new_root, "")
    if not old.exists(old_root):
        raise IssuError(f"znode {old_root!r} does not exist on the old zookeeper ({old.describe()}); check odb_prefix")
    present = set(old.children(old_root))

    def copy(src: str, dst: str) -> None:
        value = old.get(src)
        if new.exists(dst):
            new.set(dst, value)
        else:
            new.create(dst, value)
        for child in old.children(src):
            copy(f"{src.rstrip('/')}/{child}", f"{dst.rstrip('/')}/{child}")

    for name in ZNODE_ISSU_LIST:
        if name in present:
            copy(zk_path(odb, name), zk_path(ndb, name))
    for name in ZNODE_ISSU_LIST:
        if name not in present:
            continue
        if sorted(old.children(zk_path(odb, name))) != sorted(new.children(zk_path(ndb, name))):
            log("Issu contrail zookeeper failed...")
            return False
    log("Issu contrail zookeeper passed...")
    return True


# -- command lines ---------------------------------------------------------------------

def _say(msg: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}", flush=True)


def load_conf(argv: list[str] | None, prog: str) -> IssuConf:
    p = argparse.ArgumentParser(prog=prog)
    p.add_argument("-c", "--conf_file", action="append", metavar="FILE", help="Specify config file")
    args, _ = p.parse_known_args(argv)
    args.conf_file = args.conf_file or [DEFAULT_CONF]
    text = ""
    for path in args.conf_file:
        try:
            with open(path) as fh:
                text += fh.read() + "\n"
        except OSError as exc:
            raise IssuError(f"cannot read config file {path}: {exc.strerror}") from None
    return parse_issu_conf(text, ", ".join(args.conf_file))


def _report(stats: list[CopyStats], phase: str) -> None:
    for st in stats:
        if st.skipped:
            _say(f"Issu contrail cassandra {phase}: keyspace {st.keyspace}: absent on old, skipped")
        else:
            _say(f"Issu contrail cassandra {phase}: keyspace {st.keyspace}: {st.written} rows copied, "
                 f"{st.pruned} pruned")


def _run(prog: str, body: Callable[[IssuConf], int], argv: list[str] | None) -> None:
    try:
        conf = load_conf(argv, prog)
        code = body(conf)
    except (IssuError, DbError, ValueError) as exc:
        print(f"{prog}: ERROR: {exc}", file=sys.stderr, flush=True)
        code = 1
    sys.exit(code)


CONNECT_WAIT = 10.0  # seconds a tool waits for a database that is (re)starting, then fails


Client = TypeVar("Client", bound=JsonLineClient)


def reachable(client: Client, wait: float = CONNECT_WAIT) -> Client:
    """The client once its server answers a ping; DbUnavailable after `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            client.call("ping")
            return client
        except DbUnavailable:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def _clients(conf: IssuConf) -> tuple[CassandraClient, CassandraClient]:
    return (reachable(CassandraClient(conf["old_cassandra_address_list"])),
            reachable(CassandraClient(conf["new_cassandra_address_list"])))


def check_rabbit(conf: IssuConf) -> None:
    """Each side's RabbitMQ must accept its user and vhost (the real tools hang on a wrong vhost)."""
    for side in ("old", "new"):
        addr = conf[f"{side}_rabbit_address_list"]
        if not addr.strip():
            continue
        vhost = conf[f"{side}_rabbit_vhost"] or "/"
        err = login_error(addr, int(conf[f"{side}_rabbit_port"] or 5672), conf[f"{side}_rabbit_user"],
                          conf[f"{side}_rabbit_password"], vhost)
        if err:
            raise IssuError(f"{side} RabbitMQ {addr} vhost {vhost!r}: {err}; "
                            f"check {side}_rabbit_vhost, {side}_rabbit_user, {side}_rabbit_password")


def _presync(conf: IssuConf, keyspaces: tuple[str, ...], phase: str) -> int:
    check_rabbit(conf)
    old, new = _clients(conf)
    _report(copy_keyspaces(old, new, conf.odb_prefix, conf.ndb_prefix, keyspaces), phase)
    _say(f"Issu contrail cassandra {phase}: done")
    return 0


def main_pre_sync(argv: list[str] | None = None) -> None:
    _run("contrail-issu-pre-sync", lambda c: _presync(c, PRE_KEYSPACES, "pre-sync"), argv)


def main_post_sync(argv: list[str] | None = None) -> None:
    _run("contrail-issu-post-sync", lambda c: _presync(c, POST_KEYSPACES, "post-sync"), argv)


def main_zk_sync(argv: list[str] | None = None) -> None:
    def body(conf: IssuConf) -> int:
        for key in ("old_zookeeper_address_list", "new_zookeeper_address_list"):
            if not conf[key].strip():
                raise IssuError(f"[DEFAULTS] {key} is not set")
        ok = zk_sync(reachable(ZkClient(conf["old_zookeeper_address_list"])),
                     reachable(ZkClient(conf["new_zookeeper_address_list"])),
                     conf.odb_prefix, conf.ndb_prefix, _say)
        return 0 if ok else 1
    _run("contrail-issu-zk-sync", body, argv)


def run_sync_loop(conf: IssuConf, interval: float = 1.0, rounds: int | None = None) -> int:
    check_rabbit(conf)
    old, new = _clients(conf)
    stats = copy_keyspaces(old, new, conf.odb_prefix, conf.ndb_prefix, PRE_KEYSPACES)
    _report(stats, "run-sync")
    seen = old.version()
    _say(f"Issu contrail run-sync: following {old.describe()} -> {new.describe()}")
    n = 0
    while rounds is None or n < rounds:
        n += 1
        time.sleep(interval)
        try:
            version = old.version()
            if version == seen:
                continue
            stats = copy_keyspaces(old, new, conf.odb_prefix, conf.ndb_prefix, PRE_KEYSPACES)
            seen = version
            for st in stats:
                if st.written or st.pruned:
                    _say(f"Issu contrail run-sync: {st.keyspace}: {st.written} rows copied, {st.pruned} pruned")
        except DbError as exc:
            _say(f"Issu contrail run-sync: database error, retrying: {exc}")
    return 0


def main_run_sync(argv: list[str] | None = None) -> None:
    _run("contrail-issu-run-sync", run_sync_loop, argv)
