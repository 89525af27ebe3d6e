"""The exceptions crmculture raises, and the `Problem` records they carry.

Every error the library raises on purpose derives from `CrmCultureError` and also from the
builtin it resembles, so that ``except ValueError`` keeps working in code that does not know
crmculture. Errors that report bad input collect *every* problem before raising, and each
`Problem` names where it is (a path such as ``customer.days_overdue`` or
``rules[credit-hold].when``), the offending value and the reason.

The hierarchy:

```text
CrmCultureError
├── SchemaError(ValueError)          a fact or schema definition is invalid
├── PolicyError(ValueError)          a directive, rule or policy definition is invalid
├── InvalidCustomer(ValueError)      a customer record does not fit the schema
├── UnknownDepartmentError(ValueError)  a department the policy does not know
├── UnknownDirectiveError(KeyError)  a directive name the policy does not have
├── UnknownRuleError(KeyError)       a rule id the policy does not have
├── UnknownFactError(KeyError)       a fact name the schema does not have
├── BatchError(ValueError)           some records of a batch were invalid
├── ConditionSyntaxError(ValueError) condition text that does not parse
├── DocumentError(ValueError)        a culture document that does not load
├── OrgError(ValueError)             an org graph, what-if change or culture's org is wrong
├── AnalysisError(RuntimeError)      the verifier cannot answer (or found a bug in itself)
└── EvaluationError(RuntimeError)    a valid customer for whom the policy cannot decide
    ├── ConflictError                a `unique` directive got two different values
    └── UndecidedError               a directive without default got no value
```
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import attrs

__all__ = [
    "AnalysisError",
    "AsOfRequiredError",
    "BatchError",
    "ConditionSyntaxError",
    "ConflictError",
    "CrmCultureError",
    "DocumentError",
    "EvaluationError",
    "InvalidCustomer",
    "OrgError",
    "Path",
    "PolicyError",
    "Problem",
    "SchemaError",
    "UndecidedError",
    "UnknownDepartmentError",
    "UnknownDirectiveError",
    "UnknownFactError",
    "UnknownRuleError",
    "did_you_mean",
    "path_text",
]


Path: TypeAlias = tuple[Any, ...]
"""Where something is in an input: a tuple of keys and list indices, outermost first, e.g.
``("rules", 3, "when")`` in a document or ``("customer", "days_overdue")`` in a record. Keys
are usually strings; a YAML document may use other scalars as keys."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def path_text(path: Path) -> str:
    """Render a path for a message: ``rules[3].when``, ``facts.tier.values[1]``.

    Paths are data; this text is made only for people, never read back.

    Examples:
        >>> path_text(("rules", 3, "when")), path_text(("facts", "a b")), path_text(())
        ('rules[3].when', "facts['a b']", '')

        A YAML key need not be a string (``? : x`` has the key null); it is shown as written
        in Python:

        >>> path_text((None,)), path_text(("facts", True))
        ('[None]', 'facts[True]')
    """
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and _NAME.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _as_path(path: Path | str) -> Path:
    if isinstance(path, str):
        raise TypeError(f"a problem's path is a tuple of keys and indices, not the string `{path}`")
    return tuple(path)


@attrs.frozen
class Problem:
    """One thing wrong with an input, and where it is.

    Attributes:
        path: Where the problem is, as data: a tuple of keys and indices such as
            ``("customer", "days_overdue")`` or ``("rules", "vip", "then", "route_to")``.
        message: Why it is a problem, lowercase, one line.
        value: The offending value, or None when there is none (a missing fact).
        line: The line in the source document (1-based), when known.
        column: The column in the source document (1-based), when known.

    Examples:
        >>> problem = Problem(("customer", "tier"), "`diamond` is not one of the allowed values")
        >>> str(problem)
        'customer.tier: `diamond` is not one of the allowed values'
        >>> problem.path
        ('customer', 'tier')
    """

    path: Path = attrs.field(converter=_as_path)
    message: str
    value: Any = attrs.field(default=None, eq=False)
    line: int | None = None
    column: int | None = None

    @property
    def path_text(self) -> str:
        """The path as text for messages, e.g. ``rules[3].when``."""
        return path_text(self.path)

    @property
    def where(self) -> str:
        """The path and, when known, the line and column in the source document."""
        place = self.path_text
        if self.line is not None:
            place += f", line {self.line}" if place else f"line {self.line}"
            if self.column is not None:
                place += f", col {self.column}"
        return place

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.message}" if where else self.message


class CrmCultureError(Exception):
    """The root of every error crmculture raises on purpose."""


