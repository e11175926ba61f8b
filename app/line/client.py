"""The one place that talks to the LINE Messaging API (line-bot-sdk v3, async)."""

from __future__ import annotations

import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from app.line.errors import LineError, translate


@dataclass(frozen=True)
class SendResult:
    request_id: str | None
    sent_message_ids: list[str] | None
    duplicate: bool = False  # 409 on the retry key: LINE had already accepted this request


LINE_API = "https://api.line.me"
LINE_DATA_API = "https://api-data.line.me"


class LineClient:
    """Open it inside the running event loop (the SDK opens an aiohttp session in its constructor).

    `data_base_url` is where message content is served (LINE: `https://api-data.line.me`); None
    means the same as `base_url` (the emulator serves both), except that LINE's own
    `https://api.line.me` implies `https://api-data.line.me`, which is the only host LINE serves
    content on.
    """

    def __init__(self, *, base_url: str, access_token: str, timeout_seconds: float,
                 data_base_url: str | None = None, max_connections: int = 64) -> None:
        base_url = base_url.rstrip("/")
        if data_base_url is None:
            data_base_url = LINE_DATA_API if base_url == LINE_API else base_url
        self._config = Configuration(access_token=access_token, host=base_url)
        # A second configuration, and so a second API client, for content: the SDK builds every URL
        # as `Configuration.host + path` whenever `host` is set, and the `_host` the blob API
        # hard-codes ('https://api-data.line.me') is used only when it is not. One client per host.
        self._data_config = Configuration(access_token=access_token, host=data_base_url.rstrip("/"))
        # The SDK's default pool is cpu_count() × 5 connections: with the sender's calls side by
        # side, one chat's hanging calls would take connections the other chats wait for.
        self._config.connection_pool_maxsize = self._data_config.connection_pool_maxsize = max_connections
        self._timeout = timeout_seconds
        self._api_client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None
        self._data_client: AsyncApiClient | None = None
        self._blob: AsyncMessagingApiBlob | None = None

    async def open(self) -> None:
        self._api_client = await _api_client(self._config)
        self._api = AsyncMessagingApi(self._api_client)
        self._data_client = await _api_client(self._data_config)
        self._blob = AsyncMessagingApiBlob(self._data_client)

    async def close(self) -> None:
        if self._api_client is not None:
            await self._api_client.close()
            self._api_client = self._api = None
        if self._data_client is not None:
            await self._data_client.close()
            self._data_client = self._blob = None

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineClient is not open")
        return self._api

    async def reply(self, reply_token: str, messages: list[dict[str, Any]], *,
                    timeout_seconds: float | None = None) -> SendResult:
        """`timeout_seconds` overrides the client's: a retry that asks whether the token is spent
        waits longer for LINE's answer."""
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        call = self.api.reply_message_with_http_info(request, _request_timeout=timeout_seconds or self._timeout)
        return await self._send(call)

    async def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str) -> SendResult:
        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        call = self.api.push_message_with_http_info(
            request, x_line_retry_key=retry_key, _request_timeout=self._timeout
        )
        return await self._send(call)

    async def display_name(self, user_id: str, *, group_id: str | None = None) -> str | None:
        """The LINE display name, or None when LINE has none for us (not a friend, not a member)."""
        try:
            if group_id:
                profile = await self.api.get_group_member_profile(group_id, user_id, _request_timeout=self._timeout)
            else:
                profile = await self.api.get_profile(user_id, _request_timeout=self._timeout)
        except (TimeoutError, ApiException, aiohttp.ClientError) as exc:
            if isinstance(exc, ApiException) and exc.status == 404:
                return None
            raise translate(exc) from exc
        return profile.display_name

    async def content(self, message_id: str) -> tuple[bytes, str]:
        """What a user sent (image, video, audio, file): its bytes and content type.

        Raises the translated error: `LinePermanent` (404) when LINE has no such content (unknown
        id, or expired: LINE keeps content for a limited time), `LineRetryable` on 5xx/timeouts.
        """
        if self._blob is None:
            raise RuntimeError("LineClient is not open")
        try:
            response = await self._blob.get_message_content_with_http_info(
                message_id, _request_timeout=self._timeout)
        except (TimeoutError, ApiException, aiohttp.ClientError) as exc:
            raise translate(exc) from exc
        headers = response.headers or {}
        content_type = headers.get("content-type") or "application/octet-stream"
        return bytes(response.data or b""), content_type

    @staticmethod
    async def _send(call) -> SendResult:
        try:
            response = await call
        except ApiException as exc:
            if exc.status == 409 and exc.headers and exc.headers.get("x-line-accepted-request-id"):
                return SendResult(exc.headers["x-line-accepted-request-id"], None, duplicate=True)
            raise translate(exc) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise translate(exc) from exc
        headers = response.headers or {}
        data = response.data
        sent = getattr(data, "sent_messages", None) if data is not None else None
        return SendResult(headers.get("x-line-request-id"), [m.id for m in sent] if sent else None)


async def _api_client(config: Configuration) -> AsyncApiClient:
    """The SDK's client, with its aiohttp session made once more without `trust_env`.

    With `trust_env=True` (hard-coded in the SDK's async REST client) aiohttp reads ~/.netrc in
    the default thread pool before every request; at a few hundred calls a second that is a good
    part of the process's CPU. The proxy settings it would have read (HTTPS_PROXY, NO_PROXY) are
    read here once instead, into the SDK's own `Configuration.proxy`. Idle connections close after
    2 s, before a server ends them (uvicorn, serving the emulator, keeps one 5 s): a request written
    on a connection the server is closing has an unknown outcome, which for a reply costs its token."""
    url = urllib.parse.urlsplit(config.host)
    proxy = urllib.request.getproxies().get(url.scheme)
    config.proxy = None if not proxy or urllib.request.proxy_bypass(url.hostname or "") else proxy
    client = AsyncApiClient(config)
    rest = client.rest_client
    await rest.pool_manager.close()
    connector = aiohttp.TCPConnector(limit=config.connection_pool_maxsize, keepalive_timeout=2,
                                     ssl=ssl.create_default_context(cafile=config.ssl_ca_cert))
    rest.pool_manager = aiohttp.ClientSession(connector=connector, trust_env=False)
    return client


__all__ = ["LineClient", "LineError", "SendResult"]
