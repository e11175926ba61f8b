"""Digest benchmark: `digests.build` and the whole job over a year of assignments, against the bare SQL.

For each database it builds and fills a fresh one exactly as bench/metrics.py does (its functions,
imported: the real migrations and units, N assignments over the 76 units and the 365 days before
2026-11-24, the same rows on both databases), adds one BMA-wide manager and one manager for each
unit, and then times, for the daily (23 Nov) and the weekly (16–22 Nov) digest due at that moment:
  - BMA-wide: `digests.build` for the BMA-wide manager (a new session, as a chat request or a job);
  - unit:     `digests.build` for Bang Rak's manager;
  - job:      `digests.send_period(..., dry_run=True)`: every manager's digest, as the scheduled
              job makes them (77 recipients), without writing;
against a baseline of the hand-written SQL each needs, run on the driver's own connection
(asyncpg / aiosqlite) with no SQLAlchemy and no Flex drawing, the same two statements each sends:
  - the period's counts, percentiles and SLA per unit and in total (bench/metrics.py's statement);
  - the open overdue assignments per unit: for the BMA-wide digest an aggregate (how many, the
    oldest miss); for a unit's, and for the job, a window that also gives each unit's (or the one
    unit's) five most overdue cases with their titles.
They alternate, after one warm-up run each; the table gives medians and the ratio. Each run checks
the digest's numbers (forwarded in the period, overdue now) against the baseline's.

  .venv/bin/python bench/digest.py [--db sqlite|postgresql|both] [--rows 1000000] [--repeat 5]

BENCH_POSTGRES_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: `bench` importable

from sqlalchemy import select

from app.config import Settings
from app.db import create_sessionmaker, session_scope
from app.line import digest_cards
from app.services import digests
from bench.metrics import NOW, UNIT, baseline_sql, fresh_database, ms, prepare
from models import Agency, Person

SETTINGS = Settings(_env_file=None, public_base_url="https://rongtuk.example.go.th")
OPEN = "assignment.status IN ('acknowledged', 'forwarded')"
MISSED = ("CASE WHEN assignment.acknowledged_at IS NULL AND assignment.ack_due_at IS NOT NULL "
          "THEN assignment.ack_due_at ELSE assignment.resolve_due_at END")


def overdue_sql(dialect: str, one_unit: bool, with_cases: bool) -> str:
    """The open overdue assignments: per unit, how many and the oldest miss; `with_cases`, its five
    most overdue cases with their titles and complainant fields (to mask them) too."""
    now, unit = ("$1", "$2") if dialect == "postgresql" else ("?1", "?2")
    overdue = (f"{OPEN} AND ((assignment.acknowledged_at IS NULL AND assignment.ack_due_at < {now}) "
               f"OR assignment.resolve_due_at < {now})") + (f" AND assignment.agency_id = {unit}" if one_unit else "")
    if not with_cases:
        return f"""
            SELECT agency.code, agency.name_th, 1, count(*), min({MISSED})
            FROM assignment JOIN agency ON agency.id = assignment.agency_id
            WHERE {overdue}
            GROUP BY agency.code, agency.name_th
        """
    return f"""
        SELECT agency.code, agency.name_th, r.rank, r.n, r.missed, r.acknowledged_at, r.ack_due_at,
               complaint_case.number, complaint_case.title, complaint_case.complainant_name,
               complaint_case.complainant_phone, complaint_case.complainant_email
        FROM (SELECT assignment.agency_id, assignment.case_id, assignment.acknowledged_at, assignment.ack_due_at,
                     {MISSED} AS missed,
                     row_number() OVER (PARTITION BY assignment.agency_id ORDER BY {MISSED}, assignment.id) AS rank,
                     count(*) OVER (PARTITION BY assignment.agency_id) AS n
              FROM assignment WHERE {overdue}) AS r
        JOIN agency ON agency.id = r.agency_id
        JOIN complaint_case ON complaint_case.id = r.case_id
        WHERE r.rank <= 5
        ORDER BY agency.code, r.rank
    """


async def run_baseline(engine, period: str, unit_id: int | None, *, with_cases: bool) -> dict:
    """What a digest reads, by hand: returns the forwarded and the overdue count it shows (BMA-wide,
    or of the unit)."""
    start, end, _ = digests.period_bounds(period, NOW, SETTINGS.tz)
    dialect = engine.dialect.name
    metrics_sql = baseline_sql(dialect, one_unit=False)
    cases_sql = overdue_sql(dialect, unit_id is not None, with_cases)
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        if dialect == "postgresql":
            async with raw.transaction():
                times = await raw.fetch(metrics_sql, start, end, NOW)
                overdue = await raw.fetch(cases_sql, NOW, *([unit_id] if unit_id is not None else []))
        else:
            stamp = "%Y-%m-%d %H:%M:%S.%f"  # as SQLAlchemy stores datetimes in SQLite: naive UTC

            def at(t):
                return t.astimezone(UTC).strftime(stamp)

            async with raw.execute(metrics_sql, [at(start), at(end), at(NOW)]) as cursor:
                times = await cursor.fetchall()
            async with raw.execute(cases_sql, [at(NOW)] + ([unit_id] if unit_id is not None else [])) as cursor:
                overdue = await cursor.fetchall()
    total = next(r for r in times if r[0] is None)
    unit = next((r for r in times if r[0] == UNIT), None)
    return {"forwarded": (unit[3] if unit else 0) if unit_id is not None else total[3],
            "overdue": sum(r[3] for r in overdue if r[2] == 1)}


async def run_build(sessionmaker, person: Person, period: str) -> dict:
    async with sessionmaker() as session:
        return await digests.build(session, person=person, period=period, now=NOW, settings=SETTINGS)


async def run_job(sessionmaker, period: str) -> list[dict]:
    async with sessionmaker() as session:
        return await digests.send_period(session, period=period, now=NOW, settings=SETTINGS, dry_run=True)


def shown(message: dict) -> dict:
    """The digest's forwarded count and overdue count, read back from its alt text."""
    alt = message["altText"]
    return {"forwarded": int(re.search(r"ส่ง ([\d,]+)", alt)[1].replace(",", "")),
            "overdue": int(re.search(r"เกินกำหนดขณะนี้ ([\d,]+)", alt)[1].replace(",", ""))}


