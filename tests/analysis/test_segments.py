"""Customer segments: one value of each fact per cell the conditions tell apart."""

from __future__ import annotations

from crmculture.analysis.segments import representatives
from crmculture.model.conditions import F
from crmculture.stories import acme_schema


class TestRepresentatives:
    def test_one_value_per_cell(self) -> None:
        """Every combination of atom answers gets one value, in order; missing comes last."""
        cells = representatives(
            acme_schema(),
            [F.days_overdue > 60, F.days_overdue.between(1, 30), F.satisfaction < 5],
        )
        assert cells["days_overdue"] == (0, 1, 61)  # 31..60 answers as 0 does
        assert cells["satisfaction"] == (0.0, 5.0, None)
        assert cells["credit_hold"] == (False,)
