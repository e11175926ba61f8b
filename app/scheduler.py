"""The scheduled jobs (SLA scan, daily and weekly digests, personal-data purge, dashboard
snapshots), wired to APScheduler 3's AsyncIOScheduler, inside `rongtuk serve` or in
`rongtuk scheduler` (SCHEDULER).

Once per tick, whoever runs it: before a job runs, its tick is claimed by inserting a `job_run`
row (primary key job, tick) with INSERT … ON CONFLICT DO NOTHING RETURNING, in a short transaction
of its own. Replicas on PostgreSQL, or `rongtuk scheduler` beside `rongtuk serve`, race for the
row and the loser skips. A tick is named by its *scheduled* time, never by the moment the run
started, so two runners a second apart still agree on it.

How the scheduled time reaches `run_tick`: APScheduler 3 does not pass a job its fire time, so
`Scheduler.fire` asks the job's trigger for the latest fire time at or before now
(`last_fire_time`). APScheduler submits a job only once that time has passed, and with
coalesce=True it runs the latest missed one, so it is the same time; `catch_up` uses the same
function, and tests drive both with a fake clock.

After downtime: APScheduler keeps its jobs in memory and plans from the moment it starts, so a
cron run missed while nothing ran is invisible to it. `catch_up` runs the latest missed run of each
cron job once, if it is at most CATCH_UP_HOURS old; the ledger makes a second start, or a second
runner, a no-op. The interval jobs need none: the SLA scan's timers are rows, and the next scan takes
all that is due; the next snapshot run recomputes everything.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings, parse_crontab
from app.db import session_scope
from app.dialect import insert_ignoring_duplicates
from models import JobRun
from models.base import utcnow

log = logging.getLogger(__name__)

Sessionmaker = async_sessionmaker[AsyncSession]
Clock = Callable[[], datetime]
JobFunction = Callable[[Sessionmaker, Settings, datetime], Awaitable[dict[str, Any] | None]]

# Interval ticks are counted from here, so every runner's ticks fall on the same instants
# (a 60-second scan on the minute) whenever it started.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RUNNER = f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass(frozen=True)
class Job:
    """A named job: `run(sessionmaker, settings, now)` on an interval or a crontab from settings."""

    name: str
    run: JobFunction
    every_seconds: Callable[[Settings], float] | None = None
    crontab: Callable[[Settings], str] | None = None
    enabled: Callable[[Settings], bool] | None = None  # None: always; a job turned off is not planned

    def is_enabled(self, settings: Settings) -> bool:
        return self.enabled is None or self.enabled(settings)

    def __post_init__(self) -> None:
        if (self.every_seconds is None) == (self.crontab is None):
            raise ValueError(f"job {self.name}: give every_seconds or crontab, not both or neither")

    def trigger(self, settings: Settings) -> IntervalTrigger | CronTrigger:
        if self.crontab is not None:
            return parse_crontab(self.crontab(settings), settings.tz, setting=f"crontab of job {self.name}")
        return IntervalTrigger(seconds=self.every_seconds(settings), start_date=EPOCH, timezone=settings.tz)

    def grace_seconds(self, settings: Settings) -> int:
        """How late a run may still start: one interval for the scan (later, the next one is due
        anyway), CATCH_UP_HOURS for a cron job (later, it is no longer news)."""
        if self.crontab is not None:
            return max(1, math.ceil(settings.catch_up_hours * 3600))
        return max(1, math.ceil(self.every_seconds(settings)))


# -- the jobs ------------------------------------------------------------------------------------
# Their modules are imported when a job runs, not here: the scheduler depends on them, not the
# other way, and importing this module stays cheap.


async def _scan_sla(sessionmaker: Sessionmaker, settings: Settings, now: datetime) -> dict[str, Any]:
    from app import reminders

    return await reminders.run(sessionmaker, settings, now=now)


def _send_digests(period: str) -> JobFunction:
    async def send(sessionmaker: Sessionmaker, settings: Settings, now: datetime) -> dict[str, Any] | None:
        from app.services import digests

        return await digests.send_scheduled(sessionmaker, settings, period=period, now=now)

    send.__name__ = f"send_{period}_digests"
    return send


async def _purge_personal_data(sessionmaker: Sessionmaker, settings: Settings, now: datetime) -> dict[str, Any]:
    from app import privacy

    async with session_scope(sessionmaker) as session:
        erased = await privacy.purge_expired(session, now=now, retention_days=settings.pii_retention_days)
    return {"erased": erased}


async def _snapshot_dashboard(sessionmaker: Sessionmaker, settings: Settings, now: datetime) -> dict[str, Any]:
    from app.web import snapshots

    return await snapshots.refresh(sessionmaker, settings, now=now)


JOBS: tuple[Job, ...] = (
    Job("sla-scan", _scan_sla, every_seconds=lambda s: s.sla_scan_seconds),
    Job("digest-daily", _send_digests("daily"), crontab=lambda s: s.digest_daily_cron),
    Job("digest-weekly", _send_digests("weekly"), crontab=lambda s: s.digest_weekly_cron),
    Job("privacy-purge", _purge_personal_data, crontab=lambda s: s.privacy_purge_cron),
    Job("dashboard-snapshots", _snapshot_dashboard, every_seconds=lambda s: s.dashboard_snapshot_minutes * 60,
        enabled=lambda s: s.dashboard_snapshot_minutes > 0),
)


# -- ticks ---------------------------------------------------------------------------------------


def tick_key(job: Job, scheduled_at: datetime, settings: Settings) -> str:
    """The tick a run belongs to, from its scheduled time: a cron job's local time
    ("2026-11-24T08:30", read in TIMEZONE), an interval job's time floored to the interval, in UTC
    ("2026-11-24T01:31Z"; UTC so that a repeated local hour at a DST change is not one tick)."""
    if job.crontab is not None:
        return scheduled_at.astimezone(settings.tz).strftime("%Y-%m-%dT%H:%M")
    seconds = job.every_seconds(settings)
    floored = datetime.fromtimestamp(math.floor(scheduled_at.timestamp() / seconds) * seconds, UTC)
    return floored.strftime("%Y-%m-%dT%H:%MZ" if seconds % 60 == 0 else "%Y-%m-%dT%H:%M:%SZ")


def last_fire_time(trigger: IntervalTrigger | CronTrigger, *, now: datetime, since: datetime) -> datetime | None:
    """The latest time the trigger fires in [since, now], or None."""
    if isinstance(trigger, IntervalTrigger):
        start = trigger.start_date.timestamp()
        count = math.floor((now.timestamp() - start) / trigger.interval_length)
        if count < 0:
            return None
        fire = datetime.fromtimestamp(start + count * trigger.interval_length, trigger.timezone)
        return fire if fire >= since else None
    last = None
    fire = trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


STALE_AFTER = timedelta(minutes=30)  # a job takes seconds; a claim this old without an end is a dead runner's


async def run_tick(sessionmaker: Sessionmaker, settings: Settings, job: Job, scheduled_at: datetime, *,
                   clock: Clock = utcnow) -> bool:
    """Run `job` for the tick of `scheduled_at` unless someone already has. True if it ran here.

    The claim commits before the job starts and no session stays open while it runs (SQLite has
    one connection per process). A failing job is recorded with its error and logged; it does not
    stop the scheduler, and the next tick runs as usual."""
    tick = tick_key(job, scheduled_at, settings)
    async with session_scope(sessionmaker) as session:
        claimed = await session.scalar(
            _claim_statement(session.bind.dialect.name)
            .values(job=job.name, tick=tick, started_at=clock(), runner=RUNNER)
        )
        if claimed is None:
            # A runner that died mid-job left its tick claimed and unfinished: take it over once it
            # is clearly dead (the jobs are safe to run again: their own ledgers say what was done).
            claimed = await session.scalar(
                update(JobRun)
                .where(JobRun.job == job.name, JobRun.tick == tick, JobRun.finished_at.is_(None),
                       JobRun.started_at < clock() - STALE_AFTER)
                .values(started_at=clock(), runner=RUNNER).returning(JobRun.tick)
            )
    if claimed is None:
        log.debug("scheduled job skipped: tick already taken", extra={"job": job.name, "tick": tick})
        return False
    log.debug("scheduled job started", extra={"job": job.name, "tick": tick})
    try:
        # A cron job runs as of its tick (a digest caught up after midnight is still the missed
        # day's); an interval job (the SLA scan) as of now.
        as_of = scheduled_at if job.crontab is not None else clock()
        outcome = json.dumps(await job.run(sessionmaker, settings, as_of) or {}, sort_keys=True,
                             ensure_ascii=False, default=str)
        level = logging.INFO
    except Exception as exc:
        log.exception("scheduled job failed", extra={"job": job.name, "tick": tick})
        outcome = f"error: {type(exc).__name__}: {exc}"
        level = logging.WARNING
    async with session_scope(sessionmaker) as session:
        await session.execute(
            update(JobRun).where(JobRun.job == job.name, JobRun.tick == tick)
            .values(finished_at=clock(), result=outcome[:4000])
            .execution_options(synchronize_session=False)
        )
    log.log(level, "scheduled job finished", extra={"job": job.name, "tick": tick, "result": outcome[:500]})
    return True


def _claim_statement(dialect: str):
    table = JobRun.__table__
    return insert_ignoring_duplicates(dialect, table, ["job", "tick"]).returning(table.c.tick)


async def catch_up(sessionmaker: Sessionmaker, settings: Settings, *, now: datetime, clock: Clock = utcnow,
                   jobs: Iterable[Job] = JOBS) -> list[str]:
    """Run, once, the latest run of each cron job due in the last CATCH_UP_HOURS before `now` that
    nobody ran (the ledger tells). Returns "job tick" for each run made up here."""
    since = now - timedelta(hours=settings.catch_up_hours)
    caught: list[str] = []
    for job in jobs:
        if job.crontab is None:
            continue
        scheduled_at = last_fire_time(job.trigger(settings), now=now, since=since)
        if scheduled_at is None:
            continue
        try:  # one job's trouble (the database away, say) does not keep the others from running
            if await run_tick(sessionmaker, settings, job, scheduled_at, clock=clock):
                caught.append(f"{job.name} {tick_key(job, scheduled_at, settings)}")
        except Exception:
            log.exception("catch-up failed", extra={"job": job.name})
    if caught:
        log.info("missed runs caught up", extra={"runs": caught})
    return caught


class Scheduler:
    """APScheduler's AsyncIOScheduler with our jobs, each run going through `run_tick`."""

    def __init__(self, sessionmaker: Sessionmaker, settings: Settings, *, jobs: Iterable[Job] = JOBS,
                 clock: Clock = utcnow, after_run: Callable[[], None] | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.after_run = after_run  # e.g. wake the outbox sender: a job has just written messages
        self.jobs = {job.name: job for job in jobs if job.is_enabled(settings)}
        self.triggers = {name: job.trigger(settings) for name, job in self.jobs.items()}
        self._aps = AsyncIOScheduler(timezone=settings.tz, job_defaults={"coalesce": True, "max_instances": 1})
        for name, job in self.jobs.items():
            self._aps.add_job(self.fire, self.triggers[name], args=[name], id=name, name=name,
                              misfire_grace_time=job.grace_seconds(settings))
        self._tasks: set[asyncio.Task] = set()

    @property
    def running(self) -> bool:
        return self._aps.running

    def start(self, *, catch_up: bool = True) -> None:
        """Start planning (inside a running event loop); make up missed cron runs in the background."""
        self._aps.start()
        if catch_up:
            task = asyncio.create_task(self.catch_up(), name="scheduler-catch-up")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        log.info("scheduler started", extra={"jobs": {name: str(t) for name, t in self.triggers.items()},
                                             "timezone": self.settings.timezone})

    async def catch_up(self) -> list[str]:
        caught = await catch_up(self.sessionmaker, self.settings, now=self.clock(), clock=self.clock,
                                jobs=self.jobs.values())
        if caught and self.after_run:
            self.after_run()
        return caught

    def next_fire_times(self) -> dict[str, datetime | None]:
        """When APScheduler will next call each job (None while the scheduler is not started)."""
        return {job.id: getattr(job, "next_run_time", None) for job in self._aps.get_jobs()}

    async def fire(self, name: str) -> bool:
        """What APScheduler calls: run the tick the job was scheduled for (see the module docstring)."""
        job = self.jobs[name]
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            now = self.clock()
            since = now - timedelta(seconds=job.grace_seconds(self.settings))
            scheduled_at = last_fire_time(self.triggers[name], now=now, since=since)
            if scheduled_at is None:  # called off schedule (by hand, or the clock went back): no tick
                log.warning("scheduled job called with no tick due", extra={"job": name})
                return False
            ran = await run_tick(self.sessionmaker, self.settings, job, scheduled_at, clock=self.clock)
        finally:
            self._tasks.discard(task)
        if ran and self.after_run:
            self.after_run()
        return ran

    async def shutdown(self, *, timeout_seconds: float = 10.0) -> None:
        """Stop planning, give running jobs a moment to finish, then cancel what is left."""
        if self._aps.running:
            self._aps.pause()
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._aps.running:
            self._aps.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn


def check_separate_runner(settings: Settings) -> None:
    """May `rongtuk scheduler` run beside `rongtuk serve`? On SQLite only when serve runs no
    scheduler (SCHEDULER=separate); on PostgreSQL always, with a warning if serve runs one too."""
    if settings.is_sqlite and settings.scheduler != "separate":
        raise ValueError(
            f"SCHEDULER={settings.scheduler} on SQLite: `rongtuk serve` is the one process that runs the jobs "
            "(embedded) or nobody does (off). To run them in `rongtuk scheduler` instead, set "
            "SCHEDULER=separate for both it and `rongtuk serve`")
    if settings.scheduler == "embedded":
        log.warning("SCHEDULER=embedded: each `rongtuk serve` runs the jobs too. Each tick still runs once "
                    "(the job_run ledger), but set SCHEDULER=separate to run them here only")


async def serve(settings: Settings) -> None:
    """`rongtuk scheduler`: run the jobs in this process until SIGTERM or SIGINT."""
    check_separate_runner(settings)
    from app import migrations
    from app.db import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        if await migrations.current_revision(engine) != migrations.head_revision():
            raise ValueError("the database is not at the latest migration: run `rongtuk db upgrade` "
                             "(on SQLite, start `rongtuk serve` once first)")
    except BaseException:
        await engine.dispose()
        raise
    scheduler = Scheduler(create_sessionmaker(engine), settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        scheduler.start()
        await stop.wait()
        log.info("scheduler stopping")
    finally:
        await scheduler.shutdown()
        await engine.dispose()
