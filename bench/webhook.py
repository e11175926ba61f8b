"""Webhook benchmark: signed LINE events through POST /webhook on one uvicorn worker.

For each database (SQLite, PostgreSQL) it starts the real service (`rongtuk serve` as deployed: by
default the web process and the worker process it supervises, answering into a LINE emulator)
and, in the same run, an anchor shaped like line-bot-sdk's FastAPI example, `WebhookParser.parse`
then 200 (bench/baseline_webhook.py). Both get the same load from this process:
  - open loop at a fixed rate (default 200 events/s): p50/p99 latency of the 200;
  - closed loop with N connections: events per second answered 200.
Every event is from a user the service does not know, so each is worked and answered with one
message; after each phase the run waits until LINE (the emulator) has accepted an answer to every
event sent, and fails if one is missing. Prints a table with ratios to the anchor.

  .venv/bin/python bench/webhook.py [--rate 200] [--seconds 10] [--connections 64] [--db sqlite,postgresql]
                                    [--workers process|inline|off]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.line import events  # noqa: E402

SECRET = "bench-secret"
TOKEN = "bench-token"
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited, see {log}") from None
            time.sleep(0.1)
    raise RuntimeError(f"{args} did not start, see {log}")


def client() -> aiohttp.ClientSession:
    """A client for the emulator and the servers. Idle connections are closed after 2 s, well before
    uvicorn's 5 s keep-alive ends: a POST sent on a connection just as the server closes it fails
    (ServerDisconnectedError), and a POST is not retried."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=2))


def show_log(log: Path, lines: int = 40) -> None:
    """After a failed run: the end of the servers' log, where the reason usually is."""
    if log.exists():
        print(f"--- last lines of the servers' log ---\n{''.join(log.read_text().splitlines(True)[-lines:])}",
              file=sys.stderr)


def bodies(n: int) -> list[tuple[bytes, dict]]:
    """n signed bodies of one text event each, as LINE sends them, made before timing starts."""
    return [events.signed([events.text_message(f"U{i:032x}", f"ไฟทางดับ ซอย {i}")], SECRET) for i in range(n)]


async def open_loop(url: str, rate: float, seconds: float) -> list[float]:
    """Send at a fixed rate whatever the answers; return each request's latency (s)."""
    work = bodies(int(rate * seconds))
    latencies: list[float] = []
    async with client() as session:
        async def one(body, headers):
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as r:
                await r.read()
                assert r.status == 200, r.status
            latencies.append(time.perf_counter() - t0)

        start_at = time.perf_counter()
        tasks = []
        for i, (body, headers) in enumerate(work):
            delay = start_at + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body, headers)))
        await asyncio.gather(*tasks)
    return latencies


async def closed_loop(url: str, connections: int, seconds: float) -> tuple[float, int]:
    """Each connection sends as soon as its previous request is answered; events per second, and
    how many were sent."""
    work = bodies(20_000)
    sent = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:
        deadline = time.perf_counter() + seconds
        it = iter(work)

        async def worker():
            nonlocal sent
            for body, headers in it:
                if time.perf_counter() > deadline:
                    return
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    assert r.status == 200, r.status
                sent += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return sent / (time.perf_counter() - t0), sent


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000 if p < 100 else max(values) * 1000


async def answered(emulator: str) -> int:
    """How many messages LINE (the emulator) has accepted so far."""
    async with aiohttp.ClientSession() as session, session.get(f"{emulator}/_emulator/messages") as r:
        r.raise_for_status()
        return len(await r.json())


async def until_answered(emulator: str | None, expected: int, timeout: float = 600.0) -> float:
    """Wait until `expected` answers were accepted; returns the seconds waited after the load."""
    if emulator is None:
        return 0.0
    t0 = time.perf_counter()
    while (count := await answered(emulator)) < expected:
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"only {count} of {expected} events answered after {timeout:.0f} s")
        await asyncio.sleep(0.5)
    if count > expected:
        raise RuntimeError(f"{count} answers to {expected} events")
    return time.perf_counter() - t0


