"""Shared test fixtures: the evaluator fixture. Hypothesis profiles live in the root
``conftest.py``, so that doctests use them too."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmculture import Decision, Policy, ReferenceEvaluator

Evaluator = Callable[..., Decision]


@pytest.fixture(params=["reference", "compiled"])
def evaluator(request: pytest.FixtureRequest) -> Callable[[Policy], Evaluator]:
    """Turn a policy into an evaluator: the reference interpreter, then the compiled one.

    Every test that takes this fixture runs against both, so that one test body states the
    semantics for both implementations.
    """

    def make(policy: Policy) -> Evaluator:
        if request.param == "reference":
            return ReferenceEvaluator(policy)
        return policy.compile()

    return make
