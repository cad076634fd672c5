"""supervisord program files and the command wrappers that start the node-side simulation."""
from __future__ import annotations

from dataclasses import dataclass

from lab.nodefiles import NodeFile


@dataclass(frozen=True)
class Program:
    name: str              # [program:<name>]
    command: str
    priority: int
    numbered: bool = False  # process_name=%(process_num)s -> shows as name:0 (contrail-api, discovery)
    killasgroup: bool = True
    stopsignal: str = "KILL"
    log: str = ""          # stdout log file name under /var/log/contrail
    oneshot: bool = False  # runs once to completion (autorestart=false, startsecs=0)

    def ini(self) -> str:
        log = self.log or (f"{self.name}-%(process_num)s-stdout.log" if self.numbered else f"{self.name}-stdout.log")
        lines = [f"[program:{self.name}]", f"command={self.command}"]
        if self.numbered:
            lines += ["numprocs=1", "process_name=%(process_num)s"]
        lines += [
            f"priority={self.priority}",
            "autostart=true",
            f"killasgroup={'true' if self.killasgroup else 'false'}",
            f"stopsignal={self.stopsignal}",
            "stdout_capture_maxbytes=1MB",
            "redirect_stderr=true",
            f"stdout_logfile=/var/log/contrail/{log}",
            "stderr_logfile=/dev/null",
            "exitcodes=0",
        ]
        if self.oneshot:
            lines += ["autorestart=false", "startsecs=0"]
        return "\n".join(lines) + "\n"


# `python /opt/contrail/utils/provision_control.py` (the seed's form) may run a python whose
# prefix is not /usr (e.g. /usr/local/bin/python -> python3): make Debian's package dir visible.
_PATH_GUARD = ("import sys\nif '/usr/lib/python3/dist-packages' not in sys.path:\n"
               "    sys.path.append('/usr/lib/python3/dist-packages')\n")


def wrapper(path: str, module: str, call: str = "main()") -> NodeFile:
    """`#!/usr/bin/python3` script that runs contrail_sim.<module>.<call>."""
    fn = call.split("(", 1)[0]
    return NodeFile(path, f"#!/usr/bin/python3\n{_PATH_GUARD}from contrail_sim.{module} import {fn}\n{call}\n", 0o755)


def service_wrapper(path: str, name: str) -> NodeFile:
    """A daemon of contrail_sim.config.services (schema, collector, nodemgrs, ...)."""
    return wrapper(path, "config.services", f"main({name!r})")


def ini_file(instance: str, prog: Program) -> NodeFile:
    return NodeFile(f"/etc/contrail/supervisord_{instance}_files/{prog.name}.ini", prog.ini())


def system_program(prog: Program) -> NodeFile:
    """A program of the node's system supervisord (/etc/supervisor/conf.d/<name>.conf)."""
    return NodeFile(f"/etc/supervisor/conf.d/{prog.name}.conf", prog.ini().replace("/var/log/contrail/", "/var/log/supervisor/"))


def init_script(name: str, command: str, log: str) -> NodeFile:
    """/etc/init.d/<name> for a daemon that is a system service on real nodes (not under supervisord)."""
    text = f"""#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Short-Description: {name} (the lab's stand-in, started by this script)
### END INIT INFO
PIDFILE=/var/run/{name}.pid
LOG={log}
running() {{ [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }}
case "$1" in
    start)
        if running; then echo "{name} is already running"; exit 0; fi
        mkdir -p "$(dirname "$LOG")"
        nohup {command} >>"$LOG" 2>&1 </dev/null &
        echo $! > "$PIDFILE"
        echo "Starting {name}: {name}." ;;
    stop)
        if running; then
            pid=$(cat "$PIDFILE"); kill "$pid"
            n=50; while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
        fi
        rm -f "$PIDFILE"
        echo "Stopping {name}: {name}." ;;
    restart|force-reload) "$0" stop; "$0" start ;;
    status)
        if running; then echo "{name} is running"; exit 0; fi
        echo "{name} is not running"; exit 3 ;;
    *) echo "Usage: service {name} {{start|stop|restart|status}}" >&2; exit 2 ;;
esac
"""
    return NodeFile(f"/etc/init.d/{name}", text, 0o755)
