"""End to end: the lab's host layer makes real nodes, and takes them all away again.

Boots a copy of clusters/lab.yaml on 127.20.0.0/16, SSHes into every node with paramiko
and pinned host keys, and checks what makes a node a node: its hostname, its own files
and packages, supervisorctl over each role's socket, sudo for the non-root user. Then
`down`, and nothing of the lab may be left.
"""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import paramiko
import pytest

from checks.service_status import Init, State, parse_status
from lab import boot
from lab.paths import LabPaths
from tests.lab.conftest import lab_inventory

pytestmark = pytest.mark.lab

ROLE_SOCKETS = {
    "old": ["database", "config", "control", "analytics", "webui"],
    "new": ["database", "config", "control", "analytics", "webui"],
    "compute": ["vrouter"],
    "openstack": [],
}


def ssh(inv, node, user="root") -> paramiko.SSHClient:
    paths = LabPaths(inv.lab_state_dir)
    client = paramiko.SSHClient()
    client.load_host_keys(str(paths.known_hosts))  # pinned: nothing else is trusted
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(node.ip, port=22, username=user, key_filename=str(paths.ssh_key),
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client


def run(client: paramiko.SSHClient, cmd: str) -> tuple[int, str, str]:
    _, out, err = client.exec_command(cmd, timeout=60)
    rc = out.channel.recv_exit_status()
    return rc, out.read().decode(), err.read().decode()


def tiny_deb(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(
        "Package: issu-lab-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: lab <lab@localhost>\n"
        "Description: proves per-node package databases\n")
    (root / "usr/share/issu-lab-probe").mkdir(parents=True)
    (root / "usr/share/issu-lab-probe/marker").write_text("probe\n")
    out = tmp_path / "probe.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(out)], check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    inv = lab_inventory(tmp_path_factory.mktemp("inv"), "lab.yaml", "hosttest", "127.20")
    boot.down(inv)  # a previous crashed run
    assert boot.up(inv, log=lambda m: None, settle=False) is True
    yield inv
    boot.down(inv)


def test_up_twice_is_a_noop(lab):
    assert boot.up(lab, log=lambda m: None, settle=False) is False
    assert boot.lab_status(lab) == "up"


def test_every_node_answers_ssh_with_its_own_hostname(lab):
    for node in lab.model.all_nodes():
        with ssh(lab, node) as c:
            rc, out, _ = run(c, "hostname; cat /etc/hostname")
            assert rc == 0
            assert out.split() == [node.name, node.name], f"{node.name}: {out!r}"


def test_unknown_host_key_is_refused(lab, tmp_path):
    node = lab.model.computes[0]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        client.connect(node.ip, username="root", key_filename=str(LabPaths(lab.lab_state_dir).ssh_key),
                       look_for_keys=False, allow_agent=False, timeout=10)


def test_files_are_per_node(lab):
    c1, c2 = lab.model.computes[0], lab.model.computes[1]
    with ssh(lab, c1) as a, ssh(lab, c2) as b:
        assert run(a, "echo only-on-compute1 > /etc/contrail/x")[0] == 0
        assert run(a, "cat /etc/contrail/x")[1] == "only-on-compute1\n"
        rc, _, err = run(b, "cat /etc/contrail/x")
        assert rc == 1 and "No such file" in err
    assert not Path("/etc/contrail/x").exists() or Path("/etc/contrail/x").read_text() != "only-on-compute1\n"


def test_packages_are_per_node(lab, tmp_path):
    c1, c2 = lab.model.computes[0], lab.model.computes[1]
    deb = tiny_deb(tmp_path)
    with ssh(lab, c1) as a, ssh(lab, c2) as b:
        sftp = a.open_sftp()
        sftp.put(str(deb), "/tmp/probe.deb")
        sftp.close()
        rc, out, err = run(a, "dpkg -i /tmp/probe.deb && dpkg-query -W -f '${Version}' issu-lab-probe")
        assert rc == 0, err
        assert out.endswith("1.0")
        rc, _, err = run(b, "dpkg-query -W issu-lab-probe")
        assert rc == 1 and "no packages found matching issu-lab-probe" in err
    host = subprocess.run(["dpkg-query", "-W", "issu-lab-probe"], capture_output=True)
    assert host.returncode == 1


def test_supervisorctl_over_each_roles_socket(lab):
    for node in lab.model.all_nodes():
        kind = lab.model.kind_of(node)
        with ssh(lab, node) as c:
            for role in ROLE_SOCKETS[kind]:
                sock = f"unix:///var/run/supervisord_{role}.sock"
                rc, out, err = run(c, f"supervisorctl -s {sock} pid")
                assert rc == 0 and out.strip().isdigit(), f"{node.name} {sock}: {out}{err}"
                rc, out, err = run(c, f"service supervisor-{role} status")
                assert parse_status(rc, out, err).running, f"{node.name} supervisor-{role}: {rc} {out}{err}"
            if kind != "compute":
                rc, out, _ = run(c, "supervisorctl -c /etc/supervisor/supervisord.conf pid")
                assert rc == 0 and out.strip().isdigit(), f"{node.name}: system supervisord"


def test_service_stops_and_starts_a_supervisor_instance(lab):
    node = lab.model.computes[2]
    with ssh(lab, node) as c:
        assert run(c, "service supervisor-vrouter stop")[0] == 0
        st = parse_status(*run(c, "service supervisor-vrouter status"))
        assert st.state is State.stopped and st.init is Init(lab.model.lab.init)
        assert run(c, "test -S /var/run/supervisord_vrouter.sock")[0] == 1
        assert run(c, "service supervisor-vrouter start")[0] == 0
        st = parse_status(*run(c, "service supervisor-vrouter status"))
        assert st.running and st.init is Init(lab.model.lab.init)


def test_non_root_user_has_sudo(lab):
    node = lab.model.new.nodes[0]
    with ssh(lab, node, user="contrail") as c:
        rc, out, _ = run(c, "id -un; sudo -n id -u")
        assert rc == 0 and out.split() == ["contrail", "0"]


def test_apt_inside_a_node_has_no_network_source(lab):
    with ssh(lab, lab.model.computes[0]) as c:
        rc, out, _ = run(c, "ls /etc/apt/sources.list.d/; cat /etc/apt/sources.list 2>/dev/null; true")
        assert "debian.sources" not in out and "deb.debian.org" not in out


def test_down_leaves_nothing(tmp_path):
    inv = lab_inventory(tmp_path, "lab.yaml", "downtest", "127.21")
    boot.down(inv)
    assert boot.up(inv, log=lambda m: None, settle=False)
    paths = LabPaths(inv.lab_state_dir)
    pids = [int(paths.node(n.name).init_pid.read_text()) for n in inv.model.all_nodes()]
    namespaces = {os.readlink(f"/proc/{p}/ns/pid") for p in pids}
    assert boot.down(inv) is True
    assert boot.lab_status(inv) == "down"
    assert boot.leftovers(inv) == []
    for node, p in zip(inv.model.all_nodes(), pids):  # gone, not even a zombie (pids get reused: check identity)
        assert not paths.node(node.name).is_init(p), f"{node.name} init {p} survived"
        status = Path(f"/proc/{p}/status")
        assert not (status.exists() and "State:\tZ" in status.read_text() and
                    "PPid:\t1\n" in status.read_text()), f"{node.name} init {p} left as a zombie"
    for entry in Path("/proc").iterdir():  # no process of any node namespace survives
        if entry.name.isdigit():
            try:
                ns = os.readlink(entry / "ns/pid")
            except OSError:
                continue
            assert ns not in namespaces, f"pid {entry.name} of a lab node survived"
    assert "downtest" not in Path("/proc/self/mountinfo").read_text()
    for node in inv.model.all_nodes():
        with socket.socket() as s:
            s.settimeout(0.5)
            assert s.connect_ex((node.ip, 22)) != 0, f"{node.name} sshd still answers"
    assert not paths.nodes.exists() and not paths.secrets.exists()
