"""Specification of `Rule`, `Layer` and `Policy`: validation, canonical order, layers, lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs
import pytest

from crmculture.errors import (
    CrmCultureError,
    PolicyError,
    Problem,
    UnknownDirectiveError,
    UnknownRuleError,
)
from crmculture.model import (
    ALWAYS,
    Compare,
    Directive,
    F,
    Fact,
    Layer,
    Policy,
    Rule,
    Schema,
)

DEPARTMENTS = ("billing", "sales", "support")


def acme_schema() -> Schema:
    """The customer facts of the test policies."""
    return Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
            Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
            Fact.decimal("balance", min=0, optional=True),
        ]
    )


def acme_directives() -> list[Directive]:
    """The directives of the test policies: two uniform ones, and one of each combine kind."""
    return [
        Directive.text("route_to", default="frontline", uniform=True),
        Directive.enum(
            "service_level",
            ["standard", "priority", "white_glove"],
            default="standard",
            combine="max",
        ),
        Directive.bool("may_ship", default=True, combine="all", uniform=True),
        Directive.int("discount_pct", min=0, max=30, default=0, combine="max"),
        Directive.text(
            "notify", values=["account_manager", "accounts_receivable"], combine="collect"
        ),
    ]


def company_rules() -> list[Rule]:
    """Company-wide rules, deliberately not in `(priority, id)` order."""
    return [
        Rule("resellers", when=F.tier == "bronze", then={"route_to": "partners"}, priority=10),
        Rule(
            "credit-hold",
            when=F.credit_hold | (F.days_overdue > 60),
            then={"route_to": "accounts_receivable", "may_ship": False},
        ),
        Rule("best-customers", when=F.tier >= "gold", then={"service_level": "white_glove"}),
        Rule("sales-discount", when=True, then={"discount_pct": 5}, departments="sales"),
    ]


def support_layer(*rules: Rule) -> Layer:
    """A department layer for support (and billing), with a callback rule by default."""
    rules = rules or (Rule("many-tickets", when=F.days_overdue == 0, then={"discount_pct": 2}),)
    return Layer("support", ["support", "billing"], rules)


def make_policy(
    rules: Iterable[Rule] | None = None,
    *,
    layers: Iterable[Layer] = (),
    directives: Iterable[Any] | None = None,
    departments: Iterable[str] | None = DEPARTMENTS,
    name: str = "acme",
    schema: Any = None,
    version: str = "1",
) -> Policy:
    """Build a policy from the test defaults, overriding what the test is about."""
    return Policy(
        name,
        acme_schema() if schema is None else schema,
        acme_directives() if directives is None else directives,
        company_rules() if rules is None else rules,
        layers=layers,
        version=version,
        departments=departments,
    )


def _problems(error: pytest.ExceptionInfo[PolicyError]) -> list[tuple[str, str]]:
    return [(problem.path_text, problem.message) for problem in error.value.problems]


def _rule(rule_id: str = "r", **changes: Any) -> Rule:
    fields: dict[str, Any] = {"when": True, "then": {"discount_pct": 5}, **changes}
    return Rule(rule_id, **fields)


INVALID_POLICIES: list[Any] = [
    pytest.param(
        lambda: make_policy([_rule(when=F.days_overdu > 60)]),
        ("rules.r.when", "unknown fact `days_overdu` (did you mean `days_overdue`?)"),
        id="unknown-fact-in-when",
    ),
    pytest.param(
        lambda: make_policy([_rule(when=F.days_overdue > "sixty")]),
        (
            "rules.r.when",
            "fact `days_overdue`: expected an int, got str `'sixty'`",
        ),
        id="wrong-value-type-in-when",
    ),
    pytest.param(
        lambda: make_policy([_rule(when=F.days_overdue > 5000)]),
        (
            "rules.r.when",
            "fact `days_overdue`: `5000` is above the maximum 3650",
        ),
        id="value-outside-fact-domain",
    ),
    pytest.param(
        lambda: make_policy([_rule(when=F.tier == "diamond")]),
        (
            "rules.r.when",
            "fact `tier`: `diamond` is not one of the allowed values: `bronze`, `silver`, `gold`",
        ),
        id="value-outside-enum",
    ),
    pytest.param(
        lambda: make_policy([_rule(when=F.days_overdue.is_missing())]),
        (
            "rules.r.when",
            "fact `days_overdue` is required, so it is never missing",
        ),
        id="is-missing-on-required-fact",
    ),
    pytest.param(
        lambda: make_policy([_rule(then={"discont_pct": 5})]),
        (
            "rules.r.then.discont_pct",
            "unknown directive `discont_pct` (did you mean `discount_pct`?)",
        ),
        id="unknown-directive",
    ),
    pytest.param(
        lambda: make_policy([_rule(then={"discount_pct": 50})]),
        ("rules.r.then.discount_pct", "`50` is above the maximum 30"),
        id="directive-value-outside-domain",
    ),
    pytest.param(
        lambda: make_policy([_rule(then={"may_ship": "no"})]),
        ("rules.r.then.may_ship", "expected a bool, got str `'no'`"),
        id="directive-value-wrong-type",
    ),
    pytest.param(
        lambda: make_policy([_rule(then={"service_level": "gold"})]),
        (
            "rules.r.then.service_level",
            "`gold` is not one of the allowed values: `standard`, `priority`, `white_glove`",
        ),
        id="ordered-value-not-declared",
    ),
    pytest.param(
        lambda: make_policy([_rule(then={"notify": ["account_manager", "marketing"]})]),
        (
            "rules.r.then.notify",
            "`marketing` is not one of the allowed values: `account_manager`, "
            "`accounts_receivable`",
        ),
        id="collect-value-not-declared",
    ),
    pytest.param(
        lambda: make_policy([_rule(), _rule(priority=3)]),
        ("rules.r.id", "rule id `r` is used twice"),
        id="repeated-id-in-company-rules",
    ),
    pytest.param(
        lambda: make_policy([_rule()], layers=[support_layer(_rule())]),
        ("layers.support.rules.r.id", "rule id `r` is used twice"),
        id="repeated-id-across-company-and-layer",
    ),
    pytest.param(
        lambda: make_policy(
            [], layers=[support_layer(_rule()), Layer("sales", ["sales"], [_rule()])]
        ),
        ("layers.sales.rules.r.id", "rule id `r` is used twice"),
        id="repeated-id-across-layers",
    ),
    pytest.param(
        lambda: make_policy([], layers=[support_layer(_rule(then={"route_to": "support"}))]),
        (
            "layers.support.rules.r.then.route_to",
            "department layer `support` may not set the uniform directive `route_to`: "
            "every department must treat the customer the same",
        ),
        id="layer-sets-uniform-directive",
    ),
    pytest.param(
        lambda: make_policy([_rule(departments=["suport"])]),
        ("rules.r.departments", "unknown department `suport` (did you mean `support`?)"),
        id="rule-department-not-declared",
    ),
    pytest.param(
        lambda: make_policy([], layers=[Layer("support", ["suport"], [_rule()])]),
        ("layers.support.departments", "unknown department `suport` (did you mean `support`?)"),
        id="layer-department-not-declared",
    ),
    pytest.param(
        lambda: make_policy([], layers=[support_layer(_rule(departments=["sales"]))]),
        (
            "layers.support.rules.r.departments",
            "department `sales` is outside layer `support` (billing, support)",
        ),
        id="layer-rule-scoped-outside-its-layer",
    ),
    pytest.param(
        lambda: make_policy([_rule(departments=[])]),
        ("rules.r.departments", "an empty department list never applies"),
        id="empty-rule-departments",
    ),
    pytest.param(
        lambda: make_policy([], layers=[Layer("nobody", [], [_rule()])]),
        ("layers.nobody.departments", "a layer applies to at least one department"),
        id="layer-without-departments",
    ),
    pytest.param(
        lambda: make_policy([], layers=[support_layer(_rule("a")), support_layer(_rule("b"))]),
        ("layers.support", "layer `support` is declared twice"),
        id="repeated-layer-name",
    ),
    pytest.param(
        lambda: make_policy([], directives=[*acme_directives(), Directive.text("route_to")]),
        ("directives.route_to", "directive is declared twice"),
        id="repeated-directive",
    ),
    pytest.param(
        lambda: make_policy([], directives=[]),
        ("directives", "a policy decides at least one directive"),
        id="no-directives",
    ),
    pytest.param(
        lambda: make_policy([], directives=["route_to"]),
        ("directives[0]", "expected a Directive, got str"),
        id="directive-not-a-directive",
    ),
    pytest.param(
        lambda: make_policy([], name=""),
        ("name", "a policy needs a non-empty name"),
        id="empty-name",
    ),
    pytest.param(
        lambda: make_policy([], schema=[Fact.bool("credit_hold")]),
        ("schema", "expected a Schema, got list"),
        id="schema-not-a-schema",
    ),
    pytest.param(
        lambda: make_policy([_rule("a"), "credit_hold => ar"]),
        ("rules[1]", "expected a Rule, got str"),
        id="rule-not-a-rule",
    ),
    pytest.param(
        lambda: make_policy([], layers=["support"]),
        ("layers[0]", "expected a Layer, got str"),
        id="layer-not-a-layer",
    ),
]


class TestPolicyValidation:
    """Building a policy checks everything and reports every problem in one `PolicyError`."""

    @pytest.mark.parametrize(("build", "expected"), INVALID_POLICIES)
    def test_invalid_policies(self, build: Callable[[], Policy], expected: tuple[str, str]) -> None:
        """Each invalid policy reports exactly its problem, with path and reason."""
        with pytest.raises(PolicyError) as error:
            build()
        assert [expected] == _problems(error)

    def test_summary_names_the_policy(self) -> None:
        """The message starts with the policy name and shows a single problem on one line."""
        with pytest.raises(PolicyError) as error:
            make_policy([_rule(then={"discount_pct": 50})])
        expected = "invalid policy `acme`: rules.r.then.discount_pct: `50` is above the maximum 30"
        assert expected == str(error.value)

    def test_problem_carries_the_offending_value(self) -> None:
        """A bad directive value is attached to its problem."""
        with pytest.raises(PolicyError) as error:
            make_policy([_rule(then={"discount_pct": 50})])
        expected = [50]
        assert expected == [problem.value for problem in error.value.problems]

    def test_several_problems_at_once(self) -> None:
        """Problems in several rules and layers are all reported in one error, in order."""
        rules = [
            Rule("b-rule", when=F.credit_hol, then={"rout": "x"}),
            Rule("a-rule", when=F.days_overdue > -1, then={"discount_pct": 31}),
        ]
        layer = support_layer(
            Rule("b-rule", when=True, then={"route_to": "support"}, departments="sales")
        )
        with pytest.raises(PolicyError) as error:
            make_policy(rules, layers=[layer])
        expected = [
            ("rules.b-rule.when", "unknown fact `credit_hol` (did you mean `credit_hold`?)"),
            ("rules.b-rule.then.rout", "unknown directive `rout` (did you mean `route_to`?)"),
            (
                "rules.a-rule.when",
                "fact `days_overdue`: `-1` is below the minimum 0",
            ),
            ("rules.a-rule.then.discount_pct", "`31` is above the maximum 30"),
            ("layers.support.rules.b-rule.id", "rule id `b-rule` is used twice"),
            (
                "layers.support.rules.b-rule.then.route_to",
                "department layer `support` may not set the uniform directive `route_to`: "
                "every department must treat the customer the same",
            ),
            (
                "layers.support.rules.b-rule.departments",
                "department `sales` is outside layer `support` (billing, support)",
            ),
        ]
        assert expected == _problems(error)
        assert str(error.value).startswith("invalid policy `acme`: 7 problems\n  - ")

    def test_policy_error_is_a_value_error(self) -> None:
        """`PolicyError` is a `CrmCultureError` and a `ValueError`."""
        with pytest.raises(ValueError, match="invalid policy") as error:
            make_policy([_rule(then={"nope": 1})])
        assert isinstance(error.value, CrmCultureError)

    def test_departments_unchecked_when_not_declared(self) -> None:
        """Without declared departments, any department name is accepted."""
        policy = make_policy([_rule(departments=["anywhere"])], departments=None)
        expected = (("anywhere",), None)
        assert expected == (policy.rule("r").departments, policy.departments)

    def test_declared_departments_sorted(self) -> None:
        """Declared departments are stored sorted and unique."""
        policy = make_policy(departments=["support", "billing", "sales", "billing"])
        expected = DEPARTMENTS
        assert expected == policy.departments

    def test_layer_may_set_non_uniform_directive(self) -> None:
        """A department layer may set directives that are not uniform."""
        policy = make_policy(layers=[support_layer()])
        expected = ("support",)
        assert expected == tuple(layer.name for layer in policy.layers)


class TestPolicyCanonicalOrder:
    """Rules are stored in `(priority, id)` order; equal policies have equal fingerprints."""

    def test_rules_in_priority_then_id_order(self) -> None:
        """Company rules are stored in `(priority, id)` order whatever order they were given."""
        expected = ["best-customers", "credit-hold", "sales-discount", "resellers"]
        assert expected == [rule.id for rule in make_policy().rules]

    def test_layer_rules_in_priority_then_id_order(self) -> None:
        """A layer's rules are stored in `(priority, id)` order too."""
        layer = support_layer(_rule("z"), _rule("m", priority=-1), _rule("a"))
        expected = ["m", "a", "z"]
        assert expected == [rule.id for rule in make_policy([], layers=[layer]).layers[0].rules]

    def test_layers_sorted_by_name(self) -> None:
        """Layers are stored sorted by name."""
        layers = [support_layer(), Layer("billing-desk", ["billing"], [_rule("b")])]
        expected = ["billing-desk", "support"]
        assert expected == [layer.name for layer in make_policy(layers=layers).layers]

    @pytest.mark.parametrize(
        "reorder",
        [
            pytest.param(lambda rules: list(reversed(rules)), id="reversed"),
            pytest.param(lambda rules: sorted(rules, key=lambda rule: rule.id), id="by-id"),
            pytest.param(lambda rules: rules[2:] + rules[:2], id="rotated"),
        ],
    )
    def test_rule_order_does_not_matter(self, reorder: Callable[[list[Rule]], list[Rule]]) -> None:
        """Policies from the same rules in different orders are equal, with equal fingerprints."""
        layers = [support_layer(), Layer("sales", ["sales"], [_rule("s1"), _rule("s0")])]
        written = make_policy(company_rules(), layers=layers)
        reordered = make_policy(reorder(company_rules()), layers=list(reversed(layers)))
        assert written == reordered
        assert written.fingerprint == reordered.fingerprint
        assert written.effective_rules == reordered.effective_rules

    def test_fingerprint_is_sha256_hex(self) -> None:
        """The fingerprint is a 64-digit lowercase hex string, stable across builds."""
        fingerprint = make_policy().fingerprint
        expected = (64, fingerprint)
        assert expected == (len(fingerprint), make_policy().fingerprint)
        assert set(fingerprint) <= set("0123456789abcdef")

    def test_canonical_directive_types_are_the_document_types(self) -> None:
        """The canonical form (what the fingerprint hashes) says `enum` for an enum directive,
        as the model and culture documents do."""
        types = {d["name"]: d["type"] for d in make_policy().canonical()["directives"]}
        expected = ("enum", "text")
        assert expected == (types["service_level"], types["route_to"])

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param(lambda: make_policy(version="2"), id="version"),
            pytest.param(lambda: make_policy(name="acme-eu"), id="name"),
            pytest.param(lambda: make_policy([*company_rules(), _rule("extra")]), id="extra-rule"),
            pytest.param(
                lambda: make_policy(
                    [
                        *company_rules()[:3],
                        Rule("sales-discount", when=True, then={"discount_pct": 6}),
                    ]
                ),
                id="changed-value",
            ),
            pytest.param(lambda: make_policy(layers=[support_layer()]), id="added-layer"),
            pytest.param(lambda: make_policy(departments=None), id="departments"),
        ],
    )
    def test_different_policies_differ(self, change: Callable[[], Policy]) -> None:
        """Any change to the policy changes equality and the fingerprint."""
        changed = change()
        assert make_policy() != changed
        assert make_policy().fingerprint != changed.fingerprint

    def test_equal_policies_have_equal_fingerprints_whatever_the_decimal_spelling(self) -> None:
        """Policies that compare equal have equal fingerprints, even when decimals are spelled
        with different trailing zeros."""
        first = make_policy([_rule(when=F.balance > Decimal("5.00"))])
        second = make_policy([_rule(when=F.balance > 5)])
        expected = first == second
        assert expected == (first.fingerprint == second.fingerprint)

    def test_canonical_is_json_ready(self) -> None:
        """`canonical()` lists rules in canonical order with their condition text."""
        canonical = make_policy().canonical()
        expected = [
            ("best-customers", 'tier >= "gold"'),
            ("credit-hold", "credit_hold or days_overdue > 60"),
            ("sales-discount", "true"),
            ("resellers", 'tier == "bronze"'),
        ]
        assert expected == [(rule["id"], rule["when"]) for rule in canonical["rules"]]

    def test_policy_is_frozen(self) -> None:
        """A policy cannot be changed after it is built."""
        policy = make_policy()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            policy.name = "other"  # type: ignore[misc]


