"""Migrate the computes to the new controllers (fab issu_contrail_migrate_compute).

One step per compute, in inventory group order (or as --computes lists them): the seed's
commands as the vendor's compute script runs them (issu_process.sh
issu_contrail_switch_compute_node: TOR agent confs too, and the vRouter kernel module
reloaded when the new packages ship another build), then proof that the compute runs the
new packages and the new module, points (with its TOR agents) at the new discovery and
talks XMPP to the new control nodes only. "There will be traffic impact during this
process, for the compute nodes that are in migration." (issu/compute_move.py)
"""
from __future__ import annotations

import allure

from issu import compute_move

PHASE = "migrate-compute"


def pytest_generate_tests(metafunc):
    from issu.plugin import RUNBOOK_KEY

    runbook = metafunc.config.stash.get(RUNBOOK_KEY, None)
    names = list(runbook.options.computes) if runbook else []
    metafunc.parametrize("compute_name", names, ids=names)


@allure.title("Migrate compute {compute_name} to the new controllers")
def test_migrate_compute(inventory, step, compute_name):
    compute = inventory.model.node(compute_name)
    compute_move.move(step, inventory.model, compute, inventory.model.new)
