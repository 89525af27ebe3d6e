"""DMN import: what each table element becomes, and every malformed model a library error.

The TCK cases (``test_dmn_tck.py``) check the results of published models; these tests check
what the TCK does not: zero matches, ``UNIQUE`` and ``ANY`` violations, ranges, ``not(...)``,
negative numbers, dates, and every way a model can be refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import (
    ConflictError,
    CrmCultureError,
    Decision,
    DocumentError,
    InvalidCustomer,
    Policy,
    UndecidedError,
)
from crmculture.io.dmn import EXAMPLE, DmnTable, dmn_identifier, load_dmn, parse_unary_tests
from crmculture.model.facts import Fact

TCK = Path(__file__).parent / "dmn_tck" / "compliance-level-2"

Evaluator = Callable[..., Decision]

NS = "https://www.omg.org/spec/DMN/20230324/MODEL/"


def model(
    hit_policy: str = "UNIQUE",
    entries: tuple[tuple[str, str], ...] = (("< 18", '"minor"'), (">= 18", '"adult"')),
    *,
    type_ref: str = "number",
    output_type: str = "string",
    aggregation: str = "",
    output_values: str = "",
    input_values: str = "",
    namespace: str = NS,
) -> str:
    """A one-input, one-output DMN model; each entry is (input entry, output entry)."""
    rules = "".join(
        f'<rule id="r{n}"><inputEntry id="i{n}"><text>{i.replace("<", "&lt;")}</text></inputEntry>'
        f'<outputEntry id="o{n}"><text>{o}</text></outputEntry></rule>'
        for n, (i, o) in enumerate(entries, start=1)
    )
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    values = f"<outputValues><text>{output_values}</text></outputValues>" if output_values else ""
    escaped = input_values.replace("<", "&lt;")
    allowed = f"<inputValues><text>{escaped}</text></inputValues>" if input_values else ""
    return (
        f'<definitions xmlns="{namespace}" id="m" name="m" namespace="t">'
        f'<decision id="d" name="Band"><decisionTable id="t" hitPolicy="{hit_policy}"{agg}>'
        f'<input id="in"><inputExpression typeRef="{type_ref}"><text>X</text></inputExpression>'
        f'{allowed}</input><output id="out" name="Band" typeRef="{output_type}">{values}</output>'
        f'{rules}</decisionTable></decision><inputData id="x" name="X"/></definitions>'
    )


def decide(evaluator: Callable[[Policy], Evaluator], text: str, x: Any) -> Any:
    table = load_dmn(text)[0]
    return table.result(evaluator(table.policy)(table.customer({"X": x})))


class TestImport:
    def test_tables_become_facts_directives_and_rules(self) -> None:
        """Inputs become facts, outputs directives, rules keep their ids and row order."""
        table = load_dmn(EXAMPLE)[0]
        policy = table.policy
        assert list(policy.schema.names) == ["Age", "Risk"]
        assert next(f for f in policy.schema.facts if f.name == "Risk").values == ("Low", "High")
        assert [rule.id for rule in policy.rules] == ["minor", "risky"]
        assert table.inputs == (("Age", "Age"), ("Risk", "Risk"))

    def test_every_namespace_is_read(self) -> None:
        """Models of DMN 1.1 to 1.5 import alike."""
        from crmculture.io.dmn import DMN_NAMESPACES

        policies = {load_dmn(model(namespace=ns))[0].policy for ns in DMN_NAMESPACES}
        assert len(policies) == 1

    def test_reads_a_file(self) -> None:
        """A path to a .dmn file is read."""
        tables = load_dmn(next(TCK.glob("0004*/*.dmn")))
        assert tables[0].decision == "Approval Status"

    def test_names_become_identifiers(self) -> None:
        """DMN names with spaces or slashes become fact and directive names."""
        assert (
            dmn_identifier("Approval Status"),
            dmn_identifier("Approved/Declined"),
        ) == ("Approval_Status", "Approved_Declined")


def with_decision(text: str, decision: str) -> str:
    """`text` with one more decision element before the input data."""
    return text.replace("<inputData", decision + "<inputData", 1)


def second_table(decision_id: str, name: str) -> str:
    """The example's decision table again, as decision `name` with id `decision_id`."""
    renamed = EXAMPLE.replace('id="decision" name="Verdict"', f'id="{decision_id}" name="{name}"')
    return renamed[renamed.index("<decision ") : renamed.index("</decision>") + 11]


