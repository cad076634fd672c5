"""Migrate the configuration (fab issu_contrail_migrate_config).

Seed: BGP peer the old and new controllers; on the new controllers run only api,
discovery and ifmap under supervisor-config; freeze northbound; pre-sync; run-sync under
supervisord; unfreeze. "Up to this point there is no traffic impact on the computes."
Commands run on the first new config node ("fab commands for ISSU should be initiated
from the newer controller") unless they belong to another node.
"""
from __future__ import annotations

import allure

from checks import contrail_status, issu_logs, verdicts
from checks.evidence import CheckResult, fmt_set
from issu import facts, issu_conf, northbound, provision
from issu.inventory import Role
from issu.remote import CommandFailed
from issu.steps import done_when

PHASE = "migrate-config"
UNLESS_FINALIZED = done_when(facts.finalized, "the upgrade is finalized: the config was migrated")

CONFIG_FILES = "/etc/contrail/supervisord_config_files"
ISSU_SUPERVISOR_CONF = "/etc/supervisor/conf.d/contrail-issu.conf"
SYNC_TIMEOUT = 1800  # seconds; the real pre-/post-/zk-sync never give up on an unreachable database
# The seed's [program:contrail-issu] keys, in its order. The command passes the conf as the vendor's
# issu_process.sh does (contrail-controller R3.2 src/config/utils/issu_process.sh issu_run_sync:
# 'contrail-issu-run-sync --conf_file /etc/contrail/contrail-issu.conf'); the seed's bare
# `contrail-issu-run-sync` would run on the built-in defaults (10.84.24.35).
ISSU_PROGRAM = (
    ("command", f"contrail-issu-run-sync --conf_file {issu_conf.PATH}"),
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
                      f"add new control node {control.name} as a bgp-router in the old cluster",
                      stdin=provision.credentials_conf(inventory))
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
    """Only the Contrail front-ends (API, discovery, analytics) are frozen; keystone keeps answering."""
    northbound.plan_freeze(step, inventory)
    if step.apply():
        step.eventually(lambda: northbound.states(step, inventory, want_frozen=True), timeout=30,
                        what="Contrail front-ends refused, keystone answering")


def render_issu_conf(step, inventory) -> str:
    """contrail-issu.conf as issu_process.sh + issu_contrail_generate_moreconf write it (issu/issu_conf.py):
    new_api_info holds the run_sync SSH login of EVERY new config node."""
    m = inventory.model
    old_text = facts.read_conf(step, facts.first_config(m.old), facts.conf_path("contrail-api"))
    new_text = facts.read_conf(step, facts.first_config(m.new), facts.conf_path("contrail-api"))
    ks = m.keystone
    login = (m.run_sync.ssh_user, inventory.secret(m.run_sync.ssh_password).resolve())

    def hosts(role):
        return {n.ip: n.name for n in m.new.with_role(role)}

    return issu_conf.render(
        issu_conf.read_api_conf(old_text), issu_conf.read_api_conf(new_text),
        new_api_logins={n.ip: login for n in facts.config_nodes(m.new)},
        api_server_ip=facts.first_config(m.new).ip, api_port=facts.API_PORT, admin_user=ks.admin_user,
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
    old_api = issu_conf.read_api_conf(facts.read_conf(step, facts.first_config(m.old), facts.conf_path("contrail-api")))
    new_api = issu_conf.read_api_conf(facts.read_conf(step, facts.first_config(m.new), facts.conf_path("contrail-api")))
    results = []
    for node in facts.config_nodes(m.new):
        text = facts.read_conf(step, node, issu_conf.PATH)
        results.append(CheckResult(ok=text == content, what=issu_conf.PATH, expected="the generated content",
                                   found="identical" if text == content else "differs", host=node.name))
        for side, api in (("old", old_api), ("new", new_api)):
            for key, want in issu_conf.side_values(side, api):
                if "password" not in key:
                    results.append(verdicts.ini_value(text, "DEFAULTS", key, want.replace("%", "%%"), node.name,
                                                      issu_conf.PATH))
    step.expect(*results)


def run_sync_tool(step, node, tool: str, log: str, verdict, why: str) -> None:
    """Run a one-shot contrail-issu tool, then judge it from its log (the real tools exit 0 whatever
    they did, and hang on an unreachable database: `timeout` bounds that, the log says why)."""
    step.plan(node, ["timeout", str(SYNC_TIMEOUT), tool, "--conf_file", issu_conf.PATH], why,
              timeout=SYNC_TIMEOUT + 60)
    try:
        if not step.apply():
            return
        failure = None
    except CommandFailed as exc:
        failure = CheckResult(ok=False, what=tool, expected="exit 0", found=str(exc).splitlines()[0], host=node.name)
    text = step.read(node, ["tail", "-n", "5000", log]).stdout
    step.expect(*([failure] if failure else []), verdict(text))


@allure.title("Initiate the pre-sync (contrail-issu-pre-sync)")
@UNLESS_FINALIZED
def test_pre_sync(inventory, step):
    m = inventory.model
    runner = facts.first_config(m.new)
    run_sync_tool(step, runner, "contrail-issu-pre-sync", issu_logs.PRE_SYNC_LOG,
                  lambda text: issu_logs.cassandra_sync(text, issu_logs.PRE_SYNC_KEYSPACES, "contrail-issu-pre-sync",
                                                        runner.name),
                  "copy the old config database to the new one")
    if step.check_only:
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

    new_config = facts.config_nodes(m.new)

    def running():
        """RUNNING is not enough (a wrong new_api_info password keeps it RUNNING, retrying): its log must
        show supervisor-config stopped and started on every new config node and the sync done."""
        out = []
        for node in new_config[:1]:
            status = contrail_status.parse_supervisorctl(
                step.probe(node, "supervisorctl -c /etc/supervisor/supervisord.conf status").stdout)
            out.append(verdicts.program_running(status, node.name, "contrail-issu"))
            log = step.read(node, ["tail", "-n", "5000", issu_logs.RUN_SYNC_LOG]).stdout
            out += issu_logs.run_sync(log, len(new_config), node.name)
        return out

    step.eventually(running, timeout=180, interval=3, what="contrail-issu RUNNING, config synced, APIs restarted")
    step.eventually(lambda: [_api_answers(step, n) for n in new_config], timeout=90,
                    what="new contrail-api answering after supervisor-config start")


@allure.title("Unfreeze the north bound communication")
@UNLESS_FINALIZED
def test_unfreeze_northbound(inventory, step):
    northbound.plan_unfreeze(step, inventory)
    if step.apply():
        step.eventually(lambda: northbound.states(step, inventory, want_frozen=False), timeout=30,
                        what="Contrail front-ends and keystone answer")


@allure.title("The runtime sync replicates: an object created through the northbound VIP reaches the new cluster")
@UNLESS_FINALIZED
def test_run_sync_replicates(inventory, step):
    northbound.probe_object_lands(step, inventory, facts.api_of(inventory.model.new), "run-sync")
