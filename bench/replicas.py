"""Replica trial: a ตอบกลับ tap and the text right after it, sent to two different replicas.

Starts the LINE emulator and two `rongtuk serve` replicas on one PostgreSQL database (`db upgrade`
and `agencies load` first), and sets the scene through the real interfaces as bench/relay.py does
(its `seed`: 10 centre staff, 50 coordinators, one case per district), then forwards a second case
to every district, so each coordinator holds two case cards. Each coordinator first taps ตอบกลับ
on its second case; then, round by round, it taps ตอบกลับ on the other case (the postback data is
read from the card the emulator accepted for that coordinator) and sends a text: the tap to
replica A, the text to replica B, POSTed straight to each replica's /webhook as signed bodies,
within 5 ms of each other, in random order (or text first with --text-first). The tap's LINE
timestamp is 1 ms before the text's. Rounds alternate the case, so a text worked before its tap
lands under the previous case: wrong. A text that reaches the centre under the tapped case is
right; one that never reaches it within --wait s is lost.

Only the CLI and HTTP drive the service, so it works whether `serve` runs its workers inside or
starts them in a process of their own. After the run it reads the inbox's receive times (psql,
`received_at`: when each request reached its replica's app, before its body was read) to report how
often, and by how much, a text arrived before its tap: the intake marks make the worker wait for
the tap however late it is stored; the ordering window covers only the arrivals' spread.

  .venv/bin/python bench/replicas.py [--pairs 300] [--ci] [--text-first] [--wait 15]

Exits non-zero on any wrong or lost pair. BENCH_POSTGRES_URL names the PostgreSQL server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.line import events  # noqa: E402
from app.line.testing import buttons  # noqa: E402
from bench.relay import (  # noqa: E402
    ADMIN, CASES_EACH, CENTRE_STAFF, DISTRICTS, FORWARDED, SECRET, TOKEN, Failed, Target, centre_id,
    coordinator_id, drain, messages, say, seed, until,
)
from bench.stack import running  # noqa: E402
from bench.webhook import client, database, free_port, show_log  # noqa: E402

RELAYED = re.compile(r"^💬 #(\d+-\d+) · .*\nคู่ที่ (\d+) ตอบ$")


@dataclass
class Coordinator:
    user_id: str
    reply_data: dict[str, str] = field(default_factory=dict)  # case number → its ตอบกลับ postback data
    cases: list[str] = field(default_factory=list)  # [first, second]


@dataclass
class Pair:
    seq: int
    coordinator: Coordinator
    case: str  # the case the tap opens
    tap_id: str = ""
    text_id: str = ""
    gap_ms: float = 0.0  # between the two POSTs' start


# -- the scene ----------------------------------------------------------------------------------

async def second_cases(session: aiohttp.ClientSession, target: Target) -> dict[str, Coordinator]:
    """Every centre person forwards one more case to each of its districts; returns each
    coordinator with its two cases and their ตอบกลับ buttons, read from the cards it received."""
    first = {c.coordinator: c.number for c in target.cases}
    centres = [centre_id(i) for i in range(CENTRE_STAFF)]
    await asyncio.gather(*(say(session, target, centres[i], f"ส่งเรื่อง {code}\nท่อระบายน้ำอุดตัน ซอย {code}")
                           for i in range(CENTRE_STAFF)
                           for code in DISTRICTS[i * CASES_EACH:(i + 1) * CASES_EACH]))
    await confirmed(session, target)

    async def cards():
        found: dict[str, Coordinator] = {}
        for code in DISTRICTS:
            uid = coordinator_id(code)
            coordinator = Coordinator(uid)
            for m in await messages(session, target, uid):
                number = m["type"] == "flex" and re.search(r"#(\d+-\d+)", m["altText"])
                if number:
                    coordinator.reply_data[number[1]] = buttons(m)["ตอบกลับ"]
            if len(coordinator.reply_data) < 2:
                return None
            second = next(n for n in coordinator.reply_data if n != first[uid])
            coordinator.cases = [first[uid], second]
            found[uid] = coordinator
        return found

    return await until(cards, "the second round of cards", 60, interval=0.5)


async def confirmed(session: aiohttp.ClientSession, target: Target) -> None:
    """The second round was confirmed to the centre (FORWARDED), so every card has gone out."""
    async def check():
        sent = await messages(session, target)
        return sum(1 for m in sent if m["type"] == "text" and FORWARDED.match(m["text"])) >= 2 * len(DISTRICTS)
    await until(check, "the second round's confirmations", 60, interval=0.5)


# -- the pairs ----------------------------------------------------------------------------------

async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict) -> float:
    """POST a signed body; returns time.perf_counter() just before the request went out."""
    sent = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as r:
        await r.read()
        if r.status != 200:
            raise Failed(f"{url} answered {r.status}")
    return sent


async def send_pair(session: aiohttp.ClientSession, pair: Pair, tap_url: str, text_url: str,
                    text_first: bool) -> None:
    """The tap to one replica, the text to the other, side by side (the second leaves as soon as
    the first is on its way, a few ms at most); the tap 1 ms earlier by LINE's clock."""
    now_ms = events.timestamp_ms()
    tap = events.postback(pair.coordinator.user_id, pair.coordinator.reply_data[pair.case])
    text = events.text_message(pair.coordinator.user_id, f"คู่ที่ {pair.seq} ตอบ")
    tap["timestamp"], text["timestamp"] = now_ms, now_ms + 1
    pair.tap_id, pair.text_id = tap["webhookEventId"], text["webhookEventId"]
    first, second = (text_url, *events.signed([text], SECRET)), (tap_url, *events.signed([tap], SECRET))
    if not text_first and random.random() < 0.5:
        first, second = second, first
    one = asyncio.create_task(post(session, *first))
    await asyncio.sleep(0)  # the first request starts before the second
    t_first, t_second = await asyncio.gather(one, post(session, *second))
    pair.gap_ms = abs(t_second - t_first) * 1000


