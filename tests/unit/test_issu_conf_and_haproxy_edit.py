"""Generated contrail-issu.conf and the HAProxy backend switch, on lab-shaped files."""
from checks import haproxy, ini
from issu import haproxy_edit, issu_conf

OLD_API = """[DEFAULTS]
cassandra_server_list = 127.18.0.21:9160 127.18.0.22:9160 127.18.0.23:9160
zk_server_ip = 127.18.0.21:2181,127.18.0.22:2181,127.18.0.23:2181
rabbit_server = 127.18.0.11:5672,127.18.0.12:5672
rabbit_port = 5672
rabbit_user = guest
rabbit_password = r4bbit-pw
rabbit_vhost = contrail
"""  # the syntax contrail-provisioning R3.2 config/common.py writes
NEW_API = OLD_API.replace("127.18.0.2", "127.18.1.2").replace("vhost = contrail", "vhost = contrail_new") \
    + "cluster_id = issu_new\nrabbit_ha_mode = True\n"
NEW_NODES = {"127.18.1.21": "ctl-new-1", "127.18.1.22": "ctl-new-2", "127.18.1.23": "ctl-new-3"}


def render(old=OLD_API, new=NEW_API, root_pw="r00t%pw'x"):
    return issu_conf.render(
        issu_conf.read_api_conf(old), issu_conf.read_api_conf(new),
        new_api_logins={ip: ("root", root_pw) for ip in NEW_NODES}, api_server_ip="127.18.1.21", api_port=8082,
        admin_user="admin", admin_password="adm-pw", admin_tenant="admin", openstack_ip="127.18.0.11",
        db_hosts=NEW_NODES, config_hosts=NEW_NODES, analytics_hosts=NEW_NODES, control_hosts=NEW_NODES)


def test_issu_conf_lists_are_copied_verbatim_from_both_api_confs():
    d = ini.parse_ini(render())["DEFAULTS"]
    assert d["old_cassandra_address_list"] == "127.18.0.21:9160 127.18.0.22:9160 127.18.0.23:9160"
    assert d["new_zookeeper_address_list"] == "127.18.1.21:2181,127.18.1.22:2181,127.18.1.23:2181"
    assert d["old_rabbit_address_list"] == "127.18.0.11:5672,127.18.0.12:5672"
    assert d["old_rabbit_vhost"] == "contrail" and d["new_rabbit_vhost"] == "contrail_new"
    assert d["old_rabbit_port"] == "5672" and d["new_rabbit_user"] == "guest"
    assert "odb_prefix" not in d and d["ndb_prefix"] == "issu_new"          # only when cluster_id is there
    assert "old_rabbit_ha_mode" not in d and d["new_rabbit_ha_mode"] == "True"  # from the conf, never a constant
    assert d["control_host_info"] == "{'127.18.1.21': 'ctl-new-1', '127.18.1.22': 'ctl-new-2', " \
                                     "'127.18.1.23': 'ctl-new-3'}"
    assert d["api_server_ip"] == "127.18.1.21" and d["openstack_ip"] == "127.18.0.11"


def test_issu_conf_reads_back_with_the_real_parse_args(tmp_path):
    """What the lab's contrail-issu-* (SafeConfigParser + ast.literal_eval, as the real ones) get back."""
    from lab.contrail.sim.config import issu
    path = tmp_path / "contrail-issu.conf"
    path.write_text(render())
    args = issu.parse_args(["--conf_file", str(path)])
    assert issu.new_api_info(args) == {ip: ["root", "r00t%pw'x"] for ip in NEW_NODES}
    assert args.new_cassandra_address_list == ["127.18.1.21:9160", "127.18.1.22:9160", "127.18.1.23:9160"]
    assert args.odb_prefix == "" and args.ndb_prefix == "issu_new"
    assert issu.rabbit_urls(args.old_rabbit_address_list, args.old_rabbit_port, args.old_rabbit_user,
                            args.old_rabbit_password, args.old_rabbit_vhost, )[1].url() == \
        "pyamqp://guest:r4bbit-pw@127.18.0.12:5672/contrail"
    from lab.contrail.sim.common.db import kazoo_hosts
    assert len(kazoo_hosts(args.new_zookeeper_address_list)[0]) == 3


def test_issu_conf_without_rabbit_keys_leaves_the_real_defaults():
    d = ini.parse_ini(render(old="[DEFAULTS]\ncassandra_server_list = 127.0.0.1:9160\nzk_server_ip = 127.0.0.1:2181\n"))
    assert not any(k.startswith("old_rabbit") for k in d["DEFAULTS"])


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
