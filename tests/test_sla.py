"""Business-hours SLA clocks (triage/sla.py): handed cases, hand-computed figures, errors.

Every expected figure below was worked out by hand from the calendar; the comment next to it
says how.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import handed_cases

from triage.errors import ConfigError
from triage.sla import BusinessCalendar, ClockReading, parse_timestamp, read_clock

HOUR = 3600
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

SLA_CASES = [case for case in handed_cases() if case["input"].get("mode") == "sla"]
SLA_TICKETS = [
    pytest.param(case, ticket, id=f"{case['id']}-{ticket['ticket_id']}")
    for case in SLA_CASES
    for ticket in case["input"]["tickets"]
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def office(**extra: object) -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 UTC, the calendar most tests below count on."""
    return BusinessCalendar.from_dict({"timezone": "UTC", "weekly": {"Mon-Fri": ["09:00-17:00"]}, **extra})


# ---- the handed acceptance cases


def test_handed_file_has_the_sla_cases():
    if not SLA_CASES:
        pytest.skip("../shared/cases/handed.jsonl is not next to the repository")
    assert {"TC43", "TC45", "TC47", "TC49"} <= {case["id"] for case in SLA_CASES}


@pytest.mark.parametrize(("case", "ticket"), SLA_TICKETS)
def test_handed_sla_case(case, ticket):
    calendar = BusinessCalendar.from_dict(case["input"]["business_hours"], where=f"{case['id']}.business_hours")
    target = case["input"]["sla_target_business_hours"] * HOUR
    started = parse_timestamp(ticket["created_at"], calendar.timezone)
    now = parse_timestamp(ticket["now"], calendar.timezone)
    assert started is not None and now is not None

    reading = read_clock(calendar, started, now, target)

    expected = case["expected"]["per_ticket"][ticket["ticket_id"]]
    assert reading.percent == expected["sla_elapsed_pct"]
    assert reading.escalate is expected["sla_escalated"]


def test_tc45_midnight_is_counted_and_80_percent_escalates_exactly():
    calendar = BusinessCalendar.from_dict({"timezone": "UTC", "weekly": {"Mon-Sun": ["00:00-23:59"]}})
    assert calendar.always_open
    reading = read_clock(calendar, utc(2024, 6, 10, 23, 30), utc(2024, 6, 11, 0, 18), HOUR)
    assert reading == ClockReading(
        elapsed_seconds=2880.0,  # 30 min before midnight + 18 after
        target_seconds=3600.0,
        fraction=0.8,
        percent=80.0,
        due_at=utc(2024, 6, 11, 0, 30),
        state="at_risk",
        escalate=True,
    )
    just_before = read_clock(calendar, utc(2024, 6, 10, 23, 30), utc(2024, 6, 11, 0, 17, 59), HOUR)
    assert just_before.escalate is False and just_before.state == "ok"


# ---- open_seconds: weekends, nights, lunch, holidays, 24/7


def test_weekend_is_not_counted():
    # Friday 16:00-17:00 and Monday 09:00-10:00
    assert office().open_seconds(utc(2024, 6, 7, 16), utc(2024, 6, 10, 10)) == 2 * HOUR


def test_overnight_gap_is_not_counted():
    # Tuesday 16:00-17:00 and Wednesday 09:00-10:00
    assert office().open_seconds(utc(2024, 6, 11, 16), utc(2024, 6, 12, 10)) == 2 * HOUR


def test_interval_inside_closed_time_counts_nothing():
    calendar = office()
    assert calendar.open_seconds(utc(2024, 6, 8, 0), utc(2024, 6, 10, 9)) == 0  # Saturday to Monday opening
    assert calendar.open_seconds(utc(2024, 6, 11, 17), utc(2024, 6, 12, 9)) == 0  # a night


def test_end_before_start_counts_nothing():
    assert office().open_seconds(utc(2024, 6, 11, 12), utc(2024, 6, 11, 10)) == 0


