"""The lab's .deb packages and local apt repository, built for real into tmp_path."""
from __future__ import annotations

import gzip
import hashlib
import subprocess
from pathlib import Path

import pytest

from lab.contrail import packages as pk

OLD, NEW = "3.2.3.0-73", "3.2.10.0-59"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lab") / "repo"
    assert pk.build_repo(out, (OLD, NEW)) is True
    return out


def _info(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def _contents(deb: Path) -> dict[str, str]:
    """path -> mode string, from `dpkg-deb -c`."""
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        rows[parts[5].removeprefix(".")] = parts[0]
    return rows


def _stanzas(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        out.append(fields)
    return out


def test_every_package_of_both_versions_is_built(repo):
    names = {s.name for s in pk.package_specs(OLD)}
    assert {"contrail-vrouter-agent", "contrail-vrouter-utils", "contrail-nodemgr", "python-contrail",
            "contrail-lib", "contrail-vrouter-common", "contrail-openstack-config", "contrail-config",
            "contrail-control", "contrail-analytics", "contrail-openstack-database",
            "contrail-web-core"} <= names
    for version in (OLD, NEW):
        for name in names:
            deb = repo / f"{name}_{version}_all.deb"
            assert deb.is_file(), deb
            assert _info(deb, "Package") == name
            assert _info(deb, "Version") == version
            assert _info(deb, "Architecture") == "all"
            assert _info(deb, "Maintainer")
            assert _info(deb, "Description")


def test_agent_package_ships_wrapper_marker_and_postinst(repo, tmp_path):
    deb = repo / f"contrail-vrouter-agent_{NEW}_all.deb"
    files = _contents(deb)
    assert files["/usr/bin/contrail-vrouter-agent"].startswith("-rwxr-xr-x")
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "postinst" in info and "md5sums" in info
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    wrapper = (tmp_path / "usr/bin/contrail-vrouter-agent").read_text()
    assert wrapper.startswith("#!/usr/bin/python3\n")
    assert "from contrail_sim.vrouter.agent import main" in wrapper
    assert (tmp_path / pk.VERSION_MARKER_DIR.lstrip("/") / "contrail-vrouter-agent").read_text() == NEW + "\n"


def test_md5sums_match_payload(repo, tmp_path):
    deb = repo / f"contrail-vrouter-agent_{OLD}_all.deb"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tmp_path / "x")], check=True)
    lines = (tmp_path / "x/DEBIAN/md5sums").read_text().splitlines()
    assert lines
    for line in lines:
        digest, path = line.split("  ", 1)
        assert hashlib.md5((tmp_path / "x" / path).read_bytes()).hexdigest() == digest


def test_no_package_ships_anything_under_etc(repo):
    # The lab provisions /etc/contrail/*.conf; an upgrade must never replace them.
    for deb in repo.glob("*.deb"):
        assert not [p for p in _contents(deb) if p.startswith("/etc/")], deb.name


def test_vrouter_common_pins_its_companions_to_its_own_version(repo):
    depends = _info(repo / f"contrail-vrouter-common_{OLD}_all.deb", "Depends")
    for name in ("contrail-vrouter-agent", "contrail-vrouter-utils", "contrail-nodemgr",
                 "python-contrail", "contrail-lib"):
        assert f"{name} (= {OLD})" in depends
    # the agent itself depends loosely, so it can move alone (up or down)
    agent = _info(repo / f"contrail-vrouter-agent_{OLD}_all.deb", "Depends")
    assert "(=" not in agent and "contrail-lib (>= 3.2~)" in agent


def test_versions_order_old_before_new():
    assert subprocess.run(["dpkg", "--compare-versions", OLD, "lt", NEW]).returncode == 0
    assert subprocess.run(["dpkg", "--compare-versions", NEW, "lt", OLD]).returncode != 0
    assert subprocess.run(["dpkg", "--compare-versions", pk.ANY_32, "le", OLD]).returncode == 0


