"""Facts about cluster nodes: a read-only command over SSH, then a pure parser from checks/.

Each function takes the current `Step` (so every command lands in its Allure step and
journal) and a node, and returns parsed evidence. Introspect is queried *on* the node
(`curl http://<node ip>:<port>/...`), as an operator would from the node's shell; the
runbook host needs no route to introspect ports.
"""
from __future__ import annotations

import json
import shlex

from checks import contrail_status, haproxy, ini, introspect, versions
from issu.inventory import ControllerCluster, Inventory, Node, Role
from issu.steps import Step

# Introspect ports (contrail-interfaces.md)
CONTROL_INTROSPECT = 8083
AGENT_INTROSPECT = 8085
API_PORT = 8082
DISCOVERY_PORT = 5998

# Where each DB-separation key lives (seed: "ensure that the databases are logically separated").
CLUSTER_ID_FILES = {
    Role.config: ("contrail-api", "contrail-schema", "contrail-svc-monitor", "contrail-device-manager",
                  "contrail-discovery"),
    Role.analytics: ("contrail-analytics-api", "contrail-snmp-collector"),
}
KAFKA_PREFIX_FILES = {Role.analytics: ("contrail-alarm-gen", "contrail-collector")}
RABBIT_VHOST_FILES = {Role.config: ("contrail-api", "contrail-device-manager", "contrail-schema",
                                    "contrail-svc-monitor")}

# One package per role whose version tells what is installed (the lab and 3.2 packaging).
ROLE_PACKAGES = {
    Role.config: "contrail-config",
    Role.control: "contrail-control",
    Role.analytics: "contrail-analytics",
    Role.database: "contrail-openstack-database",
    Role.webui: "contrail-web-core",
}
COMPUTE_PACKAGES = ("contrail-vrouter-agent", "contrail-vrouter-common", "contrail-nodemgr",
                    "python-contrail", "contrail-lib", "contrail-vrouter-utils")

AGENT_CONF = "/etc/contrail/contrail-vrouter-agent.conf"
AGENT_INI = "/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini"
NODEMGR_CONF = "/etc/contrail/contrail-vrouter-nodemgr.conf"
AGENT_PROGRAM = "program:contrail-vrouter-agent"


def conf_path(service: str) -> str:
    return f"/etc/contrail/{service}.conf"


def status(step: Step, node: Node) -> contrail_status.StatusReport:
    return contrail_status.parse(step.read(node, "contrail-status").stdout)


def http_get(step: Step, node: Node, url: str, *, title: str | None = None, timeout: int = 15) -> str:
    cmd = f"curl -sS --fail --max-time {timeout} {shlex.quote(url)}"
    return step.read(node, cmd, title=title).stdout


def bgp_neighbors(step: Step, control: Node) -> list[introspect.BgpPeer]:
    base = f"http://{control.ip}:{CONTROL_INTROSPECT}/"
    return introspect.collect_pages(lambda path: http_get(step, control, base + path,
                                                          title=f"control introspect {path.split('?')[0]}"))


def agent_xmpp(step: Step, compute: Node) -> list[introspect.XmppSession]:
    xml = http_get(step, compute, f"http://{compute.ip}:{AGENT_INTROSPECT}/Snh_AgentXmppConnectionStatusReq",
                   title="agent introspect Snh_AgentXmppConnectionStatusReq")
    return introspect.parse_agent_xmpp(xml)


def read_conf(step: Step, node: Node, path: str) -> str:
    return step.read(node, ["cat", "--", path]).stdout


def conf_key(text: str, key: str, sections: tuple[str, ...] = ("DEFAULTS", "DEFAULT")) -> str | None:
    """A key from the first of `sections` that has it; '' when absent (3.2's default)."""
    parsed = ini.parse_ini(text)
    for section in sections:
        if key in parsed.get(section, {}):
            return ini.strip_quotes(parsed[section][key])
    return None


def installed(step: Step, node: Node, packages: tuple[str, ...]) -> dict[str, versions.PackageState]:
    result = step.probe(node, versions.dpkg_query_command(list(packages)))
    return versions.parse_dpkg_query(result.stdout)


def haproxy_config(step: Step, node: Node, path: str) -> haproxy.HaproxyConfig:
    return haproxy.parse(read_conf(step, node, path))


def api_json(step: Step, via: Node, api_ip: str, path: str) -> dict:
    return json.loads(http_get(step, via, f"http://{api_ip}:{API_PORT}/{path.lstrip('/')}",
                               title=f"config API GET /{path.lstrip('/')} on {api_ip}"))


def controls(cluster: ControllerCluster) -> tuple[Node, ...]:
    return cluster.with_role(Role.control)


def config_nodes(cluster: ControllerCluster) -> tuple[Node, ...]:
    return cluster.with_role(Role.config)


def side_of(inv: Inventory, node: Node) -> ControllerCluster:
    return inv.old if node in inv.old.nodes else inv.new
