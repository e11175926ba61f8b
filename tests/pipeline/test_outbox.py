"""The outbox: chunking to LINE's five messages, per-recipient order, leases."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from app.db import session_scope
from app.pipeline import outbox
from models import OutboxMessage

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@contextlib.contextmanager
def _statements(engine) -> Iterator[list[str]]:
    """The SQL sent to the database inside the block."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement.lstrip().upper())

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


def _texts(n: int) -> list[dict]:
    return [{"type": "text", "text": f"m{i}"} for i in range(n)]


async def test_reply_of_seven_messages_is_one_reply_and_one_push(sessionmaker):
    async with session_scope(sessionmaker) as s:
        rows = await outbox.reply(s, reply_token="tok", token_at=T0, to="U1", messages=_texts(7), now=T0)
    assert [(r.kind, len(r.messages)) for r in rows] == [("reply", 5), ("push", 2)]
    assert rows[0].messages[0]["text"] == "m0" and rows[1].messages[0]["text"] == "m5"
    assert len({r.retry_key for r in rows}) == 2


async def test_a_savepoint_rolled_back_takes_its_rows_and_a_rollback_takes_all(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await outbox.push(s, to="U_BEFORE", messages=_texts(1), now=T0)
        with contextlib.suppress(RuntimeError):
            async with s.begin_nested():
                await outbox.push(s, to="U_UNDONE", messages=_texts(1), now=T0)
                raise RuntimeError("the action was refused")
        async with s.begin_nested():
            await outbox.push(s, to="U_KEPT", messages=_texts(1), now=T0)
        await outbox.push(s, to="U_AFTER", messages=_texts(1), now=T0)
    with contextlib.suppress(RuntimeError):
        async with session_scope(sessionmaker) as s:
            await outbox.push(s, to="U_ROLLED_BACK", messages=_texts(1), now=T0)
            raise RuntimeError("the handler failed")
    async with sessionmaker() as s:
        stored = (await s.scalars(select(OutboxMessage.recipient).order_by(OutboxMessage.id))).all()
    assert stored == ["U_BEFORE", "U_KEPT", "U_AFTER"]


async def test_reply_without_token_is_a_push(sessionmaker):
    async with session_scope(sessionmaker) as s:
        [row] = await outbox.reply(s, reply_token=None, token_at=T0, to="U1", messages=_texts(1), now=T0)
    assert row.kind == "push"


async def test_nothing_to_send_is_an_error(sessionmaker):
    async with sessionmaker() as s:
        with pytest.raises(ValueError):
            await outbox.push(s, to="U1", messages=[], now=T0)


async def test_claim_keeps_each_recipient_in_order(sessionmaker):
    async with session_scope(sessionmaker) as s:
        for _ in range(3):
            await outbox.push(s, to="U1", messages=_texts(1), now=T0)
        await outbox.push(s, to="U2", messages=_texts(1), now=T0)
    async with session_scope(sessionmaker) as s:
        first = await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10)
    assert [r.recipient for r in first] == ["U1", "U2"]
    async with session_scope(sessionmaker) as s:
        assert await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10) == []
        await outbox.mark_sent(s, first[0], now=T0, via="push", request_id="r", sent_message_ids=["1"])
    async with session_scope(sessionmaker) as s:
        [second] = await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10)
    assert second.recipient == "U1" and second.id > first[0].id


async def test_retry_later_waits_and_a_lost_lease_cannot_write(sessionmaker):
    async with session_scope(sessionmaker) as s:
        await outbox.push(s, to="U1", messages=_texts(1), now=T0)
    async with session_scope(sessionmaker) as s:
        [row] = await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10)
    async with session_scope(sessionmaker) as s:
        await outbox.retry_later(s, row, now=T0, error="503", base_seconds=10, max_seconds=60, retry_after=None)
    async with session_scope(sessionmaker) as s:
        assert await outbox.claim_due(s, now=T0 + timedelta(seconds=7), lease_seconds=30, limit=10) == []
        [again] = await outbox.claim_due(s, now=T0 + timedelta(seconds=13), lease_seconds=30, limit=10)
    assert again.attempts == 2 and again.retry_key == row.retry_key
    with pytest.raises(outbox.LeaseLost):
        async with session_scope(sessionmaker) as s:
            await outbox.mark_sent(s, row, now=T0, via="push", request_id=None, sent_message_ids=None)


async def test_acceptances_are_written_in_one_update_and_a_lost_lease_fails_only_its_own(sessionmaker, engine):
    async with session_scope(sessionmaker) as s:
        for to in ("U1", "U2", "U3"):
            await outbox.push(s, to=to, messages=_texts(1), now=T0)
    async with session_scope(sessionmaker) as s:
        rows = await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10)
    async with session_scope(sessionmaker) as s:  # U2's lease ran out and another worker took it
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == rows[1].id).values(claim_token="theirs"))
    with _statements(engine) as statements:
        async with session_scope(sessionmaker) as s:
            outcomes = await outbox.mark_sent_all(s, [
                outbox.Sent(row, T0, "push", f"req-{row.recipient}", [f"m-{row.recipient}"]) for row in rows])
    assert outcomes[0] is None and outcomes[2] is None and isinstance(outcomes[1], outbox.LeaseLost)
    assert sum(stmt.startswith("UPDATE OUTBOX_MESSAGE") for stmt in statements) == 1
    async with sessionmaker() as s:
        got = {r.recipient: r for r in (await s.scalars(select(OutboxMessage))).all()}
    assert (got["U1"].status, got["U1"].line_request_id, got["U1"].sent_message_ids) == ("sent", "req-U1", ["m-U1"])
    assert (got["U3"].status, got["U3"].claim_token) == ("sent", None)
    assert (got["U2"].status, got["U2"].claim_token, got["U2"].sent_at) == ("pending", "theirs", None)


async def test_a_claimed_reply_is_marked_attempted_and_leased_for_its_call_in_the_claim(sessionmaker, engine):
    async with session_scope(sessionmaker) as s:
        await outbox.reply(s, reply_token="tok", token_at=T0, to="U1", messages=_texts(1), now=T0)
        await outbox.push(s, to="U2", messages=_texts(1), now=T0)
    with _statements(engine) as statements:
        async with session_scope(sessionmaker) as s:
            reply, push = await outbox.claim_due(s, now=T0, lease_seconds=30, limit=10, reply_lease_seconds=12,
                                                 retried_reply_lease_seconds=22)
    assert sum(stmt.startswith(("UPDATE", "WITH")) for stmt in statements) == 1  # the claim is one statement
    assert (reply.kind, reply.reply_attempted_at) == ("reply", None)  # as before the claim: no earlier attempt
    async with sessionmaker() as s:
        stored = {r.kind: r for r in (await s.scalars(select(OutboxMessage))).all()}
    assert stored["reply"].reply_attempted_at == T0 and stored["push"].reply_attempted_at is None
    assert stored["reply"].claimed_until == T0 + timedelta(seconds=12)
    assert stored["push"].claimed_until == T0 + timedelta(seconds=30)
    async with session_scope(sessionmaker) as s:  # the lease runs out: the next claim knows of the attempt
        [again] = await outbox.claim_due(s, now=T0 + timedelta(seconds=13), lease_seconds=30, limit=10,
                                         reply_lease_seconds=12, retried_reply_lease_seconds=22)
    assert (again.id, again.reply_attempted_at) == (reply.id, T0)
    async with sessionmaker() as s:
        assert (await s.get(OutboxMessage, reply.id)).claimed_until == T0 + timedelta(seconds=35)
