"""The outbox sender while LINE misbehaves: one chat hanging, then a storm for everyone.

For each database it starts the LINE emulator (`rongtuk line-emulator`) and the real service
(`rongtuk serve`, LINE_REQUEST_TIMEOUT_SECONDS=--timeout) as processes. Traffic is texts from people
the service does not know, each from a chat of its own, through the emulator's deliver endpoint
(signed, reply tokens registered, as LINE does); each is answered with one request to LINE (a reply
while its token is fresh, else a push). Faults go through `POST /_emulator/faults`.

  hang:  for --hang-seconds every call for one chat hangs (answered only after the whole period),
         while the other chats text at --rate per second. Their latency (the emulator's time for
         the answer minus the time just before the POST) is measured; baseline: the same traffic
         with no fault, in the same run. Then the hanging chat's answer must arrive once.
  storm: --chats texts spread over --storm-seconds while every call fails, the fault changing each
         second: 500, a late answer (LINE does the work at once and answers after the timeout),
         429 with Retry-After 1, 503, a hang past the timeout. Then LINE recovers; drain = the last
         answer's time minus the recovery. Baseline: the same texts with no faults, drain counted
         from the last text. Duplicates and losses are counted from the messages the emulator
         accepted (requests per chat), after LINE's late answers have all landed.

  .venv/bin/python bench/faults.py [--db sqlite,postgresql] [--hang-seconds 15] [--storm-seconds 20]
                                   [--chats 56] [--rate 5] [--timeout 2]

BENCH_POSTGRES_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.line import events  # noqa: E402
from bench.relay import until  # noqa: E402
from bench.stack import emulator_and_server  # noqa: E402
from bench.webhook import SECRET, TOKEN, client, database, pct, show_log  # noqa: E402

PATHS = ("/v2/bot/message/reply", "/v2/bot/message/push")
HUNG = "Uhung".ljust(33, "0")
_ids = count()


def new_user(tag: str) -> str:
    return f"U{tag}{next(_ids):06d}".ljust(33, "0")


class Emulator:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.sent: dict[str, float] = {}  # user → time.time() before the POST

    async def say(self, user: str) -> None:
        self.sent[user] = time.time()
        async with self.session.post(f"{self.url}/_emulator/deliver",
                                     json={"events": [events.text_message(user, "สวัสดี")]}) as r:
            r.raise_for_status()

    async def faults(self, **fault) -> None:
        async with self.session.delete(f"{self.url}/_emulator/faults") as r:
            r.raise_for_status()
        if fault:
            for path in PATHS:
                async with self.session.post(f"{self.url}/_emulator/faults",
                                             json={"path": path, "times": 10**6, **fault}) as r:
                    r.raise_for_status()

    async def answers(self) -> dict[str, list[dict]]:
        """Requests LINE accepted, per chat: a chat answered twice has two."""
        async with self.session.get(f"{self.url}/_emulator/messages") as r:
            r.raise_for_status()
            by_request: dict[str, dict] = {}
            for m in await r.json():
                by_request.setdefault(m["requestId"], m)
        chats: dict[str, list[dict]] = {}
        for m in by_request.values():
            chats.setdefault(m["to"], []).append(m)
        return chats

    async def settled(self) -> bool:
        """Every request LINE sat on (late, hanging) has had its answer."""
        async with self.session.get(f"{self.url}/_emulator/requests") as r:
            r.raise_for_status()
            return all(req["status"] is not None for req in await r.json())


async def paced(emulator: Emulator, users: list[str], seconds: float) -> None:
    """Open loop: `users` text one after another, evenly over `seconds`."""
    begin, tasks = time.perf_counter(), []
    for i, user in enumerate(users):
        await asyncio.sleep(max(0.0, begin + i * seconds / len(users) - time.perf_counter()))
        tasks.append(asyncio.create_task(emulator.say(user)))
    await asyncio.gather(*tasks)


async def all_answered(emulator: Emulator, users: list[str], timeout: float) -> dict[str, list[dict]]:
    async def check():
        got = await emulator.answers()
        return got if all(u in got for u in users) else None

    return await until(check, f"answers for {len(users)} chats", timeout, interval=0.1)


async def latencies(emulator: Emulator, users: list[str], got: dict[str, list[dict]]) -> list[float]:
    return [min(m["at"] for m in got[u]) - emulator.sent[u] for u in users]


async def hang(emulator: Emulator, seconds: float, rate: float) -> dict:
    n = max(2, int(rate * seconds))
    base_users = [new_user("b") for _ in range(n)]
    await paced(emulator, base_users, seconds)
    got = await all_answered(emulator, base_users, 60)
    baseline = await latencies(emulator, base_users, got)

    await emulator.faults(status=0, delay_seconds=seconds, to=HUNG)
    await emulator.say(HUNG)
    users = [new_user("h") for _ in range(n)]
    await paced(emulator, users, seconds)
    got = await all_answered(emulator, users, 60)
    measured = await latencies(emulator, users, got)
    hung_during = len(got.get(HUNG, []))
    await emulator.faults()
    await all_answered(emulator, [HUNG], 120)
    await until(emulator.settled, "LINE's hanging answers", seconds + 30, interval=0.5)
    got = await emulator.answers()
    return {"baseline": baseline, "measured": measured, "hung_during": hung_during,
            "hung_answers": len(got.get(HUNG, [])), "others_twice": sum(len(got[u]) > 1 for u in users)}


STORM = ({"status": 500}, {"late": True}, {"status": 429, "retry_after": 1}, {"status": 503}, {"status": 0})


async def storm(emulator: Emulator, seconds: float, chats: int, timeout: float) -> dict:
    users = [new_user("s") for _ in range(chats)]
    await paced(emulator, users, seconds)
    last = time.time()
    got = await all_answered(emulator, users, 120)
    baseline_drain = max(min(m["at"] for m in got[u]) for u in users) - last

    users = [new_user("f") for _ in range(chats)]
    slow = timeout + 1.0  # past the service's timeout: a late answer, a hang

    async def faults() -> None:
        for i in range(int(seconds)):
            fault = dict(STORM[i % len(STORM)])
            if fault.get("late") or fault.get("status") == 0:
                fault["delay_seconds"] = slow
            await emulator.faults(**fault)
            await asyncio.sleep(1.0)

    await asyncio.gather(faults(), paced(emulator, users, seconds))
    await emulator.faults()
    recovered = time.time()
    got = await asyncio.wait_for(_answers_or_timeout(emulator, users, 120), 130)
    answered = [u for u in users if u in got]
    drain = max((min(m["at"] for m in got[u]) for u in answered), default=recovered) - recovered
    await until(emulator.settled, "LINE's late answers", 60, interval=0.5)
    await asyncio.sleep(3)  # a retry that was already on its way
    got = await emulator.answers()
    return {"baseline_drain": baseline_drain, "drain": drain, "lost": sum(u not in got for u in users),
            "twice": sum(len(got.get(u, [])) > 1 for u in users), "chats": chats,
            "via": {via: sum(got[u][0]["via"] == via for u in users if u in got) for via in ("reply", "push")}}


async def _answers_or_timeout(emulator: Emulator, users: list[str], timeout: float) -> dict[str, list[dict]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await emulator.answers()
        if all(u in got for u in users):
            return got
        await asyncio.sleep(0.1)
    return await emulator.answers()


async def measure(kind: str, args, tmp: Path, log: Path) -> dict:
    url, drop = database(kind, tmp)
    python = sys.executable
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": "bench",
           "LOG_LEVEL": "ERROR", "RONGTUK_ENV": "development", "DATABASE_URL": url, "SCHEDULER": "off",
           "LINE_REQUEST_TIMEOUT_SECONDS": str(args.timeout)}
    try:
        subprocess.run([python, "-m", "app.cli", "db", "upgrade"], env={**os.environ, **env}, check=True, cwd=ROOT,
                       capture_output=True)
        async with emulator_and_server(env, log) as stack:
            async with client() as session:
                emulator = Emulator(session, stack.emulator)
                warm = [new_user("w") for _ in range(5)]
                await paced(emulator, warm, 1)
                await all_answered(emulator, warm, 60)
                result = {"hang": await hang(emulator, args.hang_seconds, args.rate) if args.hang_seconds else None}
                print(f"  {kind}: hang done", file=sys.stderr)
                result["storm"] = await storm(emulator, args.storm_seconds, args.chats, args.timeout)
                print(f"  {kind}: storm done", file=sys.stderr)
                return result
    finally:
        drop()


def failures(rows: dict[str, dict]) -> list[str]:
    """What makes a run fail (`./dev soak`): an answer lost or sent twice. Times are reported, not judged."""
    found = []
    for kind, r in rows.items():
        if r["hang"] is not None and (r["hang"]["hung_answers"] != 1 or r["hang"]["others_twice"]):
            found.append(f"{kind}: hanging chat answered {r['hang']['hung_answers']}×, "
                         f"{r['hang']['others_twice']} other chats answered twice")
        if r["storm"]["lost"] or r["storm"]["twice"]:
            found.append(f"{kind}: storm lost {r['storm']['lost']}, delivered twice {r['storm']['twice']}")
    return found


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--hang-seconds", type=float, default=15, help="0: no hang phase")
    parser.add_argument("--storm-seconds", type=float, default=20)
    parser.add_argument("--chats", type=int, default=56)
    parser.add_argument("--rate", type=float, default=5, help="texts per second from other chats during the hang")
    parser.add_argument("--timeout", type=float, default=2, help="the service's LINE_REQUEST_TIMEOUT_SECONDS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "servers.log"
        try:
            rows = {kind: await measure(kind, args, tmp, log) for kind in args.db.split(",")}
        except BaseException:
            show_log(log)
            raise
    if args.hang_seconds:
        print(f"\nhang: one chat's LINE calls hang for {args.hang_seconds:g} s; other chats text at {args.rate:g}/s; "
              f"LINE timeout {args.timeout:g} s; {os.cpu_count()} cores\n")
        print("| database | traffic | p50 ms | p95 ms | max ms | hanging chat answered (during / after) |")
        print("|---|---|---:|---:|---:|---|")
        for kind, r in rows.items():
            h = r["hang"]
            for name, values in (("baseline, no fault", h["baseline"]), ("others, one chat hanging", h["measured"])):
                extra = f"{h['hung_during']} / {h['hung_answers']}" if name.startswith("others") else ""
                print(f"| {kind} | {name} | {pct(values, 50):.0f} | {pct(values, 95):.0f} | {max(values) * 1000:.0f} "
                      f"| {extra} |")
    print(f"\nstorm: {args.chats} chats text over {args.storm_seconds:g} s while every call fails "
          "(500, late answer, 429, 503, hang; a new one each second), then LINE recovers\n")
    print("| database | run | drain s | lost | delivered twice | answered by reply / push |")
    print("|---|---|---:|---:|---:|---|")
    for kind, r in rows.items():
        s = r["storm"]
        print(f"| {kind} | baseline, no fault (from the last text) | {s['baseline_drain']:.1f} | | | |")
        print(f"| {kind} | storm (from the recovery) | {s['drain']:.1f} | {s['lost']} | {s['twice']} "
              f"| {s['via']['reply']} / {s['via']['push']} |")
    for problem in failures(rows):
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if failures(rows) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
