"""A poison event is that event's problem only: it is retried and kept as dead with its error,
other chats are answered meanwhile, its own chat carries on after it, and an admin can see and
replay it (and failed outgoing messages) by API and CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.line import events
from app.pipeline import inbox
from models import InboxEvent, OutboxMessage

MAX_ATTEMPTS = 3


@pytest.fixture
def settings(settings):
    settings.inbox_max_attempts = MAX_ATTEMPTS
    return settings


async def _store_poison(service, engine, chat: str, at: datetime) -> int:
    """An event LINE's schema refuses (its text is a number), stored as an earlier version of the
    webhook could have stored it; the webhook of today answers such a body 400."""
    event = events.text_message(chat, "ช่วยเหลือ", at=at)
    event["message"]["text"] = 12345
    async with engine.connect() as conn:
        await inbox.record(conn, [event], now=datetime.now(UTC))
        await conn.commit()
    service.app.state.wake_inbox()
    async with service.sessionmaker() as s:
        return await s.scalar(select(InboxEvent.id).where(InboxEvent.webhook_event_id == event["webhookEventId"]))


async def _row(service, row_id: int) -> InboxEvent:
    async with service.sessionmaker() as s:
        return await s.get(InboxEvent, row_id)


async def test_other_chats_are_answered_while_a_poison_event_fails(service, engine):
    now = datetime.now(UTC)
    poison = await _store_poison(service, engine, "U_POISON", now - timedelta(seconds=5))
    others = [f"U_OTHER_{i:02d}" for i in range(10)]
    await service.send(*(events.text_message(user, "สวัสดี") for user in others))
    await service.settle()
    for user in others:  # each got its one answer (people we don't know get the public notice)
        [answer] = service.emulator.accepted_messages(user)
        assert "1555" in answer["text"]
    row = await _row(service, poison)
    assert (row.status, row.attempts) == ("dead", MAX_ATTEMPTS)
    assert "str type expected" in row.last_error
    assert service.emulator.accepted_messages("U_POISON") == []


async def test_the_poison_events_own_chat_carries_on_after_it_is_dead(service, engine):
    now = datetime.now(UTC)
    poison = await _store_poison(service, engine, "U_POISON", now - timedelta(seconds=5))
    await service.send(events.text_message("U_POISON", "สวัสดี", at=now))  # later in the same chat
    await service.settle()
    assert (await _row(service, poison)).status == "dead"
    [answer] = service.emulator.accepted_messages("U_POISON")
    assert "1555" in answer["text"]
    async with service.sessionmaker() as s:
        statuses = (await s.scalars(select(InboxEvent.status).order_by(InboxEvent.event_timestamp))).all()
    assert statuses == ["dead", "done"]


async def test_an_admin_sees_and_replays_a_dead_event(service, engine):
    poison = await _store_poison(service, engine, "U_POISON", datetime.now(UTC))
    await service.settle()
    async with service.http() as client:
        [dead] = (await client.get("/api/v1/ops/inbox/dead")).json()
        assert (dead["id"], dead["status"], dead["chat"], dead["attempts"]) == (poison, "dead", "U_POISON", MAX_ATTEMPTS)
        assert "str type expected" in dead["last_error"]

        replayed = await client.post(f"/api/v1/ops/inbox/{poison}/replay")
        assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
        await service.settle()
        row = await _row(service, poison)
        assert (row.status, row.attempts) == ("dead", MAX_ATTEMPTS)  # worked again from scratch; still poison

        await service.send(events.text_message("U_FINE", "สวัสดี"))
        await service.settle()
        async with service.sessionmaker() as s:
            done = await s.scalar(select(InboxEvent.id).where(InboxEvent.status == "done"))
        again = await client.post(f"/api/v1/ops/inbox/{done}/replay")
        assert again.status_code == 409 and again.json()["error"] == "TransitionNotAllowed"
        assert (await client.post("/api/v1/ops/inbox/999999/replay")).status_code == 404
        assert (await client.post(f"/api/v1/ops/inbox/{2**70}/replay")).status_code == 422
    async with service.http(admin=False) as client:
        refused = await client.get("/api/v1/ops/inbox/dead")
        assert refused.status_code == 401


async def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "RONGTUK_ENV": "development", "DATABASE_URL": database_url, "LOG_JSON": "false"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "app.cli", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_the_cli_lists_and_replays_dead_events_and_failed_messages(service, engine, database_url):
    poison = await _store_poison(service, engine, "U_POISON", datetime.now(UTC))
    # LINE refuses a push for good once: an answer whose reply token is too old goes by push.
    service.emulator.add_fault("/v2/bot/message/push", status=400)
    await service.send(events.text_message("U_LATE", "สวัสดี", at=datetime.now(UTC) - timedelta(minutes=5)))
    await service.settle()

    code, out, err = await _cli(database_url, "inbox", "dead")
    assert code == 0, err
    assert out.startswith(f"{poison}\t") and "U_POISON" in out and "str type expected" in out
    code, out, err = await _cli(database_url, "inbox", "replay", str(poison))
    assert code == 0 and f"event {poison} is pending again" in out, err
    code, _, err = await _cli(database_url, "inbox", "replay", "999999")
    assert code == 2 and "999999" in err

    code, out, err = await _cli(database_url, "outbox", "failed")
    assert code == 0, err
    [line] = out.splitlines()
    message_id = int(line.split("\t")[0])
    assert "U_LATE" in line and "400" in line
    assert service.emulator.accepted_messages("U_LATE") == []
    code, out, err = await _cli(database_url, "outbox", "replay", str(message_id))
    assert code == 0 and "pending again" in out, err
    await service.settle()
    [answer] = service.emulator.accepted_messages("U_LATE")
    assert "1555" in answer["text"]
    async with service.sessionmaker() as s:
        assert (await s.get(OutboxMessage, message_id)).status == "sent"
    code, out, _ = await _cli(database_url, "outbox", "failed")
    assert out.strip() == "no failed messages"
