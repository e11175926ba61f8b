"""Managers' digests (SPEC §6): what each recipient's digest holds, and its sending once per period.

A run reads the database in two statements, whatever the number of recipients: app.services.metrics
for the period's counts, percentiles and SLA compliance per unit and in total, and one statement
over the open overdue assignments for each unit's count and most overdue cases. Each recipient's digest
is drawn from them as a Flex carousel by app/line/digest_cards.py (the only module here that knows
LINE's message format); only the ledger row and the push are per recipient.

Who gets what: a BMA-wide manager (no unit), the centre and admins get every unit; a unit manager,
and a coordinator asking in chat, get their unit beside the BMA median. The period's figures are
the assignments forwarded in it (the one definition of app.services.metrics, as on the dashboard),
as they stand when the digest is made; overdue is as of that moment.

Sending: `send_period` writes a DigestDelivery row per (person, period, period key) with an insert
that ignores duplicates, and pushes only when the row was new, in the caller's transaction: two
replicas or a rerun of the job send each person one digest per period.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import fiscal, privacy
from app.config import Settings
from app.db import session_scope
from app.dialect import insert_ignoring_duplicates
from app.errors import InvalidInput, NotFound
from app.line import digest_cards
from app.pipeline import deferred_writes, outbox
from app.services import cases, kpi, kpi_rubric, metrics
from models import OPEN_ASSIGNMENT, Agency, Assignment, ComplaintCase, DigestDelivery, Person, Role

log = logging.getLogger(__name__)

PERIODS = ("daily", "weekly")
CENTRE = "CENTRE"  # the complaints centre's own code
TOP = 5  # overdue units or cases shown
SLOWEST = 10  # units in the slowest-to-acknowledge bubble

SENT, ALREADY_SENT, FAILED, DRY_RUN = "sent", "already_sent", "failed", "dry_run"


# -- periods -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    name: str  # daily | weekly
    start: datetime
    end: datetime  # exclusive
    key: str  # "2026-11-24" | "2026-W48"
    so_far: bool = False  # the current period up to now (on demand), not a finished one


def _check(period: str) -> None:
    if period not in PERIODS:
        raise InvalidInput(f"period must be daily or weekly, not {period!r}", period=period)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _key(period: str, first: date) -> str:
    if period == "daily":
        return first.isoformat()
    year, week, _ = first.isocalendar()
    return f"{year}-W{week:02d}"


def _first_day(period: str, today: date) -> date:
    return today if period == "daily" else today - timedelta(days=today.weekday())


def period_bounds(period: str, now: datetime, tz) -> tuple[datetime, datetime, str]:
    """The last finished period before `now` in `tz`: daily, the previous calendar day (key
    "2026-11-24"); weekly, the previous Monday–Sunday week (key ISO "2026-W48")."""
    _check(period)
    current = _first_day(period, now.astimezone(tz).date())
    first = current - timedelta(days=1 if period == "daily" else 7)
    return _midnight(first, tz), _midnight(current, tz), _key(period, first)


def current_bounds(period: str, now: datetime, tz) -> tuple[datetime, datetime, str]:
    """The period `now` is in, from its start up to `now` (a digest on demand)."""
    _check(period)
    first = _first_day(period, now.astimezone(tz).date())
    start = _midnight(first, tz)
    return start, max(now, start + timedelta(microseconds=1)), _key(period, first)


def make_period(period: str, now: datetime, tz, *, so_far: bool = False) -> Period:
    start, end, key = (current_bounds if so_far else period_bounds)(period, now, tz)
    return Period(period, start, end, key, so_far)


# -- what a digest holds -------------------------------------------------------------------------

@dataclass(frozen=True)
class OverdueCase:
    number: str
    title: str  # scrubbed of the complainant's contact
    missed: str  # "ack" | "resolve": the deadline it missed first
    overdue_seconds: float


@dataclass(frozen=True)
class OverdueUnit:
    code: str
    name_th: str
    count: int  # open assignments past a deadline
    worst_seconds: float  # how long past its deadline the most overdue one is
    cases: tuple[OverdueCase, ...] = ()  # the most overdue ones, most first (at most TOP)


@dataclass(frozen=True)
class Snapshot:
    """Everything every recipient's digest is made of: read once per run."""

    period: Period
    now: datetime
    times: metrics.ResponseTimes
    overdue_units: list[OverdueUnit]  # every unit with an overdue assignment, most first

    def unit_figures(self, code: str) -> metrics.Figures:
        return next((u for u in self.times.units if u.agency.code == code), EMPTY)

    def median_of_units(self, duration: str, name: str) -> float | None:
        """The BMA median: the median over units of each unit's percentile (business seconds)."""
        values = [getattr(getattr(u, duration), f"{name}_business_seconds") for u in self.times.units]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


