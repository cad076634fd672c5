"""Config files of the config/analytics/database/webui roles, rendered from the inventory (pure).

Decisions (documented for the runbook): `cluster_id` (and `kafka_prefix`) are written only
when the cluster's value is non-empty, as the 3.2 provisioning templates do; an absent
key means "no prefix". Each cluster uses its own database nodes (old controllers point
at the old DB nodes, new at the new ones), its own `rabbit_vhost` on the shared RabbitMQ.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from dataclasses import dataclass

from issu.inventory import ControllerCluster, ControllerNode, Inventory, Role


@dataclass(frozen=True)
class ClusterFacts:
    """What every config file of one controller needs to know about its cluster."""

    me: ControllerNode
    cluster: ControllerCluster
    inventory: Inventory
    admin_password: str
    rabbit_password: str

    def ips(self, role: Role) -> list[str]:
        return [n.ip for n in self.cluster.with_role(role)]

    @property
    def cassandra(self) -> str:
        return " ".join(f"{ip}:9160" for ip in self.ips(Role.database))

    @property
    def zookeeper(self) -> str:
        return ",".join(f"{ip}:2181" for ip in self.ips(Role.database))

    @property
    def config_ip(self) -> str:
        """This node when it is a config node, else the cluster's first config node."""
        return self.me.ip if Role.config in self.me.roles else self.ips(Role.config)[0]

    @property
    def collectors(self) -> str:
        return " ".join(f"{ip}:8086" for ip in self.ips(Role.analytics))

    def cluster_id_line(self) -> str:
        return f"cluster_id = {self.cluster.cluster_id}\n" if self.cluster.cluster_id else ""

    def kafka_prefix_line(self) -> str:
        return f"kafka_prefix = {self.cluster.kafka_prefix}\n" if self.cluster.kafka_prefix else ""

    def rabbit(self) -> str:
        """contrail-provisioning R3.2 config/common.py: rabbit_server = 'ip:port,ip:port' (vnc_kombu splits
        it on ','); rabbit_port/user/password/vhost are keys the daemons' parse_args read too."""
        rmq = self.inventory.rabbitmq
        servers = ",".join(f"{h}:{rmq.port}" for h in rmq.hosts)
        return (f"rabbit_server = {servers}\nrabbit_port = {rmq.port}\n"
                f"rabbit_user = {rmq.user}\nrabbit_password = {self.rabbit_password}\n"
                f"rabbit_vhost = {self.cluster.rabbit_vhost}\n")


def api_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
ifmap_server_ip = {f.me.ip}
ifmap_server_port = 8443
ifmap_username = api-server
ifmap_password = api-server
cassandra_server_list = {f.cassandra}
listen_ip_addr = {f.me.ip}
listen_port = 8082
http_server_port = 8084
auth = keystone
multi_tenancy = True
log_file = /var/log/contrail/contrail-api.log
log_local = 1
log_level = SYS_NOTICE
disc_server_ip = {f.config_ip}
disc_server_port = 5998
zk_server_ip = {f.zookeeper}
{f.rabbit()}{f.cluster_id_line()}list_optimization_enabled = True

[SECURITY]
use_certs = False

[IFMAP_SERVER]
ifmap_listen_ip = {f.me.ip}
ifmap_listen_port = 8443
"""


def keystone_auth_conf(f: ClusterFacts) -> str:
    """contrail-provisioning R3.2 common/templates/contrail_keystone_auth_conf.py, filled as
    common/base.py fixup_keystone_auth_config_file does (v3 adds auth_type, user_domain_name, domain_id)."""
    ks = f.inventory.keystone
    url = urlsplit(f.inventory.keystone_url())
    v3 = f.inventory.keystone_version() == "v3"
    extra = "auth_type = password\nuser_domain_name = Default\ndomain_id = default\n" if v3 else ""
    cafile = f"cafile = {ks.ca_file}\n" if ks.ca_file else ""
    return f"""[KEYSTONE]
auth_url = {f.inventory.keystone_url()}
auth_host = {url.hostname}
auth_protocol = {url.scheme}
auth_port = {url.port or (443 if url.scheme == 'https' else 35357)}
admin_user = {ks.admin_user}
admin_password = {f.admin_password}
admin_tenant_name = {ks.admin_tenant_name}
memcache_servers = 127.0.0.1:11211
insecure = {str(ks.insecure)}
{cafile}{extra}"""


def vnc_api_lib_ini(f: ClusterFacts) -> str:
    return f"""[global]
