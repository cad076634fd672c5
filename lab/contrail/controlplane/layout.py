"""Files, ports and boot commands of the control plane and computes (contract: lab/nodefiles.py).

Controllers with the control role get contrail-control, contrail-control-nodemgr,
contrail-dns and contrail-named under supervisor-control, configured for their own
cluster. Computes get the vrouter agent and nodemgr under supervisor-vrouter, pointing at
the discovery of the cluster they start on (ctx.cluster: the OLD one). Every node gets
/usr/bin/contrail-status. The /usr/bin/contrail-vrouter-agent command itself comes from
the contrail-vrouter-agent .deb (it runs contrail_sim.vrouter.agent:main).

Computes also get kmod's rmmod/modprobe/lsmod/modinfo for the simulated vrouter module
(contrail_sim.vrouter.kmod; the module file comes from the contrail-vrouter-<uname -r> .deb,
loaded at boot), and the first compute of the inventory one TOR agent
(contrail-tor-agent-1: its conf and its supervisor-vrouter program).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from issu.inventory import ControllerCluster, ControllerNode, Inventory, Role
from lab.nodefiles import NodeContext, NodeFile

# The loaded vrouter module's state (contrail_sim.vrouter.kmod.STATE_FILE; contrail-status
# checks it): made by `modprobe vrouter` at boot, removed by `rmmod vrouter`.
VROUTER_MODULE_MARKER = "/var/lib/contrail-sim/vrouter.ko.loaded"
# kmod's tools, simulated for the vrouter module, on computes only: a node shares the
# host's kernel, and the real tools must never touch it from a lab node.
KMOD_TOOLS = {"rmmod": "rmmod_main", "modprobe": "modprobe_main", "lsmod": "lsmod_main",
              "modinfo": "modinfo_main"}
KMOD_TOOLS_DIR = "/usr/local/sbin"

# One TOR agent on the first compute of each lab (contrail-provisioning R3.2
# compute/toragent: conf contrail-tor-agent-<id>.conf, program contrail-tor-agent-<id>;
# fab add_tor_agent_by_index: agent_name <hostname>-<tor_id>; testbed_c1.py example
# tor_http_server_port 9010, tor_ovs_port 6632).
TOR_ID = 1
TOR_HTTP_PORT = 9010
TOR_OVS_PORT = 6632

CONTROL_PORTS = (179, 5269, 8083, 8101, 8092, 8093, 53)
COMPUTE_PORTS = (8085, 8102)


def _wrapper(module: str, func: str = "main") -> str:
    return f"#!/usr/bin/python3\nfrom {module} import {func}\n{func}()\n"


def _ini(program: str, command: str, priority: int, extra: str = "") -> str:
    return (
        f"[program:{program}]\n"
        f"command={command}\n"
        f"priority={priority}\n"
        "autostart=true\n"
        "killasgroup=true\n"
        "stopsignal=KILL\n"
        "stdout_capture_maxbytes=1MB\n"
        "redirect_stderr=true\n"
        f"stdout_logfile=/var/log/contrail/{program}-stdout.log\n"
        "stderr_logfile=/dev/null\n"
        "startsecs=5\n"
        "exitcodes=0\n"
        f"{extra}"
    )


def first_with(cluster: ControllerCluster, role: Role) -> ControllerNode:
    nodes = cluster.with_role(role)
    return nodes[0] if nodes else cluster.nodes[0]


def discovery_ip(cluster: ControllerCluster) -> str:
    """The discovery server a node of this cluster uses: the first config node."""
    return first_with(cluster, Role.config).ip


def collector_ip(cluster: ControllerCluster) -> str:
    return first_with(cluster, Role.analytics).ip


# -- controllers ---------------------------------------------------------------------

def control_conf(node: ControllerNode, cluster: ControllerCluster) -> str:
    config_ip = node.ip if Role.config in node.roles else discovery_ip(cluster)
    return f"""[DEFAULT]
