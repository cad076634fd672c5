"""The vRouter kernel module of a lab compute: its file, its loaded state, and the tools.

A lab node shares the host's kernel, so nothing here touches a real module. The module
package (`contrail-vrouter-<uname -r>`, built by lab/contrail/packages.py) ships a
*simulated* module file at the real path
/lib/modules/<release>/extra/net/vrouter/vrouter.ko: plain text, not an ELF object, holding
what the real object's .modinfo section and ContrailBuildInfo string hold. "Loading" copies
it to STATE_FILE (node-private); `rmmod` deletes that file; nothing else changes it.

The tools print what the real ones print and fail like them (sources in
docs/fidelity/compute.md): kmod 15 (Ubuntu 14.04) `rmmod`, `modprobe`, `lsmod`, `modinfo`
for the `vrouter` module only, and contrail-vrouter-utils' `vrouter --info`. The module
is "in use" (refcount 1) while the vRouter agent runs: the real agent mknods /dev/flow and
mmaps it (contrail-controller R3.2 src/vnsw/agent/vrouter/ksync/ksync_flow_memory.cc),
a character device whose owner is the module (contrail-vrouter R3.2 linux/vr_mem.c).
"""
from __future__ import annotations

import getopt
import json
import os
import sys
import time

MODULE = "vrouter"
STATE_FILE = "/var/lib/contrail-sim/vrouter.ko.loaded"
MODULE_SUBDIR = "extra/net/vrouter"
# depmod's default search order: updates/ (DKMS installs there on Ubuntu), then the rest.
SEARCH_SUBDIRS = ("updates/dkms", "updates", "extra/net/vrouter", "kernel/net/vrouter")
HEADER = "# contrail-issu-runbook lab: simulated vrouter.ko (text, not an ELF object)\n"
MODULE_SIZE = 327680
# .modinfo fields in the order modinfo prints them; VROUTER_VERSIONID is "1.0" in every build.
MODINFO_FIELDS = ("version", "license", "srcversion", "depends", "vermagic")
BUILD_INFO_KEY = "ContrailBuildInfo"
AGENT_COMMANDS = ("/usr/bin/contrail-vrouter-agent",)
# kernel/module.c try_stop_module: a module in use -> -EWOULDBLOCK
EWOULDBLOCK_TEXT = "Resource temporarily unavailable"


def module_path(release: str, root: str = "/") -> str:
    return os.path.join(root, "lib/modules", release, MODULE_SUBDIR, "vrouter.ko")


def module_text(build_version: str, release: str, build_time: str = "2017-02-01 00:00:00.000000",
                build_user: str = "contrail", build_host: str = "contrail-build") -> str:
    """The simulated module file of one build (pure)."""
    import hashlib

    src = hashlib.sha256(f"vrouter {build_version}".encode()).hexdigest()[:24].upper()
    info = json.dumps({"build-info": [{"build-time": build_time, "build-hostname": build_host,
                                       "build-git-ver": "lab", "build-user": build_user,
                                       "build-version": build_version}]})
    fields = {"version": "1.0", "license": "GPL", "srcversion": src, "depends": "",
              "vermagic": f"{release} SMP mod_unload modversions "}
    return HEADER + "".join(f"{k}={v}\n" for k, v in fields.items()) + f"{BUILD_INFO_KEY}={info}\n"


def parse_module_text(text: str) -> dict[str, str]:
    """key -> value of a simulated module file or of the loaded state (pure)."""
    if not text.startswith(HEADER):
        raise ValueError("not a lab vrouter module file")
    out: dict[str, str] = {}
    for line in text[len(HEADER):].splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def build_version_of(fields: dict[str, str]) -> tuple[str, str, str, str]:
    """(build-version, build-user, build-hostname, build-time) from ContrailBuildInfo."""
    info = json.loads(fields.get(BUILD_INFO_KEY) or "{}").get("build-info", [{}])[0]
    return (info.get("build-version", ""), info.get("build-user", ""), info.get("build-hostname", ""),
            info.get("build-time", ""))


# -- node state ----------------------------------------------------------------------

def release() -> str:
    return os.uname().release


