"""When is a booted lab a ready *cluster*? Every node's contrail-status is all active/backup
(exactly as an operator would judge it) and every vRouter agent has an XMPP session up.

The host layer's readiness (sshd answering, supervisord started) comes seconds before the
Contrail daemons have found each other; `issu-lab up` and the runbook's lab autostart wait
for this too, so the first thing run on a fresh lab sees a healthy cluster.
"""
from __future__ import annotations

import time
from pathlib import Path

from checks import contrail_status, introspect
from issu.inventory import Inventory
from lab.node_exec import NodeNotRunning, run_in_node

HEALTHY = {"active", "backup"}


def unsettled(lab_dir: Path, inventory: Inventory) -> list[str]:
    """What is not settled yet, one line per node; empty when the cluster is ready."""
    problems = []
    for node in inventory.old.nodes + inventory.new.nodes + inventory.computes:
        try:
            res = run_in_node(lab_dir, node.name, ["contrail-status"], timeout=30)
        except NodeNotRunning as exc:
            problems.append(str(exc))
            continue
        try:
            report = contrail_status.parse(res.stdout)
        except ValueError as exc:
            problems.append(f"{node.name}: contrail-status unreadable: {exc}")
            continue
        bad = [s.render() for s in report.unhealthy(HEALTHY)]
        if bad or not report.services:
            problems.append(f"{node.name}: {'; '.join(bad) or 'no services yet'}")
    for compute in inventory.computes:
        res = run_in_node(lab_dir, compute.name,
                          ["curl", "-s", "--max-time", "5", f"http://{compute.ip}:8085/Snh_AgentXmppConnectionStatusReq"])
        try:
            sessions = introspect.parse_agent_xmpp(res.stdout)
        except ValueError:
            sessions = []
        if not any(s.state == "Established" for s in sessions):
            problems.append(f"{compute.name}: no XMPP session Established yet")
    return problems


def wait_settled(lab_dir: Path, inventory: Inventory, timeout: float) -> list[str]:
    """Wait until settled; return what is still unsettled when `timeout` runs out (empty: ready)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = unsettled(lab_dir, inventory)
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(1)
