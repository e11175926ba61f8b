"""The LINE emulator over real HTTP, driven by line-bot-sdk's async client where it can be."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    ErrorResponse,
    MarkMessagesAsReadByTokenRequest,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhook import SignatureValidator, WebhookParser
from linebot.v3.webhooks import MessageEvent

from app.line import events
from app.line.emulator import LineEmulator
from app.line.emulator.checks import AUTH_FAILED
from app.line.testing import serve_asgi

SECRET = "emulator-test-secret"
TOKEN = "emulator-test-access-token"
USER = "U" + "1" * 32
OTHER = "U" + "2" * 32
GROUP = "C" + "3" * 32
PUSH = "/v2/bot/message/push"


@dataclass
class Served:
    emulator: LineEmulator
    base_url: str
    api: AsyncMessagingApi
    http: httpx.AsyncClient

    async def post(self, path: str, body: dict, **headers: str) -> httpx.Response:
        return await self.http.post(path, json=body, headers={"authorization": f"Bearer {TOKEN}", **headers})


@contextlib.asynccontextmanager
async def serve_emulator(**kwargs) -> AsyncIterator[Served]:
    emulator = LineEmulator(channel_secret=SECRET, access_token=TOKEN, **kwargs)
    async with (
        serve_asgi(emulator.app) as base_url,
        AsyncApiClient(Configuration(access_token=TOKEN, host=base_url)) as client,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        try:
            yield Served(emulator, base_url, AsyncMessagingApi(client), http)
        finally:
            await emulator.aclose()


@pytest.fixture
async def line() -> AsyncIterator[Served]:
    async with serve_emulator() as served:
        yield served


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def text(value: str) -> TextMessage:
    return TextMessage(text=value)


def push_request(to: str = USER, *messages: str) -> PushMessageRequest:
    return PushMessageRequest(to=to, messages=[text(m) for m in messages or ("แจ้งเรื่อง",)])


def error_of(exc: pytest.ExceptionInfo[ApiException]) -> ErrorResponse:
    return ErrorResponse.from_json(exc.value.body)


# -- reply ----------------------------------------------------------------------------------------


async def test_reply_succeeds_once_then_the_token_is_invalid(line: Served):
    token = line.emulator.issue_reply_token(chat_id=USER)
    request = ReplyMessageRequest(reply_token=token, messages=[text("รับเรื่องแล้ว"), text("ขอบคุณ")])

    first = await line.api.reply_message_with_http_info(request)

    assert first.status_code == 200
    uuid.UUID(first.headers["x-line-request-id"])
    ids = [m.id for m in first.data.sent_messages]
    assert len(ids) == 2 and all(i.isdigit() and len(i) == 18 for i in ids)
    assert all(m.quote_token for m in first.data.sent_messages)
    accepted = line.emulator.accepted_messages(to=USER)
    assert [(m["text"], m["sentMessageId"], m["via"]) for m in accepted] == [
        ("รับเรื่องแล้ว", ids[0], "reply"), ("ขอบคุณ", ids[1], "reply")]

    with pytest.raises(ApiException) as reused:
        await line.api.reply_message(request)
    assert reused.value.status == 400
    assert error_of(reused).message == "Invalid reply token"
    assert len(line.emulator.accepted_messages()) == 2


async def test_reply_token_expires_after_the_ttl():
    clock = Clock()
    async with serve_emulator(clock=clock, reply_token_ttl_seconds=60) as line:
        fresh, stale = line.emulator.issue_reply_token(), line.emulator.issue_reply_token()
        clock.now += 59
        await line.api.reply_message(ReplyMessageRequest(reply_token=fresh, messages=[text("ทัน")]))
        clock.now += 2
        with pytest.raises(ApiException) as expired:
            await line.api.reply_message(ReplyMessageRequest(reply_token=stale, messages=[text("ช้าไป")]))
        assert expired.value.status == 400
        assert error_of(expired).message == "Invalid reply token"
        assert [m["text"] for m in line.emulator.accepted_messages()] == ["ทัน"]


async def test_unknown_reply_token_is_invalid(line: Served):
    response = await line.post("/v2/bot/message/reply", {"replyToken": "f" * 32, "messages": [{"type": "text", "text": "x"}]})
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid reply token"}


async def test_retry_key_on_reply_is_rejected_and_leaves_the_token_usable(line: Served):
    token = line.emulator.issue_reply_token()
    body = {"replyToken": token, "messages": [{"type": "text", "text": "สวัสดี"}]}

    rejected = await line.post("/v2/bot/message/reply", body, **{"X-Line-Retry-Key": str(uuid.uuid4())})

    assert rejected.status_code == 400
    assert line.emulator.accepted_messages() == []
    assert (await line.post("/v2/bot/message/reply", body)).status_code == 200


# -- push, retry keys and faults ------------------------------------------------------------------


async def test_push_then_same_retry_key_is_409_with_the_accepted_request_id(line: Served):
    key = str(uuid.uuid4())
    first = await line.api.push_message_with_http_info(push_request(USER, "เรื่อง #68-00042"), x_line_retry_key=key)
    assert first.status_code == 200
    assert first.data.sent_messages[0].id.isdigit()

    with pytest.raises(ApiException) as duplicate:
        await line.api.push_message(push_request(USER, "เรื่อง #68-00042"), x_line_retry_key=key)

    assert duplicate.value.status == 409
    assert error_of(duplicate).message == "The retry key is already accepted"
    assert duplicate.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert duplicate.value.headers["x-line-request-id"] != first.headers["x-line-request-id"]
    assert [m["text"] for m in line.emulator.accepted_messages(to=USER)] == ["เรื่อง #68-00042"]
    assert [r.headers["x-line-retry-key"] for r in line.emulator.requests] == [key, key]
    assert [r.status for r in line.emulator.requests] == [200, 409]


async def test_a_failed_push_does_not_consume_its_retry_key(line: Served):
    line.emulator.add_fault(PUSH, status=500)
    key = str(uuid.uuid4())

    with pytest.raises(ApiException) as failed:
        await line.api.push_message(push_request(), x_line_retry_key=key)
    assert failed.value.status == 500
    assert line.emulator.accepted_messages() == []

    retried = await line.api.push_message_with_http_info(push_request(), x_line_retry_key=key)
    assert retried.status_code == 200
    assert len(line.emulator.accepted_messages()) == 1
    assert [(r.path, r.status) for r in line.emulator.requests] == [(PUSH, 500), (PUSH, 200)]


async def test_a_rejected_push_does_not_consume_its_retry_key(line: Served):
    key = str(uuid.uuid4())
    with pytest.raises(ApiException) as too_long:
        await line.api.push_message(push_request(USER, "ก" * 5001), x_line_retry_key=key)
    assert too_long.value.status == 400
    assert (await line.api.push_message_with_http_info(push_request(), x_line_retry_key=key)).status_code == 200


async def test_retry_key_must_be_a_uuid(line: Served):
    response = await line.post(PUSH, {"to": USER, "messages": [{"type": "text", "text": "x"}]},
                               **{"X-Line-Retry-Key": "not-a-uuid"})
    assert response.status_code == 400
    assert line.emulator.accepted_messages() == []


async def test_rate_limit_fault_carries_retry_after_and_is_used_up(line: Served):
    line.emulator.add_fault(PUSH, status=429, retry_after=7)

    with pytest.raises(ApiException) as limited:
        await line.api.push_message(push_request())

    assert limited.value.status == 429
    assert limited.value.headers["Retry-After"] == "7"
    assert error_of(limited).message
    assert (await line.api.push_message_with_http_info(push_request())).status_code == 200


async def test_fault_applies_times_times_to_matching_paths_only(line: Served):
    line.emulator.add_fault("/message/push", status=503, times=2, body={"message": "maintenance"})
    token = line.emulator.issue_reply_token()
    await line.api.reply_message(ReplyMessageRequest(reply_token=token, messages=[text("ok")]))
    statuses = []
    for _ in range(3):
        try:
            statuses.append((await line.api.push_message_with_http_info(push_request())).status_code)
        except ApiException as exc:
            statuses.append(exc.status)
            assert json.loads(exc.body) == {"message": "maintenance"}
    assert statuses == [503, 503, 200]


async def test_latency_fault_delays_then_answers_normally(line: Served):
    line.emulator.add_fault(PUSH, status=0, delay_seconds=0.3)
    started = time.monotonic()
    response = await line.api.push_message_with_http_info(push_request())
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert len(line.emulator.accepted_messages()) == 1


async def test_a_timed_out_push_may_have_been_accepted_and_its_retry_is_409(line: Served):
    # What a client sees when LINE is slow: it gives up, LINE still accepts; the retry says so.
    line.emulator.add_fault(PUSH, status=0, delay_seconds=0.5)
    key = str(uuid.uuid4())
    with pytest.raises(asyncio.TimeoutError):
        await line.api.push_message(push_request(), x_line_retry_key=key, _request_timeout=0.1)
    await asyncio.sleep(0.6)

    with pytest.raises(ApiException) as duplicate:
        await line.api.push_message(push_request(), x_line_retry_key=key)

    assert duplicate.value.status == 409
    assert duplicate.value.headers["x-line-accepted-request-id"] == line.emulator.requests[0].request_id
    assert len(line.emulator.accepted_messages()) == 1


# -- validation -----------------------------------------------------------------------------------


async def test_six_messages_are_rejected(line: Served):
    response = await line.post(PUSH, {"to": USER, "messages": [{"type": "text", "text": str(i)} for i in range(6)]})
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Size must be between 1 and 5", "property": "messages"}],
    }
    assert line.emulator.accepted_messages() == []


async def test_text_over_5000_characters_is_rejected(line: Served):
    with pytest.raises(ApiException) as too_long:
        await line.api.push_message(push_request(USER, "ก" * 5001))
    assert too_long.value.status == 400
    assert [(d.var_property, d.message) for d in error_of(too_long).details] == [
        ("messages[0].text", "Length must be between 0 and 5000")]
    await line.api.push_message(push_request(USER, "ก" * 5000))
    assert len(line.emulator.accepted_messages()[0]["text"]) == 5000


async def test_quick_reply_with_14_items_is_rejected(line: Served):
    items = [{"type": "action", "action": {"type": "message", "label": f"ข้อ {i}", "text": str(i)}} for i in range(14)]
    message = {"type": "text", "text": "เลือกเหตุผล", "quickReply": {"items": items}}
    response = await line.post(PUSH, {"to": USER, "messages": [message]})
    assert response.status_code == 400
    assert response.json()["details"] == [{"message": "Size must be between 1 and 13", "property": "messages[0].quickReply.items"}]
    message["quickReply"]["items"] = items[:13]
    assert (await line.post(PUSH, {"to": USER, "messages": [message]})).status_code == 200


async def test_postback_data_and_flex_alt_text_limits(line: Served):
    button = {"type": "button", "action": {"type": "postback", "label": "รับเรื่อง", "data": "x" * 301}}
    flex = {"type": "flex", "altText": "ก" * 1501,
            "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [button]}}}
    response = await line.post(PUSH, {"to": USER, "messages": [flex]})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"message": "Length must be between 0 and 1500", "property": "messages[0].altText"},
        {"message": "Length must be between 0 and 300",
         "property": "messages[0].contents.body.contents[0].action.data"},
    ]


async def test_unknown_message_type_and_missing_to_are_rejected(line: Served):
    unknown = await line.post(PUSH, {"to": USER, "messages": [{"type": "hologram"}]})
    assert unknown.status_code == 400
    assert unknown.json()["details"] == [{"message": "Invalid message type", "property": "messages[0].type"}]
    no_type = await line.post(PUSH, {"to": USER, "messages": [{"text": "x"}]})
    assert no_type.json()["details"] == [{"message": "Invalid message type", "property": "messages[0].type"}]
    no_to = await line.post(PUSH, {"messages": [{"type": "text", "text": "x"}]})
    assert no_to.status_code == 400
    assert no_to.json()["details"] == [{"message": "must be specified", "property": "to"}]
    assert line.emulator.accepted_messages() == []


async def test_body_over_2_mb_is_rejected(line: Served):
    body = {"to": USER, "messages": [{"type": "text", "text": "x"}], "padding": "x" * (2 * 1024 * 1024)}
    response = await line.post(PUSH, body)
    assert response.status_code == 413
    assert line.emulator.accepted_messages() == []


async def test_malformed_json_is_rejected(line: Served):
    response = await line.http.post(PUSH, content=b"{not json", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


# -- auth -----------------------------------------------------------------------------------------


async def test_wrong_or_missing_access_token_is_401(line: Served):
    async with AsyncApiClient(Configuration(access_token="wrong", host=line.base_url)) as client:
        with pytest.raises(ApiException) as denied:
            await AsyncMessagingApi(client).push_message(push_request())
    assert denied.value.status == 401
    assert error_of(denied).message == AUTH_FAILED

    bare = await line.http.get(f"/v2/bot/profile/{USER}")
    assert bare.status_code == 401
    assert bare.json() == {"message": AUTH_FAILED}
    assert line.emulator.accepted_messages() == []


# -- profiles, groups, multicast, loading, read ---------------------------------------------------


async def test_profile_found_then_404_when_not_a_friend(line: Served):
    line.emulator.add_user(USER, "สมชาย ใจดี", picture_url="https://example.com/p.jpg")

    profile = await line.api.get_profile(USER)
    assert (profile.display_name, profile.user_id, profile.language) == ("สมชาย ใจดี", USER, "th")
    assert profile.picture_url == "https://example.com/p.jpg" and profile.status_message is None

    line.emulator.remove_user(USER)
    with pytest.raises(ApiException) as missing:
        await line.api.get_profile(USER)
    assert missing.value.status == 404
    assert error_of(missing).message == "Not found"


async def test_group_member_profile_and_summary(line: Served):
    line.emulator.add_user(USER, "สมชาย")
    line.emulator.add_group(GROUP, "เขตบางรัก")
    line.emulator.add_group_member(GROUP, USER)
    line.emulator.add_group_member(GROUP, OTHER, display_name="สมหญิง")

    assert (await line.api.get_group_member_profile(GROUP, USER)).display_name == "สมชาย"
    assert (await line.api.get_group_member_profile(GROUP, OTHER)).display_name == "สมหญิง"
    summary = await line.api.get_group_summary(GROUP)
    assert (summary.group_id, summary.group_name) == (GROUP, "เขตบางรัก")
    for call in (line.api.get_group_member_profile(GROUP, "U" + "9" * 32), line.api.get_group_summary("C" + "9" * 32)):
        with pytest.raises(ApiException) as missing:
            await call
        assert missing.value.status == 404


async def test_multicast_accepts_one_copy_per_recipient(line: Served):
    response = await line.api.multicast_with_http_info(
        MulticastRequest(to=[USER, OTHER], messages=[text("สรุปประจำวัน")]), x_line_retry_key=str(uuid.uuid4()))
    assert response.status_code == 200
    assert [(m["to"], m["text"], m["via"]) for m in line.emulator.accepted_messages()] == [
        (USER, "สรุปประจำวัน", "multicast"), (OTHER, "สรุปประจำวัน", "multicast")]
    too_many = await line.post("/v2/bot/message/multicast",
                               {"to": [f"U{i:032x}" for i in range(501)], "messages": [{"type": "text", "text": "x"}]})
    assert too_many.status_code == 400
    assert too_many.json()["details"] == [{"message": "Size must be between 1 and 500", "property": "to"}]


async def test_loading_animation_and_mark_as_read(line: Served):
    started = await line.api.show_loading_animation_with_http_info(ShowLoadingAnimationRequest(chat_id=USER, loading_seconds=10))
    assert started.status_code == 202
    odd = await line.post("/v2/bot/chat/loading/start", {"chatId": USER, "loadingSeconds": 7})
    assert odd.status_code == 400
    assert odd.json()["details"][0]["property"] == "loadingSeconds"

    read = await line.api.mark_messages_as_read_by_token_with_http_info(
        MarkMessagesAsReadByTokenRequest(mark_as_read_token="token"))
    assert read.status_code == 200
    assert [(r.path, r.status) for r in line.emulator.requests] == [
        ("/v2/bot/chat/loading/start", 202), ("/v2/bot/chat/loading/start", 400), ("/v2/bot/chat/markAsRead", 200)]


# -- webhook delivery -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[tuple[str, list]]:
    """A tiny webhook that checks the signature as the service must (on the raw body)."""
    received: list = []
    app = FastAPI()

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        signature = request.headers.get("x-line-signature", "")
        if not SignatureValidator(SECRET).validate(body, signature):
            return Response(status_code=400)
        received.append(WebhookParser(SECRET).parse(body, signature, as_payload=True))
        return Response("OK")

    async with serve_asgi(app) as url:
        yield f"{url}/webhook", received


async def test_deliver_posts_a_signed_body_and_its_reply_token_works_once(line: Served):
    async with receiver() as (url, received):
        line.emulator.webhook_url = url
        event = events.text_message(USER, "ไฟทางดับ ซอยสีลม 5")

        response = await line.emulator.deliver([event])

        assert response.status_code == 200
        [payload] = received
        assert payload.destination == line.emulator.bot_user_id
        [parsed] = payload.events
        assert isinstance(parsed, MessageEvent) and parsed.message.text == "ไฟทางดับ ซอยสีลม 5"
        assert [(d.status, d.events) for d in line.emulator.deliveries] == [(200, [event])]

        request = ReplyMessageRequest(reply_token=event["replyToken"], messages=[text("รับเรื่องแล้ว")])
        await line.api.reply_message(request)
        with pytest.raises(ApiException) as reused:
            await line.api.reply_message(request)
        assert reused.value.status == 400
        assert line.emulator.accepted_messages()[0]["to"] == USER


async def test_deliver_with_a_wrong_signature_and_standby_events(line: Served):
    async with receiver() as (url, received):
        line.emulator.webhook_url = url
        forged = await line.emulator.deliver([events.follow(USER)], signature="bm90IGEgc2lnbmF0dXJl")
        assert forged.status_code == 400 and received == []
        assert line.emulator.deliveries[0].status == 400

        standby = events.text_message(USER, "x", mode="standby")
        assert (await line.emulator.deliver([standby])).status_code == 200
        with pytest.raises(ApiException) as no_reply:
            await line.api.reply_message(ReplyMessageRequest(reply_token=standby["replyToken"], messages=[text("y")]))
        assert no_reply.value.status == 400


async def test_deliver_needs_a_webhook_url(line: Served):
    with pytest.raises(RuntimeError):
        await line.emulator.deliver([events.follow(USER)])


async def test_a_webhook_that_is_down_or_silent_is_a_transport_error_and_a_502(line: Served):
    app = FastAPI()

    @app.post("/webhook")
    async def silent() -> Response:
        await asyncio.sleep(1)
        return Response("OK")

    emulator = LineEmulator(channel_secret=SECRET, access_token="t", webhook_timeout_seconds=0.3)
    async with serve_asgi(app) as url:
        emulator.webhook_url = f"{url}/webhook"
        with pytest.raises(httpx.ReadTimeout):
            await emulator.deliver([events.follow(USER)])
    with pytest.raises(httpx.ConnectError):  # the server is gone: nothing listens there now
        await emulator.deliver([events.follow(USER)])
    assert [d.error.split(":")[0] for d in emulator.deliveries] == ["ReadTimeout", "ConnectError"]
    async with serve_asgi(emulator.app) as emulator_url, httpx.AsyncClient(base_url=emulator_url) as http:
        answer = await http.post("/_emulator/deliver", json={"events": [events.follow(USER)]})
    assert answer.status_code == 502 and "webhook unreachable" in answer.json()["message"]
    await emulator.aclose()


async def test_transcript_tells_the_conversation_in_order(line: Served):
    line.emulator.add_user(USER, "สมชาย")
    async with receiver() as (url, _):
        line.emulator.webhook_url = url
        said = events.text_message(USER, "ส่งเรื่อง บางรัก\nไฟทางดับ")
        await line.emulator.deliver([said])
        await line.api.reply_message(ReplyMessageRequest(reply_token=said["replyToken"], messages=[text("ส่งแล้ว #68-00042")]))
        await line.api.push_message(push_request(OTHER, "เรื่องใหม่ #68-00042"))

    lines = line.emulator.transcript().splitlines()

    assert len(lines) == 4
    assert lines[0].endswith("สมชาย → bot: ส่งเรื่อง บางรัก")
    assert lines[1].strip() == "ไฟทางดับ"
    assert lines[2].endswith("bot → สมชาย (reply): ส่งแล้ว #68-00042")
    assert lines[3].endswith(f"bot → {OTHER} (push): เรื่องใหม่ #68-00042")


async def test_a_late_answer_comes_after_the_work_is_done(line: Served):
    # LINE took the message and spent the token at once; only its answer is slow.
    line.emulator.add_fault(PUSH, late=True, delay_seconds=0.5, times=2)
    token = line.emulator.issue_reply_token(chat_id=USER)
    line.emulator.add_fault("/v2/bot/message/reply", late=True, delay_seconds=0.5)
    key = str(uuid.uuid4())
    with pytest.raises(asyncio.TimeoutError):
        await line.api.push_message(push_request(), x_line_retry_key=key, _request_timeout=0.1)
    with pytest.raises(asyncio.TimeoutError):
        await line.api.reply_message(ReplyMessageRequest(reply_token=token, messages=[text("ok")]),
                                     _request_timeout=0.1)
    assert [m["via"] for m in line.emulator.accepted_messages()] == ["push", "reply"]  # before any answer

    with pytest.raises(ApiException) as duplicate:  # late as well, but answered within the wait
        await line.api.push_message(push_request(), x_line_retry_key=key, _request_timeout=2)
    assert duplicate.value.status == 409
    with pytest.raises(ApiException) as spent:
        await line.api.reply_message(ReplyMessageRequest(reply_token=token, messages=[text("ok")]))
    assert spent.value.status == 400 and error_of(spent).message == "Invalid reply token"
    assert len(line.emulator.accepted_messages()) == 2


async def test_a_fault_for_one_chat_leaves_the_others_alone(line: Served):
    line.emulator.add_fault(PUSH, status=503, times=10, to=OTHER)
    line.emulator.add_fault("/v2/bot/message/reply", status=500, times=10, to=OTHER)
    assert (await line.api.push_message_with_http_info(push_request(USER))).status_code == 200
    with pytest.raises(ApiException) as failed:
        await line.api.push_message(push_request(OTHER))
    assert failed.value.status == 503
    mine, theirs = line.emulator.issue_reply_token(chat_id=USER), line.emulator.issue_reply_token(chat_id=OTHER)
    await line.api.reply_message(ReplyMessageRequest(reply_token=mine, messages=[text("ok")]))
    with pytest.raises(ApiException) as refused:
        await line.api.reply_message(ReplyMessageRequest(reply_token=theirs, messages=[text("ok")]))
    assert refused.value.status == 500
    assert [m["to"] for m in line.emulator.accepted_messages()] == [USER, USER]


# -- control endpoints, mounting, headers ---------------------------------------------------------


async def test_control_endpoints(line: Served):
    http = line.http
    assert (await http.put(f"/_emulator/users/{USER}", json={"displayName": "สมศรี"})).status_code == 200
    assert (await line.api.get_profile(USER)).display_name == "สมศรี"

    await http.post("/_emulator/faults", json={"path": PUSH, "status": 503})
    with pytest.raises(ApiException) as faulted:
        await line.api.push_message(push_request())
    assert faulted.value.status == 503
    await http.post("/_emulator/faults", json={"path": PUSH, "status": 500, "times": 5})
    assert (await http.delete("/_emulator/faults")).status_code == 200
    assert (await http.post("/_emulator/faults", json={"path": PUSH, "late": True})).status_code == 400
    late = {"path": PUSH, "late": True, "delay_seconds": 0.2, "to": OTHER}
    assert (await http.post("/_emulator/faults", json=late)).status_code == 200
    await line.api.push_message(push_request())

    recorded = (await http.get("/_emulator/requests")).json()
    assert [(r["path"], r["status"]) for r in recorded] == [
        (f"/v2/bot/profile/{USER}", 200), (PUSH, 503), (PUSH, 200)]
    assert recorded[-1]["json"]["to"] == USER
    assert (await http.get("/_emulator/messages", params={"to": USER})).json()[0]["text"] == "แจ้งเรื่อง"

    async with receiver() as (url, received):
        line.emulator.webhook_url = url
        event = events.text_message(USER, "สวัสดี")
        delivered = await http.post("/_emulator/deliver", json={"events": [event]})
        assert delivered.json() == {"status": 200, "events": [event]}
        assert len(received) == 1

    transcript = await http.get("/_emulator/transcript")
    assert transcript.headers["content-type"].startswith("text/plain")
    assert "สมศรี → bot: สวัสดี" in transcript.text

    assert (await http.delete(f"/_emulator/users/{USER}")).status_code == 200
    with pytest.raises(ApiException) as gone:
        await line.api.get_profile(USER)
    assert gone.value.status == 404

    assert (await http.delete("/_emulator/requests")).status_code == 200
    assert line.emulator.requests == [] and line.emulator.accepted_messages() == []
    assert line.emulator.transcript() == ""


async def test_every_answer_has_a_request_id(line: Served):
    answers = [
        await line.http.get("/_emulator/requests"),
        await line.http.get("/v2/bot/profile/nobody"),
        await line.post("/v2/bot/no/such/endpoint", {}),
        await line.post(PUSH, {"to": USER, "messages": [{"type": "text", "text": "x"}]}),
    ]
    assert [a.status_code for a in answers] == [200, 401, 404, 200]
    ids = {str(uuid.UUID(a.headers["x-line-request-id"])) for a in answers}
    assert len(ids) == 4


async def test_mounted_under_a_prefix():
    emulator = LineEmulator(channel_secret=SECRET, access_token=TOKEN)
    parent = FastAPI()
    parent.mount("/line-emulator", emulator.app)
    async with (
        serve_asgi(parent) as base_url,
        AsyncApiClient(Configuration(access_token=TOKEN, host=f"{base_url}/line-emulator")) as client,
    ):
        response = await AsyncMessagingApi(client).push_message_with_http_info(push_request())
    assert response.status_code == 200
    assert [r.path for r in emulator.requests] == [PUSH]
    assert len(emulator.accepted_messages(to=USER)) == 1


async def test_say_delivers_a_text_and_returns_the_answers():
    """The developer's shortcut: type as a user, read what the bot answered."""
    from fastapi import FastAPI

    from app.line.emulator import LineEmulator
    from app.line.testing import serve_asgi

    emulator = LineEmulator(channel_secret="s", access_token="t")
    bot = FastAPI()

    @bot.post("/webhook")
    async def webhook(request: Request):
        event = (await request.json())["events"][0]
        async with httpx.AsyncClient(base_url=emulator_url) as client:
            await client.post("/v2/bot/message/reply", headers={"Authorization": "Bearer t"},
                              json={"replyToken": event["replyToken"],
                                    "messages": [{"type": "text", "text": "echo: " + event["message"]["text"]}]})
        return {}

    async with serve_asgi(emulator.app) as emulator_url, serve_asgi(bot) as bot_url:
        emulator.webhook_url = bot_url + "/webhook"
        async with httpx.AsyncClient(base_url=emulator_url) as client:
            answer = await client.post("/_emulator/say", json={"text": "สวัสดี", "wait_seconds": 2})
    assert answer.status_code == 200
    assert answer.json() == {"answers": ["echo: สวัสดี"]}
    [(user_id, profile)] = emulator.users.items()  # the one who spoke is now a friend with a name
    assert user_id.startswith("U") and profile.displayName == "ผู้ทดสอบ"


