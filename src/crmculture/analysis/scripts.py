"""Scripts for the front line: what staff at a door say to each customer segment.

For each case of an org analysis (a door, a request, a customer segment), `front_line_scripts`
writes what the culture says there, in plain language, so that staff say what the culture
says: a referral's own message ("Your account is on hold until accounts receivable clears the
balance; I'll put you through to them"), that the door resolves the request, or whom it puts
the customer through to and who resolves it in the end. A segment whose journey is a dead
end, a loop or ambiguous gets no words to say, but a note for whoever owns the org.

Each script comes with *why*: the rationales of the rules behind the decision values that the
door's guards read (the guards on its handoffs, referrals and resolution for the request),
as the culture decides for the segment's example customer at the door. Every customer of the
segment takes the same journey, so the words hold for all of them; the rationales are those
of the example (another customer of the segment gets the same values, perhaps from another
rule).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from crmculture.analysis.findings import Customer
from crmculture.analysis.org_metrics import OrgReport
from crmculture.analysis.segments import _filled, representatives
from crmculture.culture import Culture
from crmculture.model.conditions import ALWAYS, Condition
from crmculture.org.journeys import Journey

__all__ = ["Script", "front_line_scripts"]


@attrs.frozen
class Script:
    """What the staff at `door` say to the customers of `segment` asking for `request`.

    Attributes:
        door: The department the customer contacts first.
        request: The request type.
        segment: The customers concerned, as a condition.
        customer: An example customer, as ``(fact, value)`` pairs in schema order.
        journey: The journey every customer of the segment takes.
        say: What to say, in plain language; empty when the culture gives no answer.
        why: The rationales behind it, in rule order, without repeats.
        note: For whoever owns the org, when the journey is not a clean answer (a dead end,
            a loop, several routes); empty otherwise.
    """

    door: str
    request: str
    segment: Condition
    customer: Customer
    journey: Journey
    say: str
    why: tuple[str, ...] = ()
    note: str = ""

    def __str__(self) -> str:
        who = "every customer" if self.segment == ALWAYS else str(self.segment)
        lines = [f"{self.request} at {self.door}, {who}:"]
        if self.say:
            lines.append(f'  say: "{self.say}"')
        lines.extend(f"  why: {reason}" for reason in self.why)
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def _words(journey: Journey, request: str) -> tuple[str, str]:
    """What to say, and a note for the org's owner."""
    route = journey.route
    door = route.departments[0]
    wanted = request.replace("_", " ")
    if journey.ambiguous:
        return "", f"{len(journey.routes)} routes apply: the culture gives no single answer"
    if route.outcome == "referred" and len(route.departments) == 1:
        referral = route.referral
        assert referral is not None
        if referral.message:
            return referral.message, ""
        return f"Please talk to {referral.to.replace('_', ' ')} about your {wanted}.", ""
    if route.outcome == "resolved" and len(route.departments) == 1:
        return f"I can take care of your {wanted} right here.", ""
    if len(route.departments) == 1:
        return "", f"a dead end: nobody at `{door}` can resolve or refer it, and no handoff applies"
    first = route.departments[1].replace("_", " ")
    if route.outcome == "resolved":
        last = route.departments[-1].replace("_", " ")
        if last == first:
            return f"{first.capitalize()} takes care of your {wanted}; I'll put you through.", ""
        return f"I'll put you through to {first}; {last} takes care of your {wanted}.", ""
    if route.outcome == "referred":
        return f"I'll put you through to {first}.", ""
    ending = {"dead_end": "a dead end", "loop": "a loop", "cutoff": "stopped at a bound"}
    return (
        f"I'll put you through to {first}.",
        f"the journey is {ending[route.outcome]}: " + " -> ".join(route.departments),
    )


def front_line_scripts(
    culture: Culture, report: OrgReport, *, requests: Iterable[str] | None = None
) -> tuple[Script, ...]:
    """A script for every case of `report` (door, request, segment), in the report's order.

    Args:
        culture: The culture `report` analysed.
        report: Its org analysis (`crmculture.analysis.org_metrics.analyze_org`).
        requests: Only these request types (default: every one the report covers).

    Examples:
        >>> from crmculture.analysis.org_metrics import analyze_org
        >>> from crmculture.stories import acme_culture
        >>> culture = acme_culture()
        >>> report = analyze_org(culture, doors=["sales"], requests=["replacement_part"])
        >>> for script in front_line_scripts(culture, report):
        ...     print(script)
        replacement_part at sales, not credit_hold and not days_overdue > 0:
          say: "I'll put you through to engineering; shipping takes care of your replacement part."
        replacement_part at sales, not credit_hold and days_overdue > 0 and not days_overdue > 60:
          say: "I'll put you through to billing; shipping takes care of your replacement part."
        replacement_part at sales, not credit_hold and days_overdue > 60:
          say: "Your account is on hold until accounts receivable clears the balance; I'll put you through to them."
          why: Whoever the customer talks to sends them to accounts receivable.
        replacement_part at sales, credit_hold:
          say: "Your account is on hold until accounts receivable clears the balance; I'll put you through to them."
          why: Whoever the customer talks to sends them to accounts receivable.
    """  # noqa: E501
    chosen = None if requests is None else set(requests)
    policy = culture.policy
    cells = representatives(policy.schema, [])
    found = []
    for case in report.cases:
        if chosen is not None and case.request not in chosen:
            continue
        say, note = _words(case.journey, case.request)
        door = culture.org.department(case.door)
        guards = [culture.guard(h) for h in culture.org.out_handoffs(case.door, case.request)]
        guards.extend(culture.referral_guard(r) for r in door.refers if r.answers(case.request))
        guards.append(culture.resolution_guard(case.door, case.request))
        read = sorted({name for guard in guards for name in guard.directives()})
        why: list[str] = []
        if read:
            # Facts the segment leaves open read nothing here: any value of theirs will do.
            record = _filled(policy.schema, cells, case.customer)
            decision = culture.decide(record, department=case.door)
            rules = [rule_id for name in read for rule_id in decision.outcomes[name].determined_by]
            order = [rule.id for rule in policy.effective_rules]
            for rule_id in sorted(set(rules), key=order.index):
                rationale = policy.rule(rule_id).rationale
                if rationale and rationale not in why:
                    why.append(rationale)
        found.append(
            Script(
                case.door,
                case.request,
                case.segment,
                case.customer,
                case.journey,
                say,
                tuple(why),
                note,
            )
        )
    return tuple(found)
