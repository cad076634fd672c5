"""The lab's supervisor init scripts answer `service X ...` as upstart, systemd or an LSB script
does, and checks.service_status judges each answer right (a real supervisord, no lab boot)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from checks.service_status import Init, Outcome, State, parse_action, parse_status
from lab.base_layout import _supervisor_init_script

pytestmark = pytest.mark.skipif(shutil.which("supervisord") is None, reason="needs supervisord")


@pytest.fixture(params=["upstart", "systemd", "sysv"])
def service(request, tmp_path: Path):
    init = request.param
    sock, pid, conf = tmp_path / "s.sock", tmp_path / "s.pid", tmp_path / "s.conf"
    conf.write_text(f"""[unix_http_server]
file={sock}
chmod=0700
[supervisord]
logfile={tmp_path}/s.log
pidfile={pid}
nodaemon=false
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{sock}
""")
    script = tmp_path / "supervisor-test"
    script.write_text(_supervisor_init_script("supervisor-test", str(conf), str(pid), str(sock), init))
    script.chmod(0o755)

    def svc(action: str) -> tuple[int, str, str]:
        p = subprocess.run([str(script), action], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    yield init, svc, pid
    if pid.exists():
        svc("stop")


def test_status_start_stop_as_the_flavour_prints_them(service):
    init, svc, pidfile = service
    st = parse_status(*svc("status"))
    assert st.state is State.stopped and st.init is Init(init)
    rc, out, err = svc("status")
    assert rc == {"upstart": 0, "systemd": 3, "sysv": 3}[init]  # upstart: exit 0 when stopped

    rc, out, err = svc("start")
    assert rc == 0 and parse_action("start", rc, out, err).outcome is Outcome.done
    st = parse_status(*svc("status"))
    assert st.running and st.init is Init(init)
    if init != "sysv":
        assert st.pid == int(pidfile.read_text())

    again = svc("start")
    if init == "upstart":  # start: Job is already running: X (exit 1)
        assert again[0] == 1 and "Job is already running: supervisor-test" in again[2]
    else:
        assert again[0] == 0
    assert parse_action("start", *again).ok

    rc, out, err = svc("restart")
    assert rc == 0 and parse_status(*svc("status")).running

    rc, out, err = svc("stop")
    assert rc == 0 and not pidfile.exists()
    assert parse_status(*svc("status")).state is State.stopped
    again = svc("stop")
    if init == "upstart":  # stop: Unknown instance: (exit 1)
        assert again[0] == 1 and again[2].startswith("stop: Unknown instance:")
    else:
        assert again[0] == 0
    assert parse_action("stop", *again).outcome in (Outcome.already, Outcome.done)

    # restart of a stopped service starts it on every init
    assert svc("restart")[0] == 0 and parse_status(*svc("status")).running


@pytest.mark.parametrize("service", ["upstart"], indirect=True)
def test_upstart_text_is_exact(service):
    init, svc, pidfile = service
    assert svc("status") == (0, "supervisor-test stop/waiting\n", "")
    rc, out, _ = svc("start")
    assert out == f"supervisor-test start/running, process {int(pidfile.read_text())}\n"
    assert svc("stop") == (0, "supervisor-test stop/waiting\n", "")


def test_a_stale_pid_file_is_not_running(service):
    init, svc, pidfile = service
    pidfile.write_text("999999\n")  # no such process
    st = parse_status(*svc("status"))
    assert not st.running
    assert st.state is {"upstart": State.stopped, "systemd": State.failed, "sysv": State.failed}[init]
