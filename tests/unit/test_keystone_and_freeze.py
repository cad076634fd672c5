"""Runbook side of keystone and the northbound freeze: pure parsers and edits.

Token responses in the shapes of keystone's docs (api_curl_examples: v3 `201 Created` +
X-Subject-Token; v2.0 access.token.id) and errors as keystone/common/wsgi.py renders them.
haproxy.cfg in the shape contrail-fabric-utils R3.2 writes (openstack_haproxy.py,
provision.py, collector_haproxy.py).
"""
from __future__ import annotations

import json

import pytest

from checks import haproxy, keystone
from checks.evidence import ParseError
from issu import haproxy_edit
from issu.redact import MASK, Redactor

V3_OK = ("HTTP/1.1 201 Created\r\nX-Subject-Token: 4f1e7c0d5a6b4e0f9d2c3b1a0e9f8d7c\r\nVary: X-Auth-Token\r\n"
         "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n"
         '{"token": {"methods": ["password"], "roles": [{"id": "c7", "name": "admin"}]}}')
V2_OK = ("HTTP/1.1 200 OK\r\nVary: X-Auth-Token\r\nContent-Type: application/json\r\n\r\n"
         + json.dumps({"access": {"token": {"id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "expires": "2026-12-03T13:00:00Z",
                                            "tenant": {"id": "t1", "name": "admin"}},
                                  "serviceCatalog": [], "user": {"id": "u1", "name": "admin", "roles": [{"name": "admin"}]}}}))
REFUSED = ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Keystone uri=\"http://127.18.0.11:35357\"\r\n"
           "Vary: X-Auth-Token\r\nContent-Type: application/json\r\n\r\n"
           '{"error": {"message": "The request you have made requires authentication.", "code": 401, '
           '"title": "Unauthorized"}}')


def test_token_from_v3_header_and_v2_body():
    assert keystone.parse_token_response(V3_OK, "v3") == "4f1e7c0d5a6b4e0f9d2c3b1a0e9f8d7c"
    assert keystone.parse_token_response(V2_OK, "v2.0") == "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert keystone.parse_token_response("HTTP/1.1 100 Continue\r\n\r\n" + V2_OK, "v2.0").startswith("0a1b")


def test_wrong_credentials_and_garbage():
    with pytest.raises(keystone.KeystoneRefused, match="401: The request you have made requires authentication"):
        keystone.parse_token_response(REFUSED, "v2.0")
    with pytest.raises(ParseError):
        keystone.parse_token_response("curl: (7) Failed to connect", "v3")
    with pytest.raises(ParseError, match="X-Subject-Token"):
        keystone.parse_token_response(V3_OK.replace("X-Subject-Token", "X-Other"), "v3")


def test_request_bodies_are_the_vnc_api_ones():
    v2 = json.loads(keystone.v2_body("admin", "pw", "admin"))
    assert v2 == {"auth": {"passwordCredentials": {"username": "admin", "password": "pw"}, "tenantName": "admin"}}
    v3 = json.loads(keystone.v3_body("admin", "pw", "admin", "Default", "Default"))
    assert v3["auth"]["identity"]["methods"] == ["password"]
    assert v3["auth"]["scope"]["project"] == {"name": "admin", "domain": {"name": "Default"}}
    assert keystone.token_path("v2.0") == "/tokens" and keystone.token_path("v3") == "/auth/tokens"


def test_redactor_learns_a_token_in_place():
    r = Redactor(["s3cret-pw"])
    r.add("4f1e7c0d5a6b4e0f9d2c3b1a0e9f8d7c")
    assert r.redact('header = "X-Auth-Token: 4f1e7c0d5a6b4e0f9d2c3b1a0e9f8d7c"') == f'header = "X-Auth-Token: {MASK}"'
    assert r.redact("pw s3cret-pw") == f"pw {MASK}"


