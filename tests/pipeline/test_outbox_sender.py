"""The outbox sender against the emulator's faults: retries with one retry key, 409, 429,
permanent failures, timeouts, and the reply-token rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app.db import session_scope
from app.line.client import LineClient
from app.pipeline import outbox
from app.pipeline.outbox_sender import Sender
from models import OutboxMessage
from models.base import utcnow
from tests.conftest import ACCESS_TOKEN


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def sender(settings, sessionmaker, emulator):
    settings.line_request_timeout_seconds = 0.5
    line = LineClient(base_url=emulator.base_url, access_token=ACCESS_TOKEN, timeout_seconds=0.5)
    await line.open()
    clock = Clock()
    sender = Sender(sessionmaker=sessionmaker, settings=settings, line=line, clock=clock)
    sender.clock_ = clock
    yield sender
    await line.close()


async def _push(sessionmaker, now, to="U1", text="แจ้งเรื่อง") -> OutboxMessage:
    async with session_scope(sessionmaker) as s:
        [row] = await outbox.push(s, to=to, messages=[{"type": "text", "text": text}], now=now)
    return row


async def _reply(sessionmaker, now, token, token_at, to="U1") -> OutboxMessage:
    async with session_scope(sessionmaker) as s:
        [row] = await outbox.reply(s, reply_token=token, token_at=token_at, to=to,
                                   messages=[{"type": "text", "text": "รับทราบ"}], now=now)
    return row


async def _get(sessionmaker, row_id) -> OutboxMessage:
    async with sessionmaker() as s:
        return await s.get(OutboxMessage, row_id)


async def _drain(sender, rounds=10) -> None:
    """Run the sender until nothing is due, moving the clock past each backoff."""
    for _ in range(rounds):
        if not await sender.run_once():
            async with sender.sessionmaker() as s:
                # the next backoff to end (rows due now may be queued behind it, in chat order)
                due = await s.scalar(select(OutboxMessage.available_at)
                                     .where(OutboxMessage.status == "pending",
                                            OutboxMessage.available_at > sender.clock_())
                                     .order_by(OutboxMessage.available_at))
            if due is None:
                return
            sender.clock_.now = due


def _push_requests(emulator):
    return [r for r in emulator.requests if r.path.endswith("/message/push")]


async def test_push_is_retried_after_5xx_with_the_same_key_and_delivered_once(sender, sessionmaker, emulator):
    row = await _push(sessionmaker, sender.clock_())
    emulator.add_fault("/v2/bot/message/push", status=500, times=2)
    await _drain(sender)
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via, stored.attempts) == ("sent", "push", 3)
    keys = {r.headers.get("x-line-retry-key") for r in _push_requests(emulator)}
    assert keys == {row.retry_key} and len(_push_requests(emulator)) == 3
    [delivered] = emulator.accepted_messages("U1")
    assert stored.sent_message_ids == [delivered["sentMessageId"]]


async def test_a_push_line_already_accepted_counts_as_sent(sender, sessionmaker, emulator):
    row = await _push(sessionmaker, sender.clock_())
    # LINE accepted it but the answer was lost (we crashed): the same key comes back as 409.
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        first = await client.post("/v2/bot/message/push", json={"to": "U1", "messages": row.messages},
                                  headers={"Authorization": f"Bearer {ACCESS_TOKEN}", "X-Line-Retry-Key": row.retry_key})
    assert first.status_code == 200
    await _drain(sender)
    stored = await _get(sessionmaker, row.id)
    assert stored.status == "sent" and "409" in stored.last_error
    assert stored.line_request_id == first.headers["x-line-request-id"]
    assert len(emulator.accepted_messages("U1")) == 1


async def test_a_timed_out_push_is_resent_and_not_duplicated(sender, sessionmaker, emulator):
    row = await _push(sessionmaker, sender.clock_())
    emulator.add_fault("/v2/bot/message/push", status=0, delay_seconds=1.0)  # answered after our timeout
    await sender.run_once()
    assert (await _get(sessionmaker, row.id)).status == "pending"
    await _drain(sender)  # the resend overtakes the slow first request
    assert (await _get(sessionmaker, row.id)).status == "sent"
    await asyncio.sleep(0.8)  # the slow first request lands now: LINE sees a key it has accepted
    assert [r.status for r in _push_requests(emulator)] == [409, 200]  # by arrival: the slow one came first
    assert len(emulator.accepted_messages("U1")) == 1


async def test_429_waits_for_retry_after(sender, sessionmaker, emulator):
    row = await _push(sessionmaker, sender.clock_())
    emulator.add_fault("/v2/bot/message/push", status=429, retry_after=30)
    await sender.run_once()
    stored = await _get(sessionmaker, row.id)
    assert stored.status == "pending"
    assert stored.available_at == sender.clock_() + timedelta(seconds=30)
    sender.clock_.advance(29)
    assert await sender.run_once() == 0
    sender.clock_.advance(2)
    await sender.run_once()
    assert (await _get(sessionmaker, row.id)).status == "sent"


async def test_other_4xx_is_failed_with_lines_message(sender, sessionmaker, emulator):
    # The outbox splits a long text itself; here LINE refuses a body for a reason of its own.
    emulator.add_fault("/v2/bot/message/push", status=400, body={
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]})
    async with session_scope(sessionmaker) as s:
        [row] = await outbox.push(s, to="U1", messages=[{"type": "text", "text": "ก" * 5001}], now=sender.clock_())
    assert len(row.messages) == 2  # the outbox split it
    await _drain(sender)
    stored = await _get(sessionmaker, row.id)
    assert stored.status == "failed" and stored.last_error.startswith("400") and "5000" in stored.last_error
    assert len(_push_requests(emulator)) == 1  # not retried
    assert emulator.accepted_messages() == []


async def test_push_gives_up_when_the_retry_key_would_expire(sender, sessionmaker, emulator):
    row = await _push(sessionmaker, sender.clock_())
    sender.clock_.advance(sender.settings.outbox_give_up_after_seconds + 1)
    await sender.run_once()
    stored = await _get(sessionmaker, row.id)
    assert stored.status == "failed" and "retry key" in stored.last_error
    assert emulator.requests == []


async def test_fresh_reply_token_is_used_and_stale_one_becomes_a_push(sender, sessionmaker, emulator):
    now = sender.clock_()
    fresh = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now, to="U1")
    stale = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U2"), now - timedelta(minutes=5), to="U2")
    await _drain(sender)
    assert (await _get(sessionmaker, fresh.id)).sent_via == "reply"
    assert (await _get(sessionmaker, stale.id)).sent_via == "push"
    assert [m["via"] for m in emulator.accepted_messages()] == ["reply", "push"]


async def test_refused_reply_token_falls_back_to_push(sender, sessionmaker, emulator):
    now = sender.clock_()
    row = await _reply(sessionmaker, now, "never-issued-token", now)
    await _drain(sender)
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via) == ("sent", "push")
    assert [m["via"] for m in emulator.accepted_messages("U1")] == ["push"]


async def test_reply_whose_answer_was_lost_is_not_sent_twice(sender, sessionmaker, emulator):
    now = sender.clock_()
    row = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    emulator.add_fault("/v2/bot/message/reply", status=0, delay_seconds=1.0)  # LINE takes it; we time out
    await sender.run_once()
    assert (await _get(sessionmaker, row.id)).status == "pending"
    await asyncio.sleep(0.8)  # the emulator finishes the slow request: the token is now spent
    assert len(emulator.accepted_messages("U1")) == 1
    await _drain(sender)
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via) == ("sent", "reply") and "earlier attempt" in stored.last_error
    assert len(emulator.accepted_messages("U1")) == 1


async def test_reply_after_a_5xx_is_retried_while_the_token_is_fresh(sender, sessionmaker, emulator):
    now = sender.clock_()
    row = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    emulator.add_fault("/v2/bot/message/reply", status=503)
    await _drain(sender)
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via) == ("sent", "reply")
    assert len(emulator.accepted_messages("U1")) == 1


async def test_messages_to_one_chat_arrive_in_order(sender, sessionmaker, emulator):
    now = sender.clock_()
    for i in range(4):
        await _push(sessionmaker, now, text=f"ข้อความ {i}")
    await _push(sessionmaker, now, to="U2", text="อีกแชต")
    emulator.add_fault("/v2/bot/message/push", status=500)  # the first one must wait, and the rest behind it
    await _drain(sender, rounds=20)
    assert [m["text"] for m in emulator.accepted_messages("U1")] == [f"ข้อความ {i}" for i in range(4)]


# -- side by side, and LINE misbehaving (the dispatcher, on the wall clock) -------------------------

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


@pytest.fixture
async def live(settings, sessionmaker, emulator):
    """A sender as the service runs it: its dispatcher, the real clock, a LINE timeout of 0.5 s."""
    settings.line_request_timeout_seconds = 0.5
    settings.reply_probe_timeout_seconds = 3.0
    line = LineClient(base_url=emulator.base_url, access_token=ACCESS_TOKEN, timeout_seconds=0.5)
    await line.open()
    sender = Sender(sessionmaker=sessionmaker, settings=settings, line=line)
    dispatcher = sender.dispatcher()
    dispatcher.start()
    yield sender
    await dispatcher.stop()
    await _answered(emulator)
    await line.close()


async def _until(check, what: str, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def _answered(emulator) -> None:
    """Until every request LINE is sitting on has been answered (late and hanging faults)."""
    await _until(lambda: _true(all(r.status is not None for r in emulator.requests)), "LINE's answers")


async def _true(value: bool) -> bool:
    return value


async def _all_sent(sessionmaker) -> bool:
    async with sessionmaker() as s:
        return set((await s.scalars(select(OutboxMessage.status))).all()) == {"sent"}


def _texts_to(emulator, to: str) -> list[str]:
    return [m["text"] for m in emulator.accepted_messages(to)]


def _counted(kind: str, result: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("rongtuk_outbox_requests_total", {"kind": kind, "result": result}) or 0.0


async def test_one_hanging_chat_does_not_hold_up_the_others(live, sessionmaker, emulator):
    # Every call for U_HANG hangs long past our timeout; the other chats must not wait for it.
    emulator.add_fault(PUSH, status=0, delay_seconds=8.0, times=1000, to="U_HANG")
    now = utcnow()
    await _push(sessionmaker, now, to="U_HANG", text="ค้าง")
    others = [f"U{i}" for i in range(10)]
    for n in range(2):
        for to in others:
            await _push(sessionmaker, now, to=to, text=f"{to} {n}")
    live._dispatcher.wake()
    await _until(lambda: _true(all(len(_texts_to(emulator, to)) == 2 for to in others)), "the other chats")
    assert _texts_to(emulator, "U_HANG") == []  # still hanging: the others went past it
    assert all(_texts_to(emulator, to) == [f"{to} 0", f"{to} 1"] for to in others)

    emulator.clear_faults()  # LINE answers for U_HANG again: its message goes, once
    await _until(lambda: _all_sent(sessionmaker), "U_HANG's message")
    await _answered(emulator)  # the hung requests land now, with a retry key LINE has accepted
    assert _texts_to(emulator, "U_HANG") == ["ค้าง"]


async def test_a_storm_of_faults_then_recovery_delivers_everything_once_in_order(live, sessionmaker, emulator):
    # LINE fails in every way for a while, for everyone: 5xx, late answers (it did the work but we
    # timed out), 429s; then it recovers. Each fault is used up in turn.
    for path in (PUSH, REPLY):
        emulator.add_fault(path, status=500, times=12)
        emulator.add_fault(path, late=True, delay_seconds=0.8, times=8)
        emulator.add_fault(path, status=429, retry_after=1, times=3)
        emulator.add_fault(path, status=503, times=6)
    now = utcnow()
    chats = [f"U{i}" for i in range(8)]
    for to in chats:
        await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id=to), now, to=to)
        for n in range(3):
            await _push(sessionmaker, now, to=to, text=f"{to} {n}")
    live._dispatcher.wake()
    await _until(lambda: _all_sent(sessionmaker), "every message sent", timeout=60)
    await _answered(emulator)
    for to in chats:
        assert _texts_to(emulator, to) == ["รับทราบ", f"{to} 0", f"{to} 1", f"{to} 2"]  # once each, in order
    assert not emulator._faults  # the storm did happen


async def test_late_answers_give_no_duplicates_and_no_losses(sender, sessionmaker, emulator):
    sender.settings.reply_probe_timeout_seconds = 3.0
    now = sender.clock_()
    reply = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now, to="U1")
    push = await _push(sessionmaker, now, to="U2", text="แจ้ง")
    # LINE delivers at once and answers after our timeout, twice: the retry's answer is late too,
    # but the probe of a reply waits longer for it.
    emulator.add_fault(REPLY, late=True, delay_seconds=1.0, times=2)
    emulator.add_fault(PUSH, late=True, delay_seconds=1.0)
    await _drain(sender)
    await _answered(emulator)
    stored_reply, stored_push = await _get(sessionmaker, reply.id), await _get(sessionmaker, push.id)
    assert (stored_reply.status, stored_reply.sent_via) == ("sent", "reply")
    assert "earlier attempt" in stored_reply.last_error
    assert (stored_push.status, stored_push.sent_via) == ("sent", "push") and "409" in stored_push.last_error
    assert [m["via"] for m in emulator.accepted_messages()] == ["reply", "push"]


async def test_a_claimed_reply_whose_process_died_before_the_call_is_sent_once(sender, sessionmaker, emulator):
    now = sender.clock_()
    row = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    assert [m.id for m in await sender.claim(10)] == [row.id]  # ... and the process dies
    restarted = Sender(sessionmaker=sessionmaker, settings=sender.settings, line=sender.line, clock=sender.clock_)
    assert await restarted.run_once() == 0  # still leased
    sender.clock_.advance(sender.settings.line_request_timeout_seconds + 2.5)  # the short reply lease ran out
    assert await restarted.run_once() == 1
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via) == ("sent", "reply")
    assert len(emulator.accepted_messages("U1")) == 1


async def test_a_reply_whose_process_died_mid_call_is_found_delivered(sender, sessionmaker, emulator):
    now = sender.clock_()
    row = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    emulator.add_fault(REPLY, late=True, delay_seconds=1.0)
    [claimed] = await sender.claim(10)
    call = asyncio.create_task(sender.send(claimed))
    await _until(lambda: _true(len(emulator.accepted_messages("U1")) == 1), "LINE taking the reply")
    call.cancel()  # the process dies before LINE's answer
    with pytest.raises(asyncio.CancelledError):
        await call
    sender.clock_.advance(sender.settings.line_request_timeout_seconds + 2.5)
    restarted = Sender(sessionmaker=sessionmaker, settings=sender.settings, line=sender.line, clock=sender.clock_)
    assert await restarted.run_once() == 1
    await _answered(emulator)
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via) == ("sent", "reply") and "earlier attempt" in stored.last_error
    assert len(emulator.accepted_messages("U1")) == 1


async def test_a_reply_never_answered_until_its_token_expired_is_pushed_and_counted(sender, sessionmaker, emulator):
    now = sender.clock_()
    row = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    emulator.add_fault(REPLY, status=0, delay_seconds=1.0)  # no answer in time
    before = _counted("reply", "unknown_pushed")
    await sender.run_once()
    sender.clock_.advance(sender.settings.reply_token_fresh_seconds)
    await _drain(sender)
    await _answered(emulator)
    stored = await _get(sessionmaker, row.id)
    assert (stored.status, stored.sent_via) == ("sent", "push")  # the direction chosen: at least once
    assert _counted("reply", "unknown_pushed") == before + 1


async def test_a_5xx_to_a_reply_takes_back_the_attempted_mark(sender, sessionmaker, emulator):
    # LINE said it did nothing, so a later "Invalid reply token" is not taken for delivery.
    now = sender.clock_()
    row = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    emulator.add_fault(REPLY, status=500)
    await sender.run_once()
    assert (await _get(sessionmaker, row.id)).reply_attempted_at is None
    emulator.reset()  # LINE forgets the token: it is refused, and the message goes by push
    await _drain(sender)
    assert (await _get(sessionmaker, row.id)).sent_via == "push"
    assert [m["via"] for m in emulator.accepted_messages("U1")] == ["push"]


async def test_429_pauses_every_chat_until_retry_after(sender, sessionmaker, emulator):
    now = sender.clock_()
    await _push(sessionmaker, now, to="U1")
    emulator.add_fault(PUSH, status=429, retry_after=30)
    await sender.run_once()
    await _push(sessionmaker, now, to="U2")  # another chat: LINE's limit is the channel's
    sender.clock_.advance(10)
    assert await sender.run_once() == 0
    sender.clock_.advance(21)
    assert await sender.run_once() == 2
    assert {m["to"] for m in emulator.accepted_messages()} == {"U1", "U2"}


# -- a chat's chain: its oldest message and the pushes due behind it, sent one after another -----

def _texts(emulator, chat):
    return [m["text"] for m in emulator.accepted_messages(chat)]


async def test_a_chats_pushes_are_claimed_together_and_delivered_in_order(sender, sessionmaker, emulator):
    now = sender.clock_()
    rows = [await _push(sessionmaker, now, text=f"ข้อความ {i}") for i in range(3)]
    other = await _push(sessionmaker, now, to="U2", text="อีกห้อง")
    claimed = await sender.claim(10)
    assert [m.id for m in claimed] == [r.id for r in rows] + [other.id]  # one claim: every chain whole
    await asyncio.gather(*(sender.work(chain) for chain in ([m for m in claimed if m.recipient == "U1"], [claimed[-1]])))
    assert _texts(emulator, "U1") == ["ข้อความ 0", "ข้อความ 1", "ข้อความ 2"]
    assert _texts(emulator, "U2") == ["อีกห้อง"]
    assert {(await _get(sessionmaker, r.id)).status for r in [*rows, other]} == {"sent"}


async def test_a_chain_is_cut_at_its_settings_length(sender, sessionmaker, emulator):
    sender.settings.outbox_chain_max = 2
    now = sender.clock_()
    rows = [await _push(sessionmaker, now, text=f"ข้อความ {i}") for i in range(3)]
    assert [m.id for m in await sender.claim(10)] == [rows[0].id, rows[1].id]


async def test_after_a_push_that_failed_the_rest_of_its_chain_waits_behind_it(sender, sessionmaker, emulator):
    now = sender.clock_()
    rows = [await _push(sessionmaker, now, text=f"ข้อความ {i}") for i in range(3)]
    emulator.add_fault("/v2/bot/message/push", status=500)
    assert await sender.run_once() == 3
    assert emulator.accepted_messages("U1") == []
    first, *rest = [await _get(sessionmaker, r.id) for r in rows]
    assert first.status == "pending" and first.available_at > now and first.attempts == 1
    assert [(r.status, r.claim_token, r.attempts) for r in rest] == [("pending", None, 0)] * 2  # given back, untried
    assert await sender.run_once() == 0  # due now, but behind the one waiting out its backoff
    await _drain(sender)
    assert _texts(emulator, "U1") == ["ข้อความ 0", "ข้อความ 1", "ข้อความ 2"]


async def test_a_reply_is_sent_only_at_the_head_of_its_chat(sender, sessionmaker, emulator):
    now = sender.clock_()
    push = await _push(sessionmaker, now)
    reply = await _reply(sessionmaker, now, emulator.issue_reply_token(chat_id="U1"), now)
    assert [m.id for m in await sender.claim(10)] == [push.id]
    stored = await _get(sessionmaker, reply.id)
    assert (stored.claim_token, stored.reply_attempted_at) == (None, None)


async def test_a_chained_push_whose_lease_cannot_cover_a_call_is_given_back_unsent(sender, sessionmaker, emulator):
    now = sender.clock_()
    rows = [await _push(sessionmaker, now, text=f"ข้อความ {i}") for i in range(2)]
    chain = await sender.claim(10)
    assert [m.id for m in chain] == [r.id for r in rows]
    sender.clock_.advance(sender.settings.outbox_lease_seconds - sender.settings.line_request_timeout_seconds - 1)
    await sender.work(chain)
    assert _texts(emulator, "U1") == ["ข้อความ 0"]
    stored = await _get(sessionmaker, rows[1].id)
    assert (stored.status, stored.claim_token, stored.attempts) == ("pending", None, 0)
    await _drain(sender)
    assert _texts(emulator, "U1") == ["ข้อความ 0", "ข้อความ 1"]
