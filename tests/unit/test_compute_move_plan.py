"""issu.compute_move's plan on a fake compute: TOR confs and the module reload, as the vendor's
compute script orders them (CFU R3.2 fabfile/tasks/issu_process.sh issu_contrail_switch_compute_node)."""
from __future__ import annotations

from dataclasses import dataclass, field

from issu import compute_move
from issu.remote import CommandResult, join_command

KVER = "3.13.0-106-generic"
KMOD = f"contrail-vrouter-{KVER}"
AGENT_CONF = "[DISCOVERY]\nserver=10.0.0.1\nport=5998\n"
INI = "[program:contrail-vrouter-agent]\ncommand=/usr/bin/contrail-vrouter-agent\n"
NODEMGR = "[DISCOVERY]\nserver=10.0.0.1\n"
TOR = "[DEFAULT]\nagent_name=compute1-1\n  agent_mode=tor\nhttp_server_port=9010\n\n[DISCOVERY]\nserver=10.0.0.1\n"


def info(build: str) -> str:
    return f"vRouter module version       {build} (Built by contrail@b on 2017-01-01 00:00:00.1)\n\n"


@dataclass
class Node:
    name: str = "compute1"
    ip: str = "127.0.0.9"


@dataclass
class Cluster:
    version: str
    cfg: str


@dataclass
class FakeStep:
    loaded: str | None
    kmod_installed: bool = True
    vrouter_running: bool = True  # supervisor-vrouter, answered as upstart does (exit 0 either way)
    files: dict[str, str] = field(default_factory=lambda: {
        "/etc/contrail/contrail-vrouter-agent.conf": AGENT_CONF,
        "/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini": INI,
        "/etc/contrail/contrail-vrouter-nodemgr.conf": NODEMGR,
        "/etc/contrail/contrail-tor-agent-1.conf": TOR})
    planned: list[tuple[str, str]] = field(default_factory=list)

    def _answer(self, command) -> tuple[int, str]:
        text = join_command(command)
        if text == "uname -r":
            return 0, KVER + "\n"
        if text.startswith("dpkg-query"):
            return 0, f"{KMOD} 3.2.3.0-73 ii \n" if self.kmod_installed else ""
        if text == "ls -1 /etc/contrail":
            return 0, "\n".join(p.rsplit("/", 1)[1] for p in self.files) + "\nsupervisord_vrouter_files\n"
        if text == "vrouter --info":
            return (0, info(self.loaded)) if self.loaded else (1, "")
        if text.startswith("cat -- "):
            return 0, self.files[text.removeprefix("cat -- ")]
        if text == "service supervisor-vrouter status":
            return 0, ("supervisor-vrouter start/running, process 4242\n" if self.vrouter_running
                       else "supervisor-vrouter stop/waiting\n")
        raise AssertionError(f"unexpected command {text}")

    def read(self, node, command, **kw):
        rc, out = self._answer(command)
        assert rc == 0
        return CommandResult(node.name, join_command(command), rc, out, "", 0.0)

    def probe(self, node, command, **kw):
        rc, out = self._answer(command)
        return CommandResult(node.name, join_command(command), rc, out, "", 0.0)

    def plan(self, node, command, why, *, timeout=None, diff=""):
        self.planned.append((join_command(command), diff))


def plan(monkeypatch, step: FakeStep, target: Cluster) -> list[str]:
    monkeypatch.setattr(compute_move, "discovery_ip", lambda cluster: cluster.cfg)
    compute_move.plan_move(step, None, Node(), target)
    return [c for c, _ in step.planned]


def test_other_build_loaded_means_stop_rmmod_modprobe_start(monkeypatch):
    step = FakeStep(loaded="3.2.3.0")
    cmds = plan(monkeypatch, step, Cluster("3.2.10.0-59", "10.0.1.1"))
    assert any(f"{KMOD}=3.2.10.0-59" in c for c in cmds)  # the module package moves with the others
    tor = "openstack-config --set /etc/contrail/contrail-tor-agent-1.conf DISCOVERY server 10.0.1.1"
    assert cmds[-5:] == [tor, "service supervisor-vrouter stop", "rmmod vrouter", "modprobe vrouter",
                         "service supervisor-vrouter start"]
    assert "service supervisor-vrouter restart" not in cmds
    diff = step.planned[0][1]
    assert "contrail-tor-agent-1.conf" in diff  # the plan shows the TOR conf's diff
    assert "+server=10.0.1.1" in diff


def test_same_build_loaded_means_a_plain_restart(monkeypatch):
    cmds = plan(monkeypatch, FakeStep(loaded="3.2.10.0"), Cluster("3.2.10.0-59", "10.0.1.1"))
    assert cmds[-1] == "service supervisor-vrouter restart"
    assert "rmmod vrouter" not in cmds and "modprobe vrouter" not in cmds


def test_no_module_loaded_means_modprobe_without_rmmod(monkeypatch):
    cmds = plan(monkeypatch, FakeStep(loaded=None), Cluster("3.2.10.0-59", "10.0.1.1"))
    assert cmds[-3:] == ["service supervisor-vrouter stop", "modprobe vrouter", "service supervisor-vrouter start"]


def test_rerun_after_a_stop_does_not_stop_again(monkeypatch):
    # upstart's `stop` of a stopped job exits 1: a run interrupted between stop and start
    # must not plan a stop that would fail.
    cmds = plan(monkeypatch, FakeStep(loaded="3.2.3.0", vrouter_running=False), Cluster("3.2.10.0-59", "10.0.1.1"))
    assert "service supervisor-vrouter stop" not in cmds
    assert cmds[-3:] == ["rmmod vrouter", "modprobe vrouter", "service supervisor-vrouter start"]


def test_downgrade_install_uses_what_apt_1_0_understands(monkeypatch):
    cmds = plan(monkeypatch, FakeStep(loaded="3.2.10.0"), Cluster("3.2.3.0-73", "10.0.0.1"))
    install = next(c for c in cmds if " install " in c)
    assert "--force-yes" in install and "--allow-downgrades" not in install


def test_no_module_package_leaves_the_module_alone(monkeypatch):
    step = FakeStep(loaded="3.2.3.0", kmod_installed=False)
    cmds = plan(monkeypatch, step, Cluster("3.2.10.0-59", "10.0.1.1"))
    assert cmds[-1] == "service supervisor-vrouter restart"
    assert not any(KMOD in c for c in cmds)


def test_rollback_reloads_the_old_build(monkeypatch):
    cmds = plan(monkeypatch, FakeStep(loaded="3.2.10.0"), Cluster("3.2.3.0-73", "10.0.0.1"))
    assert "rmmod vrouter" in cmds and any(f"{KMOD}=3.2.3.0-73" in c for c in cmds)
