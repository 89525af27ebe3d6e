"""Who the customer talks to: departments, handoffs and journeys (a networkx facade)."""

from crmculture.org.graph import Department, Handoff, OrgError, OrgGraph, Referral
from crmculture.org.journeys import MAX_ROUTES, Journey, Outcome, Route, walk
from crmculture.org.render import to_condensed_dot, to_condensed_mermaid, to_dot, to_mermaid

__all__ = [
    "MAX_ROUTES",
    "Department",
    "Handoff",
    "Journey",
    "OrgError",
    "OrgGraph",
    "Outcome",
    "Referral",
    "Route",
    "to_condensed_dot",
    "to_condensed_mermaid",
    "to_dot",
    "to_mermaid",
    "walk",
]
