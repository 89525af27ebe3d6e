"""Shared test fixtures: the evaluator fixture and the in-process command line. Hypothesis
profiles live in the root ``conftest.py``, so that doctests use them too."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import pytest

from crmculture import Decision, Policy, ReferenceEvaluator
from crmculture.cli import main

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


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the command line in this process; return the exit code, stdout and stderr (what
    argparse writes itself included)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(list(args), out=out, err=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli() -> Callable[..., tuple[int, str, str]]:
    """``cli(*args)`` runs the command line in this process: ``(exit code, stdout, stderr)``."""
    return run_cli
