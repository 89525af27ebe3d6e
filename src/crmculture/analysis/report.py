"""What the analysis reports: what each search covered, and the report of findings.

An `AnalysisReport` holds the findings of the checks that ran (`crmculture.analysis.findings`),
sorted, and one `Coverage` per search: whether it answered its question exactly, stopped at its
quota of findings, or ran out of budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Literal, TypeAlias

import attrs

from crmculture.analysis.findings import (
    KINDS,
    BrokenPromise,
    DeadRule,
    Finding,
    ShadowedRule,
    UnprovenPromise,
    finding_key,
)

__all__ = ["AnalysisReport", "Coverage"]

CoverageStatus: TypeAlias = Literal["complete", "quota", "budget", "unsupported"]
"""How a search of the analysis ended; see `Coverage`."""


@attrs.frozen
class Coverage:
    """What one search of the analysis covered.

    Attributes:
        check: The check (``conflicts``, ``gaps``, ``unmatched``, ``rules`` for dead and
            shadowed rules, ``uniformity``, ``monotonicity``, ``promises``).
        subject: The directive, rule id or promise id the search was about (empty for
            ``unmatched``).
        status: ``complete`` (the question is answered exactly: every distinct finding is
            reported, or the absence of findings is proved), ``quota`` (the search stopped
            once it had the most findings it may report: they are real, more may exist),
            ``budget`` (it ran out of boxes: nothing is claimed about what it did not cover) or
            ``unsupported`` (the check does not apply to this subject, e.g. the monotonicity of
            a ``collect`` directive: nothing is claimed).
        boxes: How many boxes it looked at.
        covered: The share of the searched space it resolved (1 when exhausted).
    """

    check: str
    subject: str
    status: CoverageStatus
    boxes: int
    covered: Fraction

    def __str__(self) -> str:
        percent = f"{float(self.covered) * 100:.1f}%"
        subject = f" `{self.subject}`" if self.subject else ""
        return f"{self.check}{subject}: {self.status} after {self.boxes} boxes ({percent} covered)"


def _sorted_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=finding_key))


def _sorted_coverage(coverage: Iterable[Coverage]) -> tuple[Coverage, ...]:
    return tuple(sorted(coverage, key=lambda c: (c.check, c.subject)))


@attrs.frozen
class AnalysisReport:
    """The findings of an analysis, sorted, and what its searches covered.

    Attributes:
        policy: The policy's name.
        version: The policy's version.
        findings: Every finding, sorted by severity, kind, directives, rules and witness.
        coverage: One entry per search, sorted by check and subject.
        departments: The department contexts the analysis considered (None: a decision
            without department, or any department the policy does not name).
        checks: The checks that ran.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> from crmculture.analysis import analyze
        >>> report = analyze(acme_policy(), checks=["conflicts", "gaps"])
        >>> report.findings, report.complete, report.clean("conflicts")
        ((), True, True)
    """

    policy: str
    version: str
    findings: tuple[Finding, ...] = attrs.field(converter=_sorted_findings)
    coverage: tuple[Coverage, ...] = attrs.field(converter=_sorted_coverage)
    departments: tuple[str | None, ...] = ()
    checks: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every search answered its question: no budget ran out, no subject was
        skipped, so every absence of findings is proved."""
        return not self.incomplete

    @property
    def incomplete(self) -> tuple[Coverage, ...]:
        """The searches that ran out of budget or did not apply."""
        return tuple(c for c in self.coverage if c.status in ("budget", "unsupported"))

    def of_kind(self, kind: str) -> tuple[Finding, ...]:
        """The findings of one kind (``conflict``, ``gap``, ``dead_rule``, ...)."""
        if kind not in KINDS:
            raise ValueError(f"unknown finding kind `{kind}`; kinds are {', '.join(KINDS)}")
        return tuple(f for f in self.findings if f.kind == kind)

    def clean(self, check: str, subject: str | None = None) -> bool:
        """Whether the analysis *proved* that `check` has no finding (for one subject, a
        directive or rule id, or all): it ran, exhausted its space, and found nothing."""
        searches = [c for c in self.coverage if c.check == check and subject in (None, c.subject)]
        if not searches or any(c.status != "complete" for c in searches):
            return False
        kinds = _CHECK_KINDS[check]
        return not any(
            f.kind in kinds and (subject is None or subject == _subject(f)) for f in self.findings
        )

    def __str__(self) -> str:
        state = "complete" if self.complete else "INCOMPLETE"
        lines = [
            f"analysis of policy `{self.policy}` version {self.version}: "
            f"{len(self.findings)} findings, {state}"
        ]
        lines.extend(f"  {finding}" for finding in self.findings)
        for coverage in self.incomplete:
            lines.append(f"  not proved: {coverage}")
        return "\n".join(lines)

    def merge(self, other: AnalysisReport) -> AnalysisReport:
        """The findings and coverage of both reports (of the same policy)."""
        departments = tuple(dict.fromkeys((*self.departments, *other.departments)))
        checks = tuple(dict.fromkeys((*self.checks, *other.checks)))
        return AnalysisReport(
            self.policy,
            self.version,
            (*self.findings, *other.findings),
            (*self.coverage, *other.coverage),
            departments,
            checks,
        )


def _subject(finding: Finding) -> str:
    """The directive (or, for dead and shadowed rules, the rule) a finding is about."""
    if isinstance(finding, DeadRule | ShadowedRule):
        return finding.rule
    if isinstance(finding, BrokenPromise | UnprovenPromise):
        return finding.promise
    return "" if finding.directive is None else finding.directive


_CHECK_KINDS: Mapping[str, tuple[str, ...]] = {
    "conflicts": ("conflict",),
    "gaps": ("gap",),
    "unmatched": ("gap",),
    "rules": ("dead_rule", "shadowed_rule"),
    "uniformity": ("non_uniform",),
    "monotonicity": ("monotonicity_break",),
    "promises": ("broken_promise", "unproven_promise"),
}
