"""End to end: the seed's MANUAL ISSU procedure, carried out on a lab over plain SSH.

Each test boots its own copy of clusters/lab.yaml (127.50.0.0/16, then 127.51.0.0/16), and
runs the seed's own command lines, in its order, over SSH (paramiko, pinned host keys):
peer the old and new control nodes, restrict supervisord_config on the new controller,
freeze the northbound (HAProxy), pre-sync, run-sync under the system supervisord,
unfreeze, migrate every compute, (roll one back), freeze, finalize (stop the old services,
post-sync, zk-sync, supervisord_config back to *.ini, HAProxy to the new API, provision
del/add). After each phase it asserts from the lab's own outputs, parsed with checks/.

Two of the seed's lines are not runnable as printed, and run literally they break the node
the way they would break a real one (crudini keeps the first value and ignores the rest):
`include files \\"a b c\\"` sets `files = "a` (supervisor-config then runs nothing), and
the nodemgr line's stray `%s` (a leftover of the fab script's format string) sets
`server=%s`. So the quotes are the shell's here, and the `%s` is left out.
"""
from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import pytest

from checks import contrail_status, introspect, verdicts
from checks.evidence import CheckResult, combine
from checks.versions import parse_dpkg_query
from issu.inventory import LoadedInventory
from lab import boot
from lab.contrail.packages import compute_packages
from lab.paths import LabPaths
from tests.lab.conftest import lab_inventory

pytestmark = [pytest.mark.lab, pytest.mark.slow]

UTILS = "/opt/contrail/utils"
ISSU_CONF = "/etc/contrail/contrail-issu.conf"
SUP_ISSU = "/etc/supervisor/conf.d/contrail-issu.conf"
SUP_CONFIG = "/etc/contrail/supervisord_config.conf"
CFG_FILES = "/etc/contrail/supervisord_config_files"
AGENT_INI = "/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini"
AGENT_CONF = "/etc/contrail/contrail-vrouter-agent.conf"
NODEMGR_CONF = "/etc/contrail/contrail-vrouter-nodemgr.conf"
EXTERNAL_ROUTER = "mx-gw-1"
RESTRICTED = ("contrail-api", "contrail-discovery", "ifmap")
SINGLETONS = ("contrail-schema", "contrail-svc-monitor", "contrail-device-manager")
RUN_SYNC_SETTINGS = (  # the seed's openstack-config lines for program:contrail-issu, in its order; the command
    # as issu_process.sh writes it: the seed's bare `contrail-issu-run-sync` runs on the built-in defaults
    "command 'contrail-issu-run-sync --conf_file /etc/contrail/contrail-issu.conf'", "numprocs 1", "process_name '%(process_num)s'", "redirect_stderr true",
    "stdout_logfile '/var/log/issu-contrail-run-sync-%(process_num)s-stdout.log'", "stderr_logfile '/dev/null'",
    "priority 440", "autostart true", "killasgroup false", "stopsignal KILL", "exitcodes 0",
)


# ---------------------------------------------------------------- SSH plumbing


@dataclass
class Lab:
    """A booted lab reached only over SSH (one pinned-key paramiko client per node)."""

    inv: LoadedInventory
    old: str = ""   # the old controller's name
    new: str = ""   # the new controller's name
    pw: str = ""    # the keystone admin password (lab secret)
    clients: dict[str, paramiko.SSHClient] = field(default_factory=dict)

    def client(self, node: str) -> paramiko.SSHClient:
        if node not in self.clients:
            paths = LabPaths(self.inv.lab_state_dir)
            c = paramiko.SSHClient()
            c.load_host_keys(str(paths.known_hosts))
            c.set_missing_host_key_policy(paramiko.RejectPolicy())
            c.connect(self.ip(node), username="root", key_filename=str(paths.ssh_key),
                      look_for_keys=False, allow_agent=False, timeout=10)
            self.clients[node] = c
        return self.clients[node]

    def ip(self, node: str) -> str:
        return next(n.ip for n in self.inv.model.all_nodes() if n.name == node)

    def run(self, node: str, cmd: str, timeout: float = 120) -> tuple[int, str, str]:
        _, out, err = self.client(node).exec_command(cmd, timeout=timeout)
        rc = out.channel.recv_exit_status()
        return rc, out.read().decode(), err.read().decode()

    def sh(self, node: str, cmd: str, timeout: float = 120) -> str:
        """Run `cmd` on `node`, which must succeed; its stdout."""
        rc, out, err = self.run(node, cmd, timeout)
        assert rc == 0, f"{node}: `{cmd}` exited {rc}\n{out}{err}"
        return out

    def close(self) -> None:
        for c in self.clients.values():
            c.close()


