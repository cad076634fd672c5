"""contrail-status for the lab nodes: the real 3.2 output, derived from live state.

Source: Juniper/contrail-controller R3.2 src/config/utils/contrail-status.py (the same in
R3.2.3.x ... R3.2.17.x). For each role (here: an /etc/contrail/supervisord_<role>.conf;
the real script asks dpkg for the role's package), in the real order vRouter, Control,
Analytics, Config, Web UI, Database, Support Services:

    == Contrail Control ==
    supervisor-control:           active                 '%-30s%s%s' % (name + ':', state, boot)
    contrail-control              active                 '{0:<30}{1:<20}'.format(name, status)
    ...
    <blank line>

The supervisor line (check_svc): `active` if `service supervisor-<role> status` prints
the word `running` (upstart `start/running`, systemd `Active: active (running)`), else
`inactive`; ' (disabled on boot)' unless the job starts at boot (an /etc/rc*.d/S* link,
or an upstart /etc/init/<job>.conf with a `start on` stanza: the lab's stand-in for
`initctl show-config`); a job that is not installed is `inactive (disabled on boot)`.
Program lines are `supervisorctl -s unix:///var/run/supervisord_<role>.sock status`
(/tmp/ if that socket exists) with RUNNING -> active, STARTING -> initializing,
STOPPED -> inactive, FATAL/EXITED/STOPPING/UNKNOWN -> failed, anything else (BACKOFF)
raw. Here they come from the same supervisord over XML-RPC. When that supervisord is
down the real script prints what supervisorctl said: a missing socket gives the line
`unix:///var/run/supervisord_<role>.sock no` (supervisorctl's `... no such file`, cut
to two words), a refused connection prints nothing at all (not even the blank line).
A running program that implements NodeStatus (NodeUVEImplementedServices, also after
cutting `-<x>` or `:<n>`) is asked for it on its introspect port (http_server_port in
its conf, else ServiceHttpPortMap):
  Non-Functional            -> initializing
  Functional                -> active
  connection refused        -> backup for schema/svc-monitor/device-manager
                               (BackupImplementedServices: a non-elected instance has
                               no introspect port yet), else initializing
  timeout                   -> timeout
  no NodeStatus / no port   -> initializing
and its description, when not empty, is appended as ' (<description>)'.
A database node prints `== Contrail Database ==` with the init.d service line
`contrail-database:` and a blank line, then `== Contrail Supervisor Database ==` with
supervisor-database. (The lab runs its Cassandra stand-in as the supervisord program
contrail-database, not as an init.d service: without /etc/init.d/contrail-database the
line's state is that program's.) A compute without the vrouter kernel module prints
'vRouter is NOT PRESENT'; core files in /var/crashes end the output with the run-time
failures block. The exit code is always 0.
"""
from __future__ import annotations

import configparser
import glob
import http.client
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import xmlrpc.client
from dataclasses import dataclass
from typing import Callable, Sequence

# Section order and titles of the real script.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("vrouter", "== Contrail vRouter =="),
    ("control", "== Contrail Control =="),
    ("analytics", "== Contrail Analytics =="),
    ("config", "== Contrail Config =="),
    ("webui", "== Contrail Web UI =="),
    ("database", "== Contrail Supervisor Database =="),
    ("support-service", "== Contrail Support Services =="),
)
DATABASE_TITLE = "== Contrail Database =="          # the init.d contrail-database line
CONFIG_DATABASE_TITLE = "== Contrail Config Database=="  # sic; only with contrail-database-common
DATABASE_INITD = "contrail-database"
NOT_PRESENT = "vRouter is NOT PRESENT"
PRESENT = "vRouter is PRESENT"
CRASH_TITLE = "========Run time service failures============="

SUPERVISOR_STATES = {
    "STARTING": "initializing",
    "RUNNING": "active",
    "STOPPED": "inactive",
    "FATAL": "failed",
    "STOPPING": "failed",
    "EXITED": "failed",
    "UNKNOWN": "failed",
}

