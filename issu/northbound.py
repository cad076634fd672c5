"""Freezing and opening the northbound (the config-API VIP on the OpenStack node's HAProxy)."""
from __future__ import annotations

from checks.evidence import CheckResult
from issu import facts
from issu.steps import Step


def is_frozen(step: Step, inventory) -> bool:
    return facts.vip_http_code(step, inventory.model.openstack, facts.vip(inventory)) == "000"


def plan_freeze(step: Step, inventory) -> None:
    if not is_frozen(step, inventory):
        step.plan(inventory.model.openstack, "service haproxy stop",
                  "freeze the northbound: HAProxy stops serving the config API VIP")


def plan_unfreeze(step: Step, inventory, why: str = "unfreeze the northbound") -> None:
    if is_frozen(step, inventory):
        step.plan(inventory.model.openstack, "service haproxy start", why)


def state(step: Step, inventory, want_frozen: bool) -> CheckResult:
    os_node = inventory.model.openstack
    code = facts.vip_http_code(step, os_node, facts.vip(inventory))
    return CheckResult(ok=(code == "000") == want_frozen, what="northbound config API VIP " + facts.vip(inventory),
                       expected="frozen (no answer)" if want_frozen else "open (answering)", found=f"HTTP {code}",
                       host=os_node.name)


def probe_object_lands(step: Step, inventory, api_for_check: str, label: str) -> None:
    """Create a virtual-network through the VIP, expect it in the API at `api_for_check`, delete it."""
    m = inventory.model
    os_node = m.openstack
    name = f"issu-probe-{label}-{step.journal.run_id if step.journal else 'x'}"
    fq = ["default-domain", "default-project", name]
    body = '{"virtual-network": {"fq_name": ["%s", "%s", "%s"], "parent_type": "project"}}' % tuple(fq)
    if not step.act_now(os_node, facts.api_call_command(facts.vip(inventory), "POST", "virtual-networks"),
                        f"create probe virtual-network {name} through the VIP", stdin=facts.api_call_config(inventory, body)):
        return
    runner = facts.first_config(m.new)
    try:
        step.eventually(lambda: [CheckResult(
            ok=name in facts.virtual_networks(step, inventory, runner, api_for_check), what=f"probe {label}",
            expected=f"{name} in the API at {api_for_check}", found="absent", host=runner.name)],
            timeout=30, what=f"probe {label}")
    finally:
        uuid = facts.api_fq_name_to_uuid(step, inventory, os_node, facts.vip(inventory), "virtual-network", fq)
        step.act_now(os_node, facts.api_call_command(facts.vip(inventory), "DELETE", f"virtual-network/{uuid}"),
                     f"delete the probe {name}", stdin=facts.api_call_config(inventory))
