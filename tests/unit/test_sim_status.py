"""contrail-status of the lab: the real format, byte for byte, from live supervisord state."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lab.contrail.sim import status

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"  # copies of shared/samples


def test_compute_sample_byte_for_byte():
    sec = status.Section("== Contrail vRouter ==", "supervisor-vrouter", "active", "",
                         (("contrail-vrouter-agent", "active"), ("contrail-vrouter-nodemgr", "active")))
    assert status.render([sec]) == (SAMPLES / "contrail-status.compute.txt").read_text()


def test_config_node_byte_for_byte():
    # contrail-status.py R3.2 supervisor_status('config'): the Config section, then, on a node with
    # contrail-database-common but not contrail-openstack-database, `== Contrail Config Database==`
    # holding only check_svc('contrail-database', initd_svc=True) and a blank line. (The shared
    # sample's supervisor-database lines under that title cannot come from the real script.)
    config = status.Section("== Contrail Config ==", "supervisor-config", "active", "", (
        ("contrail-api:0", "active"), ("contrail-config-nodemgr", "active"),
        ("contrail-device-manager", "backup"), ("contrail-discovery:0", "active"),
        ("contrail-schema", "active"), ("contrail-svc-monitor", "initializing (Collector connection down)"),
        ("ifmap", "active")))
    db = status.Section(status.CONFIG_DATABASE_TITLE, "contrail-database", "active", "", (), tail=status.INITD)
    sample = (SAMPLES / "contrail-status.config-node.txt").read_text()
    config_part = sample[:sample.index("== Contrail Config Database==")]
    assert status.render([config, db]) == config_part + (
        "== Contrail Config Database==\n"
        "contrail-database:            active\n"
        "\n")


def test_lines_keep_the_real_padding():
    assert status.supervisor_line("supervisor-control", "inactive", " (disabled on boot)") == \
        "supervisor-control:           inactive (disabled on boot)"
    assert status.service_line("contrail-control", "active") == "contrail-control              active              "


@pytest.mark.parametrize("name, raw, uve, expected", [
    ("contrail-control", "active", ("Functional", ""), "active"),
    ("contrail-control", "active", ("Non-Functional", "IFMap:IFMapServer connection down"),
     "initializing (IFMap:IFMapServer connection down)"),
    ("contrail-schema", "active", ("Functional", "backup"), "active (backup)"),  # no backup-by-description
    ("contrail-api:1", "active", status.CONNECTION_ERROR, "initializing"),  # NodeStatus after cutting ':1'
    ("contrail-tor-agent-2", "active", ("Non-Functional", "ToR:tor1 connection down"),
     "initializing (ToR:tor1 connection down)"),
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


def UPSTART_RUNNING(name):  # noqa: N802 - `service <job> status` of a running upstart job
    return 0, f"{name} start/running, process 1234\n"


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
    out = status.collect(root=str(vrouter_node), uve=uve, service=UPSTART_RUNNING)
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
    out = status.collect(root=str(vrouter_node), uve=lambda h, p, t: ("Functional", ""), service=UPSTART_RUNNING)
    assert out.startswith("== Contrail vRouter ==\nsupervisor-vrouter:           active\n"
                          "contrail-vrouter-agent        active              \n")


def test_stopped_supervisor_without_socket_prints_supervisorctls_two_words(tmp_path):
    # supervisorctl says 'unix:///var/run/supervisord_control.sock no such file'; contrail-status
    # prints '{0:<30}{1:<20}' of its first two words (the URL is longer than 30: no space).
    (tmp_path / "etc/contrail").mkdir(parents=True)
    (tmp_path / "etc/contrail/supervisord_control.conf").write_text("")
    out = status.collect(root=str(tmp_path), uve=lambda h, p, t: None, service=UPSTART_RUNNING)
    url = f"unix://{tmp_path}/var/run/supervisord_control.sock"
    assert out == ("== Contrail Control ==\nsupervisor-control:           inactive (disabled on boot)\n"
                   f"{url}no                  \n\n")


def test_refused_socket_prints_nothing_after_the_supervisor_line(tmp_path):
    (tmp_path / "etc/contrail").mkdir(parents=True)
    (tmp_path / "etc/init.d").mkdir(parents=True)
    (tmp_path / "var/run").mkdir(parents=True)
    (tmp_path / "etc/contrail/supervisord_control.conf").write_text("")
    (tmp_path / "etc/init.d/supervisor-control").write_text("#!/bin/sh\n")
    (tmp_path / "var/run/supervisord_control.sock").write_text("")  # a stale socket path: refused
    out = status.collect(root=str(tmp_path), uve=lambda h, p, t: None,
                         service=lambda n: (0, f"{n} stop/waiting\n"))
    assert out == "== Contrail Control ==\nsupervisor-control:           inactive (disabled on boot)\n"


@pytest.mark.parametrize("printed, state", [
    ("supervisor-config start/running, process 1234\n", "active"),          # upstart (14.04)
    ("supervisor-config stop/waiting\n", "inactive"),
    ("* supervisor-config.service - supervisor-config\n   Active: active (running) since x\n", "active"),
    ("* supervisor-config.service\n   Active: inactive (dead)\n", "inactive"),  # systemd
    ("", "inactive"),
])
def test_supervisor_line_is_running_in_service_status(printed, state):
    assert status.running_in(printed) == state


def test_upstart_start_on_means_enabled_on_boot(tmp_path):
    (tmp_path / "etc/init").mkdir(parents=True)
    (tmp_path / "etc/init/supervisor-config.conf").write_text("description \"x\"\nstart on runlevel [2345]\n")
    (tmp_path / "etc/init/supervisor-control.conf").write_text("description \"x\"\n")
    assert status.job_installed("supervisor-config", str(tmp_path))
    assert status.boot_status("supervisor-config", str(tmp_path)) == ""
    assert status.boot_status("supervisor-control", str(tmp_path)) == " (disabled on boot)"
    assert not status.job_installed("supervisor-webui", str(tmp_path))


def test_database_node_sections_as_the_real_script_prints_them():
    db = status.Section("== Contrail Supervisor Database ==", "supervisor-database", "active", "",
                        (("contrail-database-nodemgr", "active"), ("kafka", "active")))
    initd = status.Section(status.DATABASE_TITLE, "contrail-database", "active", "", (), tail=status.INITD)
    assert status.render([initd, db]) == (
        "== Contrail Database ==\n"
        "contrail-database:            active\n"
        "\n"
        "== Contrail Supervisor Database ==\n"
        "supervisor-database:          active\n"
        "contrail-database-nodemgr     active              \n"
        "kafka                         active              \n"
        "\n")


def test_lab_database_line_follows_its_supervised_cassandra(tmp_path):
    db = status.Section("== Contrail Supervisor Database ==", "supervisor-database", "active", "",
                        (("contrail-database", "failed"), ("contrail-database-nodemgr", "active")))
    line = status._database_initd_section(str(tmp_path), db, UPSTART_RUNNING)
    assert (line.supervisor, line.supervisor_state, line.tail) == ("contrail-database", "inactive", status.INITD)


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
    out = status.collect(root=str(vrouter_node), uve=lambda h, p, t: ("Functional", ""), detail=True,
                         service=UPSTART_RUNNING)
    agent = next(line for line in out.splitlines() if line.startswith("contrail-vrouter-agent"))
    assert agent.startswith("contrail-vrouter-agent        active              pid ")
    assert "uptime" in agent and len(agent) >= 90
