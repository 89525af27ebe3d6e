"""``crmculture serve``: a real process, reloaded by SIGHUP; its mistakes; and the core install,
where every other command runs without the service extra."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from crmculture import load

from .conftest import ACME, ROOT, retitled

Cli = Callable[..., tuple[int, str, str]]

# Run the command line with the service extra's packages made unimportable, as on a core
# install.
WITHOUT_SERVICE = """\
import sys
from importlib.abc import MetaPathFinder

class NoService(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("starlette", "uvicorn", "prometheus_client"):
            raise ModuleNotFoundError(f"No module named '{name}'")
        return None

sys.meta_path.insert(0, NoService())
from crmculture.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("loaded:", sorted(m for m in ("starlette", "uvicorn") if m in sys.modules))
sys.exit(code)
"""


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestCoreInstall:
    def test_serve_without_the_extra_says_what_to_install(self) -> None:
        """Without starlette: one line naming the extra, exit 2."""
        found = subprocess.run(
            [sys.executable, "-c", WITHOUT_SERVICE, "serve", str(ACME)],
            capture_output=True,
            text=True,
            env=environment(),
            check=False,
        )
        assert found.returncode == 2
        assert found.stderr == (
            "crmculture: error: crmculture serve needs the service extra: "
            "pip install 'crmculture[service]'\n"
        )

    def test_other_commands_run_without_the_extra(self) -> None:
        """`check` and `decide` work, and import neither starlette nor uvicorn."""
        for args in (["check", str(ACME)], ["decide", str(ACME), "-"]):
            found = subprocess.run(
                [sys.executable, "-c", WITHOUT_SERVICE, *args],
                capture_output=True,
                text=True,
                env=environment(),
                input=json.dumps(
                    {"credit_hold": False, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}
                ),
                check=False,
            )
            assert found.returncode in (0, 1), found.stderr
            assert found.stdout.endswith("loaded: []\n")


class TestMistakes:
    def test_a_culture_that_cannot_be_served(self, cli: Cli, tmp_path: Path) -> None:
        """A culture that breaks a promise: exit 2 before anything listens, the promise named."""
        broken = tmp_path / "broken.yaml"
        broken.write_text(ACME.read_text().replace("discount_pct <= 15", "discount_pct <= 5"))
        code, _, err = cli("serve", str(broken), "--port", "1")
        assert code == 2
        assert err.startswith(
            "crmculture: error: culture not served: promises.discount-cap: error: broken "
            "promise `discount-cap`"
        )

    def test_a_dmn_model_with_several_tables_needs_decision(self, cli: Cli, tmp_path: Path) -> None:
        """Which table to serve is said before anything listens; --decision goes with .dmn."""
        from .test_tables import two_tables

        model = two_tables(tmp_path / "rules.dmn")
        code, _, err = cli("serve", str(model), "--port", "1")
        assert code == 2
        assert "2 decision tables (`Verdict`, `Other`): pick one with --decision" in err
        code, _, err = cli("serve", str(ACME), "--decision", "Other", "--port", "1")
        assert code == 2
        assert "--decision picks a decision table of a DMN model" in err

    def test_a_missing_culture_file(self, cli: Cli) -> None:
        """One line, exit 2."""
        code, _, err = cli("serve", "missing.yaml")
        assert (code, err) == (2, "crmculture: error: culture file `missing.yaml` does not exist\n")

    @pytest.mark.parametrize(
        "args",
        [["--port", "70000"], ["--timeout", "0"], ["--max-records", "0"], ["--timeout", "nan"]],
    )
    def test_bad_limits(self, cli: Cli, args: list[str]) -> None:
        """Limits out of range: a usage error, exit 2."""
        code, _, err = cli("serve", str(ACME), *args)
        assert code == 2
        assert "usage: crmculture serve" in err


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`crmculture serve` on a copy of the ACME culture, in a process of its own."""
    culture = tmp_path / "culture.yaml"
    culture.write_text(ACME.read_text())
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "crmculture", "serve", str(culture), "--port", str(port)],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("crmculture serve did not start") from None
            time.sleep(0.05)
    try:
        yield process, url, culture
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is POSIX")
class TestSighup:
    def test_sighup_reloads_and_a_broken_file_keeps_the_old_culture(
        self, serving: tuple[subprocess.Popen[str], str, Path]
    ) -> None:
        """Edit the file, SIGHUP: the new culture serves. Break it, SIGHUP: the last good one
        keeps serving, and the refusal is counted and logged."""
        process, url, culture = serving
        old = load(culture).policy.fingerprint
        assert httpx.get(url + "/healthz").json()["culture_fingerprint"] == old
        retitled(culture, "2027.01")
        new = load(culture).policy.fingerprint
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: httpx.get(url + "/healthz").json()["culture_fingerprint"] == new)
        culture.write_text("format: crmculture/1\nname: broken\n")
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: 'crmculture_reloads_total{result="rejected"} 1.0' in metrics(url))
        assert 'crmculture_reloads_total{result="served"} 1.0' in metrics(url)
        answer = httpx.get(url + "/healthz")
        assert answer.json()["culture_fingerprint"] == new
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
        assert "SIGHUP: serving `acme` version 2027.01" in err
        assert "SIGHUP: culture not served" in err
        assert "the old culture keeps serving" in err


def metrics(url: str) -> str:
    return httpx.get(url + "/metrics").text
