"""Precomputed figures for the standard periods (app.web.snapshots): the job writes one row per
fiscal year × span × kind; a page for such a period reads it while fresh and says so; a custom
range, a month or a stale snapshot is computed live."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import session_scope
from app.scheduler import JOBS, Scheduler, run_tick
from app.web import routes, snapshots
from app.web.filters import parse
from models import FiguresSnapshot, JobRun
from tests.web.support import HOUR, F, add_assignment, admin_client, seed

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 12:00 in Bangkok, fiscal year 2570: 2569 is the previous
NOTE = "ตัวเลข ณ 24 พ.ย. 2569 12:00 น. (ปรับทุก 15 นาที)"


def filters(**query: str):
    return parse(query, today=NOW.astimezone(BANGKOK).date(), tz=BANGKOK)


def forwarded(html: str, code: str) -> str:
    row = re.search(rf'<tr data-code="{code}".*?</tr>', html, re.S)[0]
    return re.findall(r'<td class="num">([^<]*)</td>', row)[0]


async def test_refresh_writes_every_standard_period(sessionmaker, settings):
    async with session_scope(sessionmaker) as session:
        await add_assignment(session, "1004", status="forwarded", forwarded_at=F, ack_due_after=HOUR)
    assert await snapshots.refresh(sessionmaker, settings, now=NOW) == {"snapshots": 40}
    async with sessionmaker() as session:
        keys = set(await session.scalars(select(FiguresSnapshot.key)))
        assert len(keys) == 40 and {"2570||all", "2570|q4|office", "2569||all", "2569|q2|district"} <= keys
        assert not any("|m" in k for k in keys)  # months are live
        snap = await snapshots.read(session, filters(fy="2569"), now=NOW, max_age=timedelta(minutes=15))
    assert snap.computed_at == NOW and snap.total.counts.forwarded == 1 and snap.totals.counts.forwarded == 1
    assert {r.code: r.figures.counts.forwarded for r in snap.rows}["1004"] == 1
    # Run again: the rows are replaced, not added.
    later = NOW + timedelta(minutes=15)
    await snapshots.refresh(sessionmaker, settings, now=later)
    async with sessionmaker() as session:
        rows = (await session.scalars(select(FiguresSnapshot))).all()
    assert len(rows) == 40 and {r.computed_at for r in rows} == {later}


async def test_the_json_round_trip_gives_the_same_figures(sessionmaker, settings):
    async with session_scope(sessionmaker) as session:
        await seed_assignments(session)
    f = filters(fy="2569", span="q1")
    async with sessionmaker() as session:
        live = await snapshots.compute(session, f, now=NOW)
    assert snapshots.decode(json.loads(json.dumps(snapshots.encode(live))), computed_at=NOW) == live
    assert any(w.figures.counts.forwarded for w in live.weeks) and live.total.tta.p50_business_seconds == 900
    await snapshots.refresh(sessionmaker, settings, now=NOW)
    async with sessionmaker() as session:  # and through the database
        assert await snapshots.read(session, f, now=NOW, max_age=timedelta(minutes=1)) == live


async def seed_assignments(session) -> None:
    for tta in (600, 1200):
        await add_assignment(session, "1004", status="resolved", forwarded_at=F, tta=(tta, tta), frt=(tta, tta),
                             ttr=(2 * HOUR, 2 * HOUR), ack_due_after=HOUR, resolve_due_after=4 * HOUR)
    await add_assignment(session, "1007", status="returned", forwarded_at=F, frt=(300, 300), returned_after=300,
                         ack_due_after=HOUR)


async def test_read_only_standard_fresh_snapshots(sessionmaker, settings):
    await snapshots.refresh(sessionmaker, settings, now=NOW)
    fresh = timedelta(minutes=15)
    async with sessionmaker() as session:
        assert await snapshots.read(session, filters(fy="2569"), now=NOW + fresh, max_age=fresh)
        assert await snapshots.read(session, filters(fy="2569"), now=NOW + fresh + timedelta(seconds=1),
                                    max_age=fresh) is None
        assert await snapshots.read(session, filters(fy="2569"), now=NOW, max_age=timedelta(0)) is None
        assert await snapshots.read(session, filters(fy="2568"), now=NOW, max_age=fresh) is None  # not computed
        for live in (filters(fy="2569", span="m11"), filters(**{"from": "2025-10-01", "to": "2026-09-30"})):
            assert not snapshots.standard(live)
            assert await snapshots.read(session, live, now=NOW, max_age=fresh) is None
    assert snapshots.standard(filters(fy="2569", span="q3", kind="bureau"))
    assert snapshots.key(filters(fy="2569", span="q3", kind="bureau")) == "2569|q3|bureau"
    assert snapshots.key(filters(fy="2570")) == "2570||all"


async def test_pages_show_the_snapshot_while_fresh_and_live_figures_after(service, monkeypatch):
    await seed(service)  # Bang Rak (1004): 3 assignments in November 2568
    await snapshots.refresh(service.sessionmaker, service.app.state.settings, now=NOW)
    clock = {"now": NOW + timedelta(minutes=5)}
    monkeypatch.setattr(routes, "_now", lambda: clock["now"])
    async with session_scope(service.sessionmaker) as session:  # the data changes after the snapshot
        await add_assignment(session, "1004", status="forwarded", forwarded_at=F, ack_due_after=HOUR)
    async with admin_client(service) as browser:
        for path in ("/dashboard/units?fy=2569", "/dashboard/units?fy=2569&span=q1&kind=district"):
            page = (await browser.get(path)).text
            assert forwarded(page, "1004") == "3" and NOTE in page, path
        overview = (await browser.get("/dashboard?fy=2569")).text
        assert NOTE in overview
        export = (await browser.get("/dashboard/export/response-times.csv?fy=2569")).text
        assert re.search(r"^1004,[^,]*,[^,]*,3,", export, re.M), export[:500]
        # Live: a month, a custom range of days.
        for path in ("/dashboard/units?fy=2569&span=m11", "/dashboard/units?from=2025-10-01&to=2026-09-30"):
            page = (await browser.get(path)).text
            assert forwarded(page, "1004") == "4" and "ตัวเลข ณ" not in page, path
        # Stale: live again.
        clock["now"] = NOW + timedelta(minutes=30)
        page = (await browser.get("/dashboard/units?fy=2569")).text
        assert forwarded(page, "1004") == "4" and "ตัวเลข ณ" not in page
        # Snapshots turned off: live even when fresh.
        clock["now"] = NOW + timedelta(minutes=5)
        assert NOTE in (await browser.get("/dashboard/units?fy=2569")).text
        service.app.state.settings.dashboard_snapshot_minutes = 0
        page = (await browser.get("/dashboard/units?fy=2569")).text
        assert forwarded(page, "1004") == "4" and "ตัวเลข ณ" not in page


async def test_the_job_runs_every_few_minutes_through_the_ledger(sessionmaker, settings):
    job = {j.name: j for j in JOBS}["dashboard-snapshots"]
    assert job.every_seconds(settings) == 15 * 60 and job.crontab is None
    assert "dashboard-snapshots" in Scheduler(sessionmaker, settings).triggers
    assert await run_tick(sessionmaker, settings, job, NOW, clock=lambda: NOW)
    async with sessionmaker() as session:
        run = await session.scalar(select(JobRun).where(JobRun.job == "dashboard-snapshots"))
    assert json.loads(run.result) == {"snapshots": 40}
    settings.dashboard_snapshot_minutes = 0
    assert "dashboard-snapshots" not in Scheduler(sessionmaker, settings).triggers
