from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.errors import InvalidInput, InviteExpired, InviteNotFound, InviteUsed, NotAllowed
from app.services import people

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


async def _invite(session, role="coordinator", agency="1004", now=NOW):
    return await people.create_invite(session, role=role, agency_query=agency, created_by="test", now=now, valid_days=7)


async def test_invite_code_shape_and_validity(session):
    invite = await _invite(session)
    assert re.fullmatch(r"RT-[A-Z0-9]{4}-[A-Z0-9]{4}", invite.code)
    assert not set(invite.code) & set("01OIL")
    assert invite.expires_at == NOW + timedelta(days=7)
    assert invite.agency.code == "1004"


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{spaced}", "{compact}"])
async def test_register_accepts_the_ways_people_type_a_code(session, typed):
    invite = await _invite(session)
    code = invite.code
    text = typed.format(code=code, lower=code.lower(), spaced=code.replace("-", " "), compact=code.replace("-", ""))
    person = await people.register(session, line_user_id="U1", code=text, display_name="สมศรี", now=NOW)
    assert (person.role, person.agency.code, person.display_name, person.active) == ("coordinator", "1004", "สมศรี", True)
    assert invite.used_at == NOW and invite.used_by_id == person.id


async def test_invite_is_single_use_and_expires(session):
    invite = await _invite(session)
    await people.register(session, line_user_id="U1", code=invite.code, display_name=None, now=NOW)
    with pytest.raises(InviteUsed):
        await people.register(session, line_user_id="U2", code=invite.code, display_name=None, now=NOW)
    late = await _invite(session)
    with pytest.raises(InviteExpired):
        await people.register(session, line_user_id="U3", code=late.code, display_name=None,
                               now=NOW + timedelta(days=7))
    with pytest.raises(InviteNotFound):
        await people.register(session, line_user_id="U3", code="RT-AAAA-BBBB", display_name=None, now=NOW)
    assert await people.get_active(session, "U3") is None


async def test_invite_rules(session):
    with pytest.raises(InvalidInput):
        await _invite(session, role="coordinator", agency=None)
    with pytest.raises(InvalidInput):
        await _invite(session, role="centre", agency="1004")
    with pytest.raises(InvalidInput):
        await _invite(session, role="coordinator", agency="CENTRE")
    with pytest.raises(InvalidInput):
        await _invite(session, role="boss")
    manager = await _invite(session, role="manager", agency=None)
    assert manager.agency is None


async def test_unfollow_deactivates_and_unblock_restores(session):
    invite = await _invite(session)
    await people.register(session, line_user_id="U1", code=invite.code, display_name=None, now=NOW)
    await people.deactivate(session, line_user_id="U1", reason="unfollow", now=NOW)
    assert await people.get_active(session, "U1") is None
    restored = await people.reactivate_after_unblock(session, line_user_id="U1", now=NOW)
    assert restored.active and restored.agency.code == "1004"
    await people.deactivate(session, line_user_id="U1", reason="admin", now=NOW)
    assert not (await people.reactivate_after_unblock(session, line_user_id="U1", now=NOW)).active


async def test_bind_group_only_own_unit(session):
    coordinator = await people.register(session, line_user_id="U1", code=(await _invite(session)).code,
                                        display_name=None, now=NOW)
    group = await people.bind_group(session, line_group_id="C1", agency_query="บางรัก", actor=coordinator, now=NOW)
    assert group.agency.code == "1004" and group.active
    with pytest.raises(NotAllowed):
        await people.bind_group(session, line_group_id="C2", agency_query="1007", actor=coordinator, now=NOW)
    with pytest.raises(NotAllowed):
        await people.bind_group(session, line_group_id="C2", agency_query="1004", actor=None, now=NOW)
    admin = await people.register(session, line_user_id="U9", code=(await _invite(session, "admin", None)).code,
                                  display_name=None, now=NOW)
    assert (await people.bind_group(session, line_group_id="C2", agency_query="1007", actor=admin, now=NOW)).agency.code == "1007"
    await people.group_left(session, line_group_id="C1", now=NOW)
    rejoined = await people.group_joined(session, line_group_id="C1", now=NOW)
    assert rejoined.active and rejoined.agency_id is None
