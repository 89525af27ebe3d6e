"""A report people look at: one self-contained HTML page about a culture in production.

`html_report` reads a decision log (and, optionally, what staff actually did) and writes one
HTML page with its charts drawn in: adherence by department, rule hits over time, drift flags
and the distribution of each directive's values, with the tables behind them. The page needs
nothing but a browser to open: no network, no scripts from elsewhere. The charts are drawn with
matplotlib (the ``report`` extra: ``pip install 'crmculture[report]'``) as SVG, written into
the page.

*Over time* means over windows of the log: by default the log is cut into ``windows`` runs of
equal length in log order (a log is written in the order decisions are made); with ``by``, the
records are grouped by a kept field (``by="month"`` for records logged with
``keep={"month": "2026-11"}``), windows sorted by its value. Drift compares the first half of
the windows with the second half, or a baseline log with the whole log when one is given (see
`crmculture.drift`).

The log is read once (`crmculture.drift.DecisionCounts.from_log`; through Arrow a chunk at a
time with the batch extra); the equal windows are cut from the records' kinds kept in log
order. The same inputs give the same page, byte for byte, by either route.

Examples:
    >>> import pathlib, tempfile
    >>> from crmculture.log import DecisionLog
    >>> from crmculture.stories import acme_policy
    >>> policy = acme_policy()
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "decisions.log"
    >>> with DecisionLog(path) as log:
    ...     for volume in range(0, 500_000, 5_000):
    ...         log.write(policy.compile()({"credit_hold": False, "days_overdue": 0,
    ...                                     "annual_volume": volume, "tier": "silver"}))
    >>> page = html_report(path, policy)
    >>> page.startswith("<!DOCTYPE html>"), page.count('<figure class="chart"')
    (True, 8)
"""

from __future__ import annotations

import html
import io
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from crmculture.adherence import AdherenceReport
from crmculture.drift import (
    MODERATE,
    SIGNIFICANT,
    DecisionCounts,
    DriftReport,
    _counted,
    _window,
    compare,
)
from crmculture.log import LogProblem
from crmculture.model.policies import Policy, require_policy

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["WINDOWS", "html_report"]

WINDOWS = 10
"""How many windows of equal length the log is cut into, by default."""

MAX_LINES = 10
"""The most rules drawn in the rule-hits chart (the most frequent); the table has them all."""

_COLOURS = ("#2f6f9f", "#d9822b", "#3f9a5b", "#b5484a", "#7b5ea7", "#8c6d46", "#cc6fa8")
_LEVEL_COLOURS = {"stable": "#3f9a5b", "moderate": "#d9822b", "significant": "#b5484a"}


def _matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "the HTML report draws its charts with matplotlib: pip install 'crmculture[report]'"
        ) from None


