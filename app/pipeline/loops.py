"""The workers' loop inside the service.

`Dispatcher` keeps up to `concurrency` claimed items in work at once, each
in a task of its own, and claims more as slots free: one slow item (a LINE call that hangs) holds
its own slot only, never the items behind it. The claim decides what may run side by side (the
inbox and the outbox hand out at most the oldest unfinished item of each chat), so a chat's items
still go in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Dispatcher(Generic[T]):
    """Claim items with `claim(limit)` and run `work(item)` for each, at most `concurrency` at once.

    It claims again when woken (`wake()`: new work was stored), when enough slots are free (at least
    `refill`, so a busy dispatcher claims in batches rather than one item per transaction), or after
    `poll_seconds`, or sooner when the claim said when its next item falls due (`due_in`). `work`
    must not raise: an item's failure is the item's business (it records it)."""

    def __init__(self, name: str, claim: Callable[[int], Awaitable[list[T]]],
                 work: Callable[[T], Awaitable[None]], *, concurrency: int, poll_seconds: float,
                 refill: int | None = None, stop_grace_seconds: float = 5.0) -> None:
        self.name = name
        self.claim = claim
        self.work = work
        self.concurrency = max(1, concurrency)
        self.refill = max(1, min(self.concurrency, refill or max(1, self.concurrency // 4)))
        self.poll_seconds = poll_seconds
        self.stop_grace_seconds = stop_grace_seconds
        self._signal = asyncio.Event()  # woken, or a slot freed
        self._due: float | None = None  # loop time at which a known item falls due
        self._tasks: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._stopping = False

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def wake(self) -> None:
        self._signal.set()

    def due_in(self, seconds: float) -> None:
        """Called by `claim`: an item it could not hand out yet falls due in `seconds`."""
        at = asyncio.get_running_loop().time() + max(0.0, seconds)
        self._due = at if self._due is None else min(self._due, at)

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop claiming, between two claims rather than inside one; give the items in work a
        moment to finish, then cancel them (an item cut short is like one whose process died: its
        lease brings it back). A task cancelled inside a transaction can leave its connection
        unreturned, on SQLite with the write lock held, so cancelling is the last resort."""
        self._stopping = True
        self._signal.set()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=self.stop_grace_seconds)
        await _cancel(self._task)
        self._task = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.stop_grace_seconds)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            self._signal.clear()  # before the claim: a wake-up during it is not lost
            free = self.concurrency - len(self._tasks)
            if free >= self.refill or (free and not self._tasks):
                self._due = None
                try:
                    items = await self.claim(free)
                except Exception:
                    log.exception("claim failed", extra={"loop": self.name})
                    items = []
                    await asyncio.sleep(self.poll_seconds)
                for item in items:
                    task = asyncio.create_task(self._one(item))
                    self._tasks.add(task)
                if self._stopping:
                    break
                if items and len(items) == free:
                    continue  # there may be more: claim again as soon as slots free
            timeout = self.poll_seconds
            if self._due is not None:
                timeout = min(timeout, max(0.0, self._due - asyncio.get_running_loop().time()))
            await _wait(self._signal, timeout)

    async def _one(self, item: T) -> None:
        try:
            await self.work(item)
        except Exception:
            log.exception("dispatched work failed", extra={"loop": self.name})
        finally:
            self._tasks.discard(asyncio.current_task())
            self._signal.set()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass


async def _cancel(task: asyncio.Task | None) -> None:
    if task is not None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
