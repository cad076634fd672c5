"""The config plane's node files for clusters/lab.yaml: real keys, right cluster, runnable wrappers."""
from __future__ import annotations

import configparser
import json
import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from issu.inventory import load
from lab.boot import node_context
from lab.contrail.configplane import layout
from lab.contrail.configplane.openstack import haproxy_cfg
from lab.paths import LabPaths

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"admin_password": "adm1n-pw", "rabbit_password": "rabb1t-pw"}


@pytest.fixture(scope="module")
def inv():
    return load(ROOT / "clusters" / "lab.yaml")


def files_of(inv, name: str) -> dict[str, object]:
    ctx = node_context(inv, inv.model.node(name), SECRETS, LabPaths(Path("/nonexistent")))
    return {f.path: f for f in layout.provide(ctx)}


def ini(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(text)
    return cp


@pytest.mark.parametrize("conf", ["api", "schema", "svc-monitor", "device-manager", "discovery",
                                  "analytics-api", "snmp-collector"])
def test_cluster_id_only_where_the_cluster_has_one(inv, conf):
    path = f"/etc/contrail/contrail-{conf}.conf"
    new = ini(files_of(inv, "ctl-new-1")[path].content)
    old = ini(files_of(inv, "ctl-old-1")[path].content)
    assert new.get("DEFAULTS", "cluster_id") == "issu_new"
    assert not old.has_option("DEFAULTS", "cluster_id")  # lab.yaml: old cluster_id is ""


@pytest.mark.parametrize("conf", ["alarm-gen", "collector"])
def test_kafka_prefix(inv, conf):
    new = ini(files_of(inv, "ctl-new-1")[f"/etc/contrail/contrail-{conf}.conf"].content)
    assert new.get("DEFAULTS", "kafka_prefix") == "issu_new"


@pytest.mark.parametrize("conf", ["api", "schema", "svc-monitor", "device-manager"])
def test_rabbit_and_database_point_at_the_own_cluster(inv, conf):
    for node, vhost, ip in (("ctl-old-1", "contrail", "127.18.0.21"), ("ctl-new-1", "contrail_new", "127.18.1.21")):
        cp = ini(files_of(inv, node)[f"/etc/contrail/contrail-{conf}.conf"].content)
        assert cp.get("DEFAULTS", "rabbit_vhost") == vhost
        assert cp.get("DEFAULTS", "rabbit_server") == "127.18.0.11:5672"  # contrail-provisioning R3.2 config/common.py: ip:port,...
        assert cp.get("DEFAULTS", "rabbit_password") == "rabb1t-pw"
        assert cp.get("DEFAULTS", "cassandra_server_list") == f"{ip}:9160"
        assert cp.get("DEFAULTS", "zk_server_ip") == f"{ip}:2181"
        assert cp.get("DEFAULTS", "disc_server_ip") == ip


def test_supervisor_programs_follow_the_contrail_layout(inv):
    files = files_of(inv, "ctl-new-1")
    for prog in ("contrail-api", "contrail-discovery", "ifmap"):  # what the seed keeps during ISSU
        cp = ini(files[f"/etc/contrail/supervisord_config_files/{prog}.ini"].content)
        section = f"program:{prog}"
        assert cp.get(section, "autostart") == "true" and cp.get(section, "stdout_logfile").startswith("/var/log/contrail/")
    api = ini(files["/etc/contrail/supervisord_config_files/contrail-api.ini"].content)["program:contrail-api"]
    assert api["priority"] == "440" and api["killasgroup"] == "true" and api["stopsignal"] == "KILL"
    assert api["process_name"] == "%(process_num)s"  # contrail-status shows contrail-api:0
    assert "/etc/contrail/supervisord_database_files/contrail-database.ini" in files
    assert files["/etc/init.d/zookeeper"].mode == 0o755  # a system service, outside supervisord


def test_every_wrapper_runs_an_existing_function(inv):
    for f in files_of(inv, "ctl-old-1").values():
        if f.mode != 0o755 or not f.content.startswith("#!/usr/bin/python3"):
            continue
        m = re.search(r"from contrail_sim\.(\S+) import (\w+)\n(.*)\n", f.content)
        assert m, f.path
        module = importlib.import_module(f"lab.contrail.sim.{m.group(1)}")
        assert callable(getattr(module, m.group(2))), f.path
        if "services" in m.group(1) and "(" in m.group(3) and "'" in m.group(3):
            assert m.group(3).split("'")[1] in module.SPECS, f.path


def test_ports_and_openstack_node(inv):
    ctx = node_context(inv, inv.model.node("ctl-old-1"), SECRETS, LabPaths(Path("/nonexistent")))
    ports = set(layout.ports(ctx))
    assert {8082, 8084, 5998, 5997, 8443, 8087, 8088, 8096, 8100, 9160, 2181, 8086, 8081, 8143} <= ports
    os_files = files_of(inv, "openstack1")
    cfg = os_files["/etc/haproxy/haproxy.cfg"].content
    assert "bind 127.18.0.11:8082" in cfg and "server ctl-old-1 127.18.0.21:8082" in cfg
    assert "127.18.1.21" not in cfg
    assert "stats socket /run/haproxy/admin.sock" in cfg
    assert os_files["/etc/contrail/contrail-nb-client.conf"].mode == 0o600
    state = json.loads(os_files["/var/lib/rabbitmq/mnesia/lab-state.json"].content)
    assert state == {"users": {"guest": "rabb1t-pw"}, "vhosts": ["/", "contrail", "contrail_new"]}


@pytest.mark.skipif(not shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists(), reason="no haproxy")
def test_haproxy_accepts_the_config(inv, tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_cfg(inv.model).replace("/run/haproxy/admin.sock", str(tmp_path / "admin.sock")))
    proc = subprocess.run(["/usr/sbin/haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