def test_lunch_break_is_not_counted():
    calendar = BusinessCalendar.from_dict({"timezone": "UTC", "weekly": {"Mon-Fri": ["09:00-13:00", "14:00-18:00"]}})
    # 12:00-13:00 and 14:00-15:00
    assert calendar.open_seconds(utc(2024, 6, 10, 12), utc(2024, 6, 10, 15)) == 2 * HOUR
    assert calendar.is_open(utc(2024, 6, 10, 12, 59, 59))
    assert not calendar.is_open(utc(2024, 6, 10, 13, 30))
    assert calendar.is_open(utc(2024, 6, 10, 14))


def test_weekly_calendar_with_a_saturday_window():
    calendar = BusinessCalendar.from_dict(
        {"timezone": "UTC", "weekly": {"Mon-Fri": ["09:00-17:00"], "Sat": ["10:00-14:00"]}}
    )
    # Friday 16:00-17:00, Saturday 10:00-14:00, Monday 09:00-10:00
    assert calendar.open_seconds(utc(2024, 6, 7, 16), utc(2024, 6, 10, 10)) == 6 * HOUR


def test_explicit_holiday_closes_the_whole_day():
    calendar = office(holidays=["2024-12-25"])
    # Tuesday 24 Dec 16:00-17:00, Christmas closed, Thursday 26 Dec 09:00-10:00
    assert calendar.open_seconds(utc(2024, 12, 24, 16), utc(2024, 12, 26, 10)) == 2 * HOUR
    assert not calendar.is_open(utc(2024, 12, 25, 12))
    assert office().open_seconds(utc(2024, 12, 24, 16), utc(2024, 12, 26, 10)) == 10 * HOUR


def test_holiday_given_as_a_toml_date():
    assert office(holidays=[date(2024, 12, 25)]).holidays == frozenset({date(2024, 12, 25)})


def test_country_holiday_closes_the_day():
    calendar = BusinessCalendar.from_dict(
        {"timezone": "America/New_York", "weekly": {"Mon-Fri": ["09:00-17:00"]}, "country_holidays": "US"}
    )
    # Wednesday 3 July 16:00-17:00, Independence Day closed, Friday 5 July 09:00-10:00 (all EDT)
    start = datetime(2024, 7, 3, 16, tzinfo=NEW_YORK)
    assert calendar.open_seconds(start, datetime(2024, 7, 5, 10, tzinfo=NEW_YORK)) == 2 * HOUR
    assert not calendar.is_open(datetime(2024, 7, 4, 12, tzinfo=NEW_YORK))
    assert calendar.add_open_time(start, 2 * HOUR) == utc(2024, 7, 5, 14)


def test_country_subdivision_holiday():
    # Corpus Christi (Thursday 30 May 2024) is a holiday in Bavaria, not in Berlin
    raw = {"timezone": "Europe/Berlin", "weekly": {"Mon-Fri": ["09:00-17:00"]}, "country_holidays": "DE"}
    bavaria = BusinessCalendar.from_dict({**raw, "subdivision": "BY"})
    berlin = BusinessCalendar.from_dict({**raw, "subdivision": "BE"})
    day = (datetime(2024, 5, 30, 0, tzinfo=BERLIN), datetime(2024, 5, 31, 0, tzinfo=BERLIN))
    assert bavaria.open_seconds(*day) == 0
    assert berlin.open_seconds(*day) == 8 * HOUR


def test_always_open_counts_across_midnight():
    calendar = BusinessCalendar.from_dict({"always_open": True})
    assert calendar.open_seconds(utc(2024, 6, 10, 23), utc(2024, 6, 11, 1)) == 2 * HOUR
    assert calendar.is_open(utc(2024, 6, 11, 0))
    assert calendar == BusinessCalendar()


def test_always_open_with_a_holiday():
    calendar = BusinessCalendar.from_dict({"always_open": True, "holidays": ["2024-12-25"]})
    assert calendar.open_seconds(utc(2024, 12, 24, 12), utc(2024, 12, 26, 12)) == 24 * HOUR


