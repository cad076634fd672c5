"""issu-lab: drive the embedded lab by hand.

    issu-lab up     [--cluster FILE]   boot every node of the inventory (no-op when up)
    issu-lab down   [--cluster FILE]   stop everything, leave nothing behind
    issu-lab status [--cluster FILE]   up / partial / down, per node
    issu-lab fault NODE KIND | issu-lab fault clear NODE [KIND] | issu-lab fault list
"""
from __future__ import annotations

import argparse
import signal
import sys

from issu.inventory import InventoryError, load
from lab import boot

DEFAULT_CLUSTER = "clusters/lab.yaml"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="issu-lab", description="The embedded Contrail ISSU lab.")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, help_ in (("up", "boot the lab"), ("down", "stop the lab and remove its nodes"),
                        ("status", "show the lab's state")):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--cluster", default=DEFAULT_CLUSTER, help="lab inventory (default: %(default)s)")
        if name == "up":
            sp.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for every node")
    f = sub.add_parser("fault", help="inject or clear a fault (QA)")
    f.add_argument("--cluster", default=DEFAULT_CLUSTER)
    f.add_argument("words", nargs="+", metavar="NODE KIND | clear NODE [KIND] | list")
    return p


def _print_status(inv) -> int:
    status = boot.lab_status(inv)
    paths = boot.lab_paths(inv)
    print(f"lab {inv.model.name} ({inv.path}): {status}")
    if status == "down":
        return 0
    for s in boot.node_states(inv):
        state = s.status if s.alive else "down"
        print(f"  {s.name:<12} {s.ip:<15} {s.kind:<9} {state:<8} pid {s.pid}")
    print(f"ssh key:     {paths.ssh_key}")
    print(f"known_hosts: {paths.known_hosts}")
    first = inv.model.computes[0]
    print(f"try:         ssh -i {paths.ssh_key} -o UserKnownHostsFile={paths.known_hosts} "
          f"{inv.model.ssh.user}@{first.ip} hostname")
    return 0 if status == "up" else 1


def _fault(inv, words: list[str]) -> int:
    from lab import faults

    lab_dir = boot.lab_paths(inv).root
    if words == ["list"]:
        for kind, fault in sorted(faults.FAULTS.items()):
            print(f"{kind:<24} {fault.description}")
        for rec in faults.active_faults(lab_dir):
            print(f"active: {rec}")
        return 0
    if words[0] == "clear" and len(words) in (2, 3):
        faults.clear_fault(lab_dir, inv.model, words[1], words[2] if len(words) == 3 else None)
        print(f"cleared {' '.join(words[1:])}")
        return 0
    if len(words) == 2:
        faults.apply_fault(lab_dir, inv.model, words[0], words[1])
        print(f"fault {words[1]} on {words[0]}")
        return 0
    print("issu-lab fault: usage: fault NODE KIND | fault clear NODE [KIND] | fault list", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `issu-lab status | head` ends quietly
    args = _parser().parse_args(argv)
    try:
        inv = load(args.cluster)
        if args.cmd == "up":
            if not boot.up(inv, timeout=args.timeout, log=lambda m: print(f"issu-lab: {m}")):
                print(f"lab {inv.model.name} is already up (nothing to do)")
                return 0
            return _print_status(inv)
        if args.cmd == "down":
            was = boot.down(inv)
            left = boot.leftovers(inv)
            if left:
                print("issu-lab: leftovers after down:\n  " + "\n  ".join(left), file=sys.stderr)
                return 1
            print(f"lab {inv.model.name}: down" + ("" if was else " (was not running)"))
            return 0
        if args.cmd == "status":
            return _print_status(inv)
        return _fault(inv, args.words)
    except (InventoryError, boot.LabError) as exc:
        print(f"issu-lab: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a fault's own error type, kept to one line
        if type(exc).__module__.startswith("lab."):
            print(f"issu-lab: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
