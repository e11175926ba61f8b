"""Webhook bodies of LINE's exact shape, correctly signed.

Pure functions for tests, the LINE emulator, the demo and benchmarks. Every builder returns one
event dict carrying every field LINE sends (see the SDK fixture `tests/v3/text/webhook.json`), so
`linebot.v3.webhook.WebhookParser` parses it into the proper class and never into `UnknownEvent`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

from typing_extensions import Unpack
from ulid import ULID

DEFAULT_DESTINATION = "U" + "0" * 31 + "1"
"""The bot's own user id that LINE puts in `destination` (fixed, so bodies are reproducible)."""

CONTENT_TYPE = "application/json; charset=utf-8"

# 18-digit ids like LINE's ("354718705033693861"): a process-wide counter seeded from the clock,
# so ids of incoming messages and of messages the emulator sends never collide.
_message_ids = itertools.count(time.time_ns() // 1_000_000 * 100_000)


def sign(body: bytes, channel_secret: str) -> str:
    """The `x-line-signature` of a body: base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def new_event_id() -> str:
    """A `webhookEventId` (LINE uses ULIDs)."""
    return str(ULID())


def new_reply_token() -> str:
    return secrets.token_hex(16)


def new_message_id() -> str:
    """An 18-digit numeric message id, unique within the process."""
    return str(next(_message_ids))


def new_quote_token() -> str:
    return secrets.token_urlsafe(48)


def new_mark_as_read_token() -> str:
    return secrets.token_urlsafe(32)


def source(user_id: str | None = None, *, group_id: str | None = None, room_id: str | None = None) -> dict[str, str]:
    """The event `source`: a user (1:1 chat), a group or a room (with the sender's `userId` if any)."""
    if group_id and room_id:
        raise ValueError("an event comes from a group or a room, not both")
    if group_id:
        src = {"type": "group", "groupId": group_id}
    elif room_id:
        src = {"type": "room", "roomId": room_id}
    elif user_id:
        return {"type": "user", "userId": user_id}
    else:
        raise ValueError("a source needs a user_id, group_id or room_id")
    if user_id:
        src["userId"] = user_id
    return src


def timestamp_ms(at: datetime | None = None) -> int:
    """LINE's `timestamp`: milliseconds since the epoch; `at` must be timezone-aware (default: now)."""
    if at is None:
        at = datetime.now(UTC)
    elif at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return int(at.timestamp() * 1000)


class EventOptions(TypedDict, total=False):
    """What every builder takes: the event's id, time (default now), mode and redelivery flag."""

    event_id: str | None
    at: datetime | None
    mode: str  # "active" (default) or "standby"
    redelivery: bool


class ReplyableOptions(EventOptions, total=False):
    reply_token: str | None  # generated when not given


class ChatOptions(ReplyableOptions, total=False):
    group_id: str | None  # in a group chat (else a 1:1 chat with the user)
    room_id: str | None


class MessageOptions(ChatOptions, total=False):
    message_id: str | None


def _event(
    type_: str,
    src: dict[str, str],
    *,
    replyable: bool,
    payload: Mapping[str, Any] | None = None,
    reply_token: str | None = None,
    event_id: str | None = None,
    at: datetime | None = None,
    mode: str = "active",
    redelivery: bool = False,
) -> dict[str, Any]:
    if mode not in ("active", "standby"):
        raise ValueError(f"mode must be 'active' or 'standby', not {mode!r}")
    event: dict[str, Any] = {"type": type_}
    if replyable:
        event["replyToken"] = reply_token or new_reply_token()
    event.update(
        mode=mode,
        timestamp=timestamp_ms(at),
        source=src,
        webhookEventId=event_id or new_event_id(),
        deliveryContext={"isRedelivery": redelivery},
    )
    event.update(payload or {})
    return event


def _message(user_id: str, content: dict[str, Any], *, group_id: str | None = None, room_id: str | None = None,
             message_id: str | None = None, **options: Unpack[ReplyableOptions]) -> dict[str, Any]:
    message = {"id": message_id or new_message_id(), **content}
    if not group_id and not room_id:
        message["markAsReadToken"] = new_mark_as_read_token()
    return _event("message", source(user_id, group_id=group_id, room_id=room_id), replyable=True,
                  payload={"message": message}, **options)


def text_message(user_id: str, text: str, *, quoted_message_id: str | None = None,
                 **options: Unpack[MessageOptions]) -> dict[str, Any]:
    """A text message; `quoted_message_id` when the user quoted an earlier message."""
    content: dict[str, Any] = {"type": "text", "text": text, "quoteToken": new_quote_token()}
    if quoted_message_id:
        content["quotedMessageId"] = quoted_message_id
    return _message(user_id, content, **options)


def image_message(user_id: str, **options: Unpack[MessageOptions]) -> dict[str, Any]:
    """An image sent from the LINE app (its content lives on LINE's servers)."""
    content = {"type": "image", "contentProvider": {"type": "line"}, "quoteToken": new_quote_token()}
    return _message(user_id, content, **options)


def location_message(user_id: str, latitude: float, longitude: float, *, title: str | None = None,
                     address: str | None = None, **options: Unpack[MessageOptions]) -> dict[str, Any]:
    """A shared location; LINE leaves out `title` and `address` when it has none."""
    content: dict[str, Any] = {"type": "location"}
    if title is not None:
        content["title"] = title
    if address is not None:
        content["address"] = address
    content.update(latitude=latitude, longitude=longitude)
    return _message(user_id, content, **options)


def sticker_message(user_id: str, package_id: str = "446", sticker_id: str = "1988", *,
                    keywords: Sequence[str] = ("Hello",), **options: Unpack[MessageOptions]) -> dict[str, Any]:
    content = {
        "type": "sticker",
        "packageId": package_id,
        "stickerId": sticker_id,
        "stickerResourceType": "STATIC",
        "keywords": list(keywords),
        "quoteToken": new_quote_token(),
    }
    return _message(user_id, content, **options)


def postback(user_id: str, data: str, *, params: Mapping[str, str] | None = None, group_id: str | None = None,
             room_id: str | None = None, **options: Unpack[ReplyableOptions]) -> dict[str, Any]:
    """A tap on a postback action; `params` for date/time pickers and rich menu switches."""
    content: dict[str, Any] = {"data": data}
    if params is not None:
        content["params"] = dict(params)
    return _event("postback", source(user_id, group_id=group_id, room_id=room_id), replyable=True,
                  payload={"postback": content}, **options)


def follow(user_id: str, *, unblocked: bool = False, **options: Unpack[ReplyableOptions]) -> dict[str, Any]:
    """The user added the account as a friend (or unblocked it)."""
    return _event("follow", source(user_id), replyable=True, payload={"follow": {"isUnblocked": unblocked}},
                  **options)


def unfollow(user_id: str, **options: Unpack[EventOptions]) -> dict[str, Any]:
    """The user blocked the account (no reply token: nobody is left to answer)."""
    return _event("unfollow", source(user_id), replyable=False, **options)


def join(group_id: str, **options: Unpack[ReplyableOptions]) -> dict[str, Any]:
    """The account was added to a group."""
    return _event("join", source(group_id=group_id), replyable=True, **options)


def leave(group_id: str, **options: Unpack[EventOptions]) -> dict[str, Any]:
    """The account was removed from a group."""
    return _event("leave", source(group_id=group_id), replyable=False, **options)


def _members(user_ids: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    return {"members": [{"type": "user", "userId": uid} for uid in user_ids]}


def member_joined(group_id: str, user_ids: Iterable[str], **options: Unpack[ReplyableOptions]) -> dict[str, Any]:
    return _event("memberJoined", source(group_id=group_id), replyable=True,
                  payload={"joined": _members(user_ids)}, **options)


def member_left(group_id: str, user_ids: Iterable[str], **options: Unpack[EventOptions]) -> dict[str, Any]:
    return _event("memberLeft", source(group_id=group_id), replyable=False,
                  payload={"left": _members(user_ids)}, **options)


def webhook_body(events: Sequence[Mapping[str, Any]], *, destination: str = DEFAULT_DESTINATION) -> bytes:
    """The raw webhook body: compact UTF-8 JSON, as LINE sends it."""
    payload = {"destination": destination, "events": list(events)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed(
    events: Sequence[Mapping[str, Any]],
    channel_secret: str,
    *,
    destination: str = DEFAULT_DESTINATION,
) -> tuple[bytes, dict[str, str]]:
    """The body and the headers LINE would POST to the webhook."""
    body = webhook_body(events, destination=destination)
    return body, {"content-type": CONTENT_TYPE, "x-line-signature": sign(body, channel_secret)}