LITERAL = (
    '<decision id="lit" name="Literal">'
    "<literalExpression><text>Age * 2</text></literalExpression></decision>"
)


class TestPickADecision:
    def test_by_name_or_id(self) -> None:
        """`decision=` is a decision's name, or else its id: only that table is imported."""
        both = with_decision(EXAMPLE, second_table("d2", "Second"))
        assert [t.decision for t in load_dmn(both)] == ["Verdict", "Second"]
        assert [t.decision_id for t in load_dmn(both, decision="Second")] == ["d2"]
        assert [t.decision_id for t in load_dmn(both, decision="decision")] == ["decision"]

    def test_a_name_wins_over_an_id(self) -> None:
        """A decision whose name is another's id: the name is looked up first."""
        both = with_decision(EXAMPLE, second_table("d2", "decision"))
        assert [t.decision_id for t in load_dmn(both, decision="decision")] == ["d2"]

    def test_the_other_decisions_are_not_read(self) -> None:
        """A decision the import does not support is no problem when another is picked."""
        text = with_decision(EXAMPLE, LITERAL)
        with pytest.raises(DocumentError, match="decision `Literal` is not a decision table"):
            load_dmn(text)
        assert [t.decision for t in load_dmn(text, decision="Verdict")] == ["Verdict"]
        with pytest.raises(DocumentError, match="decision `Literal` is not a decision table"):
            load_dmn(text, decision="lit")

    def test_an_unknown_decision_names_the_tables(self) -> None:
        """The error lists the decision tables (not other decisions) by name and id."""
        text = with_decision(with_decision(EXAMPLE, second_table("d2", "Second")), LITERAL)
        with pytest.raises(DocumentError) as raised:
            load_dmn(text, decision="Secnd")
        assert raised.value.summary == "DMN model has no decision `Secnd` (did you mean `Second`?)"
        assert [(p.path, p.message, p.value) for p in raised.value.problems] == [
            (
                ("definitions",),
                "its decision tables are `Verdict` (id `decision`), `Second` (id `d2`)",
                "Secnd",
            )
        ]

    def test_two_decisions_of_one_name(self) -> None:
        """A name two decisions share is ambiguous: pick by id."""
        text = with_decision(EXAMPLE, second_table("d2", "Verdict"))
        with pytest.raises(DocumentError, match="2 decisions named `Verdict`") as raised:
            load_dmn(text, decision="Verdict")
        assert str(raised.value.problems[0]) == "definitions: pick one by its id: `decision`, `d2`"
        assert [t.decision_id for t in load_dmn(text, decision="d2")] == ["d2"]


class TestAllowedValues:
    def test_a_number_range_bounds_the_fact(self) -> None:
        """Allowed values `[0..150]` on a number input become the fact's min and max."""
        policy = load_dmn(model(input_values="[0..150]"))[0].policy
        fact = policy.schema.facts[0]
        assert (fact.min, fact.max) == (0, 150)
        with pytest.raises(InvalidCustomer):
            policy.compile()({"X": Decimal(200)})

    def test_a_bound_on_a_date(self) -> None:
        """A `>=` bound on a date input becomes its min."""
        fact = load_dmn(
            model(entries=(("-", '"a"'),), type_ref="date", input_values='>= date("2000-01-01")')
        )[0].policy.schema.facts[0]
        assert (fact.min, fact.max) == (dt.date(2000, 1, 1), None)

    def test_other_allowed_values_are_reported(self) -> None:
        """Allowed values that are not one range or bound: a DocumentError, never ignored."""
        with pytest.raises(DocumentError, match="only one closed range"):
            load_dmn(model(input_values="< 5, > 10"))


