"""End to end on the HA lab: each cluster's control nodes form a full iBGP mesh and every
agent holds two XMPP sessions (a copy of clusters/lab-ha.yaml on 127.32.0.0/16)."""
from __future__ import annotations

import pytest

from tests.lab.conftest import running_lab
from tests.lab.test_controlplane_lab import agent_channels, neighbors, wait_until

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.fixture(scope="module")
def ha_lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("inv"), "lab-ha.yaml", "cphalab", "127.32") as inv:
        yield inv


def test_each_cluster_is_a_full_ibgp_mesh(ha_lab):
    for cluster in (ha_lab.model.old, ha_lab.model.new):
        for node in cluster.nodes:
            others = {n.name for n in cluster.nodes if n is not node}
            wait_until(lambda: {p for p, (enc, st) in neighbors(node.ip).items()
                                if enc == "BGP" and st == "Established"} == others,
                       timeout=180, what=f"{node.name} Established to {sorted(others)}")


def test_every_agent_has_two_old_control_nodes(ha_lab):
    old_ips = {n.ip for n in ha_lab.model.old.nodes}
    for c in ha_lab.model.computes:
        chans = wait_until(lambda: (lambda ch: ch if len(ch) == 2 and set(ch.values()) == {"Established"} else None)(
            agent_channels(c.ip)), timeout=180, what=f"{c.name} with two Established channels")
        assert set(chans) <= old_ips
