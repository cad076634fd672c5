"""checks.discovery on services.json / clients.json."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.discovery import DiscoveredService, DiscoveryClient, of_type, parse_clients, parse_services
from checks.evidence import ParseError

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_services_sample() -> None:
    services = parse_services(sample("discovery.services.json"))
    assert services == [
        DiscoveredService("xmpp-server", "ctl-old-1:xmpp-server", "127.18.0.21", 5269, "up", "up", "up", 3,
                          remote="127.18.0.21"),
        DiscoveredService("Collector", "ctl-old-1:Collector", "127.18.0.21", 8086, "up", "up", "up", 9,
                          remote="127.18.0.21"),
    ]
    assert services[0].info == {"ip-address": "127.18.0.21", "port": "5269"}
    assert all(s.up for s in services)


def test_services_variants_down_admin_down_integer_port() -> None:
    services = parse_services(sample("discovery.services.issu.json"))
    assert [(s.service_type, s.ip, s.port, s.status, s.admin_state, s.in_use, s.up) for s in services] == [
        ("xmpp-server", "127.18.1.21", 5269, "up", "up", 2, True),
        ("xmpp-server", "127.18.1.22", 5269, "down", "up", 0, False),
        ("IfmapServer", "127.18.1.21", 8443, "up", "down", 4, False),
        ("ApiServer", "127.18.1.21", 8082, "up", "up", 0, True),
    ]
    assert [s.ip for s in of_type(services, "xmpp-server")] == ["127.18.1.21", "127.18.1.22"]
    assert of_type(services, "Collector") == []


def test_clients() -> None:
    assert parse_clients(sample("discovery.clients.json")) == [
        DiscoveryClient("compute1:contrail-vrouter-agent:0", "contrail-vrouter-agent:0", "127.18.2.1",
                        "xmpp-server", "ctl-new-1:xmpp-server", 300),
        DiscoveryClient("compute1:contrail-vrouter-nodemgr", "contrail-vrouter-nodemgr", "127.18.2.1",
                        "Collector", "ctl-new-1:Collector", 300),
    ]


def test_empty_lists() -> None:
    assert parse_services('{"services": []}') == []
    assert parse_clients('{"services": []}') == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "services.json: expected JSON"),
        ("<html>502 Bad Gateway</html>", "services.json: expected JSON"),
        ('{"clients": []}', 'services.json: expected an object with a "services" list'),
        ('[1, 2]', 'services.json: expected an object with a "services" list'),
        ('{"services": ["x"]}', "services.json: services[0]: expected an object, got 'x'"),
        ('{"services": [{"info": {}}]}', "services[0].service_type: expected a non-empty string, got None"),
        ('{"services": [{"service_type": "x", "info": "1.2.3.4"}]}',
         "services.json: services[0].info: expected an object, got '1.2.3.4'"),
    ],
)
def test_bad_services_json(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_services(text)
    assert message in str(info.value)


def test_bad_clients_json_names_the_page() -> None:
    with pytest.raises(ParseError, match="clients.json: expected JSON"):
        parse_clients("not json")
