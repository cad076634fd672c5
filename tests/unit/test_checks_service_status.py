"""`service X status|start|stop` judged by what it prints, for upstart, systemd and LSB scripts.

Every sample's shape comes from a public source (docs/fidelity/service-state.md):
- upstart: ubports/upstart (xenial) util/initctl.c job_status() ("%s %s/%s", ", process %d",
  " stop/waiting"), start_action/stop_action (errors via nih_error "<prog>: <msg>", exit 1),
  init/job_class.c ("Job is already running: %s", "Unknown instance: %s", "Job has already been
  stopped: %s"); aws/amazon-ecs-init#93 (`status` exits 0 with stop/waiting on 14.04).
- systemd: redhat-plumbers/systemd-rhel7 src/systemctl/systemctl.c print_status_info
  ("   Active: %s (%s)", " (Result: %s)") and its LSB status exit-code enum (0/1/2/3/4).
- LSB/sysv: systemctl.c's enum quoting LSB Core "Init Script Actions"; Debian sysvinit-utils
  /lib/lsb/init-functions status_of_proc ("%s is running" / "%s is not running"); Contrail
  contrail-packages R3.2 rpm/contrail/supervisor-config.initd (`status -p $PID_FILE supervisord`,
  RHEL /etc/init.d/functions "(pid N) is running..." / "is stopped" / "dead but pid file exists").
"""
import pytest

from checks.service_status import Init, Outcome, State, parse_action, parse_status

# -- upstart (Ubuntu 14.04) ---------------------------------------------------

UPSTART_RUNNING = "supervisor-config start/running, process 2411\n"
UPSTART_STOPPED = "supervisor-config stop/waiting\n"
UPSTART_STARTING = "supervisor-config start/pre-start, process 8101\n"
UPSTART_STOPPING = "supervisor-config stop/pre-stop, process 2411\n\tmain process 2390\n"
UPSTART_KILLED = "supervisor-config stop/killed, process 2411\n"
UPSTART_INSTANCE = "network-interface (eth0) start/running\n"


@pytest.mark.parametrize("out,state,pid", [
    (UPSTART_RUNNING, State.running, 2411),
    (UPSTART_STOPPED, State.stopped, None),
    (UPSTART_STARTING, State.changing, 8101),
    (UPSTART_STOPPING, State.changing, 2411),
    (UPSTART_KILLED, State.changing, 2411),
    (UPSTART_INSTANCE, State.running, None),
])
def test_upstart_status_exits_0_and_the_text_decides(out, state, pid):
    s = parse_status(0, out)
    assert (s.state, s.init, s.pid) == (state, Init.upstart, pid)


def test_upstart_stop_waiting_is_stopped_although_exit_0():
    s = parse_status(0, UPSTART_STOPPED)
    assert s.stopped and not s.running
    assert "stop/waiting" in s.describe()


def test_upstart_unknown_job_is_not_installed():
    s = parse_status(1, "", "status: Unknown job: supervisor-config\n")
    assert s.state is State.not_installed


def test_upstart_start_of_a_running_job_is_already():
    r = parse_action("start", 1, "", "start: Job is already running: supervisor-config\n")
    assert r.outcome is Outcome.already and r.ok


@pytest.mark.parametrize("err", ["stop: Unknown instance: \n", "stop: Job has already been stopped: supervisor-config\n"])
def test_upstart_stop_of_a_stopped_job_is_already(err):
    r = parse_action("stop", 1, "", err)
    assert r.outcome is Outcome.already and r.ok


def test_upstart_start_prints_the_new_status():
    assert parse_action("start", 0, UPSTART_RUNNING).outcome is Outcome.done


def test_a_failed_start_is_failed_with_what_it_said():
    r = parse_action("start", 1, "", "start: Job failed to start\n")
    assert not r.ok and "Job failed to start" in r.evidence
    # "already running" answers a start only: a stop that says it is a failure
    assert not parse_action("stop", 1, "", "start: Job is already running: x\n").ok


# -- systemd (Ubuntu 16.04 / CentOS 7) ---------------------------------------

