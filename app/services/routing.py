"""Who hears about a case: the unit's side and the centre's side, as LINE chat ids."""

from __future__ import annotations

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models import Agency, ComplaintCase, LineGroup, Person, Role


async def unit_chats(session: AsyncSession, agency_id: int) -> list[str]:
    """Every active coordinator of the unit, then the unit's bound LINE groups."""
    people = await session.scalars(
        select(Person.line_user_id)
        .where(Person.agency_id == agency_id, Person.role == Role.coordinator, Person.active.is_(True))
        .order_by(Person.id))
    groups = await session.scalars(
        select(LineGroup.line_group_id).where(LineGroup.agency_id == agency_id, LineGroup.active.is_(True))
        .order_by(LineGroup.id))
    return [*people.all(), *groups.all()]


async def unit_managers(session: AsyncSession, agency_id: int) -> list[str]:
    """The unit's managers (escalations go to them)."""
    return list((await session.scalars(
        select(Person.line_user_id)
        .where(Person.agency_id == agency_id, Person.role == Role.manager, Person.active.is_(True))
        .order_by(Person.id))).all())


async def centre_chats(session: AsyncSession, case: ComplaintCase) -> list[str]:
    """The centre person who forwarded the case (or re-routed it last) and the centre's bound
    groups. A case forwarded through the API has no such person: then every active centre staff
    member hears, so that nothing the unit says goes unread."""
    forwarder_id = next((a.forwarded_by_id for a in reversed(case.assignments) if a.forwarded_by_id),
                        case.created_by_id)
    # The forwarder (if still active at the centre) first, then the groups: one statement.
    if forwarder_id is None:
        chats = list((await session.scalars(_CENTRE_GROUPS)).all())
    else:
        chats = list((await session.scalars(_FORWARDER_AND_CENTRE_GROUPS, {"forwarder_id": forwarder_id})).all())
    if not chats:
        staff = await session.scalars(
            select(Person.line_user_id).where(Person.role == Role.centre, Person.active.is_(True)).order_by(Person.id))
        chats.extend(staff.all())
    return chats


# Built once: read for every message a unit sends the centre.
_centre_groups = (select(LineGroup.line_group_id.label("chat"), literal(1).label("part"), LineGroup.id.label("at"))
                  .join(LineGroup.agency).where(LineGroup.active.is_(True), Agency.code == "CENTRE"))
_CENTRE_GROUPS = _centre_groups.order_by(LineGroup.id)
_FORWARDER_AND_CENTRE_GROUPS = union_all(
    select(Person.line_user_id.label("chat"), literal(0).label("part"), Person.id.label("at"))
    .where(Person.id == bindparam("forwarder_id"), Person.active.is_(True), Person.role.in_((Role.centre, Role.admin))),
    _centre_groups,
).order_by("part", "at")
