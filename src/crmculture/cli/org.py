"""The org commands: ``crmculture journeys`` (a request's journeys and its org findings) and
``crmculture render`` (the org as Mermaid or DOT), and how an org finding is shown, which
``crmculture check`` shares."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import IO, Any

from crmculture.analysis.org_metrics import (
    CustomerMetrics,
    OrgFinding,
    OrgReport,
    RequestMetrics,
    analyze_org,
    customer_metrics,
)
from crmculture.analysis.scripts import Script, front_line_scripts
from crmculture.cli.arguments import _check_request, _customer, _load_culture, _open_output
from crmculture.cli.decisions import _PARQUET, _close_records, _open_records, _record_format
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.culture import Culture
from crmculture.evaluate.truth import holds
from crmculture.io.records import RecordError, read_records
from crmculture.model.values import json_value
from crmculture.org.journeys import Journey
from crmculture.org.render import to_condensed_dot, to_condensed_mermaid, to_dot, to_mermaid

# -- org findings ---------------------------------------------------------------------------


def _org_finding_document(finding: OrgFinding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "door": finding.door,
        "request": finding.request,
        "segment": str(finding.segment),
        "message": finding.message,
        "customer": json_value(finding.record),
    }


def _write_org_findings(out: IO[str], findings: Sequence[OrgFinding], limit: int = 20) -> None:
    shown = findings[:limit]
    out.writelines(f"  - {f.message}; for example {_show(f.record)}\n" for f in shown)
    if len(findings) > len(shown):
        out.write(f"  ... and {len(findings) - len(shown)} more (see --json)\n")


def _show(customer: dict[str, Any]) -> str:
    return json.dumps(json_value(customer), ensure_ascii=False)


# -- journeys -------------------------------------------------------------------------------


def _journey_document(
    door: str, journey: Journey, segment: str | None, customer: dict[str, Any] | None
) -> dict[str, Any]:
    document: dict[str, Any] = {"door": door}
    if segment is not None:
        document["segment"] = segment
    if customer is not None:
        document["customer"] = json_value(customer)
    document.update(
        {
            "departments": list(journey.departments),
            "outcome": journey.outcome,
            "touched": journey.touched,
            "handoffs": len(journey.handoffs),
            "minutes": journey.minutes,
            "ambiguous": journey.ambiguous,
            "truncated": journey.truncated,
            "routes": [
                {
                    "departments": list(route.departments),
                    "outcome": route.outcome,
                    "minutes": route.minutes,
                }
                for route in journey.routes
            ],
        }
    )
    referral = journey.referral
    if referral is not None:
        document["referral"] = {
            "to": referral.to,
            "outside": referral.outside,
            "message": referral.message,
        }
    return document


def _metrics_document(metrics: RequestMetrics) -> dict[str, Any]:
    return {
        "cases": metrics.cases,
        "resolved": metrics.resolved,
        "referred": metrics.referred,
        "first_contact": metrics.first_contact,
        "dead_ends": metrics.dead_ends,
        "loops": metrics.loops,
        "ambiguous": metrics.ambiguous,
        "long_journeys": metrics.long_journeys,
        "max_departments": metrics.max_departments,
        "mean_departments": metrics.mean_departments,
    }


def _weigh(args: argparse.Namespace, culture: Culture, report: OrgReport) -> CustomerMetrics:
    """The metrics of `report` weighed by the customers of ``--customers``."""
    path = args.customers
    volume, door = args.volume_field, args.door_field
    if args.input_format == "parquet" or (
        args.input_format is None and path.lower().endswith(_PARQUET)
    ):
        try:
            import pyarrow.parquet as pq

            from crmculture.batch.org_customers import frame_customer_metrics
        except ImportError:
            raise _UsageError(
                "Parquet customers need the batch extra: pip install 'crmculture[batch]'"
            ) from None
        try:
            table = pq.read_table(path)
        except OSError as error:
            raise _UsageError(f"cannot read `{path}`: {error}") from None
        return frame_customer_metrics(culture, report, table, volume=volume, door=door)
    stream = _open_records(path)
    try:
        records = []
        for item in read_records(
            stream, culture.policy.schema, _record_format(path, args.input_format)
        ):
            if isinstance(item, RecordError):
                raise _UsageError(f"{path}: line {item.line}: {item.message}")
            records.append(item.customer)
    finally:
        _close_records(stream, path)
    return customer_metrics(culture, report, records, volume=volume, door=door)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _journeys(args: argparse.Namespace, out: IO[str]) -> int:
    if args.customers is None and (args.volume_field or args.door_field or args.input_format):
        raise _UsageError("--input-format, --volume-field and --door-field go with --customers")
    if args.customers is not None and args.customer is not None:
        raise _UsageError("--customer and --customers: give one or the other")
    if args.door_field is not None and args.door is not None:
        raise _UsageError("--door and --door-field: give one or the other")
    culture = _load_culture(args.culture)
    _check_request(culture, args.request)
    if args.door is not None:
        culture.org.department(args.door)  # an unknown door: one line, with a suggestion
    doors = [args.door] if args.door is not None else list(culture.org.names)
    schema = culture.policy.schema
    customer = None if args.customer is None else _customer(args.customer, schema)
    # Validate first: a bad record is reported before any analysis runs.
    facts = None if customer is None else schema.validate(customer)
    report = analyze_org(
        culture, max_departments=args.max_departments, doors=doors, requests=[args.request]
    )
    findings: Sequence[OrgFinding] = report.findings
    weighed = None if args.customers is None else _weigh(args, culture, report)
    scripts: Sequence[Script] = ()
    if args.scripts:
        scripts = front_line_scripts(culture, report)
        if facts is not None:
            scripts = [s for s in scripts if holds(s.segment, facts, schema)]
    entries: list[tuple[str, Journey, str | None, dict[str, Any]]] = []
    if customer is None:
        entries = [(c.door, c.journey, str(c.segment), c.record) for c in report.cases]
    else:
        assert facts is not None
        entries = [
            (door, culture.journey(customer, args.request, door=door), None, customer)
            for door in doors
        ]
        # Segments partition the customers: the findings of this customer's segments.
        findings = [f for f in findings if holds(f.segment, facts, schema)]
    if args.json:
        document = {
            "culture": culture.policy.name,
            "version": culture.policy.version,
            "request": args.request,
            "doors": doors,
            "customer": None if customer is None else json_value(customer),
            "max_departments": args.max_departments,
            "journeys": [
                _journey_document(door, journey, segment, None if customer else example)
                for door, journey, segment, example in entries
            ],
            "metrics": None if customer is not None else _metrics_document(report.total),
            "findings": [_org_finding_document(f) for f in findings],
        }
        if args.scripts:
            document["scripts"] = [
                {
                    "door": s.door,
                    "segment": str(s.segment),
                    "say": s.say,
                    "why": list(s.why),
                    "note": s.note,
                }
                for s in scripts
            ]
        if weighed is not None:
            document["customers_file"] = args.customers
            document["customers"] = {
                "customers": weighed.customers,
                "metrics": _metrics_document(weighed.total),
                "touched": {str(n): w for name, n, w in weighed.touched if name == "*"},
            }
        out.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return EXIT_FINDINGS if findings else EXIT_OK
    if customer is None:
        out.write(
            f"{args.culture}: request `{args.request}`, {len(doors)} "
            f"door{'' if len(doors) == 1 else 's'}, {len(entries)} customer segments\n"
        )
        door = None
        for here, journey, segment, _ in entries:
            if here != door:
                out.write(f"\nfrom `{here}`:\n")
                door = here
            out.write(f"  {segment}\n      {journey}\n")
        total = report.total
        referred = f"; {total.referred} referred" if total.referred else ""
        out.write(
            f"\n{total.resolved} of {total.cases} cases resolved, {total.first_contact} by the "
            f"door itself{referred}; the longest journey touches {total.max_departments} "
            "departments\n"
        )
        if weighed is not None:
            counted = weighed.total
            where = "at their own door" if args.door_field else "at every door"
            out.write(
                f"\n{weighed.customers} customers in {args.customers}, counted {where}"
                f"{' by volume' if args.volume_field else ''}: {counted.cases} in all\n"
                f"  {_share(counted.resolved, counted.cases)} resolved, "
                f"{_share(counted.referred, counted.cases)} referred, "
                f"{_share(counted.dead_ends, counted.cases)} dead ends; "
                f"{_share(counted.long_journeys, counted.cases)} touch more than "
                f"{args.max_departments} departments\n"
            )
    else:
        out.write(f"{args.culture}: request `{args.request}` for {_show(customer)}\n\n")
        width = max(len(door) for door in doors)
        out.writelines(f"  from {door:<{width}}  {journey}\n" for door, journey, _, _ in entries)
    if scripts:
        out.write(f"\nscripts for `{args.request}`:\n")
        out.writelines(
            "\n" + "\n".join("  " + line for line in str(script).splitlines()) + "\n"
            for script in scripts
        )
    if findings:
        out.write(f"\nfindings ({len(findings)}):\n")
        _write_org_findings(out, findings)
    else:
        out.write("\nno findings\n")
    return EXIT_FINDINGS if findings else EXIT_OK


# -- render ---------------------------------------------------------------------------------


def _render(args: argparse.Namespace, out: IO[str]) -> int:
    culture = _load_culture(args.culture)
    journey: Journey | None = None
    if args.request is None and args.customer is None:
        if args.door is not None:
            raise _UsageError("--door needs --request and --customer")
    elif args.request is None or args.customer is None:
        raise _UsageError("--request and --customer go together: give both, or neither")
    else:
        _check_request(culture, args.request)
        if args.door is not None:
            culture.org.department(args.door)
        customer = _customer(args.customer, culture.policy.schema)
        doors = [args.door] if args.door is not None else culture.org.names
        journeys = [culture.journey(customer, args.request, door=door) for door in doors]
        # The longest journey (most departments, then minutes), ties by door name.
        journey = min(journeys, key=lambda j: (-j.touched, -j.minutes, j.door))
    if args.journey_only and journey is None:
        raise _UsageError("--journey-only needs --request and --customer")
    if args.condensed or args.journey_only:
        condensed = to_condensed_mermaid if args.format == "mermaid" else to_condensed_dot
        text = condensed(culture.org, journey=journey, journey_only=args.journey_only) + "\n"
    else:
        draw = to_mermaid if args.format == "mermaid" else to_dot
        text = draw(culture.org, journey=journey) + "\n"
    target = _open_output(args.output, out)
    try:
        target.write(text)
    finally:
        if target is not out:
            target.close()
    return EXIT_OK
