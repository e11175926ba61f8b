"""The inbox: idempotent recording, claims in chat order, leases, retries, concurrent claimers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.pipeline import deferred_writes, inbox, leases
from models import InboxEvent, InboxStatus

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _event(event_id: str, user: str = "U1", ms: int = 1_000, group: str | None = None) -> dict:
    source = {"type": "group", "groupId": group, "userId": user} if group else {"type": "user", "userId": user}
    return {"type": "message", "mode": "active", "timestamp": ms, "source": source, "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": False}, "replyToken": "r" + event_id,
            "message": {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"}}


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(InboxEvent))


async def test_record_is_idempotent_on_webhook_event_id(sessionmaker):
    async with session_scope(sessionmaker) as s:
        assert await inbox.record(await s.connection(), [_event("E1"), _event("E2")], now=T0) == {"E1", "E2"}
    async with session_scope(sessionmaker) as s:
        assert await inbox.record(await s.connection(), [_event("E2"), _event("E3")], now=T0) == {"E3"}
        assert await _count(s) == 3


async def test_concurrent_duplicate_deliveries_store_once(sessionmaker):
    async def deliver():
        async with session_scope(sessionmaker) as s:
            return await inbox.record(await s.connection(), [_event("SAME"), _event("OTHER")], now=T0)

    results = await asyncio.gather(*(deliver() for _ in range(8)))
    assert sum(map(len, results)) == 2
    async with sessionmaker() as s:
        assert await _count(s) == 2


async def test_claim_takes_one_event_per_chat_in_timestamp_order(sessionmaker):
    async with session_scope(sessionmaker) as s:
        # arrives out of order: LINE's timestamp decides
        await inbox.record(await s.connection(), [_event("late", ms=2_000), _event("early", ms=1_000), _event("other", user="U2", ms=1_500),
                               _event("g1", user="U1", group="C1", ms=900)], now=T0)
    async with session_scope(sessionmaker) as s:
        first = await inbox.claim(s, now=T0, lease_seconds=60, limit=10)
    assert [e.webhook_event_id for e in first] == ["g1", "early", "other"]
    async with session_scope(sessionmaker) as s:
        assert await inbox.claim(s, now=T0, lease_seconds=60, limit=10) == []  # "late" waits for "early"
        assert await inbox.finish(s, next(e for e in first if e.webhook_event_id == "early"), now=T0)
    async with session_scope(sessionmaker) as s:
        assert [e.webhook_event_id for e in await inbox.claim(s, now=T0, lease_seconds=60, limit=10)] == ["late"]


async def test_expired_lease_is_claimed_again_and_the_old_claim_cannot_finish(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event("E1")], now=T0)
    async with session_scope(sessionmaker) as s:
        [old] = await inbox.claim(s, now=T0, lease_seconds=30, limit=5)
    async with session_scope(sessionmaker) as s:
        assert await inbox.claim(s, now=T0 + timedelta(seconds=29), lease_seconds=30, limit=5) == []
        [new] = await inbox.claim(s, now=T0 + timedelta(seconds=31), lease_seconds=30, limit=5)
    assert new.attempts == 2 and new.claim_token != old.claim_token
    async with session_scope(sessionmaker) as s:
        assert not await inbox.finish(s, old, now=T0)
        assert await inbox.finish(s, new, now=T0)


async def test_failures_back_off_then_the_event_is_kept_as_dead(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event("E1")], now=T0)
    now = T0
    statuses = []
    for _ in range(3):
        async with session_scope(sessionmaker) as s:
            [row] = await inbox.claim(s, now=now, lease_seconds=30, limit=5)
        async with session_scope(sessionmaker) as s:
            statuses.append(await inbox.fail(s, row, "boom", now=now, max_attempts=3, retry_base_seconds=10))
        async with sessionmaker() as s:
            stored = await s.get(InboxEvent, row.id)
        if stored.status == "pending":
            assert stored.available_at > now + timedelta(seconds=7)  # backoff, with jitter
            now = stored.available_at
    assert statuses == ["pending", "pending", "dead"]
    assert stored.last_error == "boom" and stored.attempts == 3


async def test_concurrent_claimers_never_share_an_event(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event(f"E{i}", user=f"U{i}") for i in range(60)], now=T0)

    async def claimer():
        got = []
        while True:
            async with session_scope(sessionmaker) as s:
                batch = await inbox.claim(s, now=T0, lease_seconds=60, limit=7)
            if not batch:
                return got
            got += [e.webhook_event_id for e in batch]

    results = await asyncio.gather(*(claimer() for _ in range(4)))
    claimed = [e for r in results for e in r]
    assert sorted(claimed) == sorted(f"E{i}" for i in range(60))


async def test_writer_stores_concurrent_requests_together_and_counts_each_once(engine, sessionmaker):
    writer = inbox.InboxWriter(engine)
    try:
        requests = [[_event("A"), _event("B")], [_event("B"), _event("C")], [_event("C")], [_event("D")]]
        counts = await asyncio.gather(*(writer.store(r) for r in requests))
        assert counts == [2, 1, 0, 1]  # B and C count for the first request that brought them
        assert await writer.store([_event("A"), _event("E")]) == 1  # a later batch: A is old news
    finally:
        await writer.close()
    async with sessionmaker() as s:
        assert sorted((await s.scalars(select(InboxEvent.webhook_event_id))).all()) == ["A", "B", "C", "D", "E"]


async def test_kept_finishes_are_one_update_that_undoes_the_group_when_a_lease_was_lost(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event("A", user="U1")], now=T0)
    async with session_scope(sessionmaker) as s:
        [old_a] = await inbox.claim(s, now=T0, lease_seconds=60, limit=5)
        await inbox.record(await s.connection(), [_event("B", user="U2")], now=T0)
    async with session_scope(sessionmaker) as s:
        [old_b] = await inbox.claim(s, now=T0, lease_seconds=30, limit=5)
    async with session_scope(sessionmaker) as s:  # B's lease ran out and another worker took it
        [new_b] = await inbox.claim(s, now=T0 + timedelta(seconds=31), lease_seconds=30, limit=5)
    with pytest.raises(leases.LeaseLost, match=rf"\[{old_b.id}\]"):
        async with session_scope(sessionmaker) as s:
            deferred_writes.start(s)
            assert await inbox.finish(s, old_a, now=T0) and await inbox.finish(s, old_b, now=T0)
            await deferred_writes.flush(s)
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).where(InboxEvent.status == InboxStatus.done)) == 0
    async with session_scope(sessionmaker) as s:
        deferred_writes.start(s)
        assert await inbox.finish(s, old_a, now=T0) and await inbox.finish(s, new_b, now=T0 + timedelta(seconds=32))
        await deferred_writes.flush(s)
    async with sessionmaker() as s:
        done = (await s.execute(select(InboxEvent.webhook_event_id, InboxEvent.processed_at)
                                .where(InboxEvent.status == InboxStatus.done))).all()
    assert sorted(e for e, _ in done) == ["A", "B"]
    assert {at.replace(tzinfo=UTC) if at.tzinfo is None else at for _, at in done} == {T0 + timedelta(seconds=32)}
