"""contrail-nodemgr for the control and vrouter nodes (`--nodetype contrail-control|contrail-vrouter`).

Reads /etc/contrail/contrail-<control|vrouter>-nodemgr.conf: [DISCOVERY] server, port (5998);
[COLLECTOR] server_list (ip:8086 ...). Serves NodeStatus on its introspect port (control
8101, vrouter 8102) at the node's own address. It is Functional while its discovery
server answers; the Discovery and Collector connections are reported in NodeStatus, so a
nodemgr left pointing at a dead discovery shows `initializing (Discovery:Collector ...)`.
"""
from __future__ import annotations

import argparse
import socket
import threading
from dataclasses import dataclass

from ..common import daemon
from ..common.health import tcp_up
from ..common.sandesh import FUNCTIONAL, NON_FUNCTIONAL, IntrospectServer


@dataclass(frozen=True)
class NodeType:
    nodetype: str
    module: str
    conf: str
    port: int


NODE_TYPES = {
    "contrail-control": NodeType("contrail-control", "contrail-control-nodemgr",
                                 "/etc/contrail/contrail-control-nodemgr.conf", 8101),
    "contrail-vrouter": NodeType("contrail-vrouter", "contrail-vrouter-nodemgr",
                                 "/etc/contrail/contrail-vrouter-nodemgr.conf", 8102),
}


def parse_server_list(value: str, default_port: int) -> list[tuple[str, int]]:
    out = []
    for item in value.replace(",", " ").split():
        host, _, port = item.partition(":")
        out.append((host, int(port) if port else default_port))
    return out


def node_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def connections(disc: tuple[str, int] | None, collectors: list[tuple[str, int]],
                probe=tcp_up) -> list[dict[str, object]]:
    conns: list[dict[str, object]] = []
    if disc is not None:
        up = probe(*disc)
        conns.append({"type": "Discovery", "name": "Collector", "status": "Up" if up else "Down",
                      "server_addrs": [f"{disc[0]}:{disc[1]}"],
                      "description": "SubscribeResponse" if up else "Subscribe"})
    for host, port in collectors[:1]:
        up = probe(host, port)
        conns.append({"type": "Collector", "name": "", "status": "Up" if up else "Down",
                      "server_addrs": [f"{host}:{port}"], "description": "Established" if up else "Idle"})
    return conns


def verdict(conns: list[dict[str, object]]) -> tuple[str, str]:
    """Functional unless the discovery server is unreachable (the collector is informational)."""
    down = [c for c in conns if c["type"] == "Discovery" and c["status"] != "Up"]
    if down:
        return NON_FUNCTIONAL, ", ".join(f"{c['type']}:{c['name']}" for c in down) + " connection down"
    return FUNCTIONAL, ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="contrail-nodemgr")
    parser.add_argument("--nodetype", required=True, choices=sorted(NODE_TYPES))
    parser.add_argument("--conf_file", "--conf-file", dest="conf_file", action="append")
    parser.add_argument("--ip", default="", help="address to serve introspect on (default: the host's)")
    args = parser.parse_args(argv)
    nt = NODE_TYPES[args.nodetype]
    cp = daemon.read_conf(args.conf_file or [nt.conf])
    disc_server = daemon.get(cp, "DISCOVERY", "server")
    disc = (disc_server, int(daemon.get(cp, "DISCOVERY", "port", "5998"))) if disc_server else None
    collectors = parse_server_list(daemon.get(cp, "COLLECTOR", "server_list"), 8086)
    intro = IntrospectServer(args.ip or node_ip(), nt.port, nt.module, daemon.node_name())
    intro.start()
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            conns = connections(disc, collectors)
            state, desc = verdict(conns)
            intro.set_status(state, desc, conns)
            stop.wait(3.0)

    threading.Thread(target=loop, name="nodemgr-status", daemon=True).start()
    daemon.log(nt.module, f"started: discovery {disc}, collectors {collectors}")
    daemon.wait_forever()
    stop.set()
    intro.stop()


if __name__ == "__main__":
    main()
