"""Writes kept to the end of a group's transaction (app/pipeline/deferred_writes.py): one statement per table,
in the order written, savepoints undoing only their own rows, reads seeing what was kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from app.db import session_scope
from app.pipeline import deferred_writes, outbox
from app.pipeline.group_commit import GroupCommit
from app.services import agencies, business_calendar, cases
from models import OutboxMessage, Person

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _text(text: str) -> list[dict]:
    return [{"type": "text", "text": text}]


@pytest.fixture
def outbox_inserts(engine) -> list[str]:
    """Each INSERT into outbox_message, as the database received it."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.startswith("INSERT INTO outbox_message"):
            seen.append(statement)

    return seen


async def _sent_texts(sessionmaker) -> list[str]:
    async with sessionmaker() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [row.messages[0]["text"] for row in rows]


async def test_a_groups_messages_are_one_statement_in_the_order_they_were_written(sessionmaker, outbox_inserts):
    group = GroupCommit(sessionmaker, defer_writes=True)

    def change(text: str):
        async def write(session):
            rows = await outbox.push(session, to="U_CENTRE", messages=_text(text), now=T0)
            return rows[0].id  # not known until the group is written

        return write

    ids = await asyncio.gather(*(group.apply(change(t)) for t in ("หนึ่ง", "สอง", "สาม")))
    await group.close()
    assert ids == [None, None, None]
    assert await _sent_texts(sessionmaker) == ["หนึ่ง", "สอง", "สาม"]
    assert len(outbox_inserts) == 1  # the three changes arrived together: one group, one INSERT


async def test_a_savepoint_undoes_its_own_rows_only_and_the_order_holds(sessionmaker):
    async with session_scope(sessionmaker) as s:
        deferred_writes.start(s)
        await outbox.push(s, to="U_CENTRE", messages=_text("ก่อน"), now=T0)
        with pytest.raises(ValueError):
            async with deferred_writes.savepoint(s):
                await outbox.push(s, to="U_CENTRE", messages=_text("ถูกยกเลิก"), now=T0)
                raise ValueError("refused")
        async with deferred_writes.savepoint(s):
            await outbox.push(s, to="U_CENTRE", messages=_text("ในจุดบันทึก"), now=T0)
        await outbox.push(s, to="U_CENTRE", messages=_text("หลัง"), now=T0)
        await deferred_writes.flush(s)
    assert await _sent_texts(sessionmaker) == ["ก่อน", "ในจุดบันทึก", "หลัง"]


async def test_a_savepoint_begun_around_the_kept_rows_is_refused(sessionmaker):
    async with sessionmaker() as s:
        deferred_writes.start(s)
        await outbox.push(s, to="U_CENTRE", messages=_text("ก่อน"), now=T0)
        async with s.begin_nested():
            with pytest.raises(RuntimeError, match="deferred_writes.savepoint"):
                await outbox.push(s, to="U_CENTRE", messages=_text("ใน"), now=T0)
        await s.rollback()


async def test_the_case_log_read_in_the_same_transaction_includes_what_was_kept(sessionmaker, settings):
    at = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
    async with session_scope(sessionmaker) as s:
        centre_unit, unit = await agencies.get_by_code(s, "CENTRE"), await agencies.get_by_code(s, "1004")
        centre = Person(line_user_id="U_CENTRE", role="centre", agency_id=centre_unit.id, registered_at=at)
        coordinator = Person(line_user_id="U_BR", role="coordinator", agency_id=unit.id, registered_at=at)
        s.add_all([centre, coordinator])
        await s.flush()
        calendar = await business_calendar.load(s, settings)
        assignment = await cases.forward(s, agency=unit, title="ไฟทางดับ", actor=centre, at=at,
                                         calendar=calendar, settings=settings)
        case_id = assignment.case_id
    async with session_scope(sessionmaker) as s:
        deferred_writes.start(s)
        case = await cases.get(s, case_id, lock=True)
        person = await s.get(Person, coordinator.id)
        await cases.record_message(s, case=case, assignment=cases.current_assignment(case), actor=person,
                                   content={"type": "text", "text": "กำลังไปดูค่ะ"}, at=at,
                                   calendar=lambda: business_calendar.load(s, settings))
        log = await cases.timeline(s, case)
        await deferred_writes.flush(s)
    assert [(e.kind, e.data.get("text")) for e in log][-1] == ("message", "กำลังไปดูค่ะ")
