"""The lab discovery server's JSON pages have the keys disc_server.py (contrail-controller R3.2,
src/discovery/disc_server.py services_json / clients_json) gives them, and checks.discovery reads them."""
import json

from checks import discovery
from lab.contrail.sim.config.discovery import Registry


def _registry() -> Registry:
    reg = Registry(hc_interval=5, hc_max_miss=3, ttl_min=300, ttl_max=300)
    reg.publish({"xmpp-server": {"ip-address": "127.76.0.21", "port": "5269"}, "service-type": "xmpp-server",
                 "remote-addr": "127.76.0.21"}, "ctl-old-1", "127.76.0.21", 100.0)
    reg.subscribe({"service": "xmpp-server", "instances": 2, "client-type": "contrail-vrouter-agent",
                   "remote-addr": "127.76.2.1", "client": "compute1:contrail-vrouter-agent"}, "127.76.2.1", 101.0)
    return reg


def test_services_json_keys_as_disc_server():
    entry = _registry().services_json(102.0)["services"][0]
    # services_json: entry['status'] from service_expired, entry['prov_state'] = entry['oper_state'],
    # entry['hbcount'] = 0, entry['service_id'] = '<id>:<type>'; publish stored the rest.
    assert entry["service_id"] == "ctl-old-1:xmpp-server" and entry["status"] == "up"
    assert entry["prov_state"] == entry["oper_state"] == "up" and entry["hbcount"] == 0
    assert {"remote", "info", "admin_state", "in_use", "ts_use", "heartbeat", "oper_state_msg"} <= set(entry)
    parsed = discovery.parse_services(json.dumps(_registry().services_json(102.0)))
    assert [(s.service_type, s.ip, s.port, s.up, s.in_use) for s in parsed] == [
        ("xmpp-server", "127.76.0.21", 5269, True, 1)]


def test_expired_publisher_is_down():
    # service_expired: no heartbeat for more than hc_interval * hc_max_miss seconds.
    entry = _registry().services_json(100.0 + 5 * 3 + 1)["services"][0]
    assert entry["status"] == "down"


def test_clients_json_is_a_services_list_too():
    page = _registry().clients_json()
    assert list(page) == ["services"]  # sic: clients_json returns {'services': rsp}
    (entry,) = page["services"]
    assert entry["client_id"] == "compute1:contrail-vrouter-agent" and entry["client_type"] == "contrail-vrouter-agent"
    assert entry["service_id"] == "ctl-old-1:xmpp-server" and entry["ttl"] == 300
    (client,) = discovery.parse_clients(json.dumps(page))
    assert (client.remote, client.service_type, client.ttl) == ("127.76.2.1", "xmpp-server", 300)
