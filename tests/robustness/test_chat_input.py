"""Chat text and button data are read without exceptions (issue 10, item 4), end to end: signed
webhooks into the running service, on both databases. Whatever a person types or a forged button
carries, the event is worked (`done`, no error kept), the sender gets one short Thai answer that
LINE accepts, and a refused input changes nothing.

Plain cases first, then generated ones (hypothesis; tests/robustness/hostile_chat.py says what is
generated and why none of it may change anything)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import ComplaintCase
from tests.robustness.hostile_chat import (
    ADMIN,
    BANGRAK,
    CENTRE,
    GROUP,
    MANAGER,
    PATHUMWAN,
    SENDERS,
    STALE,
    STRANGER,
    World,
    build_world,
    render,
    tampered,
    tap_event,
    text_event,
    texts_for,
)
from tests.support import buttons

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"


@pytest.fixture
async def world(service) -> World:
    return await build_world(service)


async def refused(world: World, sent: list[tuple[str, dict]]) -> list[str]:
    """Deliver, check every event got one accepted Thai answer and that nothing changed; returns
    the first text of each answer."""
    before = await world.snapshot()
    outcomes = await world.deliver(sent)
    problems = [(o.event.get("message", o.event.get("postback")), o.problem()) for o in outcomes if o.problem()]
    assert not problems, problems
    assert await world.snapshot() == before
    return [o.texts[0] for o in outcomes]


def thai(number: str) -> str:
    return number.translate(str.maketrans("0123456789", THAI_DIGITS))


def id_of(data: str) -> str:
    return dict(p.split("=", 1) for p in data.split("&"))["as"]


# -- button data ---------------------------------------------------------------------------------

async def test_unicode_digits_in_button_data_are_a_stale_button(world):
    card = buttons(world.service.last_card(BANGRAK))
    real = id_of(card["รับเรื่อง"])
    odd = ["²", "¹²", "٣", "١", "１", "𝟙", "๑", real + "²", "²" + real, render(int(real), 2, "٠١٢٣٤٥٦٧٨٩")]
    sent = [tap_event(BANGRAK, f"a={a}&as={v}") for v in odd for a in ("ack", "done", "reply", "notours")]
    sent += [tap_event(BANGRAK, f"a=ret&as={v}&r=0") for v in odd]
    sent += [tap_event(BANGRAK, f"a=ret&as={real}&r={r}") for r in ("²", "٠", "๐", "０", "¹", "⑩")]
    answers = await refused(world, sent)
    assert all(a.startswith(STALE) for a in answers), answers


async def test_ids_past_any_column_never_reach_the_database(world):
    huge = ["9" * 30, str(2**31), str(2**32), str(2**63), str(2**64), "1" + "0" * 5_000, "-1", "-" + "9" * 30]
    sent = [tap_event(who, f"a={a}&as={v}") for v in huge for a in ("ack", "done", "reply", "notours")
            for who in (BANGRAK, CENTRE)]
    sent += [tap_event(BANGRAK, f"a=ret&as={v}&r={r}") for v in huge for r in ("0", "other")]
    real = id_of(buttons(world.service.last_card(BANGRAK))["รับเรื่อง"])
    sent += [tap_event(BANGRAK, f"a=ret&as={real}&r={r}") for r in ("9" * 30, str(2**63), "3")]
    answers = await refused(world, sent)
    assert all(a.startswith(STALE) for a in answers), answers


async def test_forged_and_truncated_button_data(world):
    card = buttons(world.service.last_card(BANGRAK))
    ack, real = card["รับเรื่อง"], id_of(card["รับเรื่อง"])
    forged = [
        "", "a", "a=", "a=ack", "a=ack&as", "a=ack&as=", ack[:-1] + "&",  # truncated
        f"a=ack&as={real}&as={real}", f"a=ack&a=done&as={real}", f"a=ret&as={real}&r=0&r=1",  # repeated keys
        f"as={real}&a=ack", f"a=ack&as={real}&x=1", f"a=ack&as={real}&", f"&a=ack&as={real}",  # not as a card writes
        f"a=ack;as={real}", f"a=ack&&as={real}", f"a=ack&as=={real}", f"a=ack&as={real}=",
        f"a=delete&as={real}", f"a=ACK&as={real}", f"a=ack%20&as={real}", f"a=ac%6B&as={real}",  # unknown a=
        f"a=ack&as=%3{real}", f"a=ack%26as%3D{real}", f"a=ack&as={real}%00", f"a=ack&as=+{real}",
        f"a=ret&as={real}", f"a=ret&as={real}&r=", f"a=ret&as={real}&r=3", f"a=ret&as={real}&r=-1",
        f"a=ret&as={real}&r=OTHER", f"a=ret&as={real}&r=other ",
        ack + "&x=" + "9" * 100_000,  # huge
        "a=" + "ก" * 5_000,
    ]
    sent = [tap_event(BANGRAK, data) for data in forged] + [tap_event(BANGRAK, d, in_group=True) for d in forged[:8]]
    answers = await refused(world, sent)
    assert all(a.startswith(STALE) for a in answers), answers
    # The card's own button still works.
    [ok] = await world.service.tap(BANGRAK, ack)
    assert ok.startswith(f"รับเรื่อง {world.numbers[0]}")


async def test_a_forged_button_tapped_by_each_role(world):
    """The same forged taps from everyone: the registered get the stale-button answer, a
    stranger the public notice (in a group: register first)."""
    real = id_of(buttons(world.service.last_card(BANGRAK))["รับเรื่อง"])
    forged = ["a=ack&as=²", f"a=done&as={'9' * 30}", f"a=ack&a=done&as={real}", "a=ret&as=1&r=²"]
    sent = [tap_event(who, d) for who in SENDERS for d in forged]
    sent += [tap_event(who, d, in_group=True) for who in (BANGRAK, STRANGER) for d in forged]
    answers = await refused(world, sent)
    for (chat, event), answer in zip(sent, answers, strict=True):
        who = event["source"]["userId"]
        if who != STRANGER:
            assert answer.startswith(STALE), (who, answer)
        elif chat == GROUP:
            assert "ลงทะเบียน" in answer
        else:
            assert "1555" in answer


# -- case numbers --------------------------------------------------------------------------------

async def test_case_numbers_in_thai_digits_and_loose_forms_are_read(world):
    number = world.numbers[0]  # "#70-00001"
    year, sequence = number.lstrip("#").split("-")
    forms = [thai(number), f"# {year} - {sequence}", number.lstrip("#"), f"#{year}-{int(sequence)}",
             f"#{thai(year)}-{sequence}", f"#\u200b{year}-\u200f{sequence}", f"\u202b{number}\u202c"]
    for form in forms:
        for gap in (" ", "\t", "\u3000", "\u00a0", " \u200b"):
            [status] = await world.service.say(CENTRE, f"สถานะ{gap}{form}")
            assert status.startswith(f"เรื่อง {number}: ไฟทางดับ"), (form, status)
    [status] = await world.service.say(CENTRE, f"\u200bสถานะ {thai(number)}")
    assert status.startswith(f"เรื่อง {number}:")
    # Thai digits in a relay: it reaches the centre under the case's number.
    [ok] = await world.service.say(BANGRAK, f"{thai(number)} ส่งทีมไปแล้วค่ะ")
    assert ok == f"ส่งถึงศูนย์เรื่องราวร้องทุกข์แล้ว ({number})"


async def test_other_digits_are_not_case_numbers(world):
    number = world.numbers[0]
    year, sequence = number.lstrip("#").split("-")
    odd = [
        "#" + render(int(year), 2, "٠١٢٣٤٥٦٧٨٩") + "-" + render(int(sequence), 5, "٠١٢٣٤٥٦٧٨٩"),  # Arabic-Indic
        "#" + render(int(year), 2, "０１２３４５６７８９") + "-" + render(int(sequence), 5, "０１２３４５６７８９"),
        f"#{year}-{sequence[:-1]}¹", f"#{year}-{sequence}²", f"#{year}²-{sequence}", f"#{year}-{'0' * 30}1",
        f"#{year}-{sequence}{'9' * 30}", f"#{'9' * 30}-{sequence}", "#", f"#{year}-", "#-", f"#{year}{sequence}",
    ]
    sent = []
    for form in odd:
        sent += [text_event(CENTRE, f"สถานะ {form}"), text_event(CENTRE, f"ปิดเรื่อง {form}"),
                 text_event(CENTRE, f"โอนเรื่อง {form} ปทุมวัน"), text_event(CENTRE, f"เปิดใหม่ {form} เหตุผล"),
                 text_event(BANGRAK, f"{form} ข้อความถึงศูนย์ฯ"), text_event(CENTRE, f"{form} ข้อความถึงหน่วยงาน")]
    answers = await refused(world, sent)
    for (_, event), answer in zip(sent, answers, strict=True):
        text = event["message"]["text"]
        if text.startswith(("สถานะ", "ปิดเรื่อง", "โอนเรื่อง", "เปิดใหม่")):
            assert answer.startswith("รูปแบบ"), (text, answer)
        else:  # not a case's number, so not a message about a case
            assert answer == "ไม่เข้าใจคำสั่งนี้ค่ะ", (text, answer)


async def test_numbers_of_no_case(world):
    sent = [text_event(CENTRE, "สถานะ #70-99999"), text_event(CENTRE, "ปิดเรื่อง #๙๙-๐๐๐๐๓"),
            text_event(CENTRE, "#70-999999 ข้อความ"), text_event(ADMIN, "โอนเรื่อง #01-00003 ปทุมวัน"),
            text_event(PATHUMWAN, f"{world.numbers[0]} ไม่ใช่ของเรา"), text_event(MANAGER, f"สถานะ {world.numbers[1]}")]
    answers = await refused(world, sent)
    assert answers[:4] == ["⚠️ ไม่พบเรื่อง #70-99999", "⚠️ ไม่พบเรื่อง #99-00003", "⚠️ ไม่พบเรื่อง #70-999999",
                           "⚠️ ไม่พบเรื่อง #01-00003"]
    assert "ไม่ได้ส่งถึงหน่วยงานของท่าน" in answers[4] and "ไม่ได้ส่งถึงหน่วยงานของท่าน" in answers[5]


# -- long, invisible, right-to-left --------------------------------------------------------------

LONG = ("แจ้งไฟทางดับ 🙏🏽 ซอย\u200bสีลม 👨‍👩‍👧 \u202eעברית\u202c عربى \u200f" * 200)[:5_000]


async def test_five_thousand_characters_of_thai_emoji_and_marks(world):
    number = world.numbers[0]
    line = LONG.replace("\n", " ")
    sent = [
        text_event(BANGRAK, LONG), text_event(CENTRE, LONG), text_event(STRANGER, LONG), text_event(MANAGER, LONG),
        text_event(CENTRE, f"ส่งเรื่อง บางรัก\n{LONG}"),  # title too long
        text_event(CENTRE, f"ส่งเรื่อง {line}\nหัวเรื่อง"),  # a unit that cannot be
        text_event(CENTRE, f"โอนเรื่อง {number} {line}"),
        text_event(CENTRE, f"เปิดใหม่ {number} {LONG}"),  # the case is open
        text_event(CENTRE, f"ปิดเรื่อง #70-99999 {LONG}"),
        text_event(CENTRE, f"สถานะ {LONG}"), text_event(CENTRE, f"ลงทะเบียน {LONG}"),
        text_event(BANGRAK, f"ผูกกลุ่ม {line}"), text_event(PATHUMWAN, f"{number} {LONG}"),
        text_event(ADMIN, f"สรุป {LONG}"),
    ]
    answers = await refused(world, sent)
    assert "ชื่อหน่วยงานยาวเกินไป" in answers[5] and "ชื่อหน่วยงานยาวเกินไป" in answers[6]
    assert "หัวเรื่องยาวเกิน 300" in answers[4] and "ยังดำเนินการอยู่" in answers[7]


async def test_unit_names_with_invisible_marks_are_found(world):
    [answer] = await world.service.say(CENTRE, "ส่งเรื่อง \u200bบาง\u200bรัก\u200f\nทางเท้าชำรุด")
    assert answer.startswith("ส่งเรื่อง #") and "สำนักงานเขตบางรัก" in answer
    [answer] = await world.service.say(CENTRE, "ส่งเรื่อง ๑๐๐๗\nทางเท้าชำรุด")  # a code in Thai digits
    assert answer.startswith("ส่งเรื่อง #") and "สำนักงานเขตปทุมวัน" in answer


async def test_an_invite_code_pasted_with_invisible_marks_registers(world):
    world.service.emulator.add_user("U_NEW", "ใหม่")
    code = await world.service.invite("coordinator", "1004")
    pasted = "\u200b" + code[:7] + "\u200b" + code[7:] + "\u200f"
    [answer] = await world.service.say("U_NEW", f"ลงทะเบียน {pasted}")
    assert answer.startswith("ลงทะเบียนเรียบร้อย"), answer


# -- blank texts and odd line breaks -------------------------------------------------------------

async def test_blank_texts_get_an_answer(world):
    blanks = [" ", "\t", "\u3000", "\u200b", "\u200b\u200f\ufeff", "\n\n", "\r\n", "\u2028", " \u00ad "]
    sent = [text_event(who, blank) for who in SENDERS for blank in blanks]
    answers = await refused(world, sent)
    for (_, event), answer in zip(sent, answers, strict=True):
        who = event["source"]["userId"]
        assert ("1555" in answer) if who == STRANGER else answer == "ไม่เข้าใจคำสั่งนี้ค่ะ", (who, answer)


async def test_commands_with_nothing_after_them(world):
    number = world.numbers[0]
    sent = [
        text_event(CENTRE, "ส่งเรื่อง"), text_event(CENTRE, "ส่งเรื่อง \n \n"), text_event(CENTRE, "ส่งเรื่อง\u3000"),
        text_event(CENTRE, "ส่งเรื่อง บางรัก\n\u200b\u200f\n"), text_event(CENTRE, "ส่งเรื่อง \u200b\nหัวเรื่อง"),
        text_event(CENTRE, "โอนเรื่อง"), text_event(CENTRE, f"โอนเรื่อง {number} \u200b"),
        text_event(CENTRE, "ปิดเรื่อง \t"), text_event(CENTRE, "เปิดใหม่"),
        text_event(CENTRE, f"เปิดใหม่ {number} \u200b\n\u200f"), text_event(CENTRE, "สถานะ \u200b"),
        text_event(BANGRAK, f"{number}"), text_event(BANGRAK, f"{number} \u200b\u200f"),
        text_event(CENTRE, "ลงทะเบียน \u200b"),
    ]
    answers = await refused(world, sent)
    assert all(a.startswith("รูปแบบ") for a in answers[:11]), answers[:11]
    assert answers[11] == answers[12] == f"⚠️ โปรดพิมพ์ข้อความต่อจาก {number} ค่ะ"
    assert answers[13].startswith("โปรดพิมพ์รหัสเชิญ")


async def test_line_breaks_of_every_kind_split_a_forward(world):
    for brk in ("\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b"):
        [answer] = await world.service.say(CENTRE, f"ส่งเรื่อง บางรัก{brk}ทางเท้าชำรุด{brk}หน้าตลาด{brk}ซอย 5")
        assert answer.startswith("ส่งเรื่อง #"), (brk, answer)
        async with world.service.sessionmaker() as s:
            case = await s.scalar(select(ComplaintCase).order_by(ComplaintCase.id.desc()).limit(1))
        assert (case.title, case.detail) == ("ทางเท้าชำรุด", "หน้าตลาด\nซอย 5"), brk


async def test_blank_answers_in_an_open_window_are_asked_again(world):
    """A reply window, a result note and a return reason each want words: a blank or invisible
    text is asked again, relays nothing and keeps the window open."""
    number = world.numbers[0]
    card = buttons(world.service.last_card(BANGRAK))
    await world.service.tap(BANGRAK, card["ตอบกลับ"])
    for blank in (" ", "\u200b", "\u200f \u200b"):
        [again] = await world.service.say(BANGRAK, blank)
        assert again == f"⚠️ โปรดพิมพ์ข้อความถึงเรื่อง {number} ค่ะ"
    assert not any(m.get("text", "").endswith("\u200b") for m in world.service.emulator.accepted_messages(CENTRE))
    [ok] = await world.service.say(BANGRAK, "กำลังดำเนินการค่ะ")
    assert ok.startswith("ส่งถึงศูนย์เรื่องราวร้องทุกข์แล้ว")

    await world.service.tap(BANGRAK, card["ไม่ใช่หน่วยงานเรา"])
    await world.service.tap(BANGRAK, f"a=ret&as={id_of(card['รับเรื่อง'])}&r=other")
    [again] = await world.service.say(BANGRAK, "\u200b ")
    assert again == f"⚠️ โปรดพิมพ์เหตุผลที่ส่งคืนเรื่อง {number} ค่ะ"
    async with world.service.sessionmaker() as s:
        assert await s.scalar(select(ComplaintCase.status).where(ComplaintCase.number == number.lstrip("#"))) != "returned"
    [returned] = await world.service.say(BANGRAK, "เป็นถนนของกรมทางหลวง")
    assert returned.startswith(f"ส่งคืนเรื่อง {number}")

    number = world.numbers[1]
    await world.service.tap(PATHUMWAN, buttons(world.service.last_card(PATHUMWAN))["เสร็จแล้ว"])
    [again] = await world.service.say(PATHUMWAN, "\ufeff")
    assert again == f"⚠️ โปรดพิมพ์ผลการดำเนินการของเรื่อง {number} ค่ะ"
    [saved] = await world.service.say(PATHUMWAN, "ซ่อมแล้ว")
    assert "บันทึกผลการดำเนินการ" in saved


# -- generated -----------------------------------------------------------------------------------

def _texts(world: World):
    return st.sampled_from(SENDERS).flatmap(
        lambda who: texts_for(who, world.numbers, world.own.get(who)).map(lambda text: text_event(who, text)))


def _taps(world: World):
    return st.builds(lambda who, data, in_group: tap_event(who, data, in_group=in_group),
                     st.sampled_from(SENDERS), tampered(world.real_data, world.valid), st.booleans())


@settings(max_examples=80)
@given(data=st.data())
async def test_generated_texts_change_nothing(world, data):
    """Commands with generated arguments, case-number prefixes in every script, mixed scripts,
    control characters, from every role: one answer each, nothing changed."""
    await refused(world, data.draw(st.lists(_texts(world), min_size=1, max_size=4), label="events"))


@settings(max_examples=80)
@given(data=st.data())
async def test_tampered_buttons_change_nothing(world, data):
    """A real card's button data, tampered with and tapped by every role, in a chat and in the
    unit's group: one answer each, nothing changed."""
    await refused(world, data.draw(st.lists(_taps(world), min_size=1, max_size=4), label="events"))
