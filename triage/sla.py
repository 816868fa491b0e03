"""Business-hours SLA clocks: how much of a ticket's SLA time has run, counting opening hours only.

An SLA of "4 business hours" means four hours during which the desk is open. A ticket that arrives
on Friday at 17:00 at a desk open 08:00-18:00 on weekdays has used one hour by Saturday noon, not
nineteen. This module holds the calendar (weekly windows, holidays, a time zone), the arithmetic
over it (``open_seconds``, ``add_open_time``, ``is_open``), a tolerant reader for the timestamps
exports contain (``parse_timestamp``) and ``read_clock``, which turns a ticket's start, pauses and
target into a ``ClockReading``.

How time is counted:

* The desk is open at an instant when the wall clock in the calendar's time zone shows a time
  inside one of that weekday's windows and the date is no holiday. Durations are real elapsed
  time: the night the clocks go forward a 00:00-24:00 day lasts 23 hours, the night they go back
  it lasts 25, and a window the jump skips is not open at all.
* Every instant is handled as an integer count of microseconds since 1970-01-01 UTC. Sums of
  integers do not drift, so 48 minutes of a 60-minute target is exactly 80 %.
* Between two changes of the zone's offset the wall clock is UTC shifted by a constant. Counting
  therefore splits an interval at those changes and, inside each piece, counts over a plain
  wall-clock timeline without daylight saving: a day at a time, whole weeks at once.
"""

from __future__ import annotations

import bisect
import email.utils
import itertools
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import InitVar, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

