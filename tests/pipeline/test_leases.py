"""Lease owners: a claim records the worker that made it, and a worker that starts again releases
at once what it held, on both tables; other workers' leases and finished rows stay as they are."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from app.db import session_scope
from app.pipeline import inbox, leases, outbox
from models import InboxEvent, OutboxMessage
from tests.support import inbox_event

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _event(event_id: str, user: str) -> dict:
    return inbox_event(event_id, 1_000, user=user)


async def _claim_inbox(sessionmaker, owner: str | None = None) -> list[InboxEvent]:
    async with session_scope(sessionmaker) as s:
        if owner is None:
            return await inbox.claim(s, now=T0, lease_seconds=60, limit=10)
        token = leases.OWNER.set(owner)
        try:
            return await inbox.claim(s, now=T0, lease_seconds=60, limit=10)
        finally:
            leases.OWNER.reset(token)


def _statement(s, model, candidates):
    return leases.claim_statement(model, candidates, order_by=(model.id,), dialect_name=s.bind.dialect.name)


async def test_a_claim_records_its_owner_by_argument_or_by_default(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event("E1", "U1"), _event("E2", "U2")], now=T0)
        await outbox.push(s, to="U9", messages=[{"type": "text", "text": "m"}], now=T0)
    [e1, e2] = await _claim_inbox(sessionmaker, owner="host-a:8000")
    assert e1.claimed_by == e2.claimed_by == "host-a:8000"
    async with session_scope(sessionmaker) as s:
        [message] = await leases.claim(s, _statement(s, OutboxMessage, select(OutboxMessage.id)), now=T0,
                                       lease_seconds=30, order_by=(OutboxMessage.id,), owner="host-b:8000")
    assert message.claimed_by == "host-b:8000"
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event("E3", "U3")], now=T0)
    [e3] = await _claim_inbox(sessionmaker)  # nobody named: as before, no owner
    assert e3.claimed_by is None and e3.claim_token


async def test_a_worker_starting_again_releases_only_its_own_pending_leases(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [_event("mine", "U1"), _event("done", "U2"),
                                                  _event("theirs", "U3")], now=T0)
        for to in ("U1", "U2"):
            await outbox.push(s, to=to, messages=[{"type": "text", "text": "m"}], now=T0)
    async with session_scope(sessionmaker) as s:
        ids = (await s.scalars(select(InboxEvent.id).where(InboxEvent.webhook_event_id == "theirs"))).all()
        candidates = select(InboxEvent.id).where(InboxEvent.id.in_(ids))
        theirs = await leases.claim(s, _statement(s, InboxEvent, candidates), now=T0,
                                    lease_seconds=60, order_by=(InboxEvent.id,), owner="other")
    mine = await _claim_inbox(sessionmaker, owner="me")
    assert {e.webhook_event_id for e in mine} == {"mine", "done"}
    async with session_scope(sessionmaker) as s:
        assert await inbox.finish(s, next(e for e in mine if e.webhook_event_id == "done"), now=T0)
        messages = await leases.claim(s, _statement(s, OutboxMessage, select(OutboxMessage.id)), now=T0,
                                      lease_seconds=30, order_by=(OutboxMessage.id,), owner="me")
    assert len(messages) == 2
    async with session_scope(sessionmaker) as s:  # before: nothing is due, every lease still runs
        assert await inbox.claim(s, now=T0, lease_seconds=60, limit=10) == []
        assert await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10) == []

    async with session_scope(sessionmaker) as s:
        assert await leases.release_held(s, InboxEvent, owner="me") == 1
        assert await leases.release_held(s, OutboxMessage, owner="me") == 2

    async with session_scope(sessionmaker) as s:  # at once, not after the lease: claimable again
        again = await inbox.claim(s, now=T0, lease_seconds=60, limit=10)
        resent = await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10)
    assert [e.webhook_event_id for e in again] == ["mine"] and again[0].attempts == 2
    assert sorted(m.id for m in resent) == sorted(m.id for m in messages)
    async with sessionmaker() as s:
        rows = {e.webhook_event_id: e for e in (await s.scalars(select(InboxEvent))).all()}
    assert rows["done"].status == "done"
    assert rows["theirs"].claim_token == theirs[0].claim_token  # another worker's lease is left alone


async def test_workers_release_their_earlier_leases_as_they_start(settings, emulator, sessionmaker):
    """An event leased for ten minutes by this worker's previous run is worked as soon as the
    worker starts again, not after the lease."""
    from app.line import events
    from app.line.testing import serve_asgi
    from app.main import create_app

    settings.worker_id = "host-a:8000"
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), [events.text_message("U1", "สวัสดี")], now=datetime.now(UTC))
    async with session_scope(sessionmaker) as s:
        token = leases.OWNER.set("host-a:8000")
        try:
            [held] = await inbox.claim(s, now=datetime.now(UTC), lease_seconds=600, limit=10)
        finally:
            leases.OWNER.reset(token)
    async with serve_asgi(create_app(settings)) as url:
        emulator.webhook_url = url + "/webhook"
        async with asyncio.timeout(30):
            while not emulator.accepted_messages("U1"):
                await asyncio.sleep(0.02)
    async with sessionmaker() as s:
        row = await s.get(InboxEvent, held.id)
    assert (row.status, row.attempts, row.claimed_by) == ("done", 2, "host-a:8000")
