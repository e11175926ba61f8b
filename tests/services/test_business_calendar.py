from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.config import Settings
from app.errors import InvalidInput
from app.services import business_calendar
from app.services.business_calendar import BusinessCalendar, Holiday

BANGKOK = ZoneInfo("Asia/Bangkok")
HOUR = 3600.0
CAL = BusinessCalendar(tz=BANGKOK, opens=time(8, 30), closes=time(16, 30))
SETTINGS = Settings(_env_file=None, RONGTUK_ENV="development")


def bkk(*args) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)


def between(start, end, cal=CAL) -> float:
    return cal.business_seconds_between(start, end)


# 2026: Fri 20 Nov, Sat 21, Sun 22, Mon 23, Tue 24 Nov; Songkran Mon 13 – Wed 15 Apr.


def test_same_day_within_hours():
    assert between(bkk(2026, 11, 24, 9, 0), bkk(2026, 11, 24, 11, 15, 30, 500_000)) == 2 * HOUR + 930.5
    assert between(bkk(2026, 11, 24, 9, 0, 0, 1), bkk(2026, 11, 24, 9, 0, 0, 3)) == pytest.approx(2e-6, abs=1e-12)


def test_outside_office_hours_does_not_count():
    assert between(bkk(2026, 11, 24, 7, 0), bkk(2026, 11, 24, 18, 0)) == 8 * HOUR
    assert between(bkk(2026, 11, 24, 7, 0), bkk(2026, 11, 24, 10, 0)) == 1.5 * HOUR
    assert between(bkk(2026, 11, 24, 15, 0), bkk(2026, 11, 24, 23, 59)) == 1.5 * HOUR
    assert between(bkk(2026, 11, 24, 6, 0), bkk(2026, 11, 24, 8, 30)) == 0.0
    assert between(bkk(2026, 11, 24, 16, 30), bkk(2026, 11, 25, 8, 30)) == 0.0
    assert between(bkk(2026, 11, 24, 16, 0), bkk(2026, 11, 25, 9, 0)) == 1 * HOUR


def test_over_a_weekend():
    assert between(bkk(2026, 11, 20, 15, 30), bkk(2026, 11, 23, 9, 30)) == 2 * HOUR


def test_both_outside_hours_on_a_weekend():
    assert between(bkk(2026, 11, 21, 10, 0), bkk(2026, 11, 22, 15, 0)) == 0.0
    assert between(bkk(2026, 11, 21, 10, 0), bkk(2026, 11, 28, 10, 0)) == 5 * 8 * HOUR


def test_end_before_or_at_start_is_zero():
    assert between(bkk(2026, 11, 24, 11, 0), bkk(2026, 11, 24, 10, 0)) == 0.0
    assert between(bkk(2026, 11, 24, 11, 0), bkk(2026, 11, 24, 11, 0)) == 0.0


def test_songkran():
    assert [CAL.is_business_day(date(2026, 4, d)) for d in range(10, 17)] == [
        True, False, False, False, False, False, True]  # Fri, Sat, Sun, Mon–Wed Songkran, Thu
    assert CAL.holiday(date(2026, 4, 14)) == Holiday(date(2026, 4, 14), "วันสงกรานต์", "public")
    assert between(bkk(2026, 4, 10, 15, 30), bkk(2026, 4, 16, 9, 30)) == 2 * HOUR
    assert between(bkk(2026, 4, 13, 9, 0), bkk(2026, 4, 15, 16, 0)) == 0.0


def test_new_year():
    # Wed 31 Dec 2025 (New Year's Eve), Thu 1 Jan and Fri 2 Jan 2026 (cabinet's bridge day) are off.
    assert not any(CAL.is_business_day(d) for d in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)))
    assert between(bkk(2025, 12, 30, 16, 0), bkk(2026, 1, 5, 9, 0)) == 1 * HOUR


def test_government_days_off_count_too():
    # The Royal Ploughing Ceremony is a day off for government offices only ("government" category).
    assert CAL.holiday(date(2026, 5, 13)) == Holiday(date(2026, 5, 13), "วันพืชมงคล", "public")
    assert not CAL.is_business_day(date(2026, 5, 13))


def test_extra_day_off():
    cal = BusinessCalendar(tz=BANGKOK, opens=time(8, 30), closes=time(16, 30), days_off={date(2026, 11, 24): "วันหยุดพิเศษ กทม."})
    start, end = bkk(2026, 11, 23, 16, 0), bkk(2026, 11, 25, 9, 0)
    assert between(start, end) == 9 * HOUR
    assert between(start, end, cal) == 1 * HOUR
    assert cal.holiday(date(2026, 11, 24)) == Holiday(date(2026, 11, 24), "วันหยุดพิเศษ กทม.", "extra")
    assert not cal.is_business_day(date(2026, 11, 24))
    assert between(bkk(2026, 11, 24, 9, 0), bkk(2026, 11, 24, 10, 0), cal) == 0.0