__all__ = ["DAYS", "STATES", "BusinessCalendar", "ClockReading", "parse_timestamp", "read_clock"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATES = ("ok", "at_risk", "breached", "paused")

Window = tuple[int, int]
"""An opening window: seconds after local midnight, start < end <= 86400 (86400 = until midnight)."""

_DAY_SECONDS = 86_400
_US = timedelta(microseconds=1)
_SECOND = 1_000_000  # microseconds
_DAY = _DAY_SECONDS * _SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_THURSDAY = 3  # 1970-01-01, day 0 of the timeline, was a Thursday (Monday is 0)
_FULL_DAY: tuple[Window, ...] = ((0, _DAY_SECONDS),)
_KNOWN_KEYS = ("timezone", "weekly", "always_open", "holidays", "country_holidays", "subdivision", "note")
_DAY_NAMES = {name.lower(): index for index, name in enumerate(DAYS)}
_DAY_NAMES.update(
    {
        full: index
        for index, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    }
)
_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TWITTER = "%a %b %d %H:%M:%S %z %Y"


# --------------------------------------------------------------------------------------------
# the calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """When a support desk is open: weekly windows in one time zone, minus whole-day holidays.

    ``weekly`` holds seven tuples of windows, Monday first; each window is (start, end) in seconds
    after local midnight. The default is a desk open 24/7 in UTC. Build one from a config table
    with ``from_dict``; every check raises ``ConfigError`` naming the key (``where`` is the path of
    the table, e.g. ``"sla.calendar"``).
    """

    timezone: str = "UTC"
    weekly: tuple[tuple[Window, ...], ...] = (_FULL_DAY,) * 7
    holidays: frozenset[date] = frozenset()
    country_holidays: str | None = None
    subdivision: str | None = None
    where: InitVar[str] = "calendar"

    def __post_init__(self, where: str) -> None:
        _check_timezone(self.timezone, f"{where}.timezone")
        object.__setattr__(self, "weekly", _checked_weekly(self.weekly, where))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        for day in self.holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ConfigError(f"{where}.holidays must hold dates; got {day!r}. Give them as 'YYYY-MM-DD'.")
        _check_country(self.country_holidays, self.subdivision, where)

    # ---- building

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "calendar") -> BusinessCalendar:
        """Read a TOML-style table such as the ``[sla.calendar]`` of a config file.

        Accepted keys: ``timezone`` (IANA name, default UTC), ``weekly`` (day or day range to a
        list of "HH:MM-HH:MM" windows), or ``always_open = true`` for a 24/7 desk, ``holidays``
        (dates), ``country_holidays`` (a code the ``holidays`` package knows) with an optional
        ``subdivision``, and a free-text ``note``.
        """
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"{where} must be a table with 'timezone' and 'weekly' opening hours, or 'always_open = true'; "
                f"got {raw!r}."
            )
        unknown = [key for key in raw if key not in _KNOWN_KEYS]
        if unknown:
            raise ConfigError(f"Unknown config key '{where}.{unknown[0]}'. Known keys here: {', '.join(_KNOWN_KEYS)}.")
        timezone_name = raw.get("timezone", "UTC")
        if not isinstance(timezone_name, str):
            raise ConfigError(
                f"{where}.timezone must be a time zone name such as 'America/New_York'; got {timezone_name!r}."
            )
        country = _optional_text(raw, "country_holidays", where)
        return cls(
            timezone=timezone_name,
            weekly=_weekly_from_raw(raw, where),
            holidays=_holidays_from_raw(raw.get("holidays", []), where),
            country_holidays=country.upper() if country else None,
            subdivision=_optional_text(raw, "subdivision", where),
            where=where,
        )

    def to_dict(self) -> dict[str, Any]:
        """The table ``from_dict`` reads back to an equal calendar (consecutive equal days as ranges)."""
        raw: dict[str, Any] = {"timezone": self.timezone}
        if self.always_open:
            raw["always_open"] = True
        else:
            raw["weekly"] = _weekly_to_raw(self.weekly)
        if self.holidays:
            raw["holidays"] = [day.isoformat() for day in sorted(self.holidays)]
        if self.country_holidays:
            raw["country_holidays"] = self.country_holidays
        if self.subdivision:
            raw["subdivision"] = self.subdivision
        return raw

    @property
    def always_open(self) -> bool:
        """True for a 24/7 desk (holidays may still close it)."""
        return all(day == _FULL_DAY for day in self.weekly)

    @property
    def around_the_clock(self) -> bool:
        """True for a 24/7 desk with no holidays: its open time is plain calendar time."""
        return self._always_open_no_holidays

    # ---- public arithmetic

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds in [start, end); 0 when end is not after start.

        Naive datetimes are read as local times of the calendar's zone.
        """
        return self._open_us(self._instant(start), self._instant(end)) / _SECOND

    def add_open_time(self, start: datetime, seconds: float) -> datetime:
        """The first instant (UTC) by which ``seconds`` of business time have passed since ``start``.

        This is a due time: 2 business hours from Friday 16:00 at a 09:00-17:00 desk is Monday
        10:00. A target that runs out exactly at closing time is due at closing time, not at the
        next opening.
        """
        return _from_us(self._advance_us(self._instant(start), _duration_us(seconds, "seconds")))

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at this instant (windows include their start, not their end)."""
        instant = self._instant(at)
        wall = instant + next(self._segments(instant, instant + 1))[2]
        day = wall // _DAY
        moment = wall - day * _DAY
        return not self._is_holiday(day) and any(
            start <= moment < end for start, end in self._windows_us[_weekday(day)]
        )

    # ---- instants and zone offsets

    def _instant(self, moment: datetime) -> int:
        """Microseconds since the epoch; a naive datetime is a local time of the calendar's zone."""
        if type(moment) is datetime and moment.tzinfo is not None:
            return _to_us(moment)  # aware subtraction already accounts for the offset
        if not isinstance(moment, datetime):
            raise TypeError(f"Expected a datetime; got {moment!r}. Read raw values with parse_timestamp first.")
        return _to_us(_as_utc(moment, self._zone))

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _segments(self, start: int, end: int | None) -> Iterator[tuple[int, int, int]]:
        """Split [start, end) into pieces of constant UTC offset: (piece start, piece end, offset).

        ``end`` None runs on without end (for due times). Pieces also stop at the turn of each UTC
        year, where the cached table of the zone's changes is kept.
        """
        current = start
        while end is None or current < end:
            year_end, offset, changes, offsets = _zone_year(self.timezone, _from_us(current).year)
            index = bisect.bisect_right(changes, current)
            if index:
                offset = offsets[index - 1]
            stop = changes[index] if index < len(changes) else year_end
            if end is not None and end < stop:
                stop = end
            yield current, stop, offset
            current = stop

    # ---- counting over instants

    def _open_us(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        if self._always_open_no_holidays:
            return end - start
        return sum(self._wall_open(a + offset, b + offset) for a, b, offset in self._segments(start, end))

    def _advance_us(self, start: int, amount: int) -> int:
        if amount == 0 or self._always_open_no_holidays:
            return start + amount
        for a, b, offset in self._segments(start, None):
            available = self._wall_open(a + offset, b + offset)
            if available >= amount:
                return self._wall_advance(a + offset, amount) - offset
            amount -= available
        raise AssertionError("unreachable: _segments runs without end")  # pragma: no cover

    # ---- counting over the wall clock (no daylight saving inside; see _segments)

    def _wall_open(self, start: int, end: int) -> int:
        """Open microseconds between two wall-clock times: two partial days and whole days between."""
        if end <= start:
            return 0
        first, last = start // _DAY, end // _DAY
        if first == last:
            return self._open_in_day(first, start - first * _DAY, end - first * _DAY)
        return (
            self._open_in_day(first, start - first * _DAY, _DAY)
            + self._open_whole_days(first + 1, last)
            + self._open_in_day(last, 0, end - last * _DAY)
        )

    def _open_in_day(self, day: int, low: int, high: int) -> int:
        if high <= low or self._is_holiday(day):
            return 0
        total = 0
        for start, end in self._windows_us[_weekday(day)]:
            overlap = min(end, high) - max(start, low)
            if overlap > 0:
                total += overlap
        return total

    def _open_whole_days(self, first: int, stop: int) -> int:
        """Open time of the days [first, stop): whole weeks in one product, holidays subtracted."""
        count = stop - first
        if count <= 0:
            return 0
        weeks, rest = divmod(count, 7)
        totals = self._day_totals_us
        total = weeks * self._week_total_us
        tail = first + 7 * weeks
        total += sum(totals[_weekday(day)] for day in range(tail, tail + rest))
        total -= sum(totals[_weekday(day)] for day in self._holidays_between(first, stop))
        return total

    def _wall_advance(self, start: int, amount: int) -> int:
        """The first wall time w with _wall_open(start, w) == amount (amount > 0): rest of the
        first day, then whole weeks while the target lies beyond them, then day by day."""
        day = start // _DAY
        reached, amount = self._take_from_day(day, start - day * _DAY, amount)
        if reached is not None:
            return reached
        day += 1
        while (week := self._open_whole_days(day, day + 7)) < amount:
            amount -= week
            day += 7
        while True:
            reached, amount = self._take_from_day(day, 0, amount)
            if reached is not None:
                return reached
            day += 1

    def _take_from_day(self, day: int, low: int, amount: int) -> tuple[int | None, int]:
        """Spend open time of one day from ``low`` on: (wall time where amount ran out, 0) or
        (None, what is left)."""
        if self._is_holiday(day):
            return None, amount
        for start, end in self._windows_us[_weekday(day)]:
            begin = max(start, low)
            if end > begin:
                if end - begin >= amount:
                    return day * _DAY + begin + amount, 0
                amount -= end - begin
        return None, amount

    # ---- holidays

    def _is_holiday(self, day: int) -> bool:
        if not self._has_holidays:
            return False
        days = self._holiday_days(_year_of(day))
        index = bisect.bisect_left(days, day)
        return index < len(days) and days[index] == day

    def _holidays_between(self, first: int, stop: int) -> Iterable[int]:
        if not self._has_holidays or stop <= first:
            return ()
        found: list[int] = []
        for year in range(_year_of(first), _year_of(stop - 1) + 1):
            days = self._holiday_days(year)
            found.extend(days[bisect.bisect_left(days, first) : bisect.bisect_left(days, stop)])
        return found

    def _holiday_days(self, year: int) -> tuple[int, ...]:
        """Sorted day numbers of the closed dates in one year, explicit and national, cached."""
        cache = self._holiday_cache
        if year not in cache:
            dates = {day for day in self.holidays if day.year == year}
            if self.country_holidays:
                dates.update(day for day in _country_dates(self.country_holidays, self.subdivision, year))
            cache[year] = tuple(sorted(day.toordinal() - _EPOCH_ORDINAL for day in dates))
        return cache[year]

    # ---- derived tables (computed once per calendar)

    @cached_property
    def _holiday_cache(self) -> dict[int, tuple[int, ...]]:
        return {}

    @cached_property
    def _has_holidays(self) -> bool:
        return bool(self.holidays or self.country_holidays)

    @cached_property
    def _always_open_no_holidays(self) -> bool:
        return self.always_open and not self._has_holidays

    @cached_property
    def _windows_us(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        return tuple(tuple((start * _SECOND, end * _SECOND) for start, end in day) for day in self.weekly)

    @cached_property
    def _day_totals_us(self) -> tuple[int, ...]:
        return tuple(sum(end - start for start, end in day) for day in self._windows_us)

    @cached_property
    def _week_total_us(self) -> int:
        return sum(self._day_totals_us)


# --------------------------------------------------------------------------------------------
# reading a calendar table


def _weekly_from_raw(raw: Mapping[str, Any], where: str) -> tuple[tuple[Window, ...], ...]:
    always = raw.get("always_open", False)
    if not isinstance(always, bool):
        raise ConfigError(f"{where}.always_open must be true or false; got {always!r}.")
    if always:
        if "weekly" in raw:
            raise ConfigError(
                f"{where} sets both always_open = true and weekly hours; remove 'weekly' for a 24/7 desk "
                "or set always_open = false."
            )
        return (_FULL_DAY,) * 7
    weekly = raw.get("weekly")
    if weekly is None:
        raise ConfigError(
            f"{where} has no opening hours; expected 'weekly' such as {{'Mon-Fri' = ['09:00-17:00']}} "
            "or always_open = true for a 24/7 desk."
        )
    if not isinstance(weekly, Mapping):
        raise ConfigError(
            f"{where}.weekly must map days to opening windows, such as {{'Mon-Fri' = ['09:00-17:00']}}; got {weekly!r}."
        )
    days: list[list[Window] | None] = [None] * 7
    set_by: dict[int, str] = {}
    for key, windows in weekly.items():
        parsed = _windows_from_raw(windows, f"{where}.weekly.{key}")
        for index in _days_from_key(key, f"{where}.weekly.{key}"):
            if index in set_by:
                raise ConfigError(
                    f"{where}.weekly sets {DAYS[index]} twice, in '{set_by[index]}' and '{key}'; give each day once."
                )
            set_by[index] = str(key)
            days[index] = sorted(parsed)
    return tuple(tuple(day or ()) for day in days)


def _days_from_key(key: object, path: str) -> list[int]:
    """Weekday indexes of a key: a day ("Sat") or a range ("Mon-Fri", "Fri-Mon" wraps the weekend)."""
    parts = [part.strip().lower() for part in key.split("-")] if isinstance(key, str) else []
    if not 1 <= len(parts) <= 2 or any(part not in _DAY_NAMES for part in parts):
        raise ConfigError(f"{path} is not a day or day range; expected Mon..Sun or a range like Mon-Fri.")
    first, last = _DAY_NAMES[parts[0]], _DAY_NAMES[parts[-1]]
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def _windows_from_raw(windows: object, path: str) -> list[Window]:
    if isinstance(windows, str):
        windows = [windows]
    if not isinstance(windows, Sequence):
        raise ConfigError(f"{path} must be a list of windows such as ['09:00-13:00', '14:00-18:00']; got {windows!r}.")
    return [_window_from_text(text, f"{path}[{index}]") for index, text in enumerate(windows)]


def _window_from_text(text: object, path: str) -> Window:
    """'09:00-17:30' -> (32400, 63000). An end of 23:59 or 24:00 means until midnight: helpdesk
    screens rarely accept 24:00, and a 24/7 desk written 00:00-23:59 must not close a minute a day."""
    match = _WINDOW.fullmatch(text) if isinstance(text, str) else None
    if match:
        start_hour, start_minute, end_hour, end_minute = (int(group) for group in match.groups())
        start = start_hour * 3600 + start_minute * 60
        end = _DAY_SECONDS if (end_hour, end_minute) in ((23, 59), (24, 0)) else end_hour * 3600 + end_minute * 60
        start_valid = start_hour < 24 and start_minute < 60
        end_valid = end == _DAY_SECONDS or (end_hour < 24 and end_minute < 60)
        if start_valid and end_valid and start < end:
            return start, end
    raise ConfigError(
        f"{path} is {text!r}, which is not an opening window; expected 'HH:MM-HH:MM' with the end after the "
        "start, such as '09:00-17:30' (an end of 23:59 or 24:00 means until midnight; split a window that runs "
        "past midnight over two days)."
    )


def _holidays_from_raw(values: object, where: str) -> frozenset[date]:
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ConfigError(f"{where}.holidays must be a list of dates such as ['2024-12-25']; got {values!r}.")
    days = set()
    for index, value in enumerate(values):
        day = value if isinstance(value, date) and not isinstance(value, datetime) else None
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if day is None:
            raise ConfigError(
                f"{where}.holidays[{index}] is {value!r}, which is not a date; "
                "expected 'YYYY-MM-DD' such as '2024-12-25'."
            )
        days.add(day)
    return frozenset(days)


def _optional_text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key} must be a non-empty string; got {value!r}.")
    return value.strip()


def _weekly_to_raw(weekly: tuple[tuple[Window, ...], ...]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    index = 0
    while index < 7:
        last = index
        while last + 1 < 7 and weekly[last + 1] == weekly[index]:
            last += 1
        if weekly[index]:
            key = DAYS[index] if last == index else f"{DAYS[index]}-{DAYS[last]}"
            raw[key] = [f"{_clock(start)}-{_clock(end)}" for start, end in weekly[index]]
        index = last + 1
    return raw


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{rest:02d}" if rest else "")


# --------------------------------------------------------------------------------------------
# checks of a built calendar


def _check_timezone(name: object, path: str) -> None:
    try:
        ZoneInfo(name)  # type: ignore[arg-type]
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ConfigError(
            f"{path} is {name!r}, which is not a known IANA time zone; expected a name such as "
            "'America/New_York', 'Europe/Berlin' or 'UTC'."
        ) from None


def _checked_weekly(weekly: object, where: str) -> tuple[tuple[Window, ...], ...]:
    """Seven days of sorted, non-overlapping windows inside the day, at least one window in all."""
    if not isinstance(weekly, Sequence) or len(weekly) != 7:
        raise ConfigError(f"{where}.weekly must hold seven days of windows, Monday first; got {weekly!r}.")
    days = []
    for name, windows in zip(DAYS, weekly):
        try:
            ordered = sorted((start, end) for start, end in windows)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{where}.weekly: {name} must be a list of (start, end) windows in seconds after midnight; "
                f"got {windows!r}."
            ) from None
        for start, end in ordered:
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= _DAY_SECONDS):
                raise ConfigError(
                    f"{where}.weekly: {name} has window ({start!r}, {end!r}); expected seconds after midnight with "
                    "0 <= start < end <= 86400."
                )
        for (start, end), (next_start, next_end) in itertools.pairwise(ordered):
            if next_start < end:
                raise ConfigError(
                    f"{where}.weekly: {name} has overlapping windows {_clock(start)}-{_clock(end)} and "
                    f"{_clock(next_start)}-{_clock(next_end)}; merge them into one window."
                )
        days.append(tuple(ordered))
    if not any(days):
        raise ConfigError(
            f"{where}.weekly opens on no day; expected at least one window such as 'Mon-Fri' = ['09:00-17:00'], "
            "or always_open = true for a 24/7 desk."
        )
    return tuple(days)


def _check_country(country: str | None, subdivision: str | None, where: str) -> None:
    if country is None:
        if subdivision is not None:
            raise ConfigError(
                f"{where}.subdivision is {subdivision!r} but no country_holidays is set; add the country, "
                "such as country_holidays = 'US'."
            )
        return
    import holidays  # a large package: loaded only by calendars that name a country

    try:
        holidays.country_holidays(country, subdiv=subdivision, years=[])
    except NotImplementedError:
        if country in holidays.list_supported_countries():
            known = ", ".join(holidays.list_supported_countries()[country])
            raise ConfigError(
                f"{where}.subdivision is {subdivision!r}, which the holidays package does not know for {country}; "
                f"expected one of: {known}."
            ) from None
        raise ConfigError(
            f"{where}.country_holidays is {country!r}, which the holidays package does not know; expected an "
            "ISO 3166 country code such as 'US', 'DE' or 'GB'."
        ) from None


@lru_cache(maxsize=256)
def _country_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays in one calendar year. The neighbouring years are read too, because a
    holiday of one year can be observed on a date of the next (US: 2021-12-31 for New Year 2022)."""
    import holidays

    table = holidays.country_holidays(country, subdiv=subdivision, years=[year - 1, year, year + 1])
    return frozenset(day for day in table if day.year == year)


# --------------------------------------------------------------------------------------------
# time arithmetic helpers


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _from_us(instant: int) -> datetime:
    return _EPOCH + timedelta(microseconds=instant)


def _weekday(day: int) -> int:
    return (day + _THURSDAY) % 7


def _year_of(day: int) -> int:
    return date.fromordinal(day + _EPOCH_ORDINAL).year


def _duration_us(seconds: float, name: str) -> int:
    """Seconds as whole microseconds, so sums and comparisons stay exact."""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number of seconds, 0 or more; got {seconds!r}.")
    if isinstance(seconds, numbers.Integral):
        return int(seconds) * _SECOND
    return round(float(seconds) * _SECOND)


@lru_cache(maxsize=1024)
def _zone_year(key: str, year: int) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
    """One UTC year of a zone: (year end, offset at year start, change instants, offsets after them).

    zoneinfo keeps its table of offset changes private, so it is found by reading the offset once
    a day and bisecting to the second where it changes (zones change on whole seconds, and no real
    zone changes twice within a day). Each zone's year is scanned once.
    """
    zone = ZoneInfo(key)
    first = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())

    def offset(second: int) -> int:
        return datetime.fromtimestamp(second, zone).utcoffset() // _US  # type: ignore[operator]

    samples = [*range(first, stop, _DAY_SECONDS), stop - 1]
    values = [offset(second) for second in samples]
    changes: list[int] = []
    offsets: list[int] = []
    for low, high, before, after in zip(samples, samples[1:], values, values[1:]):
        if before == after:
            continue
        while high - low > 1:  # offset(low) is the old one, offset(high) differs
            middle = (low + high) // 2
            if offset(middle) == before:
                low = middle
            else:
                high = middle
        changes.append(high * _SECOND)
        offsets.append(after)
    return stop * _SECOND, values[0], tuple(changes), tuple(offsets)


def _as_utc(moment: datetime, zone: tzinfo) -> datetime:
    """An aware UTC datetime; a naive one is a local time of ``zone``. Works for any datetime
    subclass (pandas Timestamp) and any tzinfo (pytz, dateutil), by reading its offset only."""
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.microsecond)
    plain = datetime(*fields, fold=moment.fold)
    offset = moment.utcoffset() if moment.tzinfo is not None else None
    if offset is None:
        return plain.replace(tzinfo=zone).astimezone(UTC)
    return (plain - offset).replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# timestamps from exports


def parse_timestamp(value: object, timezone: str | tzinfo = "UTC") -> datetime | None:
    """Read a timestamp as exports give it and return an aware UTC datetime, or None if unreadable.

    Accepted: ISO 8601 strings with any offset ("Z", "+02:00", "+0200") or none, "... UTC";
    Twitter's "Tue Oct 31 22:10:47 +0000 2017"; e-mail dates ("Tue, 31 Oct 2017 22:10:47 +0000");
    epoch seconds as numbers or numeric strings; datetime, date and pandas Timestamp values.
    A value without an offset is a local time of ``timezone`` (an ambiguous one is read as its
    first occurrence, a skipped one with the offset before the jump, as PEP 495 does). Bad values
    give None, never an error, so one odd row does not stop a run; an unknown ``timezone`` is a
    configuration mistake and raises ``ConfigError``.
    """
    zone = _zone_of(timezone)
    try:
        return _read_timestamp(value, zone)
    except (ValueError, TypeError, OverflowError, OSError, ArithmeticError):
        return None


def _zone_of(name: str | tzinfo) -> tzinfo:
    if isinstance(name, tzinfo):
        return name
    _check_timezone(name, "timezone")
    return ZoneInfo(name)


def _read_timestamp(value: object, zone: tzinfo) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return None if value != value else _as_utc(value, zone)  # noqa: PLR0124 (NaT is not equal to itself)
    if isinstance(value, date):
        return _as_utc(datetime(value.year, value.month, value.day), zone)
    if isinstance(value, numbers.Real):
        return _from_epoch(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return _read_text(str(value).strip(), zone)


def _from_epoch(seconds: numbers.Real) -> datetime | None:
    if isinstance(seconds, numbers.Integral):
        return _EPOCH + timedelta(seconds=int(seconds))
    seconds = float(seconds)
    return _EPOCH + timedelta(seconds=seconds) if math.isfinite(seconds) else None


def _read_text(text: str, zone: tzinfo) -> datetime | None:
    """Try the formats exports use, most common first."""
    if not text or text.lower() in ("nat", "nan", "none", "null"):
        return None
    if _NUMBER.fullmatch(text):
        return _from_epoch(int(text) if text.lstrip("+-").isdigit() else float(text))
    if text[-4:].upper() in (" UTC", " GMT"):
        text = text[:-4] + "+00:00"
    for read in (datetime.fromisoformat, _read_twitter, email.utils.parsedate_to_datetime):
        try:
            return _as_utc(read(text), zone)
        except (ValueError, TypeError, IndexError):
            continue
    return None


def _read_twitter(text: str) -> datetime:
    return datetime.strptime(text, _TWITTER)


# --------------------------------------------------------------------------------------------
# the clock of one ticket


@dataclass(frozen=True)
class ClockReading:
    """Where a ticket's SLA clock stands at one moment.

    ``elapsed_seconds`` counts business time only, without the paused stretches; ``fraction`` is
    elapsed / target and ``percent`` the same x 100, rounded to 2 decimals. ``due_at`` (UTC) is
    when the target runs out if the clock runs from now on (for a breached ticket: when it ran
    out). ``state`` is one of ``STATES``; ``escalate`` says the at-risk share has been reached.
    """

    elapsed_seconds: float
    target_seconds: float
    fraction: float
    percent: float
    due_at: datetime
    state: str
    escalate: bool


def read_clock(
    calendar: BusinessCalendar,
    started_at: datetime,
    as_of: datetime,
    target_seconds: float,
    *,
    at_risk: float = 0.8,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
    target_changes: Iterable[tuple[datetime, float]] = (),
) -> ClockReading:
    """Read a ticket's SLA clock at ``as_of``.

    ``pauses`` are (start, end) stretches when the clock stood still, such as "waiting on
    customer"; end None means still paused. ``target_changes`` are (changed_at, new target
    seconds), for a priority changed mid-way: the latest change at or before ``as_of`` sets the
    target and the time already spent still counts. ``at_risk`` is the share of the target at
    which to escalate (0.8 = the policy's 80 %); shares are compared exactly, so 48 of 60 minutes
    escalates.
    """
    start, now = calendar._instant(started_at), calendar._instant(as_of)
    target = _current_target(calendar, target_seconds, target_changes, now)
    threshold = _share(at_risk)
    stopped, paused_now = _pause_spans(calendar, pauses, start, now)
    running = _running_spans(start, now, stopped)
    spent = [calendar._open_us(a, b) for a, b in running]
    elapsed = sum(spent)
    breached = elapsed >= target
    escalate = elapsed * threshold.denominator >= threshold.numerator * target
    state = "breached" if breached else "paused" if paused_now else "at_risk" if escalate else "ok"
    return ClockReading(
        elapsed_seconds=elapsed / _SECOND,
        target_seconds=target / _SECOND,
        fraction=elapsed / target,
        percent=_percent(elapsed, target),
        due_at=_from_us(_due_us(calendar, running, spent, max(start, now), target)),
        state=state,
        escalate=escalate,
    )


def _current_target(
    calendar: BusinessCalendar, target_seconds: float, changes: Iterable[tuple[datetime, float]], now: int
) -> int:
    """The target in force at ``now``: the original one, or the latest change made by then."""
    target = _positive_us(target_seconds, "target_seconds")
    dated = []
    for index, change in enumerate(changes):
        try:
            changed_at, seconds = change
        except (TypeError, ValueError):
            raise ValueError(
                f"target_changes[{index}] must be a (changed_at, target seconds) pair; got {change!r}."
            ) from None
        dated.append((calendar._instant(changed_at), index, _positive_us(seconds, f"target_changes[{index}]")))
    in_force = [change for change in dated if change[0] <= now]
    return max(in_force)[2] if in_force else target


def _positive_us(seconds: float, name: str) -> int:
    amount = _duration_us(seconds, name)
    if amount == 0:
        raise ValueError(f"{name} must be more than 0 seconds; got {seconds!r}.")
    return amount


def _percent(elapsed: int, target: int) -> float:
    """100 * elapsed / target to 2 decimals, rounded in integers (half to even), then made a float."""
    hundredths, rest = divmod(elapsed * 10_000, target)
    if 2 * rest > target or (2 * rest == target and hundredths % 2):
        hundredths += 1
    return hundredths / 100


@lru_cache(maxsize=64)
def _share(at_risk: float) -> Fraction:
    """The at-risk share as an exact fraction of its decimal form: 0.8 is 4/5, not the binary
    0.8000000000000000444 that would make exactly 80 % fall short."""
    if isinstance(at_risk, bool) or not isinstance(at_risk, numbers.Real) or not 0 < at_risk <= 1:
        raise ValueError(f"at_risk must be a share above 0 and at most 1, such as 0.8 for 80 %; got {at_risk!r}.")
    return Fraction(repr(float(at_risk)))


def _pause_spans(
    calendar: BusinessCalendar, pauses: Iterable[tuple[datetime, datetime | None]], start: int, now: int
) -> tuple[list[tuple[int, int]], bool]:
    """Pauses cut to [start, now) and merged, and whether a pause is running at ``now``."""
    spans: list[tuple[int, int]] = []
    paused_now = False
    for index, pause in enumerate(pauses):
        try:
            begun, ended = pause
        except (TypeError, ValueError):
            raise ValueError(
                f"pauses[{index}] must be a (start, end) pair, end None while paused; got {pause!r}."
            ) from None
        low = calendar._instant(begun)
        high = now if ended is None else calendar._instant(ended)
        if ended is not None and high < low:
            raise ValueError(
                f"pauses[{index}] ends at {ended!r}, before it starts at {begun!r}; swap or fix the times."
            )
        if low <= now and (ended is None or high > now):
            paused_now = True
        low, high = max(low, start), min(high, now)
        if high > low:
            spans.append((low, high))
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged, paused_now


def _running_spans(start: int, now: int, stopped: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, now) without the (sorted, merged, clipped) paused spans."""
    running = []
    cursor = start
    for low, high in stopped:
        if low > cursor:
            running.append((cursor, low))
        cursor = max(cursor, high)
    if now > cursor:
        running.append((cursor, now))
    return running


def _due_us(
    calendar: BusinessCalendar, running: list[tuple[int, int]], spent: list[int], resume: int, target: int
) -> int:
    """When the target runs out: inside the running spans if it already has, else counted on from
    ``resume`` (now, which is also where a paused clock is taken to restart)."""
    left = target
    for (low, _), used in zip(running, spent):
        if used >= left:
            return calendar._advance_us(low, left)
        left -= used
    return calendar._advance_us(resume, left)
