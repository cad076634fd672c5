"""Migrate the configuration (fab issu_contrail_migrate_config).

Seed: BGP peer the old and new controllers; on the new controllers run only api,
discovery and ifmap under supervisor-config; freeze northbound; pre-sync; run-sync under
supervisord; unfreeze. "Up to this point there is no traffic impact on the computes."
Commands run on the first new config node ("fab commands for ISSU should be initiated
from the newer controller") unless they belong to another node.
"""
from __future__ import annotations

import allure

from checks import contrail_status, verdicts
from checks.evidence import CheckResult, fmt_set
from issu import facts, issu_conf, northbound, provision
from issu.inventory import Role
from issu.steps import done_when

PHASE = "migrate-config"
UNLESS_FINALIZED = done_when(facts.finalized, "the upgrade is finalized: the config was migrated")

CONFIG_FILES = "/etc/contrail/supervisord_config_files"
ISSU_SUPERVISOR_CONF = "/etc/supervisor/conf.d/contrail-issu.conf"
# The seed's [program:contrail-issu] keys, in its order.
ISSU_PROGRAM = (
    ("command", "contrail-issu-run-sync"),
    ("numprocs", "1"),
    ("process_name", "%(process_num)s"),
    ("redirect_stderr", "true"),
    ("stdout_logfile", "/var/log/issu-contrail-run-sync-%(process_num)s-stdout.log"),
    ("stderr_logfile", "/dev/null"),
    ("priority", "440"),
    ("autostart", "true"),
    ("killasgroup", "false"),
    ("stopsignal", "KILL"),
    ("exitcodes", "0"),
)


def bgp_old_new_results(step, m):
    """Every control node has every control node of the other side as an Established BGP peer."""
    results = []
    for side, other in ((m.old, m.new), (m.new, m.old)):
        want = {n.ip for n in facts.controls(other)}
        for control in facts.controls(side):
            results.append(verdicts.bgp_established(facts.bgp_neighbors(step, control), control.name, want))
    return results


@allure.title("BGP peer the Contrail controllers of the existing version and the newer version")
@UNLESS_FINALIZED
def test_bgp_peer_old_and_new_controllers(inventory, step):
    m = inventory.model
    runner = facts.first_config(m.new)
    old_api = facts.api_of(m.old)
    registered = {r.address for r in facts.bgp_routers(step, inventory, runner, old_api)}
    for control in facts.controls(m.new):
        if control.ip not in registered:
            step.plan(runner, provision.control_command(inventory, control, facts.first_config(m.old).ip, "add"),
                      f"add new control node {control.name} as a bgp-router in the old cluster")
    if not step.apply():
        return
    after = {r.address: r for r in facts.bgp_routers(step, inventory, runner, old_api)}
    step.expect(*[CheckResult(ok=c.ip in after and after[c.ip].is_control_node, what="bgp-router in the old API",
                              expected=f"{c.name} {c.ip} as a control-node", host=c.name,
                              found=(after[c.ip].router_type if c.ip in after else "absent"))
                  for c in facts.controls(m.new)])


@allure.title("On the new controllers, only api, discovery and ifmap run under supervisor-config")
@UNLESS_FINALIZED
def test_restrict_supervisor_config(inventory, step):
    m = inventory.model
    files = " ".join(f"{CONFIG_FILES}/{p}.ini" for p in ("contrail-api", "contrail-discovery", "ifmap"))
    nodes = facts.config_nodes(m.new)
    changed = [n for n in nodes if step.plan_ini(n, "/etc/contrail/supervisord_config.conf", "include", "files",
                                                 files, "run only api, discovery and ifmap during the ISSU")]
    for node in changed:
        step.plan(node, "service supervisor-config restart", "apply the new include list")
    if not step.apply():
        return
    def check():
        results = []
        for node in nodes:
            out = step.probe(node, "supervisorctl -s unix:///var/run/supervisord_config.sock status").stdout
            programs = {p.base_name for p in contrail_status.parse_supervisorctl(out).programs}
            results.append(CheckResult(ok=programs == {"contrail-api", "contrail-discovery", "ifmap"},
                                       what="supervisor-config programs",
                                       expected="{contrail-api, contrail-discovery, ifmap}",
                                       found=fmt_set(programs), host=node.name))
            results.append(_api_answers(step, node))
        return results

    step.eventually(check, timeout=60, what="only api/discovery/ifmap, contrail-api answering")


def _api_answers(step, node) -> CheckResult:
    code = facts.http_code(step, node, f"http://{node.ip}:{facts.API_PORT}/")
    return CheckResult(ok=code in ("200", "401"), what="contrail-api", expected="answering on :8082",
                       found=f"HTTP {code}", host=node.name)


@allure.title("Freeze the north bound communication of Contrail")
@UNLESS_FINALIZED
def test_freeze_northbound(inventory, step):
    northbound.plan_freeze(step, inventory)
    if step.apply():
        step.expect(northbound.state(step, inventory, want_frozen=True))