# -- message content (what users send) ------------------------------------------------------------


async def test_message_content_is_served_with_its_type_and_404_when_unknown(line: Served):
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    line.emulator.add_content("325708", jpeg)
    line.emulator.add_content("325709", b"\x89PNG\r\n", content_type="image/png")
    # host set: the SDK's blob API uses it too, instead of its hard-coded api-data.line.me
    blob = AsyncMessagingApiBlob(line.api.api_client)

    found = await blob.get_message_content_with_http_info("325708")
    assert (found.status_code, bytes(found.data)) == (200, jpeg)
    assert found.headers["content-type"] == "image/jpeg"
    uuid.UUID(found.headers["x-line-request-id"])
    assert bytes(await blob.get_message_content("325709")) == b"\x89PNG\r\n"

    with pytest.raises(ApiException) as missing:
        await blob.get_message_content("999999")
    assert missing.value.status == 404
    assert json.loads(missing.value.body) == {"message": "Not found"}

    bare = await line.http.get("/v2/bot/message/325708/content")
    assert bare.status_code == 401
    assert [(r.method, r.path, r.status, r.response) for r in line.emulator.requests] == [
        ("GET", "/v2/bot/message/325708/content", 200, {"contentType": "image/jpeg", "size": len(jpeg)}),
        ("GET", "/v2/bot/message/325709/content", 200, {"contentType": "image/png", "size": 6}),
        ("GET", "/v2/bot/message/999999/content", 404, {"message": "Not found"}),
        ("GET", "/v2/bot/message/325708/content", 401, {"message": AUTH_FAILED}),
    ]
    assert (await line.http.get("/_emulator/requests")).json()[0]["response"]["size"] == len(jpeg)


