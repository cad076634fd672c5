"""Fixtures for end-to-end tests that boot a real lab (root only)."""
from __future__ import annotations

import copy
from contextlib import contextmanager
import os
from pathlib import Path

import pytest
import yaml

from issu.inventory import load

ROOT = Path(__file__).resolve().parents[2]


def lab_inventory(tmp_dir: Path, base: str, name: str, network_prefix: str):
    """A copy of a shipped lab inventory on its own loopback /16 and state dir, so a test
    lab never collides with clusters/lab.yaml being used by hand."""
    data = yaml.safe_load((ROOT / "clusters" / base).read_text())
    data = copy.deepcopy(data)
    old_prefix = ".".join(data["lab"]["network"].split(".")[:2])
    text = yaml.safe_dump(data).replace(old_prefix + ".", network_prefix + ".")
    data = yaml.safe_load(text)
    data["name"] = name
    data["lab"]["network"] = f"{network_prefix}.0.0/16"
    path = tmp_dir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load(path)


@pytest.fixture(scope="session", autouse=True)
def _root_only():
    if os.geteuid() != 0:
        pytest.skip("lab tests need root (namespaces, mounts, sshd on port 22)")


@contextmanager
def running_lab(tmp_dir: Path, base: str, name: str, network_prefix: str, timeout: float = 300):
    """A booted copy of a shipped lab inventory, taken down (faults cleared) afterwards."""
    from lab import boot

    inv = lab_inventory(tmp_dir, base, name, network_prefix)
    boot.down(inv)  # a previous crashed run
    try:
        assert boot.up(inv, timeout=timeout, log=lambda m: None) is True
        yield inv
    finally:
        boot.down(inv)
