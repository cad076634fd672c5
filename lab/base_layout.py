"""What every lab node has before Contrail: identity, sshd, users, supervisord instances.

A provider (contract in lab/nodefiles.py). The supervisord instances follow the Contrail
3.2 layout: /etc/contrail/supervisord_<R>.conf with its unix socket
/var/run/supervisord_<R>.sock, programs in /etc/contrail/supervisord_<R>_files/*.ini,
driven by `service supervisor-<R> start|stop|restart|status`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from issu.inventory import Inventory
from lab.nodefiles import NodeContext, NodeFile

SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"
LAB_USER = "contrail"


def supervisor_conf_path(instance: str) -> str:
    return f"/etc/contrail/supervisord_{instance}.conf"


def supervisor_socket(instance: str) -> str:
    return f"/var/run/supervisord_{instance}.sock"


def supervisor_files_dir(instance: str) -> str:
    return f"/etc/contrail/supervisord_{instance}_files"


def runs_system_supervisor(ctx: NodeContext) -> bool:
    """Controllers (contrail-issu runs there) and the openstack node (HAProxy) have it."""
    return ctx.kind != "compute"


def _supervisord_conf(instance: str) -> str:
    return f"""; supervisord for the Contrail {instance} services
[unix_http_server]
file={supervisor_socket(instance)}
chmod=0700

[supervisord]
logfile=/var/log/contrail/supervisord-{instance}.log
logfile_maxbytes=10MB
logfile_backups=2
loglevel=info
pidfile=/var/run/supervisord_{instance}.pid
nodaemon=false
minfds=1024
minprocs=200
childlogdir=/var/log/contrail

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{supervisor_socket(instance)}

