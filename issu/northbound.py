"""Freezing and opening the Contrail northbound on the OpenStack node's HAProxy.

Only the Contrail front-ends are frozen: config API (api_frontend_port, 8082), discovery
(5998) and analytics API (8081), those present in haproxy.cfg. Stopping the whole HAProxy
would also stop every OpenStack API sharing it (keystone 5000/35357, glance, nova, ... as
contrail-fabric-utils R3.2 fabfile/templates/openstack_haproxy.py puts them in one HAProxy).

How: the `disabled` keyword in each Contrail frontend section, `haproxy -c -f`, then
`service haproxy reload`. HAProxy creates a disabled frontend stopped and releases its port
(configuration.txt "disabled"), so clients of the Contrail VIP ports get "connection
refused" while keystone's front-ends keep answering. Chosen over the runtime API
(`disable frontend <name>` on the admin stats socket, management.txt): a runtime change
lives only in the running process, so any reload or restart of HAProxy during the
hours-long ISSU (OpenStack's own config management does them) would silently re-open the
old cluster's API; it would also need socat on the node. The file edit survives reloads,
is shown as a diff in check-only runs and is journaled.
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from checks import haproxy
from checks.evidence import CheckResult
from issu import facts, haproxy_edit
from issu.inventory import Role
from issu.steps import Step

ANALYTICS_PORT = 8081


def contrail_ports(inventory) -> dict[int, tuple[Role, int]]:
    """frontend port -> (role of the backend nodes, their port)."""
    return {inventory.model.openstack.api_frontend_port: (Role.config, facts.API_PORT),
            facts.DISCOVERY_PORT: (Role.config, facts.DISCOVERY_PORT),
            ANALYTICS_PORT: (Role.analytics, ANALYTICS_PORT)}


def present_ports(cfg: haproxy.HaproxyConfig, inventory) -> list[int]:
    """The Contrail front-ends this HAProxy serves (8082 always; 5998, 8081 when present)."""
    return [p for p in contrail_ports(inventory) if cfg.frontend_on_port(p) is not None]


def _cfg_text(step: Step, inventory) -> str:
    os_node = inventory.model.openstack
    return facts.read_conf(step, os_node, os_node.haproxy_cfg)


def is_frozen(step: Step, inventory) -> bool:
    """Every Contrail front-end of haproxy.cfg says `disabled`."""
    cfg = haproxy.parse(_cfg_text(step, inventory))
    ports = present_ports(cfg, inventory)
    return bool(ports) and all(cfg.frontend_on_port(p).disabled for p in ports)  # type: ignore[union-attr]


def plan_apply(step: Step, inventory, text: str, wanted: str, why: str) -> bool:
    """Write `wanted` over haproxy.cfg, validate it, reload HAProxy (nothing when unchanged)."""
    os_node = inventory.model.openstack
    if not step.plan_file(os_node, os_node.haproxy_cfg, wanted, why):
        return False
    step.plan(os_node, ["haproxy", "-c", "-f", os_node.haproxy_cfg], "validate the configuration")
    step.plan(os_node, "service haproxy reload", "apply it (keystone and the other OpenStack front-ends stay up)")
    return True


def plan_freeze(step: Step, inventory) -> None:
    text = _cfg_text(step, inventory)
    ports = present_ports(haproxy.parse(text), inventory)
    plan_apply(step, inventory, text, haproxy_edit.set_frontends_disabled(text, ports, True),
               f"freeze the Contrail northbound: disable the front-ends on {', '.join(map(str, ports))}")


def plan_unfreeze(step: Step, inventory, why: str = "unfreeze the northbound") -> None:
    text = _cfg_text(step, inventory)
    ports = present_ports(haproxy.parse(text), inventory)
    plan_apply(step, inventory, text, haproxy_edit.set_frontends_disabled(text, ports, False),
               f"{why}: enable the Contrail front-ends on {', '.join(map(str, ports))}")


def keystone_answers(step: Step, inventory) -> CheckResult:
    """Keystone (the inventory's auth_url, through the OpenStack node's HAProxy) still answers."""
    os_node = inventory.model.openstack
    url = inventory.model.keystone_url()
    parts = urlsplit(url)
    code = facts.http_code(step, os_node, f"{parts.scheme}://{parts.netloc}/")
    return CheckResult(ok=code != "000", what=f"keystone front-end {parts.netloc}", expected="answering",
                       found=f"HTTP {code}" if code != "000" else "no answer", host=os_node.name)


def states(step: Step, inventory, want_frozen: bool) -> list[CheckResult]:
    """Each Contrail front-end refuses (frozen) or answers (open); keystone answers either way."""
    os_node = inventory.model.openstack
    cfg = haproxy.parse(_cfg_text(step, inventory))
    out = []
    for port in present_ports(cfg, inventory):
        code = facts.http_code(step, os_node, f"http://{os_node.ip}:{port}/")
        out.append(CheckResult(ok=(code == "000") == want_frozen, what=f"Contrail front-end {os_node.ip}:{port}",
                               expected="frozen (connection refused)" if want_frozen else "open (answering)",
                               found=f"HTTP {code}" if code != "000" else "no answer", host=os_node.name))
    out.append(keystone_answers(step, inventory))
    return out


def state(step: Step, inventory, want_frozen: bool, settle: float = 10.0) -> CheckResult:
    """states() as one verdict (for steps that expect a single CheckResult). A reload takes
    effect a moment after `service haproxy reload` returns: re-read for up to `settle` s; if it
    still does not hold, the verdict is the failing one."""
    deadline = time.monotonic() + settle
    while True:
        results = states(step, inventory, want_frozen)
        bad = [r for r in results if not r.ok]
        if not bad or time.monotonic() >= deadline:
            break
        time.sleep(1)
    return CheckResult(ok=not bad, what="northbound: Contrail front-ends " + ("frozen" if want_frozen else "open")
                       + ", keystone answering",
                       expected="; ".join(f"{r.what}: {r.expected}" for r in results),
                       found="; ".join(f"{r.what}: {r.found}" for r in (bad or results)),
                       host=inventory.model.openstack.name)


def probe_object_lands(step: Step, inventory, api_for_check: str, label: str) -> None:
    """Create a virtual-network through the VIP, expect it in the API at `api_for_check`, delete it."""
    m = inventory.model
    os_node = m.openstack
    name = f"issu-probe-{label}-{step.journal.run_id if step.journal else 'x'}"
    fq = ["default-domain", "default-project", name]
    body = '{"virtual-network": {"fq_name": ["%s", "%s", "%s"], "parent_type": "project"}}' % tuple(fq)
    if not step.act_now(os_node, facts.api_call_command(facts.vip(inventory), "POST", "virtual-networks"),
                        f"create probe virtual-network {name} through the VIP",
                        stdin=facts.api_call_config(step, inventory, os_node, body)):
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
                     f"delete the probe {name}", stdin=facts.api_call_config(step, inventory, os_node))
