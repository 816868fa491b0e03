"""The escalation policy's metrics, measured on an export with history (or on a scored file).

Definitions (docs/metrics.md explains them with examples):

* **Escalated**: read from the first record the file has: an ``escalated`` yes/no column; an
  ``escalated_at`` time (escalated when it holds a readable time; other values are reported);
  tags (``escalate``, ``escalated``, ``escalation``, or triage's own ``triage_escalated``) when any
  ticket carries one; Zendesk's ``group_stations`` (the ticket passed through two groups or more);
  and, for a file scored by triage that records none of these, triage's ``escalate`` decision.
* **Tier**: the tier a ticket *started at* when the file records it: an ``initial_tier`` column,
  an initial group (``initial_group`` ...) through ``[queue_tiers]`` and ``[writeback.groups]``, or,
  for triage's own decisions in a scored file, ``model_tier`` (the classifier's tier before the
  policy rules). Otherwise the tier it *ended at*, and the output says so: an export tier column
  (``support_tier``, ``tier`` in an unscored file ...); else its group; else a ``triage_tier_N``
  tag (the highest when there are several); else triage's ``tier`` in a scored file; else "unknown".
* **Resolved**: a resolution time (``resolved_at``, ``solved_at``, ...) or a status in
  ``[sla_clock] resolved_statuses``.
* **Escalation rate per tier**: escalated tickets / tickets, among the tickets of the tier.
* **Time from creation to escalation**: ``escalated_at - created_at``, median and mean in hours.
* **Resolution time after escalation**: ``resolved_at - escalated_at`` of escalated, resolved
  tickets. Where escalations are triage's decisions, triage escalates on arrival, so the time
  runs from creation (and time to escalation is not measured).
* **Escalation-to-resolution ratio**: escalated tickets / resolved tickets.
* **CSAT after escalation**: satisfied ratings / ratings given, for escalated tickets (and, to
  compare, the others). Satisfied: good (Zendesk), satisfied / happy / awesome words, 4-5 on a
  1-5 scale, 8-10 on a 0-10 scale. The scale is the column's: a 0 or a number above 5 anywhere in
  it makes it 0-10. Offered-but-unanswered counts as no rating.
* **First-contact resolution per tier**: tickets resolved at first contact / resolved tickets of
  the tier. At first contact: resolved, not escalated, the customer's first contact about the issue
  (contact count 1 or unknown), never reopened, at most one agent reply (where the export says).

Hours are calendar hours unless a business calendar is named (``--calendar``, or ``[sla_clock]
calendar``): then only that calendar's opening hours count (:class:`triage.sla.BusinessCalendar`).
Times without an offset are read in that calendar's time zone (UTC for the ``always`` calendar).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .adapters import read_tickets, split_tags
from .columns import normalise_name, parse_count, parse_flag, text_value, ticket_id_text
from .config import TIERS, Config, load_config
from .errors import InputError
from .scored import flag, is_scored, tag, tier_number, tier_tags
from .sla import BusinessCalendar, parse_timestamp

ESCALATION_TAGS = frozenset({"escalated", "escalation", "escalate"})
_UNRATED = frozenset({"", "offered", "unoffered", "not offered", "none", "n/a", "na", "-", "no rating", "not rated"})
_UNSATISFIED_WORDS = ("not satisfied", "dissatisfied", "unsatisfied", "unhappy", "not good", "bad", "poor", "negative", "neutral", "just okay", "okay", "ok", "terrible", "awful")
_SATISFIED_WORDS = ("good", "satisfied", "happy", "awesome", "great", "excellent", "positive", "very good", "amazing")


@dataclass(frozen=True)
class TierFigures:
    tier: str  # "1" .. "4", "unknown" or "all"
    tickets: int
    escalated: int
    resolved: int
    first_contact_resolved: int

    @property
    def escalation_rate(self) -> float | None:
        return self.escalated / self.tickets if self.tickets else None

    @property
    def first_contact_resolution(self) -> float | None:
        return self.first_contact_resolved / self.resolved if self.resolved else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "escalation_rate": _round(self.escalation_rate), "first_contact_resolution": _round(self.first_contact_resolution)}


@dataclass(frozen=True)
class Durations:
    """Hours between two events over the tickets that have both."""

    count: int
    median_hours: float | None
    mean_hours: float | None

    @classmethod
    def of(cls, hours: list[float]) -> Durations:
        if not hours:
            return cls(0, None, None)
        return cls(len(hours), round(statistics.median(hours), 4), round(statistics.fmean(hours), 4))

    def text(self) -> str:
        if not self.count:
            return "-"
        return f"median {_hours(self.median_hours)}, mean {_hours(self.mean_hours)} over {self.count} ticket(s)"


@dataclass(frozen=True)
class Satisfaction:
    rated: int
    satisfied: int

    @property
    def csat(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    def text(self) -> str:
        return f"{self.csat:.0%} satisfied ({self.satisfied} of {self.rated} rated)" if self.rated else "no ratings"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "csat": _round(self.csat)}


@dataclass
class EscalationMetrics:
    source: str
    tickets: int
    escalations_from: str
    tiers_from: str
    clock: str
    tiers: list[TierFigures]
    overall: TierFigures
    time_to_escalation: Durations | None  # None: the file records no escalation times
    resolution_after_escalation: Durations | None
    escalated_unresolved: int
    satisfaction_escalated: Satisfaction | None  # None: no satisfaction column
    satisfaction_not_escalated: Satisfaction | None
    notes: list[str] = field(default_factory=list)
    tiers_at: str = "end"  # "start": tickets count under the tier they started at; "end": the tier they ended at

    @property
    def escalation_to_resolution_ratio(self) -> float | None:
        return self.overall.escalated / self.overall.resolved if self.overall.resolved else None

    def lines(self) -> list[str]:
        out = [
            f"{self.tickets} tickets; {self.source}",
            f"escalations from   {self.escalations_from}",
            f"tiers from         {self.tiers_from}",
            f"clock              {self.clock}",
            "",
            f"{'tier':<8}{'tickets':>8}{'escalated':>11}{'escalation rate':>17}{'resolved':>10}{'first-contact resolved':>24}{'FCR':>6}",
        ]
        for row in [*self.tiers, self.overall]:
            out.append(
                f"{row.tier:<8}{row.tickets:>8}{row.escalated:>11}{_pct(row.escalation_rate):>17}{row.resolved:>10}"
                f"{row.first_contact_resolved:>24}{_pct(row.first_contact_resolution):>6}"
            )
        ratio = self.escalation_to_resolution_ratio
        out += [
            "",
            "time from creation to escalation  "
            + (self.time_to_escalation.text() if self.time_to_escalation is not None else "- (no escalation time in the file)"),
            "resolution time after escalation  "
            + (
                self.resolution_after_escalation.text()
                + (f"; {self.escalated_unresolved} escalated ticket(s) not resolved" if self.escalated_unresolved else "")
                if self.resolution_after_escalation is not None
                else "- (no resolution or escalation times)"
            ),
            "escalation-to-resolution ratio    "
            + (f"{ratio:.2f} ({self.overall.escalated} escalated / {self.overall.resolved} resolved)" if ratio is not None else "- (nothing resolved)"),
            "CSAT after escalation             "
            + (
                f"{self.satisfaction_escalated.text()}; not escalated: {self.satisfaction_not_escalated.text()}"
                if self.satisfaction_escalated is not None and self.satisfaction_not_escalated is not None
                else "- (no satisfaction column)"
            ),
        ]
        out += [f"note: {note}" for note in self.notes]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "tickets": self.tickets,
            "escalations_from": self.escalations_from,
            "tiers_from": self.tiers_from,
            "clock": self.clock,
            "tiers_at": self.tiers_at,
            "tiers": [row.to_dict() for row in self.tiers],
            "overall": self.overall.to_dict(),
            "time_to_escalation": asdict(self.time_to_escalation) if self.time_to_escalation else None,
            "resolution_after_escalation": asdict(self.resolution_after_escalation) if self.resolution_after_escalation else None,
            "escalated_unresolved": self.escalated_unresolved,
            "escalation_to_resolution_ratio": _round(self.escalation_to_resolution_ratio),
            "satisfaction_escalated": self.satisfaction_escalated.to_dict() if self.satisfaction_escalated else None,
            "satisfaction_not_escalated": self.satisfaction_not_escalated.to_dict() if self.satisfaction_not_escalated else None,
            "notes": list(self.notes),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


# ---------------------------------------------------------------------------------------------


def _rating_number(value: object) -> float | None:
    text = text_value(value).strip()
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def rating_scale(values: object) -> int:
    """The scale of a column of numeric ratings: 10 (0-10) when any is 0 or above 5, else 5 (1-5)."""
    numbers = [n for n in map(_rating_number, values) if n is not None]
    return 10 if any(n == 0 or n > 5 for n in numbers) else 5


def satisfied(value: object, scale: int | None = None) -> bool | None:
    """Whether a satisfaction rating is a satisfied one; None when no rating was given.

    Numbers are read on ``scale`` (5: 1-5, satisfied from 4; 10: 0-10, satisfied from 8), which is
    the whole column's (:func:`rating_scale`); without one, the value alone decides. Raises
    ValueError for a value that is neither a known word nor a number on the scale."""
    text = text_value(value).strip().casefold()
    if text in _UNRATED:
        return None
    number = _rating_number(text)
    if number is not None:
        scale = scale or rating_scale([number])
        if scale == 5 and 1 <= number <= 5:
            return number >= 4
        if scale == 10 and 0 <= number <= 10:
            return number >= 8
        raise ValueError(text)
    if any(text == w or text.startswith(w + " ") or f" {w}" in f" {text}" for w in _UNSATISFIED_WORDS):
        return False
    if any(w in text for w in _SATISFIED_WORDS):
        return True
    raise ValueError(text)


def metrics_calendar(config: Config, calendar: str | None = None) -> tuple[str, BusinessCalendar]:
    """The calendar the metrics count hours on (and read zone-less times in): ``calendar``, else
    ``[sla_clock] calendar``."""
    name = calendar or config.sla_clock.calendar
    if name not in config.sla_clock.calendars:
        raise InputError(f"Calendar {name!r} is not defined; defined calendars: {', '.join(sorted(config.sla_clock.calendars))}.")
    return name, config.sla_clock.calendars[name]


@dataclass
class _Reader:
    """Per-row readings of one frame, with notes on what could not be read."""

    frame: pd.DataFrame
    fields: Mapping[str, str]
    timezone: str
    labels: list[str]
    notes: list[str] = field(default_factory=list)
    _times: dict[str, list[datetime | None]] = field(default_factory=dict)

    def column(self, name: str) -> list | None:
        column = self.fields.get(name)
        return None if column is None else self.frame[column].tolist()

    def times(self, name: str, unreadable: str = "left out of the times") -> list[datetime | None]:
        """A time column parsed (times without an offset in the calendar's zone); the first call
        notes the unreadable values, saying ``unreadable`` happens to them."""
        if name in self._times:
            return self._times[name]
        values = self.column(name)
        if values is None:
            return [None] * len(self.frame)
        out, bad = [], []
        for label, value in zip(self.labels, values):
            try:
                parsed = parse_timestamp(value, self.timezone)
            except (ValueError, OverflowError):
                parsed = None
            if parsed is None and text_value(value).strip():
                bad.append(f"{label} {text_value(value)!r}")
            out.append(parsed)
        if bad:
            self.notes.append(f"{len(bad)} unreadable {self.fields[name]} value(s) {unreadable} (e.g. {', '.join(bad[:3])})")
        self._times[name] = out
        return out

    def counts(self, name: str) -> list[float]:
        """A count column (nan where blank or unreadable)."""
        out = []
        for value in self.column(name) or [None] * len(self.frame):
            try:
                out.append(parse_count(value))
            except ValueError:
                out.append(math.nan)
        return out


def compute_metrics(
    frame: pd.DataFrame,
    fields: Mapping[str, str],
    config: Config | None = None,
    calendar: str | None = None,
    source: str = "",
) -> EscalationMetrics:
    """The metrics of one export (a frame of text cells, ``fields`` from :func:`triage.columns.resolve_columns`)."""
    config = config or load_config()
    name, cal = metrics_calendar(config, calendar)
    rows = len(frame)
    ids = [ticket_id_text(v) for v in frame[fields["ticket_id"]]] if "ticket_id" in fields else [""] * rows
    labels = [f"ticket {tid}" if tid else f"row {i + 1}" for i, tid in enumerate(ids)]
    reader = _Reader(frame, fields, cal.timezone, labels)
    scored = is_scored(list(frame.columns))

    escalated, escalations_from, from_triage = _escalations(reader, scored, config)
    tiers, tiers_from, tiers_at = _tiers(reader, scored, from_triage, config)
    created = reader.times("created_at")
    resolved_at = reader.times("resolved_at")
    escalated_at = reader.times("escalated_at") if "escalated_at" in fields else None
    statuses = [text_value(v).strip().casefold() for v in reader.column("status") or [""] * rows]
    resolved = [resolved_at[i] is not None or statuses[i] in config.sla_clock.resolved_statuses for i in range(rows)]
    first_contact = _first_contact(reader, resolved, escalated)

    def hours(start: datetime | None, end: datetime | None, what: str, label: str, bad: list[str]) -> float | None:
        if start is None or end is None:
            return None
        if end < start:
            bad.append(f"{label} ({what})")
            return None
        return cal.open_seconds(start, end) / 3600

    to_escalation: list[float] = []
    after_escalation: list[float] = []
    backwards: list[str] = []
    starts = escalated_at if escalated_at is not None else (created if from_triage else None)
    for i in range(rows):
        if not escalated[i]:
            continue
        if escalated_at is not None:
            value = hours(created[i], escalated_at[i], "escalated before it was created", labels[i], backwards)
            if value is not None:
                to_escalation.append(value)
        if starts is not None:
            value = hours(starts[i], resolved_at[i], "resolved before it was escalated", labels[i], backwards)
            if value is not None:
                after_escalation.append(value)
    if backwards:
        reader.notes.append(f"{len(backwards)} time(s) run backwards and were left out: {', '.join(backwards[:3])}")
    if from_triage and "created_at" in fields and "resolved_at" in fields:
        reader.notes.append("triage escalates when a ticket arrives, so resolution after escalation is measured from creation")

    figures = []
    order = [str(t) for t in TIERS] + (["unknown"] if "unknown" in tiers else [])
    for tier in order:
        members = [i for i in range(rows) if tiers[i] == tier]
        if members:  # a tier no ticket ended at has no rates to show
            figures.append(_figures(tier, members, escalated, resolved, first_contact))
    overall = _figures("all", list(range(rows)), escalated, resolved, first_contact)

    sat_escalated = sat_other = None
    ratings = reader.column("satisfaction")
    if ratings is not None:
        readings, bad = [], []
        scale = rating_scale(v for v in ratings if text_value(v).strip().casefold() not in _UNRATED)
        for label, value in zip(labels, ratings):
            try:
                readings.append(satisfied(value, scale))
            except ValueError:
                bad.append(f"{label} {text_value(value)!r}")
                readings.append(None)
        if bad:
            reader.notes.append(f"{len(bad)} satisfaction value(s) not understood, counted as no rating (e.g. {', '.join(bad[:3])})")
        sat_escalated = _satisfaction([r for r, e in zip(readings, escalated) if e])
        sat_other = _satisfaction([r for r, e in zip(readings, escalated) if not e])

    clock = f"calendar hours ('{name}' calendar)" if cal.around_the_clock else f"business hours of the '{name}' calendar ({cal.timezone})"
    return EscalationMetrics(
        source=source or f"{rows} rows",
        tickets=rows,
        escalations_from=escalations_from,
        tiers_from=tiers_from,
        clock=clock,
        tiers=figures,
        overall=overall,
        time_to_escalation=Durations.of(to_escalation) if escalated_at is not None else None,
        resolution_after_escalation=Durations.of(after_escalation) if starts is not None and "resolved_at" in fields else None,
        escalated_unresolved=sum(1 for i in range(rows) if escalated[i] and not resolved[i]),
        satisfaction_escalated=sat_escalated,
        satisfaction_not_escalated=sat_other,
        notes=reader.notes,
        tiers_at=tiers_at,
    )


def _figures(tier: str, members: list[int], escalated: list[bool], resolved: list[bool], first_contact: list[bool]) -> TierFigures:
    return TierFigures(
        tier=tier,
        tickets=len(members),
        escalated=sum(escalated[i] for i in members),
        resolved=sum(resolved[i] for i in members),
        first_contact_resolved=sum(first_contact[i] for i in members),
    )


def _satisfaction(readings: list[bool | None]) -> Satisfaction:
    rated = [r for r in readings if r is not None]
    return Satisfaction(rated=len(rated), satisfied=sum(rated))


def _escalations(reader: _Reader, scored: bool, config: Config) -> tuple[list[bool], str, bool]:
    """Per-row escalated flags, where they came from, and whether they are triage's decisions."""
    fields = reader.fields
    if "escalated" in fields:
        out, bad = [], []
        for label, value in zip(reader.labels, reader.column("escalated")):
            try:
                out.append(bool(parse_flag(value)))
            except ValueError:
                bad.append(f"{label}: {text_value(value)!r}")
        if bad:
            raise InputError(
                f"Column '{fields['escalated']}' must hold yes/no, true/false or 1/0; found {', '.join(bad[:5])}. "
                "Fix those cells, or map another column with --column escalated=COLUMN."
            )
        return out, f"the '{fields['escalated']}' column", False
    if "escalated_at" in fields:
        times = reader.times("escalated_at", "are not times and count as not escalated")
        return [t is not None for t in times], f"the '{fields['escalated_at']}' column (escalated when it holds a time)", False
    if "tags" in fields:
        own = tag("escalated", config.writeback.tag_prefix)
        names = {*ESCALATION_TAGS, own}
        tagged = [any(t.casefold() in names for t in split_tags(v)) for v in reader.column("tags")]
        if any(tagged):
            return tagged, f"the '{fields['tags']}' column (tags {', '.join(sorted(ESCALATION_TAGS))} or {own})", False
    if "group_stations" in fields:
        stations = reader.counts("group_stations")
        if any(not math.isnan(s) for s in stations):
            return [s >= 2 for s in stations], f"the '{fields['group_stations']}' column (two groups or more)", False
    if scored:
        return [flag(v) for v in reader.frame["escalate"]], "triage's decisions (the escalate column of a scored file)", True
    columns = ", ".join(map(str, reader.frame.columns))
    present = [fields[k] for k in ("tags", "group_stations") if k in fields]
    found = (
        f"its {' and '.join(repr(c) for c in present)} column(s) hold no escalation (no escalated tag, no ticket in two groups), "
        "and it has no escalated, escalated_at or triage escalate column"
        if present
        else "none of the columns escalated, escalated_at, tags (with 'escalated'), group_stations, nor triage's escalate "
        "column is in the file"
    )
    raise InputError(
        f"The file records no escalations: {found} (columns found: {columns}). Map one with --column escalated=COLUMN, "
        "or score the file first (triage score INPUT -o scored.csv) to measure triage's own decisions."
    )


def _tiers(reader: _Reader, scored: bool, from_triage: bool, config: Config) -> tuple[list[str], str, str]:
    """Per-row tiers ("1".."4" or "unknown"), where they came from, and "start" or "end": the tier
    a ticket started at when the file records one, else the tier it ended at."""
    start = _start_tiers(reader, scored, from_triage, config)
    if start is not None:
        return start[0], f"the tier each ticket started at: {start[1]}", "start"
    tiers, where = _end_tiers(reader, scored, from_triage, config)
    if any(t != "unknown" for t in tiers):
        start_columns = "an initial_tier or initial_group column" + (", or a scored file's model_tier" if scored and from_triage else "")
        reader.notes.append(
            f"tickets count under the tier they ended at, as the file records no start tier ({start_columns}); an escalated "
            "ticket ends above where it started, so the upper tiers' escalation rates lean high"
        )
        return tiers, f"the tier each ticket ended at: {where}", "end"
    return tiers, where, "end"


def _tier_column(reader: _Reader, column: str) -> list[str]:
    values = reader.frame[column].tolist()
    numbers = [tier_number(v) for v in values]
    bad = [f"{label} {text_value(v)!r}" for label, v, n in zip(reader.labels, values, numbers) if n is None and text_value(v).strip()]
    if bad:
        reader.notes.append(f"{len(bad)} {column} value(s) are not tiers 1-4 and count as unknown (e.g. {', '.join(bad[:3])})")
    return [str(n) if n else "unknown" for n in numbers]


def _group_tiers(reader: _Reader, column: str, config: Config) -> list[str]:
    groups = {k.casefold(): v for k, v in config.queue_tiers.items()}
    groups.update({config.group_for_tier(t).casefold(): t for t in TIERS})
    mapped = [groups.get(text_value(v).strip().casefold()) for v in reader.frame[column]]
    return [str(t) if t else "unknown" for t in mapped]


def _start_tiers(reader: _Reader, scored: bool, from_triage: bool, config: Config) -> tuple[list[str], str] | None:
    fields = reader.fields
    if "initial_tier" in fields:
        return _tier_column(reader, fields["initial_tier"]), f"the '{fields['initial_tier']}' column"
    if "initial_team" in fields:
        tiers = _group_tiers(reader, fields["initial_team"], config)
        if any(t != "unknown" for t in tiers):
            return tiers, f"the '{fields['initial_team']}' column through [queue_tiers] and [writeback.groups]"
    if scored and from_triage and "model_tier" in reader.frame.columns:
        return _tier_column(reader, "model_tier"), "triage's classifier (the model_tier column: its tier before the policy rules)"
    return None


def _end_tiers(reader: _Reader, scored: bool, from_triage: bool, config: Config) -> tuple[list[str], str]:
    """A scored file's tier column is triage's decision: it counts only when the escalations are
    triage's too (with escalations from the export's history it would mix two sources)."""
    fields, frame, rows = reader.fields, reader.frame, len(reader.frame)
    column = fields.get("support_tier")
    if column is None and not scored:
        column = next((c for c in frame.columns if normalise_name(c) == "tier"), None)
    if column is not None:
        return _tier_column(reader, column), f"the '{column}' column"
    if "team" in fields:
        tiers = _group_tiers(reader, fields["team"], config)
        if any(t != "unknown" for t in tiers):
            return tiers, f"the '{fields['team']}' column through [queue_tiers] and [writeback.groups]"
    if "tags" in fields:
        by_tag = tier_tags(config.writeback.tag_prefix)
        found, several = [], 0
        for value in frame[fields["tags"]]:
            tagged = [by_tag[t.casefold()] for t in split_tags(value) if t.casefold() in by_tag]
            several += len(set(tagged)) > 1
            # Several tier tags (left by write-backs before one that removed stale tags): the highest
            # counts, as the ticket was sent there at least once.
            found.append(str(max(tagged)) if tagged else "unknown")
        if any(t != "unknown" for t in found):
            if several:
                reader.notes.append(f"{several} ticket(s) carry several tier tags; the highest counts")
            return found, f"the '{fields['tags']}' column ({tag('tier_', config.writeback.tag_prefix)}_N tags)"
    if scored and from_triage:
        return _tier_column(reader, "tier"), "triage's decisions (the tier column of a scored file)"
    reader.notes.append("no tier column, group or tier tag: every ticket counts under tier 'unknown'")
    return ["unknown"] * rows, "none (no tier column)"


def _first_contact(reader: _Reader, resolved: list[bool], escalated: list[bool]) -> list[bool]:
    """Resolved at first contact: resolved, not escalated, first contact, never reopened, at most one agent reply."""
    rows = len(reader.frame)
    ok = [resolved[i] and not escalated[i] for i in range(rows)]
    if "contact_count" in reader.fields:
        ok = [o and not (c > 1) for o, c in zip(ok, reader.counts("contact_count"))]
    if "reopens" in reader.fields:
        ok = [o and not (r > 0) for o, r in zip(ok, reader.counts("reopens"))]
    if "agent_replies" in reader.fields:
        ok = [o and not (r > 1) for o, r in zip(ok, reader.counts("agent_replies"))]
    return ok


def metrics_from_file(
    path: str | Path,
    config: Config | str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    source: str = "auto",
    calendar: str | None = None,
    encoding: str = "utf-8-sig",
) -> EscalationMetrics:
    """Read an export (any format the adapters know) and compute its metrics."""
    settings = config if isinstance(config, Config) else load_config(config)
    tickets = read_tickets(path, source, {**settings.columns, **(columns or {})}, encoding=encoding)
    return compute_metrics(tickets.frame, tickets.fields, settings, calendar, source=tickets.message)


__all__ = [
    "Durations", "EscalationMetrics", "Satisfaction", "TierFigures", "compute_metrics", "metrics_calendar", "metrics_from_file",
    "rating_scale", "satisfied",
]