class TestPolicyNormalisation:
    """Building a policy stores rules with normalised conditions and values."""

    def test_condition_constants_normalised(self) -> None:
        """An int compared with a decimal fact is stored as a `Decimal`."""
        policy = make_policy([_rule(when=F.balance > 5)])
        when = policy.rule("r").when
        assert isinstance(when, Compare)
        expected = (Decimal(5), Decimal)
        assert expected == (when.value, type(when.value))

    def test_collect_values_normalised(self) -> None:
        """A collect value is stored as a sorted tuple without duplicates."""
        then = {"notify": ["accounts_receivable", "account_manager", "accounts_receivable"]}
        policy = make_policy([_rule(then=then)])
        expected = {"notify": ("account_manager", "accounts_receivable")}
        assert expected == policy.rule("r").sets

    def test_normalised_in_layers_too(self) -> None:
        """Rules of a department layer are normalised the same way."""
        policy = make_policy([], layers=[support_layer(_rule(when=F.balance.between(0, 9)))])
        when = policy.layers[0].rules[0].when
        expected = [Decimal, Decimal]
        assert expected == [type(when.low), type(when.high)]  # type: ignore[attr-defined]


class TestEffectiveRules:
    """`effective_rules` and `layer_of` show every rule with its department scope applied."""

    def test_layer_scope_applied(self) -> None:
        """Layer rules take the layer's departments; company rules keep their own scope."""
        policy = make_policy(layers=[support_layer()])
        expected = [
            ("best-customers", None),
            ("credit-hold", None),
            ("many-tickets", ("billing", "support")),
            ("sales-discount", ("sales",)),
            ("resellers", None),
        ]
        assert expected == [(rule.id, rule.departments) for rule in policy.effective_rules]

    def test_narrower_scope_inside_layer_kept(self) -> None:
        """A layer rule scoped to some of the layer's departments keeps its narrower scope."""
        policy = make_policy([], layers=[support_layer(_rule(departments="billing"))])
        expected = ("billing",)
        assert expected == policy.rule("r").departments

    def test_effective_rules_merge_layers_in_priority_order(self) -> None:
        """Rules of every layer are merged into one `(priority, id)` order."""
        layers = [
            support_layer(_rule("s-late", priority=5), _rule("s-early", priority=-5)),
            Layer("sales", ["sales"], [_rule("a-sales", priority=0)]),
        ]
        policy = make_policy([_rule("company", priority=1)], layers=layers)
        expected = ["s-early", "a-sales", "company", "s-late"]
        assert expected == [rule.id for rule in policy.effective_rules]

    def test_applies_to(self) -> None:
        """Scoped rules apply only in their departments; unscoped rules everywhere."""
        policy = make_policy(layers=[support_layer()])
        layer_rule, company_rule = policy.rule("many-tickets"), policy.rule("credit-hold")
        expected = [True, True, False, False, True, True, True]
        assert expected == [
            layer_rule.applies_to("support"),
            layer_rule.applies_to("billing"),
            layer_rule.applies_to("sales"),
            layer_rule.applies_to(None),
            company_rule.applies_to("sales"),
            company_rule.applies_to(None),
            company_rule.applies_to("anything"),
        ]

    def test_layer_of(self) -> None:
        """`layer_of` maps each department-layer rule id to its layer, company rules absent."""
        layers = [support_layer(), Layer("sales", ["sales"], [_rule("upsell")])]
        policy = make_policy(layers=layers)
        expected = {"many-tickets": "support", "upsell": "sales"}
        assert expected == dict(policy.layer_of)

    def test_effective_rules_do_not_affect_equality(self) -> None:
        """The derived fields are not part of equality; the stored fields are."""
        expected = {"effective_rules", "layer_of"}
        assert expected == {field.name for field in attrs.fields(Policy) if not field.eq}


