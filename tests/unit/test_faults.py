"""The fault registry and its record, with a fake in-node runner (no lab needed)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from issu.inventory import load
from lab import faults

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inv():
    return load(ROOT / "clusters/lab.yaml").model


class FakeRunner:
    """Records every in-node command; answers with a fixed exit code."""

    def __init__(self, rc: int = 0, stderr: str = ""):
        self.calls: list[tuple[str, list[str]]] = []
        self.rc, self.stderr = rc, stderr

    def __call__(self, lab_dir, node, argv, *, timeout=60, input=None):
        self.calls.append((node, argv))
        return subprocess.CompletedProcess(argv, self.rc, "", self.stderr)


def test_registry_has_the_required_kinds():
    assert {"node-down", "control-stopped", "agent-refuses", "package-install-fails",
            "run-sync-dies"} <= set(faults.FAULTS)
    for kind, fault in faults.FAULTS.items():
        assert fault.kind == kind and fault.description


def test_unknown_kind_lists_the_valid_ones(tmp_path, inv):
    with pytest.raises(faults.FaultError) as err:
        faults.apply_fault(tmp_path, inv, "compute1", "meteor-strike", runner=FakeRunner())
    assert "meteor-strike" in str(err.value)
    for kind in faults.FAULTS:
        assert kind in str(err.value)
    assert not (tmp_path / faults.FAULTS_FILE).exists()


def test_unknown_node_lists_the_valid_ones(tmp_path, inv):
    with pytest.raises(faults.FaultError) as err:
        faults.apply_fault(tmp_path, inv, "compute9", "agent-refuses", runner=FakeRunner())
    for node in inv.all_nodes():
        assert node.name in str(err.value)


@pytest.mark.parametrize("node,kind", [
    ("ctl-old-1", "agent-refuses"),
    ("compute1", "control-stopped"),
    ("openstack1", "run-sync-dies"),
])
def test_fault_on_the_wrong_kind_of_node_is_refused(tmp_path, inv, node, kind):
    runner = FakeRunner()
    with pytest.raises(faults.FaultError, match=f"{kind} applies to"):
        faults.apply_fault(tmp_path, inv, node, kind, runner=runner)
    assert runner.calls == []


def test_apply_records_and_clear_forgets(tmp_path, inv):
    runner = FakeRunner()
    rec = faults.apply_fault(tmp_path, inv, "compute1", "agent-refuses", runner=runner)
    assert (rec.node, rec.kind) == ("compute1", "agent-refuses")
    assert runner.calls and runner.calls[0][0] == "compute1"
    assert faults.FLAG_DIR + "/agent-refuses" in " ".join(runner.calls[0][1])
    data = json.loads((tmp_path / faults.FAULTS_FILE).read_text())
    assert data["faults"][0]["node"] == "compute1" and data["faults"][0]["kind"] == "agent-refuses"
    assert faults.active_faults(tmp_path) == [rec]
    assert faults.clear_fault(tmp_path, inv, "compute1", "agent-refuses", runner=runner) == ["agent-refuses"]
    assert faults.active_faults(tmp_path) == []


def test_reapplying_does_not_duplicate(tmp_path, inv):
    runner = FakeRunner()
    faults.apply_fault(tmp_path, inv, "compute1", "package-install-fails", runner=runner)
    faults.apply_fault(tmp_path, inv, "compute1", "package-install-fails", runner=runner)
    assert len(faults.active_faults(tmp_path)) == 1
    assert len(runner.calls) == 2


def test_clear_without_kind_clears_every_fault_of_that_node_only(tmp_path, inv):
    runner = FakeRunner()
    faults.apply_fault(tmp_path, inv, "compute1", "agent-refuses", runner=runner)
    faults.apply_fault(tmp_path, inv, "compute1", "package-install-fails", runner=runner)
    faults.apply_fault(tmp_path, inv, "compute2", "agent-refuses", runner=runner)
    cleared = faults.clear_fault(tmp_path, inv, "compute1", runner=runner)
    assert sorted(cleared) == ["agent-refuses", "package-install-fails"]
    assert [(r.node, r.kind) for r in faults.active_faults(tmp_path)] == [("compute2", "agent-refuses")]


def test_a_failing_action_raises_and_records_nothing(tmp_path, inv):
    runner = FakeRunner(rc=1, stderr="supervisor-control: unrecognized service\n")
    with pytest.raises(faults.FaultError, match="unrecognized service"):
        faults.apply_fault(tmp_path, inv, "ctl-new-1", "control-stopped", runner=runner)
    assert faults.active_faults(tmp_path) == []


def test_record_file_is_written_atomically(tmp_path, inv):
    faults.apply_fault(tmp_path, inv, "compute3", "agent-refuses", runner=FakeRunner())
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_round_trip_of_records(tmp_path):
    recs = [faults.FaultRecord("compute2", "node-down", "2026-01-01T00:00:00Z", None),
            faults.FaultRecord("ctl-old-1", "control-stopped", "2026-01-01T00:00:01Z", None)]
    faults.write_records(tmp_path, recs)
    assert faults.read_records(tmp_path) == recs
    assert str(recs[0]) == "compute2 node-down (since 2026-01-01T00:00:00Z)"


def test_unreadable_record_is_reported_not_trusted(tmp_path):
    (tmp_path / faults.FAULTS_FILE).write_text("{not json")
    with pytest.raises(faults.FaultError, match="unreadable"):
        faults.active_faults(tmp_path)
    (tmp_path / faults.FAULTS_FILE).write_text('{"other": 1}')
    with pytest.raises(faults.FaultError, match="not a fault record"):
        faults.read_records(tmp_path)


def test_record_of_another_node_incarnation_is_stale(tmp_path):
    faults.write_records(tmp_path, [faults.FaultRecord("compute1", "node-down", "t", "pid:[1]")])
    # compute1 has no init.pid here: not running, so the fault is not active any more
    assert faults.active_faults(tmp_path) == []
    assert len(faults.read_records(tmp_path)) == 1


def test_clear_all_forgets_everything(tmp_path, inv):
    runner = FakeRunner()
    faults.apply_fault(tmp_path, inv, "compute1", "agent-refuses", runner=runner)
    cleared = faults.clear_all_faults(tmp_path, inv, runner=runner)
    assert [r.kind for r in cleared] == ["agent-refuses"]
    assert not (tmp_path / faults.FAULTS_FILE).exists()


def test_node_down_on_a_node_that_is_not_running(tmp_path, inv):
    with pytest.raises(faults.FaultError, match="not running"):
        faults.apply_fault(tmp_path, inv, "compute1", "node-down", runner=FakeRunner())


def test_custom_registry_is_honoured(tmp_path, inv):
    seen = []
    custom = {"slow-node": faults.Fault("slow-node", "test", lambda t, n: seen.append(("on", n.name)),
                                        lambda t, n: seen.append(("off", n.name)))}
    faults.apply_fault(tmp_path, inv, "compute2", "slow-node", runner=FakeRunner(), registry=custom)
    faults.clear_fault(tmp_path, inv, "compute2", runner=FakeRunner(), registry=custom)
    assert seen == [("on", "compute2"), ("off", "compute2")]


def test_apt_fault_conf_is_valid_apt_configuration(tmp_path):
    conf = tmp_path / "00lab-fault"
    conf.write_text(faults.APT_FAULT_CONF)
    out = subprocess.run(["apt-config", "-c", str(conf), "dump"], capture_output=True, text=True,
                         check=True).stdout
    assert "DPkg::Pre-Invoke:: \"echo 'lab fault: package install fails' >&2; exit 1\";" in out


# run-sync-dies swaps the executable found on PATH: run its scripts for real on the host,
# with PATH pointing at a scratch bin directory (the supervisorctl part is skipped: no
# contrail-issu program is configured on the host).

def _host_runner(bin_dir: Path):
    def run(lab_dir, node, argv, *, timeout=60, input=None):
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    return run


@pytest.mark.skipif(os.path.exists(faults.ISSU_PROGRAM_CONF), reason="host runs a contrail-issu program")
def test_run_sync_dies_breaks_and_restores_the_executable(tmp_path, inv):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / faults.RUN_SYNC
    tool.write_text("#!/bin/sh\necho syncing\n")
    tool.chmod(0o755)
    runner = _host_runner(bin_dir)
    lab = tmp_path / "lab"
    faults.apply_fault(lab, inv, "ctl-new-1", "run-sync-dies", runner=runner)
    broken = subprocess.run([str(tool)], capture_output=True, text=True)
    assert broken.returncode == 1 and "run-sync-dies" in broken.stderr
    faults.apply_fault(lab, inv, "ctl-new-1", "run-sync-dies", runner=runner)  # idempotent
    faults.clear_fault(lab, inv, "ctl-new-1", "run-sync-dies", runner=runner)
    fixed = subprocess.run([str(tool)], capture_output=True, text=True)
    assert fixed.returncode == 0 and fixed.stdout == "syncing\n"
    assert sorted(p.name for p in bin_dir.iterdir()) == [faults.RUN_SYNC]


def test_run_sync_dies_needs_the_tool(tmp_path, inv):
    (tmp_path / "bin").mkdir()
    with pytest.raises(faults.FaultError, match="not installed"):
        faults.apply_fault(tmp_path / "lab", inv, "ctl-new-1", "run-sync-dies",
                           runner=_host_runner(tmp_path / "bin"))


def test_a_stale_init_pid_naming_another_process_is_not_the_node(tmp_path, inv):
    # init.pid left behind, its pid now reused by an unrelated process (here: pytest itself)
    pid_file = tmp_path / "nodes/compute1/init.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{os.getpid()}\n")
    assert faults.node_incarnation(tmp_path, "compute1") is None
    with pytest.raises(faults.FaultError, match="not running"):
        faults.apply_fault(tmp_path, inv, "compute1", "node-down", runner=FakeRunner())


def test_in_node_faults_are_refused_on_a_frozen_node(tmp_path, inv, monkeypatch):
    monkeypatch.setattr(faults, "node_incarnation", lambda lab_dir, node: "pid:[42]")
    faults.write_records(tmp_path, [faults.FaultRecord("compute1", "node-down", "t", "pid:[42]")])
    runner = FakeRunner()
    with pytest.raises(faults.FaultError, match="frozen by node-down"):
        faults.apply_fault(tmp_path, inv, "compute1", "agent-refuses", runner=runner)
    with pytest.raises(faults.FaultError, match="frozen by node-down"):
        faults.clear_fault(tmp_path, inv, "compute1", "agent-refuses", runner=runner)
    assert runner.calls == []
    # another node is not affected
    faults.apply_fault(tmp_path, inv, "compute2", "agent-refuses", runner=runner)
    assert len(runner.calls) == 1
