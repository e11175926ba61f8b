"""The webhook inbox: record events before the 200, claim them for the worker, finish or retry.

A claim is a lease (claimed_until, claim_token) committed before work starts; `finish` takes the
row back only if the lease is still ours, in the same transaction as the handler's writes. A worker
killed mid-event leaves the lease to run out, and the event is worked again from scratch.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.dialect import insert_ignoring_duplicates, lock_skip_locked
from models import InboxEvent, InboxStatus


def source_key(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    return source.get("groupId") or source.get("roomId") or source.get("userId") or "-"


async def record(session: AsyncSession, events: list[dict[str, Any]], *, now: datetime) -> int:
    """Store events idempotently on webhookEventId. Returns how many were new."""
    if not events:
        return 0
    rows = [
        {
            "webhook_event_id": e["webhookEventId"],
            "event_type": e["type"],
            "source_key": source_key(e),
            "event_timestamp": e["timestamp"],
            "is_redelivery": bool((e.get("deliveryContext") or {}).get("isRedelivery")),
            "payload": e,
            "status": InboxStatus.pending,
            "attempts": 0,
            "available_at": now,
            "received_at": now,
        }
        for e in events
    ]
    stmt = insert_ignoring_duplicates(session, InboxEvent.__table__, ["webhook_event_id"])
    result = await session.execute(stmt.values(rows))  # one multi-row INSERT: rowcount is exact
    return max(result.rowcount or 0, 0)


async def claim(session: AsyncSession, *, now: datetime, lease_seconds: float, limit: int) -> list[InboxEvent]:
    """Lease up to `limit` due events, oldest first, at most the earliest pending one per chat so a
    chat's events run in LINE's timestamp order even across replicas."""
    earlier = aliased(InboxEvent)
    blocked_by_earlier = exists().where(
        earlier.source_key == InboxEvent.source_key,
        earlier.status == InboxStatus.pending,
        or_(
            earlier.event_timestamp < InboxEvent.event_timestamp,
            and_(earlier.event_timestamp == InboxEvent.event_timestamp, earlier.id < InboxEvent.id),
        ),
    )
    stmt = (
        select(InboxEvent.id)
        .where(
            InboxEvent.status == InboxStatus.pending,
            InboxEvent.available_at <= now,
            or_(InboxEvent.claimed_until.is_(None), InboxEvent.claimed_until < now),
            ~blocked_by_earlier,
        )
        .order_by(InboxEvent.event_timestamp, InboxEvent.id)
        .limit(limit)
    )
    ids = list((await session.scalars(lock_skip_locked(session, stmt, InboxEvent))).all())
    if not ids:
        return []
    token = str(uuid.uuid4())
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id.in_(ids))
        .values(claim_token=token, claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=InboxEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.scalars(select(InboxEvent).where(InboxEvent.id.in_(ids)))).all()
    return sorted(rows, key=lambda r: (r.event_timestamp, r.id))


async def finish(session: AsyncSession, event: InboxEvent, *, now: datetime) -> bool:
    """Mark done if the lease is still ours; call first in the handler's transaction (on PostgreSQL
    it also locks the row until commit). False: another worker has it, do nothing."""
    result = await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event.id, InboxEvent.claim_token == event.claim_token,
               InboxEvent.status == InboxStatus.pending)
        .values(status=InboxStatus.done, processed_at=now, claim_token=None, claimed_until=None,
                last_error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def fail(session: AsyncSession, event: InboxEvent, error: str, *, now: datetime,
               max_attempts: int, retry_base_seconds: float) -> str:
    """Record a failed try: back off and retry, or after the last try keep it as dead."""
    if event.attempts >= max_attempts:
        values: dict[str, Any] = {"status": InboxStatus.dead, "processed_at": now}
    else:
        delay = retry_base_seconds * 2 ** (event.attempts - 1) * random.uniform(0.8, 1.2)
        values = {"available_at": now + timedelta(seconds=delay)}
    await session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event.id, InboxEvent.claim_token == event.claim_token)
        .values(claim_token=None, claimed_until=None, last_error=error[:4000], **values)
        .execution_options(synchronize_session=False)
    )
    return values.get("status", InboxStatus.pending)
