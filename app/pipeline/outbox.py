"""The message outbox: what the service says to LINE, written in the transaction that decided it.

Handlers call `reply` / `push`; every message is finished for LINE on the way in
(app/line/finishing.py: LINE's limits, at most five messages a row), and the sender (app/pipeline/outbox_sender.py)
claims due rows with a lease and records the outcome. Each row carries its own `X-Line-Retry-Key`, generated once, so a push that
is resent after a timeout or a crash is accepted by LINE at most once (409 = already accepted).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from app.dialect import insert_ignoring_duplicates
from app.line.finishing import finish
from app.pipeline import deferred_writes, leases, wakeups
from app.pipeline.leases import LeaseLost
from models import Assignment, MessageLink, OutboxKind, OutboxMessage, OutboxStatus

_LINKS = ("inbox_event_id", "case_id", "delivers_assignment_id")


def _row(kind: str, to: str, messages: list[dict[str, Any]], now: datetime, *, reply_token: str | None = None,
         reply_token_at: datetime | None = None, **links: int | None) -> dict[str, Any]:
    if links.keys() - set(_LINKS):
        raise TypeError(f"unknown outbox links: {sorted(links.keys() - set(_LINKS))}")
    # Every row has the same keys: one statement for a call's rows, compiled once.
    return {"kind": kind, "recipient": to, "messages": messages, "retry_key": str(uuid.uuid4()),
            "status": OutboxStatus.pending, "attempts": 0, "available_at": now, "created_at": now,
            "reply_token": reply_token, "reply_token_at": reply_token_at, **dict.fromkeys(_LINKS), **links}


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> list[OutboxMessage]:
    """A Core INSERT … RETURNING id in the session's transaction, not the ORM's flush: a relay
    writes two or three rows, and the unit of work cost more than the statement. Nothing else in
    the transaction reads them back; the rows returned are unattached, and without ids where the
    transaction keeps its inserts for one statement at its end (app/pipeline/deferred_writes.py)."""
    result = await deferred_writes.insert(session, _INSERT, rows)
    ids = result.scalars().all() if result is not None else [None] * len(rows)
    wakeups.wrote_outbox(session)
    return [OutboxMessage(id=id_, **row) for id_, row in zip(ids, rows, strict=True)]


_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id, sort_by_parameter_order=True)


async def reply(session: AsyncSession, *, reply_token: str | None, token_at: datetime, to: str,
                messages: list[dict[str, Any]], now: datetime, **links) -> list[OutboxMessage]:
    """Answer a chat: by its reply token while fresh (free of quota), else by push to `to`.
    Past five messages the rest go by push (a token answers one request)."""
    return await _insert(session, [
        _row(OutboxKind.reply, to, chunk, now, reply_token=reply_token, reply_token_at=token_at, **links)
        if i == 0 and reply_token else _row(OutboxKind.push, to, chunk, now, **links)
        for i, chunk in enumerate(finish(messages))
    ])


async def push(session: AsyncSession, *, to: str, messages: list[dict[str, Any]], now: datetime,
               **links) -> list[OutboxMessage]:
    return await _insert(session, [_row(OutboxKind.push, to, chunk, now, **links) for chunk in finish(messages)])


async def push_many(session: AsyncSession, pushes: list[tuple[str, list[dict[str, Any]], int | None]], *,
                    now: datetime) -> None:
    """Many pushes, (to, messages, case id) each, in one statement: a scheduled job's batch."""
    rows = [_row(OutboxKind.push, to, chunk, now, case_id=case_id)
            for to, messages, case_id in pushes for chunk in finish(messages)]
    if rows:
        await _insert(session, rows)


