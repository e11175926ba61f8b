"""SLA scan benchmark: `app.reminders.run` over 100,000 open assignments (600,000 timers).

Two ticks, each against a baseline of bare SQL in the same run, on PostgreSQL and SQLite:
  - quiet: no timer is due (most minutes of the day). Baseline: the due-timers SELECT alone.
  - busy: 1,000 timers due at once (a morning after a holiday). The service claims them, checks
    each still applies, writes a reminder to the unit's coordinator and records the outcome.
    Baseline: one UPDATE … RETURNING that claims the same timers and one INSERT … SELECT that
    writes one outbox row each (no check, no text), the least SQL that could do the job.
Between repetitions the busy timers are reset and the outbox emptied (not timed).

  .venv/bin/python bench/sla_scan.py [--db sqlite,postgresql] [--assignments 100000] [--due 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from app import migrations, reminders  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import create_engine, create_sessionmaker, session_scope  # noqa: E402
from app.services import agencies  # noqa: E402
from bench.metrics import NOW, fresh_database  # noqa: E402
from models import Agency, Person  # noqa: E402


def _series(dialect: str, rows: int) -> str:
    if dialect == "postgresql":
        return f"n AS (SELECT generate_series(1::bigint, {rows}) AS i)"
    return f"RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})"


def _ts(dialect: str, seconds: str) -> str:
    if dialect == "postgresql":
        return f"(TIMESTAMPTZ '{NOW.isoformat()}' + ({seconds}) * INTERVAL '1 second')"
    return f"(strftime('%Y-%m-%d %H:%M:%S', {int(NOW.timestamp())} + ({seconds}), 'unixepoch') || '.000000')"


async def prepare(url: str, assignments: int, due: int) -> None:
    """Open assignments forwarded over the last 4 hours, spread over the units, each with its six
    timers; the first `due` have their 50 % acknowledge reminder due a minute ago."""
    engine = create_engine(url)
    try:
        await migrations.upgrade(engine)
        async with session_scope(create_sessionmaker(engine)) as session:
            await agencies.load(session)
            units = (await session.scalars(select(Agency).where(Agency.code != "CENTRE").order_by(Agency.id))).all()
            session.add_all(Person(line_user_id=f"U{u.id:032x}", role="coordinator", agency_id=u.id,
                                   registered_at=NOW) for u in units)
        first, count = units[0].id, len(units)
        d = engine.dialect.name
        ts = lambda s: _ts(d, s)  # noqa: E731
        statements = [
            f"""WITH {_series(d, assignments)}
                INSERT INTO complaint_case (id, number, fiscal_year, sequence, title, detail, priority, status,
                                            created_at, updated_at)
                SELECT i, '70-' || i, 2570, i, 'bench', '', 'normal', 'forwarded', {ts('-i % 14400')}, {ts('0')}
                FROM n""",
            f"""WITH {_series(d, assignments)}
                INSERT INTO assignment (id, case_id, agency_id, status, forwarded_at, ack_due_at, resolve_due_at,
                                        created_at, updated_at)
                SELECT i, i, {first} + i % {count}, 'forwarded', {ts('-i % 14400')}, {ts('86400 - i % 14400')},
                       {ts('1296000 - i % 14400')}, {ts('0')}, {ts('0')}
                FROM n""",
            f"""INSERT INTO sla_timer (assignment_id, deadline, threshold, due_at, fire_at)
                SELECT a.id, k.deadline, k.threshold,
                       CASE WHEN k.deadline = 'ack' THEN a.ack_due_at ELSE a.resolve_due_at END,
                       CASE WHEN a.id <= {due} AND k.deadline = 'ack' AND k.threshold = 50 THEN {ts('-60')}
                            ELSE {ts('3600 + a.id % 86400 + k.threshold * 600')} END
                FROM assignment a CROSS JOIN (
                    SELECT 'ack' AS deadline, 50 AS threshold UNION ALL SELECT 'ack', 80
                    UNION ALL SELECT 'ack', 100 UNION ALL SELECT 'resolve', 50
                    UNION ALL SELECT 'resolve', 80 UNION ALL SELECT 'resolve', 100) AS k""",
        ]
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def _baseline_busy(dialect: str, now: str) -> list[str]:
    claim = f"""UPDATE sla_timer SET fired_at = {now}, outcome = 'sent'
                WHERE id IN (SELECT id FROM sla_timer WHERE fired_at IS NULL AND fire_at <= {now}
                             ORDER BY fire_at LIMIT 5000)"""
    write = f"""INSERT INTO outbox_message (kind, recipient, messages, retry_key, status, attempts, available_at,
                                            created_at, case_id)
                SELECT 'push', p.line_user_id, '[{{"type": "text", "text": "reminder"}}]',
                       t.id || '-' || a.id, 'pending', 0, {now}, {now}, a.case_id
                FROM sla_timer t JOIN assignment a ON a.id = t.assignment_id
                JOIN person p ON p.agency_id = a.agency_id
                WHERE t.fired_at = {now}"""
    return [claim, write]


async def reset(engine, due: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM outbox_message"))
        await conn.execute(text(f"UPDATE sla_timer SET fired_at = NULL, outcome = NULL WHERE assignment_id <= {due}"))


async def measure(kind: str, args, tmp: Path) -> list[dict]:
    async with fresh_database(kind, tmp) as url:
        t0 = time.perf_counter()
        await prepare(url, args.assignments, args.due)
        print(f"  {kind}: {args.assignments:,} open assignments and their timers in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        engine = create_engine(url)
        sessionmaker = create_sessionmaker(engine)
        settings = Settings(_env_file=None, database_url=url, log_json=False)
        dialect = engine.dialect.name
        now_sql = _ts(dialect, "0")
        rows = []
        try:
            async def service_quiet():
                return await reminders.run(sessionmaker, settings, now=NOW - timedelta(minutes=5))

            async def baseline_quiet():
                async with engine.connect() as conn:
                    return (await conn.execute(text(
                        f"SELECT id FROM sla_timer WHERE fired_at IS NULL AND fire_at <= {_ts(dialect, '-300')} "
                        "ORDER BY fire_at LIMIT 500"))).all()

            async def service_busy():
                result = await reminders.run(sessionmaker, settings, now=NOW)
                assert result == {"sent": args.due}, result
                return result

            async def baseline_busy():
                async with engine.begin() as conn:
                    for statement in _baseline_busy(dialect, now_sql):
                        await conn.execute(text(statement))

            for tick, service, baseline, needs_reset in (("quiet", service_quiet, baseline_quiet, False),
                                                         ("busy", service_busy, baseline_busy, True)):
                times = {"service": [], "baseline": []}
                for _ in range(args.repeat + 1):  # the first of each is a warm-up
                    for name, fn in (("service", service), ("baseline", baseline)):
                        if needs_reset:
                            await reset(engine, args.due)
                        t = time.perf_counter()
                        await fn()
                        times[name].append(time.perf_counter() - t)
                service_s, baseline_s = (statistics.median(times[n][1:]) for n in ("service", "baseline"))
                rows.append({"db": kind, "tick": tick, "service": service_s, "baseline": baseline_s})
                print(f"  {kind} {tick}: service {service_s * 1000:.1f} ms, baseline {baseline_s * 1000:.1f} ms",
                      file=sys.stderr)
        finally:
            await engine.dispose()
        return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.db.split(","):
            rows += await measure(kind, args, Path(tmp))
    print(f"\nSLA scan over {args.assignments:,} open assignments ({6 * args.assignments:,} timers); "
          f"busy tick: {args.due:,} reminders due; median of {args.repeat}; {os.cpu_count()} cores\n")
    print("| database | tick | service ms | baseline ms | service / baseline |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['db']} | {r['tick']} | {r['service'] * 1000:,.1f} | {r['baseline'] * 1000:,.1f} | "
              f"{r['service'] / r['baseline']:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
