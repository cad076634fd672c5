"""Capture real-format outputs of a booted lab into tests/data/lab/ (root; no bench needed).

    sudo .venv/bin/python tests/data/lab/capture.py

Boots a copy of clusters/lab.yaml on 127.52.0.0/16, peers the old and new control nodes
(provision_control.py into both APIs, as the ISSU's first step does), adds an external
bgp-router (an MX), waits until the agents and the BGP session are Established, then writes
what the runbook parses, each fetched on its node (curl on the node, like issu/facts.py):

  contrail-status-controller.txt   contrail-status on ctl-old-1
  contrail-status-compute.txt      contrail-status on compute1
  control-bgp-neighbors.xml        ctl-old-1 :8083/Snh_BgpNeighborReq?search_string=
  agent-xmpp.xml                   compute1 :8085/Snh_AgentXmppConnectionStatusReq
  node-status-control.xml          ctl-old-1 :8083/Snh_SandeshUVECacheReq?x=NodeStatus
  node-status-agent.xml            compute1 :8085/Snh_SandeshUVECacheReq?x=NodeStatus
  discovery-services.json          ctl-old-1 :5998/services.json
  discovery-clients.json           ctl-old-1 :5998/clients.json
  bgp-routers.json                 old API /bgp-routers?detail=True
  dpkg-query-compute.txt           dpkg-query -W of the compute packages on compute1
  lab-addresses.json               the node addresses of this capture (for the parser tests)

and `down`s the lab, whatever happened.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from lab import boot  # noqa: E402
from lab.contrail.packages import compute_packages  # noqa: E402
from lab.node_exec import run_in_node  # noqa: E402
from tests.lab.conftest import lab_inventory  # noqa: E402

PREFIX = "127.52"
EXTERNAL = ("mx-gw-1", f"{PREFIX}.9.1")


def sh(inv, node: str, cmd: str, timeout: float = 60) -> str:
    res = run_in_node(inv.lab_state_dir, node, ["sh", "-c", cmd], timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"{node}: {cmd}: rc={res.returncode}\n{res.stdout}{res.stderr}")
    return res.stdout


def wait_for(check, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except RuntimeError:
            value = None
        if value:
            return value
        time.sleep(1.0)
    raise RuntimeError(f"timed out waiting for {what}")


def capture(inv, out: Path) -> None:
    old, new = inv.model.old.nodes[0], inv.model.new.nodes[0]
    c1 = inv.model.computes[0]
    pw = (inv.lab_state_dir / "secrets" / "admin_password").read_text().strip()
    auth = f"--admin_user admin --admin_password '{pw}' --admin_tenant_name admin"
    for api, host in ((old, new), (new, old)):
        sh(inv, new.name, f"python /opt/contrail/utils/provision_control.py --host_name {host.name} "
           f"--host_ip {host.ip} --api_server_ip {api.ip} --api_server_port 8082 --oper add {auth} "
           f"--router_asn {inv.model.asn} --ibgp_auto_mesh")
    body = json.dumps({"bgp-router": {
        "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", EXTERNAL[0]],
        "parent_type": "routing-instance",
        "bgp_router_parameters": {"vendor": "mx", "router_type": "router", "address": EXTERNAL[1],
                                  "identifier": EXTERNAL[1], "autonomous_system": inv.model.asn,
                                  "port": 179, "hold_time": 90}}})
    sh(inv, old.name, f"curl -sf -u 'admin:{pw}' -H 'Content-Type: application/json' "
       f"-X POST -d '{body}' http://{old.ip}:8082/bgp-routers")

    curl = "curl -sf --max-time 10"
    bgp_url = f"http://{old.ip}:8083/Snh_BgpNeighborReq?search_string="
    def peering_up() -> bool:
        page = sh(inv, old.name, f"{curl} '{bgp_url}'")
        listed = all(f">{n}<" in page for n in [new.name] + [c.name for c in inv.model.computes])
        return listed and "Established" in page.split(f">{new.name}<", 1)[1].split("</BgpNeighborResp>", 1)[0]

    wait_for(peering_up, "old control: new control and every agent listed, BGP Established")
    xmpp_url = f"http://{c1.ip}:8085/Snh_AgentXmppConnectionStatusReq"
    wait_for(lambda: "Established" in sh(inv, c1.name, f"{curl} '{xmpp_url}'"), "compute1 XMPP Established")
    wait_for(lambda: "initializing" not in sh(inv, c1.name, "contrail-status")
             and "initializing" not in sh(inv, old.name, "contrail-status"), "contrail-status settled")

    files = {
        "contrail-status-controller.txt": (old.name, "contrail-status"),
        "contrail-status-compute.txt": (c1.name, "contrail-status"),
        "control-bgp-neighbors.xml": (old.name, f"{curl} '{bgp_url}'"),
        "agent-xmpp.xml": (c1.name, f"{curl} '{xmpp_url}'"),
        "node-status-control.xml": (old.name, f"{curl} 'http://{old.ip}:8083/Snh_SandeshUVECacheReq?x=NodeStatus'"),
        "node-status-agent.xml": (c1.name, f"{curl} 'http://{c1.ip}:8085/Snh_SandeshUVECacheReq?x=NodeStatus'"),
        "discovery-services.json": (old.name, f"{curl} http://{old.ip}:5998/services.json"),
        "discovery-clients.json": (old.name, f"{curl} http://{old.ip}:5998/clients.json"),
        "bgp-routers.json": (old.name, f"{curl} -u 'admin:{pw}' 'http://{old.ip}:8082/bgp-routers?detail=True'"),
        "dpkg-query-compute.txt": (c1.name, "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' "
                                   + " ".join(compute_packages(inv.model.old.version))),
    }
    for name, (node, cmd) in files.items():
        text = sh(inv, node, cmd)
        if name.endswith(".json"):
            text = json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
        (out / name).write_text(text.replace(pw, "ADMIN_PASSWORD"))
        print(f"wrote {out / name} ({len(text)} bytes)")
    addresses = {"old_control": [old.name, old.ip], "new_control": [new.name, new.ip],
                 "computes": {c.name: c.ip for c in inv.model.computes}, "external": list(EXTERNAL),
                 "old_version": inv.model.old.version, "new_version": inv.model.new.version}
    (out / "lab-addresses.json").write_text(json.dumps(addresses, indent=2, sort_keys=True) + "\n")


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        inv = lab_inventory(Path(tmp), "lab.yaml", "capturelab", PREFIX)
        boot.down(inv)  # a previous crashed run
        try:
            boot.up(inv, log=lambda m: None)
            capture(inv, HERE)
        finally:
            boot.down(inv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
