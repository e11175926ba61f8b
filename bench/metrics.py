"""Metrics benchmark: `metrics.response_times` over a year of assignments, against the bare SQL.

For each database it builds a fresh one with the real migrations and units (PostgreSQL: a
temporary database, dropped after; SQLite: a temporary file), fills it in SQL with N assignments
(one complaint case each) over the 76 units and the 365 days before 2026-11-24, and then times,
for a whole year and for the last 30 days, for every unit and for one:
  - service:  app.services.metrics.response_times on a session (ORM statements, two queries);
  - baseline: the same counts and percentiles in one hand-written SQL statement, run on the
              driver's own connection (asyncpg / aiosqlite) with no SQLAlchemy in between.
They alternate, after one warm-up run each; the table gives medians and the ratio. The service's
figures are checked against the baseline's, and between the databases when both run (the data is
generated deterministically, so both hold the same rows).

  .venv/bin/python bench/metrics.py [--db sqlite|postgresql|both] [--rows 1000000] [--repeat 5]

BENCH_POSTGRES_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import migrations
from app.db import create_engine, create_sessionmaker, session_scope
from app.services import agencies, metrics

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # the data ends here; SLA is judged here
YEAR = 365 * 86400
UNIT = "1004"  # one unit: Bang Rak


# -- the database ------------------------------------------------------------------------------

@asynccontextmanager
async def fresh_database(kind: str, tmp: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'metrics.sqlite3'}"
        return
    admin_url = make_url(PG_ADMIN).set(drivername="postgresql+asyncpg")
    name = f"rongtuk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def fill_statements(dialect: str, rows: int, first_agency_id: int, n_agencies: int) -> list[str]:
    """INSERT … SELECT for the cases and the assignments. Every "random" number is a hash of the
    row number, in integer arithmetic both databases do alike, so both get the same rows."""
    start = NOW - timedelta(seconds=YEAR)
    if dialect == "postgresql":
        series = f"n AS (SELECT generate_series(1::bigint, {rows}) AS i)"
        start_sql = start.isoformat()

        def ts(seconds: str) -> str:
            return f"(TIMESTAMPTZ '{start_sql}' + ({seconds}) * INTERVAL '1 second')"
    else:
        series = f"RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})"
        epoch = int(start.timestamp())

        def ts(seconds: str) -> str:  # the text SQLAlchemy stores: naive UTC with microseconds
            return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch} + ({seconds}), 'unixepoch') || '.000000')"

    # f: seconds into the year (ids rise with time, as in life); bucket: status mix; pri 0 = urgent;
    # tta 1 min–8 h, skewed short; frt up to half earlier (a reply before รับเรื่อง); ttr up to 20
    # days after tta; business time 30–79% of wall time.
    common = f"""
        WITH {series},
        g AS (
            SELECT i, (i - 1) * {YEAR} / {rows} AS f,
                   (i * 2654435761) % 4294967296 AS h1,
                   (i * 2246822519 + 3266489917) % 4294967296 AS h2,
                   (i * 3266489917 + 668265263) % 4294967296 / 65536 AS x3,
                   (i * 374761393 + 2246822519) % 4294967296 / 65536 AS x4,
                   (i * 1103515245 + 12345) % 4294967296 / 65536 AS x5
            FROM n),
        d AS (
            SELECT i, f, {first_agency_id} + h1 * {n_agencies} / 4294967296 AS agency_id,
                   h2 * 100 / 4294967296 AS bucket, h2 % 10 AS pri,
                   60 + x3 * x3 * 28800 / 4294967296 AS tta, x4, x5
            FROM g),
        t AS (
            SELECT i, f, agency_id, bucket, pri, tta, tta - tta * x4 / 131072 AS frt,
                   tta + x5 * x5 * 1728000 / 4294967296 AS ttr, 30 + x5 % 50 AS pct,
                   CASE WHEN bucket < 78 OR bucket BETWEEN 91 AND 93 OR bucket >= 96 THEN 1 ELSE 0 END AS ack,
                   CASE WHEN bucket BETWEEN 83 AND 90 THEN 1 ELSE 0 END AS ret
            FROM d)
    """
    cases = common + f"""
        INSERT INTO complaint_case (id, number, fiscal_year, sequence, title, detail, priority, status,
                                    created_at, updated_at)
        SELECT i, '69-' || i, 2569, i, 'bench', '', CASE WHEN pri = 0 THEN 'urgent' ELSE 'normal' END, 'closed',
               {ts('f')}, {ts('f')}
        FROM t
    """
    status = """CASE WHEN bucket < 70 THEN 'resolved' WHEN bucket < 78 THEN 'acknowledged'
                     WHEN bucket < 83 THEN 'forwarded' WHEN bucket < 91 THEN 'returned'
                     WHEN bucket < 96 THEN 'reassigned' ELSE 'withdrawn' END"""
    assignments = common + f"""
        INSERT INTO assignment (case_id, agency_id, status, forwarded_at, acknowledged_at, first_response_at,
                                resolved_at, returned_at, ack_due_at, resolve_due_at,
                                tta_seconds, tta_business_seconds, frt_seconds, frt_business_seconds,
                                ttr_seconds, ttr_business_seconds, created_at, updated_at)
        SELECT i, agency_id, {status}, {ts('f')},
               CASE WHEN ack = 1 THEN {ts('f + tta')} END,
               CASE WHEN ack = 1 OR ret = 1 THEN {ts('f + frt')} END,
               CASE WHEN bucket < 70 THEN {ts('f + ttr')} END,
               CASE WHEN ret = 1 THEN {ts('f + frt')} END,
               {ts('f + CASE WHEN pri = 0 THEN 1800 ELSE 14400 END')},
               {ts('f + CASE WHEN pri = 0 THEN 259200 ELSE 1296000 END')},
               CASE WHEN ack = 1 THEN tta END, CASE WHEN ack = 1 THEN tta * pct / 100 END,
               CASE WHEN ack = 1 OR ret = 1 THEN frt END, CASE WHEN ack = 1 OR ret = 1 THEN frt * pct / 100 END,
               CASE WHEN bucket < 70 THEN ttr END, CASE WHEN bucket < 70 THEN ttr * pct / 100 END,
               {ts('f')}, {ts('f')}
        FROM t
    """
    return [cases, assignments]


async def prepare(url: str, rows: int):
    engine = create_engine(url)
    await migrations.upgrade(engine)
    async with session_scope(create_sessionmaker(engine)) as session:
        await agencies.load(session)
    async with engine.begin() as conn:
        ids = (await conn.execute(text("SELECT id FROM agency ORDER BY id"))).scalars().all()
        assert ids == list(range(ids[0], ids[0] + len(ids))), "fresh database: unit ids are consecutive"
        t0 = time.perf_counter()
        for statement in fill_statements(conn.dialect.name, rows, ids[0], len(ids)):
            await conn.execute(text(statement))
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        # PostgreSQL's autovacuum would analyse a table this size within a minute anyway; SQLite
        # keeps no statistics unless asked, and the service never asks, so neither does this.
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return engine, time.perf_counter() - t0, len(ids)


# -- the baseline: one statement, on the driver's connection -------------------------------------

def baseline_sql(dialect: str, one_unit: bool) -> str:
    if dialect == "postgresql":
        start, end, now, unit = "$1", "$2", "$3", "$4"

        def pct(fraction: str, column: str) -> str:
            return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column})"
    else:
        start, end, now, unit = "?1", "?2", "?3", "?4"

        def pct(fraction: str, column: str) -> str:
            return f"percentile_cont({column}, {fraction})"

    percentiles = ", ".join(pct(f, f"{d}{k}_seconds") for d in ("tta", "frt", "ttr") for k in ("", "_business")
                            for f in ("0.5", "0.9"))
    aggregates = f"""count(*), count(acknowledged_at), count(first_response_at), count(resolved_at),
        count(returned_at), count(*) FILTER (WHERE status IN ('acknowledged', 'forwarded')),
        count(*) FILTER (WHERE coalesce(acknowledged_at, returned_at) <= ack_due_at),
        count(*) FILTER (WHERE ack_due_at IS NOT NULL AND (coalesce(acknowledged_at, returned_at) IS NOT NULL
                         OR (ack_due_at <= {now} AND status IN ('acknowledged', 'forwarded')))),
        count(*) FILTER (WHERE resolved_at <= resolve_due_at),
        count(*) FILTER (WHERE resolve_due_at IS NOT NULL AND (resolved_at IS NOT NULL
                         OR (resolve_due_at <= {now} AND status IN ('acknowledged', 'forwarded')))),
        {percentiles}"""
    where = f"forwarded_at >= {start} AND forwarded_at < {end}" + (f" AND agency_id = {unit}" if one_unit else "")
    return f"""
        SELECT agency.code, agency.name_th, m.*
        FROM (SELECT agency_id, {aggregates} FROM assignment WHERE {where} GROUP BY agency_id) AS m
        JOIN agency ON agency.id = m.agency_id
        UNION ALL
        SELECT NULL, NULL, NULL, {aggregates} FROM assignment WHERE {where}
    """


async def run_service(sessionmaker, start: datetime, end: datetime, unit_id: int | None) -> metrics.ResponseTimes:
    async with sessionmaker() as session:  # a session per call, as per request
        return await metrics.response_times(session, start=start, end=end, agency_id=unit_id, now=NOW)


async def run_baseline(engine, start: datetime, end: datetime, unit_id: int | None) -> list[tuple]:
    dialect = engine.dialect.name
    sql = baseline_sql(dialect, unit_id is not None)
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        if dialect == "postgresql":
            params = [start, end, NOW] + ([unit_id] if unit_id is not None else [])
            return [tuple(r) for r in await raw.fetch(sql, *params)]
        stamp = "%Y-%m-%d %H:%M:%S.%f"  # as SQLAlchemy stores datetimes in SQLite: naive UTC
        params = [t.astimezone(UTC).strftime(stamp) for t in (start, end, NOW)]
        params += [unit_id] if unit_id is not None else []
        async with raw.execute(sql, params) as cursor:
            return [tuple(r) for r in await cursor.fetchall()]


def same_figures(result: metrics.ResponseTimes, baseline: list[tuple]) -> bool:
    """The service's counts, percentiles and SLA equal the baseline's, to the last bit."""

    def flat(f: metrics.Figures) -> tuple:
        c = f.counts
        values = [c.forwarded, c.acknowledged, c.responded, c.resolved, c.returned, c.open]
        for p in (f.tta, f.frt, f.ttr):
            values += [p.p50_seconds, p.p90_seconds, p.p50_business_seconds, p.p90_business_seconds]
        return (*values, f.sla.acknowledge_percent, f.sla.resolve_percent)

    def from_row(row: tuple) -> tuple:
        counts, sla, percentiles = row[3:9], row[9:13], row[13:]
        # percentiles in the same order on both sides: per response time, wall p50, p90, business p50, p90
        return (*counts, *percentiles,
                100.0 * sla[0] / sla[1] if sla[1] else None, 100.0 * sla[2] / sla[3] if sla[3] else None)

    expected_units = {row[0]: from_row(row) for row in baseline if row[0] is not None}
    expected_total = next(from_row(row) for row in baseline if row[0] is None)
    got_units = {u.agency.code: flat(u) for u in result.units}
    return got_units == expected_units and flat(result.total) == expected_total


# -- timing -------------------------------------------------------------------------------------

async def measure(kind: str, rows: int, repeat: int, tmp: Path) -> tuple[list[dict], dict]:
    async with fresh_database(kind, tmp) as url:
        engine, fill_seconds, n_units = await prepare(url, rows)
        print(f"{kind}: filled {rows:,} assignments over {n_units} units in {fill_seconds:.1f} s", flush=True)
        sessionmaker = create_sessionmaker(engine)
        try:
            async with sessionmaker() as session:
                unit_id = (await agencies.get_by_code(session, UNIT)).id
            results, totals = [], {}
            for period, days in (("year", 365), ("30 days", 30)):
                start, end = NOW - timedelta(days=days), NOW
                for scope, agency_id in (("all units", None), (f"unit {UNIT}", unit_id)):
                    service = partial(run_service, sessionmaker, start, end, agency_id)
                    baseline = partial(run_baseline, engine, start, end, agency_id)
                    result, expected = await service(), await baseline()  # warm-up, and the check
                    if not same_figures(result, expected):
                        raise SystemExit(f"{kind} {period} {scope}: the service and the baseline disagree")
                    totals[(period, scope)] = result.total
                    times = {"service": [], "baseline": []}
                    for n in range(repeat):
                        order = (("service", service), ("baseline", baseline))
                        for name, run in order if n % 2 == 0 else order[::-1]:
                            t0 = time.perf_counter()
                            await run()
                            times[name].append(time.perf_counter() - t0)
                    row = {"db": kind, "period": period, "scope": scope, "rows": result.total.counts.forwarded,
                           "service": statistics.median(times["service"]),
                           "baseline": statistics.median(times["baseline"])}
                    results.append(row)
                    print(f"  {period}, {scope}: {row['rows']:,} rows, service {ms(row['service'])} ms, "
                          f"baseline {ms(row['baseline'])} ms", flush=True)
            return results, totals
        finally:
            await engine.dispose()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 0.1 else f"{seconds * 1000:,.0f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results, totals = [], {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for kind in kinds:
            rows, kind_totals = await measure(kind, args.rows, args.repeat, Path(tmpdir))
            results += rows
            totals[kind] = kind_totals
    print(f"\nmetrics.response_times over {args.rows:,} assignments, 76 units, one year; median of "
          f"{args.repeat} runs after a warm-up; {os.cpu_count()} cores\n")
    print("| database | period | units | assignments in period | service ms | baseline ms | service / baseline |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['db']} | {r['period']} | {r['scope']} | {r['rows']:,} | {ms(r['service'])} | "
              f"{ms(r['baseline'])} | {r['service'] / r['baseline']:.2f} |")
    if len(totals) == 2:
        same = totals["sqlite"] == totals["postgresql"]
        print(f"\nSQLite and PostgreSQL give {'identical' if same else 'DIFFERENT'} figures for every period and scope.")


if __name__ == "__main__":
    asyncio.run(main())
