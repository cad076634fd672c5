"""haproxy.cfg facts, on the lab's file shape and on real-world variants."""
import pytest

from checks.evidence import ParseError
from checks.haproxy import parse

LAB_CFG = """global
    maxconn 4096
    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners

defaults
    mode http
    timeout connect 5s

frontend contrail-api
    bind 127.18.0.11:8082
    default_backend contrail-api-backend

backend contrail-api-backend
    option nolinger
    balance roundrobin
    server ctl-old-1 127.18.0.21:8082 check inter 2000 rise 2 fall 3
"""

LISTEN_CFG = """# keystone and contrail on one box, fab style
listen contrail-api 192.0.2.10:8082
    mode http
    server ctl-old-1 192.0.2.21:8082 check
    server ctl-old-2 192.0.2.22:8082 check disabled   # drained
frontend other
    bind *:5000,*:35357
    default_backend missing
"""


def test_lab_frontend_and_backend():
    cfg = parse(LAB_CFG)
    fe = cfg.frontend_on_port(8082)
    assert fe is not None and fe.name == "contrail-api" and fe.binds == ["127.18.0.11:8082"]
    assert [(s.name, s.address, s.port, s.disabled) for s in cfg.servers_behind(fe)] == [
        ("ctl-old-1", "127.18.0.21", 8082, False)]
    assert cfg.frontend_on_port(9999) is None


def test_listen_section_and_disabled_server():
    cfg = parse(LISTEN_CFG)
    fe = cfg.frontend_on_port(8082)
    assert fe.kind == "listen"
    assert [(s.name, s.disabled) for s in cfg.servers_behind(fe)] == [("ctl-old-1", False), ("ctl-old-2", True)]
    other = cfg.frontend_on_port(35357)
    assert other.name == "other" and cfg.servers_behind(other) == []


def test_bad_server_line():
    with pytest.raises(ParseError, match=r"line 3: server s1 has no address:port \('nowhere'\)"):
        parse("backend b\n    balance roundrobin\n    server s1 nowhere check\n")