# sandesh_common.vns constants (3.x): which programs have a NodeStatus and on which port.
SERVICE_HTTP_PORTS = {
    "contrail-vrouter-agent": 8085, "contrail-control": 8083, "contrail-collector": 8089,
    "contrail-query-engine": 8091, "contrail-analytics-api": 8090, "contrail-dns": 8092,
    "contrail-api": 8084, "contrail-api:0": 8084, "contrail-schema": 8087,
    "contrail-svc-monitor": 8088, "contrail-device-manager": 8096,
    "contrail-config-nodemgr": 8100, "contrail-analytics-nodemgr": 8104,
    "contrail-vrouter-nodemgr": 8102, "contrail-control-nodemgr": 8101,
    "contrail-database-nodemgr": 8103, "contrail-alarm-gen": 5995, "contrail-alarm-gen:0": 5995,
    "contrail-snmp-collector": 5920, "contrail-topology": 5921,
    "contrail-discovery": 5997, "contrail-discovery:0": 5997,
}
NODE_UVE_SERVICES = frozenset({
    "contrail-tor-agent", "contrail-vrouter-agent", "contrail-control", "contrail-collector",
    "contrail-query-engine", "contrail-analytics-api", "contrail-api", "contrail-api:0",
    "contrail-schema", "contrail-svc-monitor", "contrail-device-manager", "contrail-alarm-gen",
    "contrail-alarm-gen:0", "contrail-snmp-collector", "contrail-database-nodemgr",
    "contrail-config-nodemgr", "contrail-analytics-nodemgr", "contrail-vrouter-nodemgr",
    "contrail-control-nodemgr", "contrail-topology", "contrail-discovery", "contrail-discovery:0",
})
BACKUP_SERVICES = frozenset({"contrail-schema", "contrail-svc-monitor", "contrail-device-manager"})
DEFAULT_CONF_FILES = {
    "contrail-api:0": "contrail-api.conf", "contrail-discovery:0": "contrail-discovery.conf",
    "contrail-alarm-gen:0": "contrail-alarm-gen.conf", "contrail-dns": "dns.conf",
}

CONNECTION_ERROR = "connection-error"
CONNECTION_TIMEOUT = "connection-timeout"


# -- pure formatting ---------------------------------------------------------------

def supervisor_line(name: str, state: str, boot: str = "") -> str:
    return "%-30s%s%s" % (name + ":", state, boot)


def service_line(name: str, status: str) -> str:
    return "{0:<30}{1:<20}".format(name, status)


def map_supervisor_state(statename: str) -> str:
    return SUPERVISOR_STATES.get(statename, statename)


def has_node_status(name: str) -> bool:
    return (name in NODE_UVE_SERVICES or name.rsplit("-", 1)[0] in NODE_UVE_SERVICES
            or name.rsplit(":", 1)[0] in NODE_UVE_SERVICES)


def running_in(service_status_output: str) -> str:
    """check_svc's rule for a supervisor job: 'running' anywhere in `service X status`."""
    return "active" if "running" in service_status_output else "inactive"


UveResult = tuple[str, str] | str | None  # (state, description) | CONNECTION_* | None (not found)


def apply_uve(name: str, status: str, uve: UveResult) -> str:
    """The status word after asking the program's NodeStatus (check_svc_status's rules)."""
    if status != "active" or not has_node_status(name):
        return status
    description = ""
    if uve is None:
        return "initializing"
    if uve == CONNECTION_ERROR:
        status = "backup" if name in BACKUP_SERVICES else "initializing"
    elif uve == CONNECTION_TIMEOUT:
        status = "timeout"
    else:
        state, description = uve  # type: ignore[misc]
        if state == "Non-Functional":
            status = "initializing"
    if description:
        status = f"{status} ({description})"
    return status


@dataclass(frozen=True)
class Program:
    name: str       # as supervisorctl shows it: 'contrail-api:0' or 'contrail-control'
    statename: str  # RUNNING, STOPPED, ...
    description: str = ""  # supervisor's detail: 'pid 123, uptime 0:01:02'


# What followed the supervisor line (Section.tail).
LISTED = "listed"            # supervisorctl answered: program lines, blank line
NO_SUCH_FILE = "no such file"  # socket missing: 'unix://<sock> no' line, blank line
REFUSED = "refused connection"  # socket refuses: nothing more
INITD = "initd"              # an init.d service line only, then a blank line


@dataclass(frozen=True)
class Section:
    title: str
    supervisor: str       # 'supervisor-control'
    supervisor_state: str  # active / inactive
    boot: str             # '' or ' (disabled on boot)'
    programs: tuple[tuple[str, str], ...]  # (name, final status)
    details: tuple[str, ...] = ()          # supervisor's description per program (for --detail)
    tail: str = LISTED
    server_url: str = ""  # unix:///var/run/supervisord_<role>.sock


def detail_line(name: str, status: str, detail: str) -> str:
    return "{0:<30}{1:<20}{2:<40}".format(name, status, detail)


