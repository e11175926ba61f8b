"""LINE's timestamps are taken as when people acted, unless they cannot be: a time far ahead of
when the webhook received the event, or before the card it acts on existed, is replaced by the
receive time (both stay on the inbox event), so no TTA, FRT or TTR is negative or absurd."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.line import events
from models import InboxEvent
from tests.support import buttons
from tests.test_coordination import BANGRAK_1, CENTRE, desk  # noqa: F401  (the fixture)

TEN_YEARS = timedelta(days=3652)


async def _acknowledge(desk, at: datetime):
    number = await desk.forward()
    tap = events.postback(BANGRAK_1, buttons(desk.service.last_card(BANGRAK_1))["รับเรื่อง"], at=at)
    [answer] = [m["text"] for m in await desk.service.exchange(tap, BANGRAK_1)]
    assert answer.startswith(f"รับเรื่อง {number}")
    async with desk.service.sessionmaker() as s:
        row = await s.scalar(select(InboxEvent).where(InboxEvent.webhook_event_id == tap["webhookEventId"]))
    return (await desk.case(number)).assignments[0], row


@pytest.mark.parametrize("offset", [TEN_YEARS, timedelta(minutes=5)], ids=["ten-years-ahead", "minutes-ahead"])
async def test_a_time_from_the_future_is_the_receive_time(desk, offset):
    claimed = datetime.now(UTC) + offset
    a, row = await _acknowledge(desk, claimed)
    assert a.acknowledged_at == row.received_at  # not LINE's
    assert row.event_timestamp == events.timestamp_ms(claimed)  # LINE's time is kept on the event
    assert 0 <= a.tta_seconds < 600 and a.tta_seconds == (a.acknowledged_at - a.forwarded_at).total_seconds()


@pytest.mark.parametrize("claimed", [datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC) - timedelta(days=1)],
                         ids=["1970", "a-day-before-the-card"])
async def test_a_time_before_the_card_existed_is_the_receive_time(desk, claimed):
    a, row = await _acknowledge(desk, claimed)
    assert a.acknowledged_at == row.received_at >= a.forwarded_at
    assert 0 <= a.tta_seconds < 600 and a.first_response_at == a.acknowledged_at


async def test_a_time_slightly_ahead_is_lines_own(desk):
    """Within the allowed clock skew LINE's time stands."""
    claimed = datetime.now(UTC) + timedelta(seconds=20)
    a, _ = await _acknowledge(desk, claimed)
    assert a.acknowledged_at == claimed.replace(microsecond=claimed.microsecond // 1000 * 1000)


async def test_absurd_times_leave_the_metrics_sane(desk):
    for claimed in (datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC) + TEN_YEARS):
        await _acknowledge(desk, claimed)
    async with desk.service.http() as client:
        figures = (await client.get("/api/v1/metrics/response-times", params={"agency": "1004"})).json()
    tta = figures["total"]["tta"]
    assert figures["total"]["counts"]["acknowledged"] == 2
    assert 0 <= tta["p50_seconds"] <= tta["p90_seconds"] < 600
