"""contrail-status of the lab: the real format, byte for byte, from live supervisord state."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lab.contrail.sim import status

SAMPLES = Path("/work/shared/samples")


def test_compute_sample_byte_for_byte():
    sec = status.Section("== Contrail vRouter ==", "supervisor-vrouter", "active", "",
                         (("contrail-vrouter-agent", "active"), ("contrail-vrouter-nodemgr", "active")))
    assert status.render([sec]) == (SAMPLES / "contrail-status.compute.txt").read_text()


def test_config_node_sample_byte_for_byte():
    config = status.Section("== Contrail Config ==", "supervisor-config", "active", "", (
        ("contrail-api:0", "active"), ("contrail-config-nodemgr", "active"),
        ("contrail-device-manager", "backup"), ("contrail-discovery:0", "active"),
        ("contrail-schema", "active"), ("contrail-svc-monitor", "initializing (Collector connection down)"),
        ("ifmap", "active")))
    db = status.Section(status.CONFIG_DATABASE_TITLE, "supervisor-database", "active", "", (
        ("contrail-database", "active"), ("contrail-database-nodemgr", "active")))
    assert status.render([config, db]) == (SAMPLES / "contrail-status.config-node.txt").read_text()


def test_lines_keep_the_real_padding():
    assert status.supervisor_line("supervisor-control", "inactive", " (disabled on boot)") == \
        "supervisor-control:           inactive (disabled on boot)"
    assert status.service_line("contrail-control", "active") == "contrail-control              active              "


@pytest.mark.parametrize("name, raw, uve, expected", [
    ("contrail-control", "active", ("Functional", ""), "active"),
    ("contrail-control", "active", ("Non-Functional", "IFMap:IFMapServer connection down"),
     "initializing (IFMap:IFMapServer connection down)"),
    ("contrail-schema", "active", ("Functional", "backup"), "backup"),
    ("contrail-schema", "active", status.CONNECTION_ERROR, "backup"),
    ("contrail-control", "active", status.CONNECTION_ERROR, "initializing"),
    ("contrail-api:0", "active", status.CONNECTION_TIMEOUT, "timeout"),
    ("contrail-api:0", "active", None, "initializing"),
    ("contrail-control", "inactive", ("Functional", ""), "inactive"),
    ("contrail-named", "active", status.CONNECTION_ERROR, "active"),  # no NodeStatus: never asked
    ("contrail-control", "active", ("Functional", "all good"), "active (all good)"),
])
def test_nodestatus_rules(name, raw, uve, expected):
    assert status.apply_uve(name, raw, uve) == expected


def test_supervisor_states_map_like_the_real_script():
    assert [status.map_supervisor_state(s) for s in ("RUNNING", "STARTING", "STOPPED", "FATAL", "EXITED", "BACKOFF")] == \
        ["active", "initializing", "inactive", "failed", "failed", "BACKOFF"]


def test_parse_node_status_reads_the_first_process_status():
    from lab.contrail.sim.common.sandesh import NodeStatus
    xml = NodeStatus("c1", "contrail-vrouter-agent", "Non-Functional", "XMPP:control-node:1.2.3.4 connection down").render()
    assert status.parse_node_status(xml) == ("Non-Functional", "XMPP:control-node:1.2.3.4 connection down")
    assert status.parse_node_status("<html>") is None


def test_http_server_port_from_conf_or_default(tmp_path):
    (tmp_path / "contrail-control.conf").write_text("[DEFAULT]\nhttp_server_port = 9083\n")
    (tmp_path / "contrail-api.conf").write_text("[DEFAULTS]\nhttp_server_port=9084\n")
    assert status.http_server_port("contrail-control", str(tmp_path)) == 9083
    assert status.http_server_port("contrail-api:0", str(tmp_path)) == 9084
    assert status.http_server_port("contrail-vrouter-nodemgr", str(tmp_path)) == 8102


SUPERVISORD = shutil.which("supervisord") or "/usr/bin/supervisord"


@pytest.fixture
def vrouter_node(tmp_path):
    """A node root with a live supervisord_vrouter: agent RUNNING, nodemgr STOPPED."""
    if not os.path.exists(SUPERVISORD):
        pytest.skip("supervisord is not installed")
    root = tmp_path
    for d in ("etc/contrail/supervisord_vrouter_files", "etc/init.d", "var/run", "var/log", "var/crashes"):
        (root / d).mkdir(parents=True)
    sock = root / "var/run/supervisord_vrouter.sock"
    conf = root / "etc/contrail/supervisord_vrouter.conf"
    conf.write_text(f"""[unix_http_server]