async def test_message_content_honours_faults_and_reset_forgets_it(line: Served):
    line.emulator.add_content("1", b"image")
    line.emulator.add_fault("/content", status=500)
    blob = AsyncMessagingApiBlob(line.api.api_client)
    with pytest.raises(ApiException) as failed:
        await blob.get_message_content("1")
    assert failed.value.status == 500
    assert bytes(await blob.get_message_content("1")) == b"image"

    line.emulator.reset()
    with pytest.raises(ApiException) as gone:
        await blob.get_message_content("1")
    assert gone.value.status == 404


async def test_content_control_endpoint_then_an_image_event_for_it(line: Served):
    stored = await line.http.post("/_emulator/content/424242", content=b"GIF89a", headers={"content-type": "image/gif"})
    assert stored.json() == {"messageId": "424242", "contentType": "image/gif", "size": 6}
    fetched = await line.http.get("/v2/bot/message/424242/content", headers={"authorization": f"Bearer {TOKEN}"})
    assert (fetched.status_code, fetched.content, fetched.headers["content-type"]) == (200, b"GIF89a", "image/gif")

    async with receiver() as (url, received):
        line.emulator.webhook_url = url
        image = events.image_message(USER, message_id="424242")
        assert (await line.http.post("/_emulator/deliver", json={"events": [image]})).json()["status"] == 200
    [parsed] = received[0].events
    assert parsed.message.id == "424242" and parsed.message.content_provider.type == "line"


