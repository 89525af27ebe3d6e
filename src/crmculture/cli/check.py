"""``crmculture check``: the policy verifier's findings, and the org analysis's, as text or
JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import IO, Any

import attrs

from crmculture.analysis.findings import Finding, MonotonicityBreak, Severity
from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.verifier import analyze
from crmculture.cli.arguments import _load_any
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK
from crmculture.cli.org import _org_finding_document, _write_org_findings
from crmculture.model.policies import Policy
from crmculture.model.promises import Promise
from crmculture.model.values import json_value


def _finding_document(finding: Finding) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": finding.kind,
        "severity": finding.severity.value,
        "message": str(finding),
        "rules": list(finding.rules),
        "directives": list(finding.directives),
        "departments": list(finding.departments),
    }
    if finding.customer:
        document["customer"] = json_value(finding.record)
    if isinstance(finding, MonotonicityBreak):
        document["better_customer"] = json_value(finding.record)
        document["worse_customer"] = json_value(finding.worse_record)
    return document


def _check(args: argparse.Namespace, out: IO[str]) -> int:
    culture = _load_any(args.culture, args.decision)
    if args.as_of is not None:
        culture = attrs.evolve(culture, policy=culture.policy.at(args.as_of))
    report = analyze(culture.policy)
    org_findings = analyze_org(culture).findings if culture.org.departments else ()
    owners = _owners(culture.policy) if args.require_owner else []
    errors = [f for f in report.findings if f.severity is Severity.ERROR] + owners
    promises = _promises(culture.policy.promises, report.findings)
    if args.json:
        document = {
            "culture": culture.policy.name,
            "version": culture.policy.version,
            "complete": report.complete,
            "promises": promises,
            "findings": [_finding_document(f) for f in report.findings] + owners,
            "org_findings": [_org_finding_document(f) for f in org_findings],
        }
        out.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return EXIT_FINDINGS if errors else EXIT_OK
    out.write(
        f"{args.culture}: policy `{culture.policy.name}` version "
        f"{culture.policy.version}, {len(culture.org)} departments\n"
    )
    if promises["stated"]:
        out.write(
            f"promises: {promises['proven']} of {promises['stated']} proven for every customer"
            f" and department, {promises['broken']} broken, {promises['unproven']} unproven\n"
        )
    for severity in Severity:
        found = [str(f) for f in report.findings if f.severity is severity]
        if severity is Severity.ERROR:
            found += [owner["message"] for owner in owners]
        if found:
            out.write(f"\n{severity.value}s ({len(found)}):\n")
            out.writelines(f"  - {finding}\n" for finding in found)
    if org_findings:
        out.write(f"\norg findings ({len(org_findings)}):\n")
        _write_org_findings(out, org_findings)
    if not report.complete:
        out.write(
            "\nthe analysis is incomplete: a search budget was reached; the clean "
            "results above cover only what was searched\n"
        )
    if not report.findings and not org_findings and not owners:
        out.write("no findings\n")
    return EXIT_FINDINGS if errors else EXIT_OK


def _owners(policy: Policy) -> list[dict[str, Any]]:
    """A finding (as a JSON document) per rule without an owner, for ``--require-owner``."""
    return [
        {
            "kind": "rule_without_owner",
            "severity": Severity.ERROR.value,
            "message": f"rule `{rule.id}` has no owner: give it `owner:` (who answers for it)",
            "rules": [rule.id],
            "directives": [name for name, _ in rule.then],
            "departments": [] if rule.departments is None else list(rule.departments),
        }
        for rule in policy.effective_rules
        if not rule.owner
    ]


def _promises(stated: Sequence[Promise], findings: Sequence[Any]) -> dict[str, int]:
    """How the policy's promises fared: stated, proven, broken and unproven (by id)."""
    broken = {f.promise for f in findings if getattr(f, "kind", "") == "broken_promise"}
    unproven = {f.promise for f in findings if getattr(f, "kind", "") == "unproven_promise"}
    unproven -= broken
    return {
        "stated": len(stated),
        "proven": len(stated) - len(broken) - len(unproven),
        "broken": len(broken),
        "unproven": len(unproven),
    }
