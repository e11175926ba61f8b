"""The dashboard's heavy figures precomputed for the standard periods.

Exact percentiles over a whole fiscal year sort every value of it (1.3–1.7 s over a million
assignments on PostgreSQL, docs/benchmarks.md). So the job `dashboard-snapshots` (app.scheduler)
computes, every DASHBOARD_SNAPSHOT_MINUTES, for the current and the previous fiscal year, the whole
year and each quarter × unit kind: the leaderboard (rows and total), the totals and the weekly
trend, and keeps each as one `figures_snapshot` row (key "fy|span|kind"). A page for such a
period reads the row while it is fresh and says so ("ตัวเลข ณ …"); a month (fast enough live), a
custom range of days, an older year or a stale row is computed live. Pages never write snapshots.

"Overdue now" is not part of a snapshot: the leaderboard reads it live (it is about now, and cheap).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import fiscal
from app.config import Settings
from app.db import session_scope
from app.services import digests, metrics
from app.web import queries
from app.web.filters import KINDS, Filters, parse
from models import FiguresSnapshot

SPANS = ("", "q1", "q2", "q3", "q4")  # the whole year and its quarters; months are fast enough live
# A snapshot serves a little past its interval, so that pages don't fall back to live figures
# while the next run is still computing.
GRACE = timedelta(minutes=2)


def standard(f: Filters) -> bool:
    """A period the job precomputes: a fiscal year or one of its quarters (not a month, not days)."""
    return not f.custom and f.span in SPANS


def key(f: Filters) -> str:
    return f"{f.fy}|{f.span}|{f.kind}"


def max_age(settings: Settings) -> timedelta:
    """How old a snapshot the pages still use; zero (no snapshots) when the setting is 0."""
    minutes = settings.dashboard_snapshot_minutes
    return timedelta(minutes=minutes) + GRACE if minutes > 0 else timedelta(0)


@dataclass(frozen=True)
class Snapshot:
    computed_at: datetime
    rows: list[queries.UnitRow]  # the leaderboard's, in code order, overdue as of computed_at
    total: metrics.Figures  # the leaderboard's total
    totals: metrics.Figures  # the overview's
    weeks: list[queries.Week]


# -- JSON ------------------------------------------------------------------------------------------

def encode(snap: Snapshot) -> dict[str, Any]:
    """The payload stored (computed_at is a column of its own)."""
    return {
        "rows": [asdict(r) for r in snap.rows],
        "total": asdict(snap.total),
        "totals": asdict(snap.totals),
        "weeks": [{"monday": w.monday.isoformat(), "figures": asdict(w.figures)} for w in snap.weeks],
    }


def decode(payload: dict[str, Any], *, computed_at: datetime) -> Snapshot:
    return Snapshot(
        computed_at=computed_at,
        rows=[queries.UnitRow(**{**r, "figures": _figures(r["figures"])}) for r in payload["rows"]],
        total=_figures(payload["total"]),
        totals=_figures(payload["totals"]),
        weeks=[queries.Week(date.fromisoformat(w["monday"]), _figures(w["figures"])) for w in payload["weeks"]],
    )


def _figures(d: dict[str, Any]) -> metrics.Figures:
    """Figures, or a unit's UnitFigures (the leaderboard's rows carry the unit)."""
    fields = {"counts": metrics.Counts(**d["counts"]),
              **{p: metrics.Percentiles(**d[p]) for p in ("tta", "frt", "ttr")},
              "sla": metrics.Compliance(**d["sla"])}
    if "agency" in d:
        return metrics.UnitFigures(agency=metrics.Unit(**d["agency"]), **fields)
    return metrics.Figures(**fields)


# -- reading ---------------------------------------------------------------------------------------

async def read(session: AsyncSession, f: Filters, *, now: datetime, max_age: timedelta) -> Snapshot | None:
    """The snapshot of the filters' period, if it is a standard one and the snapshot is at most
    `max_age` old; None otherwise (compute live). A zero `max_age` never reads one."""
    if max_age <= timedelta(0) or not standard(f):
        return None
    row = await session.get(FiguresSnapshot, key(f))
    if row is None or row.computed_at < now - max_age:
        return None
    return decode(row.payload, computed_at=row.computed_at)


async def leaderboard(session: AsyncSession, snap: Snapshot, *, now: datetime) -> list[queries.UnitRow]:
    """The snapshot's rows with overdue as of now."""
    overdue = {u.code: u.count for u in await digests.overdue_now(session, now=now, limit=0)}
    return [replace(r, overdue=overdue.get(r.code, 0)) for r in snap.rows]


# -- computing -------------------------------------------------------------------------------------

def periods(*, today: date, settings: Settings) -> list[Filters]:
    """What the job computes: current and previous fiscal year, whole and by quarter, × kind."""
    current = fiscal.fiscal_year(today)
    return [parse({"fy": str(fy), "span": span, "kind": kind}, today=today, tz=settings.tz)
            for fy in (current, current - 1) for span in SPANS for kind in KINDS]


async def compute(session: AsyncSession, f: Filters, *, now: datetime) -> Snapshot:
    rows, total = await queries.leaderboard(session, f, now=now)
    totals = await queries.totals(session, f, now=now)
    weeks = await queries.weekly(session, f, now=now)
    return Snapshot(computed_at=now, rows=rows, total=total, totals=totals, weeks=weeks)


async def refresh(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *,
                  now: datetime) -> dict[str, int]:
    """Compute and store every standard period's snapshot, one transaction per key (a page waiting
    for SQLite's one connection waits for one key at most)."""
    written = 0
    for f in periods(today=now.astimezone(settings.tz).date(), settings=settings):
        async with session_scope(sessionmaker) as session:
            snap = await compute(session, f, now=now)
            await session.execute(_upsert(session.bind.dialect.name, key(f), now, encode(snap)))
        written += 1
    return {"snapshots": written}


def _upsert(dialect: str, snapshot_key: str, computed_at: datetime, payload: dict[str, Any]):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(FiguresSnapshot).values(key=snapshot_key, computed_at=computed_at, payload=payload)
    return stmt.on_conflict_do_update(index_elements=["key"],
                                      set_={"computed_at": stmt.excluded.computed_at,
                                            "payload": stmt.excluded.payload})
