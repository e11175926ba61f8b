"""The webhook inbox: record events before the 200, claim them for the worker, finish or retry.

A claim is a lease (app/pipeline/leases.py); `finish` takes the row back only if the lease is still ours,
in the same transaction as the handler's writes. A worker killed mid-event leaves the lease to run
out, and the event is worked again from scratch.

ORDERING. A chat's events are worked one at a time, in LINE's timestamp order. Replicas store
events independently, so a ตอบกลับ tap and the text typed right after it may be stored in the
other order: a replica starved of CPU stored a tap 650 ms after the text beside it. The claim
would see only the text and work it under the old case. So an event is claimed only when every
live web replica has stored all it received until the ordering window after the event's receipt
(app/pipeline/intake.py: each replica publishes such an instant, its intake mark, every few tens of ms):
an earlier event of its chat that reached another replica by then is stored, and goes first, for
as long as that replica takes to store it. The window (INBOX_ORDER_WINDOW_SECONDS, 20 ms) is for
arrival, not storing: a mark covers only what has reached its replica, and LINE may send an earlier
event a moment after a later one. An idle replica's mark is the time it published, so an event
waits the window and about one publishing interval. Receipts are measured at arrival, before the
body is read, on the storing replica's clock; marks on theirs: replicas on one machine share one,
elsewhere they must agree (NTP) to well under the window, or the window shrinks by the difference.
With no live mark (no web process) the window is measured against the claimer's `now`.

A retry waits for the marks to pass the end of its backoff (`available_at`, which is the receipt
until a retry moves it). A redelivery (LINE sends again what it could not deliver, minutes later)
is ordered from its own receipt, never more: redelivered neighbours still sort themselves. It keeps
its place by LINE's timestamp among its chat's pending events, so the chat's newer pending events
wait for it, for about a window; events of its chat already worked are not redone, and one in work
is not overtaken: the redelivery waits until it is finished.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from app.dialect import insert_ignoring_duplicates
from app.pipeline import deferred_writes, intake, leases
from models import InboxEvent, InboxStatus


def source_key(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    return source.get("groupId") or source.get("roomId") or source.get("userId") or "-"


async def record(conn: AsyncConnection, events: list[dict[str, Any]], *, now: datetime,
                 received: Sequence[datetime] | None = None) -> set[str]:
    """Store events idempotently on webhookEventId; returns the ids that were new. `now`: when
    they were received; `received`: each event's receive time, when they differ (a group commit).

    Takes a bare connection, not a session: this is the webhook's hot path, and one cached
    INSERT … ON CONFLICT DO NOTHING RETURNING is all it needs."""
    if not events:
        return set()
    rows = [
        {
            "webhook_event_id": e["webhookEventId"],
            "event_type": e["type"],
            "source_key": source_key(e),
            "event_timestamp": e["timestamp"],
            "is_redelivery": bool((e.get("deliveryContext") or {}).get("isRedelivery")),
            "payload": e,
            "status": InboxStatus.pending,
            "attempts": 0,
            "available_at": at,
            "received_at": at,
        }
        for e, at in zip(events, received or [now] * len(events), strict=True)
    ]
    result = await conn.execute(_insert_statement(conn.dialect.name), rows)
    return set(result.scalars().all())


@functools.cache
def _insert_statement(dialect: str):
    table = InboxEvent.__table__
    return insert_ignoring_duplicates(dialect, table, ["webhook_event_id"]).returning(table.c.webhook_event_id)


class InboxWriter:
    """Group commit for the webhook: requests that arrive while a write is in flight are stored
    together by the next one, in one INSERT. A request alone is written at once; each request
    gets its answer only after its own events are stored.

    It writes in autocommit mode: a single INSERT … ON CONFLICT is atomic by itself, so a batch
    costs one round trip (no BEGIN or COMMIT). On PostgreSQL it also keeps a connection of its own
    (no pool checkout per batch); on SQLite it queues for the process's one connection (app.db)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._hold = engine.dialect.name != "sqlite"
        self._conn: AsyncConnection | None = None
        self._waiting: list[tuple[list[dict[str, Any]], datetime, asyncio.Future[int]]] = []
        self._flushing: asyncio.Task | None = None  # referenced, so it is not collected mid-flight

    async def store(self, events: list[dict[str, Any]], *, received_at: datetime | None = None) -> int:
        """Store the events of one webhook request, received at `received_at` (its arrival, before
        its body was read: the intake mark counts from it; default now); returns how many were new."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((events, received_at or datetime.now(UTC), future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    new = await self._record([e for events, _, _ in batch for e in events],
                                             [at for events, at, _ in batch for _ in events])
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch[0][2], error=exc)
                        continue
                    # One bad request must not fail the others: write each alone, so only the
                    # request whose rows the database refuses gets the error.
                    for events, at, future in batch:
                        try:
                            _settle(future, count=_count_new(events, await self._record(events, [at] * len(events))))
                        except Exception as alone:
                            _settle(future, error=alone)
                    continue
                for events, _, future in batch:
                    _settle(future, count=_count_new(events, new))
        finally:
            self._flushing = None

    async def _record(self, rows: list[dict[str, Any]], received: list[datetime]) -> set[str]:
        now = datetime.now(UTC)
        try:
            if self._hold:
                return await record(await self._connection(), rows, now=now, received=received)
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await record(conn, rows, now=now, received=received)
        except Exception:
            if self._conn is not None:  # a connection that failed a statement is not reused
                await self._conn.invalidate()
                self._conn = None
            raise


def _count_new(events: list[dict[str, Any]], new: set[str]) -> int:
    """How many of a request's events were new; takes them out of `new`, so an event sent by two
    requests of one batch counts once, for the first."""
    count = 0
    for e in events:
        if e["webhookEventId"] in new:
            new.discard(e["webhookEventId"])
            count += 1
    return count


def _settle(future: asyncio.Future[int], *, count: int = 0, error: BaseException | None = None) -> None:
    if future.done():  # the request went away (client disconnected)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(count)


async def claim(session: AsyncSession, *, now: datetime, lease_seconds: float, limit: int,
                order_window_seconds: float = 0.0, mark_stale_seconds: float = 3.0,
                mark: intake.Horizon | None = None) -> list[InboxEvent]:
    """Lease up to `limit` due events, oldest first, so that a chat's events run one at a time in
    LINE's timestamp order even across replicas.

    An event is handed out only when it is the earliest pending one of its chat, no other event of
    its chat is in work, and every live replica has stored what it received until
    `order_window_seconds` after the event (ORDERING above). The marks are read first: on
    PostgreSQL the claim's own snapshot is then at least as new, and sees what they cover. `mark`:
    marks read already (the worker reads them once for the claim and `next_due`)."""
    mark = mark or await intake.horizon(session, now=now, stale_seconds=mark_stale_seconds)
    return await leases.claim(session, _claim_statement(session.bind.dialect.name), now=now,
                              lease_seconds=lease_seconds, order_by=_CLAIM_ORDER, limit=limit,
                              settled_before=mark.stored_before - timedelta(seconds=order_window_seconds))


_CLAIM_ORDER = (InboxEvent.event_timestamp, InboxEvent.id)


@functools.cache
def _claim_statement(dialect_name: str):
    """inbox.claim's statement (leases.claim_statement), built once per database."""
    other = aliased(InboxEvent)
    now = bindparam("now", type_=InboxEvent.claimed_until.type)
    held_back = exists().where(
        other.source_key == InboxEvent.source_key,
        other.status == InboxStatus.pending,
        other.id != InboxEvent.id,
        or_(
            other.event_timestamp < InboxEvent.event_timestamp,
            and_(other.event_timestamp == InboxEvent.event_timestamp, other.id < InboxEvent.id),
            other.claimed_until >= now,  # in work: a late earlier event waits for it to finish
        ),
    )
    settled = InboxEvent.available_at <= bindparam("settled_before", type_=InboxEvent.available_at.type)
    candidates = select(InboxEvent.id).where(settled, ~held_back).limit(bindparam("limit", type_=Integer))
    return leases.claim_statement(InboxEvent, candidates, order_by=_CLAIM_ORDER,
                                  dialect_name=dialect_name)