[include]
files = {supervisor_files_dir(instance)}/*.ini
"""


SYSTEM_SUPERVISOR = ("supervisor", "/etc/supervisor/supervisord.conf", "/var/run/supervisord.pid",
                     "/var/run/supervisor.sock")
# systemd unit descriptions (what `systemctl status` prints after the unit name): contrail-packaging
# R3.2 common/control_files/supervisor-<role>.service, Debian's supervisor.service.
_UNIT_DESCRIPTIONS = {"supervisor": "Supervisor process control system for UNIX"}


def _init_script(instance: str, init: str) -> str:
    return _supervisor_init_script(f"supervisor-{instance}", supervisor_conf_path(instance),
                                   f"/var/run/supervisord_{instance}.pid", supervisor_socket(instance), init,
                                   f"Supervisor for contrail {instance} service")


# What `service NAME <action>` prints and returns on each init (docs/fidelity/service-state.md).
# Debian's /usr/sbin/service runs /etc/init.d/NAME in the lab (no init daemon runs in a node),
# so the script itself answers as the whole chain would on the real system:
#  upstart (Ubuntu 14.04: service -> upstart's status/start/stop, ubports/upstart util/initctl.c):
#    status exit 0, "NAME start/running, process PID" | "NAME stop/waiting";
#    start of a running job: "start: Job is already running: NAME" on stderr, exit 1;
#    stop of a stopped job: "stop: Unknown instance: " on stderr, exit 1;
#    start/stop print the new status; restart = stop (failure ignored) then start.
#  systemd (service -> systemctl, redhat-plumbers/systemd-rhel7 src/systemctl/systemctl.c):
#    start/stop/restart silent, exit 0 also when already in that state;
#    status: unit header, "Loaded:", "Active: active (running) since ..." exit 0,
#    "Active: inactive (dead)" exit 3, "Active: failed (Result: exit-code)" exit 3.
#  sysv (an LSB script using Debian's status_of_proc, /lib/lsb/init-functions):
#    status "supervisord NAME is running" exit 0 | "... is not running" exit 3 (1: stale pid file);
#    start of a running / stop of a stopped service succeeds (exit 0).
_FLAVOUR_FUNCTIONS = {
    "upstart": r"""
say_status() {
    if running; then echo "$NAME start/running, process $(cat "$PIDFILE")"; else echo "$NAME stop/waiting"; fi
    return 0
}
svc_start() {
    if running; then echo "start: Job is already running: $NAME" >&2; return 1; fi
    do_start || { echo "start: Job failed to start" >&2; return 1; }
    say_status
}
svc_stop() {
    if ! running; then rm -f "$PIDFILE"; echo "stop: Unknown instance: " >&2; return 1; fi
    do_stop
    say_status
}
svc_restart() { svc_stop || :; svc_start; }
""",
    "systemd": r"""
UNIT="$NAME.service"
say_status() {
    if running; then
        pid=$(cat "$PIDFILE")
        printf '%s %s - %s
' "*" "$UNIT" "$DESCRIPTION"
        printf '   Loaded: loaded (/lib/systemd/system/%s; enabled; vendor preset: enabled)
' "$UNIT"
        printf '   Active: active (running) since %s
' "$(date -d "@$(stat -c %Y "$PIDFILE")" '+%a %Y-%m-%d %H:%M:%S %Z')"
        printf ' Main PID: %s (supervisord)
' "$pid"
        return 0
    fi
    printf '%s %s - %s
' "*" "$UNIT" "$DESCRIPTION"
    printf '   Loaded: loaded (/lib/systemd/system/%s; enabled; vendor preset: enabled)
' "$UNIT"
    if [ -s "$PIDFILE" ]; then
        printf '   Active: failed (Result: exit-code) since %s
' "$(date '+%a %Y-%m-%d %H:%M:%S %Z')"
    else
        printf '   Active: inactive (dead)
'
    fi
    return 3
}
svc_start() {
    running && return 0
    do_start >/dev/null || { echo "Job for $UNIT failed. See "systemctl status $UNIT" and "journalctl -xe" for details." >&2; return 1; }
}
svc_stop() { running || { rm -f "$PIDFILE"; return 0; }; do_stop >/dev/null; }
svc_restart() { svc_stop; svc_start; }
""",
    "sysv": r"""
say_status() {
    if running; then echo "supervisord $NAME is running"; return 0; fi
    echo "supervisord $NAME is not running"
    if [ -s "$PIDFILE" ]; then return 1; fi
    return 3
}
svc_start() {
    echo "Starting $NAME: supervisord"
    running && return 0
    do_start >/dev/null
}
svc_stop() {
    echo "Stopping $NAME: supervisord"
    running || { rm -f "$PIDFILE"; return 0; }
    do_stop >/dev/null
}
svc_restart() { svc_stop; svc_start; }
""",
}


def _supervisor_init_script(name: str, conf: str, pidfile: str, sock: str, init: str = "upstart",
                            description: str | None = None) -> str:
    """/etc/init.d/<name> for one supervisord, answering like `service <name> ...` on `init`.

    Its stop waits until supervisord has exited, so `restart` works (Debian's own script
    returns from stop at once and the start that follows finds the old supervisord still
    shutting down, leaving none running)."""
    if init not in _FLAVOUR_FUNCTIONS:
        raise ValueError(f"unknown init flavour {init!r}")
    description = description or _UNIT_DESCRIPTIONS.get(name, f"supervisord ({conf})")
    return f"""#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:    $local_fs $network
# Required-Stop:     $local_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: supervisord ({conf})
### END INIT INFO
# Answers as `service {name} ...` does on {init} (lab init flavour).
NAME={name}
CONF={conf}
PIDFILE={pidfile}
SOCK={sock}
DESCRIPTION="{description}"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

alive() {{  # a zombie (exited, not yet reaped) counts as stopped
    [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}}

running() {{
    [ -s "$PIDFILE" ] && alive "$(cat "$PIDFILE")"
}}

wait_for() {{  # wait_for <seconds> <shell test>
    n=$(( $1 * 10 )); shift
    while [ $n -gt 0 ]; do eval "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}}

do_start() {{
    mkdir -p /var/log/contrail
    rm -f "$SOCK"
    # supervisor-vrouter's job runs vrouter-pre-start.sh first, which loads the vrouter
    # module when none is (contrail-packages R3.2 contrail-vrouter-agent.supervisor-vrouter.upstart).
    [ "$NAME" != supervisor-vrouter ] || [ ! -x /opt/contrail/bin/vrouter-pre-start.sh ] || \
        /opt/contrail/bin/vrouter-pre-start.sh || return 1
    {SUPERVISORD} -c "$CONF" || return 1
    if wait_for 15 '[ -S "$SOCK" ] && running'; then return 0; fi
    echo "$NAME: socket $SOCK did not appear" >&2
    return 1
}}

do_stop() {{
    pid=$(cat "$PIDFILE")
    {SUPERVISORCTL} -c "$CONF" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
    if ! wait_for 30 '! alive $pid'; then
        echo "$NAME: did not stop in 30 s, killing" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$PIDFILE" "$SOCK"
}}
{_FLAVOUR_FUNCTIONS[init]}
case "$1" in
    start) svc_start ;;
    stop) svc_stop ;;
    restart|force-reload) svc_restart ;;
    status) say_status ;;
    *) echo "Usage: service $NAME {{start|stop|restart|status}}" >&2; exit 2 ;;
esac
"""


def init_flavour(inventory: Inventory) -> str:
    """The lab's init (inventory lab.init), upstart when the inventory has no lab section."""
    return inventory.lab.init if inventory.lab is not None else "upstart"


def _sshd_config(ctx: NodeContext) -> str:
    port = ctx.node.ssh_port or ctx.inventory.ssh.port
    return f"""# lab node {ctx.node.name}: sshd on its own loopback address only
ListenAddress {ctx.node.ip}:{port}
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
UsePAM no
# Root may log in with its password: contrail-issu-run-sync logs in to every new config
# node as new_api_info says (paramiko, user + password), as on a real 3.2 controller.
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
UseDNS no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 64
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
"""


def _hosts(inventory: Inventory, me: str) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{n.ip}\t{n.name}" for n in inventory.all_nodes()]
    return "\n".join(lines) + "\n"


def _skeleton(name: str) -> str:
    try:
        return Path("/etc/skel", name).read_text()
    except OSError:
        return ""


def _login_users(inventory: Inventory) -> list[str]:
    """Non-root users with a home, keys and sudo: `contrail` always (tests and the manual
    procedure use it), and the inventory's SSH user when it is another non-root user."""
    users = [LAB_USER]
    if inventory.ssh.user not in ("root", LAB_USER):
        users.append(inventory.ssh.user)
    return users


def asks_sudo_password(inventory: Inventory, user: str) -> bool:
    """The inventory's SSH user's sudo asks for its password when the inventory gives one."""
    return user == inventory.ssh.user and inventory.ssh.sudo_password is not None


def _sudoers(inventory: Inventory, user: str) -> str:
    tag = "" if asks_sudo_password(inventory, user) else "NOPASSWD: "
    return f"{user} ALL=(ALL:ALL) {tag}ALL\n"


def provide(ctx: NodeContext) -> Iterable[NodeFile]:
    name = ctx.node.name
    pubkey = ctx.secrets.get("ssh_key.pub", "")
    files = [
        NodeFile("/etc/hostname", name + "\n"),
        NodeFile("/etc/hosts", _hosts(ctx.inventory, name)),
        NodeFile("/etc/ssh/sshd_config", _sshd_config(ctx)),
        NodeFile("/root/.ssh/authorized_keys", pubkey, 0o600),
    ]
    for user in _login_users(ctx.inventory):
        files += [
            NodeFile(f"/home/{user}/.ssh/authorized_keys", pubkey, 0o600),
            NodeFile(f"/etc/sudoers.d/{user}", _sudoers(ctx.inventory, user), 0o440),
        ]
    files += [
        # openstack-config as contrail-setup installs it (contrail-provisioning R3.2 tools/openstack-config,
        # an iniparse script, not crudini): contrail_sim.openstack_config.
        NodeFile("/usr/bin/openstack-config",
                 "#!/usr/bin/python3\nfrom contrail_sim.openstack_config import main\nmain()\n", 0o755),
        # `python` as the 3.2-era tools are invoked (python provision_control.py ...).
        # A node is a fresh Debian host: root's shell files are Debian's skeleton, not the
        # host's (which may set up pyenv and the like).
        NodeFile("/root/.bashrc", _skeleton(".bashrc")),
        NodeFile("/root/.profile", _skeleton(".profile")),
        NodeFile("/etc/issu-lab/passwords", _passwords(ctx), 0o600),
        NodeFile("/etc/profile.d/issu-lab.sh", "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"),
    ]
    if runs_system_supervisor(ctx):
        files.append(NodeFile("/etc/init.d/supervisor",
                              _supervisor_init_script(*SYSTEM_SUPERVISOR, init_flavour(ctx.inventory)), 0o755))
    for instance in ctx.supervisors:
        files += [
            NodeFile(supervisor_conf_path(instance), _supervisord_conf(instance)),
            NodeFile(f"/etc/init.d/supervisor-{instance}", _init_script(instance, init_flavour(ctx.inventory)), 0o755),
            NodeFile(f"{supervisor_files_dir(instance)}/.keep", ""),
        ]
    return files


def ports(ctx: NodeContext) -> Iterable[int]:
    return (ctx.node.ssh_port or ctx.inventory.ssh.port,)


def boot_commands(ctx: NodeContext) -> Iterable[str]:
    cmds = []
    for user in _login_users(ctx.inventory):
        # Debian ships system groups named like likely logins (`operator`, gid 37): useradd then
        # refuses to create the user's own group; the user gets the default group (-N) instead.
        cmds.append(f"id -u {user} >/dev/null 2>&1 || useradd -m -s /bin/bash "
                    f"$(getent group {user} >/dev/null && echo -N) {user}")
        # '*' (no password, not locked): key auth works with UsePAM no. A user whose sudo
        # asks for a password gets the lab's sudo_password (see _passwords).
        cmds.append(f"usermod -p '*' {user} && chown -R {user}: /home/{user}")
    cmds += [
        "ln -sf /usr/bin/python3 /usr/local/bin/python",
        "mkdir -p /var/log/contrail /var/log/supervisor /etc/contrail",
        # Passwords go through a root-only file, never a command line (other users' ps).
        "chpasswd < /etc/issu-lab/passwords && rm -f /etc/issu-lab/passwords",
    ]
    return cmds


def _passwords(ctx: NodeContext) -> str:
    lines = [f"root:{ctx.secrets.get('root_password', '')}"]
    if asks_sudo_password(ctx.inventory, ctx.inventory.ssh.user):
        lines.append(f"{ctx.inventory.ssh.user}:{ctx.secrets.get('sudo_password', '')}")
    return "\n".join(lines) + "\n"


def prepare(lab_dir: Path, inventory: Inventory) -> None:
    return None
