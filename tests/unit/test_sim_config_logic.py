"""Pure logic of the lab's config plane: DB stand-ins, API routing, ISSU copy semantics, discovery."""
from __future__ import annotations

import json
from typing import Any

import pytest

from lab.contrail.sim.common import db
from lab.contrail.sim.common.health import Dependency, describe_down
from lab.contrail.sim.common.nodemgr import split_nodetype
from lab.contrail.sim.common.jsonline import RequestError
from lab.contrail.sim.config.api import WHITE_LIST, Api
from lab.contrail.sim.config.database import CassandraStore, parse_cassandra_yaml, parse_seeds
from lab.contrail.sim.config.discovery import DbState, Registry
from lab.contrail.sim.config.provision import bgp_router_parameters, control_parser
from lab.contrail.sim.config.rabbitmq import Broker
from lab.contrail.sim.config.vnc_store import VncStore
from lab.contrail.sim.config.zookeeper import ZkTree


# -- in-process clients: the real client classes, their transport replaced by the store ----
class LocalCassandra(db.CassandraClient):
    def __init__(self, store: CassandraStore | None = None) -> None:
        super().__init__("local:9160")
        self.store = store or CassandraStore()

    def call(self, op: str, **args: Any) -> Any:
        try:
            return json.loads(json.dumps(self.store.handle(op, json.loads(json.dumps(args)))))
        except RequestError as exc:
            raise db.DbError(str(exc)) from None


class LocalZk(db.ZkClient):
    def __init__(self, tree: ZkTree | None = None, session: int = 1) -> None:
        super().__init__("local:2181")
        self.tree, self.session = tree or ZkTree(), session

    def call(self, op: str, **args: Any) -> Any:
        try:
            return self.tree.handle(op, args, self.session)
        except RequestError as exc:
            raise db.DbError(str(exc)) from None


def make_api(prefix: str = "") -> tuple[Api, LocalCassandra, LocalZk]:
    cass, zk = LocalCassandra(), LocalZk()
    store = VncStore(cass, zk, prefix)
    store.ensure_schema()
    return Api(store, "http://192.0.2.1:8082"), cass, zk


# -- names ---------------------------------------------------------------------------------
def test_keyspace_and_znode_names_follow_the_prefix():
    assert db.keyspace_name("", "config_db_uuid") == "config_db_uuid"
    assert db.keyspace_name("v2", "config_db_uuid") == "v2_config_db_uuid"
    assert db.keyspace_name("v2", "useragent") == "useragent"
    assert db.zk_path("", "fq-name-to-uuid") == "/fq-name-to-uuid"
    assert db.zk_path("v2", "id") == "/v2/id"
    assert db.zk_path("") == "/"


def test_server_lists_accept_spaces_commas_and_default_ports():
    assert db.parse_server_list("a:9160 b:9161", 9160) == [("a", 9160), ("b", 9161)]
    assert db.parse_server_list("a,b", 2181) == [("a", 2181), ("b", 2181)]
    with pytest.raises(ValueError):
        db.parse_server_list("a:x", 1)


# -- contrail-database ---------------------------------------------------------------------
def test_cassandra_batch_is_all_or_nothing_and_bumps_version():
    s = CassandraStore()
    s.handle("create_keyspace", {"ks": "k", "cfs": ["t"]})
    v = s.version
    with pytest.raises(RequestError):
        s.handle("batch", {"mutations": [
            {"op": "insert", "ks": "k", "cf": "t", "key": "r1", "columns": {"a": "1"}},
            {"op": "insert", "ks": "k", "cf": "missing", "key": "r2", "columns": {"a": "1"}}]})
    assert s.handle("get_range", {"ks": "k", "cf": "t"}) == {}
    assert s.version == v
    s.handle("insert", {"ks": "k", "cf": "t", "key": "r1", "columns": {"a": "1", "b": "2"}})
    s.handle("remove", {"ks": "k", "cf": "t", "key": "r1", "columns": ["a"]})
    assert s.handle("get", {"ks": "k", "cf": "t", "key": "r1"}) == {"b": "2"}
    assert s.version > v


def test_cassandra_store_persists_and_rejects_unknown_keyspace(tmp_path):
    path = str(tmp_path / "data.json")
    s = CassandraStore(path)
    s.handle("create_keyspace", {"ks": "k", "cfs": ["t"]})
    s.handle("put_row", {"ks": "k", "cf": "t", "key": "r", "columns": {"c": "v"}})
    again = CassandraStore(path)
    assert again.handle("get", {"ks": "k", "cf": "t", "key": "r"}) == {"c": "v"}
    with pytest.raises(RequestError, match="Keyspace 'nope' does not exist"):
        again.handle("get_range", {"ks": "nope", "cf": "t"})