class TestPolicyEvolution:
    """`with_rules` and `with_layer` return new, re-validated policies."""

    def test_with_rules_adds_in_canonical_order(self) -> None:
        """Added rules join the company layer in `(priority, id)` order."""
        policy = make_policy().with_rules(_rule("aaa", priority=-1), _rule("zzz"))
        expected = ["aaa", "best-customers", "credit-hold", "sales-discount", "zzz", "resellers"]
        assert expected == [rule.id for rule in policy.rules]

    def test_with_rules_leaves_original_unchanged(self) -> None:
        """The original policy is not changed."""
        original = make_policy()
        original.with_rules(_rule("extra"))
        expected = 4
        assert expected == len(original.rules)

    def test_with_rules_equals_building_with_all_rules(self) -> None:
        """Adding rules later gives the same policy as giving them at once."""
        extra = _rule("extra", when=F.balance > 5)
        expected = make_policy([*company_rules(), extra])
        actual = make_policy().with_rules(extra)
        assert expected == actual
        assert expected.fingerprint == actual.fingerprint

    def test_with_rules_validates(self) -> None:
        """An invalid added rule raises `PolicyError`."""
        with pytest.raises(PolicyError) as error:
            make_policy().with_rules(_rule("credit-hold"))
        expected = [("rules.credit-hold.id", "rule id `credit-hold` is used twice")]
        assert expected == _problems(error)

    def test_with_layer_adds(self) -> None:
        """`with_layer` adds a department layer."""
        policy = make_policy().with_layer(support_layer())
        expected = (("support",), {"many-tickets": "support"})
        assert expected == (tuple(layer.name for layer in policy.layers), dict(policy.layer_of))

    def test_with_layer_replaces_same_name(self) -> None:
        """A layer with the name of an existing one replaces it."""
        policy = make_policy(layers=[support_layer()])
        replaced = policy.with_layer(Layer("support", ["support"], [_rule("callback")]))
        expected = {"callback": "support"}
        assert expected == dict(replaced.layer_of)
        assert "many-tickets" not in [rule.id for rule in replaced.effective_rules]

    def test_with_layer_equals_building_with_it(self) -> None:
        """Adding a layer later gives the same policy as giving it at once."""
        expected = make_policy(layers=[support_layer()])
        actual = make_policy().with_layer(support_layer())
        assert expected == actual
        assert expected.fingerprint == actual.fingerprint

    def test_with_layer_validates(self) -> None:
        """A layer setting a uniform directive is rejected when added."""
        with pytest.raises(PolicyError) as error:
            make_policy().with_layer(support_layer(_rule("ship", then={"may_ship": False})))
        expected = ["layers.support.rules.ship.then.may_ship"]
        assert expected == [path for path, _ in _problems(error)]


