"""Leases: how the inbox worker and the outbox sender take rows to work without taking them from
each other. A claim marks rows with a fresh token and an expiry, committed before any work starts;
a worker that dies leaves the lease to run out, and the row is claimed again. A try that fails
puts the row back for later, after an exponential backoff.

Each claim also records who made it (`claimed_by`, the worker id: stable across a worker's
restarts), so a worker that starts again releases what it held when it died (`release_held`) and
those rows are claimable at once instead of after their lease. A claim takes its owner from the
`owner` argument or, by default, from `OWNER`, which the worker sets once for everything it runs.

Both tables have the columns this needs: status, available_at, claimed_until, claim_token,
claimed_by, attempts."""

from __future__ import annotations

import random
import uuid
from contextvars import ContextVar
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, Select, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.dialect import lock_skip_locked
from app.errors import NotFound, TransitionNotAllowed


class LeaseLost(RuntimeError):
    """A row's lease ran out and another worker claimed it: what was done with it is undone."""


# The worker id claims are made for when a caller names none (app/pipeline/workers.py sets it).
OWNER: ContextVar[str | None] = ContextVar("lease_owner", default=None)


def due(model, now: datetime | BindParameter):
    """Rows waiting to be worked: pending, past their backoff, and not leased by anyone. `now`: a
    time, or the bound parameter of a statement built once (claim_statement)."""
    return and_(model.status == "pending", model.available_at <= now,
                or_(model.claimed_until.is_(None), model.claimed_until < now))


def claim_statement(model, candidates: Select, *, order_by, dialect_name: str, values: dict | None = None):
    """The UPDATE … RETURNING that leases the due rows among the ids `candidates` selects (locked
    with SKIP LOCKED on PostgreSQL, so replicas never claim the same row) and counts the attempt.
    Built once per caller and database (`claim` runs it): whatever changes from one claim to the
    next is a bound parameter (`now`, `lease_until`, `token`, `owner`, and the caller's own), so a
    claim costs its execution only. Building it anew each time cost more CPU than running it.
    `values`: more columns the claim sets, or a lease (`claimed_until`) of its own per row."""
    chosen = candidates.where(due(model, bindparam("now", type_=model.available_at.type))).order_by(*order_by)
    chosen = lock_skip_locked(dialect_name, chosen, model).cte("chosen")
    changes = {"claim_token": bindparam("token", type_=model.claim_token.type),
               "claimed_until": bindparam("lease_until", type_=model.claimed_until.type),
               "claimed_by": bindparam("owner", type_=model.claimed_by.type), "attempts": model.attempts + 1}
    return (update(model).where(model.id.in_(select(chosen.c.id))).values(changes | (values or {}))
            .returning(model).execution_options(synchronize_session=False))


async def claim(session: AsyncSession, statement, *, now: datetime, lease_seconds: float, order_by,
                owner: str | None = None, token: str | None = None, **params) -> list:
    """Run a `claim_statement` for `owner` (default: `OWNER`), with a new token unless `token`
    (a claim that adds to one made before it in the transaction); `params`: the caller's own bound
    values. Returns the rows in `order_by` order."""
    rows = (await session.scalars(statement, {
        "now": now, "lease_until": now + timedelta(seconds=lease_seconds), "token": token or str(uuid.uuid4()),
        "owner": owner if owner is not None else OWNER.get(), **params})).all()
    return sorted(rows, key=lambda row: tuple(getattr(row, column.key) for column in order_by))


async def release_held(session: AsyncSession, model, *, owner: str) -> int:
    """Give back the leases `owner` holds on rows still pending: called by a worker as it starts,
    when whatever it claimed before is no longer being worked by anyone (it died, or stopped
    mid-item). Returns how many were released."""
    result = await session.execute(
        update(model)
        .where(model.claimed_by == owner, model.status == "pending", model.claim_token.is_not(None))
        .values(claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def backoff_seconds(attempts: int, *, base: float, cap: float = float("inf")) -> float:
    """base, 2·base, 4·base … after each failed try, at most `cap`, with ±20 % jitter so rows that
    failed together do not come back together."""
    return min(cap, base * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)


async def given_up(session: AsyncSession, model, status: str, *, limit: int) -> list:
    """Rows that ended in `status` (dead, failed), the most recent first."""
    return list((await session.scalars(select(model).where(model.status == status)
                                       .order_by(model.id.desc()).limit(limit))).all())


async def requeue(session: AsyncSession, model, row_id: int, *, from_status: str, now: datetime, what: str):
    """Put a given-up row back in line, its tries counted from zero. Only from `from_status`: a row
    that was done must not act twice. `what` names the row for the person who asked (Thai)."""
    row = await session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFound(f"ไม่พบ{what}หมายเลข {row_id}", id=row_id)
    if row.status != from_status:
        raise TransitionNotAllowed(f"{what}หมายเลข {row_id} อยู่ในสถานะ {row.status} "
                                   f"ทำซ้ำได้เฉพาะที่อยู่ในสถานะ {from_status} ค่ะ", id=row_id, status=row.status)
    row.status, row.attempts, row.available_at = "pending", 0, now
    row.claim_token = row.claimed_until = None
    return row
