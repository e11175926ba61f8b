"""The `rongtuk` command (SPEC §8)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from app.config import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rongtuk", description="Rongtuk 1555 — @ร้องทุกข์ 1555 LINE service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web service (webhook, API) and, in a process of its own, the workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    worker = sub.add_parser("worker", help="run the inbox worker, the outbox sender and (SCHEDULER=embedded) the "
                                           "scheduled jobs in this process")
    worker.add_argument("--wake-fd", type=int, help=argparse.SUPPRESS)  # from `rongtuk serve`
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)

    db = sub.add_parser("db", help="database schema")
    db.add_subparsers(dest="db_command", required=True).add_parser("upgrade", help="apply migrations")

    ag = sub.add_parser("agencies", help="BMA units")
    ag.add_subparsers(dest="agencies_command", required=True).add_parser(
        "load", help="load the shipped list of units (idempotent)")

    inv = sub.add_parser("invite", help="registration invites")
    create = inv.add_subparsers(dest="invite_command", required=True).add_parser("create", help="create an invite code")
    create.add_argument("--role", required=True, choices=["centre", "coordinator", "manager", "admin"])
    create.add_argument("--agency", help="unit code or name (e.g. 1004, บางรัก); none for a BMA-wide manager/admin")

    dig = sub.add_parser("digest", help="managers' KPI digests")
    send = dig.add_subparsers(dest="digest_command", required=True).add_parser(
        "send", help="send the last finished period's digest to every manager who has not had it yet")
    send.add_argument("--period", required=True, choices=["daily", "weekly"])
    send.add_argument("--dry-run", action="store_true", help="print the messages as JSON; write and send nothing")

    kpi = sub.add_parser("kpi", help="the innovation KPI (SPEC §7)")
    kpi_sub = kpi.add_subparsers(dest="kpi_command", required=True)
    score = kpi_sub.add_parser("score", help="a unit's score for a fiscal year, with the reason for every point")
    report = kpi_sub.add_parser("report", help="the quarterly progress entry in Thai (text, or --docx FILE)")
    imp = kpi_sub.add_parser("import", help="import a unit's evidence from a CSV or XLSX file (docs/kpi_import.md)")
    for p in (score, report, imp):
        p.add_argument("--agency", required=True, help="unit code or name, e.g. PSSEC, สลป., บางรัก")
        p.add_argument("--fy", type=int, required=True, help="Buddhist-era fiscal year, e.g. 2564")
    score.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    score.add_argument("--json", action="store_true", help="the breakdown as JSON (as the API gives it)")
    report.add_argument("--quarter", type=int, required=True, choices=[1, 2, 3, 4])
    report.add_argument("--docx", type=Path, help="write a Word document here instead of printing text")
    imp.add_argument("file", type=Path, help="a .csv or .xlsx file")

    priv = sub.add_parser("privacy", help="complainant personal data (PDPA)")
    purge = priv.add_subparsers(dest="privacy_command", required=True).add_parser(
        "purge", help="erase complainant contact of cases closed longer ago than the retention period")
    purge.add_argument("--retention-days", type=int, help="default: PII_RETENTION_DAYS (365)")

    inbox_ = sub.add_parser("inbox", help="webhook events that could not be worked")
    inbox_sub = inbox_.add_subparsers(dest="inbox_command", required=True)
    inbox_sub.add_parser("dead", help="events that failed their last try, with the error").add_argument(
        "--limit", type=int, default=50)
    inbox_sub.add_parser("replay", help="work a dead event again").add_argument("id", type=int)
    outbox_ = sub.add_parser("outbox", help="messages LINE did not accept")
    outbox_sub = outbox_.add_subparsers(dest="outbox_command", required=True)
    outbox_sub.add_parser("failed", help="messages LINE refused or never accepted, with the error").add_argument(
        "--limit", type=int, default=50)
    outbox_sub.add_parser("replay", help="send a failed message again (push, new retry key)").add_argument(
        "id", type=int)

    sub.add_parser("scheduler", help="run the scheduled jobs (SLA scan, digests, purge) in this process only")

    sub.add_parser("demo", help="play a day at the complaints centre against the built-in LINE emulator (Thai transcript)")

    emu = sub.add_parser("line-emulator", help="a local stand-in for the LINE Messaging API")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8090)
    emu.add_argument("--webhook-url", default="http://127.0.0.1:8000/webhook")

    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except Exception as exc:  # a clear one-line error for the operator, not a traceback
        from app.errors import DomainError

        if isinstance(exc, DomainError | ValueError):
            print(f"rongtuk: {getattr(exc, 'message', exc)}", file=sys.stderr)
            return 2
        raise


def _serve(args) -> int:
    import uvicorn

    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{_client_host(args.host)}:{args.port}")
    get_settings.cache_clear()
    settings = get_settings()
    from app.observability import setup_logging

    setup_logging(settings.log_level, json=settings.log_json)
    if settings.is_sqlite:  # the embedded database looks after itself
        asyncio.run(_prepare_embedded())
    from app.main import create_app

    if settings.worker_mode != "process":
        uvicorn.run(create_app(settings, whole_process=True), host=args.host, port=args.port, log_config=None,
                    access_log=False)
        return 0
    from app.pipeline import wakeups, workers

    ours, theirs = wakeups.pair()
    app = create_app(settings, wake=wakeups.sender(ours), whole_process=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_config=None, access_log=False)
    child = [sys.executable, "-m", "app.cli", "worker", "--wake-fd", str(theirs.fileno()),
             "--parent-pid", str(os.getpid())]
    env = {**os.environ, "WORKER_ID": workers.worker_id(settings, port=args.port)}
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve_with_worker(config, child, env, theirs.fileno()))
    return 0


async def _serve_with_worker(config, child: list[str], env: dict[str, str], wake_fd: int) -> None:
    """The web server, and the worker process beside it for as long as it runs."""
    import signal

    from app.line.testing import Server
    from app.pipeline.supervisor import Supervisor

    server = Server(config)  # leaves the signals to us: the worker is stopped before we exit
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    supervisor = Supervisor(child, env=env, pass_fds=(wake_fd,))
    supervisor.start()
    try:
        await server.serve()
    finally:
        await supervisor.stop()


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


async def _prepare_embedded() -> None:
    await _upgrade()
    from sqlalchemy import func, select

    from models import Agency

    async with _session() as session:
        if not await session.scalar(select(func.count()).select_from(Agency)):
            await _load_agencies_in(session)


def _db(args) -> int:
    asyncio.run(_upgrade())
    print("database is at the latest migration")
    return 0


async def _upgrade() -> None:
    from app import migrations
    from app.db import create_engine

    engine = create_engine(get_settings().database_url)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


def _agencies(args) -> int:
    async def run():
        async with _session() as session:
            return await _load_agencies_in(session)

    result = asyncio.run(run())
    print(f"units: {result.created} added, {result.updated} updated, {result.unchanged} unchanged")
    return 0


async def _load_agencies_in(session):
    from app.services import agencies

    result = await agencies.load(session)
    await session.commit()
    return result


def _invite(args) -> int:
    async def run():
        from app.services import people

        async with _session() as session:
            invite = await people.create_invite(session, role=args.role, agency_query=args.agency, created_by="cli",
                                                now=datetime.now(UTC), valid_days=get_settings().invite_valid_days)
            await session.commit()
            return invite

    invite = asyncio.run(run())
    where = f"{invite.agency.name_th} ({invite.agency.code})" if invite.agency else "ทุกหน่วยงาน"
    expires = invite.expires_at.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")
    print(invite.code)
    print(f"role: {invite.role} · unit: {where} · valid until {expires} ({get_settings().timezone})", file=sys.stderr)
    print(f"send in LINE, 1:1 chat with the account:  ลงทะเบียน {invite.code}", file=sys.stderr)
    return 0


def _digest(args) -> int:
    import json

    async def run():
        from app.services import digests

        async with _session() as session:
            results = await digests.send_period(session, period=args.period, now=datetime.now(UTC),
                                                settings=get_settings(), dry_run=args.dry_run)
            if not args.dry_run:
                await session.commit()
            return results

    results = asyncio.run(run())
    if args.dry_run:
        print(json.dumps([{"to": r["line_user_id"], "messages": [r["message"]]} for r in results if "message" in r],
                         ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"{r['status']}: {r['name'] or '-'} · {r['unit'] or 'BMA-wide'} · {r['line_user_id']} · "
                  f"{r['period']} {r['period_key']}")
    failed = [r for r in results if r["status"] == "failed"]
    for r in failed:
        print(f"rongtuk: digest for {r['line_user_id']} failed: {r['error']}", file=sys.stderr)
    counted = {status: sum(r["status"] == status for r in results) for status in ("sent", "already_sent", "dry_run")}
    print(f"{len(results)} manager(s): " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counted.items() if n),
          file=sys.stderr)
    return 1 if failed else 0


def _kpi(args) -> int:
    if args.kpi_command == "import":
        from app.services import kpi_import

        print(asyncio.run(kpi_import.import_command(args.agency, args.fy, args.file)))
        return 0

    async def run():
        from app.api.schemas import KpiScoreOut
        from app.services import agencies, kpi

        settings = get_settings()
        async with _session() as session:
            unit = await agencies.resolve(session, args.agency)
            if args.kpi_command == "report":
                return await kpi.quarterly_report(session, agency=unit, fiscal_year=args.fy, quarter=args.quarter,
                                                  settings=settings)
            result = await kpi.evaluate(session, agency=unit, fiscal_year=args.fy,
                                        as_of=args.as_of or settings.today(), settings=settings)
            return KpiScoreOut.of(result)

    result = asyncio.run(run())
    if args.kpi_command == "report":
        if args.docx:
            from app.services import kpi_report

            args.docx.write_bytes(kpi_report.quarterly_docx(result))
            print(f"wrote {args.docx}", file=sys.stderr)
        else:
            print(result)
    elif args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(f"{result.agency.name_th} ({result.agency.code}) ปีงบประมาณ {result.fiscal_year} "
              f"ณ วันที่ {result.as_of.isoformat()}")
        for c in result.criteria:
            print(f"  ส่วนที่ {c.part} {c.title_th}: {c.points:g}/{c.max_points:g} — {c.reason_th}")
        print(f"ค่าเป้าหมาย : {result.target:g}\nผลงานที่ทำได้ : {result.achieved:g}\nระดับ : {result.level}")
    return 0


def _privacy(args) -> int:
    async def run():
        from app import privacy

        async with _session() as session:
            days = args.retention_days or get_settings().pii_retention_days
            count = await privacy.purge_expired(session, now=datetime.now(UTC), retention_days=days)
            await session.commit()
            return count, days

    count, days = asyncio.run(run())
    print(f"erased complainant contact of {count} case(s) closed more than {days} days ago")
    return 0


def _inbox(args) -> int:
    from app.pipeline import inbox

    return _given_up(args, args.inbox_command == "replay", inbox.dead, inbox.replay,
                     lambda r: (r.received_at, r.event_type, r.source_key), none="no dead events",
                     requeued="event {id} is pending again; the worker takes it in its chat's order")


def _outbox(args) -> int:
    from app.pipeline import outbox

    return _given_up(args, args.outbox_command == "replay", outbox.failed, outbox.replay,
                     lambda r: (r.created_at, r.kind, r.recipient), none="no failed messages",
                     requeued="message {id} is pending again, by push with a new retry key")


def _given_up(args, replay: bool, listing, requeue, fields, *, none: str, requeued: str) -> int:
    """`inbox dead|replay`, `outbox failed|replay`: list what was given up (id, Bangkok time, what,
    chat, tries, error), or put one back in line."""
    async def run():
        async with _session() as session:
            if not replay:
                return [_listing_row(r.id, *fields(r), f"{r.attempts} tries", r.last_error)
                        for r in await listing(session, limit=args.limit)] or [none]
            row = await requeue(session, args.id, now=datetime.now(UTC))
            await session.commit()
            return [requeued.format(id=row.id)]

    print("\n".join(asyncio.run(run())))
    return 0


def _listing_row(row_id: int, at: datetime, *fields: str | None) -> str:
    """One row of a listing: id, Bangkok time, then the fields, each folded to one line."""
    when = at.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M:%S")
    text = [" ".join(f.split())[:300] if f else "-" for f in fields]
    return "\t".join([str(row_id), when, *text])


def _scheduler(args) -> int:
    settings = get_settings()
    from app import scheduler
    from app.observability import setup_logging

    setup_logging(settings.log_level, json=settings.log_json)
    asyncio.run(scheduler.serve(settings))
    return 0


def _worker(args) -> int:
    if args.parent_pid is not None:  # started by `rongtuk serve`: never outlive it
        from app.pipeline.supervisor import die_with_parent

        die_with_parent(args.parent_pid)
    settings = get_settings()
    from app.observability import setup_logging
    from app.pipeline import workers

    setup_logging(settings.log_level, json=settings.log_json)
    import uvloop

    uvloop.run(workers.serve(settings, wake_fd=args.wake_fd, parent_pid=args.parent_pid))
    return 0


def _demo(args) -> int:
    from app import demo

    return demo.main(sys.stdout)


def _line_emulator(args) -> int:
    from app.line import emulator

    settings = get_settings()
    print(f"LINE emulator on http://{args.host}:{args.port} → webhook {args.webhook_url}", file=sys.stderr)
    emulator.run(args.host, args.port, channel_secret=settings.line_channel_secret,
                 access_token=settings.line_channel_access_token, webhook_url=args.webhook_url)
    return 0


class _session:
    """A one-off engine and session for a CLI command."""

    async def __aenter__(self):
        from app.db import create_engine, create_sessionmaker

        self.engine = create_engine(get_settings().database_url)
        self.session = create_sessionmaker(self.engine)()
        return self.session

    async def __aexit__(self, *exc):
        await self.session.close()
        await self.engine.dispose()


_COMMANDS = {"serve": _serve, "db": _db, "agencies": _agencies, "invite": _invite, "digest": _digest, "kpi": _kpi,
             "privacy": _privacy, "inbox": _inbox, "outbox": _outbox,
             "scheduler": _scheduler, "worker": _worker, "demo": _demo,
             "line-emulator": _line_emulator}

if __name__ == "__main__":
    sys.exit(main())
