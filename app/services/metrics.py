"""Response-time metrics per unit (SPEC §5, §8): counts, p50/p90 of TTA, FRT and TTR in wall-clock
and business seconds, and SLA compliance, over the assignments forwarded in a period.

Everything is computed by the database, in one statement: a query grouped by unit and one for the
BMA-wide total, with the same `percentile_cont` definition on PostgreSQL and SQLite (app.dialect).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, func, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.dialect import percentile_cont, roomy_sorts
from app.errors import InvalidInput
from models import Agency, Assignment
from models.case import OPEN_ASSIGNMENT

DEFAULT_SPAN = timedelta(days=30)
# Three years, a leap day included: longer spans are reports for an export, not this query.
MAX_SPAN = timedelta(days=3 * 365 + 1)

_DURATIONS = ("tta", "frt", "ttr")
_FRACTIONS = {"p50": 0.5, "p90": 0.9}


@dataclass(frozen=True)
class Counts:
    """Assignments forwarded in the period, and how many of them reached each moment so far."""

    forwarded: int
    acknowledged: int  # acknowledged_at set
    responded: int  # first_response_at set
    resolved: int  # resolved_at set
    returned: int  # returned_at set
    open: int  # still the unit's to act on (forwarded or acknowledged)


@dataclass(frozen=True)
class Percentiles:
    """Of one response time (TTA, FRT or TTR); None when no assignment has reached it."""

    p50_seconds: float | None
    p90_seconds: float | None
    p50_business_seconds: float | None
    p90_business_seconds: float | None


@dataclass(frozen=True)
class Compliance:
    """Per cent of the deadlines that have been decided that were met; None when none has been
    decided yet. Acknowledging is met by รับเรื่อง or by a return (ไม่ใช่หน่วยงานเรา) in time;
    a deadline is decided when met, or when it passed while the unit still held the case."""

    acknowledge_percent: float | None
    resolve_percent: float | None


@dataclass(frozen=True)
class Figures:
    counts: Counts
    tta: Percentiles
    frt: Percentiles
    ttr: Percentiles
    sla: Compliance


@dataclass(frozen=True)
class Unit:
    code: str
    name_th: str


@dataclass(frozen=True)
class UnitFigures(Figures):
    agency: Unit


@dataclass(frozen=True)
class ResponseTimes:
    start: datetime
    end: datetime
    units: list[UnitFigures]  # by unit code; units with nothing forwarded in the period are left out
    total: Figures  # all the units above together (BMA-wide, or the one unit asked for)


async def response_times(session: AsyncSession, *, start: datetime, end: datetime, agency_id: int | None = None,
                         agency_kind: str | None = None, now: datetime) -> ResponseTimes:
    """Metrics over the assignments with `start <= forwarded_at < end`, per unit and in total;
    `agency_kind` keeps the units of one kind (district, bureau, office) and totals them alone."""
    check_period(start, end)
    a = Assignment
    where = [a.forwarded_at >= start, a.forwarded_at < end]
    if agency_id is not None:
        where.append(a.agency_id == agency_id)
    if agency_kind is not None:
        where.append(a.agency_id.in_(select(Agency.id).where(Agency.kind == agency_kind)))
    aggregates = _aggregates(now)
    # The per-unit aggregate and the total in one statement: one round trip, and PostgreSQL runs
    # the two halves side by side (Parallel Append). The total's row has no unit.
    per_unit = select(a.agency_id, *aggregates).where(*where).group_by(a.agency_id).subquery()
    units = (select(Agency.code, Agency.name_th, *(c for c in per_unit.c if c.name != "agency_id"))
             .join_from(per_unit, Agency, per_unit.c.agency_id == Agency.id))
    total = select(null().label("code"), null().label("name_th"), *aggregates).where(*where)
    await roomy_sorts(session)
    rows = (await session.execute(union_all(units, total))).all()
    return ResponseTimes(
        start=start, end=end,
        units=sorted((UnitFigures(agency=Unit(r.code, r.name_th), **_figures(r)) for r in rows if r.code is not None),
                     key=lambda u: u.agency.code),
        total=next(Figures(**_figures(r)) for r in rows if r.code is None),
    )


def check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("naive datetime: pass aware datetimes")
    if start >= end:
        raise InvalidInput(f"“from” ({start.isoformat()}) must be before “to” ({end.isoformat()})",
                           start=start.isoformat(), end=end.isoformat())
    if end - start > MAX_SPAN:
        raise InvalidInput(f"the period may be at most {MAX_SPAN.days} days (three years), not {(end - start).days}",
                           max_days=MAX_SPAN.days)


def parse_period(start: str | None, end: str | None, *, tz: tzinfo, now: datetime) -> tuple[datetime, datetime]:
    """The period `from`–`to` as people give it: each a date (a whole day in `tz`; `to` includes its
    day) or an ISO date-time with its offset. Without `to` the period ends now; without `from` it is
    the 30 days before `to`."""
    end_at = _parse_moment(end, "to", tz=tz, end_of_day=True) if end else now
    start_at = _parse_moment(start, "from", tz=tz, end_of_day=False) if start else end_at - DEFAULT_SPAN
    check_period(start_at, end_at)
    return start_at, end_at


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A "+07:00" offset typed into a URL unencoded arrives as " 07:00" ('+' means a space in a query).
_SPACED_OFFSET = re.compile(r"(.*T\S*) (\d{2}(?::?\d{2})?)")


# Wide enough for any real period, and far enough inside datetime's years 1–9999 that adding a
# day, taking the default 30 days, or a time-zone shift in the database never falls off the end.
_YEARS = range(1900, 3000)


def _parse_moment(text: str, name: str, *, tz: tzinfo, end_of_day: bool) -> datetime:
    text = text.strip()
    example = "a date like 2026-11-01 or a date-time with its offset like 2026-11-01T08:30:00+07:00"
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"“{name}” is not a real date: {text!r}", parameter=name, value=text) from None
        _check_year(day.year, name, text)
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=tz)
    if spaced := _SPACED_OFFSET.fullmatch(text):
        text = f"{spaced[1]}+{spaced[2]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"“{name}” must be {example}, not {text!r}", parameter=name, value=text) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"“{name}” needs an offset (say {text}+07:00), or give a date", parameter=name, value=text)
    _check_year(moment.year, name, text)
    return moment


def _check_year(year: int, name: str, text: str) -> None:
    if year not in _YEARS:
        raise InvalidInput(f"“{name}” must be in the years {_YEARS.start}–{_YEARS.stop - 1}, not {text!r}",
                           parameter=name, value=text)


def aggregate_columns(now: datetime, *, durations: tuple[str, ...] = _DURATIONS,
                      business_only: bool = False) -> list:
    """The SQL aggregates behind `Figures`, to group by something else than the unit (a week, for
    the dashboard's trends); `figures_of` reads a row of them back. Fewer durations, or business
    seconds only, leave those percentiles None (each percentile is a sort: ask only for what's drawn)."""
    return _aggregates(now, durations=durations, kinds=("_business",) if business_only else ("", "_business"))


def figures_of(row) -> Figures:
    return Figures(**_figures(row))


def _aggregates(now: datetime, *, durations: tuple[str, ...] = _DURATIONS,
                kinds: tuple[str, ...] = ("", "_business")) -> list:
    a = Assignment
    # A deadline is decided once it was met, or once it passed while the unit still held the
    # assignment. A prompt "not ours" answers the acknowledge deadline as well as รับเรื่อง does;
    # an assignment the centre took away (re-routed, closed) unanswered, or a returned one, is
    # nobody's miss for what it no longer had to do.
    answered = func.coalesce(a.acknowledged_at, a.returned_at)
    held = a.status.in_(sorted(s.value for s in OPEN_ASSIGNMENT))
    ack_decided = and_(a.ack_due_at.is_not(None), or_(answered.is_not(None), and_(a.ack_due_at <= now, held)))
    resolve_decided = and_(a.resolve_due_at.is_not(None),
                           or_(a.resolved_at.is_not(None), and_(a.resolve_due_at <= now, held)))
    columns = [
        func.count().label("forwarded"),
        func.count(a.acknowledged_at).label("acknowledged"),
        func.count(a.first_response_at).label("responded"),
        func.count(a.resolved_at).label("resolved"),
        func.count(a.returned_at).label("returned"),
        func.count().filter(a.status.in_(sorted(s.value for s in OPEN_ASSIGNMENT))).label("open"),
        func.count().filter(answered <= a.ack_due_at).label("ack_met"),
        func.count().filter(ack_decided).label("ack_decided"),
        func.count().filter(a.resolved_at <= a.resolve_due_at).label("resolve_met"),
        func.count().filter(resolve_decided).label("resolve_decided"),
    ]
    for duration in durations:
        for kind in kinds:
            column = getattr(a, f"{duration}{kind}_seconds")
            for name, fraction in _FRACTIONS.items():
                columns.append(percentile_cont(fraction, column).label(f"{duration}_{name}{kind}_seconds"))
    return columns


def _figures(row) -> dict:
    m = row._mapping
    return {
        "counts": Counts(forwarded=m["forwarded"], acknowledged=m["acknowledged"], responded=m["responded"],
                         resolved=m["resolved"], returned=m["returned"], open=m["open"]),
        **{d: Percentiles(**{f"{name}{kind}_seconds": m.get(f"{d}_{name}{kind}_seconds")
                             for name in _FRACTIONS for kind in ("", "_business")})
           for d in _DURATIONS},
        "sla": Compliance(acknowledge_percent=_percent(m["ack_met"], m["ack_decided"]),
                          resolve_percent=_percent(m["resolve_met"], m["resolve_decided"])),
    }


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None