# -- action labels, Flex sizes, image and location messages --------------------------------------


def quick_reply(*labels: str) -> dict:
    items = [{"type": "action", "action": {"type": "postback", "label": label, "data": f"reason={i}"}}
             for i, label in enumerate(labels)]
    return {"type": "text", "text": "เลือกเหตุผล", "quickReply": {"items": items}}


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def test_quick_reply_labels_are_at_most_20_utf16_units(line: Served):
    # LINE counts every Thai vowel and tone mark, and an emoji outside the BMP as 2
    assert units("ไม่อยู่ในอำนาจหน้าที่") == 21 and units("ไม่ใช่หน่วยงานเรา") == 17 and units("👍") == 2
    fine = quick_reply("ไม่ใช่หน่วยงานเรา", "ก" * 20, "👍" * 10, "นอกอำนาจหน้าที่")
    assert (await line.post(PUSH, {"to": USER, "messages": [fine]})).status_code == 200

    refused = await line.post(PUSH, {"to": USER, "messages": [
        quick_reply("ไม่ใช่หน่วยงานเรา", "ไม่อยู่ในอำนาจหน้าที่", "👍" * 11)]})
    assert refused.status_code == 400
    assert refused.json()["details"] == [
        {"message": "Length must be between 0 and 20", "property": "messages[0].quickReply.items[1].action.label"},
        {"message": "Length must be between 0 and 20", "property": "messages[0].quickReply.items[2].action.label"}]
    assert len(line.emulator.accepted_messages()) == 1


