"""The unit of a lab node's provisioning: a file to place in the node's own root."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeFile:
    """A file as the node sees it: absolute path inside the node, content, mode."""

    path: str
    content: str | bytes
    mode: int = 0o644

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"node file path must be absolute and normalised: {self.path!r}")
