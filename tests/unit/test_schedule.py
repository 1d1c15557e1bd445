"""Working hours and absences, pure: local wall-clock hours across timezones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_core.schedule import Absence, Availability, WorkingHours

MSK = ZoneInfo("Europe/Moscow")
OFFICE = {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def office(timezone: str = "Europe/Moscow") -> WorkingHours:
    return WorkingHours.parse(OFFICE, timezone)


def test_parse_expands_ranges_and_leaves_other_days_off() -> None:
    hours = office()
    weekday = ((time(9), time(18)),)
    assert hours.days == (*(weekday,) * 5, ((time(10), time(14)),), ())
    assert hours.timezone == "Europe/Moscow"


def test_parse_accepts_lists_wrapping_ranges_and_several_intervals() -> None:
    hours = WorkingHours.parse(
        {"Mon, wed": "09:00-13:00, 14:00-18:00", "sat-sun": "9:30-12:00"}, "UTC"
    )
    split = ((time(9), time(13)), (time(14), time(18)))
    assert hours.days[0] == hours.days[2] == split
    assert hours.days[5] == hours.days[6] == ((time(9, 30), time(12)),)
    assert WorkingHours.parse({"fri-mon": "10:00-11:00"}, "UTC").days[1:4] == ((), (), ())


@pytest.mark.parametrize(
    ("spec", "timezone", "message"),
    [
        ({"mon-fir": "09:00-18:00"}, "UTC", "unknown day 'fir' in 'mon-fir'"),
        ({"mon": "9-18"}, "UTC", "for 'mon': '9-18' is not HH:MM-HH:MM"),
        ({"mon": ""}, "UTC", "for 'mon': '' is not HH:MM-HH:MM"),
        ({"tue": "09:00-25:00"}, "UTC", "bad time 25:00 in '09:00-25:00'"),
        ({"tue": "24:00-18:00"}, "UTC", "bad time 24:00"),
        ({"tue": "09:00-24:30"}, "UTC", "bad time 24:30"),
        ({"tue": "09:60-18:00"}, "UTC", "bad time 09:60"),
        ({"mon-fri": "09:00-18:00", "fri": "10:00-12:00"}, "UTC", "fri is given twice"),
        ({"mon-wed-fri": "09:00-18:00"}, "UTC", "bad day range 'mon-wed-fri'"),
        ({"mon": "09:00-18:00"}, "Europe/Mordor", "unknown timezone 'Europe/Mordor'"),
        ({"mon": "09:00-18:00"}, "", "unknown timezone ''"),
    ],
)
def test_parse_errors_name_the_bad_part(spec: dict[str, str], timezone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingHours.parse(spec, timezone)


def test_working_hours_need_seven_days() -> None:
    with pytest.raises(ValueError, match="7 weekdays"):
        WorkingHours(((),) * 6, "UTC")


@pytest.mark.parametrize(
    ("local", "on_duty"),
    [
        (datetime(2024, 3, 11, 9, 0, tzinfo=MSK), True),  # Monday, opening minute
        (datetime(2024, 3, 11, 8, 59, tzinfo=MSK), False),
        (datetime(2024, 3, 11, 17, 59, tzinfo=MSK), True),
        (datetime(2024, 3, 11, 18, 0, tzinfo=MSK), False),  # the end is excluded
        (datetime(2024, 3, 16, 12, 0, tzinfo=MSK), True),  # Saturday
        (datetime(2024, 3, 16, 14, 30, tzinfo=MSK), False),
        (datetime(2024, 3, 17, 12, 0, tzinfo=MSK), False),  # Sunday off
    ],
)
def test_hours_are_half_open_local_intervals(local: datetime, on_duty: bool) -> None:
    assert office().covers(local) is on_duty


@pytest.mark.parametrize(
    ("instant", "moscow", "yekaterinburg"),
    [
        (utc(2024, 3, 11, 4, 30), False, True),  # 07:30 Moscow, 09:30 Yekaterinburg
        (utc(2024, 3, 11, 6, 30), True, True),
        (utc(2024, 3, 11, 13, 30), True, False),  # 16:30 Moscow, 18:30 Yekaterinburg
    ],
)
def test_the_same_instant_is_read_in_each_managers_timezone(
    instant: datetime, moscow: bool, yekaterinburg: bool
) -> None:
    assert office("Europe/Moscow").covers(instant) is moscow
    assert office("Asia/Yekaterinburg").covers(instant) is yekaterinburg
    # The zone `now` is written in does not matter, only the instant.
    assert office("Asia/Yekaterinburg").covers(instant.astimezone(MSK)) is yekaterinburg


@pytest.mark.parametrize(
    ("timezone", "day", "opens", "closes"),
    [
        # Europe switched on Sunday 2024-03-31 and back on Sunday 2024-10-27.
        ("Europe/Berlin", date(2024, 3, 30), 8, 17),
        ("Europe/Berlin", date(2024, 3, 31), 7, 16),
        ("Europe/Berlin", date(2024, 10, 26), 7, 16),
        ("Europe/Berlin", date(2024, 10, 27), 8, 17),
        # The USA switched on Sunday 2024-03-10 and back on Sunday 2024-11-03.
        ("America/New_York", date(2024, 3, 9), 14, 23),
        ("America/New_York", date(2024, 3, 10), 13, 22),
        ("America/New_York", date(2024, 11, 2), 13, 22),
        ("America/New_York", date(2024, 11, 3), 14, 23),
    ],
)
def test_local_hours_stay_local_across_dst(
    timezone: str, day: date, opens: int, closes: int
) -> None:
    hours = WorkingHours.parse({"mon-sun": "09:00-18:00"}, timezone)
    opening = datetime.combine(day, time(opens), UTC)
    closing = datetime.combine(day, time(closes), UTC)
    assert hours.covers(opening)
    assert not hours.covers(opening - timedelta(minutes=1))
    assert hours.covers(closing - timedelta(minutes=1))
    assert not hours.covers(closing)


def test_night_shift_runs_past_midnight_and_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    hours = WorkingHours.parse({"sat": "22:00-06:00"}, "Europe/Berlin")
    assert hours.covers(datetime(2024, 3, 30, 22, 0, tzinfo=berlin))
    # Clocks jump 02:00 → 03:00 that night; the shift still ends at 06:00 local.
    assert hours.covers(datetime(2024, 3, 31, 5, 59, tzinfo=berlin))
    assert not hours.covers(datetime(2024, 3, 31, 6, 0, tzinfo=berlin))
    assert hours.covers(utc(2024, 3, 31, 3, 59))
    assert not hours.covers(utc(2024, 3, 31, 4, 0))
    assert not hours.covers(datetime(2024, 3, 30, 21, 59, tzinfo=berlin))


@pytest.mark.parametrize("spec", ["09:00-24:00", "09:00-00:00"])
def test_an_interval_may_end_at_midnight(spec: str) -> None:
    hours = WorkingHours.parse({"mon": spec}, "Europe/Moscow")
    assert hours.covers(datetime(2024, 3, 11, 23, 59, tzinfo=MSK))
    assert not hours.covers(datetime(2024, 3, 12, 0, 0, tzinfo=MSK))


def test_always_is_on_duty_round_the_clock_even_on_dst_days() -> None:
    availability = Availability.always("Europe/Berlin")
    start = utc(2024, 3, 29)
    assert all(availability.is_on_duty(start + timedelta(minutes=30 * i)) for i in range(500))
    assert WorkingHours.parse({"mon-sun": "00:00-24:00"}, "UTC").covers(utc(2024, 3, 31, 0))


def test_absence_is_half_open_and_overrides_hours() -> None:
    leave = Absence(utc(2024, 3, 12, 7), utc(2024, 3, 13, 9), "sick leave")
    availability = Availability(office(), (leave,))
    assert availability.is_on_duty(utc(2024, 3, 12, 6, 59))  # 09:59 Moscow
    assert availability.is_absent(utc(2024, 3, 12, 7))
    assert not availability.is_on_duty(utc(2024, 3, 12, 7))
    assert availability.is_on_duty(utc(2024, 3, 13, 9))
    assert not availability.is_absent(utc(2024, 3, 13, 9))


def test_absence_outside_hours_changes_nothing() -> None:
    night = Absence(datetime(2024, 3, 11, 19, tzinfo=MSK), datetime(2024, 3, 12, 8, tzinfo=MSK))
    availability = Availability(office(), (night,))
    assert availability.is_on_duty(datetime(2024, 3, 12, 9, tzinfo=MSK))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # On duty: now itself.
        (datetime(2024, 3, 11, 10, 15, tzinfo=MSK), utc(2024, 3, 11, 7, 15)),
        # Monday before opening.
        (datetime(2024, 3, 11, 7, 0, tzinfo=MSK), utc(2024, 3, 11, 6, 0)),
        # Saturday after closing → Monday 09:00 Moscow.
        (datetime(2024, 3, 16, 15, 0, tzinfo=MSK), utc(2024, 3, 18, 6, 0)),
    ],
)
def test_next_on_duty(now: datetime, expected: datetime) -> None:
    found = Availability(office()).next_on_duty(now)
    assert found == expected
    assert found is not None
    assert found.tzinfo is UTC


def test_next_on_duty_is_the_end_of_an_absence_within_hours() -> None:
    leave = Absence(utc(2024, 3, 11, 5), utc(2024, 3, 13, 9, 30))
    assert Availability(office(), (leave,)).next_on_duty(utc(2024, 3, 11, 8)) == utc(
        2024, 3, 13, 9, 30
    )


def test_next_on_duty_after_a_dst_switch_uses_the_new_offset() -> None:
    berlin = WorkingHours.parse({"mon-sun": "09:00-18:00"}, "Europe/Berlin")
    # Saturday evening CET; Sunday opening is already CEST (UTC+2).
    assert Availability(berlin).next_on_duty(utc(2024, 3, 30, 19)) == utc(2024, 3, 31, 7)


def test_next_on_duty_is_none_beyond_the_horizon() -> None:
    vacation = Absence(utc(2024, 3, 1), utc(2024, 4, 1), "vacation")
    availability = Availability(office(), (vacation,))
    assert availability.next_on_duty(utc(2024, 3, 11, 8)) is None
    assert availability.next_on_duty(utc(2024, 3, 11, 8), timedelta(days=30)) == utc(2024, 4, 1, 6)
    assert Availability(WorkingHours(((),) * 7, "UTC")).next_on_duty(utc(2024, 3, 11)) is None


def test_local_day_is_the_managers_calendar_date() -> None:
    late = utc(2024, 3, 10, 22, 30)
    assert Availability.always("Europe/Moscow").local_day(late) == date(2024, 3, 11)
    assert Availability.always("Asia/Yekaterinburg").local_day(late) == date(2024, 3, 11)
    assert Availability.always("America/New_York").local_day(late) == date(2024, 3, 10)


def test_next_local_midnight() -> None:
    availability = Availability.always("Asia/Yekaterinburg")
    assert availability.next_local_midnight(utc(2024, 3, 11, 12)) == utc(2024, 3, 11, 19)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2024, 3, 11, 10)  # noqa: DTZ001
    availability = Availability(office())
    for call in (
        availability.is_on_duty,
        availability.is_absent,
        availability.next_on_duty,
        availability.local_day,
        office().covers,
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call(naive)
    with pytest.raises(ValueError, match="absence start must be timezone-aware"):
        Absence(naive, utc(2024, 3, 12))


def test_absence_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        Absence(utc(2024, 3, 12), utc(2024, 3, 12))
