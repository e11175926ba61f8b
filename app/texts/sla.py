"""Reminders and escalations (SPEC §5), in Thai."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import fiscal, privacy
from app.line.cards import ACKNOWLEDGE, DONE, postback_data
from app.texts import postback, text
from app.texts.coordination import duration
from models import Assignment, ComplaintCase

_STEP = {"ack": "รับเรื่อง", "resolve": "ดำเนินการให้เสร็จ"}


def reminder(case: ComplaintCase, assignment: Assignment, deadline: str, due_at: datetime, now: datetime,
             tz: ZoneInfo) -> dict[str, Any]:
    """To the unit at 50 % and 80 %: what is due, by when, with the button to do it right here."""
    left = duration(max(0.0, (due_at - now).total_seconds()))
    action, label = (ACKNOWLEDGE, "รับเรื่อง") if deadline == "ack" else (DONE, "เสร็จแล้ว")
    return text(
        f"⏰ เตือน: เรื่อง #{case.number} ต้อง{_STEP[deadline]}ภายใน {fiscal.thai_datetime(due_at, tz)} "
        f"(เหลืออีก {left})\n{privacy.scrub(case.title, case)}\n{assignment.agency.name_th}",
        quick_replies=[postback(label, postback_data(action, assignment.id), f"{label} #{case.number}"),
                       {"type": "message", "label": "สถานะ", "text": f"สถานะ #{case.number}"}])


def breached(case: ComplaintCase, assignment: Assignment, deadline: str, due_at: datetime, tz: ZoneInfo,
             *, to_unit: bool) -> dict[str, Any]:
    """At the deadline: to the unit, and to its managers and the centre (escalation)."""
    head = (f"🚨 เรื่อง #{case.number} เกินกำหนด{_STEP[deadline]}แล้ว"
            f" (กำหนด {fiscal.thai_datetime(due_at, tz)})")
    body = f"{head}\n{privacy.scrub(case.title, case)}\nหน่วยงาน: {assignment.agency.name_th}"
    if to_unit:
        action, label = (ACKNOWLEDGE, "รับเรื่อง") if deadline == "ack" else (DONE, "เสร็จแล้ว")
        return text(body + "\nโปรดดำเนินการโดยเร็ว ผู้บริหารหน่วยงานและศูนย์ฯ ได้รับแจ้งแล้ว",
                    quick_replies=[postback(label, postback_data(action, assignment.id), f"{label} #{case.number}")])
    return text(body, quick_replies=[("สถานะ", f"สถานะ #{case.number}")])
