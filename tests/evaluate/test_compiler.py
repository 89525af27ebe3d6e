"""The compiled evaluator: generated source, safety, pickling, threads."""

from __future__ import annotations

import gc
import inspect
import linecache
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from crmculture import (
    CompiledPolicy,
    Directive,
    F,
    Fact,
    InvalidCustomer,
    Policy,
    ReferenceEvaluator,
    Rule,
    Schema,
    compile_policy,
)
from crmculture.evaluate import compiler
from crmculture.stories import acme_policy, example_customers
from crmculture.testing import customers

HOSTILE = '"); import os; os.system("echo pwned"); ("'


def hostile_policy() -> Policy:
    schema = Schema([Fact.enum("segment", [HOSTILE, "smb"])])
    route = Directive.text("route", default=HOSTILE)
    return Policy(
        "evil\nname",
        schema,
        [route],
        [
            Rule("r", when=F.segment == HOSTILE, then={"route": HOSTILE + "!"}),
        ],
    )


class TestSource:
    def test_user_values_never_appear_in_the_source(self) -> None:
        """Strings a user controls reach the function through globals, not the text."""
        compiled = hostile_policy().compile()
        assert "os.system" not in compiled.source
        assert "smb" not in compiled.source
        assert compiled({"segment": HOSTILE})["route"] == HOSTILE + "!"
        assert compiled({"segment": "smb"})["route"] == HOSTILE

    def test_source_is_registered_with_linecache(self) -> None:
        """Tracebacks and inspect show the generated code."""
        compiled = acme_policy().compile()
        function = type(compiled).__call__
        filename = function.__code__.co_filename
        assert filename.startswith("<crmculture compiled policy acme #")
        assert linecache.getline(filename, 1).startswith("def decide(")
        assert inspect.getsource(function) == compiled.source

    def test_two_compilations_do_not_share_a_file_name(self) -> None:
        """Each compilation registers its own source."""
        first, second = acme_policy().compile(), acme_policy().compile()
        assert (
            type(first).__call__.__code__.co_filename != type(second).__call__.__code__.co_filename
        )

    def test_compiled_policies_are_compiled_policy_instances(self) -> None:
        """The per-policy class is a CompiledPolicy."""
        compiled = acme_policy().compile()
        assert isinstance(compiled, CompiledPolicy)
        assert repr(compiled) == "<CompiledPolicy 'acme' version '2026.11'>"


class TestFastAndSlowPaths:
    def test_the_slow_path_reports_every_problem(self) -> None:
        """Records that leave the fast path are validated in full."""
        with pytest.raises(InvalidCustomer) as raised:
            acme_policy().compile()({"credit_hold": 1, "tier": "gold", "annual_volume": 2.5})
        assert raised.value.facts == ("credit_hold", "days_overdue", "annual_volume")

    def test_int_subclasses_and_ints_for_floats_take_the_slow_path(self) -> None:
        """Values needing normalisation are normalized, not rejected."""
        import enum

        class Days(enum.IntEnum):
            SIXTY_ONE = 61

        decide = acme_policy().compile()
        base = {"credit_hold": False, "annual_volume": 1, "tier": "gold", "satisfaction": 9}
        decision = decide({**base, "days_overdue": Days.SIXTY_ONE})
        assert decision["route_to"] == "accounts_receivable"
        assert type(decision.customer["days_overdue"]) is int
        assert type(decision.customer["satisfaction"]) is float


class TestSharing:
    def test_compiled_policies_pickle_by_recompiling(self) -> None:
        """A pickled compiled policy decides identically on the other side."""
        compiled = acme_policy().compile()
        copy = pickle.loads(pickle.dumps(compiled))
        assert copy.policy == compiled.policy
        for customer in example_customers().values():
            assert copy(customer, "sales") == compiled(customer, "sales")

    def test_threads_share_one_compiled_policy(self) -> None:
        """Deciding from many threads at once gives the single-threaded answers."""
        from hypothesis import HealthCheck, given, settings

        policy = acme_policy()
        compiled = policy.compile()
        batch: list[dict[str, object]] = []

        @settings(max_examples=200, suppress_health_check=list(HealthCheck))
        @given(customers(policy))
        def collect(customer: dict[str, object]) -> None:
            batch.append(customer)

        collect()
        expected = [compiled(c, "support").to_json() for c in batch]
        barrier = threading.Barrier(4)

        def work(_: int) -> list[str]:
            barrier.wait()
            return [compiled(c, "support").to_json() for c in batch]

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(work, range(4)))
        assert all(result == expected for result in results)


def compiled_files() -> set[str]:
    """The file names of the compiled policies registered with `linecache`."""
    return {name for name in linecache.cache if name.startswith("<crmculture compiled policy")}


