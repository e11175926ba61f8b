"""Flex messages, built with line-bot-sdk's models so LINE's schema is checked where they are made,
and stored in the outbox as LINE's JSON.

Limits kept here, in UTF-16 units as LINE counts: a bubble ≤ 30 KB of JSON (the detail is cut at
CARD_DETAIL_UNITS; the full text follows as plain messages), alt text ≤ 1,500, postback data ≤ 300,
Flex button labels ≤ 40. The outbox's finishing step (app/line/finishing.py) holds every message to
LINE's limits again, whatever builds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexSeparator,
    FlexText,
    PostbackAction,
)

from app import fiscal, privacy, utf16
from models import Agency, Assignment, ComplaintCase, Priority

CARD_DETAIL_UNITS = 1_200
ALT_TEXT_UNITS = 400  # LINE allows 1,500; a notification preview shows far less
ROW_VALUE_UNITS = 300

# Card buttons (SPEC §4): labels exactly as users know them; `a=` names the postback action.
ACKNOWLEDGE, REPLY, DONE, NOT_OURS = "ack", "reply", "done", "notours"
BUTTONS = ((ACKNOWLEDGE, "รับเรื่อง", "primary"), (REPLY, "ตอบกลับ", "secondary"),
           (DONE, "เสร็จแล้ว", "secondary"), (NOT_OURS, "ไม่ใช่หน่วยงานเรา", "link"))

_HEADLINES = {"forwarded": "เรื่องใหม่", "reassigned": "เรื่องโอนมาจากหน่วยงานอื่น", "reopened": "เรื่องเปิดใหม่"}
_RED, _GREY, _DARK = "#C62828", "#8C8C8C", "#111111"


def postback_data(action: str, assignment_id: int, **extra: str | int) -> str:
    return "&".join([f"a={action}", f"as={assignment_id}", *(f"{k}={v}" for k, v in extra.items())])


def cuts_detail(case: ComplaintCase) -> bool:
    """Does the card show only the start of the detail (so the whole follows as text)?"""
    return utf16.length(privacy.scrub(case.detail or "", case)) > CARD_DETAIL_UNITS


def case_card(case: ComplaintCase, assignment: Assignment, agency: Agency, *, tz: ZoneInfo,
              headline: str = "forwarded") -> dict[str, Any]:
    """The card a unit's coordinators get: what, where, by when, and the four buttons."""
    number = f"#{case.number}"
    urgent = case.priority == Priority.urgent
    detail = privacy.scrub(case.detail or "", case)
    if utf16.length(detail) > CARD_DETAIL_UNITS:
        detail = utf16.head(detail, CARD_DETAIL_UNITS).rstrip() + " … (อ่านต่อในข้อความถัดไป)"
    title = privacy.scrub(case.title, case)

    rows = [("หน่วยงาน", agency.name_th), ("สถานที่", case.location), ("ประเภท", case.category),
            ("ผู้ร้อง", privacy.masked_contact(case)),
            ("รับเรื่องภายใน", _when(assignment.ack_due_at, tz)),
            ("ดำเนินการเสร็จภายใน", _when(assignment.resolve_due_at, tz))]
    body: list[Any] = [FlexText(text=title, weight="bold", size="md", wrap=True)]
    if detail:
        body.append(FlexText(text=detail, size="sm", wrap=True, color=_DARK, margin="sm"))
    body.append(FlexSeparator(margin="md"))
    body.extend(_row(label, value) for label, value in rows if value)

    header = [FlexText(text=f"{_HEADLINES.get(headline, headline)} {number}", weight="bold", size="sm",
                       color="#FFFFFF")]
    if urgent:
        header.append(FlexText(text="ด่วน", weight="bold", size="sm", color="#FFFFFF", align="end"))
    bubble = FlexBubble(
        header=FlexBox(layout="horizontal", contents=header, background_color=_RED if urgent else "#1565C0",
                       padding_all="12px"),
        body=FlexBox(layout="vertical", contents=body, spacing="sm"),
        footer=FlexBox(layout="vertical", spacing="sm", contents=[
            FlexButton(style=style, height="sm", action=PostbackAction(
                label=label, data=postback_data(action, assignment.id), display_text=f"{label} {number}"))
            for action, label, style in BUTTONS
        ]),
    )
    alt = f"{'[ด่วน] ' if urgent else ''}{_HEADLINES.get(headline, headline)} {number}: {title}"
    return FlexMessage(alt_text=utf16.cut(alt, ALT_TEXT_UNITS), contents=bubble).to_dict()


def _row(label: str, value: str) -> FlexBox:
    return FlexBox(layout="baseline", spacing="sm", contents=[
        FlexText(text=label, size="xs", color=_GREY, flex=3, wrap=True),
        FlexText(text=utf16.cut(value, ROW_VALUE_UNITS), size="xs", color=_DARK, flex=5, wrap=True),
    ])


def _when(at: datetime | None, tz: ZoneInfo) -> str | None:
    return fiscal.thai_datetime(at, tz) if at else None
