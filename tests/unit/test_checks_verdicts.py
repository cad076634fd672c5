"""checks.verdicts: every check passing and failing, with its exact message."""
from __future__ import annotations

from pathlib import Path

from checks import contrail_status, discovery, introspect, versions
from checks.verdicts import (
    agent_on_controls,
    bgp_established,
    discovery_publishes,
    exactly_one_active,
    ini_value,
    node_functional,
    prefixes_differ,
    program_running,
    status_healthy,
    version_installed,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def status(name: str) -> contrail_status.StatusReport:
    return contrail_status.parse(sample(name))


# --- status_healthy -------------------------------------------------------------------

def test_status_healthy_passes() -> None:
    result = status_healthy(status("contrail-status.compute.txt"), "compute1")
    assert result.ok
    assert result.message() == (
        "[compute1] contrail-status: expected every service active/backup, found 3 services active/backup"
    )
    assert result.evidence["services"]["contrail-vrouter-agent"] == "contrail-vrouter-agent=active"


def test_status_healthy_fails_on_initializing() -> None:
    result = status_healthy(status("contrail-status.config-node.txt"), "ctl-old-1")
    assert not result.ok
    assert result.message() == (
        "[ctl-old-1] contrail-status: expected every service active/backup, "
        "found contrail-svc-monitor=initializing (Collector connection down)"
    )


def test_status_healthy_ignore_and_allowed() -> None:
    report = status("contrail-status.config-node.txt")
    assert status_healthy(report, "ctl-old-1", ignore=["contrail-svc-monitor"]).ok
    strict = status_healthy(report, "ctl-old-1", allowed_states={"active"}, ignore=["contrail-svc-monitor"])
    assert strict.message() == (
        "[ctl-old-1] contrail-status: expected every service active, found contrail-device-manager=backup"
    )


def test_status_healthy_vrouter_not_present_and_core_files() -> None:
    report = status("contrail-status.compute-not-present.txt")
    result = status_healthy(report, "compute2", fail_on_core_files=True)
    assert result.message() == (
        "[compute2] contrail-status: expected every service active/backup, found "
        "contrail-vrouter-agent=BACKOFF; contrail-vrouter-nodemgr=timeout; vRouter is NOT PRESENT; "
        "core files /var/crashes/core.contrail-vrouter.1480.compute2.1479811052"
    )


def test_status_healthy_core_files_reported_but_not_failing_by_default() -> None:
    text = sample("contrail-status.compute.txt") + "========Run time service failures=============\n/var/crashes/core.x\n"
    result = status_healthy(contrail_status.parse(text), "compute1")
    assert result.ok
    assert result.found == "3 services active/backup (core files present: /var/crashes/core.x)"


def test_status_healthy_fails_on_empty_section() -> None:
    report = contrail_status.parse("== Contrail vRouter ==\n")
    result = status_healthy(report, "compute3")
    assert not result.ok
    assert result.found == "no services listed"


# --- exactly_one_active -----------------------------------------------------------------

def _config(schema: str, monitor: str, device_manager: str) -> contrail_status.StatusReport:
    text = (
        "== Contrail Config ==\n"
        "supervisor-config:            active\n"
        f"contrail-device-manager       {device_manager}\n"
        f"contrail-schema               {schema}\n"
        f"contrail-svc-monitor          {monitor}\n"
    )
    return contrail_status.parse(text)


def test_exactly_one_active_passes() -> None:
    reports = {
        "ctl-new-1": _config("active", "backup", "backup"),
        "ctl-new-2": _config("backup", "active", "active"),
    }
    result = exactly_one_active(reports)
    assert result.ok
    assert result.message() == (
        "[ctl-new-1,ctl-new-2] singleton services: expected exactly one active contrail-schema, "
        "contrail-svc-monitor, contrail-device-manager, found contrail-schema on ctl-new-1, "
        "contrail-svc-monitor on ctl-new-2, contrail-device-manager on ctl-new-2"
    )


def test_exactly_one_active_fails_on_two_or_none() -> None:
    reports = {
        "ctl-new-1": _config("active", "backup", "backup"),
        "ctl-new-2": _config("active", "active", "backup"),
    }
    result = exactly_one_active(reports, host="new cluster")
    assert not result.ok
    assert result.message() == (
        "[new cluster] singleton services: expected exactly one active contrail-schema, "
        "contrail-svc-monitor, contrail-device-manager, found contrail-schema: ctl-new-1=active, "
        "ctl-new-2=active; contrail-device-manager: ctl-new-1=backup, ctl-new-2=backup"
    )


def test_exactly_one_active_counts_absent_services() -> None:
    reports = {"ctl-old-1": status("contrail-status.compute.txt")}
    result = exactly_one_active(reports, services=["contrail-schema"])
    assert result.message() == (
        "[ctl-old-1] singleton services: expected exactly one active contrail-schema, "
        "found contrail-schema: ctl-old-1=absent"
    )
    assert not exactly_one_active({}).ok


# --- bgp_established --------------------------------------------------------------------

def test_bgp_established_passes_and_fails() -> None:
    peers = introspect.parse_bgp_neighbors(sample("control.Snh_BgpNeighborReq.xml")).peers
    good = bgp_established(peers, "ctl-old-1", {"127.18.1.21"})
    assert good.ok
    assert good.message() == "[ctl-old-1] BGP peers: expected Established to {127.18.1.21}, found 127.18.1.21=Established"
    bad = bgp_established(peers, "ctl-old-1", {"127.18.1.21", "127.18.1.22"})
    assert not bad.ok
    assert bad.message() == (
        "[ctl-old-1] BGP peers: expected Established to {127.18.1.21, 127.18.1.22}, "
        "found 127.18.1.21=Established, 127.18.1.22=absent"
    )


def test_bgp_established_xmpp_encoding() -> None:
    peers = introspect.parse_bgp_neighbors(sample("control.Snh_BgpNeighborReq.xml")).peers
    result = bgp_established(peers, "ctl-new-1", {"127.18.2.1", "127.18.2.2"}, encoding="XMPP")
    assert result.message() == (
        "[ctl-new-1] XMPP peers: expected Established to {127.18.2.1, 127.18.2.2}, "
        "found 127.18.2.1=Established, 127.18.2.2=OpenConfirm"
    )
    # A BGP peer does not count as an XMPP one.
    assert not bgp_established(peers, "ctl-new-1", {"127.18.1.21"}, encoding="XMPP").ok


def test_bgp_established_needs_an_expectation() -> None:
    result = bgp_established([], "ctl-new-1", set())
    assert not result.ok
    assert result.found == "no expected peers given"


# --- agent_on_controls ------------------------------------------------------------------

def test_agent_on_controls_fails_on_old_control() -> None:
    sessions = introspect.parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.xml"))
    result = agent_on_controls(sessions, "compute2", {"127.18.1.21"}, label="new controls")
    assert not result.ok
    assert result.message() == (
        "[compute2] agent XMPP sessions: expected Established to new controls {127.18.1.21}, "
        "found 127.18.0.21=Established"
    )


def test_agent_on_controls_passes_and_forbidden() -> None:
    sessions = introspect.parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.xml"))
    good = agent_on_controls(sessions, "compute1", {"127.18.0.21"}, {"127.18.1.21"})
    assert good.ok
    assert good.message() == (
        "[compute1] agent XMPP sessions: expected Established to controls {127.18.0.21}, "
        "none to {127.18.1.21}, found 127.18.0.21=Established"
    )
    two = introspect.parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.two-controllers.xml"))
    forbidden = agent_on_controls(two, "compute1", {"127.18.1.21"}, {"127.18.1.22"})
    assert not forbidden.ok
    assert forbidden.found == "127.18.1.21=Established, 127.18.1.22=Down"


def test_agent_on_controls_down_and_too_many() -> None:
    two = introspect.parse_agent_xmpp(sample("agent.Snh_AgentXmppConnectionStatusReq.two-controllers.xml"))
    down = agent_on_controls(two, "compute3", {"127.18.1.21", "127.18.1.22"})
    assert down.message() == (
        "[compute3] agent XMPP sessions: expected Established to controls {127.18.1.21, 127.18.1.22}, "
        "found 127.18.1.21=Established, 127.18.1.22=Down"
    )
    extra = introspect.XmppSession("127.18.1.23", "Established", "", False, False, 0, "")
    up = [two[0], extra, introspect.XmppSession("127.18.1.22", "Established", "", False, False, 0, "")]
    too_many = agent_on_controls(up, "compute3", {"127.18.1.21"})
    assert not too_many.ok
    assert too_many.found == (
        "127.18.1.21=Established, 127.18.1.22=Established, 127.18.1.23=Established (3 sessions, at most 2)"
    )


def test_agent_on_controls_no_sessions() -> None:
    result = agent_on_controls([], "compute1", {"127.18.1.21"})
    assert not result.ok
    assert result.found == "no XMPP sessions"


# --- ini_value --------------------------------------------------------------------------

AGENT_CONF = "/etc/contrail/contrail-vrouter-agent.conf"


def test_ini_value_passes_and_fails() -> None:
    text = sample("contrail-vrouter-agent.conf")
    good = ini_value(text, "DISCOVERY", "server", "127.18.0.21", "compute1", AGENT_CONF)
    assert good.ok
    assert good.message() == (
        "[compute1] /etc/contrail/contrail-vrouter-agent.conf [DISCOVERY] server: "
        "expected '127.18.0.21', found '127.18.0.21'"
    )
    bad = ini_value(text, "DISCOVERY", "server", "127.18.1.21", "compute1", AGENT_CONF)
    assert not bad.ok
    assert bad.message() == (
        "[compute1] /etc/contrail/contrail-vrouter-agent.conf [DISCOVERY] server: "
        "expected '127.18.1.21', found '127.18.0.21'"
    )


def test_ini_value_absent_key_and_section() -> None:
    ini_path = "/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini"
    prepared = sample("contrail-vrouter-agent.issu-prepared.ini")
    gone = ini_value(prepared, "program:contrail-vrouter-agent", "autostart", None, "compute1", ini_path)
    assert gone.ok
    assert gone.found == "absent" and gone.expected == "absent"
    still = ini_value(sample("contrail-vrouter-agent.ini"), "program:contrail-vrouter-agent", "autostart",
                      None, "compute1", ini_path)
    assert still.message() == (
        "[compute1] /etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini "
        "[program:contrail-vrouter-agent] autostart: expected absent, found 'true'"
    )
    no_section = ini_value(prepared, "DISCOVERY", "server", "127.18.1.21", "compute1", ini_path)
    assert not no_section.ok
    assert no_section.found == "no section [DISCOVERY]"


def test_ini_value_quoted_and_unreadable() -> None:
    text = sample("supervisord_config.issu.conf")
    files = ("/etc/contrail/supervisord_config_files/contrail-api.ini "
             "/etc/contrail/supervisord_config_files/contrail-discovery.ini "
             "/etc/contrail/supervisord_config_files/ifmap.ini")
    assert ini_value(text, "include", "files", files, "ctl-old-1", "/etc/contrail/supervisord_config.conf").ok
    raw = ini_value(text, "include", "files", files, "ctl-old-1", "x.conf", unquote=False)
    assert not raw.ok
    broken = ini_value("[oops\n", "include", "files", files, "ctl-old-1", "x.conf")
    assert not broken.ok
    assert broken.found.startswith("unreadable file: expected INI text")


# --- prefixes_differ --------------------------------------------------------------------

def test_prefixes_differ() -> None:
    good = prefixes_differ("v1", "v2", "cluster_id", host="clusters")
    assert good.ok
    assert good.message() == (
        "[clusters] cluster_id: expected different values for old and new, found old='v1', new='v2'"
    )
    same = prefixes_differ("v1", "v1", "rabbit_vhost")
    assert not same.ok
    assert same.message() == (
        "rabbit_vhost: expected different values for old and new, found old='v1', new='v1'"
    )
    assert prefixes_differ("", "v2", "kafka_prefix").ok  # '' is 3.2's default prefix
    assert not prefixes_differ("", "", "kafka_prefix").ok


# --- version_installed ------------------------------------------------------------------

def test_version_installed() -> None:
    packages = versions.parse_dpkg_query(sample("dpkg-query.compute.txt"))
    good = version_installed(packages, "contrail-vrouter-agent", "3.2.3.0-38", "compute1")
    assert good.ok
    assert good.message() == (
        "[compute1] package contrail-vrouter-agent: expected 3.2.3.0-38 installed, found 3.2.3.0-38"
    )
    wrong = version_installed(packages, "contrail-vrouter-agent", "4.0.0.0-3054", "compute1")
    assert wrong.message() == (
        "[compute1] package contrail-vrouter-agent: expected 4.0.0.0-3054 installed, found 3.2.3.0-38"
    )
    removed = version_installed(packages, "contrail-vrouter-utils", "3.2.3.0-38", "compute1")
    assert removed.found == "no version (rc, not installed)"
    half = version_installed(packages, "contrail-lib", "3.2.10.0-1", "compute1")
    assert not half.ok and half.found == "3.2.10.0-1 (iU, not installed)"
    unknown = version_installed(packages, "nope", "1", "compute1")
    assert not unknown.ok and unknown.found == "not known to dpkg"


# --- node_functional --------------------------------------------------------------------

def test_node_functional() -> None:
    good = node_functional(
        introspect.parse_node_status(sample("control.Snh_SandeshUVECacheReq.NodeStatus.xml")),
        "ctl-new-1", "contrail-control")
    assert good.ok
    assert good.message() == (
        "[ctl-new-1] contrail-control NodeStatus: expected Functional, all connections Up, found Functional"
    )
    bad = node_functional(
        introspect.parse_node_status(sample("schema.Snh_SandeshUVECacheReq.NodeStatus.nonfunctional.xml")),
        "ctl-new-1", "contrail-schema")
    assert bad.message() == (
        "[ctl-new-1] contrail-schema NodeStatus: expected Functional, all connections Up, found "
        "Non-Functional (Database:Cassandra[] connection down); down: Database:Cassandra=Down, "
        "Zookeeper:Zookeeper=Initializing"
    )


# --- discovery_publishes ----------------------------------------------------------------

def test_discovery_publishes() -> None:
    services = discovery.parse_services(sample("discovery.services.issu.json"))
    good = discovery_publishes(services, "ctl-new-1", "xmpp-server", {"127.18.1.21"})
    assert good.ok
    assert good.message() == (
        "[ctl-new-1] discovery xmpp-server publishers: expected up at {127.18.1.21}, found 127.18.1.21=up/admin up"
    )
    bad = discovery_publishes(services, "ctl-new-1", "xmpp-server", {"127.18.1.21", "127.18.1.22", "127.18.1.23"})
    assert bad.message() == (
        "[ctl-new-1] discovery xmpp-server publishers: expected up at {127.18.1.21, 127.18.1.22, 127.18.1.23}, "
        "found 127.18.1.21=up/admin up, 127.18.1.22=down/admin up, 127.18.1.23=absent"
    )
    admin_down = discovery_publishes(services, "ctl-new-1", "IfmapServer", {"127.18.1.21"})
    assert not admin_down.ok and admin_down.found == "127.18.1.21=up/admin down"


# --- program_running --------------------------------------------------------------------

def test_program_running() -> None:
    running = program_running(
        contrail_status.parse_supervisorctl(sample("supervisorctl.system.txt")), "ctl-new-1", "contrail-issu")
    assert running.ok
    assert running.message() == (
        "[ctl-new-1] supervisor program contrail-issu: expected RUNNING, found contrail-issu:0=RUNNING"
    )
    backoff = program_running(
        contrail_status.parse_supervisorctl(sample("supervisorctl.system.backoff.txt")), "ctl-new-1", "contrail-issu")
    assert backoff.message() == (
        "[ctl-new-1] supervisor program contrail-issu: expected RUNNING, found contrail-issu:0=BACKOFF"
    )
    down = program_running(
        contrail_status.parse_supervisorctl(sample("supervisorctl.system.down.txt")), "ctl-new-1", "contrail-issu")
    assert down.message() == (
        "[ctl-new-1] supervisor program contrail-issu: expected RUNNING, found not listed "
        "(unix:///var/run/supervisor.sock no such file)"
    )


def test_ini_value_never_shows_secrets() -> None:
    text = "[DEFAULTS]\nadmin_password = s3cr3t\nnew_api_info = {'127.18.1.21': ['admin', 's3cr3t']}\nuser = admin\n"
    same = ini_value(text, "DEFAULTS", "admin_password", "s3cr3t", "ctl-new-1", "/etc/contrail/contrail-issu.conf")
    assert same.ok
    assert same.message() == (
        "[ctl-new-1] /etc/contrail/contrail-issu.conf [DEFAULTS] admin_password: "
        "expected <redacted>, found <redacted>"
    )
    other = ini_value(text, "DEFAULTS", "new_api_info", "{}", "ctl-new-1", "c.conf")
    assert not other.ok
    assert other.found == "<redacted> (a different value)"
    forced = ini_value(text, "DEFAULTS", "user", "root", "ctl-new-1", "c.conf", secret=True)
    assert forced.found == "<redacted> (a different value)"
    for result in (same, other, forced):
        assert "s3cr3t" not in repr(result.as_dict())
        assert "admin'" not in result.message()
