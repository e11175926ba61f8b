"""Everything a LINE user reads, in Thai, as LINE message objects. One place, so the wording is
consistent and reviewable; handlers pick, services never format."""

from __future__ import annotations

from typing import Any

from app import utf16
from app.line import limits
from models import Agency, LineGroup, Person, Role

ROLE_TH = {
    Role.centre: "เจ้าหน้าที่ศูนย์เรื่องราวร้องทุกข์",
    Role.coordinator: "ผู้ประสานงานหน่วยงาน",
    Role.manager: "ผู้บริหาร",
    Role.admin: "ผู้ดูแลระบบ",
}


def text(body: str, *, quick_replies: list[tuple[str, str] | dict[str, Any]] | None = None) -> dict[str, Any]:
    """A text message, of any length (the outbox splits a long one into LINE-sized parts). Quick
    replies: (label, text to send) pairs, or action dicts (postback)."""
    message: dict[str, Any] = {"type": "text", "text": body}
    if quick_replies:
        message["quickReply"] = {"items": [
            {"type": "action", "action": item if isinstance(item, dict)
             else {"type": "message", "label": utf16.cut(item[0], limits.MAX_QUICK_REPLY_LABEL), "text": item[1]}}
            for item in quick_replies[: limits.MAX_QUICK_REPLY_ITEMS]
        ]}
    return message


def postback(label: str, data: str, display_text: str | None = None) -> dict[str, Any]:
    action = {"type": "postback", "label": label, "data": data}
    if display_text:
        action["displayText"] = display_text
    return action


def echo(said: str, units: int) -> str:
    """What someone typed, quoted back in an answer: whole if short, else cut with "…". (A relay
    is not an echo: it carries the whole message.)"""
    return utf16.cut(said, units)


def agency_label(agency: Agency | None) -> str:
    return f"{agency.name_th} ({agency.code})" if agency else "ทุกหน่วยงานของกรุงเทพมหานคร"


def public_notice() -> dict[str, Any]:
    return text(
        "สวัสดีค่ะ บัญชีนี้ใช้สำหรับการประสานงานเรื่องร้องเรียนระหว่างศูนย์เรื่องราวร้องทุกข์"
        "กับหน่วยงานในสังกัดกรุงเทพมหานครเท่านั้น\n\n"
        "หากต้องการแจ้งเรื่องร้องเรียน โปรดโทรสายด่วน 1555 (ตลอด 24 ชั่วโมง) "
        "หรือแจ้งผ่าน Traffy Fondue (LINE @traffyfondue)\n\n"
        "หากท่านเป็นเจ้าหน้าที่ที่ได้รับรหัสเชิญ พิมพ์: ลงทะเบียน RT-XXXX-XXXX"
    )


def follow_greeting(person: Person | None) -> dict[str, Any]:
    if person is not None and person.active:
        return text(f"ยินดีต้อนรับกลับค่ะ คุณ{person.display_name or ''} "
                    f"({ROLE_TH[Role(person.role)]} {agency_label(person.agency)})\nพิมพ์ ช่วยเหลือ เพื่อดูคำสั่ง")
    return public_notice()


def registered(person: Person) -> dict[str, Any]:
    return text(
        f"ลงทะเบียนเรียบร้อยแล้วค่ะ\nชื่อ: {person.display_name or '-'}\n"
        f"บทบาท: {ROLE_TH[Role(person.role)]}\nหน่วยงาน: {agency_label(person.agency)}\n\n"
        "พิมพ์ ช่วยเหลือ เพื่อดูคำสั่งที่ใช้ได้"
    )


def register_usage() -> dict[str, Any]:
    return text("โปรดพิมพ์รหัสเชิญต่อท้ายคำสั่ง เช่น\nลงทะเบียน RT-7K4Q-M2XP\n\n"
                "รหัสเชิญขอได้จากผู้ดูแลระบบของศูนย์เรื่องราวร้องทุกข์")


def register_in_group() -> dict[str, Any]:
    return text("การลงทะเบียนทำได้ในแชตส่วนตัวกับบัญชีนี้เท่านั้นค่ะ เพื่อไม่ให้รหัสเชิญถูกเปิดเผยในกลุ่ม")


def group_bound(group: LineGroup) -> dict[str, Any]:
    return text(f"ผูกกลุ่มนี้กับ {agency_label(group.agency)} แล้วค่ะ\n"
                "เรื่องร้องเรียนที่ส่งถึงหน่วยงานนี้จะแจ้งในกลุ่มนี้ด้วย")


