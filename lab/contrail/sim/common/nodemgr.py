"""/usr/bin/contrail-nodemgr: one entry point for every node manager, as in real Contrail.

`--nodetype contrail-control|contrail-vrouter` -> contrail_sim.control.nodemgr;
`--nodetype contrail-config|contrail-analytics|contrail-database` -> contrail_sim.config.services
(`contrail-<kind>-nodemgr`, conf /etc/contrail/contrail-<kind>-nodemgr.conf unless --conf_file).
Both `--nodetype X` and `--nodetype=X` are accepted.
"""
from __future__ import annotations

import sys

CONTROL_PLANE = ("contrail-control", "contrail-vrouter")


def split_nodetype(argv: list[str]) -> tuple[str, list[str]]:
    kind, rest, i = "", [], 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--nodetype="):
            kind = arg.split("=", 1)[1]
        elif arg == "--nodetype" and i + 1 < len(argv):
            kind = argv[i + 1]
            i += 1
        else:
            rest.append(arg)
        i += 1
    return kind, rest


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    kind, rest = split_nodetype(args)
    if kind in CONTROL_PLANE:
        from ..control.nodemgr import main as control_main
        control_main(["--nodetype", kind] + rest)
        return
    if kind not in ("contrail-config", "contrail-analytics", "contrail-database"):
        sys.exit(f"contrail-nodemgr: unknown --nodetype {kind!r}")
    if not any(a.startswith("--conf") for a in rest):
        rest = ["--conf_file", f"/etc/contrail/{kind}-nodemgr.conf"] + rest
    from ..config.services import main as services_main
    services_main(f"{kind}-nodemgr", rest)
