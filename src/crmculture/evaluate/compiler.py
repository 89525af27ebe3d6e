"""The compiled evaluator: one specialised Python function per policy.

`compile_policy` writes the source of a function that validates a customer record with inline
type and domain checks, evaluates every rule's condition as a plain Python expression, combines
directive values with if/elif chains ordered by `crmculture.evaluate.combine.precedence`, and
returns a `Decision`. The source is built from fixed templates: every constant (fact names,
comparison values, enum domains, defaults) reaches the function through its globals under a
generated name and is never spelled into the text. The source is registered with `linecache`
under ``<crmculture compiled policy NAME>`` so that tracebacks and `inspect.getsource` show it;
`CompiledPolicy.source` holds it too.

A policy compiles once: `compile_policy` and `crmculture.Policy.compile` return the evaluator
memoised on the policy object. The ``linecache`` entry is removed when the evaluator is garbage
collected, so building and dropping policies in a long-running process leaves nothing behind.

Anything unusual (a record that is not a plain dict, a value of the wrong type, a missing or
unknown fact) leaves the fast path for the schema's own validator, which reports every problem,
so the fast path never has to.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import linecache
import math
import sys
import weakref
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal, assert_never, overload

from crmculture.errors import CrmCultureError, UndecidedError
from crmculture.evaluate.combine import combine, precedence
from crmculture.evaluate.decision import Decision, decision_class
from crmculture.evaluate.many import Kept, OnError, check_keep, decide_each
from crmculture.evaluate.reference import check_as_of, check_department
from crmculture.evaluate.trace import PolicyTrace
from crmculture.model.conditions import (
    ORDER_OPS,
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Combine, Directive
from crmculture.model.facts import Fact
from crmculture.model.policies import Policy, require_policy
from crmculture.model.values import NO_DEFAULT

__all__ = ["CompiledPolicy", "compile_policy"]


class CompiledPolicy:
    """A policy compiled to a fast, pure, thread-safe evaluator; call it to decide.

    Get one with `crmculture.Policy.compile`. It pickles (by recompiling from its policy on the
    other side), so it can be shipped to worker processes.

    Attributes:
        policy: The policy it was compiled from.
        source: The generated Python source, for reading and debugging.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> decide = acme_policy().compile()
        >>> decide({"credit_hold": False, "days_overdue": 75, "annual_volume": 20_000,
        ...         "tier": "gold"}, department="sales").directives["may_ship"]
        False
        >>> print(decide.source.splitlines()[0])
        def decide(self, customer, department=None, *, as_of=None):
    """

    __slots__ = ("__weakref__", "_at", "policy", "source")

    policy: Policy
    source: str
    _at: dict[dt.date, CompiledPolicy]

    def __repr__(self) -> str:
        return f"<CompiledPolicy {self.policy.name!r} version {self.policy.version!r}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (compile_policy, (self.policy,))

    def __call__(
        self, customer: object, department: str | None = None, *, as_of: dt.date | None = None
    ) -> Decision:
        """Decide how to treat `customer` when `department` asks, as of `as_of`.

        `customer` is a mapping of fact names to values, or any object with the facts as
        attributes (attrs classes, dataclasses, pydantic models). `as_of` is the date the
        decision is made for: conditions compare date facts with it, and rules out of their
        effective dates do not match. A decision made for an as-of date carries it (its JSON
        and fingerprint include it); one made without keeps the bytes it always had.

        Raises:
            AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.
            TypeError: when `as_of` is not a `datetime.date`.
            InvalidCustomer: listing every problem of the record; nothing was evaluated.
            UnknownDepartmentError: for a department the policy does not declare.
            ConflictError: when rules set a ``unique`` directive to different values.
            UndecidedError: when a directive without default gets no value.
        """
        raise NotImplementedError  # replaced by the generated function in each compiled class

    def decide(
        self, customer: object, department: str | None = None, *, as_of: dt.date | None = None
    ) -> Decision:
        """The same as calling the compiled policy.

        Examples:
            >>> import datetime as dt
            >>> from crmculture import AS_OF, Directive, F, Fact, Policy, Rule, Schema
            >>> policy = Policy("kyc", Schema([Fact.date("verified_on")]),
            ...     [Directive.bool("reverify", default=False)],
            ...     [Rule("stale", when=F.verified_on < AS_OF.minus(days=365),
            ...           then={"reverify": True})])
            >>> decide = policy.compile()
            >>> customer = {"verified_on": dt.date(2025, 1, 15)}
            >>> decide(customer, as_of=dt.date(2026, 3, 1)).directives["reverify"]
            True
            >>> decide(customer, as_of=dt.date(2025, 6, 1)).directives["reverify"]
            False
            >>> decide(customer)
            Traceback (most recent call last):
            ...
            crmculture.errors.AsOfRequiredError: policy `kyc` needs an as-of date: ...
        """
        return self(customer, department, as_of=as_of)

    def at(self, as_of: dt.date) -> CompiledPolicy:
        """The evaluator of decisions made as of `as_of`: calling it is calling this one with
        ``as_of=as_of``. Kept for the latest few dates."""
        found = self._at.get(as_of)
        if found is None:
            check_as_of(self.policy, as_of)  # only valid dates are ever kept
            found = _compile(self.policy.at(as_of), shown=self.policy, as_of=as_of)
            if len(self._at) >= _AT_KEPT:
                self._at.pop(next(iter(self._at)))
            self._at[as_of] = found
        return found

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["raise"] = "raise",
        as_of: dt.date | None = None,
        keep: None = None,
    ) -> list[Decision]: ...

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["report"],
        as_of: dt.date | None = None,
        keep: None = None,
    ) -> list[Decision | CrmCultureError]: ...

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["raise"] = "raise",
        as_of: dt.date | None = None,
        keep: Iterable[str],
    ) -> list[Kept[Decision]]: ...

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["report"],
        as_of: dt.date | None = None,
        keep: Iterable[str],
    ) -> list[Kept[Decision | CrmCultureError]]: ...

    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: OnError = "raise",
        as_of: dt.date | None = None,
        keep: Iterable[str] | None = None,
    ) -> (
        list[Decision]
        | list[Decision | CrmCultureError]
        | list[Kept[Decision]]
        | list[Kept[Decision | CrmCultureError]]
    ):
        """Decide every customer, in input order, as of `as_of` (the same date for all).

        A bad record never disappears: with ``on_error="raise"`` (the default) one
        `crmculture.BatchError` lists every bad record by index (and carries all results);
        with ``on_error="report"`` the record's error, its ``index`` set, takes its place in
        the returned list.

        With ``keep=["customer_id", ...]``, those fields of each record are not facts: they
        are taken out of the record before it is decided (never checked), and each result
        comes back in a `crmculture.Kept` with them (None for a field the record lacks), as
        ``crmculture decide --keep`` and the decision service return them. A record's error
        is then the ``result`` of its `Kept`, and `BatchError.results` holds the `Kept`
        values.

        Raises:
            BatchError: with ``on_error="raise"``, when some record is invalid or cannot be
                decided.
            UnknownDepartmentError: for a department the policy does not declare.
            AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.
            ValueError: for a kept field that is a fact, or an unknown `on_error`.
            TypeError: for a string in place of the list of kept fields.

        Examples:
            >>> from crmculture.stories import acme_policy
            >>> decide = acme_policy().compile()
            >>> good = {"credit_hold": False, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}
            >>> results = decide.decide_many([good, {**good, "tier": "diamond"}], on_error="report")
            >>> [type(r).__name__ for r in results], results[1].index
            (['Decision', 'InvalidCustomer'], 1)

            Kept fields travel with each result:

            >>> rows = [{"customer_id": "c1", **good}, {"customer_id": "c2", **good, "tier": "x"}]
            >>> [(k.keep["customer_id"], type(k.result).__name__)
            ...  for k in decide.decide_many(rows, keep=["customer_id"], on_error="report")]
            [('c1', 'Decision'), ('c2', 'InvalidCustomer')]
        """
        check_department(self.policy, department)
        check_as_of(self.policy, as_of)
        kept = None if keep is None else check_keep(self.policy.schema, keep)
        return decide_each(
            self if as_of is None else self.at(as_of), customers, department, on_error, kept
        )


class _Source:
    """Lines of generated code and the globals they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.globs: dict[str, Any] = {}

    def const(self, value: Any, prefix: str = "_k") -> str:
        """Bind `value` to a fresh global name and return the name."""
        name = f"{prefix}{len(self.globs)}"
        self.globs[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _fast_check(fact: Fact, var: str, src: _Source) -> str:
    """An expression true when `var` is already a valid, normalized value of `fact`."""
    if fact.type == "bool":
        check = f"{var} is True or {var} is False"
    elif fact.type == "int":
        check = f"type({var}) is int"
    elif fact.type == "float":
        # Bounds reject NaN; infinities are rejected on the sides without a bound.
        check = f"type({var}) is float"
        if fact.min is None:
            check += f" and {src.const(-math.inf)} < {var}"
        if fact.max is None:
            check += f" and {var} < {src.const(math.inf)}"
    elif fact.type == "decimal":
        check = f"type({var}) is {src.const(Decimal)} and {var}.is_finite()"
    elif fact.type == "date":
        check = f"type({var}) is {src.const(dt.date)}"
    else:
        assert fact.values is not None
        check = f"type({var}) is str and {var} in {src.const(frozenset(fact.values))}"
    if fact.min is not None and fact.max is not None:
        check += f" and {src.const(fact.min)} <= {var} <= {src.const(fact.max)}"
    elif fact.min is not None:
        check += f" and {src.const(fact.min)} <= {var}"
    elif fact.max is not None:
        check += f" and {var} <= {src.const(fact.max)}"
    return f"({var} is None or {check})" if fact.optional else f"({check})"


class _Conditions:
    """Turns conditions into Python expressions over the fact variables."""

    def __init__(self, policy: Policy, src: _Source) -> None:
        self.src = src
        self.index = {fact.name: position for position, fact in enumerate(policy.schema)}
        self.facts = {fact.name: fact for fact in policy.schema}
        self.ranked: set[int] = set()  # facts whose enum rank variable `o{i}` is needed

    def _operand(self, fact: Fact, value: Any, ordering: bool) -> tuple[str, str]:
        """The variable and constant to compare (enum ranks for ordering comparisons)."""
        i = self.index[fact.name]
        if ordering and fact.type == "enum":
            self.ranked.add(i)
            return f"o{i}", self.src.const(fact.rank(value))
        return f"v{i}", self.src.const(value)

    def expr(self, condition: Condition) -> str:
        if isinstance(condition, And | Or):
            joiner = " and " if isinstance(condition, And) else " or "
            return "(" + joiner.join(self.expr(item) for item in condition.items) + ")"
        if isinstance(condition, Not):
            return f"(not {self.expr(condition.item)})"
        if isinstance(condition, Const):
            return "True" if condition.value else "False"
        if isinstance(condition, Atom):
            return self._atom(condition)
        assert_never(condition)

    def _atom(self, atom: Atom) -> str:
        fact = self.facts[atom.fact]
        var = f"v{self.index[atom.fact]}"
        if isinstance(atom, Missing):
            return f"({var} is {'not ' if atom.negated else ''}None)"
        if isinstance(atom, Compare) and fact.type == "bool":
            wanted = atom.value if atom.op == "==" else not atom.value
            if fact.optional:
                return f"({var} is {'True' if wanted else 'False'})"
            return var if wanted else f"(not {var})"
        if isinstance(atom, Compare):
            left, right = self._operand(fact, atom.value, atom.op in ORDER_OPS)
            test = f"{left} {atom.op} {right}"
        elif isinstance(atom, In):
            members = self.src.const(frozenset(atom.values))
            test = f"{var} {'not in' if atom.negated else 'in'} {members}"
        elif isinstance(atom, Between):
            left, low = self._operand(fact, atom.low, True)
            _, high = self._operand(fact, atom.high, True)
            test = f"{low} <= {left} <= {high}"
        else:
            assert_never(atom)
        # A comparison involving a missing fact is false, whatever the operator.
        return f"({var} is not None and {test})" if fact.optional else f"({test})"


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b and str(a) == str(b)


def _emit_directive(
    src: _Source,
    position: int,
    directive: Directive,
    contributions: list[tuple[int, Any]],
    policy: Policy,
    flags: str,
) -> None:
    """Emit the code that sets ``d{position}`` from the rule flags ``r{j}``."""
    var = f"d{position}"
    name = src.const(directive.name)
    if directive.default is NO_DEFAULT:
        fallback = f"_raise_undecided({name})"
    else:
        fallback = f"{var} = {src.const(directive.default)}"
    strategy = directive.combine
    if strategy in (Combine.FIRST, Combine.MIN, Combine.MAX, Combine.ALL, Combine.ANY):
        rules = policy.effective_rules
        ordered = precedence(directive, [(rules[j], value) for j, value in contributions])
        flag_of = {rule.id: j for j, rule in enumerate(rules)}
        # Consecutive contributions with the same value share one branch.
        groups: list[tuple[list[str], Any]] = []
        for rule, value in ordered:
            if groups and _same(groups[-1][1], value):
                groups[-1][0].append(f"r{flag_of[rule.id]}")
            else:
                groups.append(([f"r{flag_of[rule.id]}"], value))
        for number, (hits, value) in enumerate(groups):
            keyword = "if" if number == 0 else "elif"
            src.emit(1, f"{keyword} {' or '.join(hits)}:")
            src.emit(2, f"{var} = {src.const(value)}")
        if groups:
            src.emit(1, "else:")
            src.emit(2, fallback)
        else:
            src.emit(1, fallback)
        return
    src.emit(1, f"{var} = _UNSET")
    # Overriding rules first; the others count only when no overriding rule matched.
    rules = policy.effective_rules
    winning = [(j, value) for j, value in contributions if rules[j].overrides]
    rest = [(j, value) for j, value in contributions if not rules[j].overrides]
    indent = 1
    for number, phase in enumerate(p for p in (winning, rest) if p):
        if number:
            src.emit(1, f"if {var} is _UNSET:")
            indent = 2
        for j, value in phase:
            constant = src.const(value)
            src.emit(indent, f"if r{j}:")
            if strategy is Combine.UNIQUE:
                src.emit(indent + 1, f"if {var} is _UNSET:")
                src.emit(indent + 2, f"{var} = {constant}")
                src.emit(indent + 1, f"elif {var} != {constant}:")
                src.emit(indent + 2, f"_raise_conflict(self, {position}, ({flags}))")
            else:  # SUM adds numbers; COLLECT and LIST concatenate tuples, COLLECT sorts.
                src.emit(
                    indent + 1, f"{var} = {constant} if {var} is _UNSET else {var} + {constant}"
                )
    src.emit(1, f"if {var} is _UNSET:")
    src.emit(2, fallback)
    if strategy is Combine.COLLECT:
        src.emit(1, "else:")
        src.emit(2, f"{var} = {src.const(directive.collect_sorted)}({var})")


def _raise_undecided(name: str) -> None:
    raise UndecidedError(name)


def _raise_conflict(compiled: CompiledPolicy, position: int, flags: tuple[bool, ...]) -> None:
    policy = compiled.policy
    directive = policy.directives[position]
    contributions = [
        (rule, value)
        for rule, hit in zip(policy.effective_rules, flags, strict=True)
        if hit
        for name, value in rule.then
        if name == directive.name
    ]
    combine(directive, contributions)  # raises ConflictError with every contribution
    raise AssertionError("unreachable: the fast path saw a conflict the reference does not")


def generate_source(
    policy: Policy, *, shown: Policy | None = None, as_of: dt.date | None = None
) -> tuple[str, dict[str, Any]]:
    """The source of the decide function for `policy`, and the globals it needs.

    `shown` is the policy its decisions show (default: `policy`), and `as_of` their as-of
    date: the evaluator of `shown` as of `as_of` runs ``shown.at(as_of)``, which is `policy`.
    """
    src = _Source()
    schema = policy.schema
    facts = list(schema)
    variables = [f"v{i}" for i in range(len(facts))]
    unpack = ", ".join(variables) + ("," if len(variables) == 1 else "")
    conditions = _Conditions(policy, src)
    rule_lines: list[tuple[int, str]] = []
    for j, rule in enumerate(policy.effective_rules):
        test = conditions.expr(rule.when)
        if rule.departments is not None:
            test = f"department in {src.const(frozenset(rule.departments))} and {test}"
        rule_lines.append((j, test))

    src.emit(0, "def decide(self, customer, department=None, *, as_of=None):")
    # Decisions for an as-of date are made by the evaluator of the policy resolved for it.
    if policy.uses_as_of:
        src.emit(1, "if as_of is None:")
        src.emit(2, "_check_as_of(_policy, as_of)")
    src.emit(1, "if as_of is not None:")
    src.emit(2, "return self.at(as_of)(customer, department)")
    if policy.departments is not None:
        src.emit(
            1,
            f"if department is not None and (type(department) is not str or "
            f"department not in {src.const(frozenset(policy.departments))}):",
        )
    else:
        src.emit(1, "if department is not None and type(department) is not str:")
    src.emit(2, "_check_department(_policy, department)")
    if facts:
        # The fast path: a plain dict holding exactly valid, normalized values. Anything else
        # goes to the schema's validator, which normalizes or reports every problem.
        src.emit(1, "try:")
        src.emit(2, "if type(customer) is not dict:")
        src.emit(3, "raise _SlowPath")
        required = sum(1 for fact in facts if not fact.optional)
        present = [str(required)]
        for i, fact in enumerate(facts):
            if fact.optional:
                src.emit(2, f"v{i} = customer.get({src.const(fact.name)}, _MISSING)")
                present.append(f"(v{i} is not _MISSING)")
            else:
                src.emit(2, f"v{i} = customer[{src.const(fact.name)}]")
        # Count the keys before absent facts take their defaults.
        src.emit(2, f"if len(customer) != {' + '.join(present)}:")
        src.emit(3, "raise _SlowPath")
        for i, fact in enumerate(facts):
            if fact.optional:
                default = None if fact.default is NO_DEFAULT else fact.default
                src.emit(2, f"if v{i} is _MISSING or v{i} is None:")
                src.emit(3, f"v{i} = {src.const(default)}")
        checks = " and ".join(_fast_check(fact, f"v{i}", src) for i, fact in enumerate(facts))
        src.emit(2, f"if not ({checks}):")
        src.emit(3, "raise _SlowPath")
        src.emit(1, "except (KeyError, _SlowPath):")
        src.emit(2, f"{unpack} = _normalize(customer)")
    else:
        src.emit(1, "_normalize(customer)")
    _emit_ranks(src, conditions, facts)
    # Each rule's flag, and all of them as the bits of one int, which the decision keeps:
    # bit j for effective_rules[j]. Most rules do not match, so the bit costs little.
    src.emit(1, "m = 0")
    for j, test in rule_lines:
        src.emit(1, f"if {test}:")
        src.emit(2, f"r{j} = True")
        src.emit(2, f"m += {1 << j}")
        src.emit(1, "else:")
        src.emit(2, f"r{j} = False")
    flags = ", ".join(f"r{j}" for j, _ in rule_lines) + ("," if len(rule_lines) == 1 else "")
    for position, directive in enumerate(policy.directives):
        contributions = [
            (j, value)
            for j, rule in enumerate(policy.effective_rules)
            for name, value in rule.then
            if name == directive.name
        ]
        _emit_directive(src, position, directive, contributions, policy, flags)
    values = [f"d{k}" for k in range(len(policy.directives))]
    state = ", ".join(["department", *variables, *values, "m"])
    src.emit(1, "decision = _Decision()")
    src.emit(1, f"_set_state(decision, ({state}))")
    src.emit(1, "return decision")
    trace = PolicyTrace(
        policy if shown is None else shown,
        truths=functools.partial(compile_truths, policy),
        as_of=as_of,
    )
    src.globs.update(
        _policy=policy,
        _Decision=decision_class(trace),
        _set_state=Decision.__dict__["_state"].__set__,
        _SlowPath=_SlowPath,
        _MISSING=_MISSING,
        _UNSET=_UNSET,
        _normalize=schema.normalize,
        _check_department=check_department,
        _check_as_of=check_as_of,
        _raise_undecided=_raise_undecided,
        _raise_conflict=_raise_conflict,
    )
    return "\n".join(src.lines) + "\n", src.globs


def _emit_ranks(src: _Source, conditions: _Conditions, facts: list[Fact]) -> None:
    """Emit ``o{i}``, the rank of enum fact ``i``, for the facts ordering comparisons need."""
    for i in sorted(conditions.ranked):
        lookup = f"{src.const({v: n for n, v in enumerate(facts[i].values or ())})}"
        src.emit(1, f"o{i} = {lookup}.get(v{i})" if facts[i].optional else f"o{i} = {lookup}[v{i}]")


def generate_truths_source(
    policy: Policy, nodes: Sequence[Condition], optional: Sequence[int]
) -> tuple[str, dict[str, Any]]:
    """The source of a function that, given a customer's facts in schema order, returns the
    truth of each of `nodes` (children listed before their parents) and then whether each
    fact at the positions `optional` is missing; and the globals it needs.

    Explanations of compiled decisions read the truths of a rule's nodes from it, so that
    they never run the reference interpreter. Atoms are spelled exactly as in the decide
    function (the same `_Conditions`).
    """
    src = _Source()
    facts = list(policy.schema)
    conditions = _Conditions(policy, src)
    number = {node: n for n, node in enumerate(nodes)}
    lines = []
    for n, node in enumerate(nodes):
        if isinstance(node, And | Or):
            joiner = " and " if isinstance(node, And) else " or "
            test = "(" + joiner.join(f"n{number[item]}" for item in node.items) + ")"
        elif isinstance(node, Not):
            test = f"(not n{number[node.item]})"
        elif isinstance(node, Const):
            test = "True" if node.value else "False"
        elif isinstance(node, Atom):
            test = conditions.expr(node)
        else:
            assert_never(node)
        lines.append(f"n{n} = {test}")
    src.emit(0, f"def truths({', '.join(f'v{i}' for i in range(len(facts)))}):")
    _emit_ranks(src, conditions, facts)
    for line in lines:
        src.emit(1, line)
    answers = [f"n{n}" for n in range(len(nodes))] + [f"(v{i} is None)" for i in optional]
    src.emit(1, f"return ({', '.join(answers)}{',' if len(answers) == 1 else ''})")
    return "\n".join(src.lines) + "\n", src.globs


def compile_truths(
    policy: Policy, nodes: Sequence[Condition], optional: Sequence[int]
) -> Callable[..., tuple[bool, ...]]:
    """Compile `generate_truths_source`; its source is registered with `linecache` under
    ``<crmculture compiled policy NAME #N truths>`` for as long as the function lives."""
    source, globs = generate_truths_source(policy, nodes, optional)
    filename = f"<crmculture compiled policy {_shown(policy.name)} #{next(_serial)} truths>"
    code = compile(source, filename, "exec")
    _register(filename, source)
    exec(code, globs)
    truths: Callable[..., tuple[bool, ...]] = globs["truths"]
    weakref.finalize(truths, _forget, filename).atexit = False
    return truths


_MISSING = object()
_UNSET = object()


class _SlowPath(Exception):
    """Raised inside generated code to leave the fast path for full validation."""


_serial = itertools.count(1)


def compile_policy(policy: Policy) -> CompiledPolicy:
    """The `CompiledPolicy` of `policy`, the same as ``policy.compile()``.

    A policy compiles once: later calls return the same evaluator, memoised on the policy.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> policy = acme_policy()
        >>> compile_policy(policy)
        <CompiledPolicy 'acme' version '2026.11'>
        >>> compile_policy(policy) is policy.compile()
        True
    """
    policy = require_policy(policy, "policy")
    return policy.compile()


_AT_KEPT = 64
"""How many as-of dates a compiled policy keeps an evaluator for."""


def _compile(
    policy: Policy, *, shown: Policy | None = None, as_of: dt.date | None = None
) -> CompiledPolicy:
    """Compile `policy` to a new `CompiledPolicy`; `crmculture.Policy.compile` calls this once
    per policy and keeps the result (and `CompiledPolicy.at` once per as-of date, with the
    policy its decisions show as `shown`)."""
    if shown is None and as_of is None:
        source, globs = generate_source(policy)
    else:
        source, globs = generate_source(policy, shown=shown, as_of=as_of)
    filename = f"<crmculture compiled policy {_shown(policy.name)} #{next(_serial)}>"
    code = compile(source, filename, "exec")
    _register(filename, source)
    exec(code, globs)
    cls = type(
        "CompiledPolicy",
        (CompiledPolicy,),
        {
            "__slots__": (),
            "__call__": globs["decide"],
            "__module__": CompiledPolicy.__module__,
            "__qualname__": CompiledPolicy.__qualname__,
        },
    )
    compiled: CompiledPolicy = object.__new__(cls)
    object.__setattr__(compiled, "policy", policy)
    object.__setattr__(compiled, "source", source)
    object.__setattr__(compiled, "_at", {})
    # The source stays readable as long as the evaluator lives, and no longer.
    weakref.finalize(compiled, _forget, filename).atexit = False
    return compiled


_FORGOTTEN: list[str] = []
"""Sources of collected evaluators whose `linecache` entry is still to be removed."""


def _register(filename: str, source: str) -> None:
    """Make `source` what tracebacks and `inspect` show for `filename`."""
    _forget_pending()
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _forget(filename: str) -> None:
    """Remove a collected evaluator's source from `linecache`.

    The garbage collector may call this while `linecache.checkcache` walks the cache's keys
    (doctest and pdb call it before each example); an entry removed then makes that walk fail
    with `KeyError`. So while some thread is inside `checkcache`, the removal waits for the
    next registration or removal.
    """
    _FORGOTTEN.append(filename)
    if not _checking_cache():
        _forget_pending()


def _forget_pending() -> None:
    while _FORGOTTEN:
        try:
            linecache.cache.pop(_FORGOTTEN.pop(), None)
        except IndexError:  # another thread took the last one
            break


def _checking_cache() -> bool:
    """Whether some thread is inside `linecache.checkcache`."""
    code = linecache.checkcache.__code__
    for frame in sys._current_frames().values():
        walked: Any = frame
        while walked is not None:
            if walked.f_code is code:
                return True
            walked = walked.f_back
    return False


def _shown(name: str) -> str:
    """A policy name as it may stand in a file name: its repr without quotes when it holds
    characters `compile` refuses or tracebacks would break a line on (NUL, line breaks)."""
    return name if name.isprintable() else repr(name)[1:-1]
