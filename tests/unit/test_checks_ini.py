"""checks.ini on real Contrail / supervisord files and their quirks."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.evidence import ParseError
from checks.ini import get, parse_ini, strip_quotes

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_vrouter_agent_conf() -> None:
    text = sample("contrail-vrouter-agent.conf")
    sections = parse_ini(text)
    assert list(sections) == ["CONTROL-NODE", "DEFAULT", "DISCOVERY", "DNS", "HYPERVISOR", "VIRTUAL-HOST-INTERFACE"]
    assert sections["CONTROL-NODE"] == {}
    assert sections["DISCOVERY"] == {"server": "127.18.0.21", "max_control_nodes": "2", "port": "5998"}
    # [DEFAULT] is an ordinary section: its keys are not copied into the others.
    assert "log_level" not in sections["DISCOVERY"]
    assert sections["DEFAULT"]["http_server_port"] == "8085"  # inline comment removed
    assert get(text, "VIRTUAL-HOST-INTERFACE", "gateway") == ""
    assert get(text, "DISCOVERY", "server") == "127.18.0.21"
    assert get(text, "CONTROL-NODE", "server") is None
    assert get(text, "NO-SUCH", "server") is None


def test_supervisor_program_ini() -> None:
    text = sample("contrail-vrouter-agent.ini")
    program = parse_ini(text)["program:contrail-vrouter-agent"]
    assert program["autostart"] == "true"
    assert program["killasgroup"] == "true"
    assert program["priority"] == "420"
    assert program["exitcodes"] == "0"  # `; comment` removed
    prepared = parse_ini(sample("contrail-vrouter-agent.issu-prepared.ini"))["program:contrail-vrouter-agent"]
    assert "autostart" not in prepared and "killasgroup" not in prepared
    assert prepared["stopsignal"] == "KILL"


def test_quoted_include_list() -> None:
    text = sample("supervisord_config.issu.conf")
    expected = (
        "/etc/contrail/supervisord_config_files/contrail-api.ini "
        "/etc/contrail/supervisord_config_files/contrail-discovery.ini "
        "/etc/contrail/supervisord_config_files/ifmap.ini"
    )
    assert get(text, "include", "files") == expected
    assert get(text, "include", "files", unquote=False) == f'"{expected}"'
    assert get(text, "unix_http_server", "file") == "/var/run/supervisord_config.sock"


def test_api_conf_prefixes() -> None:
    text = sample("contrail-api.conf")
    assert get(text, "DEFAULTS", "cluster_id") == "v2"
    assert get(text, "DEFAULTS", "rabbit_vhost") == "v2_vhost"


def test_tolerated_quirks() -> None:
    text = (
        "top_key = 1\n"
        "[DEFAULTS]\n"
        "  Mixed_Case = yes\n"
        "dup = first\n"
        "dup = second\n"
        "bare_key\n"
        "log = /var/log/x-%(process_num)s.log\n"
        "password = abc#123\n"
        "with_hash = value # comment\n"
        "server_list: 127.0.0.1:8086 127.0.0.2:8086\n"
        "[DEFAULTS]\n"
        "later = 2\n"
    )
    assert parse_ini(text) == {
        "": {"top_key": "1"},
        "DEFAULTS": {
            "Mixed_Case": "yes",
            "dup": "second",
            "bare_key": "",
            "log": "/var/log/x-%(process_num)s.log",
            "password": "abc#123",
            "with_hash": "value",
            "server_list": "127.0.0.1:8086 127.0.0.2:8086",
            "later": "2",
        },
    }
    assert get(text, "", "top_key") == "1"


def test_crlf_and_empty() -> None:
    assert parse_ini("[A]\r\nk = v\r\n") == {"A": {"k": "v"}}
    assert parse_ini("") == {}
    assert parse_ini("# only a comment\n") == {}


def test_strip_quotes() -> None:
    assert strip_quotes('"a b"') == "a b"
    assert strip_quotes("'a b'") == "a b"
    assert strip_quotes('"a b') == '"a b'
    assert strip_quotes('"') == '"'


@pytest.mark.parametrize("text", ["[broken\nk = v\n", "[A]\n= no key\n"])
def test_unreadable_ini_raises(text: str) -> None:
    with pytest.raises(ParseError, match=r"expected INI text \(\[section\] then key = value lines\)"):
        parse_ini(text)
