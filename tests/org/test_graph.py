"""OrgGraph, Department and Handoff: canonical values, validation, networkx copies, what-ifs."""

from __future__ import annotations

import pytest

from crmculture import D, F
from crmculture.errors import UnknownDepartmentError
from crmculture.org import Department, Handoff, OrgError, OrgGraph, Referral
from crmculture.stories import acme_org


def small() -> OrgGraph:
    return OrgGraph(
        [Department("sales"), Department("billing", ["invoice"]), Department("ar", ["plan"])],
        [
            Handoff("sales", "billing", ["invoice"], minutes=10),
            Handoff("billing", "ar", ["plan"], when=F.credit_hold, minutes=5),
            Handoff("sales", "ar", ["plan"], minutes=15),
        ],
    )


class TestValues:
    def test_parts_are_stored_in_canonical_order(self) -> None:
        """Departments sort by name, handoffs by source and target, whatever the input order."""
        org = small()
        assert org.names == ("ar", "billing", "sales")
        assert [(h.source, h.target) for h in org.handoffs] == [
            ("billing", "ar"),
            ("sales", "ar"),
            ("sales", "billing"),
        ]

    def test_equal_parts_in_any_order_make_equal_graphs(self) -> None:
        """Graphs are values: same parts, same graph, same hash."""
        org = small()
        again = OrgGraph(reversed(org.departments), reversed(org.handoffs))
        assert again == org
        assert hash(again) == hash(org)

    def test_request_lists_are_sorted_and_unique(self) -> None:
        """Request types are stored sorted without duplicates."""
        assert Department("x", ["b", "a", "b"]).resolves == ("a", "b")
        assert Handoff("x", "y", ["q", "p"]).requests == ("p", "q")
        assert Handoff("x", "y").requests is None

    def test_requests_lists_every_request_type(self) -> None:
        """`requests` is the sorted union of what departments resolve and handoffs carry."""
        assert small().requests == ("invoice", "plan")

    def test_unknown_department_has_a_suggestion(self) -> None:
        """Asking for a department that does not exist names the closest one."""
        with pytest.raises(UnknownDepartmentError, match="did you mean `sales`"):
            small().department("sale")


class TestValidation:
    def test_every_problem_is_reported_at_once(self) -> None:
        """One OrgError lists every fault, each with its path."""
        with pytest.raises(OrgError) as info:
            OrgGraph(
                [Department("sales"), Department("sales"), Department("")],
                [
                    Handoff("sales", "shiping"),
                    Handoff("sales", "sales"),
                    Handoff("sales", "sales", [], minutes=-1),
                ],
            )
        assert [str(problem) for problem in info.value.problems] == [
            "departments.sales: department `sales` is declared twice",
            "departments[2].name: a name must be a non-empty string, not `''`",
            "handoffs[0].target: unknown department `shiping`",
            "handoffs[1]: a handoff from `sales` to itself",
            "handoffs[2]: a handoff from `sales` to itself",
            "handoffs[2].requests: an empty request list never applies; give None for every "
            "request",
            "handoffs[2].minutes: minutes must be a non-negative int, not `-1`",
        ]

    @pytest.mark.parametrize(
        ("departments", "handoffs", "message"),
        [
            ([], [Handoff("a", "b")], "unknown department `a`"),
            (["sales"], [], "expected a Department, got str"),
            ([Department("a"), Department("b")], ["a->b"], "expected a Handoff, got str"),
            (
                [Department("a"), Department("b")],
                [Handoff("a", "b"), Handoff("a", "b")],
                "is listed twice",
            ),
            ([Department("a", [""])], [], "a request type must be a non-empty string"),
            ([Department("a")], "a", "expected a list, got str"),
            (
                [Department("a"), Department("b")],
                [Handoff("a", "b", kind="")],
                "the kind must be a non-empty string",
            ),
        ],
        ids=["empty", "not-department", "not-handoff", "duplicate", "bad-request", "str", "kind"],
    )
    def test_bad_parts_are_rejected(
        self, departments: list[object], handoffs: list[object], message: str
    ) -> None:
        """Each kind of bad input raises OrgError naming the problem."""
        with pytest.raises(OrgError, match=message):
            OrgGraph(departments, handoffs)  # type: ignore[arg-type]

    def test_an_empty_org_is_valid(self) -> None:
        """An org without departments is a value too (a policy document without an org)."""
        assert OrgGraph([]).names == ()
        assert OrgGraph([]) == OrgGraph([], [])

    def test_org_errors_are_value_errors(self) -> None:
        """Code that catches ValueError keeps working."""
        assert issubclass(OrgError, ValueError)


class TestNetworkx:
    def test_to_networkx_is_a_fresh_copy_with_plain_attributes(self) -> None:
        """Changing the copy leaves the org alone; attributes are plain values."""
        org = acme_org()
        graph = org.to_networkx()
        assert graph.is_multigraph()
        assert graph.is_directed()
        data = graph.get_edge_data("engineering", "shipping")[0]
        assert data == {
            "requests": ["replacement_part"],
            "when": "decision.may_ship",
            "kind": "transfer",
            "minutes": 30,
        }
        graph.nodes["shipping"]["resolves"].append("hacked")
        graph.remove_node("sales")
        assert org.department("shipping").resolves == ("replacement_part",)
        assert "sales" in org.to_networkx()
        assert org.to_networkx() is not org.to_networkx()

    def test_parallel_handoffs_are_parallel_edges(self) -> None:
        """Two handoffs between the same departments are two edges."""
        org = OrgGraph(
            [Department("a"), Department("b")],
            [Handoff("a", "b", minutes=1), Handoff("a", "b", when=D.may_ship, minutes=2)],
        )
        assert org.to_networkx().number_of_edges("a", "b") == 2