def render(sections: Sequence[Section], vrouter_missing: bool = False,
           crashes: Sequence[str] = (), detail: bool = False, vrouter_without_agent: bool = False) -> str:
    lines: list[str] = []
    if vrouter_missing:
        lines += [NOT_PRESENT, ""]
    elif vrouter_without_agent:
        lines += [PRESENT, ""]
    for sec in sections:
        lines.append(sec.title)
        lines.append(supervisor_line(sec.supervisor, sec.supervisor_state, sec.boot))
        if sec.tail == REFUSED:
            continue
        if sec.tail == NO_SUCH_FILE:
            # supervisorctl printed '<url> no such file'; contrail-status keeps two words.
            lines.append(detail_line(sec.server_url, "no", "such file") if detail
                         else service_line(sec.server_url, "no"))
        elif sec.tail == INITD:
            pass
        elif detail:
            details = list(sec.details) + [""] * (len(sec.programs) - len(sec.details))
            lines += [detail_line(n, s, d) for (n, s), d in zip(sec.programs, details)]
        else:
            lines += [service_line(n, s) for n, s in sec.programs]
        lines.append("")
    if crashes:
        lines.append(CRASH_TITLE)
        lines += list(crashes)
    return "\n".join(lines) + ("\n" if lines else "")


def parse_node_status(xml_text: str) -> tuple[str, str] | None:
    """First ProcessStatus of a `Snh_SandeshUVECacheReq?x=NodeStatus` answer: (state, description)."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return None
    for ps in root.iter("ProcessStatus"):
        state = (ps.findtext("state") or "").strip()
        description = ""
        for child in ps:
            if child.tag == "description":
                description = (child.text or "").strip()
        return state, description
    return None


# -- live probes -------------------------------------------------------------------

class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self.unix_path = path
        self.timeout = timeout

    def make_connection(self, host):  # type: ignore[override]
        return _UnixHTTPConnection(self.unix_path, self.timeout)


def supervisor_programs(sock_path: str, timeout: float = 5.0) -> list[Program] | None:
    """The programs of one supervisord, sorted like `supervisorctl status`; None if it is down."""
    programs, _ = supervisor_query(sock_path, timeout)
    return programs


def supervisor_query(sock_path: str, timeout: float = 5.0) -> tuple[list[Program] | None, str]:
    """(programs, LISTED) or (None, NO_SUCH_FILE | REFUSED), as supervisorctl would see it."""
    if not os.path.exists(sock_path):
        return None, NO_SUCH_FILE
    proxy = xmlrpc.client.ServerProxy("http://localhost", transport=_UnixTransport(sock_path, timeout))
    try:
        infos = proxy.supervisor.getAllProcessInfo()
    except (OSError, xmlrpc.client.Error, http.client.HTTPException):
        return None, REFUSED
    return _programs(infos), LISTED


def _programs(infos: list[dict]) -> list[Program]:
    out = []
    for info in sorted(infos, key=lambda i: (i.get("group", ""), i.get("name", ""))):
        group, name = info.get("group", ""), info.get("name", "")
        shown = name if not group or group == name else f"{group}:{name}"
        out.append(Program(shown, str(info.get("statename", "UNKNOWN")), str(info.get("description", ""))))
    return out


def http_server_port(name: str, etc: str = "/etc/contrail") -> int | None:
    conf = os.path.join(etc, DEFAULT_CONF_FILES.get(name, f"{name}.conf"))
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(conf) as fh:
            cp.read_string("\n".join(line.strip() for line in fh))
    except (OSError, configparser.Error):
        cp = configparser.ConfigParser()
    value = cp.defaults().get("http_server_port")
    if not value and cp.has_section("DEFAULTS"):
        value = cp.get("DEFAULTS", "http_server_port", fallback=None)
    if value:
        try:
            return int(value)
        except ValueError:
            pass
    return SERVICE_HTTP_PORTS.get(name)


def fetch_node_status(host: str, port: int, timeout: float) -> UveResult:
    url = f"http://{host}:{port}/Snh_SandeshUVECacheReq?x=NodeStatus"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return parse_node_status(resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError:
        return None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            return CONNECTION_TIMEOUT
        return CONNECTION_ERROR
    except (socket.timeout, TimeoutError):
        return CONNECTION_TIMEOUT
    except OSError:
        return CONNECTION_ERROR


def node_address() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def boot_status(service: str, root: str = "/") -> str:
    """'' if the job starts at boot (rc*.d S* link, or upstart `start on`), else disabled."""
    if glob.glob(os.path.join(root, "etc", "rc*.d", f"S*{service}")):
        return ""
    try:
        with open(os.path.join(root, "etc", "init", f"{service}.conf")) as fh:
            if any(line.strip().startswith("start on") for line in fh):
                return ""
    except OSError:
        pass
    return " (disabled on boot)"


def job_installed(service: str, root: str = "/") -> bool:
    """The lab's stand-in for `initctl show-config <job>` succeeding."""
    return (os.path.exists(os.path.join(root, "etc", "init.d", service))
            or os.path.exists(os.path.join(root, "etc", "init", f"{service}.conf")))


