"""A local stand-in for the LINE Messaging API, over real HTTP.

It behaves like LINE wherever the service depends on it: bearer auth, single-use reply tokens
that expire, `X-Line-Retry-Key` semantics (409 with `x-line-accepted-request-id`; a failed request
does not consume its key), LINE's limits counted as LINE counts (checks.py) and LINE's schema
checked with line-bot-sdk's request models (schema.py), with LINE's error bodies, profiles, and injectable
faults (5xx, 429 with Retry-After, latency, late answers to work already done; for every chat or for
one), and the content of messages users send (LINE serves
it from `api-data.line.me`; the emulator serves it on its one base URL). It also plays LINE's other
half: `deliver()` signs webhook events and POSTs them to the service, registering their reply tokens.

Control endpoints live under `/_emulator/` without auth: the emulator only ever runs on a
developer's or CI's machine.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, tzinfo
from http import HTTPStatus
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from app.line import events as line_events
from app.line.emulator.checks import (
    AUTH_FAILED,
    QUOTABLE_TYPES,
    UUID_PATTERN,
    LineApiError,
    invalid,
    validate_messages,
)
from app.line.emulator.schema import request_errors
from app.line.emulator.transcript import describe_event, describe_message, line
from app.line.emulator.webhook_client import WebhookClient
from app.line.limits import MAX_BODY_BYTES, MAX_MULTICAST_TO, RETRY_KEY_TTL_SECONDS


@dataclass
class RecordedRequest:
    """One API call as received, and what the emulator answered."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    at: float
    request_id: str
    status: int | None = None  # None while the answer is pending (latency fault)
    response: Any = None


@dataclass
class Delivery:
    """One webhook POST made by `deliver()`."""

    events: list[dict[str, Any]]
    at: float
    status: int | None = None
    error: str | None = None


@dataclass
class _Fault:
    path: str
    status: int
    remaining: int
    retry_after: int | None
    delay_seconds: float
    body: dict[str, Any] | None
    to: str | None = None  # only requests to this chat (push `to`, a reply token's chat)
    late: bool = False  # do the work now, answer after delay_seconds


@dataclass
class _Content:
    data: bytes
    content_type: str

    def summary(self) -> dict[str, Any]:
        """What a recorded request keeps of it (bytes don't go in the JSON of `/_emulator/requests`)."""
        return {"contentType": self.content_type, "size": len(self.data)}


@dataclass
class _ReplyToken:
    issued_at: float
    chat_id: str | None
    used: bool = False


@dataclass
class _Profile:
    # camelCase: LINE's field names, served as they are
    displayName: str
    userId: str
    pictureUrl: str | None = None
    statusMessage: str | None = None
    language: str | None = None

    def as_json(self, *fields_: str) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k in fields_ and v is not None}


@dataclass
class _Group:
    name: str | None = None
    picture_url: str | None = None
    members: dict[str, _Profile] = field(default_factory=dict)



def _chat_of(source: dict[str, Any]) -> str | None:
    return source.get("groupId") or source.get("roomId") or source.get("userId")


