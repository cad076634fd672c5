"""Secret redaction for everything the runbook writes: logs, Allure attachments,
exception messages.

A `Redactor` knows the secret values (passwords, SSH key text) and replaces every
occurrence of each, including the forms a secret takes once it has passed through a
shell (`shlex.quote`), a URL (percent-encoding) or JSON (escaped), with `MASK`.

Secrets of one or two characters are refused at construction: replacing every "a" or
"12" in a report would destroy it while protecting nothing.
"""
from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "********"
MIN_SECRET_LENGTH = 3
# Lines of a multi-line secret (an SSH private key) shorter than this are not masked
# on their own; the whole text still is.
_MIN_LINE_LENGTH = 8


def _forms(secret: str) -> set[str]:
    """The secret as written raw, shell-quoted, percent-encoded and JSON-escaped."""
    forms = {
        secret,
        shlex.quote(secret),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        quote(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    stripped = secret.strip()
    if stripped != secret and len(stripped) >= MIN_SECRET_LENGTH:
        forms.add(stripped)
    if "\n" in stripped:
        for line in stripped.splitlines():
            line = line.strip()
            # PEM armour lines ("-----BEGIN OPENSSH PRIVATE KEY-----") are not secret.
            if len(line) >= _MIN_LINE_LENGTH and not line.startswith("-----"):
                forms.add(line)
    return {f for f in forms if f}


class Redactor:
    """Replaces known secret values in text with `MASK`."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        values: list[str] = []
        for index, secret in enumerate(secrets):
            if secret is None or secret == "":
                continue  # "no password" is not a secret
            if not isinstance(secret, str):
                raise TypeError(f"secret #{index} is a {type(secret).__name__}, not a str")
            if len(secret.strip()) < MIN_SECRET_LENGTH:
                # The message must not contain the secret, not even its length.
                raise ValueError(
                    f"secret #{index} is shorter than {MIN_SECRET_LENGTH} characters; "
                    "it cannot be redacted without destroying the report"
                )
            values.append(secret)
        self._secrets: tuple[str, ...] = tuple(dict.fromkeys(values))
        forms: set[str] = set()
        for secret in self._secrets:
            forms |= _forms(secret)
        # Longest first, so a secret containing another one is masked as a whole.
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None

    def add(self, secret: str) -> None:
        """Mask `secret` from now on, in place (a credential learnt during the run: a keystone token)."""
        grown = Redactor((*self._secrets, secret))
        self._secrets, self._pattern = grown._secrets, grown._pattern

    def extend(self, secrets: Iterable[str | None]) -> "Redactor":
        """A new redactor that also masks `secrets`."""
        return Redactor((*self._secrets, *secrets))

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
