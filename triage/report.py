"""One self-contained HTML page about a scored file, for a support lead.

``triage report SCORED -o report.html`` reads a file written by ``triage score`` (any format, any
adapter) and renders ``templates/report.html.j2``: priorities and tiers, the rules that decided,
SLA risk, sentiment over time, the escalation metrics, and the tickets to review first. Charts are
inline SVG drawn here; the page loads nothing from elsewhere (no fonts, scripts or images by URL).
A short inline script counts the drawn charts and sets ``data-ready`` on ``<body>``, so a headless
browser can tell that the page rendered and ran without error.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from . import __version__
from .adapters import read_tickets
from .columns import text_value, ticket_id_text
from .config import PRIORITIES, TIERS, Config, load_config
from .errors import InputError
from .metrics import EscalationMetrics, compute_metrics, metrics_calendar
from .privacy import mask_personal_data
from .scored import flag, listed, missing_scored_columns, tier_number
from .sla import parse_timestamp
from .tables import sibling_path, write_atomically

PRIORITY_COLOURS = {"Critical": "#b3261e", "High": "#e8710a", "Medium": "#f2b705", "Low": "#2e7d32"}
TIER_COLOURS = {1: "#90caf9", 2: "#42a5f5", 3: "#1e88e5", 4: "#0d47a1"}
SLA_STATES = ("breached", "at_risk", "missed", "paused", "ok", "met")
SLA_COLOURS = {"breached": "#b3261e", "at_risk": "#e8710a", "missed": "#8e24aa", "paused": "#9e9e9e", "ok": "#2e7d32", "met": "#66bb6a"}
_OTHER_COLOUR = "#bdbdbd"  # SLA states this report does not know (a newer triage, an edited file)
_ACCENT = "#3f51b5"
_SLA_URGENCY = {"breached": 0, "at_risk": 1, "missed": 2}


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    svg: Markup
    caption: str = ""


@dataclass(frozen=True)
class ReviewRow:
    ticket_id: str
    priority: str
    tier: int
    escalate: bool
    needs_review: bool
    sla_state: str
    summary: str
    reason: str


@dataclass
class ReportData:
    title: str
    source: str
    generated: str
    version: str
    tickets: int
    escalated: int
    needs_review: int
    critical: int
    charts: list[Chart] = field(default_factory=list)
    rules: list[tuple[str, int, str]] = field(default_factory=list)  # rule, tickets, share
    notes: dict[str, str] = field(default_factory=dict)  # section -> why it is missing or partial
    metrics: EscalationMetrics | None = None
    review: list[ReviewRow] = field(default_factory=list)
    review_total: int = 0


# ---------------------------------------------------------------------------------------------
# charts (inline SVG)


def _share(value: int, total: int) -> str:
    return f"{value / total:.0%}" if total else "-"


def _svg_open(key: str, label: str, width: int, height: int) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(key)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
    )


def bar_chart(key: str, label: str, bars: list[tuple[str, int, str]], total: int | None = None) -> Markup:
    """Horizontal bars: (label, count, colour); shares are of ``total`` (default: the bars' sum).
    Every label and number is escaped text."""
    label_w, bar_w, row_h, pad = 210, 300, 30, 10
    width, height = label_w + bar_w + 90, pad * 2 + row_h * max(len(bars), 1)
    total = sum(count for _, count, _ in bars) if total is None else total
    top = max([count for _, count, _ in bars] + [1])
    parts = [_svg_open(key, label, width, height), f"<title>{escape(label)}</title>"]
    for i, (name, count, colour) in enumerate(bars):
        y = pad + i * row_h
        length = 0 if count == 0 else max(2.0, bar_w * count / top)
        parts.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" class="label">{escape(name)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{length:.1f}" height="20" rx="3" fill="{escape(colour)}">'
            f"<title>{escape(name)}: {count} ({_share(count, total)})</title></rect>"
        )
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{y + 19}" class="value">{count} ({_share(count, total)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(key: str, label: str, points: list[tuple[str, float, int]]) -> Markup:
    """Mean sentiment per period: (period label, mean from -1 to 1, tickets)."""
    width, height, left, right, top, bottom = 1100, 260, 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y(value: float) -> float:
        return top + plot_h * (1 - (value + 1) / 2)

    parts = [_svg_open(key, label, width, height), f"<title>{escape(label)}</title>"]
    for value, text in ((1, "+1"), (0, "0"), (-1, "-1")):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid{" zero" if value == 0 else ""}"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="axis">{text}</text>')
    coords = " ".join(f"{x(i):.1f},{y(mean):.1f}" for i, (_, mean, _) in enumerate(points))
    parts.append(f'<polyline points="{coords}" fill="none" stroke="{_ACCENT}" stroke-width="2"/>')
    for i, (period, mean, count) in enumerate(points):
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(mean):.1f}" r="{3 + min(count, 40) ** 0.5:.1f}" fill="{_ACCENT}" fill-opacity="0.75">'
            f"<title>{escape(period)}: mean {mean:+.2f} over {count} ticket(s)</title></circle>"
        )
    shown = sorted({0, len(points) // 2, len(points) - 1})
    for i in shown:
        anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 and len(points) > 1 else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{height - 14}" text-anchor="{anchor}" class="axis">{escape(points[i][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# ---------------------------------------------------------------------------------------------
# reading the scored file


def _sentiment_points(frame: pd.DataFrame, created_column: str, timezone: str = "UTC") -> tuple[list[tuple[str, float, int]], int, str]:
    """Mean sentiment per day (per week beyond 90 days) of ``timezone``, in which times without an
    offset are read too; returns the points, unreadable times and the period."""
    zone = ZoneInfo(timezone)
    moments: list[tuple[datetime, float]] = []
    unreadable = 0
    for raw, sentiment in zip(frame[created_column], frame["sentiment"]):
        try:
            when = parse_timestamp(raw, zone)
            score = float(sentiment)
        except (ValueError, TypeError, OverflowError):
            when, score = None, math.nan
        if when is None or math.isnan(score):
            unreadable += 1
            continue
        moments.append((when.astimezone(zone), score))
    if not moments:
        return [], unreadable, "day"
    span = max(m for m, _ in moments) - min(m for m, _ in moments)
    weekly = span > timedelta(days=90)
    buckets: dict[str, list[float]] = {}
    for when, score in sorted(moments):
        day = when.date() - timedelta(days=when.weekday()) if weekly else when.date()
        buckets.setdefault(day.isoformat(), []).append(score)
    points = [(period, sum(scores) / len(scores), len(scores)) for period, scores in buckets.items()]
    return points, unreadable, "week" if weekly else "day"


def build_report(
    frame: pd.DataFrame,
    fields: Mapping[str, str],
    config: Config | None = None,
    source: str = "",
    title: str = "Ticket triage report",
    review_rows: int = 50,
    calendar: str | None = None,
    now: datetime | None = None,
) -> ReportData:
    """Everything the page shows, from a scored frame and its resolved fields. Times are read and
    grouped in the metrics' calendar's time zone (``calendar``, else ``[sla_clock] calendar``)."""
    config = config or load_config()
    missing = missing_scored_columns(frame.columns)
    if missing:
        raise InputError(
            f"The report needs a file scored by triage; the column(s) {', '.join(missing)} are missing among the columns found "
            f"({', '.join(map(str, frame.columns))}). Score it first: triage score INPUT -o scored.csv, then triage report scored.csv."
        )
    _, cal = metrics_calendar(config, calendar)
    rows = len(frame)
    priorities = [text_value(v) for v in frame["priority"]]
    tiers = [tier_number(v) or 0 for v in frame["tier"]]
    escalate = [flag(v) for v in frame["escalate"]]
    review = [flag(v) for v in frame["needs_review"]] if "needs_review" in frame.columns else [False] * rows
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    data = ReportData(
        title=title,
        source=source,
        generated=when,
        version=__version__,
        tickets=rows,
        escalated=sum(escalate),
        needs_review=sum(review),
        critical=sum(p == "Critical" for p in priorities),
    )
    counts = Counter(priorities)
    data.charts.append(
        Chart("priority", "Priorities", bar_chart("priority", "Tickets per priority", [(p, counts.get(p, 0), PRIORITY_COLOURS[p]) for p in reversed(PRIORITIES)]))
    )
    tier_counts = Counter(tiers)
    tier_bars = [(f"tier {t} {config.tier_names.get(t, '')}".strip(), tier_counts.get(t, 0), TIER_COLOURS[t]) for t in TIERS]
    data.charts.append(Chart("tier", "Tiers", bar_chart("tier", "Tickets per tier", tier_bars)))

    if "rules_fired" in frame.columns:
        fired = Counter(rule for value in frame["rules_fired"] for rule in listed(value, "rules_fired"))
        data.rules = [(rule.replace("_", " "), n, _share(n, rows)) for rule, n in fired.most_common(12)]
        if data.rules:
            bars = [(rule, n, _ACCENT) for rule, n, _ in data.rules]
            chart = bar_chart("reasons", "Policy rules that decided, by tickets", bars, total=rows)
            data.charts.append(Chart("reasons", "Top reasons", chart, "Tickets each rule fired on (a ticket may have several); share of all tickets."))
        else:
            data.notes["reasons"] = "No policy rule fired on these tickets: every decision is the classifier's."
    else:
        data.notes["reasons"] = "The file has no rules_fired column, so the reasons cannot be counted."

    states = [text_value(v).strip() for v in frame["sla_state"]] if "sla_state" in frame.columns else []
    if any(states):
        state_counts = Counter(s for s in states if s)
        bars = [(s.replace("_", " "), state_counts.get(s, 0), SLA_COLOURS[s]) for s in SLA_STATES if state_counts.get(s)]
        other = {s: n for s, n in state_counts.items() if s not in SLA_COLOURS}
        if other:
            bars.append(("other", sum(other.values()), _OTHER_COLOUR))
        captions = []
        if sum(state_counts.values()) < rows:
            captions.append(f"{rows - sum(state_counts.values())} ticket(s) without an SLA clock.")
        if other:
            captions.append(f"Other: state(s) this report does not know ({', '.join(sorted(other))}).")
        data.charts.append(Chart("sla", "SLA risk", bar_chart("sla", "Tickets per SLA state", bars), " ".join(captions)))
    else:
        data.notes["sla"] = "No SLA states in this file: it was scored without a creation time column, so no SLA clock ran."

    created = fields.get("created_at")
    if created is None or "sentiment" not in frame.columns:
        what = "a creation time column (created_at, created, Created time, ...)" if created is None else "a sentiment column"
        data.notes["sentiment"] = f"Sentiment over time needs {what}; this file has none."
    else:
        points, unreadable, period = _sentiment_points(frame, created, cal.timezone)
        if points:
            caption = f"Mean sentiment per {period} (-1 very negative, +1 very positive); dot size grows with the tickets of the {period}."
            if unreadable:
                caption += f" {unreadable} ticket(s) without a readable time are left out."
            data.charts.append(Chart("sentiment", "Sentiment over time", line_chart("sentiment", "Mean sentiment over time", points), caption))
        else:
            data.notes["sentiment"] = f"No ticket has a readable time in '{created}', so sentiment over time cannot be drawn."

    try:
        data.metrics = compute_metrics(frame, fields, config, calendar, source=source)
        note = _missing_times_note(fields)
        if note:
            data.notes["metrics"] = note
    except InputError as exc:
        data.notes["metrics"] = f"No escalation metrics: {exc}"

    data.review, data.review_total = _review_rows(frame, fields, config, priorities, tiers, escalate, review, states, review_rows)
    return data


def _missing_times_note(fields: Mapping[str, str]) -> str:
    """What the metrics cannot measure without a creation or a resolution time column."""
    created, resolved = "created_at" in fields, "resolved_at" in fields
    if not created and not resolved:
        return "The file has no creation or resolution time column, so only the rates are measured, not the hours."
    if not created:
        return "The file has no creation time column, so the hours from creation (to escalation, or to resolution for triage's own escalations) are not measured."
    if not resolved:
        return "The file has no resolution time column, so the resolution time after escalation is not measured."
    return ""


def _main_reason(reasons: list[str], rules_fired: list[str] | None) -> str:
    """The reason to show first: the first policy rule's, not the classifier's proposal (which
    scoring always writes first); the classifier's when no rule fired."""
    if rules_fired == [] or not reasons:
        return reasons[0] if reasons else ""
    return next((r for r in reasons if not r.startswith("Classifier proposed")), reasons[0])


def _review_rows(frame, fields, config, priorities, tiers, escalate, review, states, limit) -> tuple[list[ReviewRow], int]:
    order = {p: i for i, p in enumerate(reversed(PRIORITIES))}
    rows = len(frame)
    chosen = [i for i in range(rows) if review[i] or priorities[i] == "Critical" or escalate[i]]
    confidence = pd.to_numeric(frame["confidence"], errors="coerce").fillna(1.0).tolist() if "confidence" in frame.columns else [1.0] * rows
    states = states or [""] * rows
    chosen.sort(key=lambda i: (order.get(priorities[i], 9), not escalate[i], not review[i], _SLA_URGENCY.get(states[i], 9), confidence[i], i))
    ids = frame[fields["ticket_id"]].tolist() if "ticket_id" in fields else [None] * rows
    subjects = frame[fields["subject"]].tolist() if "subject" in fields else [""] * rows
    texts = frame[fields["text"]].tolist() if "text" in fields else [""] * rows
    out = []
    for i in chosen[:limit]:
        summary = text_value(subjects[i]).strip() or " ".join(text_value(texts[i]).split())
        summary = summary if len(summary) <= 140 else summary[:139] + "…"
        if config.mask_personal_data:
            summary = mask_personal_data(summary)
        reasons = listed(frame["reasons"].iloc[i], "reasons")
        fired = listed(frame["rules_fired"].iloc[i], "rules_fired") if "rules_fired" in frame.columns else None
        out.append(
            ReviewRow(
                ticket_id=ticket_id_text(ids[i]) or f"row {i + 1}",
                priority=priorities[i],
                tier=tiers[i],
                escalate=escalate[i],
                needs_review=review[i],
                sla_state=states[i].replace("_", " "),
                summary=summary,
                reason=_main_reason(reasons, fired),
            )
        )
    return out, len(chosen)


# ---------------------------------------------------------------------------------------------
# rendering and writing


def render_report(data: ReportData) -> str:
    folder = Path(str(resources.files("triage") / "templates"))
    env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)
    return env.get_template("report.html.j2").render(r=data, priority_colours=PRIORITY_COLOURS)


def default_report_path(scored: Path) -> Path:
    return sibling_path(scored, "report", ".html")


def report_file(
    scored: str | Path,
    output: str | Path | None = None,
    config: Config | str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    source: str = "auto",
    title: str | None = None,
    review_rows: int = 50,
    calendar: str | None = None,
    encoding: str = "utf-8-sig",
) -> tuple[Path, ReportData]:
    """Read a scored file and write its HTML report; returns where it went and what it holds."""
    if review_rows < 1:
        raise InputError(f"--review-rows must be 1 or more; got {review_rows}.")
    settings = config if isinstance(config, Config) else load_config(config)
    scored = Path(scored)
    tickets = read_tickets(scored, source, {**settings.columns, **(columns or {})}, encoding=encoding)
    data = build_report(tickets.frame, tickets.fields, settings, tickets.message, title or f"Ticket triage report: {scored.name}", review_rows, calendar)
    target = Path(output) if output is not None else default_report_path(scored)
    if target.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"The report is an HTML page; '{target}' should end in .html.")
    write_atomically(target, render_report(data))
    return target, data


__all__ = ["ReportData", "bar_chart", "build_report", "line_chart", "render_report", "report_file"]
