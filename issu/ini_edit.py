"""Pure INI edits that keep the file's own formatting (iniparse, as crudini does).

Used to predict what an `openstack-config --set/--del` will do, so the plan shows the
exact diff and an edit whose value is already in place is not made at all.
"""
from __future__ import annotations

from io import StringIO

from iniparse import INIConfig


def edit(text: str, section: str, key: str, value: str | None) -> str:
    """`text` with `[section] key = value` set (value None: the key removed)."""
    cfg = INIConfig(StringIO(text), optionxformvalue=None)
    if value is None:
        if section in cfg and key in cfg[section]:
            del cfg[section][key]
        return str(cfg)
    cfg[section][key] = value
    out = str(cfg)
    return out if out.endswith("\n") or not out else out + "\n"


def current(text: str, section: str, key: str) -> str | None:
    cfg = INIConfig(StringIO(text), optionxformvalue=None)
    if section not in cfg or key not in cfg[section]:
        return None
    return str(cfg[section][key])
