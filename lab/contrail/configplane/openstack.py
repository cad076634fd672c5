"""The openstack node: real HAProxy in front of keystone and the Contrail APIs (the northbound VIP),
a keystone stand-in and a client.

HAProxy front-ends (names and ports as contrail-fabric-utils R3.2 writes them:
fabfile/tasks/ha.py fixup_restart_haproxy_in_openstack_node, fabfile/tasks/provision.py,
fabfile/templates/openstack_haproxy.py, collector_haproxy.py):
  openstack-keystone *:5000 -> keystone :6000, openstack-keystone-admin *:35357 -> :35358,
  contrail-api *:8082, contrail-discovery *:5998 (old config nodes), contrail-analytics-api
  *:8081 (old analytics nodes). Freezing the Contrail northbound must leave keystone answering.

HAProxy runs under the node's system supervisord in master-worker mode, so an edited
haproxy.cfg (`disabled` in a frontend: the freeze; backends switched to the new nodes) is
applied with `service haproxy reload` (checks the file, then `supervisorctl signal USR2
haproxy`); `service haproxy stop` would also stop keystone's front-ends. The runtime socket
/run/haproxy/admin.sock (level admin) takes `disable frontend|server ...` as well. The
backend server lines are named after the hosts. keystone (contrail_sim.config.keystone) is
the init.d service `keystone`, users from /etc/keystone/keystone-lab.conf (0600).
When the inventory's RabbitMQ is on this node, the lab's rabbitmq-server stand-in runs here
as the init.d service it is on a real node, with the old and new clusters' vhosts.
"""
from __future__ import annotations

import json

from issu.inventory import Inventory, Role
from lab.nodefiles import NodeFile

from .programs import Program, init_script, system_program, wrapper

HAPROXY_SOCKET = "/run/haproxy/admin.sock"
BACKEND = "contrail-api-backend"
KEYSTONE_PUBLIC, KEYSTONE_ADMIN = 6000, 35358  # where keystone listens behind HAProxy's 5000 / 35357
KEYSTONE_CONF = "/etc/keystone/keystone-lab.conf"


def _servers(nodes, port: int, options: str = "check inter 2000 rise 2 fall 3") -> str:
    return "".join(f"    server {n.name} {n.ip}:{port} {options}\n" for n in nodes)


def haproxy_cfg(inv: Inventory) -> str:
    servers = _servers(inv.old.with_role(Role.config), 8082)
    vip = inv.openstack.ip
    keystone = [inv.openstack]
    return f"""global
    maxconn 4096
    stats socket {HAPROXY_SOCKET} mode 660 level admin expose-fd listeners
    stats timeout 30s

defaults
    mode http
    option nolinger
    timeout connect 5s
    timeout client 3m
    timeout server 3m

frontend openstack-keystone
    bind {vip}:5000
    default_backend keystone-backend

backend keystone-backend
    option nolinger
    balance roundrobin
{_servers(keystone, KEYSTONE_PUBLIC, "check inter 2000 rise 2 fall 1")}
frontend openstack-keystone-admin
    bind {vip}:35357
    default_backend keystone-admin-backend

backend keystone-admin-backend
    option nolinger
    balance roundrobin
{_servers(keystone, KEYSTONE_ADMIN, "check inter 2000 rise 2 fall 1")}
frontend contrail-api
    bind {vip}:{inv.openstack.api_frontend_port}
    default_backend {BACKEND}

backend {BACKEND}
    option nolinger
    balance roundrobin
{servers}
frontend contrail-discovery
    bind {vip}:5998
    default_backend contrail-discovery-backend

backend contrail-discovery-backend
    option nolinger
    balance roundrobin
{_servers(inv.old.with_role(Role.config), 5998)}
frontend contrail-analytics-api
    bind {vip}:8081
    default_backend contrail-analytics-api

backend contrail-analytics-api
    option nolinger
    balance roundrobin
{_servers(inv.old.with_role(Role.analytics), 8081)}"""


def keystone_conf(inv: Inventory, admin_password: str) -> str:
    ks = inv.keystone
    return f"""[DEFAULT]
bind_host = {inv.openstack.ip}
public_port = {KEYSTONE_PUBLIC}
admin_port = {KEYSTONE_ADMIN}
token_expiration = 3600

[user:{ks.admin_user}]
password = {admin_password}
project = {ks.admin_tenant_name}
domain = {ks.user_domain_name}
roles = admin
"""