def test_a_year_of_a_real_calendar():
    calendar = BusinessCalendar.from_dict(
        {
            "timezone": "America/New_York",
            "weekly": {"Mon-Fri": ["09:00-13:00", "14:00-18:00"], "Sat": ["10:00-14:00"]},
            "country_holidays": "US",
        }
    )
    # 2024 local: 262 weekdays less 11 federal holidays (all on weekdays) at 8 h, 52 Saturdays at 4 h
    start, end = datetime(2024, 1, 1, tzinfo=NEW_YORK), datetime(2025, 1, 1, tzinfo=NEW_YORK)
    assert calendar.open_seconds(start, end) == (251 * 8 + 52 * 4) * HOUR


def test_a_year_takes_well_under_ten_milliseconds():
    calendar = BusinessCalendar.from_dict(
        {"timezone": "Europe/Berlin", "weekly": {"Mon-Fri": ["09:00-17:00"]}, "country_holidays": "DE"}
    )
    start, end = utc(2024, 1, 1), utc(2025, 1, 1)
    calendar.open_seconds(start, end)  # holiday tables and zone changes are read once
    began = time.perf_counter()
    for _ in range(20):
        calendar.open_seconds(start, end)
    assert (time.perf_counter() - began) / 20 < 0.010


# ---- daylight saving


@pytest.mark.parametrize("holidays", [[], ["2000-01-01"]], ids=["24/7 shortcut", "day by day"])
def test_new_york_spring_forward_day_is_23_hours(holidays):
    # a holiday far away turns off the 24/7 shortcut (end - start), so the day-by-day count is checked too
    raw = {"timezone": "America/New_York", "always_open": True, "holidays": holidays}
    calendar = BusinessCalendar.from_dict(raw)
    # Sunday 10 March 2024: 02:00 EST jumps to 03:00 EDT
    day = (datetime(2024, 3, 10, tzinfo=NEW_YORK), datetime(2024, 3, 11, tzinfo=NEW_YORK))
    assert calendar.open_seconds(*day) == 23 * HOUR
    assert calendar.add_open_time(day[0], 23 * HOUR) == day[1]


def test_new_york_window_across_the_jump_loses_the_skipped_hour():
    calendar = BusinessCalendar.from_dict({"timezone": "America/New_York", "weekly": {"Sun": ["01:00-04:00"]}})
    # the wall clock shows 01:00-02:00 EST, then 03:00-04:00 EDT: 2 real hours (06:00-07:00, 07:00-08:00 UTC)
    assert calendar.open_seconds(utc(2024, 3, 10, 0), utc(2024, 3, 11, 0)) == 2 * HOUR
    assert calendar.add_open_time(utc(2024, 3, 10, 0), 90 * 60) == utc(2024, 3, 10, 7, 30)


def test_new_york_business_hours_across_spring_forward():
    calendar = BusinessCalendar.from_dict({"timezone": "America/New_York", "weekly": {"Mon-Fri": ["09:00-18:00"]}})
    friday = datetime(2024, 3, 8, 17, tzinfo=NEW_YORK)  # 22:00 UTC (EST)
    monday = datetime(2024, 3, 11, 10, tzinfo=NEW_YORK)  # 14:00 UTC (EDT)
    assert calendar.open_seconds(friday, monday) == 2 * HOUR
    assert calendar.add_open_time(friday, 2 * HOUR) == utc(2024, 3, 11, 14)  # 10:00 EDT


def test_new_york_fall_back_day_is_25_hours():
    raw = {"timezone": "America/New_York", "weekly": {"Mon-Sun": ["00:00-24:00"]}, "holidays": ["2000-01-01"]}
    calendar = BusinessCalendar.from_dict(raw)
    # Sunday 3 November 2024: 02:00 EDT goes back to 01:00 EST
    assert (
        calendar.open_seconds(datetime(2024, 11, 3, tzinfo=NEW_YORK), datetime(2024, 11, 4, tzinfo=NEW_YORK))
        == 25 * HOUR
    )