def find_module(root: str = "/") -> str | None:
    """The file `modprobe vrouter` would load for the running kernel."""
    base = os.path.join(root, "lib/modules", release())
    for sub in SEARCH_SUBDIRS:
        path = os.path.join(base, sub, "vrouter.ko")
        if os.path.isfile(path):
            return path
    return None


def loaded(root: str = "/") -> dict[str, str] | None:
    try:
        with open(os.path.join(root, STATE_FILE.lstrip("/"))) as fh:
            return parse_module_text(fh.read())
    except (OSError, ValueError):
        return None


def _cmdlines(proc: str = "/proc") -> list[list[str]]:
    out = []
    for pid in os.listdir(proc):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(os.path.join(proc, pid, "stat")) as fh:
                if fh.read().rsplit(")", 1)[-1].split()[:1] == ["Z"]:
                    continue
            with open(os.path.join(proc, pid, "cmdline"), "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
        except OSError:
            continue
        out.append(argv)
    return out


def refcount(proc: str = "/proc") -> int:
    """1 while a vRouter agent process runs (it holds /dev/flow open), else 0."""
    for argv in _cmdlines(proc):
        if any(a in AGENT_COMMANDS for a in argv[:2]):
            return 1
    return 0


def load(root: str = "/") -> None:
    path = find_module(root)
    assert path is not None
    state = os.path.join(root, STATE_FILE.lstrip("/"))
    os.makedirs(os.path.dirname(state), exist_ok=True)
    with open(path) as fh:
        text = fh.read()
    tmp = state + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text + f"filename={path}\n")
    os.replace(tmp, state)


def unload(root: str = "/") -> None:
    os.unlink(os.path.join(root, STATE_FILE.lstrip("/")))


# -- the tools -----------------------------------------------------------------------

def _err(prog: str, level: str, message: str) -> None:
    sys.stderr.write(f"{prog}: {level}: {message}\n")


def rmmod(argv: list[str], root: str = "/", sleep=time.sleep) -> int:
    """kmod 15 tools/rmmod.c, for the vrouter module."""
    try:
        opts, args = getopt.gnu_getopt(argv, "fsvVwh", ["force", "syslog", "verbose", "version", "wait", "help"])
    except getopt.GetoptError as exc:
        sys.stderr.write(f"rmmod: {exc.msg}\n")
        return 1
    flags = {o for o, _ in opts}
    if flags & {"-h", "--help"}:
        print("Usage:\n\trmmod [options] modulename ...")
        return 0
    if flags & {"-V", "--version"}:
        print("kmod version 15")
        return 0
    if flags & {"-f", "--force"}:
        sys.stderr.write("issu-lab: rmmod --force is not simulated\n")
        return 1
    wait = bool(flags & {"-w", "--wait"})
    if wait:
        _err("rmmod", "ERROR", "'Wait' behavior is targeted for removal from kernel.\n"
             "We will now sleep for 10s, and then continue.")
        sleep(10)
    if not args:
        _err("rmmod", "ERROR", "missing module name.")
        return 1
    failures = 0
    for arg in args:
        name = os.path.basename(arg)[:-3] if arg.endswith(".ko") else arg
        if name != MODULE or loaded(root) is None:
            if not wait:
                _err("rmmod", "ERROR", f"Module {name} is not currently loaded")
            else:  # no pre-check with --wait: the kernel's delete_module answers ENOENT
                _err("rmmod", "ERROR", f"could not remove module {name}: No such file or directory")
            failures += 1
            continue
        if refcount() != 0:
            if wait:  # the pre-check is skipped; the kernel refuses a module in use
                _err("rmmod", "ERROR", f"could not remove module {name}: {EWOULDBLOCK_TEXT}")
            else:
                _err("rmmod", "ERROR", f"Module {name} is in use")
            failures += 1
            continue
        unload(root)
    return 0 if failures == 0 else 1


