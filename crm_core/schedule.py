"""Working hours and absences: when a manager is on duty, in their own timezone.

Hours are local wall-clock intervals, so 09:00-18:00 stays 09:00-18:00 across DST switches.
Every instant is compared in UTC, and every datetime this module returns is aware UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[time, time]
"""A local (start, end) interval; end <= start means it ends the next day."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON = timedelta(days=14)
_ONE_DAY = timedelta(days=1)
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def require_aware(value: datetime, what: str = "now") -> datetime:
    """Return `value` in UTC; a naive datetime is a ValueError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Local working intervals per weekday (index 0 = Monday) in an IANA timezone.

    An interval whose end is not after its start runs past midnight into the next day:
    "22:00-06:00" is a night shift, and "09:00-24:00" or "00:00-24:00" end at midnight.
    A local time skipped by a DST switch means the instant just after the switch.
    """

    days: tuple[tuple[Interval, ...], ...]
    timezone: str

    def __post_init__(self) -> None:
        if len(self.days) != len(DAY_NAMES):
            raise ValueError(f"working hours need 7 weekdays, got {len(self.days)}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {self.timezone!r}") from err

    @classmethod
    def always(cls, timezone: str = "UTC") -> WorkingHours:
        """Round the clock, every day (for managers without configured hours)."""
        whole_day: tuple[Interval, ...] = ((time(0), time(0)),)
        return cls((whole_day,) * len(DAY_NAMES), timezone)

    @classmethod
    def parse(cls, spec: Mapping[str, str], timezone: str) -> WorkingHours:
        """Build from {"mon-fri": "09:00-18:00", "sat": "10:00-14:00, 15:00-17:00"}.

        Keys are days ("mon"), ranges ("mon-fri", "fri-mon" wraps) or comma lists of both;
        days not mentioned are days off; a day given twice is an error.
        """
        days: list[tuple[Interval, ...]] = [() for _ in DAY_NAMES]
        given: dict[int, str] = {}
        for key, value in spec.items():
            intervals = tuple(_parse_interval(part, key) for part in value.split(","))
            for day in _parse_days(key):
                if day in given:
                    raise ValueError(
                        f"working hours: {DAY_NAMES[day]} is given twice"
                        f" (in {given[day]!r} and {key!r})"
                    )
                given[day] = key
                days[day] = intervals
        return cls(tuple(days), timezone)

    @property
    def zone(self) -> ZoneInfo:
        """The timezone as a ZoneInfo (zoneinfo caches instances)."""
        return ZoneInfo(self.timezone)

    def local_day(self, now: datetime) -> date:
        """The local calendar date at `now`."""
        return require_aware(now).astimezone(self.zone).date()

    def spans(self, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
        """The UTC [start, end) spans of the intervals that start on local days first..last."""
        zone = self.zone
        day = first
        while day <= last:
            for start, end in self.days[day.weekday()]:
                end_day = day if end > start else day + _ONE_DAY
                yield (
                    datetime.combine(day, start, zone).astimezone(UTC),
                    datetime.combine(end_day, end, zone).astimezone(UTC),
                )
            day += _ONE_DAY

    def covers(self, now: datetime) -> bool:
        """Whether `now` falls within working hours (absences aside)."""
        # Compared on the local wall clock: an assignment decision asks this of every queue
        # member, and building UTC spans for each was most of the decision's cost.
        local = require_aware(now).astimezone(self.zone)
        clock = local.time()
        today = local.weekday()
        for start, end in self.days[today]:
            if start <= clock and (clock < end or end <= start):
                return True
        # An interval that started yesterday may run past midnight.
        return any(end <= start and clock < end for start, end in self.days[today - 1])


@dataclass(frozen=True, slots=True)
class Absence:
    """A half-open [start, end) stretch of leave, sickness or a day off (aware datetimes)."""

    start: datetime
    end: datetime
    note: str = ""

    def __post_init__(self) -> None:
        start = require_aware(self.start, "absence start")
        if require_aware(self.end, "absence end") <= start:
            raise ValueError(
                f"absence must end after it starts: {self.start.isoformat()}"
                f" .. {self.end.isoformat()}"
            )

    def covers(self, now: datetime) -> bool:
        """Whether `now` falls within the absence."""
        return self.start <= require_aware(now) < self.end


@dataclass(frozen=True, slots=True)
class Availability:
    """A manager's working hours minus their absences."""

    hours: WorkingHours
    absences: tuple[Absence, ...] = ()

    @classmethod
    def always(cls, timezone: str = "UTC") -> Availability:
        """On duty round the clock, never absent."""
        return cls(WorkingHours.always(timezone))

    def is_absent(self, now: datetime) -> bool:
        """Whether an absence covers `now`."""
        instant = require_aware(now)
        return any(a.covers(instant) for a in self.absences)

    def is_on_duty(self, now: datetime) -> bool:
        """Within working hours and not absent."""
        return self.hours.covers(now) and not self.is_absent(now)

    def next_on_duty(self, now: datetime, horizon: timedelta = HORIZON) -> datetime | None:
        """The first instant at or after `now` on duty (UTC), or None if not within `horizon`."""
        instant = require_aware(now)
        if self.is_on_duty(instant):
            return instant
        limit = instant + horizon
        # Duty can only begin where an interval starts or an absence ends.
        first, last = self.local_day(instant) - _ONE_DAY, self.local_day(limit)
        starts = {s for s, _ in self.hours.spans(first, last)}
        starts.update(a.end.astimezone(UTC) for a in self.absences)
        return next(
            (t for t in sorted(starts) if instant < t <= limit and self.is_on_duty(t)), None
        )

    def local_day(self, now: datetime) -> date:
        """The manager's local calendar date at `now` (daily capacity is counted per it)."""
        return self.hours.local_day(now)

    def next_local_midnight(self, now: datetime) -> datetime:
        """The start of the manager's next local day, in UTC."""
        tomorrow = self.local_day(now) + _ONE_DAY
        return datetime.combine(tomorrow, time(0), self.hours.zone).astimezone(UTC)


def _parse_days(key: str) -> list[int]:
    days: list[int] = []
    for part in key.split(","):
        ends = [_day_index(name, key) for name in part.split("-")]
        if len(ends) == 1:
            days.append(ends[0])
        elif len(ends) == 2:
            span = (ends[1] - ends[0]) % len(DAY_NAMES)
            days.extend((ends[0] + i) % len(DAY_NAMES) for i in range(span + 1))
        else:
            raise ValueError(f"working hours: bad day range {part.strip()!r} in {key!r}")
    return days


def _day_index(name: str, key: str) -> int:
    try:
        return DAY_NAMES.index(name.strip().lower())
    except ValueError:
        raise ValueError(
            f"working hours: unknown day {name.strip()!r} in {key!r} (use mon..sun)"
        ) from None


def _parse_interval(text: str, key: str) -> Interval:
    match = _INTERVAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"working hours for {key!r}: {text.strip()!r} is not HH:MM-HH:MM")
    sh, sm, eh, em = (int(g) for g in match.groups())
    for hour, minute, is_end in ((sh, sm, False), (eh, em, True)):
        midnight = is_end and (hour, minute) == (24, 0)
        if not midnight and (hour > 23 or minute > 59):
            raise ValueError(
                f"working hours for {key!r}: bad time {hour:02d}:{minute:02d} in {text.strip()!r}"
            )
    return time(sh, sm), time(eh % 24, em)