def service_status(service: str) -> tuple[int, str]:
    """(exit code, stdout) of `service <service> status`; stderr passes through as in the real one."""
    try:
        proc = subprocess.run(["service", service, "status"], stdout=subprocess.PIPE, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return 1, ""
    return proc.returncode, proc.stdout or ""


def socket_path(role: str, root: str = "/") -> str:
    """/tmp/supervisord_<role>.sock if present, else /var/run/... (check_svc_status)."""
    name = f"supervisord_{role.replace('-', '_')}.sock"
    tmp = os.path.join(root, "tmp", name)
    return tmp if os.path.exists(tmp) else os.path.join(root, "var", "run", name)


def vrouter_module_loaded(root: str = "/") -> bool:
    """The lab's stand-in for `lsmod | grep vrouter`: a marker file, or a real module."""
    if os.path.exists(os.path.join(root, "var/lib/contrail-sim/vrouter.ko.loaded")):
        return True
    try:
        out = subprocess.run(["lsmod"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.split()[:1] == ["vrouter"] for line in out.splitlines())


ServiceStatus = Callable[[str], "tuple[int, str]"]


def _supervisor_section(title: str, role: str, root: str, etc: str, host: str, timeout: float,
                        uve: Callable[[str, int, float], UveResult], service: ServiceStatus) -> Section:
    supervisor = f"supervisor-{role}"
    if job_installed(supervisor, root):
        boot = boot_status(supervisor, root)
        state = running_in(service(supervisor)[1])
    else:
        boot, state = " (disabled on boot)", "inactive"
    sock = socket_path(role, root)
    programs, tail = supervisor_query(sock)
    rows = []
    for p in programs or []:
        status = map_supervisor_state(p.statename)
        if status == "active" and has_node_status(p.name):
            port = http_server_port(p.name, etc)
            result = uve(host, port, timeout) if port else None
            status = apply_uve(p.name, status, result)
        rows.append((p.name, status))
    return Section(title, supervisor, state, boot, tuple(rows), tuple(p.description for p in programs or []),
                   tail=tail, server_url=f"unix://{sock}")


def _database_initd_section(root: str, supervisor_db: Section, service: ServiceStatus) -> Section:
    """`== Contrail Database ==` + check_svc('contrail-database', initd_svc=True) + blank."""
    if job_installed(DATABASE_INITD, root):
        rc, out = service(DATABASE_INITD)
        state = "active" if rc == 0 or "Active: active" in out else "inactive"
        boot = boot_status(DATABASE_INITD, root)
    else:  # the lab's Cassandra stand-in runs under supervisord_database
        running = dict(supervisor_db.programs).get(DATABASE_INITD) not in (None, "inactive", "failed")
        state = "active" if running else "inactive"
        boot = supervisor_db.boot
    return Section(DATABASE_TITLE, DATABASE_INITD, state, boot, (), tail=INITD)


def collect(root: str = "/", timeout: float = 2.0,
            uve: Callable[[str, int, float], UveResult] = fetch_node_status, detail: bool = False,
            service: ServiceStatus = service_status) -> str:
    etc = os.path.join(root, "etc", "contrail")
    roles = [r for r, _ in SECTIONS if os.path.exists(os.path.join(etc, f"supervisord_{r.replace('-', '_')}.conf"))]
    host = node_address()
    sections = []
    for role, title in SECTIONS:
        if role not in roles:
            continue
        section = _supervisor_section(title, role, root, etc, host, timeout, uve, service)
        if role == "database":
            sections.append(_database_initd_section(root, section, service))
        sections.append(section)
    loaded = vrouter_module_loaded(root)
    crashes = sorted(glob.glob(os.path.join(root, "var", "crashes", "core.*")))
    return render(sections, "vrouter" in roles and not loaded, crashes, detail,
                  vrouter_without_agent="vrouter" not in roles and loaded)


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="contrail-status")
    parser.add_argument("-d", "--detail", action="store_true", help="show detailed status")
    parser.add_argument("-x", "--debug", action="store_true", help="show debugging information")
    parser.add_argument("-t", "--timeout", type=float, default=2.0,
                        help="timeout in seconds to use for HTTP requests to services")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(collect(timeout=args.timeout, detail=args.detail))
    except Exception as exc:  # contrail-status never fails by exit code
        if args.debug:
            sys.stderr.write(f"contrail-status: {exc}\n")
    sys.stdout.flush()
    sys.exit(0)


if __name__ == "__main__":
    main()
