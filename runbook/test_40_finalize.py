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

from checks import config_api, contrail_status, haproxy, verdicts
from checks.evidence import CheckResult, fmt_set
from issu import facts, haproxy_edit, issu_conf, northbound, provision
from issu.inventory import Role
from issu.steps import done_when

PHASE = "finalize"
UNLESS_FINALIZED = done_when(facts.finalized, "the northbound already points at the new controllers")

OLD_SERVICES = (("config", Role.config), ("analytics", Role.analytics), ("control", Role.control),
                ("webui", Role.webui))
ISSU_SUPERVISOR_CONF = "/etc/supervisor/conf.d/contrail-issu.conf"
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
                rc = step.probe(node, f"service supervisor-{name} status").rc  # LSB: 3 = not running
                results.append(CheckResult(ok=rc == 3, what=f"old supervisor-{name}", expected="stopped",
                                           found="stopped" if rc == 3 else f"status exit {rc}", host=node.name))
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
            if role in node.roles and step.probe(node, f"service supervisor-{name} status").rc == 0:
                step.plan(node, f"service supervisor-{name} stop", f"stop the old {name} services", timeout=120)
    if not step.apply():
        return
    step.expect(*old_services_stopped(step, m))


@allure.title("Perform post-sync: remove the run-sync, contrail-issu-post-sync, contrail-issu-zk-sync")
@UNLESS_FINALIZED
def test_post_sync(inventory, step):
    m = inventory.model
    runner = facts.first_config(m.new)
    for node in facts.config_nodes(m.new):
        if step.probe(node, ["test", "-f", ISSU_SUPERVISOR_CONF]).rc == 0:
            step.plan(node, ["rm", "-f", ISSU_SUPERVISOR_CONF], "remove the run-sync program")
            step.plan(node, "service supervisor restart", "stop the run-sync")
    step.plan(runner, ["contrail-issu-post-sync", "-c", issu_conf.PATH], "copy the remaining state", timeout=1800)
    if not step.apply():
        return
    zk = step.fleet.executor(runner).run(["contrail-issu-zk-sync", "-c", issu_conf.PATH], read_only=False,
                                         title="contrail-issu-zk-sync", timeout=1800)
    output = zk.stdout + zk.stderr
    # Known trap: zk-sync can print NotEmptyError and still say "passed". Exit code and text both count.
    clean = zk.rc == 0 and "passed" in output.lower() and "error" not in output.lower()
    results = [CheckResult(ok=clean, what="contrail-issu-zk-sync", expected="exit 0, 'passed', no error",
                           found=f"exit {zk.rc}: {' '.join(output.split())[-300:]}", host=runner.name)]
    for node in facts.config_nodes(m.new):
        status = contrail_status.parse_supervisorctl(
            step.probe(node, "supervisorctl -c /etc/supervisor/supervisord.conf status").stdout)
        names = {p.base_name for p in status.programs}
        results.append(CheckResult(ok="contrail-issu" not in names, what="run-sync program", expected="gone",
                                   found=fmt_set(names) or "no programs", host=node.name))
    step.expect(*results)


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
    m = inventory.model
    os_node = m.openstack
    text = facts.read_conf(step, os_node, os_node.haproxy_cfg)
    servers = [(n.name, n.ip, facts.API_PORT) for n in facts.config_nodes(m.new)]
    wanted = haproxy_edit.switch_backend(text, os_node.api_frontend_port, servers)
    switched = step.plan_file(os_node, os_node.haproxy_cfg, wanted, "config API backend: the new config nodes")
    if switched:
        step.plan(os_node, ["haproxy", "-c", "-f", os_node.haproxy_cfg], "validate the configuration")
    if northbound.is_frozen(step, inventory):
        step.plan(os_node, "service haproxy start", "unfreeze the northbound, now toward the new controllers")
    elif switched:
        step.plan(os_node, "service haproxy reload", "load the new backend")
    if not step.apply():
        return
    cfg = haproxy.parse(facts.read_conf(step, os_node, os_node.haproxy_cfg))
    behind = {f"{s.address}:{s.port}" for s in cfg.servers_behind(cfg.frontend_on_port(os_node.api_frontend_port))}
    want = {f"{ip}:{port}" for _, ip, port in servers}
    step.expect(CheckResult(ok=behind == want, what="HAProxy config API backend", expected=fmt_set(want),
                            found=fmt_set(behind), host=os_node.name))
    step.eventually(lambda: [northbound.state(step, inventory, want_frozen=False)], timeout=30, what="VIP answers")
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
                          f"remove old {role.value} node {node.name}")
        if Role.control in node.roles and node.name in controls_present:
            step.plan(runner, provision.control_command(inventory, node, new_api_ip, "del"),
                      f"remove old control node {node.name}")
    for node in m.new.nodes:
        for role, (script, _) in PROVISION.items():
            if role in node.roles and node.name not in present[role]:
                step.plan(runner, provision.node_command(inventory, script, node, new_api_ip, "add"),
                          f"add new {role.value} node {node.name}")
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