;WEB_SERVER = 127.0.0.1
;WEB_PORT = 9696  ; connection through quantum plugin
WEB_SERVER = {f.config_ip}
WEB_PORT = 8082 ; connection to api-server directly
BASE_URL = /

[auth]
AUTHN_TYPE = keystone
AUTHN_PROTOCOL = http
AUTHN_SERVER = {urlsplit(f.inventory.keystone_url()).hostname}
AUTHN_PORT = 35357
AUTHN_URL = {"/v3/auth/tokens" if f.inventory.keystone_version() == "v3" else "/v2.0/tokens"}
"""


def _worker_conf(f: ClusterFacts, log: str, extra: str = "") -> str:
    """schema / svc-monitor / device-manager share this [DEFAULTS] shape."""
    return f"""[DEFAULTS]
ifmap_server_ip = {f.me.ip}
ifmap_server_port = 8443
ifmap_username = {log}
ifmap_password = {log}
api_server_ip = {f.config_ip}
api_server_port = 8082
http_server_ip = {f.me.ip}
zk_server_ip = {f.zookeeper}
log_file = /var/log/contrail/{log}.log
cassandra_server_list = {f.cassandra}
disc_server_ip = {f.config_ip}
disc_server_port = 5998
{f.rabbit()}{f.cluster_id_line()}log_local = 1
log_level = SYS_NOTICE
{extra}
[SECURITY]
use_certs = False

[KEYSTONE]
admin_user = {f.inventory.keystone.admin_user}
admin_password = {f.admin_password}
admin_tenant_name = {f.inventory.keystone.admin_tenant_name}
"""


def schema_conf(f: ClusterFacts) -> str:
    return _worker_conf(f, "contrail-schema")


def svc_monitor_conf(f: ClusterFacts) -> str:
    return _worker_conf(f, "contrail-svc-monitor", "region_name = RegionOne\n")


def device_manager_conf(f: ClusterFacts) -> str:
    return _worker_conf(f, "contrail-device-manager")


def discovery_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
listen_ip_addr = {f.me.ip}
listen_port = 5998
http_server_port = 5997
zk_server_ip = {",".join(f.ips(Role.database))}
zk_server_port = 2181
cassandra_server_list = {f.cassandra}
log_file = /var/log/contrail/contrail-discovery.log
log_local = True
log_level = SYS_NOTICE
{f.cluster_id_line()}# health check ping interval (seconds) and misses before a publisher is down
hc_interval = 5
hc_max_miss = 3
# subscription ttl range (seconds); short in the lab so clients follow changes quickly
ttl_min = 5
ttl_max = 10

[DNS-SERVER]
policy = fixed

[IfmapServer]
policy = fixed
"""


def nodemgr_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
hostip = {f.me.ip}
http_server_ip = {f.me.ip}

[DISCOVERY]
server = {f.config_ip}
port = 5998
"""


def database_nodemgr_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
hostip = {f.me.ip}
http_server_ip = {f.me.ip}
minimum_diskGB = 1
cassandra_server_list = {f.me.ip}:9160

[DISCOVERY]
server = {f.config_ip}
port = 5998
"""


def collector_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
analytics_data_ttl = 48
hostip = {f.me.ip}
http_server_ip = {f.me.ip}
hostname = {f.me.name}
http_server_port = 8089
log_file = /var/log/contrail/contrail-collector.log
log_level = SYS_NOTICE
log_local = 1
cassandra_server_list = {" ".join(f"{ip}:9042" for ip in f.ips(Role.database))}
{f.kafka_prefix_line()}zookeeper_server_list = {f.zookeeper}

[COLLECTOR]
port = 8086
server = {f.me.ip}

[DISCOVERY]
server = {f.config_ip}
port = 5998

[REDIS]
server = 127.0.0.1
port = 6379
"""


def analytics_api_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
host_ip = {f.me.ip}
http_server_ip = {f.me.ip}
cassandra_server_list = {" ".join(f"{ip}:9042" for ip in f.ips(Role.database))}
collectors = {f.collectors}
http_server_port = 8090
rest_api_port = 8081
rest_api_ip = {f.me.ip}
log_local = 1
log_level = SYS_NOTICE
log_file = /var/log/contrail/contrail-analytics-api.log
{f.cluster_id_line()}
[DISCOVERY]
disc_server_ip = {f.config_ip}
disc_server_port = 5998

[REDIS]
server = 127.0.0.1
redis_server_port = 6379
redis_query_port = 6379
"""


