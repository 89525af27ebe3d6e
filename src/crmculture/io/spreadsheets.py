"""Spreadsheet decision tables: a policy as one row per rule, in CSV or XLSX.

The layout, one cell per comma (CSV) or per column (XLSX), top to bottom::

    name,       credit
    hit policy, F
    fact,       days_overdue, int
    fact,       tier,         enum, bronze, silver, gold
    directive,  route_to,     text, <default>, <value>, <value>...
    rule,       days_overdue,       tier,                       route_to,            rationale
    late,       days_overdue > 60,  -,                          accounts_receivable, pay first
    vip,        -,                  "tier in [""gold""]",       key_accounts,

- ``name`` names the policy; ``hit policy`` is one of the DMN letters ``U``, ``A``, ``P``,
  ``F``, ``R``, ``O``, ``C``, ``C+``, ``C<``, ``C>`` and sets every directive's combine
  strategy as `crmculture.io.dmn` does (``F`` and ``P`` → ``first``, ``U`` and ``A`` →
  ``unique``, ``R``, ``O`` and ``C`` → ``list``, ``C+`` → ``sum``, ``C<`` → ``min``,
  ``C>`` → ``max``);
- a ``fact`` row declares a fact: its name, its type (``bool``, ``int``, ``float``,
  ``decimal``, ``enum``, ``date``) and an enum's values;
- a ``directive`` row declares a directive: its name, type (``text``, ``enum``, ``bool``,
  ``int``, ``decimal``), default (empty for none) and allowed values (for ``P`` and ``O``,
  the values in priority order);
- the ``rule`` row heads the table: a column per fact (its cells are conditions in the
  condition syntax about that fact, ``-`` for any), a column per directive (its cells are
  the value the rule sets, empty for none), optional ``priority`` and ``rationale`` columns;
- every row below is a rule: its id, then its cells. A rule's priority is its row number
  among the rules, unless a ``priority`` column gives it (``P`` and ``O`` rank rules by their
  values' order, then by row, as DMN does).

Every problem is collected and raised in one `crmculture.DocumentError`, each at its cell:
``decisions.C7, line 7, col 3: unknown fact `tierr```.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from crmculture.errors import ConditionSyntaxError, CrmCultureError, DocumentError, Problem
from crmculture.io.condition_text import parse_condition
from crmculture.io.dmn import HIT_POLICIES, all_of
from crmculture.model.conditions import ALWAYS, And, Condition
from crmculture.model.directives import DIRECTIVE_TYPES, Combine, Directive
from crmculture.model.facts import Fact, Schema
from crmculture.model.policies import Policy
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT, literal_text

__all__ = [
    "HIT_POLICY_OF",
    "TABLE_HIT_POLICIES",
    "dump_csv_table",
    "dump_xlsx_table",
    "load_csv_table",
    "load_table",
    "load_xlsx_table",
    "policy_from_rows",
    "table_rows",
]

TABLE_HIT_POLICIES = ("U", "A", "P", "F", "R", "O", "C", "C+", "C<", "C>")
"""The hit policies a spreadsheet table may name (``C#`` is DMN's; write ``C+`` and 1)."""

HIT_POLICY_OF: dict[Combine, str] = {
    Combine.FIRST: "F",
    Combine.UNIQUE: "U",
    Combine.LIST: "R",
    Combine.SUM: "C+",
    Combine.MIN: "C<",
    Combine.MAX: "C>",
}
"""The hit policy `table_rows` writes for each combine strategy."""

_FACT_TYPES = ("bool", "int", "float", "decimal", "enum", "date")


def _column_name(column: int) -> str:
    name = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        name = chr(ord("A") + remainder) + name
    return name


class _Sheet:
    """The cells of one sheet, and the problems found in them."""

    def __init__(self, name: str, rows: Sequence[Sequence[str]]) -> None:
        self.name = name
        self.rows = [[cell.strip() for cell in row] for row in rows]
        self.problems: list[Problem] = []

    def report(self, row: int, column: int, message: str, value: object = None) -> None:
        """A problem at the 0-based cell (row, column)."""
        place = f"{_column_name(column + 1)}{row + 1}"
        self.problems.append(Problem((self.name, place), message, value, row + 1, column + 1))


def policy_from_rows(rows: Sequence[Sequence[str]], sheet: str = "table") -> Policy:
    """The policy a decision table's rows state (see the module for the layout).

    Args:
        rows: The cells, row by row, as text.
        sheet: The sheet's name, for the places of problems.

    Raises:
        DocumentError: listing every problem, each at its sheet, row and column.

    Examples:
        >>> rows = [["name", "credit"], ["hit policy", "F"],
        ...         ["fact", "days_overdue", "int"], ["directive", "route_to", "text", "frontline"],
        ...         ["rule", "days_overdue", "route_to"],
        ...         ["late", "days_overdue > 60", "accounts_receivable"]]
        >>> policy = policy_from_rows(rows)
        >>> policy.compile()({"days_overdue": 90}).directives["route_to"]
        'accounts_receivable'
        >>> policy_from_rows([*rows, ["later", "days_overdu > 90", "x"]])
        Traceback (most recent call last):
        ...
        crmculture.errors.DocumentError: decision table does not load: table.B7, line 7, col 2: unknown fact `days_overdu` (did you mean `days_overdue`?)
    """  # noqa: E501
    sheet_ = _Sheet(sheet, rows)
    policy = _read(sheet_)
    if sheet_.problems or policy is None:
        raise DocumentError("decision table does not load", sheet_.problems)
    return policy


def _read(sheet: _Sheet) -> Policy | None:
    name, letter = "", "F"
    facts: list[Fact] = []
    directive_rows: list[tuple[int, list[str]]] = []
    header_at = None
    for number, row in enumerate(sheet.rows):
        if not any(row):
            continue
        key = row[0].lower()
        cells = row[1:]
        while cells and not cells[-1]:
            cells.pop()
        if key == "name":
            name = cells[0] if cells else ""
        elif key == "hit policy":
            letter = cells[0].upper() if cells else ""
            if letter not in TABLE_HIT_POLICIES:
                allowed = ", ".join(TABLE_HIT_POLICIES)
                sheet.report(number, 1, f"unknown hit policy `{letter}` (use one of {allowed})")
                return None
        elif key == "fact":
            fact = _fact(sheet, number, cells)
            if fact is not None:
                facts.append(fact)
        elif key == "directive":
            directive_rows.append((number, cells))
        elif key == "rule":
            header_at = number
            break
        else:
            sheet.report(
                number,
                0,
                f"unknown row `{row[0]}`: expected name, hit policy, fact, directive or rule",
            )
    if not name:
        sheet.report(0, 0, "the table has no `name` row")
    if header_at is None:
        sheet.report(len(sheet.rows), 0, "the table has no `rule` header row")
        return None
    combine, ranked = HIT_POLICIES[letter]
    directives = [d for n, cells in directive_rows if (d := _directive(sheet, n, cells, combine))]
    try:
        schema = Schema(facts)
    except CrmCultureError as error:
        for problem in getattr(error, "problems", []):
            sheet.report(0, 0, problem.message)
        return None
    if sheet.problems:
        return None
    rules = _rules(sheet, header_at, schema, directives, ranked)
    if rules is None or sheet.problems:
        return None
    try:
        return Policy(name, schema, directives, rules)
    except CrmCultureError as error:
        for problem in getattr(error, "problems", [Problem((), str(error))]):
            sheet.report(header_at, 0, f"{problem.path_text}: {problem.message}")
        return None


def _fact(sheet: _Sheet, number: int, cells: list[str]) -> Fact | None:
    if len(cells) < 2 or cells[1] not in _FACT_TYPES:
        kind = cells[1] if len(cells) > 1 else ""
        sheet.report(number, 2, f"fact type `{kind}` is not one of {', '.join(_FACT_TYPES)}")
        return None
    name, kind, values = cells[0], cells[1], cells[2:]
    if kind != "enum" and values:
        sheet.report(number, 3, f"only enum facts list values, not `{kind}`")
        return None
    try:
        if kind == "enum":
            return Fact.enum(name, values)
        return Fact(name, kind)  # type: ignore[arg-type]
    except CrmCultureError as error:
        for problem in getattr(error, "problems", []):
            sheet.report(number, 1, problem.message)
        return None


def _directive(sheet: _Sheet, number: int, cells: list[str], combine: Combine) -> Directive | None:
    if len(cells) < 2 or cells[1] not in DIRECTIVE_TYPES:
        kind = cells[1] if len(cells) > 1 else ""
        sheet.report(
            number, 2, f"directive type `{kind}` is not one of {', '.join(DIRECTIVE_TYPES)}"
        )
        return None
    name, kind = cells[0], cells[1]
    default_text = cells[2] if len(cells) > 2 else ""
    values = tuple(cells[3:]) or None
    default: Any = NO_DEFAULT
    if default_text:
        default = _value_of(kind, default_text)
        if default is _BAD:
            sheet.report(number, 3, f"`{default_text}` is not a `{kind}` value", default_text)
            return None
        if combine in (Combine.LIST, Combine.COLLECT):
            default = [default]
    try:
        return Directive(name, kind, values=values, combine=combine, default=default)
    except CrmCultureError as error:
        for problem in getattr(error, "problems", []):
            sheet.report(number, 1, problem.message)
        return None


_BAD = object()


def _value_of(kind: str, text: str) -> Any:
    if kind in ("text", "enum"):
        return text
    if kind == "bool":
        lowered = text.lower()
        return {"true": True, "false": False}.get(lowered, _BAD)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return _BAD
    if not number.is_finite():
        return _BAD
    if kind == "int":
        return int(number) if number == number.to_integral_value() else _BAD
    return number


def _rules(
    sheet: _Sheet,
    header_at: int,
    schema: Schema,
    directives: Sequence[Directive],
    ranked: bool,
) -> list[Rule] | None:
    header = sheet.rows[header_at]
    by_fact = {fact.name: fact for fact in schema.facts}
    by_directive = {d.name: d for d in directives}
    columns: list[tuple[int, str, str]] = []  # (column, kind, name)
    for column, title in enumerate(header[1:], start=1):
        if not title:
            continue
        if title in by_fact:
            columns.append((column, "fact", title))
        elif title in by_directive:
            columns.append((column, "directive", title))
        elif title.lower() in ("priority", "rationale"):
            columns.append((column, title.lower(), title))
        else:
            sheet.report(
                header_at,
                column,
                f"column `{title}` is not a declared fact or directive, `priority` or `rationale`",
            )
    if sheet.problems:
        return None
    built: list[tuple[tuple[int, ...], int, Rule]] = []
    position = 0
    for number in range(header_at + 1, len(sheet.rows)):
        row = sheet.rows[number]
        if not any(row):
            continue
        position += 1
        rule = _rule(sheet, number, position, row, columns, schema, by_directive)
        if rule is None:
            continue
        rank = tuple(
            directive.values.index(_single(value))
            for name, value in rule.then
            if (directive := by_directive[name]).values is not None
            and _single(value) in directive.values
        )
        built.append((rank, position, rule))
    if ranked:
        if not any(d.values for d in directives):
            sheet.report(header_at, 0, "hit policy P or O needs directive values to rank rules")
            return None
        built.sort(key=lambda item: (item[0], item[1]))
        return [
            Rule(r.id, r.when, r.then, priority=position, rationale=r.rationale)
            for position, (_, _, r) in enumerate(built, start=1)
        ]
    return [rule for _, _, rule in built]


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _cell(row: Sequence[str], column: int) -> str:
    return row[column] if column < len(row) else ""


def _rule(
    sheet: _Sheet,
    number: int,
    position: int,
    row: Sequence[str],
    columns: Sequence[tuple[int, str, str]],
    schema: Schema,
    by_directive: dict[str, Directive],
) -> Rule | None:
    before = len(sheet.problems)
    rule_id = row[0]
    conditions: list[Condition] = []
    then: dict[str, Any] = {}
    priority = None
    rationale = ""
    for column, kind, name in columns:
        text = _cell(row, column)
        if kind == "fact":
            if text in ("", "-"):
                continue
            try:
                condition = parse_condition(text, schema)
            except ConditionSyntaxError as error:
                sheet.report(number, column, error.reason, text)
                continue
            except CrmCultureError as error:
                for problem in getattr(error, "problems", []):
                    sheet.report(number, column, problem.message, text)
                continue
            others = [fact for fact in condition.facts() if fact != name]
            if others:
                sheet.report(
                    number, column, f"the condition in column `{name}` tests `{others[0]}`", text
                )
                continue
            conditions.append(condition)
        elif kind == "directive":
            if not text:
                continue
            directive = by_directive[name]
            value = _value_of(directive.type, text)
            if value is _BAD:
                sheet.report(number, column, f"`{text}` is not a `{directive.type}` value", text)
                continue
            then[name] = [value] if directive.collects else value
        elif kind == "priority":
            try:
                priority = int(text) if text else None
            except ValueError:
                sheet.report(number, column, f"priority `{text}` is not a whole number", text)
        else:
            rationale = text
    if len(sheet.problems) > before:
        return None
    try:
        return Rule(
            rule_id,
            all_of(conditions),
            then,
            priority=position if priority is None else priority,
            rationale=rationale,
        )
    except CrmCultureError as error:
        for problem in getattr(error, "problems", [Problem((), str(error))]):
            sheet.report(number, 0, problem.message, rule_id)
        return None


def table_rows(policy: Policy) -> list[list[str]]:
    """The rows of `policy` in the spreadsheet layout; `policy_from_rows` reads them back.

    Raises:
        DocumentError: for a policy the layout cannot hold: directives with different combine
            strategies (or ``all``, ``any``, ``collect``), department scopes, layers,
            promises, overriding rules, conditions on more than one fact per column, fact
            bounds or defaults.

    Examples:
        >>> rows = [["name", "credit"], ["hit policy", "F"],
        ...         ["fact", "days_overdue", "int"], ["directive", "route_to", "text", "frontline"],
        ...         ["rule", "days_overdue", "route_to"],
        ...         ["late", "days_overdue > 60", "accounts_receivable"]]
        >>> table_rows(policy_from_rows(rows)) == rows
        True
    """
    problems: list[Problem] = []
    combines = {d.combine for d in policy.directives}
    letter = HIT_POLICY_OF.get(next(iter(combines))) if len(combines) == 1 else None
    if letter is None:
        problems.append(
            Problem(
                ("directives",),
                "a decision table has one hit policy: every directive combines by one of "
                + ", ".join(c.value for c in HIT_POLICY_OF),
            )
        )
    if policy.layers or policy.promises or policy.departments is not None:
        problems.append(Problem((), "layers, promises and departments do not fit a table"))
    if policy.version != "1" or policy.description:
        problems.append(Problem((), "a version or description does not fit a table"))
    for fact in policy.schema.facts:
        fits = (
            fact.min is None
            and fact.max is None
            and not fact.optional
            and fact.default is NO_DEFAULT
            and fact.better is None
            and not fact.description
            and (fact.type != "enum" or not fact.ordered)
        )
        if not fits:
            problems.append(
                Problem(
                    ("facts", fact.name),
                    "bounds, defaults, order, descriptions and optional facts do not fit a table",
                )
            )
    for directive in policy.directives:
        extra = (directive.min, directive.max, directive.better, directive.description)
        if directive.uniform or directive.monotone or any(v not in (None, "") for v in extra):
            problems.append(
                Problem(
                    ("directives", directive.name),
                    "min, max, uniform, monotone, better and descriptions do not fit a table",
                )
            )
    fact_names = [f.name for f in policy.schema.facts]
    rule_rows: list[list[str]] = []
    needs_priority = [r.priority for r in policy.rules] != list(range(1, len(policy.rules) + 1))
    for rule in policy.rules:
        cells, fits = _cells(rule.when, fact_names)
        if not fits:
            problems.append(
                Problem(("rules", rule.id, "when"), "the condition does not fit one cell per fact")
            )
        if rule.overrides or rule.departments is not None:
            problems.append(Problem(("rules", rule.id), "overriding and scoped rules do not fit"))
        row = [rule.id, *(cells.get(name, "-") for name in fact_names)]
        for directive in policy.directives:
            value = rule.sets.get(directive.name)
            if directive.collects and value is not None:
                if len(value) != 1:
                    problems.append(
                        Problem(
                            ("rules", rule.id, "then", directive.name), "a cell holds one value"
                        )
                    )
                    continue
                value = value[0]
            row.append("" if value is None else _value_text(value))
        if needs_priority:
            row.append(str(rule.priority))
        row.append(rule.rationale)
        rule_rows.append(row)
    if problems:
        raise DocumentError(f"policy `{policy.name}` does not fit a decision table", problems)
    rows: list[list[str]] = [["name", policy.name], ["hit policy", letter or ""]]
    for fact in policy.schema.facts:
        rows.append(["fact", fact.name, fact.type, *(fact.values or ())])
    for directive in policy.directives:
        default = directive.default
        if directive.collects:
            default = default[0] if len(default) == 1 else NO_DEFAULT
        rows.append(
            [
                "directive",
                directive.name,
                directive.type,
                "" if default is NO_DEFAULT else _value_text(default),
                *(directive.values or ()),
            ]
        )
    header = ["rule", *fact_names, *(d.name for d in policy.directives)]
    if needs_priority:
        header.append("priority")
    header.append("rationale")
    rows.append(header)
    rows.extend(rule_rows)
    # Trailing empty cells are not written: a rationale-less table reads back the same.
    if all(not row[-1] for row in rule_rows):
        rows[-len(rule_rows) - 1 :] = [row[:-1] for row in rows[-len(rule_rows) - 1 :]]
    return rows


def _cells(when: Condition, fact_names: Sequence[str]) -> tuple[dict[str, str], bool]:
    """The cell text per fact column of a rule's condition, and whether the cells, read
    back, give the same condition (the parts of an ``and`` grouped by fact, in column order)."""
    parts = () if when == ALWAYS else when.items if isinstance(when, And) else (when,)
    groups: dict[str, list[Condition]] = {name: [] for name in fact_names}
    for part in parts:
        facts = part.facts()
        if len(facts) != 1 or facts[0] not in groups:
            return {}, False
        groups[facts[0]].append(part)
    cells = {name: "-" if not group else str(all_of(group)) for name, group in groups.items()}
    rebuilt = all_of([all_of(group) for group in groups.values() if group])
    return cells, rebuilt == when


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return literal_text(value)


# -- CSV and XLSX ------------------------------------------------------------------------------


def load_csv_table(source: str | os.PathLike[str], *, sheet: str | None = None) -> Policy:
    """Load a decision table from a CSV file (or CSV text containing a newline).

    Examples:
        >>> text = "name,credit\\nfact,late,bool\\ndirective,route_to,text,frontline\\n"
        >>> text += "rule,late,route_to\\npay,late,accounts_receivable\\n"
        >>> load_csv_table(text).compile()({"late": True}).directives["route_to"]
        'accounts_receivable'
    """
    if isinstance(source, str) and "\n" in source:
        text, name = source, sheet or "table"
    else:
        path = Path(source)
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise DocumentError(
                f"cannot read decision table `{path}`", [Problem((), str(error))]
            ) from None
        name = sheet or path.stem
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise DocumentError("decision table is not CSV", [Problem((name,), str(error))]) from None
    return policy_from_rows(rows, name)


def dump_csv_table(policy: Policy) -> str:
    """The CSV text of `policy` as a decision table; `load_csv_table` reads it back."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table_rows(policy))
    return out.getvalue()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_xlsx_table(path: str | os.PathLike[str], *, sheet: str | None = None) -> Policy:
    """Load a decision table from a sheet of an XLSX workbook (the first unless named).

    Needs openpyxl: ``pip install crmculture[xlsx]``.
    """
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - the extra is installed in the tests
        raise ImportError("reading XLSX needs openpyxl: pip install crmculture[xlsx]") from None
    try:
        workbook = openpyxl.load_workbook(Path(path), read_only=True, data_only=True)
    except Exception as error:
        raise DocumentError(
            f"cannot read workbook `{path}`", [Problem((), f"{type(error).__name__}: {error}")]
        ) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            known = ", ".join(f"`{n}`" for n in workbook.sheetnames)
            raise DocumentError(
                f"workbook `{path}` has no sheet `{sheet}`", [Problem((sheet,), f"sheets: {known}")]
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
        name = worksheet.title
    finally:
        workbook.close()
    return policy_from_rows(rows, name)


def dump_xlsx_table(policy: Policy, path: str | os.PathLike[str]) -> None:
    """Write `policy` as a decision table to an XLSX workbook at `path` (every cell text)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = policy.name[:31] or "table"
    for row in table_rows(policy):
        worksheet.append(row)
    workbook.save(Path(path))


def load_table(path: str | os.PathLike[str], *, sheet: str | None = None) -> Policy:
    """Load a decision table from a ``.csv`` or ``.xlsx`` file, by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return load_csv_table(path, sheet=sheet)
    if suffix == ".xlsx":
        return load_xlsx_table(path, sheet=sheet)
    raise DocumentError(
        f"`{path}` is not a decision table", [Problem((), "expected a .csv or .xlsx file")]
    )
