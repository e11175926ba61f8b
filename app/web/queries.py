"""The dashboard's data. Figures are SQL aggregates over the assignments forwarded in the period
(the one definition of app.services.metrics, as in the digests); lists are paginated, in an order
an index gives. Nothing here reads more rows into Python than a page shows.

Indexes these lean on: assignment(forwarded_at) and assignment(agency_id, forwarded_at) for every
period; assignment(status) for what is open and overdue now; case_event(actor_id, at) for a
coordinator's latest action; case_event(case_id, at) for a timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import privacy
from app.dialect import local_week, roomy_sorts
from app.errors import NotFound
from app.services import cases, digests, metrics
from app.services.digests import EMPTY
from app.web.filters import Filters
from models import OPEN_ASSIGNMENT, Agency, Assignment, CaseEvent, ComplaintCase, Person, Role

OPEN = sorted(s.value for s in OPEN_ASSIGNMENT)
PER_PAGE = 50
CENTRE = digests.CENTRE

# What became of the assignments forwarded in a period, in the order a case moves.
STATUS_BUCKETS = (
    ("forwarded", "รอรับเรื่อง"),
    ("acknowledged", "รับเรื่องแล้ว กำลังดำเนินการ"),
    ("resolved", "เสร็จแล้ว รอศูนย์ฯ ปิดเรื่อง"),
    ("closed", "ปิดเรื่องแล้ว"),
    ("returned", "ส่งคืนศูนย์ฯ (ไม่ใช่หน่วยงาน)"),
    ("reassigned", "โอนไปหน่วยงานอื่น"),
    ("withdrawn", "ศูนย์ฯ ปิดระหว่างดำเนินการ"),
)
_TREND = ("tta", "ttr")  # the percentiles drawn: business seconds of TTA and TTR only


def period_where(f: Filters, *, agency_id: int | None = None) -> list:
    a = Assignment
    where = [a.forwarded_at >= f.start, a.forwarded_at < f.end]
    if agency_id is not None:
        where.append(a.agency_id == agency_id)
    if f.agency_kind is not None:
        where.append(a.agency_id.in_(select(Agency.id).where(Agency.kind == f.agency_kind)))
    return where


# -- overview --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusCount:
    key: str
    label: str
    count: int


async def status_counts(session: AsyncSession, f: Filters, *, agency_id: int | None = None) -> list[StatusCount]:
    """The period's assignments by where they stand now; a resolved one whose case the centre has
    closed counts as closed."""
    a, c = Assignment, ComplaintCase
    stmt = (select(a.status, c.status.label("case_status"), func.count().label("n"))
            .join(c, c.id == a.case_id).where(*period_where(f, agency_id=agency_id))
            .group_by(a.status, c.status))
    counts = dict.fromkeys((key for key, _ in STATUS_BUCKETS), 0)
    for row in (await session.execute(stmt)).all():
        key = "closed" if row.status == "resolved" and row.case_status == "closed" else row.status
        counts[key] = counts.get(key, 0) + row.n
    return [StatusCount(key, label, counts[key]) for key, label in STATUS_BUCKETS]


async def totals(session: AsyncSession, f: Filters, *, now: datetime, agency_id: int | None = None) -> metrics.Figures:
    """Counts, SLA compliance and business-hours TTA/TTR percentiles of the whole period."""
    stmt = (select(*metrics.aggregate_columns(now, durations=_TREND, business_only=True))
            .where(*period_where(f, agency_id=agency_id)))
    await roomy_sorts(session)
    return metrics.figures_of((await session.execute(stmt)).one())


@dataclass(frozen=True)
class Week:
    monday: date
    figures: metrics.Figures


async def weekly(session: AsyncSession, f: Filters, *, now: datetime, agency_id: int | None = None) -> list[Week]:
    """The period week by week (Monday to Sunday, in the service's zone), weeks with nothing
    forwarded included (empty), up to the week of `now`. One grouped statement."""
    offset = int(f.start.utcoffset().total_seconds())
    week = local_week(Assignment.forwarded_at, f.tz.key, offset).label("week")
    stmt = (select(week, *metrics.aggregate_columns(now, durations=_TREND, business_only=True))
            .where(*period_where(f, agency_id=agency_id)).group_by(week).order_by(week))
    found = {}
    await roomy_sorts(session)
    for row in (await session.execute(stmt)).all():
        monday = row.week if isinstance(row.week, date) else date.fromisoformat(str(row.week))
        found[monday] = metrics.figures_of(row)
    first_day, last_day = f.days
    last_day = min(last_day, now.astimezone(f.tz).date())
    monday = first_day - timedelta(days=first_day.weekday())
    weeks = []
    while monday <= last_day:
        weeks.append(Week(monday, found.get(monday, EMPTY)))
        monday += timedelta(days=7)
    return weeks


# -- the leaderboard -------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitRow:
    agency_id: int
    code: str
    name_th: str
    kind: str
    figures: metrics.Figures  # EMPTY when nothing was forwarded in the period
    overdue: int  # open assignments past a deadline now

    @property
    def returned_percent(self) -> float | None:
        c = self.figures.counts
        return 100.0 * c.returned / c.forwarded if c.forwarded else None

    def value(self, key: str) -> float | None:
        fig = self.figures
        return {
            "forwarded": fig.counts.forwarded,
            "tta_p50": fig.tta.p50_business_seconds, "tta_p90": fig.tta.p90_business_seconds,
            "ttr_p50": fig.ttr.p50_business_seconds, "ttr_p90": fig.ttr.p90_business_seconds,
            "sla": fig.sla.acknowledge_percent, "sla_resolve": fig.sla.resolve_percent,
            "returned": self.returned_percent, "overdue": self.overdue,
        }[key]


# sort key → (column heading, what it is in full, True when a higher value is better: the
# default direction puts the best first)
SORTS = {
    "forwarded": ("จำนวนเรื่อง", "จำนวนเรื่องที่ส่งถึง", True),
    "tta_p50": ("รับเรื่อง p50", "เวลารับเรื่อง มัธยฐาน", False),
    "tta_p90": ("รับเรื่อง p90", "เวลารับเรื่อง p90", False),
    "ttr_p50": ("แล้วเสร็จ p50", "เวลาแล้วเสร็จ มัธยฐาน", False),
    "ttr_p90": ("แล้วเสร็จ p90", "เวลาแล้วเสร็จ p90", False),
    "sla": ("รับทันกำหนด", "ร้อยละที่รับเรื่องภายในกำหนด", True),
    "sla_resolve": ("เสร็จทันกำหนด", "ร้อยละที่แล้วเสร็จภายในกำหนด", True),
    "returned": ("ส่งคืน", "สัดส่วนที่ส่งคืนศูนย์ฯ", False),
    "overdue": ("ค้างเกินกำหนด", "จำนวนเรื่องค้างเกินกำหนด ณ ขณะนี้", False),
}
DEFAULT_SORT = "tta_p50"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """'-tta_p50' → ('tta_p50', True): descending. Unknown → the default, ascending."""
    raw = (raw or "").strip()
    key = raw.lstrip("-")
    if key not in SORTS and key not in ("code", "name"):
        return DEFAULT_SORT, False
    return key, raw.startswith("-")


def best_first(key: str) -> str:
    """The `sort` value that puts the best units first by `key`."""
    return f"-{key}" if key in SORTS and SORTS[key][2] else key


def sort_rows(rows: list[UnitRow], key: str, descending: bool) -> list[UnitRow]:
    """By `key`; units without a value (nothing forwarded) last either way, then by code."""
    if key in ("code", "name"):
        return sorted(rows, key=lambda r: r.code if key == "code" else r.name_th, reverse=descending)
    with_value = [r for r in rows if r.value(key) is not None]
    without = sorted((r for r in rows if r.value(key) is None), key=lambda r: r.code)
    with_value.sort(key=lambda r: r.code)
    with_value.sort(key=lambda r: r.value(key), reverse=descending)  # stable: ties stay by code
    return with_value + without


async def units_of_kind(session: AsyncSession, kind: str | None) -> list[Agency]:
    stmt = select(Agency).where(Agency.active.is_(True), Agency.code != CENTRE).order_by(Agency.code)
    if kind is not None:
        stmt = stmt.where(Agency.kind == kind)
    return list((await session.scalars(stmt)).all())


async def leaderboard(session: AsyncSession, f: Filters, *, now: datetime) -> tuple[list[UnitRow], metrics.Figures]:
    """Every active unit of the kind (but the centre), with its figures for the period and its
    overdue now, in code order; and the figures of all of them together. Three statements."""
    units = await units_of_kind(session, f.agency_kind)
    times = await metrics.response_times(session, start=f.start, end=f.end, agency_kind=f.agency_kind, now=now)
    overdue = {u.code: u.count for u in await digests.overdue_now(session, now=now, limit=0)}
    by_code = {u.agency.code: u for u in times.units}
    rows = [UnitRow(agency_id=u.id, code=u.code, name_th=u.name_th, kind=u.kind,
                    figures=by_code.get(u.code, EMPTY), overdue=overdue.get(u.code, 0)) for u in units]
    return rows, times.total


def overdue_where(f: Filters, *, now: datetime, agency_id: int | None) -> list:
    """Open assignments past a deadline now, of a unit or of the filter's kind (the period does not
    apply: overdue is overdue)."""
    a = Assignment
    where = [a.status.in_(OPEN), cases.overdue_clause(now)]
    if agency_id is not None:
        where.append(a.agency_id == agency_id)
    if f.agency_kind is not None:
        where.append(a.agency_id.in_(select(Agency.id).where(Agency.kind == f.agency_kind)))
    return where


async def overdue_total(session: AsyncSession, f: Filters, *, now: datetime, agency_id: int | None = None) -> int:
    where = overdue_where(f, now=now, agency_id=agency_id)
    return await session.scalar(select(func.count()).select_from(Assignment).where(*where))


# -- a unit ----------------------------------------------------------------------------------------

async def agency_by_code(session: AsyncSession, code: str) -> Agency:
    agency = await session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or agency.code == CENTRE:
        raise NotFound(f"ไม่พบหน่วยงานรหัส {code}", code=code)
    return agency


@dataclass(frozen=True)
class CaseRow:
    number: str
    title: str  # masked of the complainant's contact unless the viewer may see it
    priority: str
    case_status: str
    status: str  # the assignment's
    agency_code: str
    agency_name: str
    forwarded_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    tta_business_seconds: float | None
    ttr_business_seconds: float | None
    overdue_since: datetime | None  # the deadline missed, for an open assignment past it
    contact: tuple[str | None, str | None, str | None] | None = None  # name, phone, email: centre/admin only


def _case_columns():
    a, c = Assignment, ComplaintCase
    return (a.id, a.status, a.forwarded_at, a.acknowledged_at, a.resolved_at, a.tta_business_seconds,
            a.ttr_business_seconds, a.ack_due_at, a.resolve_due_at, c.number, c.title, c.priority,
            c.status.label("case_status"), c.complainant_name, c.complainant_phone, c.complainant_email,
            Agency.code.label("agency_code"), Agency.name_th.label("agency_name"))


def case_row(row, *, now: datetime, contact: bool) -> CaseRow:
    missed = None
    if row.status in OPEN:
        if row.acknowledged_at is None and row.ack_due_at is not None and row.ack_due_at < now:
            missed = row.ack_due_at
        elif row.resolve_due_at is not None and row.resolve_due_at < now:
            missed = row.resolve_due_at
    return CaseRow(number=row.number, title=row.title if contact else masked_title(row), priority=row.priority,
                   case_status=row.case_status, status=row.status, agency_code=row.agency_code,
                   agency_name=row.agency_name, forwarded_at=row.forwarded_at, acknowledged_at=row.acknowledged_at,
                   resolved_at=row.resolved_at, tta_business_seconds=row.tta_business_seconds,
                   ttr_business_seconds=row.ttr_business_seconds, overdue_since=missed,
                   contact=(row.complainant_name, row.complainant_phone, row.complainant_email) if contact else None)


def masked_title(row) -> str:
    return privacy.scrub(row.title, ComplaintCase(title=row.title, complainant_name=row.complainant_name,
                                                  complainant_phone=row.complainant_phone,
                                                  complainant_email=row.complainant_email))


def case_rows_statement(f: Filters, *, agency_id: int | None, newest_first: bool = True):
    """Assignments forwarded in the period with their case and unit (a unit's page, the export)."""
    a = Assignment
    order = (a.forwarded_at.desc(), a.id.desc()) if newest_first else (a.forwarded_at, a.id)
    return (select(*_case_columns()).join_from(a, ComplaintCase, ComplaintCase.id == a.case_id)
            .join(Agency, Agency.id == a.agency_id).where(*period_where(f, agency_id=agency_id)).order_by(*order))


async def case_count(session: AsyncSession, f: Filters, *, agency_id: int | None) -> int:
    return await session.scalar(select(func.count()).select_from(Assignment)
                                .where(*period_where(f, agency_id=agency_id)))


async def unit_cases(session: AsyncSession, f: Filters, *, agency_id: int, now: datetime, page: int,
                     contact: bool) -> tuple[list[CaseRow], int]:
    total = await case_count(session, f, agency_id=agency_id)
    stmt = case_rows_statement(f, agency_id=agency_id).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    rows = (await session.execute(stmt)).all()
    return [case_row(r, now=now, contact=contact) for r in rows], total


@dataclass(frozen=True)
class Coordinator:
    name: str
    active: bool
    registered_at: datetime
    last_action_at: datetime | None  # the latest case event they made, ever
    actions: int  # case events they made in the period (taps, messages, notes)


async def coordinators(session: AsyncSession, f: Filters, *, agency_id: int) -> list[Coordinator]:
    """The unit's coordinators, active first. Each figure is a correlated subquery that walks the
    index case_event(actor_id, at): a unit has a handful of coordinators."""
    e = CaseEvent
    last = select(func.max(e.at)).where(e.actor_id == Person.id).correlate(Person).scalar_subquery()
    actions = (select(func.count()).select_from(e)
               .where(e.actor_id == Person.id, e.at >= f.start, e.at < f.end).correlate(Person).scalar_subquery())
    stmt = (select(Person.display_name, Person.active, Person.registered_at, last.label("last"),
                   actions.label("actions"))
            .where(Person.agency_id == agency_id, Person.role == Role.coordinator)
            .order_by(Person.active.desc(), Person.display_name, Person.id))
    return [Coordinator(name=r.display_name or "-", active=r.active, registered_at=r.registered_at,
                        last_action_at=_aware(r.last), actions=r.actions)
            for r in (await session.execute(stmt)).all()]


def _aware(value) -> datetime | None:
    """max() over a UTC column comes back without the column's type on SQLite: a naive UTC text."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC)


# -- a case ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseDetail:
    case: ComplaintCase
    events: list[CaseEvent]
    names: dict[int, str]  # actor id → display name


async def case_detail(session: AsyncSession, number: str) -> CaseDetail:
    case = await cases.get_by_number(session, number)
    events = await cases.timeline(session, case)
    ids = {e.actor_id for e in events if e.actor_id}
    names = {p.id: p.display_name or "-" for p in (await session.scalars(
        select(Person).where(Person.id.in_(ids)))).all()} if ids else {}
    return CaseDetail(case=case, events=events, names=names)


# -- overdue now -----------------------------------------------------------------------------------

async def overdue_cases(session: AsyncSession, f: Filters, *, now: datetime, agency_id: int | None, page: int,
                        contact: bool) -> tuple[list[CaseRow], int]:
    """Open assignments past a deadline now, most overdue first (as `ค้าง` in LINE), of a unit or of
    the kind; the period does not apply: overdue is overdue."""
    a = Assignment
    where = overdue_where(f, now=now, agency_id=agency_id)
    total = await session.scalar(select(func.count()).select_from(a).where(*where))
    stmt = (select(*_case_columns()).join_from(a, ComplaintCase, ComplaintCase.id == a.case_id)
            .join(Agency, Agency.id == a.agency_id).where(*where)
            .order_by(cases.deadline_order(), a.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    rows = (await session.execute(stmt)).all()
    return [case_row(r, now=now, contact=contact) for r in rows], total
