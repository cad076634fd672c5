"""What every simulated Contrail daemon does at start: read its .conf, log, find its node name.

Real daemons take `--conf_file FILE` (repeatable; the Python ones also accept
`--conf-file`) and read INI sections such as [DEFAULTS]; so do ours.
"""
from __future__ import annotations

import argparse
import configparser
import signal
import socket
import sys
import threading
import time
from typing import Sequence


def conf_args(prog: str, default_conf: str, argv: Sequence[str] | None = None,
              extra: Sequence[tuple[str, dict]] = ()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--conf_file", "--conf-file", dest="conf_file", action="append",
                        help=f"configuration file (default {default_conf})")
    for name, kw in extra:
        parser.add_argument(name, **kw)
    args = parser.parse_args(argv)
    args.conf_file = args.conf_file or [default_conf]
    return args


def read_conf(paths: Sequence[str]) -> configparser.ConfigParser:
    """Read INI files like the daemons do (no interpolation; values may carry % signs)."""
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    for path in paths:
        try:
            with open(path) as fh:
                cp.read_file(fh, source=path)
        except FileNotFoundError:
            sys.exit(f"{path}: No such file or directory")
    return cp


def get(cp: configparser.ConfigParser, section: str, key: str, default: str = "") -> str:
    """A value with the quotes openstack-config/crudini users sometimes leave around it removed."""
    if not cp.has_option(section, key):
        return default
    value = cp.get(section, key).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def node_name() -> str:
    return socket.gethostname()


def log(prog: str, message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} {prog}: {message}", flush=True)


def wait_forever() -> None:
    """Block the main thread until SIGTERM/SIGINT (supervisord uses KILL for most programs)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(3600)