async def claim_due(session: AsyncSession, *, now: datetime, lease_seconds: float, limit: int,
                    reply_lease_seconds: float | None = None, retried_reply_lease_seconds: float | None = None,
                    chain_max: int = 1) -> list[OutboxMessage]:
    """Lease due messages, the oldest unsent one per recipient (a chat gets them in order) and,
    with `chain_max` > 1, the pushes due right behind it in the same chat, up to `chain_max` for
    the chat in all: the sender sends a chat's chain one after another, each as soon as LINE
    accepted the one before, without a claim in between.

    A reply is marked attempted in the claim itself (the sender may die once the claim is
    committed, mid-call), and leased for `reply_lease_seconds` (its call's timeout and a little), or
    `retried_reply_lease_seconds` when an earlier attempt's outcome is unknown, so that after a
    crash the next try comes while the token is still fresh. The rows returned keep the mark they
    had before this claim: None means no earlier attempt can have spent the token."""
    rows = await leases.claim(session, _claim_statement(session.bind.dialect.name), now=now,
                              lease_seconds=lease_seconds, order_by=(OutboxMessage.id,), limit=limit,
                              reply_until=now + timedelta(seconds=reply_lease_seconds or lease_seconds),
                              retried_reply_until=now + timedelta(seconds=retried_reply_lease_seconds or lease_seconds))
    for row in rows:  # RETURNING gives the new mark: this claim's own is `now`, so before it there was none
        if row.kind == OutboxKind.reply and row.reply_attempted_at == now:
            set_committed_value(row, "reply_attempted_at", None)
    if chain_max > 1 and rows:
        # The heads are this claim's (its token), so no other claim can chain behind them.
        rows += await leases.claim(session, _chain_statement(session.bind.dialect.name), now=now,
                                   lease_seconds=lease_seconds, order_by=(OutboxMessage.id,),
                                   token=rows[0].claim_token, chain_max=chain_max, limit=len(rows) * (chain_max - 1))
        rows.sort(key=lambda row: row.id)
    return rows


@functools.cache
def _chain_statement(dialect_name: str):
    """The pushes that follow a claimed head in its chat: due, each with nothing before it in the
    chat but the head and pushes due as well (a reply goes only at the head: its token's lease is
    short, and a reply claimed but never tried could not be told from one whose answer was lost),
    and fewer than `chain_max` unsent messages before it."""
    token = bindparam("token", type_=OutboxMessage.claim_token.type)
    now = bindparam("now", type_=OutboxMessage.available_at.type)
    head, earlier = aliased(OutboxMessage), aliased(OutboxMessage)
    behind_a_head = OutboxMessage.recipient.in_(select(head.recipient).where(head.claim_token == token))
    gap = exists().where(
        earlier.recipient == OutboxMessage.recipient, earlier.status == OutboxStatus.pending,
        earlier.id < OutboxMessage.id,
        or_(earlier.claim_token.is_(None), earlier.claim_token != token),
        ~and_(earlier.kind == OutboxKind.push, leases.due(earlier, now)))
    before = (select(func.count()).where(earlier.recipient == OutboxMessage.recipient,
                                         earlier.status == OutboxStatus.pending, earlier.id < OutboxMessage.id)
              .scalar_subquery())
    candidates = (select(OutboxMessage.id)
                  .where(behind_a_head, OutboxMessage.kind == OutboxKind.push, ~gap,
                         before < bindparam("chain_max", type_=Integer))
                  .limit(bindparam("limit", type_=Integer)))
    return leases.claim_statement(OutboxMessage, candidates, order_by=(OutboxMessage.id,), dialect_name=dialect_name)


async def release(session: AsyncSession, messages: list[OutboxMessage]) -> None:
    """Give back claimed messages that were never tried (the rest of a chain behind a message
    that failed): claimable again at once, behind whatever is before them, their try uncounted."""
    if messages:
        await (await session.connection()).execute(
            _RELEASE, [{"b_id": m.id, "b_token": m.claim_token} for m in messages])


