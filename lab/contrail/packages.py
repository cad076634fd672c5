"""The lab's Contrail .deb packages and its local apt repository (host side).

`build_repo(repo_dir, versions)` builds, for every version, real Debian binary packages
with `dpkg-deb --build --root-owner-group` and indexes them as a flat apt repository
(`Packages`, `Packages.gz`, `Release` from apt-ftparchive). Nodes use it as

    deb [trusted=yes] file:/srv/issu-lab-repo ./

The packages carry what the ISSU touches: a version (the truth is dpkg:
`dpkg-query -W -f '${Version}' contrail-vrouter-agent`), a marker file with the same
version that the simulated daemons read at start (`VERSION_MARKER_DIR/<package>`), the
agent's command wrapper, and dependencies shaped like the real ones. They ship nothing
under /etc: the lab provisions /etc/contrail/*.conf, and an upgrade or downgrade must
leave those files as the operator (or the ISSU) left them.

The build is reproducible (fixed mtimes via SOURCE_DATE_EPOCH, a fixed Release date,
gzip without a timestamp) and cached: a repository whose recorded build key matches
(versions + this module's package definitions + the node-side simulation's sources) is
reused as it is.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from lab.nodefiles import NODE_REPO_DIR

# Where every package records its own version, one file per package, read by the daemons.
VERSION_MARKER_DIR = "/usr/share/contrail/versions"
MAINTAINER = "contrail-issu-runbook lab <issu-lab@localhost>"
# Fixed timestamp for reproducible archives (2017-02-01, the 3.2 era).
SOURCE_DATE_EPOCH = 1485907200
RELEASE_DATE = "Wed, 01 Feb 2017 00:00:00 +0000"
BUILD_KEY_FILE = ".build-key"
# Loose lower bound for "any 3.2 build" in dependencies (as real packages use >=).
ANY_32 = "3.2~"

SIM_DIR = Path(__file__).resolve().parent / "sim"


class PackageBuildError(Exception):
    """A package or the repository index could not be built."""


@dataclass(frozen=True)
class PayloadFile:
    path: str  # absolute path in the installed system
    content: str | bytes
    mode: int = 0o644

    @property
    def data(self) -> bytes:
        return self.content.encode() if isinstance(self.content, str) else self.content


def _gzip(text: str) -> bytes:
    """gzip -n: no name, no timestamp (reproducible)."""
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def changelog_text(name: str, version: str) -> str:
    """A Debian changelog entry; its first line names the version, as on a real system."""
    return (
        f"contrail ({version}) unstable; urgency=low\n\n"
        f"  * Contrail build {version} for the contrail-issu-runbook lab ({name}).\n\n"
        f" -- {MAINTAINER}  {RELEASE_DATE}\n"
    )


@dataclass(frozen=True)
class PackageSpec:
    """One binary package of one version, as DEBIAN/control and a file tree describe it."""

    name: str
    version: str
    summary: str
    description: str
    depends: tuple[str, ...] = ()
    section: str = "contrail"
    files: tuple[PayloadFile, ...] = ()
    scripts: dict[str, str] = field(default_factory=dict)  # postinst/prerm/... -> text
    provides: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return package_filename(self.name, self.version)

    def all_files(self) -> tuple[PayloadFile, ...]:
        marker = PayloadFile(f"{VERSION_MARKER_DIR}/{self.name}", self.version + "\n")
        copyright_ = PayloadFile(
            f"/usr/share/doc/{self.name}/copyright",
            "Simulated Contrail package built by the contrail-issu-runbook lab.\n"
            "It carries no Contrail code: daemons are the lab's simulation (contrail_sim).\n",
        )
        changelog = PayloadFile(f"/usr/share/doc/{self.name}/changelog.Debian.gz",
                                _gzip(changelog_text(self.name, self.version)))
        return (marker, copyright_, changelog) + self.files


# -- package definitions ------------------------------------------------------------

_AGENT_WRAPPER = "#!/usr/bin/python3\nfrom contrail_sim.vrouter.agent import main\nmain()\n"
_TOR_AGENT_WRAPPER = "#!/usr/bin/python3\nfrom contrail_sim.vrouter.tor_agent import main\nmain()\n"
_VROUTER_UTIL_WRAPPER = "#!/usr/bin/python3\nfrom contrail_sim.vrouter.kmod import vrouter_main\nvrouter_main()\n"

# contrail-vrouter-common ships /opt/contrail/bin/vrouter-pre-start.sh, which upstart's
# supervisor-vrouter pre-start runs (contrail-packaging R3.2 common/debian/
# contrail-vrouter-common/debian/rules; contrail-packages R3.2 debian/contrail/debian/
# contrail-vrouter-agent.supervisor-vrouter.upstart). Its insert_vrouter
# (common/control_files/vrouter-functions.sh) loads the module when it is not loaded.
# The real one greps /proc/modules, which in a lab node is the host's: lsmod here.
_VROUTER_PRE_START = """#!/bin/bash
# vrouter-pre-start.sh (lab): insert_vrouter for the kernel vRouter.
kmod=vrouter
[ -f /etc/contrail/agent_param ] && . /etc/contrail/agent_param
if ! lsmod | grep -q "^${kmod} "; then
    if ! modprobe "$kmod"; then
        echo "$(date) : Error inserting vrouter module"
        exit 1
    fi
