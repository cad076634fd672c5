"""Pre-flight: the cluster is what the inventory says and fit for ISSU, before anything is touched.

Read-only from the first line to the last: a `--check-only` run and a real run do the
same here. The seed's preconditions: the new controllers run beside the old ones, the
databases are logically separated (cluster_id, kafka_prefix, rabbit_vhost), OpenStack's
RabbitMQ is not on a controller, the config API is front-ended by HAProxy.
"""
from __future__ import annotations

import allure

from checks import verdicts
from checks.evidence import CheckResult, fmt_set
from issu import facts
from issu.inventory import Role
from issu.remote import CommandResult

PHASE = "preflight"


@allure.title("Every node of the inventory is reachable over SSH and is the host the inventory says")
def test_every_node_is_reachable_and_is_the_declared_host(inventory, fleet):
    problems = []
    for node, result in fleet.run_all(inventory.model.all_nodes(), "hostname", read_only=True):
        where = f"[{node.name}] {node.ip}"
        if not isinstance(result, CommandResult):
            problems.append(f"{where}: unreachable: {result}")
        elif result.rc != 0:
            problems.append(f"{where}: `hostname` exited {result.rc}: {result.stderr.strip()}")
        elif result.stdout.strip() != node.name:
            problems.append(f"{where}: expected host name {node.name!r}, found {result.stdout.strip()!r}")
    assert not problems, "\n".join(problems)


@allure.title("Every node runs commands as root for the SSH user (sudo, with its password when it asks)")
def test_root_through_sudo_on_every_node(inventory, fleet):
    problems = []
    for node, result in fleet.run_all(inventory.model.all_nodes(), "id -u", read_only=True, sudo=True):
        if not isinstance(result, CommandResult):
            problems.append(f"[{node.name}] {result}")
        elif result.rc != 0 or result.stdout.strip() != "0":
            problems.append(f"[{node.name}] `id -u` through sudo: exit {result.rc}, "
                            f"printed {result.stdout.strip()!r} {result.stderr.strip()!r}")
    assert not problems, "\n".join(problems)


@allure.title("Controllers run the roles the inventory declares, computes run the vRouter")
def test_roles_as_declared(inventory, step):
    m = inventory.model
    results = []
    for node in m.old.nodes + m.new.nodes:
        report = facts.status(step, node)
        have = {s.title.removeprefix("Contrail ").strip() for s in report.sections}
        for role in node.roles:
            if role.value == "database":
                # contrail-status R3.2: `== Contrail Database ==` (contrail-openstack-database installed)
                # or `== Contrail Config Database==` (only contrail-database-common), each with the
                # init.d `contrail-database:` line; supervisor-database only in the first case.
                db = report.section("Database") or report.section("Config Database")
                line = next((s for s in db.services if s.name == "contrail-database"), None) if db else None
                results.append(CheckResult(
                    ok=line is not None, what="database role",
                    expected="'== Contrail Database ==' or '== Contrail Config Database==' with contrail-database:",
                    found=(line.render() if line else f"sections {fmt_set(have)}"), host=node.name))
                continue
            section = {"config": "Config", "control": "Control", "analytics": "Analytics",
                       "webui": "Web UI"}[role.value]
            sup = report.service(f"supervisor-{role.value}")
            results.append(CheckResult(
                ok=section in have and sup is not None,
                what=f"{role.value} role", expected=f"'== Contrail {section} ==' with supervisor-{role.value}",
                found=(sup.render() if sup else f"sections {fmt_set(have)}"), host=node.name))
    for node in m.computes:
        report = facts.status(step, node)
        sup = report.service("supervisor-vrouter")
        results.append(CheckResult(ok=sup is not None and not report.vrouter_not_present,
                                   what="vRouter", expected="supervisor-vrouter listed",
                                   found=sup.render() if sup else "absent", host=node.name))
    step.expect(*results)


@allure.title("Installed package versions: old controllers at the old version, new at the new")
def test_versions_installed(inventory, step):
    m = inventory.model
    results = []
    for cluster in (m.old, m.new):
        for node in cluster.nodes:
            wanted = tuple(facts.ROLE_PACKAGES[r] for r in node.roles)
            dpkg = facts.installed(step, node, wanted)
            results += [verdicts.version_installed(dpkg, p, cluster.version, node.name) for p in wanted]
    for node in m.computes:
        dpkg = facts.installed(step, node, ("contrail-vrouter-agent",))
        state = dpkg.get("contrail-vrouter-agent")
        found = state.version if state and state.installed else "not installed"
        results.append(CheckResult(ok=found in (m.old.version, m.new.version), what="contrail-vrouter-agent",
                                   expected=f"{m.old.version} (old) or {m.new.version} (already migrated)",
                                   found=found, host=node.name))
    step.expect(*results)


def _separation_key(step, cluster, key, files_by_role):
    """{(node, service): value} of one separation key on one side; absent counts as ''."""
    values = {}
    for role, services in files_by_role.items():
        for node in cluster.with_role(role):
            for service in services:
                text = facts.read_conf(step, node, facts.conf_path(service))
                values[(node.name, service)] = facts.conf_key(text, key) or ""
    return values


