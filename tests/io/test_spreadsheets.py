"""Spreadsheet decision tables: the layout, its errors at sheet/row/column, and two laws:
a table dumped and loaded again is the same policy, and a DMN table and the same table as CSV
import as equal policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import DocumentError, Policy
from crmculture.io.dmn import load_dmn
from crmculture.io.spreadsheets import (
    TABLE_HIT_POLICIES,
    dump_csv_table,
    dump_xlsx_table,
    load_csv_table,
    load_table,
    load_xlsx_table,
    policy_from_rows,
    table_rows,
)
from crmculture.stories import acme_policy

CREDIT = """name,credit
hit policy,F
fact,days_overdue,int
fact,tier,enum,bronze,silver,gold
fact,credit_hold,bool
directive,route_to,text,frontline
directive,discount_pct,int,0
rule,days_overdue,tier,credit_hold,route_to,discount_pct,rationale
hold,-,-,credit_hold,accounts_receivable,0,hold means pay first
late,days_overdue > 60,-,-,accounts_receivable,,
vip,-,"tier in [""gold"", ""silver""]",-,key_accounts,10,
"""


class TestLayout:
    def test_rules_decide_in_row_order(self) -> None:
        """A FIRST table decides by the first matching row; empty cells set nothing."""
        decide = load_csv_table(CREDIT).compile()
        customer = {"days_overdue": 90, "tier": "gold", "credit_hold": False}
        decision = decide(customer)
        assert (
            decision.directives["route_to"],
            decision.directives["discount_pct"],
        ) == ("accounts_receivable", 10)
        assert (
            decide({**customer, "days_overdue": 0, "tier": "bronze"}).directives["route_to"]
            == "frontline"
        )

    def test_rationale_and_priority(self) -> None:
        """The rationale column becomes the rule's rationale, row order its priority."""
        policy = load_csv_table(CREDIT)
        hold = policy.rule("hold")
        assert (hold.rationale, hold.priority) == ("hold means pay first", 1)
        assert [rule.priority for rule in policy.rules] == [1, 2, 3]

    def test_priority_column(self) -> None:
        """A priority column overrides the row order."""
        text = CREDIT.replace("rationale\n", "priority\n").replace("hold means pay first", "30")
        text = text.replace("accounts_receivable,,\n", "accounts_receivable,,20\n")
        text = text.replace("key_accounts,10,\n", "key_accounts,10,10\n")
        assert [r.priority for r in load_csv_table(text).rules] == [10, 20, 30]

    def test_output_order_ranks_by_values(self) -> None:
        """O lists the outputs in the order of the directive's values, then by row."""
        text = (
            "name,t\nhit policy,O\nfact,n,decimal\ndirective,level,text,,high,low\n"
            "rule,n,level\na,n > 0,low\nb,n > 1,high\n"
        )
        decide = load_csv_table(text).compile()
        assert decide({"n": Decimal(5)}).directives["level"] == ("high", "low")

    def test_reads_a_file(self, tmp_path: Path) -> None:
        """A .csv path loads; its stem names the sheet in problems."""
        path = tmp_path / "credit.csv"
        path.write_text(CREDIT, "utf-8")
        assert load_table(path) == load_csv_table(CREDIT)

    def test_xlsx_round_trip_and_typed_cells(self, tmp_path: Path) -> None:
        """An XLSX workbook written by dump_xlsx_table loads back; number cells read as text."""
        policy = load_csv_table(CREDIT)
        path = tmp_path / "credit.xlsx"
        dump_xlsx_table(policy, path)
        assert policy == load_table(path)
        import openpyxl

        workbook = openpyxl.load_workbook(path)
        sheet = workbook.active
        assert sheet is not None
        sheet["F11"] = 10  # a number cell, as a person types it
        workbook.save(path)
        assert policy == load_xlsx_table(path, sheet="credit")


