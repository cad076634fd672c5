"""/etc/contrail/contrail-issu.conf, generated from the old and new contrail-api.conf. Pure.

Keys as the real issu_contrail_config.py reads them ([DEFAULTS]): the RabbitMQ, Cassandra
and ZooKeeper address lists of both sides, the DB prefixes (cluster_id), the new API's
credentials and the new cluster's hosts.
"""
from __future__ import annotations

from dataclasses import dataclass

from checks import ini

PATH = "/etc/contrail/contrail-issu.conf"


@dataclass(frozen=True)
class ApiConf:
    """What contrail-issu needs from one side's contrail-api.conf."""

    rabbit_servers: str
    rabbit_port: str
    rabbit_user: str
    rabbit_password: str
    rabbit_vhost: str
    cassandra_servers: str
    zookeeper_servers: str
    cluster_id: str


def read_api_conf(text: str) -> ApiConf:
    d = ini.parse_ini(text).get("DEFAULTS", {})

    def get(key: str, default: str = "") -> str:
        return ini.strip_quotes(d.get(key, default))

    zk = get("zk_server_ip")
    zk_list = " ".join(s if ":" in s else f"{s}:2181" for s in zk.replace(",", " ").split())
    cass = " ".join(get("cassandra_server_list").replace(",", " ").split())
    rabbit = " ".join(s.split(":")[0] for s in get("rabbit_server").replace(",", " ").split())
    return ApiConf(rabbit, get("rabbit_port", "5672"), get("rabbit_user", "guest"), get("rabbit_password", "guest"),
                   get("rabbit_vhost"), cass, zk_list, get("cluster_id"))


def render(old: ApiConf, new: ApiConf, *, new_api_ip: str, api_port: int, admin_user: str, admin_password: str,
           admin_tenant: str, openstack_ip: str, db_hosts: dict[str, str], config_hosts: dict[str, str],
           analytics_hosts: dict[str, str], control_hosts: dict[str, str]) -> str:
    lines = ["[DEFAULTS]"]
    for side, c in (("old", old), ("new", new)):
        lines += [
            f"{side}_rabbit_user = {c.rabbit_user}",
            f"{side}_rabbit_password = {c.rabbit_password}",
            f"{side}_rabbit_vhost = {c.rabbit_vhost}",
            f"{side}_rabbit_port = {c.rabbit_port}",
            f"{side}_rabbit_address_list = {c.rabbit_servers}",
            f"{side}_rabbit_ha_mode = False",
            f"{side}_rabbit_q_name = vnc-config.issu-queue",
            f"{side}_cassandra_address_list = {c.cassandra_servers}",
            f"{side}_zookeeper_address_list = {c.zookeeper_servers}",
        ]
    lines += [
        f"odb_prefix = {old.cluster_id}",
        f"ndb_prefix = {new.cluster_id}",
        f"new_api_info = {{'{new_api_ip}': ['{admin_user}', '{admin_password}']}}",
        f"db_host_info = {_hosts(db_hosts)}",
        f"config_host_info = {_hosts(config_hosts)}",
        f"analytics_host_info = {_hosts(analytics_hosts)}",
        f"control_host_info = {_hosts(control_hosts)}",
        f"admin_user = {admin_user}",
        f"admin_password = {admin_password}",
        f"admin_tenant_name = {admin_tenant}",
        f"openstack_ip = {openstack_ip}",
        f"api_server_ip = {new_api_ip}",
        f"api_server_port = {api_port}",
    ]
    return "\n".join(lines) + "\n"


def _hosts(hosts: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{ip}': '{name}'" for ip, name in hosts.items()) + "}"
