"""The dashboard's queries on both databases: weeks in Bangkok time, coordinators' activity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.services import agencies
from app.web import queries
from app.web.filters import parse
from models import CaseEvent, Person
from tests.services.test_metrics import add_assignment

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
NOVEMBER = parse({"fy": "2569", "span": "m11"}, today=NOW.date(), tz=BANGKOK)


async def test_weeks_run_monday_to_sunday_in_bangkok(session):
    sunday_night = datetime(2025, 11, 9, 23, 30, tzinfo=BANGKOK)  # Sunday 16:30 UTC
    monday_morning = datetime(2025, 11, 10, 0, 30, tzinfo=BANGKOK)  # still Sunday in UTC
    await add_assignment(session, "1004", status="acknowledged", forwarded_at=sunday_night, tta=(600, 0),
                         ack_due_after=3600)
    for _ in range(2):
        await add_assignment(session, "1004", status="forwarded", forwarded_at=monday_morning, ack_due_after=3600)
    weeks = await queries.weekly(session, NOVEMBER, now=NOW)
    assert [w.monday for w in weeks] == [date(2025, 10, 27), date(2025, 11, 3), date(2025, 11, 10),
                                         date(2025, 11, 17), date(2025, 11, 24)]
    assert [w.figures.counts.forwarded for w in weeks] == [0, 1, 2, 0, 0]
    assert weeks[1].figures.tta.p50_business_seconds == 0 and weeks[1].figures.sla.acknowledge_percent == 100.0
    assert weeks[2].figures.sla.acknowledge_percent == 0.0  # both missed by now
    total = await queries.totals(session, NOVEMBER, now=NOW)
    assert total.counts.forwarded == 3 and total.frt.p50_seconds is None  # only what is drawn is computed


async def test_coordinators_and_their_latest_action(session):
    bangrak = await agencies.get_by_code(session, "1004")
    at = datetime(2025, 11, 5, 3, 0, tzinfo=UTC)
    busy = Person(line_user_id="U1", display_name="สมชาย", role="coordinator", agency_id=bangrak.id, registered_at=at)
    idle = Person(line_user_id="U2", display_name="สมศรี", role="coordinator", agency_id=bangrak.id, registered_at=at)
    gone = Person(line_user_id="U3", display_name="สมปอง", role="coordinator", agency_id=bangrak.id, registered_at=at,
                  active=False)
    boss = Person(line_user_id="U4", display_name="ผอ.", role="manager", agency_id=bangrak.id, registered_at=at)
    session.add_all([busy, idle, gone, boss])
    assignment = await add_assignment(session, "1004", status="acknowledged", forwarded_at=at)
    await session.flush()
    for minutes in (10, 20, 60 * 24 * 40):  # two in November, one in December
        session.add(CaseEvent(case_id=assignment.case_id, assignment_id=assignment.id, kind="message",
                              actor_id=busy.id, at=at + timedelta(minutes=minutes), data={}))
    await session.flush()
    people = await queries.coordinators(session, NOVEMBER, agency_id=bangrak.id)
    assert [(p.name, p.active, p.actions) for p in people] == [("สมชาย", True, 2), ("สมศรี", True, 0),
                                                               ("สมปอง", False, 0)]
    assert people[0].last_action_at == at + timedelta(days=40) and people[0].last_action_at.tzinfo is not None
    assert people[1].last_action_at is None
