"""contrail-tor-agent: the vRouter agent in TOR mode, one per managed TOR switch.

Entry point `main()`: the contrail-vrouter-agent .deb ships /usr/bin/contrail-tor-agent
(contrail-packages R3.2 debian/contrail/debian/contrail-vrouter-agent.install), run by the
supervisor-vrouter program `contrail-tor-agent-<tor_id>` as
`/usr/bin/contrail-tor-agent --config_file /etc/contrail/contrail-tor-agent-<tor_id>.conf`
(contrail-provisioning R3.2 compute/toragent/templates/tor_agent_ini.py).

The conf (compute/toragent/templates/tor_agent_conf.py) is the agent's: [DEFAULT]
agent_name (its XMPP name), agent_mode=tor, http_server_port (its introspect);
[DISCOVERY] server; [NETWORKS] control_network_ip; [TOR] tor_ip/tor_id/... It reads
the conf once at start, subscribes to `xmpp-server` at that discovery and keeps XMPP
sessions with the control nodes offered, like the vRouter agent (agent.py). The lab's
TOR agent talks to no switch (no OVSDB session to tor_ip) and holds no /dev/flow, so it
does not keep the vrouter module in use.
"""
from __future__ import annotations

import argparse
import configparser
import dataclasses
import sys
import threading

from ..common import daemon
from . import agent_conf
from .agent import Agent, installed_version

PROG = "contrail-tor-agent"


def read_conf(path: str) -> configparser.ConfigParser:
    """The template indents `  agent_mode=tor`; the agent's option parser trims every line
    (as the vrouter nodemgr does when it reads this file: vrouter_process_stat.py)."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(path) as fh:
            cp.read_string("\n".join(line.strip() for line in fh), source=path)
    except FileNotFoundError:
        sys.exit(f"{path}: No such file or directory")
    return cp


def parse(cp: configparser.ConfigParser, default_hostname: str) -> agent_conf.AgentConfig:
    name = daemon.get(cp, "DEFAULT", "agent_name") or default_hostname
    cfg = agent_conf.parse(cp, name)
    return dataclasses.replace(cfg, hostname=name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=PROG)
    parser.add_argument("--config_file", "--conf_file", dest="config_file", required=True)
    args = parser.parse_args(argv)
    cp = read_conf(args.config_file)
    if daemon.get(cp, "DEFAULT", "agent_mode") != "tor":
        raise SystemExit(f"{PROG}: {args.config_file}: [DEFAULT] agent_mode is not tor")
    cfg = parse(cp, daemon.node_name())
    if not cfg.ip:
        raise SystemExit(f"{PROG}: no address: set [NETWORKS] control_network_ip")
    agent = Agent(cfg, installed_version(), prog=PROG)
    threading.Thread(target=agent.run, name="tor-agent-main", daemon=True).start()
    daemon.wait_forever()
    agent.stop()


if __name__ == "__main__":
    main()