class TestHitPolicies:
    def test_unique_violation_is_a_conflict(self, evaluator: Callable[[Policy], Evaluator]) -> None:
        """Two matching rules of a UNIQUE table with different outputs raise ConflictError."""
        text = model("UNIQUE", (("> 0", '"a"'), ("> 5", '"b"')))
        assert decide(evaluator, text, 1) == "a"
        with pytest.raises(ConflictError):
            decide(evaluator, text, 6)

    def test_any_accepts_agreeing_rules(self, evaluator: Callable[[Policy], Evaluator]) -> None:
        """ANY: matching rules that agree give their output; disagreeing ones conflict."""
        text = model("ANY", (("> 0", '"a"'), ("> 5", '"a"'), ("> 8", '"b"')))
        assert decide(evaluator, text, 6) == "a"
        with pytest.raises(ConflictError):
            decide(evaluator, text, 9)

    def test_no_match_is_undecided(self, evaluator: Callable[[Policy], Evaluator]) -> None:
        """A single-hit table with no matching rule reports it rather than inventing a value."""
        with pytest.raises(UndecidedError):
            decide(evaluator, model("FIRST", (("> 10", '"a"'),)), 1)

    def test_no_match_is_null_as_dmn_says(self, evaluator: Callable[[Policy], Evaluator]) -> None:
        """DmnTable.decide gives DMN's null (None) where the evaluators raise, or the
        defaultOutputEntry when the output has one."""
        table = load_dmn(model("FIRST", (("> 10", '"a"'),)))[0]
        assert [table.decide({"X": x}, evaluator) for x in (1, 11)] == [None, "a"]
        with_default = model("FIRST", (("> 10", '"a"'),)).replace(
            "</output>", '<defaultOutputEntry><text>"none"</text></defaultOutputEntry></output>'
        )
        assert load_dmn(with_default)[0].decide({"X": 1}, evaluator) == "none"

    def test_no_match_of_a_list_table_is_empty(
        self, evaluator: Callable[[Policy], Evaluator]
    ) -> None:
        """A rule-order table with no matching rule gives the empty list."""
        assert decide(evaluator, model("RULE ORDER", (("> 10", '"a"'),)), 1) == []

    def test_rule_order_keeps_repeats(self, evaluator: Callable[[Policy], Evaluator]) -> None:
        """RULE ORDER lists every matching rule's output in row order, repeats included."""
        text = model("RULE ORDER", (("> 5", '"b"'), ("> 0", '"a"'), ("> 1", '"b"')))
        assert decide(evaluator, text, 6) == ["b", "a", "b"]

    def test_output_order_follows_output_values(
        self, evaluator: Callable[[Policy], Evaluator]
    ) -> None:
        """OUTPUT ORDER sorts the outputs by the output values' order, then by row."""
        text = model(
            "OUTPUT ORDER",
            (("> 0", '"low"'), ("> 1", '"high"'), ("> 2", '"low"')),
            output_values='"high","low"',
        )
        assert decide(evaluator, text, 6) == ["high", "low", "low"]

    def test_priority_picks_the_first_output_value(
        self, evaluator: Callable[[Policy], Evaluator]
    ) -> None:
        """PRIORITY returns the matching output that comes first in the output values."""
        text = model(
            "PRIORITY", (("> 0", '"low"'), ("> 5", '"high"')), output_values='"high","low"'
        )
        assert (decide(evaluator, text, 6), decide(evaluator, text, 1)) == ("high", "low")

    def test_priority_needs_output_values(self) -> None:
        """PRIORITY without output values cannot rank rules: a DocumentError."""
        with pytest.raises(DocumentError, match="needs output values"):
            load_dmn(model("PRIORITY"))

    @pytest.mark.parametrize(
        ("aggregation", "x", "expected"),
        [("SUM", 6, Decimal(3)), ("MIN", 6, Decimal(1)), ("MAX", 6, Decimal(2)), ("COUNT", 6, 2)],
    )
    def test_collect_aggregations(
        self,
        evaluator: Callable[[Policy], Evaluator],
        aggregation: str,
        x: int,
        expected: Any,
    ) -> None:
        """C+, C<, C> and C# combine the matching rules' numbers."""
        text = model(
            "COLLECT",
            (("> 0", "1"), ("> 5", "2"), ("> 9", "4")),
            output_type="number",
            aggregation=aggregation,
        )
        assert expected == decide(evaluator, text, x)

    def test_count_of_no_match_is_zero(self, evaluator: Callable[[Policy], Evaluator]) -> None:
        """C# counts zero when no rule matches."""
        text = model("COLLECT", (("> 9", "4"),), output_type="number", aggregation="COUNT")
        assert decide(evaluator, text, 1) == 0