async def next_due(session: AsyncSession, *, now: datetime, order_window_seconds: float = 0.0,
                   mark_stale_seconds: float = 3.0, mark_interval_seconds: float = 0.025,
                   mark: intake.Horizon | None = None) -> datetime | None:
    """When the next pending event not yet settled (ORDERING) or still in its retry's backoff may
    be claimed, so the worker wakes then rather than at its next poll: at the end of its window,
    and not before the mark that holds it can have advanced (the replica's next publishing), so a
    replica still storing is not polled hard. An index range on (status, available_at).

    Pass the `mark` the claim used: with newer marks, an event they settled after the claim would
    be neither claimed nor due, and the worker would sleep until its poll."""
    mark = mark or await intake.horizon(session, now=now, stale_seconds=mark_stale_seconds)
    window = timedelta(seconds=order_window_seconds)
    earliest = await session.scalar(_EARLIEST_UNSETTLED, {"settled_before": mark.stored_before - window})
    if earliest is None:
        return None
    due = earliest + window
    if mark.published_at is not None:
        interval = timedelta(seconds=mark_interval_seconds)
        # The next mark: an interval after this one, and a little for its turns and its UPSERT;
        # one that is late (its replica starved, or storing) is looked for again in half an interval.
        due = max(due, mark.published_at + interval * 1.2)
        if due <= now:
            due = now + interval / 2
    return due


