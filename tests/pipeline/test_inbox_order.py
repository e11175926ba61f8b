"""A chat's events in LINE's order across replicas: the ordering window, events stored late, and
LINE's redeliveries (app/pipeline/inbox.py, ORDERING), on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.db import session_scope
from app.line import events
from app.pipeline import inbox
from tests.support import buttons, inbox_event

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
WINDOW = 0.1
W = timedelta(seconds=WINDOW)
CENTRE, COORDINATOR = "U_CENTRE", "U_BANGRAK_1"


async def _record(sessionmaker, *evs: dict, at: datetime) -> None:
    async with session_scope(sessionmaker) as s:
        await inbox.record(await s.connection(), list(evs), now=at)


async def _claim(sessionmaker, at: datetime) -> list:
    async with session_scope(sessionmaker) as s:
        return await inbox.claim(s, now=at, lease_seconds=60, limit=10, order_window_seconds=WINDOW)


async def _ids(sessionmaker, at: datetime) -> list[str]:
    return [e.webhook_event_id for e in await _claim(sessionmaker, at)]


async def _finish(sessionmaker, row, at: datetime) -> None:
    async with session_scope(sessionmaker) as s:
        assert await inbox.finish(s, row, now=at)


async def test_a_text_stored_before_the_earlier_tap_waits_for_the_tap(sessionmaker):
    # Replica B stores the text; replica A stores the tap LINE sent a moment before it, later.
    await _record(sessionmaker, inbox_event("text", ms=2_000), at=T0)
    assert await _ids(sessionmaker, T0 + W / 2) == []  # the text is still inside its window
    await _record(sessionmaker, inbox_event("tap", ms=1_000), at=T0 + W / 2)
    assert await _ids(sessionmaker, T0 + W) == []  # the text's window is over, but the tap goes first
    [tap] = await _claim(sessionmaker, T0 + W * 1.5)
    assert tap.webhook_event_id == "tap"
    assert await _ids(sessionmaker, T0 + W * 1.5) == []  # not while the tap is in work
    await _finish(sessionmaker, tap, T0 + W * 2)
    assert await _ids(sessionmaker, T0 + W * 2) == ["text"]


async def test_an_event_is_held_for_the_window_and_no_longer(sessionmaker):
    await _record(sessionmaker, inbox_event("E1", ms=1_000), inbox_event("E2", ms=1_000, user="U2"), at=T0)
    async with session_scope(sessionmaker) as s:
        assert await inbox.next_due(s, now=T0, order_window_seconds=WINDOW) == T0 + W
    assert await _ids(sessionmaker, T0 + W - timedelta(milliseconds=1)) == []
    assert await _ids(sessionmaker, T0 + W) == ["E1", "E2"]  # different chats, side by side
    async with session_scope(sessionmaker) as s:
        assert await inbox.next_due(s, now=T0 + W, order_window_seconds=WINDOW) is None


async def test_a_window_of_zero_claims_at_once(sessionmaker):
    await _record(sessionmaker, inbox_event("E1", ms=1_000), at=T0)
    async with session_scope(sessionmaker) as s:
        assert [e.webhook_event_id for e in await inbox.claim(s, now=T0, lease_seconds=60, limit=10)] == ["E1"]


async def test_a_redelivery_waits_its_window_then_goes_before_newer_events_of_its_chat(sessionmaker):
    await _record(sessionmaker, inbox_event("old", ms=5_000), at=T0)
    [old] = await _claim(sessionmaker, T0 + W)
    await _finish(sessionmaker, old, T0 + W)
    await _record(sessionmaker, inbox_event("newer", ms=6_000), at=T0 + W)
    [newer] = await _claim(sessionmaker, T0 + W * 2)
    # Later (within newer's 60 s lease) LINE redelivers an event it could not deliver, from
    # before both; then the user writes again.
    later = T0 + timedelta(seconds=30)
    await _record(sessionmaker, inbox_event("redelivered", ms=1_000, redelivery=True), at=later)
    await _record(sessionmaker, inbox_event("newest", ms=400_000), at=later)
    assert await _ids(sessionmaker, later + W) == []  # "newer" is still in work: nobody overtakes it
    await _finish(sessionmaker, newer, later + W)
    assert await _ids(sessionmaker, later + W - timedelta(milliseconds=1)) == []
    [redelivered] = await _claim(sessionmaker, later + W)  # done events before it do not hold it
    assert redelivered.webhook_event_id == "redelivered"
    await _finish(sessionmaker, redelivered, later + W)
    assert await _ids(sessionmaker, later + W) == ["newest"]


async def test_a_retry_is_due_a_window_after_its_backoff(sessionmaker):
    await _record(sessionmaker, inbox_event("E1", ms=1_000), at=T0)
    [row] = await _claim(sessionmaker, T0 + W)
    async with session_scope(sessionmaker) as s:
        await inbox.fail(s, row, "boom", now=T0 + W, max_attempts=3, retry_base_seconds=10)
    async with session_scope(sessionmaker) as s:
        due = await inbox.next_due(s, now=T0 + W, order_window_seconds=WINDOW)
    assert due > T0 + timedelta(seconds=8)
    assert await _ids(sessionmaker, due - timedelta(milliseconds=1)) == []
    assert await _ids(sessionmaker, due) == ["E1"]


# -- the whole service: the webhook in, the LINE emulator out ----------------------------------

@pytest.fixture
def settings(settings):
    # A poll far longer than any test: the worker must wake by itself when a window ends.
    return settings.model_copy(update={"worker_poll_seconds": 30.0, "outbox_retry_base_seconds": 0.05})


async def _two_cases(service) -> dict[str, str]:
    """A centre person forwards two cases to บางรัก; its coordinator's ตอบกลับ data by case number."""
    await service.register(CENTRE, "centre", "CENTRE", name="สมศรี ศูนย์ฯ")
    await service.register(COORDINATOR, "coordinator", "1004", name="สมชาย บางรัก")
    for place in ("ซอยสีลม 5", "ซอยสีลม 7"):
        [answer] = await service.say(CENTRE, f"ส่งเรื่อง บางรัก\nไฟทางดับ {place}")
        assert answer.startswith("ส่งเรื่อง #"), answer
    cards = [m for m in service.emulator.accepted_messages(COORDINATOR) if m["type"] == "flex"]
    return {re.search(r"#(\d+-\d+)", card["altText"])[1]: buttons(card)["ตอบกลับ"] for card in cards}


