"""The async engine and sessions. The caller owns the transaction: services flush, never commit."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.dialect import PercentileCont


# How long an SQLite writer waits for the write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def create_engine(database_url: str, *, before_begin: Callable[[], None] | None = None, on_loop: bool = False,
                  **kwargs) -> AsyncEngine:
    """`before_begin` (SQLite): called before each BEGIN IMMEDIATE takes the write lock.
    `on_loop` (SQLite): statements run on the event loop's own thread (OnLoopConnection)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        if on_loop:
            database = url.database or ":memory:"
            kwargs["async_creator"] = lambda: OnLoopConnection(lambda: sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT_SECONDS))
        # One connection per process: SQLite has one writer at a time anyway, and queueing for the
        # connection in asyncio (first come, first served) beats SQLite's busy handler, which
        # waits by sleeping and gives a slow tail. Never hold one session while opening another.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **kwargs)
        _tune_sqlite(engine, before_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


# A pooled connection idle longer than this is pinged before it is used again.
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's pre-ping, only for connections idle longer than PING_IDLE_SECONDS: the worker
    begins a hundred transactions a second, and a ping before each cost about as much CPU as the
    transaction's own statements. A connection that answered a moment ago and has died since (the
    server restarted in that moment) fails its transaction once, as any transaction may fail;
    SQLAlchemy then drops every pooled connection of that age, and the caller's retry gets a new one.
    Raising DisconnectionError at checkout makes the pool replace the connection (SQLAlchemy's
    documented pessimistic disconnect handling)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PING_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            alive, cause = engine.dialect.do_ping(dbapi_conn), None
        except Exception as exc:
            alive, cause = False, exc
        if not alive:
            raise DisconnectionError("a pooled connection did not answer its ping") from cause


class OnLoopConnection(aiosqlite.Connection):
    """aiosqlite's connection, each call run at once on the calling (event loop's) thread instead
    of being queued to a thread of its own. For the worker process: a statement on a local SQLite
    file takes tens of microseconds, and the hand-off (a queue, a thread switch, a wake-up of the
    loop) cost more CPU than the statement itself, many times per relay. The loop waits while
    SQLite waits for its write lock; the worker's transactions wait for it anyway (one connection),
    and the web process, which must never stall, keeps aiosqlite's thread.

    aiosqlite (and SQLAlchemy's dialect, for isolation_level) hand every call to the connection's
    queue as (future, function); this queue runs it as it is put, so the future is done before it
    is awaited and nothing else changes."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()

    def __await__(self):
        return self._connect().__await__()  # no thread to start


class _RunNow:
    def put_nowait(self, item) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: B036 - handed to the caller, as aiosqlite's thread does
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


def _tune_sqlite(engine: AsyncEngine, before_begin: Callable[[], None] | None) -> None:
    """WAL lets readers run beside the one writer; BEGIN IMMEDIATE takes the write lock up front so
    two writers queue on busy_timeout instead of failing a read-to-write upgrade mid-transaction."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cur.close()
        _register_functions(dbapi_conn)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            if before_begin is not None:
                before_begin()
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _register_functions(dbapi_conn) -> None:
    """The aggregates SQLite lacks (app.dialect): `percentile_cont(value, fraction)`.

    aiosqlite runs the sqlite3 connection on a thread of its own, and sqlite3 only lets that thread
    register functions; aiosqlite wraps `create_function` but not `create_aggregate`, so the call
    goes through the same queue its own methods use (`_execute`, on its `_conn`)."""
    dbapi_conn.run_async(
        lambda conn: conn._execute(conn._conn.create_aggregate, "percentile_cont", 2, PercentileCont)
    )


def create_sessionmaker(engine: AsyncEngine, **kwargs) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, **kwargs)


@asynccontextmanager
async def session_scope(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