# Built once (run after every claim): only the time changes.
_EARLIEST_UNSETTLED = (
    select(func.min(InboxEvent.available_at))
    .where(InboxEvent.status == InboxStatus.pending,
           InboxEvent.available_at > bindparam("settled_before", type_=InboxEvent.available_at.type))
)


async def finish(session: AsyncSession, event: InboxEvent, *, now: datetime) -> bool:
    """Mark done if the lease is still ours, last in the handler's transaction so both commit
    together. False: the lease ran out and another worker took the event; roll back. In a
    transaction that keeps its writes (app/pipeline/deferred_writes.py) the finish is written, with the
    others of the group, just before the commit, which fails if any lease was lost."""
    if deferred_writes.keep(session, _finish_all, (event.id, event.claim_token, now)):
        return True
    # On the connection: the ORM's bulk-update path cost more than the UPDATE itself.
    result = await (await session.connection()).execute(
        _FINISH, {"event_id": event.id, "token": event.claim_token, "now": now})
    return result.rowcount == 1


async def _finish_all(session: AsyncSession, finishes: list[tuple[int, str, datetime]]) -> None:
    """Mark the events done whose (id, lease token) still hold, at the last finish's time (when the
    group was handled); LeaseLost when any lease was lost."""
    events = [(event_id, token) for event_id, token, _ in finishes]
    result = await (await session.connection()).execute(_FINISH_ALL, {"events": events, "now": finishes[-1][2]})
    lost = {event_id for event_id, _ in events} - set(result.scalars())
    if lost:
        raise leases.LeaseLost(f"inbox events {sorted(lost)}: lease lost")


# Built once: run for every event.
_FINISH = (
    update(InboxEvent)
    .where(InboxEvent.id == bindparam("event_id"), InboxEvent.claim_token == bindparam("token"),
           InboxEvent.status == InboxStatus.pending)
    .values(status=InboxStatus.done, processed_at=bindparam("now", type_=InboxEvent.processed_at.type),
            claim_token=None, claimed_until=None, last_error=None)
)
_FINISH_ALL = (
    update(InboxEvent)
    .where(tuple_(InboxEvent.id, InboxEvent.claim_token).in_(bindparam("events", expanding=True)),
           InboxEvent.status == InboxStatus.pending)
    .values(status=InboxStatus.done, processed_at=bindparam("now", type_=InboxEvent.processed_at.type),
            claim_token=None, claimed_until=None, last_error=None)
    .returning(InboxEvent.id)
)


async def fail(session: AsyncSession, event: InboxEvent, error: str, *, now: datetime,
               max_attempts: int, retry_base_seconds: float) -> str:
    """Record a failed try: back off and retry, or after the last try keep it as dead."""
    if event.attempts >= max_attempts:
        values: dict[str, Any] = {"status": InboxStatus.dead, "processed_at": now}
    else:
        delay = leases.backoff_seconds(event.attempts, base=retry_base_seconds)
        values = {"available_at": now + timedelta(seconds=delay)}
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event.id, InboxEvent.claim_token == event.claim_token)
        .values(claim_token=None, claimed_until=None, last_error=error[:4000], **values)
        .execution_options(synchronize_session=False)
    )
    return values.get("status", InboxStatus.pending)


# -- for an admin: what could not be worked, and working it again --------------------------------

async def dead(session: AsyncSession, *, limit: int = 50) -> list[InboxEvent]:
    """Events kept as dead, the most recent first."""
    return await leases.given_up(session, InboxEvent, InboxStatus.dead, limit=limit)


async def replay(session: AsyncSession, event_id: int, *, now: datetime) -> InboxEvent:
    """Work a dead event again from scratch, in its chat's order."""
    row = await leases.requeue(session, InboxEvent, event_id, from_status=InboxStatus.dead, now=now,
                               what="เหตุการณ์ขาเข้า")
    row.processed_at = None
    await session.flush()
    return row
