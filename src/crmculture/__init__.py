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

from importlib.metadata import PackageNotFoundError, version

from crmculture import analysis
from crmculture.analysis import analyze, diff
from crmculture.culture import Culture
from crmculture.errors import (
    AnalysisError,
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
    Overridden,
    ReferenceEvaluator,
    compile_policy,
)
from crmculture.io import dump, dump_policy, load, load_policy, parse_condition
from crmculture.model import (
    ALWAYS,
    NEVER,
    NO_DEFAULT,
    Combine,
    Condition,
    D,
    Directive,
    F,
    Fact,
    Layer,
    Policy,
    Rule,
    Schema,
)
from crmculture.org import Department, Handoff, Journey, OrgGraph, Route

try:
    __version__ = version("crmculture")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "ALWAYS",
    "NEVER",
    "NO_DEFAULT",
    "AnalysisError",
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
    "Department",
    "Directive",
    "DirectiveOutcome",
    "DocumentError",
    "EvaluationError",
    "F",
    "Fact",
    "Handoff",
    "InvalidCustomer",
    "Journey",
    "Layer",
    "OrgError",
    "OrgGraph",
    "Overridden",
    "Policy",
    "PolicyError",
    "Problem",
    "ReferenceEvaluator",
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
]
