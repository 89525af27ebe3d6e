"""Reasoning over every customer: the verifier (`analyze`) and change impact (`diff`)."""

from crmculture.analysis.diff import DiffRegion, DirectiveChange, PolicyDiff, diff
from crmculture.analysis.findings import (
    AnalysisError,
    BrokenPromise,
    Conflict,
    DeadRule,
    Finding,
    Gap,
    MonotonicityBreak,
    NonUniform,
    Severity,
    ShadowedRule,
    UnprovenPromise,
)
from crmculture.analysis.org_metrics import (
    Case,
    OrgFinding,
    OrgReport,
    RequestMetrics,
    analyze_org,
)
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.analysis.segments import representatives
from crmculture.analysis.verifier import (
    CHECKS,
    DEFAULT_CHECKS,
    analyze,
    check_conflicts,
    check_gaps,
    check_monotonicity,
    check_promises,
    check_rules,
    check_uniformity,
    check_unmatched,
)
from crmculture.analysis.what_if import (
    ChangedJourney,
    Comparison,
    MetricDelta,
    compare,
    match_doors,
)

__all__ = [
    "CHECKS",
    "DEFAULT_CHECKS",
    "AnalysisError",
    "AnalysisReport",
    "BrokenPromise",
    "Case",
    "ChangedJourney",
    "Comparison",
    "Conflict",
    "Coverage",
    "DeadRule",
    "DiffRegion",
    "DirectiveChange",
    "Finding",
    "Gap",
    "MetricDelta",
    "MonotonicityBreak",
    "NonUniform",
    "OrgFinding",
    "OrgReport",
    "PolicyDiff",
    "RequestMetrics",
    "Severity",
    "ShadowedRule",
    "Undetermined",
    "UnprovenPromise",
    "analyze",
    "analyze_org",
    "check_conflicts",
    "check_gaps",
    "check_monotonicity",
    "check_promises",
    "check_rules",
    "check_uniformity",
    "check_unmatched",
    "compare",
    "diff",
    "match_doors",
    "representatives",
]
