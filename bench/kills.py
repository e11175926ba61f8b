"""SIGKILL trials: kill the service at random moments while forwards, taps and relays stream in,
start it again, and check that nothing accepted was lost or done twice.

For each database it starts the LINE emulator (`rongtuk line-emulator`) and the service (`rongtuk
serve`) as processes, registers 10 centre staff and 50 coordinators and forwards 50 cases through
the real interfaces (bench/relay.py's scene). Then, per trial: a burst of actions, each from a
person in LINE through the emulator (which signs, registers reply tokens and POSTs as LINE does):
relays "#<case> soak <trial>-<n>" by coordinators, taps of a case card's รับเรื่อง by coordinators,
and new forwards "ส่งเรื่อง <unit>\\nsoak <trial>-<n>" by the centre. At a random moment inside the
burst the service gets SIGKILL: the whole `serve`, or only its worker process when it has one. It
is started again; events whose delivery got no 200 are delivered again with isRedelivery, as LINE
does. When all is quiet the trial is checked:

- every event LINE delivered is stored once and worked (none pending, none dead);
- what LINE accepted is exactly what the outbox says was sent: the same messages to the same
  chats, none missing and none twice (a multiset of (chat, type, text) on both sides);
- each relay's text reached the centre exactly once, and each forward made exactly one case.

  .venv/bin/python bench/kills.py [--trials 100] [--db sqlite,postgresql] [--seed 1555]

Exits 1 on any loss, duplicate or misroute, after printing the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.line import events  # noqa: E402
from bench.relay import ADMIN, DISTRICTS, SECRET, TOKEN, Case, Target, messages, seed, until  # noqa: E402
from bench.webhook import client, database, free_port, show_log, start  # noqa: E402
from models import ComplaintCase, InboxEvent, OutboxMessage  # noqa: E402

ACK = "รับเรื่อง"


@dataclass
class Counts:
    trials: int = 0
    kills: int = 0
    worker_kills: int = 0
    events: int = 0
    redelivered: int = 0
    lost: int = 0
    twice: int = 0
    misrouted: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, kind: str, what: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < 20:
            self.problems.append(what)


class Service:
    """`rongtuk serve` as a process that can be killed and started again on the same port."""

    def __init__(self, env: dict, port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = start([sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)], self.env, self.port,
                          self.log)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill(self, rng: random.Random) -> bool:
        """SIGKILL the service, or only its worker process (half the time, when it has one).
        Returns True when only the worker was killed (serve restarts it by itself)."""
        workers = self.children()
        if workers and rng.random() < 0.5:
            os.kill(rng.choice(workers), signal.SIGKILL)
            return True
        self.proc.kill()
        self.proc.wait()
        _wait_gone(workers)
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _wait_gone(pids: list[int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.02)


# -- one trial ------------------------------------------------------------------------------------

@dataclass
class Scene:
    target: Target
    service: Service
    database_url: str
    cards: dict[str, str]  # coordinator → the postback data of รับเรื่อง on their latest card
    units: list[str]
    centres: list[str]


async def deliver(session: aiohttp.ClientSession, target: Target, event: dict) -> bool:
    """LINE delivers one event; True when the webhook answered 200."""
    try:
        async with session.post(f"{target.emulator}/_emulator/deliver", json={"events": [event]}) as r:
            return r.status == 200 and (await r.json())["status"] == 200
    except aiohttp.ClientError:
        return False


def actions(rng: random.Random, scene: Scene, trial: int, count: int) -> list[tuple[str, dict, str]]:
    """(kind, event, marker) for a burst: mostly relays, some taps and forwards."""
    out = []
    for n in range(count):
        marker = f"soak {trial}-{n}"
        roll = rng.random()
        case: Case = rng.choice(scene.target.cases)
        if roll < 0.6:
            out.append(("relay", events.text_message(case.coordinator, f"#{case.number} {marker}"), marker))
        elif roll < 0.8 and scene.cards.get(case.coordinator):
            out.append(("tap", events.postback(case.coordinator, scene.cards[case.coordinator]), marker))
        else:
            unit, centre = rng.choice(scene.units), rng.choice(scene.centres)
            out.append(("forward", events.text_message(centre, f"ส่งเรื่อง {unit}\n{marker}"), marker))
    return out


async def run_trial(session: aiohttp.ClientSession, scene: Scene, rng: random.Random, trial: int,
                    counts: Counts) -> None:
    burst = actions(rng, scene, trial, rng.randint(4, 10))
    kill_at = rng.uniform(0.0, 0.05 * len(burst) + 0.1)
    unanswered: list[dict] = []

    async def send(event: dict, delay: float) -> None:
        await asyncio.sleep(delay)
        if not await deliver(session, scene.target, event):
            unanswered.append(event)

    async def kill() -> None:
        await asyncio.sleep(kill_at)
        only_worker = scene.service.kill(rng)
        counts.kills += 1
        counts.worker_kills += only_worker
        if not only_worker:
            await asyncio.sleep(rng.uniform(0, 0.2))
            scene.service.start()

    await asyncio.gather(kill(), *(send(event, i * rng.uniform(0.0, 0.05)) for i, (_, event, _) in enumerate(burst)))
    for event in unanswered:  # LINE delivers what got no 200 again
        again = json.loads(json.dumps(event))
        again["deliveryContext"]["isRedelivery"] = True
        while not await deliver(session, scene.target, again):
            await asyncio.sleep(0.2)
    counts.trials += 1
    counts.events += len(burst)
    counts.redelivered += len(unanswered)
    await settle(scene.database_url, timeout=60)
    await check(session, scene, burst, counts, trial)


async def settle(database_url: str, timeout: float) -> None:
    """Until no stored event and no message is pending."""
    engine = create_async_engine(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            async with engine.connect() as conn:
                inbox = await conn.scalar(select(func.count()).select_from(InboxEvent)
                                          .where(InboxEvent.status == "pending"))
                outbox = await conn.scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.status == "pending"))
            if not inbox and not outbox:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"not settled after {timeout:.0f} s: {inbox} events, {outbox} messages pending")
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


def _key(to: str, message: dict) -> tuple[str, str, str]:
    return to, message["type"], message.get("text") or message.get("altText") or json.dumps(message, sort_keys=True)


async def check(session: aiohttp.ClientSession, scene: Scene, burst, counts: Counts, trial: int) -> None:
    accepted = await messages(session, scene.target)
    engine = create_async_engine(scene.database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(OutboxMessage.recipient, OutboxMessage.messages, OutboxMessage.status)))
            outbox = collections.Counter()
            for to, sent, status in rows:
                if status != "sent":
                    counts.fail("lost", f"trial {trial}: outbox row to {to} ended {status}")
                for message in sent:
                    outbox[_key(to, message)] += 1
            dead = await conn.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status != "done"))
            forwarded = collections.Counter(
                title for (title,) in await conn.execute(select(ComplaintCase.title)
                                                         .where(ComplaintCase.title.like(f"soak {trial}-%"))))
    finally:
        await engine.dispose()
    if dead:
        counts.fail("lost", f"trial {trial}: {dead} events not worked")
    line = collections.Counter(_key(m["to"], m) for m in accepted)
    for key in outbox.keys() | line.keys():
        if line[key] < outbox[key]:
            counts.fail("lost", f"trial {trial}: {outbox[key] - line[key]}× {key[:2]} {key[2][:60]!r} never reached LINE")
        elif line[key] > outbox[key]:
            counts.fail("twice", f"trial {trial}: {key[:2]} {key[2][:60]!r} reached LINE {line[key]}× "
                                 f"for {outbox[key]} in the outbox")
    for kind, event, marker in burst:
        if kind == "relay":
            number = event["message"]["text"].split()[0].lstrip("#")
            case = next(c for c in scene.target.cases if c.number == number)
            at = [m["to"] for m in accepted if m["to"] != case.coordinator and m.get("text", "").endswith(marker)]
            if len(at) == 0:
                counts.fail("lost", f"trial {trial}: relay {marker!r} never reached the centre")
            elif len(at) > 1:
                counts.fail("twice", f"trial {trial}: relay {marker!r} reached the centre {len(at)}×")
            elif at[0] != case.centre:
                counts.fail("misrouted", f"trial {trial}: relay {marker!r} reached {at[0]}, not {case.centre}")
        elif kind == "forward" and forwarded[marker] != 1:
            counts.fail("twice" if forwarded[marker] > 1 else "lost",
                        f"trial {trial}: forward {marker!r} made {forwarded[marker]} cases")


# -- the scene ------------------------------------------------------------------------------------

async def ack_buttons(session: aiohttp.ClientSession, target: Target) -> dict[str, str]:
    cards = {}
    for m in await messages(session, target):
        if m["type"] == "flex" and m["to"].startswith("Uc0"):
            for button in m["contents"].get("footer", {}).get("contents", []):
                action = button.get("action", {})
                if action.get("label") == ACK:
                    cards[m["to"]] = action["data"]
    return cards


async def run_database(kind: str, trials: int, rng: random.Random, tmp: Path) -> Counts:
    url, drop = database(kind, tmp)
    log = tmp / f"{kind}.log"
    counts = Counts()
    port, emu_port = free_port(), free_port()
    emu_url = f"http://127.0.0.1:{emu_port}"
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": ADMIN,
           "LOG_LEVEL": "WARNING", "RONGTUK_ENV": "development", "DATABASE_URL": url, "LINE_API_BASE_URL": emu_url,
           "SCHEDULER": "off"}  # leases, timeouts and polls as deployed
    emulator = service = None
    try:
        if kind != "sqlite":
            for step in (["db", "upgrade"], ["agencies", "load"]):
                subprocess.run([sys.executable, "-m", "app.cli", *step], env={**os.environ, **env}, check=True,
                               cwd=ROOT, capture_output=True)
        emulator = start([sys.executable, "-m", "app.cli", "line-emulator", "--port", str(emu_port), "--webhook-url",
                          f"http://127.0.0.1:{port}/webhook"], env, emu_port, log)
        service = Service(env, port, log)
        service.start()
        target = Target(f"rongtuk, {kind}", emu_url, f"http://127.0.0.1:{port}/webhook", False, [],
                        prefix=lambda case: f"💬 #{case.number} · ")
        async with client() as session:
            await seed(session, target, f"http://127.0.0.1:{port}")
            await settle(url, timeout=60)
            scene = Scene(target, service, url, await ack_buttons(session, target),
                          units=list(DISTRICTS),
                          centres=sorted({c.centre for c in target.cases}))
            for trial in range(1, trials + 1):
                await until(lambda: _ready(session, port), "the service to answer", 30, interval=0.05)
                await run_trial(session, scene, rng, trial, counts)
                print(f"  {kind}: trial {trial}/{trials}: lost {counts.lost}, twice {counts.twice}, "
                      f"misrouted {counts.misrouted}", file=sys.stderr, end="\r")
        print(file=sys.stderr)
    except BaseException:
        show_log(log)
        raise
    finally:
        if service is not None:
            service.stop()
        if emulator is not None:
            emulator.terminate()
            emulator.wait()
        drop()
    return counts


async def _ready(session: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with session.get(f"http://127.0.0.1:{port}/readyz") as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1555)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for kind in args.db.split(","):
            results[kind] = await run_database(kind, args.trials, random.Random(args.seed), Path(tmpdir))
    print("\nSIGKILL trials: forwards, taps and relays; the service (or its worker) killed once per trial\n")
    print("| database | trials | kills (worker only) | events | delivered again | lost | twice | misrouted |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    for kind, c in results.items():
        print(f"| {kind} | {c.trials} | {c.kills} ({c.worker_kills}) | {c.events} | {c.redelivered} | {c.lost} | "
              f"{c.twice} | {c.misrouted} |")
        failed |= bool(c.lost or c.twice or c.misrouted)
        for problem in c.problems:
            print(f"  {kind}: {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
