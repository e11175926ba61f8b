"""The one place that talks to the LINE Messaging API (line-bot-sdk v3, async)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
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


class LineClient:
    """Open it inside the running event loop (the SDK opens an aiohttp session in its constructor)."""

    def __init__(self, *, base_url: str, access_token: str, timeout_seconds: float) -> None:
        self._config = Configuration(access_token=access_token, host=base_url.rstrip("/"))
        self._timeout = timeout_seconds
        self._api_client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def open(self) -> None:
        self._api_client = AsyncApiClient(self._config)
        self._api = AsyncMessagingApi(self._api_client)

    async def close(self) -> None:
        if self._api_client is not None:
            await self._api_client.close()
            self._api_client = self._api = None

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("LineClient is not open")
        return self._api

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        return await self._send(self.api.reply_message_with_http_info(request, _request_timeout=self._timeout))

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
        except (ApiException, asyncio.TimeoutError, aiohttp.ClientError) as exc:
            if isinstance(exc, ApiException) and exc.status == 404:
                return None
            raise translate(exc) from exc
        return profile.display_name

    @staticmethod
    async def _send(call) -> SendResult:
        try:
            response = await call
        except ApiException as exc:
            if exc.status == 409 and exc.headers and exc.headers.get("x-line-accepted-request-id"):
                return SendResult(exc.headers["x-line-accepted-request-id"], None, duplicate=True)
            raise translate(exc) from exc
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise translate(exc) from exc
        headers = response.headers or {}
        data = response.data
        sent = getattr(data, "sent_messages", None) if data is not None else None
        return SendResult(headers.get("x-line-request-id"), [m.id for m in sent] if sent else None)


__all__ = ["LineClient", "LineError", "SendResult"]
