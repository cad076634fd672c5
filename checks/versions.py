"""Installed package versions from `dpkg-query`, and Debian version ordering.

The runbook asks for machine-readable output:

    dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' PKG...

one line per known package: `contrail-vrouter-agent 3.2.3.0-38 ii ` (the status is three
characters: desired action, current state, error flag, the last one usually a space).
A removed package that left its conffiles prints an empty version: `pkg  rc `.
dpkg-query exits 1 and writes `no packages found matching X` on stderr for an unknown
name: such packages are simply absent from the parsed map.
"""
from __future__ import annotations

from dataclasses import dataclass

from checks.evidence import ParseError

DPKG_QUERY_FORMAT = "${Package} ${Version} ${db:Status-Abbrev}\\n"


@dataclass(frozen=True)
class PackageState:
    """One line of dpkg-query output."""

    name: str
    version: str
    status: str

    @property
    def installed(self) -> bool:
        """dpkg's current state is `i` (installed), e.g. status `ii`, `hi`."""
        return len(self.status) >= 2 and self.status[1] == "i"


def dpkg_query_command(packages: list[str]) -> list[str]:
    """argv for the query this module parses (dpkg-query expands the `\\n` itself)."""
    return ["dpkg-query", "-W", "-f", DPKG_QUERY_FORMAT, *packages]


def parse_dpkg_query(text: str) -> dict[str, PackageState]:
    """Package name → state. Blank lines and `dpkg-query:` messages are skipped."""
    result: dict[str, PackageState] = {}
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("dpkg-query:"):
            continue
        parts = line.split(" ", 2)
        if len(parts) < 3 or not parts[0]:
            raise ParseError(
                "expected `dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n'` "
                f"lines (`name version status`), got {line!r}"
            )
        name, version, status = parts[0], parts[1], parts[2].strip()
        result[name.split(":", 1)[0]] = PackageState(name=name, version=version, status=status)
    return result


def compare_versions(left: str, right: str) -> int:
    """Debian ordering of two versions (epoch:upstream-revision): -1, 0 or 1."""
    l_epoch, l_upstream, l_revision = _split(left)
    r_epoch, r_upstream, r_revision = _split(right)
    if l_epoch != r_epoch:
        return -1 if l_epoch < r_epoch else 1
    return _compare_part(l_upstream, r_upstream) or _compare_part(l_revision, r_revision)


def _split(version: str) -> tuple[int, str, str]:
    version = version.strip()
    epoch = 0
    if ":" in version:
        head, version = version.split(":", 1)
        if not head.isdigit():
            raise ParseError(f"expected a numeric epoch in Debian version, got {head!r}")
        epoch = int(head)
    upstream, _, revision = version.rpartition("-")
    if not upstream:
        upstream, revision = revision, ""
    return epoch, upstream, revision


def _order(char: str) -> int:
    """dpkg's character weight: `~` sorts before the end, letters before other symbols."""
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left: str, right: str) -> int:
    i = j = 0
    while i < len(left) or j < len(right):
        # Non-digit prefix, compared character by character with dpkg's weights.
        while (i < len(left) and not left[i].isdigit()) or (j < len(right) and not right[j].isdigit()):
            lw = _order(left[i]) if i < len(left) and not left[i].isdigit() else 0
            rw = _order(right[j]) if j < len(right) and not right[j].isdigit() else 0
            if lw != rw:
                return -1 if lw < rw else 1
            if i < len(left) and not left[i].isdigit():
                i += 1
            if j < len(right) and not right[j].isdigit():
                j += 1
        # Digit run, compared numerically (empty = 0).
        start_i, start_j = i, j
        while i < len(left) and left[i].isdigit():
            i += 1
        while j < len(right) and right[j].isdigit():
            j += 1
        ln = int(left[start_i:i] or 0)
        rn = int(right[start_j:j] or 0)
        if ln != rn:
            return -1 if ln < rn else 1
    return 0
