"""The lab's vrouter module and its tools (contrail_sim.vrouter.kmod), on a temporary root.

Expected texts are the real tools' (kmod v15 tools/rmmod.c, modprobe.c, lsmod.c, modinfo.c;
contrail-vrouter R3.2 utils/vrouter.c); the runbook's parser must read what the lab prints.
"""
from __future__ import annotations

import configparser

import pytest

from checks import vrouter_module as vm
from lab.contrail.sim.vrouter import kmod, tor_agent

REL = "3.13.0-106-generic"


@pytest.fixture
def node(tmp_path, monkeypatch):
    monkeypatch.setattr(kmod, "release", lambda: REL)
    monkeypatch.setattr(kmod, "refcount", lambda proc="/proc": 0)
    path = tmp_path / kmod.module_path(REL).lstrip("/")
    path.parent.mkdir(parents=True)
    path.write_text(kmod.module_text("3.2.3.0", REL))
    return tmp_path


def run(func, argv, root, capsys):
    rc = func(argv, root=str(root))
    out, err = capsys.readouterr()
    return rc, out, err


def install(root, version):
    (root / kmod.module_path(REL).lstrip("/")).write_text(kmod.module_text(version, REL))


def test_modprobe_loads_and_vrouter_info_reports_the_build(node, capsys):
    assert run(kmod.vrouter, ["--info"], node, capsys) == (1, "", "")  # nothing loaded: silent exit 1
    assert run(kmod.modprobe, ["vrouter"], node, capsys) == (0, "", "")
    rc, out, _ = run(kmod.vrouter, ["--info"], node, capsys)
    assert rc == 0
    # utils/vrouter.c: "vRouter module version      " then " " then the build-version
    assert out.startswith("vRouter module version" + " " * 6 + " " + "3.2.3.0 (Built by ")
    assert vm.parse_vrouter_info(out).version == "3.2.3.0"


def test_new_package_file_does_not_change_the_loaded_module(node, capsys):
    run(kmod.modprobe, ["vrouter"], node, capsys)
    install(node, "3.2.10.0")
    assert run(kmod.modprobe, ["vrouter"], node, capsys)[0] == 0  # already loaded: nothing done
    assert vm.parse_vrouter_info(run(kmod.vrouter, ["--info"], node, capsys)[1]).version == "3.2.3.0"
    assert run(kmod.rmmod, ["vrouter"], node, capsys) == (0, "", "")
    assert run(kmod.modprobe, ["vrouter"], node, capsys)[0] == 0
    assert vm.parse_vrouter_info(run(kmod.vrouter, ["--info"], node, capsys)[1]).version == "3.2.10.0"


def test_rmmod_in_use_fails_like_kmod(node, capsys, monkeypatch):
    run(kmod.modprobe, ["vrouter"], node, capsys)
    monkeypatch.setattr(kmod, "refcount", lambda proc="/proc": 1)
    assert run(kmod.rmmod, ["vrouter"], node, capsys) == (1, "", "rmmod: ERROR: Module vrouter is in use\n")
    assert run(kmod.modprobe, ["-r", "vrouter"], node, capsys) == (1, "", "modprobe: FATAL: Module vrouter is in use.\n")
    assert kmod.loaded(str(node)) is not None


def test_rmmod_wait_sleeps_then_the_kernel_refuses(node, capsys, monkeypatch):
    run(kmod.modprobe, ["vrouter"], node, capsys)
    monkeypatch.setattr(kmod, "refcount", lambda proc="/proc": 1)
    slept = []
    rc = kmod.rmmod(["-w", "vrouter"], root=str(node), sleep=slept.append)
    err = capsys.readouterr().err
    assert rc == 1 and slept == [10]
    assert err == ("rmmod: ERROR: 'Wait' behavior is targeted for removal from kernel.\n"
                   "We will now sleep for 10s, and then continue.\n"
                   "rmmod: ERROR: could not remove module vrouter: Resource temporarily unavailable\n")


