"""The vRouter kernel module on a compute: which build is loaded, which one the packages ship.

Sources (Contrail 3.2):

* The module's MODULE_VERSION is the constant "1.0" for every build (contrail-vrouter R3.2
  include/vr_linux.h `VROUTER_VERSIONID "1.0"`, linux/vrouter_mod.c `MODULE_VERSION`), so
  `modinfo -F version vrouter` cannot tell builds apart. The build is told by the
  module's ContrailBuildInfo, which `vrouter --info` (contrail-vrouter-utils) prints as

      vRouter module version      3.2.10.0 (Built by contrail@builder on 2017-05-04 10:11:12.1)

  (contrail-vrouter R3.2 utils/vrouter.c print_build_info: the label, a space, the
  "build-version" field, " (Built by <build-user>@<build-hostname> on <build-time>)").
  Without a loaded module `vrouter` cannot resolve its netlink family and exits 1 with
  no output (utils/vrouter.c main, utils/vr_util.c vr_get_nl_client).
* The build-version is the Contrail base version (contrail-build rules.py
  GetBuildVersion: the first line of controller/src/base/version.info) for the
  precompiled package `contrail-vrouter-<uname -r>`; a DKMS build stamps
  "<upstream version>-dkms" (contrail-vrouter R3.2 utils/dkms/gen_build_info.sh, called by
  contrail-packages R3.2 debian/contrail/debian/dkms.conf.in PRE_BUILD with the package
  version stripped of its Debian revision, as contrail-vrouter-dkms.postinst computes it).
* Which kernel-module package a compute uses: contrail-vrouter-dkms when it is
  installed, else contrail-vrouter-$(uname -r) (contrail-fabric-utils R3.2
  fabfile/utils/install.py get_vrouter_kmod_pkg).
* Output shapes of kmod (Ubuntu 14.04 ships kmod 15; kmod-project/kmod v15):
  `lsmod` (tools/lsmod.c: header "Module                  Size  Used by", rows
  "%-19s %8ld  %d " then the holders, comma-separated) and `modinfo`
  (tools/modinfo.c: "%-16s%s" for filename, "key:<pad to 16>value" for the rest).

Every function here is pure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from checks.evidence import CheckResult, ParseError

MODULE = "vrouter"
DKMS_PACKAGE = "contrail-vrouter-dkms"
VROUTER_INFO_COMMAND = "vrouter --info"
# utils/vrouter.c print_build_info: "vRouter module version      " (kernel) or
# "vRouter/DPDK version        " (DPDK), then " <build-version>".
_INFO_LINE = re.compile(r"^vRouter(?: module|/DPDK) version\s+(?P<version>\S+)(?:\s+\((?P<rest>.*)\))?\s*$")
_TOR_CONF = re.compile(r"^contrail-tor-agent-[^/]*\.conf$")


@dataclass(frozen=True)
class LoadedBuild:
    """What `vrouter --info` says about the loaded module."""

    version: str  # the build-version field
    built: str    # "by user@host on time", as printed ('' when absent)


def parse_vrouter_info(text: str) -> LoadedBuild | None:
    """The loaded module's build from `vrouter --info` output; None when nothing is printed
    (no module loaded: the tool exits 1 silently). Other text without the version line
    is a ParseError."""
    if not text.strip():
        return None
    for line in text.splitlines():
        m = _INFO_LINE.match(line.strip())
        if m:
            rest = (m.group("rest") or "").strip()
            return LoadedBuild(m.group("version"), rest[len("Built "):] if rest.startswith("Built ") else rest)
    raise ParseError("expected a `vRouter module version <build-version> (Built by ...)` line "
                     f"in `vrouter --info` output, got {text.strip().splitlines()[0]!r}")


def upstream_version(debian_version: str) -> str:
    """'1:3.2.10.0-59' -> '3.2.10.0' (no epoch, no Debian revision)."""
    v = debian_version.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def kmod_package_for_kernel(kernel_release: str) -> str:
    """The precompiled module package for a kernel (`contrail-vrouter-$(uname -r)`)."""
    release = kernel_release.strip()
    if not release or any(c.isspace() for c in release):
        raise ParseError(f"expected a kernel release (uname -r), got {kernel_release!r}")
    return f"contrail-vrouter-{release}"


def expected_build_version(kmod_package: str, package_version: str) -> str:
    """The build-version `vrouter --info` shows once the module of that package is loaded."""
    base = upstream_version(package_version)
    return f"{base}-dkms" if kmod_package == DKMS_PACKAGE else base


def choose_kmod_package(installed: set[str] | frozenset[str], kernel_release: str) -> str | None:
    """fab get_vrouter_kmod_pkg: the DKMS package when installed, else the one for this
    kernel when installed; None when neither is (no kernel module package to manage)."""
    if DKMS_PACKAGE in installed:
        return DKMS_PACKAGE
    name = kmod_package_for_kernel(kernel_release)
    return name if name in installed else None


@dataclass(frozen=True)
class LsmodRow:
    name: str
    size: int
    used_by: int
    holders: tuple[str, ...]


def parse_lsmod(text: str) -> dict[str, LsmodRow]:
    """Module name -> row of `lsmod` output (header required)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or lines[0].split() != ["Module", "Size", "Used", "by"]:
        raise ParseError(f"expected lsmod output starting with 'Module  Size  Used by', got {text[:60]!r}")
    rows: dict[str, LsmodRow] = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < 3 or not parts[1].isdigit() or not parts[2].lstrip("-").isdigit():
            raise ParseError(f"expected an lsmod row `name size used [holders]`, got {line!r}")
        holders = tuple(h for h in (parts[3] if len(parts) > 3 else "").split(",") if h)
        rows[parts[0]] = LsmodRow(parts[0], int(parts[1]), int(parts[2]), holders)
    return rows


def parse_modinfo(text: str) -> dict[str, list[str]]:
    """`modinfo MODULE` output -> field -> values (parm and alias repeat)."""
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            raise ParseError(f"expected modinfo `field: value` lines, got {line!r}")
        fields.setdefault(key, []).append(value.strip())
    if "filename" not in fields:
        raise ParseError("modinfo output without a filename line")
    return fields


def tor_agent_confs(ls_output: str, directory: str = "/etc/contrail") -> list[str]:
    """The TOR agent configuration files in a `ls -1 /etc/contrail` listing, sorted
    (contrail-provisioning R3.2 compute/toragent/setup.py names them
    contrail-tor-agent-<tor_id>.conf)."""
    names = [ln.strip().rsplit("/", 1)[-1] for ln in ls_output.splitlines()]
    return sorted(f"{directory}/{n}" for n in names if _TOR_CONF.match(n))


def loaded_build_verdict(loaded: LoadedBuild | None, expected: str, host: str, package: str) -> CheckResult:
    """The loaded vrouter module is the build `package` ships (`vrouter --info`)."""
    return CheckResult(
        ok=loaded is not None and loaded.version == expected,
        what="loaded vrouter kernel module (vrouter --info)",
        expected=f"build {expected} (from {package})",
        found=f"build {loaded.version}" if loaded else "no vrouter module loaded",
        host=host,
        evidence={"package": package, "expected": expected,
                  "loaded": loaded.version if loaded else None, "built": loaded.built if loaded else None},
    )
