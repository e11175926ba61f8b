"""The scheduler: ticks, once per tick across runners, failures, catch-up after downtime, the
APScheduler wiring and the settings behind it. Driven by a fake clock, never by sleeping."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app import scheduler as sched
from app.config import Settings
from app.db import create_engine, create_sessionmaker, session_scope
from app.scheduler import JOBS, Job, Scheduler, catch_up, last_fire_time, run_tick, tick_key
from models import JobRun

BANGKOK = ZoneInfo("Asia/Bangkok")


def bangkok(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FakeWork:
    """A job body that counts its runs and remembers the `now` it was given."""

    def __init__(self, *, fail: bool = False, pause_seconds: float = 0.0) -> None:
        self.calls: list[datetime] = []
        self.fail = fail
        self.pause_seconds = pause_seconds

    async def __call__(self, sessionmaker, settings, now):
        self.calls.append(now)
        await asyncio.sleep(self.pause_seconds)  # lets a rival runner try the same tick meanwhile
        if self.fail:
            raise RuntimeError("LINE is down")
        return {"sent": len(self.calls)}


def every_minute(work) -> Job:
    return Job("fake-scan", work, every_seconds=lambda s: s.sla_scan_seconds)


def daily(work, name: str = "fake-daily") -> Job:
    return Job(name, work, crontab=lambda s: s.digest_daily_cron)


def weekly(work) -> Job:
    return Job("fake-weekly", work, crontab=lambda s: s.digest_weekly_cron)


async def runs(sessionmaker, job: str) -> list[JobRun]:
    async with sessionmaker() as session:
        return list((await session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.tick))).all())


# -- ticks ---------------------------------------------------------------------------------------


def test_tick_keys_follow_the_scheduled_time():
    settings = Settings(_env_file=None)
    scan, digest = every_minute(FakeWork()), daily(FakeWork())
    # An interval tick is the scheduled time floored to the interval, in UTC.
    assert tick_key(scan, datetime(2026, 11, 24, 1, 31, 27, tzinfo=UTC), settings) == "2026-11-24T01:31Z"
    assert tick_key(scan, bangkok(2026, 11, 24, 8, 31, 59), settings) == "2026-11-24T01:31Z"
    settings.sla_scan_seconds = 20
    assert tick_key(scan, datetime(2026, 11, 24, 1, 31, 27, tzinfo=UTC), settings) == "2026-11-24T01:31:20Z"
    # A cron tick is the local time it was scheduled for: 08:30 in Bangkok is 01:30 UTC.
    trigger = digest.trigger(settings)
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    assert fire == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    assert tick_key(digest, fire, settings) == "2026-11-24T08:30"
    assert tick_key(digest, datetime(2026, 11, 24, 1, 30, tzinfo=UTC), settings) == "2026-11-24T08:30"


def test_last_fire_time_is_the_latest_at_or_before_now():
    settings = Settings(_env_file=None)
    scan, digest = every_minute(FakeWork()).trigger(settings), daily(FakeWork()).trigger(settings)
    now = datetime(2026, 11, 24, 1, 31, 27, tzinfo=UTC)
    assert last_fire_time(scan, now=now, since=now - timedelta(minutes=1)) == datetime(2026, 11, 24, 1, 31, tzinfo=UTC)
    assert last_fire_time(scan, now=now, since=now - timedelta(seconds=10)) is None
    assert last_fire_time(digest, now=bangkok(2026, 11, 24, 11, 0), since=bangkok(2026, 11, 23, 23, 0)) \
        == bangkok(2026, 11, 24, 8, 30)
    assert last_fire_time(digest, now=bangkok(2026, 11, 24, 8, 30), since=bangkok(2026, 11, 24, 0, 0)) \
        == bangkok(2026, 11, 24, 8, 30)
    assert last_fire_time(digest, now=bangkok(2026, 11, 24, 8, 29), since=bangkok(2026, 11, 24, 0, 0)) is None


# -- once per tick -------------------------------------------------------------------------------


async def test_two_runners_racing_for_one_tick_run_it_once(database_url, engine, sessionmaker, settings):
    other_engine = create_engine(database_url)  # a second replica: its own engine and connections
    try:
        work = FakeWork(pause_seconds=0.05)
        job = every_minute(work)
        clock = FakeClock(datetime(2026, 11, 24, 1, 31, 2, tzinfo=UTC))
        scheduled = datetime(2026, 11, 24, 1, 31, tzinfo=UTC)
        ran = await asyncio.gather(
            run_tick(sessionmaker, settings, job, scheduled, clock=clock),
            run_tick(create_sessionmaker(other_engine), settings, job, scheduled, clock=clock),
        )
        assert sorted(ran) == [False, True]
        assert work.calls == [clock.now]
        # The same tick again, later, from either runner: still taken.
        assert not await run_tick(sessionmaker, settings, job, scheduled + timedelta(seconds=30), clock=clock)
        assert len(work.calls) == 1
        # The next tick runs.
        clock.advance(minutes=1)
        assert await run_tick(create_sessionmaker(other_engine), settings, job, scheduled + timedelta(minutes=1),
                              clock=clock)
        assert len(work.calls) == 2
    finally:
        await other_engine.dispose()
    rows = await runs(sessionmaker, "fake-scan")
    assert [r.tick for r in rows] == ["2026-11-24T01:31Z", "2026-11-24T01:32Z"]
    assert all(r.finished_at is not None and r.runner for r in rows)
    assert json.loads(rows[0].result) == {"sent": 1}
    assert rows[1].started_at == datetime(2026, 11, 24, 1, 32, 2, tzinfo=UTC)


async def test_a_failing_job_records_its_error_and_the_next_tick_runs(sessionmaker, settings, caplog):
    work = FakeWork(fail=True)
    job = every_minute(work)
    clock = FakeClock(datetime(2026, 11, 24, 1, 31, 2, tzinfo=UTC))
    with caplog.at_level(logging.ERROR, logger="app.scheduler"):
        assert await run_tick(sessionmaker, settings, job, clock.now, clock=clock)
    assert "scheduled job failed" in caplog.text
    [failed] = await runs(sessionmaker, "fake-scan")
    assert failed.result == "error: RuntimeError: LINE is down"
    assert failed.finished_at == clock.now

    work.fail = False
    clock.advance(minutes=1)
    assert await run_tick(sessionmaker, settings, job, clock.now, clock=clock)
    assert [r.result for r in await runs(sessionmaker, "fake-scan")] == ["error: RuntimeError: LINE is down",
                                                                         '{"sent": 2}']


async def test_a_tick_a_dead_runner_left_unfinished_is_taken_over_once_stale(sessionmaker, settings):
    work = FakeWork()
    job = daily(work)
    scheduled = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 08:30 Bangkok
    async with session_scope(sessionmaker) as session:  # claimed by a runner that then died
        session.add(JobRun(job=job.name, tick=tick_key(job, scheduled, settings), started_at=scheduled,
                           runner="dead-host:1"))
    clock = FakeClock(scheduled + timedelta(minutes=10))
    assert not await run_tick(sessionmaker, settings, job, scheduled, clock=clock)  # maybe still running
    clock.advance(minutes=25)
    assert await run_tick(sessionmaker, settings, job, scheduled, clock=clock)  # 35 min: it is dead
    assert not await run_tick(sessionmaker, settings, job, scheduled, clock=clock)  # finished now: never again
    [run] = await runs(sessionmaker, job.name)
    assert len(work.calls) == 1 and run.finished_at == clock.now and run.runner != "dead-host:1"


async def test_fire_runs_the_tick_the_trigger_scheduled(sessionmaker, settings):
    """What APScheduler calls works out the scheduled time from the trigger and the clock: a
    late start still lands on its tick, and a second call within the tick does nothing."""
    scan_work, digest_work = FakeWork(), FakeWork()
    clock = FakeClock(bangkok(2026, 11, 24, 8, 30, 0, 400_000))
    scheduler = Scheduler(sessionmaker, settings, jobs=[every_minute(scan_work), daily(digest_work)], clock=clock)
    woken = []
    scheduler.after_run = lambda: woken.append(True)

    clock.now = bangkok(2026, 11, 24, 8, 29)  # off schedule: yesterday's 08:30 is past its grace
    assert not await scheduler.fire("fake-daily")
    clock.now = bangkok(2026, 11, 24, 8, 30, 0, 400_000)
    assert await scheduler.fire("fake-scan")
    assert await scheduler.fire("fake-daily")
    clock.advance(seconds=40)  # still within both ticks
    assert not await scheduler.fire("fake-scan")
    assert not await scheduler.fire("fake-daily")
    clock.advance(seconds=30)  # 08:31:10: the scan's next tick; the digest's is tomorrow
    assert await scheduler.fire("fake-scan")
    assert not await scheduler.fire("fake-daily")

    assert [r.tick for r in await runs(sessionmaker, "fake-scan")] == ["2026-11-24T01:30Z", "2026-11-24T01:31Z"]
    assert [r.tick for r in await runs(sessionmaker, "fake-daily")] == ["2026-11-24T08:30"]
    assert len(scan_work.calls) == 2 and len(digest_work.calls) == 1 and len(woken) == 3


# -- catch-up after downtime ---------------------------------------------------------------------


async def test_catch_up_runs_a_missed_cron_run_once(sessionmaker, settings):
    digest, week, scan = FakeWork(), FakeWork(), FakeWork()
    jobs = [daily(digest), weekly(week), every_minute(scan)]
    # Down from 08:00 to 11:00 on Tuesday 24 November: the 08:30 daily digest was missed.
    clock = FakeClock(bangkok(2026, 11, 24, 11, 0))
    assert await catch_up(sessionmaker, settings, now=clock.now, clock=clock, jobs=jobs) == [
        "fake-daily 2026-11-24T08:30"]
    assert digest.calls == [bangkok(2026, 11, 24, 8, 30)]  # as of its tick: the missed day's digest
    # Monday's weekly digest is 26.5 hours old, past CATCH_UP_HOURS (12); missed scans need no catch-up.
    assert week.calls == [] and scan.calls == []

    # Started again (or a second runner starting): nothing more.
    clock.advance(minutes=5)
    assert await catch_up(sessionmaker, settings, now=clock.now, clock=clock, jobs=jobs) == []
    assert len(digest.calls) == 1
    [row] = await runs(sessionmaker, "fake-daily")
    assert row.tick == "2026-11-24T08:30" and row.finished_at is not None


async def test_catch_up_leaves_a_run_that_happened_and_a_miss_too_old(sessionmaker, settings):
    work = FakeWork()
    job = daily(work)
    clock = FakeClock(bangkok(2026, 11, 24, 8, 30, 1))
    assert await run_tick(sessionmaker, settings, job, bangkok(2026, 11, 24, 8, 30), clock=clock)  # ran on time
    clock.advance(hours=2)  # then the process restarts
    assert await catch_up(sessionmaker, settings, now=clock.now, clock=clock, jobs=[job]) == []

    settings.catch_up_hours = 2
    clock.now = bangkok(2026, 11, 25, 11, 0)  # down all morning the next day: 2.5 hours late is too late
    assert await catch_up(sessionmaker, settings, now=clock.now, clock=clock, jobs=[job]) == []
    assert len(work.calls) == 1
    assert [r.tick for r in await runs(sessionmaker, "fake-daily")] == ["2026-11-24T08:30"]


async def test_catch_up_keeps_going_when_one_job_fails(sessionmaker, settings):
    broken, fine = FakeWork(fail=True), FakeWork()
    clock = FakeClock(bangkok(2026, 11, 24, 9, 0))
    caught = await catch_up(sessionmaker, settings, now=clock.now, clock=clock,
                            jobs=[daily(broken, "fake-broken"), daily(fine)])
    assert caught == ["fake-broken 2026-11-24T08:30", "fake-daily 2026-11-24T08:30"]
    assert len(fine.calls) == 1


# -- the real jobs -------------------------------------------------------------------------------


async def test_the_real_jobs_run_through_the_ledger(sessionmaker, settings):
    jobs = {job.name: job for job in JOBS}
    assert set(jobs) == {"sla-scan", "digest-daily", "digest-weekly", "privacy-purge", "dashboard-snapshots"}
    clock = FakeClock(bangkok(2026, 11, 24, 8, 31, 5))
    names = ["sla-scan", "privacy-purge"]
    try:
        import app.services.digests  # noqa: F401  (written beside this; run it when it is there)

        names.append("digest-daily")
    except ImportError:
        pass
    for name in names:
        assert await run_tick(sessionmaker, settings, jobs[name], clock.now, clock=clock)
        [row] = await runs(sessionmaker, name)
        assert not row.result.startswith("error"), row.result
    [purge] = await runs(sessionmaker, "privacy-purge")
    assert json.loads(purge.result) == {"erased": 0}


# -- APScheduler wiring --------------------------------------------------------------------------


async def test_the_scheduler_plans_by_the_settings(sessionmaker, settings):
    settings.sla_scan_seconds = 5
    settings.digest_daily_cron = "0 7 * * mon-fri"
    work = FakeWork()
    jobs = [every_minute(work), daily(FakeWork()), weekly(FakeWork())]
    scheduler = Scheduler(sessionmaker, settings, jobs=jobs)
    assert scheduler.next_fire_times() == {"fake-scan": None, "fake-daily": None, "fake-weekly": None}
    scheduler.start(catch_up=False)
    try:
        assert scheduler.running
        started = datetime.now(UTC)
        planned = scheduler.next_fire_times()
        # The scan every 5 seconds, on the 5-second marks whenever the process started.
        assert planned["fake-scan"].timestamp() % 5 == 0
        assert timedelta(0) < planned["fake-scan"] - started <= timedelta(seconds=5)
        # The digests at their crontab's local time.
        assert planned["fake-daily"].astimezone(BANGKOK).strftime("%a %H:%M") in {
            f"{day} 07:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")}
        assert planned["fake-weekly"].astimezone(BANGKOK).strftime("%a %H:%M") == "Mon 08:30"

        scan, digest = scheduler.triggers["fake-scan"], scheduler.triggers["fake-daily"]
        at = datetime(2026, 11, 24, 1, 31, 2, tzinfo=UTC)
        assert scan.get_next_fire_time(None, at) == datetime(2026, 11, 24, 1, 31, 5, tzinfo=UTC)
        friday_evening = bangkok(2026, 11, 27, 18, 0)
        assert digest.get_next_fire_time(None, friday_evening) == bangkok(2026, 11, 30, 7, 0)  # Monday

        aps_jobs = {job.id: job for job in scheduler._aps.get_jobs()}
        assert aps_jobs["fake-scan"].misfire_grace_time == 5
        assert aps_jobs["fake-daily"].misfire_grace_time == 12 * 3600
        assert all(job.coalesce and job.max_instances == 1 for job in aps_jobs.values())
    finally:
        await scheduler.shutdown()
    assert not scheduler.running


async def test_the_default_jobs_follow_the_settings(sessionmaker, settings):
    settings.digest_weekly_cron = "0 9 * * fri"
    scheduler = Scheduler(sessionmaker, settings)
    assert set(scheduler.triggers) == {"sla-scan", "digest-daily", "digest-weekly", "privacy-purge", "dashboard-snapshots"}
    tuesday_noon = bangkok(2026, 11, 24, 12, 0)
    assert scheduler.triggers["digest-daily"].get_next_fire_time(None, tuesday_noon) == bangkok(2026, 11, 25, 8, 30)
    assert scheduler.triggers["digest-weekly"].get_next_fire_time(None, tuesday_noon) == bangkok(2026, 11, 27, 9, 0)
    assert scheduler.triggers["privacy-purge"].get_next_fire_time(None, tuesday_noon) == bangkok(2026, 11, 25, 2, 0)
    assert scheduler.triggers["sla-scan"].get_next_fire_time(None, tuesday_noon) == tuesday_noon
    assert scheduler.triggers["sla-scan"].get_next_fire_time(None, bangkok(2026, 11, 24, 12, 0, 1)) \
        == bangkok(2026, 11, 24, 12, 1)


# -- settings and where the scheduler runs -------------------------------------------------------


@pytest.mark.parametrize(("crontab", "says"), [
    ("every morning", "needs five fields"),
    ("30 8 * * 1", "write the weekday as a name"),
    ("30 25 * * *", "is not a valid crontab"),
])
def test_a_bad_crontab_is_refused_at_start(crontab, says):
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, digest_weekly_cron=crontab)
    assert says in str(error.value) and "DIGEST_WEEKLY_CRON" in str(error.value)


def test_crontabs_and_scheduler_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SCHEDULER", "separate")
    monkeypatch.setenv("DIGEST_DAILY_CRON", "0 8 * * mon-fri")
    settings = Settings(_env_file=None)
    assert settings.scheduler == "separate" and settings.digest_daily_cron == "0 8 * * mon-fri"
    monkeypatch.setenv("PRIVACY_PURGE_CRON", "0 2 * *")
    with pytest.raises(ValidationError, match="PRIVACY_PURGE_CRON"):
        Settings(_env_file=None)
    monkeypatch.setenv("SCHEDULER", "sometimes")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_a_separate_scheduler_process_on_sqlite_needs_scheduler_separate(caplog):
    sqlite = "sqlite+aiosqlite:///var/x.sqlite3"
    for mode in ("embedded", "off"):
        with pytest.raises(ValueError, match="SCHEDULER=separate"):
            sched.check_separate_runner(Settings(_env_file=None, database_url=sqlite, scheduler=mode))
    sched.check_separate_runner(Settings(_env_file=None, database_url=sqlite, scheduler="separate"))

    postgres = "postgresql+asyncpg://u@h/db"
    with caplog.at_level(logging.WARNING, logger="app.scheduler"):
        sched.check_separate_runner(Settings(_env_file=None, database_url=postgres, scheduler="separate"))
        assert not caplog.records
        sched.check_separate_runner(Settings(_env_file=None, database_url=postgres, scheduler="embedded"))
    assert "Each tick still runs once" in caplog.text


@pytest.mark.parametrize(("mode", "run_workers", "runs_scheduler"), [
    ("embedded", True, True), ("separate", True, False), ("off", True, False), ("embedded", False, False),
])
async def test_the_service_runs_the_scheduler_only_when_embedded(settings, emulator, mode, run_workers,
                                                                runs_scheduler):
    from app.main import create_app

    settings.scheduler, settings.run_workers = mode, run_workers
    settings.catch_up_hours = 0  # nothing from the wall clock to make up in this test
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        scheduler = app.state.scheduler
        assert (scheduler is not None) == runs_scheduler
        if runs_scheduler:
            assert scheduler.running
            assert set(scheduler.next_fire_times()) == {job.name for job in JOBS}
    if runs_scheduler:
        assert not scheduler.running
