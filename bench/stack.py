"""The LINE emulator and a server pointed at each other, as processes, for the benchmarks.

`emulator_and_server` starts `rongtuk line-emulator`, delivering to the server's /webhook, and the
server (`rongtuk serve`, or a baseline app under uvicorn), calling LINE at the emulator: each on a
free port, each waited for until its port answers, their output appended to one log; both are
stopped when the block ends, the server first.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.webhook import free_port, start


@asynccontextmanager
async def running(args: list[str], env: dict, port: int, log: Path) -> AsyncIterator[subprocess.Popen]:
    """One process, up once `port` answers; terminated when the block ends (killed after 10 s)."""
    proc = start(args, env, port, log)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Stack:
    emulator: str  # the emulator's base URL
    url: str  # the server's base URL
    process: subprocess.Popen  # the server's

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhook"


@asynccontextmanager
async def emulator_and_server(env: dict, log: Path, *, server_env: dict | None = None,
                              app: str | None = None) -> AsyncIterator[Stack]:
    """`env` for both processes; the server gets `server_env` on top, and LINE_API_BASE_URL = the
    emulator. `app` ("module:app"): that ASGI app under uvicorn instead of `rongtuk serve`."""
    python = sys.executable
    emu_port, port = free_port(), free_port()
    emulator, url = f"http://127.0.0.1:{emu_port}", f"http://127.0.0.1:{port}"
    if app is None:
        server = [python, "-m", "app.cli", "serve", "--port", str(port)]
    else:
        server = [python, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    async with (running([python, "-m", "app.cli", "line-emulator", "--port", str(emu_port), "--webhook-url",
                         f"{url}/webhook"], env, emu_port, log),
                running(server, {**env, **(server_env or {}), "LINE_API_BASE_URL": emulator}, port, log) as process):
        yield Stack(emulator, url, process)