class _ProblemsError(CrmCultureError):
    """An error that lists one or more `Problem`s; the message shows every one."""

    problems: tuple[Problem, ...]

    def __init__(self, summary: str, problems: Iterable[Problem]) -> None:
        self.summary = summary
        self.problems = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return f"{self.summary}: {self.problems[0]}"
        lines = [f"{self.summary}: {len(self.problems)} problems"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.summary, self.problems))


class SchemaError(_ProblemsError, ValueError):
    """A fact or a schema is defined wrongly (bad domain, duplicate fact, bad default)."""


class PolicyError(_ProblemsError, ValueError):
    """A directive, rule, layer or policy is defined wrongly.

    Raised when the policy is built, never when it is evaluated: unknown facts, values of the
    wrong type or outside a domain, unknown directives, repeated rule ids, a department layer
    setting a uniform directive. Every problem is listed; each path names the rule id.
    """


class InvalidCustomer(_ProblemsError, ValueError):
    """A customer record does not fit the schema; nothing was evaluated.

    ``problems`` lists every fault at once: missing required facts, wrong types, values outside
    their domain, unknown facts. ``index`` is set when the record came from a batch.
    """

    def __init__(
        self, summary: str, problems: Iterable[Problem], *, index: int | None = None
    ) -> None:
        self.index = index
        super().__init__(summary, problems)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_invalid_customer, (self.summary, self.problems, self.index))

    @property
    def facts(self) -> tuple[str, ...]:
        """The names of the facts with problems, in the order the problems were found."""
        names = (
            problem.path[1] if len(problem.path) > 1 else path_text(problem.path)
            for problem in self.problems
        )
        return tuple(dict.fromkeys(names))


def _rebuild_invalid_customer(
    summary: str, problems: tuple[Problem, ...], index: int | None
) -> InvalidCustomer:
    return InvalidCustomer(summary, problems, index=index)


class OrgError(_ProblemsError, ValueError):
    """An org graph, a what-if change or a culture's org is defined wrongly.

    ``problems`` lists every fault at once, each with its path: ``departments[billing]``,
    ``handoffs[3].target``, ``merge.into``.
    """


class UnknownDepartmentError(CrmCultureError, ValueError):
    """A decision was asked for a department the policy does not declare."""

    def __init__(self, department: object, known: Sequence[str]) -> None:
        self.department = department
        self.known = tuple(known)
        message = f"unknown department `{department}`"
        if isinstance(department, str):
            message += did_you_mean(department, self.known)
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.department, self.known))


class UnknownDirectiveError(CrmCultureError, KeyError):
    """A directive name the policy does not have (a `KeyError`, with a plain message)."""

    def __init__(self, directive: object, known: Sequence[str]) -> None:
        self.directive = directive
        self.known = tuple(known)
        message = f"unknown directive `{directive}`"
        if isinstance(directive, str):
            message += did_you_mean(directive, self.known)
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.directive, self.known))


class UnknownRuleError(CrmCultureError, KeyError):
    """A rule id the policy does not have (a `KeyError`, with a plain message).

    Attributes:
        rule_id: The id asked for.
        known: The rule ids there are, of every layer.

    Examples:
        >>> from crmculture import CrmCultureError
        >>> from crmculture.stories import acme_policy
        >>> try:
        ...     acme_policy().rule("credit-hol")
        ... except CrmCultureError as error:
        ...     print(error, "|", error.rule_id, isinstance(error, KeyError))
        unknown rule id `credit-hol` (did you mean `credit-hold`?) | credit-hol True
    """

    def __init__(self, rule_id: object, known: Sequence[str]) -> None:
        self.rule_id = rule_id
        self.known = tuple(known)
        message = f"unknown rule id `{rule_id}`"
        if isinstance(rule_id, str):
            message += did_you_mean(rule_id, self.known)
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.rule_id, self.known))


class UnknownFactError(CrmCultureError, KeyError):
    """A fact name the schema does not have (a `KeyError`, with a plain message).

    Attributes:
        fact: The name asked for.
        known: The schema's fact names, in declared order.

    Examples:
        >>> from crmculture import CrmCultureError
        >>> from crmculture.stories import acme_schema
        >>> try:
        ...     acme_schema()["days_overdu"]
        ... except CrmCultureError as error:
        ...     print(error, "|", error.fact, isinstance(error, KeyError))
        unknown fact `days_overdu` (did you mean `days_overdue`?) | days_overdu True
    """

    def __init__(self, fact: object, known: Sequence[str]) -> None:
        self.fact = fact
        self.known = tuple(known)
        message = f"unknown fact `{fact}`"
        if isinstance(fact, str):
            message += did_you_mean(fact, self.known)
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.fact, self.known))