@functools.cache
def _claim_statement(dialect_name: str):
    """claim_due's statement (leases.claim_statement), built once per database."""
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        earlier.recipient == OutboxMessage.recipient,
        earlier.status == OutboxStatus.pending,
        earlier.id < OutboxMessage.id,
    )
    candidates = select(OutboxMessage.id).where(~blocked).limit(bindparam("limit", type_=Integer))

    def at(name: str):  # bound as the column's type (SQLite stores text)
        return bindparam(name, type_=OutboxMessage.claimed_until.type)

    is_reply, attempted = OutboxMessage.kind == OutboxKind.reply, OutboxMessage.reply_attempted_at
    return leases.claim_statement(OutboxMessage, candidates, order_by=(OutboxMessage.id,),
                                  dialect_name=dialect_name, values={
        "reply_attempted_at": case((is_reply, func.coalesce(attempted, at("now"))), else_=attempted),
        "claimed_until": case((and_(is_reply, attempted.is_(None)), at("reply_until")),
                              (is_reply, at("retried_reply_until")), else_=at("lease_until")),
    })


async def bring_forward(session: AsyncSession, *, now: datetime, limit: int | None = None) -> int:
    """Messages waiting out a backoff after a failure become due now (LINE is back after an
    outage); with `limit`, the ones due soonest. Returns how many."""
    waiting = select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.pending, OutboxMessage.available_at > now,
        OutboxMessage.last_error.is_not(None), OutboxMessage.claimed_until.is_(None))
    if limit is not None:
        waiting = waiting.order_by(OutboxMessage.available_at).limit(limit)
    result = await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(waiting.scalar_subquery()))
        .values(available_at=now).execution_options(synchronize_session=False))
    return result.rowcount


@dataclass(frozen=True)
class Sent:
    """LINE accepted `message` at `now`: what to record (mark_sent)."""

    message: OutboxMessage
    now: datetime
    via: str
    request_id: str | None
    sent_message_ids: list[str] | None
    note: str | None = None


async def mark_sent(session: AsyncSession, message: OutboxMessage, *, now: datetime, via: str,
                    request_id: str | None, sent_message_ids: list[str] | None, note: str | None = None) -> None:
    """Record LINE's acceptance (mark_sent_all, for one message); LeaseLost if the lease ran out."""
    [outcome] = await mark_sent_all(session, [Sent(message, now, via, request_id, sent_message_ids, note)])
    if outcome is not None:
        raise outcome


async def mark_sent_all(session: AsyncSession, sent: list[Sent]) -> list[LeaseLost | None]:
    """Record LINE's acceptance of each message whose lease still holds, with one statement per
    table however many there are (the sender writes a group of outcomes at once); returns, per
    message, None or the LeaseLost that is its own. A message about a case is linked by its LINE
    ids, so quoting it later answers that case; a case card's acceptance is its assignment's
    delivery time."""
    ids = sorted({s.message.id for s in sent})
    conn = await session.connection()  # Core statements, built once: the sender records every message
    held = dict((await conn.execute(_HELD, {"ids": ids})).all())
    outcomes: list[LeaseLost | None] = []
    mine: list[Sent] = []
    for s in sent:
        if s.message.claim_token is not None and held.get(s.message.id) == s.message.claim_token:
            held.pop(s.message.id)  # the same message twice in a group: the first one counts
            mine.append(s)
            outcomes.append(None)
        else:
            outcomes.append(LeaseLost(f"outbox message {s.message.id}: lease lost"))
    if not mine:
        return outcomes
    await conn.execute(_SENT, [{"b_id": s.message.id, "b_at": s.now, "b_via": s.via, "b_request": s.request_id,
                                "b_ids": s.sent_message_ids, "b_note": s.note} for s in mine])
    links = [{"line_message_id": mid, "case_id": s.message.case_id, "chat_id": s.message.recipient,
              "assignment_id": s.message.delivers_assignment_id, "created_at": s.now}
             for s in mine if s.message.case_id for mid in s.sent_message_ids or ()]
    if links:
        await conn.execute(_link_statement(conn.dialect.name), links)
    delivered = [{"b_id": s.message.delivers_assignment_id, "b_at": s.now} for s in mine if s.message.delivers_assignment_id]
    if delivered:
        await conn.execute(_DELIVERED, delivered)
    return outcomes