def flex_button(label: str, **action: str) -> dict:
    button = {"type": "button", "action": {"type": "message", "label": label, "text": "ส่งต่อ", **action}}
    return {"type": "flex", "altText": "เรื่อง", "contents": {
        "type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [button]}}}


async def test_flex_button_labels_are_at_most_40_units_and_template_labels_20(line: Served):
    forty = "ส่งต่อให้หน่วยงานที่รับผิดชอบโดยตรงทันที"  # 40 units: fine on a Flex button
    assert units(forty) == 40
    assert (await line.post(PUSH, {"to": USER, "messages": [flex_button(forty)]})).status_code == 200
    refused = await line.post(PUSH, {"to": USER, "messages": [flex_button(forty + "ๆ")]})
    assert refused.json()["details"] == [
        {"message": "Length must be between 0 and 40", "property": "messages[0].contents.body.contents[0].action.label"}]

    long = "ส่งต่อให้หน่วยงานที่รับผิดชอบ"  # 29 units: too long in a template
    template = {"type": "template", "altText": "เลือก", "template": {
        "type": "buttons", "text": "เลือก",
        "defaultAction": {"type": "uri", "label": long, "uri": "https://example.com"},
        "actions": [{"type": "message", "label": "รับเรื่อง", "text": "รับ"},
                    {"type": "datetimepicker", "label": long, "data": "when", "mode": "date"}]}}
    imagemap = {"type": "imagemap", "baseUrl": "https://example.com/map", "altText": "แผนที่",
                "baseSize": {"width": 1040, "height": 1040},
                "actions": [{"type": "message", "label": long, "text": "x",
                             "area": {"x": 0, "y": 0, "width": 520, "height": 520}}]}
    response = await line.post(PUSH, {"to": USER, "messages": [template, flex_button(long), imagemap]})
    assert response.status_code == 400
    assert [d["property"] for d in response.json()["details"]] == [
        "messages[0].template.defaultAction.label", "messages[0].template.actions[1].label"]
    template["template"]["defaultAction"]["label"] = template["template"]["actions"][1]["label"] = "ดูรายละเอียด"
    assert (await line.post(PUSH, {"to": USER, "messages": [template, flex_button(long), imagemap]})).status_code == 200


async def test_image_carousel_labels_are_at_most_12_units(line: Served):
    column = {"imageUrl": "https://example.com/a.jpg",
              "action": {"type": "message", "label": "ดูรายละเอียดเพิ่ม", "text": "ดู"}}  # 17 units
    message = {"type": "template", "altText": "รูป", "template": {"type": "image_carousel", "columns": [column]}}
    refused = await line.post(PUSH, {"to": USER, "messages": [message]})
    assert refused.json()["details"] == [
        {"message": "Length must be between 0 and 12", "property": "messages[0].template.columns[0].action.label"}]
    column["action"]["label"] = "ดูรายละเอียด"
    assert (await line.post(PUSH, {"to": USER, "messages": [message]})).status_code == 200


async def test_display_text_and_message_action_text_are_at_most_300_units(line: Served):
    postback = {"type": "postback", "label": "รับเรื่อง", "data": "a=ack", "displayText": "😀" * 151}
    refused = await line.post(PUSH, {"to": USER, "messages": [
        {**quick_reply(), "quickReply": {"items": [{"type": "action", "action": postback}]}},
        flex_button("ส่ง", text="ก" * 301)]})
    assert refused.json()["details"] == [
        {"message": "Length must be between 0 and 300", "property": "messages[0].quickReply.items[0].action.displayText"},
        {"message": "Length must be between 0 and 300", "property": "messages[1].contents.body.contents[0].action.text"}]
    postback["displayText"] = "😀" * 150
    assert (await line.post(PUSH, {"to": USER, "messages": [
        {**quick_reply(), "quickReply": {"items": [{"type": "action", "action": postback}]}},
        flex_button("ส่ง", text="ก" * 300)]})).status_code == 200


# -- LINE's schema, through line-bot-sdk's request models ----------------------------------------


def bubble_body(*contents: dict, **box: str) -> dict:
    return {"type": "flex", "altText": "เรื่อง", "contents": {
        "type": "bubble", "body": {"type": "box", **({"layout": "vertical"} | box), "contents": list(contents)}}}


@pytest.mark.parametrize(("message", "detail"), [
    ({"type": "flex", "altText": "เรื่อง", "contents": {"type": "bubble", "body": {"type": "box", "contents": []}}},
     {"message": "must be specified", "property": "messages[0].contents.body.layout"}),
    (bubble_body({"type": "button", "style": "primary"}),
     {"message": "must be specified", "property": "messages[0].contents.body.contents[0].action"}),
    (bubble_body({"type": "text", "text": "ก"}, layout="diagonal"),
     {"message": "must be one of enum values ('horizontal', 'vertical', 'baseline')",
      "property": "messages[0].contents.body.layout"}),
    (bubble_body({"text": "ไม่มีชนิด"}),
     {"message": "must be specified", "property": "messages[0].contents.body.contents[0].type"}),
    (bubble_body({"type": "hologram"}),
     {"message": "must be one of: box, button, filler, icon, image, separator, span, text, video",
      "property": "messages[0].contents.body.contents[0].type"}),
    (bubble_body({"type": "button", "action": {"type": "teleport", "label": "ไป"}}),
     {"message": "must be one of: camera, cameraRoll, clipboard, datetimepicker, location, message, postback, "
                 "richmenuswitch, uri", "property": "messages[0].contents.body.contents[0].action.type"}),
    (bubble_body({"type": "text", "text": 42}),
     {"message": "str type expected", "property": "messages[0].contents.body.contents[0].text"}),
    ({"type": "flex", "altText": "เรื่อง", "contents": {"type": "bubble", "body": "box"}},
     {"message": "must be an object", "property": "messages[0].contents.body"}),
    (bubble_body({"type": "box", "layout": "vertical", "contents": {"type": "text", "text": "ก"}}),
     {"message": "must be an array", "property": "messages[0].contents.body.contents[0].contents"}),
    # the SDK drops a property it does not know; here it is refused, as a misspelt name would be
    ({"type": "text", "text": "สวัสดี", "quickreply": {"items": []}},
     {"message": "is not a property of this object", "property": "messages[0].quickreply"}),
    ({"type": "text", "text": "สวัสดี", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "รับ", "data": "a", "display_text": "รับ"}}]}},
     {"message": "is not a property of this object", "property": "messages[0].quickReply.items[0].action.display_text"}),
])
async def test_a_message_the_sdk_models_refuse_is_400(line: Served, message: dict, detail: dict):
    for path, body in ((PUSH, {"to": USER}), ("/v2/bot/message/multicast", {"to": [USER]}),
                       ("/v2/bot/message/reply", {"replyToken": line.emulator.issue_reply_token(chat_id=USER)})):
        response = await line.post(path, {**body, "messages": [message]})
        assert (response.status_code, response.json()) == (
            400, {"message": "The request body has 1 error(s)", "details": [detail]}), path
    assert line.emulator.accepted_messages() == []


