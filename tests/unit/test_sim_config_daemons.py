"""The config-plane daemons and tools run standalone (Debian python3, stdlib only) on 127.31.0.0/16.

Two "clusters" each with contrail-database, zookeeper and contrail-api: old on 127.31.20.1
(no prefix), new on 127.31.21.1 (cluster_id v2). Every process is killed at the end.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lab.contrail.sim.common import keystone_auth

ROOT = Path(__file__).resolve().parents[2]
PY = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
OLD, NEW = "127.31.20.1", "127.31.21.1"
KS = "127.31.22.1"  # the keystone stand-in (public 6000, admin 35358)
PASSWORD = "s3cret"

pytestmark = pytest.mark.skipif(not Path(PY).exists(), reason="no python3")


def wait_port(ip: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{ip}:{port} did not open within {timeout}s")


def eventually(check, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.2)


class Sim:
    """Runs contrail_sim entry points as processes, from a temp dir holding the package."""

    def __init__(self, base: Path) -> None:
        self.base = base
        (base / "py").mkdir()
        (base / "py" / "contrail_sim").symlink_to(ROOT / "lab" / "contrail" / "sim")
        self.env = {**os.environ, "PYTHONPATH": str(base / "py"), "PYTHONDONTWRITEBYTECODE": "1"}
        self.procs: list[subprocess.Popen] = []

    def code(self, module: str, call: str) -> str:
        return f"from contrail_sim.{module} import {call.split('(')[0]}; {call}"

    def start(self, module: str, call: str, *args: str, log: str) -> subprocess.Popen:
        out = open(self.base / log, "w")
        p = subprocess.Popen([PY, "-c", self.code(module, call), *args], env=self.env, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def run(self, module: str, call: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([PY, "-c", self.code(module, call), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def write(self, name: str, text: str) -> str:
        path = self.base / name
        path.write_text(text)
        return str(path)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def start_cluster(sim: Sim, ip: str, prefix: str) -> None:
    tag = ip.replace(".", "_")
    (sim.base / f"db{tag}").mkdir()
    (sim.base / f"zk{tag}").mkdir()
    yaml = sim.write(f"cassandra{tag}.yaml", f"cluster_name: 'C'\nrpc_address: {ip}\nrpc_port: 9160\n"
                     f"data_file_directories:\n    - {sim.base}/db{tag}\n")
    zoo = sim.write(f"zoo{tag}.cfg", f"clientPort=2181\nclientPortAddress={ip}\ndataDir={sim.base}/zk{tag}\n")
    api = sim.write(f"api{tag}.conf", f"[DEFAULTS]\nlisten_ip_addr = {ip}\nlisten_port = 8082\n"
                    f"http_server_port = 8084\ncassandra_server_list = {ip}:9160\nzk_server_ip = {ip}:2181\n"
                    f"auth = keystone\n" + (f"cluster_id = {prefix}\n" if prefix else "") +
                    f"[KEYSTONE]\nauth_url = http://{KS}:35358/v2.0\nadmin_user = admin\n"
                    f"admin_password = {PASSWORD}\nadmin_tenant_name = admin\n")
    sim.start("config.database", "main()", "--conf_file", yaml, log=f"db{tag}.log")
    sim.start("config.zookeeper", "main()", "--conf_file", zoo, log=f"zk{tag}.log")
    wait_port(ip, 9160)
    wait_port(ip, 2181)
    sim.start("config.api", "main()", "--conf_file", api, log=f"api{tag}.log")
    wait_port(ip, 8082)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    s = Sim(tmp_path_factory.mktemp("cfgsim"))
    try:
        ks = s.write("keystone.conf", f"[DEFAULT]\nbind_host = {KS}\npublic_port = 6000\nadmin_port = 35358\n"
                     f"[user:admin]\npassword = {PASSWORD}\nproject = admin\nroles = admin\n")
        s.env["CONTRAIL_SIM_VNC_API_LIB_INI"] = s.write(
            "vnc_api_lib.ini", f"[auth]\nAUTHN_TYPE = keystone\nAUTHN_SERVER = {KS}\nAUTHN_PORT = 35358\n"
                               "AUTHN_URL = /v2.0/tokens\n")
        s.start("config.keystone", "main()", "--conf_file", ks, log="keystone.log")
        wait_port(KS, 35358)
        start_cluster(s, OLD, "")
        start_cluster(s, NEW, "v2")
        yield s
    finally:
        s.stop()


def api_call(ip: str, method: str, path: str, body=None, headers: dict[str, str] | None = None):
    if headers is None:
        headers = {"X-Auth-Token": keystone_auth.get_token(f"http://{KS}:35358/v2.0", "admin", PASSWORD, "admin").id}
    req = urllib.request.Request(f"http://{ip}:8082{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def vn_names(ip: str) -> set[str]:
    return {i["fq_name"][-1] for i in api_call(ip, "GET", "/virtual-networks")["virtual-networks"]}


def create_vn(ip: str, name: str) -> str:
    body = {"virtual-network": {"fq_name": ["default-domain", "default-project", name], "parent_type": "project"}}
    return api_call(ip, "POST", "/virtual-networks", body)["virtual-network"]["uuid"]


def issu_conf(sim: Sim, odb: str = "", ndb: str = "v2", new_db: str = f"{NEW}:9160", rabbit: str = "") -> str:
    """contrail-issu.conf as issu/issu_conf.py writes it (verbatim lists; new_api_info unquoted; {} = no node)."""
    return sim.write(f"issu-{odb}-{ndb}-{new_db}-{len(rabbit)}.conf", f"""[DEFAULTS]
{rabbit}
old_cassandra_address_list = {OLD}:9160
new_cassandra_address_list = {new_db}
old_zookeeper_address_list = {OLD}:2181
new_zookeeper_address_list = {NEW}:2181
odb_prefix = {odb}
ndb_prefix = {ndb}
new_api_info = {{}}
""")


# -- contrail-api and provisioning ----------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()},
                                     {"X-Auth-Token": "0123456789abcdef0123456789abcdef"}],
                         ids=["no-token", "http-basic", "unknown-token"])
def test_api_refuses_basic_auth_and_bad_tokens(sim, headers):
    with pytest.raises(urllib.error.HTTPError) as err:
        api_call(OLD, "GET", "/virtual-networks", headers=headers)
    assert err.value.code == 401
    assert err.value.headers["WWW-Authenticate"] == f"Keystone uri='http://{KS}:35358'"
    assert err.value.read() == b"Authentication required"


def test_api_introspect_reports_node_status(sim):
    xml = eventually(lambda: urllib.request.urlopen(
        f"http://{OLD}:8084/Snh_SandeshUVECacheReq?x=NodeStatus", timeout=5).read().decode(), what="introspect")
    assert "<module_id type=\"string\" identifier=\"1\">contrail-api</module_id>" in xml
    assert ">Functional<" in xml


def provision(sim: Sim, tool: str, *args: str, password: str = PASSWORD, port: str = "8082"):
    return sim.run("config.provision", f"main_{tool}()", "--api_server_ip", OLD, "--api_server_port", port,
                   "--admin_user", "admin", "--admin_password", password, "--admin_tenant_name", "admin", *args)


def _router(name: str) -> dict | None:
    for item in api_call(OLD, "GET", "/bgp-routers?detail=True")["bgp-routers"]:
        if item["bgp-router"]["fq_name"][-1] == name:
            return item["bgp-router"]
    return None


def _gsc() -> dict:
    return api_call(OLD, "GET", "/global-system-configs?detail=True")["global-system-configs"][0]["global-system-config"]


def test_provision_control_add_existing_del_as_r32(sim):
    """contrail-controller R3.2 src/config/utils/provision_control.py + provision_bgp.py."""
    add = ("--host_name", "ctl-x", "--host_ip", "127.31.20.9", "--oper", "add", "--router_asn", "64512")
    first = provision(sim, "control", *add)
    assert (first.returncode, first.stdout) == (0, ""), first.stderr  # a new router: silent
    mine = _router("ctl-x")
    params = mine["bgp_router_parameters"]
    assert (params["address"], params["identifier"], params["port"], params["autonomous_system"]) == (
        "127.31.20.9", "127.31.20.9", 179, 64512)
    assert (params["vendor"], params["router_type"]) == ("contrail", "control-node")
    assert "hold_time" not in params and "local_autonomous_system" not in params
    assert params["address_families"]["family"] == ["route-target", "inet-vpn", "e-vpn", "erm-vpn", "inet6-vpn"]
    others = {r["uuid"] for r in api_call(OLD, "GET", "/bgp-routers")["bgp-routers"]} - {mine["uuid"]}
    assert {r["uuid"] for r in mine.get("bgp_router_refs") or []} == others  # full mesh by refs
    # an existing router: not updated (another IP is ignored), a message on stdout, exit 0
    second = provision(sim, "control", "--host_name", "ctl-x", "--host_ip", "127.31.20.10", "--oper", "add",
                       "--router_asn", "64512")
    assert second.returncode == 0, second.stderr
    assert second.stdout == (f"BGP Router ['default-domain', 'default-project', 'ip-fabric', '__default__', 'ctl-x']"
                             f" already exists with uuid {mine['uuid']}\n")
    assert _router("ctl-x")["bgp_router_parameters"]["address"] == "127.31.20.9"
    gone = provision(sim, "control", "--host_name", "ctl-x", "--host_ip", "127.31.20.9", "--oper", "del",
                     "--router_asn", "64512")
    assert (gone.returncode, gone.stdout) == (0, ""), gone.stderr
    assert _router("ctl-x") is None
    again = provision(sim, "control", "--host_name", "ctl-x", "--host_ip", "127.31.20.9", "--oper", "del",
                      "--router_asn", "64512")
    assert again.returncode == 1 and "Traceback" in again.stderr
    assert again.stderr.strip().splitlines()[-1].startswith(
        "cfgm_common.exceptions.NoIdError: Unknown id: Error: oper 2 url /bgp-router/None body ")


def test_provision_control_asn_and_mesh_only_without_oper(sim):
    before = _gsc()
    res = provision(sim, "control", "--host_name", "ctl-y", "--host_ip", "127.31.20.11", "--oper", "add",
                    "--router_asn", "64999", "--no_ibgp_auto_mesh")
    assert res.returncode == 0, res.stderr
    after = _gsc()
    assert (after.get("autonomous_system"), after.get("ibgp_auto_mesh")) == (
        before.get("autonomous_system"), before.get("ibgp_auto_mesh"))  # --oper add: the GSC is untouched
    assert _router("ctl-y")["bgp_router_parameters"]["autonomous_system"] == 64999
    assert provision(sim, "control", "--host_name", "ctl-y", "--host_ip", "127.31.20.11", "--oper", "del",
                     "--router_asn", "64999").returncode == 0
    try:
        res = provision(sim, "control", "--router_asn", "64513", "--no_ibgp_auto_mesh")
        assert (res.returncode, res.stdout) == (0, ""), res.stderr
        gsc = _gsc()
        assert (gsc["autonomous_system"], gsc["ibgp_auto_mesh"]) == (64513, False)
        assert _router("") is None  # no bgp-router was made
    finally:
        assert provision(sim, "control", "--router_asn", str(before.get("autonomous_system") or 64512),
                         "--ibgp_auto_mesh").returncode == 0


def test_provision_unknown_oper_prints_and_exits_0(sim):
    res = provision(sim, "control", "--host_name", "ctl-z", "--host_ip", "127.31.20.12", "--oper", "remove",
                    "--router_asn", "64512")
    assert (res.returncode, res.stdout) == (0, "Unknown operation remove. Only 'add' and 'del' supported\n")
    res = provision(sim, "config_node", "--host_name", "n9", "--host_ip", "127.31.20.12", "--oper", "delete")
    assert (res.returncode, res.stdout) == (0, "Unknown operation delete. Only 'add' and 'del' supported\n")
    assert _router("ctl-z") is None


def test_provision_node_objects_and_bad_credentials(sim):
    """R3.2 provision_{config,analytics,database}_node.py: silent; add on an existing object
    keeps it as it is; del of an absent one: NoIdError traceback, exit 1."""
    for tool, obj in (("config_node", "config-node"), ("analytics_node", "analytics-node"),
                      ("database_node", "database-node")):
        field = f"{obj.replace('-', '_')}_ip_address"
        res = provision(sim, tool, "--host_name", "n1", "--host_ip", "127.31.20.8", "--oper", "add")
        assert (res.returncode, res.stdout) == (0, ""), res.stderr
        again = provision(sim, tool, "--host_name", "n1", "--host_ip", "127.31.20.99")  # --oper defaults to add
        assert (again.returncode, again.stdout) == (0, ""), again.stderr
        objs = {tuple(i[obj]["fq_name"]): i[obj] for i in api_call(OLD, "GET", f"/{obj}s?detail=True")[f"{obj}s"]}
        assert objs[("default-global-system-config", "n1")][field] == "127.31.20.8"  # not updated
        assert provision(sim, tool, "--host_name", "n1", "--host_ip", "127.31.20.8", "--oper", "del").returncode == 0
        gone = provision(sim, tool, "--host_name", "n1", "--host_ip", "127.31.20.8", "--oper", "del")
        assert gone.returncode == 1 and gone.stderr.strip().splitlines()[-1].startswith(
            f"cfgm_common.exceptions.NoIdError: Unknown id: Error: oper 4 url /{obj}/None body None response ")
    bad = provision(sim, "config_node", "--host_name", "n2", "--host_ip", "127.31.20.7", password="wrong")
    assert bad.returncode != 0 and "RuntimeError: Authentication Failure" in bad.stderr


def test_provision_gives_up_on_an_unreachable_api(sim):
    res = provision(sim, "config_node", "--host_name", "n2", "--host_ip", "127.31.20.7", port="1")
    assert res.returncode == 1 and "Unable to connect to API server" in res.stderr


# -- ISSU tools (real behaviour: lab/contrail/sim/config/issu.py docstring) ----------------------
def issu_logs(sim: Sim) -> None:
    sim.env["CONTRAIL_ISSU_LOG_DIR"] = str(sim.base)


def log_of(sim: Sim, which: str) -> str:
    path = sim.base / f"issu_contrail_{which}.log"
    return path.read_text() if path.exists() else ""


def old_keyspaces_of_the_other_daemons() -> None:
    """schema, svc-monitor and device-manager create these on a real old cluster; the tools wait for them."""
    from lab.contrail.sim.common import db
    client = db.CassandraClient(f"{OLD}:9160")
    for ks in ("to_bgp_keyspace", "svc_monitor_keyspace", "dm_keyspace"):
        client.create_keyspace(ks, db.KEYSPACES[ks])
    client.insert("to_bgp_keyspace", "route_target_table", "target:64512:8000001", {"value": "x"})


def test_pre_sync_run_sync_zk_sync_post_sync(sim, rabbit):
    issu_logs(sim)
    old_keyspaces_of_the_other_daemons()
    create_vn(OLD, "before-freeze")
    res = sim.run("config.issu", "main_pre_sync()", "-c", issu_conf(sim))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["Done syncing Configdb uuid", "Done syncing bgp keyspace",
                                       "Done syncing useragent keyspace", "Done syncing svc-monitor keyspace",
                                       "Done syncing dm keyspace"]
    assert " SYS_INFO Done syncing dm keyspace\n" in log_of(sim, "pre_sync")
    assert "before-freeze" in vn_names(NEW)
    conf = issu_conf(sim, rabbit=rabbit_keys("contrail", "contrail_new"))
    runner = sim.start("config.issu", "main_run_sync()", "-c", conf, log="run-sync.log")
    try:
        eventually(lambda: "SYS_INFO Start Compute upgrade..." in log_of(sim, "run_sync"), what="run-sync start")
        uuid = create_vn(OLD, "after-unfreeze")
        eventually(lambda: "after-unfreeze" in vn_names(NEW), what="run-sync replication")
        api_call(OLD, "DELETE", f"/virtual-network/{uuid}")
        eventually(lambda: "after-unfreeze" not in vn_names(NEW), what="run-sync delete replication")
        assert "'oper': 'CREATE'" in log_of(sim, "run_sync") and "'oper': 'DELETE'" in log_of(sim, "run_sync")
    finally:
        os.killpg(runner.pid, signal.SIGKILL)
    zk = sim.run("config.issu", "main_zk_sync()", "-c", issu_conf(sim))
    assert zk.returncode == 0 and zk.stdout == "" and zk.stderr == ""
    assert log_of(sim, "zk").rstrip().endswith("SYS_INFO Issu contrail zookeeper passed...")
    from lab.contrail.sim.common import db
    old_zk, new_zk = db.ZkClient(f"{OLD}:2181"), db.ZkClient(f"{NEW}:2181")
    for name in ("fq-name-to-uuid", "id", "api-server"):
        assert sorted(new_zk.children(f"/v2/{name}")) == sorted(old_zk.children(f"/{name}"))
    from checks import zkcli
    ls = sim.run("config.zookeeper", "zkcli_main()", "-server", f"{NEW}:2181", "ls", "/v2/fq-name-to-uuid")
    assert ls.returncode == 0 and ls.stdout.startswith(f"Connecting to {NEW}:2181\n")
    assert sorted(zkcli.parse_ls(ls.stdout)) == sorted(old_zk.children("/fq-name-to-uuid"))
    missing = sim.run("config.zookeeper", "zkcli_main()", "-server", f"{NEW}:2181", "ls", "/nope")
    assert missing.returncode == 0 and zkcli.parse_ls(missing.stdout) is None
    assert missing.stderr == "Node does not exist: /nope\n"
    post = sim.run("config.issu", "main_post_sync()", "-c", issu_conf(sim))
    assert post.returncode == 0 and "Configdb" not in post.stdout and len(post.stdout.splitlines()) == 4
    assert "target:64512:8000001" in db.CassandraClient(f"{NEW}:9160").get_range("v2_to_bgp_keyspace",
                                                                                  "route_target_table")


RABBIT = "127.31.20.30"


@pytest.fixture(scope="module")
def rabbit(sim):
    (sim.base / "mnesia").mkdir()
    (sim.base / "mnesia" / "lab-state.json").write_text(
        json.dumps({"users": {"guest": "rpw"}, "vhosts": ["/", "contrail", "contrail_new"]}))
    env = sim.write("rabbitmq-env.conf", f"NODE_IP_ADDRESS={RABBIT}\nNODE_PORT=5672\nMNESIA_BASE={sim.base}/mnesia\n")
    sim.start("config.rabbitmq", "main()", "--conf_file", env, log="rabbit.log")
    wait_port(RABBIT, 5672)
    return env


def rabbit_keys(old_vhost: str, new_vhost: str) -> str:
    return "".join(f"{side}_rabbit_address_list = {RABBIT}:5672\n{side}_rabbit_user = guest\n"
                   f"{side}_rabbit_password = rpw\n{side}_rabbit_vhost = {vhost}\n"
                   for side, vhost in (("old", old_vhost), ("new", new_vhost)))


def test_run_sync_with_a_wrong_vhost_keeps_retrying_the_login(sim, rabbit):
    issu_logs(sim)
    (sim.base / "issu_contrail_run_sync.log").unlink(missing_ok=True)
    conf = issu_conf(sim, rabbit=rabbit_keys("contrail", "contrail-new"))
    runner = sim.start("config.issu", "main_run_sync()", "-c", conf, log="run-sync-bad.log")
    try:
        eventually(lambda: "RabbitMQ drainer connection down" in log_of(sim, "run_sync"), what="login attempt")
        time.sleep(3)
        assert runner.poll() is None
        assert "ESTABLISHED <Connection" not in log_of(sim, "run_sync")
    finally:
        os.killpg(runner.pid, signal.SIGKILL)


def test_pre_sync_with_an_unknown_prefix_waits_for_the_keyspace(sim):
    issu_logs(sim)
    with pytest.raises(subprocess.TimeoutExpired):
        sim.run("config.issu", "main_pre_sync()", "-c", issu_conf(sim, odb="nosuch"), timeout=4)
    assert "SYS_NOTICE Waiting for keyspace nosuch_config_db_uuid to be created" in log_of(sim, "pre_sync")


# -- discovery and elections ----------------------------------------------------------------
def test_discovery_publish_subscribe_over_http(sim):
    conf = sim.write("disc.conf", f"[DEFAULTS]\nlisten_ip_addr = 127.31.20.2\nlisten_port = 5998\n"
                     f"http_server_port = 5997\ncassandra_server_list = {OLD}:9160\nzk_server_ip = {OLD}\n")
    sim.start("config.discovery", "main()", "--conf_file", conf, log="disc.log")
    wait_port("127.31.20.2", 5998)

    def post(path, body):
        req = urllib.request.Request(f"http://127.31.20.2:5998{path}", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=5).read())

    for i in (3, 4):
        ip = f"127.31.20.{i}"
        assert post(f"/publish/ctl-{i}", {"xmpp-server": {"ip-address": ip, "port": "5269"},
                                          "service-type": "xmpp-server", "remote-addr": ip}) == {"cookie": f"ctl-{i}:xmpp-server"}
    got = post("/subscribe", {"service": "xmpp-server", "instances": 2, "client-type": "contrail-vrouter-agent",
                              "remote-addr": "127.31.20.5", "client": "compute1:contrail-vrouter-agent"})
    assert sorted(i["ip-address"] for i in got["xmpp-server"]) == ["127.31.20.3", "127.31.20.4"]
    services = json.loads(urllib.request.urlopen("http://127.31.20.2:5998/services.json", timeout=5).read())
    assert {(s["service_type"], s["status"], s["in_use"]) for s in services["services"]} == {("xmpp-server", "up", 1)}


def introspect_up(ip: str) -> bool:
    try:
        urllib.request.urlopen(f"http://{ip}:8087/Snh_SandeshUVECacheReq?x=NodeStatus", timeout=1).read()
        return True
    except OSError:
        return False


def test_schema_election_one_active_and_failover(sim):
    procs = {}
    for ip in ("127.31.20.11", "127.31.20.12"):
        conf = sim.write(f"schema-{ip}.conf", f"[DEFAULTS]\nhttp_server_ip = {ip}\ncassandra_server_list = {OLD}:9160\n"
                         f"zk_server_ip = {OLD}:2181\napi_server_ip = {OLD}\napi_server_port = 8082\n")
        procs[ip] = sim.start("config.services", "main('contrail-schema')", "--conf_file", conf, log=f"schema-{ip}.log")
    active = eventually(lambda: [ip for ip in procs if introspect_up(ip)], what="an active schema")
    assert len(active) == 1
    time.sleep(2.5)  # two more election rounds: still exactly one
    assert [ip for ip in procs if introspect_up(ip)] == active
    os.killpg(procs[active[0]].pid, signal.SIGKILL)
    backup = [ip for ip in procs if ip != active[0]][0]
    eventually(lambda: introspect_up(backup), what="failover to the backup schema")


def test_database_nodes_replicate_and_catch_up(sim):
    a, b = "127.31.22.1", "127.31.22.2"

    def start(ip: str):
        (sim.base / f"rep{ip}").mkdir(exist_ok=True)
        yaml = sim.write(f"rep{ip}.yaml", f"rpc_address: {ip}\nrpc_port: 9160\ndata_file_directories:\n"
                         f"    - {sim.base}/rep{ip}\nseed_provider:\n    - class_name: x\n      parameters:\n"
                         f"          - seeds: \"{a},{b}\"\n")
        p = sim.start("config.database", "main()", "--conf_file", yaml, log=f"rep{ip}.log")
        wait_port(ip, 9160)
        return p

    def rows(ip: str):
        code = ("from contrail_sim.common.db import CassandraClient as C, DbError\n"
                f"try:\n    print(sorted(C('{ip}:9160').get_range('k', 't')))\nexcept DbError:\n    print([])")
        return subprocess.run([PY, "-c", code], env=sim.env, capture_output=True, text=True, timeout=30).stdout.strip()

    def write(ip: str, key: str):
        code = ("from contrail_sim.common.db import CassandraClient as C\n"
                f"c = C('{ip}:9160'); c.create_keyspace('k', ['t']); c.insert('k', 't', '{key}', {{'v': '1'}})")
        subprocess.run([PY, "-c", code], env=sim.env, check=True, timeout=30)

    start(a)
    pb = start(b)
    write(a, "r1")
    eventually(lambda: rows(b) == "['r1']", what="replication to the peer")
    os.killpg(pb.pid, signal.SIGKILL)
    pb.wait(timeout=10)
    write(a, "r2")
    start(b)
    assert rows(b) == "['r1', 'r2']"
