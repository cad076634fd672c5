"""Facts about cluster nodes: a read-only command over SSH, then a pure parser from checks/.

Each function takes the current `Step` (so every command lands in its Allure step and
journal) and a node, and returns parsed evidence. Introspect is queried *on* the node
(`curl http://<node ip>:<port>/...`), as an operator would from the node's shell; the
runbook host needs no route to introspect ports.
"""
from __future__ import annotations

import json
import shlex

from checks import contrail_status, haproxy, ini, introspect, keystone, versions
from checks import service_status as service_status_parser
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


def _q(s: str) -> str:
    """A value for a curl config file (-K): double-quoted, backslash and quote escaped."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# One keystone token per loaded inventory (the runbook's process), refreshed on a 401.
_TOKENS: dict[tuple[str, str, str], str] = {}


def keystone_token(step: Step, inventory, via: Node, *, fresh: bool = False) -> str:
    """An admin token from the inventory's keystone (v2.0 or v3), obtained on `via` with curl.

    The password goes to curl on stdin (`-K -`), never on a command line; the response (it
    holds the token) is withheld from the report, and the token joins the fleet's redactor.
    Wrong credentials raise checks.keystone.KeystoneRefused (401).
    """
    key = (str(getattr(inventory, "path", id(inventory))), inventory.model.keystone_url(),
           inventory.model.keystone.admin_user)
    if not fresh and key in _TOKENS:
        return _TOKENS[key]
    m = inventory.model
    ks = m.keystone
    version = inventory.model.keystone_version()
    password = inventory.secret(ks.admin_password).resolve()
    body = (keystone.v2_body(ks.admin_user, password, ks.admin_tenant_name) if version == "v2.0" else
            keystone.v3_body(ks.admin_user, password, ks.admin_tenant_name, ks.user_domain_name,
                             ks.project_domain_name))
    config = "\n".join([f"url = {_q(inventory.model.keystone_url() + keystone.token_path(version))}",
                        'header = "Content-Type: application/json"', f"data = {_q(body)}"]) + "\n"
    tls = (["--cacert", ks.ca_file] if ks.ca_file else []) + (["-k"] if ks.insecure else [])
    cmd = ["curl", "-sS", "-i", "--max-time", "20", *tls, "-X", "POST", "-K", "-"]
    res = step.fleet.executor(via).run(cmd, read_only=True, stdin=config, secret_output=True,
                                       title=f"keystone {version} token for {ks.admin_user}").check()
    token = keystone.parse_token_response(res.stdout, version)
    step.fleet.add_secret(token)
    _TOKENS[key] = token
    return token


def api_call_config(step: Step, inventory, via: Node, body: str | None = None, *, fresh: bool = False) -> str:
    """curl -K config for a config API call: the keystone token as X-Auth-Token (and a JSON body), for stdin."""
    lines = [f"header = {_q('X-Auth-Token: ' + keystone_token(step, inventory, via, fresh=fresh))}"]
    if body is not None:
        lines += ['header = "Content-Type: application/json"', f"data = {_q(body)}"]
    return "\n".join(lines) + "\n"


def api_call_command(api: str, method: str, path: str) -> str:
    url = f"http://{api}/{path.lstrip('/')}"
    return f"curl -sS --fail --max-time 20 -X {method} -K - {shlex.quote(url)}"


def _unauthorized(res) -> bool:
    """curl --fail on a 401: exit 22, 'The requested URL returned error: 401'."""
    return res.rc == 22 and " 401" in res.stderr


def api_read(step: Step, inventory, via: Node, api: str, method: str, path: str, body: str | None = None,
             title: str | None = None) -> str:
    """A read-only config API call with the keystone token; a 401 gets a fresh token and one retry
    (as vnc_api does: contrail-controller R3.2 src/api-lib/vnc_api.py _request)."""
    cmd = api_call_command(api, method, path)
    ex = step.fleet.executor(via)
    res = ex.run(cmd, read_only=True, sudo=True, stdin=api_call_config(step, inventory, via, body), title=title)
    if _unauthorized(res):
        res = ex.run(cmd, read_only=True, sudo=True, title=title,
                     stdin=api_call_config(step, inventory, via, body, fresh=True))
    return res.check().stdout


def api_fq_name_to_uuid(step: Step, inventory, via: Node, api: str, obj_type: str, fq_name: list[str]) -> str:
    body = json.dumps({"type": obj_type, "fq_name": fq_name})
    out = api_read(step, inventory, via, api, "POST", "fqname-to-id", body,
                   title=f"config API fqname-to-id {':'.join(fq_name)}")
    return json.loads(out)["uuid"]


def api_get(step: Step, inventory, via: Node, api: str, path: str) -> str:
    """GET on a config API (`api` = ip:port) with a keystone token (X-Auth-Token). The token goes
    to curl on stdin (-K -): never on a command line, redacted in reports."""
    return api_read(step, inventory, via, api, "GET", path, title=f"config API GET http://{api}/{path.lstrip('/')}")


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


def service_status(step: Step, node: Node, name: str) -> service_status_parser.ServiceStatus:
    """`service NAME status` judged by what it prints (upstart exits 0 when stopped, systemd and
    LSB scripts 3): checks.service_status, never the exit code alone."""
    res = step.probe(node, f"service {shlex.quote(name)} status", title=f"service {name} status")
    return service_status_parser.parse_status(res.rc, res.stdout, res.stderr)