def test_new_york_repeated_hour_is_open_twice():
    calendar = BusinessCalendar.from_dict({"timezone": "America/New_York", "weekly": {"Sun": ["01:00-02:00"]}})
    # 01:00-02:00 EDT (05:00-06:00 UTC) and again 01:00-02:00 EST (06:00-07:00 UTC)
    assert calendar.open_seconds(utc(2024, 11, 3, 0), utc(2024, 11, 4, 0)) == 2 * HOUR
    assert calendar.is_open(utc(2024, 11, 3, 6, 30))


def test_berlin_spring_forward_and_fall_back():
    raw = {"timezone": "Europe/Berlin", "weekly": {"Mon-Sun": ["00:00-23:59"]}, "holidays": ["2000-01-01"]}
    calendar = BusinessCalendar.from_dict(raw)
    # 31 March 2024: 02:00 CET -> 03:00 CEST; 27 October 2024: 03:00 CEST -> 02:00 CET
    assert calendar.open_seconds(datetime(2024, 3, 31, tzinfo=BERLIN), datetime(2024, 4, 1, tzinfo=BERLIN)) == 23 * HOUR
    assert (
        calendar.open_seconds(datetime(2024, 10, 27, tzinfo=BERLIN), datetime(2024, 10, 28, tzinfo=BERLIN)) == 25 * HOUR
    )


def test_berlin_business_hours_over_easter_and_the_clock_change():
    raw = {"timezone": "Europe/Berlin", "weekly": {"Mon-Fri": ["09:00-17:00"]}}
    friday = datetime(2024, 3, 29, 16, tzinfo=BERLIN)  # Good Friday, 15:00 UTC (CET)
    # without holidays: Friday 16:00-17:00 CET, Monday 09:00-10:00 CEST = 08:00 UTC
    assert BusinessCalendar.from_dict(raw).add_open_time(friday, 2 * HOUR) == utc(2024, 4, 1, 8)
    # with German holidays Good Friday and Easter Monday are closed: Tuesday 09:00-11:00 CEST
    german = BusinessCalendar.from_dict({**raw, "country_holidays": "DE"})
    assert german.add_open_time(friday, 2 * HOUR) == utc(2024, 4, 2, 9)


# ---- due times


def test_due_time_lands_on_the_next_business_day():
    # Friday 16:00 + 4 h: one hour on Friday, three on Monday
    assert office().add_open_time(utc(2024, 6, 7, 16), 4 * HOUR) == utc(2024, 6, 10, 12)


def test_due_time_that_runs_out_at_closing_is_closing_time():
    assert office().add_open_time(utc(2024, 6, 10, 15), 2 * HOUR) == utc(2024, 6, 10, 17)


def test_due_time_from_closed_time_starts_at_the_next_opening():
    assert office().add_open_time(utc(2024, 6, 8, 10), HOUR) == utc(2024, 6, 10, 10)


def test_due_time_of_zero_is_the_start():
    assert office().add_open_time(utc(2024, 6, 8, 10), 0) == utc(2024, 6, 8, 10)


def test_due_time_many_weeks_ahead():
    # 100 business hours = 12.5 days of 8 h: from Monday 10 June 09:00, two weeks (80 h) end
    # Friday 21 June 17:00, then 20 h: Mon 24, Tue 25 (16 h) and 4 h on Wednesday 26 June
    assert office().add_open_time(utc(2024, 6, 10, 9), 100 * HOUR) == utc(2024, 6, 26, 13)


def test_negative_due_amount_is_refused():
    with pytest.raises(ValueError, match="seconds must be a finite number of seconds, 0 or more; got -1"):
        office().add_open_time(utc(2024, 6, 10, 9), -1)


def test_naive_datetimes_are_local_times_of_the_calendar():
    calendar = BusinessCalendar.from_dict({"timezone": "America/New_York", "weekly": {"Mon-Fri": ["09:00-17:00"]}})
    assert calendar.open_seconds(datetime(2024, 6, 10, 9), datetime(2024, 6, 10, 10)) == HOUR
    assert calendar.is_open(datetime(2024, 6, 10, 9)) and not calendar.is_open(utc(2024, 6, 10, 9))


