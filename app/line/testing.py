"""Run an ASGI app as a real HTTP server inside the current event loop (tests, demo)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import uvicorn


class _Server(uvicorn.Server):
    # Several servers may run at once in one process; each would swap the SIGINT/SIGTERM
    # handlers and restore them out of order. Leave signals to the host process.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(
    app,
    *,
    host: str = "127.0.0.1",
    startup_timeout_seconds: float = 10.0,
    log_level: str = "warning",
) -> AsyncIterator[str]:
    """Serve `app` on a free port; yields its base URL (`http://127.0.0.1:PORT`), stops on exit."""
    config = uvicorn.Config(app, host=host, port=0, log_level=log_level, access_log=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(startup_timeout_seconds):
            while not server.started:
                if task.done():  # failed to start (lifespan error, bind error): surface why
                    task.result()
                    raise RuntimeError("uvicorn exited before it started")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
