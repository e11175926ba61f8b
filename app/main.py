"""create_app(): the FastAPI service. Its lifespan opens the database and the LINE client and
starts the inbox worker, the outbox sender and (SCHEDULER=embedded) the scheduler."""

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
from app.inbox import InboxWriter
from app.line.client import LineClient
from app.scheduler import Scheduler
from app.sender import Sender
from app.web import routes as web
from app.worker import InboxWorker

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    line_base_url = settings.line_api_base_url
    line_data_url = settings.line_data_api_base_url
    emulator = None
    if settings.uses_embedded_emulator:  # development without LINE: talk to our own stand-in
        from app.line.emulator import LineEmulator

        line_base_url = line_data_url = settings.public_base_url.rstrip("/") + settings.embedded_emulator_path
        emulator = LineEmulator(channel_secret=settings.line_channel_secret,
                                access_token=settings.line_channel_access_token,
                                webhook_url=settings.public_base_url.rstrip("/") + "/webhook")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        sessionmaker = create_sessionmaker(engine)
        line = LineClient(base_url=line_base_url, data_base_url=line_data_url,
                          access_token=settings.line_channel_access_token,
                          timeout_seconds=settings.line_request_timeout_seconds)
        await line.open()
        worker = InboxWorker(sessionmaker=sessionmaker, settings=settings, line=line)
        sender = Sender(sessionmaker=sessionmaker, settings=settings, line=line)
        sender_loop = sender.dispatcher()
        inbox_loop = worker.dispatcher()
        worker.after_event = sender_loop.wake
        app.state.engine = engine
        app.state.inbox_writer = InboxWriter(engine)
        app.state.sessionmaker = sessionmaker
        app.state.line = line
        app.state.worker, app.state.sender = worker, sender
        app.state.wake_inbox = inbox_loop.wake
        if settings.run_workers:
            inbox_loop.start()
            sender_loop.start()
        # SCHEDULER=embedded: this process runs the jobs too (once per tick across replicas);
        # separate: `rongtuk scheduler` does; off: nobody.
        scheduler = None
        if settings.scheduler == "embedded" and settings.run_workers:
            scheduler = Scheduler(sessionmaker, settings, after_run=sender_loop.wake)
            scheduler.start()  # missed cron runs are made up in the background
        app.state.scheduler = scheduler
        # What start-up built (modules, models, the SDK) lives as long as the process: keep it out
        # of the collector's full scans, which otherwise pause every request for 100+ ms.
        gc.freeze()
        log.info("service started", extra={"line_api": line_base_url, "database": engine.url.render_as_string()})
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.shutdown()
            await inbox_loop.stop()
            await sender_loop.stop()
            await app.state.inbox_writer.close()
            await line.close()
            if emulator is not None:
                await emulator.aclose()
            await engine.dispose()

    app = FastAPI(title="Rongtuk 1555", version="0.1.0", lifespan=lifespan,
                  description="Complaint coordination between the BMA complaints centre and its units over LINE.")
    app.state.settings = settings
    app.state.signature_validator = SignatureValidator(settings.line_channel_secret)
    app.state.wake_inbox = lambda: None
    app.state.scheduler = None
    errors.install(app)
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
