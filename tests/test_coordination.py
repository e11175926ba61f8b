"""Complaint coordination end to end (SPEC §4): signed webhooks in, the LINE emulator out, on both
databases. The centre forwards; the unit's coordinators and group get the card; taps, quotes,
#numbers and reply windows carry the conversation both ways."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.line import events
from models import CaseEvent, ComplaintCase
from tests.support import Service, buttons, quick_replies

CENTRE, BANGRAK_1, BANGRAK_2, PATHUMWAN, MANAGER, STRANGER = (
    "U_CENTRE", "U_BANGRAK_1", "U_BANGRAK_2", "U_PATHUMWAN", "U_MANAGER", "U_STRANGER")
GROUP = "C_BANGRAK"
LABELS = ["รับเรื่อง", "ตอบกลับ", "เสร็จแล้ว", "ไม่ใช่หน่วยงานเรา"]


@dataclass
class Desk:
    service: Service

    async def forward(self, text: str = "ส่งเรื่อง บางรัก\nไฟทางดับ ซอยสีลม 5\nมืดมาก 3 คืนแล้ว", **options) -> str:
        """The centre forwards; returns the case number."""
        [answer] = await self.service.say(CENTRE, text, **options)
        assert answer.startswith("ส่งเรื่อง #"), answer
        return answer.split()[1]

    async def case(self, number: str) -> ComplaintCase:
        async with self.service.sessionmaker() as s:
            return await s.scalar(select(ComplaintCase).where(ComplaintCase.number == number.lstrip("#")))

    async def events(self, number: str) -> list[str]:
        case = await self.case(number)
        async with self.service.sessionmaker() as s:
            return list((await s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)
                                         .order_by(CaseEvent.id))).all())

    def texts_to(self, chat: str) -> list[str]:
        return [m.get("text", m.get("altText", "")) for m in self.service.emulator.accepted_messages(chat)]


@pytest.fixture
async def desk(service) -> Desk:
    await service.register(CENTRE, "centre", "CENTRE", name="สมศรี ศูนย์ฯ")
    await service.register(BANGRAK_1, "coordinator", "1004", name="สมชาย บางรัก")
    await service.register(BANGRAK_2, "coordinator", "1004", name="สมหญิง บางรัก")
    await service.register(PATHUMWAN, "coordinator", "1007", name="ปทุม")
    await service.register(MANAGER, "manager", "1004", name="ผอ.เขต")
    await service.send(events.join(GROUP))
    await service.settle()
    await service.say(BANGRAK_1, "ผูกกลุ่ม 1004", group_id=GROUP)
    return Desk(service)


async def test_forward_sends_the_card_to_every_coordinator_and_the_group(desk):
    number = await desk.forward()
    assert number.startswith("#") and len(number) == 9  # #YY-NNNNN
    for chat in (BANGRAK_1, BANGRAK_2, GROUP):
        card = desk.service.last_card(chat)
        assert list(buttons(card)) == LABELS
        assert number in card["altText"] and "ไฟทางดับ ซอยสีลม 5" in card["altText"]
        body = json.dumps(card, ensure_ascii=False)
        assert "มืดมาก 3 คืนแล้ว" in body and "รับเรื่องภายใน" in body
        assert len(json.dumps(card["contents"]).encode()) <= 30 * 1024
        assert all(len(data) <= 300 for data in buttons(card).values())
    assert not any(m["type"] == "flex" for m in desk.service.emulator.accepted_messages(PATHUMWAN))

    case = await desk.case(number)
    [assignment] = case.assignments
    assert assignment.agency.code == "1004" and assignment.status == "forwarded"
    assert assignment.delivered_at is not None  # LINE accepted the card
    assert assignment.ack_due_at > assignment.forwarded_at
    assert await desk.events(number) == ["created", "forwarded"]


async def test_numbers_run_per_fiscal_year(desk):
    before_october = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)  # FY2569
    first = await desk.forward(at=before_october)
    second = await desk.forward(at=before_october + timedelta(minutes=1))
    october = await desk.forward(at=datetime(2026, 10, 1, 2, 0, tzinfo=UTC))  # 09:00 Bangkok, FY2570
    assert (first, second, october) == ("#69-00001", "#69-00002", "#70-00001")


async def test_forward_urgent_multiline_and_unit_lookup(desk):
    number = await desk.forward("ส่งเรื่อง ด่วน Bang Rak\nน้ำท่วมขัง\nบรรทัดที่หนึ่ง\nบรรทัดที่สอง")
    case = await desk.case(number)
    assert case.priority == "urgent" and case.title == "น้ำท่วมขัง" and case.detail == "บรรทัดที่หนึ่ง\nบรรทัดที่สอง"
    assert "[ด่วน]" in desk.service.last_card(BANGRAK_1)["altText"]
    assert (case.assignments[0].ack_due_at - case.assignments[0].forwarded_at) == timedelta(minutes=30)

    [choose] = await desk.service.say(CENTRE, "ส่งเรื่อง บางกอก\nถนนชำรุด")
    assert "หลายหน่วยงาน" in choose
    choices = quick_replies(desk.service.emulator.accepted_messages(CENTRE)[-1])
    assert {a["text"] for a in choices.values()} == {"ส่งเรื่อง 1016\nถนนชำรุด", "ส่งเรื่อง 1020\nถนนชำรุด"}
    [unknown] = await desk.service.say(CENTRE, "ส่งเรื่อง ดาวอังคาร\nถนนชำรุด")
    assert "ไม่พบ" in unknown
    [usage] = await desk.service.say(CENTRE, "ส่งเรื่อง บางรัก")
    assert "รูปแบบการส่งเรื่อง" in usage
    async with desk.service.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(ComplaintCase)) == 1  # nothing else was made


async def test_acknowledge_tells_the_centre_once(desk):
    number = await desk.forward()
    ack = buttons(desk.service.last_card(BANGRAK_1))["รับเรื่อง"]
    [answer] = await desk.service.tap(BANGRAK_1, ack)
    assert answer.startswith(f"รับเรื่อง {number} แล้ว")
    assert any(t.startswith("✅ สำนักงานเขตบางรัก รับเรื่อง " + number) for t in desk.texts_to(CENTRE))
    [again] = await desk.service.tap(BANGRAK_2, ack)  # the colleague taps the same card
    assert "รับเรื่องไว้แล้ว" in again
    case = await desk.case(number)
    a = case.assignments[0]
    assert a.status == "acknowledged" and a.acknowledged_at == a.first_response_at
    assert a.tta_seconds is not None and a.tta_business_seconds is not None
    assert (await desk.events(number)).count("acknowledged") == 1


async def test_reply_by_quote_by_number_and_back(desk):
    number = await desk.forward()
    card_id = desk.service.last_card(BANGRAK_1)["sentMessageId"]
    await desk.service.say(BANGRAK_1, "ส่งทีมไปตรวจแล้วค่ะ", quoted_message_id=card_id)
    relayed = desk.service.emulator.accepted_messages(CENTRE)[-1]
    assert relayed["text"].startswith(f"💬 {number} · สำนักงานเขตบางรัก (สมชาย บางรัก):\nส่งทีมไปตรวจแล้วค่ะ")
    assert set(quick_replies(relayed)) == {"ตอบกลับ", "สถานะ"}

    # The centre quotes the relayed message: it goes to the unit's coordinators and group.
    [ok] = await desk.service.say(CENTRE, "ขอบคุณค่ะ รบกวนส่งรูปด้วย", quoted_message_id=relayed["sentMessageId"])
    assert ok == f"ส่งถึงหน่วยงานแล้ว ({number})"
    for chat in (BANGRAK_1, BANGRAK_2, GROUP):
        assert desk.texts_to(chat)[-1].endswith("รบกวนส่งรูปด้วย")

    [ok] = await desk.service.say(BANGRAK_2, f"{number} จะส่งรูปภายในวันนี้")
    assert ok == f"ส่งถึงศูนย์เรื่องราวร้องทุกข์แล้ว ({number})"
    assert desk.texts_to(CENTRE)[-1].endswith("\nจะส่งรูปภายในวันนี้")
    a = (await desk.case(number)).assignments[0]
    assert a.first_response_at is not None and a.acknowledged_at is None  # a reply is a response, not รับเรื่อง
    assert (await desk.events(number)).count("message") == 3


async def test_reply_window_opens_for_ten_minutes(desk):
    start = datetime.now(UTC) - timedelta(minutes=15)  # LINE's times are never ahead of the service's
    number = await desk.forward(at=start - timedelta(minutes=1))
    [opened] = await desk.service.tap(BANGRAK_1, buttons(desk.service.last_card(BANGRAK_1))["ตอบกลับ"], at=start)
    assert "ภายใน 10 นาที" in opened
    [ok] = await desk.service.say(BANGRAK_1, "กำลังดำเนินการ", at=start + timedelta(minutes=9))
    assert ok.startswith("ส่งถึงศูนย์เรื่องราวร้องทุกข์แล้ว")
    await desk.service.exchange(events.location_message(
        BANGRAK_1, 13.7246, 100.5293, title="ซอยสีลม 5", address="บางรัก", at=start + timedelta(minutes=9, seconds=30)),
        BANGRAK_1)
    assert desk.service.emulator.accepted_messages(CENTRE)[-1]["type"] == "location"
    late = await desk.service.say(BANGRAK_1, "ข้อความหลังหมดเวลา", at=start + timedelta(minutes=11))
    assert "ไม่เข้าใจคำสั่ง" in late[0]  # the window closed: not relayed
    assert not any("ข้อความหลังหมดเวลา" in t for t in desk.texts_to(CENTRE))
    assert (await desk.events(number)).count("message") == 2


async def test_image_is_relayed_by_a_served_url(desk):
    number = await desk.forward()
    await desk.service.tap(BANGRAK_1, buttons(desk.service.last_card(BANGRAK_1))["ตอบกลับ"])
    image = events.image_message(BANGRAK_1)
    desk.service.emulator.add_content(image["message"]["id"], b"\xff\xd8photo-bytes", "image/jpeg")
    await desk.service.exchange(image, BANGRAK_1)
    header, picture = desk.service.emulator.accepted_messages(CENTRE)[-2:]
    assert header["text"].startswith(f"💬 {number}") and "[รูปภาพ]" in header["text"]
    assert picture["type"] == "image"
    url = picture["originalContentUrl"]
    assert url.startswith(desk.service.app.state.settings.public_base_url)
    async with desk.service.http() as client:
        response = await client.get(url.removeprefix(desk.service.app.state.settings.public_base_url))
        again = await client.get(url.removeprefix(desk.service.app.state.settings.public_base_url))
        missing = await client.get("/media/not-a-token")
    assert response.status_code == 200 and response.content == b"\xff\xd8photo-bytes"
    assert response.headers["content-type"] == "image/jpeg" and again.content == response.content
    assert missing.status_code == 404
    content_fetches = [r for r in desk.service.emulator.requests if r.path.endswith("/content")]
    assert len(content_fetches) == 1  # fetched from LINE once, then kept


async def test_done_takes_the_next_text_as_the_result_note(desk):
    number = await desk.forward()
    card = buttons(desk.service.last_card(BANGRAK_1))
    [answer] = await desk.service.tap(BANGRAK_1, card["เสร็จแล้ว"])
    assert "ผลการดำเนินการ" in answer
    told = desk.service.emulator.accepted_messages(CENTRE)[-1]
    assert told["text"].startswith(f"🏁 สำนักงานเขตบางรัก แจ้งว่าเรื่อง {number}")
    assert quick_replies(told)["ปิดเรื่อง"]["text"] == f"ปิดเรื่อง {number}"
    [saved] = await desk.service.say(BANGRAK_1, "เปลี่ยนหลอดไฟ 4 ดวงแล้ว")
    assert "บันทึกผลการดำเนินการ" in saved
    assert desk.texts_to(CENTRE)[-1].startswith(f"📝 ผลการดำเนินการ {number}")
    a = (await desk.case(number)).assignments[0]
    assert a.status == "resolved" and a.resolved_at == a.acknowledged_at and a.ttr_seconds is not None
    # The note window closes with the note: the next text is not relayed.
    assert "ไม่เข้าใจคำสั่ง" in (await desk.service.say(BANGRAK_1, "อีกข้อความ"))[0]

    [closed] = await desk.service.say(CENTRE, f"ปิดเรื่อง {number}")
    assert closed == f"ปิดเรื่อง {number} แล้วค่ะ"
    assert "ขอบคุณที่ดำเนินการ" in desk.texts_to(BANGRAK_1)[-1]
    [again] = await desk.service.say(CENTRE, f"ปิดเรื่อง {number}")
    assert "ปิดไปแล้ว" in again
    [late_tap] = await desk.service.tap(BANGRAK_1, card["รับเรื่อง"])
    assert "ปิดแล้ว" in late_tap
    assert (await desk.events(number)) == ["created", "forwarded", "resolved", "result_note", "closed"]


async def test_not_ours_returns_and_reroute_restarts_the_clock_for_the_new_unit_only(desk):
    start = datetime.now(UTC) - timedelta(hours=3)
    number = await desk.forward(at=start)
    old_card = buttons(desk.service.last_card(BANGRAK_1))
    [ask] = await desk.service.tap(BANGRAK_1, old_card["ไม่ใช่หน่วยงานเรา"], at=start + timedelta(minutes=10))
    assert "โปรดเลือกเหตุผล" in ask
    reasons = quick_replies(desk.service.emulator.accepted_messages(BANGRAK_1)[-1])
    assert list(reasons) == ["นอกอำนาจหน้าที่", "ข้อมูลไม่ครบ", "เป็นของหน่วยงานอื่น", "อื่นๆ"]
    assert reasons["นอกอำนาจหน้าที่"]["displayText"] == "ไม่ใช่หน่วยงานเรา: ไม่อยู่ในอำนาจหน้าที่"
    [returned] = await desk.service.tap(BANGRAK_1, reasons["เป็นของหน่วยงานอื่น"]["data"],
                                        at=start + timedelta(minutes=11))
    assert returned.startswith(f"ส่งคืนเรื่อง {number}")
    assert "เหตุผล: เป็นของหน่วยงานอื่น" in desk.texts_to(CENTRE)[-1]
    first = (await desk.case(number)).assignments[0]
    assert first.status == "returned" and first.returned_at is not None

    later = start + timedelta(hours=2)
    [moved] = await desk.service.say(CENTRE, f"โอนเรื่อง {number} ปทุมวัน", at=later)
    assert moved.startswith(f"โอนเรื่อง {number} ถึง สำนักงานเขตปทุมวัน")
    new_card = desk.service.last_card(PATHUMWAN)
    assert new_card["altText"].startswith(f"เรื่องโอนมาจากหน่วยงานอื่น {number}")

    case = await desk.case(number)
    old, new = case.assignments
    assert (old.status, old.returned_at, old.tta_seconds) == ("returned", first.returned_at, first.tta_seconds)
    assert new.forwarded_at == later.replace(microsecond=later.microsecond // 1000 * 1000)
    assert new.acknowledged_at is None and new.ack_due_at > later

    # The old card is stale now; the old unit can't act on it, and nothing changes.
    [stale] = await desk.service.tap(BANGRAK_1, old_card["รับเรื่อง"])
    assert "ไม่เป็นปัจจุบัน" in stale
    [ok] = await desk.service.tap(PATHUMWAN, buttons(new_card)["รับเรื่อง"])
    assert ok.startswith(f"รับเรื่อง {number}")
    assert (await desk.case(number)).status == "acknowledged"


async def test_other_reason_is_typed(desk):
    number = await desk.forward()
    await desk.service.tap(BANGRAK_1, buttons(desk.service.last_card(BANGRAK_1))["ไม่ใช่หน่วยงานเรา"])
    other = quick_replies(desk.service.emulator.accepted_messages(BANGRAK_1)[-1])["อื่นๆ"]
    [ask] = await desk.service.tap(BANGRAK_1, other["data"])
    assert "โปรดพิมพ์เหตุผล" in ask
    await desk.service.say(BANGRAK_1, "เป็นถนนของกรมทางหลวง")
    a = (await desk.case(number)).assignments[0]
    assert a.status == "returned" and a.return_reason == "เป็นถนนของกรมทางหลวง"


async def test_reroute_while_held_tells_the_old_unit(desk):
    number = await desk.forward()
    await desk.service.tap(BANGRAK_1, buttons(desk.service.last_card(BANGRAK_1))["รับเรื่อง"])
    await desk.service.say(CENTRE, f"โอนเรื่อง {number} 1007")
    assert "ไม่ต้องดำเนินการต่อ" in desk.texts_to(BANGRAK_2)[-1]
    old, new = (await desk.case(number)).assignments
    assert old.status == "reassigned" and old.acknowledged_at is not None and new.status == "forwarded"
    [same] = await desk.service.say(CENTRE, f"โอนเรื่อง {number} ปทุมวัน")
    assert "อยู่แล้ว" in same
    [coordinator_sends] = await desk.service.say(BANGRAK_1, f"{number} ยังทำต่อได้ไหม")
    assert "ถูกโอนไปยังหน่วยงานอื่นแล้ว" in coordinator_sends


async def test_reopen_sends_the_case_back_with_a_new_deadline(desk):
    start = datetime.now(UTC) - timedelta(days=1)
    number = await desk.forward(at=start)
    await desk.service.tap(BANGRAK_1, buttons(desk.service.last_card(BANGRAK_1))["เสร็จแล้ว"],
                           at=start + timedelta(hours=1))
    await desk.service.say(CENTRE, f"ปิดเรื่อง {number}", at=start + timedelta(hours=2))
    [usage] = await desk.service.say(CENTRE, f"เปิดใหม่ {number}")
    assert "รูปแบบ" in usage
    later = datetime.now(UTC)
    [ok] = await desk.service.say(CENTRE, f"เปิดใหม่ {number} ผู้ร้องแจ้งว่าไฟยังดับ", at=later)
    assert ok == f"เปิดเรื่อง {number} ใหม่และแจ้ง สำนักงานเขตบางรัก แล้วค่ะ"
    assert desk.service.last_card(BANGRAK_1)["altText"].startswith(f"เรื่องเปิดใหม่ {number}")
    assert "ผู้ร้องแจ้งว่าไฟยังดับ" in desk.texts_to(BANGRAK_1)[-1]
    case = await desk.case(number)
    a = case.assignments[0]
    assert case.status == "acknowledged" and case.closed_at is None
    assert a.resolved_at is None and a.ttr_seconds is None and a.resolve_due_at > later


async def test_status_and_overdue(desk):
    long_ago = datetime.now(UTC) - timedelta(days=20)
    old = await desk.forward(at=long_ago)
    fresh = await desk.forward("ส่งเรื่อง ปทุมวัน\nทางเท้าชำรุด")
    [status] = await desk.service.say(CENTRE, f"สถานะ {old}")
    assert f"เรื่อง {old}: ไฟทางดับ ซอยสีลม 5" in status and "สำนักงานเขตบางรัก" in status
    [overdue] = await desk.service.say(CENTRE, "ค้าง")
    assert old in overdue and fresh not in overdue
    [own] = await desk.service.say(PATHUMWAN, "ค้าง")
    assert "ไม่มีเรื่องค้าง" in own  # its own unit only
    [not_theirs] = await desk.service.say(PATHUMWAN, f"สถานะ {old}")
    assert "ไม่ได้ส่งถึงหน่วยงานของท่าน" in not_theirs
    [manager] = await desk.service.say(MANAGER, f"สถานะ {old}")
    assert "สถานะ:" in manager
    [missing] = await desk.service.say(CENTRE, "สถานะ #70-99999")
    assert "ไม่พบเรื่อง #70-99999" in missing


async def test_authorization_matrix(desk):
    number = await desk.forward()
    card = buttons(desk.service.last_card(BANGRAK_1))
    before = await desk.events(number)
    for label in LABELS:  # another unit's coordinator replays the card's buttons
        [refused] = await desk.service.tap(PATHUMWAN, card[label])
        assert "ไม่ได้ส่งถึงหน่วยงานของท่าน" in refused, label
    [manager] = await desk.service.tap(MANAGER, card["รับเรื่อง"])
    assert "ไม่ได้ส่งถึงหน่วยงานของท่าน" in manager
    [public] = await desk.service.tap(STRANGER, card["รับเรื่อง"])
    assert "1555" in public
    [in_group] = await desk.service.tap(STRANGER, card["รับเรื่อง"], group_id=GROUP)
    assert "ลงทะเบียน" in in_group
    [forged] = await desk.service.tap(BANGRAK_1, "a=ack&as=999999")
    assert "ไม่พบ" in forged
    [mangled] = await desk.service.tap(BANGRAK_1, "a=ack&as=abc")
    assert "ใช้ไม่ได้" in mangled
    for command in (f"ปิดเรื่อง {number}", f"โอนเรื่อง {number} 1007", "ส่งเรื่อง 1007\nหัวเรื่อง",
                    f"เปิดใหม่ {number} เหตุผล"):
        [refused] = await desk.service.say(BANGRAK_1, command)
        assert "เฉพาะเจ้าหน้าที่ศูนย์" in refused, command
    [stranger] = await desk.service.say(STRANGER, f"สถานะ {number}")
    assert "1555" in stranger and number not in stranger
    [unknown] = await desk.service.say(CENTRE, "#70-99999 ข้อความ")
    assert "ไม่พบเรื่อง" in unknown
    assert await desk.events(number) == before  # nothing changed
    assert (await desk.case(number)).assignments[0].status == "forwarded"


async def test_group_members_act_on_the_card_in_the_group(desk):
    number = await desk.forward()
    card = buttons(desk.service.last_card(GROUP))
    [ok] = await desk.service.tap(BANGRAK_2, card["รับเรื่อง"], group_id=GROUP)
    assert ok.startswith(f"รับเรื่อง {number}")
    group_card_id = desk.service.last_card(GROUP)["sentMessageId"]
    [relayed] = await desk.service.say(BANGRAK_2, "ถึงหน้างานแล้ว", group_id=GROUP, quoted_message_id=group_card_id)
    assert relayed.startswith("ส่งถึงศูนย์เรื่องราวร้องทุกข์แล้ว")
    assert await desk.service.say(BANGRAK_2, "ใครว่างบ้าง", group_id=GROUP) == []  # chatter stays silent


async def test_long_texts_are_split_to_lines_limit(desk):
    number = await desk.forward()
    long_text = ("ผลการตรวจสอบพื้นที่ " * 400).strip()  # about 7,600 characters
    await desk.service.say(BANGRAK_1, f"{number} {long_text}")
    parts = [m["text"] for m in desk.service.emulator.accepted_messages(CENTRE)[-2:]]
    assert all(len(p) <= 5000 for p in parts) and parts[0].startswith(f"💬 {number}")
    assert "".join(parts).replace(" ", "").endswith(long_text.replace(" ", ""))


async def test_a_unit_without_anyone_on_line_is_flagged(desk):
    [answer] = await desk.service.say(CENTRE, "ส่งเรื่อง บางเขน\nต้นไม้ล้มขวางถนน")
    assert "ยังไม่มีผู้ประสานงานลงทะเบียน" in answer


async def test_chatter_and_media_outside_a_case(desk):
    await desk.forward()
    hint = await desk.service.say(BANGRAK_1, "สวัสดีครับ")
    assert "ไม่เข้าใจคำสั่ง" in hint[0] and "รับเรื่อง" in hint[1]  # help for a coordinator
    [where] = [m["text"] for m in await desk.service.exchange(events.location_message(BANGRAK_1, 13.7, 100.5), BANGRAK_1)]
    assert "ไม่ทราบว่าข้อความนี้เกี่ยวกับเรื่องใด" in where and "ตอบกลับ" in where
    assert await desk.service.exchange(events.sticker_message(BANGRAK_1), BANGRAK_1) == []


async def test_centre_answers_through_its_own_reply_window(desk):
    number = await desk.forward()
    await desk.service.say(BANGRAK_1, f"{number} ขอพิกัดที่แน่นอนด้วยครับ")
    relayed = desk.service.emulator.accepted_messages(CENTRE)[-1]
    [opened] = await desk.service.tap(CENTRE, quick_replies(relayed)["ตอบกลับ"]["data"])
    assert f"เรื่อง {number}" in opened and "ภายใน 10 นาที" in opened
    await desk.service.exchange(events.location_message(CENTRE, 13.7262, 100.5234, title="ซอยสีลม 5",
                                                        address="แขวงสีลม เขตบางรัก"), CENTRE)
    for chat in (BANGRAK_1, BANGRAK_2, GROUP):
        header, location = desk.service.emulator.accepted_messages(chat)[-2:]
        assert header["text"] == f"💬 {number} · ศูนย์ฯ (สมศรี ศูนย์ฯ): [ตำแหน่ง]"
        assert (location["type"], location["latitude"], location["title"]) == ("location", 13.7262, "ซอยสีลม 5")