def test_cassandra_seeds_and_mutations_are_reported_for_replication():
    text = "seed_provider:\n    - class_name: x\n      parameters:\n          - seeds: \"192.0.2.1,192.0.2.2\"\n"
    assert parse_seeds(text) == ["192.0.2.1", "192.0.2.2"]
    seen = []
    s = CassandraStore(on_mutation=lambda op, a: seen.append(op))
    s.handle("create_keyspace", {"ks": "k", "cfs": ["t"]})
    s.handle("get_range", {"ks": "k", "cf": "t"})
    s.handle("insert", {"ks": "k", "cf": "t", "key": "r", "columns": {"c": "v"}, "replica": True})
    assert seen == ["create_keyspace"]


def test_cassandra_yaml_keys():
    text = "cluster_name: 'C'\nrpc_address: 192.0.2.1\nrpc_port: 9160\ndata_file_directories:\n    - /d\n"
    assert parse_cassandra_yaml(text) == {"cluster_name": "C", "rpc_address": "192.0.2.1",
                                          "rpc_port": "9160", "data_file_directories": ["/d"]}


# -- zookeeper -----------------------------------------------------------------------------
def test_zk_ephemerals_die_with_their_session_and_are_not_persisted(tmp_path):
    path = str(tmp_path / "znodes.json")
    t = ZkTree(path)
    t.handle("create", {"path": "/a/b", "value": "x"}, 1)
    first = t.handle("create", {"path": "/e/lock-", "ephemeral": True, "sequence": True}, 7)
    second = t.handle("create", {"path": "/e/lock-", "ephemeral": True, "sequence": True}, 8)
    assert (first, second) == ("/e/lock-0000000000", "/e/lock-0000000001")
    assert "/e/lock-0000000000" not in json.load(open(path))
    t.drop_session(7)
    assert t.handle("children", {"path": "/e"}, 1) == ["lock-0000000001"]
    assert ZkTree(path).handle("get", {"path": "/a/b"}, 1) == "x"


def test_zk_delete_needs_recursive_for_children():
    t = ZkTree()
    t.handle("create", {"path": "/a/b/c", "value": ""}, 1)
    with pytest.raises(RequestError, match="NotEmptyError"):
        t.handle("delete", {"path": "/a"}, 1)
    t.handle("delete", {"path": "/a", "recursive": True}, 1)
    assert t.handle("exists", {"path": "/a/b/c"}, 1) is False


# -- contrail-api --------------------------------------------------------------------------
def test_api_creates_default_objects_and_lists_in_the_real_shape():
    api, _, _ = make_api()
    code, body = api.dispatch("GET", "/routing-instances", {})
    assert code == 200
    fqs = [i["fq_name"] for i in body["routing-instances"]]
    assert ["default-domain", "default-project", "ip-fabric", "__default__"] in fqs
    item = body["routing-instances"][0]
    assert set(item) == {"href", "fq_name", "uuid"}
    assert item["href"] == f"http://192.0.2.1:8082/routing-instance/{item['uuid']}"
    # through HAProxy the client's Host header (the VIP) is what the hrefs carry
    via_vip = api.dispatch("GET", "/routing-instances", {}, host="192.0.2.99:8082")[1]
    assert via_vip["routing-instances"][0]["href"].startswith("http://192.0.2.99:8082/routing-instance/")


def test_api_crud_conflict_and_children():
    api, cass, zk = make_api("v2")
    fq = ["default-domain", "default-project", "vn1"]
    code, body = api.dispatch("POST", "/virtual-networks", {"virtual-network": {"fq_name": fq, "parent_type": "project"}})
    assert code == 200
    uuid = body["virtual-network"]["uuid"]
    assert api.dispatch("POST", "/virtual-networks", {"virtual-network": {"fq_name": fq}})[0] == 409
    code, read = api.dispatch("GET", f"/virtual-network/{uuid}", {})
    assert read["virtual-network"]["fq_name"] == fq and read["virtual-network"]["parent_type"] == "project"
    assert api.dispatch("POST", "/fqname-to-id", {"type": "virtual-network", "fq_name": fq}) == (200, {"uuid": uuid})
    api.dispatch("PUT", f"/virtual-network/{uuid}", {"virtual-network": {"display_name": "blue"}})
    assert api.dispatch("GET", f"/virtual-network/{uuid}", {})[1]["virtual-network"]["display_name"] == "blue"
    # stored where the real api-server stores it, under the cluster_id prefix
    assert cass.get("v2_config_db_uuid", "obj_uuid_table", uuid)["type"] == '"virtual_network"'
    assert zk.get(f"/v2/fq-name-to-uuid/virtual_network:{':'.join(fq)}") == uuid
    project = read["virtual-network"]["parent_uuid"]
    assert api.dispatch("DELETE", f"/project/{project}", {})[0] == 409
    assert api.dispatch("DELETE", f"/virtual-network/{uuid}", {})[0] == 200
    assert api.dispatch("GET", f"/virtual-network/{uuid}", {})[0] == 404
    assert not zk.exists(f"/v2/fq-name-to-uuid/virtual_network:{':'.join(fq)}")


def test_fq_name_znode_is_the_cluster_wide_claim():
    api, _, zk = make_api()
    # another api-server has claimed the name but not written its rows yet
    zk.create("/fq-name-to-uuid/virtual_network:default-domain:default-project:race", "other-uuid")
    code, msg = api.dispatch("POST", "/virtual-networks", {"virtual-network": {
        "fq_name": ["default-domain", "default-project", "race"]}})
    assert code == 409 and "other-uuid" in msg