file={sock}
[supervisord]
logfile={root}/var/log/supervisord.log
pidfile={root}/var/run/supervisord.pid
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:contrail-vrouter-agent]
command=/bin/sleep 300
startsecs=0
[program:contrail-vrouter-nodemgr]
command=/bin/sleep 300
autostart=false
""")
    (root / "etc/init.d/supervisor-vrouter").write_text("#!/bin/sh\n")
    proc = subprocess.Popen([SUPERVISORD, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            progs = status.supervisor_programs(str(sock))
            if progs and any(p.statename == "RUNNING" for p in progs):
                break
            time.sleep(0.2)
        else:
            pytest.fail("supervisord did not start")
        yield root
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_collect_from_a_live_supervisord(vrouter_node):
    asked = []

    def uve(host, port, timeout):
        asked.append(port)
        return ("Non-Functional", "XMPP:control-node:127.18.0.21 connection down")

    (vrouter_node / "var/crashes/core.contrail-vrouter-agent.1234").write_text("")
    out = status.collect(root=str(vrouter_node), uve=uve)
    assert out == (
        "vRouter is NOT PRESENT\n"
        "\n"
        "== Contrail vRouter ==\n"
        "supervisor-vrouter:           active (disabled on boot)\n"
        "contrail-vrouter-agent        initializing (XMPP:control-node:127.18.0.21 connection down)\n"
        "contrail-vrouter-nodemgr      inactive            \n"
        "\n"
        "========Run time service failures=============\n"
        f"{vrouter_node}/var/crashes/core.contrail-vrouter-agent.1234\n"
    )
    assert asked == [8085]


def test_collect_with_module_loaded_and_enabled_at_boot(vrouter_node):
    (vrouter_node / "var/lib/contrail-sim").mkdir(parents=True)
    (vrouter_node / "var/lib/contrail-sim/vrouter.ko.loaded").write_text("vrouter\n")
    (vrouter_node / "etc/rc2.d").mkdir()
    (vrouter_node / "etc/rc2.d/S20supervisor-vrouter").symlink_to("../init.d/supervisor-vrouter")
    out = status.collect(root=str(vrouter_node), uve=lambda h, p, t: ("Functional", ""))
    assert out.startswith("== Contrail vRouter ==\nsupervisor-vrouter:           active\n"
                          "contrail-vrouter-agent        active              \n")


def test_stopped_supervisor_shows_inactive(tmp_path):
    (tmp_path / "etc/contrail").mkdir(parents=True)
    (tmp_path / "etc/contrail/supervisord_control.conf").write_text("")
    out = status.collect(root=str(tmp_path), uve=lambda h, p, t: None)
    assert out == "== Contrail Control ==\nsupervisor-control:           inactive (disabled on boot)\n\n"


def test_the_runbook_parser_reads_what_the_lab_prints():
    from checks import contrail_status as parser

    sec = status.Section("== Contrail Control ==", "supervisor-control", "inactive", " (disabled on boot)", (
        ("contrail-control", "initializing (IFMap:IFMapServer connection down)"),
        ("contrail-dns", "active")))
    report = parser.parse(status.render([sec], vrouter_missing=True, crashes=["/var/crashes/core.x"]))
    assert report.vrouter_not_present and report.runtime_failures == ("/var/crashes/core.x",)
    sup = report.section("Control").supervisor
    assert (sup.name, sup.state, sup.disabled_on_boot) == ("supervisor-control", "inactive", True)
    ctl = report.service("contrail-control")
    assert (ctl.state, ctl.description) == ("initializing", "IFMap:IFMapServer connection down")


def test_detail_shows_supervisor_descriptions(vrouter_node):
    out = status.collect(root=str(vrouter_node), uve=lambda h, p, t: ("Functional", ""), detail=True)
    agent = next(line for line in out.splitlines() if line.startswith("contrail-vrouter-agent"))
    assert agent.startswith("contrail-vrouter-agent        active              pid ")
    assert "uptime" in agent and len(agent) >= 90