# ---- read_clock: states, pauses, priority changes


def test_reading_ok_then_at_risk_then_breached():
    calendar, start, target = office(), utc(2024, 6, 10, 9), 4 * HOUR
    ok = read_clock(calendar, start, utc(2024, 6, 10, 12), target)
    assert (ok.percent, ok.state, ok.escalate, ok.due_at) == (75.0, "ok", False, utc(2024, 6, 10, 13))
    risk = read_clock(calendar, start, utc(2024, 6, 10, 12, 12), target)
    assert (risk.percent, risk.state, risk.escalate) == (80.0, "at_risk", True)
    late = read_clock(calendar, start, utc(2024, 6, 10, 15), target)
    assert (late.percent, late.state, late.escalate) == (150.0, "breached", True)
    assert late.due_at == utc(2024, 6, 10, 13)  # when it ran out


def test_clock_read_before_the_start_has_run_nothing():
    reading = read_clock(office(), utc(2024, 6, 10, 12), utc(2024, 6, 10, 10), HOUR)
    assert (reading.elapsed_seconds, reading.state, reading.due_at) == (0.0, "ok", utc(2024, 6, 10, 13))


def test_closed_pause_waiting_on_customer_is_not_counted():
    pauses = [(utc(2024, 6, 10, 10), utc(2024, 6, 10, 12))]
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 14), 4 * HOUR, pauses=pauses)
    # 5 business hours, 2 of them paused
    assert (reading.elapsed_seconds, reading.percent, reading.state) == (3 * HOUR, 75.0, "ok")
    assert reading.due_at == utc(2024, 6, 10, 15)


def test_pause_over_closed_hours_takes_off_only_business_time():
    # paused Friday 16:00 to Monday 10:00: 2 business hours
    pauses = [(utc(2024, 6, 7, 16), utc(2024, 6, 10, 10))]
    reading = read_clock(office(), utc(2024, 6, 7, 9), utc(2024, 6, 10, 12), 16 * HOUR, pauses=pauses)
    assert reading.elapsed_seconds == (8 + 3 - 2) * HOUR


def test_open_pause_holds_the_clock_and_due_time_counts_from_now():
    pauses = [(utc(2024, 6, 10, 12), None)]
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 16, 30), 4 * HOUR, pauses=pauses)
    assert (reading.elapsed_seconds, reading.state, reading.escalate) == (3 * HOUR, "paused", False)
    # one hour left, counted from 16:30 as if resumed now: 30 min on Monday, 30 on Tuesday
    assert reading.due_at == utc(2024, 6, 11, 9, 30)


def test_paused_ticket_past_its_target_is_breached():
    pauses = [(utc(2024, 6, 10, 14), None)]
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 16), 4 * HOUR, pauses=pauses)
    assert (reading.percent, reading.state, reading.due_at) == (125.0, "breached", utc(2024, 6, 10, 13))


def test_paused_and_at_risk_reads_paused_but_still_escalates():
    pauses = [(utc(2024, 6, 10, 12, 30), None)]
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 16), 4 * HOUR, pauses=pauses)
    assert (reading.percent, reading.state, reading.escalate) == (87.5, "paused", True)


def test_overlapping_and_future_pauses_count_once():
    pauses = [
        (utc(2024, 6, 10, 10), utc(2024, 6, 10, 11)),
        (utc(2024, 6, 10, 10, 30), utc(2024, 6, 10, 12)),
        (utc(2024, 6, 10, 15), None),  # starts after as_of
    ]
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 14), 8 * HOUR, pauses=pauses)
    assert (reading.elapsed_seconds, reading.state) == (3 * HOUR, "ok")


