"""The pytest plugin: hypothesis profiles, culture fixtures and the coverage summary, run in
pytest's own `pytester` sandbox."""

from __future__ import annotations

import pathlib
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import settings

from crmculture.io import dump
from crmculture.stories import acme_culture

pytest_plugins = ["pytester"]

ARGS = ("-p", "no:cacheprovider", "--import-mode=importlib", "-W", "error")
ROOT = pathlib.Path(__file__).parent.parent.parent


@pytest.fixture(autouse=True)
def keep_the_hypothesis_profile() -> Iterator[None]:
    """The in-process runs load profiles into this process's hypothesis: put ours back."""
    before = settings.get_current_profile_name()
    yield
    settings.load_profile(before)


@pytest.fixture
def acme_file(pytester: pytest.Pytester) -> pathlib.Path:
    path = pytester.path / "cultures" / "acme.yaml"
    path.parent.mkdir()
    path.write_text(dump(acme_culture(), "yaml"))
    return path


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    """`pytest --help` shows the crmculture options."""
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    assert result.ret == 0
    for option in ("--crmculture-profile=", "--crmculture-culture=PATH", "--crmculture-coverage"):
        assert option in text


@pytest.mark.parametrize(
    ("profile", "examples", "derandomized"), [("ci", 100, True), ("thorough", 2000, False)]
)
def test_the_profile_option_loads_a_hypothesis_profile(
    pytester: pytest.Pytester, profile: str, examples: int, derandomized: bool
) -> None:
    """--crmculture-profile registers and loads crmculture-<name> before the tests run."""
    pytester.makepyfile(
        f"""
        from hypothesis import settings

        def test_profile():
            current = settings()
            assert settings.get_current_profile_name() == "crmculture-{profile}"
            assert current.max_examples == {examples}
            assert current.derandomize is {derandomized}
            assert current.deadline is None
        """
    )
    result = pytester.runpytest(*ARGS, f"--crmculture-profile={profile}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"crmculture: hypothesis profile crmculture-{profile}"])


def test_the_profile_can_be_set_in_the_ini_file(pytester: pytest.Pytester) -> None:
    """`crmculture_profile = ci` in the ini works like the option."""
    pytester.makeini("[pytest]\ncrmculture_profile = ci\n")
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            assert settings.get_current_profile_name() == "crmculture-ci"
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)


def test_a_bad_ini_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """An unknown profile name stops the run with a clear message."""
    pytester.makeini("[pytest]\ncrmculture_profile = slow\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(*ARGS)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*crmculture_profile must be one of ci, thorough, not `slow`*"])


def test_without_the_option_no_profile_is_loaded(pytester: pytest.Pytester) -> None:
    """The plugin leaves hypothesis alone unless asked."""
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            assert not settings.get_current_profile_name().startswith("crmculture")
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)


def test_load_culture_finds_files_next_to_the_test(
    pytester: pytest.Pytester, acme_file: pathlib.Path
) -> None:
    """load_culture("acme.yaml") looks next to the test file, then under the rootdir."""
    pytester.makepyfile(
        **{
            "cultures/test_here": """
            def test_next_to_me(load_culture):
                assert load_culture("acme.yaml").policy.name == "acme"
            """,
            "test_root": """
            def test_from_root(load_culture):
                assert load_culture("cultures/acme.yaml").org.names[0] == "accounts_receivable"
            """,
        }
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_the_culture_fixture_loads_the_option(
    pytester: pytest.Pytester, acme_file: pathlib.Path
) -> None:
    """--crmculture-culture names the document the crmculture_culture fixture loads; checks
    then read as one line each."""
    pytester.makepyfile(
        """
        from crmculture.testing import assert_always, assert_journey_bound

        def test_credit_hold(crmculture_culture):
            assert_always(crmculture_culture.policy, when="credit_hold",
                          then={"may_ship": False})

        def test_journeys(crmculture_culture):
            assert_journey_bound(crmculture_culture, 3, doors=["sales"])
        """
    )
    result = pytester.runpytest(*ARGS, "--crmculture-culture=cultures/acme.yaml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*CheckFailed: assert_journey_bound: `replacement_part` from `sales` touches 5*",
            '*customer: {"credit_hold": false, "days_overdue": 1*',
        ]
    )


def test_the_culture_fixture_without_a_path_says_how(pytester: pytest.Pytester) -> None:
    """Using crmculture_culture without configuring it explains what to pass."""
    pytester.makepyfile("def test_it(crmculture_culture): pass")
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pass --crmculture-culture PATH*"])


def test_the_coverage_summary_reports_recorded_decisions(pytester: pytest.Pytester) -> None:
    """With --crmculture-coverage, decisions recorded through the fixture are summarised at
    the end of the run."""
    pytester.makepyfile(
        """
        from crmculture.stories import acme_policy

        def test_hold(crmculture_coverage):
            decision = crmculture_coverage.decide(acme_policy(), {"credit_hold": True,
                "days_overdue": 0, "annual_volume": 0, "tier": "gold"}, "sales")
            assert decision["route_to"] == "accounts_receivable"
        """
    )
    result = pytester.runpytest(*ARGS, "--crmculture-coverage")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*crmculture rule coverage*",
            "coverage of policy `acme` version 2026.11 over 1 customers: 1 of 6 rules matched",
            "*never matched (5):*",
        ]
    )


def test_no_coverage_summary_unless_asked(pytester: pytest.Pytester) -> None:
    """Without the option, nothing is printed; with it and no recorded decision, the summary
    says how to record them."""
    pytester.makepyfile("def test_nothing(): pass")
    quiet = pytester.runpytest(*ARGS)
    assert "crmculture rule coverage" not in quiet.stdout.str()
    loud = pytester.runpytest(*ARGS, "--crmculture-coverage")
    loud.stdout.fnmatch_lines(["*no decisions recorded*"])


def test_the_plugin_imports_without_hypothesis() -> None:
    """The plugin module, loaded by every pytest run, works where hypothesis is missing;
    the testing names then raise ImportError naming the extra."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import crmculture_pytest\n"
        "try:\n"
        "    from crmculture.testing import customers\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install 'crmculture[testing]'" in result.stdout


def test_loading_the_plugin_does_not_import_crmculture() -> None:
    """Every pytest run in an environment with crmculture loads the plugin: it must not pay
    for importing the library (about half a second) unless a test asks for it."""
    code = (
        "import sys, crmculture_pytest\n"
        "print(sorted(name for name in sys.modules if name.startswith('crmculture')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['crmculture_pytest']"


def test_the_how_to_guide_module_runs(pytester: pytest.Pytester) -> None:
    """The pytest module shown in docs/how-to/property-test-a-culture.md passes, with the
    options the guide gives, and prints the coverage summary."""
    guide = (ROOT / "docs" / "how-to" / "property-test-a-culture.md").read_text()
    block = guide.split("A test module using all of it")[1].split("```python\n")[1]
    pytester.makepyfile(test_guide=block.split("```")[0])
    examples = pytester.mkdir("examples")
    (examples / "acme-culture.yaml").write_text(dump(acme_culture(), "yaml"))
    (pytester.path / "acme-culture.yaml").write_text(dump(acme_culture(), "yaml"))
    result = pytester.runpytest(
        *ARGS,
        "--crmculture-profile=ci",
        "--crmculture-culture=examples/acme-culture.yaml",
        "--crmculture-coverage",
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["coverage of policy `acme` *"])