def test_packages_index_lists_every_deb_with_right_checksums(repo):
    text = (repo / "Packages").read_text()
    assert gzip.decompress((repo / "Packages.gz").read_bytes()).decode() == text
    stanzas = _stanzas(text)
    debs = sorted(p.name for p in repo.glob("*.deb"))
    assert sorted(s["Filename"].removeprefix("./") for s in stanzas) == debs
    for s in stanzas:
        data = (repo / s["Filename"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s["SHA256"]
        assert int(s["Size"]) == len(data)
    agent_versions = {s["Version"] for s in stanzas if s["Package"] == "contrail-vrouter-agent"}
    assert agent_versions == {OLD, NEW}


def test_release_checksums_the_indexes(repo):
    release = (repo / "Release").read_text()
    sha = release.split("SHA256:\n", 1)[1]
    for name in ("Packages", "Packages.gz"):
        digest = hashlib.sha256((repo / name).read_bytes()).hexdigest()
        assert f" {digest} " in sha and sha.count(name) >= 1
    assert "Date: " + pk.RELEASE_DATE in release


def test_repo_is_world_readable_for_apts_sandbox_user(repo):
    assert repo.stat().st_mode & 0o005 == 0o005
    for p in repo.iterdir():
        assert p.stat().st_mode & 0o004, p


def test_build_is_cached_and_keyed_on_versions(tmp_path):
    repo = tmp_path / "repo"
    assert pk.build_repo(repo, (OLD, NEW)) is True
    first = (repo / pk.BUILD_KEY_FILE).read_text()
    assert pk.build_repo(repo, (OLD, NEW)) is False
    assert pk.build_repo(repo, (OLD, "3.2.11.0-1")) is True
    assert (repo / pk.BUILD_KEY_FILE).read_text() != first
    assert not (repo / f"contrail-lib_{NEW}_all.deb").exists()
    assert (repo / "contrail-lib_3.2.11.0-1_all.deb").exists()
    assert not list(tmp_path.glob(".repo-*")), "staging directories left behind"


def test_build_key_follows_sim_sources(tmp_path):
    sim = tmp_path / "sim"
    sim.mkdir()
    (sim / "a.py").write_text("x = 1\n")
    k1 = pk.build_key((OLD, NEW), sim)
    (sim / "a.py").write_text("x = 2\n")
    assert pk.build_key((OLD, NEW), sim) != k1
    assert pk.build_key((OLD,), sim) != pk.build_key((OLD, NEW), sim)


def test_build_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    pk.build_repo(a, (OLD, NEW))
    pk.build_repo(b, (OLD, NEW))
    for p in sorted(a.iterdir()):
        assert p.read_bytes() == (b / p.name).read_bytes(), p.name


def test_same_version_twice_builds_once(tmp_path):
    pk.build_repo(tmp_path / "r", (OLD, OLD))
    assert len(list((tmp_path / "r").glob("contrail-lib_*.deb"))) == 1


def test_install_sets():
    compute = pk.compute_packages(OLD)
    # fab get_compute_pkgs: [kmod package, the vrouter metapackage]
    assert compute[:2] == (pk.kmod_package(), "contrail-vrouter-common")
    assert set(compute) == {pk.kmod_package(), "contrail-vrouter-common", "contrail-vrouter-agent",
                            "contrail-vrouter-utils", "contrail-nodemgr", "python-contrail", "contrail-lib"}
    ctl = pk.controller_packages(["config", "control"], NEW)
    assert {"contrail-openstack-config", "contrail-config", "contrail-control", "python-contrail",
            "contrail-lib", "contrail-nodemgr"} == set(ctl)
    assert pk.controller_packages([], NEW) == ()
    with pytest.raises(KeyError, match="unknown lab package"):
        pk.install_set(["nope"], OLD)


def test_apt_install_command_pins_every_package():
    line = pk.apt_install_command(["contrail-lib", "contrail-vrouter-agent"], OLD)
    assert f"contrail-lib={OLD}" in line and f"contrail-vrouter-agent={OLD}" in line
    assert "--allow-downgrades" in line and "-y" in line.split()


def test_control_text_fields():
    spec = pk.package_specs(OLD)[0]
    text = pk.control_text(spec)
    assert text.startswith(f"Package: {spec.name}\n")
    assert f"Version: {OLD}\n" in text and "Architecture: all\n" in text
    assert text.endswith("\n") and "\n\n" not in text


# -- apt's own resolver on the index, without touching the host (apt-get -s) ----------

HOST_PACKAGES = ("python3", "supervisor")


def _apt(tmp_path: Path, repo: Path, status: str, *args: str) -> subprocess.CompletedProcess[str]:
    state = tmp_path / "state"
    (state / "lists/partial").mkdir(parents=True, exist_ok=True)
    (tmp_path / "cache/archives/partial").mkdir(parents=True, exist_ok=True)
    (tmp_path / "status").write_text(status)
    src = tmp_path / "sources.list"
    src.write_text(f"deb [trusted=yes] file:{repo} ./\n")
    opts = [
        "-o", f"Dir::State={state}", "-o", f"Dir::State::status={tmp_path / 'status'}",
        "-o", f"Dir::Cache={tmp_path / 'cache'}", "-o", f"Dir::Etc::SourceList={src}",
        "-o", "Dir::Etc::SourceParts=-", "-o", "Dir::Etc::Preferences=-",
        "-o", "Dir::Etc::PreferencesParts=-", "-o", "Acquire::Languages=none",
        "-o", "APT::Sandbox::User=root", "-o", "Debug::NoLocking=1",
        "-o", "APT::Architecture=amd64",
    ]
    return subprocess.run(["apt-get", *opts, *args], capture_output=True, text=True, timeout=60)


def _status_of(installed: dict[str, str], repo: Path) -> str:
    """A dpkg status file: host packages as bare stanzas, lab packages as their real control data."""
    index = {(st["Package"], st["Version"]): block
             for block, st in zip((repo / "Packages").read_text().strip().split("\n\n"),
                                  _stanzas((repo / "Packages").read_text()))}
    drop = ("Filename:", "Size:", "MD5sum:", "SHA1:", "SHA256:", "SHA512:")
    rows = []
    for name, version in installed.items():
        block = index.get((name, version))
        if block is None:
            block = (f"Package: {name}\nPriority: optional\nArchitecture: all\nVersion: {version}\n"
                     "Maintainer: x <x@y>\nDescription: x")
        lines = [ln for ln in block.splitlines() if not ln.startswith(drop)]
        rows.append(lines[0] + "\nStatus: install ok installed\n" + "\n".join(lines[1:]) + "\n")
    return "\n".join(rows)


@pytest.fixture()
def apt(tmp_path, repo):
    base = {name: "9.9" for name in HOST_PACKAGES}

    def run(installed: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        status = _status_of({**base, **installed}, repo)
        if not (tmp_path / "state/lists").exists() or not any((tmp_path / "state/lists").iterdir()):
            upd = _apt(tmp_path, repo, status, "update")
            assert upd.returncode == 0, upd.stderr
        return _apt(tmp_path, repo, status, "-s", *args)
    return run


def _planned(out: str) -> dict[str, str]:
    """`apt-get -s` 'Inst name [old] (new ...)' lines -> {name: new version}."""
    plan = {}
    for line in out.splitlines():
        if line.startswith("Inst "):
            parts = line.split()
            plan[parts[1]] = line.split("(", 1)[1].split()[0]
    return plan


def _removed(out: str) -> set[str]:
    return {line.split()[1] for line in out.splitlines() if line.startswith("Remv ")}


def test_apt_resolves_the_compute_first_boot_install(apt):
    args = pk.apt_install_command(pk.compute_packages(OLD), OLD).split("apt-get ", 1)[1].split()
    proc = apt({}, *args)
    assert proc.returncode == 0, proc.stderr
    assert _planned(proc.stdout) == {p: OLD for p in pk.compute_packages(OLD)}


def test_apt_upgrading_the_agent_alone_moves_the_whole_compute_set(apt):
    installed = {p: OLD for p in pk.compute_packages(OLD)}
    proc = apt(installed, "install", "-y", f"contrail-vrouter-agent={NEW}")
    assert proc.returncode == 0, proc.stderr
    assert _planned(proc.stdout) == {p: NEW for p in pk.compute_packages(NEW)}


def test_apt_downgrading_the_set_keeps_it_consistent(apt):
    installed = {p: NEW for p in pk.compute_packages(NEW)}
    args = pk.apt_install_command(pk.compute_packages(OLD), OLD).split("apt-get ", 1)[1].split()
    proc = apt(installed, *args)
    assert proc.returncode == 0, proc.stderr
    assert _planned(proc.stdout) == {p: OLD for p in pk.compute_packages(OLD)}
    assert not _removed(proc.stdout)


def test_apt_downgrading_the_agent_alone_drops_the_metapackage(apt):
    # Real packaging trap: contrail-vrouter-common pins (=) its companions, so an agent-only
    # downgrade removes it. The runbook should downgrade the whole set (test above).
    installed = {p: NEW for p in pk.compute_packages(NEW)}
    proc = apt(installed, "install", "-y", "--allow-downgrades", f"contrail-vrouter-agent={OLD}")
    assert proc.returncode == 0, proc.stderr
    assert _planned(proc.stdout) == {"contrail-vrouter-agent": OLD}
    assert _removed(proc.stdout) == {"contrail-vrouter-common"}


def test_metapackage_changelog_names_its_version(repo, tmp_path):
    deb = repo / f"contrail-openstack-config_{OLD}_all.deb"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    log = gzip.decompress((tmp_path / "usr/share/doc/contrail-openstack-config/changelog.Debian.gz")
                          .read_bytes()).decode()
    assert log.splitlines()[0] == f"contrail ({OLD}) unstable; urgency=low"
    assert subprocess.run(["dpkg-parsechangelog", "-l", "-", "-S", "Version"], input=log, text=True,
                          capture_output=True).stdout.strip() == OLD


def test_failed_build_keeps_the_previous_repo(tmp_path):
    repo = tmp_path / "repo"
    pk.build_repo(repo, (OLD,))
    before = sorted(p.name for p in repo.iterdir())
    with pytest.raises(pk.PackageBuildError, match="dpkg-deb"):
        pk.build_repo(repo, (OLD, "not_a_version"))
    assert sorted(p.name for p in repo.iterdir()) == before
    assert not list(tmp_path.glob(".repo-*"))
    with pytest.raises(pk.PackageBuildError, match="no package version"):
        pk.build_repo(repo, ())