def keystone_files(inv: Inventory, admin_password: str) -> list[NodeFile]:
    return [NodeFile(KEYSTONE_CONF, keystone_conf(inv, admin_password), 0o600),
            wrapper("/usr/bin/keystone-all", "config.keystone"),
            init_script("keystone", f"/usr/bin/keystone-all --conf_file {KEYSTONE_CONF}", "/var/log/keystone/keystone.log")]


def haproxy_program() -> Program:
    return Program("haproxy", "/bin/sh -c 'mkdir -p /run/haproxy && exec /usr/sbin/haproxy -W -db -f /etc/haproxy/haproxy.cfg'",
                   priority=100, killasgroup=False, stopsignal="TERM")


def haproxy_init_script() -> str:
    """/etc/init.d/haproxy for a HAProxy that supervisord runs: `service haproxy stop|start|reload|...`."""
    return """#!/bin/sh
### BEGIN INIT INFO
# Provides:          haproxy
# Short-Description: HAProxy (run by supervisord in the lab: program haproxy)
### END INIT INFO
CTL="supervisorctl -c /etc/supervisor/supervisord.conf"
case "$1" in
    start|stop|restart|status) exec $CTL "$1" haproxy ;;
    reload|force-reload)
        /usr/sbin/haproxy -c -q -f /etc/haproxy/haproxy.cfg || { echo "haproxy: configuration invalid, not reloaded" >&2; exit 1; }
        exec $CTL signal USR2 haproxy ;;
    *) echo "Usage: service haproxy {start|stop|restart|reload|status}" >&2; exit 2 ;;
esac
"""


def nb_client_conf(inv: Inventory, admin_password: str) -> str:
    return f"""[API]
api_server = {inv.openstack.ip}:{inv.openstack.api_frontend_port}

[KEYSTONE]
auth_url = {inv.keystone_url()}
user_domain_name = {inv.keystone.user_domain_name}
admin_user = {inv.keystone.admin_user}
admin_password = {admin_password}
admin_tenant_name = {inv.keystone.admin_tenant_name}
"""


def runs_rabbitmq(inv: Inventory) -> bool:
    """The lab's RabbitMQ runs on the openstack node when the inventory puts it there."""
    return inv.openstack.ip in inv.rabbitmq.hosts


def rabbitmq_files(inv: Inventory, rabbit_password: str) -> list[NodeFile]:
    vhosts = list(dict.fromkeys(["/", inv.old.rabbit_vhost, inv.new.rabbit_vhost]))
    state = json.dumps({"users": {inv.rabbitmq.user: rabbit_password}, "vhosts": vhosts})
    return [
        NodeFile("/etc/rabbitmq/rabbitmq-env.conf",
                 f"NODE_IP_ADDRESS={inv.openstack.ip}\nNODE_PORT={inv.rabbitmq.port}\n"
                 "MNESIA_BASE=/var/lib/rabbitmq/mnesia\n"),
        NodeFile("/var/lib/rabbitmq/mnesia/lab-state.json", state, 0o600),
        wrapper("/usr/sbin/rabbitmq-server", "config.rabbitmq"),
        wrapper("/usr/sbin/rabbitmqctl", "config.rabbitmq", "ctl_main()"),
        init_script("rabbitmq-server", "/usr/sbin/rabbitmq-server", "/var/log/rabbitmq/rabbit.log"),
    ]


def boot_commands(inv: Inventory) -> tuple[str, ...]:
    return ("mkdir -p /var/log/keystone", "service keystone start") + (
        ("service rabbitmq-server start",) if runs_rabbitmq(inv) else ())


def files(inv: Inventory, admin_password: str, rabbit_password: str = "") -> list[NodeFile]:
    return (rabbitmq_files(inv, rabbit_password) if runs_rabbitmq(inv) else []) + keystone_files(inv, admin_password) + [
        NodeFile(inv.openstack.haproxy_cfg, haproxy_cfg(inv)),
        system_program(haproxy_program()),
        NodeFile("/etc/init.d/haproxy", haproxy_init_script(), 0o755),
        NodeFile("/etc/contrail/contrail-nb-client.conf", nb_client_conf(inv, admin_password), 0o600),
        wrapper("/usr/bin/contrail-nb-client", "config.nb_client"),
    ]


def ports(inv: Inventory) -> list[int]:
    return [inv.openstack.api_frontend_port, 5998, 8081, 5000, 35357, KEYSTONE_PUBLIC, KEYSTONE_ADMIN] + (
        [inv.rabbitmq.port] if runs_rabbitmq(inv) else [])
