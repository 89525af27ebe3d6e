"""Policies: a named, versioned set of rules over a schema and directives, in layers.

The company layer (``rules``) is the culture every department shares. Department layers add
rules for their departments; they may not set a directive declared *uniform*, because then the
customer would be treated differently depending on whom they talk to. Everything is checked
when the policy is built, and every problem is reported at once in one `PolicyError`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import attrs

from crmculture.errors import (
    Path,
    PolicyError,
    Problem,
    UnknownDirectiveError,
    UnknownRuleError,
    did_you_mean,
)
from crmculture.model.checker import atoms, check_condition, condition_problems
from crmculture.model.conditions import DECISION, Atom, Condition
from crmculture.model.directives import Directive
from crmculture.model.facts import Fact, Schema
from crmculture.model.promises import Promise
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT, canonical_json, json_value

if TYPE_CHECKING:
    from crmculture.evaluate.compiler import CompiledPolicy

__all__ = ["Layer", "Policy", "require_policy"]


def _sorted_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    rules = tuple(rules)
    if all(isinstance(rule, Rule) for rule in rules):
        return tuple(sorted(rules, key=lambda rule: rule.order_key))
    return rules


def _sorted_promises(promises: Iterable[Promise]) -> tuple[Promise, ...]:
    promises = tuple(promises)
    if all(isinstance(promise, Promise) for promise in promises):
        return tuple(sorted(promises, key=lambda promise: promise.id))
    return promises


def _sorted_names(names: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        return (names,)
    return tuple(sorted(set(names)))


@attrs.frozen
class Layer:
    """Rules that apply only to some departments, on top of the company layer.

    A layer's rules are scoped to the layer's departments (a rule may narrow its scope to some
    of them). A layer may not set a uniform directive.

    Examples:
        >>> from crmculture.model.conditions import F
        >>> Layer("support", ["support"], [Rule("callback", when=True, then={"callback": True})])
        ... # doctest: +ELLIPSIS
        Layer(name='support', departments=('support',), rules=(Rule(id='callback', ...),))
    """

    name: str
    departments: tuple[str, ...] = attrs.field(converter=_sorted_names)
    rules: tuple[Rule, ...] = attrs.field(converter=_sorted_rules)


@attrs.frozen(init=False)
class Policy:
    """A named, versioned culture: a schema, the directives it decides, and rules in layers.

    Args:
        name: The policy's name, e.g. ``acme``.
        schema: The customer facts.
        directives: The directives the policy decides, in the order decisions show them.
        rules: The company layer: rules that apply in every department (unless a rule is
            scoped to some departments itself).
        layers: Department layers.
        version: A version label, part of every decision's audit trail.
        departments: The departments that may ask for decisions; when given, rule scopes,
            layers and the department of each decision are checked against it.
        description: Free text.
        promises: The culture's non-negotiables (`crmculture.Promise`), checked against the
            schema and directives like rules, and proven by `crmculture.analysis.check_promises`.

    Raises:
        PolicyError: listing every problem, each with the rule id and the reason.

    Examples:
        >>> from crmculture import Directive, F, Fact, Rule, Schema
        >>> schema = Schema([Fact.bool("credit_hold")])
        >>> route = Directive.text("route_to", default="frontline", uniform=True)
        >>> policy = Policy("acme", schema, [route], rules=[
        ...     Rule("credit-hold", when=F.credit_hold, then={"route_to": "accounts_receivable"}),
        ... ])
        >>> policy.compile()({"credit_hold": True}).directives["route_to"]
        'accounts_receivable'
        >>> Policy("acme", schema, [route],
        ...        rules=[Rule("r", when=F.credit_hol, then={"rout": "x"})])
        Traceback (most recent call last):
        ...
        crmculture.errors.PolicyError: invalid policy `acme`: 2 problems
          - rules.r.when: unknown fact `credit_hol` (did you mean `credit_hold`?)
          - rules.r.then.rout: unknown directive `rout` (did you mean `route_to`?)
    """

    name: str
    schema: Schema
    directives: tuple[Directive, ...]
    rules: tuple[Rule, ...]
    layers: tuple[Layer, ...]
    version: str
    departments: tuple[str, ...] | None
    description: str
    promises: tuple[Promise, ...]
    effective_rules: tuple[Rule, ...] = attrs.field(init=False, eq=False, repr=False)
    """Every rule of every layer with its department scope applied, in ``(priority, id)``
    order: what the evaluators run."""
    layer_of: Mapping[str, str] = attrs.field(init=False, eq=False, repr=False)
    """Rule id to the name of the layer that holds it, for department-layer rules."""

    def __init__(
        self,
        name: str,
        schema: Schema,
        directives: Iterable[Directive],
        rules: Iterable[Rule] = (),
        *,
        layers: Iterable[Layer] = (),
        version: str = "1",
        departments: Iterable[str] | None = None,
        description: str = "",
        promises: Iterable[Promise] = (),
    ) -> None:
        checker = _PolicyChecker(
            name,
            schema,
            tuple(directives),
            None if departments is None else _sorted_names(departments),
        )
        company = checker.rules(tuple(rules), ("rules",), layer=None)
        checked_layers = tuple(
            checker.layer(layer, ("layers", position)) for position, layer in enumerate(layers)
        )
        checked_promises = checker.promises(tuple(promises))
        checker.raise_problems()
        effective = sorted(
            [*company, *(rule for layer in checked_layers for rule in layer.rules)],
            key=lambda rule: rule.order_key,
        )
        self.__attrs_init__(
            name=name,
            schema=schema,
            directives=checker.directives,
            rules=_sorted_rules(company),
            layers=tuple(sorted(checked_layers, key=lambda layer: layer.name)),
            version=version,
            departments=checker.departments,
            description=description,
            promises=_sorted_promises(checked_promises),
        )
        object.__setattr__(self, "effective_rules", tuple(effective))
        object.__setattr__(
            self,
            "layer_of",
            {rule.id: layer.name for layer in checked_layers for rule in layer.rules},
        )

    @functools.cached_property
    def directive_index(self) -> dict[str, Directive]:
        """Directive name to directive, in declared order."""
        return {directive.name: directive for directive in self.directives}

    def directive(self, name: str) -> Directive:
        """The directive called `name`.

        Raises:
            UnknownDirectiveError: (a `KeyError`) with a did-you-mean, when there is no such
                directive.

        Examples:
            >>> from crmculture.stories import acme_policy
            >>> acme_policy().directive("may_ship").combine
            Combine.ALL
            >>> acme_policy().directive("may_shop")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            crmculture.errors.UnknownDirectiveError: unknown directive `may_shop` (did you mean ...)
        """
        try:
            return self.directive_index[name]
        except KeyError:
            raise UnknownDirectiveError(name, tuple(self.directive_index)) from None

    def rule(self, rule_id: str) -> Rule:
        """The rule (of any layer, with its scope applied) whose id is `rule_id`.

        Raises:
            UnknownRuleError: (a `KeyError`) with a did-you-mean, when there is no such rule.
        """
        for rule in self.effective_rules:
            if rule.id == rule_id:
                return rule
        raise UnknownRuleError(rule_id, [rule.id for rule in self.effective_rules])

    def with_rules(self, *rules: Rule) -> Policy:
        """A new policy with `rules` added to the company layer."""
        return attrs.evolve(self, rules=(*self.rules, *rules))

    def with_promises(self, *promises: Promise) -> Policy:
        """A new policy with `promises` added."""
        return attrs.evolve(self, promises=(*self.promises, *promises))

    def promise(self, promise_id: str) -> Promise:
        """The promise whose id is `promise_id`.

        Raises:
            KeyError: with a did-you-mean, when there is no such promise.
        """
        for promise in self.promises:
            if promise.id == promise_id:
                return promise
        known = [promise.id for promise in self.promises]
        raise KeyError(f"unknown promise `{promise_id}`" + did_you_mean(promise_id, known))

    def with_layer(self, layer: Layer) -> Policy:
        """A new policy with a department layer added (or replacing one of the same name)."""
        kept = tuple(existing for existing in self.layers if existing.name != layer.name)
        return attrs.evolve(self, layers=(*kept, layer))

    @functools.cached_property
    def fingerprint(self) -> str:
        """A SHA-256 of the policy's canonical form: equal policies have equal fingerprints,
        whatever the order their rules were given in."""
        digest = hashlib.sha256(canonical_json(self.canonical()).encode("ascii"))
        return digest.hexdigest()

    def canonical(self) -> dict[str, Any]:
        """The policy as a JSON-ready dict in canonical order (the input of `fingerprint`).

        Promises, a rule's ``overrides`` and effective dates appear only when there are any, so
        that a policy without them keeps the canonical form (and fingerprint) it always had.
        Governance metadata (owner, approver, ticket, tags) is left out: it never changes a
        decision, so it does not change the fingerprint decisions carry.
        """
        document: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "departments": None if self.departments is None else list(self.departments),
            "facts": [_fact_document(fact) for fact in self.schema],
            "directives": [_directive_document(d) for d in self.directives],
            "rules": [_rule_document(rule) for rule in self.rules],
            "layers": [
                {
                    "name": layer.name,
                    "departments": list(layer.departments),
                    "rules": [_rule_document(rule) for rule in layer.rules],
                }
                for layer in self.layers
            ],
        }
        if self.promises:
            document["promises"] = [_promise_document(promise) for promise in self.promises]
        return document

    @functools.cached_property
    def uses_as_of(self) -> bool:
        """Whether the policy's decisions need an as-of date: a rule compares a fact with
        `crmculture.AS_OF` or has effective dates (see `crmculture.Rule`).

        Examples:
            >>> from crmculture.stories import acme_policy
            >>> acme_policy().uses_as_of
            False
        """
        return any(rule.uses_as_of for rule in self.effective_rules)

    @property
    def as_of_users(self) -> tuple[str, ...]:
        """The ids of the rules, then the promises, that use the as-of date."""
        return tuple(rule.id for rule in self.effective_rules if rule.uses_as_of) + tuple(
            promise.id for promise in self.promises if promise.uses_as_of
        )

    def at(self, as_of: dt.date) -> Policy:
        """The policy as it decides on `as_of`: dates relative to the as-of date resolved, rules
        out of force never matching (condition ``false``), promises out of force left out.

        A policy that does not use the as-of date is returned as is. The analysis runs on
        the result (`crmculture.analysis` asks for it); evaluators use it inside, and show the
        policy as written. Results are memoised for the latest few dates.

        Examples:
            >>> import datetime as dt
            >>> from crmculture import AS_OF, Directive, F, Fact, Rule, Schema
            >>> policy = Policy("kyc", Schema([Fact.date("verified_on")]),
            ...     [Directive.bool("reverify", default=False)],
            ...     [Rule("stale", when=F.verified_on < AS_OF.minus(days=365),
            ...           then={"reverify": True})])
            >>> str(policy.at(dt.date(2026, 3, 1)).rule("stale").when)
            'verified_on < 2025-03-01'
        """
        if type(as_of) is not dt.date:
            raise TypeError(f"as_of must be a datetime.date, not `{as_of!r}`")
        cache = self._at_cache
        resolved = cache.get(as_of)
        if resolved is None:
            from crmculture.model.as_of import policy_at

            resolved = policy_at(self, as_of)
            if len(cache) >= _AT_CACHE:
                cache.pop(next(iter(cache)))
            cache[as_of] = resolved
        return resolved

    @functools.cached_property
    def _at_cache(self) -> dict[dt.date, Policy]:
        return {}

    def compile(self) -> CompiledPolicy:
        """The policy compiled to a fast evaluator; see `crmculture.CompiledPolicy`.

        The policy compiles once, on the first call; later calls (and every `crmculture.Culture`
        built on the policy) return the same evaluator, which lives as long as the policy does.

        Examples:
            >>> from crmculture.stories import acme_policy
            >>> policy = acme_policy()
            >>> decide = policy.compile()
            >>> decide({"credit_hold": False, "days_overdue": 0, "annual_volume": 500_000,
            ...         "tier": "gold"}).directives["service_level"]
            'white_glove'
            >>> policy.compile() is decide
            True
        """
        return self._compiled

    @functools.cached_property
    def _compiled(self) -> CompiledPolicy:
        # Memoised on the instance, not in a process-wide cache keyed by equality: equal
        # policies may differ in what a decision shows (`Decimal("1.0") == Decimal("1.00")`),
        # and a decision must never depend on which of two equal policies compiled first.
        # The one upward import (model -> evaluate), kept inside the function on purpose.
        from crmculture.evaluate.compiler import _compile

        return _compile(self)


_AT_CACHE = 64


def _default_document(default: Any) -> Any:
    return None if default is NO_DEFAULT else {"value": json_value(default)}


def _fact_document(fact: Fact) -> dict[str, Any]:
    return {
        "name": fact.name,
        "type": fact.type,
        "values": None if fact.values is None else list(fact.values),
        "ordered": fact.ordered,
        "min": json_value(fact.min),
        "max": json_value(fact.max),
        "optional": fact.optional,
        "default": _default_document(fact.default),
        "better": fact.better,
        "description": fact.description,
    }


def _directive_document(directive: Directive) -> dict[str, Any]:
    return {
        "name": directive.name,
        "type": directive.type,
        "values": None if directive.values is None else list(directive.values),
        "combine": directive.combine.value,
        "default": _default_document(directive.default),
        "uniform": directive.uniform,
        "monotone": directive.monotone,
        "better": directive.better,
        "min": json_value(directive.min),
        "max": json_value(directive.max),
        "description": directive.description,
    }


def _rule_document(rule: Rule) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": rule.id,
        "when": str(rule.when),
        "then": {name: json_value(value) for name, value in rule.then},
        "priority": rule.priority,
        "departments": None if rule.departments is None else list(rule.departments),
        "rationale": rule.rationale,
    }
    if rule.overrides:
        document["overrides"] = True
    # Effective dates change decisions; owner, approver, ticket and tags do not, and stay out.
    if rule.effective_from is not None:
        document["effective_from"] = rule.effective_from.isoformat()
    if rule.effective_until is not None:
        document["effective_until"] = rule.effective_until.isoformat()
    return document


def _promise_document(promise: Promise) -> dict[str, Any]:
    then: Any
    if isinstance(promise.then, tuple):
        then = {name: json_value(value) for name, value in promise.then}
    else:
        then = str(promise.then)
    document = {
        "id": promise.id,
        "when": str(promise.when),
        "then": then,
        "departments": None if promise.departments is None else list(promise.departments),
        "rationale": promise.rationale,
    }
    if promise.effective_from is not None:
        document["effective_from"] = promise.effective_from.isoformat()
    if promise.effective_until is not None:
        document["effective_until"] = promise.effective_until.isoformat()
    return document


def _decision_only(
    condition: Condition, directives: Mapping[str, Directive], path: Path
) -> list[Problem]:
    """The problems of a promise's `then` condition that reads customer facts: it reads the
    decision (``decision.<directive>``), and the customer belongs in `when`."""
    problems = []
    for node in condition.walk():
        if isinstance(node, Atom) and not node.fact.startswith(DECISION):
            hint = (
                f" (did you mean `{DECISION}{node.fact}`?)"
                if node.fact in directives
                else "; conditions on the customer belong in `when`"
            )
            problems.append(
                Problem(
                    path,
                    f"`then` reads the decision, not the fact `{node.fact}`{hint}",
                    node.fact,
                )
            )
    return problems


class _PolicyChecker:
    """Collects every problem of a policy under construction."""

    def __init__(
        self,
        name: str,
        schema: Schema,
        directives: tuple[Directive, ...],
        departments: tuple[str, ...] | None,
    ) -> None:
        self.name = name
        self.schema = schema
        self.departments = departments
        self.problems: list[Problem] = []
        self.seen_ids: set[str] = set()
        self.seen_layers: set[str] = set()
        if not isinstance(name, str) or not name:
            self.problems.append(Problem(("name",), "a policy needs a non-empty name", name))
        if not isinstance(schema, Schema):
            self.problems.append(
                Problem(("schema",), f"expected a Schema, got {type(schema).__name__}", schema)
            )
        self.directives = directives
        self.by_name: dict[str, Directive] = {}
        for position, directive in enumerate(directives):
            if not isinstance(directive, Directive):
                self.problems.append(
                    Problem(
                        ("directives", position),
                        f"expected a Directive, got {type(directive).__name__}",
                        directive,
                    )
                )
            elif directive.name in self.by_name:
                self.problems.append(
                    Problem(("directives", directive.name), "directive is declared twice")
                )
            else:
                self.by_name[directive.name] = directive
        if not directives:
            self.problems.append(
                Problem(("directives",), "a policy decides at least one directive")
            )

    def raise_problems(self) -> None:
        if self.problems:
            raise PolicyError(f"invalid policy `{self.name}`", self.problems)

    def _check_departments(self, names: Iterable[str], path: Path) -> None:
        if self.departments is None:
            return
        for department in names:
            if department not in self.departments:
                self.problems.append(
                    Problem(
                        path,
                        f"unknown department `{department}`"
                        + did_you_mean(department, self.departments),
                    )
                )

    def rules(self, rules: tuple[Rule, ...], path: Path, layer: Layer | None) -> list[Rule]:
        checked: list[Rule] = []
        for position, rule in enumerate(rules):
            if not isinstance(rule, Rule):
                self.problems.append(
                    Problem((*path, position), f"expected a Rule, got {type(rule).__name__}", rule)
                )
                continue
            checked.append(self.rule(rule, (*path, rule.id), layer))
        return checked

    def rule(self, rule: Rule, path: Path, layer: Layer | None) -> Rule:
        if rule.id in self.seen_ids:
            self.problems.append(Problem((*path, "id"), f"rule id `{rule.id}` is used twice"))
        self.seen_ids.add(rule.id)
        when = rule.when
        if isinstance(self.schema, Schema):
            when, found = check_condition(rule.when, self.schema)
            self.problems.extend(condition_problems(found, (*path, "when")))
        then = []
        for directive_name, value in rule.then:
            directive = self.by_name.get(directive_name)
            if directive is None:
                self.problems.append(
                    Problem(
                        (*path, "then", directive_name),
                        f"unknown directive `{directive_name}`"
                        + did_you_mean(directive_name, self.by_name),
                    )
                )
                then.append((directive_name, value))
                continue
            normalized, problem = directive.check(value)
            if problem:
                self.problems.append(Problem((*path, "then", directive_name), problem, value))
            if layer is not None and directive.uniform:
                what = "hold an overriding rule that sets" if rule.overrides else "set"
                self.problems.append(
                    Problem(
                        (*path, "then", directive_name),
                        f"department layer `{layer.name}` may not {what} the uniform directive "
                        f"`{directive_name}`: every department must treat the customer the same",
                    )
                )
            then.append((directive_name, normalized))
        departments = rule.departments
        if rule.departments is not None:
            if not rule.departments:
                self.problems.append(
                    Problem((*path, "departments"), "an empty department list never applies")
                )
            self._check_departments(rule.departments, (*path, "departments"))
        if layer is not None:
            if departments is None:
                departments = layer.departments
            else:
                outside = [d for d in departments if d not in layer.departments]
                if outside:
                    self.problems.append(
                        Problem(
                            (*path, "departments"),
                            f"department `{outside[0]}` is outside layer "
                            f"`{layer.name}` ({', '.join(layer.departments)})",
                        )
                    )
        return attrs.evolve(rule, when=when, then=then, departments=departments)

    def promises(self, promises: tuple[Promise, ...]) -> list[Promise]:
        checked: list[Promise] = []
        seen: set[str] = set()
        for position, promise in enumerate(promises):
            if not isinstance(promise, Promise):
                self.problems.append(
                    Problem(
                        ("promises", position),
                        f"expected a Promise, got {type(promise).__name__}",
                        promise,
                    )
                )
                continue
            path: Path = ("promises", promise.id)
            if promise.id in seen:
                self.problems.append(
                    Problem((*path, "id"), f"promise id `{promise.id}` is used twice")
                )
            seen.add(promise.id)
            checked.append(self.promise(promise, path))
        return checked

    def promise(self, promise: Promise, path: Path) -> Promise:
        then: Any
        if not isinstance(self.schema, Schema):
            return promise
        when, found = check_condition(promise.when, self.schema)
        self.problems.extend(condition_problems(found, (*path, "when")))
        if isinstance(promise.then, tuple):
            pairs = []
            for name, value in promise.then:
                directive = self.by_name.get(name)
                if directive is None:
                    self.problems.append(
                        Problem(
                            (*path, "then", name),
                            f"unknown directive `{name}`" + did_you_mean(name, self.by_name),
                        )
                    )
                    pairs.append((name, value))
                    continue
                normalized, problem = directive.check(value)
                if problem:
                    self.problems.append(Problem((*path, "then", name), problem, value))
                pairs.append((name, normalized))
            then = tuple(pairs)
        else:
            then, found = check_condition(promise.then, self.schema, self.by_name)
            read = atoms(promise.then)
            # Atoms on facts are reported once, below, as facts that `then` may not read.
            found = tuple(
                problem
                for problem in found
                if problem.atom is None or read[problem.atom].fact.startswith(DECISION)
            )
            self.problems.extend(condition_problems(found, (*path, "then")))
            self.problems.extend(_decision_only(promise.then, self.by_name, (*path, "then")))
        if promise.departments is not None:
            if not promise.departments:
                self.problems.append(
                    Problem((*path, "departments"), "an empty department list never applies")
                )
            self._check_departments(promise.departments, (*path, "departments"))
        return attrs.evolve(promise, when=when, then=then)

    def layer(self, layer: Layer, path: Path) -> Layer:
        if not isinstance(layer, Layer):
            self.problems.append(
                Problem(path, f"expected a Layer, got {type(layer).__name__}", layer)
            )
            return layer
        path = ("layers", layer.name)
        if layer.name in self.seen_layers:
            self.problems.append(Problem(path, f"layer `{layer.name}` is declared twice"))
        self.seen_layers.add(layer.name)
        if not layer.departments:
            self.problems.append(
                Problem((*path, "departments"), "a layer applies to at least one department")
            )
        self._check_departments(layer.departments, (*path, "departments"))
        return attrs.evolve(layer, rules=self.rules(layer.rules, (*path, "rules"), layer))


def require_policy(value: object, argument: str = "policy") -> Policy:
    """`value`, when it is a `Policy`; otherwise a `TypeError` naming the argument and what
    it got, so that swapped or wrong arguments fail at the door with a readable message.

    Examples:
        >>> require_policy("acme.yaml")
        Traceback (most recent call last):
        ...
        TypeError: policy must be a crmculture Policy, not str `'acme.yaml'` (load a culture ...)
    """
    if isinstance(value, Policy):
        return value
    if isinstance(getattr(value, "policy", None), Policy):
        hint = " (for a Culture, pass `culture.policy`)"
    elif isinstance(value, str | PurePath):
        hint = " (load a culture document with crmculture.load_policy)"
    else:
        hint = ""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    raise TypeError(
        f"{argument} must be a crmculture Policy, not {type(value).__name__} `{shown}`{hint}"
    )
