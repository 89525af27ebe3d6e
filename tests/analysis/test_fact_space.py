"""The fact space: the representatives of the cells, and the department contexts."""

from __future__ import annotations

from crmculture import D, Directive, F, Fact, Policy, Rule, Schema
from crmculture.analysis.fact_space import FactSpace, department_contexts


class TestRepresentatives:
    def test_cells_no_atom_tells_apart_share_one_value(self) -> None:
        """Cells with the same answer to every atom are one set, even when not adjacent."""
        space = FactSpace(Schema([Fact.int("days", min=0)]), [F.days.isin([0, 5])])
        assert [cell.value for cell in space.dimensions[0].cells] == [0, 1, 5, 6]
        assert space.representatives() == {"days": (0, 1)}

    def test_missing_is_a_set_of_its_own_last(self) -> None:
        """An optional fact without default keeps its missing cell apart, at the end."""
        schema = Schema([Fact.float("satisfaction", min=0, max=10, optional=True)])
        space = FactSpace(schema, [F.satisfaction < 5])
        assert space.representatives() == {"satisfaction": (0.0, 5.0, None)}

    def test_atoms_on_names_that_are_not_facts_cut_nothing(self) -> None:
        """A guard's ``decision.<directive>`` atoms are not facts: they do not cut the space."""
        schema = Schema([Fact.bool("credit_hold")])
        space = FactSpace(schema, [F.credit_hold & (D.route_to == "accounts_receivable")])
        assert space.representatives() == {"credit_hold": (False, True)}
        assert tuple(space.atoms) == ("credit_hold",)


class TestDepartmentContexts:
    def test_declared_departments_and_no_department(self) -> None:
        """A policy with departments decides for each, and without one (None, last)."""
        schema = Schema([Fact.bool("vip")])
        policy = Policy(
            "p", schema, [Directive.int("d", default=0)], departments=["sales", "billing"]
        )
        assert department_contexts(policy) == ("billing", "sales", None)

    def test_undeclared_departments_are_those_the_rules_name(self) -> None:
        """Without a declaration, None stands for every department no rule names."""
        schema = Schema([Fact.bool("vip")])
        rule = Rule("r", when=F.vip, then={"d": 1}, departments=["support"])
        policy = Policy("p", schema, [Directive.int("d", default=0)], [rule])
        assert department_contexts(policy) == ("support", None)
