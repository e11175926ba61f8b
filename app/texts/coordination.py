"""What the account says about cases (SPEC §4), in Thai. Complainant contact never appears here
unmasked: titles and details pass through app.privacy.scrub."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import fiscal, privacy
from app.line.cards import postback_data
from app.texts import agency_label, echo, error, postback, text
from models import Agency, Assignment, CaseEvent, ComplaintCase, Person, PromptKind

# The reasons a unit returns a case with, as the centre reads them, and the quick-reply labels
# for them (LINE allows 20 UTF-16 units; ไม่อยู่ในอำนาจหน้าที่ is 21). A tap sends the reason's index.
RETURN_REASONS = ("ไม่อยู่ในอำนาจหน้าที่", "ข้อมูลไม่ครบ", "เป็นของหน่วยงานอื่น")
RETURN_REASON_LABELS = ("นอกอำนาจหน้าที่", "ข้อมูลไม่ครบ", "เป็นของหน่วยงานอื่น")
OTHER_REASON = "อื่นๆ"

# How much of what someone typed an answer quotes back: a reason or a note is read in full up
# to a paragraph; a recent message in a status, a title in a list, a few lines.
REASON_ECHO_UNITS = 1_000
MESSAGE_ECHO_UNITS = 200
TITLE_ECHO_UNITS = 80

STATUS_TH = {
    "forwarded": "ส่งถึงหน่วยงานแล้ว รอรับเรื่อง",
    "acknowledged": "หน่วยงานรับเรื่องแล้ว กำลังดำเนินการ",
    "resolved": "หน่วยงานแจ้งว่าดำเนินการเสร็จแล้ว รอศูนย์ฯ ปิดเรื่อง",
    "returned": "หน่วยงานส่งคืน รอศูนย์ฯ โอนเรื่อง",
    "closed": "ปิดเรื่องแล้ว",
    "reassigned": "โอนไปหน่วยงานอื่นแล้ว",
    "withdrawn": "ศูนย์ฯ ปิดเรื่องระหว่างดำเนินการ",
}


def number(case: ComplaintCase) -> str:
    return f"#{case.number}"


def who(person: Person | None) -> str:
    if person is None:
        return "ศูนย์เรื่องราวร้องทุกข์"
    return person.display_name or "ไม่ทราบชื่อ"


def duration(seconds: float) -> str:
    """'2 วัน 3 ชม.', '3 ชม. 20 นาที', '45 นาที', 'ไม่ถึง 1 นาที'."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} วัน" + (f" {hours} ชม." if hours else "")
    if hours:
        return f"{hours} ชม." + (f" {minutes} นาที" if minutes else "")
    return f"{minutes} นาที" if minutes else "ไม่ถึง 1 นาที"


# -- forwarding ----------------------------------------------------------------------------------

def forward_usage() -> dict[str, Any]:
    return text("รูปแบบการส่งเรื่อง:\n"
                "ส่งเรื่อง <หน่วยงาน> [ด่วน]\n<หัวเรื่อง>\n<รายละเอียด (ถ้ามี)>\n\n"
                "ตัวอย่าง:\nส่งเรื่อง บางรัก\nไฟทางดับ ซอยสีลม 5\nมืดมาก 3 คืนแล้ว")


def forwarded(case: ComplaintCase, agency: Agency, chats: int) -> dict[str, Any]:
    head = f"ส่งเรื่อง {number(case)} ถึง {agency_label(agency)} แล้วค่ะ"
    if not chats:
        return text(head + "\n⚠️ หน่วยงานนี้ยังไม่มีผู้ประสานงานลงทะเบียนใน LINE "
                    "โปรดประสานทางโทรศัพท์ และแจ้งผู้ดูแลระบบให้ออกรหัสเชิญ")
    return text(head + f"\nแจ้งผู้ประสานงานและกลุ่มของหน่วยงานแล้ว {chats} ช่องทาง")


def full_detail(case: ComplaintCase) -> list[dict[str, Any]]:
    """The whole detail, for a card that had to cut it."""
    return [text(f"รายละเอียดเต็มของเรื่อง {number(case)}:\n{privacy.scrub(case.detail, case)}")]


# -- the unit's side -----------------------------------------------------------------------------

