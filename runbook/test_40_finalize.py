"""Finalize the upgrade (fab issu_contrail_finalize).

Seed: freeze the northbound; stop the Contrail services of the old version; post-sync
(remove the run-sync program, restart supervisord, contrail-issu-post-sync,
contrail-issu-zk-sync); restore the supervisor-config includes and check contrail-status;
open the northbound toward the new controllers (HAProxy backend); clean up the old
api/analytics/control/database nodes and add the new ones. External bgp-routers (not
control nodes) are never touched: a known trap of the fab flow deleted them.
"""
from __future__ import annotations

import allure

from checks import config_api, contrail_status, haproxy, issu_logs, verdicts, zkcli
from checks.evidence import CheckResult, fmt_set
from issu import facts, haproxy_edit, issu_conf, northbound, provision
from issu.inventory import Role
from issu.remote import CommandFailed
from issu.steps import done_when

PHASE = "finalize"
UNLESS_FINALIZED = done_when(facts.finalized, "the northbound already points at the new controllers")

OLD_SERVICES = (("config", Role.config), ("analytics", Role.analytics), ("control", Role.control),
                ("webui", Role.webui))
ISSU_SUPERVISOR_CONF = "/etc/supervisor/conf.d/contrail-issu.conf"
SYNC_TIMEOUT = 1800  # seconds; the real post-/zk-sync never give up on an unreachable database
PROVISION = {  # role -> (script, API collection of its objects)
    Role.config: ("provision_config_node.py", "config-nodes"),
    Role.analytics: ("provision_analytics_node.py", "analytics-nodes"),
    Role.database: ("provision_database_node.py", "database-nodes"),
}


def old_services_stopped(step, m) -> list[CheckResult]:
    """Each old controller's config/analytics/control/webui supervisord is stopped."""
    results = []
    for node in m.old.nodes:
        for name, role in OLD_SERVICES:
            if role in node.roles:
                # judged by what `service X status` prints: upstart exits 0 also when stopped
                st = facts.service_status(step, node, f"supervisor-{name}")
                results.append(CheckResult(ok=st.stopped, what=f"old supervisor-{name}", expected="stopped",
                                           found=st.describe(), host=node.name))
    return results


def _names(step, inventory, runner, collection: str) -> set[str]:
    text = facts.api_get(step, inventory, runner, facts.api_of(inventory.model.new), collection)
    return set(config_api.parse_names(text, collection))


@allure.title("When all compute nodes are migrated, freeze the north bound communication")
@UNLESS_FINALIZED
def test_freeze_northbound(inventory, step, runbook):
    m = inventory.model
    not_migrated = []
    new_controls = {n.ip for n in facts.controls(m.new)}
    for compute in m.computes:
        sessions = facts.agent_xmpp(step, compute)
        if not sessions or not {s.controller_ip for s in sessions} <= new_controls:
            not_migrated.append(compute.name)
    migrated = CheckResult(ok=not not_migrated, what="computes migrated", expected="every compute on the new controls",
                           found=f"still on the old side: {', '.join(not_migrated)}" if not_migrated else "all",
                           host="computes")
    if step.check_only and "migrate-compute" in runbook.options.phases:
        step.note(f"check-only: the computes' migration is planned in this run, not applied ({migrated.found})")
    else:
        step.expect(migrated)
    northbound.plan_freeze(step, inventory)
    if step.apply():
        step.expect(northbound.state(step, inventory, want_frozen=True))


@allure.title("Stop the Contrail services on the older version")
def test_stop_old_services(inventory, step):
    m = inventory.model
    for node in m.old.nodes:
        for name, role in OLD_SERVICES:
            # not when already stopped: upstart's `stop` of a stopped job fails ("Unknown instance")
            if role in node.roles and not facts.service_status(step, node, f"supervisor-{name}").stopped:
                step.plan(node, f"service supervisor-{name} stop", f"stop the old {name} services", timeout=120)
    if not step.apply():
        return
    step.expect(*old_services_stopped(step, m))


