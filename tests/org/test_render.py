"""Mermaid and DOT pictures: escaped names, generated ids, highlighted journeys, golden files.

Regenerate the golden files after an intended change with
``CRMCULTURE_UPDATE_GOLDEN=1 pytest tests/org/test_render.py`` and review the diff.
"""

from __future__ import annotations

import itertools
import os
import pathlib
import random

import pytest

from crmculture import ALWAYS, F, Referral
from crmculture.org import (
    Department,
    Handoff,
    Journey,
    OrgError,
    OrgGraph,
    to_condensed_dot,
    to_condensed_mermaid,
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


class TestCondensed:
    """Condensed pictures: parallel handoffs with the same guard merged, guards as short
    labels with a legend, and a journey-only view."""

    def test_acme_condensed_mermaid(self) -> None:
        """ACME condensed, the five-department journey highlighted (golden file)."""
        org, journey = acme_story()
        check_golden("acme-condensed.mmd", to_condensed_mermaid(org, journey=journey))

    def test_acme_condensed_dot(self) -> None:
        org, journey = acme_story()
        check_golden("acme-condensed.dot", to_condensed_dot(org, journey=journey))

    def test_acme_journey_only(self) -> None:
        """Only the journey's departments and the handoffs it takes."""
        org, journey = acme_story()
        text = to_condensed_mermaid(org, journey=journey, journey_only=True)
        check_golden("acme-journey.mmd", text)
        check_golden("acme-journey.dot", to_condensed_dot(org, journey=journey, journey_only=True))
        assert text.count("-->") == len(journey.handoffs)
        assert "support" not in text

    def test_every_guard_has_one_short_label_in_the_legend(self) -> None:
        """Each distinct guard is spelled out once; labels only name legend entries; no
        edge label carries a guard's text."""
        org, _ = acme_story()
        text = to_condensed_dot(org)
        (legend,) = [line for line in text.splitlines() if line.strip().startswith("legend")]
        entries = legend.split('label="', 1)[1].rsplit('"', 1)[0].split("\\l")[:-1]
        labels = [entry.split(":", 1)[0] for entry in entries]
        guards = {str(h.when) for h in org.handoffs} | {
            str(r.when) for d in org.departments for r in d.refers
        }
        guards |= {str(g) for d in org.departments for _, g in d.resolves_when}
        guards.discard("true")
        assert labels == [f"G{n}" for n in range(1, len(guards) + 1)] + ["R1"]
        assert entries[-1] == "R1: refers replacement_part to accounts_receivable"
        edge_labels = [line.split('label="')[1] for line in text.splitlines() if "->" in line]
        assert all("decision." not in label for label in edge_labels)
        assert max(len(line) for label in edge_labels for line in label.split("\\n")) < 45

    def test_parallel_handoffs_become_one_edge_a_line_per_guard(self) -> None:
        """Two handoffs with the same guard share a line; another guard, another line."""
        org = OrgGraph(
            [Department("a"), Department("b", ["x", "y"])],
            [
                Handoff("a", "b", ["x"], when=F.late, minutes=5),
                Handoff("a", "b", ["y"], when=F.late, minutes=9),
                Handoff("a", "b", ["y"], when=F.vip, minutes=1),
            ],
        )
        lines = [line for line in to_condensed_dot(org).splitlines() if "->" in line]
        assert [line.split('label="')[1] for line in lines] == [
            'x, y if G1 (5-9 min)\\ny if G2 (1 min)"];',
        ]

    def test_a_generated_twenty_department_org_stays_readable(self) -> None:
        """20 departments in tiers: short edge labels, a legend entry per guard."""
        org = twenty_departments()
        check_golden("twenty-condensed.dot", to_condensed_dot(org))
        text = to_condensed_mermaid(org)
        edges = [line.split("|")[1] for line in text.splitlines() if "-->" in line]
        assert len(edges) <= len(org.handoffs)
        assert max(map(len, edges)) < 60
        assert text == to_condensed_mermaid(OrgGraph(org.departments[::-1], org.handoffs[::-1]))

    def test_hostile_names_stay_escaped(self) -> None:
        """Condensed output escapes names as the full pictures do."""
        text = to_condensed_mermaid(hostile_org())
        for bad in ['"EMEA"', "<lab>", "]b[", "\nlines", "--> injected", "|pipe", "%%"]:
            assert bad not in text
        for line in to_condensed_dot(hostile_org()).splitlines()[3:-1]:
            unescaped = line.replace("\\\\", "").replace('\\"', "")
            assert unescaped.count('"') % 2 == 0


def twenty_departments() -> OrgGraph:
    """A generated org of 20 departments in four tiers, as orgs are built: five front desks
    hand each request to its specialist (two of them only for customers in good standing,
    the others refer customers on hold to finance), specialists hand on to fulfilment, which
    resolves under a guard; finance takes customers on hold back to a front desk. Seeded."""
    rng = random.Random(20)
    requests = ["part", "quote", "refund", "repair"]
    front = [f"front_{n}" for n in range(1, 6)]
    specialists = {request: [f"{request}_desk_{n}" for n in (1, 2)] for request in requests}
    fulfilment = ["depot_north", "depot_south", "depot_east"]
    finance = ["credit", "collections", "invoicing"]
    hold = Referral("credit", when=F.on_hold)
    departments = [Department(name, refers=[hold] if rng.random() < 0.6 else []) for name in front]
    departments += [Department(n) for names in specialists.values() for n in names]
    departments += [
        Department(name, requests, resolves_when={"part": ~F.on_hold}) for name in fulfilment
    ]
    departments += [Department(name, ["payment"]) for name in finance]
    handoffs = []
    for desk in front:
        for request in requests:
            guard = rng.choice([ALWAYS, ALWAYS, ~F.on_hold])
            target = rng.choice(specialists[request])
            handoffs.append(Handoff(desk, target, [request], when=guard, minutes=10))
        handoffs.append(Handoff(desk, "invoicing", ["payment"], minutes=5))
    for request, names in specialists.items():
        for name in names:
            handoffs.append(
                Handoff(name, rng.choice(fulfilment), [request], when=F.tier >= "gold", minutes=15)
            )
            handoffs.append(Handoff(name, "collections", when=F.on_hold, minutes=5))
    handoffs.append(Handoff("collections", "credit", minutes=5))
    return OrgGraph(departments, handoffs)
