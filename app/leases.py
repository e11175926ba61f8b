"""Leases: how the inbox worker and the outbox sender take rows to work without taking them from
each other. A claim marks rows with a fresh token and an expiry, committed before any work starts;
a worker that dies leaves the lease to run out, and the row is claimed again."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.dialect import lock_skip_locked


async def claim(session: AsyncSession, model, candidates: Select, *, now: datetime, lease_seconds: float,
                order_by) -> list:
    """Lease the rows whose ids `candidates` selects (locked with SKIP LOCKED on PostgreSQL, so
    replicas never claim the same row) and count the attempt. Returns them in `order_by` order."""
    ids = list((await session.scalars(lock_skip_locked(session, candidates, model))).all())
    if not ids:
        return []
    await session.execute(
        update(model)
        .where(model.id.in_(ids))
        .values(claim_token=str(uuid.uuid4()), claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return list((await session.scalars(select(model).where(model.id.in_(ids)).order_by(*order_by))).all())
