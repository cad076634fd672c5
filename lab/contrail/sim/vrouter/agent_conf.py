"""The parts of /etc/contrail/contrail-vrouter-agent.conf the simulated agent uses (pure).

Real keys:
  [DEFAULT]                 hostname (default: the host name), http_server_port (8085)
  [DISCOVERY]               server, port (5998), max_control_nodes (2)
  [CONTROL-NODE]            server = ip [ip]        (3.x static list, used without discovery)
                            servers = ip:5269 ip:5269  (4.0+, no discovery)
  [VIRTUAL-HOST-INTERFACE]  ip = a.b.c.d/len (vhost0 address: the agent's own address)
  [NETWORKS]                control_network_ip (overrides the vhost address for control traffic)
With [DISCOVERY] server set, the control nodes come from discovery (`xmpp-server`);
otherwise from [CONTROL-NODE]. At most two control nodes are used.
"""
from __future__ import annotations

import configparser
from dataclasses import dataclass

MAX_CONTROLLERS = 2
XMPP_PORT = 5269


@dataclass(frozen=True)
class AgentConfig:
    hostname: str
    ip: str
    introspect_port: int
    discovery_server: str
    discovery_port: int
    max_control_nodes: int
    static_controllers: tuple[tuple[str, int], ...]


def _get(cp: configparser.ConfigParser, section: str, key: str, default: str = "") -> str:
    if not cp.has_option(section, key):
        return default
    value = cp.get(section, key).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


def parse_servers(value: str, default_port: int = XMPP_PORT) -> tuple[tuple[str, int], ...]:
    """'a b:5269,c' -> ((a, 5269), (b, 5269), (c, 5269))."""
    out = []
    for item in value.replace(",", " ").split():
        host, _, port = item.partition(":")
        out.append((host, int(port) if port else default_port))
    return tuple(out)


def parse(cp: configparser.ConfigParser, default_hostname: str, default_ip: str = "") -> AgentConfig:
    vhost_ip = _get(cp, "VIRTUAL-HOST-INTERFACE", "ip").split("/")[0]
    ip = _get(cp, "NETWORKS", "control_network_ip").split("/")[0] or vhost_ip or default_ip
    static = parse_servers(_get(cp, "CONTROL-NODE", "servers")) or parse_servers(_get(cp, "CONTROL-NODE", "server"))
    return AgentConfig(
        hostname=_get(cp, "DEFAULT", "hostname") or default_hostname,
        ip=ip,
        introspect_port=int(_get(cp, "DEFAULT", "http_server_port", "8085") or 8085),
        discovery_server=_get(cp, "DISCOVERY", "server"),
        discovery_port=int(_get(cp, "DISCOVERY", "port", "5998") or 5998),
        max_control_nodes=max(1, min(MAX_CONTROLLERS, int(_get(cp, "DISCOVERY", "max_control_nodes", "2") or 2))),
        static_controllers=static[:MAX_CONTROLLERS],
    )