def eventually(check, what: str, timeout: float = 60.0):
    """Poll `check` (a CheckResult or a truthy value) until it holds; fail with its last message."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except (AssertionError, ValueError) as exc:  # ParseError is a ValueError
            value = exc
        ok = value.ok if isinstance(value, CheckResult) else (
            bool(value) and not isinstance(value, Exception))
        if ok:
            return value
        if time.monotonic() > deadline:
            detail = value.message() if isinstance(value, CheckResult) else repr(value)
            raise AssertionError(f"{what}: not reached in {timeout:.0f}s; last: {detail}")
        time.sleep(1.0)


# ---------------------------------------------------------------- facts, read on the nodes


def bgp_peers(lab: Lab, node: str) -> list[introspect.BgpPeer]:
    ip = lab.ip(node)
    return introspect.collect_pages(lambda path: lab.sh(node, f"curl -sf --max-time 10 'http://{ip}:8083/{path}'"))


def xmpp_sessions(lab: Lab, node: str) -> list[introspect.XmppSession]:
    ip = lab.ip(node)
    return introspect.parse_agent_xmpp(
        lab.sh(node, f"curl -sf --max-time 10 'http://{ip}:8085/{introspect.AGENT_XMPP_PATH}'"))


def status(lab: Lab, node: str) -> contrail_status.StatusReport:
    return contrail_status.parse(lab.sh(node, "contrail-status"))


def system_programs(lab: Lab, node: str) -> contrail_status.SupervisorStatus:
    """`supervisorctl status` of the node's system supervisord (exits 3 when a program is down)."""
    rc, out, err = lab.run(node, "supervisorctl status")
    assert rc in (0, 3), f"{node}: supervisorctl status exited {rc}: {out}{err}"
    return contrail_status.parse_supervisorctl(out)


def vn_names(lab: Lab, api: str | None = None) -> set[str]:
    target = f" --api {api}:8082" if api else ""
    return {line.rsplit(":", 1)[-1] for line in lab.sh("openstack1", f"contrail-nb-client list virtual-network{target}").split()}


def nb_create(lab: Lab, name: str) -> tuple[int, str]:
    rc, out, err = lab.run("openstack1", f"contrail-nb-client create virtual-network {name}")
    return rc, out + err


def token(lab: Lab) -> str:
    """A keystone admin token (contrail-api takes X-Auth-Token, not HTTP Basic)."""
    from lab.contrail.sim.common import keystone_auth

    m = lab.inv.model
    return keystone_auth.get_token(m.keystone_url(), m.keystone.admin_user, lab.pw, m.keystone.admin_tenant_name,
                                   m.keystone.user_domain_name, m.keystone.project_domain_name).id


def api_names(lab: Lab, node: str, obj: str) -> dict[str, dict]:
    """{name: object} of `obj`s in the config API of `node` (read on that node)."""
    out = lab.sh(node, f"curl -sf --max-time 10 -H 'X-Auth-Token: {token(lab)}' "
                       f"'http://{lab.ip(node)}:8082/{obj}s?detail=True'")
    return {o[obj]["fq_name"][-1]: o[obj] for o in json.loads(out)[f"{obj}s"]}


def packages_at(lab: Lab, compute: str, version: str) -> CheckResult:
    names = compute_packages(version)
    text = lab.sh(compute, "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' " + " ".join(names))
    states = parse_dpkg_query(text)
    return combine("compute packages", [
        verdicts.version_installed(states, name, version, compute) for name in names], host=compute)


# ---------------------------------------------------------------- the seed's phases


def auth(lab: Lab) -> str:
    return f"--admin_user admin --admin_password {shlex.quote(lab.pw)} --admin_tenant_name admin"


def provision_control(lab: Lab, api_node: str, host: str, oper: str = "add") -> None:
    lab.sh(lab.new, f"python {UTILS}/provision_control.py --host_name {host} --host_ip {lab.ip(host)} "
                    f"--api_server_ip {lab.ip(api_node)} --api_server_port 8082 --oper {oper} {auth(lab)} "
                    f"--router_asn {lab.inv.model.asn}")


