"""The ISSU sync tools on the 3+3 lab (a copy of clusters/lab-ha.yaml on 127.82.0.0/16), after the
runbook's migrate-config phase: multi-node lists in contrail-issu.conf, run-sync acting on EVERY new
config node, and the lab's contrail-issu-* rejecting what the real ones reject (a wrong new_api_info
password, a space-separated ZooKeeper list, the built-in default addresses).

Real behaviour: contrail-controller R3.2 src/config/contrail_issu/contrail_issu/*.py,
src/config/common/{vnc_kombu,zkclient}.py; kazoo/hosts.py (see lab/contrail/sim/config/issu.py).
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checks import issu_logs, zkcli
from issu import issu_conf
from issu.inventory import Role
from lab.contrail.sim.common.db import kazoo_hosts
from lab.node_exec import run_in_node
from tests.lab.conftest import running_lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SYSTEM_CTL = "supervisorctl -c /etc/supervisor/supervisord.conf"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab-ha.yaml", "issusync", "127.82") as inv:
        res = subprocess.run([sys.executable, "-m", "pytest", "runbook/test_10_migrate_config.py", "--cluster",
                              str(inv.path), "--yes", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                             capture_output=True, text=True, timeout=1500)
        assert res.returncode == 0, res.stdout[-4000:]
        yield inv


def sh(lab, node: str, cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run_in_node(lab.lab_state_dir, node, ["sh", "-c", cmd], timeout=timeout)


def eventually(check, timeout: float = 90.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(1)


def issu_defaults(lab) -> dict[str, str]:
    text = sh(lab, "ctl-new-1", f"cat {issu_conf.PATH}").stdout
    from checks import ini
    return ini.parse_ini(text)["DEFAULTS"]


def supervisor_config_pid(lab, node: str) -> str:
    return sh(lab, node, "cat /var/run/supervisord_config.pid").stdout.strip()


def run_sync_log(lab) -> str:
    return sh(lab, "ctl-new-1", f"cat {issu_logs.RUN_SYNC_LOG}").stdout


def restart_run_sync(lab) -> None:
    res = sh(lab, "ctl-new-1", f"{SYSTEM_CTL} restart contrail-issu:0")
    assert res.returncode == 0, res.stdout + res.stderr


def test_issu_conf_lists_every_node_in_the_real_syntax(lab):
    m = lab.model
    d = issu_defaults(lab)
    new_cfg = [n.ip for n in m.new.with_role(Role.config)]
    for side, cluster in (("old", m.old), ("new", m.new)):
        dbs = [n.ip for n in cluster.with_role(Role.database)]
        assert d[f"{side}_cassandra_address_list"] == " ".join(f"{ip}:9160" for ip in dbs)
        assert d[f"{side}_zookeeper_address_list"] == ",".join(f"{ip}:2181" for ip in dbs)
        assert [h for h, _ in kazoo_hosts(d[f"{side}_zookeeper_address_list"])[0]] == dbs
        assert d[f"{side}_rabbit_address_list"].split(",") == [f"{h}:{m.rabbitmq.port}" for h in m.rabbitmq.hosts]
    assert len(dbs) == 3 and len(new_cfg) == 3
    api_info = ast.literal_eval(d["new_api_info"])
    assert sorted(api_info) == sorted(new_cfg)
    assert {v[0] for v in api_info.values()} == {m.run_sync.ssh_user}
    assert sh(lab, "ctl-new-1", f"stat -c %a {issu_conf.PATH}").stdout.strip() == "600"


def test_run_sync_stops_and_starts_supervisor_config_on_all_three(lab):
    nodes = [n.name for n in lab.model.new.with_role(Role.config)]
    before = {n: supervisor_config_pid(lab, n) for n in nodes}
    restart_run_sync(lab)
    eventually(lambda: all(r.ok for r in issu_logs.run_sync(run_sync_log(lab), 3, "ctl-new-1")),
               what="run-sync: stop/start on 3 nodes, sync done")
    after = {n: supervisor_config_pid(lab, n) for n in nodes}
    assert all(after[n] and after[n] != before[n] for n in nodes), (before, after)


def test_wrong_new_api_info_password_keeps_run_sync_retrying_and_named_in_its_log(lab):
    good = sh(lab, "ctl-new-1", f"cat {issu_conf.PATH}").stdout
    third = lab.model.new.with_role(Role.config)[2].ip
    d = issu_defaults(lab)
    api_info = ast.literal_eval(d["new_api_info"])
    api_info[third] = [api_info[third][0], "not-the-password"]
    bad = re.sub(r"^new_api_info = .*$", lambda _m: f"new_api_info = {api_info!r}".replace("%", "%%"), good,
                 flags=re.M)
    try:
        run_in_node(lab.lab_state_dir, "ctl-new-1", ["sh", "-c", f"cat > {issu_conf.PATH}"], input=bad)
        restart_run_sync(lab)

        def failing():
            results = issu_logs.run_sync(run_sync_log(lab), 3, "ctl-new-1")
            return not results[0].ok and "Authentication failed." in results[0].found
        eventually(failing, what="'Error in rabbitmq drainer greenlet: Authentication failed.'")
        status = sh(lab, "ctl-new-1", f"{SYSTEM_CTL} status").stdout
        assert re.search(r"contrail-issu:0\s+RUNNING", status), status  # the real one keeps running too
        assert not issu_logs.run_sync(run_sync_log(lab), 3, "ctl-new-1")[-1].ok  # never 'Start Compute upgrade'
    finally:
        run_in_node(lab.lab_state_dir, "ctl-new-1", ["sh", "-c", f"cat > {issu_conf.PATH}"], input=good)
        restart_run_sync(lab)
    eventually(lambda: all(r.ok for r in issu_logs.run_sync(run_sync_log(lab), 3, "ctl-new-1")),
               what="run-sync recovered with the right password")


def test_space_separated_zookeeper_list_fails_like_kazoo(lab):
    good = sh(lab, "ctl-new-1", f"cat {issu_conf.PATH}").stdout
    bad = re.sub(r"^(new_zookeeper_address_list = )(.*)$", lambda m: m[1] + m[2].replace(",", " "), good, flags=re.M)
    run_in_node(lab.lab_state_dir, "ctl-new-1", ["sh", "-c", "umask 077; cat > /root/bad-issu.conf"], input=bad)
    res = sh(lab, "ctl-new-1", "contrail-issu-zk-sync --conf_file /root/bad-issu.conf")
    assert res.returncode == 1 and res.stdout == ""
    assert re.search(r"ValueError: invalid literal for int\(\) with base 10: '2181 127\.82\.1\.22'\s*$", res.stderr)
    run = issu_logs.last_run(issu_logs.parse_log(sh(lab, "ctl-new-1", f"cat {issu_logs.ZK_SYNC_LOG}").stdout),
                             issu_logs.ZK_START)
    assert [r.message for r in run] == [issu_logs.ZK_START]


def test_default_addresses_hang_without_sending_a_packet(lab):
    """No --conf_file: 10.84.24.35 everywhere. The lab refuses it before connecting and retries, as the
    real tool retries an unreachable Cassandra forever."""
    res = sh(lab, "ctl-new-1", "timeout 6 contrail-issu-pre-sync", timeout=30)
    assert res.returncode == 124 and res.stdout == ""
    run = issu_logs.last_run(issu_logs.parse_log(sh(lab, "ctl-new-1", f"cat {issu_logs.PRE_SYNC_LOG}").stdout),
                             issu_logs.CASSANDRA_START)
    assert run[-1].message == "Issu contrail cassandra prepare..."


def test_zk_sync_copies_the_three_znodes_under_the_new_prefix(lab):
    res = sh(lab, "ctl-new-1", f"contrail-issu-zk-sync --conf_file {issu_conf.PATH}", timeout=120)
    assert res.returncode == 0 and res.stdout == "" and res.stderr == ""
    assert issu_logs.zk_sync(sh(lab, "ctl-new-1", f"cat {issu_logs.ZK_SYNC_LOG}").stdout, "ctl-new-1").ok
    m = lab.model
    # the lab's ZooKeeper nodes do not replicate: every client uses the first reachable one of the list
    old_db, new_db = m.old.with_role(Role.database)[0], m.new.with_role(Role.database)[0]
    for name in zkcli.ISSU_ZNODES:
        old = zkcli.parse_ls(sh(lab, old_db.name, " ".join(zkcli.ls_command(old_db.ip, zkcli.znode(
            m.old.cluster_id, name)))).stdout)
        new = zkcli.parse_ls(sh(lab, new_db.name, " ".join(zkcli.ls_command(new_db.ip, zkcli.znode(
            m.new.cluster_id, name)))).stdout)
        assert old is not None and new is not None and sorted(old) == sorted(new), name
