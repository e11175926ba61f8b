"""Who hears about a case: the centre's side of a unit's message."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.services import routing
from models import Agency, Assignment, ComplaintCase, LineGroup, Person

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


async def _agency(session, code: str) -> Agency:
    return await session.scalar(select(Agency).where(Agency.code == code))


async def _people(session, *specs: tuple[str, str, str | None]) -> list[Person]:
    rows = []
    for line_id, role, agency in specs:
        agency_id = (await _agency(session, agency)).id if agency else None
        rows.append(Person(line_user_id=line_id, role=role, agency_id=agency_id, registered_at=NOW))
    session.add_all(rows)
    await session.flush()
    return rows


def _case(*forwarders: int | None, created_by: int | None = None) -> ComplaintCase:
    return ComplaintCase(created_by_id=created_by,
                         assignments=[Assignment(forwarded_by_id=f) for f in forwarders])


async def test_the_forwarder_hears_first_then_the_centres_groups(session):
    first, later, _other = await _people(session, ("U_A", "centre", None), ("U_B", "admin", None),
                                         ("U_C", "centre", None))
    centre, unit = await _agency(session, "CENTRE"), await _agency(session, "1004")
    session.add_all([LineGroup(line_group_id="C_2", agency_id=centre.id), LineGroup(line_group_id="C_1", agency_id=centre.id),
                     LineGroup(line_group_id="C_OFF", agency_id=centre.id, active=False),
                     LineGroup(line_group_id="C_UNIT", agency_id=unit.id)])
    await session.flush()
    assert await routing.centre_chats(session, _case(first.id)) == ["U_A", "C_2", "C_1"]
    # re-routed by someone else: the last forwarder hears
    assert await routing.centre_chats(session, _case(first.id, later.id)) == ["U_B", "C_2", "C_1"]
    first.active = False
    await session.flush()
    assert await routing.centre_chats(session, _case(first.id)) == ["C_2", "C_1"]


async def test_with_no_forwarder_and_no_group_every_active_centre_person_hears(session):
    a, b, gone, coordinator = await _people(session, ("U_A", "centre", None), ("U_B", "centre", None),
                                            ("U_GONE", "centre", None), ("U_UNIT", "coordinator", "1004"))
    gone.active = False
    await session.flush()
    assert await routing.centre_chats(session, _case(None)) == ["U_A", "U_B"]  # forwarded through the API
    # a forwarder who is no longer at the centre is nobody to tell
    assert await routing.centre_chats(session, _case(coordinator.id)) == ["U_A", "U_B"]
    assert await routing.centre_chats(session, _case(None, created_by=b.id)) == ["U_B"]
