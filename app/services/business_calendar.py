"""The BMA business calendar (SPEC §5): office hours Mon–Fri in the service's time zone, minus Thai
public and government holidays (the `holidays` package) and the extra days off an admin adds.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from models import DayOff

# "public" are the statutory holidays, their in-lieu days and the bridge days the cabinet declares;
# "government" adds the days off only government offices get (the Royal Ploughing Ceremony).
HOLIDAY_CATEGORIES = ("public", "government")
_NAME_MAX = 200  # DayOff.name
_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    source: Literal["public", "extra"]  # the holidays package, or a day off an admin added


@lru_cache(maxsize=64)
def public_holidays(year: int) -> Mapping[date, str]:
    """Thai public and government holidays of one year, names in Thai."""
    found = holidays.country_holidays("TH", years=year, categories=HOLIDAY_CATEGORIES, language="th")
    return MappingProxyType(dict(found))


class BusinessCalendar:
    """Office hours on business days, in `tz`. Instants in, instants out; any time zone."""

    def __init__(self, *, tz: ZoneInfo, opens: time, closes: time, days_off: Mapping[date, str] = {}) -> None:
        if opens >= closes:
            raise ValueError(f"office must open before it closes ({opens} – {closes})")
        self.tz = tz
        self.opens = opens
        self.closes = closes
        self.days_off: Mapping[date, str] = MappingProxyType(dict(days_off))
        # Wall-clock length of a business day. Counted days use it directly: the zones we serve change
        # offset (if ever) at night, not in office hours; partial days are measured between instants.
        self._day_length = datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
        self._closed_weekdays: dict[int, list[date]] = {}

    # -- days -----------------------------------------------------------------------------------

    def holiday(self, day: date) -> Holiday | None:
        """The public holiday or extra day off on `day`, if any (a plain weekend is not a holiday)."""
        name = public_holidays(day.year).get(day)
        if name is not None:
            return Holiday(day, name, "public")
        name = self.days_off.get(day)
        if name is not None:
            return Holiday(day, name, "extra")
        return None

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in public_holidays(day.year) and day not in self.days_off

    def holidays_between(self, first: date, last: date) -> list[Holiday]:
        """Holidays and extra days off from `first` to `last` inclusive, weekends' too, by day.

        A day that is both a public holiday and an extra day off is listed once, as public.
        """
        days = {d for year in range(first.year, last.year + 1) for d in public_holidays(year) if first <= d <= last}
        days.update(d for d in self.days_off if first <= d <= last)
        return [h for h in map(self.holiday, sorted(days)) if h is not None]

    def _closed_weekdays_in(self, year: int) -> list[date]:
        """Sorted Mon–Fri dates of `year` that are holidays or days off."""
        found = self._closed_weekdays.get(year)
        if found is None:
            days = set(public_holidays(year)) | {d for d in self.days_off if d.year == year}
            found = self._closed_weekdays[year] = sorted(d for d in days if d.weekday() < 5)
        return found

    def _business_days(self, first: date, last: date) -> int:
        """How many business days from `first` to `last` inclusive (0 if last < first)."""
        if last < first:
            return 0
        weeks, rest = divmod((last - first).days + 1, 7)
        weekdays = weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)
        closed = 0
        for year in range(first.year, last.year + 1):
            days = self._closed_weekdays_in(year)
            closed += bisect.bisect_right(days, last) - bisect.bisect_left(days, first)
        return weekdays - closed

    def _office(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing instants of `day` (UTC)."""
        return (datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, self.closes, tzinfo=self.tz).astimezone(UTC))

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    # -- instants -------------------------------------------------------------------------------

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of office hours on business days between two aware instants (0.0 if end <= start)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0.0
        first, last = self._local_date(start), self._local_date(end)
        total = self._overlap(first, start, end)
        if last > first:
            total += self._overlap(last, start, end)
            total += self._day_length * self._business_days(first + _DAY, last - _DAY)
        return total.total_seconds()

    def _overlap(self, day: date, start: datetime, end: datetime) -> timedelta:
        if not self.is_business_day(day):
            return timedelta(0)
        opens, closes = self._office(day)
        return max(timedelta(0), min(end, closes) - max(start, opens))

    def office_moment(self, at: datetime) -> datetime:
        """`at` itself if the office is open then, else the next opening (UTC)."""
        at = _utc(at)
        day = self._local_date(at)
        if self.is_business_day(day):
            opens, closes = self._office(day)
            if at < opens:
                return opens
            if at < closes:
                return at
        day += _DAY
        while not self.is_business_day(day):
            day += _DAY
        return self._office(day)[0]

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant (UTC) at which `seconds` of business time have passed since `start`.

        From outside office hours counting begins at the next opening; `seconds` <= 0 returns `start`.
        An amount that runs out exactly at closing time gives the closing instant.
        """
        if seconds <= 0:
            return start
        at = _utc(start)
        remaining = timedelta(seconds=seconds)
        day = self._local_date(at)
        if self.is_business_day(day):
            opens, closes = self._office(day)
            begin = max(at, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += _DAY
        # Whole weeks first, so a long amount costs a few steps per week rather than per day.
        while (week := self._day_length * self._business_days(day, day + _WEEK - _DAY)) < remaining:
            remaining -= week
            day += _WEEK
        while True:
            if self.is_business_day(day):
                if remaining <= self._day_length:
                    return self._office(day)[0] + remaining
                remaining -= self._day_length
            day += _DAY


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the business calendar needs aware datetimes, not {at!r}")
    return at.astimezone(UTC)


def from_settings(settings, days_off: Mapping[date, str] = {}) -> BusinessCalendar:
    """The calendar of `settings` (tz, office_opens, office_closes as "HH:MM")."""
    return BusinessCalendar(tz=settings.tz, opens=time.fromisoformat(settings.office_opens),
                            closes=time.fromisoformat(settings.office_closes), days_off=days_off)


async def load(session: AsyncSession, settings) -> BusinessCalendar:
    """The calendar with every extra day off in the database."""
    rows = await session.scalars(select(DayOff))
    return from_settings(settings, {row.day: row.name for row in rows})


async def add_day_off(session: AsyncSession, *, day: date, name: str, created_by: str | None) -> DayOff:
    """Add an extra day off, or rename the one already on `day`."""
    name = name.strip()
    if not name or len(name) > _NAME_MAX:
        raise InvalidInput(f"a day off needs a name of 1–{_NAME_MAX} characters")
    row = await session.get(DayOff, day)
    if row is None:
        row = DayOff(day=day, name=name, created_by=created_by)
        session.add(row)
    else:
        row.name, row.created_by = name, created_by
    await session.flush()
    return row


async def remove_day_off(session: AsyncSession, *, day: date) -> bool:
    """Remove the extra day off on `day`; False if there was none."""
    row = await session.get(DayOff, day)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
