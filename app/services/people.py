"""Invites, registration of LINE users, and LINE groups bound to units (SPEC §3)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput, InviteExpired, InviteNotFound, InviteUsed, NotAllowed
from app.services import agencies
from models import Agency, Invite, LineGroup, Person, Role

# No 0/O, 1/I/L: codes are read off a screen and typed on a phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_invite_code() -> str:
    part = lambda: "".join(secrets.choice(_ALPHABET) for _ in range(4))  # noqa: E731
    return f"RT-{part()}-{part()}"


def normalize_invite_code(text: str) -> str | None:
    """'rt-7k4q-m2xp', 'RT 7K4Q M2XP' and 'RT7K4QM2XP' all read as RT-7K4Q-M2XP."""
    compact = re.sub(r"[\s\-]", "", text.strip().upper())
    if not re.fullmatch(r"RT[A-Z0-9]{8}", compact):
        return None
    return f"RT-{compact[2:6]}-{compact[6:]}"


async def create_invite(session: AsyncSession, *, role: str, agency_query: str | None, created_by: str,
                        now: datetime, valid_days: int) -> Invite:
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}") from None
    agency: Agency | None = None
    if agency_query:
        agency = await agencies.resolve(session, agency_query)
    elif role in (Role.coordinator, Role.centre):
        raise InvalidInput(f"a {role.value} invite needs a unit (--agency)")
    if role == Role.centre and agency is not None and agency.code != "CENTRE":
        raise InvalidInput("a centre invite belongs to the complaints centre (CENTRE)")
    if role == Role.coordinator and agency is not None and agency.code == "CENTRE":
        raise InvalidInput("coordinators belong to a unit, not to the complaints centre")
    invite = Invite(code=new_invite_code(), role=role, agency=agency, agency_id=agency.id if agency else None,
                    created_by=created_by, expires_at=now + timedelta(days=valid_days))
    session.add(invite)
    await session.flush()
    return invite


async def get_active(session: AsyncSession, line_user_id: str) -> Person | None:
    return await session.scalar(_ACTIVE_BY_LINE_ID, {"line_user_id": line_user_id})


# Built once: read for every event a person sends.
_ACTIVE_BY_LINE_ID = select(Person).where(Person.line_user_id == bindparam("line_user_id"), Person.active.is_(True))


async def get_by_line_id(session: AsyncSession, line_user_id: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.line_user_id == line_user_id))


async def register(session: AsyncSession, *, line_user_id: str, code: str, display_name: str | None,
                   now: datetime) -> Person:
    """Bind a LINE user to the invite's role and unit. A person already bound takes the new role and
    unit (an admin issued the invite); the invite is spent either way."""
    normalized = normalize_invite_code(code)
    invite = None
    if normalized:
        invite = await session.scalar(select(Invite).where(Invite.code == normalized).with_for_update(of=Invite))
    if invite is None:
        raise InviteNotFound("ไม่พบรหัสเชิญนี้", code=code)
    if invite.used_at is not None:
        raise InviteUsed("รหัสเชิญนี้ถูกใช้ไปแล้ว", code=invite.code)
    if invite.expires_at <= now:
        raise InviteExpired("รหัสเชิญนี้หมดอายุแล้ว", code=invite.code, expired_at=invite.expires_at.isoformat())
    person = await get_by_line_id(session, line_user_id)
    if person is None:
        person = Person(line_user_id=line_user_id, registered_at=now)
        session.add(person)
    person.role = invite.role
    person.agency_id = invite.agency_id
    person.agency = invite.agency
    person.display_name = display_name or person.display_name
    person.active = True
    person.registered_at = now
    person.deactivated_at = person.deactivated_reason = None
    await session.flush()
    invite.used_at = now
    invite.used_by_id = person.id
    await session.flush()
    return person


async def deactivate(session: AsyncSession, *, line_user_id: str, reason: str, now: datetime) -> Person | None:
    person = await get_active(session, line_user_id)
    if person is not None:
        person.active = False
        person.deactivated_at = now
        person.deactivated_reason = reason
        await session.flush()
    return person


async def reactivate_after_unblock(session: AsyncSession, *, line_user_id: str, now: datetime) -> Person | None:
    """Blocking the account deactivates a person; unblocking it brings them back as they were.
    A person an admin deactivated stays deactivated."""
    person = await get_by_line_id(session, line_user_id)
    if person is not None and not person.active and person.deactivated_reason == "unfollow":
        person.active = True
        person.deactivated_at = person.deactivated_reason = None
        await session.flush()
    return person


async def bind_group(session: AsyncSession, *, line_group_id: str, agency_query: str, actor: Person | None,
                     now: datetime) -> LineGroup:
    """Bind a LINE group to a unit. Only an admin, or a coordinator of that same unit, may."""
    if actor is None or actor.role not in (Role.admin, Role.coordinator):
        raise NotAllowed("ผูกกลุ่มได้เฉพาะผู้ประสานงานของหน่วยงานหรือผู้ดูแลระบบ")
    agency = await agencies.resolve(session, agency_query)
    if actor.role == Role.coordinator and actor.agency_id != agency.id:
        raise NotAllowed("ผูกกลุ่มได้เฉพาะกับหน่วยงานของท่านเอง", agency=agency.code)
    group = await session.scalar(select(LineGroup).where(LineGroup.line_group_id == line_group_id))
    if group is None:
        group = LineGroup(line_group_id=line_group_id, joined_at=now)
        session.add(group)
    group.agency_id = agency.id
    group.agency = agency
    group.bound_by_id = actor.id
    group.bound_at = now
    group.active = True
    group.left_at = None
    await session.flush()
    return group


async def group_joined(session: AsyncSession, *, line_group_id: str, now: datetime) -> LineGroup:
    group = await session.scalar(select(LineGroup).where(LineGroup.line_group_id == line_group_id))
    if group is None:
        group = LineGroup(line_group_id=line_group_id, joined_at=now, active=True)
        session.add(group)
    elif not group.active:
        # Back after being removed: whoever is in the group now must bind it again.
        group.active, group.joined_at, group.left_at = True, now, None
        group.agency_id = group.agency = group.bound_by_id = group.bound_at = None
    await session.flush()
    return group


async def group_left(session: AsyncSession, *, line_group_id: str, now: datetime) -> LineGroup | None:
    """The account was removed from the group: no more cards go there. The binding is kept for the
    record, inactive, until the account is added back (and the group bound again)."""
    group = await session.scalar(select(LineGroup).where(LineGroup.line_group_id == line_group_id))
    if group is not None:
        group.active, group.left_at = False, now
        await session.flush()
    return group
