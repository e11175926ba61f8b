"""A bad request never fails a good one: valid webhook requests beside malformed ones at the same
moment are all stored, and when the database refuses one request's rows in a group commit, only
that request gets the error."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from app.line import events
from app.pipeline.inbox import InboxWriter
from models import InboxEvent
from tests.conftest import SECRET

ROUNDS = 20


def _malformed() -> list[bytes]:
    good = events.text_message("U" + "a" * 32, "สวัสดี")
    deep = b'{"events":' + b"[" * 3000 + b"]" * 3000 + b"}"
    return [deep, json.dumps({"events": [good | {"timestamp": 2**70}]}).encode(),
            json.dumps({"events": [good | {"deliveryContext": []}]}).encode()]


async def test_valid_requests_beside_malformed_ones_are_all_stored(service):
    service.app.state.wake_inbox = lambda: None  # count what the webhook stored, not what was worked
    async with service.http(admin=False) as client:

        async def post(body: bytes):
            return await client.post("/webhook", content=body, headers={
                "content-type": "application/json", "x-line-signature": events.sign(body, SECRET)})

        for _ in range(ROUNDS):
            valid = [events.signed([events.text_message(f"U{i:032d}", "สวัสดี")], SECRET)[0] for i in range(12)]
            answers = await asyncio.gather(*(post(b) for b in valid + _malformed()))
            assert [a.status_code for a in answers] == [200] * 12 + [400] * 3
    async with service.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(InboxEvent)) == 12 * ROUNDS


async def test_a_batch_that_fails_is_written_request_by_request(engine):
    writer = InboxWriter(engine)
    try:
        good = [[events.text_message(f"U{i:032d}", "สวัสดี")] for i in range(10)]
        bad = [events.text_message("U" + "b" * 32, "สวัสดี") | {"unstorable": {1, 2}}]  # not JSON: refused
        # They arrive together, so the writer stores them as one batch: one INSERT for all.
        results = await asyncio.gather(*(writer.store(r) for r in [good[0], *good[1:5], bad, *good[5:]]),
                                       return_exceptions=True)
    finally:
        await writer.close()
    assert [isinstance(r, Exception) for r in results] == [False] * 5 + [True] + [False] * 5
    assert [r for r in results if not isinstance(r, Exception)] == [1] * 10
    async with engine.connect() as conn:
        stored = set((await conn.scalars(select(InboxEvent.webhook_event_id))).all())
    assert stored == {r[0]["webhookEventId"] for r in good}
