"""Group commit: changes that arrive together are written in one transaction, each one's error its own."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.pipeline.group_commit import GroupCommit, Together


async def test_changes_of_one_kind_reach_their_writer_at_once_and_each_outcome_its_caller(sessionmaker):
    calls: list[list[str]] = []

    async def write(session, items):
        calls.append(list(items))
        await session.execute(text("SELECT 1"))
        return [ValueError(f"refused {i}") if i == "bad" else i.upper() for i in items]

    async def plain(session):
        await session.execute(text("SELECT 1"))
        return "plain"

    group = GroupCommit(sessionmaker)
    results = await asyncio.gather(group.apply(Together(write, "a")), group.apply(plain),
                                   group.apply(Together(write, "bad")), group.apply(Together(write, "c")),
                                   return_exceptions=True)
    await group.close()
    assert calls == [["a", "bad", "c"]]  # one call for the group, in the callers' order
    assert results[0] == "A" and results[1] == "plain" and results[3] == "C"
    assert isinstance(results[2], ValueError) and str(results[2]) == "refused bad"


async def test_a_failed_group_is_written_again_change_by_change(sessionmaker):
    calls: list[list[str]] = []

    async def write(session, items):
        calls.append(list(items))
        if "boom" in items:
            raise RuntimeError("the database refused the statement")
        return [i.upper() for i in items]

    group = GroupCommit(sessionmaker)
    results = await asyncio.gather(*(group.apply(Together(write, i)) for i in ("a", "boom", "c")),
                                   return_exceptions=True)
    await group.close()
    assert calls == [["a", "boom", "c"], ["a"], ["boom"], ["c"]]
    assert results[0] == "A" and results[2] == "C" and isinstance(results[1], RuntimeError)
