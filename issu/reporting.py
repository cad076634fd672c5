"""Allure helpers: one step per remote command, text/JSON/diff attachments.

Everything written to the report passes through a `Redactor` first. Steps are opened
with `allure.step` as a context manager: the `@allure.step` decorator copies the
arguments of the decorated function into the report, so it must never wrap a function
that receives a secret.

Without an Allure listener (a plain `pytest` run without `--alluredir`) these calls
are no-ops.
"""
from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import allure

from issu.redact import Redactor

_NO_SECRETS = Redactor(())
# A step title is one line in the report tree; the full command is attached.
_TITLE_MAX = 160


def _one_line(text: str, limit: int = _TITLE_MAX) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


@contextmanager
def command_step(
    host: str, command: str, redactor: Redactor | None = None, title: str | None = None
) -> Iterator[None]:
    """An Allure step titled after the host and the (redacted) command or `title`."""
    r = redactor or _NO_SECRETS
    safe_command = r.redact(command)
    if title:
        step_title = f"[{host}] {_one_line(r.redact(title))}"
    else:
        step_title = f"[{host}] $ {_one_line(safe_command)}"
    with allure.step(step_title):
        if title or len(safe_command) > _TITLE_MAX or "\n" in safe_command:
            attach_text("command", safe_command, r)
        yield


def attach_text(name: str, text: str, redactor: Redactor | None) -> None:
    """Attach plain text, redacted."""
    body = (redactor or _NO_SECRETS).redact(text)
    allure.attach(body, name=name, attachment_type=allure.attachment_type.TEXT)


def attach_json(name: str, obj: Any, redactor: Redactor | None) -> None:
    """Attach `obj` as indented JSON, redacted after serialisation (keys and values)."""
    text = json.dumps(obj, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    body = (redactor or _NO_SECRETS).redact(text)
    allure.attach(body, name=name, attachment_type=allure.attachment_type.JSON)


def unified_diff(name: str, before: str, after: str) -> str:
    """The unified diff of two texts, labelled a/<name> and b/<name>; '' if equal."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def attach_diff(name: str, before: str, after: str, redactor: Redactor | None) -> None:
    """Attach the unified diff before -> after (text/plain, .diff), redacted."""
    r = redactor or _NO_SECRETS
    # Redact both sides before diffing so a secret never appears split across hunks.
    text = unified_diff(name, r.redact(before), r.redact(after)) or "(no change)\n"
    allure.attach(text, name=name, attachment_type="text/plain", extension="diff")
