"""create_app(): the FastAPI service. Its lifespan opens the database and the LINE client (the
media relay uses it) and, with WORKERS=inline, runs the workers in this event loop too
(app/pipeline/workers.py). With WORKERS=process (the default) `rongtuk serve` runs them in a process of its
own beside this one (app/pipeline/supervisor.py) and passes `wake`, so that what the web stores wakes them."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from linebot.v3.webhook import SignatureValidator

from app import errors
from app.api import cases, health, kpi, kpi_evidence, media, metrics, ops, registry, sla, webhook
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.pipeline import intake, wakeups, webhook_first, workers
from app.pipeline.inbox import InboxWriter
from app.web import routes as web

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, wake: wakeups.Wake | None = None,
               whole_process: bool = False) -> FastAPI:
    """`wake`: where the web's new work is announced (WORKERS=process: the worker's socket); with
    WORKERS=inline the workers in this process, with off nobody."""
    settings = settings or get_settings()
    line_base_url, _ = workers.line_urls(settings)
    emulator = None
    if settings.uses_embedded_emulator:  # development without LINE: talk to our own stand-in
        from app.line.emulator import LineEmulator

        emulator = LineEmulator(channel_secret=settings.line_channel_secret,
                                access_token=settings.line_channel_access_token,
                                webhook_url=settings.public_base_url.rstrip("/") + "/webhook")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mode = settings.worker_mode
        woken = wake or wakeups.Wake()
        engine = create_engine(settings.database_url)
        # A web session that writes outbox rows or inbox events wakes the workers when it commits.
        sessionmaker = create_sessionmaker(engine, sync_session_class=wakeups.session_class(woken))
        # On SQLite the webhook keeps a connection of its own unless the workers share this event
        # loop: it then never queues behind an API request for the process's one connection, and
        # meets the worker process's transactions in SQLite's locking (WAL, busy_timeout), going
        # before their next one (app/pipeline/webhook_first.py).
        writer_engine = engine
        if settings.is_sqlite and mode != "inline":
            writer_engine = create_engine(settings.database_url)
            webhook_first.webhook_writes(writer_engine)
        line = workers.line_client(settings)
        await line.open()
        app.state.engine = engine
        app.state.inbox_writer = InboxWriter(writer_engine)
        # What this process has stored of the webhook requests it received, for every replica's
        # worker to wait on (app/pipeline/intake.py); published with the webhook's writes.
        app.state.intake = intake.Intake(writer_engine, interval_seconds=settings.intake_mark_interval_seconds)
        await app.state.intake.start()
        app.state.sessionmaker = sessionmaker
        app.state.line = line
        inline = None
        if mode == "inline":
            inline = workers.Workers(sessionmaker, settings, line=line, owner=workers.worker_id(settings))
            woken.bind(inbox=inline.wake_inbox, outbox=inline.wake_outbox)
            app.state.worker, app.state.sender = inline.inbox, inline.sender
            app.state.scheduler = inline.scheduler
            await inline.start()
        app.state.wake_inbox = woken.inbox
        if whole_process:
            # What start-up built (modules, models, the SDK) lives as long as the process: keep it
            # out of the collector's full scans, which otherwise pause every request for 100+ ms.
            # Not where apps come and go in one process (tests, the demo): freezing would keep
            # whatever the earlier ones left for the collector, open connections included.
            gc.freeze()
        log.info("service started", extra={"line_api": line_base_url, "workers": mode,
                                           "database": engine.url.render_as_string()})
        try:
            yield
        finally:
            if inline is not None:
                await inline.stop()
            await app.state.intake.stop()
            await app.state.inbox_writer.close()
            await line.close()
            if emulator is not None:
                await emulator.aclose()
            if writer_engine is not engine:
                await writer_engine.dispose()
            await engine.dispose()

    app = FastAPI(title="Rongtuk 1555", version="0.1.0", lifespan=lifespan,
                  description="Complaint coordination between the BMA complaints centre and its units over LINE.")
    app.state.settings = settings
    app.state.signature_validator = SignatureValidator(settings.line_channel_secret)
    app.state.wake_inbox = lambda: None
    app.state.scheduler = None
    errors.install(app)
    app.add_middleware(intake.Receipts)  # a webhook request is noted as it arrives
    app.include_router(webhook.router)
    app.include_router(health.router)
    app.include_router(registry.router)
    app.include_router(cases.router)
    app.include_router(metrics.router)
    app.include_router(media.router)
    app.include_router(sla.router)
    app.include_router(kpi_evidence.router)
    app.include_router(kpi.router)
    app.include_router(ops.router)
    app.include_router(web.router)

    if emulator is not None:
        app.mount(settings.embedded_emulator_path, emulator.app)
        app.state.emulator = emulator
    return app
