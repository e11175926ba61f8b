"""Run the service for real inside this event loop and drive it as LINE users do (tests, demo)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.line import events
from app.line.emulator import LineEmulator
from models import InboxEvent, OutboxMessage


class Server(uvicorn.Server):
    # Several servers may run at once in one process; each would swap the SIGINT/SIGTERM
    # handlers and restore them out of order (and re-raise them on exit). Leave signals to the
    # host process.
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
    server = Server(config)
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


# -- driving the whole service as LINE users do (tests and `rongtuk demo`) ----------------------

@dataclass
class ServiceDriver:
    """The running service, its LINE emulator and its database, driven like LINE users drive it."""

    app: Any
    url: str
    emulator: LineEmulator
    sessionmaker: async_sessionmaker[AsyncSession]
    admin_token: str

    def http(self, *, admin: bool = True) -> httpx.AsyncClient:
        """A client of the service's HTTP API, with the admin token unless `admin=False`."""
        headers = {"Authorization": f"Bearer {self.admin_token}"} if admin else {}
        return httpx.AsyncClient(base_url=self.url, timeout=10, headers=headers)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every stored event is worked and every message has left the outbox."""
        async with asyncio.timeout(timeout):
            while await self.backlog():
                await asyncio.sleep(0.02)

    async def backlog(self) -> int:
        async with self.sessionmaker() as s:
            inbox = await s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "pending"))
            outbox = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
        return inbox + outbox

    async def send(self, *evs: dict) -> httpx.Response:
        """LINE delivers these events to the webhook; returns the webhook's answer."""
        response = await self.emulator.deliver(list(evs))
        if response.status_code != 200:
            raise AssertionError(f"webhook answered {response.status_code}: {response.text}")
        return response

    async def exchange(self, event: dict[str, Any], chat: str) -> list[dict[str, Any]]:
        """Deliver one event and wait; returns the messages the account sent into `chat` meanwhile."""
        before = len(self.emulator.accepted_messages(chat))
        await self.send(event)
        await self.settle()
        return self.emulator.accepted_messages(chat)[before:]

    async def say(self, user_id: str, text: str, *, group_id: str | None = None, **options) -> list[str]:
        """A user types `text`; returns the texts the account answered into that chat."""
        sent = await self.exchange(events.text_message(user_id, text, group_id=group_id, **options), group_id or user_id)
        return [m.get("text", m.get("altText", "")) for m in sent]

    async def tap(self, user_id: str, data: str, *, group_id: str | None = None, **options) -> list[str]:
        """A user taps a postback button; returns what the account answered into that chat."""
        sent = await self.exchange(events.postback(user_id, data, group_id=group_id, **options), group_id or user_id)
        return [m.get("text", m.get("altText", "")) for m in sent]

    def last_card(self, chat: str) -> dict[str, Any]:
        cards = [m for m in self.emulator.accepted_messages(chat) if m["type"] == "flex"]
        if not cards:
            raise AssertionError(f"no case card reached {chat}")
        return cards[-1]

    async def invite(self, role: str, agency: str | None = None) -> str:
        async with self.http() as client:
            response = await client.post("/api/v1/invites", json={"role": role, "agency": agency})
        if response.status_code != 201:
            raise AssertionError(response.text)
        return response.json()["code"]

    async def register(self, user_id: str, role: str, agency: str | None = None, name: str = "ทดสอบ", **options) -> None:
        self.emulator.add_user(user_id, name)
        code = await self.invite(role, agency)
        answer = await self.say(user_id, f"ลงทะเบียน {code}", **options)
        if not answer or not answer[0].startswith("ลงทะเบียนเรียบร้อย"):
            raise AssertionError(answer)


def buttons(card: dict[str, Any]) -> dict[str, str]:
    """A case card's buttons: label → postback data."""
    return {b["action"]["label"]: b["action"]["data"] for b in card["contents"]["footer"]["contents"]}


def quick_replies(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["action"]["label"]: i["action"] for i in (message.get("quickReply") or {}).get("items", [])}