async def measure(url: str, args, emulator: str | None = None) -> dict:
    """`emulator`: count the answers there (the service); None for the anchor, which answers nobody."""
    base = await answered(emulator) if emulator else 0
    # Warm up at the measured rate: a flat-out warm-up would leave a backlog for the workers that
    # the latency phase would then pay for. Throughput is measured last for the same reason, and
    # each phase starts once every earlier event is answered.
    await open_loop(url, args.rate, 1.0)
    lat = await open_loop(url, args.rate, args.seconds)
    sent = int(args.rate) + int(args.rate * args.seconds)
    behind = await until_answered(emulator, base + sent)
    t0 = time.perf_counter()
    eps, n = await closed_loop(url, args.connections, args.seconds)
    drain = await until_answered(emulator, base + sent + n)
    return {"p50": pct(lat, 50), "p99": pct(lat, 99), "eps": eps, "behind": behind, "drain": drain,
            "answered_eps": n / (time.perf_counter() - t0) if emulator else None}


def database(kind: str, tmp: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    name = f"rongtuk_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", PG_ADMIN, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    drop = lambda: subprocess.run(["psql", PG_ADMIN, "-qc", f'DROP DATABASE "{name}" WITH (FORCE)'], check=False)  # noqa: E731
    return PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + "/" + name, drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--workers", default="process", choices=["process", "inline", "off"],
                        help="WORKERS for the service: its own process (the default), inside the web "
                             "process's event loop, or none (the web process alone; nothing is answered)")
    args = parser.parse_args()
    python = sys.executable
    results = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "servers.log"
        env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": "bench",
               "LOG_LEVEL": "WARNING", "RONGTUK_ENV": "development",
               "WORKERS": args.workers, "RUN_WORKERS": "false" if args.workers == "off" else "true"}
        emu_port = free_port()
        emulator = start([python, "-m", "app.cli", "line-emulator", "--port", str(emu_port), "--webhook-url",
                          "http://127.0.0.1:9/unused"], env, emu_port, log)
        try:
            port = free_port()
            base = start([python, "-m", "uvicorn", "bench.baseline_webhook:app", "--port", str(port),
                          "--log-level", "warning", "--no-access-log"], env, port, log)
            try:
                results["anchor (WebhookParser.parse, 200)"] = await measure(f"http://127.0.0.1:{port}/webhook", args)
            finally:
                base.terminate()
                base.wait()
            for kind in args.db.split(","):
                url, drop = database(kind, tmp)
                try:
                    db_env = {**env, "DATABASE_URL": url, "LINE_API_BASE_URL": f"http://127.0.0.1:{emu_port}"}
                    subprocess.run([python, "-m", "app.cli", "db", "upgrade"], env={**os.environ, **db_env},
                                   check=True, cwd=ROOT, capture_output=True)
                    port = free_port()
                    service = start([python, "-m", "app.cli", "serve", "--port", str(port)], db_env, port, log)
                    try:
                        results[f"rongtuk /webhook, {kind}"] = await measure(
                            f"http://127.0.0.1:{port}/webhook", args,
                            None if args.workers == "off" else f"http://127.0.0.1:{emu_port}")
                    finally:
                        service.terminate()
                        service.wait()
                finally:
                    drop()
        finally:
            emulator.terminate()
            emulator.wait()
    anchor = results["anchor (WebhookParser.parse, 200)"]
    where = {"process": "in their own process", "inline": "in the web process", "off": "off"}[args.workers]
    print(f"\nwebhook: {args.rate:.0f} events/s for {args.seconds:.0f} s (latency); "
          f"{args.connections} connections (throughput); one uvicorn worker; "
          f"inbox worker and sender {where}; {os.cpu_count()} cores\n")
    print("| endpoint | p50 ms | p99 ms | events/s (200) | vs anchor | answered/s | answers after load, s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        answered_eps = "-" if r["answered_eps"] is None else f"{r['answered_eps']:.0f}"
        after = "-" if r["answered_eps"] is None else f"{r['behind']:.1f} / {r['drain']:.1f}"
        print(f"| {name} | {r['p50']:.1f} | {r['p99']:.1f} | {r['eps']:.0f} | {r['eps'] / anchor['eps']:.2f} "
              f"| {answered_eps} | {after} |")


if __name__ == "__main__":
    import uvloop  # the load generator shares the cores with the servers: keep it lean

    uvloop.run(main())