BAD = [
    pytest.param(
        CREDIT.replace("hit policy,F", "hit policy,Z"),
        "table.B2, line 2, col 2: unknown hit policy `Z`",
        id="hit-policy",
    ),
    pytest.param(
        CREDIT.replace("days_overdue > 60", "days_overdu > 60"),
        "table.B10, line 10, col 2: unknown fact `days_overdu`",
        id="unknown-fact",
    ),
    pytest.param(
        CREDIT.replace("days_overdue > 60", "credit_hold"),
        "table.B10, line 10, col 2: the condition in column `days_overdue` tests `credit_hold`",
        id="other-fact",
    ),
    pytest.param(
        CREDIT.replace("days_overdue > 60", "days_overdue >"),
        "table.B10, line 10, col 2:",
        id="syntax",
    ),
    pytest.param(
        CREDIT.replace("key_accounts,10", "key_accounts,ten"),
        "table.F11, line 11, col 6: `ten` is not a `int` value",
        id="bad-value",
    ),
    pytest.param(
        CREDIT.replace("fact,days_overdue,int", "fact,days_overdue,integer"),
        "table.C3, line 3, col 3: fact type `integer` is not one of",
        id="fact-type",
    ),
    pytest.param(
        CREDIT.replace(",rationale", ",reason"),
        "table.G8, line 8, col 7: column `reason` is not a declared fact or directive",
        id="unknown-column",
    ),
    pytest.param(
        CREDIT.replace("late,days", "late day,days"),
        "table.A10, line 10, col 1: a rule id is a non-empty string",
        id="rule-id",
    ),
]


class TestErrors:
    @pytest.mark.parametrize(("text", "message"), BAD)
    def test_problem_names_sheet_row_and_column(self, text: str, message: str) -> None:
        """Each mistake is a DocumentError at its sheet, cell, line and column."""
        with pytest.raises(DocumentError) as error:
            load_csv_table(text)
        assert message in str(error.value)

    def test_every_problem_at_once(self) -> None:
        """Two bad cells are both reported."""
        text = CREDIT.replace("days_overdue > 60", "x > 1").replace("key_accounts,10", "k,ten")
        with pytest.raises(DocumentError) as error:
            load_csv_table(text)
        assert [p.path for p in error.value.problems] == [("table", "B10"), ("table", "F11")]

    def test_a_policy_that_does_not_fit(self) -> None:
        """A policy with layers, mixed combine strategies or overriding rules cannot be a table."""
        with pytest.raises(DocumentError, match="does not fit a decision table"):
            table_rows(acme_policy())

    def test_not_a_table_file(self, tmp_path: Path) -> None:
        """Only .csv and .xlsx files are tables; a broken workbook is a DocumentError."""
        with pytest.raises(DocumentError, match=r"expected a \.csv or \.xlsx"):
            load_table(tmp_path / "x.txt")
        broken = tmp_path / "x.xlsx"
        broken.write_bytes(b"not a zip")
        with pytest.raises(DocumentError, match="cannot read workbook"):
            load_table(broken)


# -- generated tables: one abstract table, written as DMN and as CSV -------------------------

NUMBER, ENUM, BOOL = "n", "e", "b"
ENUM_VALUES = ("a", "b", "c")
OUT_VALUES = ("x", "y", "z")


@st.composite
def number_test(draw: st.DrawFn, fact: str) -> tuple[str, str]:
    """A FEEL unary test on a number fact and the same test in the condition syntax."""
    v = draw(st.integers(-5, 20))
    w = v + draw(st.integers(0, 10))
    kind = draw(st.sampled_from(["cmp", "eq", "range", "list", "not"]))
    if kind == "cmp":
        op = draw(st.sampled_from(["<", "<=", ">", ">="]))
        return f"{op} {v}", f"{fact} {op} {v}"
    if kind == "eq":
        return str(v), f"{fact} == {v}"
    if kind == "range":
        low, high = draw(st.sampled_from(["[", "("])), draw(st.sampled_from(["]", ")"]))
        if (low, high) == ("[", "]"):
            return f"[{v}..{w}]", f"{fact} between {v} and {w}"
        lo_op = ">=" if low == "[" else ">"
        hi_op = "<=" if high == "]" else "<"
        return f"{low}{v}..{w}{high}", f"{fact} {lo_op} {v} and {fact} {hi_op} {w}"
    if kind == "list":
        values = sorted(set(draw(st.lists(st.integers(0, 9), min_size=2, max_size=3))))
        if len(values) == 1:
            return str(values[0]), f"{fact} == {values[0]}"
        return ", ".join(map(str, values)), f"{fact} in [{', '.join(map(str, values))}]"
    op = draw(st.sampled_from(["<", ">="]))
    return f"not({op} {v})", f"not {fact} {op} {v}"


