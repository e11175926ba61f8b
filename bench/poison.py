"""Poison events: how long 10 other chats wait for their answer while one event keeps failing.

For each database it starts the LINE emulator and the real service (`rongtuk serve`, workers in the
process, default settings: 6 tries, backoff from 2 s) pointed at each other. Each round sends 10
texts from 10 different people the service does not know (each is answered with the public notice,
by reply) through the emulator's `/_emulator/deliver`, as LINE does, all at once. Latency = the
emulator's `at` for a person's answer − time.time() here just before the POST.

  baseline: a round with nothing else in the inbox;
  poison:   a round sent right after an event that LINE's schema refuses (its text is a number) was
            written into the inbox, as an earlier version of the webhook could have stored it, so
            the worker meets it first and fails it, then again after each backoff, while the round
            is worked.

Rounds alternate, baseline then poison, `--rounds` times each; the ratio is poison/baseline of the
medians. The poison event ends `dead` with its error; the run fails if any answer is missing.

  .venv/bin/python bench/poison.py [--rounds 5] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.line import events  # noqa: E402
from bench.relay import until  # noqa: E402
from bench.stack import emulator_and_server  # noqa: E402
from bench.webhook import SECRET, TOKEN, database  # noqa: E402

OTHERS = 10


async def poison(url: str, chat: str) -> None:
    from app.db import create_engine
    from app.pipeline import inbox

    event = events.text_message(chat, "ช่วยเหลือ", at=datetime.now(UTC) - timedelta(seconds=1))
    event["message"]["text"] = 12345
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await inbox.record(conn, [event], now=datetime.now(UTC))
            await conn.commit()
    finally:
        await engine.dispose()


async def one_round(session: aiohttp.ClientSession, emulator: str, tag: str) -> list[float]:
    users = [f"U{tag}{i:02d}".ljust(33, "0") for i in range(OTHERS)]
    sent: dict[str, float] = {}

    async def deliver(user: str) -> None:
        sent[user] = time.time()
        async with session.post(f"{emulator}/_emulator/deliver",
                                json={"events": [events.text_message(user, "สวัสดี")]}) as r:
            r.raise_for_status()

    await asyncio.gather(*(deliver(u) for u in users))

    async def answers(user: str) -> list[dict]:
        async with session.get(f"{emulator}/_emulator/messages", params={"to": user}) as r:
            r.raise_for_status()
            return await r.json()

    async def answered():
        got = dict(zip(users, await asyncio.gather(*(answers(u) for u in users)), strict=True))
        return got if all(got.values()) else None

    got = await until(answered, f"answers to round {tag}", timeout=60, interval=0.05)
    return [got[u][0]["at"] - sent[u] for u in users]


async def dead_count(url: str) -> int:
    from sqlalchemy import func, select

    from app.db import create_engine
    from models import InboxEvent

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "dead"))
    finally:
        await engine.dispose()


async def measure(kind: str, rounds: int, tmp: Path, log: Path) -> dict[str, list[float]]:
    url, drop = database(kind, tmp)
    python = sys.executable
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": "bench",
           "LOG_LEVEL": "ERROR", "RONGTUK_ENV": "development", "DATABASE_URL": url, "SCHEDULER": "off"}
    results: dict[str, list[float]] = {"baseline": [], "poison": []}
    try:
        subprocess.run([python, "-m", "app.cli", "db", "upgrade"], env={**os.environ, **env}, check=True, cwd=ROOT,
                       capture_output=True)
        async with emulator_and_server(env, log) as stack:
            emulator = stack.emulator
            async with aiohttp.ClientSession() as session:
                await one_round(session, emulator, "w")  # warm-up
                for r in range(rounds):
                    results["baseline"] += await one_round(session, emulator, f"b{r}")
                    await poison(url, f"Upoison{r}".ljust(33, "0"))
                    results["poison"] += await one_round(session, emulator, f"p{r}")
            await until(lambda: _all_dead(url, rounds), "the poison events to be dead", timeout=180, interval=1)
    finally:
        drop()
    return results


async def _all_dead(url: str, rounds: int) -> bool:
    return await dead_count(url) == rounds


def ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000 if q < 100 else max(values) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        rows = {kind: await measure(kind, args.rounds, tmp, tmp / "servers.log") for kind in args.db.split(",")}
    print(f"\n{OTHERS} chats answered beside a poison event; {args.rounds} rounds each\n")
    print("| database | round | p50 ms | max ms | p50 vs baseline |")
    print("|---|---|---:|---:|---:|")
    for kind, r in rows.items():
        base = statistics.median(r["baseline"])
        for name in ("baseline", "poison"):
            print(f"| {kind} | {name} | {ms(r[name], 50):.0f} | {ms(r[name], 100):.0f} | "
                  f"{statistics.median(r[name]) / base:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
