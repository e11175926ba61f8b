"""`rongtuk serve` as deployed: the web process and the worker process it supervises (WORKERS=process).

Real processes on a real port, driven as LINE drives them: events are worked and answered by the
worker; a worker killed with SIGKILL is started again and nothing is lost; SIGTERM stops both; a
serve killed with SIGKILL takes its worker with it. Wake-ups cross the process boundary: with a
poll interval far longer than any test waits, work still goes at once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.line import events
from app.line.testing import ServiceDriver
from models import InboxEvent, OutboxMessage
from tests.conftest import ADMIN_TOKEN
from tests.test_durability import ServiceProcess

pytestmark = pytest.mark.slow

NEVER = "600"  # WORKER_POLL_SECONDS: anything that happens within a test came from a wake-up


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def eventually(check, timeout: float = 60.0):
    async with asyncio.timeout(timeout):
        while not (result := check()):
            await asyncio.sleep(0.05)
    return result


async def the_worker(service: ServiceProcess, other_than: int | None = None) -> int:
    [pid] = await eventually(lambda: [p for p in children(service.proc.pid) if p != other_than and alive(p)] or None)
    return pid


async def answered(emulator, users: list[str], each: int = 1) -> None:
    await eventually(lambda: all(len(emulator.accepted_messages(u)) >= each for u in users))


@pytest.fixture
async def serve(database_url, emulator, tmp_path):
    started: list[ServiceProcess] = []

    async def start(**env: str) -> ServiceProcess:
        service = ServiceProcess(database_url, emulator.base_url, tmp_path / f"serve{len(started)}.log")
        service.env.update(env)
        started.append(service)
        await service.start()
        emulator.webhook_url = service.url + "/webhook"
        return service

    yield start
    for service in started:
        if service.proc.returncode is None:
            service.proc.kill()
            await service.proc.wait()


async def _counts(sessionmaker) -> tuple[int, int]:
    async with sessionmaker() as s:
        return (await s.scalar(select(func.count()).select_from(InboxEvent)),
                await s.scalar(select(func.count()).select_from(OutboxMessage)))


async def test_the_worker_process_answers_and_is_restarted_after_sigkill_losing_nothing(serve, emulator,
                                                                                        sessionmaker):
    service = await serve()
    worker = await the_worker(service)
    users = [f"U{i:032x}" for i in range(30)]
    for user in users[:10]:
        assert (await emulator.deliver([events.text_message(user, "สวัสดี")])).status_code == 200
    await answered(emulator, users[:10])

    emulator.add_fault("/v2/bot/message/reply", status=0, delay_seconds=0.05, times=100_000)  # LINE is slow
    for user in users[10:20]:
        assert (await emulator.deliver([events.text_message(user, "สวัสดี")])).status_code == 200
    os.kill(worker, signal.SIGKILL)  # with events and answers in flight
    for user in users[20:]:  # the web still stores while no worker runs
        assert (await emulator.deliver([events.text_message(user, "สวัสดี")])).status_code == 200
    restarted = await the_worker(service, other_than=worker)
    assert restarted != worker and alive(service.proc.pid)

    await answered(emulator, users)
    async with asyncio.timeout(60):
        while True:
            async with sessionmaker() as s:
                left = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.status != "sent"))
                left += await s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status != "done"))
            if not left:
                break
            await asyncio.sleep(0.05)
    assert await _counts(sessionmaker) == (len(users), len(users))
    assert all(len(emulator.accepted_messages(u)) == 1 for u in users)


async def test_sigterm_stops_serve_and_its_worker(serve):
    service = await serve()
    worker = await the_worker(service)
    service.proc.send_signal(signal.SIGTERM)
    assert await service.proc.wait() == 0
    await eventually(lambda: not alive(worker))


async def test_a_worker_never_outlives_a_killed_serve(serve):
    service = await serve()
    worker = await the_worker(service)
    await service.kill()  # SIGKILL: serve runs no shutdown code
    await eventually(lambda: not alive(worker))


async def test_a_worker_told_to_stop_while_its_database_never_answers_exits_by_the_deadline(tmp_path):
    """A database that accepts the connection and never answers: start-up waits on it (asyncpg
    would for a minute); SIGTERM then ends the worker by its stop deadline (20 s), not the wait."""
    from app.pipeline import workers

    connected = asyncio.Event()
    held = []

    def hold(reader, writer) -> None:  # a PostgreSQL that takes the connection and never answers
        held.append(writer)
        connected.set()

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    env = {**os.environ, "RONGTUK_ENV": "development", "DATABASE_URL": f"postgresql+asyncpg://x@127.0.0.1:{port}/x",
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "ADMIN_API_TOKEN": ADMIN_TOKEN,
           "LOG_JSON": "false", "SCHEDULER": "off"}
    with open(tmp_path / "worker.log", "ab") as log:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "app.cli", "worker", env=env,
                                                    stdout=log, stderr=log)
    try:
        async with asyncio.timeout(60):
            await connected.wait()  # it is waiting for the database (its signal handlers are set by then)
        await asyncio.sleep(0.5)
        assert proc.returncode is None
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(workers.STOP_DEADLINE_SECONDS + 15):  # well inside asyncpg's 60 s
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        for writer in held:
            writer.close()
        silent.close()


async def test_the_web_wakes_its_worker_for_events_and_for_messages_written_by_the_api(serve, emulator,
                                                                                       sessionmaker):
    service = await serve(WORKER_POLL_SECONDS=NEVER)
    await the_worker(service)
    driver = ServiceDriver(app=None, url=service.url, emulator=emulator, sessionmaker=sessionmaker,
                           admin_token=ADMIN_TOKEN)
    await driver.register("U_BANGRAK", "coordinator", "1004")  # an event in, its answer out
    async with driver.http() as client:
        response = await client.post("/api/v1/cases", json={"title": "ไฟทางดับ", "detail": "ซอยสีลม 5",
                                                            "agency": "1004"})
    assert response.status_code == 201
    card = await eventually(lambda: [m for m in emulator.accepted_messages("U_BANGRAK") if m["type"] == "flex"])
    assert card[0]["altText"]
