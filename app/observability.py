"""Structured logs and Prometheus metrics."""

from __future__ import annotations

import logging
import sys

from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter

WEBHOOK_EVENTS = Counter("rongtuk_webhook_events_total", "Webhook events received", ["result"])
WEBHOOK_REQUESTS = Counter("rongtuk_webhook_requests_total", "Webhook requests", ["status"])
INBOX_EVENTS = Counter("rongtuk_inbox_events_total", "Inbox events worked", ["result"])
# result: sent, duplicate (409: LINE had it already), retry (5xx), no_answer (timeout: LINE may have
# done it), rate_limited (429), failed, expired, token_refused (a reply goes by push instead),
# sent_earlier (a reply's probe found the token spent by the attempt whose answer was lost),
# unknown_pushed (a reply's outcome never known before its token expired: pushed, maybe twice).
OUTBOX_MESSAGES = Counter("rongtuk_outbox_requests_total", "Requests to LINE by outcome", ["kind", "result"])
EVENT_LAG = Histogram(
    "rongtuk_event_lag_seconds", "From LINE's event timestamp to the end of its handling",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)


def setup_logging(level: str = "INFO", *, json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # One line per webhook delivery, readiness probe or scheduler run is noise, not news
    # (app.scheduler logs each run's result itself).
    for noisy in ("httpx", "alembic.runtime.migration", "alembic.runtime.plugins", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
