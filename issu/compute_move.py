"""Move one compute to a controller cluster: the seed's compute migration, and its rollback.

Seed, per compute: delete the agent program's autostart/killasgroup; upgrade (or
downgrade) the packages; point the agent and the nodemgr at the target cluster's
discovery; restore autostart/killasgroup; restart supervisor-vrouter. As the vendor's
later compute script does it (contrail-controller R3.2 src/config/utils/issu_process.sh
issu_contrail_switch_compute_node; contrail-fabric-utils R3.2 fabfile/tasks/issu_process.sh):
also point every /etc/contrail/contrail-tor-agent-*.conf at the target discovery, and
when the loaded vRouter kernel module is not the build the target packages ship,
`service supervisor-vrouter stop; rmmod vrouter; modprobe vrouter; service
supervisor-vrouter start` (the fab variant; a plain restart would keep the old module,
which `rmmod` refuses to unload while the agent holds it). The module package is the
one fab picks (get_vrouter_kmod_pkg: contrail-vrouter-dkms, else
contrail-vrouter-$(uname -r)) and moves with the other compute packages.

Then prove it: every package at the target version, the confs pointing at the target,
the loaded module's build (`vrouter --info`) = the one the target module package ships,
the agent's and each TOR agent's XMPP sessions Established to the target's control nodes
and to no other, contrail-status healthy. A compute already in the target state is left
alone (nothing planned).
"""
from __future__ import annotations

from dataclasses import dataclass

from checks import contrail_status, introspect, verdicts, vrouter_module
from checks.evidence import CheckResult
from issu import facts, ini_edit
from issu.inventory import ControllerCluster, Inventory, Node
from issu.reporting import unified_diff
from issu.steps import Step

AGENT = facts.AGENT_PROGRAM


SERVICE = "supervisor-vrouter"
TOR_CONF_DIR = "/etc/contrail"


def discovery_ip(cluster: ControllerCluster) -> str:
    return facts.first_config(cluster).ip


@dataclass(frozen=True)
class ComputeLayout:
    """What this compute has besides the fixed files: its kernel module package (None when
    neither contrail-vrouter-dkms nor contrail-vrouter-$(uname -r) is installed, e.g. a DPDK
    compute) and its TOR agent confs."""

    kmod_package: str | None
    tor_confs: tuple[str, ...]

    def packages(self) -> tuple[str, ...]:
        return facts.COMPUTE_PACKAGES + ((self.kmod_package,) if self.kmod_package else ())


def compute_layout(step: Step, compute: Node) -> ComputeLayout:
    release = step.read(compute, ["uname", "-r"], title="kernel release").stdout.strip()
    candidates = (vrouter_module.DKMS_PACKAGE, vrouter_module.kmod_package_for_kernel(release))
    dpkg = facts.installed(step, compute, candidates)
    kmod = vrouter_module.choose_kmod_package({n for n, s in dpkg.items() if s.installed}, release)
    listing = step.read(compute, ["ls", "-1", TOR_CONF_DIR], title=f"ls {TOR_CONF_DIR}").stdout
    return ComputeLayout(kmod, tuple(vrouter_module.tor_agent_confs(listing, TOR_CONF_DIR)))


def loaded_module(step: Step, compute: Node) -> vrouter_module.LoadedBuild | None:
    """`vrouter --info`: None when no module is loaded (it then exits 1 printing nothing)."""
    res = step.probe(compute, vrouter_module.VROUTER_INFO_COMMAND, title="loaded vrouter module")
    if res.rc != 0 and not res.stdout.strip():
        return None
    return vrouter_module.parse_vrouter_info(res.stdout)


def _module_results(step: Step, compute: Node, layout: ComputeLayout, version: str) -> list[CheckResult]:
    if layout.kmod_package is None:
        return []
    expected = vrouter_module.expected_build_version(layout.kmod_package, version)
    return [vrouter_module.loaded_build_verdict(loaded_module(step, compute), expected, compute.name,
                                                layout.kmod_package)]


