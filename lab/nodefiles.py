"""The contract between the lab's host layer and what runs on a node.

The host layer (lab/boot.py, lab/nodeinit.py) makes nodes; *providers* (the Contrail
simulation under lab/contrail/) say what each node holds and runs. A provider is a module
with these functions, each taking a `NodeContext`:

    provide(ctx) -> Iterable[NodeFile]     files written into the node's own root before boot
    ports(ctx) -> Iterable[int]            TCP ports it will listen on at ctx.node.ip (checked free at `up`)
    boot_commands(ctx) -> Iterable[str]    shell commands run inside the node at first boot,
                                           before the supervisord instances start
    prepare(lab_dir, inventory) -> None    once per `up`, on the host, before any node boots
                                           (e.g. build the .deb packages and the local apt repo)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

from issu.inventory import ControllerCluster, Inventory, Node

NodeKind = Literal["openstack", "old", "new", "compute"]

# Where the lab's local apt repository is mounted (read-only) inside every node.
NODE_REPO_DIR = "/srv/issu-lab-repo"


@dataclass(frozen=True)
class NodeFile:
    """A file as the node sees it: absolute path inside the node, content, mode."""

    path: str
    content: str | bytes
    mode: int = 0o644

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"node file path must be absolute and normalised: {self.path!r}")


@dataclass(frozen=True)
class NodeContext:
    inventory: Inventory
    node: Node
    kind: NodeKind
    # supervisord instances on the node: config/control/analytics/database/webui on
    # controllers (their roles), ("vrouter",) on computes, () on the openstack node.
    supervisors: tuple[str, ...]
    # the controller cluster the node belongs to; computes start on the OLD cluster.
    cluster: ControllerCluster | None
    # secrets the lab generated, by name: admin_password, rabbit_password, root_password, sudo_password
    secrets: Mapping[str, str] = field(repr=False, default_factory=dict)
    lab_dir: Path = Path("/nonexistent")
