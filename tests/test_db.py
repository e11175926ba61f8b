"""The worker's SQLite connection on the event loop's own thread (app/db.py, OnLoopConnection)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Integer, cast, event, literal, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db import create_engine, create_sessionmaker, session_scope
from app.dialect import percentile_cont


@pytest.fixture
async def on_loop(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'worker.sqlite'}", on_loop=True)
    yield engine
    await engine.dispose()


async def test_statements_run_on_the_loops_thread_and_start_none(on_loop):
    seen: list[int] = []
    event.listen(on_loop.sync_engine, "before_cursor_execute", lambda *a: seen.append(threading.get_ident()))
    before = {t.ident for t in threading.enumerate()}
    sessionmaker = create_sessionmaker(on_loop)
    async with session_scope(sessionmaker) as s:
        await s.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        await s.execute(text("INSERT INTO t VALUES (1), (2)"))
    async with sessionmaker() as s:
        assert (await s.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
        # the aggregate registered on connect (app/db.py) works here too
        assert await s.scalar(select(percentile_cont(0.5, cast(literal(4), Integer)))) == 4
    assert set(seen) == {threading.get_ident()}
    assert {t.ident for t in threading.enumerate()} == before  # no aiosqlite thread


async def test_an_error_reaches_its_caller_and_the_transaction_is_undone(on_loop):
    sessionmaker = create_sessionmaker(on_loop)
    async with session_scope(sessionmaker) as s:
        await s.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        await s.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(IntegrityError):
        async with session_scope(sessionmaker) as s:
            await s.execute(text("INSERT INTO t VALUES (2)"))
            await s.execute(text("INSERT INTO t VALUES (1)"))
    async with sessionmaker() as s:  # the connection is usable, and 2 was rolled back with the failure
        assert (await s.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all() == [1]


# -- PostgreSQL: a pooled connection is pinged only after it sat idle (app/db.py) -----------------

@pytest.fixture
async def pg_engine(database_url):
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    pings: list[int] = []
    real_ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda conn: pings.append(1) or real_ping(conn)
    yield engine, pings
    await engine.dispose()


async def _backend_pid(sessionmaker) -> int:
    async with session_scope(sessionmaker) as s:
        return await s.scalar(text("SELECT pg_backend_pid()"))


async def _terminate(database_url: str, pid: int) -> None:
    admin = create_engine(database_url)
    async with admin.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await admin.dispose()


@pytest.mark.postgresql
async def test_a_connection_used_a_moment_ago_is_not_pinged(pg_engine):
    engine, pings = pg_engine
    sessionmaker = create_sessionmaker(engine)
    first = await _backend_pid(sessionmaker)
    for _ in range(5):
        assert await _backend_pid(sessionmaker) == first
    assert pings == []


@pytest.mark.postgresql
async def test_an_idle_connection_that_died_is_replaced_before_use(pg_engine, database_url, monkeypatch):
    engine, pings = pg_engine
    sessionmaker = create_sessionmaker(engine)
    dead = await _backend_pid(sessionmaker)
    await _terminate(database_url, dead)
    monkeypatch.setattr("app.db.PING_IDLE_SECONDS", 0.0)  # every connection counts as idle now
    fresh = await _backend_pid(sessionmaker)  # no error reaches the caller
    assert fresh != dead and len(pings) == 1


@pytest.mark.postgresql
async def test_a_connection_that_died_a_moment_ago_fails_one_transaction_then_is_replaced(pg_engine, database_url):
    engine, pings = pg_engine
    sessionmaker = create_sessionmaker(engine)
    dead = await _backend_pid(sessionmaker)
    await _terminate(database_url, dead)
    with pytest.raises(DBAPIError) as failed:
        await _backend_pid(sessionmaker)
    assert failed.value.connection_invalidated
    assert await _backend_pid(sessionmaker) not in (dead, None)
    assert pings == []
