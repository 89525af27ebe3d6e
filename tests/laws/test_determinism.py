"""Law: same policy + same customer + same department -> the same decision, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmculture import CrmCultureError, Layer, Policy
from crmculture.stories import acme_policy, example_customers
from crmculture.testing import customers, departments_for, policies


def shuffled(policy: Policy, data: st.DataObject) -> Policy:
    """The same policy with its rules, layers and departments given in another order."""
    return Policy(
        policy.name,
        policy.schema,
        policy.directives,
        data.draw(st.permutations(policy.rules)),
        layers=[
            Layer(
                layer.name,
                data.draw(st.permutations(layer.departments)),
                data.draw(st.permutations(layer.rules)),
            )
            for layer in data.draw(st.permutations(policy.layers))
        ],
        version=policy.version,
        departments=None
        if policy.departments is None
        else data.draw(st.permutations(policy.departments)),
        description=policy.description,
    )


@given(policies(), st.data())
def test_rule_order_does_not_matter(policy: Policy, data: st.DataObject) -> None:
    """Rules given in any order make an equal policy that decides identically."""
    other = shuffled(policy, data)
    assert other == policy
    assert other.fingerprint == policy.fingerprint
    customer = data.draw(customers(policy))
    department = data.draw(departments_for(policy))
    results = []
    for candidate in (policy, other):
        try:
            results.append(candidate.compile()(customer, department).to_json())
        except CrmCultureError as error:
            results.append(f"{type(error).__name__}: {error}")
    assert results[0] == results[1]


def decided(decide: Any, customer: dict[str, Any]) -> Any:
    """A decision with its hash and JSON, or the type and message of the error it raised."""
    try:
        decision = decide(customer)
    except CrmCultureError as error:
        return type(error).__name__, str(error)
    return decision, hash(decision), decision.to_json()


@given(policies(), st.data())
def test_deciding_twice_gives_equal_decisions(policy: Policy, data: st.DataObject) -> None:
    """The evaluator keeps no state between calls: the second call (with the facts given in
    another order) gives an equal decision, or the same error."""
    decide = policy.compile()
    customer = data.draw(customers(policy))
    first = decided(decide, customer)
    second = decided(decide, dict(reversed(list(customer.items()))))
    assert first == second


SCRIPT = """
import json
from crmculture.stories import acme_policy, example_customers
decide = acme_policy().compile()
out = []
for name, customer in sorted(example_customers().items()):
    for department in ("support", "sales", None):
        d = decide(customer, department=department)
        out.append([d.to_json(), d.fingerprint, d.explain()])
print(json.dumps([acme_policy().fingerprint, out]))
"""


def run_with_hash_seed(seed: str) -> Any:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_same_bytes_in_other_processes_and_hash_seeds() -> None:
    """JSON, fingerprints and explanations are identical under different PYTHONHASHSEEDs."""
    runs = [run_with_hash_seed(seed) for seed in ("0", "1", "4242", "random")]
    assert all(run == runs[0] for run in runs[1:])
    # ... and equal to this process's own answers.
    decide = acme_policy().compile()
    _, customer = sorted(example_customers().items())[0]
    assert runs[0][1][0][0] == decide(customer, department="support").to_json()
    assert runs[0][0] == acme_policy().fingerprint
