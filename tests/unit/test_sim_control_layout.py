"""The control-plane provider: what it writes on controllers and computes of clusters/lab.yaml."""
import configparser
from pathlib import Path

from issu.inventory import load
from lab.contrail.controlplane import layout
from lab.nodefiles import NodeContext

ROOT = Path(__file__).resolve().parents[2]


def ctx(name: str) -> NodeContext:
    inv = load(ROOT / "clusters" / "lab.yaml").model
    node = inv.node(name)
    kind = inv.kind_of(node)
    if kind in ("old", "new"):
        cluster = inv.old if kind == "old" else inv.new
        sups = tuple(r.value for r in node.roles)
    elif kind == "compute":
        cluster, sups = inv.old, ("vrouter",)
    else:
        cluster, sups = None, ()
    return NodeContext(inv, node, kind, sups, cluster)


def files(name: str) -> dict[str, str]:
    return {f.path: f.content for f in layout.provide(ctx(name))}


def ini(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.read_string(text)
    return cp


def test_compute_points_at_the_old_discovery_and_has_the_real_agent_ini():
    f = files("compute2")
    agent = ini(f["/etc/contrail/contrail-vrouter-agent.conf"])
    assert agent.get("DISCOVERY", "server") == "127.18.0.21"
    assert agent.get("DISCOVERY", "port") == "5998"
    assert agent.get("VIRTUAL-HOST-INTERFACE", "ip") == "127.18.2.2/24"
    assert not agent.has_option("CONTROL-NODE", "server")
    prog = ini(f["/etc/contrail/supervisord_vrouter_files/contrail-vrouter-agent.ini"])["program:contrail-vrouter-agent"]
    assert (prog["command"], prog["priority"], prog["autostart"], prog["killasgroup"], prog["stopsignal"]) == \
        ("/usr/bin/contrail-vrouter-agent", "420", "true", "true", "KILL")
    assert "startsecs" in prog
    nodemgr = ini(f["/etc/contrail/contrail-vrouter-nodemgr.conf"])
    assert nodemgr.get("DISCOVERY", "server") == "127.18.0.21"
    assert nodemgr.get("COLLECTOR", "server_list") == "127.18.0.21:8086"
    # the agent binary belongs to the contrail-vrouter-agent package, not to this provider
    assert "/usr/bin/contrail-vrouter-agent" not in f
    assert "/usr/bin/contrail-status" in f
    assert list(layout.ports(ctx("compute2"))) == [8085, 8102]


def test_new_control_node_uses_its_own_cluster():
    f = files("ctl-new-1")
    conf = ini(f["/etc/contrail/contrail-control.conf"])
    assert conf.get("DEFAULT", "hostip") == "127.18.1.21"
    assert conf.get("DEFAULT", "hostname") == "ctl-new-1"
    assert conf.get("DISCOVERY", "server") == "127.18.1.21"
    assert conf.get("IFMAP", "server_url") == "https://127.18.1.21:8443"
    progs = {p for path, text in f.items() if path.startswith("/etc/contrail/supervisord_control_files/")
             for p in ini(text).sections()}
    assert progs == {"program:contrail-control", "program:contrail-control-nodemgr",
                     "program:contrail-dns", "program:contrail-named"}
    first_boot = ini(f["/etc/supervisor/conf.d/contrail-lab-provision-control.conf"])
    assert "--router_asn 64512" in first_boot["program:contrail-lab-provision-control"]["command"]
    assert 179 in layout.ports(ctx("ctl-new-1")) and 5269 in layout.ports(ctx("ctl-new-1"))


def test_wrappers_run_contrail_sim_entry_points():
    f = files("ctl-old-1")
    assert f["/usr/bin/contrail-control"] == "#!/usr/bin/python3\nfrom contrail_sim.control.daemon import main\nmain()\n"
    assert f["/usr/bin/contrail-status"].endswith("from contrail_sim.status import main\nmain()\n")


def test_openstack_node_only_gets_contrail_status():
    assert set(files("openstack1")) == {"/usr/bin/contrail-status"}
    assert list(layout.ports(ctx("openstack1"))) == []


def test_boot_commands_enable_each_supervisor_at_boot():
    cmds = list(layout.boot_commands(ctx("ctl-old-1")))
    assert any("S20supervisor-control" in c for c in cmds)
    assert any("S20supervisor-config" in c for c in cmds)
