"""Files, ports and boot commands of the config plane on each lab node (see lab/nodefiles.py).

Controllers get, per role: config (contrail-api, discovery, ifmap, schema, svc-monitor,
device-manager, config-nodemgr), analytics (collector, analytics-api, alarm-gen,
query-engine, snmp-collector, topology, analytics-nodemgr), database (contrail-database,
database-nodemgr under supervisor-database; zookeeper as the init.d service it is on 3.2),
webui (webui, webui-middleware); plus /opt/contrail/utils/provision_*.py and the
contrail-issu-* tools. The openstack node gets HAProxy and contrail-nb-client.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from issu.inventory import ControllerNode, Inventory, Role
from lab.nodefiles import NodeContext, NodeFile

from . import confs, openstack
from .confs import ClusterFacts
from .programs import Program, ini_file, init_script, service_wrapper, system_program, wrapper

Renderer = Callable[[ClusterFacts], str]

# role -> [(program, wrapper path, module|None for services.py, conf files)]
CONFIG_FILES: dict[Role, list[tuple[str, Renderer]]] = {
    Role.config: [
        ("/etc/contrail/contrail-api.conf", confs.api_conf),
        ("/etc/contrail/contrail-keystone-auth.conf", confs.keystone_auth_conf),
        ("/etc/contrail/vnc_api_lib.ini", confs.vnc_api_lib_ini),
        ("/etc/contrail/contrail-schema.conf", confs.schema_conf),
        ("/etc/contrail/contrail-svc-monitor.conf", confs.svc_monitor_conf),
        ("/etc/contrail/contrail-device-manager.conf", confs.device_manager_conf),
        ("/etc/contrail/contrail-discovery.conf", confs.discovery_conf),
        ("/etc/contrail/contrail-config-nodemgr.conf", confs.nodemgr_conf),
    ],
    Role.analytics: [
        ("/etc/contrail/contrail-collector.conf", confs.collector_conf),
        ("/etc/contrail/contrail-analytics-api.conf", confs.analytics_api_conf),
        ("/etc/contrail/contrail-alarm-gen.conf", confs.alarm_gen_conf),
        ("/etc/contrail/contrail-query-engine.conf", confs.query_engine_conf),
        ("/etc/contrail/contrail-snmp-collector.conf", confs.snmp_collector_conf),
        ("/etc/contrail/contrail-topology.conf", confs.topology_conf),
        ("/etc/contrail/contrail-analytics-nodemgr.conf", confs.nodemgr_conf),
    ],
    Role.database: [
        ("/etc/cassandra/cassandra.yaml", confs.cassandra_yaml),
        ("/etc/zookeeper/conf/zoo.cfg", confs.zoo_cfg),
        ("/etc/contrail/contrail-database-nodemgr.conf", confs.database_nodemgr_conf),
    ],
    Role.webui: [("/etc/contrail/config.global.js", confs.webui_config_js)],
}

_CONF = "--conf_file /etc/contrail/{}.conf"
# role -> programs of supervisor-<role>; services.py daemons are started by name.
PROGRAMS: dict[Role, list[Program]] = {
    Role.config: [
        Program("contrail-api", "/usr/bin/contrail-api --conf_file /etc/contrail/contrail-api.conf "
                "--conf_file /etc/contrail/contrail-keystone-auth.conf --worker_id %(process_num)s", 440, numbered=True),
        Program("contrail-discovery", "/usr/bin/contrail-discovery " + _CONF.format("contrail-discovery"), 430,
                numbered=True),
        Program("ifmap", "/usr/bin/ifmap-server " + _CONF.format("contrail-api"), 420, log="ifmap-stdout.log"),
        Program("contrail-schema", "/usr/bin/contrail-schema " + _CONF.format("contrail-schema"), 440),
        Program("contrail-svc-monitor", "/usr/bin/contrail-svc-monitor " + _CONF.format("contrail-svc-monitor"), 460),
        Program("contrail-device-manager", "/usr/bin/contrail-device-manager "
                + _CONF.format("contrail-device-manager"), 470),
        Program("contrail-config-nodemgr", "/usr/bin/contrail-nodemgr --nodetype=contrail-config", 450),
    ],
    Role.analytics: [
        Program("contrail-collector", "/usr/bin/contrail-collector", 420),
        Program("contrail-analytics-api", "/usr/bin/contrail-analytics-api", 440),
        Program("contrail-alarm-gen", "/usr/bin/contrail-alarm-gen " + _CONF.format("contrail-alarm-gen"), 440),
        Program("contrail-query-engine", "/usr/bin/contrail-query-engine", 430),
        Program("contrail-snmp-collector", "/usr/bin/contrail-snmp-collector "
                + _CONF.format("contrail-snmp-collector"), 340),
        Program("contrail-topology", "/usr/bin/contrail-topology " + _CONF.format("contrail-topology"), 340),
        Program("contrail-analytics-nodemgr", "/usr/bin/contrail-nodemgr --nodetype=contrail-analytics", 450),
    ],
    Role.database: [
        Program("contrail-database", "/usr/bin/contrail-database --conf_file /etc/cassandra/cassandra.yaml", 400,
                killasgroup=False, stopsignal="TERM"),
        Program("contrail-database-nodemgr", "/usr/bin/contrail-nodemgr --nodetype=contrail-database", 450),
    ],
    Role.webui: [
        Program("contrail-webui", "/usr/bin/contrail-webui", 420),
        Program("contrail-webui-middleware", "/usr/bin/contrail-webui-middleware", 420),
    ],
}

# executable -> services.py daemon name (the rest have their own module)
SERVICE_WRAPPERS = {
    "/usr/bin/contrail-schema": "contrail-schema",
    "/usr/bin/contrail-svc-monitor": "contrail-svc-monitor",
    "/usr/bin/contrail-device-manager": "contrail-device-manager",
    "/usr/bin/ifmap-server": "ifmap",
    "/usr/bin/contrail-collector": "contrail-collector",
    "/usr/bin/contrail-analytics-api": "contrail-analytics-api",
    "/usr/bin/contrail-alarm-gen": "contrail-alarm-gen",
    "/usr/bin/contrail-query-engine": "contrail-query-engine",
    "/usr/bin/contrail-snmp-collector": "contrail-snmp-collector",
    "/usr/bin/contrail-topology": "contrail-topology",
    "/usr/bin/contrail-webui": "contrail-webui",
    "/usr/bin/contrail-webui-middleware": "contrail-webui-middleware",
}
MODULE_WRAPPERS = [
    ("/usr/bin/contrail-api", "config.api", "main()"),
    ("/usr/bin/contrail-discovery", "config.discovery", "main()"),
    ("/usr/bin/contrail-database", "config.database", "main()"),
    ("/usr/bin/contrail-zookeeper", "config.zookeeper", "main()"),
    ("/usr/share/zookeeper/bin/zkCli.sh", "config.zookeeper", "zkcli_main()"),  # Debian/Ubuntu zookeeper package path
    ("/usr/bin/contrail-lab-provision-nodes", "config.provision_nodes", "main()"),
    ("/usr/bin/contrail-issu-pre-sync", "config.issu", "main_pre_sync()"),
    ("/usr/bin/contrail-issu-run-sync", "config.issu", "main_run_sync()"),
    ("/usr/bin/contrail-issu-post-sync", "config.issu", "main_post_sync()"),
    ("/usr/bin/contrail-issu-zk-sync", "config.issu", "main_zk_sync()"),
    ("/opt/contrail/utils/provision_control.py", "config.provision", "main_control()"),
    ("/opt/contrail/utils/provision_config_node.py", "config.provision", "main_config_node()"),
    ("/opt/contrail/utils/provision_analytics_node.py", "config.provision", "main_analytics_node()"),
    ("/opt/contrail/utils/provision_database_node.py", "config.provision", "main_database_node()"),
]
PROVISION_NODES = Program("contrail-lab-provision-nodes", "/usr/bin/contrail-lab-provision-nodes", 900,
                          killasgroup=False, stopsignal="TERM", oneshot=True)
# ZooKeeper is a system service on a 3.2 database node (Debian's zookeeperd), not a supervisord
# program: restarting a supervisord (as the ISSU does) never takes it down.
ZOOKEEPER_INIT = ("zookeeper", "/usr/bin/contrail-zookeeper --conf_file /etc/zookeeper/conf/zoo.cfg",
                  "/var/log/zookeeper/zookeeper.log")

# TCP ports each role listens on at the node's address.
PORTS: dict[Role, tuple[int, ...]] = {
    Role.config: (8082, 8084, 5998, 5997, 8443, 8087, 8088, 8096, 8100),
    Role.analytics: (8086, 8089, 8081, 8090, 5995, 8091, 5920, 5921, 8104),
    Role.database: (9160, 2181, 8103),
    Role.webui: (8080, 8143, 3000),
}


def nodemgr_wrapper() -> NodeFile:
    """contrail-nodemgr --nodetype=contrail-<role> (dispatches every node type, see contrail_sim.common.nodemgr)."""
    return wrapper("/usr/bin/contrail-nodemgr", "common.nodemgr")


def _facts(ctx: NodeContext) -> ClusterFacts:
    assert ctx.cluster is not None and isinstance(ctx.node, ControllerNode)
    return ClusterFacts(ctx.node, ctx.cluster, ctx.inventory, ctx.secrets.get("admin_password", ""),
                        ctx.secrets.get("rabbit_password", ""))


def _roles(ctx: NodeContext) -> list[Role]:
    return list(ctx.node.roles) if isinstance(ctx.node, ControllerNode) else []


def controller_files(ctx: NodeContext) -> list[NodeFile]:
    facts = _facts(ctx)
    files = [wrapper(path, module, call) for path, module, call in MODULE_WRAPPERS]
    files += [service_wrapper(path, name) for path, name in SERVICE_WRAPPERS.items()]
    for role in _roles(ctx):
        files += [NodeFile(path, render(facts), 0o640 if "password" in render(facts) else 0o644)
                  for path, render in CONFIG_FILES.get(role, [])]
        files += [ini_file(role.value, prog) for prog in PROGRAMS.get(role, [])]
    if Role.database in _roles(ctx):
        files.append(init_script(*ZOOKEEPER_INIT))
    files += [NodeFile("/etc/contrail/contrail-lab-provision.conf", confs.lab_provision_conf(facts), 0o600),
              system_program(PROVISION_NODES)]
    if any(r in _roles(ctx) for r in (Role.config, Role.analytics, Role.database)):
        files.append(nodemgr_wrapper())
    return files


def provide(ctx: NodeContext) -> Iterable[NodeFile]:
    if ctx.kind == "openstack":
        return openstack.files(ctx.inventory, ctx.secrets.get("admin_password", ""),
                               ctx.secrets.get("rabbit_password", ""))
    if ctx.kind in ("old", "new"):
        return controller_files(ctx)
    return ()


def ports(ctx: NodeContext) -> Iterable[int]:
    if ctx.kind == "openstack":
        return openstack.ports(ctx.inventory)
    return [p for role in _roles(ctx) for p in PORTS.get(role, ())]


def boot_commands(ctx: NodeContext) -> Iterable[str]:
    if Role.database in _roles(ctx):
        return ("mkdir -p /var/lib/cassandra/data /var/lib/zookeeper /var/log/supervisor",
                "service zookeeper start")
    if ctx.kind == "openstack":
        return ("mkdir -p /var/log/supervisor /etc/haproxy",) + openstack.boot_commands(ctx.inventory)
    return ()


def prepare(lab_dir: Path, inventory: Inventory) -> None:
    return None