def test_priority_change_keeps_the_time_spent():
    # Medium (8 h) raised to High (4 h) at 11:00; 3.5 h have run by 12:30
    changes = [(utc(2024, 6, 10, 11), 4 * HOUR)]
    before = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 10, 30), 8 * HOUR, target_changes=changes)
    assert (before.target_seconds, before.percent, before.due_at) == (8 * HOUR, 18.75, utc(2024, 6, 10, 17))
    after = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 12, 30), 8 * HOUR, target_changes=changes)
    assert (after.elapsed_seconds, after.target_seconds, after.percent) == (3.5 * HOUR, 4 * HOUR, 87.5)
    assert (after.state, after.escalate, after.due_at) == ("at_risk", True, utc(2024, 6, 10, 13))


def test_latest_priority_change_wins():
    changes = [(utc(2024, 6, 10, 12), 2 * HOUR), (utc(2024, 6, 10, 10), 4 * HOUR)]
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 12, 30), 8 * HOUR, target_changes=changes)
    assert (reading.target_seconds, reading.state) == (2 * HOUR, "breached")


def test_at_risk_share_can_be_set():
    reading = read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 11, 48), 4 * HOUR, at_risk=0.7)
    assert (reading.percent, reading.escalate) == (70.0, True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at_risk": 1.5}, "at_risk must be a share above 0 and at most 1, such as 0.8 for 80 %; got 1.5."),
        ({"target_changes": [(utc(2024, 6, 10, 9), 0)]}, "target_changes[0] must be more than 0 seconds; got 0."),
        ({"pauses": [(utc(2024, 6, 10, 9),)]}, "pauses[0] must be a (start, end) pair, end None while paused;"),
        ({"pauses": [(utc(2024, 6, 10, 10), utc(2024, 6, 10, 9))]}, "pauses[0] ends at"),
    ],
)
def test_bad_clock_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError) as error:
        read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 12), 4 * HOUR, **kwargs)
    assert str(error.value).startswith(message)


def test_zero_target_is_refused():
    with pytest.raises(ValueError, match=r"target_seconds must be more than 0 seconds; got 0\."):
        read_clock(office(), utc(2024, 6, 10, 9), utc(2024, 6, 10, 12), 0)


# ---- timestamps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-07T17:00:00Z", utc(2024, 6, 7, 17)),
        ("2024-06-07T17:00:00+02:00", utc(2024, 6, 7, 15)),
        ("2024-06-07 17:00:00+0200", utc(2024, 6, 7, 15)),
        ("2024-03-08T17:00:00-05:00", utc(2024, 3, 8, 22)),
        ("2024-03-11T10:00:00-04:00", utc(2024, 3, 11, 14)),
        ("2024-06-07T17:00:00.123456789Z", utc(2024, 6, 7, 17, 0, 0, 123456)),
        ("2024-06-07 17:00:00 UTC", utc(2024, 6, 7, 17)),
        ("2024-06-07 17:00", utc(2024, 6, 7, 21)),  # naive: New York summer time, UTC-4
        ("2024-01-07 17:00", utc(2024, 1, 7, 22)),  # naive: New York winter time, UTC-5
        ("  2024-06-07  ", utc(2024, 6, 7, 4)),
        (1717779600, utc(2024, 6, 7, 17)),
        (1717779600.5, utc(2024, 6, 7, 17, 0, 0, 500000)),
        ("1717779600", utc(2024, 6, 7, 17)),
        ("1717779600.25", utc(2024, 6, 7, 17, 0, 0, 250000)),
        ("Tue Oct 31 22:10:47 +0000 2017", utc(2017, 10, 31, 22, 10, 47)),
        ("Tue, 31 Oct 2017 22:10:47 +0100", utc(2017, 10, 31, 21, 10, 47)),
        (datetime(2024, 6, 7, 17), utc(2024, 6, 7, 21)),
        (datetime(2024, 6, 7, 17, tzinfo=BERLIN), utc(2024, 6, 7, 15)),
        (date(2024, 6, 7), utc(2024, 6, 7, 4)),
    ],
)
def test_parse_timestamp_reads_export_formats(value, expected):
    parsed = parse_timestamp(value, "America/New_York")
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_ambiguous_local_time_is_its_first_occurrence():
    # 01:30 on 3 November 2024 happens twice in New York; the first is EDT
    assert parse_timestamp("2024-11-03 01:30", "America/New_York") == utc(2024, 11, 3, 5, 30)


