"""Properties of business-time arithmetic (triage/sla.py) over generated calendars and instants.

The calendars mix zones with daylight saving (New York, Berlin, Lord Howe's half-hour shift,
Santiago in the southern hemisphere), zones without (Kolkata's +05:30, UTC), split days, empty
days, explicit and national holidays. Instants fall in 2023-2025, often on whole minutes so that
window edges and clock changes are hit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import holidays as holiday_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.sla import BusinessCalendar, read_clock

MICRO = timedelta(microseconds=1)
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]
FIRST = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
LAST = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())

checked = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def days(draw) -> tuple[tuple[int, int], ...]:
    """One day's windows: an even number of distinct minute marks, paired in order."""
    marks = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
    marks = marks[: len(marks) // 2 * 2]
    return tuple((marks[i] * 60, marks[i + 1] * 60) for i in range(0, len(marks), 2))


@st.composite
def calendars(draw) -> BusinessCalendar:
    weekly = tuple(draw(days()) for _ in range(7))
    if not any(weekly):
        weekly = (((9 * 3600, 17 * 3600),),) * 5 + ((), ())
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        weekly=draw(st.sampled_from([weekly, (((0, 86400),),) * 7])),
        holidays=frozenset(draw(st.lists(st.dates(date(2023, 1, 1), date(2025, 12, 31)), max_size=8))),
        country_holidays=draw(st.sampled_from([None, None, "US", "DE"])),
    )