fi
exit 0
"""

_AGENT_POSTINST = """#!/bin/sh
# contrail-vrouter-agent postinst: the directories the agent logs and keeps state in.
set -e
case "$1" in
    configure)
        mkdir -p /var/log/contrail /var/lib/contrail /var/crashes
        chmod 0755 /var/log/contrail /var/lib/contrail
        ;;
    abort-upgrade|abort-remove|abort-deconfigure)
        ;;
esac
exit 0
"""

_LIB_POSTINST = """#!/bin/sh
# contrail-lib postinst: log directory shared by every Contrail daemon.
set -e
if [ "$1" = configure ]; then
    mkdir -p /var/log/contrail
fi
exit 0
"""

_NODEMGR_POSTINST = """#!/bin/sh
# contrail-nodemgr postinst: the node manager keeps its state under /var/lib/contrail.
set -e
if [ "$1" = configure ]; then
    mkdir -p /var/lib/contrail /var/log/contrail
fi
exit 0
"""


def _ge(name: str) -> str:
    return f"{name} (>= {ANY_32})"


def kernel_release() -> str:
    """The kernel the lab nodes run (they share the host's): `uname -r`."""
    return os.uname().release


def kmod_package(release: str | None = None) -> str:
    """The precompiled vRouter module package for a kernel: contrail-vrouter-<uname -r>
    (contrail-packages R3.2 debian/contrail/debian/control.modules.in)."""
    return f"contrail-vrouter-{release or kernel_release()}"


def kmod_spec(version: str, release: str) -> PackageSpec:
    """The module package of one version: the simulated vrouter.ko at the real path
    (contrail-vrouter-_KVERS_.install.modules.in: lib/modules/*/extra/net/vrouter/vrouter.ko),
    stamped with the build-version its ContrailBuildInfo would carry (the upstream version)."""
    from lab.contrail.sim.vrouter import kmod

    name = kmod_package(release)
    if name != name.lower() or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789+-." for c in name):
        raise PackageBuildError(f"kernel release {release!r} makes no valid Debian package name {name!r}")
    build_version = version.split(":", 1)[-1].rsplit("-", 1)[0]
    return PackageSpec(
        name, version, "OpenContrail VRouter - precompiled module version",
        f"The vRouter kernel module for Linux {release} (lab: a simulated module file, not an ELF object).",
        depends=(f"contrail-vrouter-utils (= {version})",), section="net",
        files=(PayloadFile(kmod.module_path(release), kmod.module_text(build_version, release)),),
        provides=("contrail-vrouter",),
    )


def package_specs(version: str, release: str | None = None) -> tuple[PackageSpec, ...]:
    """Every package of one Contrail version (computes' and controllers'); `release` is the
    kernel the module package is built for (default: this machine's)."""
    def eq(name: str) -> str:
        return f"{name} (= {version})"

    return (
        PackageSpec(
            "contrail-lib", version, "OpenContrail libraries",
            "Shared libraries used by the Contrail daemons.",
            scripts={"postinst": _LIB_POSTINST},
        ),
        PackageSpec(
            "python-contrail", version, "OpenContrail python libraries",
            "Python libraries (sandesh, vnc_api, cfgm_common) used by the Contrail services.",
            depends=("python3", _ge("contrail-lib")), section="python",
        ),
        PackageSpec(
            "contrail-nodemgr", version, "Contrail node manager",
            "Monitors the Contrail processes of a node and reports their state.",
            depends=("python3", _ge("python-contrail")),
            scripts={"postinst": _NODEMGR_POSTINST},
        ),
        PackageSpec(
            "contrail-vrouter-utils", version, "Contrail vRouter utilities",
            "Utilities to inspect the vRouter forwarding tables (vif, rt, nh, flow).",
            depends=(_ge("contrail-lib"),),
            files=(PayloadFile("/usr/bin/vrouter", _VROUTER_UTIL_WRAPPER, 0o755),),
        ),
        kmod_spec(version, release or kernel_release()),
        PackageSpec(
            "contrail-vrouter-agent", version, "Contrail vRouter agent",
            "The vRouter agent: talks XMPP to the control nodes it finds through discovery.",
            depends=("python3", _ge("contrail-lib"), _ge("python-contrail"), _ge("contrail-vrouter-utils")),
            files=(PayloadFile("/usr/bin/contrail-vrouter-agent", _AGENT_WRAPPER, 0o755),
                   PayloadFile("/usr/bin/contrail-tor-agent", _TOR_AGENT_WRAPPER, 0o755)),
            scripts={"postinst": _AGENT_POSTINST},
        ),
        PackageSpec(
            "contrail-vrouter-common", version, "Contrail vRouter common metapackage",
            "Pulls in the vRouter agent and its companions at one consistent version.",
            depends=tuple(eq(n) for n in (
                "contrail-vrouter-agent", "contrail-vrouter-utils", "contrail-nodemgr",
                "python-contrail", "contrail-lib")) + ("contrail-vrouter",),
            files=(PayloadFile("/opt/contrail/bin/vrouter-pre-start.sh", _VROUTER_PRE_START, 0o755),),
            section="metapackages",
        ),
        PackageSpec(
            "contrail-config", version, "Contrail config services",
            "contrail-api, contrail-discovery, schema transformer, svc-monitor, device-manager.",
            depends=("python3", _ge("python-contrail"), _ge("contrail-lib")),
        ),
        PackageSpec(
            "contrail-openstack-config", version, "Contrail config node metapackage",
            "Everything a Contrail config node runs.",
            depends=("supervisor", _ge("contrail-config"), _ge("contrail-nodemgr")),
            section="metapackages",
        ),
        PackageSpec(
            "contrail-control", version, "Contrail control node",
            "The control node: BGP between controllers, XMPP to vRouter agents.",
            depends=(_ge("contrail-lib"), _ge("contrail-nodemgr")),
        ),
        PackageSpec(
            "contrail-analytics", version, "Contrail analytics",
            "Collector, query engine, analytics-api, alarm-gen, snmp-collector.",
            depends=("python3", _ge("python-contrail"), _ge("contrail-lib"), _ge("contrail-nodemgr")),
        ),
        PackageSpec(
            "contrail-openstack-database", version, "Contrail database node metapackage",
            "Configuration database node (Cassandra, ZooKeeper) for Contrail.",
            depends=("supervisor", _ge("contrail-nodemgr")),
            section="metapackages",
        ),
        PackageSpec(
            "contrail-web-core", version, "Contrail web UI core",
            "The Contrail web user interface.",
            depends=(_ge("contrail-nodemgr"),),
        ),
    )


# What each kind of node installs at first boot (the closure is added by `install_set`).
COMPUTE_PACKAGES: tuple[str, ...] = ("contrail-vrouter-common",)
ROLE_PACKAGES: dict[str, tuple[str, ...]] = {
    "config": ("contrail-openstack-config",),
    "control": ("contrail-control",),
    "analytics": ("contrail-analytics",),
    "database": ("contrail-openstack-database",),
    "webui": ("contrail-web-core",),
}


def _dep_name(dep: str) -> str:
    return dep.split("(", 1)[0].strip()


def install_set(top: Iterable[str], version: str) -> tuple[str, ...]:
    """`top` and every lab package they depend on (transitively), in a stable order."""
    specs = {s.name: s for s in package_specs(version)}
    out: list[str] = []
    todo = list(top)
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        if name not in specs:
            raise KeyError(f"unknown lab package {name!r}; known: {', '.join(sorted(specs))}")
        out.append(name)
        todo += [_dep_name(d) for d in specs[name].depends if _dep_name(d) in specs]
    return tuple(out)


def compute_packages(version: str) -> tuple[str, ...]:
    """Every package of a compute node (what an upgrade or a rollback moves together): the
    vRouter metapackage and the module package for the node's kernel, as fab's
    get_compute_pkgs installs them ([kmod package, ...])."""
    return install_set((kmod_package(),) + COMPUTE_PACKAGES, version)


def controller_packages(roles: Iterable[str], version: str) -> tuple[str, ...]:
    top: list[str] = []
    for role in roles:
        top += ROLE_PACKAGES.get(role, ())
    return install_set(top, version) if top else ()


def package_filename(name: str, version: str) -> str:
    return f"{name}_{version}_all.deb"


def dpkg_install_command(packages: Sequence[str], version: str, repo_dir: str = NODE_REPO_DIR) -> str:
    """Shell line that installs the packages' files straight from the repo (first boot: 2-3x
    faster than apt-get, which matters for a 100-compute lab); all in one dpkg run, so
    dpkg orders their configuration by dependency."""
    debs = " ".join(f"{repo_dir}/{package_filename(p, version)}" for p in packages)
    return f"DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold {debs}"


def apt_install_command(packages: Sequence[str], version: str) -> str:
    """Shell line that installs exactly `version` of each package, up or down, without prompts."""
    pins = " ".join(f"{p}={version}" for p in packages)
    return (
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades "
        f"--no-install-recommends {pins}"
    )


# -- building ----------------------------------------------------------------------


def _installed_size_kib(files: Iterable[PayloadFile]) -> int:
    return max(1, sum((len(f.data) + 1023) // 1024 for f in files))


def control_text(spec: PackageSpec) -> str:
    """The DEBIAN/control of `spec` (pure)."""
    lines = [
        f"Package: {spec.name}",
        "Source: contrail",
        f"Version: {spec.version}",
        "Architecture: all",
        f"Maintainer: {MAINTAINER}",
        f"Installed-Size: {_installed_size_kib(spec.all_files())}",
    ]
    if spec.depends:
        lines.append(f"Depends: {', '.join(spec.depends)}")
    if spec.provides:
        lines.append(f"Provides: {', '.join(spec.provides)}")
    lines += [
        f"Section: {spec.section}",
        "Priority: optional",
        "Homepage: https://www.opencontrail.org",
        f"Description: {spec.summary}",
        f" {spec.description}",
    ]
    return "\n".join(lines) + "\n"


def md5sums_text(files: Iterable[PayloadFile]) -> str:
    """DEBIAN/md5sums: `<md5>  <path without leading slash>` per regular file (pure)."""
    rows = sorted(
        (f.path.lstrip("/"), hashlib.md5(f.data).hexdigest()) for f in files
    )
    return "".join(f"{digest}  {path}\n" for path, digest in rows)


def _run(argv: list[str], cwd: Path | None = None) -> str:
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(SOURCE_DATE_EPOCH), LC_ALL="C")
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise PackageBuildError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def _write(path: Path, content: str | bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    os.chmod(path, mode)


def build_deb(spec: PackageSpec, out_dir: Path) -> Path:
    """Build one .deb into `out_dir`; returns its path."""
    with tempfile.TemporaryDirectory(prefix=f"deb-{spec.name}-") as tmp:
        root = Path(tmp) / "root"
        files = spec.all_files()
        for f in files:
            _write(root / f.path.lstrip("/"), f.content, f.mode)
        debian = root / "DEBIAN"
        _write(debian / "control", control_text(spec), 0o644)
        _write(debian / "md5sums", md5sums_text(files), 0o644)
        for script, text in sorted(spec.scripts.items()):
            _write(debian / script, text, 0o755)
        for dirpath, dirnames, _ in os.walk(root):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
        os.chmod(root, 0o755)
        out = out_dir / spec.filename
        _run(["dpkg-deb", "--build", "--root-owner-group", "-Zgzip", str(root), str(out)])
        return out


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def build_key(versions: Sequence[str], sim_dir: Path = SIM_DIR) -> str:
    """What the built repository depends on: versions, these definitions, the sim sources."""
    h = hashlib.sha256()
    h.update(("\n".join(versions) + "\n").encode())
    h.update(kernel_release().encode() + b"\n")
    h.update(Path(__file__).read_bytes())
    h.update(_tree_digest(sim_dir).encode())
    return h.hexdigest()


def _index(repo: Path) -> None:
    packages = _run(["apt-ftparchive", "packages", "."], cwd=repo)
    (repo / "Packages").write_text(packages)
    with open(repo / "Packages.gz", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(packages.encode())
    release = _run(
        [
            "apt-ftparchive",
            "-o", "APT::FTPArchive::Release::Origin=issu-lab",
            "-o", "APT::FTPArchive::Release::Label=issu-lab",
            "-o", "APT::FTPArchive::Release::Suite=lab",
            "-o", "APT::FTPArchive::Release::Codename=lab",
            "-o", "APT::FTPArchive::Release::Architectures=all amd64",
            "-o", "APT::FTPArchive::Release::Description=contrail-issu-runbook lab repository",
            "-o", f"APT::FTPArchive::Release::Date={RELEASE_DATE}",
            "release", ".",
        ],
        cwd=repo,
    )
    (repo / "Release").write_text(release)


def unique_versions(versions: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in versions:
        if v not in out:
            out.append(v)
    return tuple(out)


def build_repo(repo_dir: Path, versions: Sequence[str], sim_dir: Path = SIM_DIR) -> bool:
    """Make `repo_dir` a flat apt repository with every package of every version.

    Returns True when it built, False when the cached repository was reused.
    """
    versions = unique_versions(versions)
    if not versions:
        raise PackageBuildError("no package version to build")
    key = build_key(versions, sim_dir)
    marker = repo_dir / BUILD_KEY_FILE
    if marker.is_file() and marker.read_text().strip() == key and (repo_dir / "Release").is_file():
        return False
    repo_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".repo-build-", dir=repo_dir.parent))
    try:
        os.chmod(staging, 0o755)
        for version in versions:
            for spec in package_specs(version):
                build_deb(spec, staging)
        for deb in staging.glob("*.deb"):
            os.chmod(deb, 0o644)
        _index(staging)
        for name in ("Packages", "Packages.gz", "Release"):
            os.chmod(staging / name, 0o644)
        (staging / BUILD_KEY_FILE).write_text(key + "\n")
        old = None
        if repo_dir.exists():
            old = repo_dir.parent / f".repo-old-{os.getpid()}"
            os.rename(repo_dir, old)
        os.rename(staging, repo_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


def sources_list_line() -> str:
    return f"deb [trusted=yes] file:{NODE_REPO_DIR} ./\n"