def bind_usage() -> dict[str, Any]:
    return text("โปรดระบุหน่วยงาน เช่น\nผูกกลุ่ม 1004\nหรือ ผูกกลุ่ม บางรัก")


def bind_outside_group() -> dict[str, Any]:
    return text("คำสั่ง ผูกกลุ่ม ใช้ได้ในกลุ่ม LINE ของหน่วยงานที่เพิ่มบัญชีนี้เข้ากลุ่มแล้วเท่านั้นค่ะ")


def joined_group() -> dict[str, Any]:
    return text("สวัสดีค่ะ ขอบคุณที่เพิ่ม @ร้องทุกข์ 1555 เข้ากลุ่ม\n"
                "ผู้ประสานงานที่ลงทะเบียนแล้วพิมพ์ ผูกกลุ่ม ตามด้วยรหัสหรือชื่อหน่วยงาน (เช่น ผูกกลุ่ม 1004) "
                "เพื่อรับแจ้งเรื่องร้องเรียนของหน่วยงานในกลุ่มนี้")


def choose_agency(command: str, candidates: list[Agency], *, suffix: str = "") -> dict[str, Any]:
    """Candidates for an ambiguous unit name; each quick reply sends `command <code><suffix>`. A
    quick reply's text holds at most 300 units: past that, people type the code themselves."""
    shown = candidates[: limits.MAX_QUICK_REPLY_ITEMS]
    listing = "พบหลายหน่วยงานที่ตรงกัน โปรดเลือก:\n" + "\n".join(f"• {agency_label(a)}" for a in shown)
    choices = [(choice_label(a), f"{command} {a.code}{suffix}") for a in shown]
    if not command or any(utf16.length(reply) > limits.MAX_MESSAGE_ACTION_TEXT for _, reply in choices):
        return text(listing + "\n\nโปรดส่งคำสั่งเดิมอีกครั้งโดยใช้รหัสหน่วยงาน")
    return text(listing, quick_replies=choices)


def choice_label(agency: Agency) -> str:
    """A unit's name short enough for a quick reply: 'เขตบางรัก', 'สำนักงบประมาณ', 'สำนักการจราจรและขน…'
    (the list above the choices has the full names)."""
    name = agency.name_th.removeprefix("สำนักงาน")
    if utf16.length(name) > limits.MAX_QUICK_REPLY_LABEL:
        name = name.removesuffix("กรุงเทพมหานคร")
    return utf16.cut(name, limits.MAX_QUICK_REPLY_LABEL)


def error(message: str) -> dict[str, Any]:
    return text(f"⚠️ {message}")


def register_first() -> dict[str, Any]:
    return text("ปุ่มนี้ใช้ได้เฉพาะผู้ประสานงานที่ลงทะเบียนแล้วค่ะ "
                "ลงทะเบียนได้ในแชตส่วนตัวกับบัญชีนี้ด้วยรหัสเชิญจากผู้ดูแลระบบ")


def stale_button() -> dict[str, Any]:
    return text("ปุ่มนี้ใช้ไม่ได้แล้วค่ะ โปรดใช้ข้อความหรือการ์ดล่าสุด หรือพิมพ์ ช่วยเหลือ")


def unit_name_too_long() -> dict[str, Any]:
    return error("ชื่อหน่วยงานยาวเกินไปค่ะ โปรดพิมพ์รหัสหรือชื่อหน่วยงาน เช่น 1004 หรือ บางรัก")