def _conf_results(step: Step, compute: Node, disc: str, layout: ComputeLayout) -> list[CheckResult]:
    agent = facts.read_conf(step, compute, facts.AGENT_CONF)
    ini = facts.read_conf(step, compute, facts.AGENT_INI)
    nodemgr = facts.read_conf(step, compute, facts.NODEMGR_CONF)
    results = [
        verdicts.ini_value(agent, "DISCOVERY", "server", disc, compute.name, facts.AGENT_CONF),
        verdicts.ini_value(nodemgr, "DISCOVERY", "server", disc, compute.name, facts.NODEMGR_CONF),
        verdicts.ini_value(ini, AGENT, "autostart", "true", compute.name, facts.AGENT_INI),
        verdicts.ini_value(ini, AGENT, "killasgroup", "true", compute.name, facts.AGENT_INI),
    ]
    for path in layout.tor_confs:
        results.append(verdicts.ini_value(facts.read_conf(step, compute, path), "DISCOVERY", "server", disc,
                                          compute.name, path))
    return results


def _version_results(step: Step, compute: Node, version: str, layout: ComputeLayout) -> list[CheckResult]:
    packages = layout.packages()
    dpkg = facts.installed(step, compute, packages)
    return [verdicts.version_installed(dpkg, p, version, compute.name) for p in packages]


def _on_controls(sessions: list[introspect.XmppSession], inv: Inventory, compute: Node,
                 target: ControllerCluster, who: str = "") -> CheckResult:
    other = inv.old if target is inv.new else inv.new
    label = ("new controls" if target is inv.new else "old controls") + who
    want = {n.ip for n in facts.controls(target)}
    connected = {s.controller_ip for s in sessions} & want
    # The agent holds at most two sessions: with more than two controls, the ones it chose.
    expected = connected if len(want) > 2 and connected else want
    return verdicts.agent_on_controls(sessions, compute.name, expected=expected,
                                      forbidden={n.ip for n in facts.controls(other)}, label=label)


def tor_agent_xmpp(step: Step, compute: Node, conf_path: str) -> list[introspect.XmppSession]:
    """A TOR agent's XMPP sessions from its own introspect ([DEFAULT] http_server_port of its
    conf; it is the vRouter agent's code in TOR mode, same Snh_AgentXmppConnectionStatusReq)."""
    port = facts.conf_key(facts.read_conf(step, compute, conf_path), "http_server_port", ("DEFAULT",))
    if not port:
        raise AssertionError(f"[{compute.name}] {conf_path}: no [DEFAULT] http_server_port: its introspect "
                             "cannot be found")
    xml = facts.http_get(step, compute, f"http://{compute.ip}:{port}/Snh_AgentXmppConnectionStatusReq",
                         title=f"TOR agent introspect :{port} Snh_AgentXmppConnectionStatusReq")
    return introspect.parse_agent_xmpp(xml)


def _session_results(step: Step, inv: Inventory, compute: Node, target: ControllerCluster,
                     layout: ComputeLayout) -> list[CheckResult]:
    results = [_on_controls(facts.agent_xmpp(step, compute), inv, compute, target)]
    for path in layout.tor_confs:
        name = path.rsplit("/", 1)[-1].removesuffix(".conf")
        results.append(_on_controls(tor_agent_xmpp(step, compute, path), inv, compute, target, f" ({name})"))
    return results


def _health(step: Step, compute: Node) -> list[CheckResult]:
    return [verdicts.status_healthy(contrail_status.parse(step.read(compute, "contrail-status").stdout), compute.name)]


def in_target_state(step: Step, inv: Inventory, compute: Node, target: ControllerCluster,
                    layout: ComputeLayout | None = None) -> bool:
    layout = layout or compute_layout(step, compute)
    results = (_version_results(step, compute, target.version, layout)
               + _conf_results(step, compute, discovery_ip(target), layout)
               + _module_results(step, compute, layout, target.version))
    if not all(r.ok for r in results):
        return False
    return all(r.ok for r in _session_results(step, inv, compute, target, layout))


def module_needs_reload(step: Step, compute: Node, layout: ComputeLayout, version: str) -> bool:
    """The loaded module is not the build the packages of `version` ship (or none is loaded)."""
    if layout.kmod_package is None:
        return False
    loaded = loaded_module(step, compute)
    return loaded is None or loaded.version != vrouter_module.expected_build_version(layout.kmod_package, version)