class TestWhatIf:
    def test_with_and_without_handoff(self) -> None:
        """Adding then removing a handoff gives the original org back."""
        org = small()
        extra = Handoff("ar", "sales", ["invoice"])
        assert org.with_handoff(extra).without_handoff(extra) == org
        assert len(org.without_handoff("sales", "ar").handoffs) == 2

    def test_without_a_missing_handoff_is_an_error(self) -> None:
        """Removing what is not there says what was asked for."""
        with pytest.raises(OrgError, match="there is no a handoff from `ar` to `sales`"):
            small().without_handoff("ar", "sales")

    def test_with_department_adds_or_replaces(self) -> None:
        """A department with a known name replaces it; a new name adds one."""
        org = small().with_department(Department("sales", ["quote"]))
        assert org.department("sales").resolves == ("quote",)
        assert len(org.with_department(Department("support"))) == 4

    def test_merge_semantics(self) -> None:
        """Merging unions what departments resolve, drops internal handoffs, redirects the
        rest and records what was merged."""
        org = small().merge(["billing", "ar"], into="finance")
        finance = org.department("finance")
        assert finance.resolves == ("invoice", "plan")
        assert finance.merged_from == ("ar", "billing")
        assert finance.decides_as == "billing"
        assert [str(h) for h in org.handoffs] == [
            "sales -> finance [invoice]",
            "sales -> finance [plan]",
        ]

    def test_merge_into_one_of_the_merged_names(self) -> None:
        """`into` may reuse a merged department's name."""
        org = small().merge(["ar", "billing"], into="ar")
        assert org.names == ("ar", "sales")
        assert org.department("ar").merged_from == ("billing",)
        assert org.department("ar").decides_as == "ar"

    def test_bad_merges_list_every_problem(self) -> None:
        """Unknown names, repeats and a taken name are all reported."""
        with pytest.raises(OrgError) as info:
            small().merge(["billing", "bill", "billing"], into="sales")
        assert [str(p) for p in info.value.problems] == [
            "merge.departments[1]: unknown department `bill` (did you mean `billing`?)",
            "merge.departments[2]: `billing` is listed twice",
            "merge.into: `sales` is another department; pick a new name",
        ]

    def test_merge_needs_two_departments(self) -> None:
        """Merging one department is an error."""
        with pytest.raises(OrgError, match="at least two departments"):
            small().merge(["billing"], into="finance")


class TestReferrals:
    """Referrals: a department's intended answer, validated and merged with the org."""

    def test_referrals_are_stored_in_canonical_order(self) -> None:
        """The same referrals in any order make equal departments."""
        one, two = Referral("ar", ["plan"]), Referral("billing")
        assert Department("s", refers=[one, two]) == Department("s", refers=[two, one])
        assert Department("s", refers=[one, two]).refers == (two, one)

    def test_every_referral_problem_is_reported_at_once(self) -> None:
        """Unknown targets (with a suggestion), empty lists, repeats: one OrgError."""
        with pytest.raises(OrgError) as info:
            OrgGraph(
                [
                    Department("billing"),
                    Department(
                        "sales",
                        refers=[
                            Referral("biling"),
                            Referral("billing", []),
                            Referral(""),
                            Referral("billing", ["x"]),
                            Referral("billing", ["x"]),
                            "billing",  # type: ignore[list-item]
                        ],
                    ),
                ]
            )
        assert [str(problem) for problem in info.value.problems] == [
            "departments.sales.refers[0].to: unknown department `biling` (did you mean "
            "`billing`?); a referral outside the company says `outside: true`",
            "departments.sales.refers[1].requests: an empty request list never applies; give "
            "None for every request",
            "departments.sales.refers[2].to: the target must be a non-empty string, not `''`",
            "departments.sales.refers[4]: referral `refer x to billing` is listed twice",
            "departments.sales.refers[5]: expected a Referral, got str",
        ]

    def test_a_referral_outside_the_company_names_anyone(self) -> None:
        """With ``outside=True`` the target is not a department of the org."""
        org = OrgGraph([Department("sales", refers=[Referral("the bank", outside=True)])])
        assert org.department("sales").refers[0].outside

    def test_referred_requests_are_request_types_of_the_org(self) -> None:
        """A request only a referral names is still a request type of the org."""
        org = OrgGraph([Department("sales", refers=[Referral("sales", ["refund"])])])
        assert org.requests == ("refund",)

    def test_to_networkx_carries_referrals(self) -> None:
        """Nodes carry their referrals as plain dicts."""
        graph = acme_org().to_networkx()
        (referral,) = graph.nodes["sales"]["refers"]
        assert referral["to"] == "accounts_receivable"
        assert referral["requests"] == ["replacement_part"]
        assert referral["when"] == 'decision.route_to == "accounts_receivable"'
        assert not referral["outside"]

    def test_a_merge_keeps_every_referral_and_renames_merged_targets(self) -> None:
        """The merged department makes its members' referrals; referrals to a merged
        department now name the merged one, elsewhere too."""
        org = OrgGraph(
            [
                Department("sales", refers=[Referral("ar", ["part"], message="to ar")]),
                Department("billing", refers=[Referral("bank", outside=True)]),
                Department("ar", refers=[Referral("sales", ["part"])]),
                Department("support", refers=[Referral("ar")]),
            ]
        )
        merged = org.merge(["sales", "ar"], into="commercial")
        assert merged.department("commercial").refers == (
            Referral("commercial", ["part"]),
            Referral("commercial", ["part"], message="to ar"),
        )
        assert merged.department("support").refers == (Referral("commercial"),)
        assert merged.department("billing").refers == (Referral("bank", outside=True),)