@allure.title("Perform post-sync: remove the run-sync, contrail-issu-post-sync, contrail-issu-zk-sync")
@UNLESS_FINALIZED
def test_post_sync(inventory, step):
    """As issu_process.sh issu_post_sync (contrail-controller R3.2 src/config/utils): remove the program,
    restart supervisord, then post-sync and zk-sync with --conf_file. Both are judged from their logs
    (/var/log/issu_contrail_post_sync.log, /var/log/issu_contrail_zk.log: the real ones print little and
    exit 0 whatever happened; zk-sync logs 'passed...' even after 'failed...') and zk-sync from the data:
    the new ZooKeeper holds fq-name-to-uuid, api-server, id under the new prefix, as on the old side."""
    m = inventory.model
    runner = facts.first_config(m.new)
    for node in facts.config_nodes(m.new):
        if step.probe(node, ["test", "-f", ISSU_SUPERVISOR_CONF]).rc == 0:
            step.plan(node, ["rm", "-f", ISSU_SUPERVISOR_CONF], "remove the run-sync program")
            step.plan(node, "service supervisor restart", "stop the run-sync")
    timeout = ["timeout", str(SYNC_TIMEOUT)]
    step.plan(runner, [*timeout, "contrail-issu-post-sync", "--conf_file", issu_conf.PATH],
              "copy the remaining keyspaces", timeout=SYNC_TIMEOUT + 60)
    step.plan(runner, [*timeout, "contrail-issu-zk-sync", "--conf_file", issu_conf.PATH],
              "copy fq-name-to-uuid, api-server, id to the new ZooKeeper", timeout=SYNC_TIMEOUT + 60)
    results = []
    try:
        if not step.apply():
            return
    except CommandFailed as exc:
        results.append(CheckResult(ok=False, what="post-sync / zk-sync", expected="exit 0",
                                   found=str(exc).splitlines()[0], host=runner.name))
    post_log = step.read(runner, ["tail", "-n", "5000", issu_logs.POST_SYNC_LOG]).stdout
    zk_log = step.read(runner, ["tail", "-n", "5000", issu_logs.ZK_SYNC_LOG]).stdout
    results.append(issu_logs.cassandra_sync(post_log, issu_logs.POST_SYNC_KEYSPACES, "contrail-issu-post-sync",
                                            runner.name))
    results.append(issu_logs.zk_sync(zk_log, runner.name))
    results += zk_znodes_copied(step, m)
    for node in facts.config_nodes(m.new):
        status = contrail_status.parse_supervisorctl(
            step.probe(node, "supervisorctl -c /etc/supervisor/supervisord.conf status").stdout)
        names = {p.base_name for p in status.programs}
        results.append(CheckResult(ok="contrail-issu" not in names, what="run-sync program", expected="gone",
                                   found=fmt_set(names) or "no programs", host=node.name))
    step.expect(*results)


def zk_znodes_copied(step, m) -> list[CheckResult]:
    """zkCli.sh `ls` on a database node of each side: the children of every ISSU znode are the same."""
    old_db, new_db = m.old.with_role(Role.database)[0], m.new.with_role(Role.database)[0]
    results = []
    for name in zkcli.ISSU_ZNODES:
        old_path, new_path = zkcli.znode(m.old.cluster_id, name), zkcli.znode(m.new.cluster_id, name)
        old = zkcli.parse_ls(step.read(old_db, zkcli.ls_command(old_db.ip, old_path)).stdout)
        new = zkcli.parse_ls(step.read(new_db, zkcli.ls_command(new_db.ip, new_path)).stdout)
        results.append(CheckResult(ok=old is not None and new is not None and sorted(old) == sorted(new),
                                   what=f"new ZooKeeper {new_path}", expected=f"the children of old {old_path} "
                                   f"({len(old) if old is not None else 'absent'})",
                                   found="absent" if new is None else fmt_set(set(new) ^ set(old or [])) or
                                   f"same {len(new)}", host=new_db.name))
    return results


@allure.title("Update the supervisor-config files and run contrail-status on the new controllers")
def test_restore_supervisor_config(inventory, step):
    m = inventory.model
    nodes = facts.config_nodes(m.new)
    changed = [n for n in nodes if step.plan_ini(n, "/etc/contrail/supervisord_config.conf", "include", "files",
                                                 "/etc/contrail/supervisord_config_files/*.ini",
                                                 "run every config service again")]
    for node in changed:
        step.plan(node, "service supervisor-config restart", "apply the include list")
    if not step.apply():
        return

    def healthy():
        reports = {n.name: facts.status(step, n) for n in m.new.nodes}
        return ([verdicts.status_healthy(r, h) for h, r in reports.items()]
                + [verdicts.exactly_one_active({n.name: reports[n.name] for n in nodes})])

    step.eventually(healthy, timeout=120, interval=2, what="contrail-status healthy on the new controllers")


