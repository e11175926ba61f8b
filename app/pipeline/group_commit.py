"""Group commit: many small writes, one transaction.

A caller awaits `apply(change)`, where `change(session)` writes one thing. Changes that arrive while
a transaction is being written wait for it and go together in the next one, so under load a
transaction carries many changes and when idle a change is written at once. If a group's
transaction fails, each of its changes is written again in a transaction of its own: one change's
error (a lost lease, a constraint) reaches its own caller only, never the others in its group.

A change of a kind many callers make (the sender's "LINE accepted it") can be `Together`: the
changes of one kind in a group are handed to their writer at once, which writes them with a
statement per table rather than per change, and says per change what came of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import session_scope
from app.pipeline import deferred_writes

log = logging.getLogger(__name__)

Change = Callable[[AsyncSession], Awaitable[Any]]


@dataclass(frozen=True)
class Together:
    """`item`, written by `write(session, items)` with every item of the same `write` in its group.
    `write` returns one outcome per item, in order: a result, or an exception that is that item's
    alone (the others' writes still commit)."""

    write: Callable[[AsyncSession, list[Any]], Awaitable[list[Any]]]
    item: Any


class GroupCommit:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, max_group: int = 200,
                 defer_writes: bool = False) -> None:
        self.sessionmaker = sessionmaker
        self.max_group = max_group
        self.defer_writes = defer_writes  # a group's kept rows as one statement each (app/pipeline/deferred_writes.py)
        self._waiting: list[tuple[Change, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def apply(self, change: Change | Together) -> Any:
        """Write `change` with whatever else is waiting; returns what it returned, or raises what
        it raised when written alone. A caller cancelled meanwhile does not stop the write."""
        return await asyncio.shield(self.submit(change))

    def submit(self, change: Change | Together) -> asyncio.Future:
        """`apply` for a caller that goes on meanwhile: the future of the write, settled as
        `apply` would return or raise."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((change, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="group-commit")
        return future

    async def close(self) -> None:
        """Wait for the write in flight (at shutdown: a transaction left open when the engine is
        disposed would keep SQLite's write lock until its connection is collected)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:self.max_group], self._waiting[self.max_group:]
            try:
                await self._write(group)
            except BaseException as exc:  # cancelled (shutdown): nobody waits for ever
                for _, future in group:
                    _settle(future, exc=exc if isinstance(exc, Exception) else RuntimeError("write cancelled"))
                raise

    async def _write(self, group: list[tuple[Change | Together, asyncio.Future]]) -> None:
        try:
            async with session_scope(self.sessionmaker) as session:
                if self.defer_writes:
                    deferred_writes.start(session)
                results = await _changes(session, [change for change, _ in group])
                await deferred_writes.flush(session)
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0][1], exc=exc)
                return
            log.info("group write failed: writing its changes one by one", extra={"changes": len(group)})
            for item in group:
                await self._write([item])
            return
        for (_, future), result in zip(group, results, strict=True):
            if isinstance(result, Exception):
                _settle(future, exc=result)
            else:
                _settle(future, result=result)


async def _changes(session: AsyncSession, changes: list[Change | Together]) -> list[Any]:
    """Each change's outcome, in order: the plain ones one by one, then each kind of `Together`."""
    results: list[Any] = [None] * len(changes)
    kinds: dict[Callable, list[int]] = {}
    for i, change in enumerate(changes):
        if isinstance(change, Together):
            kinds.setdefault(change.write, []).append(i)
        else:
            results[i] = await change(session)
    for write, indexes in kinds.items():
        outcomes = await write(session, [changes[i].item for i in indexes])
        for i, outcome in zip(indexes, outcomes, strict=True):
            results[i] = outcome
    return results


def _settle(future: asyncio.Future, *, result: Any = None, exc: BaseException | None = None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
