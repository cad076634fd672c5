"""The step contract: pre -> plan -> action -> post, one code path for check-only and real runs.

A runbook step builds a `Step`, reads what it needs (read-only commands), plans its
changes as `Change`s (each with the command and, for file edits, the diff), applies
them unless the run is check-only, then asserts its post-conditions. In check-only mode
`apply()` returns False and the step verifies nothing that only the change would make
true: the plan is the result. Edits are computed from the current content first, so a
change already in place is not planned again (a second run plans nothing).
"""
from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import allure

from checks.evidence import CheckResult, ParseError
from issu import ini_edit
from issu.fleet import Fleet
from issu.inventory import Node
from issu.journal import Journal
from issu.remote import CommandFailed, CommandResult, join_command
from issu.reporting import attach_json, attach_text, unified_diff


@dataclass(frozen=True)
class Change:
    """One planned mutation on one node."""

    node: Node
    command: str | Sequence[str]
    why: str
    diff: str = ""
    timeout: float | None = None
    stdin: str | None = field(default=None, repr=False)

    def render(self) -> str:
        return f"[{self.node.name}] {join_command(self.command)}    # {self.why}"


class PostConditionFailed(AssertionError):
    """A post-condition (or pre-condition) did not hold; the message says expected/found/host."""


@dataclass
class Step:
    title: str
    fleet: Fleet
    journal: Journal | None
    changes: list[Change] = field(default_factory=list)
    settle_cap: float | None = None  # --settle-timeout: no convergence wait is longer

    @property
    def check_only(self) -> bool:
        return self.fleet.check_only

    # -- reading ----------------------------------------------------------------
    def read(self, node: Node, command: str | Sequence[str], *, title: str | None = None,
             timeout: float | None = None, stdin: str | None = None) -> CommandResult:
        """A read-only command that must succeed, as root (sudo for a non-root login:
        contrail-status, the supervisor sockets and the 0600 Contrail files need root)."""
        return self.fleet.executor(node).run(command, read_only=True, sudo=True, title=title, timeout=timeout,
                                             stdin=stdin).check()

    def probe(self, node: Node, command: str | Sequence[str], *, title: str | None = None) -> CommandResult:
        """A read-only command whose exit code is the answer (not checked), as root like `read`."""
        return self.fleet.executor(node).run(command, read_only=True, sudo=True, title=title)

    # -- planning ---------------------------------------------------------------
    def plan(self, node: Node, command: str | Sequence[str], why: str, *, timeout: float | None = None,
             diff: str = "", stdin: str | None = None) -> None:
        """stdin: what the command reads (credentials: never on its command line; redacted in reports)."""
        self.changes.append(Change(node, command, why, diff=diff, timeout=timeout, stdin=stdin))

    def plan_ini(self, node: Node, path: str, section: str, key: str, value: str | None, why: str) -> bool:
        """Plan `openstack-config --set|--del` unless the file already says so. Returns whether planned."""
        before = self.read(node, ["cat", "--", path]).stdout
        after = ini_edit.edit(before, section, key, value)
        if after == before or ini_edit.current(before, section, key) == value:
            return False
        if value is None:
            cmd: list[str] = ["openstack-config", "--del", path, section, key]
        else:
            cmd = ["openstack-config", "--set", path, section, key, value]
        self.changes.append(Change(node, cmd, why, diff=unified_diff(path, before, after)))
        return True

    def plan_file(self, node: Node, path: str, content: str, why: str, *, mode: str = "0644") -> bool:
        """Plan writing `content` to `path` (atomically, with `mode`) unless it is already so."""
        current = self.probe(node, ["cat", "--", path])
        before = current.stdout if current.rc == 0 else ""
        if current.rc == 0 and before == content:
            return False
        tmp = f"{path}.issu-tmp"
        command = (f"umask 077 && cat > {shlex.quote(tmp)} && chmod {mode} {shlex.quote(tmp)} "
                   f"&& mv -f {shlex.quote(tmp)} {shlex.quote(path)}")
        self.changes.append(Change(node, command, why, diff=unified_diff(path, before, content), stdin=content))
        return True

    def show_plan(self) -> None:
        text = "\n".join(c.render() for c in self.changes) or "(nothing to change: already in the wanted state)"
        attach_text("plan", text, self.fleet.redactor)
        for change in self.changes:
            if change.diff:
                allure.attach(self.fleet.redactor.redact(change.diff), name=f"diff {change.node.name}",
                              attachment_type=allure.attachment_type.TEXT, extension="diff")
        if self.journal:
            self.journal.record(self.title, "plan", changes=[c.render() for c in self.changes])

    # -- acting -----------------------------------------------------------------
    def apply(self) -> bool:
        """Run the planned changes in order; False (and nothing run) in check-only mode."""
        self.show_plan()
        if self.check_only:
            attach_text("check-only", "not applied: --check-only", None)
            return False
        for change in self.changes:
            self.fleet.executor(change.node).run(change.command, read_only=False, timeout=change.timeout,
                                                 title=change.why, stdin=change.stdin).check()
            if self.journal:
                self.journal.record(self.title, "applied", change=change.render())
        return True

    def act_now(self, node: Node, command: str | Sequence[str], why: str, *, timeout: float | None = None,
                stdin: str | None = None) -> bool:
        """Plan and run one change at once (for sequences where each command depends on the last)."""
        self.changes.append(Change(node, command, why, timeout=timeout, stdin=stdin))
        if self.check_only:
            attach_text(f"check-only: {why}", f"[{node.name}] {join_command(command)}", self.fleet.redactor)
            return False
        self.fleet.executor(node).run(command, read_only=False, timeout=timeout, title=why, stdin=stdin).check()
        if self.journal:
            self.journal.record(self.title, "applied", change=Change(node, command, why).render())
        return True

    def note(self, text: str) -> None:
        """An observation for the report and the journal (no verdict)."""
        attach_text("note", text, self.fleet.redactor)
        if self.journal:
            self.journal.record(self.title, "note", text=text)

    def done_already(self, reason: str) -> None:
        """Nothing to do: the cluster is past this step (the reason is reported)."""
        attach_text("already done", reason, None)
        if self.journal:
            self.journal.record(self.title, "already-done", reason=reason)

    # -- verifying --------------------------------------------------------------
    def expect(self, *results: CheckResult) -> None:
        """Every result must be ok; the failure message lists each one that is not."""
        failed = [r for r in results if not r.ok]
        attach_json("evidence", [r.as_dict() for r in results], self.fleet.redactor)
        if self.journal:
            self.journal.record(self.title, "evidence", ok=not failed,
                                checks=[{"what": r.what, "host": r.host, "ok": r.ok, "found": r.found}
                                        for r in results])
        if failed:
            raise PostConditionFailed("\n".join(r.message() for r in failed))

    def eventually(self, check: Callable[[], Sequence[CheckResult]], *, timeout: float, interval: float = 1.0,
                   what: str = "") -> None:
        """Re-run `check` until every result is ok or `timeout` passes; then expect() the last results.
        For state that converges (sessions establishing, daemons electing)."""
        import time

        if self.settle_cap is not None:
            timeout = min(timeout, self.settle_cap)
        deadline = time.monotonic() + timeout
        while True:
            try:
                results = list(check())
            except (CommandFailed, ParseError) as exc:  # not up yet (a daemon restarting): retry
                results = [CheckResult(ok=False, what=what or "converged state", expected="readable evidence",
                                       found=str(exc).splitlines()[0], host=getattr(exc, "host", ""))]
            if all(r.ok for r in results) or time.monotonic() >= deadline:
                break
            time.sleep(interval)
        with allure.step(f"after waiting up to {timeout:.0f} s{': ' + what if what else ''}"):
            self.expect(*results)


def done_when(predicate: Callable[[Step, object], bool], reason: str):
    """Decorate a runbook step: when `predicate(step, inventory)` holds the cluster is past
    it, and the step reports `reason` instead of acting (it receives fixtures as kwargs)."""
    def decorate(fn):
        @functools.wraps(fn)
        def step_fn(**kwargs):
            if predicate(kwargs["step"], kwargs["inventory"]):
                return kwargs["step"].done_already(reason)
            return fn(**kwargs)
        return step_fn
    return decorate
