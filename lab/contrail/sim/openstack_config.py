"""openstack-config as Contrail 3.2 nodes have it: contrail-provisioning's `tools/openstack-config`.

Not crudini: the contrail-setup package installs its own small iniparse script
(Juniper/contrail-provisioning, branch R3.2, tools/openstack-config, listed in setup.py
`scripts`). Its behaviour, reproduced here:

    openstack-config --set|--del|--get|--has config_file section [parameter] [value]

- any other mode, a missing section argument, or `--set` without parameter and value:
  the usage line on stderr, exit 1;
- a value given with --del/--get/--has: "A value should not be specified with <mode>"
  plus the usage line, exit 1;
- the file is opened for reading first: a missing file is an uncaught IOError (traceback,
  exit 1), so `--set` never creates a file (the vendor's fab tasks `touch` it first);
- `--set` adds the section when missing, sets the key (iniparse keeps the file's own
  formatting), rewrites the file; only argv[5] is the value (more words are ignored);
- `--del file section key` removes the key (a missing key is fine, exit 0); a missing
  section is an uncaught NoSectionError (traceback, exit 1); `--del file section` removes
  the section;
- `--get file section key` prints the value (with ConfigParser interpolation), a missing
  key or section is an uncaught NoOptionError/NoSectionError; without a key it prints
  the section's items as JSON;
- `--has` prints 1 or 0.
Uncaught errors print a Python traceback on stderr and exit 1, as the real script does.
"""
from __future__ import annotations

import json
import sys
from typing import Sequence, TextIO

import iniparse

MODES = ("--set", "--del", "--get", "--has")


class Usage(Exception):
    """The script's usage() path: message on stderr, exit 1."""


def parse_argv(argv: Sequence[str]) -> tuple[str, str, str, str | None, str | None]:
    """(mode, file, section, parameter, value) with the real script's argument rules."""
    if len(argv) < 1 or argv[0] not in MODES:
        raise Usage("")
    if len(argv) < 3:
        raise Usage("")
    mode, cfgfile, section = argv[0], argv[1], argv[2]
    parameter = argv[3] if len(argv) > 3 else None
    value = argv[4] if len(argv) > 4 else None
    if mode == "--set" and value is None:
        raise Usage("")
    if mode != "--set" and value is not None:
        raise Usage(f"A value should not be specified with {mode}\n")
    return mode, cfgfile, section, parameter, value


def apply(text: str, mode: str, section: str, parameter: str | None, value: str | None,
          out: TextIO) -> str | None:
    """Run one command on `text`; returns the new file text (None: file not rewritten)."""
    from io import StringIO

    conf = iniparse.ConfigParser()
    conf.readfp(StringIO(text))
    if mode == "--set":
        assert parameter is not None and value is not None
        if not conf.has_section(section):
            conf.add_section(section)
            value += "\n"
        conf.set(section, parameter, value)
    elif mode == "--get":
        if parameter is None:
            out.write("%s\n" % json.dumps(conf.items(section)))
        else:
            out.write("%s\n" % str(conf.get(section, parameter)))
        return None
    elif mode == "--has":
        if parameter is None:
            out.write("1\n" if conf.has_section(section) else "0\n")
        else:
            out.write("1\n" if conf.has_option(section, parameter) else "0\n")
        return None
    else:
        if parameter is None:
            conf.remove_section(section)
        else:
            conf.remove_option(section, parameter)
    buf = StringIO()
    conf.write(buf)
    return buf.getvalue()


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        mode, cfgfile, section, parameter, value = parse_argv(args)
    except Usage as exc:
        sys.stderr.write(str(exc))
        sys.stderr.write("/usr/bin/openstack-config --set|--del|--get|--has config_file section "
                         "[parameter] [value]\n")
        sys.exit(1)
    with open(cfgfile) as fh:  # a missing file: uncaught, traceback, exit 1 (as the real one)
        text = fh.read()
    new = apply(text, mode, section, parameter, value, sys.stdout)
    if new is not None:
        with open(cfgfile, "w") as fh:
            fh.write(new)


if __name__ == "__main__":
    main()