SYSTEMD_RUNNING = """\u25cf supervisor-control.service - Supervisor for contrail control service
   Loaded: loaded (/lib/systemd/system/supervisor-control.service; enabled; vendor preset: enabled)
   Active: active (running) since Thu 2026-12-03 12:00:01 UTC; 5min ago
 Main PID: 3120 (supervisord)
   CGroup: /system.slice/supervisor-control.service
           \u2514\u25003120 /usr/bin/python /usr/bin/supervisord -n -c /etc/contrail/supervisord_control.conf
"""
SYSTEMD_INACTIVE = """\u25cf supervisor-control.service - Supervisor for contrail control service
   Loaded: loaded (/lib/systemd/system/supervisor-control.service; enabled; vendor preset: enabled)
   Active: inactive (dead) since Thu 2026-12-03 12:05:01 UTC; 2s ago
  Process: 3120 ExecStart=/usr/bin/supervisord -n -c /etc/contrail/supervisord_control.conf (code=exited, status=0/SUCCESS)
 Main PID: 3120 (code=exited, status=0/SUCCESS)
"""
SYSTEMD_FAILED = """\u25cf supervisor-control.service - Supervisor for contrail control service
   Loaded: loaded (/lib/systemd/system/supervisor-control.service; enabled; vendor preset: enabled)
   Active: failed (Result: exit-code) since Thu 2026-12-03 12:05:01 UTC; 2s ago
"""
SYSTEMD_NOT_FOUND = """\u25cf supervisor-foo.service
   Loaded: not-found (Reason: No such file or directory)
   Active: inactive (dead)
"""
SYSTEMD_ACTIVATING = "   Loaded: loaded (/x.service)\n   Active: activating (start) since Thu 2026-12-03 12:05:01 UTC\n"


@pytest.mark.parametrize("rc,out,state", [
    (0, SYSTEMD_RUNNING, State.running),
    (3, SYSTEMD_INACTIVE, State.stopped),
    (3, SYSTEMD_FAILED, State.failed),
    (3, SYSTEMD_NOT_FOUND, State.not_installed),
    (3, SYSTEMD_ACTIVATING, State.changing),
])
def test_systemd_status(rc, out, state):
    s = parse_status(rc, out)
    assert (s.state, s.init) == (state, Init.systemd)


def test_systemd_main_pid_and_evidence():
    s = parse_status(0, SYSTEMD_RUNNING)
    assert s.pid == 3120 and s.evidence.startswith("Active: active (running)")


def test_systemd_text_and_exit_code_that_disagree_are_unknown():
    assert parse_status(0, SYSTEMD_INACTIVE).state is State.unknown
    assert parse_status(3, SYSTEMD_RUNNING).state is State.unknown


def test_systemd_active_exited_is_not_a_running_daemon():
    out = "   Loaded: loaded (/etc/init.d/x; bad)\n   Active: active (exited) since Thu 2026-12-03\n"
    assert parse_status(0, out).state is State.unknown


def test_systemd_unit_not_found_message():
    assert parse_status(4, "", "Unit supervisor-foo.service could not be found.\n").state is State.not_installed


# -- sysv / LSB init scripts -------------------------------------------------

@pytest.mark.parametrize("rc,out,state", [
    (0, "supervisord config is running\n", State.running),            # Debian status_of_proc
    (3, "supervisord config is not running\n", State.stopped),
    (1, "supervisord config is not running\n", State.failed),          # pidofproc 1: stale pid file
    (0, "supervisord (pid  2411) is running...\n", State.running),    # RHEL functions status()
    (3, "supervisord is stopped\n", State.stopped),
    (1, "supervisord dead but pid file exists\n", State.failed),
    (2, "supervisord dead but subsys locked\n", State.failed),
    (4, "could not access PID file for supervisord config\n", State.unknown),
])
def test_lsb_status_codes(rc, out, state):
    s = parse_status(rc, out)
    assert s.state is state
    assert s.init is Init.sysv


def test_lsb_exit_0_that_says_not_running_is_unknown():
    assert parse_status(0, "supervisor-config is not running\n").state is State.unknown


def test_lsb_exit_3_that_says_running_is_unknown():
    assert parse_status(3, "supervisor-config is running\n").state is State.unknown


def test_debian_service_for_a_missing_script():
    s = parse_status(1, "", "supervisor-foo: unrecognized service\n")
    assert s.state is State.not_installed


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_action("frobnicate", 0, "")
