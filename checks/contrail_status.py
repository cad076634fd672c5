"""Parse the text `contrail-status` prints (Contrail 3.x, supervisor based).

Source: Juniper/contrail-controller R3.2 src/config/utils/contrail-status.py (unchanged
in R3.2.3.x ... R3.2.17.x). Its exit code is always 0 (only `parser.error` exits 2), so
health comes only from this text:

    vRouter is NOT PRESENT                      <- optional, before the vRouter section

    == Contrail vRouter ==                      <- section header (also `==...==` without
    supervisor-vrouter:           active           the inner space: `Config Database==`)
    contrail-vrouter-agent        active
    contrail-vrouter-nodemgr      initializing (Collector connection down)

    == Contrail Database ==                     <- database node: the init.d Cassandra line,
    contrail-database:            active           then `== Contrail Supervisor Database ==`

    ========Run time service failures=============
    /var/crashes/core.contrail-vrouter-agent.1234   <- one core file a line

A supervisor (or init.d) line is `'%-30s%s%s' % (name + ':', state, boot)`: state
`active`/`inactive`, boot `' (disabled on boot)'` or empty. A process line is
`'{0:<30}{1:<20}'` (plus supervisorctl's detail column with `contrail-status -d`), the
state maybe followed by ` (description)` (the NodeStatus description). States: the
mapped supervisor states (RUNNING active, STARTING initializing, STOPPED inactive,
FATAL/EXITED/STOPPING/UNKNOWN failed), any other supervisor state raw (BACKOFF), and
from NodeStatus: initializing (Non-Functional, or no NodeStatus), backup (introspect
refused, schema/svc-monitor/device-manager only), timeout. When a supervisord is down
the script prints supervisorctl's first two words (`unix:///var/run/supervisord_config.sock
no` for a missing socket, glued together: the URL is wider than 30) or nothing at all
(refused connection); such lines, and anything else unrecognised (including any line
before the first section header), are kept in `StatusReport.unparsed`.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from checks.evidence import ParseError

DEFAULT_ALLOWED = frozenset({"active", "backup"})
DISABLED_ON_BOOT = "(disabled on boot)"

_HEADER = re.compile(r"^==\s*(?P<title>[^=].*?)\s*==$")
_FAILURES = re.compile(r"^=+\s*run\s*time\s+service\s+failures\s*=*$", re.IGNORECASE)
_VROUTER = re.compile(r"^vRouter is (?P<not>NOT )?PRESENT$", re.IGNORECASE)
# A process name: supervisor program names, maybe with `:N` (numprocs) or a trailing colon.
_NAME = re.compile(r"^[A-Za-z0-9][\w.@-]*(:[\w-]*)?$")


@dataclass(frozen=True)
class ServiceLine:
    """One line of a section: a supervisor instance or one of its processes."""

    name: str
    state: str
    description: str = ""
    disabled_on_boot: bool = False
    is_supervisor: bool = False
    detail: str = ""
    section: str = ""

    @property
    def base_name(self) -> str:
        """The program name without supervisor's `:N` process number (`contrail-api`)."""
        return self.name.split(":", 1)[0]

    def render(self) -> str:
        """`name=state (description)`: the compact form used in check messages."""
        text = f"{self.name}={self.state}"
        if self.description:
            text += f" ({self.description})"
        return text


@dataclass(frozen=True)
class Section:
    """One `== Contrail X ==` block."""

    title: str
    services: tuple[ServiceLine, ...]

    @property
    def supervisor(self) -> ServiceLine | None:
        """The `supervisor-X:` line of this section, if printed."""
        return next((s for s in self.services if s.is_supervisor), None)


@dataclass(frozen=True)
class StatusReport:
    """Everything one `contrail-status` run said."""

    sections: tuple[Section, ...]
    runtime_failures: tuple[str, ...] = ()
    vrouter_not_present: bool = False
    vrouter_present: bool = False
    unparsed: tuple[str, ...] = ()

    @property
    def services(self) -> tuple[ServiceLine, ...]:
        """Every service line of every section, in printed order."""
        return tuple(s for section in self.sections for s in section.services)

    def section(self, title: str) -> Section | None:
        """The section titled `title` (`Config`, `Contrail Config`: case-insensitive)."""
        wanted = _norm_title(title)
        return next((s for s in self.sections if _norm_title(s.title) == wanted), None)

    def service(self, name: str) -> ServiceLine | None:
        """The line for `name`; `contrail-api` also finds `contrail-api:0`."""
        lines = self.find(name)
        return lines[0] if lines else None

    def find(self, name: str) -> list[ServiceLine]:
        """All lines named `name` exactly, or else all whose base name is `name`."""
        exact = [s for s in self.services if s.name == name]
        if exact:
            return exact
        return [s for s in self.services if s.base_name == name]

    def unhealthy(
        self,
        allowed: Collection[str] = DEFAULT_ALLOWED,
        ignore: Iterable[str] = (),
    ) -> list[ServiceLine]:
        """Lines whose state is not in `allowed`, skipping names/base names in `ignore`."""
        skipped = set(ignore)
        return [
            s
            for s in self.services
            if s.state not in allowed and s.name not in skipped and s.base_name not in skipped
        ]