def provision_node(lab: Lab, tool: str, host: str, oper: str) -> None:
    lab.sh(lab.new, f"python {UTILS}/provision_{tool}.py --api_server_ip {lab.ip(lab.new)} --host_name {host} "
                    f"--host_ip {lab.ip(host)} --oper {oper} {auth(lab)}")


def issu_conf(lab: Lab) -> str:
    m = lab.inv.model
    old, new, rabbit = lab.ip(lab.old), lab.ip(lab.new), ",".join(m.rabbitmq.hosts)
    rabbit_pw = (lab.inv.lab_state_dir / "secrets" / "rabbit_password").read_text().strip()
    root_pw = (lab.inv.lab_state_dir / "secrets" / "root_password").read_text().strip()
    # new_api_info: run-sync's SSH login (user, password) on every new config node, as fab's moreconf writes it
    return f"""[DEFAULTS]
old_rabbit_user = {m.rabbitmq.user}
old_rabbit_password = {rabbit_pw}
old_rabbit_vhost = {m.old.rabbit_vhost}
old_rabbit_port = 5672
old_rabbit_address_list = {rabbit}
new_rabbit_user = {m.rabbitmq.user}
new_rabbit_password = {rabbit_pw}
new_rabbit_vhost = {m.new.rabbit_vhost}
new_rabbit_port = 5672
new_rabbit_address_list = {rabbit}
old_cassandra_address_list = {old}:9160
new_cassandra_address_list = {new}:9160
old_zookeeper_address_list = {old}:2181
new_zookeeper_address_list = {new}:2181
odb_prefix = {m.old.cluster_id}
ndb_prefix = {m.new.cluster_id}
new_api_info = {{'{new}': ['root', '{root_pw}']}}
db_host_info = {{'{new}': '{lab.new}'}}
config_host_info = {{'{new}': '{lab.new}'}}
analytics_host_info = {{'{new}': '{lab.new}'}}
control_host_info = {{'{new}': '{lab.new}'}}
admin_user = admin
admin_password = {lab.pw}
admin_tenant_name = admin
openstack_ip = {lab.ip('openstack1')}
api_server_ip = {new}
api_server_port = 8082
"""


CONTRAIL_FRONTENDS = [8082, 5998, 8081]  # config API, discovery, analytics API on the VIP


def _set_contrail_frontends(lab: Lab, disabled: bool) -> None:
    """Freeze (or open) only Contrail's front-ends: `service haproxy stop` would also stop keystone's,
    which contrail-api itself needs to validate tokens."""
    from issu import haproxy_edit

    cfg = haproxy_edit.set_frontends_disabled(lab.sh("openstack1", "cat /etc/haproxy/haproxy.cfg"),
                                              CONTRAIL_FRONTENDS, disabled)
    lab.sh("openstack1", f"cat > /etc/haproxy/haproxy.cfg <<'EOF'\n{cfg}EOF\n"
                         "haproxy -c -q -f /etc/haproxy/haproxy.cfg && service haproxy reload")


def freeze(lab: Lab) -> None:
    _set_contrail_frontends(lab, disabled=True)
    rc, out = nb_create(lab, f"nb-frozen-{time.monotonic_ns()}")
    assert rc == 1 and "ERROR" in out, f"a create went through the frozen VIP: {out}"


def unfreeze(lab: Lab) -> None:
    _set_contrail_frontends(lab, disabled=False)
    eventually(lambda: lab.run("openstack1", "contrail-nb-client list virtual-network")[0] == 0, "VIP answers")


def migrate_compute(lab: Lab, compute: str, version: str, discovery: str) -> None:
    """The seed's compute migration (and rollback: the same lines with the old version/discovery)."""
    pins = " ".join(f"{p}={version}" for p in compute_packages(version))
    for cmd in (
        f"openstack-config --del {AGENT_INI} program:contrail-vrouter-agent autostart",
        f"openstack-config --del {AGENT_INI} program:contrail-vrouter-agent killasgroup",
        f"DEBIAN_FRONTEND=noninteractive apt-get -y -q --force-yes install {pins}",  # apt 1.0 (14.04) has no --allow-downgrades
        f"openstack-config --set {AGENT_CONF} DISCOVERY server {discovery}",
        f"openstack-config --set {AGENT_INI} program:contrail-vrouter-agent autostart true",
        f"openstack-config --set {AGENT_INI} program:contrail-vrouter-agent killasgroup true",
        f"openstack-config --set {NODEMGR_CONF} DISCOVERY server {discovery}",
        # the TOR agents too, as the vendor's compute script does (CC R3.2 issu_process.sh); the seed omits them
        f"for f in /etc/contrail/contrail-tor-agent-*.conf; do [ -e \"$f\" ] || continue; "
        f"openstack-config --set \"$f\" DISCOVERY server {discovery}; done",
        "service supervisor-vrouter restart",
    ):
        lab.sh(compute, cmd, timeout=180)


