"""Registration, group binding, help and the public notice, end to end through LINE's shape."""

from __future__ import annotations

from sqlalchemy import select

from app.line import events
from models import Invite, LineGroup, Person
from tests.support import ADMIN_HEADERS


async def _person(service, user_id):
    async with service.sessionmaker() as s:
        return await s.scalar(select(Person).where(Person.line_user_id == user_id))


async def test_unregistered_people_get_the_public_notice_and_no_data(service):
    [answer] = await service.say("U_PUBLIC", "ถนนหน้าบ้านเป็นหลุม")
    assert "1555" in answer and "Traffy Fondue" in answer
    [again] = await service.say("U_PUBLIC", "ช่วยเหลือ")
    assert again == answer
    assert await _person(service, "U_PUBLIC") is None


async def test_register_binds_role_unit_and_display_name(service):
    service.emulator.add_user("U1", "สมศรี ใจดี")
    code = await service.invite("coordinator", "บางรัก")
    [answer] = await service.say("U1", f"ลงทะเบียน {code.lower()}")
    assert "ลงทะเบียนเรียบร้อย" in answer and "สำนักงานเขตบางรัก" in answer and "สมศรี ใจดี" in answer
    person = await _person(service, "U1")
    assert (person.role, person.agency.code, person.display_name, person.active) == ("coordinator", "1004", "สมศรี ใจดี", True)
    # the same code again, by someone else: refused, nothing changes
    [refused, usage] = await service.say("U2", f"register {code}")
    assert "ถูกใช้ไปแล้ว" in refused and "RT-" in usage
    assert await _person(service, "U2") is None


async def test_register_with_a_wrong_or_missing_code(service):
    [wrong, _] = await service.say("U1", "ลงทะเบียน RT-ZZZZ-ZZZZ")
    assert "ไม่พบรหัสเชิญ" in wrong
    [usage] = await service.say("U1", "ลงทะเบียน")
    assert "ลงทะเบียน RT-" in usage
    assert await _person(service, "U1") is None


async def test_register_works_without_a_profile(service):
    code = await service.invite("centre", "CENTRE")  # the user is not in the emulator: profile 404
    [answer] = await service.say("U_NOPROFILE", f"ลงทะเบียน {code}")
    assert "ลงทะเบียนเรียบร้อย" in answer
    assert (await _person(service, "U_NOPROFILE")).display_name is None


async def test_help_depends_on_role_and_unknown_commands_get_help(service):
    await service.register("U_COORD", "coordinator", "1004")
    await service.register("U_ADMIN", "admin")
    [coordinator_help] = await service.say("U_COORD", "help")
    [admin_help] = await service.say("U_ADMIN", "ช่วยเหลือ")
    assert "ผู้ประสานงานหน่วยงาน" in coordinator_help and "สำนักงานเขตบางรัก" in coordinator_help
    assert "ผู้ดูแลระบบ" in admin_help and coordinator_help != admin_help
    [puzzled, help_again] = await service.say("U_COORD", "ขอกาแฟหนึ่งแก้ว")
    assert "ไม่เข้าใจ" in puzzled and help_again == coordinator_help


async def test_follow_unfollow_and_unblock(service):
    await service.register("U1", "coordinator", "1004", name="สมชาย")
    await service.send(events.unfollow("U1"))
    await service.settle()
    assert not (await _person(service, "U1")).active
    [notice] = await service.say("U1", "ช่วยเหลือ")  # deactivated: treated as the public
    assert "1555" in notice
    before = len(service.emulator.accepted_messages("U1"))
    await service.send(events.follow("U1", unblocked=True))
    await service.settle()
    [welcome] = [m["text"] for m in service.emulator.accepted_messages("U1")[before:]]
    assert "ยินดีต้อนรับกลับ" in welcome and (await _person(service, "U1")).active


async def test_new_follower_gets_the_public_notice(service):
    await service.send(events.follow("U_NEW"))
    await service.settle()
    [greeting] = service.emulator.accepted_messages("U_NEW")
    assert "1555" in greeting["text"]


async def test_group_binding(service):
    await service.register("U_BANGRAK", "coordinator", "1004")
    await service.register("U_PATHUMWAN", "coordinator", "1007")
    await service.send(events.join("C1"))
    await service.settle()
    [hello] = service.emulator.accepted_messages("C1")
    assert "ผูกกลุ่ม" in hello["text"]

    assert await service.say("U_PUBLIC", "เย็นนี้ประชุมกี่โมง", group_id="C1") == []  # chatter: silence
    [refused] = await service.say("U_PUBLIC", "ผูกกลุ่ม 1004", group_id="C1")
    assert "เฉพาะผู้ประสานงาน" in refused
    [other_unit] = await service.say("U_PATHUMWAN", "ผูกกลุ่ม บางรัก", group_id="C1")
    assert "หน่วยงานของท่านเอง" in other_unit
    [choose] = await service.say("U_BANGRAK", "ผูกกลุ่ม บางกอก", group_id="C1")
    assert "หลายหน่วยงาน" in choose
    quick = service.emulator.accepted_messages("C1")[-1]["quickReply"]["items"]
    assert {i["action"]["text"] for i in quick} == {"ผูกกลุ่ม 1016", "ผูกกลุ่ม 1020"}
    [bound] = await service.say("U_BANGRAK", "ผูกกลุ่ม เขตบางรัก", group_id="C1")
    assert "สำนักงานเขตบางรัก" in bound
    async with service.sessionmaker() as s:
        group = await s.scalar(select(LineGroup).where(LineGroup.line_group_id == "C1"))
    assert group.agency.code == "1004" and group.active

    [private] = await service.say("U_BANGRAK", "ลงทะเบียน RT-AAAA-BBBB", group_id="C1")
    assert "แชตส่วนตัว" in private
    [not_here] = await service.say("U_BANGRAK", "ผูกกลุ่ม 1004")
    assert "กลุ่ม LINE" in not_here

    await service.send(events.leave("C1"))
    await service.settle()
    async with service.sessionmaker() as s:
        assert not (await s.scalar(select(LineGroup).where(LineGroup.line_group_id == "C1"))).active


async def test_invite_api_needs_the_admin_token_and_valid_input(service):
    async with service.http(admin=False) as client:
        assert (await client.post("/api/v1/invites", json={"role": "centre", "agency": "CENTRE"})).status_code == 401
        wrong = await client.post("/api/v1/invites", json={"role": "centre", "agency": "CENTRE"},
                                  headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        unknown = await client.post("/api/v1/invites", json={"role": "coordinator", "agency": "เขตแอตแลนติส"},
                                    headers=ADMIN_HEADERS)
        assert unknown.status_code == 404 and unknown.json()["error"] == "AgencyNotFound"
        bad_role = await client.post("/api/v1/invites", json={"role": "boss", "agency": "1004"}, headers=ADMIN_HEADERS)
        assert bad_role.status_code == 422
        ambiguous = await client.post("/api/v1/invites", json={"role": "coordinator", "agency": "บางกอก"},
                                      headers=ADMIN_HEADERS)
        assert ambiguous.status_code == 409 and set(ambiguous.json()["details"]["candidates"]) == {"1016", "1020"}
        people = await client.get("/api/v1/people", headers=ADMIN_HEADERS)
        assert people.status_code == 200 and people.json() == []
        found = await client.get("/api/v1/agencies", params={"q": "Bang Rak"}, headers=ADMIN_HEADERS)
        assert [a["code"] for a in found.json()] == ["1004"]
    async with service.sessionmaker() as s:
        assert (await s.scalars(select(Invite))).all() == []