def acknowledged_ok(case: ComplaintCase) -> dict[str, Any]:
    return text(f"รับเรื่อง {number(case)} แล้วค่ะ แจ้งศูนย์ฯ ให้ทราบแล้ว\n"
                "ตอบกลับศูนย์ฯ ได้โดยกดตอบกลับ (quote) การ์ด หรือพิมพ์ #เลขเรื่อง ตามด้วยข้อความ")


def to_centre_acknowledged(case: ComplaintCase, assignment: Assignment, actor: Person, tz: ZoneInfo) -> dict[str, Any]:
    took = duration((assignment.acknowledged_at - assignment.forwarded_at).total_seconds())
    return text(f"✅ {assignment.agency.name_th} รับเรื่อง {number(case)} แล้ว\n"
                f"{privacy.scrub(case.title, case)}\nโดย {who(actor)} เมื่อ "
                f"{fiscal.thai_datetime(assignment.acknowledged_at, tz)} (ใช้เวลา {took})")


def reply_window_opened(case: ComplaintCase, minutes: int) -> dict[str, Any]:
    return text(f"พิมพ์ข้อความ ส่งรูป หรือส่งตำแหน่ง ถึงอีกฝ่ายเรื่อง {number(case)} ได้เลยค่ะ "
                f"(ภายใน {minutes} นาที)")


# A case message that is none of the kinds a relay carries (a sticker, a file, a video).
RELAYABLE_KINDS = "ส่งต่อได้เฉพาะข้อความ รูปภาพ และตำแหน่งค่ะ"


def relay_header(case: ComplaintCase, sender_side: str, actor: Person) -> str:
    return f"💬 {number(case)} · {sender_side} ({who(actor)}):"


def relayed(case: ComplaintCase, header: str, body: str) -> list[dict[str, Any]]:
    """The whole message, however long: the outbox splits it into as many texts as LINE needs."""
    return [text(f"{header}\n{privacy.scrub(body, case)}")]


def relay_media_header(case: ComplaintCase, header: str, what: str) -> dict[str, Any]:
    return text(f"{header} [{what}]")


def relay_ok(case: ComplaintCase, to: str) -> dict[str, Any]:
    return text(f"ส่งถึง{to}แล้ว ({number(case)})")


def centre_reply_quick(case: ComplaintCase, assignment: Assignment) -> list[dict[str, Any]]:
    """Quick replies under what the centre receives: answer, close, status."""
    return [postback("ตอบกลับ", postback_data("reply", assignment.id), f"ตอบกลับ {number(case)}"),
            {"type": "message", "label": "สถานะ", "text": f"สถานะ {number(case)}"}]


def resolved_ok(case: ComplaintCase, minutes: int) -> dict[str, Any]:
    return text(f"บันทึกว่าเรื่อง {number(case)} ดำเนินการเสร็จแล้ว แจ้งศูนย์ฯ แล้วค่ะ\n"
                f"โปรดพิมพ์ผลการดำเนินการสั้นๆ ภายใน {minutes} นาที (ส่งรูปประกอบได้)")


def to_centre_resolved(case: ComplaintCase, assignment: Assignment, actor: Person) -> dict[str, Any]:
    return text(f"🏁 {assignment.agency.name_th} แจ้งว่าเรื่อง {number(case)} ดำเนินการเสร็จแล้ว\n"
                f"{privacy.scrub(case.title, case)}\nโดย {who(actor)}\n\n"
                f"ปิดเรื่อง: ปิดเรื่อง {number(case)}\nหากยังไม่เรียบร้อย: เปิดใหม่ {number(case)} <เหตุผล>",
                quick_replies=[("ปิดเรื่อง", f"ปิดเรื่อง {number(case)}"), ("สถานะ", f"สถานะ {number(case)}")])


def result_note_header(case: ComplaintCase, agency: Agency, actor: Person) -> str:
    return f"📝 ผลการดำเนินการ {number(case)} · {agency.name_th} ({who(actor)}):"


def note_saved(case: ComplaintCase) -> dict[str, Any]:
    return text(f"บันทึกผลการดำเนินการเรื่อง {number(case)} และส่งถึงศูนย์ฯ แล้วค่ะ ขอบคุณค่ะ")


def ask_return_reason(case: ComplaintCase, assignment: Assignment) -> dict[str, Any]:
    items = [postback(label, postback_data("ret", assignment.id, r=i), f"ไม่ใช่หน่วยงานเรา: {reason}")
             for i, (label, reason) in enumerate(zip(RETURN_REASON_LABELS, RETURN_REASONS, strict=True))]
    items.append(postback(OTHER_REASON, postback_data("ret", assignment.id, r="other"),
                          f"ไม่ใช่หน่วยงานเรา: {OTHER_REASON}"))
    return text(f"โปรดเลือกเหตุผลที่เรื่อง {number(case)} ไม่ใช่ของหน่วยงานท่าน", quick_replies=items)


