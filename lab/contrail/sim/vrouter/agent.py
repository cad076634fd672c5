"""contrail-vrouter-agent: XMPP to up to two control nodes, introspect on 8085.

Entry point `main()` (the contrail-vrouter-agent .deb ships /usr/bin/contrail-vrouter-agent
calling it). Reads --conf_file (default /etc/contrail/contrail-vrouter-agent.conf) once at
start (see agent_conf); a changed conf takes effect on restart only, as with the real agent.
With a discovery server it subscribes to `xmpp-server` (instances = max_control_nodes, 2)
and re-subscribes when the TTL runs out or a control node it uses has been gone for a
while; otherwise it uses [CONTROL-NODE]. The installed package version
(`dpkg-query -W -f '${Version}' contrail-vrouter-agent`) is read at start and reported
in NodeStatus build_info.
"""
from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.error

from ..common import daemon
from ..common.discovery import subscribe
from ..common.sandesh import FUNCTIONAL, NON_FUNCTIONAL, IntrospectServer, build_info_json
from . import agent_conf, introspect
from .channel import Channel

PROG = "contrail-vrouter-agent"
DEFAULT_CONF = "/etc/contrail/contrail-vrouter-agent.conf"
PACKAGE = "contrail-vrouter-agent"
HOLD_TIME = 9
# Lab fault flag (lab/faults.py `agent-refuses`): while it exists no XMPP session is kept.
REFUSE_FLAG = "/etc/contrail/lab-faults/agent-refuses"
RESUBSCRIBE_AFTER_DOWN = 6.0   # a channel down this long makes the agent ask discovery again
RESUBSCRIBE_MIN_INTERVAL = 5.0
FEWER_THAN_WANTED_RETRY = 15.0  # ask again this often while discovery offers fewer than wanted
NONE_OFFERED_RETRY = 2.0        # ... and this often while it offers none (control nodes still starting)
MAX_DISCOVERY_BACKOFF = 8.0


