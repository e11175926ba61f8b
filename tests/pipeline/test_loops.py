"""The dispatcher: bounded concurrency, a slow item holds only its own slot, claims in batches."""

from __future__ import annotations

import asyncio

from app.pipeline.loops import Dispatcher


class Queue:
    """Items 0, 1, 2 … handed out by claim(limit); item `slow` blocks until released."""

    def __init__(self, count: int, slow: int | None = None) -> None:
        self.waiting = list(range(count))
        self.slow = slow
        self.release = asyncio.Event()
        self.done: list[int] = []
        self.claims: list[int] = []
        self.running = 0
        self.most_running = 0

    async def claim(self, limit: int) -> list[int]:
        self.claims.append(limit)
        taken, self.waiting = self.waiting[:limit], self.waiting[limit:]
        return taken

    async def work(self, item: int) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if item == self.slow:
                await self.release.wait()
            else:
                await asyncio.sleep(0.001)
            self.done.append(item)
        finally:
            self.running -= 1


async def _until(check, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)


async def test_a_slow_item_does_not_hold_back_the_others():
    queue = Queue(40, slow=0)
    dispatcher = Dispatcher("test", queue.claim, queue.work, concurrency=4, poll_seconds=0.05)
    dispatcher.start()
    try:
        await _until(lambda: len(queue.done) == 39)
        assert 0 not in queue.done
        assert queue.most_running <= 4
        queue.release.set()
        await _until(lambda: len(queue.done) == 40)
    finally:
        await dispatcher.stop()


async def test_claims_wait_for_a_batch_of_free_slots_while_busy():
    queue = Queue(64)
    dispatcher = Dispatcher("test", queue.claim, queue.work, concurrency=16, refill=8, poll_seconds=0.05)
    dispatcher.start()
    try:
        await _until(lambda: len(queue.done) == 64)
    finally:
        await dispatcher.stop()
    assert queue.claims[0] == 16
    assert all(limit >= 8 for limit in queue.claims)
    assert sorted(queue.done) == list(range(64))


async def test_a_wake_claims_at_once_and_due_in_shortens_the_poll():
    queue = Queue(0)
    dispatcher = Dispatcher("test", queue.claim, queue.work, concurrency=4, poll_seconds=30)
    dispatcher.start()
    try:
        await _until(lambda: len(queue.claims) == 1)
        queue.waiting = [7]
        dispatcher.wake()
        await _until(lambda: queue.done == [7])

        await asyncio.sleep(0.05)  # the claim that follows the finished item has run
        calls = []

        async def claim_later(limit: int) -> list[int]:
            calls.append(limit)
            if len(calls) == 1:
                dispatcher.due_in(0.05)  # an item falls due in 50 ms, long before the 30 s poll
                return []
            return [8] if len(calls) == 2 else []

        dispatcher.claim = claim_later
        dispatcher.wake()
        await _until(lambda: queue.done == [7, 8], timeout=2)
    finally:
        await dispatcher.stop()


async def test_stop_cancels_work_that_outlives_the_grace():
    queue = Queue(1, slow=0)
    dispatcher = Dispatcher("test", queue.claim, queue.work, concurrency=2, poll_seconds=0.05,
                            stop_grace_seconds=0.05)
    dispatcher.start()
    await _until(lambda: queue.running == 1)
    await dispatcher.stop()
    assert queue.running == 0 and queue.done == []
    assert dispatcher.in_flight == 0


async def test_stop_lets_a_claim_in_progress_finish():
    """A claim is a transaction: cut off inside it, its connection could keep SQLite's lock."""
    started, finished = asyncio.Event(), []

    async def slow_claim(limit: int) -> list[int]:
        started.set()
        await asyncio.sleep(0.1)
        finished.append(limit)
        return []

    async def work(item: int) -> None:
        pass

    dispatcher = Dispatcher("test", slow_claim, work, concurrency=2, poll_seconds=30)
    dispatcher.start()
    await started.wait()
    await dispatcher.stop()
    assert finished == [2]
