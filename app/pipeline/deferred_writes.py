"""Writes kept until the end of a transaction, so that many events' rows go as one statement.

The inbox worker handles the events of different chats in one transaction (app/pipeline/group_commit.py).
Each relay writes rows that nothing in the transaction reads back: its outbox messages, its line
in the case log, its event's finish. In a transaction that asks for it (`start`), `insert` keeps
such rows and `flush` writes them just before the commit: one INSERT per table and one UPDATE of
the finished events for the whole group, instead of three or four statements per event.

What keeps that exact:
- Order: the kept rows of a statement are written in the order they were kept, so ids (which
  order a chat's messages) follow the order the handlers wrote them.
- Savepoints: `savepoint` writes the rows kept so far before it begins, and inside a savepoint
  nothing is kept, so rolling one back undoes exactly its own rows. A savepoint begun some other
  way while rows are kept is a bug, and an insert inside it says so (RuntimeError).
- Reads: code that reads a kept table in the same transaction writes the kept rows first
  (`write_rows`: app/services/cases.timeline). Nothing else in a handler's transaction reads them.
- Batches: `keep` holds an item for a writer that takes all of a transaction's items at once (the
  inbox's finishes: app/inbox.finish); `flush`, outside any savepoint, calls each writer once. A
  writer that raises (a lost lease) undoes the transaction: the group commit then handles each
  event alone, where the error is that event's own.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy import insert as sa_insert
from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "deferred_writes"

# Writes a transaction's kept items at once; raises to undo the transaction.
Batch = Callable[[AsyncSession, list[Any]], Awaitable[None]]


class _Kept:
    def __init__(self) -> None:
        self.inserts: dict[Insert, list[dict[str, Any]]] = {}
        self.batches: dict[Batch, list[Any]] = {}


def start(session: AsyncSession) -> None:
    """From now on this transaction keeps what `insert` and `keep` are given, until `flush`."""
    session.info[_KEY] = _Kept()


def _kept(session: AsyncSession) -> _Kept | None:
    return session.info.get(_KEY)


async def insert(session: AsyncSession, statement: Insert, rows: list[dict[str, Any]]):
    """Run `statement` (an INSERT into one table, perhaps RETURNING) with `rows` now and return its
    result, or, in a transaction that keeps (outside any savepoint), keep the rows for `flush`, which
    writes them with a plain INSERT into the same table, and return None."""
    kept = _kept(session)
    if kept is not None:
        if not session.in_nested_transaction():
            kept.inserts.setdefault(_plain_insert(statement.table), []).extend(rows)
            return None
        if kept.inserts:
            raise RuntimeError("a savepoint begun while rows were kept: use deferred_writes.savepoint")
    return await (await session.connection()).execute(statement, rows)


@contextlib.asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """`session.begin_nested()`, once the rows kept so far are written (they are not the
    savepoint's to undo)."""
    await write_rows(session)
    async with session.begin_nested():
        yield


def keep(session: AsyncSession, write: Batch, item: Any) -> bool:
    """Keep `item` for `write`, which `flush` calls once with every item kept for it, in order;
    False when this transaction does not keep (the caller writes the item itself)."""
    kept = _kept(session)
    if kept is None or session.in_nested_transaction():
        return False
    kept.batches.setdefault(write, []).append(item)
    return True


async def flush(session: AsyncSession) -> None:
    """Write what was kept: each statement's rows at once, in the order kept, then (outside any
    savepoint) each batch."""
    await write_rows(session)
    kept = _kept(session)
    if kept is None or not kept.batches or session.in_nested_transaction():
        return
    batches, kept.batches = kept.batches, {}
    for write, items in batches.items():
        await write(session, items)


@functools.cache
def _plain_insert(table: Table) -> Insert:
    """Without RETURNING: many rows are one statement on either database (SQLite returns rows of a
    multi-row INSERT in no promised order, so SQLAlchemy would write them one by one)."""
    return sa_insert(table)


async def write_rows(session: AsyncSession) -> None:
    """The rows kept so far, written now (before a savepoint, or a read of a kept table)."""
    kept = _kept(session)
    if kept is None or not kept.inserts:
        return
    inserts, kept.inserts = kept.inserts, {}
    conn = await session.connection()
    for statement, rows in inserts.items():
        await conn.execute(statement, rows)
