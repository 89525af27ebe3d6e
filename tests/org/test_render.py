"""Mermaid and DOT pictures: escaped names, generated ids, highlighted journeys, golden files.

Regenerate the golden files after an intended change with
``CRMCULTURE_UPDATE_GOLDEN=1 pytest tests/org/test_render.py`` and review the diff.
"""

from __future__ import annotations

import itertools
import os
import pathlib

import pytest

from crmculture import F
from crmculture.org import (
    Department,
    Handoff,
    Journey,
    OrgError,
    OrgGraph,
    to_dot,
    to_mermaid,
    walk,
)
from crmculture.stories import acme_culture

GOLDEN = pathlib.Path(__file__).parent / "golden"
HOSTILE = [
    'Sales "EMEA"',
    "R&D <lab>",
    "a]b[c",
    "two\nlines",
    "back\\slash",
    "--> injected",
    "#35; entity; %% comment",
    "ünïcødé 部門",
    "a|pipe{brace}",
]


def hostile_org() -> OrgGraph:
    departments = [Department(name) for name in HOSTILE[:-1]]
    departments.append(
        Department(HOSTILE[-1], ['part "x"'], resolves_when={'part "x"': F.note == 'say "hi" <b>'})
    )
    handoffs = [
        Handoff(source, target, ['part "x"'], when=F.credit_hold, minutes=index)
        for index, (source, target) in enumerate(itertools.pairwise(HOSTILE))
    ]
    return OrgGraph(departments, handoffs)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CRMCULTURE_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text + "\n"


def acme_story() -> tuple[OrgGraph, Journey]:
    culture = acme_culture()
    late = {"credit_hold": False, "days_overdue": 12, "annual_volume": 9000, "tier": "gold"}
    return culture.org, culture.journey(late, "replacement_part", door="sales")


class TestGolden:
    def test_acme_mermaid(self) -> None:
        """ACME's org with the five-department journey highlighted, in Mermaid."""
        org, journey = acme_story()
        check_golden("acme.mmd", to_mermaid(org, journey=journey))

    def test_acme_dot(self) -> None:
        """ACME's org with the five-department journey highlighted, in DOT."""
        org, journey = acme_story()
        check_golden("acme.dot", to_dot(org, journey=journey))

    def test_hostile_mermaid(self) -> None:
        """Hostile names are escaped labels on generated ids, in Mermaid."""
        org = hostile_org()
        journey = walk(org, 'part "x"', HOSTILE[0], lambda handoff: True)
        check_golden("hostile.mmd", to_mermaid(org, journey=journey))

    def test_hostile_dot(self) -> None:
        """Hostile names are escaped labels on generated ids, in DOT."""
        org = hostile_org()
        journey = walk(org, 'part "x"', HOSTILE[0], lambda handoff: True)
        check_golden("hostile.dot", to_dot(org, journey=journey))


class TestEscaping:
    def test_no_name_reaches_mermaid_unescaped(self) -> None:
        """Only safe characters of a name appear as they are; ids are d0, d1, ..."""
        text = to_mermaid(hostile_org())
        for bad in ['"EMEA"', "<lab>", "]b[", "\nlines", "--> injected", "==", "!=", "|pipe", "%%"]:
            assert bad not in text
        assert text.count("\n") == len(HOSTILE) + len(HOSTILE) - 1

    def test_dot_strings_stay_closed(self) -> None:
        """Every DOT line has balanced, escaped quotes and one statement."""
        for line in to_dot(hostile_org()).splitlines()[3:-1]:
            unescaped = line.replace("\\\\", "").replace('\\"', "")
            assert unescaped.count('"') % 2 == 0
            assert line.endswith(";")

    def test_mermaid_labels_use_only_safe_characters(self) -> None:
        """Outside the structure (and the `<br>` between a label's lines), only letters,
        digits, space, `_.,` and entities appear."""
        labels = 0
        for line in to_mermaid(hostile_org()).splitlines()[1:]:
            if '["' in line:
                label = line.split('["', 1)[1].rsplit('"]', 1)[0]
            elif "|" in line:
                label = line.split("|")[1]
            else:
                continue
            for part in label.split("<br>"):
                labels += 1
                assert set(part) <= set(
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,#;"
                )
        assert labels == 2 * len(HOSTILE) - 1 + 1  # nodes, edges, one resolves line

    def test_a_journey_from_another_org_is_refused(self) -> None:
        """Highlighting departments the org does not have is an error."""
        _org, journey = acme_story()
        with pytest.raises(OrgError, match="department `sales` is not in the org"):
            to_mermaid(hostile_org(), journey=journey)
