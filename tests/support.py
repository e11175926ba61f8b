"""Helpers for tests: the service driver (app/line/testing.py) with the test token, and the
inbox's own events."""

from __future__ import annotations

from app.line.testing import ServiceDriver as Service
from app.line.testing import buttons, quick_replies

ADMIN_HEADERS = {"Authorization": "Bearer test-admin-token"}


def inbox_event(event_id: str, ms: int, *, user: str = "U1", redelivery: bool = False) -> dict:
    """A text event with the id and LINE timestamp (ms since the epoch) a test orders by, and fixed
    tokens: for the inbox alone (app.line.events builds what the webhook gets, fresh ids and all)."""
    return {"type": "message", "mode": "active", "timestamp": ms, "source": {"type": "user", "userId": user},
            "webhookEventId": event_id, "deliveryContext": {"isRedelivery": redelivery}, "replyToken": "r" + event_id,
            "message": {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"}}


__all__ = ["ADMIN_HEADERS", "Service", "buttons", "inbox_event", "quick_replies"]
