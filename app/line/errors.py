"""What went wrong talking to LINE, translated once from the SDK and aiohttp.

    LineError
    ├── LineRetryable      429, 5xx, timeouts, connection errors: try again later (same retry key)
    │   ├── LineRateLimited   429; carries Retry-After
    │   └── LineNoAnswer      timeout, or the connection lost after sending: LINE may have done it
    └── LinePermanent      any other 4xx: LINE will never accept this request as it is
        └── LineInvalidReplyToken   400 "Invalid reply token": used or expired
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
from linebot.v3.messaging.exceptions import ApiException


class LineError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    def __str__(self) -> str:
        """'400: Invalid reply token' — what the outbox keeps as the row's last error."""
        message = super().__str__()
        return f"{self.status}: {message}" if self.status else message


class LineRetryable(LineError):
    retry_after: float | None = None  # seconds LINE asked us to wait (429 only)


class LineRateLimited(LineRetryable):
    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class LineNoAnswer(LineRetryable):
    """The request may have reached LINE and been carried out; we never heard (5xx, 429 and a
    refused connection, by contrast, say LINE did nothing)."""


class LinePermanent(LineError):
    pass


class LineInvalidReplyToken(LinePermanent):
    pass


def _describe(body: str | bytes | None) -> str:
    """LINE's error body `{"message", "details": [{"message", "property"}]}` as one line."""
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return str(body)[:500]
    if not isinstance(data, dict):
        return str(data)[:500]
    parts = [str(data.get("message", ""))]
    parts += [f"{d.get('property', '')}: {d.get('message', '')}" for d in data.get("details") or []]
    return "; ".join(p for p in parts if p)


def translate(exc: BaseException) -> LineError:
    if isinstance(exc, ApiException):
        status = exc.status or 0
        text = _describe(exc.body) or exc.reason or f"HTTP {status}"
        if status == 429:
            retry_after = None
            if exc.headers and exc.headers.get("Retry-After"):
                try:
                    retry_after = float(exc.headers["Retry-After"])
                except ValueError:
                    pass
            return LineRateLimited(text, retry_after=retry_after)
        if status >= 500 or status == 0:
            return LineRetryable(text, status=status)
        if status == 400 and "reply token" in text.lower():
            return LineInvalidReplyToken(text, status=status)
        return LinePermanent(text, status=status)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ClientError)):
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
        # A connection that was never made carried no request; any other failure may have.
        return LineRetryable(text) if isinstance(exc, aiohttp.ClientConnectorError) else LineNoAnswer(text)
    raise TypeError(f"not a LINE error: {exc!r}") from exc
