"""The crmculture pytest plugin (registered through the ``pytest11`` entry point).

It is loaded by every pytest run in an environment where crmculture is installed, so it must
not import hypothesis (or anything optional) at module level.
"""

from __future__ import annotations

import pytest

PROFILES = ("ci", "thorough")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crmculture")
    group.addoption(
        "--crmculture-profile",
        choices=PROFILES,
        default=None,
        help="hypothesis profile for culture property tests: "
        "ci (derandomized, 100 examples) or thorough (2,000 examples)",
    )
