"""The crmculture pytest plugin (registered through the ``pytest11`` entry point).

It is loaded by every pytest run in an environment where crmculture is installed, so it lives
outside the `crmculture` package and imports neither crmculture nor hypothesis when loaded
(importing crmculture takes about half a second): each is imported when an option or fixture
asks for it.

Options (each also an ini setting with ``-`` replaced by ``_``, e.g. ``crmculture_profile``):

- ``--crmculture-profile {ci,thorough}``: register and load a hypothesis profile for the
  run, ``crmculture-ci`` (derandomized, no example database, no deadline, 100 examples) or
  ``crmculture-thorough`` (2,000 examples, no deadline).
- ``--crmculture-culture PATH``: the culture document the ``crmculture_culture`` fixture
  loads (relative to the rootdir).
- ``--crmculture-coverage``: at the end of the session, print the rule coverage
  (`crmculture.testing.coverage`) of the decisions tests recorded with the
  ``crmculture_coverage`` fixture.

Fixtures:

- ``load_culture``: a function ``load_culture(path)`` that loads a culture document
  (`crmculture.load`), a relative path being looked up next to the test file, then under the
  rootdir.
- ``crmculture_culture``: the culture named by ``--crmculture-culture`` (session-scoped).
- ``crmculture_coverage``: a recorder; ``crmculture_coverage.decide(policy, customer,
  department=None)`` decides and records, ``crmculture_coverage.record(decision)`` records a
  decision made elsewhere. Only recorded decisions count: the report is honest about what
  the tests asked, not about what the code under test did.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from crmculture.culture import Culture
    from crmculture.evaluate.decision import Decision
    from crmculture.model.policies import Policy

__all__ = ["PROFILES", "CoverageRecorder"]

PROFILES = ("ci", "thorough")
"""The hypothesis profiles ``--crmculture-profile`` offers."""

_PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    "ci": {"derandomize": True, "database": None, "deadline": None, "max_examples": 100},
    "thorough": {"deadline": None, "max_examples": 2_000},
}

_RECORDER = pytest.StashKey["CoverageRecorder"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crmculture")
    group.addoption(
        "--crmculture-profile",
        choices=PROFILES,
        default=None,
        help="hypothesis profile for culture property tests: "
        "ci (derandomized, 100 examples) or thorough (2,000 examples)",
    )
    parser.addini(
        "crmculture_profile", "default for --crmculture-profile (ci or thorough)", default=""
    )
    group.addoption(
        "--crmculture-culture",
        default=None,
        metavar="PATH",
        help="culture document loaded by the crmculture_culture fixture",
    )
    parser.addini(
        "crmculture_culture", "default for --crmculture-culture (relative to rootdir)", default=""
    )
    group.addoption(
        "--crmculture-coverage",
        action="store_true",
        default=False,
        help="report the rule coverage of decisions recorded with the crmculture_coverage fixture",
    )
    parser.addini(
        "crmculture_coverage", "default for --crmculture-coverage", type="bool", default=False
    )


def _profile(config: pytest.Config) -> str | None:
    chosen = config.getoption("crmculture_profile") or config.getini("crmculture_profile")
    if not chosen:
        return None
    if chosen not in PROFILES:
        raise pytest.UsageError(
            f"crmculture_profile must be one of {', '.join(PROFILES)}, not `{chosen}`"
        )
    return str(chosen)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RECORDER] = CoverageRecorder()
    chosen = _profile(config)
    if chosen is None:
        return
    try:
        from hypothesis import settings
    except ImportError:  # pragma: no cover - exercised without the extra installed
        raise pytest.UsageError(
            "--crmculture-profile needs hypothesis: install the extra with "
            "`pip install 'crmculture[testing]'`"
        ) from None
    name = f"crmculture-{chosen}"
    # Built on hypothesis's defaults, not on whatever profile a conftest loaded before.
    default = settings.get_profile("default")
    settings.register_profile(name, default, **_PROFILE_SETTINGS[chosen])
    settings.load_profile(name)


def pytest_report_header(config: pytest.Config) -> str | None:
    chosen = _profile(config)
    return None if chosen is None else f"crmculture: hypothesis profile crmculture-{chosen}"


def _coverage_on(config: pytest.Config) -> bool:
    return bool(config.getoption("crmculture_coverage") or config.getini("crmculture_coverage"))


class CoverageRecorder:
    """Collects the decisions tests opt in to, for the session's coverage report.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> recorder = CoverageRecorder()
        >>> decision = recorder.decide(acme_policy(), {"credit_hold": True, "days_overdue": 0,
        ...     "annual_volume": 0, "tier": "gold"}, department="sales")
        >>> decision["route_to"], len(recorder.decisions)
        ('accounts_receivable', 1)
    """

    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def record(self, decision: Decision) -> Decision:
        """Record a decision; return it."""
        from crmculture.evaluate.decision import Decision

        if not isinstance(decision, Decision):
            raise TypeError(f"expected a Decision, got {type(decision).__name__}")
        self.decisions.append(decision)
        return decision

    def decide(self, policy: Policy, customer: object, department: str | None = None) -> Decision:
        """Decide for `customer` with the compiled `policy`, record the decision, return it."""
        return self.record(policy.compile()(customer, department))

    def reports(self) -> list[Any]:
        """One `crmculture.testing.CoverageReport` per policy decided, by name and version."""
        from crmculture.testing.coverage import coverage

        by_policy: dict[str, tuple[Policy, list[Decision]]] = {}
        for decision in self.decisions:
            key = decision.policy.fingerprint
            by_policy.setdefault(key, (decision.policy, []))[1].append(decision)
        chosen = sorted(by_policy.values(), key=lambda pair: (pair[0].name, pair[0].version))
        return [coverage(policy, decisions) for policy, decisions in chosen]


@pytest.fixture
def crmculture_coverage(request: pytest.FixtureRequest) -> CoverageRecorder:
    """The session's decision recorder; see `CoverageRecorder`."""
    return request.config.stash[_RECORDER]


