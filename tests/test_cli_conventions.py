"""The command line follows the conventions a newcomer expects: ``--version``, help when run
bare, ``--json`` that stays JSON when something goes wrong, a quiet exit with its own code on
a closed pipe, problems shown without ``--verbose``, wrapped help with intact examples, and
example cultures that ship inside the package."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from crmculture.cli import EXIT_CLOSED_PIPE, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, main
from crmculture.cli.example import example_files
from crmculture.cli.problems import PROBLEM_LIMIT

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
CULTURE = str(EXAMPLES / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 3, "annual_volume": 400000, "tier": "silver"}
COMMANDS = ["check", "convert", "decide", "demo", "example", "explain", "journeys", "render"]


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in this process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(list(args), out=out, err=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def console(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m crmculture`` in a fresh process, in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "crmculture", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


class TestVersionAndBareCommand:
    def test_version(self) -> None:
        """`crmculture --version` prints the installed version and exits 0."""
        code, out, err = run("--version")
        assert (code, out, err) == (EXIT_OK, f"crmculture {version('crmculture')}\n", "")

    def test_bare_crmculture_prints_the_help(self) -> None:
        """`crmculture` with no command prints the same help as --help, exit 0."""
        code, out, err = run()
        assert (code, err) == (EXIT_OK, "")
        assert out == run("--help")[1]
        assert out.startswith("usage: crmculture")

    @pytest.mark.parametrize("command", COMMANDS)
    def test_every_command_is_in_the_help(self, command: str) -> None:
        """The top-level help lists every command."""
        assert re.search(rf"^    {command} ", run("--help")[1], re.MULTILINE)


class TestJsonEvenForErrors:
    def test_check_json_on_a_missing_file(self) -> None:
        """`check --json` on a file that does not exist: a JSON object on stdout, one line on
        stderr, exit 2."""
        code, out, err = run("check", "missing.yaml", "--json")
        assert code == EXIT_USAGE
        assert json.loads(out) == {
            "error": "culture file `missing.yaml` does not exist",
            "problems": [],
            "exit_code": 2,
        }
        assert err == "crmculture: error: culture file `missing.yaml` does not exist\n"

    @pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file"
    )
    def test_check_json_on_an_unreadable_file(self, tmp_path: Path) -> None:
        """`check --json` on a file it may not read: the error as JSON, exit 2."""
        culture = tmp_path / "locked.yaml"
        culture.write_text(Path(CULTURE).read_text())
        culture.chmod(0)
        code, out, _ = run("check", str(culture), "--json")
        assert code == EXIT_USAGE
        assert "Permission denied" in json.loads(out)["error"]

    def test_check_json_on_a_directory(self, tmp_path: Path) -> None:
        """A directory where a culture file belongs: the error as JSON."""
        code, out, _ = run("check", str(tmp_path), "--json")
        assert code == EXIT_USAGE
        assert json.loads(out)["error"] == f"culture file `{tmp_path}` is not a file"

    def test_check_json_on_a_broken_document_lists_every_problem(self, tmp_path: Path) -> None:
        """A document with problems: each problem with its path, line and column."""
        broken = tmp_path / "broken.yaml"
        broken.write_text(
            "format: crmculture/1\nname: x\nfacts: {a: {type: boo}}\ndirectives: {}\nrulez: []\n"
        )
        code, out, _ = run("check", str(broken), "--json")
        document = json.loads(out)
        assert code == EXIT_USAGE
        assert document["error"].endswith("3 problems")
        assert document["exit_code"] == 2
        paths = {p["path"] for p in document["problems"]}
        assert paths == {"facts.a.type", "directives", "rulez"}
        assert all({"path", "message", "line", "column"} <= set(p) for p in document["problems"])

    def test_journeys_json_on_an_unknown_request(self) -> None:
        """`journeys --json` with a request the org does not know: the error as JSON."""
        code, out, _ = run("journeys", CULTURE, "--request", "replacement_prt", "--json")
        assert code == EXIT_USAGE
        assert "did you mean `replacement_part`" in json.loads(out)["error"]

    def test_a_misused_command_with_json(self) -> None:
        """An argparse error (an unknown option) with --json: a JSON object too."""
        code, out, err = run("check", CULTURE, "--json", "--nope")
        assert code == EXIT_USAGE
        assert json.loads(out)["error"] == "unrecognized arguments: --nope"
        assert "usage: crmculture" in err

    def test_without_json_nothing_goes_to_stdout(self) -> None:
        """Without --json, a mistake writes nothing on stdout."""
        code, out, _ = run("check", "missing.yaml")
        assert (code, out) == (EXIT_USAGE, "")

    def test_check_json_shape_when_it_works(self) -> None:
        """`check --json` on a good file: the report, with its keys."""
        code, out, _ = run("check", CULTURE, "--json")
        assert code in (EXIT_OK, EXIT_FINDINGS)
        assert set(json.loads(out)) == {
            "complete",
            "culture",
            "findings",
            "org_findings",
            "promises",
            "version",
        }


def many_problems(count: int) -> str:
    """A culture document with `count` unknown fact types."""
    facts = ", ".join(f"f{i:02}: {{type: boo}}" for i in range(count))
    return (
        f"format: crmculture/1\nname: x\nfacts: {{{facts}}}\n"
        "directives: {r: {type: text, default: x}}\nrules: []\n"
    )


class TestProblemsByDefault:
    def test_a_few_problems_are_all_shown(self, tmp_path: Path) -> None:
        """Two problems: both shown under the error line, without --verbose."""
        broken = tmp_path / "broken.yaml"
        broken.write_text(many_problems(2))
        code, _, err = run("check", str(broken))
        lines = err.splitlines()
        assert code == EXIT_USAGE
        assert lines[0].endswith("2 problems")
        assert [line[:14] for line in lines[1:]] == ["  - facts.f00.", "  - facts.f01."]

    def test_many_problems_are_cut_at_the_limit_with_a_count(self, tmp_path: Path) -> None:
        """More problems than the limit: the first ones, then how many more."""
        broken = tmp_path / "broken.yaml"
        broken.write_text(many_problems(PROBLEM_LIMIT + 3))
        _, _, err = run("check", str(broken))
        lines = err.splitlines()
        assert len(lines) == 1 + PROBLEM_LIMIT + 1
        assert lines[-1] == "  ... and 3 more problems (run with --verbose for every one)"
        _, _, err = run("check", str(broken), "--verbose")
        assert len(err.splitlines()) == 1 + PROBLEM_LIMIT + 3

    def test_an_invalid_customer_shows_its_problems(self) -> None:
        """explain with a bad customer: every problem under the error line."""
        customer = {"credit_hold": "no", "days_overdue": -3, "tier": "diamond"}
        code, _, err = run("explain", CULTURE, "--customer", json.dumps(customer))
        assert code == EXIT_USAGE
        assert "customer.days_overdue: `-3` is below the minimum 0" in err
        assert "--verbose" not in err

    def test_a_condition_syntax_error_shows_the_caret(self, tmp_path: Path) -> None:
        """A message of several lines (text and caret) is shown whole."""
        culture = tmp_path / "c.yaml"
        culture.write_text(
            "format: crmculture/1\nname: x\nfacts: {a: {type: bool}}\n"
            "directives: {r: {type: text, default: x}}\n"
            "rules: [{id: r1, when: 'a and and', then: {r: y}}]\n"
        )
        code, _, err = run("check", str(culture))
        assert code == EXIT_USAGE
        assert "^" in err


class TestClosedPipe:
    def big_input(self, tmp_path: Path) -> Path:
        source = tmp_path / "c.jsonl"
        source.write_text("".join(json.dumps(GOOD) + "\n" for _ in range(20_000)))
        return source

    def test_a_real_shell_pipe_into_head(self, tmp_path: Path) -> None:
        """`crmculture decide ... | head -1`: one line through, then a quiet exit with the
        closed-pipe code, and nothing on standard error."""
        if shutil.which("bash") is None or shutil.which("head") is None:
            pytest.skip("needs bash and head")
        source = self.big_input(tmp_path)
        command = (
            f"'{sys.executable}' -m crmculture decide '{CULTURE}' '{source}' 2>'{tmp_path}/err'"
            ' | head -1; echo "exit ${PIPESTATUS[0]}"'
        )
        result = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, check=False
        )
        first, last = result.stdout.splitlines()
        assert json.loads(first)["record"] == 0
        assert last == f"exit {EXIT_CLOSED_PIPE}"
        assert (tmp_path / "err").read_text() == ""

    def test_a_pipe_closed_by_the_reader(self, tmp_path: Path) -> None:
        """The same through Popen: read one line, close the pipe; exit 141, no traceback."""
        source = self.big_input(tmp_path)
        process = subprocess.Popen(
            [sys.executable, "-m", "crmculture", "decide", CULTURE, str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"{")
        process.stdout.close()
        error = process.stderr.read().decode()
        process.stderr.close()
        assert process.wait(timeout=60) == EXIT_CLOSED_PIPE
        assert error == ""

    def test_the_closed_pipe_code_is_distinct(self) -> None:
        """141 is none of the codes that mean something else."""
        assert EXIT_CLOSED_PIPE not in (EXIT_OK, EXIT_FINDINGS, EXIT_USAGE)


class TestHelpText:
    @pytest.fixture(autouse=True)
    def narrow_terminal(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("COLUMNS", "72")

    @pytest.mark.parametrize("command", [None, *COMMANDS])
    def test_prose_is_wrapped_and_examples_kept(self, command: str | None) -> None:
        """Every line fits 72 columns, except example commands, which are never broken."""
        code, out, _ = run(*([command] if command else []), "--help")
        assert code == EXIT_OK
        for line in out.splitlines():
            if len(line) > 72:
                assert line.startswith("  "), line

    @pytest.mark.parametrize("command", [None, *COMMANDS])
    def test_every_continued_example_has_its_backslash(self, command: str | None) -> None:
        """An example's continuation line (indented six spaces) follows a line ending in a
        backslash, and a backslash is followed by a continuation: no mangled commands."""
        _, out, _ = run(*([command] if command else []), "--help")
        lines = re.split(r"^examples?:$", out, maxsplit=1, flags=re.MULTILINE)[-1].splitlines()
        for before, line in itertools.pairwise(lines):
            continued = line.startswith("      ") and not line.strip().startswith("#")
            assert continued == before.endswith("\\"), (before, line)

    def test_the_parquet_example_is_one_command(self) -> None:
        """`decide --help`: the Parquet example keeps --keep on its continuation line."""
        _, out, _ = run("decide", "--help")
        assert "customers.parquet -o decisions.parquet \\\n      --keep customer_id" in out

    @pytest.mark.parametrize("command", COMMANDS)
    def test_examples_use_files_a_newcomer_has(self, command: str) -> None:
        """No help refers to the repository's examples/ directory: the examples are written
        out with `crmculture example`."""
        _, out, _ = run(command, "--help")
        assert "examples/" not in out


class TestExampleCommand:
    def test_list(self) -> None:
        """`crmculture example`: each example with what it is."""
        code, out, _ = run("example")
        assert code == EXIT_OK
        names = [line.split()[0] for line in out.splitlines()[:3]]
        assert names == ["acme", "crm-initiative", "profitable-customers"]
        assert "ACME Industrial" in out

    def test_list_as_json(self) -> None:
        """`crmculture example --json`: names to summaries."""
        code, out, _ = run("example", "--json")
        examples = json.loads(out)["examples"]
        assert code == EXIT_OK
        assert sorted(examples) == ["acme", "crm-initiative", "profitable-customers"]
        assert all(examples.values())

    @pytest.mark.parametrize(
        ("name", "file"),
        [
            ("acme", "acme-culture.yaml"),
            ("crm-initiative", "crm-initiative.yaml"),
            ("profitable-customers", "profitable-customers.yaml"),
        ],
    )
    def test_write_out(self, tmp_path: Path, name: str, file: str) -> None:
        """`crmculture example NAME -o FILE` writes the document, byte for byte."""
        target = tmp_path / "out.yaml"
        assert run("example", name, "-o", str(target))[0] == EXIT_OK
        assert target.read_bytes() == (EXAMPLES / file).read_bytes()
        code, out, _ = run("example", name)
        assert (code, out) == (EXIT_OK, (EXAMPLES / file).read_text())

    def test_every_example_in_the_repository_is_offered(self) -> None:
        """Each examples/*.yaml is an example."""
        offered = {entry.name for entry in example_files().values()}
        assert offered == {path.name for path in EXAMPLES.glob("*.yaml")}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["example", "acm"], "unknown example `acm` (did you mean `acme`?)"),
            (["example", "nothing-like-it"], "known: `acme`, `crm-initiative`"),
            (["example", "-o", "x.yaml"], "--output needs an example NAME"),
            (["example", "acme", "--json"], "--json lists the examples: give no NAME"),
        ],
        ids=["did-you-mean", "known", "output-without-name", "json-with-name"],
    )
    def test_mistakes(self, args: list[str], message: str) -> None:
        """Unknown names and wrong combinations: one line, exit 2."""
        code, _, err = run(*args)
        assert code == EXIT_USAGE
        assert message in err

    def test_write_out_and_check_from_any_directory(self, tmp_path: Path) -> None:
        """`crmculture example acme -o a.yaml && crmculture check a.yaml`, outside the
        repository. check exits 0: the example culture ships without an error finding."""
        assert console("example", "acme", "-o", "a.yaml", cwd=tmp_path).returncode == EXIT_OK
        result = console("check", "a.yaml", cwd=tmp_path)
        assert result.returncode == EXIT_OK, result.stdout
        assert "promises: 3 of 3 proven" in result.stdout
        assert "errors" not in result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout (as `pip wheel . --no-deps`)."""
    directory = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", directory],
        check=True,
        capture_output=True,
    )
    (built,) = directory.glob("crmculture-*.whl")
    return built


class TestThePackageCarriesTheExamples:
    def test_the_wheel_holds_every_example_byte_for_byte(self, wheel: Path) -> None:
        """Every examples/*.yaml is in the wheel under crmculture/examples/, unchanged."""
        with zipfile.ZipFile(wheel) as archive:
            packaged = {
                name.removeprefix("crmculture/examples/"): archive.read(name)
                for name in archive.namelist()
                if name.startswith("crmculture/examples/")
            }
        assert packaged == {path.name: path.read_bytes() for path in EXAMPLES.glob("*.yaml")}

    def test_pyproject_maps_each_example(self) -> None:
        """The force-include table names each examples/*.yaml (a new one must be added)."""
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())
        mapped = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
        assert mapped == {
            f"examples/{path.name}": f"crmculture/examples/{path.name}"
            for path in EXAMPLES.glob("*.yaml")
        }

    def test_an_installed_wheel_finds_its_examples(self, wheel: Path, tmp_path: Path) -> None:
        """Installed from the wheel and run far from the checkout, `crmculture example`
        finds the documents in the package (importlib.resources), not in examples/."""
        target = tmp_path / "site"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel],
            check=True,
            capture_output=True,
        )
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        probe = "from crmculture.cli.example import example_files; print(example_files()['acme'])"
        result = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            cwd=elsewhere,
            env={**os.environ, "PYTHONPATH": str(target)},
        )
        assert result.stdout.strip() == str(
            target / "crmculture" / "examples" / "acme-culture.yaml"
        )