async def test_the_service_messages_pass_the_schema(line: Served):
    """A card, a digest-like carousel and a text with quick replies as the service builds them."""
    messages = [bubble_body({"type": "button", "style": "link", "height": "sm",
                             "action": {"type": "postback", "label": "ไม่ใช่หน่วยงานเรา", "data": "a=notours&as=1",
                                        "displayText": "ไม่ใช่หน่วยงานเรา #70-00001"}}),
                {"type": "flex", "altText": "สรุป", "contents": {"type": "carousel", "contents": [
                    {"type": "bubble", "footer": {"type": "box", "layout": "vertical", "contents": [
                        {"type": "button", "action": {"type": "uri", "label": "ดูแดชบอร์ด", "uri": "https://x.example"}}]}}]}},
                quick_reply("นอกอำนาจหน้าที่", "อื่นๆ"),
                {"type": "location", "title": "ซอยสีลม 5", "address": "เขตบางรัก", "latitude": 13.72, "longitude": 100}]
    assert (await line.post(PUSH, {"to": USER, "messages": messages})).status_code == 200


def bubble(size: int) -> dict:
    """A bubble whose compact JSON is exactly `size` bytes."""
    shell = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": ""}]}}
    overhead = len(json.dumps(shell, separators=(",", ":")))
    shell["body"]["contents"][0]["text"] = "x" * (size - overhead)
    return shell


