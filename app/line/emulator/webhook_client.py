"""How the emulator POSTs webhook bodies, as LINE does: with aiohttp, answered as an httpx.Response.

The emulator's callers (tests, benches) read httpx's response and catch httpx's errors, so that
is what they get. The POST itself goes through aiohttp, already installed for the LINE SDK: at a
hundred deliveries a second httpx's connection pool, which checks every pooled connection on each
request, was half of the emulator's CPU, on a machine the service under test shares.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx


class WebhookClient:
    """One aiohttp session per event loop: a session cannot outlive the loop it was opened in, and
    tests run the same emulator from several loops. Idle connections close after 2 s, before the
    webhook's server ends them (uvicorn keeps one alive 5 s): a POST written on a connection the
    server is closing fails before it is sent ("Can not write request body"), and a POST is not
    retried."""

    def __init__(self, *, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response:
        request = httpx.Request("POST", url, content=content, headers=headers)
        try:
            async with self._client().post(url, data=content, headers=headers) as answer:
                body = await answer.read()
                return httpx.Response(answer.status, headers=list(answer.headers.items()), content=body,
                                      request=request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"webhook did not answer within {self.timeout_seconds} s", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:  # the connection dropped mid-answer, a malformed answer
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        session, loop = self._session, self._loop
        self._session = self._loop = None
        if session is not None and loop is asyncio.get_running_loop():
            await session.close()

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            # A session of a loop that is gone is dropped, not closed: its connections went with it.
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
                                                  connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=2),
                                                  trust_env=False)
            self._loop = loop
        return self._session