_outbox = OutboxMessage.__table__
# The rows are locked (PostgreSQL; SQLite's writer holds the file) before they are checked, so no
# claim changes a token between the check and the write.
_HELD = (select(_outbox.c.id, _outbox.c.claim_token).where(_outbox.c.id.in_(bindparam("ids", expanding=True)))
         .order_by(_outbox.c.id).with_for_update())
# Executed with a row of parameters per message (executemany): one statement for the group.
_SENT = (update(_outbox).where(_outbox.c.id == bindparam("b_id"))
         .values(status=OutboxStatus.sent, sent_at=bindparam("b_at"), sent_via=bindparam("b_via"),
                 line_request_id=bindparam("b_request"), sent_message_ids=bindparam("b_ids"),
                 last_error=bindparam("b_note"), claim_token=None, claimed_until=None))


@functools.cache
def _link_statement(dialect_name: str):
    return insert_ignoring_duplicates(dialect_name, MessageLink.__table__, ["line_message_id"])


_RELEASE = (update(_outbox).where(_outbox.c.id == bindparam("b_id"), _outbox.c.claim_token == bindparam("b_token"))
            .values(claim_token=None, claimed_until=None, attempts=_outbox.c.attempts - 1))

_assignment = Assignment.__table__
_DELIVERED = (update(_assignment)
              .where(_assignment.c.id == bindparam("b_id"), _assignment.c.delivered_at.is_(None))
              .values(delivered_at=bindparam("b_at")))


async def switch_to_push(session: AsyncSession, message: OutboxMessage, *, now: datetime, reason: str) -> None:
    """The reply token can no longer be used: send the same messages by push, now."""
    await _update(session, message, kind=OutboxKind.push, reply_token=None, available_at=now,
                  last_error=reason, claim_token=None, claimed_until=None)


async def retry_later(session: AsyncSession, message: OutboxMessage, *, now: datetime, error: str,
                      base_seconds: float, max_seconds: float, retry_after: float | None = None,
                      **values) -> float:
    """Put the message back for a later try; returns the delay. `values` may restore
    `reply_attempted_at` (LINE answered that it did nothing, so this try cannot have spent the
    token)."""
    if retry_after is not None:
        delay = retry_after
    else:
        delay = leases.backoff_seconds(message.attempts, base=base_seconds, cap=max_seconds)
    await _update(session, message, available_at=now + timedelta(seconds=delay), last_error=error[:4000],
                  claim_token=None, claimed_until=None, **values)
    return delay


async def mark_failed(session: AsyncSession, message: OutboxMessage, *, now: datetime, error: str) -> None:
    await _update(session, message, status=OutboxStatus.failed, last_error=error[:4000],
                  claim_token=None, claimed_until=None)


async def _update(session: AsyncSession, message: OutboxMessage, **values) -> None:
    """Change a claimed row only while our lease holds (a row whose lease ran out belongs to
    whoever claimed it next)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == message.claim_token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise LeaseLost(f"outbox message {message.id}: lease lost")
    # The object is left as claimed: writes are grouped (app/pipeline/group_commit.py), and a group that
    # fails is written again change by change, with the claim token it was leased with.


# -- for an admin: what LINE never accepted, and sending it again ---------------------------------

async def failed(session: AsyncSession, *, limit: int = 50) -> list[OutboxMessage]:
    """Messages LINE refused for good or never accepted in time, the most recent first."""
    return await leases.given_up(session, OutboxMessage, OutboxStatus.failed, limit=limit)


async def replay(session: AsyncSession, message_id: int, *, now: datetime) -> OutboxMessage:
    """Send a failed message again, by push (a reply token is long spent), with a new retry key
    and a new give-up window that start now. The earlier error stays in last_error until LINE
    accepts it."""
    row = await leases.requeue(session, OutboxMessage, message_id, from_status=OutboxStatus.failed, now=now,
                               what="ข้อความขาออก")
    row.kind, row.reply_token, row.reply_attempted_at = OutboxKind.push, None, None
    row.retry_key, row.created_at = str(uuid.uuid4()), now
    await session.flush()
    return row
