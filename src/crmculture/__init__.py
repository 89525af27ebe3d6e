"""crmculture: customer-treatment policies as executable, testable rules.

Leadership writes how customers are treated as rules over customer facts; developers compile
them into a deterministic evaluator; every decision explains itself.

Examples:
    >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
    >>> schema = Schema([Fact.bool("credit_hold"), Fact.int("days_overdue", min=0)])
    >>> route = Directive.text("route_to", default="frontline", uniform=True)
    >>> policy = Policy("acme", schema, [route], rules=[
    ...     Rule("credit-hold", when=F.credit_hold | (F.days_overdue > 60),
    ...          then={"route_to": "accounts_receivable"}),
    ... ])
    >>> policy.compile()({"credit_hold": False, "days_overdue": 61})["route_to"]
    'accounts_receivable'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crmculture.culture import Culture
from crmculture.errors import (
    AnalysisError,
    AsOfRequiredError,
    BatchError,
    ConditionSyntaxError,
    ConflictError,
    CrmCultureError,
    DocumentError,
    EvaluationError,
    InvalidCustomer,
    OrgError,
    PolicyError,
    Problem,
    SchemaError,
    UndecidedError,
    UnknownDepartmentError,
    UnknownDirectiveError,
    UnknownFactError,
    UnknownRuleError,
)
from crmculture.evaluate import (
    CompiledPolicy,
    Decision,
    DirectiveOutcome,
    Kept,
    Overridden,
    ReferenceEvaluator,
    compile_policy,
)
from crmculture.model import (
    ALWAYS,
    AS_OF,
    NEVER,
    NO_DEFAULT,
    AsOf,
    Combine,
    Condition,
    D,
    Directive,
    F,
    Fact,
    Freshness,
    Layer,
    Policy,
    Promise,
    Rule,
    Schema,
)
from crmculture.org import Department, Handoff, Journey, OrgGraph, Referral, Route

if TYPE_CHECKING:
    from crmculture import analysis
    from crmculture.analysis import analyze, diff
    from crmculture.io import dump, dump_policy, load, load_policy, parse_condition
    from crmculture.log import DecisionLog, read_log, replay

    __version__: str

# Imported when first used (PEP 562), so that `import crmculture` loads only what deciding
# needs: the analysis package, the document formats and the decision log cost more to import
# than all the rest.
_LAZY = {
    "analysis": "crmculture.analysis",
    "analyze": "crmculture.analysis",
    "diff": "crmculture.analysis",
    "dump": "crmculture.io",
    "dump_policy": "crmculture.io",
    "load": "crmculture.io",
    "load_policy": "crmculture.io",
    "parse_condition": "crmculture.io",
    "DecisionLog": "crmculture.log",
    "read_log": "crmculture.log",
    "replay": "crmculture.log",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("crmculture")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            value = "0.0.0"
    elif name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ALWAYS",
    "AS_OF",
    "NEVER",
    "NO_DEFAULT",
    "AnalysisError",
    "AsOf",
    "AsOfRequiredError",
    "BatchError",
    "Combine",
    "CompiledPolicy",
    "Condition",
    "ConditionSyntaxError",
    "ConflictError",
    "CrmCultureError",
    "Culture",
    "D",
    "Decision",
    "DecisionLog",
    "Department",
    "Directive",
    "DirectiveOutcome",
    "DocumentError",
    "EvaluationError",
    "F",
    "Fact",
    "Freshness",
    "Handoff",
    "InvalidCustomer",
    "Journey",
    "Kept",
    "Layer",
    "OrgError",
    "OrgGraph",
    "Overridden",
    "Policy",
    "PolicyError",
    "Problem",
    "Promise",
    "ReferenceEvaluator",
    "Referral",
    "Route",
    "Rule",
    "Schema",
    "SchemaError",
    "UndecidedError",
    "UnknownDepartmentError",
    "UnknownDirectiveError",
    "UnknownFactError",
    "UnknownRuleError",
    "__version__",
    "analysis",
    "analyze",
    "compile_policy",
    "diff",
    "dump",
    "dump_policy",
    "load",
    "load_policy",
    "parse_condition",
    "read_log",
    "replay",
]
