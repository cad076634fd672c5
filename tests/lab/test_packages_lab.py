"""End to end: the lab's real .deb packages, installed from its local apt repository.

Boots a copy of clusters/lab.yaml on 127.61.0.0/16 (its own state dir) and checks, inside
the nodes: the first-boot installs (old on computes and old controllers, new on new
controllers, none on the openstack node), that apt sees the lab repository and nothing
else, and that compute1 upgrades and downgrades contrail-vrouter-agent with apt-get while
compute2 stays as it was and a locally modified agent conf survives.
"""
from __future__ import annotations

import time

import pytest

from lab.contrail import packages as pk
from lab.node_exec import run_in_node
from tests.lab.conftest import running_lab

pytestmark = pytest.mark.lab

AGENT_CONF = "/etc/contrail/contrail-vrouter-agent.conf"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab.yaml", "pkglab", "127.61") as inv:
        yield inv


def sh(inv, node: str, script: str, timeout: float = 120):
    return run_in_node(inv.lab_state_dir, node, ["sh", "-c", script], timeout=timeout)


def versions(inv, node: str) -> dict[str, str]:
    proc = sh(inv, node, "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' "
                         "'contrail-*' python-contrail 2>/dev/null || true")
    out = {}
    for line in proc.stdout.splitlines():
        name, version, status = (line.split() + ["", ""])[:3]
        if status.startswith("ii"):
            out[name] = version
    return out


def agent_version(inv, node: str) -> str:
    proc = sh(inv, node, "dpkg-query -W -f '${Version}' contrail-vrouter-agent")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_first_boot_installs_the_right_version_per_node(lab):
    old, new = lab.model.old.version, lab.model.new.version
    for c in lab.model.computes:
        assert versions(lab, c.name) == {p: old for p in pk.compute_packages(old)}, c.name
    for n in lab.model.old.nodes:
        roles = [r.value for r in n.roles]
        assert versions(lab, n.name) == {p: old for p in pk.controller_packages(roles, old)}
    for n in lab.model.new.nodes:
        roles = [r.value for r in n.roles]
        assert versions(lab, n.name) == {p: new for p in pk.controller_packages(roles, new)}
    assert versions(lab, lab.model.openstack.name) == {}


def test_version_marker_matches_dpkg(lab):
    node = lab.model.new.nodes[0].name
    proc = sh(lab, node, f"cat {pk.VERSION_MARKER_DIR}/contrail-control")
    assert proc.stdout.strip() == lab.model.new.version


def test_apt_knows_only_the_lab_repository(lab):
    node = lab.model.computes[0].name
    proc = sh(lab, node, "apt-get update -q -o APT::Update::Error-Mode=any && apt-cache policy")
    assert proc.returncode == 0, proc.stderr
    origins = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith("500 ")]
    assert origins and all("file:/srv/issu-lab-repo ./" in ln for ln in origins), origins
    policy = sh(lab, node, "apt-cache policy contrail-vrouter-agent").stdout
    assert lab.model.old.version in policy and lab.model.new.version in policy


def test_repo_is_read_only_in_the_node(lab):
    proc = sh(lab, lab.model.computes[0].name, "touch /srv/issu-lab-repo/x")
    assert proc.returncode != 0 and "Read-only file system" in proc.stderr


def test_compute1_upgrades_and_downgrades_alone(lab):
    old, new = lab.model.old.version, lab.model.new.version
    c1, c2 = lab.model.computes[0].name, lab.model.computes[1].name
    marker = "# kept-across-upgrade"
    assert sh(lab, c1, f"mkdir -p /etc/contrail && echo '{marker}' >> {AGENT_CONF}").returncode == 0
    conf_before = sh(lab, c1, f"cat {AGENT_CONF}").stdout

    t0 = time.monotonic()
    up = sh(lab, c1, f"DEBIAN_FRONTEND=noninteractive apt-get install -y contrail-vrouter-agent={new}")
    print(f"\ncompute1: apt-get install agent={new} took {time.monotonic() - t0:.2f} s")
    assert up.returncode == 0, up.stdout + up.stderr
    assert agent_version(lab, c1) == new
    assert versions(lab, c1) == {p: new for p in pk.compute_packages(new)}
    assert sh(lab, c1, f"cat {pk.VERSION_MARKER_DIR}/contrail-vrouter-agent").stdout.strip() == new
    assert sh(lab, c1, f"cat {AGENT_CONF}").stdout == conf_before
    assert agent_version(lab, c2) == old

    down = sh(lab, c1, "DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades "
                       f"contrail-vrouter-agent={old}")
    assert down.returncode == 0, down.stdout + down.stderr
    assert agent_version(lab, c1) == old
    # contrail-vrouter-common pins its companions: an agent-only downgrade removes it
    assert "contrail-vrouter-common" not in versions(lab, c1)

    t0 = time.monotonic()
    whole = sh(lab, c1, pk.apt_install_command(pk.compute_packages(old), old))
    print(f"compute1: whole-set downgrade took {time.monotonic() - t0:.2f} s")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert versions(lab, c1) == {p: old for p in pk.compute_packages(old)}
    assert sh(lab, c1, f"cat {AGENT_CONF}").stdout == conf_before
    assert versions(lab, c2) == {p: old for p in pk.compute_packages(old)}


def test_agent_wrapper_is_the_packaged_one(lab):
    c1 = lab.model.computes[0].name
    proc = sh(lab, c1, "dpkg -S /usr/bin/contrail-vrouter-agent && head -2 /usr/bin/contrail-vrouter-agent")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("contrail-vrouter-agent: /usr/bin/contrail-vrouter-agent")
    assert "#!/usr/bin/python3" in proc.stdout
