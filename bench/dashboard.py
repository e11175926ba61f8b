"""Dashboard benchmark: every page and export over 1,000,000 assignments, signed in as an admin.

The same fresh databases and the same million assignments as bench/metrics.py (its functions,
imported). Each page is requested through the real app (create_app, in process over ASGI, so the
network is not measured) for the fiscal year 2569 (the whole year of data) and for one month.
Baseline, in the same run: the bare SQL aggregate behind the leaderboard (bench/metrics.py's
hand-written statement) over the same period — the least any page showing per-unit figures costs.
The target is every page under a second on PostgreSQL.

  .venv/bin/python bench/dashboard.py [--db postgresql,sqlite] [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import create_engine, create_sessionmaker  # noqa: E402
from bench.metrics import NOW, fresh_database, prepare, run_baseline  # noqa: E402
from models import Agency, ComplaintCase  # noqa: E402

ADMIN = "bench-admin-token"
PERIODS = {"year": "fy=2569", "month": "fy=2570&span=m11"}


async def _case_number(url: str) -> str:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            from sqlalchemy import select

            case = await session.scalar(select(ComplaintCase).join(ComplaintCase.assignments)
                                        .join(Agency).where(Agency.code == "1004").limit(1))
            # the generated numbers aren't zero-padded like real ones: give this case a real number
            case.number = "68-00001"
            await session.commit()
            return case.number
    finally:
        await engine.dispose()


async def measure(kind: str, args, tmp: Path) -> list[dict]:
    async with fresh_database(kind, tmp) as url:
        t0 = time.perf_counter()
        await prepare(url, args.rows)
        print(f"  {kind}: {args.rows:,} assignments in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        number = await _case_number(url)
        settings = Settings(_env_file=None, database_url=url, admin_api_token=ADMIN, log_json=False,
                            log_level="WARNING", scheduler="off", run_workers=False,
                            line_channel_secret="bench", line_channel_access_token="bench",
                            line_api_base_url="http://127.0.0.1:9")
        from app.main import create_app
        from app.web import snapshots
        from models.base import utcnow

        if not args.live:  # what the scheduler's dashboard-snapshots job does every few minutes
            t0 = time.perf_counter()
            made = await snapshots.refresh(create_sessionmaker(create_engine(url)), settings, now=utcnow())
            print(f"  {kind}: snapshots {made} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        app = create_app(settings)
        rows = []
        engine = create_engine(url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
                signed = await client.post("/dashboard/signin", data={"token": ADMIN, "next": "/dashboard"})
                assert signed.status_code == 303, signed.text
                for period, query in PERIODS.items():
                    pages = {"overview": f"/dashboard?{query}", "leaderboard": f"/dashboard/units?{query}",
                             "leaderboard sorted": f"/dashboard/units?{query}&sort=-tta_p90",
                             "unit 1004": f"/dashboard/units/1004?{query}",
                             "case": f"/dashboard/cases/{number}", "overdue": f"/dashboard/overdue?{query}",
                             "kpi scorecard": f"/dashboard/kpi?{query}",
                             "export response times csv": f"/dashboard/export/response-times.csv?{query}",
                             "export cases xlsx (1004)": f"/dashboard/export/cases.xlsx?{query}&agency=1004"}
                    start, end = _bounds(query)
                    baseline = []
                    for _ in range(args.repeat + 1):
                        t = time.perf_counter()
                        await run_baseline(engine, start, end, None)
                        baseline.append(time.perf_counter() - t)
                    base = statistics.median(baseline[1:])
                    for name, path in pages.items():
                        times = []
                        for _ in range(args.repeat + 1):
                            t = time.perf_counter()
                            response = await client.get(path)
                            times.append(time.perf_counter() - t)
                            assert response.status_code == 200, (path, response.status_code, response.text[:300])
                        page = statistics.median(times[1:])
                        rows.append({"db": kind, "period": period, "page": name, "ms": page * 1000,
                                     "baseline_ms": base * 1000})
                        print(f"  {kind} {period} {name}: {page * 1000:.0f} ms (baseline {base * 1000:.0f} ms)",
                              file=sys.stderr)
        await engine.dispose()
        return rows


def _bounds(query: str) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Bangkok")
    if "span=m11" in query:
        return datetime(2026, 11, 1, tzinfo=tz), min(datetime(2026, 12, 1, tzinfo=tz), NOW + timedelta(seconds=1))
    return datetime(2025, 10, 1, tzinfo=tz), datetime(2026, 10, 1, tzinfo=tz)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--live", action="store_true", help="no snapshots: every page computes its figures live")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.db.split(","):
            rows += await measure(kind, args, Path(tmp))
    print(f"\ndashboard over {args.rows:,} assignments; median of {args.repeat} after a warm-up; "
          f"signed in as admin; in process over ASGI; {'live' if args.live else 'with snapshots'}\n")
    print("| database | period | page | ms | baseline ms (per-unit SQL) | page / baseline | under 1 s |")
    print("|---|---|---|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['db']} | {r['period']} | {r['page']} | {r['ms']:,.0f} | {r['baseline_ms']:,.0f} | "
              f"{r['ms'] / r['baseline_ms']:.2f} | {'yes' if r['ms'] < 1000 else 'no'} |")


if __name__ == "__main__":
    asyncio.run(main())
