"""Bad input to issu-lab: one clear line, a non-zero exit, nothing half-started."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import boot
from lab.paths import LabPaths
from tests.lab.conftest import ROOT, lab_inventory

pytestmark = pytest.mark.lab


def issu_lab(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=240, **kw)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_missing_inventory():
    line = one_line_error(issu_lab("up", "--cluster", "clusters/nope.yaml"))
    assert line == "issu-lab: clusters/nope.yaml: no such inventory file"


def test_invalid_inventory(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text((ROOT / "clusters/lab.yaml").read_text().replace("127.18.2.3", "127.18.2.300"))
    line = one_line_error(issu_lab("up", "--cluster", str(f)))
    assert line == f"issu-lab: {f}: computes[2].ip: '127.18.2.300' is not an IP address"


def test_non_loopback_address_in_a_lab_inventory(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text((ROOT / "clusters/lab.yaml").read_text().replace("127.18.2.3", "192.0.2.3"))
    line = one_line_error(issu_lab("up", "--cluster", str(f)))
    assert line == (f"issu-lab: {f}: computes[2].ip: 192.0.2.3 is outside 127.0.0.0/8; "
                    "a lab inventory may only use loopback")


def test_real_cluster_inventory_is_not_a_lab():
    line = one_line_error(issu_lab("up", "--cluster", "clusters/example-prod.yaml"))
    assert line == "issu-lab: clusters/example-prod.yaml: has no lab: block; it describes a real cluster, not a lab"


def test_not_root(tmp_path, monkeypatch):
    inv = lab_inventory(tmp_path, "lab.yaml", "nonroot", "127.22")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(boot.LabError, match=r"^must run as root \(the lab uses namespaces"):
        boot.up(inv, log=lambda m: None)
    assert not LabPaths(inv.lab_state_dir).nodes.exists()


def test_port_already_taken_starts_nothing(tmp_path):
    inv = lab_inventory(tmp_path, "lab.yaml", "porttest", "127.23")
    f = inv.path
    with socket.socket() as squatter:
        squatter.bind(("127.23.2.2", 22))
        squatter.listen(1)
        line = one_line_error(issu_lab("up", "--cluster", str(f)))
    assert line == ("issu-lab: 127.23.2.2:22 is already in use (Address already in use); node compute2 "
                    "needs it. Find the holder with: ss -ltnp 'sport = :22'")
    assert boot.lab_status(inv) == "down"
    assert boot.leftovers(inv) == []
    assert not LabPaths(inv.lab_state_dir).nodes.exists()


def test_up_after_a_crash_cleans_the_leftovers(tmp_path):
    inv = lab_inventory(tmp_path, "lab.yaml", "crashtest", "127.24")
    boot.down(inv)
    assert boot.up(inv, log=lambda m: None)
    paths = LabPaths(inv.lab_state_dir)
    victim = int(paths.node("compute2").init_pid.read_text())
    os.kill(victim, 9)  # a node dies: the lab is now partial
    for _ in range(100):
        if not Path(f"/proc/{victim}").exists():
            break
        time.sleep(0.05)
    assert boot.lab_status(inv) == "partial"
    proc = issu_lab("up", "--cluster", str(inv.path))
    assert proc.returncode == 0, proc.stderr
    assert "cleaning the leftovers of an earlier lab first" in proc.stdout
    assert boot.lab_status(inv) == "up"
    proc = issu_lab("status", "--cluster", str(inv.path))
    assert proc.returncode == 0 and ": up" in proc.stdout.splitlines()[0]
    proc = issu_lab("down", "--cluster", str(inv.path))
    assert proc.returncode == 0 and proc.stdout.strip() == "lab crashtest: down"
    proc = issu_lab("status", "--cluster", str(inv.path))
    assert proc.stdout.strip() == f"lab crashtest ({inv.path}): down"
