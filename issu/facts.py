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
from issu.inventory import ControllerCluster, Node, Role
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


def _curl_config(user: str, password: str, data: str | None = None) -> str:
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [f"user = {q(user + ':' + password)}"]
    if data is not None:
        lines += ['header = "Content-Type: application/json"', f"data = {q(data)}"]
    return "\n".join(lines) + "\n"


def api_call_config(inventory, body: str | None = None) -> str:
    """curl -K config for a config API call: credentials (and a JSON body), for stdin."""
    ks = inventory.model.keystone
    return _curl_config(ks.admin_user, inventory.secret(ks.admin_password).resolve(), body)


def api_call_command(api: str, method: str, path: str) -> str:
    url = f"http://{api}/{path.lstrip('/')}"
    return f"curl -sS --fail --max-time 20 -X {method} -K - {shlex.quote(url)}"


def api_fq_name_to_uuid(step: Step, inventory, via: Node, api: str, obj_type: str, fq_name: list[str]) -> str:
    body = json.dumps({"type": obj_type, "fq_name": fq_name})
    out = step.read(via, api_call_command(api, "POST", "fqname-to-id"), stdin=api_call_config(inventory, body),
                    title=f"config API fqname-to-id {':'.join(fq_name)}").stdout
    return json.loads(out)["uuid"]


def api_get(step: Step, inventory, via: Node, api: str, path: str) -> str:
    """GET on a config API (`api` = ip:port) with the keystone admin credentials. The
    credentials go to curl on stdin (-K -): never on a command line, redacted in reports."""
    ks = inventory.model.keystone
    password = inventory.secret(ks.admin_password).resolve()
    url = f"http://{api}/{path.lstrip('/')}"
    return step.read(via, f"curl -sS --fail --max-time 20 -K - {shlex.quote(url)}",
                     stdin=_curl_config(ks.admin_user, password), title=f"config API GET {url}").stdout


def bgp_routers(step: Step, inventory, via: Node, api: str):
    from checks.config_api import parse_bgp_routers

    return parse_bgp_routers(api_get(step, inventory, via, api, "bgp-routers?detail=True"))


def virtual_networks(step: Step, inventory, via: Node, api: str) -> list[str]:
    from checks.config_api import parse_names

    return parse_names(api_get(step, inventory, via, api, "virtual-networks"), "virtual-networks")


def first_config(cluster: ControllerCluster) -> Node:
    return config_nodes(cluster)[0]


def api_of(cluster: ControllerCluster) -> str:
    return f"{first_config(cluster).ip}:{API_PORT}"


def vip(inventory) -> str:
    os_node = inventory.model.openstack
    return f"{os_node.ip}:{os_node.api_frontend_port}"


def http_code(step: Step, node: Node, url: str) -> str:
    """HTTP status of `url` as seen from `node` ('000': no answer)."""
    res = step.probe(node, f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 {shlex.quote(url)}")
    return res.stdout.strip() or "000"


def vip_http_code(step: Step, os_node: Node, vip_addr: str) -> str:
    """HTTP status of the northbound VIP as seen from the openstack node."""
    return http_code(step, os_node, f"http://{vip_addr}/")


def finalized(step: Step, inventory) -> bool:
    """The upgrade has been finalized: HAProxy's config API backend is the new config nodes.
    From then on the old controllers are retired and the migrate-config steps are done."""
    os_node = inventory.model.openstack
    cfg = haproxy_config(step, os_node, os_node.haproxy_cfg)
    fe = cfg.frontend_on_port(os_node.api_frontend_port)
    if fe is None:
        return False
    behind = {s.address for s in cfg.servers_behind(fe)}
    return bool(behind) and behind == {n.ip for n in config_nodes(inventory.model.new)}


def config_restricted(step: Step, node: Node) -> bool:
    """The node's supervisor-config runs only api/discovery/ifmap (the ISSU's migrate-config did that)."""
    text = read_conf(step, node, "/etc/contrail/supervisord_config.conf")
    files = (ini.parse_ini(text).get("include", {}).get("files") or "").split()
    return bool(files) and not any(f.endswith("*.ini") for f in files)
