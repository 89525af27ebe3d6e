"""Hypothesis strategies for testing policies; needs the ``testing`` extra.

Install it with ``pip install 'crmculture[testing]'``.
"""

try:
    import hypothesis  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "crmculture.testing needs hypothesis: install the extra with "
        "`pip install 'crmculture[testing]'`"
    ) from error

from crmculture.testing.org_strategies import cultures, guards_for, org_graphs
from crmculture.testing.strategies import (
    conditions,
    customers,
    departments_for,
    directive_values,
    directives,
    fact_values,
    facts,
    policies,
    rules,
    schemas,
)

__all__ = [
    "conditions",
    "cultures",
    "customers",
    "departments_for",
    "directive_values",
    "directives",
    "fact_values",
    "facts",
    "guards_for",
    "org_graphs",
    "policies",
    "rules",
    "schemas",
]
