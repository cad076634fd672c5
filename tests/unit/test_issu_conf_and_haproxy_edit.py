"""Generated contrail-issu.conf and the HAProxy backend switch, on lab-shaped files."""
from checks import haproxy, ini
from issu import haproxy_edit, issu_conf

OLD_API = """[DEFAULTS]
cassandra_server_list = 127.18.0.21:9160
zk_server_ip = 127.18.0.21:2181
rabbit_server = 127.18.0.11
rabbit_port = 5672
rabbit_user = guest
rabbit_password = r4bbit-pw
rabbit_vhost = contrail
"""
NEW_API = OLD_API.replace("127.18.0.21", "127.18.1.21").replace("vhost = contrail", "vhost = contrail_new") \
    + "cluster_id = issu_new\n"


def test_issu_conf_keys_come_from_both_api_confs():
    text = issu_conf.render(
        issu_conf.read_api_conf(OLD_API), issu_conf.read_api_conf(NEW_API), new_api_ip="127.18.1.21", api_port=8082,
        admin_user="admin", admin_password="adm-pw", admin_tenant="admin", openstack_ip="127.18.0.11",
        db_hosts={"127.18.1.21": "ctl-new-1"}, config_hosts={"127.18.1.21": "ctl-new-1"},
        analytics_hosts={"127.18.1.21": "ctl-new-1"}, control_hosts={"127.18.1.21": "ctl-new-1"})
    d = ini.parse_ini(text)["DEFAULTS"]
    assert d["odb_prefix"] == "" and d["ndb_prefix"] == "issu_new"
    assert d["old_cassandra_address_list"] == "127.18.0.21:9160"
    assert d["new_zookeeper_address_list"] == "127.18.1.21:2181"
    assert d["old_rabbit_vhost"] == "contrail" and d["new_rabbit_vhost"] == "contrail_new"
    assert d["new_api_info"] == "{'127.18.1.21': ['admin', 'adm-pw']}"
    assert d["control_host_info"] == "{'127.18.1.21': 'ctl-new-1'}"
    assert d["api_server_ip"] == "127.18.1.21" and d["openstack_ip"] == "127.18.0.11"


def test_zookeeper_port_is_added_when_missing():
    conf = issu_conf.read_api_conf("[DEFAULTS]\nzk_server_ip = 192.0.2.1,192.0.2.2\n")
    assert conf.zookeeper_servers == "192.0.2.1:2181 192.0.2.2:2181"


CFG = """global
    maxconn 4096

frontend contrail-api
    bind 127.18.0.11:8082
    default_backend contrail-api-backend

backend contrail-api-backend
    balance roundrobin
    server ctl-old-1 127.18.0.21:8082 check inter 2000 rise 2 fall 3

backend keystone
    server ctl-old-1 127.18.0.21:5000 check
"""


def test_switch_touches_only_the_api_backend():
    out = haproxy_edit.switch_backend(CFG, 8082, [("ctl-new-1", "127.18.1.21", 8082)])
    cfg = haproxy.parse(out)
    assert [(s.name, s.address) for s in cfg.servers_behind(cfg.frontend_on_port(8082))] == [
        ("ctl-new-1", "127.18.1.21")]
    assert [(s.name, s.address, s.port) for s in cfg.backend("keystone").servers] == [("ctl-old-1", "127.18.0.21", 5000)]
    assert out.replace("    server ctl-new-1 127.18.1.21:8082 check inter 2000 rise 2 fall 3\n",
                       "    server ctl-old-1 127.18.0.21:8082 check inter 2000 rise 2 fall 3\n") == CFG


def test_switch_is_idempotent_and_handles_a_last_section_without_newline():
    once = haproxy_edit.switch_backend(CFG, 8082, [("a", "127.0.0.2", 8082), ("b", "127.0.0.3", 8082)])
    assert haproxy_edit.switch_backend(once, 8082, [("a", "127.0.0.2", 8082), ("b", "127.0.0.3", 8082)]) == once
    tail = "frontend f\n    bind :8082\n    default_backend b\nbackend b\n    server x 127.0.0.9:8082"
    out = haproxy_edit.switch_backend(tail, 8082, [("y", "127.0.0.8", 8082)])
    assert out.endswith("backend b\n    server y 127.0.0.8:8082 check inter 2000 rise 2 fall 3\n")
