"""Provider (lab/nodefiles.py contract): the local apt repository and the Contrail packages.

prepare() builds the .deb packages of the inventory's two versions into <lab_dir>/repo
(cached); the host layer bind-mounts it read-only at NODE_REPO_DIR in every node.
Every node gets an apt configuration that knows that repository and nothing else; at
first boot computes and old controllers install the OLD version, new controllers the
NEW version, the openstack node installs nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from issu.inventory import Inventory
from lab.contrail import packages
from lab.nodefiles import NodeContext, NodeFile
from lab.paths import LabPaths

SOURCES_FILE = "/etc/apt/sources.list.d/issu-lab.list"
APT_CONF_FILE = "/etc/apt/apt.conf.d/99issu-lab"

APT_CONF = """\
// contrail-issu-runbook lab: apt on this node reads the lab's local repository only.
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::PDiffs "false";
Acquire::Retries "0";
// No network transport: a stray source fails at once instead of leaving the machine.
Dir::Bin::Methods::http "/bin/false";
Dir::Bin::Methods::https "/bin/false";
Dir::Bin::Methods::ftp "/bin/false";
// Keep the lab's provisioned configuration files on upgrade/downgrade, never prompt.
Dpkg::Options { "--force-confdef"; "--force-confold"; };
"""

# Refuse to run apt at all if any source other than the lab's is configured.
GUARD_COMMAND = (
    "for f in /etc/apt/sources.list.d/*; do "
    '[ -e "$f" ] || continue; '
    f'[ "$f" = {SOURCES_FILE} ] || {{ echo "issu-lab: unexpected apt source $f" >&2; exit 1; }}; '
    "done; "
    "if grep -qsv '^[[:space:]]*\\(#.*\\)\\?$' /etc/apt/sources.list; then "
    'echo "issu-lab: /etc/apt/sources.list must be empty in a lab node" >&2; exit 1; fi'
)
UPDATE_COMMAND = "apt-get update -q -o APT::Update::Error-Mode=any >/dev/null"


def node_packages(ctx: NodeContext) -> tuple[str, tuple[str, ...]]:
    """(version, packages) the node installs at first boot; no packages on the openstack node."""
    if ctx.kind == "openstack" or ctx.cluster is None:
        return "", ()
    version = ctx.cluster.version
    if ctx.kind == "compute":
        return version, packages.compute_packages(version)
    roles = [getattr(r, "value", r) for r in getattr(ctx.node, "roles", ())] or list(ctx.supervisors)
    return version, packages.controller_packages(roles, version)


def provide(ctx: NodeContext) -> Iterable[NodeFile]:
    return (
        NodeFile(SOURCES_FILE, packages.sources_list_line()),
        NodeFile("/etc/apt/sources.list", ""),
        NodeFile(APT_CONF_FILE, APT_CONF),
    )


def ports(ctx: NodeContext) -> Iterable[int]:
    return ()


def boot_commands(ctx: NodeContext) -> Iterable[str]:
    version, pkgs = node_packages(ctx)
    if not pkgs:
        return ()
    install = packages.dpkg_install_command(pkgs, version)
    return (
        GUARD_COMMAND,
        UPDATE_COMMAND,
        # the timing line lands in the node's boot.log
        f"t0=$(date +%s%N); {install} >/dev/null && "
        f'echo "issu-lab packages: {len(pkgs)} at {version} installed in '
        '$(( ($(date +%s%N) - t0) / 1000000 )) ms"',
    )


def prepare(lab_dir: Path, inventory: Inventory) -> None:
    packages.build_repo(LabPaths(lab_dir).repo, (inventory.old.version, inventory.new.version))