def _resolve(path: str | pathlib.Path, *bases: pathlib.Path) -> pathlib.Path:
    candidate = pathlib.Path(path)
    if candidate.is_absolute():
        return candidate
    for base in bases:
        if (base / candidate).exists():
            return base / candidate
    return bases[-1] / candidate


@pytest.fixture
def load_culture(request: pytest.FixtureRequest) -> Callable[[str | pathlib.Path], Culture]:
    """A function that loads a culture document: ``load_culture("acme.yaml")``.

    A relative path is looked up next to the test file, then under the rootdir.
    """
    from crmculture.io.documents import load

    here = request.path.parent
    root = request.config.rootpath

    def loader(path: str | pathlib.Path) -> Culture:
        return load(_resolve(path, here, root))

    return loader


@pytest.fixture(scope="session")
def crmculture_culture(request: pytest.FixtureRequest) -> Culture:
    """The culture named by ``--crmculture-culture`` (or the ``crmculture_culture`` ini
    setting), relative to the rootdir."""
    config = request.config
    path = config.getoption("crmculture_culture") or config.getini("crmculture_culture")
    if not path:
        raise pytest.UsageError(
            "the crmculture_culture fixture needs a culture document: "
            "pass --crmculture-culture PATH or set crmculture_culture in the pytest ini"
        )
    from crmculture.io.documents import load

    return load(_resolve(path, config.rootpath))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not _coverage_on(config):
        return
    recorder = config.stash.get(_RECORDER, None)
    terminalreporter.section("crmculture rule coverage")
    if recorder is None or not recorder.decisions:
        terminalreporter.write_line(
            "no decisions recorded: use the crmculture_coverage fixture "
            "(crmculture_coverage.decide(policy, customer)) in your tests"
        )
        return
    for report in recorder.reports():
        for line in report.summary().splitlines():
            terminalreporter.write_line(line)