def assert_compute_on(lab: Lab, compute: str, version: str, control: str, other: str) -> None:
    """Packages at `version`, both confs at `control`'s discovery, XMPP Established to it only."""
    ctl_ip, other_ip = lab.ip(control), lab.ip(other)
    check = packages_at(lab, compute, version)
    assert check.ok, check.message()
    for path in (AGENT_CONF, NODEMGR_CONF):
        check = verdicts.ini_value(lab.sh(compute, f"cat {path}"), "DISCOVERY", "server", ctl_ip, compute, path)
        assert check.ok, check.message()
    eventually(lambda: verdicts.agent_on_controls(xmpp_sessions(lab, compute), compute, [ctl_ip], [other_ip]),
               f"{compute} XMPP to {control} only")
    eventually(lambda: any(p.name == compute and p.encoding == "XMPP" and p.established
                           for p in bgp_peers(lab, control)), f"{control} lists {compute} Established")
    url = f"http://{lab.ip(compute)}:8085/{introspect.NODE_STATUS_PATH}"
    eventually(lambda: verdicts.node_functional(introspect.parse_node_status(
        lab.sh(compute, f"curl -sf --max-time 10 '{url}'")), compute, "contrail-vrouter-agent"),
        f"{compute} agent NodeStatus Functional")  # the UVE follows the sessions within a second or so
    xml = lab.sh(compute, f"curl -sf --max-time 10 '{url}'")
    node_status = introspect.parse_node_status(xml)
    assert node_status.name == compute
    assert node_status.connection("XMPP").server_addrs == (f"{ctl_ip}:5269",)
    build, number = version.rsplit("-", 1)  # the running agent's own idea of its version
    assert f'"build-version" : "{build}"' in xml and f'"build-number" : "{number}"' in xml


def create_external_router(lab: Lab) -> None:
    """An MX the operator configured: router_type 'router', vendor 'mx' (must survive the ISSU)."""
    ip = f"{'.'.join(lab.ip(lab.old).split('.')[:2])}.9.1"
    body = json.dumps({"bgp-router": {
        "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", EXTERNAL_ROUTER],
        "parent_type": "routing-instance",
        "bgp_router_parameters": {"vendor": "mx", "router_type": "router", "address": ip, "identifier": ip,
                                  "autonomous_system": lab.inv.model.asn, "port": 179, "hold_time": 90}}})
    lab.sh(lab.old, f"curl -sf --max-time 10 -H 'X-Auth-Token: {token(lab)}' -H 'Content-Type: application/json' "
                    f"-X POST -d {shlex.quote(body)} http://{lab.ip(lab.old)}:8082/bgp-routers")


# ---------------------------------------------------------------- the procedure


