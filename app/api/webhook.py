"""POST /webhook: verify LINE's signature on the raw body, check it (app/line/callback.py), store
the events, answer 200.

Nothing else happens here: the events are worked by the inbox worker after the answer, so LINE
gets its 200 in milliseconds whatever the handlers do. A body that is not a well-formed callback
gets 4xx and stores nothing; only a database that cannot store a good body gets 503, so LINE
delivers it again.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.webhook import SignatureValidator

from app.line import callback
from app.observability import WEBHOOK_EVENTS, WEBHOOK_REQUESTS
from app.pipeline import intake

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
        events = callback.parse(body)
    except BadWebhook as exc:
        return _refused(exc.status, exc.message)
    except callback.Invalid as exc:
        return _refused(400, str(exc))
    new = 0
    if events:
        try:
            new = await state.inbox_writer.store(events, received_at=intake.received_at(request))
        except Exception:
            log.exception("webhook events not stored")
            return _refused(503, "events could not be stored; deliver them again")
        if new:
            state.wake_inbox()
    WEBHOOK_REQUESTS.labels("200").inc()
    WEBHOOK_EVENTS.labels("stored").inc(new)
    WEBHOOK_EVENTS.labels("duplicate").inc(len(events) - new)
    return JSONResponse({})


def _refused(status: int, message: str) -> JSONResponse:
    WEBHOOK_REQUESTS.labels(str(status)).inc()
    log.warning("webhook refused", extra={"status": status, "reason": message})
    return JSONResponse({"message": message}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):  # "²".isdigit() is True
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