def test_parse_timestamp_reads_pandas_values():
    pd = pytest.importorskip("pandas")
    stamp = pd.Timestamp("2024-06-07 17:00:00.123456789", tz="Europe/Berlin")
    assert parse_timestamp(stamp, "UTC") == utc(2024, 6, 7, 15, 0, 0, 123456)
    assert parse_timestamp(pd.Timestamp("2024-06-07 17:00"), "Europe/Berlin") == utc(2024, 6, 7, 15)
    assert parse_timestamp(pd.NaT, "UTC") is None
    assert parse_timestamp(float("nan"), "UTC") is None


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "not a date", "2024-13-45", "NaT", "nan", True, [], {}, float("inf"), 10**20, "31/12/2024 10:00"],
)
def test_unreadable_timestamps_give_none(value):
    assert parse_timestamp(value, "UTC") is None


def test_unknown_timezone_for_timestamps_is_a_config_error():
    with pytest.raises(ConfigError, match="timezone is 'Mars/Olympus', which is not a known IANA time zone"):
        parse_timestamp("2024-06-07", "Mars/Olympus")


# ---- calendar tables and their errors


def test_round_trip_through_a_table():
    raw = {
        "timezone": "America/New_York",
        "weekly": {"Mon-Fri": ["09:00-13:00", "14:00-18:00"], "Sat": ["10:00-14:00"]},
        "holidays": ["2024-12-25"],
        "country_holidays": "US",
    }
    calendar = BusinessCalendar.from_dict(raw)
    assert calendar.to_dict() == raw
    assert BusinessCalendar.from_dict(calendar.to_dict()) == calendar
    assert BusinessCalendar().to_dict() == {"timezone": "UTC", "always_open": True}


