"""checks.versions: dpkg-query output and Debian version order."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from checks.evidence import ParseError
from checks.versions import PackageState, compare_versions, dpkg_query_command, parse_dpkg_query

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_parse_sample() -> None:
    packages = parse_dpkg_query((SAMPLES / "dpkg-query.compute.txt").read_text())
    assert packages == {
        "contrail-openstack-vrouter": PackageState("contrail-openstack-vrouter", "3.2.3.0-38", "ii"),
        "contrail-vrouter-agent": PackageState("contrail-vrouter-agent", "3.2.3.0-38", "ii"),
        "python-contrail": PackageState("python-contrail", "3.2.3.0-38", "ii"),
        "contrail-vrouter-utils": PackageState("contrail-vrouter-utils", "", "rc"),
        "contrail-lib": PackageState("contrail-lib", "3.2.10.0-1", "iU"),
    }
    assert [p.installed for p in packages.values()] == [True, True, True, False, False]


def test_parse_skips_blank_and_dpkg_messages() -> None:
    text = "\r\ndpkg-query: no packages found matching nope\nbash 5.2.15-2+b8 ii \r\n"
    assert parse_dpkg_query(text) == {"bash": PackageState("bash", "5.2.15-2+b8", "ii")}
    assert parse_dpkg_query("") == {}


def test_parse_rejects_other_output() -> None:
    with pytest.raises(ParseError, match="expected `dpkg-query -W -f"):
        parse_dpkg_query("Desired=Unknown/Install/Remove/Purge/Hold\n")


def test_command() -> None:
    assert dpkg_query_command(["a", "b"]) == [
        "dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\\n", "a", "b",
    ]


@pytest.mark.parametrize(
    ("left", "right", "order"),
    [
        ("3.2.3.0-38", "3.2.3.0-38", 0),
        ("3.2.3.0-38", "3.2.10.0-1", -1),
        ("4.0.0.0-3054", "3.2.3.0-38", 1),
        ("1.0~rc1", "1.0", -1),
        ("1.0", "1.0-1", -1),
        ("1:0.1", "2.0", 1),
        ("1.0a", "1.0", 1),
        ("1.0+b1", "1.0", 1),
        ("1.0-1", "1.0-1~bpo8", 1),
        ("2.0.0-1ubuntu1", "2.0.0-1", 1),
        ("1.2-3-4", "1.2-3-5", -1),
    ],
)
def test_compare_versions(left: str, right: str, order: int) -> None:
    assert compare_versions(left, right) == order
    assert compare_versions(right, left) == -order


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs dpkg to cross-check")
@pytest.mark.parametrize(
    ("left", "right"),
    [("1.0~~", "1.0~"), ("1.0.0+dfsg-1", "1.0.0-1"), ("0:1.0", "1.0"), ("1.0-0.1", "1.0-0a"), ("9", "10")],
)
def test_compare_versions_agrees_with_dpkg(left: str, right: str) -> None:
    ours = compare_versions(left, right)
    for op, expected in (("lt", ours < 0), ("eq", ours == 0), ("gt", ours > 0)):
        rc = subprocess.run(["dpkg", "--compare-versions", left, op, right], timeout=10).returncode
        assert (rc == 0) == expected, (left, op, right)


def test_bad_epoch() -> None:
    with pytest.raises(ParseError, match="numeric epoch"):
        compare_versions("x:1.0", "1.0")
