"""Everything a LINE user reads, in Thai, as LINE message objects. One place, so the wording is
consistent and reviewable; handlers pick, services never format."""

from __future__ import annotations

from typing import Any

from models import Agency, LineGroup, Person, Role

ROLE_TH = {
    Role.centre: "เจ้าหน้าที่ศูนย์เรื่องราวร้องทุกข์",
    Role.coordinator: "ผู้ประสานงานหน่วยงาน",
    Role.manager: "ผู้บริหาร",
    Role.admin: "ผู้ดูแลระบบ",
}


def text(body: str, *, quick_replies: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": body}
    if quick_replies:
        message["quickReply"] = {
            "items": [
                {"type": "action", "action": {"type": "message", "label": label[:20], "text": reply}}
                for label, reply in quick_replies[:13]
            ]
        }
    return message


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


def choose_agency(command: str, candidates: list[Agency]) -> dict[str, Any]:
    return text(
        "พบหลายหน่วยงานที่ตรงกัน โปรดเลือก:\n" + "\n".join(f"• {agency_label(a)}" for a in candidates[:13]),
        quick_replies=[(a.name_th.removeprefix("สำนักงาน"), f"{command} {a.code}") for a in candidates[:13]],
    )


def error(message: str) -> dict[str, Any]:
    return text(f"⚠️ {message}")


def stale_button() -> dict[str, Any]:
    return text("ปุ่มนี้ใช้ไม่ได้แล้วค่ะ โปรดใช้ข้อความหรือการ์ดล่าสุด หรือพิมพ์ ช่วยเหลือ")


# Commands by role; each feature adds its own lines here as it lands.
_HELP = {
    "all": [("ช่วยเหลือ", "แสดงคำสั่งที่ใช้ได้")],
    Role.centre: [],
    Role.coordinator: [
        ("ผูกกลุ่ม <รหัสหน่วยงาน>", "พิมพ์ในกลุ่ม LINE ของหน่วยงาน เพื่อรับการ์ดเรื่องในกลุ่มด้วย"),
    ],
    Role.manager: [],
    Role.admin: [("ผูกกลุ่ม <รหัสหน่วยงาน>", "ผูกกลุ่ม LINE กับหน่วยงาน")],
}


def help_for(person: Person | None) -> dict[str, Any]:
    if person is None:
        return public_notice()
    role = Role(person.role)
    lines = [f"คำสั่งสำหรับ{ROLE_TH[role]} · {agency_label(person.agency)}", ""]
    for command, meaning in _HELP[role] + _HELP["all"]:
        lines.append(f"• {command}\n  {meaning}")
    return text("\n".join(lines))


def unknown_command(person: Person) -> list[dict[str, Any]]:
    return [text("ไม่เข้าใจคำสั่งนี้ค่ะ"), help_for(person)]
