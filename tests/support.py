"""Helpers for end-to-end tests: talk to the service as LINE users do and wait for it to settle."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.line import events
from app.line.emulator import LineEmulator
from models import InboxEvent, OutboxMessage

ADMIN_HEADERS = {"Authorization": "Bearer test-admin-token"}


@dataclass
class Service:
    app: Any
    url: str
    emulator: LineEmulator
    sessionmaker: async_sessionmaker[AsyncSession]

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10)

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
        assert response.status_code == 200, response.text
        return response

    async def say(self, user_id: str, text: str, *, group_id: str | None = None) -> list[str]:
        """A user types `text`; returns the texts the account answered into that chat."""
        chat = group_id or user_id
        before = len(self.emulator.accepted_messages(chat))
        await self.send(events.text_message(user_id, text, group_id=group_id))
        await self.settle()
        return [m.get("text", m.get("altText", "")) for m in self.emulator.accepted_messages(chat)[before:]]

    async def invite(self, role: str, agency: str | None = None) -> str:
        async with self.http() as client:
            response = await client.post("/api/v1/invites", json={"role": role, "agency": agency},
                                         headers=ADMIN_HEADERS)
        assert response.status_code == 201, response.text
        return response.json()["code"]

    async def register(self, user_id: str, role: str, agency: str | None = None, name: str = "ทดสอบ") -> None:
        self.emulator.add_user(user_id, name)
        code = await self.invite(role, agency)
        answer = await self.say(user_id, f"ลงทะเบียน {code}")
        assert answer and answer[0].startswith("ลงทะเบียนเรียบร้อย"), answer
