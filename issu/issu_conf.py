"""/etc/contrail/contrail-issu.conf, generated from the old and new contrail-api.conf. Pure.

What the real flow writes ([DEFAULTS]), and where it comes from:
- contrail-controller R3.2 src/config/utils/issu_process.sh, issu_contrail_get_and_set_{old,new}_conf
  (`openstack-config --get contrail-api.conf DEFAULTS <key>` -> `--set contrail-issu.conf DEFAULTS ...`):
  <side>_cassandra_address_list <- cassandra_server_list and <side>_zookeeper_address_list <- zk_server_ip,
  always and verbatim (space-separated 'ip:9160', comma-separated 'ip:2181' as contrail-provisioning R3.2
  config/common.py writes them); only when the api conf has the key: <side>_rabbit_user, _password,
  _vhost, _ha_mode, _port <- rabbit_user/_password/_vhost/_ha_mode/_port, <side>_rabbit_address_list
  <- rabbit_server (verbatim 'ip:5672,ip:5672'), odb_prefix/ndb_prefix <- cluster_id.
  (contrail-fabric-utils R3.2 fabfile/tasks/issu_process.sh writes `rabbbit_port`, `old_rabbit_server`,
  `new_rabbit_server` and sets *_rabbit_ha_mode from reset_config: keys parse_args never reads or
  wrong values. We write what contrail_issu/issu_contrail_config.py parse_args reads, as the
  controller's own script does.)
- contrail-fabric-utils R3.2 fabfile/tasks/issu_process.py issu_contrail_generate_moreconf:
  new_api_info = {'<ip>': ['<user>', '<password>'], ...} for EVERY new config node (run-sync logs in to
  each over SSH; read with ast.literal_eval), db/config/analytics/control_host_info = {'<ip>': '<hostname>'}
  (provision_issu.py reads them with json.loads after ' -> "), admin_user/_password/_tenant_name,
  openstack_ip, api_server_ip; api_server_port is provision_issu.py's key (default 8082).
Values are read back by ConfigParser.SafeConfigParser: '%' is written '%%' so that a password holding
one reads back unchanged (the fab flow would crash the tools with InterpolationSyntaxError).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from checks import ini

PATH = "/etc/contrail/contrail-issu.conf"
# (contrail-api.conf key, contrail-issu.conf key without the side prefix), in issu_process.sh's order;
# the first two are copied even when absent (as `openstack-config --get` failing gives an empty value).
ALWAYS = (("cassandra_server_list", "cassandra_address_list"), ("zk_server_ip", "zookeeper_address_list"))
WHEN_PRESENT = (("rabbit_user", "rabbit_user"), ("rabbit_password", "rabbit_password"),
                ("rabbit_vhost", "rabbit_vhost"), ("rabbit_ha_mode", "rabbit_ha_mode"),
                ("rabbit_port", "rabbit_port"), ("rabbit_server", "rabbit_address_list"))
PREFIX = {"old": "odb_prefix", "new": "ndb_prefix"}


class IssuConfError(ValueError):
    pass


@dataclass(frozen=True)
class ApiConf:
    """[DEFAULTS] of one side's contrail-api.conf, values as written."""

    defaults: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.defaults.get(key)


def read_api_conf(text: str) -> ApiConf:
    return ApiConf(dict(ini.parse_ini(text).get("DEFAULTS", {})))


def side_values(side: str, conf: ApiConf) -> list[tuple[str, str]]:
    """The keys issu_process.sh copies from one side's contrail-api.conf."""
    out = [(f"{side}_{dst}", conf.get(src) or "") for src, dst in ALWAYS]
    out += [(f"{side}_{dst}", conf.get(src) or "") for src, dst in WHEN_PRESENT if conf.get(src) is not None]
    if conf.get("cluster_id") is not None:
        out.append((PREFIX[side], conf.get("cluster_id") or ""))
    return out


def new_api_info(logins: dict[str, tuple[str, str]]) -> str:
    """{'ip': ['user', 'password'], ...}: a Python literal (repr quotes any ' or \\ safely)."""
    return repr({ip: [user, password] for ip, (user, password) in logins.items()})


def host_info(hosts: dict[str, str]) -> str:
    """{'ip': 'hostname', ...} as issu_contrail_generate_moreconf writes it (json after ' -> ")."""
    return "{" + ", ".join(f"'{ip}': '{name}'" for ip, name in hosts.items()) + "}"


def _escape(key: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise IssuConfError(f"{key}: a value cannot hold a line break")
    return value.strip().replace("%", "%%")


def render(old: ApiConf, new: ApiConf, *, new_api_logins: dict[str, tuple[str, str]], api_server_ip: str,
           api_port: int, admin_user: str, admin_password: str, admin_tenant: str, openstack_ip: str,
           db_hosts: dict[str, str], config_hosts: dict[str, str], analytics_hosts: dict[str, str],
           control_hosts: dict[str, str]) -> str:
    if not new_api_logins:
        raise IssuConfError("new_api_info needs at least one new config node")
    pairs = side_values("old", old) + side_values("new", new) + [
        ("new_api_info", new_api_info(new_api_logins)),
        ("db_host_info", host_info(db_hosts)),
        ("config_host_info", host_info(config_hosts)),
        ("analytics_host_info", host_info(analytics_hosts)),
        ("control_host_info", host_info(control_hosts)),
        ("admin_password", admin_password),
        ("admin_user", admin_user),
        ("admin_tenant_name", admin_tenant),
        ("openstack_ip", openstack_ip),
        ("api_server_ip", api_server_ip),
        ("api_server_port", str(api_port)),
    ]
    return "[DEFAULTS]\n" + "".join(f"{k} = {_escape(k, v)}\n" for k, v in pairs)
