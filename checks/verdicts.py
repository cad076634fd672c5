"""Check functions: parsed evidence in, `CheckResult` out. No asserts, no I/O.

Each function states what it expects in words an operator reads in the report, and
lists what it found in a stable order (sorted addresses, printed service order).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from checks import ini
from checks.contrail_status import DEFAULT_ALLOWED, StatusReport, SupervisorStatus
from checks.discovery import DiscoveredService
from checks.evidence import CheckResult, ParseError, fmt_set
from checks.introspect import BgpPeer, NodeStatus, XmppSession
from checks.versions import PackageState

SINGLETON_SERVICES = ("contrail-schema", "contrail-svc-monitor", "contrail-device-manager")
MAX_AGENT_CONTROLLERS = 2
REDACTED = "<redacted>"
_SECRET_KEY = re.compile(r"passw|secret|token|api_info", re.IGNORECASE)


def status_healthy(
    report: StatusReport,
    host: str,
    allowed_states: Collection[str] = DEFAULT_ALLOWED,
    ignore: Iterable[str] = (),
    *,
    fail_on_core_files: bool = False,
) -> CheckResult:
    """Every service of `contrail-status` in an allowed state, vRouter present.

    Core files under /var/crashes stay there until someone removes them, so they are
    reported but fail the check only with `fail_on_core_files`.
    """
    ignored = tuple(ignore)
    bad = report.unhealthy(allowed_states, ignored)
    problems = [s.render() for s in bad]
    if report.vrouter_not_present:
        problems.append("vRouter is NOT PRESENT")
    if fail_on_core_files and report.runtime_failures:
        problems.append("core files " + ", ".join(report.runtime_failures))
    counted = [s for s in report.services if s.name not in ignored and s.base_name not in ignored]
    if not counted:
        problems.append("no services listed")
    states = "/".join(sorted(allowed_states))
    if problems:
        found = "; ".join(problems)
    else:
        found = f"{len(counted)} services {states}"
        if report.runtime_failures:
            found += f" (core files present: {', '.join(report.runtime_failures)})"
    return CheckResult(
        ok=not problems,
        what="contrail-status",
        expected=f"every service {states}",
        found=found,
        host=host,
        evidence={
            "services": {s.name: s.render() for s in report.services},
            "runtime_failures": list(report.runtime_failures),
            "vrouter_not_present": report.vrouter_not_present,
            "unparsed": list(report.unparsed),
            "ignored": list(ignored),
        },
    )


def exactly_one_active(
    reports_by_host: Mapping[str, StatusReport],
    services: Iterable[str] = SINGLETON_SERVICES,
    host: str | None = None,
) -> CheckResult:
    """Each of `services` is `active` on exactly one host of the cluster (others backup)."""
    names = tuple(services)
    hosts = sorted(reports_by_host)
    states: dict[str, dict[str, str]] = {}
    for name in names:
        states[name] = {}
        for node in hosts:
            line = reports_by_host[node].service(name)
            states[name][node] = line.state if line else "absent"
    wrong = [n for n in names if sum(1 for s in states[n].values() if s == "active") != 1]
    if wrong:
        found = "; ".join(
            f"{n}: " + ", ".join(f"{node}={state}" for node, state in states[n].items())
            for n in wrong
        )
    else:
        found = ", ".join(
            f"{n} on {next(node for node, s in states[n].items() if s == 'active')}" for n in names
        )
    return CheckResult(
        ok=bool(hosts) and bool(names) and not wrong,
        what="singleton services",
        expected=f"exactly one active {', '.join(names)}",
        found=found if hosts else "no hosts",
        host=host if host is not None else ",".join(hosts),
        evidence={"states": states},
    )


def bgp_established(
    peers: Iterable[BgpPeer],
    host: str,
    expected_peers: Collection[str],
    encoding: str = "BGP",
) -> CheckResult:
    """Every address in `expected_peers` is an Established `encoding` peer of the control node."""
    relevant = {p.address: p for p in peers if p.encoding == encoding}
    expected = sorted(expected_peers)
    states = {a: relevant[a].state if a in relevant else "absent" for a in expected}
    not_up = [a for a in expected if states[a] != "Established"]
    found = ", ".join(f"{a}={s}" for a, s in states.items()) if expected else "no expected peers given"
    return CheckResult(
        ok=bool(expected) and not not_up,
        what=f"{encoding} peers",
        expected=f"Established to {fmt_set(expected)}",
        found=found,
        host=host,
        evidence={"peers": {a: p.state for a, p in sorted(relevant.items())}},
    )


def agent_on_controls(
    sessions: Collection[XmppSession],
    host: str,
    expected: Collection[str],
    forbidden: Collection[str] = (),
    *,
    label: str = "controls",
) -> CheckResult:
    """The agent's XMPP: Established to every expected control, none to a forbidden one, ≤2."""
    by_ip = {s.controller_ip: s for s in sessions}
    problems = [ip for ip in expected if ip not in by_ip or not by_ip[ip].established]
    problems += [ip for ip in forbidden if ip in by_ip]
    too_many = len(sessions) > MAX_AGENT_CONTROLLERS
    listed = ", ".join(f"{s.controller_ip}={s.state}" for s in sorted(sessions, key=lambda s: s.controller_ip))
    found = listed or "no XMPP sessions"
    if too_many:
        found += f" ({len(sessions)} sessions, at most {MAX_AGENT_CONTROLLERS})"
    text = f"Established to {label} {fmt_set(expected)}"
    if forbidden:
        text += f", none to {fmt_set(forbidden)}"
    return CheckResult(
        ok=bool(expected) and not problems and not too_many,
        what="agent XMPP sessions",
        expected=text,
        found=found,
        host=host,
        evidence={
            "sessions": [
                {"controller_ip": s.controller_ip, "state": s.state, "cfg_controller": s.cfg_controller,
                 "mcast_controller": s.mcast_controller, "flap_count": s.flap_count}
                for s in sessions
            ]
        },
    )


