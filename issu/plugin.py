"""The runbook's pytest plugin: options, the inventory, the lab autostart and hard stops.

It is active only when `--cluster` is given (the project's own test suite runs without it).
"""
from __future__ import annotations

import pytest

from issu.inventory import InventoryError, LoadedInventory, load

INVENTORY_KEY = pytest.StashKey[LoadedInventory]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("issu", "Contrail ISSU runbook")
    group.addoption(
        "--cluster",
        dest="issu_cluster",
        metavar="FILE",
        default=None,
        help="inventory YAML of the cluster to upgrade (required to run the runbook).",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("issu_cluster")
    if path is None:
        return
    try:
        config.stash[INVENTORY_KEY] = load(path)
    except InventoryError as exc:
        raise pytest.UsageError(str(exc)) from None
