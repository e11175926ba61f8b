"""Wake-ups: a web session's commit that wrote outbox rows or inbox events wakes the right loop,
a rollback wakes nobody; datagrams carry them across processes and a full socket drops them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from app.db import create_sessionmaker, session_scope
from app.pipeline import inbox, outbox, wakeups
from models import InboxEvent

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


async def test_a_commit_wakes_what_it_wrote_to_and_a_rollback_nothing(engine):
    woken: list[str] = []
    wake = wakeups.Wake().bind(inbox=lambda: woken.append("inbox"), outbox=lambda: woken.append("outbox"))
    sessionmaker = create_sessionmaker(engine, sync_session_class=wakeups.session_class(wake))
    async with sessionmaker() as s:
        await outbox.push(s, to="U1", messages=[{"type": "text", "text": "m"}], now=T0)
        await s.rollback()
    assert woken == []
    async with session_scope(sessionmaker) as s:
        await outbox.push(s, to="U1", messages=[{"type": "text", "text": "m"}], now=T0)
    assert woken == ["outbox"]
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [{
            "type": "message", "mode": "active", "timestamp": 1, "source": {"type": "user", "userId": "U1"},
            "webhookEventId": "E1", "deliveryContext": {"isRedelivery": False}, "replyToken": "r",
            "message": {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"}}], now=T0)
    async with session_scope(sessionmaker) as s:  # a replay changes a stored event
        event = await s.scalar(select(InboxEvent))
        event.status = "dead"
    assert woken == ["outbox", "inbox"]
    async with session_scope(sessionmaker):  # nothing written: nobody woken
        pass
    assert woken == ["outbox", "inbox"]


async def test_datagrams_wake_the_other_end_and_a_full_socket_drops_them():
    ours, theirs = wakeups.pair()
    woken: list[str] = []
    arrived = asyncio.Event()

    def note(what: str):
        return lambda: (woken.append(what), arrived.set())

    stop = wakeups.listen(theirs, inbox=note("inbox"), outbox=note("outbox"))
    wake = wakeups.sender(ours)
    try:
        wake.outbox()
        await asyncio.wait_for(arrived.wait(), 10)
        assert woken == ["outbox"]
        stop()
        for _ in range(100_000):  # nobody reads: the buffer fills and the sends are dropped, silently
            wake.inbox()
    finally:
        ours.close()
        theirs.close()
