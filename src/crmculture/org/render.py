"""Pictures of the org: Mermaid and Graphviz DOT, with a journey highlighted.

A department's label is its name, and on a second line the requests it resolves, each with
its ``resolves_when`` guard, then a line for each referral it makes (`crmculture.Referral`).
Node ids are generated (``d0``, ``d1``, ... in department-name order), never taken from names:
a department may be called anything, quotes, brackets, arrows and newlines included, and its
name only ever appears as an escaped label. Output is deterministic: nodes by name, edges in the
org's canonical handoff order.
"""

from __future__ import annotations

import attrs

from crmculture.errors import OrgError, Problem
from crmculture.model.conditions import ALWAYS, Condition
from crmculture.org.graph import Department, Handoff, OrgGraph
from crmculture.org.journeys import Journey, Route

__all__ = ["to_condensed_dot", "to_condensed_mermaid", "to_dot", "to_mermaid"]

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


# -- condensed ------------------------------------------------------------------------------


@attrs.frozen
class _Edge:
    source: str
    target: str
    label: str
    handoffs: tuple[Handoff, ...]


@attrs.frozen
class _Condensed:
    """What a condensed picture draws: departments (with their label lines), merged edges,
    and the legend of guard labels."""

    names: tuple[str, ...]
    lines: dict[str, list[str]]
    edges: tuple[_Edge, ...]
    legend: tuple[tuple[str, str], ...]


def _condense(org: OrgGraph, journey: Journey | Route | None, journey_only: bool) -> _Condensed:
    route = None
    if journey is not None:
        route = journey.route if isinstance(journey, Journey) else journey
    labels: dict[str, str] = {}

    def short(guard: Condition) -> str:
        text = str(guard)
        if text not in labels:
            labels[text] = f"G{len(labels) + 1}"
        return labels[text]

    def when(guard: Condition) -> str:
        return "" if guard == ALWAYS else f" if {short(guard)}"

    referrals: dict[str, str] = {}
    kept = set(org.names) if route is None or not journey_only else set(route.departments)
    names = tuple(name for name in org.names if name in kept)
    lines: dict[str, list[str]] = {}
    for name in names:
        department = org.department(name)
        text = [name]
        if department.resolves:
            guards = dict(department.resolves_when)
            resolved = [
                request + (when(guards[request]) if request in guards else "")
                for request in department.resolves
            ]
            # Two a line: a box as narrow as its name, more or less.
            for start in range(0, len(resolved), 2):
                lead = "resolves " if start == 0 else ""
                more = "," if start + 2 < len(resolved) else ""
                text.append(lead + ", ".join(resolved[start : start + 2]) + more)
        for referral in department.refers:
            if journey_only and route is not None and referral is not route.referral:
                continue
            requests = (
                "every request" if referral.requests is None else ", ".join(referral.requests)
            )
            where = f"{referral.to} (outside)" if referral.outside else referral.to
            spelled = f"refers {requests} to {where}"
            if spelled not in referrals:
                referrals[spelled] = f"R{len(referrals) + 1}"
            line = f"{referrals[spelled]}{when(referral.when)}"
            if line not in text:  # referrals differing only in their message
                text.append(line)
        lines[name] = text
    taken = set() if route is None else set(route.handoffs)
    groups: dict[tuple[str, str, str], list[Handoff]] = {}
    for handoff in org.handoffs:
        if handoff.source not in kept or handoff.target not in kept:
            continue
        if journey_only and route is not None and handoff not in taken:
            continue
        groups.setdefault((handoff.source, handoff.target, str(handoff.when)), []).append(handoff)
    # One edge per pair of departments, one label line per guard: parallel handoffs with
    # the same guard share a line.
    pairs: dict[tuple[str, str], tuple[list[str], list[Handoff]]] = {}
    for (source, target, _), members in groups.items():
        if any(member.requests is None for member in members):
            requests = "every request"
        else:
            requests = ", ".join(sorted({r for member in members for r in member.requests or ()}))
        minutes = sorted({member.minutes for member in members})
        spent = f"{minutes[0]}" if len(minutes) == 1 else f"{minutes[0]}-{minutes[-1]}"
        texts, handoffs = pairs.setdefault((source, target), ([], []))
        texts.append(f"{requests}{when(members[0].when)} ({spent} min)")
        handoffs.extend(members)
    edges = [
        _Edge(source, target, "\n".join(texts), tuple(handoffs))
        for (source, target), (texts, handoffs) in pairs.items()
    ]
    legend = tuple((label, text) for text, label in labels.items())
    legend += tuple((label, text) for text, label in referrals.items())
    return _Condensed(names, lines, tuple(edges), legend)


def _direction(picture: _Condensed) -> tuple[str, str | None]:
    """``TB`` (top to bottom) unless the org is much wider than deep, then ``LR``: a page is
    narrower than it is long, so the long side goes down. Width and depth are those of the
    breadth-first levels from the departments nobody hands on to (all of them, if none).
    Also a department of the last level, next to which a left-to-right picture puts its
    legend (a top-to-bottom one puts it at the bottom)."""
    following: dict[str, set[str]] = {name: set() for name in picture.names}
    reached = set()
    for edge in picture.edges:
        following[edge.source].add(edge.target)
        reached.add(edge.target)
    level = [name for name in picture.names if name not in reached] or list(picture.names)
    seen = set(level)
    widths = []
    last = None
    while level:
        widths.append(len(level))
        last = level[0]
        level = sorted({t for name in level for t in following[name]} - seen)
        seen.update(level)
    return ("LR" if max(widths, default=0) > 1.5 * len(widths) else "TB"), last


