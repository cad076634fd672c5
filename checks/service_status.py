"""What `service X status|start|stop` says about a service, judged by what it prints. Pure.

Contrail 3.2 ran on three kinds of init, and the exit code of `service X status` means
something different on each (sources: docs/fidelity/service-state.md):

- upstart (Ubuntu 14.04, what 3.2 shipped on; `service` runs upstart's `status`/`start`/`stop`):
  `status` exits 0 whatever the state and prints `X <goal>/<state>[, process N]`
  (`X start/running, process 1234`, `X stop/waiting`); ubports/upstart util/initctl.c job_status.
  `start` on a running job exits 1 with `start: Job is already running: X`, `stop` on a stopped
  one exits 1 with `stop: Unknown instance: ` (init/job_class.c, errors printed by initctl).
- systemd (Ubuntu 16.04, CentOS 7; `service X status` is `systemctl status X.service`): the text
  has `Active: <active state> (<sub state>)[ (Result: R)]`, the exit code follows the LSB status
  codes (0 running, 3 not running); systemctl.c print_status_info and its LSB exit-code enum.
- sysv / LSB init scripts: the exit code is the answer (LSB Core, "Init Script Actions":
  0 running, 1 dead with a pid file, 2 dead with a lock file, 3 not running, 4 unknown);
  the text varies (`X is running`, `X is not running`, `X (pid N) is running...`, `X is stopped`).

`parse_status` recognises the first two by their text and falls back to the LSB exit code,
checking that the text does not contradict it. Anything else is `unknown`, never a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Init(str, Enum):
    upstart = "upstart"
    systemd = "systemd"
    sysv = "sysv"


class State(str, Enum):
    running = "running"
    stopped = "stopped"
    failed = "failed"          # dead (LSB 1/2), systemd `failed`
    changing = "changing"      # upstart start/pre-start, stop/stopping; systemd activating ...
    not_installed = "not-installed"
    unknown = "unknown"


@dataclass(frozen=True)
class ServiceStatus:
    """One reading of `service X status`: the state, which init said so, the main pid if
    printed, and the line that decided it (for a report)."""

    state: State
    init: Init | None
    evidence: str
    pid: int | None = None

    @property
    def running(self) -> bool:
        return self.state is State.running

    @property
    def stopped(self) -> bool:
        """Not running and not about to be: stopped, dead/failed, or not installed at all."""
        return self.state in (State.stopped, State.failed, State.not_installed)

    def describe(self) -> str:
        via = f" ({self.init.value})" if self.init else ""
        return f"{self.state.value}{via}: {self.evidence}" if self.evidence else f"{self.state.value}{via}"


# upstart job_status(): "<job>[ (<instance>)] <goal>/<state>[, [(<proc>) ]process <pid>]"
_UPSTART = re.compile(
    r"^(?P<job>[\w.@+:/-]+)(?: \((?P<instance>[^)]*)\))? (?P<goal>start|stop)/(?P<state>[a-z-]+)"
    r"(?:, (?:\((?P<proc>[\w-]+)\) )?process (?P<pid>\d+))?\s*$")
# upstart initctl errors (printed as "<program>: <message>")
_UPSTART_UNKNOWN_JOB = re.compile(r"^(?:status|start|stop|restart|initctl): Unknown job: (?P<job>\S+)", re.M)
_UPSTART_ALREADY_RUNNING = re.compile(r"^start: Job is already running: (?P<job>\S+)", re.M)
_UPSTART_UNKNOWN_INSTANCE = re.compile(r"^(?:stop|restart|status): Unknown instance: ?(?P<inst>\S*)", re.M)
_UPSTART_ALREADY_STOPPED = re.compile(r"^stop: Job has already been stopped: (?P<job>\S+)", re.M)

# systemctl status: "   Active: <active>[ (<sub>)][ (Result: <r>)][ since ...]"
_SYSTEMD_ACTIVE = re.compile(
    r"^\s*Active: (?P<active>[a-z-]+)(?: \((?P<sub>[^)]*)\))?(?: \(Result: (?P<result>[^)]*)\))?", re.M)
_SYSTEMD_LOADED = re.compile(r"^\s*Loaded: (?P<load>[a-z-]+)", re.M)
_SYSTEMD_MAIN_PID = re.compile(r"^\s*Main PID: (?P<pid>\d+)", re.M)
_SYSTEMD_NO_UNIT = re.compile(r"Unit \S+ could not be found|Failed to get properties: No such interface|"
                              r"Unit \S+ not found", re.I)

# LSB/sysv words, to catch an exit code contradicted by the text
_SAYS_NOT_RUNNING = re.compile(r"\b(is not running|not running|is stopped|stopped|dead)\b", re.I)
_SAYS_RUNNING = re.compile(r"\bis running\b|\brunning\.\.\.", re.I)
_LSB_STATUS = {0: State.running, 1: State.failed, 2: State.failed, 3: State.stopped}


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _upstart(out: str) -> ServiceStatus | None:
    for line in out.splitlines():
        m = _UPSTART.match(line.strip())
        if not m:
            continue
        goal, state = m["goal"], m["state"]
        pid = int(m["pid"]) if m["pid"] else None
        if goal == "start" and state == "running":
            s = State.running
        elif goal == "stop" and state == "waiting":
            s = State.stopped
        else:  # start/starting|pre-start|spawned|post-start, stop/pre-stop|stopping|killed|post-stop
            s = State.changing
        return ServiceStatus(s, Init.upstart, line.strip(), pid)
    return None


def _systemd(out: str, rc: int) -> ServiceStatus | None:
    m = _SYSTEMD_ACTIVE.search(out)
    loaded = _SYSTEMD_LOADED.search(out)
    if not m:
        return None
    line = m.group(0).strip()
    pid_m = _SYSTEMD_MAIN_PID.search(out)
    pid = int(pid_m["pid"]) if pid_m else None
    if loaded and loaded["load"] == "not-found":
        return ServiceStatus(State.not_installed, Init.systemd, loaded.group(0).strip())
    active, sub = m["active"], m["sub"] or ""
    if active in ("active", "reloading"):
        # `active (exited)`: a oneshot/LSB script that ran and left no process: not a daemon running.
        s = State.running if sub in ("running", "") or active == "reloading" else State.unknown
    elif active == "inactive":
        s = State.stopped
    elif active == "failed":
        s = State.failed
    elif active in ("activating", "deactivating"):
        s = State.changing
    else:
        s = State.unknown
    # systemctl status exits 0 only for an active unit (LSB codes otherwise): they must agree.
    if s is State.running and rc != 0 or s in (State.stopped, State.failed) and rc == 0:
        return ServiceStatus(State.unknown, Init.systemd, f"{line} but exit {rc}", pid)
    return ServiceStatus(s, Init.systemd, line, pid)


def parse_status(rc: int, stdout: str, stderr: str = "") -> ServiceStatus:
    """The state a `service X status` reports, from its exit code and output."""
    out = stdout or ""
    both = out + "\n" + (stderr or "")
    m = _UPSTART_UNKNOWN_JOB.search(both)
    if m:
        return ServiceStatus(State.not_installed, Init.upstart, m.group(0).strip())
    found = _upstart(out)
    if found is not None:
        return found
    if _UPSTART_UNKNOWN_INSTANCE.search(both):  # an instance job with no instance: stopped
        return ServiceStatus(State.stopped, Init.upstart, _UPSTART_UNKNOWN_INSTANCE.search(both).group(0).strip())
    found = _systemd(out, rc)
    if found is not None:
        return found
    if _SYSTEMD_NO_UNIT.search(both):
        return ServiceStatus(State.not_installed, Init.systemd, _first_line(_SYSTEMD_NO_UNIT.search(both).group(0)))
    text = _first_line(out) or _first_line(stderr or "")
    if "unrecognized service" in both:  # Debian/Ubuntu /usr/sbin/service: no such script or job
        return ServiceStatus(State.not_installed, None, text)
    # LSB init script: the exit code is the answer; the text must not say the opposite.
    if rc == 0 and _SAYS_NOT_RUNNING.search(out) and not _SAYS_RUNNING.search(out):
        return ServiceStatus(State.unknown, Init.sysv, f"exit 0 but says: {text}")
    if rc == 3 and _SAYS_RUNNING.search(out) and not _SAYS_NOT_RUNNING.search(out):
        return ServiceStatus(State.unknown, Init.sysv, f"exit 3 but says: {text}")
    if rc in _LSB_STATUS:
        return ServiceStatus(_LSB_STATUS[rc], Init.sysv, text or f"exit {rc}")
    if rc == 4:
        return ServiceStatus(State.unknown, Init.sysv, text or "exit 4 (status unknown)")
    if rc == 127:  # the shell: command not found
        return ServiceStatus(State.not_installed, None, text or f"exit {rc}")
    return ServiceStatus(State.unknown, None, text or f"exit {rc}")


class Outcome(str, Enum):
    done = "done"                  # the action ran
    already = "already"            # it was already in the asked state (upstart says so, exit 1)
    failed = "failed"


@dataclass(frozen=True)
class ActionResult:
    outcome: Outcome
    evidence: str

    @property
    def ok(self) -> bool:
        """In the asked state afterwards (done, or already so)."""
        return self.outcome is not Outcome.failed


def parse_action(action: str, rc: int, stdout: str, stderr: str = "") -> ActionResult:
    """Whether `service X start|stop|restart` left the service in the asked state.

    upstart's `start` of a running job and `stop` of a stopped one exit 1 with
    "Job is already running" / "Unknown instance" (or "Job has already been stopped"): that is
    the asked state, not a failure. systemctl start/stop of an already active/inactive unit and
    LSB scripts (LSB: start of a running service and stop of a stopped one succeed) exit 0."""
    both = (stdout or "") + "\n" + (stderr or "")
    if action not in ("start", "stop", "restart", "reload", "force-reload"):
        raise ValueError(f"unknown service action {action!r}")
    if rc == 0:
        return ActionResult(Outcome.done, _first_line(stdout) or "exit 0")
    if action == "start" and (m := _UPSTART_ALREADY_RUNNING.search(both)):
        return ActionResult(Outcome.already, m.group(0).strip())
    if action == "stop":
        m = _UPSTART_UNKNOWN_INSTANCE.search(both) or _UPSTART_ALREADY_STOPPED.search(both)
        if m:
            return ActionResult(Outcome.already, m.group(0).strip())
    text = _first_line(stderr) or _first_line(stdout)
    return ActionResult(Outcome.failed, f"exit {rc}: {text}" if text else f"exit {rc}")