def on_minutes() -> st.SearchStrategy[datetime]:
    return st.integers(FIRST // 60, LAST // 60).map(lambda minute: datetime.fromtimestamp(minute * 60, UTC))


def anywhere() -> st.SearchStrategy[datetime]:
    exact = st.integers(FIRST * 10**6, LAST * 10**6).map(lambda us: datetime(1970, 1, 1, tzinfo=UTC) + us * MICRO)
    return st.one_of(on_minutes(), exact)


def micro(seconds: float) -> int:
    """Business seconds back to whole microseconds, where sums are exact."""
    return round(seconds * 1_000_000)


def near(start: datetime, span: int) -> st.SearchStrategy[datetime]:
    """An instant up to ``span`` minutes after ``start``, on a whole minute."""
    return st.integers(0, span).map(lambda minutes: start + timedelta(minutes=minutes))


@checked
@given(calendars(), anywhere(), st.data())
def test_additive_over_adjacent_intervals(calendar, a, data):
    b = data.draw(st.one_of(near(a, 3 * 1440), near(a, 400 * 1440)))
    c = data.draw(st.one_of(near(b, 3 * 1440), near(b, 400 * 1440)))
    whole, parts = calendar.open_seconds(a, c), (calendar.open_seconds(a, b), calendar.open_seconds(b, c))
    assert micro(whole) == micro(parts[0]) + micro(parts[1])
    if a.microsecond == 0:  # whole seconds add exactly as floats too
        assert whole == parts[0] + parts[1]


@checked
@given(calendars(), anywhere(), st.data())
def test_never_more_than_wall_clock_time(calendar, start, data):
    end = data.draw(st.one_of(near(start, 3 * 1440), near(start, 400 * 1440)))
    assert 0 <= calendar.open_seconds(start, end) <= (end - start).total_seconds()
    if end > start:
        assert calendar.open_seconds(end, start) == 0


@checked
@given(calendars(), anywhere())
def test_closed_stretch_counts_nothing(calendar, moment):
    if calendar.is_open(moment):
        return
    opening = calendar.add_open_time(moment, 1e-6) - MICRO  # first open microsecond after moment
    assert opening >= moment
    assert calendar.open_seconds(moment, opening) == 0
    assert calendar.is_open(opening)


@checked
@given(calendars(), anywhere())
def test_is_open_agrees_with_open_seconds(calendar, moment):
    assert calendar.is_open(moment) == (calendar.open_seconds(moment, moment + MICRO) == 1e-6)


@checked
@given(calendars(), anywhere(), st.data())
def test_elapsed_never_decreases_as_time_moves_on(calendar, start, data):
    earlier = data.draw(near(start - timedelta(days=1), 5 * 1440))
    later = data.draw(near(earlier, 5 * 1440))
    pauses = data.draw(st.lists(st.tuples(near(start, 4 * 1440), st.none() | st.integers(0, 600)), max_size=3))
    pauses = [(begin, None if length is None else begin + timedelta(minutes=length)) for begin, length in pauses]
    first = read_clock(calendar, start, earlier, 4 * 3600, pauses=pauses)
    second = read_clock(calendar, start, later, 4 * 3600, pauses=pauses)
    assert first.elapsed_seconds <= second.elapsed_seconds
    assert calendar.open_seconds(start, earlier) <= calendar.open_seconds(start, later)


@checked
@given(calendars(), anywhere(), st.integers(0, 21 * 86400))
def test_add_open_time_inverts_open_seconds(calendar, start, seconds):
    due = calendar.add_open_time(start, seconds)
    assert calendar.open_seconds(start, due) == seconds
    if seconds:  # and it is the first such instant
        assert calendar.open_seconds(start, due - MICRO) < seconds


@checked
@given(calendars(), anywhere(), st.integers(0, 10 * 86400 * 10**6))
def test_add_open_time_inverts_open_seconds_to_the_microsecond(calendar, start, microseconds):
    amount = microseconds / 1_000_000
    assert calendar.open_seconds(start, calendar.add_open_time(start, amount)) == amount


def oracle_open_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Minute by minute with zoneinfo alone: open when the local wall clock is inside a window.

    Zones, windows and clock changes here all fall on whole minutes, so a minute is open or
    closed as a whole.
    """
    zone = ZoneInfo(calendar.timezone)
    closed = set(calendar.holidays)
    if calendar.country_holidays:
        closed |= set(holiday_tables.country_holidays(calendar.country_holidays, years=range(2022, 2028)))
    total = 0
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        second = local.hour * 3600 + local.minute * 60
        if local.date() not in closed and any(a <= second < b for a, b in calendar.weekly[local.weekday()]):
            total += 60
        moment += timedelta(minutes=1)
    return total


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(), on_minutes(), st.integers(0, 36 * 60))
def test_matches_a_minute_by_minute_count(calendar, start, minutes):
    end = start + timedelta(minutes=minutes)
    assert calendar.open_seconds(start, end) == oracle_open_seconds(calendar, start, end)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendars(),
    st.sampled_from(["2023-03-26", "2023-10-29", "2024-03-10", "2024-11-03", "2024-10-06", "2024-04-07", "2024-09-08"]),
    st.integers(-12 * 60, 12 * 60),
    st.integers(0, 30 * 60),
)
def test_matches_the_minute_count_around_clock_changes(calendar, day, shift, minutes):
    """Clock-change days of Berlin, New York, Lord Howe and Santiago, where counting goes wrong first."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(minutes=shift)
    end = start + timedelta(minutes=minutes)
    assert calendar.open_seconds(start, end) == oracle_open_seconds(calendar, start, end)


@checked
@given(st.integers(0, 10**12), st.integers(1, 10**11), st.sampled_from([0.5, 0.7, 0.75, 0.8, 0.9, 1.0]))
def test_percent_and_escalation_are_exact(elapsed_us, target_us, at_risk):
    """On a 24/7 clock elapsed time is wall time, so any microsecond ratio can be set up."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    reading = read_clock(BusinessCalendar(), start, start + elapsed_us * MICRO, target_us / 1_000_000, at_risk=at_risk)
    share = Fraction(elapsed_us, target_us)
    assert reading.percent == float(round(share * 100, 2))
    assert reading.escalate == (share >= Fraction(str(at_risk)))
    assert reading.state == ("breached" if share >= 1 else "at_risk" if reading.escalate else "ok")
