"""The bounded search over boxes of the fact space."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from crmculture import F, Fact, Rule, Schema
from crmculture.analysis.fact_space import TRUE, UNKNOWN, Box, FactSpace
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict


class TestSearch:
    def make(self, budget: int) -> Search:
        schema = Schema([Fact.int("a", min=0, max=9), Fact.int("b", min=0, max=9)])
        space = FactSpace(schema, [F.a > 4, F.b > 4])
        rule = space.compile(Rule("r", when=(F.a > 4) & (F.b > 4), then={"d": 1}), 0)

        def query(box: Box, statuses: Sequence[list[int]]) -> Verdict:
            truth = rule.truth(box)
            if truth == UNKNOWN:
                return (0, 0, TRUE)
            return FOUND if truth == TRUE else PRUNE

        return Search(space, [rule], [0], query, budget=budget)

    def test_the_search_splits_only_what_the_rule_reads(self) -> None:
        """Two splits decide `a > 4 and b > 4`: the false half of `a` is never split on `b`."""
        search = self.make(budget=100)
        found = list(search)
        assert len(found) == 1
        assert search.boxes == 5
        assert search.status == "exhausted"
        assert search.covered == 1

    @pytest.mark.parametrize("budget", [1, 2, 4])
    def test_a_budget_stops_the_search_and_says_how_much_it_covered(self, budget: int) -> None:
        """Out of budget, the search reports it and the share of the space it resolved."""
        search = self.make(budget=budget)
        list(search)
        assert search.status == "budget"
        assert search.boxes == budget
        assert search.covered < 1
