"""The HTML report: its sections and charts, determinism, and a real browser drawing it.

The browser is Debian's `chromium` package, which `make test` installs (the `test-setup` target of
the Makefile); the tests open the page from disk, with no network.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from crmculture.adherence import adherence
from crmculture.html_report import html_report
from crmculture.log import DecisionLog
from crmculture.stories import acme_policy

Cli = Callable[..., tuple[int, str, str]]
CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
CHARTS = re.compile(r'<figure class="chart"')


def customers(count: int, seed: int = 3) -> list[dict[str, object]]:
    pick = random.Random(seed)
    return [
        {
            "customer_id": f"c{n}",
            "credit_hold": pick.random() < 0.1,
            "days_overdue": pick.choice([0, 0, 0, 10, 40, 90]),
            "annual_volume": pick.randrange(0, 600_000),
            "tier": pick.choice(["bronze", "silver", "gold", "platinum"]),
        }
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "decisions.log"
    decide = acme_policy().compile()
    with DecisionLog(path) as writer:
        for n, customer in enumerate(customers(600)):
            facts = {k: v for k, v in customer.items() if k != "customer_id"}
            month = f"2026-{1 + n * 6 // 600:02d}"
            department = ("sales", "support", "shipping")[n % 3]
            writer.write(
                decide(facts, department),
                keep={"customer_id": customer["customer_id"], "month": month},
            )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("not a record\n")
    return path


def test_every_section_and_chart(log: Path) -> None:
    policy = acme_policy()
    page = html_report(log, policy)
    assert page.startswith("<!DOCTYPE html>")
    for title in ("Summary", "Rule hits over time", "Drift", "Directive values"):
        assert f"<h2>{title}</h2>" in page
    # one chart for rule hits, one for drift, one per directive
    assert len(CHARTS.findall(page)) == 2 + len(policy.directives)
    assert page.count("<svg") == len(CHARTS.findall(page))
    assert "Lines of the log that are not records" in page
    assert "not a record" not in page  # the line's text is not shown, only why it is not one
    assert "<td>601</td>" in page
    assert "http://" not in page.replace("http://www.w3.org", "").replace(
        "http://purl.org", ""
    ).replace("http://creativecommons.org", "")


def test_windows_by_a_kept_field_and_by_length(log: Path) -> None:
    by_month = html_report(log, acme_policy(), by="month")
    for month in range(1, 7):
        assert f"<th>2026-{month:02d}</th>" in by_month
    by_length = html_report(log, acme_policy(), windows=4)
    assert "<th>1-150</th>" in by_length
    assert "<th>451-600</th>" in by_length


def test_the_same_inputs_give_the_same_page(log: Path) -> None:
    assert html_report(log, acme_policy()) == html_report(log, acme_policy())


def test_adherence_by_department(log: Path) -> None:
    base = customers(600)
    actions = [
        {"customer_id": f"c{n}", "department": "sales", "directive": "discount_pct", "value": 0}
        for n in range(100)
    ]
    found = adherence(actions, base, acme_policy())
    page = html_report(log, acme_policy(), adherence=found)
    assert "<h2>Adherence by department</h2>" in page
    assert f"{found.followed:,} of {found.judged:,} judged actions" in page
    assert len(CHARTS.findall(page)) == 3 + len(acme_policy().directives)


def test_adherence_with_no_action_judged_says_it_is_unknown(log: Path) -> None:
    actions = [{"customer_id": "nobody", "department": "sales", "directive": "x", "value": 0}]
    found = adherence(actions, customers(3), acme_policy())
    page = html_report(log, acme_policy(), adherence=found)
    assert "No action could be judged, so whether the culture is followed is unknown" in page
    assert "1 could not be judged." in page
    assert "judged actions followed" not in page


def test_a_baseline_log_for_drift(log: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.log"
    decide = acme_policy().compile()
    with DecisionLog(baseline) as writer:
        for _ in range(50):
            writer.write(
                decide(
                    {"credit_hold": True, "days_overdue": 90, "annual_volume": 1, "tier": "gold"}
                )
            )
    page = html_report(log, acme_policy(), baseline=baseline)
    assert "compared with the baseline log" in page
    assert "<td>significant</td>" in page


def test_bad_arguments(log: Path) -> None:
    with pytest.raises(ValueError, match="windows must be at least 1"):
        html_report(log, acme_policy(), windows=0)


def test_without_matplotlib_the_error_names_the_extra(
    log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"crmculture\[report\]"):
        html_report(log, acme_policy())


def test_report_on_the_command_line(cli: Cli, log: Path, tmp_path: Path) -> None:
    people = tmp_path / "customers.jsonl"
    people.write_text("".join(json.dumps(c) + "\n" for c in customers(600)), encoding="utf-8")
    actions = tmp_path / "actions.jsonl"
    rows = [
        {"customer_id": f"c{n}", "department": "support", "directive": "may_ship", "value": True}
        for n in range(50)
    ]
    actions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "report.html"
    code, _, err = cli(
        "report", CULTURE, "--log", str(log), "--actions", str(actions),
        "--customers", str(people), "--by", "month", "-o", str(out),
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "<h2>Adherence by department</h2>" in out.read_text(encoding="utf-8")
    code, _, err = cli("report", CULTURE, "--log", str(log), "--actions", str(actions))
    assert code == 2
    assert "--actions and --customers go together" in err
    code, _, err = cli("report", CULTURE, "--log", str(tmp_path / "none.log"))
    assert code == 2
    assert "no such file" in err


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "Debian's chromium package is needed: `make test` installs it (make test-setup)"
    return found


def run_browser(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_a_browser_draws_every_chart(log: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(html_report(log, acme_policy(), by="month"), encoding="utf-8")
    charts = len(CHARTS.findall(page.read_text(encoding="utf-8")))
    dom = run_browser("--dump-dom", page.as_uri()).stdout
    assert f'data-charts-drawn="{charts} of {charts}"' in dom
    shot = tmp_path / "report.png"
    run_browser("--window-size=1280,2400", f"--screenshot={shot}", page.as_uri())
    from PIL import Image

    with Image.open(shot) as image:
        pixels = image.convert("RGB")
        width, height = pixels.size
        assert (width, height) == (1280, 2400)
        colours = pixels.getcolors(maxcolors=1 << 20) or []
    # The charts' colours are on the page: the rule-hit lines' blue and the bars' green.
    drawn = {colour for _, colour in colours}
    assert (0x2F, 0x6F, 0x9F) in drawn
    assert (0x3F, 0x9A, 0x5B) in drawn


@pytest.mark.parametrize("by", [None, "month"])
def test_the_page_is_the_same_read_through_arrow_or_record_by_record(
    log: Path, by: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the batch extra the log is counted a chunk at a time through Arrow; without it,
    record by record: the page is the same, byte for byte."""
    import crmculture.drift as drift_module
    import crmculture.log as log_module

    policy = acme_policy()
    monkeypatch.setattr(log_module, "CHUNK_BYTES", 20_000)  # a window spans chunks
    chunked = html_report(log, policy, windows=7, by=by, baseline=log)
    monkeypatch.setattr(drift_module, "_arrow_available", lambda: False)
    assert chunked == html_report(log, policy, windows=7, by=by, baseline=log)