class TestCompileOnce:
    """A policy compiles once; its evaluator lives as long as the policy."""

    def test_compile_returns_the_same_evaluator(self) -> None:
        """`Policy.compile` and `compile_policy` return one evaluator per policy."""
        policy = acme_policy()
        first = policy.compile()
        assert first is policy.compile()
        assert first is compile_policy(policy)

    def test_many_calls_compile_and_register_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A thousand calls generate the source once and add one `linecache` entry."""
        generated: list[str] = []
        generate = compiler.generate_source

        def counting(policy: Policy) -> Any:
            generated.append(policy.name)
            return generate(policy)

        monkeypatch.setattr(compiler, "generate_source", counting)
        policy = acme_policy()
        before = compiled_files()
        for _ in range(1000):
            policy.compile()
        expected = (["acme"], 1)
        assert expected == (generated, len(compiled_files() - before))

    def test_the_source_is_dropped_with_the_evaluator(self) -> None:
        """Once the policy and its evaluator are gone, so is their `linecache` entry."""
        policy = acme_policy()
        filename = type(policy.compile()).__call__.__code__.co_filename
        assert filename in linecache.cache
        del policy
        gc.collect()
        assert filename not in linecache.cache

    def test_equal_policies_keep_their_own_values(self) -> None:
        """Equal policies compile separately: each decides with its own constants, whichever
        compiled first (`Decimal("1.0") == Decimal("1.00")`, but they print differently)."""
        schema = Schema([Fact.bool("vip")])
        limit = Directive.decimal("credit_limit", default=0)
        one, two = (
            Policy("p", schema, [limit], [Rule("r", when=F.vip, then={"credit_limit": value})])
            for value in (Decimal("1.0"), Decimal("1.00"))
        )
        assert one == two
        expected = ["1.0", "1.00"]
        assert expected == [str(p.compile()({"vip": True})["credit_limit"]) for p in (one, two)]

    def test_a_pickled_policy_does_not_carry_its_evaluator(self) -> None:
        """Pickles hold the policy's value only; the other side compiles on first use."""
        policy = acme_policy()
        policy.compile()
        copy = pickle.loads(pickle.dumps(policy))
        assert copy == policy
        assert copy.compile() is not policy.compile()
        assert len(pickle.dumps(policy)) == len(pickle.dumps(acme_policy()))


class TestLimits:
    def test_deeply_nested_conditions_are_a_policy_error(self) -> None:
        """A condition nested beyond the limit is rejected when the policy is built."""
        from crmculture import PolicyError
        from crmculture.model.conditions import MAX_DEPTH, Not

        condition = F.x > 1
        for _ in range(MAX_DEPTH):
            condition = Not(condition)
        route = Directive.text("route", default="a")
        schema = Schema([Fact.int("x")])
        with pytest.raises(PolicyError, match=f"nests {MAX_DEPTH + 1} levels deep"):
            Policy("p", schema, [route], [Rule("deep", when=condition, then={"route": "b"})])

    def test_the_deepest_allowed_condition_compiles(self) -> None:
        """At the limit, both evaluators agree."""
        from crmculture import ReferenceEvaluator
        from crmculture.model.conditions import MAX_DEPTH, And, Not, Or

        condition = F.x > 1
        for level in range(MAX_DEPTH - 1):
            condition = [Not(condition), And((condition, F.x < 50)), Or((condition, F.x == 7))][
                level % 3
            ]
        route = Directive.text("route", default="a")
        schema = Schema([Fact.int("x")])
        policy = Policy("p", schema, [route], [Rule("deep", when=condition, then={"route": "b"})])
        for x in (0, 2, 7, 60):
            assert policy.compile()({"x": x}) == ReferenceEvaluator(policy)({"x": x})

    def test_hundreds_of_rules_compile(self) -> None:
        """A policy with 500 rules compiles and decides."""
        route = Directive.int("score", default=0, combine="sum")
        schema = Schema([Fact.int("x")])
        rules = [Rule(f"r{i:03}", when=F.x > i, then={"score": 1}) for i in range(500)]
        decide = Policy("p", schema, [route], rules).compile()
        assert decide({"x": 250})["score"] == 250


class TestHostileNames:
    @pytest.mark.parametrize(
        "name", ["a\x00b", "line\nbreak", "sep\u2028arator", 'quote"d', "tab\there"]
    )
    def test_any_policy_name_compiles(self, name: str) -> None:
        """A name holding NUL or line breaks compiles and decides (it never reaches the
        generated source; the file name shows it escaped)."""
        policy = acme_policy()
        renamed = Policy(name, policy.schema, policy.directives, policy.rules)
        customer = {"credit_hold": True, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}
        expected = ReferenceEvaluator(renamed)(customer).to_json()
        assert expected == renamed.compile()(customer).to_json()


def test_an_evaluator_collected_while_linecache_checks_its_cache() -> None:
    """The garbage collector may drop an evaluator while `linecache.checkcache` walks the
    cache (doctest and pdb call it): the walk must not fail, and the entry goes afterwards."""
    holder: dict[str, Any] = {"policy": acme_policy()}
    filename = type(holder["policy"].compile()).__call__.__code__.co_filename

    class DropsThePolicy:
        """An entry whose length, asked by `checkcache`, drops the last policy reference."""

        def __len__(self) -> int:
            holder.clear()
            gc.collect()
            return 1

    # Walked before the evaluator's own entry: inserted first, in a fresh copy of the cache.
    saved = dict(linecache.cache)
    try:
        linecache.cache.clear()
        linecache.cache["<drops the policy>"] = DropsThePolicy()  # type: ignore[assignment]
        linecache.cache.update(saved)
        linecache.checkcache()
        assert filename in linecache.cache  # still there: removed after the walk
        gc.collect()
        acme_policy().compile()  # the next registration removes it
        assert filename not in linecache.cache
    finally:
        linecache.cache.pop("<drops the policy>", None)
