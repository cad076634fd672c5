"""Command lines of Contrail's /opt/contrail/utils/provision_*.py tools, with the seed's arguments.

The keystone admin password is an argument of these tools (their real interface); the
remote layer redacts it from every log, attachment and report.
"""
from __future__ import annotations

from issu import facts
from issu.inventory import Node

UTILS = "/opt/contrail/utils"


def admin_args(inventory) -> list[str]:
    ks = inventory.model.keystone
    # --opt=value: a password that starts with '-' would otherwise be read as an option by argparse.
    return [f"--admin_user={ks.admin_user}", f"--admin_password={inventory.secret(ks.admin_password).resolve()}",
            f"--admin_tenant_name={ks.admin_tenant_name}"]


def node_command(inventory, script: str, node: Node, api_ip: str, oper: str) -> list[str]:
    """provision_config_node.py / provision_analytics_node.py / provision_database_node.py."""
    return ["python", f"{UTILS}/{script}", "--api_server_ip", api_ip, "--api_server_port", str(facts.API_PORT),
            "--host_name", node.name, "--host_ip", node.ip, "--oper", oper, *admin_args(inventory)]


def control_command(inventory, node: Node, api_ip: str, oper: str) -> list[str]:
    """provision_control.py: a control node as a bgp-router (iBGP auto-mesh when added)."""
    return [*node_command(inventory, "provision_control.py", node, api_ip, oper),
            "--router_asn", str(inventory.model.asn), *(["--ibgp_auto_mesh"] if oper == "add" else [])]