class TestPolicyLookups:
    """`Policy.rule` and `Policy.directive` find by name, with a did-you-mean on typos."""

    def test_rule_of_company_layer(self) -> None:
        """A company rule is found by id."""
        expected = "credit-hold"
        assert expected == make_policy().rule("credit-hold").id

    def test_rule_of_department_layer_has_scope(self) -> None:
        """A layer rule is found with its layer's scope applied."""
        rule = make_policy(layers=[support_layer()]).rule("many-tickets")
        expected = ("billing", "support")
        assert expected == rule.departments

    @pytest.mark.parametrize(
        ("rule_id", "expected"),
        [
            pytest.param(
                "credit-hol",
                "unknown rule id `credit-hol` (did you mean `credit-hold`?)",
                id="typo",
            ),
            pytest.param("zzz", "unknown rule id `zzz`", id="no-suggestion"),
        ],
    )
    def test_unknown_rule(self, rule_id: str, expected: str) -> None:
        """An unknown rule id raises `UnknownRuleError` (a `KeyError`) with a did-you-mean."""
        with pytest.raises(UnknownRuleError) as error:
            make_policy().rule(rule_id)
        assert (expected, rule_id) == (str(error.value), error.value.rule_id)

    def test_directive(self) -> None:
        """A directive is found by name."""
        expected = acme_directives()[3]
        assert expected == make_policy().directive("discount_pct")

    def test_directive_index_in_declared_order(self) -> None:
        """`directive_index` follows the declared order of directives."""
        expected = ["route_to", "service_level", "may_ship", "discount_pct", "notify"]
        assert expected == list(make_policy().directive_index)

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            pytest.param(
                "rout_to", "unknown directive `rout_to` (did you mean `route_to`?)", id="typo"
            ),
            pytest.param("zzz", "unknown directive `zzz`", id="no-suggestion"),
        ],
    )
    def test_unknown_directive(self, name: str, expected: str) -> None:
        """An unknown directive raises `UnknownDirectiveError` (a `KeyError`) with a
        did-you-mean."""
        with pytest.raises(UnknownDirectiveError) as error:
            make_policy().directive(name)
        assert (expected, name) == (str(error.value), error.value.directive)