def to_condensed_mermaid(
    org: OrgGraph, *, journey: Journey | Route | None = None, journey_only: bool = False
) -> str:
    """The org as a Mermaid flowchart that stays readable at page width.

    Parallel handoffs with the same guard become one label line (their requests listed
    together, their minutes as a range), parallel handoffs between two departments one edge
    (a line per guard), and every guard (on handoffs, resolutions and referrals) is
    replaced by a short label, ``G1``, ``G2``, ... in order of appearance, spelled out in a
    legend node, and a department's referrals (``refers ... to ...``) likewise as ``R1``,
    ``R2``, ... With `journey`, its best route is highlighted; with ``journey_only=True``
    only its departments and the handoffs it takes are drawn (the journey of one request
    and one customer segment).

    Raises:
        OrgError: when the journey goes through departments or handoffs `org` does not have.

    Examples:
        >>> from crmculture import D
        >>> from crmculture.org.graph import Department, Handoff, OrgGraph
        >>> on_hold = D.route_to == "ar"
        >>> org = OrgGraph([Department("sales"), Department("ar", ["plan"])],
        ...                [Handoff("sales", "ar", ["plan"], when=on_hold, minutes=5),
        ...                 Handoff("sales", "ar", ["part"], when=on_hold, minutes=10)])
        >>> print(to_condensed_mermaid(org))
        flowchart LR
            d0["ar<br>resolves plan"]
            d1["sales"]
            d1 -->|part, plan if G1 #40;5#45;10 min#41;| d0
            legend["G1#58; decision.route_to #61;#61; #34;ar#34;"]
            style legend fill:#f4f4f4,stroke:#999,text-align:left
    """
    nodes, taken = _highlight(org, journey)
    picture = _condense(org, journey, journey_only)
    ids = {name: f"d{index}" for index, name in enumerate(org.names)}
    lines = ["flowchart LR"]
    for name in picture.names:
        label = "<br>".join(_mermaid_text(line) for line in picture.lines[name])
        lines.append(f'    {ids[name]}["{label}"]')
    styled = []
    for index, edge in enumerate(picture.edges):
        label = "<br>".join(_mermaid_text(line) for line in edge.label.split("\n"))
        lines.append(f"    {ids[edge.source]} -->|{label}| {ids[edge.target]}")
        if taken & set(edge.handoffs):
            styled.append(str(index))
    if picture.legend:
        legend = "<br>".join(_mermaid_text(f"{label}: {text}") for label, text in picture.legend)
        lines.append(f'    legend["{legend}"]')
        lines.append("    style legend fill:#f4f4f4,stroke:#999,text-align:left")
    if nodes:
        lines.append(f"    classDef journey {_NODE_STYLE}")
        chosen = [ids[name] for name in picture.names if name in nodes]
        lines.append("    class " + ",".join(chosen) + " journey")
    if styled:
        lines.append(f"    linkStyle {','.join(styled)} {_EDGE_STYLE}")
    return "\n".join(lines)


def to_condensed_dot(
    org: OrgGraph, *, journey: Journey | Route | None = None, journey_only: bool = False
) -> str:
    """The org as a Graphviz DOT digraph, condensed as `to_condensed_mermaid` condenses it,
    the legend a note.

    Examples:
        >>> from crmculture.org.graph import Department, Handoff, OrgGraph
        >>> from crmculture import F
        >>> org = OrgGraph([Department("sales"), Department("ar", ["plan"])],
        ...                [Handoff("sales", "ar", ["plan"], when=F.late, minutes=5)])
        >>> print(to_condensed_dot(org))
        digraph org {
            rankdir=TB;
            node [shape=box, fontname="Helvetica", fontsize=16];
            edge [fontname="Helvetica", fontsize=14];
            nodesep=0.25;
            d0 [label="ar\\nresolves plan"];
            d1 [label="sales"];
            d1 -> d0 [label="plan if G1 (5 min)"];
            legend [shape=note, fontsize=14, label="G1: late\\l"];
            { rank=sink; legend; }
        }
    """
    nodes, taken = _highlight(org, journey)
    picture = _condense(org, journey, journey_only)
    ids = {name: f"d{index}" for index, name in enumerate(org.names)}
    direction, last = _direction(picture)
    lines = [
        "digraph org {",
        f"    rankdir={direction};",
        '    node [shape=box, fontname="Helvetica", fontsize=16];',
        '    edge [fontname="Helvetica", fontsize=14];',
        "    nodesep=0.25;",
    ]
    for name in picture.names:
        style = ', style=filled, fillcolor="#ffe08a", color="#d9480f"' if name in nodes else ""
        label = "\\n".join(_dot_text(line) for line in picture.lines[name])
        lines.append(f'    {ids[name]} [label="{label}"{style}];')
    for edge in picture.edges:
        style = ', color="#d9480f", penwidth=3' if taken & set(edge.handoffs) else ""
        label = _dot_text(edge.label)
        lines.append(f'    {ids[edge.source]} -> {ids[edge.target]} [label="{label}"{style}];')
    if picture.legend:
        legend = "".join(_dot_text(f"{label}: {text}") + "\\l" for label, text in picture.legend)
        lines.append(f'    legend [shape=note, fontsize=14, label="{legend}"];')
        if direction == "LR" and last is not None:
            lines.append(f"    {{ rank=same; legend; {ids[last]}; }}")
        else:
            lines.append("    { rank=sink; legend; }")
    lines.append("}")
    return "\n".join(lines)
