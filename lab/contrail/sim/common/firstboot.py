"""First-boot one-shots of the lab retire themselves from the system supervisord.

A real controller's installer provisions the node once and leaves nothing behind: the system
supervisord of a 3.2 controller runs no program until the ISSU adds contrail-issu. The lab's
first-boot provisioning runs as a program of that supervisord; once it has succeeded it
deletes its own /etc/supervisor/conf.d/<name>.conf and, a moment later (when it has exited),
asks the supervisord to drop it (`supervisorctl update` acts only on programs whose config
changed), so `supervisorctl status` shows what a real node shows.
"""
from __future__ import annotations

import os
import subprocess

SYSTEM_CONF_DIR = "/etc/supervisor/conf.d"
SYSTEM_SUPERVISORD_CONF = "/etc/supervisor/supervisord.conf"


def retire(name: str, conf_dir: str = SYSTEM_CONF_DIR, delay: float = 2.0,
           update: str = f"supervisorctl -c {SYSTEM_SUPERVISORD_CONF} update") -> bool:
    """Remove program `name` from the system supervisord (its conf now, the process once exited).

    `update` runs detached, `delay` seconds later. Returns False when there was nothing to
    retire. Never raises: the provisioning has already succeeded, leftovers are cosmetic.
    """
    try:
        os.remove(os.path.join(conf_dir, f"{name}.conf"))
    except OSError:
        return False
    script = f"sleep {delay}; exec {update} >/dev/null 2>&1"
    try:
        subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        pass
    return True


def already_done(marker: str, program: str, keep_program: bool) -> bool:
    """True when this one-shot already succeeded (its marker exists); then it also retires
    itself from the system supervisord unless asked to stay."""
    if not os.path.exists(marker):
        return False
    print(f"already provisioned ({marker})")
    if not keep_program:
        retire(program)
    return True
