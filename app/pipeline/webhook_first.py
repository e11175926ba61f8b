"""On SQLite, the webhook's writes go before the workers' next transaction.

The web process and the worker process write to one file, and SQLite has one writer at a time.
A writer that finds the file locked sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms), and a
busy worker commits and begins its next transaction within a millisecond: the webhook's INSERT
could sleep through gap after gap while LINE waits for its 200. So the two take turns through an
advisory lock beside the database (`<file>-webhook.lock`): the webhook's writer holds it
exclusively while it writes; the worker takes it shared, for an instant, before each BEGIN. The
webhook then waits at most for the one worker transaction in progress (they are short: none stays
open while LINE is called), never for the ones after it. The kernel drops the lock with the
process, so a process killed while holding it blocks nobody. Neither side waits for the other
longer than a bound (it then goes on as without the lock, SQLite's own locking still decides): a
turn missed costs latency, never a stall.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_

WEBHOOK_WAITS_SECONDS = 0.005  # for a worker to let go of its instant's share
WORKER_WAITS_SECONDS = 0.05  # for the webhook's write


def _flock(fd: int, how: int, within: float) -> bool:
    """flock without blocking past `within` seconds, for the webhook's writer (it runs on a thread
    of its own: aiosqlite's)."""
    deadline = time.monotonic() + within
    for pause in _pauses():
        if _try_flock(fd, how):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)


async def _flock_on_loop(fd: int, how: int, within: float) -> bool:
    """The same for the worker, whose statements run on its event loop: while it waits for the
    webhook's write, the loop goes on (the sender's LINE calls, other events' work in Python)."""
    deadline = time.monotonic() + within
    for pause in _pauses():
        if _try_flock(fd, how):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(pause)


def _try_flock(fd: int, how: int) -> bool:
    try:
        fcntl.flock(fd, how | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _pauses() -> Iterator[float]:
    """0.1 ms, doubling to 1 ms: the other side's turn is usually over within a millisecond, and a
    tighter spin burnt CPU while it waited."""
    pause = 0.0001
    while True:
        yield pause
        pause = min(pause * 2, 0.001)


def _lock_file(database_url) -> int | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return os.open(Path(url.database).with_name(Path(url.database).name + "-webhook.lock"),
                   os.O_RDWR | os.O_CREAT, 0o600)


def webhook_writes(engine: AsyncEngine) -> None:
    """Every statement on `engine` (the webhook writer's own) holds the lock exclusively."""
    fd = _lock_file(engine.url)
    if fd is None:
        return

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _take(*_args) -> None:
        _flock(fd, fcntl.LOCK_EX, WEBHOOK_WAITS_SECONDS)  # a worker holds it shared for an instant

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _give(*_args) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    @event.listens_for(engine.sync_engine, "handle_error")
    def _give_on_error(_context) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def worker_turn(database_url: str) -> Callable[[], None] | None:
    """For create_engine(before_begin=…) of a worker: each transaction begins only while the
    webhook is not writing. None when the database is not an SQLite file."""
    fd = _lock_file(database_url)
    if fd is None:
        return None

    def wait_for_webhook() -> None:
        # Called in SQLAlchemy's greenlet (the BEGIN of an async session): await_ hands the wait
        # to the event loop, as SQLAlchemy's own async drivers do.
        if await_(_flock_on_loop(fd, fcntl.LOCK_SH, WORKER_WAITS_SECONDS)):  # the webhook writes: about 1 ms
            fcntl.flock(fd, fcntl.LOCK_UN)

    return wait_for_webhook