CFG = """global
    stats socket /run/haproxy/admin.sock mode 660 level admin

defaults
    mode http

frontend openstack-keystone *:5000
    default_backend keystone-backend

backend keystone-backend
    server 10.1.1.1 10.1.1.1:6000 check inter 2000 rise 2 fall 1

frontend  contrail-api *:8082
    default_backend    contrail-api

backend contrail-api
    balance     roundrobin
    server 10.1.1.5 10.1.1.5:9100 check inter 2000 rise 2 fall 3

frontend  contrail-discovery *:5998
    default_backend    contrail-discovery

backend contrail-discovery
    server 10.1.1.5 10.1.1.5:9110 check inter 2000 rise 2 fall 3
"""


def _binds(text):
    # the fab templates put the address on the frontend line; give the parser `bind` lines
    return text.replace("frontend openstack-keystone *:5000", "frontend openstack-keystone\n    bind *:5000") \
        .replace("frontend  contrail-api *:8082", "frontend  contrail-api\n    bind *:8082") \
        .replace("frontend  contrail-discovery *:5998", "frontend  contrail-discovery\n    bind *:5998")


def test_freeze_disables_only_the_contrail_frontends_and_unfreeze_restores_byte_for_byte():
    text = _binds(CFG)
    frozen = haproxy_edit.set_frontends_disabled(text, [8082, 5998, 8081], True)
    cfg = haproxy.parse(frozen)
    assert {p.name: p.disabled for p in cfg.frontends()} == {
        "openstack-keystone": False, "contrail-api": True, "contrail-discovery": True}
    assert haproxy_edit.set_frontends_disabled(frozen, [8082, 5998, 8081], True) == frozen  # idempotent
    assert haproxy_edit.set_frontends_disabled(frozen, [8082, 5998, 8081], False) == text


def test_switch_backends_every_present_contrail_frontend():
    text = _binds(CFG)
    out = haproxy_edit.switch_backends(text, {8082: [("n1", "10.2.2.1", 8082)], 5998: [("n1", "10.2.2.1", 5998)],
                                              8081: [("n1", "10.2.2.1", 8081)]})
    cfg = haproxy.parse(out)
    assert [(s.address, s.port) for s in cfg.servers_behind(cfg.frontend_on_port(8082))] == [("10.2.2.1", 8082)]
    assert [(s.address, s.port) for s in cfg.servers_behind(cfg.frontend_on_port(5998))] == [("10.2.2.1", 5998)]
    assert [(s.address, s.port) for s in cfg.servers_behind(cfg.frontend_on_port(5000))] == [("10.1.1.1", 6000)]


class _FakeSecret:
    def __init__(self, value):
        self.value = value

    def resolve(self):
        return self.value


class _FakeInventory:
    def __init__(self, password):
        from issu.inventory import load
        self.model = load("clusters/lab.yaml").model
        self._pw = password

    def secret(self, ref):
        return _FakeSecret(self._pw)


def test_provision_credentials_go_to_a_conf_file_never_the_command_line():
    """R3.2 provision_*.py -c FILE: [DEFAULTS] always read; [KEYSTONE] for the *_node.py tools;
    SafeConfigParser interpolates '%' (written '%%')."""
    import configparser

    from issu import provision

    inv = _FakeInventory("p%ss-w0rd")
    node = inv.model.new.nodes[0]
    for cmd in (provision.node_command(inv, "provision_config_node.py", node, "127.18.1.21", "add"),
                provision.control_command(inv, node, "127.18.1.21", "add")):
        assert "p%ss-w0rd" not in cmd and "admin_password" not in cmd
        assert 'umask 077' in cmd and 'trap' in cmd and '-c "$f"' in cmd
    conf = provision.credentials_conf(inv)
    cp = configparser.ConfigParser()  # py2 SafeConfigParser's interpolation
    cp.read_string(conf)
    assert cp.get("DEFAULTS", "admin_password") == "p%ss-w0rd" == cp.get("KEYSTONE", "admin_password")
    assert cp.get("DEFAULTS", "openstack_ip") == "127.18.0.11"
