"""Roll computes back to the old controllers (fab issu_contrail_rollback_compute). Only when asked
(`--phase rollback-compute --computes ...`): the compute move towards the old cluster (old
packages and their vRouter module, agent, nodemgr and TOR agent confs at the old discovery).

Seed: "Rollback of compute nodes is not recommended during or after the step 'Finalize the
upgrade'. Doing so could cause loss of data." It is refused once finalize has begun: by
the journal (a finalize change was applied) or by the cluster itself (an old controller's
services are stopped).
"""
from __future__ import annotations

import allure
import pytest

from checks import contrail_status
from issu import compute_move

PHASE = "rollback-compute"


def pytest_generate_tests(metafunc):
    from issu.plugin import RUNBOOK_KEY

    runbook = metafunc.config.stash.get(RUNBOOK_KEY, None)
    names = list(runbook.options.computes) if runbook else []
    metafunc.parametrize("compute_name", names, ids=names)


def finalize_began(step, inventory) -> str | None:
    if step.journal is not None:
        entries, _ = step.journal.entries()
        for e in entries:
            if e.step.startswith("test_4") and e.event == "applied":
                return f"the journal records a finalize change: {e.data.get('change')}"
    for node in inventory.model.old.nodes:
        report = contrail_status.parse(step.read(node, "contrail-status").stdout)
        for sup in ("supervisor-config", "supervisor-control"):
            line = report.service(sup)
            if line is not None and line.state != "active":
                return f"[{node.name}] {sup} is {line.state}: the old controllers are being retired"
    return None


@allure.title("Roll compute {compute_name} back to the old controllers")
def test_rollback_compute(inventory, step, compute_name):
    reason = finalize_began(step, inventory)
    if reason:
        pytest.fail(f"rollback refused: finalize has begun ({reason}); rolling back now could lose data",
                    pytrace=False)
    compute_move.move(step, inventory.model, inventory.model.node(compute_name), inventory.model.old)