def flex_of(contents: dict) -> dict:
    return {"type": "flex", "altText": "เรื่อง", "contents": contents}


async def test_flex_bubble_is_at_most_30_kb(line: Served):
    assert (await line.post(PUSH, {"to": USER, "messages": [flex_of(bubble(30 * 1024))]})).status_code == 200
    too_big = await line.post(PUSH, {"to": USER, "messages": [flex_of(bubble(30 * 1024 + 1))]})
    assert too_big.status_code == 400
    assert too_big.json()["details"] == [{"message": "Size must be at most 30720 bytes", "property": "messages[0].contents"}]
    # bytes of UTF-8, not characters: 10,241 Thai letters are 30,723 bytes
    thai = bubble(1000)
    thai["body"]["contents"][0]["text"] = "ก" * 10_241
    assert (await line.post(PUSH, {"to": USER, "messages": [flex_of(thai)]})).status_code == 400


async def test_flex_carousel_is_at_most_12_bubbles_and_50_kb(line: Served):
    def carousel(*bubbles: dict) -> dict:
        return flex_of({"type": "carousel", "contents": list(bubbles)})

    assert (await line.post(PUSH, {"to": USER, "messages": [carousel(*[bubble(200)] * 12)]})).status_code == 200
    thirteen = await line.post(PUSH, {"to": USER, "messages": [carousel(*[bubble(200)] * 13)]})
    assert thirteen.json()["details"] == [{"message": "Size must be between 1 and 12", "property": "messages[0].contents.contents"}]

    assert (await line.post(PUSH, {"to": USER, "messages": [carousel(bubble(20_000), bubble(20_000))]})).status_code == 200
    heavy = await line.post(PUSH, {"to": USER, "messages": [carousel(bubble(20_000), bubble(20_000), bubble(20_000))]})
    assert heavy.status_code == 400
    assert heavy.json()["details"] == [{"message": "Size must be at most 51200 bytes", "property": "messages[0].contents"}]
    fat_bubble = await line.post(PUSH, {"to": USER, "messages": [carousel(bubble(200), bubble(31_000))]})
    assert fat_bubble.json()["details"] == [
        {"message": "Size must be at most 30720 bytes", "property": "messages[0].contents.contents[1]"}]
    assert len(line.emulator.accepted_messages()) == 2