def plan_move(step: Step, inv: Inventory, compute: Node, target: ControllerCluster,
              layout: ComputeLayout | None = None) -> None:
    layout = layout or compute_layout(step, compute)
    disc = discovery_ip(target)
    version = target.version
    agent_before = facts.read_conf(step, compute, facts.AGENT_CONF)
    ini_before = facts.read_conf(step, compute, facts.AGENT_INI)
    nodemgr_before = facts.read_conf(step, compute, facts.NODEMGR_CONF)
    tor_before = {path: facts.read_conf(step, compute, path) for path in layout.tor_confs}
    ini_after = ini_edit.edit(ini_edit.edit(ini_before, AGENT, "autostart", "true"), AGENT, "killasgroup", "true")
    diffs = (unified_diff(facts.AGENT_CONF, agent_before, ini_edit.edit(agent_before, "DISCOVERY", "server", disc))
             + unified_diff(facts.AGENT_INI, ini_before, ini_after)
             + unified_diff(facts.NODEMGR_CONF, nodemgr_before, ini_edit.edit(nodemgr_before, "DISCOVERY", "server", disc)))
    for path, before in tor_before.items():
        diffs += unified_diff(path, before, ini_edit.edit(before, "DISCOVERY", "server", disc))
    reload_module = module_needs_reload(step, compute, layout, version)
    loaded_before = loaded_module(step, compute) if reload_module else None
    pkgs = [f"{p}={version}" for p in layout.packages()]
    # --force-yes, not --allow-downgrades: Ubuntu 14.04's apt (1.0) does not know the latter
    # (exit 100) and needs the former to downgrade; the vendor's fab does the same
    # (contrail-fabric-utils R3.2 fabfile/tasks/upgrade.py). Newer apt still accepts it.
    apt = ("DEBIAN_FRONTEND=noninteractive apt-get -y -q --force-yes "
           "-o Dpkg::Options::=--force-confold install " + " ".join(pkgs))
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
    for path in layout.tor_confs:
        step.plan(compute, ["openstack-config", "--set", path, "DISCOVERY", "server", disc],
                  f"TOR agent: discovery server {disc}")
    if not reload_module:
        step.plan(compute, f"service {SERVICE} restart", "restart the vRouter services on the new settings",
                  timeout=300)
        return
    assert layout.kmod_package is not None
    want = vrouter_module.expected_build_version(layout.kmod_package, version)
    have = f"build {loaded_before.version}" if loaded_before else "no module"
    # upstart's `stop` of a stopped job exits 1 (a re-run after a failure between stop and start).
    if not facts.service_status(step, compute, SERVICE).stopped:
        step.plan(compute, f"service {SERVICE} stop",
                  f"stop the agent: it holds the vrouter module ({have} loaded, {layout.kmod_package} ships {want})",
                  timeout=300)
    if loaded_before is not None:
        step.plan(compute, "rmmod vrouter", "unload the old vrouter module")
    step.plan(compute, "modprobe vrouter", f"load the vrouter module of {layout.kmod_package} {version}")
    step.plan(compute, f"service {SERVICE} start", "start the vRouter services on the new module and settings",
              timeout=300)


def verify_moved(step: Step, inv: Inventory, compute: Node, target: ControllerCluster,
                 layout: ComputeLayout | None = None) -> None:
    layout = layout or compute_layout(step, compute)
    step.expect(*_version_results(step, compute, target.version, layout),
                *_conf_results(step, compute, discovery_ip(target), layout),
                *_module_results(step, compute, layout, target.version))
    step.eventually(lambda: _session_results(step, inv, compute, target, layout) + _health(step, compute),
                    timeout=120, interval=2,
                    what="agent (and TOR agent) XMPP on the target controls, contrail-status healthy")


def move(step: Step, inv: Inventory, compute: Node, target: ControllerCluster) -> None:
    layout = compute_layout(step, compute)
    if in_target_state(step, inv, compute, target, layout):
        step.apply()  # shows an empty plan: already there
        return
    plan_move(step, inv, compute, target, layout)
    if step.apply():
        verify_moved(step, inv, compute, target, layout)
