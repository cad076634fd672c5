"""contrail-dns and contrail-named, as small listeners on the control node's address.

contrail-dns: reads /etc/contrail/contrail-dns.conf ([DEFAULT] hostip, hostname,
http_server_port 8092, dns_server_port ... ) and listens for agents' DNS XMPP on 8093 plus
its introspect; contrail-named (BIND in the real product) answers TCP on port 53.
Neither simulates DNS itself: they exist so supervisor-control runs its real programs
and their ports are really taken.
"""
from __future__ import annotations

import argparse
import socket
import threading

from ..common import daemon
from ..common.sandesh import FUNCTIONAL, IntrospectServer

DNS_XMPP_PORT = 8093
NAMED_PORT = 53


def _node_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def _listen(ip: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((ip, port))
    sock.listen(64)

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept, daemon=True, name=f"listen-{port}").start()
    return sock


def dns_main(argv: list[str] | None = None) -> None:
    args = daemon.conf_args("contrail-dns", "/etc/contrail/contrail-dns.conf", argv)
    cp = daemon.read_conf(args.conf_file)
    ip = daemon.get(cp, "DEFAULT", "hostip") or _node_ip()
    name = daemon.get(cp, "DEFAULT", "hostname") or daemon.node_name()
    intro = IntrospectServer(ip, int(daemon.get(cp, "DEFAULT", "http_server_port", "8092")), "contrail-dns", name)
    intro.set_status(FUNCTIONAL)
    intro.start()
    _listen(ip, DNS_XMPP_PORT)
    daemon.log("contrail-dns", f"listening on {ip}:{DNS_XMPP_PORT}")
    daemon.wait_forever()


def named_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="contrail-named")
    parser.add_argument("-f", action="store_true", help="stay in the foreground")
    parser.add_argument("-u", default="contrail", help="user (ignored)")
    parser.add_argument("-c", default="/etc/contrail/dns/contrail-named.conf", help="configuration file")
    parser.parse_args(argv)
    ip = _node_ip()
    _listen(ip, NAMED_PORT)
    daemon.log("contrail-named", f"listening on {ip}:{NAMED_PORT}")
    daemon.wait_forever()
