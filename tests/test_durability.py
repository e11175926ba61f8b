"""Kill the service with SIGKILL while events stream in, restart it, and check that every
accepted event was handled once and every answer reached LINE exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sys

import httpx
import pytest
from sqlalchemy import func, select

from app.line import events
from models import InboxEvent, OutboxMessage
from tests.conftest import ACCESS_TOKEN, ADMIN_TOKEN, SECRET

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    def __init__(self, database_url: str, line_url: str, log_path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ, "RONGTUK_ENV": "development", "DATABASE_URL": database_url,
            "LINE_API_BASE_URL": line_url, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "ADMIN_API_TOKEN": ADMIN_TOKEN, "PUBLIC_BASE_URL": self.url, "LOG_JSON": "false", "LOG_LEVEL": "WARNING",
            "WORKER_POLL_SECONDS": "0.05", "INBOX_LEASE_SECONDS": "1", "OUTBOX_LEASE_SECONDS": "2",
            "LINE_REQUEST_TIMEOUT_SECONDS": "1", "SCHEDULER": "off",
        }
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), stdout=log, stderr=log, env=self.env)
        async with httpx.AsyncClient() as client, asyncio.timeout(30):
            while True:
                try:
                    if (await client.get(self.url + "/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.proc.returncode is not None:
                    raise RuntimeError(f"service exited: see {self.log_path}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown code runs
        await self.proc.wait()


async def test_sigkill_loses_nothing_and_sends_nothing_twice(database_url, emulator, engine, sessionmaker, tmp_path):
    service = ServiceProcess(database_url, emulator.base_url, tmp_path / "service.log")
    emulator.add_fault("/v2/bot/message/reply", status=0, delay_seconds=0.02, times=100_000)  # LINE takes its time
    await service.start()
    emulator.webhook_url = service.url + "/webhook"
    users = [f"U{i:032x}" for i in range(120)]
    kill_after = {30, 65, 100}
    unanswered: list[dict] = []  # deliveries without a 200: LINE delivers them again later
    rng = random.Random(1555)
    for i, user in enumerate(users):
        event = events.text_message(user, f"สวัสดี {i}")
        try:
            response = await emulator.deliver([event])
            if response.status_code != 200:
                unanswered.append(event)
        except httpx.TransportError:
            unanswered.append(event)
        if i in kill_after:
            if i == min(kill_after):
                await service.kill()  # at once: this event is stored, its answer not yet sent
                assert emulator.accepted_messages(user) == []
            else:
                await asyncio.sleep(rng.uniform(0.0, 0.15))  # somewhere in the middle of the work
                await service.kill()
            down = events.text_message(users[i - 1], "ระหว่างระบบล่ม")  # refused while down
            with pytest.raises(httpx.TransportError):
                await emulator.deliver([down])
            unanswered.append(down)
            await service.start()
    for event in unanswered:
        again = json.loads(json.dumps(event))
        again["deliveryContext"]["isRedelivery"] = True
        assert (await emulator.deliver([again])).status_code == 200

    async with asyncio.timeout(60):
        while True:
            async with sessionmaker() as s:
                pending = await s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status != "done"))
                unsent = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))
            if not pending and not unsent:
                break
            await asyncio.sleep(0.1)
    await service.kill()

    async with sessionmaker() as s:
        retried = await s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.attempts > 1))
        print(f"events worked more than once after a kill: {retried}")
        handled = await s.scalar(select(func.count()).select_from(InboxEvent))
        answers = await s.scalar(select(func.count()).select_from(OutboxMessage))
    expected = len(users) + len(kill_after)
    assert handled == expected and answers == expected
    for user in users:
        texts_to_user = [m["text"] for m in emulator.accepted_messages(user)]
        wanted = 2 if any(e["source"]["userId"] == user for e in unanswered if "ระหว่าง" in e["message"]["text"]) else 1
        assert len(texts_to_user) == wanted, f"{user}: {len(texts_to_user)} answers"