def ask_other_reason(case: ComplaintCase, minutes: int) -> dict[str, Any]:
    return text(f"โปรดพิมพ์เหตุผลที่ส่งคืนเรื่อง {number(case)} ภายใน {minutes} นาที")


def returned_ok(case: ComplaintCase) -> dict[str, Any]:
    return text(f"ส่งคืนเรื่อง {number(case)} ให้ศูนย์ฯ แล้วค่ะ ศูนย์ฯ จะโอนไปยังหน่วยงานที่รับผิดชอบ")


def to_centre_returned(case: ComplaintCase, assignment: Assignment, actor: Person) -> dict[str, Any]:
    return text(f"↩️ {assignment.agency.name_th} ส่งคืนเรื่อง {number(case)}\n"
                f"{privacy.scrub(case.title, case)}\nเหตุผล: {assignment.return_reason}\nโดย {who(actor)}\n\n"
                f"โปรดโอนเรื่อง: โอนเรื่อง {number(case)} <หน่วยงาน>",
                quick_replies=[("สถานะ", f"สถานะ {number(case)}"), ("ปิดเรื่อง", f"ปิดเรื่อง {number(case)}")])


# -- the centre's commands -----------------------------------------------------------------------

def reassign_usage() -> dict[str, Any]:
    return text("รูปแบบ: โอนเรื่อง #เลขเรื่อง <หน่วยงาน>\nเช่น โอนเรื่อง #70-00042 ปทุมวัน")


def close_usage() -> dict[str, Any]:
    return text("รูปแบบ: ปิดเรื่อง #เลขเรื่อง [หมายเหตุ]\nเช่น ปิดเรื่อง #70-00042")


def reopen_usage() -> dict[str, Any]:
    return text("รูปแบบ: เปิดใหม่ #เลขเรื่อง <เหตุผล>\nเช่น เปิดใหม่ #70-00042 ผู้ร้องแจ้งว่ายังไม่ได้แก้ไข")


def status_usage() -> dict[str, Any]:
    return text("รูปแบบ: สถานะ #เลขเรื่อง\nเช่น สถานะ #70-00042")


def reassigned_ok(case: ComplaintCase, agency: Agency, chats: int) -> dict[str, Any]:
    reply = forwarded(case, agency, chats)
    reply["text"] = reply["text"].replace("ส่งเรื่อง", "โอนเรื่อง", 1)
    return reply


def to_unit_taken_away(case: ComplaintCase, new_agency: Agency) -> dict[str, Any]:
    return text(f"ศูนย์ฯ โอนเรื่อง {number(case)} ไปยัง {new_agency.name_th} แล้ว "
                "หน่วยงานของท่านไม่ต้องดำเนินการต่อค่ะ")


def closed_ok(case: ComplaintCase) -> dict[str, Any]:
    return text(f"ปิดเรื่อง {number(case)} แล้วค่ะ")


def to_unit_closed(case: ComplaintCase, withdrawn: bool) -> dict[str, Any]:
    if withdrawn:
        return text(f"ศูนย์ฯ ปิดเรื่อง {number(case)} แล้ว หน่วยงานไม่ต้องดำเนินการต่อค่ะ")
    return text(f"ศูนย์ฯ ปิดเรื่อง {number(case)} แล้ว ขอบคุณที่ดำเนินการค่ะ")


def reopened_ok(case: ComplaintCase, agency: Agency | None) -> dict[str, Any]:
    if agency is None:
        return text(f"เปิดเรื่อง {number(case)} ใหม่แล้ว เรื่องนี้ไม่มีหน่วยงานรับผิดชอบ "
                    f"โปรดโอนเรื่อง: โอนเรื่อง {number(case)} <หน่วยงาน>")
    return text(f"เปิดเรื่อง {number(case)} ใหม่และแจ้ง {agency.name_th} แล้วค่ะ")


def reopen_reason(case: ComplaintCase, reason: str) -> dict[str, Any]:
    return text(f"เหตุผลที่เปิดเรื่อง {number(case)} ใหม่: {echo(privacy.scrub(reason, case), REASON_ECHO_UNITS)}")


