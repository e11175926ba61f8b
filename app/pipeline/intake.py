"""The intake mark: how far each web process (replica) has stored the webhook requests it received.

Every INTAKE_MARK_INTERVAL_SECONDS a replica that stores webhook events publishes one row in
`intake_mark`: `stored_before`, an instant before which every webhook request it received is
stored (or was refused). The inbox's claim hands out an event only once its receipt plus the
ordering window lies before every live replica's mark (app/pipeline/inbox.py, ORDERING), so an earlier event
of its chat that another replica is still storing, however slowly, goes first; an idle replica's
mark is simply the time it published.

How a mark is made. A request is noted as it arrives, before its body is read (`Receipts`), and is
in flight until its answer is sent. A request still in the kernel's socket buffers is unseen (a
replica starved of CPU may not read it for hundreds of ms), so the publisher samples the clock
first, then lets the event loop turn a few times (taking in what was waiting on its sockets and
starting those requests), and only then publishes: the sample, or, while requests are in flight,
the oldest sample before which they cannot have arrived.

Assumptions:
- A replica whose mark has not been updated for INTAKE_MARK_STALE_SECONDS is gone, and nobody waits
  for it: a request it took and never answered 200, LINE delivers again. A replica that stops
  cleanly deletes its row at once. A replica stalled that long (not merely slow) loses its hold.
- Clocks: marks, receipts and the claimer's `now` come from different replicas' clocks. Replicas on
  one machine share one; on several machines they must agree (NTP) to well under the ordering
  window, which a skew shrinks, and far under the stale limit.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.dialect import insert_or_update
from models import IntakeMark
from models.base import utcnow

log = logging.getLogger(__name__)

# Turns of the event loop between the clock's sample and the mark: a new connection is accepted,
# read, parsed and its request's task started in about five; the rest is room.
LOOP_TURNS = 8
# Rows of replicas gone this long are deleted when a replica starts (a crash leaves its row).
FORGOTTEN_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Horizon:
    """Everything any live replica received before `stored_before` is stored. `published_at`: when
    the mark that sets it was published; None when no mark holds it back (it is then `now`)."""

    stored_before: datetime
    published_at: datetime | None = None


async def horizon(session: AsyncSession, *, now: datetime, stale_seconds: float) -> Horizon:
    """The lowest live mark, or `now` when there is none (no web process, or only gone ones)."""
    row = (await session.execute(_LOWEST_LIVE_MARK, {"live_since": now - timedelta(seconds=stale_seconds),
                                                     "now": now})).first()
    return Horizon(now) if row is None else Horizon(row.stored_before, row.updated_at)


# Built once (read before every claim): only the times change.
_LOWEST_LIVE_MARK = (
    select(IntakeMark.stored_before, IntakeMark.updated_at)
    .where(IntakeMark.updated_at >= bindparam("live_since", type_=IntakeMark.updated_at.type),
           IntakeMark.stored_before < bindparam("now", type_=IntakeMark.stored_before.type))
    .order_by(IntakeMark.stored_before).limit(1)
)


def replica_id() -> str:
    """Unique to this process: two replicas sharing a row would publish each other's marks."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


class Intake:
    """One web process's requests in flight, and the mark it publishes for them, on a connection
    of its own (PostgreSQL) or, on SQLite, the writer's one connection, one UPSERT at a time."""

    def __init__(self, engine: AsyncEngine, *, interval_seconds: float, replica: str | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.interval_seconds = interval_seconds
        self.replica_id = replica or replica_id()
        self.clock = clock
        self._hold = engine.dialect.name != "sqlite"
        self._conn: AsyncConnection | None = None
        self._tokens = itertools.count()
        # token → an instant before which that request cannot have arrived (see `stored_before`)
        self._in_flight: dict[int, datetime] = {}
        self._verified = clock()
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def arrived(self) -> tuple[int, datetime]:
        """Note a request as it arrives: its token for `left`, and its receive time."""
        token = next(self._tokens)
        self._in_flight[token] = self._verified
        return token, self.clock()

    def left(self, token: int) -> None:
        """The request is answered: its events are stored, or it was refused."""
        self._in_flight.pop(token, None)

    async def stored_before(self) -> datetime:
        """The clock's sample, taken before the loop turns; a request noted after that sample's
        turns arrived after it, so it is the bound for requests noted until the next sample."""
        sampled = self.clock()
        for _ in range(LOOP_TURNS):
            await asyncio.sleep(0)
        self._verified = sampled
        return min(self._in_flight.values(), default=sampled)

    async def publish(self) -> datetime:
        mark = await self.stored_before()
        await self._execute(_upsert(self.engine.dialect.name),
                            {"replica_id": self.replica_id, "stored_before": mark, "updated_at": self.clock()})
        return mark

    async def start(self) -> None:
        """Publish a first mark, then keep publishing in the background."""
        await self._execute(delete(IntakeMark).where(IntakeMark.updated_at < self.clock() - FORGOTTEN_AFTER))
        await self.publish()
        self._task = asyncio.create_task(self._run(), name="intake-mark")

    async def stop(self) -> None:
        """Stop publishing and take the mark away: nobody waits for a replica that is gone."""
        if self._task is not None:
            self._stopping.set()  # not cancelled at once: a statement cut short spoils the connection
            done, _ = await asyncio.wait([self._task], timeout=5)
            if not done:  # the database hangs: give up the mark and its connection
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
                if self._conn is not None:
                    await self._conn.invalidate()
                    self._conn = None
            self._task = None
        try:
            await self._execute(delete(IntakeMark).where(IntakeMark.replica_id == self.replica_id))
        except Exception:  # the mark goes stale instead
            log.warning("intake mark not deleted", exc_info=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval_seconds)
                return
            except TimeoutError:
                pass
            try:
                await self.publish()
            except Exception:  # the database is away: the mark goes stale, the next try may land
                log.warning("intake mark not published", exc_info=True)

    async def _execute(self, statement, params=None) -> None:
        try:
            if self._hold:
                if self._conn is None:
                    conn = await self.engine.connect()
                    self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await self._conn.execute(statement, params)
                return
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(statement, params)
        except Exception:
            if self._conn is not None:  # a connection that failed a statement is not reused
                await self._conn.invalidate()
                self._conn = None
            raise


@functools.cache
def _upsert(dialect: str):
    return insert_or_update(dialect, IntakeMark.__table__, ["replica_id"], ["stored_before", "updated_at"])


class Receipts:
    """ASGI middleware: notes each POST /webhook as it arrives, before anything of it is read, with
    the app's `Intake` (app.state.intake), and passes its receive time on (`received_at`)."""

    def __init__(self, app, path: str = "/webhook") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope, receive, send) -> None:
        intake = getattr(scope["app"].state, "intake", None) if scope["type"] == "http" else None
        if intake is None or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        token, at = intake.arrived()
        scope.setdefault("state", {})["received_at"] = at
        try:
            await self.app(scope, receive, send)
        finally:
            intake.left(token)


def received_at(request) -> datetime:
    """When the webhook request arrived (noted by `Receipts`); now, for an app without it."""
    return request.scope.get("state", {}).get("received_at") or utcnow()