def manual_issu(lab: Lab, rollback: str | None) -> None:
    m = lab.inv.model
    old, new = lab.old, lab.new
    old_ip, new_ip = lab.ip(old), lab.ip(new)
    computes = [c.name for c in m.computes]

    # Baseline: agents on the old control; an external router configured in the old API.
    for c in computes:
        eventually(lambda: verdicts.agent_on_controls(xmpp_sessions(lab, c), c, [old_ip], [new_ip]),
                   f"{c} on the old control before the ISSU")
    for node in (old, new):
        eventually(lambda: verdicts.status_healthy(status(lab, node), node), f"{node} healthy before the ISSU")
    eventually(lambda: lab.run("openstack1", "contrail-nb-client list virtual-network")[0] == 0,
               "the VIP answers (HAProxy's health check has seen the API up)")
    create_external_router(lab)
    rc, out = nb_create(lab, "nb-before-issu")
    assert rc == 0, out

    # 1. BGP peer old <-> new: the new control into the old API, the old control into the new API.
    provision_control(lab, old, new)
    provision_control(lab, new, old)
    eventually(lambda: verdicts.bgp_established(bgp_peers(lab, old), old, [new_ip]), "old control sees new")
    eventually(lambda: verdicts.bgp_established(bgp_peers(lab, new), new, [old_ip]), "new control sees old")

    # 2. Only api, discovery and ifmap under supervisor-config on the new controller.
    files = " ".join(f"{CFG_FILES}/{f}" for f in ("contrail-api.ini", "contrail-discovery.ini", "ifmap.ini"))
    lab.sh(new, f'openstack-config --set {SUP_CONFIG} include files "{files}"')
    lab.sh(new, "service supervisor-config restart")

    def restricted_config() -> CheckResult:
        report = status(lab, new)
        running = {s.base_name for s in report.section("Config").services if not s.is_supervisor}
        assert running == set(RESTRICTED), f"config programs on {new}: {sorted(running)}"
        return verdicts.status_healthy(report, new)
    eventually(restricted_config, f"{new}: only {RESTRICTED} under supervisor-config, all active")

    # 3. Freeze the northbound, 4. pre-sync: what was created through the VIP is in the new DB.
    freeze(lab)
    lab.sh(new, f"cat > {ISSU_CONF} <<'EOF'\n{issu_conf(lab)}EOF")
    lab.sh(new, f"contrail-issu-pre-sync -c {ISSU_CONF}")
    assert "nb-before-issu" in vn_names(lab, new_ip)
    assert api_names(lab, new, "bgp-router")[EXTERNAL_ROUTER]["bgp_router_parameters"]["vendor"] == "mx"

    # 5. run-sync under the system supervisord (the seed's lines), 6. unfreeze.
    lab.sh(new, f"touch {SUP_ISSU}")
    for setting in RUN_SYNC_SETTINGS:
        lab.sh(new, f"openstack-config --set {SUP_ISSU} program:contrail-issu {setting}")
    lab.sh(new, "service supervisor restart")
    eventually(lambda: verdicts.program_running(system_programs(lab, new), new, "contrail-issu"), "run-sync RUNNING")
    assert [p.name for p in system_programs(lab, new).programs] == ["contrail-issu:0"]  # and nothing else
    unfreeze(lab)
    rc, out = nb_create(lab, "nb-during-issu")
    assert rc == 0, out
    assert "nb-during-issu" in vn_names(lab)  # the VIP still serves the old API
    eventually(lambda: "nb-during-issu" in vn_names(lab, new_ip), "run-sync brings a northbound create over")
    eventually(lambda: verdicts.status_healthy(status(lab, new), new), f"{new} healthy during the sync")

    # 7. Migrate every compute.
    for i, c in enumerate(computes):
        migrate_compute(lab, c, m.new.version, new_ip)
        assert_compute_on(lab, c, m.new.version, new, old)
        for waiting in computes[i + 1:]:  # only the compute in migration is touched
            check = verdicts.agent_on_controls(xmpp_sessions(lab, waiting), waiting, [old_ip], [new_ip])
            assert check.ok, check.message()
    for a, b in ((old, new_ip), (new, old_ip)):  # the old and new clusters still exchange routes
        check = verdicts.bgp_established(bgp_peers(lab, a), a, [b])
        assert check.ok, check.message()
    assert not any(p.encoding == "XMPP" for p in bgp_peers(lab, old)), "agents left on the old control"

    # Rollback of a compute (before finalize): back to the old version, discovery and control.
    upgraded = list(computes)
    if rollback:
        migrate_compute(lab, rollback, m.old.version, old_ip)
        assert_compute_on(lab, rollback, m.old.version, old, new)
        upgraded.remove(rollback)
        for c in upgraded:
            check = verdicts.agent_on_controls(xmpp_sessions(lab, c), c, [new_ip], [old_ip])
            assert check.ok, check.message()

    # 8. Freeze, 9. finalize.
    freeze(lab)
    for role in ("config", "analytics", "control", "webui"):
        lab.sh(old, f"service supervisor-{role} stop")
    lab.sh(new, f"rm -f {SUP_ISSU}")
    lab.sh(new, "service supervisor restart")
    assert system_programs(lab, new).programs == ()
    # -c as issu_process.sh runs them (the seed's bare commands would use the built-in defaults)
    lab.sh(new, f"contrail-issu-post-sync -c {ISSU_CONF}")
    lab.sh(new, f"contrail-issu-zk-sync -c {ISSU_CONF}")
    assert "Issu contrail zookeeper passed..." in lab.sh(new, "cat /var/log/issu_contrail_zk.log")
    lab.sh(new, f'openstack-config --set {SUP_CONFIG} include files "{CFG_FILES}/*.ini"')
    lab.sh(new, "service supervisor-config restart")
    eventually(lambda: verdicts.status_healthy(status(lab, new), new), f"{new} healthy after finalize")
    one_active = verdicts.exactly_one_active({new: status(lab, new)}, SINGLETONS)
    assert one_active.ok, one_active.message()

    # HAProxy to the new config node, unfreeze.
    cfg = lab.sh("openstack1", "cat /etc/haproxy/haproxy.cfg")
    old_line = f"server {old} {old_ip}:8082"
    assert old_line in cfg
    lab.sh("openstack1", f"sed -i 's/{old_line}/server {new} {new_ip}:8082/' /etc/haproxy/haproxy.cfg")
    unfreeze(lab)

    # Clean up the old nodes, add the new ones, on the new API.
    for tool in ("config_node", "analytics_node"):
        provision_node(lab, tool, old, "del")
    provision_control(lab, new, old, "del")
    provision_node(lab, "database_node", old, "del")
    for tool in ("config_node", "analytics_node", "database_node"):
        provision_node(lab, tool, new, "add")

    routers = api_names(lab, new, "bgp-router")
    assert old not in routers and new in routers
    assert routers[EXTERNAL_ROUTER]["bgp_router_parameters"]["router_type"] == "router"
    for obj in ("config-node", "analytics-node", "database-node"):
        assert set(api_names(lab, new, obj)) == {new}, obj
    eventually(lambda: old not in {p.name for p in bgp_peers(lab, new)}, "new control forgot the old one")
    rc, out = nb_create(lab, "nb-after-issu")
    assert rc == 0, out
    assert {"nb-before-issu", "nb-during-issu", "nb-after-issu"} <= vn_names(lab, new_ip)
    assert vn_names(lab) == vn_names(lab, new_ip)  # the VIP now serves the new API
    for c in upgraded:
        eventually(lambda: verdicts.agent_on_controls(xmpp_sessions(lab, c), c, [new_ip], [old_ip]),
                   f"{c} on the new control after finalize")
    if rollback:  # still the old version and discovery, only ever asking the (now stopped) old control
        check = packages_at(lab, rollback, m.old.version)
        assert check.ok, check.message()
        assert lab.sh(rollback, f"crudini --get {AGENT_CONF} DISCOVERY server").strip() == old_ip
        sessions = xmpp_sessions(lab, rollback)
        assert sessions and {s.controller_ip for s in sessions} == {old_ip}, sessions