class TestLayer:
    """`Layer` holds department rules in canonical order."""

    def test_departments_sorted_and_unique(self) -> None:
        """A layer's departments are stored sorted and unique; one string is one department."""
        expected = (("billing", "support"), ("support",))
        assert expected == (
            Layer("l", ["support", "billing", "support"], []).departments,
            Layer("l", "support", []).departments,
        )

    def test_rules_sorted(self) -> None:
        """A layer's rules are stored in `(priority, id)` order."""
        layer = Layer("l", ["support"], [_rule("b"), _rule("a", priority=1), _rule("c")])
        expected = ["b", "c", "a"]
        assert expected == [rule.id for rule in layer.rules]


BAD_RULE_IDS: list[Any] = [
    pytest.param("bad id", id="space"),
    pytest.param("", id="empty"),
    pytest.param("-leading-dash", id="leading-dash"),
    pytest.param("semi;colon", id="semicolon"),
    pytest.param("ünïcode", id="non-ascii"),
]


class TestRule:
    """`Rule` guards its invariants and stores `then` canonically."""

    @pytest.mark.parametrize("rule_id", BAD_RULE_IDS)
    def test_bad_id(self, rule_id: str) -> None:
        """An id outside letters, digits and `_.:/-` raises `PolicyError`."""
        with pytest.raises(PolicyError) as error:
            Rule(rule_id, when=True, then={"route_to": "x"})
        expected = [
            Problem(
                ("rules", rule_id, "id"),
                "a rule id is a non-empty string of letters, digits and `_.:/-`",
            )
        ]
        assert expected == list(error.value.problems)

    def test_non_string_id(self) -> None:
        """A non-string id raises `PolicyError`."""
        with pytest.raises(PolicyError, match="a rule id is a non-empty string"):
            Rule(7, when=True, then={"route_to": "x"})  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "rule_id",
        [
            pytest.param("credit-hold", id="dash"),
            pytest.param("acme.support:callback/v2", id="punctuation"),
            pytest.param("_private", id="underscore"),
            pytest.param("1st", id="leading-digit"),
        ],
    )
    def test_good_id(self, rule_id: str) -> None:
        """Ids of letters, digits and `_.:/-` are accepted."""
        assert rule_id == Rule(rule_id, when=True, then={"route_to": "x"}).id

    @pytest.mark.parametrize(
        "then", [pytest.param({}, id="empty-dict"), pytest.param([], id="empty-pairs")]
    )
    def test_empty_then(self, then: Any) -> None:
        """A rule that sets nothing raises `PolicyError`."""
        with pytest.raises(PolicyError) as error:
            Rule("r", when=True, then=then)
        expected = [("rules.r.then", "the rule sets no directive: `then` is empty")]
        assert expected == _problems(error)

    def test_directive_set_twice(self) -> None:
        """`then` pairs naming a directive twice raise `PolicyError`."""
        with pytest.raises(PolicyError) as error:
            Rule("r", when=True, then=[("route_to", "a"), ("route_to", "b")])
        expected = [("rules.r.then", "the rule sets a directive twice")]
        assert expected == _problems(error)

    def test_non_string_directive_name(self) -> None:
        """A directive name that is not a string raises `PolicyError`."""
        with pytest.raises(PolicyError) as error:
            Rule("r", when=True, then={3: "a"})  # type: ignore[dict-item]
        expected = [("rules.r.then", "directive name `3` is not a string")]
        assert expected == _problems(error)

    @pytest.mark.parametrize(
        ("priority", "expected"),
        [
            pytest.param(1.5, "priority must be an int, not `1.5`", id="float"),
            pytest.param("1", "priority must be an int, not `'1'`", id="str"),
            pytest.param(True, "priority must be an int, not `True`", id="bool"),
            pytest.param(None, "priority must be an int, not `None`", id="none"),
        ],
    )
    def test_non_int_priority(self, priority: Any, expected: str) -> None:
        """A priority that is not an int raises `PolicyError`."""
        with pytest.raises(PolicyError) as error:
            Rule("r", when=True, then={"route_to": "x"}, priority=priority)
        assert [("rules.r.priority", expected)] == _problems(error)

    def test_rule_error_is_a_value_error(self) -> None:
        """Rule errors are `CrmCultureError` and `ValueError`."""
        with pytest.raises(ValueError, match="invalid rule `r`") as error:
            Rule("r", when=True, then={})
        assert isinstance(error.value, CrmCultureError)

    def test_then_stored_as_sorted_pairs(self) -> None:
        """`then` is stored as `(name, value)` pairs sorted by name; lists become tuples."""
        rule = Rule(
            "r", when=True, then={"route_to": "ar", "notify": ["b", "a"], "may_ship": False}
        )
        expected = (("may_ship", False), ("notify", ("b", "a")), ("route_to", "ar"))
        assert expected == rule.then

    def test_sets(self) -> None:
        """`sets` is `then` as a dict."""
        rule = Rule("r", when=True, then=[("route_to", "ar"), ("may_ship", False)])
        expected = {"may_ship": False, "route_to": "ar"}
        assert expected == rule.sets

    @pytest.mark.parametrize(
        ("when", "expected"),
        [
            pytest.param(F.credit_hold, Compare("credit_hold", "==", True), id="fact-ref"),
            pytest.param(True, ALWAYS, id="true"),
            pytest.param(F.days_overdue > 5, Compare("days_overdue", ">", 5), id="condition"),
        ],
    )
    def test_when_coerced(self, when: Any, expected: Any) -> None:
        """`when` accepts a condition, a fact reference or a bool."""
        assert expected == Rule("r", when=when, then={"route_to": "x"}).when

    def test_when_text_rejected(self) -> None:
        """Condition text is not a condition here (parsing belongs to the io layer)."""
        with pytest.raises(TypeError, match="expected a condition"):
            Rule("r", when="credit_hold", then={"route_to": "x"})  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("departments", "expected"),
        [
            pytest.param(None, None, id="none"),
            pytest.param("sales", ("sales",), id="one-string"),
            pytest.param(["support", "billing", "support"], ("billing", "support"), id="list"),
        ],
    )
    def test_departments(self, departments: Any, expected: Any) -> None:
        """Departments are `None` (everywhere) or a sorted, unique tuple."""
        rule = Rule("r", when=True, then={"route_to": "x"}, departments=departments)
        assert expected == rule.departments

    def test_order_key(self) -> None:
        """`order_key` is `(priority, id)`."""
        expected = (-3, "r")
        assert expected == Rule("r", when=True, then={"route_to": "x"}, priority=-3).order_key

    def test_defaults(self) -> None:
        """Priority defaults to 0, departments to everywhere, rationale to empty."""
        rule = Rule("r", when=True, then={"route_to": "x"})
        expected = (0, None, "")
        assert expected == (rule.priority, rule.departments, rule.rationale)

    def test_equal_by_value(self) -> None:
        """Rules built the same way are equal, whatever the order of `then`."""
        first = Rule("r", when=F.credit_hold, then={"a": 1, "b": 2}, rationale="why")
        second = Rule("r", when=F.credit_hold, then={"b": 2, "a": 1}, rationale="why")
        assert first == second
        assert hash(first) == hash(second)
