"""The runbook's pytest plugin: options, the inventory, lab autostart, step selection,
confirmation, hard stops, the journal and the Allure environment.

Active only when `--cluster` is given, so the project's own test suite is untouched.
Reads top to bottom: pytest_addoption -> pytest_configure -> RunbookPlugin -> fixtures.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from issu.fleet import Fleet
from issu.inventory import InventoryError, LoadedInventory, load
from issu.journal import Journal

PHASES = ("preflight", "migrate-config", "migrate-compute", "rollback-compute", "finalize")
FORWARD_PHASES = ("preflight", "migrate-config", "migrate-compute", "finalize")
# Phases that change the cluster (preflight only reads).
MUTATING_PHASES = frozenset(PHASES) - {"preflight"}
REPORTS = Path("reports")

RUNBOOK_KEY = pytest.StashKey["RunbookPlugin"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("issu", "Contrail ISSU runbook")
    group.addoption("--cluster", dest="issu_cluster", metavar="FILE", default=None,
                    help="inventory YAML of the cluster to upgrade (required to run the runbook).")
    group.addoption("--phase", dest="issu_phases", action="append", choices=PHASES, default=None,
                    help="run only this phase (repeatable); default: every forward phase "
                         "(preflight, migrate-config, migrate-compute, finalize).")
    group.addoption("--computes", dest="issu_computes", metavar="NAME,...", default=None,
                    help="computes or compute groups to migrate / roll back (default: all, group by group).")
    group.addoption("--check-only", dest="issu_check_only", action="store_true", default=False,
                    help="pre-flight run: every step checks and plans, nothing is changed on any host.")
    group.addoption("--yes", dest="issu_yes", action="store_true", default=False,
                    help="do not ask before the first change (needed when stdin is not a terminal).")
    group.addoption("--journal", dest="issu_journal", metavar="FILE", default=str(REPORTS / "journal.jsonl"),
                    help="append-only run journal (default: %(default)s).")
    group.addoption("--settle-timeout", dest="issu_settle_timeout", type=float, default=None, metavar="SECONDS",
                    help="cap on how long a step waits for the cluster to converge (sessions, elections); "
                         "default: each step's own (up to 120 s).")
    group.addoption("--no-lab-autostart", dest="issu_lab_autostart", action="store_false", default=True,
                    help="with a lab inventory, do not boot the embedded lab if it is down.")


@dataclass(frozen=True)
class RunOptions:
    phases: tuple[str, ...]
    computes: tuple[str, ...]  # compute names, expanded from names and groups
    check_only: bool
    yes: bool


def _run_options(config: pytest.Config, inv: LoadedInventory) -> RunOptions:
    phases = tuple(config.getoption("issu_phases") or FORWARD_PHASES)
    model = inv.model
    wanted = config.getoption("issu_computes")
    if wanted is None:
        computes = tuple(c.name for c in model.computes)
    else:
        groups = model.compute_groups()
        names = {c.name for c in model.computes}
        computes_l: list[str] = []
        for word in [w.strip() for w in wanted.split(",") if w.strip()]:
            if word in names:
                members = [word]
            elif word in groups:
                members = [c.name for c in groups[word]]
            else:
                raise pytest.UsageError(
                    f"--computes: {word!r} is neither a compute nor a group of {inv.path} "
                    f"(computes: {', '.join(sorted(names))}; groups: {', '.join(sorted(groups))})")
            computes_l += [m for m in members if m not in computes_l]
        if not computes_l:
            raise pytest.UsageError("--computes: no compute named")
        computes = tuple(computes_l)
    if "rollback-compute" in phases and "finalize" in phases:
        raise pytest.UsageError("--phase rollback-compute and --phase finalize cannot run together")
    return RunOptions(phases, computes, bool(config.getoption("issu_check_only")), bool(config.getoption("issu_yes")))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("issu_cluster")
    if path is None:
        if _runs_the_runbook(config):
            raise pytest.UsageError("the runbook needs --cluster FILE (for the embedded lab: --cluster clusters/lab.yaml)")
        return
    try:
        inv = load(path)
    except InventoryError as exc:
        raise pytest.UsageError(str(exc)) from None
    options = _run_options(config, inv)
    # Defaults for the report locations, set before allure's and junitxml's own configure.
    if getattr(config.option, "allure_report_dir", None) is None:
        config.option.allure_report_dir = str(REPORTS / "allure-results")
    if getattr(config.option, "xmlpath", None) is None:
        config.option.xmlpath = str(REPORTS / "junit.xml")
    plugin = RunbookPlugin(config, inv, options)
    config.stash[RUNBOOK_KEY] = plugin
    config.pluginmanager.register(plugin, "issu-runbook")


def _runs_the_runbook(config: pytest.Config) -> bool:
    runbook_dir = (Path(__file__).resolve().parent.parent / "runbook").resolve()
    for arg in config.args:
        target = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if target == runbook_dir or runbook_dir in target.parents:
            return True
    return False


def step_phase(item: pytest.Item) -> str | None:
    module = getattr(item, "module", None)
    return getattr(module, "PHASE", None)


def step_title(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[-1]


@dataclass
class RunbookPlugin:
    config: pytest.Config
    inventory: LoadedInventory
    options: RunOptions
    blocked_by: str | None = None
    fleet: Fleet | None = None
    journal: Journal | None = None
    steps: list[str] = field(default_factory=list)

    # -- selection --------------------------------------------------------------
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep, drop = [], []
        for item in items:
            phase = step_phase(item)
            (keep if phase in self.options.phases else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep
        self.steps = [step_title(i) for i in keep]

    # -- session ----------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._write_allure_environment()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not session.items:
            return
        self._ensure_lab()
        self.fleet = Fleet(self.inventory, check_only=self.options.check_only)
        self.journal = Journal(Path(self.config.getoption("issu_journal")), self.inventory.digest, self.fleet.redactor)
        self.journal.record("session", "start", phases=list(self.options.phases),
                            computes=list(self.options.computes), check_only=self.options.check_only,
                            steps=self.steps)
        self._confirm(session)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.journal is not None:
            self.journal.record("session", "finish", exitstatus=int(exitstatus), blocked_by=self.blocked_by)
        if self.fleet is not None:
            self.fleet.close()

    def _ensure_lab(self) -> None:
        lab = self.inventory.model.lab
        if lab is None or not lab.autostart or not self.config.getoption("issu_lab_autostart"):
            return
        from lab import boot

        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        say = (lambda m: tr.write_line(f"issu: {m}")) if tr else (lambda m: None)
        if boot.lab_status(self.inventory) == "up":
            return
        if self.options.check_only:
            raise pytest.UsageError(
                f"{self.inventory.path}: the lab is not up and --check-only starts nothing; "
                f"run: issu-lab up --cluster {self.inventory.path}")
        say(f"the lab {self.inventory.model.name} is down: booting it (issu-lab up --cluster {self.inventory.path})")
        try:
            boot.up(self.inventory, log=say)
        except boot.LabError as exc:
            raise pytest.UsageError(f"lab {self.inventory.model.name}: {exc}") from None

    def _confirm(self, session: pytest.Session) -> None:
        mutating = [p for p in self.options.phases if p in MUTATING_PHASES]
        if self.options.check_only or self.options.yes or not mutating:
            return
        if not sys.stdin.isatty():
            raise pytest.UsageError(
                f"this run changes the cluster ({', '.join(mutating)}) and stdin is not a terminal: "
                "add --yes to confirm, or --check-only to change nothing")
        capman = self.config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled():
            print(f"\nISSU plan for {self.inventory.model.name} ({self.inventory.path}):")
            for title in self.steps:
                print(f"  - {title}")
            answer = input("Proceed with these changes? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            pytest.exit("not confirmed: nothing was changed", returncode=3)

    # -- hard stop --------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        if self.blocked_by is not None and step_phase(item) is not None:
            if self.journal:
                self.journal.record(step_title(item), "blocked", by=self.blocked_by)
            pytest.fail(f"blocked by {self.blocked_by}: an earlier step failed, this step was not run",
                        pytrace=False)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if step_phase(item) is None:
            return
        if report.when == "call" or report.failed:
            if report.failed and self.blocked_by is None:
                self.blocked_by = step_title(item)
            if self.journal and not (report.when == "call" and "blocked by" in str(report.longrepr or "")):
                self.journal.record(step_title(item), report.when + ":" + report.outcome,
                                    duration=round(report.duration, 3),
                                    message=_short(report.longrepr) if report.failed else "")

    # -- allure -------------------------------------------------------------
    def _write_allure_environment(self) -> None:
        results = Path(self.config.option.allure_report_dir)
        results.mkdir(parents=True, exist_ok=True)
        m = self.inventory.model
        env = {
            "cluster": m.name, "inventory": str(self.inventory.path),
            "inventory.sha256": self.inventory.digest[:16],
            "version.old": m.old.version, "version.new": m.new.version,
            "phases": ",".join(self.options.phases), "computes": ",".join(self.options.computes),
            "check_only": str(self.options.check_only).lower(), "lab": str(m.lab is not None).lower(),
        }
        (results / "environment.properties").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        (results / "executor.json").write_text(json.dumps({
            "name": "contrail-issu-runbook", "type": "pytest",
            "buildName": f"{m.name} {m.old.version} -> {m.new.version}"
                         + (" (check-only)" if self.options.check_only else ""),
        }, indent=1))
        (results / "categories.json").write_text(json.dumps(CATEGORIES, indent=1))


CATEGORIES = [
    {"name": "Blocked by earlier failure", "matchedStatuses": ["failed", "broken"],
     "messageRegex": "(?s).*blocked by .*"},
    {"name": "Remote unreachable", "matchedStatuses": ["failed", "broken"],
     "traceRegex": "(?s).*(TransportError|UnknownHost|HostKeyMismatch|NoValidConnectionsError).*"},
    {"name": "Refused in check-only mode", "matchedStatuses": ["failed", "broken"],
     "traceRegex": "(?s).*CheckOnlyViolation.*"},
    {"name": "Remote command failed", "matchedStatuses": ["failed", "broken"],
     "traceRegex": "(?s).*CommandFailed.*"},
    {"name": "Post-condition failed", "matchedStatuses": ["failed"],
     "messageRegex": "(?s).*(PostConditionFailed|AssertionError).*"},
]


def _short(longrepr) -> str:
    text = str(longrepr or "")
    lines = [ln for ln in text.splitlines() if ln.startswith("E ")] or text.splitlines()[-3:]
    return "\n".join(lines)[-1500:]


# -- fixtures for the steps ---------------------------------------------------------
def _plugin(request: pytest.FixtureRequest) -> RunbookPlugin:
    plugin = request.config.stash.get(RUNBOOK_KEY, None)
    if plugin is None:
        raise pytest.UsageError("the runbook needs --cluster FILE")
    return plugin


@pytest.fixture(scope="session")
def runbook(request: pytest.FixtureRequest) -> RunbookPlugin:
    return _plugin(request)


@pytest.fixture(scope="session")
def inventory(runbook: RunbookPlugin) -> LoadedInventory:
    return runbook.inventory


@pytest.fixture(scope="session")
def fleet(runbook: RunbookPlugin) -> Fleet:
    if runbook.fleet is None:
        raise RuntimeError("the fleet is made when the steps are collected; no step was selected")
    return runbook.fleet


@pytest.fixture(scope="session")
def check_only(runbook: RunbookPlugin) -> bool:
    return runbook.options.check_only


@pytest.fixture
def step(runbook: RunbookPlugin, request: pytest.FixtureRequest):
    """The current step's plan/apply/expect helper (issu.steps.Step)."""
    from issu.steps import Step

    return Step(step_title(request.node), fleet=runbook.fleet, journal=runbook.journal,
                settle_cap=request.config.getoption("issu_settle_timeout"))
