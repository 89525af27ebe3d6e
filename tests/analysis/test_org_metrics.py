"""The org analysis: exact segments, confirmed examples, metrics and findings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmculture.analysis.org_metrics import analyze_org
from crmculture.culture import Culture
from crmculture.evaluate.truth import holds
from crmculture.org import OrgError
from crmculture.stories import acme_culture
from crmculture.testing.org_strategies import cultures
from crmculture.testing.strategies import customers


class TestTheStory:
    def test_the_five_department_journey_is_flagged_with_an_example(self) -> None:
        """The late payer's detour from sales is a long journey, with a customer to try."""
        culture = acme_culture()
        report = analyze_org(culture)
        [finding] = [f for f in report.of_kind("long_journey") if f.door == "sales"]
        assert finding.journey.touched == 5
        assert (
            str(finding.segment) == "not credit_hold and days_overdue > 0 and not days_overdue > 60"
        )
        again = culture.journey(finding.record, "replacement_part", door="sales")
        assert again == finding.journey

    def test_after_the_merge_no_journey_is_long(self) -> None:
        """Merging sales, billing and accounts receivable brings every journey within 3."""
        culture = acme_culture()
        merged = culture.with_org(
            culture.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
        )
        report = analyze_org(merged)
        assert report.of_kind("long_journey") == ()
        assert report.total.max_departments <= 3

    def test_metrics_of_the_story(self) -> None:
        """Per-request metrics count the cases of each request type."""
        report = analyze_org(acme_culture())
        parts = report.metrics("replacement_part")
        assert parts.max_departments == 5
        assert parts.long_journeys == 2
        assert report.metrics("payment_plan").dead_ends == 0
        assert report.metrics("*") == report.total
        assert report.bottlenecks(1) == ("accounts_receivable",)
        assert report.unreachable == ("sales", "support")
        assert report.betweenness[0] == ("engineering", 0.2)

    def test_restricting_doors_and_requests(self) -> None:
        """Only the doors and requests asked for are walked."""
        report = analyze_org(acme_culture(), doors=["sales"], requests=["replacement_part"])
        assert {(case.door, case.request) for case in report.cases} == {
            ("sales", "replacement_part")
        }

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"doors": ["sale"]}, "unknown door `sale`"),
            ({"requests": ["part"]}, "unknown request `part`"),
            ({"max_departments": 0}, "max_departments must be an int of at least 1"),
            ({"cutoff": True}, "cutoff must be an int"),
        ],
        ids=["door", "request", "bound", "cutoff"],
    )
    def test_bad_arguments(self, options: dict[str, Any], message: str) -> None:
        """Bad doors, requests and bounds raise OrgError."""
        with pytest.raises(OrgError, match=message):
            analyze_org(acme_culture(), **options)


@given(cultures(max_departments=4, max_handoffs=6), st.data())
def test_the_segments_cover_every_customer_exactly(culture: Culture, data: st.DataObject) -> None:
    """Any customer falls in exactly one segment per door and request, and takes its journey."""
    report = analyze_org(culture, max_routes=10_000)
    assume(report.cases)
    case = data.draw(st.sampled_from(report.cases))
    customer = data.draw(customers(culture.policy.schema))
    schema = culture.policy.schema
    facts = schema.validate(customer)
    mine = [
        other
        for other in report.cases
        if (other.door, other.request) == (case.door, case.request)
        and holds(other.segment, facts, schema)
    ]
    assert len(mine) == 1
    walked = culture.journey(customer, case.request, door=case.door, max_routes=10_000)
    assert walked == mine[0].journey


@given(cultures(max_departments=4, max_handoffs=6))
def test_every_finding_example_is_in_its_segment(culture: Culture) -> None:
    """A finding's example customer belongs to its segment and shows the finding."""
    report = analyze_org(culture, max_departments=2)
    schema = culture.policy.schema
    for finding in report.findings:
        assert holds(finding.segment, schema.validate(finding.record), schema)
        walked = culture.journey(finding.record, finding.request, door=finding.door)
        assert walked == finding.journey
        if finding.kind == "long_journey":
            assert walked.touched > 2
        if finding.kind == "dead_end":
            assert walked.dead_end


@st.composite
def digraphs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    """Department names in any order and handoff pairs between them (repeats allowed)."""
    count = draw(st.integers(0, 14))
    names = draw(st.permutations([f"n{index}" for index in range(count)]))
    if count < 2:
        return list(names), []
    pairs = st.tuples(st.sampled_from(names), st.sampled_from(names))
    edges = draw(st.lists(pairs.filter(lambda pair: pair[0] != pair[1]), max_size=40))
    return list(names), edges


@given(digraphs(), st.integers(1, 300))
def test_betweenness_is_networkx_to_the_last_bit(
    graph: tuple[list[str], list[tuple[str, str]]], budget: int
) -> None:
    """The report's own Brandes computes networkx's numbers exactly, in networkx's order of
    operations, however the departments and handoffs come; under a budget it is exact or
    left out, never partial."""
    import networkx as nx

    from crmculture.analysis.org_metrics import _betweenness

    names, edges = graph
    digraph: nx.DiGraph[str] = nx.DiGraph()
    digraph.add_nodes_from(names)
    digraph.add_edges_from(edges)
    expected = nx.betweenness_centrality(digraph, backend="networkx")
    got = _betweenness(names, edges)
    assert got == expected
    assert got is not None
    assert list(got) == list(expected)
    assert _betweenness(names, edges, budget) in (None, expected)
