"""Read INI text the way real Contrail / supervisord configuration files are written.

Built on `configparser` (no interpolation, non-strict), tuned for what those files hold:

- `[DEFAULT]` is an ordinary section (C++ daemons use it; configparser would otherwise
  copy its keys into every section);
- keys keep their case; a duplicated key or section keeps the last value (non-strict);
- `# ...` / `; ...` after whitespace is an inline comment; `%(process_num)s` stays as is;
- lines are stripped first, as `contrail-status` itself does, so indented keys work;
- keys before any section header are kept under the section name `""`;
- a key without `=` has the value `""`.

Values are returned as written (minus comments); `get(..., unquote=True)` removes one
pair of surrounding quotes, since values with spaces must be quoted for openstack-config.
"""
from __future__ import annotations

import configparser

from checks.evidence import ParseError

TOP_LEVEL = ""
_TOP_MARKER = "\x00top-level"
_NO_DEFAULT = "\x00no-default-section"


def parse_ini(text: str) -> dict[str, dict[str, str]]:
    """Sections → keys → raw values. Raises `ParseError` on text configparser rejects."""
    parser = configparser.ConfigParser(
        interpolation=None,
        strict=False,
        allow_no_value=True,
        delimiters=("=", ":"),
        comment_prefixes=("#", ";"),
        inline_comment_prefixes=("#", ";"),
        empty_lines_in_values=False,
        default_section=_NO_DEFAULT,
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    lines = [line.strip() for line in text.splitlines()]
    body = "\n".join(lines)
    first = next((l for l in lines if l and l[0] not in "#;"), "")
    if first and not first.startswith("["):
        body = f"[{_TOP_MARKER}]\n{body}"
    try:
        parser.read_string(body)
    except configparser.Error as exc:
        detail = str(exc).replace(f"[{_TOP_MARKER}]", "(top level)")
        raise ParseError(f"expected INI text ([section] then key = value lines): {detail}") from exc
    result: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        name = TOP_LEVEL if section == _TOP_MARKER else section
        values = {key: "" if value is None else value for key, value in parser.items(section, raw=True)}
        result[name] = values
    return result


def get(text: str, section: str, key: str, *, unquote: bool = True) -> str | None:
    """The value of `key` in `section`, or None if either is absent."""
    value = parse_ini(text).get(section, {}).get(key)
    if value is None:
        return None
    return strip_quotes(value) if unquote else value


def strip_quotes(value: str) -> str:
    """`"a b"` → `a b` and `'a b'` → `a b`; anything else unchanged."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