def test_rmmod_not_loaded(node, capsys):
    assert run(kmod.rmmod, ["vrouter"], node, capsys) == (1, "", "rmmod: ERROR: Module vrouter is not currently loaded\n")
    assert run(kmod.modprobe, ["-r", "vrouter"], node, capsys) == (0, "", "")  # kmod: not loaded, not --first-time


def test_modprobe_without_module_file(node, capsys):
    (node / kmod.module_path(REL).lstrip("/")).unlink()
    assert run(kmod.modprobe, ["vrouter"], node, capsys) == (1, "", "modprobe: FATAL: Module vrouter not found.\n")
    assert run(kmod.modinfo, ["vrouter"], node, capsys) == (1, "", "modinfo: ERROR: Module vrouter not found.\n")
    assert run(kmod.modprobe, ["nosuchmod"], node, capsys)[0] == 1


def test_lsmod_and_modinfo_read_by_the_runbook_parsers(node, capsys, monkeypatch):
    rc, out, _ = run(kmod.lsmod, [], node, capsys)
    assert rc == 0 and vm.parse_lsmod(out) == {}
    run(kmod.modprobe, ["vrouter"], node, capsys)
    monkeypatch.setattr(kmod, "refcount", lambda proc="/proc": 1)
    rows = vm.parse_lsmod(run(kmod.lsmod, [], node, capsys)[1])
    assert rows["vrouter"].used_by == 1
    fields = vm.parse_modinfo(run(kmod.modinfo, ["vrouter"], node, capsys)[1])
    assert fields["filename"] == [str(node / kmod.module_path(REL).lstrip("/"))]
    assert fields["version"] == ["1.0"]
    assert run(kmod.modinfo, ["-F", "version", "vrouter"], node, capsys)[1] == "1.0\n"


def test_refcount_sees_the_agent(tmp_path):
    for pid, argv in (("10", b"/usr/bin/python3\0/usr/bin/contrail-vrouter-agent\0"),
                      ("11", b"/usr/bin/python3\0/usr/bin/contrail-tor-agent\0--config_file\0x\0")):
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "cmdline").write_bytes(argv)
        (tmp_path / pid / "stat").write_text(f"{pid} (python3) S 1 1")
    assert kmod.refcount(str(tmp_path)) == 1
    (tmp_path / "10" / "stat").write_text("10 (python3) Z 1 1")  # a zombie holds nothing
    assert kmod.refcount(str(tmp_path)) == 0


class _Node:
    ip = "127.75.1.1"


class _Cluster:  # what layout.discovery_ip reads
    nodes = (_Node(),)

    def with_role(self, role):
        return self.nodes


def test_tor_agent_reads_the_provisioning_template_shape(tmp_path):
    from lab.contrail.controlplane import layout

    body = layout.tor_agent_conf("compute1", "127.75.2.1", 1, 9010, "127.75.250.1", _Cluster())
    assert "\n  agent_mode=tor\n" in body  # indented, as in tor_agent_conf.py
    conf = tmp_path / "contrail-tor-agent-1.conf"
    conf.write_text(body)
    cp = tor_agent.read_conf(str(conf))
    cfg = tor_agent.parse(cp, "compute1")
    assert (cfg.hostname, cfg.ip, cfg.introspect_port, cfg.discovery_server) == (
        "compute1-1", "127.75.2.1", 9010, "127.75.1.1")
    assert cp.get("DEFAULT", "agent_mode") == "tor"
    # Read without trimming, the indented line is glued to the value before it.
    raw = configparser.ConfigParser(interpolation=None)
    raw.read_string(body)
    assert "agent_mode" not in raw.defaults()
    assert "command=/usr/bin/contrail-tor-agent --config_file /etc/contrail/contrail-tor-agent-1.conf" \
        in layout.tor_agent_ini(1)