async def test_image_message_urls(line: Served):
    bad = [{"type": "image", "originalContentUrl": "ftp://example.com/a.jpg"},
           {"type": "image", "originalContentUrl": "https://example.com/" + "a" * 1981,
            "previewImageUrl": "https://example.com/p.jpg"}]
    response = await line.post(PUSH, {"to": USER, "messages": bad})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"message": "must be an https URL", "property": "messages[0].originalContentUrl"},
        {"message": "must be specified", "property": "messages[0].previewImageUrl"},
        {"message": "Length must be between 0 and 2000", "property": "messages[1].originalContentUrl"},
    ]
    good = [{"type": "image", "originalContentUrl": "https://example.com/" + "a" * 1980,
             "previewImageUrl": "https://example.com/p.jpg"},
            # http: the service in development serves its own images from http://127.0.0.1
            {"type": "image", "originalContentUrl": "http://127.0.0.1:8000/media/1.jpg",
             "previewImageUrl": "http://127.0.0.1:8000/media/1-preview.jpg"}]
    assert (await line.post(PUSH, {"to": USER, "messages": good})).status_code == 200
    assert [m["type"] for m in line.emulator.accepted_messages()] == ["image", "image"]


async def test_location_message_fields(line: Served):
    bad = {"type": "location", "title": "ก" * 101, "latitude": "13.75", "longitude": True}
    response = await line.post(PUSH, {"to": USER, "messages": [bad]})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"message": "Length must be between 0 and 100", "property": "messages[0].title"},
        {"message": "must be specified", "property": "messages[0].address"},
        {"message": "must be specified", "property": "messages[0].latitude"},
        {"message": "must be specified", "property": "messages[0].longitude"},
    ]
    good = {"type": "location", "title": "ก" * 100, "address": "ถนนสีลม เขตบางรัก", "latitude": 13.7246, "longitude": 100}
    assert (await line.post(PUSH, {"to": USER, "messages": [good]})).status_code == 200