# ---------------------------------------------------------------- tests


def booted(tmp_path: Path, name: str, prefix: str) -> Lab:
    inv = lab_inventory(tmp_path, "lab.yaml", name, prefix)
    boot.down(inv)  # a previous crashed run
    assert boot.up(inv, log=lambda m: None) is True
    return Lab(inv, old=inv.model.old.nodes[0].name, new=inv.model.new.nodes[0].name,
               pw=(inv.lab_state_dir / "secrets" / "admin_password").read_text().strip())


def lab_on(tmp_path: Path, name: str, prefix: str):
    lab = None
    try:
        lab = booted(tmp_path, name, prefix)
        yield lab
    finally:
        if lab:
            lab.close()
        boot.down(lab_inventory(tmp_path, "lab.yaml", name, prefix))


@pytest.fixture
def lab_50(tmp_path):
    yield from lab_on(tmp_path, "manualissu", "127.50")


@pytest.fixture
def lab_51(tmp_path):
    yield from lab_on(tmp_path, "manualissurb", "127.51")


def test_manual_issu_upgrades_everything(lab_50):
    """The whole seed procedure: every compute ends on the new version and the new controls."""
    manual_issu(lab_50, rollback=None)


def test_manual_issu_with_compute1_rolled_back(lab_51):
    """compute1 migrated then rolled back (the seed's rollback lines) before finalize: it is back
    on the old version, old discovery and the old control only; the finalize still goes through
    for the others, and compute1 keeps asking only the (now stopped) old control."""
    manual_issu(lab_51, rollback="compute1")
