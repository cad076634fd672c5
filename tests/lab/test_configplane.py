"""End to end: the config plane of a real lab (copy of clusters/lab.yaml on 127.31.0.0/16).

Boots the lab, then drives the config side of the seed by hand, with the seed's own
command lines where it has them: contrail-status of the config roles, discovery, the
northbound VIP through HAProxy (freeze/unfreeze, backend switch), provision_control
against the old API, pre-sync, run-sync under the system supervisord, post-sync, zk-sync,
and the tools' failures on bad input. `down` at the end.
"""
from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from issu import haproxy_edit
from lab.contrail.sim.common import keystone_auth
from lab.node_exec import run_in_node
from tests.lab.conftest import running_lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]

OLD, NEW, VIP = "127.31.0.21", "127.31.1.21", "127.31.0.11"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab.yaml", "cfglab", "127.31") as inv:
        yield inv


def sh(lab, node: str, cmd: str, timeout: float = 60):
    return run_in_node(lab.lab_state_dir, node, ["sh", "-c", cmd], timeout=timeout)


def eventually(check, timeout: float = 40.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.5)


def admin_password(lab) -> str:
    return (lab.lab_state_dir / "secrets" / "admin_password").read_text().strip()


def vn_names(lab, ip: str) -> set[str]:
    res = sh(lab, "openstack1", f"contrail-nb-client list virtual-network --api {ip}:8082")
    assert res.returncode == 0, res.stderr
    return {line.rsplit(":", 1)[-1] for line in res.stdout.split()}


def status_lines(lab, node: str) -> dict[str, str]:
    out = sh(lab, node, "contrail-status").stdout
    return {parts[0]: parts[1] for parts in (l.split(None, 1) for l in out.splitlines()) if len(parts) == 2}


def token(lab) -> str:
    """A keystone v2.0 token from the lab's keystone, through HAProxy's admin front-end."""
    return keystone_auth.get_token(f"http://{VIP}:35357/v2.0", "admin", admin_password(lab), "admin").id


def api_status(url: str, headers: dict[str, str]):
    """(status, body, headers); header names case-insensitive (HAProxy 2 sends them lower-case)."""
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


@pytest.mark.parametrize("api", [OLD, NEW, VIP])
def test_api_refuses_basic_auth_and_missing_or_garbage_tokens(lab, api):
    url = f"http://{api}:8082/virtual-networks"
    basic = "Basic " + base64.b64encode(f"admin:{admin_password(lab)}".encode()).decode()
    for headers in ({}, {"Authorization": basic}, {"X-Auth-Token": "garbage"},
                    {"X-Auth-Token": "0123456789abcdef0123456789abcdef"}):
        code, body, h = api_status(url, headers)
        assert (code, body) == (401, "Authentication required"), headers
        assert h["WWW-Authenticate"] == f"Keystone uri='http://{VIP}:35357'"
    code, body, _ = api_status(url, {"X-Auth-Token": token(lab)})
    assert code == 200 and "virtual-networks" in json.loads(body)


