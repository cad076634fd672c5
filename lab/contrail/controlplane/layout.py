"""Files, ports and boot commands of this plane on each lab node (see lab/nodefiles.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from issu.inventory import Inventory
from lab.nodefiles import NodeContext, NodeFile


def provide(ctx: NodeContext) -> Iterable[NodeFile]:
    return ()


def ports(ctx: NodeContext) -> Iterable[int]:
    return ()


def boot_commands(ctx: NodeContext) -> Iterable[str]:
    return ()


def prepare(lab_dir: Path, inventory: Inventory) -> None:
    return None