# Commands by role; each feature adds its own lines here as it lands.
_CENTRE_HELP = [
    ("ส่งเรื่อง <หน่วยงาน> [ด่วน]\n  <หัวเรื่อง>\n  <รายละเอียด>", "ส่งเรื่องร้องเรียนถึงหน่วยงาน"),
    ("#เลขเรื่อง <ข้อความ> หรือกดตอบกลับ (quote) ข้อความของหน่วยงาน", "ส่งข้อความถึงหน่วยงานที่รับเรื่อง"),
    ("โอนเรื่อง #เลขเรื่อง <หน่วยงาน>", "โอนไปหน่วยงานอื่น (เริ่มนับเวลาใหม่)"),
    ("ปิดเรื่อง #เลขเรื่อง", "ปิดเรื่อง"),
    ("เปิดใหม่ #เลขเรื่อง <เหตุผล>", "ส่งกลับให้หน่วยงานดำเนินการต่อ"),
    ("สถานะ #เลขเรื่อง", "ดูสถานะและเวลาตอบสนอง"),
    ("ค้าง", "เรื่องที่เกินกำหนด เกินนานสุดก่อน"),
    ("สรุป [สัปดาห์]", "สรุปตัวชี้วัดทุกหน่วยงานของวันนี้ (หรือสัปดาห์นี้) ถึงขณะนี้"),
    ("แดชบอร์ด", "ลิงก์เข้าแดชบอร์ด (ลิงก์ใช้ได้ครั้งเดียว)"),
]
_HELP = {
    "all": [("ช่วยเหลือ", "แสดงคำสั่งที่ใช้ได้")],
    Role.centre: _CENTRE_HELP,
    Role.coordinator: [
        ("ปุ่มบนการ์ด: รับเรื่อง · ตอบกลับ · เสร็จแล้ว · ไม่ใช่หน่วยงานเรา", "ดำเนินการกับเรื่องที่ได้รับ"),
        ("#เลขเรื่อง <ข้อความ> หรือกดตอบกลับ (quote) การ์ด", "ส่งข้อความถึงศูนย์ฯ"),
        ("สถานะ #เลขเรื่อง", "ดูสถานะเรื่องของหน่วยงาน"),
        ("ค้าง", "เรื่องของหน่วยงานที่เกินกำหนด"),
        ("สรุป [สัปดาห์]", "สรุปตัวชี้วัดของหน่วยงานวันนี้ (หรือสัปดาห์นี้) ถึงขณะนี้"),
        ("ผูกกลุ่ม <รหัสหน่วยงาน>", "พิมพ์ในกลุ่ม LINE ของหน่วยงาน เพื่อรับการ์ดเรื่องในกลุ่มด้วย"),
        ("แดชบอร์ด", "ลิงก์เข้าแดชบอร์ดของหน่วยงาน (ลิงก์ใช้ได้ครั้งเดียว)"),
    ],
    Role.manager: [("สถานะ #เลขเรื่อง", "ดูสถานะเรื่อง"), ("ค้าง", "เรื่องที่เกินกำหนด"),
                   ("สรุป [สัปดาห์]", "สรุปตัวชี้วัดของวันนี้ (หรือสัปดาห์นี้) ถึงขณะนี้ "
                    "(สรุปประจำวันและประจำสัปดาห์ส่งถึงท่านโดยอัตโนมัติ)"),
                   ("แดชบอร์ด", "ลิงก์เข้าแดชบอร์ด กราฟและตารางเทียบทุกหน่วยงาน (ลิงก์ใช้ได้ครั้งเดียว)")],
    Role.admin: [*_CENTRE_HELP, ("ผูกกลุ่ม <รหัสหน่วยงาน>", "ผูกกลุ่ม LINE กับหน่วยงาน")],
}


def help_for(person: Person | None) -> dict[str, Any]:
    if person is None:
        return public_notice()
    role = Role(person.role)
    lines = [f"คำสั่งสำหรับ{ROLE_TH[role]} · {agency_label(person.agency)}", ""]
    for command, meaning in _HELP[role] + _HELP["all"]:
        lines.append(f"• {command}\n  {meaning}")
    return text("\n".join(lines))


def dashboard_link(url: str, minutes: int) -> dict[str, Any]:
    return text(f"ลิงก์เข้าแดชบอร์ดของท่าน (ใช้ได้ครั้งเดียว ภายใน {minutes} นาที):\n{url}\n\n"
                "โปรดอย่าส่งต่อลิงก์นี้ให้ผู้อื่น หากลิงก์หมดอายุ พิมพ์ แดชบอร์ด เพื่อขอใหม่")


def dashboard_only_in_private_chat() -> dict[str, Any]:
    return text("ขอลิงก์แดชบอร์ดได้ในแชตส่วนตัวกับบัญชีนี้เท่านั้นค่ะ เพื่อไม่ให้ผู้อื่นในกลุ่มใช้ลิงก์ของท่าน")


def unknown_command(person: Person) -> list[dict[str, Any]]:
    return [text("ไม่เข้าใจคำสั่งนี้ค่ะ"), help_for(person)]


from app.texts import coordination as coordination  # noqa: E402  (it builds on the helpers above)
