"""Shared test setup: hypothesis profiles and the evaluator fixture.

Profiles, chosen with the HYPOTHESIS_PROFILE environment variable:

- ``ci`` (the default, used by ``make test``): derandomized, no example database, no deadline,
  so that every run tries the same examples;
- ``dev``: many more examples, for local exploration (``make test-slow``);
- ``debug``: few examples, verbose output.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Verbosity, settings

from crmculture import Decision, Policy, ReferenceEvaluator

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("debug", max_examples=10, verbosity=Verbosity.verbose, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