def test_weekends_are_not_holidays():
    assert CAL.holiday(date(2026, 11, 21)) is None
    assert not CAL.is_business_day(date(2026, 11, 21))
    assert CAL.holiday(date(2026, 11, 24)) is None
    assert CAL.is_business_day(date(2026, 11, 24))


def test_holidays_between_lists_both_sources_in_order():
    cal = BusinessCalendar(tz=BANGKOK, opens=time(8, 30), closes=time(16, 30), days_off={
        date(2026, 12, 4): "วันหยุดพิเศษ กทม.", date(2026, 12, 10): "ซ้ำกับวันรัฐธรรมนูญ", date(2027, 1, 4): "นอกช่วง"})
    listed = cal.holidays_between(date(2026, 12, 1), date(2026, 12, 31))
    assert [(h.day.day, h.source) for h in listed] == [
        (4, "extra"), (5, "public"), (7, "public"), (10, "public"), (31, "public")]  # 5 Dec is a Saturday
    assert listed[3].name == "วันรัฐธรรมนูญ"  # a public holiday wins over a day off on the same day
    songkran = CAL.holidays_between(date(2026, 4, 1), date(2026, 4, 30))
    assert [h.day.day for h in songkran] == [6, 13, 14, 15]
    assert CAL.holidays_between(date(2026, 12, 31), date(2026, 12, 1)) == []


def test_holidays_between_spans_years():
    listed = CAL.holidays_between(date(2025, 12, 30), date(2026, 1, 3))
    assert [h.day for h in listed] == [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]


def test_public_holidays_are_cached_per_year():
    assert business_calendar.public_holidays(2026) is business_calendar.public_holidays(2026)
    with pytest.raises(TypeError):
        business_calendar.public_holidays(2026)[date(2026, 11, 24)] = "no"  # the cached mapping is read-only


def test_a_whole_year():
    # 2026 has 261 weekdays, 21 of them public or government holidays.
    assert between(bkk(2026, 1, 1, 0, 0), bkk(2027, 1, 1, 0, 0)) == 240 * 8 * HOUR
    assert CAL.add_business_seconds(bkk(2026, 1, 1, 0, 0), 240 * 8 * HOUR) == bkk(2026, 12, 30, 16, 30)


def test_mixed_time_zones():
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 Bangkok
    end = datetime(2026, 11, 24, 13, 0, tzinfo=timezone(timedelta(hours=9)))  # 11:00 Bangkok
    assert between(start, end) == 2 * HOUR
    # 23:30 UTC Monday is Tuesday 06:30 in Bangkok: before opening, not after closing.
    assert between(datetime(2026, 11, 23, 23, 30, tzinfo=UTC), bkk(2026, 11, 24, 9, 30)) == 1 * HOUR


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        between(datetime(2026, 11, 24, 9, 0), bkk(2026, 11, 24, 10, 0))
    with pytest.raises(ValueError):
        CAL.add_business_seconds(datetime(2026, 11, 24, 9, 0), 60)


def test_office_must_open_before_it_closes():
    with pytest.raises(ValueError):
        BusinessCalendar(tz=BANGKOK, opens=time(16, 30), closes=time(8, 30))


def test_other_office_hours_and_zones():
    cal = BusinessCalendar(tz=ZoneInfo("Asia/Tokyo"), opens=time(9, 0), closes=time(17, 0))
    # Fri 20 Nov 2026 16:00 Tokyo → Mon 23 Nov 10:00 Tokyo, given in Bangkok time.
    assert cal.business_seconds_between(bkk(2026, 11, 20, 14, 0), bkk(2026, 11, 23, 8, 0)) == 2 * HOUR


def test_from_settings():
    cal = business_calendar.from_settings(SETTINGS)
    assert (cal.tz, cal.opens, cal.closes) == (BANGKOK, time(8, 30), time(16, 30))
    other = Settings(_env_file=None, RONGTUK_ENV="development", office_opens="09:00", office_closes="17:15")
    cal = business_calendar.from_settings(other, {date(2026, 11, 24): "x"})
    assert (cal.opens, cal.closes, dict(cal.days_off)) == (time(9, 0), time(17, 15), {date(2026, 11, 24): "x"})


