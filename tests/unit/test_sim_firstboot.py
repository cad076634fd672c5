"""The lab's first-boot one-shots retire themselves from the system supervisord."""
from __future__ import annotations

import time

from lab.contrail.sim.common import firstboot


def test_retire_removes_the_program_conf_and_updates_supervisord_later(tmp_path):
    conf = tmp_path / "contrail-lab-provision-nodes.conf"
    conf.write_text("[program:contrail-lab-provision-nodes]\ncommand=/bin/true\n")
    other = tmp_path / "contrail-issu.conf"
    other.write_text("[program:contrail-issu]\ncommand=contrail-issu-run-sync\n")
    marker = tmp_path / "updated"
    assert firstboot.retire("contrail-lab-provision-nodes", conf_dir=str(tmp_path), delay=0,
                            update=f"touch {marker}") is True
    assert not conf.exists() and other.exists()
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "supervisorctl update was never run"


def test_retire_twice_is_a_noop(tmp_path):
    marker = tmp_path / "updated"
    assert firstboot.retire("contrail-lab-provision-control", conf_dir=str(tmp_path), delay=0,
                            update=f"touch {marker}") is False
    time.sleep(0.2)
    assert not marker.exists()