def ini_value(
    text: str,
    section: str,
    key: str,
    expected: str | None,
    host: str,
    path: str,
    *,
    unquote: bool = True,
    secret: bool = False,
) -> CheckResult:
    """`[section] key` of the file at `path` equals `expected` (None: the key is absent).

    Values of secret-looking keys (passwords, tokens, `*_api_info`), or any key when
    `secret=True`, never appear in the message or the evidence.
    """
    what = f"{path} [{section}] {key}"
    hide = secret or bool(_SECRET_KEY.search(key))
    wanted = "absent" if expected is None else (REDACTED if hide else repr(expected))
    try:
        sections = ini.parse_ini(text)
    except ParseError as exc:
        return CheckResult(False, what, wanted, f"unreadable file: {exc}", host, {"path": path})
    if section not in sections:
        value = None
        found = f"no section [{section}]"
    else:
        value = sections[section].get(key)
        if value is not None and unquote:
            value = ini.strip_quotes(value)
        if value is None:
            found = "absent"
        elif hide:
            found = REDACTED if value == expected else f"{REDACTED} (a different value)"
        else:
            found = repr(value)
    return CheckResult(
        ok=value == expected,
        what=what,
        expected=wanted,
        found=found,
        host=host,
        evidence={"path": path, "section": section, "key": key,
                  "value": REDACTED if hide and value is not None else value},
    )


def prefixes_differ(old: str, new: str, what: str, host: str = "") -> CheckResult:
    """Old and new clusters are logically separated: the values differ. An empty value is
    a real setting (3.2's default: no prefix, keyspace `config_db_uuid`), so '' vs 'x' is fine."""
    return CheckResult(
        ok=old != new,
        what=what,
        expected="different values for old and new",
        found=f"old={old!r}, new={new!r}",
        host=host,
        evidence={"old": old, "new": new},
    )


def version_installed(
    dpkg_map: Mapping[str, PackageState],
    package: str,
    expected: str,
    host: str,
) -> CheckResult:
    """`package` is installed (dpkg state `i`) at exactly version `expected`."""
    state = dpkg_map.get(package)
    if state is None:
        found = "not known to dpkg"
    elif not state.installed:
        found = f"{state.version or 'no version'} ({state.status}, not installed)"
    else:
        found = state.version
    return CheckResult(
        ok=state is not None and state.installed and state.version == expected,
        what=f"package {package}",
        expected=f"{expected} installed",
        found=found,
        host=host,
        evidence={"package": package, "version": state.version if state else None,
                  "status": state.status if state else None},
    )


def node_functional(status: NodeStatus, host: str, daemon: str) -> CheckResult:
    """A daemon's NodeStatus UVE says Functional, with every connection Up."""
    down = status.down_connections()
    found = status.state
    if status.description:
        found += f" ({status.description})"
    if down:
        found += "; down: " + ", ".join(f"{c.type}:{c.name}={c.status}" for c in down)
    return CheckResult(
        ok=status.functional and not down,
        what=f"{daemon} NodeStatus",
        expected="Functional, all connections Up",
        found=found,
        host=host,
        evidence={
            "name": status.name,
            "state": status.state,
            "connections": [
                {"type": c.type, "name": c.name, "status": c.status, "server_addrs": list(c.server_addrs)}
                for c in status.connections
            ],
        },
    )


def discovery_publishes(
    services: Iterable[DiscoveredService],
    host: str,
    service_type: str,
    expected_ips: Collection[str],
) -> CheckResult:
    """Discovery lists an `up` publisher of `service_type` at every expected address."""
    by_ip = {s.ip: s for s in services if s.service_type == service_type}
    expected = sorted(expected_ips)
    states = {ip: (f"{by_ip[ip].status}/admin {by_ip[ip].admin_state}" if ip in by_ip else "absent")
              for ip in expected}
    missing = [ip for ip in expected if ip not in by_ip or not by_ip[ip].up]
    return CheckResult(
        ok=bool(expected) and not missing,
        what=f"discovery {service_type} publishers",
        expected=f"up at {fmt_set(expected)}",
        found=", ".join(f"{ip}={s}" for ip, s in states.items()) if expected else "no expected addresses given",
        host=host,
        evidence={"publishers": {ip: s.status for ip, s in sorted(by_ip.items())}},
    )


def program_running(status: SupervisorStatus, host: str, name: str) -> CheckResult:
    """A supervisord program (e.g. `contrail-issu`, any of its `:N` processes) is RUNNING."""
    matching = [p for p in status.programs if p.name == name or p.base_name == name]
    found = ", ".join(f"{p.name}={p.state}" for p in matching)
    if not found:
        found = "not listed" + (f" ({'; '.join(status.unparsed)})" if status.unparsed else "")
    return CheckResult(
        ok=bool(matching) and all(p.state == "RUNNING" for p in matching),
        what=f"supervisor program {name}",
        expected="RUNNING",
        found=found,
        host=host,
        evidence={
            "programs": {p.name: f"{p.state} {p.detail}".strip() for p in matching},
            "unparsed": list(status.unparsed),
        },
    )