async def test_a_text_stored_before_its_tap_is_relayed_under_the_tapped_case(service, settings):
    reply = await _two_cases(service)
    assert len(reply) == 2, reply
    first, second = reply
    await service.tap(COORDINATOR, reply[first])  # the window is on the first case
    # The next tap (second case) and the text typed after it come in the other order, as from two
    # replicas; a window that surely covers both deliveries keeps the test free of timing luck.
    settings.inbox_order_window_seconds = 2.0
    now = datetime.now(UTC)
    tap = events.postback(COORDINATOR, reply[second], at=now)
    text = events.text_message(COORDINATOR, "ส่งทีมไปแล้ว", at=now + timedelta(milliseconds=1))
    await service.send(text)
    await service.send(tap)
    await service.settle(timeout=20)
    relayed = [m["text"] for m in service.emulator.accepted_messages(CENTRE)
               if m["type"] == "text" and m["text"].endswith("\nส่งทีมไปแล้ว")]
    assert len(relayed) == 1 and relayed[0].startswith(f"💬 #{second} · "), relayed


async def test_the_worker_wakes_when_the_window_ends_not_at_its_poll(service):
    # With a 30 s poll, every answer below comes only because the worker woke at each window's end.
    reply = await _two_cases(service)
    [opened] = await service.tap(COORDINATOR, next(iter(reply.values())))
    assert opened.startswith("พิมพ์ข้อความ")