def test_day_keys_single_days_ranges_and_wrapping_ranges():
    calendar = BusinessCalendar.from_dict({"weekly": {"fri-mon": ["10:00-12:00"], "Wednesday": "09:00-23:59"}})
    assert calendar.weekly == (
        ((36000, 43200),),
        (),
        ((32400, 86400),),
        (),
        ((36000, 43200),),
        ((36000, 43200),),
        ((36000, 43200),),
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"timezone": "UTC", "weekly": {"Mon-Fry": ["09:00-17:00"]}},
            "calendar.weekly.Mon-Fry is not a day or day range; expected Mon..Sun or a range like Mon-Fri.",
        ),
        (
            {"weekly": {"Mon": ["17:00-09:00"]}},
            (
                "calendar.weekly.Mon[0] is '17:00-09:00', which is not an opening window; expected 'HH:MM-HH:MM' with "
                "the end after the start, such as '09:00-17:30' (an end of 23:59 or 24:00 means until midnight; split "
                "a window that runs past midnight over two days)."
            ),
        ),
        (
            {"weekly": {"Mon": ["9-17"]}},
            "calendar.weekly.Mon[0] is '9-17', which is not an opening window;",
        ),
        (
            {"weekly": {"Mon": ["10:75-12:00"]}},
            "calendar.weekly.Mon[0] is '10:75-12:00', which is not an opening window;",
        ),
        (
            {"weekly": {"Mon": 9}},
            "calendar.weekly.Mon must be a list of windows such as ['09:00-13:00', '14:00-18:00']; got 9.",
        ),
        (
            {"weekly": {"Mon-Fri": ["09:00-17:00"], "Fri": ["09:00-12:00"]}},
            "calendar.weekly sets Fri twice, in 'Mon-Fri' and 'Fri'; give each day once.",
        ),
        (
            {"weekly": {"Mon": ["09:00-13:00", "12:00-18:00"]}},
            "calendar.weekly: Mon has overlapping windows 09:00-13:00 and 12:00-18:00; merge them into one window.",
        ),
        (
            {"weekly": {"Sat-Sun": []}},
            (
                "calendar.weekly opens on no day; expected at least one window such as 'Mon-Fri' = ['09:00-17:00'], "
                "or always_open = true for a 24/7 desk."
            ),
        ),
        (
            {"timezone": "UTC"},
            (
                "calendar has no opening hours; expected 'weekly' such as {'Mon-Fri' = ['09:00-17:00']} or "
                "always_open = true for a 24/7 desk."
            ),
        ),
        (
            {"always_open": True, "weekly": {"Mon": ["09:00-17:00"]}},
            (
                "calendar sets both always_open = true and weekly hours; remove 'weekly' for a 24/7 desk or set "
                "always_open = false."
            ),
        ),
        ({"always_open": "yes"}, "calendar.always_open must be true or false; got 'yes'."),
        (
            {"always_open": True, "timezone": "America/Nowhere"},
            (
                "calendar.timezone is 'America/Nowhere', which is not a known IANA time zone; expected a name such as "
                "'America/New_York', 'Europe/Berlin' or 'UTC'."
            ),
        ),
        (
            {"always_open": True, "holidays": ["2024-02-30"]},
            "calendar.holidays[0] is '2024-02-30', which is not a date; expected 'YYYY-MM-DD' such as '2024-12-25'.",
        ),
        (
            {"always_open": True, "holidays": "2024-12-25"},
            "calendar.holidays must be a list of dates such as ['2024-12-25']; got '2024-12-25'.",
        ),
        (
            {"always_open": True, "country_holidays": "XX"},
            (
                "calendar.country_holidays is 'XX', which the holidays package does not know; expected an ISO 3166 "
                "country code such as 'US', 'DE' or 'GB'."
            ),
        ),
        (
            {"always_open": True, "country_holidays": "US", "subdivision": "ZZ"},
            "calendar.subdivision is 'ZZ', which the holidays package does not know for US; expected one of: AK, ",
        ),
        (
            {"always_open": True, "subdivision": "BY"},
            (
                "calendar.subdivision is 'BY' but no country_holidays is set; add the country, such as "
                "country_holidays = 'US'."
            ),
        ),
        (
            {"always_open": True, "hours": 5},
            (
                "Unknown config key 'calendar.hours'. Known keys here: timezone, weekly, always_open, holidays, "
                "country_holidays, subdivision, note."
            ),
        ),
        (
            ["Mon-Fri"],
            (
                "calendar must be a table with 'timezone' and 'weekly' opening hours, or 'always_open = true'; "
                "got ['Mon-Fri']."
            ),
        ),
    ],
)
def test_bad_calendar_tables_name_key_and_value(raw, message):
    with pytest.raises(ConfigError) as error:
        BusinessCalendar.from_dict(raw)
    assert str(error.value).startswith(message)


def test_error_path_follows_where():
    with pytest.raises(ConfigError, match=r"^sla\.calendar\.weekly\.Mon-Fry is not a day"):
        BusinessCalendar.from_dict({"weekly": {"Mon-Fry": ["09:00-17:00"]}}, where="sla.calendar")


def test_direct_construction_is_checked_too():
    with pytest.raises(ConfigError, match=r"calendar\.weekly must hold seven days of windows, Monday first"):
        BusinessCalendar(weekly=(((0, 3600),),))


def test_calendar_is_frozen_and_hashable():
    calendar = office()
    with pytest.raises(AttributeError):
        calendar.timezone = "Europe/Berlin"  # type: ignore[misc]
    assert {calendar: 1}[office()] == 1


def test_a_long_interval_uses_whole_weeks():
    # 52 weeks of 40 h plus Monday 30 Dec 2024 (8 h) and Tuesday 31 Dec 2024 (8 h)
    start = utc(2024, 1, 1)
    assert office().open_seconds(start, start + timedelta(days=366)) == (52 * 40 + 16) * HOUR