def test_keystone_refuses_a_wrong_password_in_its_json_shape(lab):
    with pytest.raises(keystone_auth.KeystoneRefused) as err:
        keystone_auth.get_token(f"http://{VIP}:5000/v2.0", "admin", "wrong", "admin")
    assert err.value.status == 401
    assert json.loads(err.value.body)["error"] == {
        "code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}


def test_controllers_provision_their_own_node_objects(lab):
    def names(ip: str, obj: str) -> set[str]:
        res = sh(lab, "ctl-old-1", f"curl -s -H 'X-Auth-Token: {token(lab)}' http://{ip}:8082/{obj}s")
        return {i["fq_name"][-1] for i in json.loads(res.stdout or "{}").get(f"{obj}s", [])} if res.returncode == 0 else set()
    for obj in ("config-node", "analytics-node", "database-node"):
        eventually(lambda: names(OLD, obj) == {"ctl-old-1"}, what=f"old {obj} provisioned")
        eventually(lambda: names(NEW, obj) == {"ctl-new-1"}, what=f"new {obj} provisioned")


def test_config_roles_are_active_on_both_clusters(lab):
    wanted = ("contrail-api:0", "contrail-discovery:0", "ifmap", "contrail-schema", "contrail-svc-monitor",
              "contrail-device-manager", "contrail-config-nodemgr", "contrail-database", "contrail-collector",
              "contrail-analytics-api", "contrail-webui")
    for node in ("ctl-old-1", "ctl-new-1"):
        eventually(lambda: all(status_lines(lab, node).get(w, "").startswith("active") for w in wanted),
                   what=f"{node}: config plane active in contrail-status")
        zk = sh(lab, node, "service zookeeper status")
        assert zk.returncode == 0 and "zookeeper is running" in zk.stdout
    vhosts = sh(lab, "openstack1", "rabbitmqctl list_vhosts").stdout.split()
    assert {"contrail", "contrail_new"} <= set(vhosts)


def test_discovery_publishes_the_config_services(lab):
    def services():
        with urllib.request.urlopen(f"http://{OLD}:5998/services.json", timeout=5) as r:
            return {(s["service_type"], s["info"]["ip-address"], s["status"]) for s in json.load(r)["services"]}
    want = {(t, OLD, "up") for t in ("ApiServer", "IfmapServer", "Collector", "OpServer")}
    eventually(lambda: want <= services(), what="config services published")


def _http_code(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return 0


def test_northbound_freeze_and_unfreeze(lab):
    """The runbook's freeze: `disabled` in the Contrail front-ends + reload. Those ports refuse,
    keystone's front-ends keep answering; unfreeze restores them."""
    assert sh(lab, "openstack1", "contrail-nb-client create virtual-network nb-before").returncode == 0
    assert "nb-before" in vn_names(lab, OLD)
    original = sh(lab, "openstack1", "cat /etc/haproxy/haproxy.cfg").stdout
    frozen_cfg = haproxy_edit.set_frontends_disabled(original, [8082, 5998, 8081], True)
    for text in (frozen_cfg,):
        assert run_in_node(lab.lab_state_dir, "openstack1", ["sh", "-c", "cat > /etc/haproxy/haproxy.cfg"],
                           input=text).returncode == 0
    assert sh(lab, "openstack1", "haproxy -c -f /etc/haproxy/haproxy.cfg && service haproxy reload").returncode == 0
    eventually(lambda: all(_http_code(f"http://{VIP}:{p}/") == 0 for p in (8082, 5998, 8081)),
               what="Contrail front-ends refused")
    assert _http_code(f"http://{VIP}:5000/") == 300 and _http_code(f"http://{VIP}:35357/") == 300
    assert token(lab)  # keystone still issues tokens during the freeze
    frozen = sh(lab, "openstack1", "contrail-nb-client create virtual-network nb-frozen")
    assert frozen.returncode == 1 and "ERROR" in frozen.stderr
    assert run_in_node(lab.lab_state_dir, "openstack1", ["sh", "-c", "cat > /etc/haproxy/haproxy.cfg"],
                       input=original).returncode == 0
    assert sh(lab, "openstack1", "service haproxy reload").returncode == 0
    eventually(lambda: sh(lab, "openstack1", "contrail-nb-client list virtual-network").returncode == 0,
               what="VIP answers after unfreeze")
    assert "nb-frozen" not in vn_names(lab, OLD)


def haproxy_cmd(lab, command: str):
    code = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
            f"s.sendall(b'{command}\\n'); print(s.recv(65536).decode())")
    return sh(lab, "openstack1", f'python3 -c "{code}"')


def test_freeze_through_the_runtime_socket(lab):
    assert haproxy_cmd(lab, "disable server contrail-api-backend/ctl-old-1").returncode == 0
    frozen = sh(lab, "openstack1", "contrail-nb-client create virtual-network nb-disabled")
    assert frozen.returncode == 1 and "503" in frozen.stderr
    assert haproxy_cmd(lab, "enable server contrail-api-backend/ctl-old-1").returncode == 0
    eventually(lambda: sh(lab, "openstack1", "contrail-nb-client list virtual-network").returncode == 0,
               what="VIP answers after enable server")


def provision_control(lab, host: str, ip: str, password: str, oper: str = "add"):
    return sh(lab, "ctl-new-1", f"python /opt/contrail/utils/provision_control.py --host_name {host} --host_ip {ip} "
              f"--api_server_ip {OLD} --api_server_port 8082 --oper {oper} --admin_user admin "
              f"--admin_password {password} --admin_tenant_name admin --router_asn 64512")


def test_provision_tools_take_credentials_from_a_conf_file_not_the_command_line(lab):
    """What issu/provision.py runs: `-c <0600 temp file>` with [DEFAULTS]/[KEYSTONE] (R3.2
    provision_*.py), the file fed on stdin; provision_control.py has no --openstack_ip."""
    from issu import provision

    class _Inv:  # the two things credentials_conf needs from a loaded inventory
        def __init__(self, inv):
            self.model = inv.model
            self.secret = inv.secret
    conf = provision.credentials_conf(_Inv(lab))
    node = lab.model.old.nodes[0]  # re-adding the old node to its own API: an idempotent update
    cmd = provision.node_command(lab, "provision_config_node.py", node, OLD, "add")
    assert admin_password(lab) not in cmd
    before = set(sh(lab, "ctl-new-1", "ls /tmp").stdout.split())
    res = run_in_node(lab.lab_state_dir, "ctl-new-1", ["sh", "-c", cmd], input=conf)
    assert (res.returncode, res.stdout) == (0, ""), res.stderr  # R3.2 provision_config_node.py prints nothing
    assert set(sh(lab, "ctl-new-1", "ls /tmp").stdout.split()) == before  # the credentials file is gone
    res = sh(lab, "ctl-new-1", "python /opt/contrail/utils/provision_control.py --host_name x --host_ip 127.0.0.9 "
             f"--api_server_ip {OLD} --api_server_port 8082 --router_asn 64512 --openstack_ip {VIP}")
    assert res.returncode == 2 and "unrecognized arguments: --openstack_ip" in res.stderr


def issu_conf(lab, new_vhost: str = "contrail_new", odb_prefix: str = "") -> str:
    rabbit_pw = (lab.lab_state_dir / "secrets" / "rabbit_password").read_text().strip()
    root_pw = (lab.lab_state_dir / "secrets" / "root_password").read_text().strip()
    return f"""[DEFAULTS]
new_api_info = {{'{NEW}': ['root', '{root_pw}']}}
old_cassandra_address_list = {OLD}:9160
new_cassandra_address_list = {NEW}:9160
old_zookeeper_address_list = {OLD}:2181
new_zookeeper_address_list = {NEW}:2181
odb_prefix = {odb_prefix}
ndb_prefix = issu_new
old_rabbit_address_list = {VIP}
old_rabbit_user = guest
old_rabbit_password = {rabbit_pw}
old_rabbit_vhost = contrail
new_rabbit_address_list = {VIP}
new_rabbit_user = guest
new_rabbit_password = {rabbit_pw}
new_rabbit_vhost = {new_vhost}
"""

RUN_SYNC = [  # the seed's lines, in its order; the command as issu_process.sh writes it: the seed's bare
    # `contrail-issu-run-sync` would run on the tool's built-in defaults (10.84.24.35), not this conf
    "touch /etc/supervisor/conf.d/contrail-issu.conf",
    "command 'contrail-issu-run-sync --conf_file /etc/contrail/contrail-issu.conf'", "numprocs 1", "process_name '%(process_num)s'", "redirect_stderr true",
    "stdout_logfile '/var/log/issu-contrail-run-sync-%(process_num)s-stdout.log'", "stderr_logfile '/dev/null'",
    "priority 440", "autostart true", "killasgroup false", "stopsignal KILL", "exitcodes 0",
]


def test_issu_config_migration(lab):
    pw = admin_password(lab)
    for _ in range(2):  # the second add finds it: "BGP Router [...] already exists with uuid ...", exit 0
        res = provision_control(lab, "ctl-new-1", NEW, pw)
        assert res.returncode == 0, res.stderr
    assert "already exists with uuid" in res.stdout, res.stdout
    bad = provision_control(lab, "ctl-new-1", NEW, "wrong-password")
    assert bad.returncode != 0 and "Authentication Failure" in bad.stderr

    assert sh(lab, "ctl-new-1", f"cat > /etc/contrail/contrail-issu.conf <<'EOF'\n{issu_conf(lab)}EOF").returncode == 0
    pre = sh(lab, "ctl-new-1", "contrail-issu-pre-sync -c /etc/contrail/contrail-issu.conf")
    assert pre.returncode == 0, pre.stderr
    assert "nb-before" in vn_names(lab, NEW)

    # the seed: during the ISSU only api, discovery and ifmap run under supervisor-config on the new node
    files = " ".join(f"/etc/contrail/supervisord_config_files/{p}.ini" for p in ("contrail-api", "contrail-discovery",
                                                                                 "ifmap"))
    restrict = sh(lab, "ctl-new-1", f"openstack-config --set /etc/contrail/supervisord_config.conf include files "
                                    f"'{files}' && service supervisor-config restart")
    assert restrict.returncode == 0, restrict.stderr
    lines = [RUN_SYNC[0]] + [f"openstack-config --set /etc/supervisor/conf.d/contrail-issu.conf program:contrail-issu {x}"
                             for x in RUN_SYNC[1:]]
    assert sh(lab, "ctl-new-1", " && ".join(lines)).returncode == 0
    assert sh(lab, "ctl-new-1", "supervisorctl reread && supervisorctl update").returncode == 0
    eventually(lambda: "RUNNING" in sh(lab, "ctl-new-1", "supervisorctl status contrail-issu:0").stdout,
               what="run-sync RUNNING under the system supervisord")
    assert sh(lab, "openstack1", "contrail-nb-client create virtual-network nb-during").returncode == 0
    def replicated() -> bool:
        try:
            return "nb-during" in vn_names(lab, NEW)
        except AssertionError:  # run-sync stops and restarts supervisor-config there: not answering yet
            return False

    try:
        eventually(replicated, timeout=120, what="run-sync replicates a northbound create")
    except AssertionError as exc:
        log = sh(lab, "ctl-new-1", "tail -n 30 /var/log/issu_contrail_run_sync.log; contrail-status").stdout
        raise AssertionError(f"{exc}\n--- run-sync log tail and contrail-status on ctl-new-1 ---\n{log}") from None

    # finalize: stop run-sync, post-sync, zk-sync
    assert sh(lab, "ctl-new-1", "rm -f /etc/supervisor/conf.d/contrail-issu.conf && supervisorctl reread && "
              "supervisorctl update").returncode == 0
    post = sh(lab, "ctl-new-1", "contrail-issu-post-sync -c /etc/contrail/contrail-issu.conf")
    assert post.returncode == 0, post.stderr
    zk = sh(lab, "ctl-new-1", "contrail-issu-zk-sync -c /etc/contrail/contrail-issu.conf")
    assert zk.returncode == 0, zk.stderr
    # zk-sync logs to its file, not stdout (issu_contrail_zk_sync.py logging.basicConfig)
    assert "Issu contrail zookeeper passed..." in sh(lab, "ctl-new-1", "cat /var/log/issu_contrail_zk.log").stdout

    # clean-up of the old nodes and registration of the new ones, on the new API (seed's finalize)
    pw_args = f"--admin_user admin --admin_password {pw} --admin_tenant_name admin"
    for tool in ("config_node", "analytics_node", "database_node"):
        util = f"python /opt/contrail/utils/provision_{tool}.py --api_server_ip {NEW}"
        gone = sh(lab, "ctl-new-1", f"{util} --host_name ctl-old-1 --host_ip {OLD} --oper del {pw_args}")
        assert gone.returncode == 0, f"{tool}: {gone.stderr}"  # the old cluster's objects came over with the sync
        added = sh(lab, "ctl-new-1", f"{util} --host_name ctl-new-1 --host_ip {NEW} --oper add {pw_args}")
        assert added.returncode == 0, f"{tool}: {added.stderr}"

    # HAProxy backend switch to the new API: creates land on the new cluster only
    switch = sh(lab, "openstack1", f"sed -i 's/server ctl-old-1 {OLD}:8082/server ctl-new-1 {NEW}:8082/' "
                "/etc/haproxy/haproxy.cfg && service haproxy reload")
    assert switch.returncode == 0, switch.stderr
    eventually(lambda: sh(lab, "openstack1", "contrail-nb-client create virtual-network nb-after").returncode == 0,
               what="VIP answers after the switch")
    assert "nb-after" in vn_names(lab, NEW) and "nb-after" not in vn_names(lab, OLD)


def test_issu_tools_fail_as_the_real_ones(lab):
    # A missing conf file: ConfigParser.read skips it, then items("DEFAULTS") raises NoSectionError.
    missing = sh(lab, "ctl-new-1", "contrail-issu-pre-sync -c /etc/contrail/nope.conf")
    assert missing.returncode == 1 and "NoSectionError" in missing.stderr, missing.stderr
    # A wrong old prefix: VncCassandraClient waits for the keyspace forever, logging each second;
    # nothing exits, so an operator's only sign is the log (the runbook runs it under `timeout`).
    wrong = sh(lab, "ctl-new-1", f"cat > /tmp/bad.conf <<'EOF'\n{issu_conf(lab, odb_prefix='nosuch')}EOF\n"
               "rm -f /var/log/issu_contrail_pre_sync.log; timeout 6 contrail-issu-pre-sync -c /tmp/bad.conf")
    assert wrong.returncode == 124
    log = sh(lab, "ctl-new-1", "cat /var/log/issu_contrail_pre_sync.log").stdout
    assert "Waiting for keyspace nosuch_config_db_uuid to be created" in log
    # pre-sync never talks to RabbitMQ: a vhost spelled with '-' does not stop it (run-sync is where it bites)
    dash = sh(lab, "ctl-new-1", f"cat > /tmp/bad.conf <<'EOF'\n{issu_conf(lab, new_vhost='contrail-new')}EOF\n"
              "timeout 60 contrail-issu-pre-sync -c /tmp/bad.conf")
    assert dash.returncode == 0, dash.stderr
