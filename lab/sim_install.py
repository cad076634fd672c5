"""Installs the node-side simulation (lab/contrail/sim) into every node as `contrail_sim`.

A provider (lab/nodefiles.py). Debian's /usr/bin/python3 finds it in dist-packages.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

from issu.inventory import Inventory
from lab.nodefiles import NodeContext, NodeFile

SIM_SOURCE = Path(__file__).parent / "contrail" / "sim"
SIM_TARGET = "/usr/lib/python3/dist-packages/contrail_sim"


@lru_cache(maxsize=1)
def _sim_files() -> tuple[NodeFile, ...]:
    files = []
    for src in sorted(SIM_SOURCE.rglob("*.py")):
        rel = src.relative_to(SIM_SOURCE).as_posix()
        files.append(NodeFile(f"{SIM_TARGET}/{rel}", src.read_text()))
    return tuple(files)


def provide(ctx: NodeContext) -> Iterable[NodeFile]:
    return _sim_files()


def ports(ctx: NodeContext) -> Iterable[int]:
    return ()


def boot_commands(ctx: NodeContext) -> Iterable[str]:
    return ()


def prepare(lab_dir: Path, inventory: Inventory) -> None:
    _sim_files.cache_clear()  # pick up edits between two `up`s in one process
