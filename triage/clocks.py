"""A ticket's SLA clocks from its export fields: which targets run, on which calendar, how far along.

Two clocks per ticket, as the policy's SLA matrix sets them for the ticket's final priority: first
response (stops when the export records a first reply) and resolution (stops when the ticket is
resolved). The one further along is the ticket's SLA reading. A status in ``pause_statuses`` (the
customer has to answer) pauses the clocks from the ticket's last update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .config import Config
from .sla import ClockReading, parse_timestamp, read_clock

CLOCK_FIELDS = ("created_at", "status", "first_response_at", "resolved_at", "updated_at", "team")


@dataclass(frozen=True)
class SlaStatus:
    clock: str  # "first response" or "resolution"
    calendar: str
    reading: ClockReading
    resolved: bool

    def describe(self) -> str:
        r = self.reading
        return (
            f"{self.clock} SLA {r.percent:g}% elapsed ({_duration(r.elapsed_seconds)} of {_duration(r.target_seconds)} "
            f"on the '{self.calendar}' calendar, due {r.due_at:%Y-%m-%d %H:%M} UTC)"
        )


def _duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


@dataclass(frozen=True)
class ClockInputs:
    created_at: object
    status: str = ""
    first_response_at: object = None
    resolved_at: object = None
    updated_at: object = None
    team: str = ""


class ClockProblem(ValueError):
    """A timestamp the SLA clock cannot read; the message names the field and value."""


def sla_status(inputs: ClockInputs, priority: str, customer_tier: str, as_of: datetime, config: Config) -> SlaStatus | None:
    """The SLA reading for one ticket, or None when it has no creation time or no target."""
    settings = config.sla_clock
    target = config.sla.get(priority)
    if target is None or _blank(inputs.created_at):
        return None
    name = settings.calendar_for(priority, customer_tier, inputs.team)
    calendar = settings.calendars[name]
    created = _time(inputs.created_at, "created_at", calendar.timezone)
    status = inputs.status.strip().casefold()
    resolved_at = None if _blank(inputs.resolved_at) else _time(inputs.resolved_at, "resolved_at", calendar.timezone)
    resolved = status in settings.resolved_statuses or resolved_at is not None
    pauses = []
    if status in settings.pause_statuses:
        since = created if _blank(inputs.updated_at) else _time(inputs.updated_at, "updated_at", calendar.timezone)
        pauses.append((since, None))
    readings = []
    responded = None if _blank(inputs.first_response_at) else _time(inputs.first_response_at, "first_response_at", calendar.timezone)
    if responded is None and not resolved:
        readings.append(("first response", read_clock(calendar, created, as_of, target.first_response * 60, at_risk=settings.at_risk, pauses=pauses)))
    end = min(as_of, resolved_at) if resolved_at is not None else as_of
    readings.append(("resolution", read_clock(calendar, created, end, target.resolution * 60, at_risk=settings.at_risk, pauses=pauses)))
    clock, reading = max(readings, key=lambda item: item[1].fraction)
    return SlaStatus(clock, name, reading, resolved)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def _time(value: object, field: str, timezone: str) -> datetime:
    parsed = parse_timestamp(value, timezone)
    if parsed is None:
        raise ClockProblem(f"{field} {str(value)!r} is not a time the SLA clock can read")
    return parsed