@dataclass(frozen=True)
class Digest:
    """One recipient's digest, ready to draw."""

    period: Period
    now: datetime
    unit: metrics.Unit | None  # None: BMA-wide
    figures: metrics.Figures  # the unit's, or the BMA total
    bma: metrics.Figures  # the BMA total (its compliance is the unit's comparison)
    bma_median: dict[str, float | None]  # "tta_p50", "tta_p90", "ttr_p50", "ttr_p90" over units
    overdue_total: int  # open overdue assignments now, in scope
    overdue_units: list[OverdueUnit] = field(default_factory=list)  # BMA-wide: the top five
    overdue_cases: list[OverdueCase] = field(default_factory=list)  # a unit: its top five
    slowest: list[metrics.UnitFigures] = field(default_factory=list)  # BMA-wide: by median TTA
    kpi_level: str | None = None
    fiscal_year: int | None = None
    dashboard_url: str = ""


_NO_TIMES = metrics.Percentiles(None, None, None, None)
EMPTY = metrics.Figures(counts=metrics.Counts(0, 0, 0, 0, 0, 0), tta=_NO_TIMES, frt=_NO_TIMES, ttr=_NO_TIMES,
                        sla=metrics.Compliance(None, None))


async def kpi_level(session: AsyncSession, agency: Agency, fiscal_year: int, *, as_of: date,
                    settings: Settings) -> str | None:
    """The unit's innovation-KPI level to date in the fiscal year ("2.5000"), scored by
    app.services.kpi; None while the unit has no evidence recorded (or the rubric has no
    deadlines for the year)."""
    try:
        result = await kpi.evaluate(session, agency=agency, fiscal_year=fiscal_year, as_of=as_of, settings=settings)
    except (NotFound, kpi_rubric.RubricError):
        return None
    return f"{result.score.level:.4f}"