hostip={node.ip}
hostname={node.name}
http_server_port=8083
bgp_port=179
xmpp_server_port=5269
log_file=/var/log/contrail/contrail-control.log
log_level=SYS_NOTICE
log_local=1

[DISCOVERY]
port=5998
server={discovery_ip(cluster)}

[IFMAP]
certs_store=
password={node.name}
server_url=https://{config_ip}:8443
user={node.name}
"""


def nodemgr_conf(cluster: ControllerCluster) -> str:
    return f"""[DISCOVERY]
server={discovery_ip(cluster)}
port=5998

[COLLECTOR]
server_list={collector_ip(cluster)}:8086
"""


def dns_conf(node: ControllerNode, cluster: ControllerCluster) -> str:
    return f"""[DEFAULT]
hostip={node.ip}
hostname={node.name}
http_server_port=8092
dns_server_port=53
log_file=/var/log/contrail/contrail-dns.log
log_level=SYS_NOTICE
log_local=1
rndc_config_file=contrail-rndc.conf
named_config_file=contrail-named.conf
named_config_directory=/etc/contrail/dns

[DISCOVERY]
port=5998
server={discovery_ip(cluster)}
"""


def named_conf(node: ControllerNode) -> str:
    return f"""options {{
    directory "/etc/contrail/dns";
    managed-keys-directory "/etc/contrail/dns";
    listen-on port 53 {{ {node.ip}; }};
    allow-query {{ any; }};
    recursion no;
}};
"""


def provision_program(asn: int) -> str:
    """First-boot provisioning of this control node as a bgp-router (system supervisord, one shot)."""
    return (
        "[program:contrail-lab-provision-control]\n"
        f"command=/usr/bin/python3 -m contrail_sim.control.provision_self --router_asn {asn}\n"
        "autostart=true\n"
        "autorestart=unexpected\n"
        "exitcodes=0\n"
        "startsecs=0\n"
        "startretries=20\n"
        "redirect_stderr=true\n"
        "stdout_logfile=/var/log/contrail/lab-provision-control.log\n"
    )


def control_files(node: ControllerNode, cluster: ControllerCluster) -> list[NodeFile]:
    d = "/etc/contrail/supervisord_control_files"
    return [
        NodeFile("/etc/contrail/contrail-control.conf", control_conf(node, cluster)),
        NodeFile("/etc/contrail/contrail-control-nodemgr.conf", nodemgr_conf(cluster)),
        NodeFile("/etc/contrail/contrail-dns.conf", dns_conf(node, cluster)),
        NodeFile("/etc/contrail/dns/contrail-named.conf", named_conf(node)),
        NodeFile("/usr/bin/contrail-control", _wrapper("contrail_sim.control.daemon"), 0o755),
        NodeFile("/usr/bin/contrail-dns", _wrapper("contrail_sim.control.dns", "dns_main"), 0o755),
        NodeFile("/usr/bin/contrail-named", _wrapper("contrail_sim.control.dns", "named_main"), 0o755),
        NodeFile(f"{d}/contrail-control.ini",
                 _ini("contrail-control", "/usr/bin/contrail-control --conf_file /etc/contrail/contrail-control.conf", 420)),
        NodeFile(f"{d}/contrail-control-nodemgr.ini",
                 _ini("contrail-control-nodemgr", "/usr/bin/contrail-nodemgr --nodetype=contrail-control", 420)),
        NodeFile(f"{d}/contrail-dns.ini",
                 _ini("contrail-dns", "/usr/bin/contrail-dns --conf_file /etc/contrail/contrail-dns.conf", 430)),
        NodeFile(f"{d}/contrail-named.ini",
                 _ini("contrail-named", "/usr/bin/contrail-named -f -u contrail -c /etc/contrail/dns/contrail-named.conf",
                      440)),
    ]


# -- computes ------------------------------------------------------------------------

def agent_conf(name: str, ip: str, cluster: ControllerCluster) -> str:
    return f"""#
