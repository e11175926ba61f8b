"""POST /webhook: verify LINE's signature on the raw body, store the events, answer 200.

Nothing else happens here: the events are worked by the inbox worker after the answer, so LINE
gets its 200 in milliseconds whatever the handlers do.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

from app.observability import WEBHOOK_EVENTS, WEBHOOK_REQUESTS

router = APIRouter()
log = logging.getLogger(__name__)


class BadWebhook(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@router.post("/webhook", include_in_schema=False)
async def receive(request: Request) -> JSONResponse:
    state = request.app.state
    try:
        body = await _read_body(request, state.settings.webhook_max_body_bytes)
        _verify(body, request.headers.get("x-line-signature"), state.signature_validator)
        events = _events(body)
    except BadWebhook as exc:
        WEBHOOK_REQUESTS.labels(str(exc.status)).inc()
        log.warning("webhook refused", extra={"status": exc.status, "reason": exc.message})
        return JSONResponse({"message": exc.message}, status_code=exc.status)
    new = 0
    if events:
        new = await state.inbox_writer.store(events)
        if new:
            state.wake_inbox()
    WEBHOOK_REQUESTS.labels("200").inc()
    WEBHOOK_EVENTS.labels("stored").inc(new)
    WEBHOOK_EVENTS.labels("duplicate").inc(len(events) - new)
    return JSONResponse({})


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadWebhook(400, "invalid Content-Length")
        if int(declared) > limit:
            raise BadWebhook(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadWebhook(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _verify(body: bytes, signature: str | None, validator: SignatureValidator) -> None:
    # The SDK compares in constant time; it must see the raw bytes, never re-serialised JSON.
    if not signature:
        raise BadWebhook(400, "missing x-line-signature")
    if not validator.validate(body.decode("utf-8", errors="replace"), signature):
        raise BadWebhook(400, "invalid signature")


def _events(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadWebhook(400, f"malformed JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise BadWebhook(400, "body must be an object with an events array")
    for i, event in enumerate(data["events"]):
        if not isinstance(event, dict):
            raise BadWebhook(400, f"events[{i}] is not an object")
        if not isinstance(event.get("type"), str):
            raise BadWebhook(400, f"events[{i}].type missing")
        if not isinstance(event.get("timestamp"), int):
            raise BadWebhook(400, f"events[{i}].timestamp missing")
        event_id = event.get("webhookEventId")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
            raise BadWebhook(400, f"events[{i}].webhookEventId missing")
        if "source" in event and not isinstance(event["source"], dict):
            raise BadWebhook(400, f"events[{i}].source is not an object")
    return data["events"]