async def overdue_now(session: AsyncSession, *, now: datetime, agency_id: int | None = None,
                      limit: int = TOP) -> list[OverdueUnit]:
    """Every unit (or the one asked for) with open assignments past a deadline at `now`: how many,
    how long past the oldest, and (when `limit`) its `limit` most overdue cases; the units with most
    first (then the longest overdue, then by code). Overdue as app.services.cases.overdue defines it,
    the cases in its order.

    One statement either way: with cases, a window over the open overdue assignments (rather than a
    query per unit); without, a plain aggregate, which needs no sort (a BMA-wide digest alone)."""
    a, c = Assignment, ComplaintCase
    missed = cases.deadline_order()
    where = [a.status.in_(sorted(s.value for s in OPEN_ASSIGNMENT)), cases.overdue_clause(now)]
    if agency_id is not None:
        where.append(a.agency_id == agency_id)
    if not limit:
        stmt = (select(Agency.code, Agency.name_th, func.count().label("n"), func.min(missed).label("missed"))
                .join_from(a, Agency, a.agency_id == Agency.id).where(*where).group_by(Agency.code, Agency.name_th))
        units = [OverdueUnit(r.code, r.name_th, r.n, (now - r.missed).total_seconds())
                 for r in (await session.execute(stmt)).all()]
        return sorted(units, key=lambda u: (-u.count, -u.worst_seconds, u.code))
    ranked = (select(a.agency_id, a.case_id, a.acknowledged_at, a.ack_due_at, missed.label("missed"),
                     func.row_number().over(partition_by=a.agency_id, order_by=(missed, a.id)).label("rank"),
                     func.count().over(partition_by=a.agency_id).label("n"))
              .where(*where).subquery())
    stmt = (select(ranked.c.rank, ranked.c.n, ranked.c.missed, ranked.c.acknowledged_at, ranked.c.ack_due_at,
                   Agency.code, Agency.name_th, c.number, c.title, c.complainant_name, c.complainant_phone,
                   c.complainant_email)
            .join_from(ranked, Agency, Agency.id == ranked.c.agency_id)
            .join(c, c.id == ranked.c.case_id)
            .where(ranked.c.rank <= limit)
            .order_by(Agency.code, ranked.c.rank))
    by_unit: dict[str, list] = {}
    for row in (await session.execute(stmt)).all():
        by_unit.setdefault(row.code, []).append(row)
    units = []
    for code, rows in by_unit.items():
        top = tuple(OverdueCase(number=r.number, title=_scrubbed(r), overdue_seconds=(now - r.missed).total_seconds(),
                                missed="ack" if r.acknowledged_at is None and r.ack_due_at is not None else "resolve")
                    for r in rows)
        units.append(OverdueUnit(code, rows[0].name_th, rows[0].n, top[0].overdue_seconds, top))
    return sorted(units, key=lambda u: (-u.count, -u.worst_seconds, u.code))


def _scrubbed(row) -> str:
    """A case title with the complainant's contact masked (app.privacy reads only these fields)."""
    contact = ComplaintCase(title=row.title, complainant_name=row.complainant_name,
                            complainant_phone=row.complainant_phone, complainant_email=row.complainant_email)
    return privacy.scrub(row.title, contact)


async def snapshot(session: AsyncSession, *, period: Period, now: datetime, agency_id: int | None = None,
                   with_cases: bool = True) -> Snapshot:
    """The period's figures for every unit (a unit's digest needs them for the BMA median) and the
    overdue now, of every unit or of the one asked for; `with_cases`: each unit's most overdue
    cases too (every unit manager's digest lists them; a BMA-wide one does not)."""
    times = await metrics.response_times(session, start=period.start, end=period.end, now=now)
    overdue = await overdue_now(session, now=now, agency_id=agency_id, limit=TOP if with_cases else 0)
    return Snapshot(period=period, now=now, times=times, overdue_units=overdue)


def scope_of(person: Person) -> Agency | None:
    """The unit a person's digest is about; None for BMA-wide (the centre's staff, admins, and a
    manager without a unit or of the centre itself, which is forwarded nothing)."""
    if person.role in (Role.centre, Role.admin) or person.agency is None or person.agency.code == CENTRE:
        return None
    return person.agency


async def digest_for(session: AsyncSession, snap: Snapshot, person: Person, settings: Settings) -> Digest:
    agency = scope_of(person)
    medians = {f"{d}_{p}": snap.median_of_units(d, p) for d in ("tta", "ttr") for p in ("p50", "p90")}
    base = f"{settings.public_base_url.rstrip('/')}/dashboard"
    if agency is None:
        slowest = sorted((u for u in snap.times.units if u.tta.p50_business_seconds is not None),
                         key=lambda u: (-u.tta.p50_business_seconds, u.agency.code))[:SLOWEST]
        return Digest(period=snap.period, now=snap.now, unit=None, figures=snap.times.total, bma=snap.times.total,
                      bma_median=medians, overdue_total=sum(u.count for u in snap.overdue_units),
                      overdue_units=snap.overdue_units[:TOP], slowest=slowest, dashboard_url=base)
    own = next((u for u in snap.overdue_units if u.code == agency.code), None)
    fy = fiscal.fiscal_year((snap.period.end - timedelta(microseconds=1)).astimezone(settings.tz).date())
    return Digest(period=snap.period, now=snap.now, unit=metrics.Unit(agency.code, agency.name_th),
                  figures=snap.unit_figures(agency.code), bma=snap.times.total, bma_median=medians,
                  overdue_total=own.count if own else 0, overdue_cases=list(own.cases) if own else [],
                  kpi_level=await kpi_level(session, agency, fy, settings=settings,
                                            as_of=(snap.now.astimezone(settings.tz).date())), fiscal_year=fy,
                  dashboard_url=f"{base}?{urlencode({'agency': agency.code})}")


