"""Test harness: every test runs on SQLite and on PostgreSQL (a fresh database per run), with the
schema built by the real migrations and tables emptied between tests.

  --db=sqlite,postgresql   which databases (default both)
  TEST_POSTGRES_URL        a PostgreSQL server to create the run's database on
                           (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)
"""

from __future__ import annotations


import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import migrations
from app.db import create_engine, create_sessionmaker, session_scope
from app.services import agencies
from models import Base

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
KEEP_TABLES = {"agency", "alembic_version"}  # loaded once per run; tests don't change them


def pytest_addoption(parser):
    parser.addoption("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        names = [n.strip() for n in metafunc.config.getoption("--db").split(",") if n.strip()]
        if metafunc.definition.get_closest_marker("postgresql"):  # about a server connection
            names = [n for n in names if n == "postgresql"]
        metafunc.parametrize("database_url", names, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    """A PostgreSQL-only test is not collected at all in a run without PostgreSQL."""
    if "postgresql" in config.getoption("--db"):
        return
    other = [item for item in items if item.get_closest_marker("postgresql")]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


@pytest.fixture(scope="session")
async def database_url(request, tmp_path_factory) -> AsyncIterator[str]:
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        await _prepare(url)
        yield url
        return
    if kind != "postgresql":
        raise pytest.UsageError(f"unknown --db {kind!r}")
    name = f"rongtuk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:  # no PostgreSQL → this fails the run, loudly
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await _prepare(url)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _prepare(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrations.upgrade(engine)
        async with session_scope(create_sessionmaker(engine)) as session:
            await agencies.load(session)
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    await _empty_tables(engine)
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    return create_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker):
    async with sessionmaker() as session:
        yield session
        await session.rollback()


async def _empty_tables(engine) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(table.delete())


# -- the service and the LINE emulator, over real HTTP ------------------------------------------

SECRET = "test-channel-secret"
ACCESS_TOKEN = "test-access-token"
ADMIN_TOKEN = "test-admin-token"


@pytest.fixture(scope="session")
async def line_emulator():
    from app.line.emulator import LineEmulator
    from app.line.testing import serve_asgi

    emulator = LineEmulator(channel_secret=SECRET, access_token=ACCESS_TOKEN)
    async with serve_asgi(emulator.app) as url:
        emulator.base_url = url
        yield emulator
    await emulator.aclose()


@pytest.fixture
def emulator(line_emulator):
    line_emulator.reset()
    line_emulator.users.clear()
    line_emulator.groups.clear()
    yield line_emulator
    line_emulator.reset()


@pytest.fixture
def settings(database_url, line_emulator):
    from app.config import Settings

    return Settings(
        _env_file=None, RONGTUK_ENV="development", database_url=database_url,
        line_channel_secret=SECRET, line_channel_access_token=ACCESS_TOKEN, admin_api_token=ADMIN_TOKEN,
        line_api_base_url=line_emulator.base_url, worker_poll_seconds=0.05, log_json=False,
        outbox_retry_base_seconds=0.05, inbox_retry_base_seconds=0.05, line_request_timeout_seconds=2.0,
        workers="inline",  # the workers in the test's event loop: tests drive and wait on them directly
        scheduler="off",  # tests drive scheduled jobs themselves (tests/test_scheduler.py), never the wall clock
    )


@pytest.fixture
async def service(settings, emulator, engine):
    """The whole service (webhook, workers, API) on a real port, talking to the emulator."""
    from app.line.testing import serve_asgi
    from app.main import create_app
    from tests.support import Service

    app = create_app(settings)
    async with serve_asgi(app) as url:
        emulator.webhook_url = url + "/webhook"
        yield Service(app=app, url=url, emulator=emulator, sessionmaker=create_sessionmaker(engine),
                      admin_token=ADMIN_TOKEN)
