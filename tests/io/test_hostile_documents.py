"""Hostile documents: every one fails fast with a library error at its place, none crashes.

The corpus in ``tests/io/hostile/`` holds one file per case of the hostile-input campaign
(issue 15): numbers too long to read, exponents that would take a billion characters to write,
a YAML alias bomb, values of the wrong shape. The fuzz tests mutate a valid culture document
anywhere (values and keys, in every section) with hostile values; the bounded run is part of
``make test``, the long one is marked ``slow``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmculture import CrmCultureError, DocumentError, load
from crmculture.io.documents import culture_document
from crmculture.io.dumping import WRITERS
from crmculture.stories import acme_culture

HOSTILE = Path(__file__).parent / "hostile"

# file -> (path, line, column, what the message says); source: written for this corpus.
EXPECTED: dict[str, tuple[str, int | None, int | None, str]] = {
    "01_int_of_5001_digits_in_a_bound.yaml": ("", 8, 42, "a number of more than 1000 digits"),
    "02_int_of_5001_digits_in_a_condition.yaml": (
        "rules[0].when",
        17,
        41,
        "the number has more than 1000 digits",
    ),
    "03_int_of_5001_digits_in_a_priority.yaml": ("", 23, 15, "a number of more than 1000 digits"),
    "04_exponent_of_a_billion_in_a_condition.yaml": (
        "rules[0].when",
        17,
        41,
        "`1e999999999`: the number's exponent is beyond ±1000",
    ),
    "05_int_beyond_float_as_a_float_bound.yaml": (
        "facts.balance.max",
        10,
        44,
        "is too large for a float",
    ),
    "06_decimal_default_with_huge_exponent.yaml": (
        "facts.balance.default",
        10,
        66,
        "the number's exponent is beyond ±1000",
    ),
    "07_decimal_bound_with_huge_exponent.yaml": (
        "facts.balance.min",
        10,
        38,
        "the number's exponent is beyond ±1000",
    ),
    "08_yaml_alias_bomb.yaml": ("", 3, 8, "the document holds more than 100,000 values"),
    "09_list_inside_an_in_list.yaml": (
        "layers[0].rules[0].when.value",
        28,
        43,
        "`in` takes a list of values, not `['gold']` in it",
    ),
    "10_mapping_as_a_compared_value.yaml": (
        "layers[0].rules[0].when.value",
        28,
        35,
        "fact `tier`: expected a string, got dict",
    ),
    "11_keys_of_mixed_types.yaml": ("facts[1]", 7, 3, "fact name must be a string, not `int`"),
    "12_string_where_a_list_belongs.yaml": (
        "layers[0].departments",
        25,
        18,
        "expected a list, got str `'support'`",
    ),
    "13_int_of_5001_digits.json": ("", 1, 79, "a number of more than 1000 digits"),
    "14_int_of_5001_digits.toml": ("", 6, 7, "a number of more than 1000 digits"),
    "15_float_constant_with_no_exact_value.yaml": (
        "layers[0].rules[0].when",
        28,
        25,
        "`9007199254740993` has no exact float value (the nearest is `9007199254740992.0`)",
    ),
}


class TestHostileCorpus:
    def test_the_corpus_is_complete(self) -> None:
        """Every file in the corpus has an expectation."""
        assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(EXPECTED)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_each_case_fails_fast_at_its_place(self, name: str) -> None:
        """A hostile document is a DocumentError naming its place, fast (each takes under
        0.2 s here; the bound only guards against a hang on a loaded machine)."""
        path, line, column, reason = EXPECTED[name]
        started = time.perf_counter()
        with pytest.raises(DocumentError) as raised:
            load(HOSTILE / name)
        elapsed = time.perf_counter() - started
        problem = raised.value.problems[0]
        assert (problem.path_text, problem.line, problem.column) == (path, line, column)
        assert reason in problem.message
        assert elapsed < 5.0


# -- fuzzing ------------------------------------------------------------------------------------

HUGE = 10**1200
JUNK: list[Any] = [
    None,
    0,
    -1,
    HUGE,
    -HUGE,
    2**63,
    1.5,
    float("inf"),
    float("nan"),
    1e308,
    True,
    "",
    "x",
    "\x00",
    "a\u2028b",
    "\ud800",
    "9" * 1200,
    "1e999999999",
    "-0",
    "2027-02-30",
    [],
    [1, [2]],
    [[[]]],
    {},
    {"1": 2},
    {"a": [1]},
    {"fact": "tier", "op": "in", "value": [["gold"]]},
    {"fact": "days_overdue", "op": "between", "value": [HUGE, 1]},
    {"all": [1, 2]},
    {"not": {"not": None}},
    "tier in [[1]]",
    "days_overdue > 1e999999999",
    "not " * 80 + "credit_hold",
]
KEYS: list[Any] = ["new", "from", "to", "", "fact", "all"]
FORMATS = ["json", "yaml", "toml"]


def _nodes(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(document, dict):
        for key, value in document.items():
            found.extend(_nodes(value, (*path, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.extend(_nodes(value, (*path, index)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, str]:
    """The ACME culture document with one to three values, keys or entries made hostile,
    written as JSON, YAML or TOML."""
    document = copy.deepcopy(culture_document(acme_culture()))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_nodes(document)[1:]))
        parent = _parent(document, path)
        action = draw(st.sampled_from(["replace", "add", "delete"]))
        if action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif isinstance(parent, dict) and action == "add":
            parent[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif isinstance(parent, dict):
            del parent[path[-1]]
    format = draw(st.sampled_from(FORMATS))
    if format == "json":
        return json.dumps(document, default=str), format
    if format == "yaml":
        import yaml

        return yaml.safe_dump(document, allow_unicode=True), format
    try:
        return WRITERS["toml"](document), format
    except TypeError:  # TOML has no null: this document goes as JSON
        return json.dumps(document, default=str), "json"


def _load_or_library_error(text: str, format: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(CrmCultureError):
        load(text, format)  # type: ignore[arg-type]
    # A guard against hangs, not a speed target (those are in benchmarks/): a loaded
    # machine must not fail it.
    assert time.perf_counter() - started < 10.0


class TestFuzz:
    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated_documents())
    def test_mutated_documents_raise_only_library_errors(self, case: tuple[str, str]) -> None:
        """A document made hostile anywhere loads or raises a library error, fast."""
        _load_or_library_error(*case)

    @pytest.mark.slow
    @settings(max_examples=20_000, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated_documents())
    def test_many_mutated_documents_raise_only_library_errors(self, case: tuple[str, str]) -> None:
        """The long run of the same law (``make test-slow``)."""
        _load_or_library_error(*case)