def parse(text: str) -> StatusReport:
    """Parse `contrail-status` output (CRLF, trailing spaces and blank lines tolerated).

    Raises `ParseError` when the text has no section, no vRouter line and nothing else
    that `contrail-status` prints (empty output, or some other command's output).
    """
    sections: list[Section] = []
    current_title: str | None = None
    current: list[ServiceLine] = []
    failures: list[str] = []
    unparsed: list[str] = []
    in_failures = False
    vrouter_not_present = False
    vrouter_present = False

    def close_section() -> None:
        if current_title is not None:
            sections.append(Section(current_title, tuple(current)))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _FAILURES.match(line):
            close_section()
            current_title, current = None, []
            in_failures = True
            continue
        header = _HEADER.match(line)
        if header:
            close_section()
            current_title, current = header.group("title"), []
            in_failures = False
            continue
        if in_failures:
            failures.append(line)
            continue
        vrouter = _VROUTER.match(line)
        if vrouter:
            if vrouter.group("not"):
                vrouter_not_present = True
            else:
                vrouter_present = True
            continue
        service = None if current_title is None else _parse_service_line(line, current_title)
        if service is None:
            unparsed.append(line)
        else:
            current.append(service)
    close_section()

    if not sections and not failures and not vrouter_not_present and not vrouter_present:
        shown = text.strip()[:80]
        raise ParseError(
            "expected contrail-status output (`== Contrail ... ==` sections of "
            f"`name  state` lines), got {shown!r}" if shown else
            "expected contrail-status output (`== Contrail ... ==` sections), got empty text"
        )
    return StatusReport(
        sections=tuple(sections),
        runtime_failures=tuple(failures),
        vrouter_not_present=vrouter_not_present,
        vrouter_present=vrouter_present,
        unparsed=tuple(unparsed),
    )


def _parse_service_line(line: str, section: str) -> ServiceLine | None:
    parts = line.split(None, 1)
    if len(parts) != 2 or not _NAME.match(parts[0]):
        return None
    token, rest = parts
    colon_form = token.endswith(":")
    name = token[:-1] if colon_form else token
    state, _, after = rest.partition(" ")
    after = after.strip()
    disabled = False
    description = ""
    if after.startswith(DISABLED_ON_BOOT):
        disabled = True
        after = after[len(DISABLED_ON_BOOT):].strip()
    elif after.startswith("("):
        end = _closing_paren(after)
        description = after[1:end].strip()
        after = after[end + 1:].strip()
    return ServiceLine(
        name=name,
        state=state,
        description=description,
        disabled_on_boot=disabled,
        is_supervisor=colon_form and name.startswith("supervisor"),
        detail=after,
        section=section,
    )


def _closing_paren(text: str) -> int:
    """Index of the `)` closing the `(` at text[0]; the last `)` if unbalanced."""
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    last = text.rfind(")")
    return last if last > 0 else len(text)


def _norm_title(title: str) -> str:
    words = title.lower().split()
    if words and words[0] == "contrail":
        words = words[1:]
    return " ".join(words)


# --- `supervisorctl status` (what contrail-status is built on; the ISSU sync daemon
# runs under the system supervisord and is checked with it) ---------------------------

SUPERVISOR_STATES = frozenset(
    {"STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"}
)


@dataclass(frozen=True)
class SupervisorProgram:
    """One line of `supervisorctl status`: `contrail-issu:0   RUNNING   pid 12, uptime 0:01:02`."""

    name: str
    state: str
    detail: str = ""

    @property
    def base_name(self) -> str:
        """The group/program name without the `:process` part."""
        return self.name.split(":", 1)[0]


@dataclass(frozen=True)
class SupervisorStatus:
    """All programs `supervisorctl status` listed, and the lines it printed otherwise
    (e.g. `unix:///var/run/supervisor.sock no such file` when supervisord is down)."""

    programs: tuple[SupervisorProgram, ...]
    unparsed: tuple[str, ...] = ()

    def program(self, name: str) -> SupervisorProgram | None:
        """The program `name` exactly, or else the first whose base name is `name`."""
        exact = next((p for p in self.programs if p.name == name), None)
        return exact or next((p for p in self.programs if p.base_name == name), None)


def parse_supervisorctl(text: str) -> SupervisorStatus:
    """Parse `supervisorctl [-s URL] status` output (its exit code is not used)."""
    programs: list[SupervisorProgram] = []
    unparsed: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[1] in SUPERVISOR_STATES and _NAME.match(parts[0]):
            detail = parts[2].strip() if len(parts) == 3 else ""
            programs.append(SupervisorProgram(name=parts[0], state=parts[1], detail=detail))
        else:
            unparsed.append(line)
    return SupervisorStatus(programs=tuple(programs), unparsed=tuple(unparsed))
