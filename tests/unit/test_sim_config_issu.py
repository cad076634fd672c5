"""The lab's contrail-issu-* against the real R3.2 tools' rules (in process; sources in the module doc).

contrail-controller R3.2 src/config/contrail_issu/contrail_issu/*.py, src/config/common/{vnc_kombu,
zkclient,vnc_cassandra}.py; python-zk/kazoo kazoo/hosts.py.
"""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import paramiko
import pytest

from lab.contrail.sim.common import db
from lab.contrail.sim.common.jsonline import RequestError
from lab.contrail.sim.config import issu
from lab.contrail.sim.config.database import CassandraStore
from lab.contrail.sim.config.zookeeper import ZkTree

ROOT = Path(__file__).resolve().parents[2]


class LocalCassandra(db.CassandraClient):
    def __init__(self) -> None:
        super().__init__("local:9160")
        self.store = CassandraStore()

    def call(self, op: str, **args: Any) -> Any:
        try:
            return json.loads(json.dumps(self.store.handle(op, json.loads(json.dumps(args)))))
        except RequestError as exc:
            raise db.DbError(str(exc)) from None


class LocalZk(db.ZkClient):
    def __init__(self) -> None:
        super().__init__("local:2181")
        self.tree = ZkTree()

    def call(self, op: str, **args: Any) -> Any:
        try:
            return self.tree.handle(op, args, 1)
        except RequestError as exc:
            raise db.DbError(str(exc)) from None


def conf(tmp_path: Path, text: str) -> str:
    path = tmp_path / "contrail-issu.conf"
    path.write_text(text)
    return str(path)


# -- parse_args ---------------------------------------------------------------------------
def test_without_conf_file_every_value_is_the_real_default():
    args = issu.parse_args([])
    assert args.old_cassandra_address_list == ["10.84.24.35:9160"]
    assert args.new_zookeeper_address_list == "10.84.24.35:2181"
    assert args.old_rabbit_address_list == "10.84.24.35"
    assert args.old_rabbit_vhost is None and args.new_rabbit_vhost == ""
    assert args.odb_prefix == "" and args.ndb_prefix == ""
    assert issu.new_api_info(args) == {"10.84.24.52": ["root", "c0ntrail123"]}


def test_conf_file_rules_of_safeconfigparser(tmp_path):
    path = conf(tmp_path, "[DEFAULTS]\n"
                "old_cassandra_address_list = 127.0.0.1:9160 127.0.0.2:9160\n"
                "new_zookeeper_address_list = 127.0.1.1:2181,127.0.1.2:2181\n"
                "New_Rabbit_Password = p%%w\n"
                "ndb_prefix = issu_new\n"
                "new_rabbit_vhost = %(ndb_prefix)s\n"
                "new_rabbit_ha_mode = False\n"
                "new_api_info = {'127.0.1.1': ['root', 'pw1'], '127.0.1.2': ['root', 'pw2']}\n")
    args = issu.parse_args(["--conf_file", path])
    assert args.old_cassandra_address_list == ["127.0.0.1:9160", "127.0.0.2:9160"]
    assert args.new_zookeeper_address_list == "127.0.1.1:2181,127.0.1.2:2181"
    assert args.new_rabbit_password == "p%w"          # '%%' -> '%'
    assert args.new_rabbit_vhost == "issu_new"        # %(name)s interpolation
    assert args.new_rabbit_ha_mode == "False"         # a string: truthy
    assert issu.ha_queue_arguments(args.new_rabbit_ha_mode) == {"x-ha-policy": "all"}
    assert issu.ha_queue_arguments(issu.parse_args([]).new_rabbit_ha_mode) is None
    assert issu.new_api_info(args) == {"127.0.1.1": ["root", "pw1"], "127.0.1.2": ["root", "pw2"]}
    assert issu.parse_args(["-c", path]).ndb_prefix == "issu_new"


def test_conf_file_failures_are_the_real_ones(tmp_path):
    import configparser
    with pytest.raises(configparser.NoSectionError):       # missing file: read() skips it, items() fails
        issu.parse_args(["-c", str(tmp_path / "nope.conf")])
    with pytest.raises(configparser.NoSectionError):
        issu.parse_args(["-c", conf(tmp_path, "[DEFAULT]\nodb_prefix = x\n")])
    with pytest.raises(configparser.InterpolationSyntaxError):
        issu.parse_args(["-c", conf(tmp_path, "[DEFAULTS]\nnew_rabbit_password = 50%off\n")])
    quoted = issu.parse_args(["-c", conf(tmp_path, "[DEFAULTS]\nnew_api_info = \"{'127.0.0.1': ['a', 'b']}\"\n")])
    assert isinstance(issu.new_api_info(quoted), str)  # quotes kept: literal_eval gives a str, not a dict


