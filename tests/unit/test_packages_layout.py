"""The packaging provider: apt configuration and first-boot installs per node kind."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from issu.inventory import load
from lab.contrail import packages as pk
from lab.contrail import packaging_layout as layout
from lab.nodefiles import NODE_REPO_DIR, NodeContext

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inv():
    return load(ROOT / "clusters/lab.yaml").model


def _ctx(inv, name: str) -> NodeContext:
    node = inv.node(name)
    kind = inv.kind_of(node)
    cluster = {"old": inv.old, "new": inv.new, "compute": inv.old}.get(kind)
    supervisors = ("vrouter",) if kind == "compute" else tuple(
        r.value for r in getattr(node, "roles", ()))
    return NodeContext(inv, node, kind, supervisors, cluster)


def test_every_node_gets_only_the_lab_source(inv):
    for node in inv.all_nodes():
        files = {f.path: f.content for f in layout.provide(_ctx(inv, node.name))}
        assert files["/etc/apt/sources.list.d/issu-lab.list"] == f"deb [trusted=yes] file:{NODE_REPO_DIR} ./\n"
        assert files["/etc/apt/sources.list"] == ""
        conf = files["/etc/apt/apt.conf.d/99issu-lab"]
        assert 'Acquire::Languages "none";' in conf
        assert 'APT::Install-Recommends "false";' in conf


def test_apt_conf_parses_and_disables_network_methods(tmp_path, inv):
    conf = {f.path: f.content for f in layout.provide(_ctx(inv, "compute1"))}["/etc/apt/apt.conf.d/99issu-lab"]
    path = tmp_path / "apt.conf"
    path.write_text(conf)
    out = subprocess.run(["apt-config", "-c", str(path), "dump"], capture_output=True, text=True,
                         check=True).stdout
    lines = out.lower().splitlines()
    assert any(ln.startswith("acquire::languages") and '"none"' in ln for ln in lines)
    assert 'dir::bin::methods::http "/bin/false";' in lines
    assert 'dpkg::options:: "--force-confold";' in lines


def _installs(commands) -> str:
    lines = [c for c in commands if "dpkg -i" in c]
    assert len(lines) == 1
    return lines[0]


def test_compute_installs_the_old_compute_set(inv):
    cmds = list(layout.boot_commands(_ctx(inv, "compute2")))
    assert cmds[0] == layout.GUARD_COMMAND and cmds[1] == layout.UPDATE_COMMAND
    line = _installs(cmds)
    for p in pk.compute_packages(inv.old.version):
        assert f"{NODE_REPO_DIR}/{p}_{inv.old.version}_all.deb" in line
    assert inv.new.version not in line


def test_old_controller_installs_old_and_new_controller_installs_new(inv):
    old = _installs(layout.boot_commands(_ctx(inv, "ctl-old-1")))
    new = _installs(layout.boot_commands(_ctx(inv, "ctl-new-1")))
    for line, version in ((old, inv.old.version), (new, inv.new.version)):
        for p in ("contrail-openstack-config", "contrail-control", "contrail-analytics",
                  "contrail-openstack-database", "contrail-web-core", "contrail-lib"):
            assert f"/{p}_{version}_all.deb" in line
        assert "contrail-vrouter-agent" not in line


def test_openstack_node_installs_nothing(inv):
    assert list(layout.boot_commands(_ctx(inv, "openstack1"))) == []
    assert layout.node_packages(_ctx(inv, "openstack1")) == ("", ())


def test_no_ports(inv):
    assert list(layout.ports(_ctx(inv, "compute1"))) == []


@pytest.mark.parametrize("sources,ok", [
    ({"issu-lab.list": "deb [trusted=yes] file:/srv/issu-lab-repo ./\n"}, True),
    ({"issu-lab.list": "x\n", "debian.sources": "Types: deb\n"}, False),
])
def test_guard_refuses_foreign_sources(tmp_path, sources, ok):
    d = tmp_path / "etc/apt/sources.list.d"
    d.mkdir(parents=True)
    for name, text in sources.items():
        (d / name).write_text(text)
    (tmp_path / "etc/apt/sources.list").write_text("")
    guard = layout.GUARD_COMMAND.replace("/etc/apt/", f"{tmp_path}/etc/apt/")
    proc = subprocess.run(["sh", "-c", guard], capture_output=True, text=True)
    assert (proc.returncode == 0) is ok, proc.stderr


def test_guard_refuses_a_nonempty_sources_list(tmp_path):
    (tmp_path / "etc/apt/sources.list.d").mkdir(parents=True)
    (tmp_path / "etc/apt/sources.list").write_text("# comment\ndeb http://example.invalid/ x main\n")
    guard = layout.GUARD_COMMAND.replace("/etc/apt/", f"{tmp_path}/etc/apt/")
    proc = subprocess.run(["sh", "-c", guard], capture_output=True, text=True)
    assert proc.returncode != 0 and "must be empty" in proc.stderr


def test_prepare_builds_the_repo_under_lab_dir(tmp_path, inv):
    layout.prepare(tmp_path, inv)
    repo = tmp_path / "repo"
    assert (repo / "Release").is_file()
    assert (repo / f"contrail-vrouter-agent_{inv.old.version}_all.deb").is_file()
    assert (repo / f"contrail-vrouter-agent_{inv.new.version}_all.deb").is_file()


def test_first_boot_installs_files_that_the_repo_has(tmp_path, inv):
    layout.prepare(tmp_path, inv)
    for node in inv.all_nodes():
        for cmd in layout.boot_commands(_ctx(inv, node.name)):
            for word in cmd.split():
                if word.startswith(NODE_REPO_DIR + "/"):
                    assert (tmp_path / "repo" / word.rsplit("/", 1)[1]).is_file(), (node.name, word)