@allure.title("Open the north bound communication and point HAProxy at the new controllers")
def test_switch_haproxy_and_unfreeze(inventory, step):
    """Every Contrail front-end (API 8082, discovery 5998, analytics 8081 when present) gets the new
    nodes as its backend and is enabled again, in one edit + `haproxy -c` + reload."""
    m = inventory.model
    os_node = m.openstack
    text = facts.read_conf(step, os_node, os_node.haproxy_cfg)
    ports = northbound.present_ports(haproxy.parse(text), inventory)
    want: dict[int, list[tuple[str, str, int]]] = {}
    for port, (role, backend_port) in northbound.contrail_ports(inventory).items():
        if port in ports:
            want[port] = [(n.name, n.ip, backend_port) for n in m.new.with_role(role)]
    wanted = haproxy_edit.set_frontends_disabled(haproxy_edit.switch_backends(text, want), ports, False)
    northbound.plan_apply(step, inventory, text, wanted,
                          "Contrail front-ends " + ", ".join(map(str, ports)) + ": the new nodes, enabled")
    if step.probe(os_node, ["pidof", "haproxy"]).rc != 0:
        step.plan(os_node, "service haproxy start", "HAProxy is not running: start it")
    if not step.apply():
        return
    cfg = haproxy.parse(facts.read_conf(step, os_node, os_node.haproxy_cfg))
    results = []
    for port, servers in want.items():
        fe = cfg.frontend_on_port(port)
        behind = {f"{s.address}:{s.port}" for s in cfg.servers_behind(fe)} if fe else set()
        expected = {f"{ip}:{p}" for _, ip, p in servers}
        results.append(CheckResult(ok=behind == expected and fe is not None and not fe.disabled,
                                   what=f"HAProxy front-end :{port} backend", expected=fmt_set(expected) + ", enabled",
                                   found=fmt_set(behind) + (", disabled" if fe and fe.disabled else ""),
                                   host=os_node.name))
    step.expect(*results)
    step.eventually(lambda: northbound.states(step, inventory, want_frozen=False), timeout=30,
                    what="Contrail front-ends and keystone answer")
    northbound.probe_object_lands(step, inventory, facts.api_of(m.new), "northbound-on-new")


@allure.title("Clean up the old api, analytics, control and database nodes; add the new ones")
def test_provision_old_out_new_in(inventory, step):
    m = inventory.model
    runner = facts.first_config(m.new)
    new_api_ip = runner.ip
    routers_before = facts.bgp_routers(step, inventory, runner, facts.api_of(m.new))
    external_before = {(r.name, r.address, r.router_type) for r in routers_before if not r.is_control_node}
    present = {role: _names(step, inventory, runner, coll) for role, (_, coll) in PROVISION.items()}
    controls_present = {r.name for r in routers_before if r.is_control_node}
    for node in m.old.nodes:
        for role, (script, _) in PROVISION.items():
            if role in node.roles and node.name in present[role]:
                step.plan(runner, provision.node_command(inventory, script, node, new_api_ip, "del"),
                          f"remove old {role.value} node {node.name}", stdin=provision.credentials_conf(inventory))
        if Role.control in node.roles and node.name in controls_present:
            step.plan(runner, provision.control_command(inventory, node, new_api_ip, "del"),
                      f"remove old control node {node.name}", stdin=provision.credentials_conf(inventory))
    for node in m.new.nodes:
        for role, (script, _) in PROVISION.items():
            if role in node.roles and node.name not in present[role]:
                step.plan(runner, provision.node_command(inventory, script, node, new_api_ip, "add"),
                          f"add new {role.value} node {node.name}", stdin=provision.credentials_conf(inventory))
    if not step.apply():
        return
    routers = facts.bgp_routers(step, inventory, runner, facts.api_of(m.new))
    controls = {r.name for r in routers if r.is_control_node}
    external = {(r.name, r.address, r.router_type) for r in routers if not r.is_control_node}
    want_controls = {n.name for n in facts.controls(m.new)}
    results = [
        CheckResult(ok=controls == want_controls, what="control-node bgp-routers", expected=fmt_set(want_controls),
                    found=fmt_set(controls), host=runner.name),
        CheckResult(ok=external == external_before, what="external bgp-routers", host=runner.name,
                    expected=f"untouched: {fmt_set(n for n, _, _ in external_before) or 'none'}",
                    found=fmt_set(n for n, _, _ in external) or "none"),
    ]
    for role, (_, coll) in PROVISION.items():
        have = _names(step, inventory, runner, coll)
        want = {n.name for n in m.new.with_role(role)}
        results.append(CheckResult(ok=have == want, what=coll, expected=fmt_set(want), found=fmt_set(have),
                                   host=runner.name))
    step.expect(*results)


@allure.title("The system is upgraded: new controllers and computes healthy, nothing runs on the old controllers")
def test_upgraded(inventory, step):
    m = inventory.model
    if step.check_only and not facts.finalized(step, inventory):
        return step.note("check-only: the upgraded state is proven once finalize has run")
    results = [verdicts.status_healthy(facts.status(step, n), n.name) for n in m.new.nodes + m.computes]
    results += old_services_stopped(step, m)
    results += [verdicts.bgp_established(facts.bgp_neighbors(step, c), c.name,
                                         {n.ip for n in facts.controls(m.new) if n != c}) for c in facts.controls(m.new)
                if len(facts.controls(m.new)) > 1]
    step.expect(*results)
