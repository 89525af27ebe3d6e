"""Reasoning over every customer: the verifier (`analyze`) and change impact (`diff`)."""

from crmculture.analysis.diff import DiffRegion, DirectiveChange, PolicyDiff, diff
from crmculture.analysis.findings import (
    AnalysisError,
    AnalysisReport,
    Conflict,
    Coverage,
    DeadRule,
    Finding,
    Gap,
    MonotonicityBreak,
    NonUniform,
    Severity,
    ShadowedRule,
)
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.verifier import (
    CHECKS,
    DEFAULT_CHECKS,
    analyze,
    check_conflicts,
    check_gaps,
    check_monotonicity,
    check_rules,
    check_uniformity,
    check_unmatched,
)

__all__ = [
    "CHECKS",
    "DEFAULT_CHECKS",
    "AnalysisError",
    "AnalysisReport",
    "Conflict",
    "Coverage",
    "DeadRule",
    "DiffRegion",
    "DirectiveChange",
    "Finding",
    "Gap",
    "MonotonicityBreak",
    "NonUniform",
    "PolicyDiff",
    "Severity",
    "ShadowedRule",
    "Undetermined",
    "analyze",
    "check_conflicts",
    "check_gaps",
    "check_monotonicity",
    "check_rules",
    "check_uniformity",
    "check_unmatched",
    "diff",
]
