"""POST /webhook: signature, bad input, storage before the 200, duplicates, standby."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from app.line import events
from models import InboxEvent, OutboxMessage
from tests.conftest import SECRET


async def _stored(service) -> int:
    async with service.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(InboxEvent))


async def _post(service, body: bytes, headers: dict):
    async with service.http() as client:
        return await client.post("/webhook", content=body, headers=headers)


def _signed(evs: list[dict], secret: str = SECRET) -> tuple[bytes, dict]:
    return events.signed(evs, secret)


@pytest.mark.parametrize("case", ["missing", "wrong", "other_secret", "tampered"])
async def test_bad_signature_is_400_and_stores_nothing(service, case):
    body, headers = _signed([events.text_message("U1", "สวัสดี")])
    if case == "missing":
        del headers["x-line-signature"]
    elif case == "wrong":
        headers["x-line-signature"] = "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="
    elif case == "other_secret":
        headers["x-line-signature"] = events.sign(body, "another-secret")
    else:
        body = body.replace("สวัสดี".encode(), "ลาก่อน".encode())
    response = await _post(service, body, headers)
    assert response.status_code == 400
    assert "signature" in response.json()["message"]
    assert await _stored(service) == 0


def _sign_raw(body: bytes) -> dict:
    return {"content-type": "application/json", "x-line-signature": events.sign(body, SECRET)}


def _event_with(**changes) -> bytes:
    """A well-formed text event with some fields changed (… removes one), as a raw body."""
    event = events.text_message("U" + "a" * 32, "สวัสดี")
    for key, value in changes.items():
        if value is ...:
            del event[key]
        else:
            event[key] = value
    return json.dumps({"destination": events.DEFAULT_DESTINATION, "events": [event]}).encode()


@pytest.mark.parametrize("body, message", [
    (b'{"events": [', "malformed JSON"),
    (b'[]', "events array"),
    (b'{"destination": "U1"}', "events: Field required"),
    (b'{"events": ["x"]}', "events[0]: Input should be a valid dictionary"),
    (b'{"events": [{"type": "message", "timestamp": 1}]}', "events[0].mode"),
    (_event_with(webhookEventId=...), "events[0].webhookEventId: Field required"),
    (_event_with(timestamp="1"), "events[0].timestamp"),
    (_event_with(timestamp=2**70), "events[0].timestamp"),
    (_event_with(timestamp=-1), "events[0].timestamp"),
    (_event_with(deliveryContext=[]), "events[0].deliveryContext"),
    (_event_with(mode="sleeping"), "events[0].mode"),
    (_event_with(source={"type": "room", "roomId": 5}), "events[0].source.roomId"),
    (_event_with(source={"type": "group"}), "a group source needs groupId"),
    (_event_with(source={"type": "user", "userId": "U" * 100}), "events[0].source.userId"),
    (_event_with(webhookEventId="E" * 65), "events[0].webhookEventId"),
    (_event_with(type=""), "events[0].type"),
    (_event_with(replyToken="two words"), "events[0].replyToken"),
    (_event_with(message={"id": "1", "type": "text", "text": 5, "quoteToken": "q"}), "events[0]: text str type"),
    (_event_with(message=[]), "events[0]"),
    (_event_with(message={"id": "1", "type": None}), "events[0]"),
    (b'{"events":' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    (b'{"events":[{"x":' + b"[" * 100 + b"]" * 100 + b"}]}", "nested deeper than"),
])
async def test_malformed_but_signed_body_is_400_and_stores_nothing(service, body, message):
    response = await _post(service, body, _sign_raw(body))
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert await _stored(service) == 0


async def test_types_this_sdk_does_not_know_are_stored_and_left_alone(service):
    """LINE adds event and message types: such an event is kept, and nobody is answered."""
    new_event = json.loads(_event_with(type="somethingNew"))["events"][0]
    new_message = json.loads(_event_with(message={"id": "1", "type": "hologram", "quoteToken": "q"}))["events"][0]
    await service.send(new_event, new_message)
    await service.settle()
    async with service.sessionmaker() as s:
        assert sorted((await s.scalars(select(InboxEvent.status))).all()) == ["done", "done"]
    assert service.emulator.accepted_messages() == []


async def test_characters_a_database_refuses_are_stored_as_replacement_characters(service):
    """NUL and a lone surrogate are kept as U+FFFD on both databases; the event is worked."""
    body = _event_with(message={"id": "1", "type": "text", "text": "ช่วยเหลือ\x00\ud800", "quoteToken": "q"})
    assert b"\\u0000" in body and b"\\ud800" in body  # JSON escapes, as a hostile sender writes them
    response = await _post(service, body, _sign_raw(body))
    assert response.status_code == 200
    await service.settle()
    async with service.sessionmaker() as s:
        row = await s.scalar(select(InboxEvent))
    assert row.payload["message"]["text"] == "ช่วยเหลือ\ufffd\ufffd"
    assert row.status == "done"


async def test_body_over_one_megabyte_is_413(service):
    text = "ก" * 5000
    evs = [events.text_message("U1", text) for _ in range(80)]  # > 1 MB of UTF-8
    body, headers = _signed(evs)
    assert len(body) > 1_000_000
    assert (await _post(service, body, headers)).status_code == 413

    async def chunks():  # no Content-Length: counted while reading
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    async with service.http() as client:
        response = await client.post("/webhook", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert await _stored(service) == 0


async def test_empty_events_is_200(service):
    body, headers = _signed([])
    response = await _post(service, body, headers)
    assert response.status_code == 200
    assert await _stored(service) == 0


async def test_events_are_stored_before_the_answer(settings, emulator, engine):
    """With no worker running, the event is in the inbox the moment the 200 arrives."""
    from app.db import create_sessionmaker
    from app.line.testing import serve_asgi
    from app.main import create_app

    settings.run_workers = False
    event = events.text_message("U1", "ช่วยเหลือ")
    async with serve_asgi(create_app(settings)) as url:
        emulator.webhook_url = url + "/webhook"
        response = await emulator.deliver([event])
    assert response.status_code == 200
    async with create_sessionmaker(engine)() as s:
        row = await s.scalar(select(InboxEvent))
    assert (row.webhook_event_id, row.status, row.source_key) == (event["webhookEventId"], "pending", "U1")
    assert row.payload == event


async def test_redelivered_event_acts_once(service):
    event = events.text_message("U1", "สวัสดี")
    redelivered = json.loads(json.dumps(event))
    redelivered["deliveryContext"]["isRedelivery"] = True
    await service.send(event)
    await service.settle()
    await service.send(redelivered)
    await service.settle()
    assert len(service.emulator.accepted_messages("U1")) == 1
    assert await _stored(service) == 1


async def test_concurrent_duplicate_deliveries_act_once(service):
    event = events.text_message("U1", "สวัสดี")
    responses = await asyncio.gather(*(service.emulator.deliver([event]) for _ in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    await service.settle()
    assert len(service.emulator.accepted_messages("U1")) == 1


async def test_standby_events_send_nothing(service):
    await service.send(events.text_message("U1", "สวัสดี", mode="standby"), events.follow("U2") | {"mode": "standby"})
    await service.settle()
    assert service.emulator.accepted_messages() == []
    async with service.sessionmaker() as s:
        assert set((await s.scalars(select(InboxEvent.status))).all()) == {"done"}
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_health_and_readiness(service):
    async with service.http() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        metrics = await client.get("/metrics")
        assert "rongtuk_webhook_requests_total" in metrics.text
