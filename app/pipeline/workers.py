"""The workers: the inbox worker, the outbox sender and (SCHEDULER=embedded) the scheduler, with the
LINE client they share, started and stopped together.

`rongtuk worker` runs them in a process of their own (`serve` below): what `rongtuk serve` starts
beside the web process and supervises (WORKERS=process, app/pipeline/supervisor.py), or a process started
by itself where web replicas run with WORKERS=off. With WORKERS=inline create_app runs the same
`Workers` inside the web process's event loop (the test harness, `rongtuk demo`).

At start the workers release the leases their id (WORKER_ID) still holds: those items were being
worked by this worker's previous run, which is gone, so they are claimable at once instead of
after their lease runs out.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import hashlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import session_scope
from app.line.client import LineClient
from app.pipeline import leases
from app.pipeline.inbox_worker import InboxWorker
from app.pipeline.outbox_sender import Sender
from app.scheduler import Scheduler
from models import InboxEvent, OutboxMessage

log = logging.getLogger(__name__)


def line_urls(settings: Settings) -> tuple[str, str]:
    """LINE's API and data hosts; in development without LINE, the emulator the web process mounts."""
    if settings.uses_embedded_emulator:
        url = settings.public_base_url.rstrip("/") + settings.embedded_emulator_path
        return url, url
    return settings.line_api_base_url, settings.line_data_api_base_url


def line_client(settings: Settings) -> LineClient:
    base_url, data_url = line_urls(settings)
    return LineClient(base_url=base_url, data_base_url=data_url, access_token=settings.line_channel_access_token,
                      timeout_seconds=settings.line_request_timeout_seconds)


def worker_id(settings: Settings, *, port: int | None = None) -> str:
    """WORKER_ID, else this host and what tells its workers apart: the port `rongtuk serve` listens
    on, or the working directory and the database. The same after a restart, by design."""
    if settings.worker_id:
        return settings.worker_id
    if port is not None:
        return f"{socket.gethostname()}:{port}"[:100]
    where = f"{Path.cwd()}|{settings.database_url}".encode()
    return f"{socket.gethostname()}:{hashlib.sha1(where).hexdigest()[:10]}"[:100]


class Workers:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, line: LineClient,
                 owner: str) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.owner = owner
        self.inbox = InboxWorker(sessionmaker=sessionmaker, settings=settings, line=line)
        self.sender = Sender(sessionmaker=sessionmaker, settings=settings, line=line)
        self.inbox_loop = self.inbox.dispatcher()
        self.sender_loop = self.sender.dispatcher()
        self.inbox.after_event = self.sender_loop.wake  # an answer leaves as soon as it is committed
        # SCHEDULER=embedded: the jobs run with the workers (once per tick across replicas, the
        # job_run ledger); separate: `rongtuk scheduler` runs them; off: nobody.
        self.scheduler = (Scheduler(sessionmaker, settings, after_run=self.sender_loop.wake)
                          if settings.scheduler == "embedded" else None)

    def wake_inbox(self) -> None:
        self.inbox_loop.wake()

    def wake_outbox(self) -> None:
        self.sender_loop.wake()

    async def start(self) -> None:
        async with session_scope(self.sessionmaker) as session:
            released = {"inbox": await leases.release_held(session, InboxEvent, owner=self.owner),
                        "outbox": await leases.release_held(session, OutboxMessage, owner=self.owner)}
        if any(released.values()):
            log.info("leases of an earlier run released", extra={"worker_id": self.owner, **released})
        # Every claim the loops make is this worker's (leases.OWNER), in a context of their own.
        context = contextvars.copy_context()
        context.run(leases.OWNER.set, self.owner)
        context.run(self.inbox_loop.start)
        context.run(self.sender_loop.start)
        if self.scheduler is not None:
            self.scheduler.start()  # missed cron runs are made up in the background

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.shutdown()
        await self.inbox_loop.stop()
        await self.inbox.close()
        await self.sender_loop.stop()
        await self.sender.close()


async def serve(settings: Settings, *, wake_fd: int | None = None, parent_pid: int | None = None) -> None:
    """`rongtuk worker`: run the workers until SIGTERM or SIGINT, or until the parent `rongtuk serve`
    is gone (`parent_pid`). `wake_fd`: the socket the web process sends wake-ups on."""
    from app import migrations
    from app.db import create_engine, create_sessionmaker
    from app.pipeline import wakeups, webhook_first

    # SQLite: the webhook's writes go before this worker's next transaction.
    engine = create_engine(settings.database_url, before_begin=webhook_first.worker_turn(settings.database_url),
                           on_loop=True)
    line = line_client(settings)
    main = asyncio.current_task()
    stop = asyncio.Event()

    def stopping() -> None:
        # Told to stop at any point, start-up included (a database that never answers): the
        # shutdown has its deadline from now, and a start still waiting is given up.
        if not stop.is_set():
            stop.set()
            _exit_if_stuck(STOP_DEADLINE_SECONDS)
            if not started:
                main.cancel()

    started = False
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping)
    workers = None
    unlisten = None
    watch = asyncio.create_task(_parent_gone(parent_pid, stopping)) if parent_pid is not None else None
    try:
        if await migrations.current_revision(engine) != migrations.head_revision():
            raise ValueError("the database is not at the latest migration: run `rongtuk db upgrade` "
                             "(on SQLite, start `rongtuk serve` once first)")
        await line.open()
        owner = worker_id(settings)
        workers = Workers(create_sessionmaker(engine), settings, line=line, owner=owner)
        if wake_fd is not None:
            unlisten = wakeups.listen(socket.socket(fileno=wake_fd), inbox=workers.wake_inbox,
                                      outbox=workers.wake_outbox)
        await workers.start()
        started = True
        gc.freeze()  # what start-up built lives as long as the process (app/main.py says why)
        log.info("worker started", extra={"worker_id": owner, "pid": os.getpid(), "scheduler": settings.scheduler,
                                          "database": engine.url.render_as_string()})
        await stop.wait()
        log.info("worker stopping", extra={"worker_id": owner})
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        log.warning("worker stopped before its start finished")
    finally:
        if not stop.is_set():  # leaving for another reason (an error): the same deadline
            stop.set()
            _exit_if_stuck(STOP_DEADLINE_SECONDS)
        if watch is not None:
            watch.cancel()
        if unlisten is not None:
            unlisten()
        if workers is not None:
            await workers.stop()
        await line.close()
        await engine.dispose()


# A worker that is stopping is gone within this time whatever it was waiting for (a LINE call, a
# database that went away): what it had claimed comes back by its lease, or at once when the
# worker starts again (release_held), so exiting hard loses nothing.
STOP_DEADLINE_SECONDS = 20.0


def _exit_if_stuck(seconds: float) -> None:
    def exit_now() -> None:
        log.error("worker did not stop in time: exiting", extra={"seconds": seconds})
        os._exit(3)

    timer = threading.Timer(seconds, exit_now)
    timer.daemon = True
    timer.start()


async def _parent_gone(parent_pid: int, stop: Callable[[], None]) -> None:
    """The fallback to PR_SET_PDEATHSIG (app/pipeline/supervisor.py): once the parent is gone, this process
    is re-parented and getppid() changes."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(1.0)
    log.warning("rongtuk serve is gone: worker stopping", extra={"parent_pid": parent_pid})
    stop()
