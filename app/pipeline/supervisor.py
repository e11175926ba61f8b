"""`rongtuk serve` with WORKERS=process: the web process starts `rongtuk worker` and keeps it
running. A worker that exits is started again after a short backoff (0.5 s, doubling to 30 s,
back to 0.5 s once a worker has run a minute), and each exit is logged. Stopping the service
stops the worker first (SIGTERM, then SIGKILL after STOP_TIMEOUT_SECONDS).

The worker never outlives serve, even a serve killed with SIGKILL: the child asks Linux to send it
SIGTERM when its parent dies (`die_with_parent`, prctl PR_SET_PDEATHSIG), and watches its parent's
pid as a fallback (app/pipeline/workers.py)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Sequence

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_SECONDS = 15.0


class Supervisor:
    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None, pass_fds: Sequence[int] = (),
                 first_backoff: float = 0.5, max_backoff: float = 30.0, healthy_after: float = 60.0) -> None:
        self.argv = list(argv)
        self.env = env
        self.pass_fds = tuple(pass_fds)
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after
        self.restarts = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="worker-supervisor")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = self.first_backoff
        while True:
            started = loop.time()
            try:
                # A session of its own: a Ctrl-C in the terminal reaches serve, which stops the worker itself.
                self._proc = await asyncio.create_subprocess_exec(*self.argv, env=self.env, pass_fds=self.pass_fds,
                                                                  start_new_session=True)
            except OSError:
                log.exception("worker could not be started", extra={"restart_in_seconds": backoff})
            else:
                log.info("worker process started", extra={"pid": self._proc.pid})
                code = await self._proc.wait()
                if loop.time() - started >= self.healthy_after:
                    backoff = self.first_backoff
                log.warning("worker process exited: starting it again",
                            extra={"pid": self._proc.pid, "returncode": code, "restart_in_seconds": backoff})
            await asyncio.sleep(backoff)
            backoff = min(self.max_backoff, backoff * 2)
            self.restarts += 1

    async def stop(self) -> None:
        """Stop supervising, then stop the worker: SIGTERM, and SIGKILL if it does not exit in time."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("worker did not stop in time: killed", extra={"pid": proc.pid})
            proc.kill()
            await proc.wait()
        log.info("worker process stopped", extra={"pid": proc.pid, "returncode": proc.returncode})


def die_with_parent(parent_pid: int) -> None:
    """In the worker, first thing: SIGTERM when the parent dies (Linux); exit at once if it already
    has (it may have died before the call). (It keeps its CPU priority: a worker running niced
    while it holds SQLite's write lock would keep the webhook waiting whenever the cores are busy.)"""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
                log.warning("prctl(PR_SET_PDEATHSIG) failed", extra={"errno": ctypes.get_errno()})
        except OSError:
            log.warning("prctl unavailable: relying on the parent-pid watch")
    if os.getppid() != parent_pid:
        sys.exit(0)
