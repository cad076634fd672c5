"""The run journal: reports/journal.jsonl, append-only, one JSON object per line, fsync'd.

Every line has the same keys: ts, run, inventory (sha256 of the inventory file),
runbook (version), step, event, data. Everything passes the Redactor before it is
written. A later run reads it to know which steps were done on *this* inventory; lines
of another inventory digest or runbook version are ignored, and unreadable lines are
reported and skipped, never trusted.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issu.redact import Redactor

RUNBOOK_VERSION = "1"
KEYS = ("ts", "run", "inventory", "runbook", "step", "event", "data")


@dataclass(frozen=True)
class Entry:
    ts: float
    run: str
    inventory: str
    runbook: str
    step: str
    event: str
    data: dict


class Journal:
    def __init__(self, path: Path, inventory_digest: str, redactor: Redactor):
        self.path = path
        self.inventory_digest = inventory_digest
        self.redactor = redactor
        self.run_id = uuid.uuid4().hex[:12]
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, step: str, event: str, **data: Any) -> None:
        line = {
            "ts": round(time.time(), 3), "run": self.run_id, "inventory": self.inventory_digest,
            "runbook": RUNBOOK_VERSION, "step": step, "event": event, "data": data,
        }
        text = self.redactor.redact(json.dumps(line, sort_keys=True, default=str)) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> tuple[list[Entry], list[str]]:
        """(entries of this inventory and runbook version, problems with unreadable lines)."""
        out, problems = [], []
        if not self.path.exists():
            return out, problems
        for n, raw in enumerate(self.path.read_text().splitlines(), 1):
            try:
                obj = json.loads(raw)
                entry = Entry(**{k: obj[k] for k in KEYS})
            except (ValueError, KeyError, TypeError):
                problems.append(f"{self.path}:{n}: unreadable journal line, ignored")
                continue
            if entry.inventory == self.inventory_digest and entry.runbook == RUNBOOK_VERSION:
                out.append(entry)
        return out, problems
