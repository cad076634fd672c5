"""Pre-flight: the cluster is what the inventory says, before anything is touched.

Read-only from the first line to the last: a `--check-only` run and a real run do the
same here.
"""
from __future__ import annotations

import allure

from issu.remote import CommandResult

PHASE = "preflight"


@allure.title("Every node of the inventory is reachable over SSH and is the host the inventory says")
def test_every_node_is_reachable_and_is_the_declared_host(inventory, fleet):
    problems = []
    for node, result in fleet.run_all(inventory.model.all_nodes(), "hostname", read_only=True):
        where = f"[{node.name}] {node.ip}"
        if not isinstance(result, CommandResult):
            problems.append(f"{where}: unreachable: {result}")
        elif result.rc != 0:
            problems.append(f"{where}: `hostname` exited {result.rc}: {result.stderr.strip()}")
        elif result.stdout.strip() != node.name:
            problems.append(f"{where}: expected host name {node.name!r}, found {result.stdout.strip()!r}")
    assert not problems, "\n".join(problems)
