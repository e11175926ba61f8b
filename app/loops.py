"""Background loops inside the service: work until idle, then sleep until woken or polled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Loop:
    def __init__(self, name: str, step: Callable[[], Awaitable[int]], *, poll_seconds: float,
                 after_work: Callable[[], None] | None = None) -> None:
        self.name = name
        self.step = step
        self.poll_seconds = poll_seconds
        self.after_work = after_work
        self.wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            self.wake.clear()  # before the step: a wake-up during it is not lost
            try:
                done = await self.step()
            except Exception:
                log.exception("loop step failed", extra={"loop": self.name})
                done = 0
                await asyncio.sleep(self.poll_seconds)
            if done:
                if self.after_work:
                    self.after_work()
                continue
            try:
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