# -- add_business_seconds ------------------------------------------------------------------------


def test_add_over_a_weekend():
    assert CAL.add_business_seconds(bkk(2026, 11, 20, 15, 0), 4 * HOUR) == bkk(2026, 11, 23, 11, 0)


def test_add_from_a_saturday_starts_at_the_next_opening():
    assert CAL.add_business_seconds(bkk(2026, 11, 21, 10, 0), 4 * HOUR) == bkk(2026, 11, 23, 12, 30)


def test_add_across_songkran():
    assert CAL.add_business_seconds(bkk(2026, 4, 10, 15, 0), 4 * HOUR) == bkk(2026, 4, 16, 11, 0)


def test_add_within_a_day_and_from_before_opening():
    assert CAL.add_business_seconds(bkk(2026, 11, 24, 9, 0), 1.5 * HOUR) == bkk(2026, 11, 24, 10, 30)
    assert CAL.add_business_seconds(bkk(2026, 11, 24, 7, 0), 1 * HOUR) == bkk(2026, 11, 24, 9, 30)
    assert CAL.add_business_seconds(bkk(2026, 11, 24, 17, 0), 1 * HOUR) == bkk(2026, 11, 25, 9, 30)
    assert CAL.add_business_seconds(bkk(2026, 11, 24, 9, 0), 0.000_001) == bkk(2026, 11, 24, 9, 0, 0, 1)


def test_add_ending_exactly_at_closing_gives_the_closing_instant():
    assert CAL.add_business_seconds(bkk(2026, 11, 24, 9, 0), 7.5 * HOUR) == bkk(2026, 11, 24, 16, 30)
    assert CAL.add_business_seconds(bkk(2026, 11, 20, 8, 30), 8 * HOUR) == bkk(2026, 11, 20, 16, 30)
    assert CAL.add_business_seconds(bkk(2026, 11, 20, 8, 30), 8 * HOUR + 1) == bkk(2026, 11, 23, 8, 30, 1)


def test_add_returns_utc():
    at = CAL.add_business_seconds(bkk(2026, 11, 24, 9, 0), 60)
    assert at.tzinfo is UTC and at == datetime(2026, 11, 24, 2, 1, tzinfo=UTC)


def test_add_nothing_returns_start_unchanged():
    saturday = bkk(2026, 11, 21, 10, 0)
    assert CAL.add_business_seconds(saturday, 0) is saturday
    assert CAL.add_business_seconds(saturday, -5) is saturday


