"""Pictures of the org: Mermaid and Graphviz DOT, with a journey highlighted.

A department's label is its name, and on a second line the requests it resolves, each with
its ``resolves_when`` guard, then a line for each referral it makes (`crmculture.Referral`).
Node ids are generated (``d0``, ``d1``, ... in department-name order), never taken from names:
a department may be called anything, quotes, brackets, arrows and newlines included, and its
name only ever appears as an escaped label. Output is deterministic: nodes by name, edges in the
org's canonical handoff order.
"""

from __future__ import annotations

from crmculture.errors import OrgError, Problem
from crmculture.model.conditions import ALWAYS
from crmculture.org.graph import Department, Handoff, OrgGraph
from crmculture.org.journeys import Journey, Route

__all__ = ["to_dot", "to_mermaid"]

_NODE_STYLE = "fill:#ffe08a,stroke:#d9480f,stroke-width:2px"
_EDGE_STYLE = "stroke:#d9480f,stroke-width:3px"
_MERMAID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,")


def _mermaid_text(text: str) -> str:
    """Escape every character Mermaid could read as syntax as a numeric entity (``#34;``)."""
    return "".join(ch if ch in _MERMAID_SAFE else f"#{ord(ch)};" for ch in text)


def _dot_text(text: str) -> str:
    """Escape text for a double-quoted DOT string; control characters become visible."""
    out: list[str] = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch in "\n\r":
            out.append("\\n")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def _node_lines(department: Department) -> list[str]:
    """The lines of a department's label: its name, then what it resolves (and when)."""
    lines = [department.name]
    if department.resolves:
        guards = dict(department.resolves_when)
        requests = [
            request if request not in guards else f"{request} when {guards[request]}"
            for request in department.resolves
        ]
        lines.append("resolves " + ", ".join(requests))
    lines.extend(f"{referral}".replace("refer ", "refers ", 1) for referral in department.refers)
    return lines


def _edge_label(handoff: Handoff) -> str:
    label = "every request" if handoff.requests is None else ", ".join(handoff.requests)
    if handoff.when != ALWAYS:
        label += f" when {handoff.when}"
    return f"{label} ({handoff.minutes} min)"


def _highlight(org: OrgGraph, journey: Journey | Route | None) -> tuple[set[str], set[Handoff]]:
    if journey is None:
        return set(), set()
    route = journey.route if isinstance(journey, Journey) else journey
    problems = [
        Problem(("journey", "departments"), f"department `{name}` is not in the org", name)
        for name in dict.fromkeys(route.departments)
        if name not in org
    ]
    known = set(org.handoffs)
    problems.extend(
        Problem(("journey", "handoffs"), f"handoff `{handoff}` is not in the org")
        for handoff in route.handoffs
        if handoff not in known
    )
    if problems:
        raise OrgError("cannot highlight the journey", problems)
    return set(route.departments), set(route.handoffs)


def to_mermaid(org: OrgGraph, *, journey: Journey | Route | None = None) -> str:
    """The org as a Mermaid flowchart, with the best route of `journey` highlighted.

    Args:
        org: The org.
        journey: A journey (or one route) to highlight; its departments and handoffs must be
            in `org`.

    Raises:
        OrgError: when the journey goes through departments or handoffs `org` does not have.

    Examples:
        >>> from crmculture.org.graph import Department, Handoff, OrgGraph
        >>> org = OrgGraph([Department('R&D "labs"'), Department("shipping", ["part"])],
        ...                [Handoff('R&D "labs"', "shipping", ["part"], minutes=30)])
        >>> print(to_mermaid(org))
        flowchart LR
            d0["R#38;D #34;labs#34;"]
            d1["shipping<br>resolves part"]
            d0 -->|part #40;30 min#41;| d1
    """
    ids = {name: f"d{index}" for index, name in enumerate(org.names)}
    nodes, edges = _highlight(org, journey)
    lines = ["flowchart LR"]
    for name in org.names:
        label = "<br>".join(_mermaid_text(line) for line in _node_lines(org.department(name)))
        lines.append(f'    {ids[name]}["{label}"]')
    styled: list[str] = []
    for index, handoff in enumerate(org.handoffs):
        source, target = ids[handoff.source], ids[handoff.target]
        lines.append(f"    {source} -->|{_mermaid_text(_edge_label(handoff))}| {target}")
        if handoff in edges:
            styled.append(str(index))
    if nodes:
        lines.append(f"    classDef journey {_NODE_STYLE}")
        lines.append("    class " + ",".join(ids[name] for name in org.names if name in nodes))
        lines[-1] += " journey"
    if styled:
        lines.append(f"    linkStyle {','.join(styled)} {_EDGE_STYLE}")
    return "\n".join(lines)


def to_dot(org: OrgGraph, *, journey: Journey | Route | None = None) -> str:
    """The org as a Graphviz DOT digraph, with the best route of `journey` highlighted.

    Args:
        org: The org.
        journey: A journey (or one route) to highlight; its departments and handoffs must be
            in `org`.

    Raises:
        OrgError: when the journey goes through departments or handoffs `org` does not have.

    Examples:
        >>> from crmculture.org.graph import Department, Handoff, OrgGraph
        >>> org = OrgGraph([Department('R&D "labs"'), Department("shipping", ["part"])],
        ...                [Handoff('R&D "labs"', "shipping", ["part"], minutes=30)])
        >>> print(to_dot(org))
        digraph org {
            rankdir=LR;
            node [shape=box];
            d0 [label="R&D \\"labs\\""];
            d1 [label="shipping\\nresolves part"];
            d0 -> d1 [label="part (30 min)"];
        }
    """
    ids = {name: f"d{index}" for index, name in enumerate(org.names)}
    nodes, edges = _highlight(org, journey)
    lines = ["digraph org {", "    rankdir=LR;", "    node [shape=box];"]
    for name in org.names:
        style = ', style=filled, fillcolor="#ffe08a", color="#d9480f"' if name in nodes else ""
        label = "\\n".join(_dot_text(line) for line in _node_lines(org.department(name)))
        lines.append(f'    {ids[name]} [label="{label}"{style}];')
    for handoff in org.handoffs:
        style = ', color="#d9480f", penwidth=3' if handoff in edges else ""
        label = _dot_text(_edge_label(handoff))
        lines.append(
            f'    {ids[handoff.source]} -> {ids[handoff.target]} [label="{label}"{style}];'
        )
    lines.append("}")
    return "\n".join(lines)
