"""Test your culture: hypothesis strategies, property checks and rule coverage.

Needs the ``testing`` extra: ``pip install 'crmculture[testing]'``. Without it, importing any
name from here raises `ImportError` naming the extra.

The names are imported when first used: importing the package itself imports nothing
optional. The pytest plugin is a module of its own, `crmculture_pytest`.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmculture.testing.checks import CheckFailed, assert_always, assert_deterministic
    from crmculture.testing.comparison_checks import assert_monotone, assert_uniform
    from crmculture.testing.coverage import (
        ClauseCoverage,
        CoverageReport,
        RuleCoverage,
        coverage,
    )
    from crmculture.testing.faults import Fault, invalid_customers
    from crmculture.testing.journey_checks import assert_journey_bound
    from crmculture.testing.org_strategies import (
        cultures,
        guards_for,
        journey_cases,
        org_graphs,
    )
    from crmculture.testing.policy_strategies import (
        as_of_dates,
        conditions,
        departments_for,
        directive_values,
        directives,
        policies,
        rules,
    )
    from crmculture.testing.strategies import (
        comparable_customers,
        customers,
        customers_where,
        fact_values,
        facts,
        schemas,
    )

__all__ = [
    "CheckFailed",
    "ClauseCoverage",
    "CoverageReport",
    "Fault",
    "RuleCoverage",
    "as_of_dates",
    "assert_always",
    "assert_deterministic",
    "assert_journey_bound",
    "assert_monotone",
    "assert_uniform",
    "comparable_customers",
    "conditions",
    "coverage",
    "cultures",
    "customers",
    "customers_where",
    "departments_for",
    "directive_values",
    "directives",
    "fact_values",
    "facts",
    "guards_for",
    "invalid_customers",
    "journey_cases",
    "org_graphs",
    "policies",
    "rules",
    "schemas",
]

_MODULES = {
    "checks": ("CheckFailed", "assert_always", "assert_deterministic"),
    "comparison_checks": ("assert_monotone", "assert_uniform"),
    "coverage": ("ClauseCoverage", "CoverageReport", "RuleCoverage", "coverage"),
    "faults": ("Fault", "invalid_customers"),
    "journey_checks": ("assert_journey_bound",),
    "org_strategies": ("cultures", "guards_for", "journey_cases", "org_graphs"),
    "policy_strategies": (
        "as_of_dates",
        "conditions",
        "departments_for",
        "directive_values",
        "directives",
        "policies",
        "rules",
    ),
    "strategies": (
        "comparable_customers",
        "customers",
        "customers_where",
        "fact_values",
        "facts",
        "schemas",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module `crmculture.testing` has no attribute `{name}`")
    if importlib.util.find_spec("hypothesis") is None:  # pragma: no cover - without the extra
        raise ImportError(
            f"crmculture.testing.{name} needs hypothesis: install the extra with "
            "`pip install 'crmculture[testing]'`"
        )
    value = getattr(importlib.import_module(f"crmculture.testing.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