class TestUnaryTests:
    AGE = Fact.decimal("age")

    @pytest.mark.parametrize(
        ("text", "inside", "outside"),
        [
            ("[1..10]", [1, 10], [0, 11]),
            ("(1..10]", [2, 10], [1, 11]),
            ("[1..10)", [1, 9], [10]),
            ("]1..10[", [2, 9], [1, 10]),
            ("not(< 5)", [5, 6], [4]),
            ("-3", [-3], [3]),
            ("< -2.5", [-3], [-2.5]),
            ("1, 3, [5..6]", [1, 3, 5, 6], [2, 4, 7]),
            ("not(1, 2)", [3], [1, 2]),
        ],
    )
    def test_numbers(self, text: str, inside: list[int], outside: list[int]) -> None:
        """Comparisons, ranges, lists and not(...) hold exactly where FEEL says."""
        table = load_dmn(model(entries=((text, '"in"'),)))[0]
        decide_ = table.policy.compile()
        for x in inside:
            assert [decide_({"X": Decimal(x)}).directives["Band"]] == ["in"]
        for x in outside:
            with pytest.raises(UndecidedError):
                decide_({"X": Decimal(str(x))})

    def test_dates(self) -> None:
        """date("...") literals compare with date facts."""
        fact = Fact.date("since")
        condition = parse_unary_tests('[date("2020-01-01")..date("2020-12-31")]', fact)
        assert str(condition) == "since between 2020-01-01 and 2020-12-31"
        table = load_dmn(model(entries=(('< date("2020-01-01")', '"old"'),), type_ref="date"))[0]
        assert table.policy.compile()({"X": dt.date(2019, 5, 1)}).directives["Band"] == "old"

    def test_strings_and_booleans(self) -> None:
        """Strings test equality and membership; booleans equality."""
        risk = Fact.enum("risk", ["Low", "High"])
        assert str(parse_unary_tests('"High"', risk)) == 'risk == "High"'
        assert str(parse_unary_tests('not("High","Low")', risk)) == 'not risk in ["High", "Low"]'
        assert str(parse_unary_tests("true", Fact.bool("flag"))) == "flag"


BAD = [
    pytest.param("<definitions", "not well-formed XML", id="bad-xml"),
    pytest.param(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><definitions/>',
        "DOCTYPE or entity",
        id="doctype",
    ),
    pytest.param("<definitions/>", "not a DMN 1.1-1.5 model", id="no-namespace"),
    pytest.param(model("SOMETIMES"), "unknown hit policy `SOMETIMES`", id="unknown-hit-policy"),
    pytest.param(
        model("FIRST", aggregation="SUM"),
        "aggregation `SUM` with hit policy `FIRST`",
        id="aggregation-without-collect",
    ),
    pytest.param(
        model(entries=(("X + 1", '"a"'),)), "inputEntry.i1.text: `X + 1`", id="expression"
    ),
    pytest.param(model(entries=(("> foo", '"a"'),)), "`foo` is not a literal", id="name-reference"),
    pytest.param(
        model(entries=(('"text"', '"a"'),)), "is a string; `X` is a decimal", id="string-for-number"
    ),
    pytest.param(
        model(entries=(("true", '"a"'),)),
        "`true` is a boolean; `X` is a decimal",
        id="boolean-for-number",
    ),
    pytest.param(model(entries=(("[1..", '"a"'),)), "the entry ends too early", id="open-range"),
    pytest.param(model(entries=(("= 3", '"a"'),)), "`=` is not a simple unary test", id="equals"),
    pytest.param(
        model(entries=(("> 1", "X * 2"),)), "outputEntry.o1.text: `X * 2`", id="output-expression"
    ),
    pytest.param(model(entries=(("> 1", "3"),)), "`3` is not a string", id="number-for-string"),
    pytest.param(
        model(type_ref="duration"), "input type `duration` is not supported", id="unsupported-type"
    ),
    pytest.param(
        model().replace("<text>X</text>", "<text>X.age</text>"),
        "input expression `X.age` is not the name of an input data",
        id="path-expression",
    ),
    pytest.param(
        model()
        .replace("<decisionTable", "<literalExpression")
        .replace("</decisionTable>", "</literalExpression>"),
        "is not a decision table",
        id="literal",
    ),
    pytest.param(
        model("PRIORITY", output_values='"a"', entries=(("> 1", '"b"'),)),
        '`"b"` is not one of the output values',
        id="outside-output-values",
    ),
]


