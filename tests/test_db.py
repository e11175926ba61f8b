"""The worker's SQLite connection on the event loop's own thread (app/db.py, OnLoopConnection)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Integer, cast, event, literal, select, text
from sqlalchemy.exc import IntegrityError

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