class _RequestIdMiddleware:
    """Give every answer an `x-line-request-id`, as LINE does (API handlers set their own)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-line-request-id" for name, _ in headers):
                    headers.append((b"x-line-request-id", str(uuid.uuid4()).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


class LineEmulator:
    """The LINE Messaging API for one channel, in memory. `app` is its ASGI app (mountable)."""

    def __init__(
        self,
        *,
        channel_secret: str,
        access_token: str,
        webhook_url: str | None = None,
        reply_token_ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        webhook_timeout_seconds: float = 10.0,
    ) -> None:
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.reply_token_ttl_seconds = reply_token_ttl_seconds
        self.clock = clock
        self._webhook = WebhookClient(timeout_seconds=webhook_timeout_seconds)
        self.bot_user_id = line_events.DEFAULT_DESTINATION
        self.users: dict[str, _Profile] = {}
        self.groups: dict[str, _Group] = {}
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self._accepted: list[dict[str, Any]] = []
        self._timeline: list[Delivery | dict[str, Any]] = []  # in the order things happened
        self._faults: list[_Fault] = []
        self._tokens: dict[str, _ReplyToken] = {}
        self._retry_keys: dict[str, tuple[str, float]] = {}  # key → (accepted request id, at)
        self._content: dict[str, _Content] = {}  # message id → what the user sent
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., tuple[int, Any, dict[str, str]]]]] = [
            ("POST", re.compile(r"/v2/bot/message/reply"), self._reply),
            ("POST", re.compile(r"/v2/bot/message/push"), self._push),
            ("POST", re.compile(r"/v2/bot/message/multicast"), self._multicast),
            ("GET", re.compile(r"/v2/bot/message/(?P<message_id>[^/]+)/content"), self._message_content),
            ("GET", re.compile(r"/v2/bot/profile/(?P<user_id>[^/]+)"), self._profile),
            ("GET", re.compile(r"/v2/bot/group/(?P<group_id>[^/]+)/member/(?P<user_id>[^/]+)"), self._member),
            ("GET", re.compile(r"/v2/bot/group/(?P<group_id>[^/]+)/summary"), self._group_summary),
            ("POST", re.compile(r"/v2/bot/chat/loading/start"), self._loading),
            ("POST", re.compile(r"/v2/bot/chat/markAsRead"), self._mark_as_read),
        ]
        self.app = self._build_app()

    # -- setup and inspection -------------------------------------------------------------------

    def issue_reply_token(self, token: str | None = None, *, chat_id: str | None = None) -> str:
        """Register a reply token as issued now (for the chat `chat_id`, when known)."""
        token = token or line_events.new_reply_token()
        self._tokens[token] = _ReplyToken(issued_at=self.clock(), chat_id=chat_id)
        return token

    def add_user(self, user_id: str, display_name: str, *, picture_url: str | None = None,
                 status_message: str | None = None, language: str | None = "th") -> None:
        """Make `user_id` a friend of the account with this profile."""
        self.users[user_id] = _Profile(display_name, user_id, picture_url, status_message, language)

    def remove_user(self, user_id: str) -> None:
        """The user blocked the account: the profile API then answers 404."""
        self.users.pop(user_id, None)

    def add_group(self, group_id: str, name: str, *, picture_url: str | None = None) -> None:
        group = self.groups.setdefault(group_id, _Group())
        group.name, group.picture_url = name, picture_url

    def add_group_member(self, group_id: str, user_id: str, *, display_name: str | None = None,
                         picture_url: str | None = None) -> None:
        """Add a member; without `display_name` the user's (friend) profile is used."""
        if display_name is None:
            if user_id not in self.users:
                raise ValueError(f"{user_id} is not a known user: pass display_name")
            display_name = self.users[user_id].displayName
            picture_url = picture_url or self.users[user_id].pictureUrl
        self.groups.setdefault(group_id, _Group()).members[user_id] = _Profile(display_name, user_id, picture_url)

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """What the user sent in message `message_id` (an image event's): served by
        `GET /v2/bot/message/{message_id}/content`."""
        self._content[message_id] = _Content(bytes(data), content_type)

    def add_fault(self, path: str, *, status: int = 500, times: int = 1, retry_after: int | None = None,
                  delay_seconds: float = 0.0, body: dict[str, Any] | None = None, to: str | None = None,
                  late: bool = False) -> None:
        """The next `times` API calls whose path ends with `path` get this answer instead.

        `delay_seconds` sleeps first; `status=0` means delay only, then answer normally (the work is
        done after the delay: a request stuck on its way to LINE). `late=True` is the other way
        round: the work is done at once (the message accepted, the reply token spent, the retry key
        taken) and LINE's own answer comes only after `delay_seconds`, so a client that timed out
        never hears that its request was delivered; `status` is then ignored. `to` limits the fault
        to requests for one chat: a push's `to`, a multicast that includes it, or a reply whose
        token was issued in that chat.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if late and delay_seconds <= 0:
            raise ValueError("a late answer needs delay_seconds")
        self._faults.append(_Fault(path, status, times, retry_after, delay_seconds, body, to, late))

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset(self) -> None:
        """Forget traffic: requests, deliveries, accepted messages, faults, reply tokens, retry keys,
        and message content (it belongs to the messages delivered).

        Users and groups stay: they are set-up, not traffic.
        """
        for collection in (self.requests, self.deliveries, self._accepted, self._timeline,
                           self._faults, self._tokens, self._retry_keys, self._content):
            collection.clear()

    def accepted_messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Messages LINE accepted, each with `to`, `sentMessageId`, `via`, `requestId` and `at`."""
        return [m for m in self._accepted if to is None or m["to"] == to]

    def transcript(self, *, tz: tzinfo = UTC) -> str:
        """Who said what, in order: webhook events delivered and messages accepted."""
        return "\n".join(self._transcript_lines(tz))

    # -- webhook delivery ----------------------------------------------------------------------

    async def deliver(self, events: list[dict[str, Any]], *, signature: str | None = None) -> httpx.Response:
        """POST events to `webhook_url` as LINE does, signed unless `signature` is given."""
        if not self.webhook_url:
            raise RuntimeError("webhook_url is not set")
        for event in events:
            # In standby mode another channel owns the chat: LINE accepts no reply from this one.
            if "replyToken" in event and event.get("mode", "active") == "active":
                self.issue_reply_token(event["replyToken"], chat_id=_chat_of(event.get("source", {})))
        body = line_events.webhook_body(events, destination=self.bot_user_id)
        headers = {"content-type": line_events.CONTENT_TYPE,
                   "x-line-signature": signature if signature is not None
                   else line_events.sign(body, self.channel_secret)}
        delivery = Delivery(events=list(events), at=self.clock())
        self.deliveries.append(delivery)
        self._timeline.append(delivery)
        try:
            response = await self._webhook.post(self.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
            raise
        delivery.status = response.status_code
        return response

    async def aclose(self) -> None:
        """Close the HTTP client `deliver()` keeps open."""
        await self._webhook.aclose()

    # -- the HTTP API -------------------------------------------------------------------------

    async def _handle(self, request: Request, path: str) -> Response:
        raw = await request.body()
        headers = dict(request.headers)
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:  # recorded as None; POST handlers answer 400
            payload = None
        record = RecordedRequest(request.method, path, headers, payload, self.clock(), str(uuid.uuid4()))
        self.requests.append(record)
        try:
            status, body, extra = await self._answer(record, raw)
        except LineApiError as exc:
            status, body, extra = exc.status, exc.body, exc.headers
        headers = {"x-line-request-id": record.request_id, **extra}
        if isinstance(body, _Content):
            record.status, record.response = status, body.summary()
            return Response(body.data, status, headers=headers, media_type=body.content_type)
        record.status, record.response = status, body
        return JSONResponse(body, status, headers=headers)

    async def _answer(self, record: RecordedRequest, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        if record.headers.get("authorization") != f"Bearer {self.access_token}":
            raise LineApiError(401, AUTH_FAILED)
        fault = self._take_fault(record)
        if fault is not None and fault.late:
            try:
                answer = self._route(record, raw)
            except LineApiError as exc:
                answer = exc.status, exc.body, exc.headers
            await asyncio.sleep(fault.delay_seconds)
            return answer
        if fault is not None:
            if fault.delay_seconds:
                await asyncio.sleep(fault.delay_seconds)
            if fault.status:
                extra = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
                body = fault.body if fault.body is not None else {"message": _fault_message(fault.status)}
                return fault.status, body, extra
        return self._route(record, raw)

    def _route(self, record: RecordedRequest, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        if len(raw) > MAX_BODY_BYTES:
            raise LineApiError(413, "Request entity too large")
        for method, pattern, handler in self._routes:
            if match := pattern.fullmatch(record.path):
                if method != record.method:
                    raise LineApiError(405, "Method not allowed")
                if method == "POST" and not isinstance(record.json, dict):
                    raise LineApiError(400, "The request body could not be parsed as JSON")
                return handler(record, **match.groupdict())
        raise LineApiError(404, "Not found")

    def _take_fault(self, record: RecordedRequest) -> _Fault | None:
        for fault in self._faults:
            if record.path.endswith(fault.path) and (fault.to is None or fault.to in self._chats_of(record)):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _chats_of(self, record: RecordedRequest) -> list[str | None]:
        """The chats a request is for, as far as a fault can tell before it is checked."""
        body = record.json if isinstance(record.json, dict) else {}
        if isinstance(body.get("replyToken"), str):
            token = self._tokens.get(body["replyToken"])
            return [token.chat_id] if token else []
        to = body.get("to")
        return to if isinstance(to, list) else [to]

    def _reply(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        body = record.json
        if "x-line-retry-key" in record.headers:
            raise LineApiError(400, "The retry key is not supported for this API")
        details = validate_messages(body.get("messages"))
        if not body.get("replyToken"):
            details.append({"message": "must be specified", "property": "replyToken"})
        _refuse_invalid(record, details)
        token = self._tokens.get(body["replyToken"])
        if token is None or token.used or self.clock() - token.issued_at > self.reply_token_ttl_seconds:
            raise LineApiError(400, "Invalid reply token")
        token.used = True
        sent = self._accept("reply", [token.chat_id], body["messages"], record.request_id)
        return 200, {"sentMessages": sent}, {}

    def _push(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        body = record.json
        key = self._check_retry_key(record.headers)
        details = validate_messages(body.get("messages"))
        if not isinstance(body.get("to"), str) or not body["to"]:
            details.insert(0, {"message": "must be specified", "property": "to"})
        _refuse_invalid(record, details)
        sent = self._accept("push", [body["to"]], body["messages"], record.request_id)
        self._consume_retry_key(key, record.request_id)
        return 200, {"sentMessages": sent}, {}

    def _multicast(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        body = record.json
        key = self._check_retry_key(record.headers)
        details = validate_messages(body.get("messages"))
        to = body.get("to")
        if (not isinstance(to, list) or not 1 <= len(to) <= MAX_MULTICAST_TO
                or not all(isinstance(user_id, str) and user_id for user_id in to)):
            details.insert(0, {"message": f"Size must be between 1 and {MAX_MULTICAST_TO}", "property": "to"})
        _refuse_invalid(record, details)
        self._accept("multicast", to, body["messages"], record.request_id)
        self._consume_retry_key(key, record.request_id)
        return 200, {}, {}

    def _message_content(self, record: RecordedRequest, message_id: str) -> tuple[int, Any, dict[str, str]]:
        content = self._content.get(message_id)
        if content is None:
            raise LineApiError(404, "Not found")
        return 200, content, {}

    def _profile(self, record: RecordedRequest, user_id: str) -> tuple[int, Any, dict[str, str]]:
        if user_id not in self.users:
            raise LineApiError(404, "Not found")
        profile = self.users[user_id]
        return 200, profile.as_json("displayName", "userId", "language", "pictureUrl", "statusMessage"), {}

    def _member(self, record: RecordedRequest, group_id: str, user_id: str) -> tuple[int, Any, dict[str, str]]:
        group = self.groups.get(group_id)
        if group is None or user_id not in group.members:
            raise LineApiError(404, "Not found")
        return 200, group.members[user_id].as_json("displayName", "userId", "pictureUrl"), {}

    def _group_summary(self, record: RecordedRequest, group_id: str) -> tuple[int, Any, dict[str, str]]:
        group = self.groups.get(group_id)
        if group is None or group.name is None:
            raise LineApiError(404, "Not found")
        summary = {"groupId": group_id, "groupName": group.name}
        if group.picture_url:
            summary["pictureUrl"] = group.picture_url
        return 200, summary, {}

    def _loading(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        body = record.json
        details = []
        if not isinstance(body.get("chatId"), str) or not body["chatId"]:
            details.append({"message": "must be specified", "property": "chatId"})
        seconds = body.get("loadingSeconds", 20)
        if type(seconds) is not int or not 5 <= seconds <= 60 or seconds % 5:
            details.append({"message": "must be a multiple of 5 between 5 and 60", "property": "loadingSeconds"})
        if details:
            raise invalid(details)
        return 202, {}, {}

    def _mark_as_read(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(record.json.get("markAsReadToken"), str) or not record.json["markAsReadToken"]:
            raise invalid([{"message": "must be specified", "property": "markAsReadToken"}])
        return 200, {}, {}

    def _check_retry_key(self, headers: dict[str, str]) -> str | None:
        key = headers.get("x-line-retry-key")
        if key is None:
            return None
        if not UUID_PATTERN.fullmatch(key):
            raise LineApiError(400, "The value of the X-Line-Retry-Key header is invalid")
        key = key.lower()
        accepted = self._retry_keys.get(key)
        if accepted is not None and self.clock() - accepted[1] < RETRY_KEY_TTL_SECONDS:
            raise LineApiError(409, "The retry key is already accepted",
                               headers={"x-line-accepted-request-id": accepted[0]})
        return key

    def _consume_retry_key(self, key: str | None, request_id: str) -> None:
        # Only an accepted request takes the key: after a 5xx or a validation error it stays free.
        if key is not None:
            self._retry_keys[key] = (request_id, self.clock())

    def _accept(self, via: str, recipients: list[str | None], messages: list[dict[str, Any]],
                request_id: str) -> list[dict[str, str]]:
        """Record accepted messages; answers LINE's `sentMessages` (for the first recipient)."""
        at = self.clock()
        sent: list[dict[str, str]] = []
        for n, to in enumerate(recipients):
            for message in messages:
                entry = {"id": line_events.new_message_id()}
                if message["type"] in QUOTABLE_TYPES:
                    entry["quoteToken"] = line_events.new_quote_token()
                if n == 0:
                    sent.append(entry)
                record = {**message, "to": to, "sentMessageId": entry["id"], "via": via,
                          "requestId": request_id, "at": at}
                self._accepted.append(record)
                self._timeline.append(record)
        return sent

    # -- transcript --------------------------------------------------------------------------

    def _name(self, user_id: str | None) -> str:
        if user_id is None:
            return "someone"
        profile = self.users.get(user_id)
        return profile.displayName if profile else user_id

    def _chat_label(self, chat_id: str | None) -> str:
        if chat_id is None:
            return "(unknown chat)"
        if chat_id in self.groups:
            return f"group {self.groups[chat_id].name or chat_id}"
        return self._name(chat_id)

    def _transcript_lines(self, tz: tzinfo) -> Iterator[str]:
        for item in self._timeline:
            if isinstance(item, Delivery):
                suffix = ""
                if item.error or (item.status is not None and not 200 <= item.status < 300):
                    suffix = f"  (webhook: {item.error or item.status})"
                for event in item.events:
                    source = event.get("source", {})
                    chat = _chat_of(source)
                    if "userId" not in source:  # join/leave/member events: the group itself speaks
                        who, where = self._chat_label(chat), ""
                    else:
                        who = self._name(source["userId"])
                        where = "" if chat == source["userId"] else f" in {self._chat_label(chat)}"
                    yield line(item.at, tz, f"{who} → bot{where}", describe_event(event, self._name) + suffix)
            else:
                yield line(item["at"], tz, f"bot → {self._chat_label(item['to'])} ({item['via']})",
                            describe_message(item))

    # -- ASGI app ----------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="LINE Messaging API emulator", version="1")

        @app.api_route("/v2/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False)
        async def api(request: Request, rest: str) -> Response:
            return await self._handle(request, "/v2/" + rest)

        @app.post("/_emulator/deliver")
        async def deliver(events: Annotated[list[dict[str, Any]], Body(embed=True)],
                          signature: Annotated[str | None, Body(embed=True)] = None) -> Response:
            if not self.webhook_url:
                return JSONResponse({"message": "webhook_url is not set"}, 409)
            try:
                response = await self.deliver(events, signature=signature)
            except httpx.HTTPError as exc:
                return JSONResponse({"message": f"webhook unreachable: {exc!r}"}, 502)
            return JSONResponse({"status": response.status_code, "events": events})

        @app.post("/_emulator/say")
        async def say(text: str = Body(...), user: str = Body("Udeveloper0000000000000000000000001"),
                      name: str = Body("ผู้ทดสอบ"), group: str | None = Body(None),
                      wait_seconds: float = Body(3.0)) -> Response:
            """A user types `text` (in `group` if given); answers with what the bot said back. A user
            seen for the first time becomes a friend called `name`, as anyone who messages is."""
            if not self.webhook_url:
                return JSONResponse({"message": "webhook_url is not set"}, 409)
            if user not in self.users:
                self.add_user(user, name)
            chat = group or user
            before = len(self.accepted_messages(chat))
            try:
                await self.deliver([line_events.text_message(user, text, group_id=group)])
            except httpx.HTTPError as exc:
                return JSONResponse({"message": f"webhook unreachable: {exc!r}"}, 502)
            deadline = self.clock() + wait_seconds
            while len(self.accepted_messages(chat)) == before and self.clock() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # an answer may come in several requests
            return JSONResponse({"answers": [describe_message(m) for m in self.accepted_messages(chat)[before:]]})

        @app.post("/_emulator/content/{message_id}")
        async def put_content(message_id: str, request: Request) -> dict[str, Any]:
            """Store what a user sends in message `message_id` (raw body, its content-type): then
            deliver an image event with that id (`/_emulator/deliver`) and the service can fetch it."""
            self.add_content(message_id, await request.body(),
                             request.headers.get("content-type") or "application/octet-stream")
            return {"messageId": message_id, **self._content[message_id].summary()}

        @app.get("/_emulator/requests")
        async def list_requests() -> list[dict[str, Any]]:
            return [asdict(r) for r in self.requests]

        @app.delete("/_emulator/requests")
        async def reset() -> dict[str, Any]:
            self.reset()
            return {}

        @app.get("/_emulator/messages")
        async def list_messages(to: str | None = None) -> list[dict[str, Any]]:
            return self.accepted_messages(to)

        @app.post("/_emulator/faults")
        async def add_fault(path: str = Body(...), status: int = Body(500), times: int = Body(1),
                            retry_after: int | None = Body(None), delay_seconds: float = Body(0.0),
                            body: Annotated[dict[str, Any] | None, Body()] = None,
                            to: str | None = Body(None), late: bool = Body(False)) -> Response:
            try:
                self.add_fault(path, status=status, times=times, retry_after=retry_after,
                               delay_seconds=delay_seconds, body=body, to=to, late=late)
            except ValueError as exc:
                return JSONResponse({"message": str(exc)}, 400)
            return JSONResponse({})

        @app.delete("/_emulator/faults")
        async def clear_faults() -> dict[str, Any]:
            self.clear_faults()
            return {}

        @app.put("/_emulator/users/{user_id}")
        async def put_user(user_id: str, displayName: str = Body(...),
                           pictureUrl: str | None = Body(None), statusMessage: str | None = Body(None),
                           language: str | None = Body("th")) -> dict[str, Any]:
            self.add_user(user_id, displayName, picture_url=pictureUrl, status_message=statusMessage,
                          language=language)
            return self.users[user_id].as_json("displayName", "userId", "language", "pictureUrl", "statusMessage")

        @app.delete("/_emulator/users/{user_id}")
        async def delete_user(user_id: str) -> dict[str, Any]:
            self.remove_user(user_id)
            return {}

        @app.get("/_emulator/transcript", response_class=PlainTextResponse)
        async def transcript() -> str:
            return self.transcript()

        app.add_middleware(_RequestIdMiddleware)
        return app


def _refuse_invalid(record: RecordedRequest, details: list[dict[str, str]]) -> None:
    """400 for a message request that breaks LINE's limits or, those kept, LINE's schema."""
    details = details or request_errors(record.path, record.json)
    if details:
        raise invalid(details)


def _fault_message(status: int) -> str:
    if status == 429:
        return "The API rate limit has been exceeded. Try again later."
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"



def run(host: str, port: int, *, channel_secret: str, access_token: str, webhook_url: str | None) -> None:
    """Serve the emulator with uvicorn until interrupted (`rongtuk line-emulator`)."""
    emulator = LineEmulator(channel_secret=channel_secret, access_token=access_token, webhook_url=webhook_url)
    uvicorn.run(emulator.app, host=host, port=port)
