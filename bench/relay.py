"""Relay latency: a coordinator's "#<case> <text>" in LINE to the centre's push accepted by LINE.

For each database (SQLite, PostgreSQL) it starts the LINE emulator (`rongtuk line-emulator`) and the
real service (`rongtuk serve`: the web process and its worker process) pointed at each other, and
sets the scene through the real interfaces only: 10 centre staff and 50 coordinators (one per district
1001–1050) are added to the emulator, invited through `POST /api/v1/invites` and registered by
sending `ลงทะเบียน <code>` in LINE; each centre person forwards 5 cases by chat (`ส่งเรื่อง 10xx`),
and the case numbers are read from the confirmations the centre receives. Then, at each rate
(open loop, default 20 and 100 events/s for 10 s after a 1 s warm-up at the same rate), each
event is a text "#<number> relay <seq>" from the coordinator of one of the 50 cases in turn, with
LINE's timestamp = now. Latency = the emulator's `at` for the push that reaches the centre person
who forwarded the case (time.time() in the emulator process) − time.time() in this process just
before the event is POSTed. Every relay must arrive, at the right person, or the run fails. The
server's CPU (user + system from /proc, the web process and its worker process apart) is counted
from the warm-up's first event until the emulator is quiet again, per relay sent.

Events go through the emulator's `POST /_emulator/deliver` by default, which signs them, registers
their reply tokens and POSTs them to the webhook, as LINE does: the service then answers the
coordinator by reply as it would in production. The clock starts before that POST, so the
emulator's hop (a few ms) is in both the service's and the baseline's figures. `--direct` POSTs
signed bodies straight to the webhook instead; the reply tokens are then unknown to the emulator,
every confirmation is refused and re-sent by push, and the service does that extra work.

Baseline, in the same run, with the same load and matching: bench/baseline_relay.py, a FastAPI
app that verifies the signature, answers 200 and pushes "💬 <text>" to one fixed user from a
background task (no database, nothing durable), against its own emulator.

  .venv/bin/python bench/relay.py [--rates 20,100] [--seconds 10] [--db sqlite,postgresql] [--direct]

BENCH_POSTGRES_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.line import events  # noqa: E402
from bench.stack import emulator_and_server  # noqa: E402
from bench.webhook import client, database, pct, show_log  # noqa: E402

SECRET = "bench-secret"
TOKEN = "bench-token"
ADMIN = "bench-admin"
CENTRE_STAFF = 10
CASES_EACH = 5
# A seed's delivery the webhook did not take is sent again (on a busy machine it can time out).
SEED_REDELIVERIES = 3
DISTRICTS = [str(code) for code in range(1001, 1001 + CENTRE_STAFF * CASES_EACH)]
RELAY = re.compile(r"\brelay (\d+)$")
FORWARDED = re.compile(r"^ส่งเรื่อง #(\d+-\d+) ถึง .*\((\d{4})\) แล้วค่ะ\nแจ้งผู้ประสานงานและกลุ่มของหน่วยงานแล้ว 1 ช่องทาง")


def centre_id(i: int) -> str:
    return f"Uce{i:030x}"


def coordinator_id(code: str) -> str:
    return f"Uc0{int(code):030x}"


@dataclass
class Case:
    number: str
    coordinator: str
    centre: str  # who receives the coordinator's messages


@dataclass
class Target:
    name: str
    emulator: str  # base URL
    webhook: str
    direct: bool
    cases: list[Case]
    # what the centre's push says: the service adds "#<number> · <unit> (<name>):", the baseline not
    prefix: Callable[[Case], str]
    sent: dict[int, float] = field(default_factory=dict)  # seq → time.time() before the POST
    seq: int = 0
    pid: int | None = None  # the server process; its CPU and its children's is counted per relay


def cpu_seconds(pid: int | None) -> dict[str, float]:
    """User + system CPU seconds of `pid` ("web") and of each of its children ("worker"), from /proc."""
    if pid is None:
        return {}
    tick = os.sysconf("SC_CLK_TCK")

    def used(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        children = []
    return {"web": used(pid), "worker": sum(used(c) for c in children)}


class Failed(RuntimeError):
    pass


# -- talking to the service the way LINE does ---------------------------------------------------

async def say(session: aiohttp.ClientSession, target: Target, user_id: str, text: str, *,
              redeliveries: int = 0) -> None:
    """`user_id` types `text` in a 1:1 chat: one text event, LINE's timestamp = now. Through the
    emulator, a delivery the webhook did not take (no answer in time, no connection, a 5xx) is sent
    again up to `redeliveries` times, as LINE's webhook redelivery does: the same event, marked
    isRedelivery, which the service stores once."""
    event = events.text_message(user_id, text)
    for attempt in range(redeliveries + 1):
        if attempt:
            await asyncio.sleep(attempt)
            event = {**event, "deliveryContext": {"isRedelivery": True}}
        if target.direct:
            body, headers = events.signed([event], SECRET)
            async with session.post(target.webhook, data=body, headers=headers) as r:
                await r.read()
                status, why = r.status, ""
        else:
            async with session.post(f"{target.emulator}/_emulator/deliver", json={"events": [event]}) as r:
                answer = await r.json()
                status, why = (answer["status"], "") if r.status == 200 else (r.status, answer.get("message", ""))
        if status < 500:  # taken, or refused for good: a redelivery would be refused again
            break
    if status != 200:
        raise Failed(f"webhook answered {status} to {text!r} ({attempt + 1} deliveries){': ' + why if why else ''}")


async def messages(session: aiohttp.ClientSession, target: Target, to: str | None = None) -> list[dict]:
    async with session.get(f"{target.emulator}/_emulator/messages", params={"to": to} if to else None) as r:
        r.raise_for_status()
        return await r.json()


async def until(check, what: str, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


async def seed(session: aiohttp.ClientSession, target: Target, service: str) -> None:
    """Staff on the emulator, invited by the API, registered and forwarding cases by chat."""
    admin = {"authorization": f"Bearer {ADMIN}"}
    centres = [centre_id(i) for i in range(CENTRE_STAFF)]
    people = [(uid, f"ศูนย์ฯ คนที่ {i + 1}", "centre", "CENTRE") for i, uid in enumerate(centres)]
    people += [(coordinator_id(code), f"ผู้ประสานงาน {code}", "coordinator", code) for code in DISTRICTS]

    async def enrol(uid: str, name: str, role: str, agency: str) -> None:
        async with session.put(f"{target.emulator}/_emulator/users/{uid}", json={"displayName": name}) as r:
            r.raise_for_status()
        async with session.post(f"{service}/api/v1/invites", json={"role": role, "agency": agency},
                                headers=admin) as r:
            if r.status != 201:
                raise Failed(f"invite for {agency}: {r.status} {await r.text()}")
            code = (await r.json())["code"]
        await say(session, target, uid, f"ลงทะเบียน {code}", redeliveries=SEED_REDELIVERIES)

    await asyncio.gather(*(enrol(*p) for p in people))

    async def registered():
        async with session.get(f"{service}/api/v1/people", params={"active": "true"}, headers=admin) as r:
            return len(await r.json()) == len(people)

    await until(registered, f"{len(people)} registrations", 60)

    await asyncio.gather(*(say(session, target, centres[i], f"ส่งเรื่อง {code}\nไฟทางดับ ซอย {code}",
                               redeliveries=SEED_REDELIVERIES)
                           for i in range(CENTRE_STAFF)
                           for code in DISTRICTS[i * CASES_EACH:(i + 1) * CASES_EACH]))

    async def forwarded():
        sent = await messages(session, target)
        numbers = {}
        for m in sent:
            if m["to"] in centres and m["type"] == "text" and (match := FORWARDED.match(m["text"])):
                numbers[match[2]] = Case(match[1], coordinator_id(match[2]), m["to"])
        cards = {m["to"] for m in sent if m["type"] == "flex"}
        if len(numbers) == len(DISTRICTS) and all(c.coordinator in cards for c in numbers.values()):
            return numbers
        return None

    numbers = await until(forwarded, f"{len(DISTRICTS)} forwarded cases and their cards", 60)
    for i, code in enumerate(DISTRICTS):
        if numbers[code].centre != centres[i // CASES_EACH]:
            raise Failed(f"case for {code} confirmed to {numbers[code].centre}, not to who forwarded it")
    target.cases = [numbers[code] for code in DISTRICTS]


# -- the measurement ----------------------------------------------------------------------------

async def drive(session: aiohttp.ClientSession, target: Target, rate: float, seconds: float) -> list[int]:
    """Open loop: one relay every 1/rate s whatever the answers. Returns the seqs sent."""
    count = int(rate * seconds)
    seqs = list(range(target.seq, target.seq + count))
    target.seq += count

    async def one(seq: int) -> None:
        case = target.cases[seq % len(target.cases)]
        event = events.text_message(case.coordinator, f"#{case.number} relay {seq}")
        if target.direct:
            body, headers = events.signed([event], SECRET)
            target.sent[seq] = time.time()
            async with session.post(target.webhook, data=body, headers=headers) as r:
                await r.read()
                status = r.status
        else:
            target.sent[seq] = time.time()
            async with session.post(f"{target.emulator}/_emulator/deliver", json={"events": [event]}) as r:
                status = (await r.json())["status"] if r.status == 200 else r.status
        if status != 200:
            raise Failed(f"webhook answered {status} to relay {seq}")

    begin = time.perf_counter()
    tasks = []
    for i, seq in enumerate(seqs):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(seq)))
    await asyncio.gather(*tasks)
    return seqs


async def arrivals(session: aiohttp.ClientSession, target: Target, seqs: list[int], stall: float) -> dict[int, float]:
    """Wait until every relay in `seqs` is accepted by the emulator for the right person; seq → at.
    Fails when `stall` s pass with none arriving (a backlog still draining is progress)."""
    wanted = set(seqs)
    centres = sorted({c.centre for c in target.cases})
    found: dict[int, float] = {}
    progress = (0, time.monotonic())
    while True:
        for to, sent in zip(centres, await asyncio.gather(*(messages(session, target, c) for c in centres)), strict=True):
            for m in sent:
                match = RELAY.search(m.get("text", ""))
                if not match or int(match[1]) not in wanted:
                    continue
                seq = int(match[1])
                case = target.cases[seq % len(target.cases)]
                if to != case.centre or not m["text"].startswith(target.prefix(case)):
                    raise Failed(f"{target.name}: relay {seq} reached {to} as {m['text']!r}")
                found.setdefault(seq, m["at"])
        if len(found) == len(wanted):
            return found
        if len(found) > progress[0]:
            progress = (len(found), time.monotonic())
        elif time.monotonic() - progress[1] > stall:
            missing = sorted(wanted - found.keys())
            raise Failed(f"{target.name}: {len(found)} of {len(wanted)} relays arrived, none in the last "
                         f"{stall:.0f} s; missing e.g. {missing[:10]}")
        await asyncio.sleep(0.5)


async def drain(session: aiohttp.ClientSession, target: Target, quiet: float = 1.5, timeout: float = 60) -> None:
    """Until the emulator has accepted nothing new for `quiet` s (the confirmations to coordinators
    are sent beside the relays and may still be going out)."""
    last, since = -1, time.monotonic()

    async def check():
        nonlocal last, since
        count = len(await messages(session, target))
        if count != last:
            last, since = count, time.monotonic()
        return time.monotonic() - since >= quiet

    await until(check, "the service to go quiet", timeout, interval=0.25)


async def measure(target: Target, rates: list[float], seconds: float, stall: float,
                  seed_with: str | None = None) -> dict[float, dict]:
    results = {}
    async with client() as session:
        if seed_with:
            t0 = time.monotonic()
            await seed(session, target, seed_with)
            await drain(session, target)
            print(f"  {target.name}: seeded in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        for rate in rates:
            cpu_before = cpu_seconds(target.pid)
            warm = await drive(session, target, rate, 1.0)  # at the measured rate, straight into it
            seqs = await drive(session, target, rate, seconds)
            at = await arrivals(session, target, warm + seqs, stall)
            await drain(session, target)
            # CPU from the warm-up's first event to quiet again, over every relay sent in it
            cpu = {k: (v - cpu_before[k]) * 1000 / len(warm + seqs) for k, v in cpu_seconds(target.pid).items()}
            latencies = [at[s] - target.sent[s] for s in seqs]
            accepted = sorted(at[s] for s in seqs)
            results[rate] = {"p50": pct(latencies, 50), "p95": pct(latencies, 95), "max": max(latencies) * 1000,
                             "arrived": sum(s in at for s in seqs), "sent": len(seqs),
                             "delivered_per_s": (len(seqs) - 1) / (accepted[-1] - accepted[0]), "cpu": cpu}
            print(f"  {target.name} @ {rate:g}/s: p50 {results[rate]['p50']:.1f} ms, "
                  f"p95 {results[rate]['p95']:.1f} ms, max {results[rate]['max']:.0f} ms, "
                  f"CPU/relay {_cpu(cpu)}", file=sys.stderr)
    return results


def _cpu(cpu: dict[str, float]) -> str:
    if not cpu:
        return "-"
    if cpu.get("worker"):
        return f"{cpu['web']:.1f} + {cpu['worker']:.1f}"
    return f"{cpu['web']:.1f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="20,100", help="events per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--direct", action="store_true",
                        help="POST signed bodies straight to the webhook instead of through the emulator")
    parser.add_argument("--stall", type=float, default=30,
                        help="fail when no relay has arrived for this many seconds")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    python = sys.executable
    results: dict[str, dict[float, dict]] = {}
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": ADMIN,
           "LOG_LEVEL": "WARNING", "RONGTUK_ENV": "development"}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "servers.log"
        try:
            # The baseline, against an emulator of its own.
            async with emulator_and_server(env, log, app="bench.baseline_relay:app",
                                           server_env={"BASELINE_CENTRE_ID": centre_id(0)}) as stack:
                cases = [Case(f"70-{i + 1:05d}", coordinator_id(code), centre_id(0)) for i, code in enumerate(DISTRICTS)]
                target = Target("baseline", stack.emulator, stack.webhook, args.direct, cases,
                                prefix=lambda case: f"💬 #{case.number} relay ", pid=stack.process.pid)
                results["baseline (no database)"] = await measure(target, rates, args.seconds, args.stall)
            for kind in args.db.split(","):
                url, drop = database(kind, tmp)
                try:
                    db_env = {**env, "DATABASE_URL": url}
                    if kind != "sqlite":  # `serve` prepares SQLite itself
                        for step in (["db", "upgrade"], ["agencies", "load"]):
                            subprocess.run([python, "-m", "app.cli", *step], env={**os.environ, **db_env},
                                           check=True, cwd=ROOT, capture_output=True)
                    async with emulator_and_server(env, log, server_env={"DATABASE_URL": url}) as stack:
                        target = Target(f"rongtuk, {kind}", stack.emulator, stack.webhook, args.direct, [],
                                        prefix=lambda case: f"💬 #{case.number} · ", pid=stack.process.pid)
                        results[f"rongtuk, {kind}"] = await measure(target, rates, args.seconds, args.stall,
                                                                    seed_with=stack.url)
                finally:
                    drop()
        except BaseException:
            show_log(log)
            raise

    baseline = results["baseline (no database)"]
    print(f"\nrelay: coordinator's event → centre's push accepted by the LINE emulator; "
          f"{args.seconds:.0f} s per rate after a 1 s warm-up; "
          f"events {'POSTed to the webhook' if args.direct else 'through /_emulator/deliver'}; "
          f"rongtuk serve: one uvicorn worker and its worker process (inbox worker, sender); {os.cpu_count()} cores\n")
    print("| path | rate | p50 ms | p95 ms | arrived | p50 vs baseline | p95 vs baseline |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, by_rate in results.items():
        for rate, r in by_rate.items():
            b = baseline[rate]
            print(f"| {name} | {rate:g}/s | {r['p50']:.1f} | {r['p95']:.1f} | {r['arrived']}/{r['sent']} | "
                  f"{r['p50'] / b['p50']:.1f}× | {r['p95'] / b['p95']:.1f}× |")
    print("\nrelays accepted per second over the measured window (the rate if it kept up), the slowest, and "
          "the server's CPU (user + system) per relay from the warm-up to quiet again, web + worker process:\n")
    print("| path | rate | delivered/s | max ms | CPU ms/relay |")
    print("|---|---:|---:|---:|---:|")
    for name, by_rate in results.items():
        for rate, r in by_rate.items():
            print(f"| {name} | {rate:g}/s | {r['delivered_per_s']:.0f} | {r['max']:.0f} | {_cpu(r['cpu'])} |")


if __name__ == "__main__":
    try:
        import uvloop  # the load generator shares the cores with the servers: keep it lean
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
