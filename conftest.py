"""Hypothesis profiles for every test run in this repository: tests, doctests of src/ and docs/.

Chosen with the HYPOTHESIS_PROFILE environment variable:

- ``ci`` (the default, used by ``make test``): derandomized, no example database, no deadline,
  so that every run tries the same examples;
- ``dev``: many more examples, for local exploration (``make test-slow``);
- ``debug``: few examples, verbose output.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Verbosity, settings

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
