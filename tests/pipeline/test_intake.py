"""Intake marks (app/pipeline/intake.py): an event waits for every live replica to have stored what it
received before the event, through the real claim, on both databases; and one web process's mark
counts the webhook requests still in flight."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.db import session_scope
from app.line import events
from app.pipeline import inbox, intake
from models import InboxEvent, IntakeMark
from tests.support import inbox_event

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
WINDOW = 0.02
W = timedelta(seconds=WINDOW)
MS = timedelta(milliseconds=1)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def _record(sessionmaker, *evs: dict, at: datetime) -> None:
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), list(evs), now=at)


async def _ids(sessionmaker, at: datetime) -> list[str]:
    async with session_scope(sessionmaker) as s:
        claimed = await inbox.claim(s, now=at, lease_seconds=60, limit=10, order_window_seconds=WINDOW)
    return [e.webhook_event_id for e in claimed]


async def _replica(engine, clock: Clock, name: str) -> intake.Intake:
    replica = intake.Intake(engine, interval_seconds=0.025, replica=name, clock=clock)
    await replica.publish()  # no background loop: each test publishes when it says
    return replica


async def test_an_event_waits_for_an_earlier_request_another_replica_is_still_storing(engine, sessionmaker):
    clock_a, clock_b = Clock(T0), Clock(T0)
    a, b = await _replica(engine, clock_a, "A"), await _replica(engine, clock_b, "B")
    try:
        clock_a.at = T0 + MS
        tap_request, tap_received = a.arrived()  # A has the tap, and is slow to store it
        # B receives the text LINE sent just after the tap, stores it at once, and goes on publishing.
        await _record(sessionmaker, inbox_event("text", ms=2_000), at=T0 + 2 * MS)
        for later in (W * 3, W * 30, timedelta(seconds=2)):
            clock_a.at = clock_b.at = T0 + later
            await a.publish()
            await b.publish()
            assert await _ids(sessionmaker, T0 + later) == []  # A's tap is still in flight
        await _record(sessionmaker, inbox_event("tap", ms=1_000), at=tap_received)
        a.left(tap_request)
        assert await _ids(sessionmaker, T0 + timedelta(seconds=2)) == []  # A's mark has not moved yet
        clock_a.at = T0 + timedelta(seconds=2) + MS
        await a.publish()
        assert await _ids(sessionmaker, clock_a.at) == ["tap"]  # the tap first; the text waits for it
    finally:
        await a.stop()
        await b.stop()


async def test_an_idle_replica_holds_an_event_only_until_its_mark_passes_the_window(engine, sessionmaker):
    clock = Clock(T0)
    replica = await _replica(engine, clock, "A")
    try:
        await _record(sessionmaker, inbox_event("E1", ms=1_000), at=T0 + MS)
        assert await _ids(sessionmaker, T0 + W * 5) == []  # the mark is from before the event
        async with session_scope(sessionmaker) as s:
            due = await inbox.next_due(s, now=T0 + W * 5, order_window_seconds=WINDOW)
        assert due > T0 + W * 5  # the worker sleeps until the mark can have moved, not at once
        clock.at = T0 + W * 5
        await replica.publish()
        assert await _ids(sessionmaker, T0 + W * 5) == ["E1"]
    finally:
        await replica.stop()


async def test_a_gone_replicas_stale_mark_does_not_hold_the_inbox(engine, sessionmaker):
    # A replica died while storing: its mark stays where it was and is no longer updated.
    gone = await _replica(engine, Clock(T0 - timedelta(seconds=10)), "gone")
    gone.arrived()
    await gone.publish()
    if gone._conn is not None:  # noqa: SLF001 - it dies: its connection goes, its row stays
        await gone._conn.close()
    await _record(sessionmaker, inbox_event("E1", ms=1_000), at=T0)
    assert await _ids(sessionmaker, T0 + W) == ["E1"]
    async with engine.connect() as conn:  # its row is still there, ignored, not deleted by the claim
        assert (await conn.scalars(select(IntakeMark.replica_id))).all() == ["gone"]


async def test_a_live_replicas_old_mark_holds_and_a_clean_stop_takes_it_away(engine, sessionmaker):
    clock = Clock(T0)
    replica = await _replica(engine, clock, "A")
    replica.arrived()  # in flight, never answered
    clock.at = T0 + timedelta(seconds=1)
    await replica.publish()  # alive: it keeps publishing its old mark
    await _record(sessionmaker, inbox_event("E1", ms=1_000), at=T0 + MS)
    assert await _ids(sessionmaker, T0 + timedelta(seconds=1)) == []
    await replica.stop()
    async with engine.connect() as conn:
        assert (await conn.scalars(select(IntakeMark.replica_id))).all() == []
    assert await _ids(sessionmaker, T0 + timedelta(seconds=1)) == ["E1"]


async def test_a_request_noted_while_the_loop_turns_after_a_sample_holds_that_sample(engine):
    clock = Clock(T0)
    replica = intake.Intake(engine, interval_seconds=0.025, replica="A", clock=clock)

    async def arrives_meanwhile():
        clock.at = T0 + W  # the request is read after the sample: it may have reached the socket before it
        return replica.arrived()

    mark, (_, received) = await asyncio.gather(replica.stored_before(), arrives_meanwhile())
    assert mark == T0  # not the sample's successor: the request may be older than its receipt
    assert received == T0 + W


async def test_a_webhook_request_holds_its_replicas_mark_until_it_is_stored(service):
    """Through the real webhook: the request is noted before its body is read, its events get that
    receipt, and the mark passes them only once they are stored."""
    state = service.app.state
    gate = asyncio.Event()
    store = state.inbox_writer.store

    async def slow_store(evs, **kwargs):
        await gate.wait()
        return await store(evs, **kwargs)

    state.inbox_writer.store = slow_store
    state.wake_inbox = lambda: None
    posting = asyncio.create_task(service.send(events.text_message("U1", "สวัสดี")))
    while not state.intake._in_flight:  # noqa: SLF001 - the request has reached the app
        await asyncio.sleep(0.005)
    before = await state.intake.publish()
    async with service.sessionmaker() as s:
        assert await s.scalar(select(IntakeMark.stored_before)
                              .where(IntakeMark.replica_id == state.intake.replica_id)) == before
    gate.set()
    assert (await posting).status_code == 200
    async with service.sessionmaker() as s:
        [row] = (await s.scalars(select(InboxEvent))).all()
    assert before <= row.received_at  # held from no later than the request's arrival
    assert await state.intake.publish() > row.received_at  # answered: the mark passes it


async def test_an_event_the_claim_left_is_due_by_the_claims_marks_even_once_newer_ones_settle_it(engine, sessionmaker):
    clock = Clock(T0)
    replica = await _replica(engine, clock, "A")
    try:
        await _record(sessionmaker, inbox_event("E1", ms=1_000), at=T0 + MS)
        async with session_scope(sessionmaker) as s:
            seen = await intake.horizon(s, now=T0 + W * 5, stale_seconds=3)
        assert await _ids(sessionmaker, T0 + W * 5) == []
        clock.at = T0 + W * 5
        await replica.publish()  # between the claim and its next-due lookup, the mark moves on
        async with session_scope(sessionmaker) as s:
            # The worker then still wakes for E1 (by the marks it claimed with), not at its poll.
            assert await inbox.next_due(s, now=T0 + W * 5, order_window_seconds=WINDOW, mark=seen) is not None
    finally:
        await replica.stop()
