"""Standalone runs of the simulated contrail-control and vrouter agent (subprocesses on a random 127.32.x block).

Each daemon runs under Debian's /usr/bin/python3 from the contrail_sim package, exactly as on
a lab node, with its own temp conf file. The config API and the discovery server are tiny
in-process stubs speaking the real JSON shapes.
"""
from __future__ import annotations

import json
import random
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "lab" / "contrail" / "sim"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
BGP_PORT = 10179
# A random block of 127.32.0.0/16 per run, so two runs of this file at once do not collide.
_BASE = random.randrange(110, 240, 8)


def net(k: int) -> str:
    """127.32.<base+k>: the /24 of one test."""
    return f"127.32.{_BASE + k}"
XMPP_PORT = 15269


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class _Stub:
    def __init__(self, ip: str, port: int, handler):
        class H(BaseHTTPRequestHandler):
            def _reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                self._reply(*handler("GET", self.path, None))

            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                self._reply(*handler("POST", self.path, json.loads(self.rfile.read(n) or b"{}")))

            def log_message(self, *args):
                pass

        class S(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.httpd = S((ip, port), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ApiStub(_Stub):
    """GET /bgp-routers and /bgp-router/<uuid> from a list of (uuid, name, ip)."""

    def __init__(self, ip: str, routers: list[tuple[str, str, str]]):
        self.routers = routers
        super().__init__(ip, 8082, self.handle)

    def handle(self, method, path, body):
        if path == "/bgp-routers":
            return 200, {"bgp-routers": [{"href": f"/bgp-router/{u}", "uuid": u,
                                          "fq_name": ["default-domain", "default-project", "ip-fabric", "__default__", n]}
                                         for u, n, _ in self.routers]}
        for u, n, ip in self.routers:
            if path == f"/bgp-router/{u}":
                return 200, {"bgp-router": {"uuid": u, "name": n, "fq_name": ["default-domain", "default-project",
                                                                              "ip-fabric", "__default__", n],
                                            "bgp_router_parameters": {"router_type": "control-node", "vendor": "contrail",
                                                                      "autonomous_system": 64512, "identifier": ip,
                                                                      "address": ip, "port": BGP_PORT}}}
        return 404, {}


class DiscoveryStub(_Stub):
    """POST /publish[/<id>] and /subscribe with the 3.x bodies; records what it got."""

    def __init__(self, ip: str):
        self.published: dict[str, dict] = {}
        self.subscribes: list[dict] = []
        super().__init__(ip, 5998, self.handle)

    def handle(self, method, path, body):
        if path.startswith("/publish"):
            stype = body["service-type"]
            self.published[f"{body[stype]['ip-address']}:{stype}"] = body
            return 200, {"cookie": f"{body[stype]['ip-address']}:{stype}"}
        if path == "/subscribe":
            self.subscribes.append(body)
            infos = [b[b["service-type"]] for b in list(self.published.values()) if b["service-type"] == body["service"]]
            return 200, {"ttl": 300, body["service"]: infos[: body["instances"]]}
        return 404, {}


@pytest.fixture
def run(tmp_path):
    """run(module, conf_text) -> Popen of a daemon under /usr/bin/python3; all killed at the end."""
    (tmp_path / "contrail_sim").symlink_to(SIM)
    procs: list[subprocess.Popen] = []
    env = dict(os.environ, PYTHONPATH=str(tmp_path))

    def start(module: str, conf: str, name: str) -> subprocess.Popen:
        path = tmp_path / f"{name}.conf"
        path.write_text(conf)
        log = open(tmp_path / f"{name}.log", "w")
        p = subprocess.Popen([PYTHON, "-m", module, "--conf_file", str(path)], env=env,
                             stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        p.log_path = tmp_path / f"{name}.log"  # type: ignore[attr-defined]
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)


def control_conf(ip: str, name: str, api_ip: str, disc_ip: str = "") -> str:
    disc = f"[DISCOVERY]\nserver={disc_ip}\nport=5998\n" if disc_ip else ""
    return (f"[DEFAULT]\nhostip={ip}\nhostname={name}\nhttp_server_port=18083\nbgp_port={BGP_PORT}\n"
            f"xmpp_server_port={XMPP_PORT}\n{disc}[IFMAP]\nserver_url=https://{api_ip}:8443\n")


def get_xml(url: str) -> ET.Element | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return ET.fromstring(resp.read().decode().split("?>", 1)[1])
    except OSError:
        return None


def neighbors(ip: str, path: str = "Snh_BgpNeighborReq?search_string=") -> dict[str, tuple[str, str]]:
    root = get_xml(f"http://{ip}:18083/{path}")
    if root is None:
        return {}
    return {n.findtext("peer"): (n.findtext("encoding"), n.findtext("state")) for n in root.iter("BgpNeighborResp")}


def agent_channels(ip: str) -> dict[str, str]:
    root = get_xml(f"http://{ip}:18085/Snh_AgentXmppConnectionStatusReq")
    if root is None:
        return {}
    return {d.findtext("controller_ip"): d.findtext("state") for d in root.iter("AgentXmppData")}


A, B = f"{net(0)}.1", f"{net(0)}.2"
ROUTERS = [("u-a", "ctl-a", A), ("u-b", "ctl-b", B)]


def test_two_controls_peer_and_a_killed_peer_drops_the_session(run):
    apis = [ApiStub(f"{net(0)}.101", ROUTERS), ApiStub(f"{net(0)}.102", ROUTERS)]
    try:
        run("contrail_sim.control.daemon", control_conf(A, "ctl-a", f"{net(0)}.101"), "ctl-a")
        b = run("contrail_sim.control.daemon", control_conf(B, "ctl-b", f"{net(0)}.102"), "ctl-b")
        wait_until(lambda: neighbors(A).get("ctl-b") == ("BGP", "Established"), what="ctl-a sees ctl-b Established")
        wait_until(lambda: neighbors(B).get("ctl-a") == ("BGP", "Established"), what="ctl-b sees ctl-a Established")
        b.send_signal(signal.SIGKILL)
        b.wait(timeout=10)
        wait_until(lambda: neighbors(A).get("ctl-b", ("", ""))[1] not in ("", "Established"),
                   what="ctl-a notices ctl-b is gone")
        # and it comes back once ctl-b runs again
        run("contrail_sim.control.daemon", control_conf(B, "ctl-b", f"{net(0)}.102"), "ctl-b2")
        wait_until(lambda: neighbors(A).get("ctl-b") == ("BGP", "Established"), what="session re-established")
        root = get_xml(f"http://{A}:18083/Snh_BgpNeighborReq?search_string=ctl-b")
        assert root.find(".//BgpNeighborResp/flap_count").text == "1"
    finally:
        for api in apis:
            api.close()


def test_session_needs_both_ends_configured(run):
    a2, b2 = f"{net(1)}.1", f"{net(1)}.2"
    routers = [("u-a", "ctl-a", a2), ("u-b", "ctl-b", b2)]
    apis = [ApiStub(f"{net(1)}.101", routers), ApiStub(f"{net(1)}.102", routers[1:])]  # ctl-b does not know ctl-a
    try:
        # ctl-a has the lower address, so it is the one that connects; ctl-b must refuse it.
        run("contrail_sim.control.daemon", control_conf(a2, "ctl-a", f"{net(1)}.101"), "ctl-a")
        b = run("contrail_sim.control.daemon", control_conf(b2, "ctl-b", f"{net(1)}.102"), "ctl-b")
        wait_until(lambda: f"BGP connection from unconfigured {a2} rejected" in b.log_path.read_text(),
                   what="ctl-b refusing ctl-a")
        state = wait_until(lambda: neighbors(a2).get("ctl-b"), what="ctl-a introspect")[1]
        assert state != "Established"
        url = f"http://{b2}:18083/Snh_BgpNeighborReq?search_string="
        wait_until(lambda: get_xml(url) is not None, what="ctl-b introspect")
        assert "ctl-a" not in [n.findtext("peer") for n in get_xml(url).iter("BgpNeighborResp")]
        # once ctl-b gets ctl-a configured, the session comes up
        apis[1].routers = routers
        wait_until(lambda: neighbors(a2).get("ctl-b") == ("BGP", "Established"), what="session after configuring")
    finally:
        for api in apis:
            api.close()


def agent_conf(ip: str, name: str, disc_ip: str) -> str:
    return (f"[DEFAULT]\nhostname={name}\nhttp_server_port=18085\n[DISCOVERY]\nserver={disc_ip}\nport=5998\n"
            f"max_control_nodes=2\n[VIRTUAL-HOST-INTERFACE]\nname=vhost0\nip={ip}/24\n")


def test_agent_connects_to_the_controls_discovery_gives_it(run):
    a3, b3, agent_ip, disc_ip = f"{net(2)}.1", f"{net(2)}.2", f"{net(2)}.50", f"{net(2)}.200"
    routers = [("u-a", "ctl-a", a3), ("u-b", "ctl-b", b3)]
    apis = [ApiStub(f"{net(2)}.101", routers), ApiStub(f"{net(2)}.102", routers)]
    disc = DiscoveryStub(disc_ip)
    try:
        run("contrail_sim.control.daemon", control_conf(a3, "ctl-a", f"{net(2)}.101", disc_ip), "ctl-a")
        b = run("contrail_sim.control.daemon", control_conf(b3, "ctl-b", f"{net(2)}.102", disc_ip), "ctl-b")
        wait_until(lambda: len(disc.published) == 2, what="both controls published xmpp-server")
        body = disc.published[f"{a3}:xmpp-server"]
        assert body == {"xmpp-server": {"ip-address": a3, "port": str(XMPP_PORT)},
                        "service-type": "xmpp-server", "remote-addr": a3}
        run("contrail_sim.vrouter.agent", agent_conf(agent_ip, "compute-t1", disc_ip), "agent")
        wait_until(lambda: agent_channels(agent_ip) == {a3: "Established", b3: "Established"},
                   what="agent Established to both controls")
        assert disc.subscribes[0] == {"service": "xmpp-server", "instances": 2, "client-type": "contrail-vrouter-agent",
                                      "remote-addr": agent_ip, "client": "compute-t1:contrail-vrouter-agent"}
        assert neighbors(a3)["compute-t1"] == ("XMPP", "Established")
        b.send_signal(signal.SIGKILL)
        b.wait(timeout=10)
        wait_until(lambda: agent_channels(agent_ip).get(b3) not in (None, "Established"), what="agent sees ctl-b gone")
        assert agent_channels(agent_ip)[a3] == "Established"

        def status():
            root = get_xml(f"http://{agent_ip}:18085/Snh_SandeshUVECacheReq?x=NodeStatus")
            return root is not None and (root.findtext(".//ProcessStatus/state"),
                                         root.findtext(".//ProcessStatus/description"))
        wait_until(lambda: status() == ("Non-Functional", f"XMPP:control-node:{b3} connection down"),
                   what="agent NodeStatus names the lost control node")
    finally:
        disc.close()
        for api in apis:
            api.close()


def test_control_introspect_pages_xmpp_peers_past_64(run):
    from lab.contrail.sim.vrouter.channel import Channel

    ctl = f"{net(3)}.1"
    api = ApiStub(f"{net(3)}.101", [("u-a", "ctl-a", ctl)])
    channels = [Channel(f"compute{i:03d}", f"{net(4)}.{i + 1}", ctl, XMPP_PORT, log=lambda m: None)
                for i in range(70)]
    try:
        run("contrail_sim.control.daemon", control_conf(ctl, "ctl-a", f"{net(3)}.101"), "ctl-a")
        wait_until(lambda: get_xml(f"http://{ctl}:18083/Snh_SandeshUVECacheReq?x=NodeStatus") is not None,
                   what="introspect up")
        for ch in channels:
            ch.start()
        wait_until(lambda: all(ch.view().state == "Established" for ch in channels), what="70 agents Established")
        first = get_xml(f"http://{ctl}:18083/Snh_BgpNeighborReq?search_string=")
        assert first.find("neighbors/list").get("size") == "64"
        assert first.findtext("more") == "false"  # bgp_show_handler.h: Response() leaves more false
        key = first.findtext("next_batch")
        assert key == "compute064||"
        second = get_xml(f"http://{ctl}:18083/Snh_BgpNeighborReqIterate?x={urllib.request.quote(key)}")
        names = [n.findtext("peer") for n in second.iter("BgpNeighborResp")]
        assert names == [f"compute{i:03d}" for i in range(64, 70)]
        assert second.findtext("more") == "false" and not second.findtext("next_batch")
    finally:
        for ch in channels:
            ch.stop()
        api.close()


def test_agent_resubscribes_when_its_control_goes_away(run):
    a5, b5, c5 = f"{net(5)}.1", f"{net(5)}.2", f"{net(5)}.3"
    agent_ip, disc_ip = f"{net(5)}.50", f"{net(5)}.200"
    routers = [("u-a", "ctl-a", a5), ("u-b", "ctl-b", b5), ("u-c", "ctl-c", c5)]
    apis = [ApiStub(f"{net(5)}.{101 + i}", routers) for i in range(3)]
    disc = DiscoveryStub(disc_ip)
    try:
        run("contrail_sim.control.daemon", control_conf(a5, "ctl-a", f"{net(5)}.101", disc_ip), "ctl-a")
        b = run("contrail_sim.control.daemon", control_conf(b5, "ctl-b", f"{net(5)}.102", disc_ip), "ctl-b")
        wait_until(lambda: len(disc.published) == 2, what="ctl-a and ctl-b published")
        run("contrail_sim.vrouter.agent", agent_conf(agent_ip, "compute-t2", disc_ip), "agent")
        wait_until(lambda: agent_channels(agent_ip) == {a5: "Established", b5: "Established"}, what="agent on a+b")
        # ctl-b dies; discovery forgets it and offers the new ctl-c instead
        b.send_signal(signal.SIGKILL)
        b.wait(timeout=10)
        del disc.published[f"{b5}:xmpp-server"]
        run("contrail_sim.control.daemon", control_conf(c5, "ctl-c", f"{net(5)}.103", disc_ip), "ctl-c")
        wait_until(lambda: agent_channels(agent_ip) == {a5: "Established", c5: "Established"},
                   what="agent moved from ctl-b to ctl-c")
        assert len(disc.subscribes) >= 2
    finally:
        disc.close()
        for api in apis:
            api.close()


def test_blocked_channel_drops_its_session_and_reconnects_when_unblocked():
    from lab.contrail.sim.control.xmpp_server import XmppServer
    from lab.contrail.sim.vrouter.channel import Channel

    server = XmppServer(f"{net(6)}.1", XMPP_PORT, log=lambda m: None)
    server.start()
    flag = threading.Event()
    ch = Channel("compute-f", f"{net(6)}.2", f"{net(6)}.1", XMPP_PORT, log=lambda m: None, blocked=flag.is_set)
    try:
        ch.start()
        wait_until(lambda: [(p.name, p.state) for p in server.peers()] == [("compute-f", "Established")],
                   what="session up")
        flag.set()  # the lab's agent-refuses fault
        wait_until(lambda: server.peers() == [] and ch.view().state == "Active", what="session dropped")
        assert ch.view().flap_count == 1
        flag.clear()
        wait_until(lambda: ch.view().state == "Established", what="session back")
    finally:
        ch.stop()
        server.stop()
