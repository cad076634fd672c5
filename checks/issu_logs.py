"""The log files of contrail-issu-pre-sync / -run-sync / -post-sync / -zk-sync (pure).

Real shape (contrail-controller R3.2 src/config/contrail_issu/contrail_issu/): each tool calls
logging.basicConfig(filename=<file>, format='%(asctime)s %(message)s') and logs through
issu_contrail_config._myprint / lognprint, which prefix the SandeshLevel name:

    2017-03-02 10:11:12,345 SYS_INFO Issu contrail cassandra initialized...

Files: /var/log/issu_contrail_pre_sync.log, _run_sync.log, _post_sync.log, issu_contrail_zk.log,
all appended to (one file holds every run). Other loggers that propagate to the root logger (kazoo's,
in zk-sync) add lines without a level; they are kept with level "".

A run starts at its first line: "Issu contrail cassandra initialized..." (the three Cassandra tools) or
"Issu contrail zookeeper initialized..." (zk-sync); the verdicts look at the LAST run only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from checks.evidence import CheckResult

PRE_SYNC_LOG = "/var/log/issu_contrail_pre_sync.log"
RUN_SYNC_LOG = "/var/log/issu_contrail_run_sync.log"
POST_SYNC_LOG = "/var/log/issu_contrail_post_sync.log"
ZK_SYNC_LOG = "/var/log/issu_contrail_zk.log"

CASSANDRA_START = "Issu contrail cassandra initialized..."
ZK_START = "Issu contrail zookeeper initialized..."
ZK_PASSED = "Issu contrail zookeeper passed..."
ZK_FAILED = "Issu contrail zookeeper failed..."
DRAINER_ERROR = "Error in rabbitmq drainer greenlet: "
# lognprint lines of issu_contrail_pre_sync.py / _post_sync.py, per keyspace, in order.
DONE = {"config_db_uuid": "Done syncing Configdb uuid", "to_bgp_keyspace": "Done syncing bgp keyspace",
        "useragent": "Done syncing useragent keyspace", "svc_monitor_keyspace": "Done syncing svc-monitor keyspace",
        "dm_keyspace": "Done syncing dm keyspace"}
PRE_SYNC_KEYSPACES = tuple(DONE)
POST_SYNC_KEYSPACES = PRE_SYNC_KEYSPACES[1:]

_LINE = re.compile(r"^(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<rest>.*)$")
_LEVEL = re.compile(r"^(?P<level>SYS_(?:EMERG|ALERT|CRIT|ERR|WARN|NOTICE|INFO|DEBUG)|INVALID) (?P<msg>.*)$")


@dataclass(frozen=True)
class LogLine:
    stamp: str
    level: str
    message: str


def parse_log(text: str) -> list[LogLine]:
    """Every record; a line without a time stamp continues the previous record (tracebacks)."""
    out: list[LogLine] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if not m:
            if out:
                last = out[-1]
                out[-1] = LogLine(last.stamp, last.level, f"{last.message}\n{raw}")
            continue
        lm = _LEVEL.match(m["rest"])
        out.append(LogLine(m["stamp"], lm["level"], lm["msg"]) if lm else LogLine(m["stamp"], "", m["rest"]))
    return out


def last_run(lines: list[LogLine], start: str) -> list[LogLine]:
    """The records from the last `start` message on ([] when the tool never started)."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].message == start:
            return lines[i:]
    return []


def _has(run: list[LogLine], level: str, message: str) -> bool:
    return any(r.level == level and r.message == message for r in run)


def _tail(run: list[LogLine], n: int = 3) -> str:
    return " | ".join(f"{r.level} {r.message}".strip() for r in run[-n:]) or "no record"


