"""The openstack node: real HAProxy in front of the config API (the northbound VIP) and a client.

HAProxy runs under the node's system supervisord (`service haproxy stop|start` or
`supervisorctl stop|start haproxy` freezes/unfreezes the northbound side) in master-worker
mode, so an edited haproxy.cfg (backend switched to the new API servers) is applied with
`service haproxy reload` (checks the file, then `supervisorctl signal USR2 haproxy`); the runtime socket /run/haproxy/admin.sock (level admin) allows
`echo 'disable server contrail-api-backend/ctl-old-1' | socat stdio /run/haproxy/admin.sock`
or the same with `nc -U`. The backend server lines are named after the API hosts.
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


def haproxy_cfg(inv: Inventory) -> str:
    servers = "".join(f"    server {n.name} {n.ip}:8082 check inter 2000 rise 2 fall 3\n"
                      for n in inv.old.with_role(Role.config))
    vip = inv.openstack.ip
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

frontend contrail-api
    bind {vip}:{inv.openstack.api_frontend_port}
    default_backend {BACKEND}

backend {BACKEND}
    option nolinger
    balance roundrobin
{servers}"""


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
    return ("service rabbitmq-server start",) if runs_rabbitmq(inv) else ()


def files(inv: Inventory, admin_password: str, rabbit_password: str = "") -> list[NodeFile]:
    return (rabbitmq_files(inv, rabbit_password) if runs_rabbitmq(inv) else []) + [
        NodeFile(inv.openstack.haproxy_cfg, haproxy_cfg(inv)),
        system_program(haproxy_program()),
        NodeFile("/etc/init.d/haproxy", haproxy_init_script(), 0o755),
        NodeFile("/etc/contrail/contrail-nb-client.conf", nb_client_conf(inv, admin_password), 0o600),
        wrapper("/usr/bin/contrail-nb-client", "config.nb_client"),
    ]


def ports(inv: Inventory) -> list[int]:
    return [inv.openstack.api_frontend_port] + ([inv.rabbitmq.port] if runs_rabbitmq(inv) else [])