def _reference_seconds(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Day by day, the slow obvious way."""
    total = timedelta(0)
    day = start.astimezone(cal.tz).date()
    while day <= end.astimezone(cal.tz).date():
        if cal.is_business_day(day):
            opens = datetime.combine(day, cal.opens, tzinfo=cal.tz)
            closes = datetime.combine(day, cal.closes, tzinfo=cal.tz)
            total += max(timedelta(0), min(end, closes) - max(start, opens))
        day += timedelta(days=1)
    return total.total_seconds()


def _random_instant(rng: random.Random) -> datetime:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    return base + timedelta(microseconds=rng.randrange(3 * 365 * 86_400 * 10**6))


EXTRA = {date(2025, 6, 9): "extra", date(2026, 11, 24): "extra", date(2026, 11, 25): "extra", date(2027, 3, 1): "extra"}
CAL_EXTRA = BusinessCalendar(tz=BANGKOK, opens=time(8, 30), closes=time(16, 30), days_off=EXTRA)


@pytest.mark.parametrize("cal", [CAL, CAL_EXTRA], ids=["public", "with-extra"])
def test_between_matches_a_day_by_day_count(cal):
    rng = random.Random(1555)
    for _ in range(300):
        start = _random_instant(rng)
        end = start + timedelta(microseconds=rng.randrange(40 * 86_400 * 10**6)) if rng.random() < 0.7 else _random_instant(rng)
        expected = _reference_seconds(cal, start, end) if end > start else 0.0
        assert cal.business_seconds_between(start, end) == expected, (start, end)


@pytest.mark.parametrize("cal", [CAL, CAL_EXTRA], ids=["public", "with-extra"])
def test_add_is_the_inverse_of_between(cal):
    rng = random.Random(20261124)
    for _ in range(500):
        start = _random_instant(rng).astimezone(rng.choice([UTC, BANGKOK, timezone(timedelta(hours=-5))]))
        seconds = rng.choice([rng.uniform(0.000_001, 60), rng.uniform(60, 8 * HOUR), rng.uniform(8 * HOUR, 90 * 8 * HOUR)])
        done = cal.add_business_seconds(start, seconds)
        assert abs(cal.business_seconds_between(start, done) - seconds) <= 1e-6, (start, seconds)
        # It lands inside office hours on a business day (at most at closing), never in a closed stretch.
        local = done.astimezone(BANGKOK)
        assert cal.is_business_day(local.date()) and cal.opens <= local.time() <= cal.closes, (start, seconds)
        assert done > start


def test_long_spans_are_fast():
    import time as clock

    began = clock.perf_counter()
    for _ in range(1000):
        CAL.business_seconds_between(bkk(2025, 1, 1, 0, 0), bkk(2026, 12, 31, 23, 0))
        CAL.add_business_seconds(bkk(2025, 1, 1, 0, 0), 400 * 8 * HOUR)
    assert clock.perf_counter() - began < 2.0  # a per-minute loop would take minutes


# -- days off in the database ----------------------------------------------------------------------


async def test_add_load_and_remove_days_off(session):
    row = await business_calendar.add_day_off(session, day=date(2026, 11, 24), name=" วันหยุดพิเศษ กทม. ", created_by="admin")
    assert (row.day, row.name, row.created_by) == (date(2026, 11, 24), "วันหยุดพิเศษ กทม.", "admin")
    await business_calendar.add_day_off(session, day=date(2026, 12, 30), name="ปิดสำนักงาน", created_by=None)

    cal = await business_calendar.load(session, SETTINGS)
    assert dict(cal.days_off) == {date(2026, 11, 24): "วันหยุดพิเศษ กทม.", date(2026, 12, 30): "ปิดสำนักงาน"}
    assert cal.holiday(date(2026, 11, 24)) == Holiday(date(2026, 11, 24), "วันหยุดพิเศษ กทม.", "extra")
    assert cal.business_seconds_between(bkk(2026, 11, 23, 16, 0), bkk(2026, 11, 25, 9, 0)) == 1 * HOUR

    assert await business_calendar.remove_day_off(session, day=date(2026, 11, 24)) is True
    assert await business_calendar.remove_day_off(session, day=date(2026, 11, 24)) is False
    cal = await business_calendar.load(session, SETTINGS)
    assert dict(cal.days_off) == {date(2026, 12, 30): "ปิดสำนักงาน"}
    assert cal.is_business_day(date(2026, 11, 24))


async def test_add_day_off_is_an_upsert(session):
    first = await business_calendar.add_day_off(session, day=date(2026, 11, 24), name="ชื่อเดิม", created_by="a")
    second = await business_calendar.add_day_off(session, day=date(2026, 11, 24), name="ชื่อใหม่", created_by="b")
    assert second is first and (second.name, second.created_by) == ("ชื่อใหม่", "b")
    session.expunge_all()
    cal = await business_calendar.load(session, SETTINGS)
    assert dict(cal.days_off) == {date(2026, 11, 24): "ชื่อใหม่"}


async def test_load_with_no_days_off(session):
    cal = await business_calendar.load(session, SETTINGS)
    assert dict(cal.days_off) == {}
    assert cal.is_business_day(date(2026, 11, 24))


@pytest.mark.parametrize("name", ["", "   ", "ก" * 201], ids=["empty", "blank", "too-long"])
async def test_day_off_needs_a_name(session, name):
    with pytest.raises(InvalidInput):
        await business_calendar.add_day_off(session, day=date(2026, 11, 24), name=name, created_by=None)


def test_office_moment_is_now_when_open_else_the_next_opening():
    cal = BusinessCalendar(tz=BANGKOK, opens=time(8, 30), closes=time(16, 30))
    open_now = datetime(2026, 11, 24, 10, 0, tzinfo=BANGKOK)
    assert cal.office_moment(open_now) == open_now
    assert cal.office_moment(datetime(2026, 11, 24, 7, 0, tzinfo=BANGKOK)) == datetime(2026, 11, 24, 8, 30, tzinfo=BANGKOK)
    # after closing on Friday → Monday's opening; at closing exactly the office is shut
    assert cal.office_moment(datetime(2026, 11, 27, 16, 30, tzinfo=BANGKOK)) == datetime(2026, 11, 30, 8, 30, tzinfo=BANGKOK)
    # Songkran 2026 is Mon 13 – Wed 15 April: Saturday the 11th → Thursday the 16th
    assert cal.office_moment(datetime(2026, 4, 11, 12, 0, tzinfo=BANGKOK)) == datetime(2026, 4, 16, 8, 30, tzinfo=BANGKOK)