@allure.title("The old and new databases are logically separated (cluster_id, kafka_prefix, rabbit_vhost)")
def test_database_separation_keys(inventory, step):
    m = inventory.model
    results = []
    for key, files, wanted in (("cluster_id", facts.CLUSTER_ID_FILES, "cluster_id"),
                               ("kafka_prefix", facts.KAFKA_PREFIX_FILES, "kafka_prefix"),
                               ("rabbit_vhost", facts.RABBIT_VHOST_FILES, "rabbit_vhost")):
        old = _separation_key(step, m.old, key, files)
        new = _separation_key(step, m.new, key, files)
        for side, values, cluster in (("old", old, m.old), ("new", new, m.new)):
            declared = getattr(cluster, wanted)
            for (host, service), value in values.items():
                results.append(CheckResult(ok=value == declared, what=f"{service}.conf {key}",
                                           expected=f"{declared!r} ({side} cluster, as the inventory says)",
                                           found=repr(value), host=host))
        results.append(verdicts.prefixes_differ(getattr(m.old, wanted), getattr(m.new, wanted), key))
    step.expect(*results)


@allure.title("OpenStack RabbitMQ is not on a Contrail controller")
def test_rabbitmq_not_on_controllers(inventory, step):
    m = inventory.model
    controller_ips = {n.ip: n.name for n in m.old.nodes + m.new.nodes}
    results = []
    for node in m.old.nodes + m.new.nodes:
        if Role.config in node.roles:
            text = facts.read_conf(step, node, facts.conf_path("contrail-api"))
            servers = [s.split(":")[0] for s in (facts.conf_key(text, "rabbit_server") or "").replace(",", " ").split()]
            on_controllers = [f"{s} ({controller_ips[s]})" for s in servers if s in controller_ips]
            results.append(CheckResult(ok=bool(servers) and not on_controllers, what="contrail-api rabbit_server",
                                       expected="RabbitMQ hosts that are not controllers",
                                       found=", ".join(on_controllers) or ", ".join(servers) or "none", host=node.name))
        # "[b]eam": the pattern must not match the sudo/sh running pgrep itself.
        beam = step.probe(node, ["pgrep", "-f", "[b]eam.*rabbit"])  # exit 1: no such process
        results.append(CheckResult(ok=beam.rc == 1, what="rabbitmq-server process", expected="not running",
                                   found="running" if beam.rc == 0 else "not running", host=node.name))
    step.expect(*results)


@allure.title("HAProxy on the OpenStack node front-ends the old config API")
def test_haproxy_frontend_present(inventory, step):
    m = inventory.model
    os_node = m.openstack
    cfg = facts.haproxy_config(step, os_node, os_node.haproxy_cfg)
    fe = cfg.frontend_on_port(os_node.api_frontend_port)
    backends = {f"{s.address}:{s.port}" for s in cfg.servers_behind(fe)} if fe else set()
    expected = {f"{n.ip}:{facts.API_PORT}" for n in facts.config_nodes(m.old)}
    new = {f"{n.ip}:{facts.API_PORT}" for n in facts.config_nodes(m.new)}
    step.expect(
        CheckResult(ok=fe is not None, what="HAProxy frontend", expected=f"a frontend on :{os_node.api_frontend_port}",
                    found=(f"{fe.name} {' '.join(fe.binds)}" if fe else "none"), host=os_node.name),
        CheckResult(ok=bool(backends) and (backends == expected or backends == new), what="config API backend",
                    expected=f"the old config nodes {fmt_set(expected)} (or, after finalize, the new {fmt_set(new)})",
                    found=fmt_set(backends), host=os_node.name),
    )


@allure.title("contrail-status is healthy on every live controller and compute")
def test_contrail_status_healthy(inventory, step):
    m = inventory.model
    live = (m.new,) if facts.finalized(step, inventory) else (m.old, m.new)  # after finalize: old retired
    nodes = [n for c in live for n in c.nodes] + list(m.computes)
    reports = {n.name: facts.status(step, n) for n in nodes}
    results = [verdicts.status_healthy(r, host) for host, r in reports.items()]
    for cluster in live:
        config_nodes = facts.config_nodes(cluster)
        if cluster is m.new and any(facts.config_restricted(step, n) for n in config_nodes):
            step.note("ISSU in progress: the new config nodes run only api/discovery/ifmap (no singleton election)")
            continue
        results.append(verdicts.exactly_one_active({n.name: reports[n.name] for n in config_nodes}))
    step.expect(*results)


@allure.title("Baseline: every agent has XMPP sessions Established to control nodes of one cluster")
def test_xmpp_baseline(inventory, step):
    m = inventory.model
    old_ips = {n.ip for n in facts.controls(m.old)}
    new_ips = {n.ip for n in facts.controls(m.new)}
    results = []
    for compute in m.computes:
        sessions = facts.agent_xmpp(step, compute)
        ips = {s.controller_ip for s in sessions}
        side = new_ips if ips and ips <= new_ips else old_ips
        other = old_ips if side is new_ips else new_ips
        label = "new controls" if side is new_ips else "old controls"
        results.append(verdicts.agent_on_controls(sessions, compute.name, expected=side & ips or side,
                                                  forbidden=other, label=label))
    step.expect(*results)
