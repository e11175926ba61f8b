"""The inbox worker: events of different chats ready together are handled in one transaction, and
one event's failure or lost lease is its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import handlers
from app.db import session_scope
from app.line import events
from app.line.client import LineClient
from app.pipeline import inbox
from app.pipeline.inbox_worker import InboxWorker
from models import InboxEvent, OutboxMessage

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
USERS = ["U_ONE", "U_BAD", "U_TWO"]


@pytest.fixture
async def worker(sessionmaker, settings):
    # No event here needs LINE (no profile lookup): the client is never opened.
    worker = InboxWorker(sessionmaker=sessionmaker, settings=settings, clock=lambda: T0,
                         line=LineClient(base_url="http://127.0.0.1:9", data_base_url="http://127.0.0.1:9",
                                         access_token="unused", timeout_seconds=1))
    yield worker
    await worker.close()


async def _claimed(sessionmaker, worker) -> list[InboxEvent]:
    """A hello from each user, stored and claimed: one event per chat, all claimed at once."""
    sent = [events.text_message(user, "สวัสดีค่ะ", at=T0 - timedelta(seconds=1)) for user in USERS]
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), sent, now=T0 - timedelta(seconds=1))
    batch = await worker.claim(len(USERS))
    assert len(batch) == len(USERS)
    return batch


async def _outcome(sessionmaker) -> dict[str, tuple[str, int, bool]]:
    """Per user: the event's status and tries, and whether it was answered (an outbox row)."""
    async with sessionmaker() as s:
        rows = (await s.execute(select(InboxEvent.source_key, InboxEvent.status, InboxEvent.attempts))).all()
        answered = set((await s.scalars(select(OutboxMessage.recipient))).all())
    return {user: (status, attempts, user in answered) for user, status, attempts in rows}


async def test_a_failing_event_is_undone_alone_and_the_others_of_its_group_commit(sessionmaker, worker, monkeypatch):
    handle = handlers.HANDLERS["message"]
    handled: list[str] = []

    async def failing_for_one(ctx) -> None:
        handled.append(ctx.user_id)
        await handle(ctx)  # its answer is written, and must be undone with the rest of its work
        if ctx.user_id == "U_BAD":
            raise RuntimeError("a handler's bug")

    monkeypatch.setitem(handlers.HANDLERS, "message", failing_for_one)
    batch = await _claimed(sessionmaker, worker)
    await asyncio.gather(*(worker.work(row) for row in batch))

    # Together until the failure, then each alone.
    assert handled == ["U_ONE", "U_BAD", *USERS]
    outcome = await _outcome(sessionmaker)
    assert outcome["U_ONE"] == ("done", 1, True) and outcome["U_TWO"] == ("done", 1, True)
    assert outcome["U_BAD"] == ("pending", 1, False)  # retried later, answered by nobody yet
    async with sessionmaker() as s:
        error = await s.scalar(select(InboxEvent.last_error).where(InboxEvent.source_key == "U_BAD"))
    assert error == "RuntimeError: a handler's bug"


async def test_an_event_whose_lease_was_lost_leaves_its_group_and_is_not_finished(sessionmaker, worker):
    batch = await _claimed(sessionmaker, worker)
    lost = next(row for row in batch if row.source_key == "U_BAD")
    async with session_scope(sessionmaker) as s:  # its lease ran out and another worker took it
        row = await s.get(InboxEvent, lost.id)
        row.claim_token = "another-worker"

    await asyncio.gather(*(worker.work(row) for row in batch))

    outcome = await _outcome(sessionmaker)
    assert outcome["U_ONE"] == ("done", 1, True) and outcome["U_TWO"] == ("done", 1, True)
    assert outcome["U_BAD"] == ("pending", 1, False)  # the other worker's now: not finished, not answered