# -- the message ---------------------------------------------------------------------------------

async def build(session: AsyncSession, *, person: Person, period: str, now: datetime, settings: Settings,
                so_far: bool = False) -> dict[str, Any]:
    """The digest for one person as a LINE Flex message (a carousel). `so_far`: the current period
    up to `now` (on demand) instead of the last finished one."""
    agency = scope_of(person)
    snap = await snapshot(session, period=make_period(period, now, settings.tz, so_far=so_far), now=now,
                          agency_id=agency.id if agency else None, with_cases=agency is not None)
    return digest_cards.carousel(await digest_for(session, snap, person, settings), tz=settings.tz)


# -- sending -------------------------------------------------------------------------------------

async def recipients(session: AsyncSession) -> list[Person]:
    """Every active manager: the scheduled digests go to them (SPEC §6)."""
    return list((await session.scalars(
        select(Person).where(Person.role == Role.manager, Person.active.is_(True)).order_by(Person.id))).all())


async def _claim(session: AsyncSession, person: Person, period: Period, now: datetime) -> bool:
    """Write the ledger row; True when it is new (this run sends), False when already there."""
    table = DigestDelivery.__table__
    stmt = (insert_ignoring_duplicates(session.bind.dialect.name, table, ["person_id", "period", "period_key"])
            .values(person_id=person.id, period=period.name, period_key=period.key, sent_at=now)
            .returning(table.c.id))
    return (await session.execute(stmt)).first() is not None


async def send_period(session: AsyncSession, *, period: str, now: datetime, settings: Settings,
                      dry_run: bool = False) -> list[dict[str, Any]]:
    """The last finished period's digest to every active manager, once per person and period, in
    the caller's transaction. `dry_run` writes nothing and returns the messages it would send.

    Returns one summary per recipient: person_id, line_user_id, name, unit (code or None), status
    (sent | already_sent | failed | dry_run), and the message."""
    people = await recipients(session)
    snap = await snapshot(session, period=make_period(period, now, settings.tz), now=now,
                          with_cases=any(scope_of(p) is not None for p in people))
    results = []
    for person in people:
        summary: dict[str, Any] = {"person_id": person.id, "line_user_id": person.line_user_id,
                                   "name": person.display_name, "unit": person.agency.code if person.agency else None,
                                   "period": period, "period_key": snap.period.key}
        try:
            # Each recipient in a savepoint: one bad digest leaves the others' rows and messages be.
            async with deferred_writes.savepoint(session):
                message = digest_cards.carousel(await digest_for(session, snap, person, settings), tz=settings.tz)
                if dry_run:
                    status = DRY_RUN
                elif await _claim(session, person, snap.period, now):
                    await outbox.push(session, to=person.line_user_id, messages=[message], now=now)
                    status = SENT
                else:
                    status = ALREADY_SENT
        except Exception as exc:
            log.exception("digest failed", extra={"person_id": person.id, "period": period, "key": snap.period.key})
            summary |= {"status": FAILED, "error": f"{type(exc).__name__}: {exc}"}
        else:
            summary |= {"status": status, "message": message}
        results.append(summary)
    return results


async def send_scheduled(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, period: str,
                         now: datetime) -> dict[str, int]:
    """The scheduled job: its own transaction; returns how many digests were sent, already sent
    (another replica or an earlier run) and failed."""
    async with session_scope(sessionmaker) as session:
        results = await send_period(session, period=period, now=now, settings=settings)
    counts = {SENT: 0, ALREADY_SENT: 0, FAILED: 0}
    for r in results:
        counts[r["status"]] += 1
    log.info("digests", extra={"period": period, **counts})
    return counts