def html_report(
    log: str | os.PathLike[str],
    policy: Policy,
    *,
    adherence: AdherenceReport | None = None,
    baseline: str | os.PathLike[str] | None = None,
    windows: int = WINDOWS,
    by: str | None = None,
    title: str | None = None,
) -> str:
    """The HTML page (see the module).

    Args:
        log: The decision log (written by `crmculture.log.DecisionLog`).
        policy: The culture in force: its rules and directives are the ones reported.
        adherence: What `crmculture.adherence.adherence` found, for the adherence chart.
        baseline: A log to compare the whole log with, for drift (default: the first half of
            the windows against the second).
        windows: How many windows of equal length, when `by` is not given.
        by: A kept field whose value names each record's window.
        title: The page's title (default: the culture's name and version).

    Raises:
        ImportError: when matplotlib is not installed.
        ValueError: when `windows` is less than 1.
    """
    policy = require_policy(policy, "policy")
    _matplotlib()
    if windows < 1:
        raise ValueError(f"windows must be at least 1, not {windows}")
    names, counts = _windows(log, windows, by, policy)
    whole = DecisionCounts()
    for part in counts:
        whole.update(part)
    if baseline is not None:
        before = DecisionCounts.from_log(baseline, side="baseline", policy=policy)
        found = compare(before, whole, policy=policy)
    else:
        half = max(1, len(counts) // 2)
        first, second = DecisionCounts("first half"), DecisionCounts("second half")
        for n, part in enumerate(counts):
            (first if n < half else second).update(part)
        found = compare(first, second, policy=policy)
    page = _Page(title or f"{policy.name} {policy.version}")
    page.summary(policy, whole, names, baseline is not None)
    if adherence is not None:
        page.adherence(adherence)
    page.rule_hits(policy, names, counts)
    page.drift(found, baseline is not None)
    page.directives(policy, whole)
    page.problems(whole.problems)
    return page.html()


def _windows(
    log: str | os.PathLike[str], windows: int, by: str | None, policy: Policy
) -> tuple[list[str], list[DecisionCounts]]:
    """The windows' names and counts, in order; the log is read once."""
    found = _counted(log, policy=policy, by=by, ordered=by is None)
    if by is not None:
        groups: dict[str, DecisionCounts] = {}
        for kind, times in sorted(found.tally.items()):
            item = found.items[kind]
            groups.setdefault(_window(item.keep.get(by)), DecisionCounts())._add(item, times)
        ordered = sorted(groups)
        parts = [groups[name] for name in ordered] or [DecisionCounts()]
        parts[0].problems.extend(("current", problem) for _, problem in found.problems)
        return ordered or ["(empty)"], parts
    # Windows of `size` records; a line that is not a record belongs to the window of the
    # record before it (the first window when none is).
    total = found.records
    size = max(1, -(-total // windows))
    starts = range(0, max(total, 1), size)
    problems: list[list[LogProblem]] = [[] for _ in starts]
    for before, problem in found.problems:
        problems[max(0, before - 1) // size].append(problem)
    parts = [
        found.counts(start=start, stop=start + size, problems=part)
        for start, part in zip(starts, problems, strict=True)
    ]
    names = [
        f"{start + 1:,}-{start + part.records:,}" for start, part in zip(starts, parts, strict=True)
    ]
    return names, parts


class _Page:
    """The page, built section by section."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[str] = []
        self.charts = 0

    def chart(self, figure: Figure, caption: str) -> str:
        import matplotlib

        self.charts += 1
        buffer = io.StringIO()
        with matplotlib.rc_context(
            {"svg.hashsalt": f"crmculture-chart-{self.charts}", "svg.fonttype": "path"}
        ):
            figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
        svg = buffer.getvalue()
        svg = svg[svg.index("<svg") :]
        return (
            f'<figure class="chart" id="chart-{self.charts}">{svg}'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def summary(
        self, policy: Policy, whole: DecisionCounts, names: Sequence[str], baseline: bool
    ) -> None:
        rows = [
            ("Culture", f"{policy.name} {policy.version}"),
            ("Culture fingerprint", policy.fingerprint),
            ("Decisions in the log", f"{whole.records:,}"),
            ("Lines that are not records", f"{len(whole.problems):,}"),
            ("Windows", f"{len(names):,}"),
            ("Drift compares", "a baseline log with this log" if baseline else "the two halves"),
        ]
        other = whole.cultures - Counter({policy.fingerprint: whole.cultures[policy.fingerprint]})
        if other:
            rows.append(
                (
                    "Decided by other versions",
                    ", ".join(f"{fp[:12]}…: {n:,}" for fp, n in sorted(other.items())),
                )
            )
        self.sections.append("<section><h2>Summary</h2>" + _table(("", ""), rows) + "</section>")

    def adherence(self, report: AdherenceReport) -> None:
        figure, axes = _figure(len(report.by_department))
        groups = [rate.group or "(none)" for rate in report.by_department]
        rates = [100 * rate.rate for rate in report.by_department]
        axes.barh(groups, rates, color=[_COLOURS[0]] * len(groups))
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of judged actions that followed the culture")
        axes.invert_yaxis()
        rows = [
            (r.group or "(none)", f"{r.rate:.1%}", f"{r.followed:,} of {r.judged:,}")
            for r in report.by_department
        ]
        self.sections.append(
            "<section><h2>Adherence by department</h2>"
            + (
                f"<p>{report.followed:,} of {report.judged:,} judged actions followed the "
                f"culture ({report.rate:.1%}); "
                if report.judged
                else "<p>No action could be judged, so whether the culture is followed is unknown; "
            )
            + f"{report.actions - report.judged:,} could not be judged.</p>"
            + self.chart(figure, "Adherence by department, lowest first")
            + _table(("department", "rate", "followed"), rows)
            + "</section>"
        )

    def rule_hits(
        self, policy: Policy, names: Sequence[str], counts: Sequence[DecisionCounts]
    ) -> None:
        rules = [rule.id for rule in policy.rules]
        totals = Counter({rule: sum(part.hits[rule] for part in counts) for rule in rules})
        drawn = [rule for rule, hits in totals.most_common() if hits][:MAX_LINES]
        drawn.sort(key=lambda rule: (-totals[rule], rule))
        from matplotlib.figure import Figure

        figure = Figure(figsize=(9, 4.2))
        axes = figure.subplots()
        positions = list(range(len(names)))
        for n, rule in enumerate(drawn):
            shares = [
                100 * part.hits[rule] / part.records if part.records else 0.0 for part in counts
            ]
            axes.plot(
                positions,
                shares,
                marker="o",
                linewidth=1.6,
                color=_COLOURS[n % len(_COLOURS)],
                linestyle="-" if n < len(_COLOURS) else "--",
                label=rule,
            )
        axes.set_xticks(positions, list(names), rotation=30, ha="right", fontsize=8)
        axes.set_ylabel("% of decisions the rule matched")
        axes.set_ylim(bottom=0)
        if drawn:
            axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        rows = [
            (rule, *(f"{part.hits[rule]:,}" for part in counts), f"{totals[rule]:,}")
            for rule in sorted(rules)
        ]
        self.sections.append(
            "<section><h2>Rule hits over time</h2>"
            + self.chart(
                figure, f"Share of decisions each rule matched, per window (top {MAX_LINES})"
            )
            + _table(("rule", *names, "total"), rows)
            + "</section>"
        )

    def drift(self, found: DriftReport, baseline: bool) -> None:
        shifts = sorted(found.shifts, key=lambda s: (-s.psi, s.kind, s.name))
        figure, axes = _figure(len(shifts))
        labels = [_label(s.kind, s.name) for s in shifts]
        axes.barh(labels, [s.psi for s in shifts], color=[_LEVEL_COLOURS[s.level] for s in shifts])
        axes.axvline(MODERATE, color=_LEVEL_COLOURS["moderate"], linestyle="--", linewidth=1)
        axes.axvline(SIGNIFICANT, color=_LEVEL_COLOURS["significant"], linestyle="--", linewidth=1)
        axes.set_xlabel("population stability index")
        axes.invert_yaxis()
        against = "the baseline log" if baseline else "the first half of the windows"
        rows = [(s.level, _label(s.kind, s.name), f"{s.psi:.3f}") for s in found.flagged]
        never = ", ".join(html.escape(rule) for rule in found.never_fired) or "none"
        self.sections.append(
            "<section><h2>Drift</h2>"
            f"<p>Each distribution compared with {against}: stable under {MODERATE}, "
            f"moderate from {MODERATE}, significant from {SIGNIFICANT}. "
            f"{len(found.flagged)} flagged.</p>"
            + self.chart(figure, "Population stability index per distribution")
            + (_table(("level", "distribution", "PSI"), rows) if rows else "")
            + f"<p>Rules that never fired in the current decisions: {never}.</p></section>"
        )

    def directives(self, policy: Policy, whole: DecisionCounts) -> None:
        parts = ["<section><h2>Directive values</h2><div class='grid'>"]
        for directive in policy.directives:
            values = whole.values.get(directive.name, Counter())
            ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
            figure, axes = _figure(len(ordered), width=4.4)
            total = sum(values.values()) or 1
            axes.barh(
                [_short(value) for value, _ in ordered],
                [100 * count / total for _, count in ordered],
                color=[_COLOURS[2]] * len(ordered),
            )
            axes.set_xlabel("% of decisions")
            axes.invert_yaxis()
            axes.set_title(directive.name, fontsize=10)
            parts.append(self.chart(figure, f"Values of {directive.name}"))
        parts.append("</div></section>")
        self.sections.append("".join(parts))

    def problems(self, problems: Sequence[tuple[str, LogProblem]]) -> None:
        if not problems:
            return
        rows = [(f"{p.line:,}", p.message) for _, p in problems[:50]]
        more = f"<p>and {len(problems) - 50:,} more.</p>" if len(problems) > 50 else ""
        self.sections.append(
            "<section><h2>Lines of the log that are not records</h2>"
            + _table(("line", "why"), rows)
            + more
            + "</section>"
        )

    def html(self) -> str:
        title = html.escape(self.title)
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>crmculture report: {title}</title><style>{_STYLE}</style></head>"
            f"<body><h1>crmculture report: {title}</h1>"
            + "".join(self.sections)
            + f"<footer>{self.charts} charts. Written by crmculture.</footer>"
            + f"<script>{_CHECK}</script></body></html>\n"
        )


def _figure(bars: int, width: float = 9.0) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, max(1.6, 0.32 * bars + 0.9)))
    return figure, figure.subplots()


def _label(kind: str, name: str) -> str:
    return "department mix" if kind == "department" else f"{kind} {name}"


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
       border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; }
figure.chart { margin: 1rem 0; } figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: .8rem; color: #555; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr));
        gap: .5rem 1.5rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #777; }
"""

# Marks, once the page is laid out, how many charts the browser drew with a visible size: a
# check anyone can read in the page's <body data-charts-drawn="..."> attribute.
_CHECK = (
    "addEventListener('load',function(){var f=document.querySelectorAll('figure.chart'),d=0;"
    "f.forEach(function(x){var s=x.querySelector('svg');"
    "if(s){var r=s.getBoundingClientRect();if(r.width>0&&r.height>0)d++;}});"
    "document.body.dataset.chartsDrawn=d+' of '+f.length;});"
)
