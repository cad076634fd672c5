"""The inventory schema: the shipped files load; each kind of bad input fails with a
located, one-line message and never echoes a secret."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from issu.inventory import InventoryError, load, parse

ROOT = Path(__file__).resolve().parents[2]
LAB = yaml.safe_load((ROOT / "clusters/lab.yaml").read_text())
WHERE = Path("clusters/x.yaml")


def bad(mutate) -> str:
    data = copy.deepcopy(LAB)
    mutate(data)
    with pytest.raises(InventoryError) as exc:
        parse(yaml.safe_dump(data), WHERE)
    return str(exc.value)


@pytest.mark.parametrize("name, nodes", [("lab.yaml", 6), ("lab-ha.yaml", 13), ("example-prod.yaml", 10)])
def test_shipped_inventories_load(name, nodes):
    inv = load(ROOT / "clusters" / name)
    assert len(inv.model.all_nodes()) == nodes


def test_lab_inventory_shape():
    inv = load(ROOT / "clusters/lab.yaml")
    m = inv.model
    assert [n.name for n in m.old.nodes] == ["ctl-old-1"]
    assert [n.name for n in m.new.nodes] == ["ctl-new-1"]
    assert [c.name for c in m.computes] == ["compute1", "compute2", "compute3"]
    assert m.old.cluster_id != m.new.cluster_id
    assert inv.lab_state_dir == Path("/var/lib/issu-lab/lab")
    assert inv.known_hosts == Path("/var/lib/issu-lab/lab/ssh/known_hosts")
    assert {k: [c.name for c in v] for k, v in m.compute_groups().items()} == {
        "canary": ["compute1"], "batch1": ["compute2", "compute3"]}


def test_ha_lab_has_three_plus_three_controllers_and_six_computes():
    m = load(ROOT / "clusters/lab-ha.yaml").model
    assert (len(m.old.nodes), len(m.new.nodes), len(m.computes)) == (3, 3, 6)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["computes"][2].update(ip="10.0.0.999"),
     "computes[2].ip: '10.0.0.999' is not an IP address"),
    (lambda d: d.pop("new"), "new: is required"),
    (lambda d: d["computes"][1].update(name="compute1"), "computes[1].name: 'compute1' is also computes[0]"),
    (lambda d: d["computes"][1].update(ip="127.18.2.1"),
     "computes[1].ip: 127.18.2.1 is also the address of computes[0]"),
    (lambda d: d["new"].update(cluster_id=""),
     "new.cluster_id: '' equals old.cluster_id; the two config databases must be logically separated"),
    (lambda d: d["computes"][0].update(ip="192.0.2.5"),
     "computes[0].ip: 192.0.2.5 is outside 127.0.0.0/8; a lab inventory may only use loopback"),
    (lambda d: d["lab"].update(network="192.0.2.0/24"),
     "lab.network: 192.0.2.0/24 is outside 127.0.0.0/8; the lab only uses loopback"),
    (lambda d: d["rabbitmq"].update(hosts=["127.18.0.21"]),
     "rabbitmq.hosts[0]: 127.18.0.21 is the controller old.nodes[0]; "
     "OpenStack RabbitMQ must not run on a Contrail controller"),
    (lambda d: d["computes"][0].update(gruop="x"), "computes[0].gruop: is not a known key"),
    (lambda d: d["old"]["nodes"][0].update(roles=["config", "contorl"]),
     "old.nodes[0].roles[1]: Input should be 'config', 'control', 'analytics', 'database' or 'webui'"),
    (lambda d: d.update(computes=[]), "computes: must not be empty"),
    (lambda d: d["new"].update(cluster_id="issu-new"),
     "new.cluster_id: 'issu-new' may only hold letters, digits and '_' (at most 40)"),
    (lambda d: d["new"]["nodes"][0].update(roles=["config"]), "new: no node has the control role"),
    (lambda d: d["ssh"].pop("key"), "ssh: needs a key or a password reference"),
    (lambda d: d.pop("lab"), "keystone.admin_password: a {lab: ...} secret needs a lab: block"),
    (lambda d: d["computes"][0].update(name="compute_1"),
     "computes[0].name: 'compute_1' is not a valid host name (letters, digits, '-')"),
], ids=["bad-ip", "missing-section", "dup-name", "dup-ip", "same-cluster-id", "lab-non-loopback",
        "lab-network-public", "rabbit-on-controller", "typo-key", "unknown-role", "no-computes",
        "dash-in-prefix", "no-control-node", "no-ssh-credential", "lab-secret-outside-lab", "bad-hostname"])
def test_bad_inventory_is_located_and_explained(mutate, message):
    assert bad(mutate) == f"{WHERE}: {message}"


def test_inline_secret_is_refused_without_being_echoed():
    msg = bad(lambda d: d["keystone"].update(admin_password="Sup3rSecret!"))
    assert msg == (f"{WHERE}: keystone.admin_password: a secret must be a reference "
                   "({env: NAME}, {file: PATH} or {lab: NAME}), never the value itself")
    assert "Sup3rSecret" not in msg


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(InventoryError, match=r"nope\.yaml: no such inventory file$"):
        load(tmp_path / "nope.yaml")
    f = tmp_path / "broken.yaml"
    f.write_text("name: [lab\n")
    with pytest.raises(InventoryError, match=r"broken\.yaml: line 2: not valid YAML"):
        load(f)
    f.write_text("- a\n- b\n")
    with pytest.raises(InventoryError, match=r"broken\.yaml: the inventory must be a YAML mapping$"):
        load(f)


def test_secret_references_resolve_late_and_hide_their_value(tmp_path, monkeypatch):
    data = copy.deepcopy(LAB)
    data.pop("lab")
    data["ssh"]["key"] = {"file": "id_test"}
    data["keystone"]["admin_password"] = {"env": "ISSU_TEST_ADMIN_PW"}
    data["rabbitmq"]["password"] = {"file": "rabbit"}
    data["run_sync"]["ssh_password"] = {"env": "ISSU_TEST_NEW_ROOT_PW"}
    monkeypatch.setenv("ISSU_TEST_NEW_ROOT_PW", "n3w-r00t-pw")
    (tmp_path / "rabbit").write_text("rabbit-pw\n")
    f = tmp_path / "site.yaml"
    f.write_text(yaml.safe_dump(data))
    inv = load(f)
    secret = inv.secret(inv.model.keystone.admin_password)
    monkeypatch.delenv("ISSU_TEST_ADMIN_PW", raising=False)
    with pytest.raises(InventoryError, match="env:ISSU_TEST_ADMIN_PW: environment variable is not set"):
        secret.resolve()
    monkeypatch.setenv("ISSU_TEST_ADMIN_PW", "adm1n-pw")
    assert secret.resolve() == "adm1n-pw"
    assert "adm1n-pw" not in repr(secret) and "adm1n-pw" not in str(secret)
    assert inv.secret(inv.model.rabbitmq.password).resolve() == "rabbit-pw"
    assert sorted(inv.secret_values()) == ["adm1n-pw", "n3w-r00t-pw", "rabbit-pw"]  # the key file is absent: skipped
