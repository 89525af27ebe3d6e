"""A culture whose policy uses the as-of date: decisions and journeys take it, and handoff
guards, which test the decision, cannot name it."""

from __future__ import annotations

import datetime as dt

import pytest

from crmculture import AsOfRequiredError, DocumentError, load

DOCUMENT = """\
format: crmculture/1
name: kyc
facts:
  verified_on: {type: date}
  vip: {type: bool}
directives:
  route_to: {type: text, default: desk}
rules:
  - id: recent-vip
    when: vip and verified_on > as_of - 30 days
    then: {route_to: vip}
org:
  departments:
    desk: {resolves: [question]}
    vip: {resolves: []}
  handoffs:
    - {from: vip, to: desk, requests: [question], when: 'GUARD'}
"""

CUSTOMER = {"verified_on": dt.date(2026, 1, 1), "vip": True}


def test_journeys_are_walked_as_of_a_day() -> None:
    """The decisions along the way are made as of the day given, so guards on them change."""
    culture = load(DOCUMENT.replace("GUARD", 'decision.route_to == "vip"'))
    recent = culture.journey(CUSTOMER, "question", door="vip", as_of=dt.date(2026, 1, 10))
    late = culture.journeys(CUSTOMER, "question", doors=["vip"], as_of=dt.date(2026, 3, 1))
    assert (recent.resolved, late["vip"].resolved) == (True, False)
    assert culture.decide(CUSTOMER, department="vip", as_of=dt.date(2026, 1, 10))["route_to"] == (
        "vip"
    )
    with pytest.raises(AsOfRequiredError):
        culture.journey(CUSTOMER, "question", door="vip")


def test_a_guard_cannot_name_the_as_of_date() -> None:
    """`as_of` belongs to rules and promises; a guard naming it is a document error."""
    with pytest.raises(DocumentError, match="a handoff guard cannot use it"):
        load(DOCUMENT.replace("GUARD", "verified_on > as_of"))