# -- status and overdue --------------------------------------------------------------------------

def status(case: ComplaintCase, events: list[CaseEvent], names: dict[int, str], tz: ZoneInfo) -> dict[str, Any]:
    lines = [f"เรื่อง {number(case)}: {privacy.scrub(case.title, case)}",
             f"สถานะ: {STATUS_TH[case.status]}", f"ความเร่งด่วน: {'ด่วน' if case.priority == 'urgent' else 'ปกติ'}"]
    for a in case.assignments:
        lines.append("")
        lines.append(f"• {a.agency.name_th}: {STATUS_TH[a.status]}")
        lines.append(f"  ส่งเมื่อ {fiscal.thai_datetime(a.forwarded_at, tz)}")
        if a.acknowledged_at:
            lines.append(f"  รับเรื่อง {fiscal.thai_datetime(a.acknowledged_at, tz)} "
                         f"(ใช้เวลา {duration(a.tta_seconds or 0)})")
        elif a.ack_due_at and a.status in ("forwarded",):
            lines.append(f"  ต้องรับเรื่องภายใน {fiscal.thai_datetime(a.ack_due_at, tz)}")
        if a.resolved_at:
            lines.append(f"  เสร็จ {fiscal.thai_datetime(a.resolved_at, tz)} (ใช้เวลา {duration(a.ttr_seconds or 0)})")
        elif a.resolve_due_at and a.status in ("forwarded", "acknowledged"):
            lines.append(f"  ต้องเสร็จภายใน {fiscal.thai_datetime(a.resolve_due_at, tz)}")
        if a.return_reason:
            lines.append(f"  เหตุผลที่ส่งคืน: {a.return_reason}")
    recent = [e for e in events if e.kind == "message"][-3:]
    if recent:
        lines.append("\nข้อความล่าสุด:")
        for e in recent:
            body = e.data.get("text") or f"[{e.data.get('type', 'ข้อความ')}]"
            lines.append(f"- {fiscal.thai_datetime(e.at, tz)} {names.get(e.actor_id, 'ศูนย์ฯ')}: "
                         f"{echo(privacy.scrub(body, case), MESSAGE_ECHO_UNITS)}")
    return text("\n".join(lines))


def overdue_list(rows: list[tuple[Assignment, datetime]], now: datetime, tz: ZoneInfo,
                 scope: str) -> dict[str, Any]:
    if not rows:
        return text(f"ไม่มีเรื่องค้างเกินกำหนดของ{scope} 👍")
    lines = [f"เรื่องค้างเกินกำหนดของ{scope} {len(rows)} เรื่อง (เกินนานสุดก่อน):"]
    for assignment, deadline in rows:
        what = "รับเรื่อง" if assignment.acknowledged_at is None else "ดำเนินการ"
        lines.append(f"• #{assignment.case.number} {assignment.agency.name_th} — "
                     f"เกินกำหนด{what} {duration((now - deadline).total_seconds())}\n"
                     f"  {echo(privacy.scrub(assignment.case.title, assignment.case), TITLE_ECHO_UNITS)}")
    return text("\n".join(lines))


def nothing_to_relay(person_is_centre: bool) -> dict[str, Any]:
    how = ("กดตอบกลับ (quote) ข้อความของหน่วยงาน หรือพิมพ์ #เลขเรื่อง ตามด้วยข้อความ"
           if person_is_centre else "กดปุ่ม ตอบกลับ บนการ์ดเรื่องก่อน แล้วจึงส่งรูปหรือตำแหน่ง")
    return text(f"ไม่ทราบว่าข้อความนี้เกี่ยวกับเรื่องใดค่ะ\n{how}")


# -- asking again --------------------------------------------------------------------------------

def type_after_number(case: ComplaintCase) -> dict[str, Any]:
    return error(f"โปรดพิมพ์ข้อความต่อจาก {number(case)} ค่ะ")


_WANTED = {PromptKind.return_reason: "เหตุผลที่ส่งคืนเรื่อง", PromptKind.result_note: "ผลการดำเนินการของเรื่อง"}


def type_again(case: ComplaintCase, kind: str) -> dict[str, Any]:
    """A blank text where words were wanted: a message, a return reason or a result note."""
    return error(f"โปรดพิมพ์{_WANTED.get(kind, 'ข้อความถึงเรื่อง')} {number(case)} ค่ะ")