def cassandra_sync(text: str, keyspaces: tuple[str, ...], tool: str, host: str) -> CheckResult:
    """pre-sync / post-sync finished: every 'Done syncing ...' of its keyspaces in the last run."""
    run = last_run(parse_log(text), CASSANDRA_START)
    missing = [DONE[ks] for ks in keyspaces if not _has(run, "SYS_INFO", DONE[ks])]
    waiting = [r.message for r in run if r.message.startswith("Waiting for keyspace")]
    ok = bool(run) and not missing
    found = ("no run in the log" if not run else
             f"missing {missing}" + (f"; last: {waiting[-1]}" if waiting else f"; last: {_tail(run)}") if missing else
             f"{len(keyspaces)} keyspaces done")
    return CheckResult(ok=ok, what=f"{tool} log", expected=f"'Done syncing' for {', '.join(keyspaces)}",
                       found=found, host=host)


def zk_sync(text: str, host: str) -> CheckResult:
    """zk-sync: the real tool logs 'passed...' even after 'failed...': both are read."""
    run = last_run(parse_log(text), ZK_START)
    failed = any(r.message == ZK_FAILED for r in run)
    passed = _has(run, "SYS_INFO", ZK_PASSED)
    found = ("no run in the log" if not run else "'failed...' logged (then 'passed...')" if failed
             else "passed" if passed else f"not finished; last: {_tail(run)}")
    return CheckResult(ok=bool(run) and passed and not failed, what="contrail-issu-zk-sync log",
                       expected="'passed...' and no 'failed...'", found=found, host=host)


@dataclass(frozen=True)
class ApiAction:
    """One `service supervisor-config <action>` round of _act_on_api: per node, exit status/stdout/stderr."""

    action: str
    statuses: tuple[str, ...]


def run_sync_actions(run: list[LogLine]) -> list[ApiAction]:
    """_act_on_api logs the command, then three SYS_INFO records per node (status, stdout list, stderr list).
    Records without a level (paramiko's own "Connected (version 2.0, ...)" lines) are skipped."""
    run = [r for r in run if r.level]
    out: list[ApiAction] = []
    i = 0
    while i < len(run):
        msg = run[i].message
        if run[i].level == "SYS_INFO" and msg.startswith("service supervisor-config "):
            statuses = []
            j = i + 1
            while j + 2 < len(run) and re.fullmatch(r"-?\d+", run[j].message) and \
                    run[j + 1].message.startswith("[") and run[j + 2].message.startswith("["):
                statuses.append(run[j].message)
                j += 3
            out.append(ApiAction(msg.split()[-1], tuple(statuses)))
            i = j
            continue
        i += 1
    return out


def run_sync(text: str, nodes: int, host: str) -> list[CheckResult]:
    """run-sync's last run: no drainer error, the config sync done, supervisor-config stopped and
    started on `nodes` nodes with exit status 0, 'Start Compute upgrade...' reached."""
    run = last_run(parse_log(text), CASSANDRA_START)
    errors = [r.message[len(DRAINER_ERROR):] for r in run if r.message.startswith(DRAINER_ERROR)]
    actions = run_sync_actions(run)
    results = [
        CheckResult(ok=bool(run) and not errors, what="contrail-issu-run-sync log", expected="no drainer error",
                    found=f"{len(errors)} x '{errors[-1]}'" if errors else ("no error" if run else "no run in the log"),
                    host=host),
        CheckResult(ok=_has(run, "SYS_INFO", "Config sync done..."), what="run-sync config sync",
                    expected="'Config sync done...'", found=_tail(run, 1), host=host),
    ]
    for action in ("stop", "start"):
        done = [a for a in actions if a.action == action]
        statuses = done[-1].statuses if done else ()
        results.append(CheckResult(ok=len(statuses) == nodes and all(s == "0" for s in statuses),
                                   what=f"run-sync 'service supervisor-config {action}'",
                                   expected=f"exit 0 on {nodes} new config node(s)",
                                   found=f"exit {list(statuses)}" if done else "not run", host=host))
    results.append(CheckResult(ok=_has(run, "SYS_INFO", "Start Compute upgrade..."), what="run-sync runtime sync",
                               expected="'Start Compute upgrade...'", found=_tail(run, 1), host=host))
    return results