# -- address lists ------------------------------------------------------------------------
def test_kazoo_host_string_rules():
    assert db.kazoo_hosts("127.0.0.1:2181,127.0.0.2:2182") == ([("127.0.0.1", 2181), ("127.0.0.2", 2182)], None)
    assert db.kazoo_hosts("127.0.0.1,127.0.0.2/chroot") == ([("127.0.0.1", 2181), ("127.0.0.2", 2181)], "/chroot")
    with pytest.raises(ValueError, match=re.escape("invalid literal for int() with base 10: '2181 127.0.0.2'")):
        db.kazoo_hosts("127.0.0.1:2181 127.0.0.2:2181")
    with pytest.raises(ValueError, match="bad hostname"):
        db.kazoo_hosts("")


def test_cassandra_list_splits_on_whitespace_only():
    assert db.cassandra_server_list("a:9160  b:9160\n") == ["a:9160", "b:9160"]
    assert db.cassandra_server_list("a:9160,b:9160") == ["a:9160,b:9160"]
    assert db.thrift_server("a") == ("a", 9160)
    with pytest.raises(ValueError):
        db.thrift_server("a:9160,b:9160")


def test_rabbit_list_splits_on_commas_with_user_password_port():
    urls = issu.rabbit_urls("127.0.0.1:5673,u2:p2@127.0.0.2,127.0.0.3", "5672", "guest", "pw", None)
    assert [u.url() for u in urls] == ["pyamqp://guest:pw@127.0.0.1:5673/", "pyamqp://u2:p2@127.0.0.2:5672/",
                                       "pyamqp://guest:pw@127.0.0.3:5672/"]
    assert issu.rabbit_urls("127.0.0.1", 5672, "g", "p", "contrail")[0].vhost == "contrail"


def test_default_addresses_fail_without_sending_anything(monkeypatch):
    def no_socket(*a, **kw):
        raise AssertionError(f"a connection was attempted: {a}")
    monkeypatch.setattr(db.socket, "create_connection", no_socket)
    for server in ("10.84.24.35:9160",):
        with pytest.raises(OSError, match="outside 127.0.0.0/8"):
            issu._ping_one(server)

    class Stop(Exception):
        pass

    def stop(_s):
        raise Stop
    monkeypatch.setattr(issu.time, "sleep", stop)
    for make in (lambda: issu.Zookeeper("zk", "10.84.24.35:2181"),
                 lambda: issu.Kombu("10.84.24.35", "5672", "guest", "guest", None, False, "q", lambda *a, **k: None),
                 lambda: issu.VncCassandra(["10.84.24.35:9160"], "", (), (), lambda *a, **k: None)):
        with pytest.raises(Stop):  # retried (as the real client does), nothing sent
            make()
    class NoConnect(FakeSsh):
        def connect(self, *a, **kw):
            raise AssertionError("ssh.connect was called")
    with pytest.raises(paramiko.ssh_exception.NoValidConnectionsError, match="Unable to connect to port 22"):
        issu.act_on_api("stop", {"10.84.24.52": ["root", "c0ntrail123"]}, lambda *a, **k: None,
                        ssh_factory=lambda: NoConnect([]))


# -- cassandra merge copy -----------------------------------------------------------------
def test_merge_copy_old_overwrites_new_and_prunes(monkeypatch):
    old, new = LocalCassandra(), LocalCassandra()
    for ks, cfs in issu.PRE_SYNC:
        old.create_keyspace(ks, cfs)
    old.insert("config_db_uuid", "obj_uuid_table", "u1", {"type": '"virtual_network"', "fq_name": "a"})
    new.create_keyspace("issu_new_config_db_uuid", issu.CONFIG_DB_CFS)
    new.insert("issu_new_config_db_uuid", "obj_uuid_table", "u1", {"type": '"x"', "extra": "1"})
    new.insert("issu_new_config_db_uuid", "obj_uuid_table", "gone", {"type": '"x"'})
    old.insert("to_bgp_keyspace", "route_target_table", "rt", {"v": "1"})
    lines: list[str] = []
    cass = issu.IssuCassandra([], [], "", "issu_new", issu.POST_SYNC,
                              lambda m, level: lines.append(f"{level} {m}"), clients=(old, new))
    for ks, cfs in issu.POST_SYNC:
        cass.merge_copy(ks, cfs)
    assert new.get_range("issu_new_to_bgp_keyspace", "route_target_table") == {"rt": {"v": "1"}}
    assert "issu_new_useragent" in new.list_keyspaces()          # VncCassandraClient prefixes every keyspace
    assert set(new.get_range("issu_new_config_db_uuid", "obj_uuid_table")) == {"u1", "gone"}  # post: untouched
    cass = issu.IssuCassandra([], [], "", "issu_new", issu.PRE_SYNC, lambda m, level: None, clients=(old, new))
    cass.merge_copy(*issu.PRE_SYNC[0])
    assert new.get_range("issu_new_config_db_uuid", "obj_uuid_table") == \
        {"u1": {"type": '"virtual_network"', "fq_name": "a"}}
    assert "SYS_INFO Pruning New DB if entires don't exist in old DB column family: route_target_table" in lines
    assert "SYS_NOTICE Cassandra connection ESTABLISHED" in lines