async def outcomes(session: aiohttp.ClientSession, target: Target, pairs: list[Pair], wait: float) -> dict[int, str]:
    """seq → the case number its text reached the centre under; waits up to `wait` s for all."""
    centres = [centre_id(i) for i in range(CENTRE_STAFF)]
    wanted = {p.seq for p in pairs}
    deadline = time.monotonic() + wait
    while True:
        found: dict[int, str] = {}
        for sent in await asyncio.gather(*(messages(session, target, c) for c in centres)):
            for m in sent:
                match = m["type"] == "text" and RELAYED.match(m["text"])
                if match and int(match[2]) in wanted:
                    found.setdefault(int(match[2]), match[1])
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.3)


async def trial(session: aiohttp.ClientSession, target: Target, coordinators: list[Coordinator],
                replica_a: str, replica_b: str, args) -> tuple[list[Pair], dict[int, str]]:
    # Each coordinator's window starts on its second case; round r taps case r % 2, so a text
    # worked before its tap is relayed under the other case, never lost for want of a window.
    for c in coordinators:
        await post(session, replica_a, *events.signed([events.postback(c.user_id, c.reply_data[c.cases[1]])], SECRET))
    await drain(session, target)
    pairs: list[Pair] = []
    results: dict[int, str] = {}
    rounds = -(-args.pairs // len(coordinators))
    for r in range(rounds):
        batch = [Pair(len(pairs) + i, c, c.cases[r % 2])
                 for i, c in enumerate(coordinators[:args.pairs - len(pairs)])]
        pairs += batch
        tasks = []
        for pair in batch:  # about 100 events/s
            tasks.append(asyncio.create_task(send_pair(session, pair, replica_a, replica_b, args.text_first)))
            await asyncio.sleep(0.02)
        await asyncio.gather(*tasks)
        results.update(await outcomes(session, target, batch, args.wait))
        print(f"  round {r + 1}/{rounds}: {sum(results.get(p.seq) == p.case for p in batch)}/{len(batch)} right",
              file=sys.stderr)
        await drain(session, target, quiet=0.5)
    return pairs, results


def stored_first(db_url: str, pairs: list[Pair]) -> list[float]:
    """For each pair sent within 5 ms whose text arrived before its tap, by how many ms
    (received_at, read with psql)."""
    url = db_url.replace("postgresql+asyncpg://", "postgresql://")
    out = subprocess.run(["psql", url, "-Atc", "SELECT webhook_event_id, extract(epoch FROM received_at) "
                          "FROM inbox_event WHERE event_type IN ('message', 'postback')"],
                         check=True, capture_output=True, text=True).stdout
    received = {row.split("|")[0]: float(row.split("|")[1]) for row in out.splitlines() if "|" in row}
    return sorted((received[p.tap_id] - received[p.text_id]) * 1000 for p in pairs
                  if p.gap_ms <= 5 and p.tap_id in received and p.text_id in received
                  and received[p.text_id] < received[p.tap_id])


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--ci", action="store_true", help="a short run: 30 pairs")
    parser.add_argument("--text-first", action="store_true", help="always POST the text before the tap")
    parser.add_argument("--wait", type=float, default=15, help="seconds a round's texts may take to arrive")
    parser.add_argument("--window", type=float, default=None,
                        help="the replicas' INBOX_ORDER_WINDOW_SECONDS (default: the service's own)")
    args = parser.parse_args()
    if args.ci:
        args.pairs = 30
    python = sys.executable
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": ADMIN,
           "LOG_LEVEL": "WARNING", "RONGTUK_ENV": "development", "SCHEDULER": "off"}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "servers.log"
        url, drop = database("postgresql", tmp)
        try:
            emu_port, port_a, port_b = free_port(), free_port(), free_port()
            emu = f"http://127.0.0.1:{emu_port}"
            db_env = {**env, "DATABASE_URL": url, "LINE_API_BASE_URL": emu}
            if args.window is not None:
                db_env["INBOX_ORDER_WINDOW_SECONDS"] = str(args.window)
            for step in (["db", "upgrade"], ["agencies", "load"]):
                subprocess.run([python, "-m", "app.cli", *step], env={**os.environ, **db_env},
                               check=True, cwd=ROOT, capture_output=True)
            replica_a, replica_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            async with (running([python, "-m", "app.cli", "line-emulator", "--port", str(emu_port),
                                 "--webhook-url", f"{replica_a}/webhook"], env, emu_port, log),
                        running([python, "-m", "app.cli", "serve", "--port", str(port_a)], db_env, port_a, log),
                        running([python, "-m", "app.cli", "serve", "--port", str(port_b)], db_env, port_b, log),
                        client() as session):
                target = Target("replicas", emu, f"{replica_a}/webhook", False, [], prefix=lambda case: "")
                t0 = time.monotonic()
                await seed(session, target, replica_a)
                coordinators = list((await second_cases(session, target)).values())
                await drain(session, target)
                print(f"  seeded in {time.monotonic() - t0:.1f} s", file=sys.stderr)
                pairs, results = await trial(session, target, coordinators, f"{replica_a}/webhook",
                                             f"{replica_b}/webhook", args)
            early = stored_first(url, pairs)
        except BaseException:
            show_log(log)
            raise
        finally:
            drop()
    right = sum(results.get(p.seq) == p.case for p in pairs)
    lost = sum(p.seq not in results for p in pairs)
    wrong = len(pairs) - right - lost
    gaps = sorted(p.gap_ms for p in pairs)
    late = sum(g > 5 for g in gaps)
    window = "the default window" if args.window is None else f"window {args.window * 1000:g} ms"
    print(f"\nreplicas: tap ตอบกลับ → replica A, text → replica B, "
          f"{'text first' if args.text_first else 'random order'}; 2 replicas on PostgreSQL, {window}; "
          f"{os.cpu_count()} cores")
    print(f"pairs {len(pairs)}, right {right}, wrong {wrong}, lost {lost}")
    print(f"between the two POSTs: median {gaps[len(gaps) // 2]:.1f} ms, max {gaps[-1]:.1f} ms, "
          f"{late} pairs over 5 ms")
    print(f"of the {len(pairs) - late} pairs sent within 5 ms, text received before its tap: {len(early)}"
          + (f", by median {early[len(early) // 2]:.1f} ms, p95 {early[int(len(early) * 0.95)]:.1f} ms, "
             f"max {early[-1]:.1f} ms; over 100 ms: {sum(e > 100 for e in early)}" if early else ""))
    return 1 if wrong or lost else 0


if __name__ == "__main__":
    try:
        import uvloop  # the load generator shares the cores with the servers: keep it lean
    except ImportError:
        sys.exit(asyncio.run(main()))
    sys.exit(uvloop.run(main()))