def modprobe(argv: list[str], root: str = "/") -> int:
    """kmod 15 tools/modprobe.c, for the vrouter module (insert, -r)."""
    try:
        opts, args = getopt.gnu_getopt(argv, "arqvVh", ["all", "remove", "quiet", "verbose", "version", "help",
                                                         "first-time"])
    except getopt.GetoptError as exc:
        sys.stderr.write(f"modprobe: {exc.msg}\n")
        return 1
    flags = {o for o, _ in opts}
    if flags & {"-V", "--version"}:
        print("kmod version 15")
        return 0
    quiet = bool(flags & {"-q", "--quiet"})
    if not args:
        _err("modprobe", "ERROR", "missing parameters. See -h.")
        return 1
    names = args if flags & {"-a", "--all", "-r", "--remove"} else args[:1]
    for name in names:
        if flags & {"-r", "--remove"}:
            if name != MODULE or loaded(root) is None:
                if "--first-time" in flags:
                    if not quiet:
                        _err("modprobe", "FATAL", f"Module {name} is not in kernel.")
                    return 1
                continue  # not loaded: nothing to do, exit 0
            if refcount() != 0:
                _err("modprobe", "FATAL", f"Module {name} is in use.")
                return 1
            unload(root)
            continue
        if name != MODULE or find_module(root) is None:
            if not quiet:
                _err("modprobe", "FATAL", f"Module {name} not found.")
            return 1
        if loaded(root) is not None:
            if "--first-time" in flags:
                _err("modprobe", "ERROR", f"could not insert '{name}': Module already in kernel")
                return 1
            continue  # already loaded: success, the file on disk is not looked at
        load(root)
    return 0


def lsmod(argv: list[str], root: str = "/") -> int:
    """kmod 15 tools/lsmod.c; the node shows its vrouter module only."""
    if argv:
        sys.stderr.write("Usage: lsmod\n")
        return 1
    print("Module                  Size  Used by")
    if loaded(root) is not None:
        print(f"{MODULE:<19} {MODULE_SIZE:>8}  {refcount()} ")
    return 0


def modinfo(argv: list[str], root: str = "/") -> int:
    """kmod 15 tools/modinfo.c for the vrouter module (by name or path), `-F field`, `-n`."""
    try:
        opts, args = getopt.gnu_getopt(argv, "adlpnF:0k:b:Vh", ["field=", "filename", "null"])
    except getopt.GetoptError as exc:
        sys.stderr.write(f"modinfo: {exc.msg}\n")
        return 1
    field = None
    for o, v in opts:
        if o in ("-F", "--field"):
            field = v
        elif o in ("-n", "--filename"):
            field = "filename"
    if not args:
        _err("modinfo", "ERROR", "missing module or filename.")
        return 1
    rc = 0
    for arg in args:
        if "/" in arg or arg.endswith(".ko"):
            path = arg if os.path.isfile(arg) else None
            if path is None:
                _err("modinfo", "ERROR", f"Module file {arg} not found.")
                rc = 1
                continue
        else:
            path = find_module(root) if arg == MODULE else None
            if path is None:
                _err("modinfo", "ERROR", f"Module {arg} not found.")
                rc = 1
                continue
        with open(path) as fh:
            fields = parse_module_text(fh.read())
        rows = [("filename", path)] + [(k, fields.get(k, "")) for k in MODINFO_FIELDS]
        for key, value in rows:
            if field is None:
                print(f"{key + ':':<16}{value}")
            elif key == field:
                print(value)
    return rc


def vrouter(argv: list[str], root: str = "/") -> int:
    """contrail-vrouter-utils `vrouter --info` (utils/vrouter.c): the build line."""
    if argv != ["--info"]:
        print("Usage:\n       vrouter --info\n", file=sys.stderr)  # the lab simulates --info only
        return 1
    state = loaded(root)
    if state is None:
        return 1  # no netlink family without the module: vr_get_nl_client fails silently
    version, user, host, when = build_version_of(state)
    print(f"vRouter module version       {version} (Built by {user}@{host} on {when})\n")
    return 0


def _run(func) -> None:
    try:
        sys.exit(func(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)


def rmmod_main() -> None:
    _run(rmmod)


def modprobe_main() -> None:
    _run(modprobe)


def lsmod_main() -> None:
    _run(lsmod)


def modinfo_main() -> None:
    _run(modinfo)


def vrouter_main() -> None:
    _run(vrouter)