def test_old_keyspace_missing_waits_forever_like_the_real_one(monkeypatch):
    lines: list[str] = []
    calls = {"n": 0}

    def sleep(_s):
        calls["n"] += 1
        if calls["n"] > 2:
            raise TimeoutError
    monkeypatch.setattr(issu.time, "sleep", sleep)
    with pytest.raises(TimeoutError):
        issu.VncCassandra([], "wrong", rw=(), ro=issu.PRE_SYNC[:1], log=lambda m, level: lines.append(f"{level} {m}"),
                          client=LocalCassandra())
    assert lines == ["SYS_NOTICE Waiting for keyspace wrong_config_db_uuid to be created"] * 2


# -- zk-sync ------------------------------------------------------------------------------
def test_zk_sync_deletes_then_copies_the_three_subtrees(monkeypatch):
    monkeypatch.setattr(issu.time, "sleep", lambda s: None)
    old, new = LocalZk(), LocalZk()
    old.create("/fq-name-to-uuid/virtual_network:a", "u1")
    old.create("/id/bgp/route-targets/0000008000", "")
    old.create("/api-server/election/x", "")
    old.create("/schema-transformer/lock", "")
    new.create("/issu_new/fq-name-to-uuid/stale", "x")
    new.create("/issu_new/svc-monitor/keep", "x")
    lines: list[str] = []
    issu.ZkIssu("127.0.0.1:2181", "127.0.1.1:2181", "", "issu_new",
                lambda m, level: lines.append(f"{level} {m}")).start((old, new))
    assert new.children("/issu_new/fq-name-to-uuid") == ["virtual_network:a"]
    assert new.get("/issu_new/fq-name-to-uuid/virtual_network:a") == "u1"
    assert new.exists("/issu_new/id/bgp/route-targets/0000008000")
    assert new.exists("/issu_new/svc-monitor/keep") and not new.exists("/issu_new/schema-transformer")
    assert lines[0] == "SYS_INFO Issu contrail zookeeper initialized..."
    assert "SYS_INFO Issu contrail zookeeper ,issu_zk_start, deleted paths/issu_new/fq-name-to-uuid" in lines
    assert lines[-1] == "SYS_INFO Issu contrail zookeeper passed..."
    assert "SYS_DEBUG Issu contrail zookeeper failed..." not in lines


def test_zk_sync_logs_passed_even_after_failed(monkeypatch):
    monkeypatch.setattr(issu.time, "sleep", lambda s: None)
    old, new = LocalZk(), LocalZk()
    old.create("/id/a", "")
    real_create = issu.Zookeeper.create_node

    def lossy(self, path, value):
        if not path.endswith("/a"):
            real_create(self, path, value)
    monkeypatch.setattr(issu.Zookeeper, "create_node", lossy)
    lines: list[str] = []
    issu.ZkIssu("127.0.0.1", "127.0.1.1", "", "v2", lambda m, level: lines.append(f"{level} {m}")).start((old, new))
    assert lines[-2:] == ["SYS_DEBUG Issu contrail zookeeper failed...", "SYS_INFO Issu contrail zookeeper passed..."]


# -- run-sync -----------------------------------------------------------------------------
class FakeChannel:
    def recv_exit_status(self) -> int:
        return 0


class FakeStream:
    channel = FakeChannel()

    def __init__(self, lines):
        self.lines = lines

    def readlines(self):
        return self.lines


class FakeSsh:
    def __init__(self, log, password_ok="pw"):
        self.log, self.ok = log, password_ok

    def set_missing_host_key_policy(self, policy):
        assert isinstance(policy, paramiko.AutoAddPolicy)

    def connect(self, addr, username, password):
        if password != self.ok:
            raise paramiko.AuthenticationException("Authentication failed.")
        self.log.append(f"ssh {username}@{addr}")

    def exec_command(self, cmd):
        self.log.append(cmd)
        return None, FakeStream(["supervisor-config stop/waiting\n"]), FakeStream([])

    def close(self):
        pass