@st.composite
def enum_test(draw: st.DrawFn, fact: str) -> tuple[str, str]:
    """A FEEL test on an enum fact (a string, a list, or not(...)) and the same test as text."""
    values = sorted(set(draw(st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=2))))
    listed = ", ".join(f'"{v}"' for v in values)
    text = f'{fact} == "{values[0]}"' if len(values) == 1 else f"{fact} in [{listed}]"
    if draw(st.booleans()):
        return f"not({quoted(values)})", f"not {text}"
    return quoted(values), text


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    """An abstract decision table: facts, outputs, hit policy and rows."""
    letter = draw(st.sampled_from(TABLE_HIT_POLICIES))
    facts = draw(
        st.lists(st.sampled_from([NUMBER, ENUM, BOOL]), min_size=1, max_size=3, unique=True)
    )
    numeric = letter in ("C+", "C<", "C>")
    outputs = ["o0", "o1"][: 1 if numeric else draw(st.integers(1, 2))]
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        cells = []
        for fact in facts:
            if draw(st.integers(0, 3)) == 0:
                cells.append(("-", "-"))
            elif fact == NUMBER:
                cells.append(draw(number_test(fact)))
            elif fact == ENUM:
                cells.append(draw(enum_test(fact)))
            else:
                flag = draw(st.booleans())
                cells.append(("true" if flag else "false", f"{fact} == {str(flag).lower()}"))
        values = [
            str(draw(st.integers(0, 9))) if numeric else draw(st.sampled_from(OUT_VALUES))
            for _ in outputs
        ]
        rows.append((cells, values))
    return {"letter": letter, "facts": facts, "outputs": outputs, "numeric": numeric, "rows": rows}


DMN_HIT = {
    "U": "UNIQUE",
    "A": "ANY",
    "P": "PRIORITY",
    "F": "FIRST",
    "R": "RULE ORDER",
    "O": "OUTPUT ORDER",
    "C": "COLLECT",
    "C+": "COLLECT",
    "C<": "COLLECT",
    "C>": "COLLECT",
}
AGGREGATION = {"C+": "SUM", "C<": "MIN", "C>": "MAX"}
DMN_TYPE = {NUMBER: "number", ENUM: "string", BOOL: "boolean"}


def quoted(values: Any) -> str:
    """FEEL string literals, comma-separated."""
    return ",".join(f'"{v}"' for v in values)


def as_dmn(table: dict[str, Any]) -> str:
    letter = table["letter"]
    agg = f' aggregation="{AGGREGATION[letter]}"' if letter in AGGREGATION else ""
    inputs = "".join(
        f'<input id="in-{f}"><inputExpression typeRef="{DMN_TYPE[f]}"><text>{f}</text>'
        f"</inputExpression>"
        + (f"<inputValues><text>{quoted(ENUM_VALUES)}</text></inputValues>" if f == ENUM else "")
        + "</input>"
        for f in table["facts"]
    )
    values = (
        ""
        if table["numeric"]
        else (f"<outputValues><text>{quoted(OUT_VALUES)}</text></outputValues>")
    )
    kind = "number" if table["numeric"] else "string"
    outputs = "".join(
        f'<output id="out-{o}" name="{o}" typeRef="{kind}">{values}</output>'
        for o in table["outputs"]
    )
    rules = ""
    for n, (cells, outs) in enumerate(table["rows"], start=1):
        entries = "".join(
            f'<inputEntry id="r{n}-i{k}"><text>{feel.replace("<", "&lt;")}</text></inputEntry>'
            for k, (feel, _) in enumerate(cells)
        )
        results = "".join(
            f'<outputEntry id="r{n}-o{k}"><text>{v if table["numeric"] else quoted([v])}</text>'
            "</outputEntry>"
            for k, v in enumerate(outs)
        )
        rules += f'<rule id="r{n}">{entries}{results}</rule>'
    data = "".join(f'<inputData id="data-{f}" name="{f}"/>' for f in table["facts"])
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="m" name="m" '
        f'namespace="t"><decision id="d" name="T"><decisionTable id="t" '
        f'hitPolicy="{DMN_HIT[letter]}"{agg}>{inputs}{outputs}{rules}</decisionTable></decision>'
        f"{data}</definitions>"
    )