def alarm_gen_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
host_ip = {f.me.ip}
http_server_ip = {f.me.ip}
collectors = {f.collectors}
http_server_port = 5995
log_local = 1
log_level = SYS_NOTICE
log_file = /var/log/contrail/contrail-alarm-gen.log
kafka_broker_list = {" ".join(f"{ip}:9092" for ip in f.ips(Role.database))}
{f.kafka_prefix_line()}zk_list = {f.zookeeper}

[DISCOVERY]
disc_server_ip = {f.config_ip}
disc_server_port = 5998
"""


def query_engine_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
analytics_data_ttl = 48
hostip = {f.me.ip}
http_server_ip = {f.me.ip}
hostname = {f.me.name}
http_server_port = 8091
log_local = 1
log_level = SYS_NOTICE
log_file = /var/log/contrail/contrail-query-engine.log
cassandra_server_list = {" ".join(f"{ip}:9042" for ip in f.ips(Role.database))}

[DISCOVERY]
server = {f.config_ip}
port = 5998
"""


def snmp_collector_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
host_ip = {f.me.ip}
http_server_ip = {f.me.ip}
log_local = 1
log_level = SYS_NOTICE
log_file = /var/log/contrail/contrail-snmp-collector.log
scan_frequency = 600
fast_scan_frequency = 60
http_server_port = 5920
zookeeper = {f.zookeeper}
{f.cluster_id_line()}
[DISCOVERY]
disc_server_ip = {f.config_ip}
disc_server_port = 5998
"""


def topology_conf(f: ClusterFacts) -> str:
    return f"""[DEFAULTS]
host_ip = {f.me.ip}
http_server_ip = {f.me.ip}
log_local = 1
log_level = SYS_NOTICE
log_file = /var/log/contrail/contrail-topology.log
zookeeper = {f.zookeeper}
http_server_port = 5921

[DISCOVERY]
disc_server_ip = {f.config_ip}
disc_server_port = 5998
"""


def cassandra_yaml(f: ClusterFacts) -> str:
    seeds = ",".join(f.ips(Role.database))
    name = "Contrail" if not f.cluster.cluster_id else f"Contrail-{f.cluster.cluster_id}"
    return f"""# cassandra.yaml (the keys the lab's contrail-database reads; rest as a real node)
cluster_name: '{name}'
num_tokens: 256
data_file_directories:
    - /var/lib/cassandra/data
commitlog_directory: /var/lib/cassandra/commitlog
saved_caches_directory: /var/lib/cassandra/saved_caches
seed_provider:
    - class_name: org.apache.cassandra.locator.SimpleSeedProvider
      parameters:
          - seeds: "{seeds}"
listen_address: {f.me.ip}
start_rpc: true
rpc_address: {f.me.ip}
rpc_port: 9160
native_transport_port: 9042
storage_port: 7000
"""


def zoo_cfg(f: ClusterFacts) -> str:
    servers = "".join(f"server.{i}={ip}:2888:3888\n" for i, ip in enumerate(f.ips(Role.database), 1))
    return f"""tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
clientPortAddress={f.me.ip}
maxClientCnxns=0
autopurge.purgeInterval=3
{servers}"""


def webui_config_js(f: ClusterFacts) -> str:
    return f"""/* config.global.js (the lab's webui reads config.webui_addresses) */
var config = {{}};
config.orchestration = {{}};
config.orchestration.Manager = 'openstack';
config.webui_addresses = '{f.me.ip}';
config.discoveryService = {{}};
config.discoveryService.server_ip = '{f.config_ip}';
config.discoveryService.server_port = '5998';
config.discoveryService.enable = true;
config.cnfg = {{}};
config.cnfg.server_ip = '{f.config_ip}';
config.cnfg.server_port = '8082';
config.analytics = {{}};
config.analytics.server_ip = '{f.ips(Role.analytics)[0] if f.ips(Role.analytics) else f.me.ip}';
config.analytics.server_port = '8081';
config.http_port = '8080';
config.https_port = '8143';
config.jobServer = {{}};
config.jobServer.server_port = '3000';
module.exports = config;
"""


def lab_provision_conf(f: ClusterFacts) -> str:
    """What contrail-lab-provision-nodes needs: this node, its roles, the cluster's API."""
    roles = " ".join(r.value for r in f.me.roles if r in (Role.config, Role.analytics, Role.database))
    ks = f.inventory.keystone
    return f"""[DEFAULTS]
api_server_ip = {f.config_ip}
api_server_port = 8082
host_name = {f.me.name}
host_ip = {f.me.ip}
roles = {roles}
openstack_ip = {urlsplit(f.inventory.keystone_url()).hostname}
admin_user = {ks.admin_user}
admin_password = {f.admin_password}
admin_tenant_name = {ks.admin_tenant_name}
"""