def test_api_white_list_is_the_3_2_one():
    # vnc_cfg_api_server.py R3.2: '^/documentation', '^/$' need no token; everything else does.
    def white(path):
        return any(p.search(path) for p in WHITE_LIST)
    assert white("/") and white("/documentation/index.html")
    assert not white("/virtual-networks") and not white("/fqname-to-id")


# -- discovery -----------------------------------------------------------------------------
def _publish(reg: Registry, ip: str, now: float) -> str:
    return reg.publish({"xmpp-server": {"ip-address": ip, "port": "5269"}, "service-type": "xmpp-server",
                        "remote-addr": ip}, f"ctl-{ip}", ip, now)


def test_discovery_subscribe_picks_up_services_and_is_sticky():
    reg = Registry(hc_interval=5, hc_max_miss=3, ttl_min=5, ttl_max=5)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        _publish(reg, ip, 100.0)
    sub = {"service": "xmpp-server", "instances": 2, "client-type": "contrail-vrouter-agent",
           "remote-addr": "192.0.2.9", "client": "c1:contrail-vrouter-agent"}
    first = reg.subscribe(sub, "192.0.2.9", 101.0)
    assert first["ttl"] == 5 and len(first["xmpp-server"]) == 2
    assert reg.subscribe(sub, "192.0.2.9", 102.0) == first
    # the first chosen one stops heart-beating: it is down and replaced
    gone = first["xmpp-server"][0]["ip-address"]
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        if ip != gone:
            _publish(reg, ip, 120.0)
    again = reg.subscribe(sub, "192.0.2.9", 121.0)
    assert gone not in [i["ip-address"] for i in again["xmpp-server"]]
    statuses = {s["service_id"]: s["status"] for s in reg.services_json(121.0)["services"]}
    assert statuses[f"ctl-{gone}:xmpp-server"] == "down"
    assert {c["service_type"] for c in reg.clients_json()["services"]} == {"xmpp-server"}


def test_discovery_servers_of_a_cluster_share_state_through_the_database():
    cass = LocalCassandra()
    one = Registry(ttl_min=5, ttl_max=5, state=DbState(cass, "v2"))
    two = Registry(ttl_min=5, ttl_max=5, state=DbState(cass, "v2"))
    _publish(one, "192.0.2.1", 100.0)
    _publish(two, "192.0.2.2", 100.0)
    got = two.subscribe({"service": "xmpp-server", "instances": 2, "client": "c1"}, "192.0.2.9", 101.0)
    assert sorted(i["ip-address"] for i in got["xmpp-server"]) == ["192.0.2.1", "192.0.2.2"]
    assert {s["in_use"] for s in one.services_json(101.0)["services"]} == {1}
    assert "v2_DISCOVERY_SERVER" in cass.list_keyspaces()


# -- rabbitmq ------------------------------------------------------------------------------
def test_rabbit_login_checks_user_password_and_vhost_like_rabbitmq():
    b = Broker(state={"users": {"guest": "pw"}, "vhosts": ["/", "contrail"]})
    assert b.handle("login", {"user": "guest", "password": "pw", "vhost": "contrail"}) == "ok"
    with pytest.raises(RequestError, match="NOT_ALLOWED - vhost contrail-new not found"):
        b.handle("login", {"user": "guest", "password": "pw", "vhost": "contrail-new"})
    with pytest.raises(RequestError, match="ACCESS_REFUSED"):
        b.handle("login", {"user": "guest", "password": "bad", "vhost": "contrail"})
    b.handle("add_vhost", {"vhost": "contrail-new"})
    assert b.handle("list_vhosts", {}) == ["/", "contrail", "contrail-new"]


# -- small helpers -------------------------------------------------------------------------
def test_status_description_wording():
    deps = [Dependency("Collector", "", ()), Dependency("Database", "Cassandra", ())]
    assert describe_down(deps) == "Collector, Database:Cassandra[] connection down"


def test_nodemgr_nodetype_forms():
    assert split_nodetype(["--nodetype=contrail-config", "-x"]) == ("contrail-config", ["-x"])
    assert split_nodetype(["--nodetype", "contrail-vrouter"]) == ("contrail-vrouter", [])


def test_provision_control_arguments_and_router_parameters():
    a = control_parser().parse_args([
        "--host_name", "ctl-new-1", "--host_ip", "192.0.2.5", "--api_server_ip", "192.0.2.1",
        "--api_server_port", "8082", "--oper", "add", "--admin_user", "admin", "--admin_password", "x",
        "--admin_tenant_name", "admin", "--router_asn", "64512", "--ibgp_auto_mesh"])
    assert a.ibgp_auto_mesh is True
    params = bgp_router_parameters(a.host_ip, a.router_asn, a.address_families)
    assert params["address"] == params["identifier"] == "192.0.2.5"
    assert (params["autonomous_system"], params["port"], params["router_type"]) == (64512, 179, "control-node")
