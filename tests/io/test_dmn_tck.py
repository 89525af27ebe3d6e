"""The DMN TCK as the judge: every decision-table test case, imported and run compiled.

The test cases are the compliance-level-2 decision-table subset of the DMN Technology
Compatibility Kit (Apache-2.0), copied unchanged into ``tests/io/dmn_tck`` (see its README).
Each case's inputs go through `crmculture.io.dmn.load_dmn` and the compiled evaluator, and the
result is compared as the TCK's runners compare: numbers with an absolute tolerance of 1e-8,
lists in order, structures by key.

Run this file as a script for the score and every miss::

    PYTHONPATH=src python tests/io/test_dmn_tck.py
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crmculture import Decision, Policy
from crmculture.io.dmn import load_dmn

TCK = Path(__file__).parent / "dmn_tck" / "compliance-level-2"
TESTCASE = "{http://www.omg.org/spec/DMN/20160719/testcase}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

UNSUPPORTED: dict[tuple[str, str], str] = {}
"""Test cases that need a construct the import does not support, with the construct.
Empty: every case passes."""


def _value(element: ET.Element) -> Any:
    """A TCK value element (`value`, `component`s, `list`) as a Python value."""
    value = element.find(TESTCASE + "value")
    components = element.findall(TESTCASE + "component")
    listed = element.find(TESTCASE + "list")
    if components:
        return {c.get("name"): _value(c) for c in components}
    if listed is not None:
        return [_value(item) for item in listed.findall(TESTCASE + "item")]
    assert value is not None, ET.tostring(element)
    kind = (value.get(XSI_TYPE) or "").split(":")[-1]
    text = value.text or ""
    if kind == "decimal":
        return Decimal(text)
    if kind == "boolean":
        return text == "true"
    return text


def cases() -> list[tuple[str, str, dict[str, Any], str, Any]]:
    """Every TCK test case: folder, case id, inputs, decision name, expected result."""
    found = []
    for folder in sorted(TCK.iterdir()):
        for test_file in sorted(folder.glob("*-test-01.xml")):
            root = ET.parse(test_file).getroot()
            for case in root.findall(TESTCASE + "testCase"):
                inputs = {
                    node.get("name", ""): _value(node)
                    for node in case.findall(TESTCASE + "inputNode")
                }
                for result in case.findall(TESTCASE + "resultNode"):
                    expected = result.find(TESTCASE + "expected")
                    assert expected is not None
                    found.append(
                        (
                            folder.name,
                            case.get("id", ""),
                            inputs,
                            result.get("name", ""),
                            _value(expected),
                        )
                    )
    return found


def same(expected: Any, actual: Any) -> bool:
    """Equal as the TCK compares: numbers within 1e-8, lists in order, structures by key."""
    if isinstance(expected, Decimal):
        is_number = isinstance(actual, int | Decimal) and not isinstance(actual, bool)
        return is_number and abs(Decimal(actual) - expected) <= Decimal("1e-8")
    if isinstance(expected, list):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same(expected[key], actual[key]) for key in expected)
        )
    return type(expected) is type(actual) and bool(expected == actual)


def run(
    folder: str,
    inputs: dict[str, Any],
    decision: str,
    evaluator: Callable[[Policy], Callable[..., Decision]] = Policy.compile,
) -> Any:
    """The DMN result of `decision` for `inputs`, through the import and an evaluator (the
    compiled one unless given)."""
    model = next((TCK / folder).glob("*.dmn"))
    table = next(t for t in load_dmn(model) if t.decision == decision)
    return table.decide(inputs, evaluator)


CASES = cases()


def _param(case: tuple[str, str, dict[str, Any], str, Any]) -> Any:
    folder, case_id = case[0], case[1]
    reason = UNSUPPORTED.get((folder, case_id))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*case, id=f"{folder}/{case_id}", marks=marks)


class TestTck:
    def test_there_are_51_cases_in_17_models(self) -> None:
        """The copy holds the whole subset: 51 test cases across 17 models."""
        assert (len(CASES), len({case[0] for case in CASES})) == (51, 17)

    @pytest.mark.parametrize(
        ("folder", "case_id", "inputs", "decision", "expected"), [_param(c) for c in CASES]
    )
    def test_case(
        self,
        evaluator: Callable[[Policy], Callable[..., Decision]],
        folder: str,
        case_id: str,
        inputs: dict[str, Any],
        decision: str,
        expected: Any,
    ) -> None:
        """The imported table, run compiled and by the reference interpreter, gives the TCK's
        expected result."""
        actual = run(folder, inputs, decision, evaluator)
        assert same(expected, actual), f"expected {expected!r}, got {actual!r}"

    def test_comparison_can_fail(self) -> None:
        """The comparison tells a wrong answer: order, numbers and keys all count."""
        assert not same(["a", "b"], ["b", "a"])
        assert not same(Decimal(4), 5)
        assert not same({"Rate": "Basic"}, {"Rate": "Standard"})
        assert not same("Approved", ["Approved"])


def report() -> tuple[int, dict[tuple[str, str], str]]:
    """The number of cases passed, and the reason for every miss by (folder, case id)."""
    passed, misses = 0, {}
    for folder, case_id, inputs, decision, expected in CASES:
        try:
            actual = run(folder, inputs, decision)
        except Exception as error:
            misses[folder, case_id] = f"{type(error).__name__}: {error}"
            continue
        if same(expected, actual):
            passed += 1
        else:
            misses[folder, case_id] = f"expected {expected!r}, got {actual!r}"
    return passed, misses


def summary() -> str:
    """``N of 51 passed`` and a line for every miss, as the lead quotes it."""
    passed, misses = report()
    lines = [f"DMN TCK: {passed} of {len(CASES)} passed"]
    lines += [f"  miss: {folder}/{case_id}: {why}" for (folder, case_id), why in misses.items()]
    return "\n".join(lines)


def test_report_names_every_miss() -> None:
    """The summary counts the passes, and the misses are exactly the unsupported cases."""
    passed, misses = report()
    print(summary())
    assert passed + len(misses) == len(CASES)
    assert sorted(UNSUPPORTED) == sorted(misses)


if __name__ == "__main__":
    print(summary())
    sys.exit(0 if report()[0] == len(CASES) else 1)
