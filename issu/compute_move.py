"""Move one compute to a controller cluster: the seed's compute migration, and its rollback.

Seed, per compute: delete the agent program's autostart/killasgroup; upgrade (or
downgrade) the packages; point the agent and the nodemgr at the target cluster's
discovery; restore autostart/killasgroup; restart supervisor-vrouter. Then prove it:
every package at the target version, the confs pointing at the target, the agent's
XMPP sessions Established to the target's control nodes and to no other, contrail-status
healthy. A compute already in the target state is left alone (nothing planned).
"""
from __future__ import annotations

from checks import contrail_status, verdicts
from checks.evidence import CheckResult
from issu import facts, ini_edit
from issu.inventory import ControllerCluster, Inventory, Node
from issu.reporting import unified_diff
from issu.steps import Step

AGENT = facts.AGENT_PROGRAM


def discovery_ip(cluster: ControllerCluster) -> str:
    return facts.first_config(cluster).ip


def _conf_results(step: Step, compute: Node, disc: str) -> list[CheckResult]:
    agent = facts.read_conf(step, compute, facts.AGENT_CONF)
    ini = facts.read_conf(step, compute, facts.AGENT_INI)
    nodemgr = facts.read_conf(step, compute, facts.NODEMGR_CONF)
    return [
        verdicts.ini_value(agent, "DISCOVERY", "server", disc, compute.name, facts.AGENT_CONF),
        verdicts.ini_value(nodemgr, "DISCOVERY", "server", disc, compute.name, facts.NODEMGR_CONF),
        verdicts.ini_value(ini, AGENT, "autostart", "true", compute.name, facts.AGENT_INI),
        verdicts.ini_value(ini, AGENT, "killasgroup", "true", compute.name, facts.AGENT_INI),
    ]


def _version_results(step: Step, compute: Node, version: str) -> list[CheckResult]:
    dpkg = facts.installed(step, compute, facts.COMPUTE_PACKAGES)
    return [verdicts.version_installed(dpkg, p, version, compute.name) for p in facts.COMPUTE_PACKAGES]


def _session_results(step: Step, inv: Inventory, compute: Node, target: ControllerCluster) -> list[CheckResult]:
    other = inv.old if target is inv.new else inv.new
    label = "new controls" if target is inv.new else "old controls"
    sessions = facts.agent_xmpp(step, compute)
    want = {n.ip for n in facts.controls(target)}
    connected = {s.controller_ip for s in sessions} & want
    # The agent holds at most two sessions: with more than two controls, the ones it chose.
    expected = connected if len(want) > 2 and connected else want
    return [verdicts.agent_on_controls(sessions, compute.name, expected=expected,
                                       forbidden={n.ip for n in facts.controls(other)}, label=label)]


def _health(step: Step, compute: Node) -> list[CheckResult]:
    return [verdicts.status_healthy(contrail_status.parse(step.read(compute, "contrail-status").stdout), compute.name)]


def in_target_state(step: Step, inv: Inventory, compute: Node, target: ControllerCluster) -> bool:
    results = (_version_results(step, compute, target.version) + _conf_results(step, compute, discovery_ip(target))
               + _session_results(step, inv, compute, target))
    return all(r.ok for r in results)


def plan_move(step: Step, inv: Inventory, compute: Node, target: ControllerCluster) -> None:
    disc = discovery_ip(target)
    version = target.version
    agent_before = facts.read_conf(step, compute, facts.AGENT_CONF)
    ini_before = facts.read_conf(step, compute, facts.AGENT_INI)
    nodemgr_before = facts.read_conf(step, compute, facts.NODEMGR_CONF)
    ini_after = ini_edit.edit(ini_edit.edit(ini_before, AGENT, "autostart", "true"), AGENT, "killasgroup", "true")
    diffs = (unified_diff(facts.AGENT_CONF, agent_before, ini_edit.edit(agent_before, "DISCOVERY", "server", disc))
             + unified_diff(facts.AGENT_INI, ini_before, ini_after)
             + unified_diff(facts.NODEMGR_CONF, nodemgr_before, ini_edit.edit(nodemgr_before, "DISCOVERY", "server", disc)))
    pkgs = [f"{p}={version}" for p in facts.COMPUTE_PACKAGES]
    apt = ("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades "
           "-o Dpkg::Options::=--force-confold " + " ".join(pkgs))
    for n, key in enumerate(("autostart", "killasgroup")):
        step.plan(compute, ["openstack-config", "--del", facts.AGENT_INI, AGENT, key],
                  f"keep supervisord from restarting the agent during the package change ({key})",
                  diff=diffs if n == 0 else "")
    step.plan(compute, "apt-get update -q", "refresh the package lists", timeout=600)
    step.plan(compute, apt, f"install the {version} packages", timeout=1800)
    step.plan(compute, ["openstack-config", "--set", facts.AGENT_CONF, "DISCOVERY", "server", disc],
              f"agent: discovery server {disc}")
    for key in ("autostart", "killasgroup"):
        step.plan(compute, ["openstack-config", "--set", facts.AGENT_INI, AGENT, key, "true"], f"agent program {key} true")
    step.plan(compute, ["openstack-config", "--set", facts.NODEMGR_CONF, "DISCOVERY", "server", disc],
              f"nodemgr: discovery server {disc}")
    step.plan(compute, "service supervisor-vrouter restart", "restart the vRouter services on the new settings",
              timeout=300)


def verify_moved(step: Step, inv: Inventory, compute: Node, target: ControllerCluster) -> None:
    step.expect(*_version_results(step, compute, target.version), *_conf_results(step, compute, discovery_ip(target)))
    step.eventually(lambda: _session_results(step, inv, compute, target) + _health(step, compute), timeout=120,
                    interval=2, what="agent XMPP on the target controls, contrail-status healthy")


def move(step: Step, inv: Inventory, compute: Node, target: ControllerCluster) -> None:
    if in_target_state(step, inv, compute, target):
        step.apply()  # shows an empty plan: already there
        return
    plan_move(step, inv, compute, target)
    if step.apply():
        verify_moved(step, inv, compute, target)