# Vnswad configuration options
#

[CONTROL-NODE]
# IP address to be used to connect to control-node. Maximum of 2 IP addresses
# (separated by a space) can be provided. If no IP is configured then the
# value provided by discovery service will be used.
# server=

[DEFAULT]
hostname={name}
http_server_port=8085
log_file=/var/log/contrail/contrail-vrouter-agent.log
log_level=SYS_NOTICE
log_local=1

[DISCOVERY]
# If COLLECTOR and/or CONTROL-NODE and/or DNS is not specified this section is
# mandatory. IP address of discovery server
server={discovery_ip(cluster)}
port=5998
# Number of control-nodes info to be provided by Discovery service. Possible
# values are 1 and 2
max_control_nodes=2

[DNS]

[HYPERVISOR]
type=kvm

[FLOWS]

[METADATA]
metadata_proxy_secret=contrail

[NETWORKS]
control_network_ip={ip}

[VIRTUAL-HOST-INTERFACE]
name=vhost0
ip={ip}/24
gateway=
physical_interface=eth1
compute_node_address=

[SERVICE-INSTANCE]
netns_command=/usr/bin/opencontrail-vrouter-netns
"""


def tor_agent_conf(name: str, ip: str, tor_id: int, http_port: int, tor_ip: str,
                   cluster: ControllerCluster) -> str:
    """contrail-tor-agent-<id>.conf as contrail-provisioning R3.2 tor_agent_conf.py writes it
    (its comments shortened; the indented `  agent_mode=tor` line is the template's)."""
    return f"""
#
# Vnswad configuration options
#

[CONTROL-NODE]
# server=192.0.2.1 192.0.2.2

[DEFAULT]
agent_name={name}-{tor_id}
# collectors=127.0.0.1:8086

# Local log file name
log_file=/var/log/contrail/contrail-tor-agent-{tor_id}.log

# Define agent mode. Only supported value is "tor"
  agent_mode=tor


# Http server port for inspecting vnswad state (useful for debugging)
# http_server_port=8085
http_server_port={http_port}

[DISCOVERY]
# IP address of discovery server
server={discovery_ip(cluster)}

# max_control_nodes=1

[DNS]

[NETWORKS]
control_network_ip={ip}

[TOR]
tor_ip={tor_ip}
tor_id={tor_id}
tor_type=ovs
tor_ovs_port={TOR_OVS_PORT}
tor_ovs_protocol=tcp
ssl_cert=
ssl_privkey=
ssl_cacert=
tsn_ip={ip}
tor_keepalive_interval=10000
"""


def tor_agent_ini(tor_id: int) -> str:
    """contrail-provisioning R3.2 tor_agent_ini.py."""
    prog = f"contrail-tor-agent-{tor_id}"
    return (f"[program:{prog}]\n"
            f"command=/usr/bin/contrail-tor-agent --config_file /etc/contrail/{prog}.conf\n"
            "priority=420\nautostart=true\nkillasgroup=true\nstopsignal=KILL\n"
            "stdout_capture_maxbytes=1MB\nredirect_stderr=true\n"
            f"stdout_logfile=/var/log/contrail/{prog}-stdout.log\n"
            "stderr_logfile=/dev/null\nstartsecs=5\n"
            "exitcodes=0                   ; 'expected' exit codes for process (default 0,2)\n")


def has_tor_agent(ctx: NodeContext) -> bool:
    computes = ctx.inventory.computes
    return ctx.kind == "compute" and bool(computes) and computes[0].name == ctx.node.name


def tor_switch_ip(ctx: NodeContext) -> str:
    """An address of the lab network that nothing listens on (the lab's TOR agent opens no
    OVSDB session; the address is configuration only)."""
    import ipaddress

    net = ipaddress.ip_network(ctx.inventory.lab.network)
    return str(net.network_address + 250 * 256 + 1)


def compute_files(ctx: NodeContext) -> list[NodeFile]:
    assert ctx.cluster is not None
    d = "/etc/contrail/supervisord_vrouter_files"
    kmod_tools = [NodeFile(f"{KMOD_TOOLS_DIR}/{tool}", _wrapper("contrail_sim.vrouter.kmod", func), 0o755)
                  for tool, func in KMOD_TOOLS.items()]
    tor: list[NodeFile] = []
    if has_tor_agent(ctx):
        tor = [NodeFile(f"/etc/contrail/contrail-tor-agent-{TOR_ID}.conf",
                        tor_agent_conf(ctx.node.name, ctx.node.ip, TOR_ID, TOR_HTTP_PORT, tor_switch_ip(ctx),
                                       ctx.cluster)),
               NodeFile(f"{d}/contrail-tor-agent-{TOR_ID}.ini", tor_agent_ini(TOR_ID))]
    return kmod_tools + tor + [
        NodeFile("/etc/contrail/contrail-vrouter-agent.conf", agent_conf(ctx.node.name, ctx.node.ip, ctx.cluster)),
        NodeFile("/etc/contrail/contrail-vrouter-nodemgr.conf", nodemgr_conf(ctx.cluster)),
        NodeFile(f"{d}/contrail-vrouter-agent.ini", _ini("contrail-vrouter-agent", "/usr/bin/contrail-vrouter-agent", 420)),
        NodeFile(f"{d}/contrail-vrouter-nodemgr.ini",
                 _ini("contrail-vrouter-nodemgr", "/usr/bin/contrail-nodemgr --nodetype=contrail-vrouter", 420)),
    ]


# -- provider contract ---------------------------------------------------------------

def _is_control(ctx: NodeContext) -> bool:
    return ctx.kind in ("old", "new") and "control" in ctx.supervisors


# The same one-line dispatcher the config plane ships on its nodes (contrail_sim.common.nodemgr).
NODEMGR_WRAPPER = NodeFile("/usr/bin/contrail-nodemgr", _wrapper("contrail_sim.common.nodemgr"), 0o755)


def provide(ctx: NodeContext) -> Iterable[NodeFile]:
    files = [NodeFile("/usr/bin/contrail-status", _wrapper("contrail_sim.status"), 0o755)]
    if _is_control(ctx):
        assert ctx.cluster is not None and isinstance(ctx.node, ControllerNode)
        files += control_files(ctx.node, ctx.cluster) + [NODEMGR_WRAPPER]
        files.append(NodeFile("/etc/supervisor/conf.d/contrail-lab-provision-control.conf",
                              provision_program(ctx.inventory.asn)))
    elif ctx.kind == "compute":
        files += compute_files(ctx) + [NODEMGR_WRAPPER]
    return files


def ports(ctx: NodeContext) -> Iterable[int]:
    if _is_control(ctx):
        return CONTROL_PORTS
    if ctx.kind == "compute":
        return COMPUTE_PORTS + ((TOR_HTTP_PORT,) if has_tor_agent(ctx) else ())
    return ()


def boot_commands(ctx: NodeContext) -> Iterable[str]:
    """Enable every supervisor-<role> at boot (rc links), as contrail-status checks them."""
    cmds = []
    for instance in ctx.supervisors:
        svc = f"supervisor-{instance}"
        cmds.append(
            f"[ ! -x /etc/init.d/{svc} ] || for l in 2 3 4 5; do mkdir -p /etc/rc$l.d && "
            f"ln -sf ../init.d/{svc} /etc/rc$l.d/S20{svc}; done"
        )
    if ctx.kind == "compute":
        cmds.append("mkdir -p /var/crashes")
        # The module of the installed package, loaded before supervisor-vrouter starts
        # (what its pre-start, vrouter-pre-start.sh, does on a real compute).
        cmds.append(f"{KMOD_TOOLS_DIR}/modprobe vrouter")
    return cmds


def prepare(lab_dir: Path, inventory: Inventory) -> None:
    return None
