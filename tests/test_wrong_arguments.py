"""A value that is not a Policy, where the public API takes one, is a TypeError that names the
argument and what it got, instead of an AttributeError from deep inside."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crmculture import analyze, compile_policy, diff
from crmculture.adherence import adherence
from crmculture.drift import drift, redecide
from crmculture.log import replay
from crmculture.stories import acme_culture, acme_policy

CALLS: dict[str, Callable[[Any], object]] = {
    "analyze": lambda wrong: analyze(wrong),
    "diff (old)": lambda wrong: diff(wrong, acme_policy()),
    "diff (new)": lambda wrong: diff(acme_policy(), wrong),
    "adherence": lambda wrong: adherence([], [], wrong),
    "compile_policy": lambda wrong: compile_policy(wrong),
    "replay": lambda wrong: replay([], wrong),
    "redecide": lambda wrong: list(redecide([], wrong)),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        ("acme.yaml", "load a culture document with crmculture.load_policy"),
        (Path("acme.yaml"), "load a culture document"),
        (acme_culture(), "for a Culture, pass `culture.policy`"),
        (None, "not NoneType `None`"),
    ],
    ids=["text", "path", "culture", "none"],
)
def test_the_core_entry_points(call: Callable[[Any], object], wrong: object, hint: str) -> None:
    with pytest.raises(TypeError, match="must be a crmculture Policy") as caught:
        call(wrong)
    assert hint in str(caught.value)


def test_drift_takes_no_policy_or_a_policy() -> None:
    """Its policy is optional (None is fine); anything else is refused."""
    found = drift([], [], policy=None)
    assert (found.baseline_records, found.current_records, found.compared) == (0, 0, False)
    with pytest.raises(TypeError, match=r"^policy must be a crmculture Policy, not str"):
        drift([], [], policy="acme.yaml")  # type: ignore[arg-type]


def test_diff_names_the_argument() -> None:
    with pytest.raises(TypeError, match=r"^new must be a crmculture Policy, not int `3`$"):
        diff(acme_policy(), 3)  # type: ignore[arg-type]


def test_swapped_frame_and_policy() -> None:
    """The column-wise front ends take the policy first; swapped, they say so."""
    pd = pytest.importorskip("pandas")
    from crmculture.batch import decide_frame
    from crmculture.quality import report

    frame = pd.DataFrame({"tier": ["gold"]})
    with pytest.raises(TypeError, match=r"^policy must be a crmculture Policy, not DataFrame"):
        decide_frame(frame, acme_policy())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^policy must be a crmculture Policy, not str"):
        report(frame, "acme.yaml")  # type: ignore[arg-type]


def test_dask_and_parquet_front_ends(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from crmculture.batch import decide_parquet

    with pytest.raises(TypeError, match=r"^policy must be a crmculture Policy, not str"):
        decide_parquet("in.parquet", tmp_path / "in.parquet", tmp_path / "out")  # type: ignore[arg-type]
    pytest.importorskip("dask")
    from crmculture.dask import decide_dask_parquet

    with pytest.raises(TypeError, match=r"^policy must be a crmculture Policy, not str"):
        decide_dask_parquet("in.parquet", tmp_path / "in", tmp_path / "out")  # type: ignore[arg-type]


def test_the_html_report() -> None:
    pytest.importorskip("matplotlib")
    from crmculture.html_report import html_report

    with pytest.raises(TypeError, match=r"^policy must be a crmculture Policy, not str"):
        html_report("decisions.jsonl", "acme.yaml")  # type: ignore[arg-type]