def test_act_on_api_runs_the_command_on_every_node():
    seen: list[str] = []
    lines: list[str] = []
    issu.act_on_api("stop", {"127.0.1.1": ["root", "pw"], "127.0.1.2": ["root", "pw"]},
                    lambda m, level: lines.append(f"{level} {m}"), ssh_factory=lambda: FakeSsh(seen))
    assert seen == ["ssh root@127.0.1.1", "service supervisor-config stop",
                    "ssh root@127.0.1.2", "service supervisor-config stop"]
    assert lines == ["SYS_INFO service supervisor-config stop",
                     "SYS_INFO 0", "SYS_INFO [u'supervisor-config stop/waiting\\n']", "SYS_INFO []"] + \
        ["SYS_INFO 0", "SYS_INFO [u'supervisor-config stop/waiting\\n']", "SYS_INFO []"]


def test_run_sync_wrong_password_loops_in_the_drainer_and_never_starts_the_sync(monkeypatch, capsys):
    monkeypatch.setattr(issu.time, "sleep", lambda s: None)
    lines: list[str] = []
    rs = issu.RunSync.__new__(issu.RunSync)
    rs.log = lambda m, level: lines.append(f"{level} {m}")
    rs.api_info = {"127.0.1.1": ["root", "bad"]}
    rs.ssh_factory = lambda: FakeSsh([], password_ok="pw")

    class Rabbit:
        def reconnect(self, which):
            lines.append(f"reconnect {which}")
    rs.old_rabbit = Rabbit()
    rs.cass = SimpleNamespace(old=SimpleNamespace(get_range=lambda cf: {}))
    rs.run(rounds=2)
    assert lines == ["SYS_INFO service supervisor-config stop",
                     "SYS_ERR Error in rabbitmq drainer greenlet: Authentication failed.",
                     "reconnect drainer", "SYS_INFO service supervisor-config stop",
                     "SYS_ERR Error in rabbitmq drainer greenlet: Authentication failed."]
    assert capsys.readouterr().out == ""


def test_run_sync_replays_what_changed_while_it_prepared(monkeypatch):
    """An object created during the merge copy and the SSH start is still synced: the real consumer's
    queue buffers it (it exists before prepare_to_consume), so the lab's baseline is taken first."""
    monkeypatch.setattr(issu.time, "sleep", lambda s: None)
    table: dict[str, dict[str, str]] = {}
    polls = iter(range(3))
    copied: list[str] = []

    def get_range(cf):
        if next(polls, None) is None:
            raise RuntimeError("stop the test")
        return dict(table)

    rs = issu.RunSync.__new__(issu.RunSync)
    rs.log = lambda m, level: None
    rs.cass = SimpleNamespace(old=SimpleNamespace(get_range=get_range),
                              merge_copy=lambda ks, cfs: copied.append(ks))
    rs.prepare_to_consume = lambda: table.update({"u-1": {"type": '"virtual_network"'}})  # created meanwhile
    rs.run(rounds=1)
    assert "config_db_uuid" in copied  # replayed by the first poll


# -- as processes: log file, format, stdout, exit code ----------------------------------------
def run_tool(tmp_path: Path, main: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    py = tmp_path / "py"
    py.mkdir(exist_ok=True)
    if not (py / "contrail_sim").exists():
        (py / "contrail_sim").symlink_to(ROOT / "lab" / "contrail" / "sim")
    env = {**os.environ, "PYTHONPATH": str(py), "PYTHONDONTWRITEBYTECODE": "1",
           "CONTRAIL_ISSU_LOG_DIR": str(tmp_path)}
    code = f"from contrail_sim.config.issu import {main}; {main}()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_zk_sync_space_separated_list_dies_like_kazoo(tmp_path):
    path = conf(tmp_path, "[DEFAULTS]\nold_zookeeper_address_list = 127.0.0.1:2181 127.0.0.2:2181\n")
    res = run_tool(tmp_path, "main_zk_sync", "-c", path)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.startswith("Traceback (most recent call last):")
    assert res.stderr.rstrip().endswith("ValueError: invalid literal for int() with base 10: '2181 127.0.0.2'")
    log = (tmp_path / "issu_contrail_zk.log").read_text().splitlines()
    assert len(log) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} SYS_INFO Issu contrail zookeeper initialized\.\.\.",
                        log[0])


def test_pre_sync_on_defaults_hangs_retrying_and_prints_nothing(tmp_path):
    with pytest.raises(subprocess.TimeoutExpired) as exc:
        run_tool(tmp_path, "main_pre_sync", timeout=4)
    assert not exc.value.stdout
    assert (tmp_path / "issu_contrail_pre_sync.log").read_text().splitlines()[-1].endswith(
        "SYS_INFO Issu contrail cassandra prepare...")