def render_issu_conf(step, inventory) -> str:
    m = inventory.model
    old_text = facts.read_conf(step, facts.first_config(m.old), facts.conf_path("contrail-api"))
    new_text = facts.read_conf(step, facts.first_config(m.new), facts.conf_path("contrail-api"))
    ks = m.keystone

    def hosts(role):
        return {n.ip: n.name for n in m.new.with_role(role)}

    return issu_conf.render(
        issu_conf.read_api_conf(old_text), issu_conf.read_api_conf(new_text),
        new_api_ip=facts.first_config(m.new).ip, api_port=facts.API_PORT, admin_user=ks.admin_user,
        admin_password=inventory.secret(ks.admin_password).resolve(), admin_tenant=ks.admin_tenant_name,
        openstack_ip=m.openstack.ip, db_hosts=hosts(Role.database), config_hosts=hosts(Role.config),
        analytics_hosts=hosts(Role.analytics), control_hosts=hosts(Role.control))


@allure.title("Generate /etc/contrail/contrail-issu.conf from the old and new contrail-api.conf")
@UNLESS_FINALIZED
def test_generate_issu_conf(inventory, step):
    m = inventory.model
    content = render_issu_conf(step, inventory)
    for node in facts.config_nodes(m.new):
        step.plan_file(node, issu_conf.PATH, content, "the sync tools' configuration (holds secrets: mode 0600)",
                       mode="0600")
    if not step.apply():
        return
    results = []
    for node in facts.config_nodes(m.new):
        text = facts.read_conf(step, node, issu_conf.PATH)
        for key, want in (("odb_prefix", m.old.cluster_id), ("ndb_prefix", m.new.cluster_id),
                          ("old_rabbit_vhost", m.old.rabbit_vhost), ("new_rabbit_vhost", m.new.rabbit_vhost)):
            results.append(verdicts.ini_value(text, "DEFAULTS", key, want, node.name, issu_conf.PATH))
    step.expect(*results)


@allure.title("Initiate the pre-sync (contrail-issu-pre-sync)")
@UNLESS_FINALIZED
def test_pre_sync(inventory, step):
    m = inventory.model
    runner = facts.first_config(m.new)
    step.plan(runner, ["contrail-issu-pre-sync", "-c", issu_conf.PATH], "copy the old config database to the new one",
              timeout=1800)
    if not step.apply():
        return
    old_vns = facts.virtual_networks(step, inventory, runner, facts.api_of(m.old))
    new_vns = facts.virtual_networks(step, inventory, runner, facts.api_of(m.new))
    old_routers = {r.name for r in facts.bgp_routers(step, inventory, runner, facts.api_of(m.old))}
    new_routers = {r.name for r in facts.bgp_routers(step, inventory, runner, facts.api_of(m.new))}
    step.expect(
        CheckResult(ok=set(old_vns) <= set(new_vns), what="virtual-networks parity", host=runner.name,
                    expected=f"every old virtual-network in the new API ({len(old_vns)})",
                    found=f"missing {fmt_set(set(old_vns) - set(new_vns))}" if set(old_vns) - set(new_vns)
                    else f"{len(new_vns)} in the new API"),
        CheckResult(ok=old_routers <= new_routers, what="bgp-routers parity", host=runner.name,
                    expected=f"old bgp-routers {fmt_set(old_routers)} in the new API", found=fmt_set(new_routers)),
    )
    step.eventually(lambda: bgp_old_new_results(step, m), timeout=90, what="BGP old<->new Established")


@allure.title("Initiate the runtime sync under supervisord (contrail-issu-run-sync)")
@UNLESS_FINALIZED
def test_run_sync_under_supervisor(inventory, step):
    m = inventory.model
    for node in facts.config_nodes(m.new)[:1]:  # one run-sync per cluster
        present = step.probe(node, ["test", "-f", ISSU_SUPERVISOR_CONF]).rc == 0
        if not present:
            step.plan(node, ["touch", ISSU_SUPERVISOR_CONF], "create the supervisord program file")
        planned = not present
        for key, value in ISSU_PROGRAM:
            if not present:
                step.plan(node, ["openstack-config", "--set", ISSU_SUPERVISOR_CONF, "program:contrail-issu", key, value],
                          f"program:contrail-issu {key}")
            else:
                planned |= step.plan_ini(node, ISSU_SUPERVISOR_CONF, "program:contrail-issu", key, value,
                                         f"program:contrail-issu {key}")
        if planned:
            step.plan(node, "service supervisor restart", "start contrail-issu under the system supervisord")
    if not step.apply():
        return

    def running():
        out = []
        for node in facts.config_nodes(m.new)[:1]:
            status = contrail_status.parse_supervisorctl(
                step.probe(node, "supervisorctl -c /etc/supervisor/supervisord.conf status").stdout)
            out.append(verdicts.program_running(status, node.name, "contrail-issu"))
        return out

    step.eventually(running, timeout=60, what="contrail-issu RUNNING")


@allure.title("Unfreeze the north bound communication")
@UNLESS_FINALIZED
def test_unfreeze_northbound(inventory, step):
    northbound.plan_unfreeze(step, inventory)
    if step.apply():
        step.eventually(lambda: [northbound.state(step, inventory, want_frozen=False)], timeout=30, what="VIP answers")


@allure.title("The runtime sync replicates: an object created through the northbound VIP reaches the new cluster")
@UNLESS_FINALIZED
def test_run_sync_replicates(inventory, step):
    northbound.probe_object_lands(step, inventory, facts.api_of(inventory.model.new), "run-sync")
