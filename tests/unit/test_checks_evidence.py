"""checks.evidence: the verdict record and its message."""
from __future__ import annotations

from checks.evidence import CheckResult, ParseError, combine, fmt_set


def test_message_with_and_without_host() -> None:
    result = CheckResult(False, "agent XMPP sessions", "Established to new controls {127.18.1.21}",
                         "127.18.0.21=Established", "compute2")
    assert result.message() == (
        "[compute2] agent XMPP sessions: expected Established to new controls {127.18.1.21}, "
        "found 127.18.0.21=Established"
    )
    assert CheckResult(True, "x", "a", "b").message() == "x: expected a, found b"


def test_frozen_hashable_and_as_dict() -> None:
    result = CheckResult(True, "w", "e", "f", "h", {"k": [1]})
    assert hash(result) == hash(CheckResult(True, "w", "e", "f", "h", {"other": 2}))
    assert result.as_dict() == {
        "ok": True, "host": "h", "what": "w", "expected": "e", "found": "f",
        "message": "[h] w: expected e, found f", "evidence": {"k": [1]},
    }


def test_combine() -> None:
    good = CheckResult(True, "w", "e", "f", "a")
    bad = CheckResult(False, "w", "e", "g", "b")
    assert combine("batch 1", [good, good]).ok
    assert combine("batch 1", [good, good]).message() == "batch 1: expected all 2 ok, found 2 of 2 ok"
    mixed = combine("batch 1", [good, bad], host="computes")
    assert not mixed.ok
    assert mixed.message() == "[computes] batch 1: expected all 2 ok, found [b] w: expected e, found g"
    empty = combine("batch 1", [])
    assert not empty.ok
    assert empty.message() == "batch 1: expected at least one result, found no results"


def test_fmt_set_and_parse_error() -> None:
    assert fmt_set({"b", "a"}) == "{a, b}"
    assert fmt_set([]) == "{}"
    assert issubclass(ParseError, ValueError)
