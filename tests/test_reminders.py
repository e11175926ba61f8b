"""SLA deadlines, reminders at 50 % and 80 %, escalation at breach (SPEC §5), driven with explicit
times: no sleeping, no frozen clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import reminders
from app.db import create_engine, create_sessionmaker, session_scope
from app.services import agencies, business_calendar, cases, sla
from models import Assignment, LineGroup, OutboxMessage, Person, SlaTimer

BKK = ZoneInfo("Asia/Bangkok")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BKK)
FRIDAY_15 = datetime(2026, 11, 27, 15, 0, tzinfo=BKK)


@pytest.fixture
async def people(sessionmaker):
    """A centre person, two Bang Rak coordinators, its group and its manager; a Pathum Wan coordinator."""
    async with session_scope(sessionmaker) as s:
        bangrak = await agencies.get_by_code(s, "1004")
        pathumwan = await agencies.get_by_code(s, "1007")
        centre = await agencies.get_by_code(s, "CENTRE")
        s.add_all([
            Person(line_user_id="U_CENTRE", role="centre", agency_id=centre.id, registered_at=MONDAY_9),
            Person(line_user_id="U_BR1", role="coordinator", agency_id=bangrak.id, registered_at=MONDAY_9),
            Person(line_user_id="U_BR2", role="coordinator", agency_id=bangrak.id, registered_at=MONDAY_9),
            Person(line_user_id="U_BR_BOSS", role="manager", agency_id=bangrak.id, registered_at=MONDAY_9),
            Person(line_user_id="U_PW", role="coordinator", agency_id=pathumwan.id, registered_at=MONDAY_9),
            LineGroup(line_group_id="C_BR", agency_id=bangrak.id, joined_at=MONDAY_9, active=True),
        ])


async def _forward(sessionmaker, settings, *, at, priority="normal", unit="1004", category=None) -> Assignment:
    async with session_scope(sessionmaker) as s:
        centre = await s.scalar(select(Person).where(Person.line_user_id == "U_CENTRE"))
        return await cases.forward(s, agency=await agencies.resolve(s, unit), title="ไฟทางดับ", priority=priority,
                                   category=category, actor=centre, at=at,
                                   calendar=await business_calendar.load(s, settings), settings=settings)


async def _timers(sessionmaker, assignment_id) -> dict[tuple[str, int], SlaTimer]:
    async with sessionmaker() as s:
        rows = (await s.scalars(select(SlaTimer).where(SlaTimer.assignment_id == assignment_id))).all()
    return {(t.deadline, t.threshold): t for t in rows}


async def _messages(sessionmaker, since_id: int = 0) -> dict[str, list[str]]:
    async with sessionmaker() as s:
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.id > since_id).order_by(OutboxMessage.id))).all()
    by_chat: dict[str, list[str]] = {}
    for row in rows:
        by_chat.setdefault(row.recipient, []).extend(m.get("text", m.get("altText", "")) for m in row.messages)
    return by_chat


async def _last_outbox_id(sessionmaker) -> int:
    async with sessionmaker() as s:
        return await s.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))


async def test_normal_case_deadlines_and_timers_follow_office_hours(sessionmaker, settings, people):
    a = await _forward(sessionmaker, settings, at=FRIDAY_15)
    # 4 business hours from Friday 15:00: 1.5 h on Friday, 2.5 h on Monday → Monday 11:00
    assert a.ack_due_at == datetime(2026, 11, 30, 11, 0, tzinfo=BKK)
    assert a.resolve_due_at == FRIDAY_15 + timedelta(days=15)  # calendar days
    timers = await _timers(sessionmaker, a.id)
    assert timers[("ack", 50)].fire_at == datetime(2026, 11, 30, 9, 0, tzinfo=BKK)  # 2 h: 1.5 Fri + 0.5 Mon
    assert timers[("ack", 80)].fire_at == datetime(2026, 11, 30, 10, 12, tzinfo=BKK)  # 3.2 h: 1.5 + 1.7
    assert timers[("ack", 100)].fire_at == a.ack_due_at
    # half of 15 days from Friday 15:00 is Sunday 3 Dec 03:00 → quiet hours: Monday 7 Dec 08:30
    # (5 December, the King Bhumibol memorial day, falls on Saturday; its day in lieu is Monday 7 Dec)
    assert timers[("resolve", 50)].due_at == a.resolve_due_at
    assert timers[("resolve", 50)].fire_at == datetime(2026, 12, 8, 8, 30, tzinfo=BKK)


async def test_urgent_case_reminders_ignore_quiet_hours(sessionmaker, settings, people):
    night = datetime(2026, 11, 28, 23, 50, tzinfo=BKK)  # Saturday night
    a = await _forward(sessionmaker, settings, at=night, priority="urgent")
    timers = await _timers(sessionmaker, a.id)
    assert a.ack_due_at == night + timedelta(minutes=30)
    assert [timers[("ack", t)].fire_at for t in (50, 80, 100)] == [
        night + timedelta(minutes=15), night + timedelta(minutes=24), night + timedelta(minutes=30)]


async def test_each_threshold_fires_once_and_only_while_needed(sessionmaker, settings, people):
    a = await _forward(sessionmaker, settings, at=MONDAY_9)  # ack due 13:00
    assert await reminders.run(sessionmaker, settings, now=MONDAY_9 + timedelta(hours=1)) == {}
    mark = await _last_outbox_id(sessionmaker)
    at_50 = datetime(2026, 11, 23, 11, 0, tzinfo=BKK)
    assert await reminders.run(sessionmaker, settings, now=at_50) == {"sent": 1}
    told = await _messages(sessionmaker, mark)
    assert set(told) == {"U_BR1", "U_BR2", "C_BR"}  # coordinators and the unit's group
    assert told["U_BR1"][0].startswith(f"⏰ เตือน: เรื่อง #{a.case.number} ต้องรับเรื่องภายใน 23 พ.ย. 2569 13:00 น.")
    assert "เหลืออีก 2 ชม." in told["U_BR1"][0]
    assert await reminders.run(sessionmaker, settings, now=at_50) == {}  # never twice

    # acknowledged before 80 %: the 80 % and the breach reminders stay silent
    async with session_scope(sessionmaker) as s:
        coordinator = await s.scalar(select(Person).where(Person.line_user_id == "U_BR1"))
        await cases.acknowledge(s, assignment_id=a.id, actor=coordinator, at=at_50 + timedelta(minutes=5),
                                calendar=await business_calendar.load(s, settings))
    mark = await _last_outbox_id(sessionmaker)
    assert await reminders.run(sessionmaker, settings, now=MONDAY_9 + timedelta(hours=5)) == {
        "not_needed": 1, "superseded": 1}
    assert await _messages(sessionmaker, mark) == {}


async def test_breach_escalates_to_managers_and_centre(sessionmaker, settings, people):
    a = await _forward(sessionmaker, settings, at=MONDAY_9)
    await reminders.run(sessionmaker, settings, now=datetime(2026, 11, 23, 12, 30, tzinfo=BKK))  # 50 and 80
    mark = await _last_outbox_id(sessionmaker)
    assert await reminders.run(sessionmaker, settings, now=datetime(2026, 11, 23, 13, 0, tzinfo=BKK)) == {"sent": 1}
    told = await _messages(sessionmaker, mark)
    assert set(told) == {"U_BR1", "U_BR2", "C_BR", "U_BR_BOSS", "U_CENTRE"}
    assert told["U_BR_BOSS"][0].startswith(f"🚨 เรื่อง #{a.case.number} เกินกำหนดรับเรื่องแล้ว")
    assert "ผู้บริหารหน่วยงานและศูนย์ฯ ได้รับแจ้งแล้ว" in told["U_BR1"][0]
    assert "U_PW" not in told


async def test_after_downtime_only_the_furthest_threshold_speaks(sessionmaker, settings, people):
    a = await _forward(sessionmaker, settings, at=MONDAY_9)
    result = await reminders.run(sessionmaker, settings, now=datetime(2026, 11, 23, 15, 0, tzinfo=BKK))
    assert result == {"sent": 1, "superseded": 2}
    timers = await _timers(sessionmaker, a.id)
    assert timers[("ack", 100)].outcome == "sent" and timers[("ack", 50)].outcome == "superseded"


async def test_reroute_and_reopen_lay_new_timers_and_silence_the_old(sessionmaker, settings, people):
    a = await _forward(sessionmaker, settings, at=MONDAY_9)
    moved_at = MONDAY_9 + timedelta(minutes=30)
    async with session_scope(sessionmaker) as s:
        case = await cases.get(s, a.case_id, lock=True)
        _, new = await cases.reassign(s, case=case, agency=await agencies.resolve(s, "1007"), actor=None, note=None,
                                      at=moved_at, calendar=await business_calendar.load(s, settings),
                                      settings=settings)
    mark = await _last_outbox_id(sessionmaker)
    # 11:00: the old unit's 50 % is moot; the new unit's comes at 11:30
    assert await reminders.run(sessionmaker, settings, now=datetime(2026, 11, 23, 11, 0, tzinfo=BKK)) == {"not_needed": 1}
    assert await reminders.run(sessionmaker, settings, now=datetime(2026, 11, 23, 11, 30, tzinfo=BKK)) == {"sent": 1}
    assert set(await _messages(sessionmaker, mark)) == {"U_PW"}

    async with session_scope(sessionmaker) as s:
        coordinator = await s.scalar(select(Person).where(Person.line_user_id == "U_PW"))
        calendar = await business_calendar.load(s, settings)
        await cases.resolve(s, assignment_id=new.id, actor=coordinator, at=moved_at + timedelta(hours=1),
                            calendar=calendar)
        case = await cases.get(s, a.case_id, lock=True)
        reopened_at = moved_at + timedelta(days=2)
        await cases.reopen(s, case=case, actor=None, reason="ยังไม่เรียบร้อย", at=reopened_at, calendar=calendar,
                           settings=settings)
    timers = [t for t in (await _timers_all(sessionmaker, new.id)) if t.deadline == "resolve"]
    assert len(timers) == 6  # the first resolve deadline's three and the reopened one's three
    assert {t.due_at for t in timers} == {moved_at + timedelta(days=15), reopened_at + timedelta(days=15)}


async def _timers_all(sessionmaker, assignment_id) -> list[SlaTimer]:
    async with sessionmaker() as s:
        return list((await s.scalars(select(SlaTimer).where(SlaTimer.assignment_id == assignment_id))).all())


async def test_policy_per_unit_and_category_wins_over_the_default(sessionmaker, settings, people):
    async with session_scope(sessionmaker) as s:
        bangrak = await agencies.get_by_code(s, "1004")
        await sla.set_policy(s, priority="normal", agency=None, category=None, updated_by="test",
                             terms=sla.Terms(8 * 3600, True, 10 * 86400, False))
        await sla.set_policy(s, priority="normal", agency=bangrak, category="ไฟฟ้า", updated_by="test",
                             terms=sla.Terms(3600, False, 16 * 3600, True))
    lights = await _forward(sessionmaker, settings, at=MONDAY_9, category="ไฟฟ้า")
    other = await _forward(sessionmaker, settings, at=MONDAY_9, category="ถนน")
    elsewhere = await _forward(sessionmaker, settings, at=MONDAY_9, unit="1007", category="ไฟฟ้า")
    assert lights.ack_due_at == MONDAY_9 + timedelta(hours=1)  # wall clock
    # 16 business hours from Monday 09:00: 7.5 on Monday, 8 on Tuesday, 0.5 on Wednesday
    assert lights.resolve_due_at == datetime(2026, 11, 25, 9, 0, tzinfo=BKK)
    assert other.ack_due_at == datetime(2026, 11, 24, 9, 0, tzinfo=BKK)  # 8 business hours: the BMA policy
    assert elsewhere.ack_due_at == other.ack_due_at


async def test_two_schedulers_scanning_at_once_send_each_reminder_once(database_url, sessionmaker, settings, people):
    assignments = [await _forward(sessionmaker, settings, at=MONDAY_9 + timedelta(seconds=i)) for i in range(30)]
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(reminders.run(create_sessionmaker(e), settings,
                                                       now=datetime(2026, 11, 23, 11, 5, tzinfo=BKK))
                                          for e in engines))
    finally:
        for e in engines:
            await e.dispose()
    assert sum(r.get("sent", 0) for r in results) == len(assignments)
    reminded = [t for t in (await _messages(sessionmaker)).get("U_BR1", []) if t.startswith("⏰ เตือน")]
    assert len(reminded) == len(assignments)  # one 50 % reminder per case to this coordinator, not two