def as_rows(table: dict[str, Any]) -> list[list[str]]:
    rows = [["name", "T"], ["hit policy", table["letter"]]]
    for fact in table["facts"]:
        kind = {NUMBER: "decimal", ENUM: "enum", BOOL: "bool"}[fact]
        rows.append(["fact", fact, kind, *(ENUM_VALUES if fact == ENUM else ())])
    for output in table["outputs"]:
        if table["numeric"]:
            rows.append(["directive", output, "decimal"])
        else:
            rows.append(["directive", output, "text", "", *OUT_VALUES])
    rows.append(["rule", *table["facts"], *table["outputs"]])
    for n, (cells, outs) in enumerate(table["rows"], start=1):
        rows.append([f"r{n}", *(text for _, text in cells), *outs])
    return rows


def as_csv(table: dict[str, Any]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(as_rows(table))
    return out.getvalue()


class TestLaws:
    @given(tables())
    def test_dmn_and_csv_give_equal_policies(self, table: dict[str, Any]) -> None:
        """The same table written as DMN and as CSV imports as equal policies."""
        from_dmn = load_dmn(as_dmn(table))[0].policy
        from_csv = load_csv_table(as_csv(table))
        assert from_dmn == from_csv

    @given(tables())
    def test_csv_round_trip(self, table: dict[str, Any]) -> None:
        """A table dumped and loaded again is the same policy, and the same rows."""
        policy = load_csv_table(as_csv(table))
        assert policy == load_csv_table(dump_csv_table(policy))
        assert table_rows(policy) == table_rows(policy_from_rows(table_rows(policy)))

    @settings(max_examples=10)
    @given(tables())
    def test_xlsx_round_trip(
        self, tmp_path_factory: pytest.TempPathFactory, table: dict[str, Any]
    ) -> None:
        """A table written to XLSX and read again is the same policy."""
        policy = load_csv_table(as_csv(table))
        path = tmp_path_factory.mktemp("xlsx") / "t.xlsx"
        dump_xlsx_table(policy, path)
        assert policy == load_xlsx_table(path)

    def test_equality_can_fail(self) -> None:
        """The law compares whole policies: a changed cell makes them differ."""
        table = {
            "letter": "F",
            "facts": [NUMBER],
            "outputs": ["o0"],
            "numeric": False,
            "rows": [([("> 1", "n > 1")], ["x"])],
        }
        changed = {**table, "rows": [([("> 2", "n > 1")], ["x"])]}
        assert load_dmn(as_dmn(changed))[0].policy != load_csv_table(as_csv(changed))
        assert load_dmn(as_dmn(table))[0].policy == load_csv_table(as_csv(table))


def test_dates_in_cells() -> None:
    """Date facts take dates in conditions."""
    policy = policy_from_rows(
        [
            ["name", "d"],
            ["fact", "since", "date"],
            ["directive", "old", "bool", "false"],
            ["rule", "since", "old"],
            ["r", "since < 2020-01-01", "true"],
        ]
    )
    assert policy.compile()({"since": dt.date(2019, 1, 1)}).directives["old"] is True
    assert isinstance(policy, Policy)
