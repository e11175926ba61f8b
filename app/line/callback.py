"""LINE's callback body, checked before anything is stored: the envelope and each event's header
declaratively (bounds that match the inbox columns), then each event's content with line-bot-sdk's
own models, which are generated from LINE's OpenAPI specification.

A body that fails any check is refused whole with 400, so what the inbox stores is always a
well-formed LINE event. Two things are let through on purpose: an event or message type this SDK
does not know yet (LINE adds types; it is stored and left alone), and characters a database
refuses (NUL, lone surrogates), which are stored as U+FFFD so both databases keep the same text.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

import pydantic.v1
from linebot.v3.webhooks import Event
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

MAX_DEPTH = 16  # LINE's deepest event (a mention inside a message) is 6 levels down
MAX_EVENTS = 100
# 9999-12-31T23:59:59.999Z: anything later is not a time a datetime can hold.
MAX_TIMESTAMP_MS = 253_402_300_799_999

# LINE's ids are a letter and 32 hex digits (U…, C…, R…); the columns hold 64.
LineId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Token = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")]


class Invalid(ValueError):
    """The body is not a well-formed LINE callback; the message says where."""


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Source(_Model):
    type: Literal["user", "group", "room"]
    userId: LineId | None = None
    groupId: LineId | None = None
    roomId: LineId | None = None

    @model_validator(mode="after")
    def _has_its_chat(self) -> Source:
        needed = {"user": "userId", "group": "groupId", "room": "roomId"}[self.type]
        if getattr(self, needed) is None:
            raise ValueError(f"a {self.type} source needs {needed}")
        return self


class DeliveryContext(_Model):
    isRedelivery: bool


# Where each event we act on can come from (LINE's reference): the handlers rely on it.
_SOURCES = {
    "message": ("user", "group", "room"), "postback": ("user", "group", "room"),
    "follow": ("user",), "unfollow": ("user",),
    "join": ("group", "room"), "leave": ("group", "room"),
    "memberJoined": ("group", "room"), "memberLeft": ("group", "room"),
}


class EventHeader(_Model):
    type: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    mode: Literal["active", "standby"]
    timestamp: Annotated[int, Field(ge=0, le=MAX_TIMESTAMP_MS)]
    webhookEventId: LineId
    deliveryContext: DeliveryContext
    source: Source | None = None
    replyToken: Token | None = None

    @model_validator(mode="after")
    def _from_where_it_can_come(self) -> EventHeader:
        allowed = _SOURCES.get(self.type)
        if allowed and (self.source is None or self.source.type not in allowed):
            raise ValueError(f"a {self.type} event comes from a {' or '.join(allowed)} source")
        return self


class Envelope(_Model):
    destination: LineId | None = None
    events: Annotated[list[dict[str, Any]], Field(max_length=MAX_EVENTS)]


def parse(body: bytes) -> list[dict[str, Any]]:
    """The events of a signed body, checked and cleaned; raises Invalid."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise Invalid("malformed JSON: nested too deeply") from None
    except ValueError as exc:
        raise Invalid(f"malformed JSON: {exc}") from None
    data = clean(data)
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        raise Invalid(_describe(exc, "")) from None
    for i, event in enumerate(envelope.events):
        try:
            EventHeader.model_validate(event)
        except ValidationError as exc:
            raise Invalid(_describe(exc, f"events[{i}]")) from None
        problem = content_problem(event)
        if problem:
            raise Invalid(f"events[{i}]: {problem}")
    return envelope.events


def sdk_event(payload: dict[str, Any]) -> Any | None:
    """The event as line-bot-sdk's model, or None when its type (or its message's) is one this SDK
    does not know. Raises on content that LINE's schema does not allow."""
    try:
        return Event.from_dict(payload)
    except pydantic.v1.ValidationError:
        raise
    except ValueError as exc:
        if "failed to lookup discriminator" in str(exc) and _discriminators_are_strings(payload):
            return None
        raise


def content_problem(event: dict[str, Any]) -> str | None:
    """Why LINE's schema refuses this event's content, or None."""
    try:
        sdk_event(event)
    except pydantic.v1.ValidationError as exc:
        return " ".join(str(exc).split("\n", 1)[-1].split())[:300]
    except Exception as exc:  # hostile shapes reach the SDK's code as TypeError, KeyError …
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def clean(value: Any) -> Any:
    """NUL and lone surrogates → U+FFFD, everywhere in a parsed JSON value (keys too); refuses
    values nested deeper than MAX_DEPTH. Iterative, so depth costs no stack."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]
    while stack:
        parent, key, depth = stack.pop()
        item = parent[key]
        if isinstance(item, str):
            parent[key] = _clean_text(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise Invalid(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                if any(_needs_cleaning(k) for k in item):
                    item = parent[key] = {_clean_text(k): v for k, v in item.items()}
                stack.extend((item, k, depth + 1) for k in item)
            else:
                stack.extend((item, i, depth + 1) for i in range(len(item)))
    return root[0]


_REFUSED_BY_DATABASES = re.compile("[\x00\ud800-\udfff]")


def _needs_cleaning(text: str) -> bool:
    return _REFUSED_BY_DATABASES.search(text) is not None


def _clean_text(text: str) -> str:
    return _REFUSED_BY_DATABASES.sub("\ufffd", text)


def _discriminators_are_strings(payload: dict[str, Any]) -> bool:
    """An unknown type is new only if it is a name; a number or null there is a malformed event."""
    message = payload.get("message")
    return isinstance(payload.get("type"), str) and (
        message is None or (isinstance(message, dict) and isinstance(message.get("type"), str)))


def _describe(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    if not first["loc"] and not where:
        return "body must be an object with an events array"
    path = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    return f"{path.lstrip('.') or 'body'}: {first['msg']}"
