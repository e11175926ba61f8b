"""Webhook benchmark: signed LINE events through POST /webhook on one uvicorn worker.

For each database (SQLite, PostgreSQL) it starts the real service (`rongtuk serve`, workers on,
answering into a LINE emulator) and, in the same run, a baseline endpoint that only verifies the
signature (bench/baseline_webhook.py). Both get the same load from this process:
  - open loop at a fixed rate (default 200 events/s): p50/p99 latency of the 200;
  - closed loop with N connections: events per second.
Prints a table with ratios to the baseline.

  .venv/bin/python bench/webhook.py [--rate 200] [--seconds 10] [--connections 64] [--db sqlite,postgresql] [--no-workers]
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


def bodies(n: int) -> list[tuple[bytes, dict]]:
    """n signed bodies of one text event each, as LINE sends them, made before timing starts."""
    return [events.signed([events.text_message(f"U{i:032x}", f"ไฟทางดับ ซอย {i}")], SECRET) for i in range(n)]


async def open_loop(url: str, rate: float, seconds: float) -> list[float]:
    """Send at a fixed rate whatever the answers; return each request's latency (s)."""
    work = bodies(int(rate * seconds))
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
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


async def closed_loop(url: str, connections: int, seconds: float) -> float:
    """Each connection sends as soon as its previous request is answered; events per second."""
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
        return sent / (time.perf_counter() - t0)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000 if p < 100 else max(values) * 1000


async def measure(url: str, args) -> dict:
    # Warm up at the measured rate: a flat-out warm-up would leave a backlog for the workers that
    # the latency phase would then pay for. Throughput is measured last for the same reason.
    await open_loop(url, args.rate, 1.0)
    lat = await open_loop(url, args.rate, args.seconds)
    return {"p50": pct(lat, 50), "p99": pct(lat, 99), "eps": await closed_loop(url, args.connections, args.seconds)}


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
    parser.add_argument("--no-workers", action="store_true",
                        help="web process only (workers in another process, as with several replicas)")
    args = parser.parse_args()
    python = sys.executable
    results = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "servers.log"
        env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "ADMIN_API_TOKEN": "bench",
               "LOG_LEVEL": "WARNING", "RONGTUK_ENV": "development",
               "RUN_WORKERS": "false" if args.no_workers else "true"}
        emu_port = free_port()
        emulator = start([python, "-m", "app.cli", "line-emulator", "--port", str(emu_port), "--webhook-url",
                          "http://127.0.0.1:9/unused"], env, emu_port, log)
        try:
            port = free_port()
            base = start([python, "-m", "uvicorn", "bench.baseline_webhook:app", "--port", str(port),
                          "--log-level", "warning", "--no-access-log"], env, port, log)
            try:
                results["baseline (signature only)"] = await measure(f"http://127.0.0.1:{port}/webhook", args)
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
                        results[f"rongtuk /webhook, {kind}"] = await measure(f"http://127.0.0.1:{port}/webhook", args)
                    finally:
                        service.terminate()
                        service.wait()
                finally:
                    drop()
        finally:
            emulator.terminate()
            emulator.wait()
    baseline = results["baseline (signature only)"]
    print(f"\nwebhook: {args.rate:.0f} events/s for {args.seconds:.0f} s (latency); "
          f"{args.connections} connections (throughput); one uvicorn worker; "
          f"inbox worker and sender {'off' if args.no_workers else 'in the same process'}; {os.cpu_count()} cores\n")
    print("| endpoint | p50 ms | p99 ms | events/s | throughput vs baseline |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['p50']:.1f} | {r['p99']:.1f} | {r['eps']:.0f} | {r['eps'] / baseline['eps']:.2f} |")


if __name__ == "__main__":
    import uvloop  # the load generator shares the cores with the servers: keep it lean

    uvloop.run(main())
