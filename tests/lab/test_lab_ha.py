"""End to end: clusters/lab-ha.yaml boots (a copy on 127.53.0.0/16) and each cluster of three
controllers is what an HA Contrail 3.2 cluster looks like, read over SSH with checks/:
a full iBGP mesh per cluster (and no peering across the clusters before the ISSU), exactly
one active schema/svc-monitor/device-manager per cluster, every agent on two old controls."""
from __future__ import annotations

import pytest

from checks import verdicts
from lab import boot
from tests.lab.conftest import lab_inventory
from tests.lab.test_manual_issu import SINGLETONS, Lab, bgp_peers, eventually, status, xmpp_sessions

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.fixture(scope="module")
def ha_lab(tmp_path_factory):
    inv = lab_inventory(tmp_path_factory.mktemp("inv"), "lab-ha.yaml", "labha", "127.53")
    lab = Lab(inv)
    try:
        boot.down(inv)  # a previous crashed run
        assert boot.up(inv, timeout=300, log=lambda m: None) is True
        yield lab
    finally:
        lab.close()
        boot.down(inv)


def test_each_cluster_is_a_full_ibgp_mesh(ha_lab):
    m = ha_lab.inv.model
    for cluster, other in ((m.old, m.new), (m.new, m.old)):
        for node in cluster.nodes:
            mesh = [n.ip for n in cluster.nodes if n is not node]
            eventually(lambda: verdicts.bgp_established(bgp_peers(ha_lab, node.name), node.name, mesh),
                       f"{node.name}: iBGP Established to {mesh}", timeout=120)
            bgp = {p.address for p in bgp_peers(ha_lab, node.name) if p.encoding == "BGP"}
            assert bgp == set(mesh), f"{node.name} peers with {sorted(bgp)}"
            assert not bgp & {n.ip for n in other.nodes}


def test_one_active_singleton_per_cluster(ha_lab):
    m = ha_lab.inv.model
    for cluster in (m.old, m.new):
        names = [n.name for n in cluster.nodes]
        eventually(lambda: verdicts.exactly_one_active({n: status(ha_lab, n) for n in names}, SINGLETONS),
                   f"one active {SINGLETONS} among {names}", timeout=120)
        for n in names:
            eventually(lambda: verdicts.status_healthy(status(ha_lab, n), n), f"{n} healthy", timeout=120)


def test_every_agent_holds_two_old_controls(ha_lab):
    m = ha_lab.inv.model
    old_ips, new_ips = [n.ip for n in m.old.nodes], [n.ip for n in m.new.nodes]

    def two_old(compute: str):
        sessions = xmpp_sessions(ha_lab, compute)
        mine = [s.controller_ip for s in sessions]
        assert len(mine) == 2 and set(mine) <= set(old_ips), mine
        return verdicts.agent_on_controls(sessions, compute, mine, new_ips)

    for c in m.computes:
        eventually(lambda: two_old(c.name), f"{c.name} on two old controls", timeout=120)


def test_api_takes_keystone_v3_tokens_only(ha_lab):
    """lab-ha.yaml: keystone v3 (auth_url http://<vip>:5000/v3). contrail-api validates with
    GET /v3/auth/tokens; no token, HTTP Basic or an unknown token -> 401 (keystonemiddleware)."""
    import base64
    import json
    import urllib.error
    import urllib.request

    from lab.contrail.sim.common import keystone_auth

    m = ha_lab.inv.model
    pw = (ha_lab.inv.lab_state_dir / "secrets" / "admin_password").read_text().strip()
    url = m.keystone_url()
    assert url.endswith("/v3")
    tok = keystone_auth.get_token(url, "admin", pw, "admin", "Default", "Default")
    root = keystone_auth.root_of(url)
    # the v3 token is in X-Subject-Token and validates on keystone itself
    assert keystone_auth.validate(url, tok.id, tok.id).roles == ("admin",)
    api = f"http://{m.old.nodes[0].ip}:8082/virtual-networks"

    def get(headers):
        try:
            with urllib.request.urlopen(urllib.request.Request(api, headers=headers), timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    basic = "Basic " + base64.b64encode(f"admin:{pw}".encode()).decode()
    for headers in ({}, {"Authorization": basic}, {"X-Auth-Token": "0123456789abcdef0123456789abcdef"}):
        code, body, h = get(headers)
        assert (code, body) == (401, "Authentication required")
        assert h["WWW-Authenticate"] == f"Keystone uri='{root}'"
    code, body, _ = get({"X-Auth-Token": tok.id})
    assert code == 200 and "virtual-networks" in json.loads(body)