def installed_version(package: str = PACKAGE) -> str:
    """The dpkg version of the package, '' if it is not installed (or dpkg is missing)."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def pick_controllers(current: list[tuple[str, int]], offered: list[tuple[str, int]],
                     limit: int) -> list[tuple[str, int]]:
    """Keep the controllers still offered (stable order), then fill up from the offer."""
    keep = [c for c in current if c in offered]
    rest = [c for c in offered if c not in keep]
    return (keep + rest)[:limit]


class Agent:
    def __init__(self, cfg: agent_conf.AgentConfig, version: str, refuse_flag: str = REFUSE_FLAG,
                 prog: str = PROG) -> None:
        self.cfg = cfg
        self.refuse_flag = refuse_flag
        self.version = version
        self.prog = prog  # contrail-vrouter-agent, or contrail-tor-agent (same code, tor mode)
        self.intro = IntrospectServer(cfg.ip, cfg.introspect_port, prog, cfg.hostname)
        if version:
            self.intro.set_build_info(build_info_json(version))
        self.channels: dict[tuple[str, int], Channel] = {}
        self.discovery_up: bool | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.intro.route("Snh_AgentXmppConnectionStatusReq", self._xmpp_status)

    def log(self, message: str) -> None:
        daemon.log(self.prog, message)

    # -- introspect / status
    def _ordered(self) -> list[Channel]:
        with self._lock:
            return list(self.channels.values())

    def _xmpp_status(self, query: dict[str, str]) -> str:
        views = [c.view() for c in self._ordered()]
        established = [v.controller_ip for v in views if v.state == "Established"]
        chosen = established[0] if established else ""
        rows = [introspect.XmppRow(v.controller_ip, v.port, v.state, v.last_state,
                                   v.controller_ip == chosen, v.controller_ip == chosen, v.flap_count)
                for v in views]
        return introspect.render(rows)

    def update_status(self) -> None:
        conns: list[dict[str, object]] = []
        if self.cfg.discovery_server:
            conns.append({"type": "Discovery", "name": "xmpp-server",
                          "status": "Up" if self.discovery_up else "Down",
                          "server_addrs": [f"{self.cfg.discovery_server}:{self.cfg.discovery_port}"],
                          "description": "SubscribeResponse" if self.discovery_up else "Subscribe"})
        views = [c.view() for c in self._ordered()]
        for v in views:
            conns.append({"type": "XMPP", "name": f"control-node:{v.controller_ip}",
                          "status": "Up" if v.state == "Established" else "Down",
                          "server_addrs": [f"{v.controller_ip}:{v.port}"], "description": v.state})
        down = [f"{c['type']}:{c['name']}" for c in conns if c["status"] != "Up"]
        if not views:
            down.append("XMPP:control-node")
        if down:
            self.intro.set_status(NON_FUNCTIONAL, ", ".join(down) + " connection down", conns)
        else:
            self.intro.set_status(FUNCTIONAL, "", conns)

    # -- controllers
    def use_controllers(self, wanted: list[tuple[str, int]]) -> None:
        with self._lock:
            gone = [k for k in self.channels if k not in wanted]
            old = {k: self.channels.pop(k) for k in gone}
            new = [k for k in wanted if k not in self.channels]
            for k in new:
                self.channels[k] = Channel(self.cfg.hostname, self.cfg.ip, k[0], k[1], hold_time=HOLD_TIME,
                                           log=self.log, blocked=lambda: os.path.exists(self.refuse_flag))
            started = [self.channels[k] for k in new]
        for ch in old.values():
            ch.stop()
        for ch in started:
            ch.start()
        if gone or new:
            self.log(f"control nodes: {' '.join(f'{h}:{p}' for h, p in wanted) or '(none)'}")

    def _needs_resubscribe(self, deadline: float) -> bool:
        now = time.monotonic()
        if now >= deadline:
            return True
        views = [c.view() for c in self._ordered()]
        return any(v.down_since is not None and now - v.down_since > RESUBSCRIBE_AFTER_DOWN for v in views)

    def _discovery_loop(self) -> None:
        attempt = 0
        deadline = 0.0
        quiet_until = 0.0  # at most one subscribe per RESUBSCRIBE_MIN_INTERVAL
        while not self._stop.is_set():
            if time.monotonic() >= quiet_until and self._needs_resubscribe(deadline):
                try:
                    ttl, infos = subscribe(self.cfg.discovery_server, self.cfg.discovery_port, "xmpp-server",
                                           self.cfg.max_control_nodes, self.prog,
                                           f"{self.cfg.hostname}:{self.prog}",
                                           self.cfg.ip)
                except (OSError, urllib.error.URLError, ValueError) as exc:
                    if self.discovery_up is not False:
                        self.log(f"discovery {self.cfg.discovery_server}:{self.cfg.discovery_port}: {exc}")
                    self.discovery_up = False
                    attempt += 1
                    self._stop.wait(min(1 << min(attempt - 1, 5), MAX_DISCOVERY_BACKOFF))
                    continue
                attempt = 0
                quiet_until = time.monotonic() + RESUBSCRIBE_MIN_INTERVAL
                self.discovery_up = True
                offered = [(str(i.get("ip-address")), int(i.get("port") or agent_conf.XMPP_PORT))
                           for i in infos if i.get("ip-address")]
                current = list(self.channels)
                self.use_controllers(pick_controllers(current, offered, self.cfg.max_control_nodes))
                deadline = time.monotonic() + max(float(ttl), 2.0)
                # Retry soon while fewer controllers than wanted are available.
                if not offered:
                    deadline = min(deadline, time.monotonic() + NONE_OFFERED_RETRY)
                    quiet_until = 0.0
                elif len(offered) < self.cfg.max_control_nodes:
                    deadline = min(deadline, time.monotonic() + FEWER_THAN_WANTED_RETRY)
            self._stop.wait(1.0)

    def run(self) -> None:
        self.intro.start()
        self.log(f"starting {self.version or '(version unknown)'} on {self.cfg.ip} as {self.cfg.hostname}")
        if self.cfg.discovery_server:
            threading.Thread(target=self._discovery_loop, name="discovery", daemon=True).start()
        else:
            self.use_controllers(list(self.cfg.static_controllers))
        while not self._stop.is_set():
            self.update_status()
            self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        for ch in self._ordered():
            ch.stop()
        self.intro.stop()


def _default_ip(hostname: str) -> str:
    try:
        return socket.gethostbyname(hostname)
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args(PROG, DEFAULT_CONF, argv)
    cp = daemon.read_conf(args.conf_file)
    host = daemon.node_name()
    cfg = agent_conf.parse(cp, host, _default_ip(host))
    if not cfg.ip:
        raise SystemExit(f"{PROG}: no address: set [VIRTUAL-HOST-INTERFACE] ip")
    agent = Agent(cfg, installed_version())
    threading.Thread(target=agent.run, name="agent-main", daemon=True).start()
    daemon.wait_forever()
    agent.stop()


if __name__ == "__main__":
    main()
