"""The inbox worker: claims stored webhook events and runs their handlers. Each event's handler and
its finish are one unit; units of different chats that are ready together share one transaction
(app/pipeline/group_commit.py: a failure undoes the group, and each unit is then written alone)."""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import handlers
from app.config import Settings
from app.db import session_scope
from app.line import callback
from app.line.client import LineClient
from app.line.errors import LineError
from app.observability import EVENT_LAG, INBOX_EVENTS
from app.pipeline import inbox, intake, leases
from app.pipeline.group_commit import GroupCommit
from app.pipeline.loops import Dispatcher
from models import InboxEvent, InboxStatus
from models.base import utcnow

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class InboxWorker:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    line: LineClient
    clock: Callable[[], datetime] = utcnow

    # Called after each event's transaction commits: wakes the sender, so an answer leaves at once
    # rather than after the rest of the batch.
    after_event: Callable[[], None] | None = None
    _handlings: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self._handlings = GroupCommit(self.sessionmaker, max_group=self.settings.inbox_group_max, defer_writes=True)

    async def close(self) -> None:
        """Wait for the group of handlings being written (at shutdown)."""
        await self._handlings.close()

    async def claim(self, limit: int, *, due_in: Callable[[float], None] | None = None) -> list[InboxEvent]:
        """Lease up to `limit` due events, at most one per chat (inbox.claim); tell `due_in` when the
        next event not yet settled (its ordering window, the replicas' intake marks) falls due."""
        s = self.settings
        async with session_scope(self.sessionmaker) as session:
            now = self.clock()
            # One reading of the marks for both: see inbox.next_due.
            mark = await intake.horizon(session, now=now, stale_seconds=s.intake_mark_stale_seconds)
            ordering = {"order_window_seconds": s.inbox_order_window_seconds, "mark": mark}
            batch = await inbox.claim(session, now=now, lease_seconds=s.inbox_lease_seconds, limit=limit, **ordering)
            if due_in is not None and (at := await inbox.next_due(
                    session, now=now, mark_interval_seconds=s.intake_mark_interval_seconds, **ordering)):
                due_in((at - now).total_seconds())
        return batch

    async def run_once(self) -> int:
        """Claim a batch and work it to the end (tests, and a drain by hand). Returns how many
        events were claimed. The service runs `dispatcher()` instead."""
        batch = await self.claim(self.settings.inbox_batch_size)
        if self.settings.is_sqlite:
            for event in batch:
                await self.work(event)
        else:
            await asyncio.gather(*(self.work(event) for event in batch))
        return len(batch)

    def dispatcher(self) -> Dispatcher[InboxEvent]:
        """The service's loop: events of different chats worked side by side (on SQLite they
        still take turns on its one connection, but a slow LINE lookup holds only its own). It
        wakes when an event can have settled (its window over, the marks past it), not at the
        next poll."""
        loop = Dispatcher("inbox-worker", lambda limit: self.claim(limit, due_in=loop.due_in), self.work,
                          concurrency=self.settings.inbox_concurrency, poll_seconds=self.settings.worker_poll_seconds)
        return loop

    async def work(self, row: InboxEvent) -> None:
        await self.process(row)
        if self.after_event is not None:
            self.after_event()

    async def process(self, row: InboxEvent) -> None:
        """Work one event. Whatever goes wrong (a profile lookup, a payload the SDK refuses, a
        handler's bug) is this event's problem only: it is recorded on the event, which is retried
        with backoff and kept as dead after the last try, while the batch goes on."""
        try:
            done = await self._work(row)
        except Exception as exc:
            log.exception("inbox event failed", extra={"inbox_id": row.id, "event_id": row.webhook_event_id})
            await self._failed(row, exc)
            return
        if done:
            INBOX_EVENTS.labels("done").inc()
            EVENT_LAG.observe(max(0.0, self.clock().timestamp() - row.event_timestamp / 1000))

    async def _work(self, row: InboxEvent) -> bool:
        event = callback.sdk_event(row.payload)  # None: a type this SDK does not know; nothing to do
        display_name = await self._display_name(row.payload) if event is not None else None
        try:
            await self._handlings.apply(functools.partial(self._handle, row, event, display_name))
        except leases.LeaseLost:  # our lease ran out and another worker took the event: it is theirs
            INBOX_EVENTS.labels("lease_lost").inc()
            return False
        return True

    async def _handle(self, row: InboxEvent, event: Any, display_name: str | None, session: AsyncSession) -> None:
        """The event's handler and its finish, in a transaction it may share with other chats'
        events (app/pipeline/group_commit.py: an error undoes the group, and each is then done alone)."""
        now = self.clock()
        if event is not None:
            ctx = handlers.Context(session=session, settings=self.settings, event=event, payload=row.payload,
                                   inbox_id=row.id, now=now, received_at=row.received_at, display_name=display_name)
            await handlers.dispatch(ctx)
        if not await inbox.finish(session, row, now=now):
            raise leases.LeaseLost(f"inbox event {row.id}: lease lost")

    async def _failed(self, row: InboxEvent, exc: Exception) -> None:
        try:
            async with session_scope(self.sessionmaker) as session:
                status = await inbox.fail(
                    session, row, "".join(traceback.format_exception_only(exc)).strip(), now=self.clock(),
                    max_attempts=self.settings.inbox_max_attempts,
                    retry_base_seconds=self.settings.inbox_retry_base_seconds,
                )
        except Exception:  # the database itself failed: the lease runs out and the event comes back
            log.exception("inbox event failure not recorded", extra={"inbox_id": row.id})
            return
        INBOX_EVENTS.labels("dead" if status == InboxStatus.dead else "retry").inc()

    async def _display_name(self, payload: dict) -> str | None:
        if not handlers.needs_display_name(payload):
            return None
        source = payload.get("source") or {}
        try:
            return await self.line.display_name(source.get("userId", ""), group_id=source.get("groupId"))
        except LineError as exc:  # a name is nice to have; registration goes on without it
            log.warning("profile lookup failed", extra={"error": str(exc)})
            return None
