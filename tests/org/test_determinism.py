"""Journeys, findings and pictures come out the same, in the same order, in every process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

SCRIPT = """
import hashlib
from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.what_if import compare
from crmculture.org import to_dot, to_mermaid
from crmculture.stories import acme_culture

culture = acme_culture()
merged = culture.with_org(culture.org.merge(["sales", "billing", "accounts_receivable"],
                                            into="commercial"))
report = analyze_org(culture)
parts = [repr(report), repr(compare(culture, merged)), to_mermaid(culture.org), to_dot(merged.org)]
print(hashlib.sha256("\\n".join(parts).encode()).hexdigest())
"""


def run(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.strip()


def test_output_does_not_depend_on_hash_seeds() -> None:
    """Three processes with different PYTHONHASHSEED values print the same digest."""
    digests = {run(seed) for seed in ("0", "1", "4242")}
    assert len(digests) == 1
    assert len(next(iter(digests))) == len(hashlib.sha256().hexdigest())
