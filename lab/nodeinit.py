"""PID 1 of a lab node. Standard library only: it runs before anything else is set up.

Started detached by lab/boot.py as `python nodeinit.py SPEC.json`. It:
 1. enters new mount, UTS and PID namespaces and forks; the child is the node's PID 1;
 2. mounts the node's root: overlay(lower=host /, upper=per-node dir), its own /proc,
    /dev and /sys from the host, private tmpfs on /run and /tmp, the lab's apt repo
    read-only, and hides the lab state directory;
 3. sets the hostname, chroots, runs the first-boot commands, starts sshd and the
    supervisord instances, writes /run/issu-lab/boot-status = ready;
 4. reaps orphans; on SIGTERM stops supervisord instances and sshd, then exits — the
    kernel kills whatever is left in the PID namespace and the mounts go with it.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWPID = 0x20000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
STATUS_DIR = "/run/issu-lab"

_libc = ctypes.CDLL(None, use_errno=True)


class Shutdown(Exception):
    pass


def log(msg: str) -> None:
    sys.stdout.write(f"{time.strftime('%H:%M:%S')} nodeinit: {msg}\n")
    sys.stdout.flush()


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def sh(cmd: list[str] | str, timeout: float = 120) -> None:
    shell = isinstance(cmd, str)
    proc = subprocess.run(cmd, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, env=_node_env())
    if proc.stdout.strip():
        for line in proc.stdout.rstrip().splitlines():
            sys.stdout.write(f"    | {line}\n")
    if proc.returncode != 0:
        raise RuntimeError(f"command failed (exit {proc.returncode}): {cmd}\n{proc.stdout[-2000:]}")


def _node_env() -> dict[str, str]:
    return {"PATH": NODE_PATH, "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb"}


def mount_root(spec: dict) -> None:
    merged, upper, work = spec["merged"], spec["upper"], spec["work"]
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    sh(["mount", "-t", "overlay", "overlay", "-o",
        f"lowerdir=/,upperdir={upper},workdir={work}", merged])
    sh(["mount", "-t", "proc", "proc", f"{merged}/proc"])
    for sub in ("dev", "sys"):
        sh(["mount", "--rbind", f"/{sub}", f"{merged}/{sub}"])
        sh(["mount", "--make-rslave", f"{merged}/{sub}"])
    for sub, mode in (("run", "0755"), ("tmp", "1777")):
        sh(["mount", "-t", "tmpfs", "-o", f"mode={mode},size=64m", "tmpfs", f"{merged}/{sub}"])
    # The lab's own state (other nodes' roots, secrets) is not part of a node.
    hide = spec["hide"]
    os.makedirs(f"{merged}{hide}", exist_ok=True)
    sh(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "tmpfs", f"{merged}{hide}"])
    repo, repo_in_node = spec["repo"], spec["repo_in_node"]
    if os.path.isdir(repo):
        os.makedirs(f"{merged}{repo_in_node}", exist_ok=True)
        sh(["mount", "--bind", repo, f"{merged}{repo_in_node}"])
        sh(["mount", "-o", "remount,bind,ro", f"{merged}{repo_in_node}"])
    # apt inside a node must never reach a network: drop the host's package sources.
    srcdir = f"{merged}/etc/apt/sources.list.d"
    if os.path.isdir(srcdir):
        for entry in os.listdir(srcdir):
            if entry != "issu-lab.list":
                os.unlink(os.path.join(srcdir, entry))


def enter_root(spec: dict) -> None:
    name = spec["name"].encode()
    _check(_libc.sethostname(name, len(name)), "sethostname")
    os.chroot(spec["merged"])
    os.chdir("/")
    os.environ.clear()
    os.environ.update(_node_env())
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    os.makedirs("/run/lock", exist_ok=True)
    os.makedirs(STATUS_DIR, exist_ok=True)


def write_status(text: str) -> None:
    tmp = f"{STATUS_DIR}/boot-status.tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, f"{STATUS_DIR}/boot-status")


def start_services(spec: dict) -> None:
    marker = "/var/lib/issu-lab-node/first-boot-done"
    if not os.path.exists(marker):
        for cmd in spec["boot_commands"]:
            log(f"first boot: {cmd}")
            sh(cmd, timeout=600)
        os.makedirs(os.path.dirname(marker), exist_ok=True)
        open(marker, "w").close()
    log("starting sshd")
    sh(["/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config"])
    if spec["system_supervisor"]:
        log("starting the system supervisord")
        sh(["/etc/init.d/supervisor", "start"])
    for instance in spec["supervisors"]:
        log(f"starting supervisor-{instance}")
        sh([f"/etc/init.d/supervisor-{instance}", "start"])


def stop_services(spec: dict) -> None:
    for instance in reversed(spec["supervisors"]):
        try:
            sh([f"/etc/init.d/supervisor-{instance}", "stop"], timeout=45)
        except Exception as exc:  # keep stopping the rest
            log(f"stopping supervisor-{instance}: {exc}")
    if spec["system_supervisor"]:
        try:
            sh(["/etc/init.d/supervisor", "stop"], timeout=45)
        except Exception as exc:
            log(f"stopping supervisor: {exc}")


def _on_term(signum, frame):
    raise Shutdown()


def run_as_pid1(spec: dict) -> int:
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    try:
        mount_root(spec)
        enter_root(spec)
        start_services(spec)
        write_status("ready")
        log("ready")
    except Shutdown:
        log("stopped during boot")
        return 0
    except Exception as exc:
        log(f"boot failed: {exc}")
        try:
            write_status(f"failed: {exc}".splitlines()[0])
        except OSError:
            pass
        # Stay alive briefly so the host can read the status, then exit: the kernel
        # tears everything in this node down.
        time.sleep(3)
        return 1
    try:
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                signal.pause()
    except Shutdown:
        log("stopping")
        stop_services(spec)
        log("stopped")
        return 0


def main(argv: list[str]) -> int:
    with open(argv[1]) as f:
        spec = json.load(f)
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID), "unshare")
    pid = os.fork()
    if pid == 0:
        os._exit(run_as_pid1(spec))
    tmp = spec["pid_file"] + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{pid}\n")
    os.replace(tmp, spec["pid_file"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
