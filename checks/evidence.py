"""Structured verdicts shared by every check, and the parse error every parser raises.

A check never asserts: it returns a `CheckResult` whose `message()` says, in one line,
what was looked at, what was expected and what was found, e.g.

    [compute2] agent XMPP sessions: expected Established to new controls {127.18.1.21},
    found 127.18.0.21=Established

The runbook does `assert result.ok, result.message()` and attaches `result.evidence`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class ParseError(ValueError):
    """Text that does not have the shape a parser expects (says what was expected)."""


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one host (or on a group of hosts)."""

    ok: bool
    what: str
    expected: str
    found: str
    host: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def message(self) -> str:
        """One line: `[host] what: expected X, found Y`."""
        prefix = f"[{self.host}] " if self.host else ""
        return f"{prefix}{self.what}: expected {self.expected}, found {self.found}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view, for the journal and report attachments."""
        return {
            "ok": self.ok,
            "host": self.host,
            "what": self.what,
            "expected": self.expected,
            "found": self.found,
            "message": self.message(),
            "evidence": dict(self.evidence),
        }


def combine(what: str, results: Iterable[CheckResult], host: str = "") -> CheckResult:
    """One verdict over many (e.g. every compute of a batch): ok only if all are ok.

    `found` lists the failing messages, or says how many passed.
    """
    items = list(results)
    failed = [r for r in items if not r.ok]
    if failed:
        found = "; ".join(r.message() for r in failed)
    else:
        found = f"{len(items)} of {len(items)} ok"
    return CheckResult(
        ok=bool(items) and not failed,
        what=what,
        expected=f"all {len(items)} ok" if items else "at least one result",
        found=found if items else "no results",
        host=host,
        evidence={"results": [r.as_dict() for r in items]},
    )


def fmt_set(values: Iterable[str]) -> str:
    """`{a, b}` with sorted members, `{}` when empty: stable text for messages."""
    return "{" + ", ".join(sorted(values)) + "}"