class TestMalformed:
    @pytest.mark.parametrize(("text", "message"), BAD)
    def test_library_error_naming_the_element(self, text: str, message: str) -> None:
        """Each malformed model raises a DocumentError whose problem names the element."""
        with pytest.raises(DocumentError) as error:
            load_dmn(text)
        assert message in str(error.value)

    def test_every_problem_at_once(self) -> None:
        """Two bad entries in one table are both reported."""
        with pytest.raises(DocumentError) as error:
            load_dmn(model(entries=(("X + 1", '"a"'), ("> foo", '"b"'))))
        assert [p.path[1] for p in error.value.problems] == ["i1", "i2"]

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
    def test_entities_are_refused_in_any_encoding(self, encoding: str) -> None:
        """A billion-laughs document is refused before any entity is expanded, also in UTF-16."""
        bomb = (
            f'<?xml version="1.0" encoding="{encoding}"?>'
            '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<definitions xmlns="{NS}">&b;</definitions>'
        )
        with pytest.raises(DocumentError, match="DOCTYPE or entity declaration"):
            load_dmn(bomb.encode(encoding))

    def test_a_parse_error_has_its_line_and_column(self) -> None:
        """XML that is not well formed: the problem has the line and column."""
        with pytest.raises(DocumentError) as error:
            load_dmn("<definitions>\n  <decision></definitions>")
        problem = error.value.problems[0]
        assert (problem.line, problem.column) == (2, 15)
        assert "mismatched tag" in problem.message

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist is a DocumentError naming it."""
        with pytest.raises(DocumentError, match="cannot read DMN file"):
            load_dmn(tmp_path / "nothing.dmn")


SEEDS = sorted(TCK.glob("*/*.dmn"))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A TCK model with a few characters deleted, replaced or inserted, or a text swapped."""
    text = draw(st.sampled_from(SEEDS)).read_text("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "replace", "insert", "entry", "entry", "entry"]))
        if kind == "entry":
            texts = [m.span(1) for m in re.finditer(r"<text>([^<]*)</text>", text)]
            start, end = draw(st.sampled_from(texts))
            new = draw(
                st.sampled_from(
                    [
                        "",
                        "-",
                        "[1..",
                        "not(",
                        '"x',
                        'date("2020-13-01")',
                        "> x",
                        "1..2",
                        "true,",
                        "&lt;&lt;",
                        "null",
                        "-1e5",
                        "]]",
                        "((1..2))",
                        '"a","a"',
                    ]
                )
            )
            text = text[:start] + new + text[end:]
            continue
        at = draw(st.integers(0, len(text)))
        size = draw(st.integers(1, 40))
        chunk = draw(
            st.sampled_from(['"', "<", ">", "&", "]]>", "<!DOCTYPE x>", "\x00", "é", " ", "1"])
        )
        if kind == "delete":
            text = text[:at] + text[at + size :]
        elif kind == "replace":
            text = text[:at] + chunk + text[at + size :]
        else:
            text = text[:at] + chunk + text[at:]
    return text


class TestFuzz:
    @settings(max_examples=300)
    @given(mutated())
    def test_mutated_models_raise_only_library_errors(self, text: str) -> None:
        """A mutated TCK model imports and decides, or raises a library error: nothing else."""
        outcome = _load_or_error(text)
        if isinstance(outcome, DocumentError):
            assert outcome.problems
            assert all(problem.message or problem.path for problem in outcome.problems)
        else:
            for table in outcome:
                with contextlib.suppress(CrmCultureError):
                    table.policy.compile()({})


def _load_or_error(text: str) -> list[DmnTable] | DocumentError:
    try:
        return load_dmn(text)
    except DocumentError as error:
        return error
