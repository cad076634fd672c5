"""The lab's keystone stand-in, contrail-api's token check and the lab's vnc_api, on loopback.

Shapes from keystone's docs (api_curl_examples, v2.0/v3 token requests), keystone/common/wsgi.py
render_exception, keystonemiddleware auth_token.py (_reject_request) and contrail-controller
R3.2 src/api-lib/vnc_api.py (_authenticate, lazy 401 retry).
"""
from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request

import pytest

from lab.contrail.sim.common import keystone_auth
from lab.contrail.sim.common.vnc_client import ApiHttpError, VncClient
from lab.contrail.sim.config import api as api_mod
from lab.contrail.sim.config.keystone import Keystone, User, make_http

IP = "127.71.250.1"


def _serve(httpd):
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def keystone():
    ks = Keystone([User("admin", "s3cret-pw", "admin", "Default", ("admin",)),
                   User("joe", "joe-pw", "demo", "Default", ("_member_",))])
    servers = [_serve(make_http(IP, 0, ks)) for _ in range(2)]
    yield ks, [s.server_address[1] for s in servers]
    for s in servers:
        s.shutdown()


def _req(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                         **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_v2_token_and_validation(keystone):
    _, (port, _) = keystone
    base = f"http://{IP}:{port}"
    code, _, body = _req("POST", f"{base}/v2.0/tokens", keystone_auth.v2_body("admin", "s3cret-pw", "admin"))
    assert code == 200
    access = json.loads(body)["access"]
    tok = access["token"]["id"]
    assert len(tok) == 32 and access["token"]["tenant"]["name"] == "admin"
    assert [r["name"] for r in access["user"]["roles"]] == ["admin"]
    code, _, body = _req("GET", f"{base}/v2.0/tokens/{tok}", headers={"X-Auth-Token": tok})
    assert code == 200 and json.loads(body)["access"]["token"]["id"] == tok
    code, _, body = _req("GET", f"{base}/v2.0/tokens/{'0' * 32}", headers={"X-Auth-Token": tok})
    assert code == 404 and json.loads(body)["error"]["title"] == "Not Found"


def test_wrong_credentials_401_in_keystone_shape(keystone):
    _, (port, _) = keystone
    base = f"http://{IP}:{port}"
    for url, body in ((f"{base}/v2.0/tokens", keystone_auth.v2_body("admin", "wrong", "admin")),
                      (f"{base}/v3/auth/tokens", keystone_auth.v3_body("admin", "wrong", "admin"))):
        code, headers, text = _req("POST", url, body)
        assert code == 401
        assert json.loads(text) == {"error": {"code": 401, "title": "Unauthorized",
                                              "message": "The request you have made requires authentication."}}
        assert headers["WWW-Authenticate"] == f'Keystone uri="{base}"'


def test_v3_token_in_header_and_validation(keystone):
    _, (_, port) = keystone
    base = f"http://{IP}:{port}"
    code, headers, body = _req("POST", f"{base}/v3/auth/tokens", keystone_auth.v3_body("admin", "s3cret-pw", "admin"))
    assert code == 201
    tok = headers["X-Subject-Token"]
    assert json.loads(body)["token"]["project"]["domain"] == {"id": "default", "name": "Default"}
    code, _, _ = _req("GET", f"{base}/v3/auth/tokens", headers={"X-Auth-Token": tok, "X-Subject-Token": tok})
    assert code == 200
    code, _, _ = _req("GET", f"{base}/v3/auth/tokens", headers={"X-Auth-Token": "nope", "X-Subject-Token": tok})
    assert code == 401
    # the user's domain by id works too; a wrong domain does not
    assert _req("POST", f"{base}/v3/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "admin", "domain": {"id": "default"}, "password": "s3cret-pw"}}}}})[0] == 201
    assert _req("POST", f"{base}/v3/auth/tokens",
                keystone_auth.v3_body("admin", "s3cret-pw", "admin", user_domain="Other"))[0] == 401


class _StubApi:
    def dispatch(self, method, path, body, host=None):
        return 200, {"virtual-networks": []}


@pytest.fixture(params=["v2.0", "v3"])
def contrail_api(request, keystone):
    _, (port, _) = keystone
    auth = api_mod.KeystoneAuth(f"http://{IP}:{port}/{request.param}", "admin", "s3cret-pw", "admin")
    httpd = _serve(api_mod.make_http(IP, 0, _StubApi(), auth))
    yield request.param, port, httpd.server_address[1]
    httpd.shutdown()


def test_api_refuses_basic_missing_and_garbage_tokens(contrail_api):
    version, ks_port, port = contrail_api
    url = f"http://{IP}:{port}/virtual-networks"
    basic = "Basic " + base64.b64encode(b"admin:s3cret-pw").decode()
    for headers in ({}, {"Authorization": basic}, {"X-Auth-Token": "garbage"}):
        code, h, body = _req("GET", url, headers=headers)
        assert (code, body) == (401, "Authentication required")
        assert h["WWW-Authenticate"] == f"Keystone uri='http://{IP}:{ks_port}'"
        assert h["Content-type"] == "text/plain"
    assert _req("GET", f"http://{IP}:{port}/")[0] == 200  # white list: the home page needs no token


def test_api_accepts_keystone_token_and_403_without_admin_role(contrail_api):
    version, ks_port, port = contrail_api
    url = f"http://{IP}:{port}/virtual-networks"
    admin = keystone_auth.get_token(f"http://{IP}:{ks_port}/{version}", "admin", "s3cret-pw", "admin")
    assert _req("GET", url, headers={"X-Auth-Token": admin.id})[0] == 200
    joe = keystone_auth.get_token(f"http://{IP}:{ks_port}/{version}", "joe", "joe-pw", "demo")
    assert _req("GET", url, headers={"X-Auth-Token": joe.id})[:1] == (403,)


def test_vnc_client_gets_a_token_on_401_and_refreshes_it(contrail_api, keystone, tmp_path):
    version, ks_port, port = contrail_api
    ini = tmp_path / "vnc_api_lib.ini"
    ini.write_text(f"[auth]\nAUTHN_TYPE = keystone\nAUTHN_SERVER = {IP}\nAUTHN_PORT = {ks_port}\n"
                   f"AUTHN_URL = {'/v2.0/tokens' if version == 'v2.0' else '/v3/auth/tokens'}\n")
    vnc = VncClient(IP, port, "admin", "s3cret-pw", "admin", retries=1, conf_file=str(ini))
    assert vnc.list("virtual-network") == []
    first = vnc.token
    assert first
    ks, _ = keystone
    ks.tokens.clear()  # keystone restarted: every token is gone
    api_cache_cleared = VncClient(IP, port, "admin", "s3cret-pw", "admin", retries=1, conf_file=str(ini))
    api_cache_cleared.headers["X-AUTH-TOKEN"] = "0" * 32
    assert api_cache_cleared.list("virtual-network") == []
    assert api_cache_cleared.token and api_cache_cleared.token != "0" * 32
    bad = VncClient(IP, port, "admin", "wrong", "admin", retries=1, conf_file=str(ini))
    with pytest.raises(RuntimeError, match="Authentication Failure"):
        bad.list("virtual-network")


def test_vnc_client_never_contacts_a_non_loopback_keystone(tmp_path):
    vnc = VncClient(IP, 1, "admin", "pw", "admin", retries=1, auth_host="10.84.24.35",
                    auth_url="/v2.0/tokens", conf_file=str(tmp_path / "none.ini"))
    with pytest.raises(RuntimeError, match="Unable to connect to keystone"):
        vnc.authenticate()