class BatchError(CrmCultureError, ValueError):
    """Some records of a batch were invalid; ``failures`` holds each one's error by index.

    ``results`` holds, in input order, the `Decision` of every valid record and the error of
    every invalid one: nothing is dropped. (From ``decide_many(..., keep=...)``, each is in
    the `crmculture.Kept` that holds its record's kept fields.)
    """

    def __init__(self, failures: Sequence[CrmCultureError], results: Sequence[object]) -> None:
        self.failures = tuple(failures)
        self.results = tuple(results)
        lines = [f"{len(self.failures)} of {len(self.results)} records could not be decided"]
        lines.extend(f"  - record {_index_of(error)}: {error}" for error in self.failures)
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.failures, self.results))


def _index_of(error: CrmCultureError) -> str:
    index = getattr(error, "index", None)
    return "?" if index is None else str(index)


class ConditionSyntaxError(CrmCultureError, ValueError):
    """Condition text that does not parse, or names something the schema does not have.

    The message says what was expected, where (line and column, 1-based), and shows the line
    with a caret under the problem.

    Attributes:
        text: The condition text.
        line: The line of the problem (1-based).
        column: The column of the problem (1-based).
        reason: The message without the location and the caret.
    """

    def __init__(self, reason: str, text: str, line: int, column: int) -> None:
        self.reason = reason
        self.text = text
        self.line = line
        self.column = column
        lines = text.splitlines() or [""]
        shown = lines[line - 1] if 0 < line <= len(lines) else ""
        if len(shown) > 120:  # keep huge one-line inputs readable around the problem
            start = max(0, column - 60)
            shown, column = shown[start : start + 120], column - start
        caret = " " * (column - 1) + "^"
        super().__init__(f"line {line}, col {self.column}: {reason}\n  {shown}\n  {caret}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.text, self.line, self.column))


class DocumentError(_ProblemsError, ValueError):
    """A culture document that does not load: every problem, each with its path in the
    document and, for YAML and JSON, its line and column."""


class AnalysisError(CrmCultureError, RuntimeError):
    """The verifier produced a witness the reference interpreter does not confirm (a bug in
    the verifier; please report it), or was asked something it cannot answer (a `diff`
    between policies over different schemas)."""


class AsOfRequiredError(CrmCultureError, ValueError):
    """A policy that uses the as-of date (a condition compares a fact with ``as_of``, or a
    rule has effective dates) was asked to decide, or to be analysed, without one.

    Attributes:
        policy: The policy's name.
        uses: The ids of the rules (and promises) that use the as-of date.
    """

    def __init__(self, policy: str, uses: Sequence[str]) -> None:
        self.policy = policy
        self.uses = tuple(uses)
        shown = ", ".join(f"`{name}`" for name in self.uses[:5])
        more = f" and {len(self.uses) - 5} more" if len(self.uses) > 5 else ""
        verb = "uses" if len(self.uses) == 1 else "use"
        super().__init__(
            f"policy `{policy}` needs an as-of date: {shown}{more} {verb} `as_of` "
            "(pass `as_of=datetime.date(...)`, or `--as-of YYYY-MM-DD`)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.policy, self.uses))


class EvaluationError(CrmCultureError, RuntimeError):
    """The customer is valid, but the policy cannot decide a directive for them.

    ``index`` is set when the record came from a batch.
    """

    index: int | None = None


class ConflictError(EvaluationError):
    """Matching rules set a `unique` directive to different values.

    Attributes:
        directive: The directive's name.
        contributions: ``(rule id, value)`` for every matching rule that set it.
    """

    def __init__(self, directive: str, contributions: Sequence[tuple[str, Any]]) -> None:
        self.directive = directive
        self.contributions = tuple(contributions)
        listed = ", ".join(f"rule `{rule}` sets `{value}`" for rule, value in self.contributions)
        super().__init__(f"conflict on unique directive `{directive}`: {listed}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.directive, self.contributions), {"index": self.index})


class UndecidedError(EvaluationError):
    """A directive without a default got no value: no matching rule set it."""

    def __init__(self, directive: str) -> None:
        self.directive = directive
        super().__init__(
            f"directive `{directive}` has no value: no matching rule sets it and it has no default"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.directive,), {"index": self.index})


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Return `` (did you mean `x`?)`` for the closest known name, or an empty string.

    Examples:
        >>> did_you_mean("days_overdu", ["days_overdue", "tier"])
        ' (did you mean `days_overdue`?)'
        >>> did_you_mean("zzz", ["tier"])
        ''
    """
    if not isinstance(name, str):
        return ""
    matches = difflib.get_close_matches(name, sorted(k for k in known if isinstance(k, str)), n=1)
    return f" (did you mean `{matches[0]}`?)" if matches else ""