async def add_managers(sessionmaker) -> tuple[Person, Person, int, int]:
    async with session_scope(sessionmaker) as session:
        units = (await session.scalars(select(Agency).order_by(Agency.code))).all()
        session.add(Person(line_user_id="U_BMA", role="manager", registered_at=NOW))
        session.add_all(Person(line_user_id=f"U_{u.code}", role="manager", agency_id=u.id, registered_at=NOW)
                        for u in units)
    async with sessionmaker() as session:
        people = {p.line_user_id: p for p in (await session.scalars(select(Person))).all()}
        return people["U_BMA"], people[f"U_{UNIT}"], next(u.id for u in units if u.code == UNIT), len(people)


async def measure(kind: str, rows: int, repeat: int, tmp: Path) -> list[dict]:
    async with fresh_database(kind, tmp) as url:
        engine, fill_seconds, n_units = await prepare(url, rows)
        print(f"{kind}: filled {rows:,} assignments over {n_units} units in {fill_seconds:.1f} s", flush=True)
        sessionmaker = create_sessionmaker(engine)
        try:
            bma, unit, unit_id, n_managers = await add_managers(sessionmaker)
            results = []
            for period in ("daily", "weekly"):
                cases = (
                    ("BMA-wide", partial(run_build, sessionmaker, bma, period),
                     partial(run_baseline, engine, period, None, with_cases=False)),
                    (f"unit {UNIT}", partial(run_build, sessionmaker, unit, period),
                     partial(run_baseline, engine, period, unit_id, with_cases=True)),
                    (f"job, {n_managers} managers", partial(run_job, sessionmaker, period),
                     partial(run_baseline, engine, period, None, with_cases=True)),
                )
                for scope, service, baseline in cases:
                    got, expected = await service(), await baseline()  # warm-up, and the check
                    message = got[0]["message"] if isinstance(got, list) else got
                    if shown(message) != expected:
                        raise SystemExit(f"{kind} {period} {scope}: digest {shown(message)} ≠ baseline {expected}")
                    times = {"service": [], "baseline": []}
                    for n in range(repeat):
                        order = (("service", service), ("baseline", baseline))
                        for name, run in order if n % 2 == 0 else order[::-1]:
                            t0 = time.perf_counter()
                            await run()
                            times[name].append(time.perf_counter() - t0)
                    row = {"db": kind, "period": period, "scope": scope, "forwarded": expected["forwarded"],
                           "overdue": expected["overdue"], "service": statistics.median(times["service"]),
                           "baseline": statistics.median(times["baseline"])}
                    results.append(row)
                    print(f"  {period}, {scope}: service {ms(row['service'])} ms, baseline {ms(row['baseline'])} ms",
                          flush=True)
            results.append({"db": kind, "draw": await draw_time(sessionmaker, unit)})
            print(f"  drawing one unit digest (Flex through the SDK's models): {ms(results[-1]['draw'])} ms", flush=True)
            return results
        finally:
            await engine.dispose()


async def draw_time(sessionmaker, unit: Person, times: int = 200) -> float:
    """How long `digest_cards.carousel` takes for one unit manager's weekly digest (median)."""
    async with sessionmaker() as session:
        snap = await digests.snapshot(session, period=digests.make_period("weekly", NOW, SETTINGS.tz), now=NOW)
        digest = await digests.digest_for(session, snap, unit, SETTINGS)
    spent = []
    for _ in range(times):
        t0 = time.perf_counter()
        digest_cards.carousel(digest, tz=SETTINGS.tz)
        spent.append(time.perf_counter() - t0)
    return statistics.median(spent)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for kind in kinds:
            results += await measure(kind, args.rows, args.repeat, Path(tmpdir))
    start, end, _ = digests.period_bounds("weekly", NOW, SETTINGS.tz)
    print(f"\ndigests over {args.rows:,} assignments, 76 units, one year, due {NOW.astimezone(SETTINGS.tz):%Y-%m-%d %H:%M} "
          f"Bangkok (weekly = {start:%d}–{(end - timedelta(days=1)):%d %b}); median of {args.repeat} runs after a "
          f"warm-up; {os.cpu_count()} cores\n")
    print("| database | period | digest | forwarded in period | overdue now | service ms | baseline ms | service / baseline |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        if "draw" in r:
            continue
        print(f"| {r['db']} | {r['period']} | {r['scope']} | {r['forwarded']:,} | {r['overdue']:,} | "
              f"{ms(r['service'])} | {ms(r['baseline'])} | {r['service'] / r['baseline']:.2f} |")


    for r in results:
        if "draw" in r:
            print(f"\n{r['db']}: drawing one unit digest's carousel {ms(r['draw'])} ms (median of 200)", end="")
    print()


if __name__ == "__main__":
    asyncio.run(main())
