"""checks.contrail_status on the real samples and their real-world variants."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.contrail_status import ServiceLine, parse, parse_supervisorctl
from checks.evidence import ParseError

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode()


def names_states(lines) -> list[tuple[str, str]]:
    return [(s.name, s.state) for s in lines]


def test_compute_sample() -> None:
    report = parse(sample("contrail-status.compute.txt"))
    assert [s.title for s in report.sections] == ["Contrail vRouter"]
    assert names_states(report.services) == [
        ("supervisor-vrouter", "active"),
        ("contrail-vrouter-agent", "active"),
        ("contrail-vrouter-nodemgr", "active"),
    ]
    assert report.services[0].is_supervisor
    assert not any(s.is_supervisor for s in report.services[1:])
    assert report.unhealthy() == []
    assert report.runtime_failures == ()
    assert not report.vrouter_not_present
    assert report.unparsed == ()


def test_config_node_sample() -> None:
    report = parse(sample("contrail-status.config-node.txt"))
    assert [s.title for s in report.sections] == ["Contrail Config", "Contrail Config Database"]
    config = report.section("Config")
    assert config is not None and config.supervisor is not None
    assert config.supervisor.name == "supervisor-config"
    assert names_states(config.services) == [
        ("supervisor-config", "active"),
        ("contrail-api:0", "active"),
        ("contrail-config-nodemgr", "active"),
        ("contrail-device-manager", "backup"),
        ("contrail-discovery:0", "active"),
        ("contrail-schema", "active"),
        ("contrail-svc-monitor", "initializing"),
        ("ifmap", "active"),
    ]
    monitor = report.service("contrail-svc-monitor")
    assert monitor == ServiceLine(
        name="contrail-svc-monitor",
        state="initializing",
        description="Collector connection down",
        section="Contrail Config",
    )
    assert report.unhealthy() == [monitor]
    assert len(report.section("contrail config database").services) == 3


def test_service_lookup_by_base_name_and_exact_name() -> None:
    report = parse(sample("contrail-status.config-node.txt"))
    assert report.service("contrail-api").name == "contrail-api:0"
    assert report.service("contrail-api:0").base_name == "contrail-api"
    assert report.service("contrail-control") is None
    assert [s.name for s in report.find("contrail-discovery")] == ["contrail-discovery:0"]


def test_unhealthy_allowed_and_ignore() -> None:
    report = parse(sample("contrail-status.config-node.txt"))
    assert [s.name for s in report.unhealthy(allowed={"active"})] == [
        "contrail-device-manager",
        "contrail-svc-monitor",
    ]
    assert report.unhealthy(ignore=["contrail-svc-monitor"]) == []


def test_vrouter_not_present_backoff_timeout_and_core_files() -> None:
    report = parse(sample("contrail-status.compute-not-present.txt"))
    assert report.vrouter_not_present
    assert not report.vrouter_present
    assert names_states(report.services) == [
        ("supervisor-vrouter", "active"),
        ("contrail-vrouter-agent", "BACKOFF"),
        ("contrail-vrouter-nodemgr", "timeout"),
    ]
    assert report.runtime_failures == ("/var/crashes/core.contrail-vrouter.1480.compute2.1479811052",)
    assert [s.render() for s in report.unhealthy()] == [
        "contrail-vrouter-agent=BACKOFF",
        "contrail-vrouter-nodemgr=timeout",
    ]


def test_full_controller_every_section() -> None:
    report = parse(sample("contrail-status.controller-full.txt"))
    assert [s.title for s in report.sections] == [
        "Contrail Control",
        "Contrail Analytics",
        "Contrail Config",
        "Contrail Web UI",
        "Contrail Database",
        "Contrail Support Services",
    ]
    assert [len(s.services) for s in report.sections] == [5, 8, 8, 3, 1, 2]
    webui = report.service("supervisor-webui")
    assert webui.state == "active" and webui.disabled_on_boot and webui.is_supervisor
    assert webui.description == ""
    database = report.service("contrail-database")
    assert database.state == "active" and not database.is_supervisor and not database.disabled_on_boot
    schema = report.service("contrail-schema")
    assert (schema.state, schema.description) == ("initializing", "Database:Cassandra[] connection down")
    assert report.section("Support Services").services[1].name == "rabbitmq-server"
    assert [s.name for s in report.unhealthy()] == ["contrail-schema"]
    assert report.runtime_failures == () and report.unparsed == ()


def test_crlf_gives_the_same_report() -> None:
    crlf = sample("contrail-status.controller-full.crlf.txt")
    assert "\r\n" in crlf
    assert parse(crlf) == parse(sample("contrail-status.controller-full.txt"))


def test_detail_column_failed_and_raw_states() -> None:
    report = parse(sample("contrail-status.config-detail.txt"))
    api = report.service("contrail-api")
    assert (api.state, api.description, api.detail) == ("active", "", "pid 2741, uptime 2 days, 3:04:05")
    dm = report.service("contrail-device-manager")
    assert (dm.state, dm.detail) == ("failed", "Exited too quickly (process log may have details)")
    schema = report.service("contrail-schema")
    assert schema.state == "active"
    assert schema.description == "Number of connections:4, Expected:5 Missing: IFMap:IFMapServer"
    assert schema.detail == "pid 2738, uptime 0:00:12"
    assert report.service("contrail-svc-monitor").state == "failed"  # EXITED is mapped to failed
    assert report.service("ifmap").detail == "Not started"
    assert [s.name for s in report.unhealthy()] == ["contrail-device-manager", "contrail-svc-monitor", "ifmap"]


def test_supervisor_socket_error_is_kept_unparsed() -> None:
    report = parse(sample("contrail-status.supervisor-down.txt"))
    assert report.unparsed == ("unix:///var/run/supervisord_config.sockno",)
    assert names_states(report.section("Config").services) == [("supervisor-config", "inactive")]
    assert report.section("Config Database").title == "Contrail Config Database"
    db = report.section("Config Database").services
    assert names_states(db) == [("contrail-database", "active")] and not db[0].is_supervisor
    assert [s.name for s in report.unhealthy()] == ["supervisor-config"]


# Shapes built from contrail-controller R3.2 src/config/utils/contrail-status.py: check_svc
# prints '%-30s%s%s' % (name + ':', state, boot); check_svc_status prints supervisorctl's lines
# through '{0:<30}{1:<20}' after its state replacements; supervisor_status('database') prints
# the init.d contrail-database line, a blank line, then `== Contrail Supervisor Database ==`.
DATABASE_NODE = (
    "== Contrail Database ==\n"
    + "%-30s%s%s\n" % ("contrail-database:", "active", "")
    + "\n"
    + "== Contrail Supervisor Database ==\n"
    + "%-30s%s%s\n" % ("supervisor-database:", "active", "")
    + "{0:<30}{1:<20}\n".format("contrail-database-nodemgr", "active")
    + "{0:<30}{1:<20}\n".format("kafka", "BACKOFF")
    + "\n"
)


def test_database_node_sections() -> None:
    report = parse(DATABASE_NODE)
    assert [s.title for s in report.sections] == ["Contrail Database", "Contrail Supervisor Database"]
    assert names_states(report.section("Database").services) == [("contrail-database", "active")]
    sup = report.section("Supervisor Database")
    assert sup.supervisor.name == "supervisor-database"
    assert [s.name for s in report.unhealthy()] == ["kafka"]  # BACKOFF is not mapped by the script


def test_refused_supervisord_prints_only_the_supervisor_line() -> None:
    # supervisorctl said '... refused connection': check_svc_status prints nothing, not even a blank.
    text = ("== Contrail Control ==\n" + "%-30s%s%s\n" % ("supervisor-control:", "inactive", "")
            + "== Contrail Analytics ==\n" + "%-30s%s%s\n" % ("supervisor-analytics:", "active", "")
            + "{0:<30}{1:<20}\n".format("contrail-collector", "active") + "\n")
    report = parse(text)
    assert names_states(report.section("Control").services) == [("supervisor-control", "inactive")]
    assert report.service("contrail-collector").section == "Contrail Analytics"
    assert [s.name for s in report.unhealthy()] == ["supervisor-control"]


@pytest.mark.parametrize("supervisorctl_state, shown", [
    ("RUNNING", "active"), ("STARTING", "initializing"), ("STOPPED", "inactive"), ("FATAL", "failed"),
    ("STOPPING", "failed"), ("EXITED", "failed"), ("UNKNOWN", "failed"), ("BACKOFF", "BACKOFF"),
])
def test_states_as_the_script_maps_supervisorctl(supervisorctl_state, shown) -> None:
    # supervisorctl 3.0b2 prints '%(name)-32s %(state)-10s %(desc)s'; the script replaces
    # '   RUNNING' by 'active' etc., then splits the line and prints '{0:<30}{1:<20}'.
    line = "%-32s %-10s %s" % ("contrail-control", supervisorctl_state, "pid 1, uptime 0:01:00")
    for raw, mapped in (("   STARTING", "initializing"), ("   RUNNING", "active"), ("   STOPPED", "inactive"),
                        ("   FATAL", "failed"), ("   STOPPING", "failed"), ("   EXITED", "failed"),
                        ("   UNKNOWN", "failed")):
        line = line.replace(raw, mapped)
    words = line.split()
    text = "== Contrail Control ==\n" + "{0:<30}{1:<20}\n".format(words[0], words[1])
    assert parse(text).service("contrail-control").state == shown


def test_tolerates_unknown_sections_blank_lines_and_trailing_spaces() -> None:
    text = (
        "\n\n   \n== Contrail Storage ==   \n"
        "contrail-storage-stats:       active   \n\n\n"
        "==Contrail Kubernetes==\n"
        "contrail-kube-manager         STARTING            \n"
    )
    report = parse(text)
    assert [s.title for s in report.sections] == ["Contrail Storage", "Contrail Kubernetes"]
    assert names_states(report.services) == [
        ("contrail-storage-stats", "active"),
        ("contrail-kube-manager", "STARTING"),
    ]
    assert report.services[0].is_supervisor is False


def test_vrouter_present_line_on_a_controller() -> None:
    report = parse("vRouter is PRESENT\n\n== Contrail Control ==\nsupervisor-control:           active\n")
    assert report.vrouter_present and not report.vrouter_not_present


def test_runtime_failures_after_sections_end_the_last_section() -> None:
    text = (
        "== Contrail Control ==\ncontrail-control              active              \n\n"
        "========Run time service failures=============\n"
        "/var/crashes/core.contrail-control.1.a\n/var/crashes/core.contrail-dns.2.b\n"
    )
    report = parse(text)
    assert len(report.services) == 1
    assert report.runtime_failures == (
        "/var/crashes/core.contrail-control.1.a",
        "/var/crashes/core.contrail-dns.2.b",
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty text"),
        ("   \n\r\n", "empty text"),
        ("bash: contrail-status: command not found\n", "command not found"),
    ],
)
def test_not_contrail_status_output_raises(text: str, needle: str) -> None:
    with pytest.raises(ParseError, match="expected contrail-status output") as info:
        parse(text)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_supervisorctl_running() -> None:
    status = parse_supervisorctl(sample("supervisorctl.system.txt"))
    assert [(p.name, p.state, p.detail) for p in status.programs] == [
        ("contrail-issu:0", "RUNNING", "pid 2211, uptime 0:14:03")
    ]
    assert status.program("contrail-issu").name == "contrail-issu:0"
    assert status.unparsed == ()


def test_supervisorctl_backoff_and_down() -> None:
    status = parse_supervisorctl(sample("supervisorctl.system.backoff.txt"))
    assert [(p.base_name, p.state) for p in status.programs] == [
        ("contrail-issu", "BACKOFF"),
        ("some-other", "STOPPED"),
    ]
    down = parse_supervisorctl(sample("supervisorctl.system.down.txt"))
    assert down.programs == ()
    assert down.unparsed == ("unix:///var/run/supervisor.sock no such file",)
    assert down.program("contrail-issu") is None
