"""The Jinja2 environment of the dashboard: templates in app/web/templates, HTML autoescaped, and the
filters that write numbers, times and durations the Thai way."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import fiscal
from app.texts.coordination import STATUS_TH, duration
from app.web.filters import KINDS

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# An assignment's state, short, for tables
ASSIGNMENT_TH = {
    "forwarded": "รอรับเรื่อง",
    "acknowledged": "กำลังดำเนินการ",
    "resolved": "แจ้งเสร็จแล้ว",
    "returned": "ส่งคืนศูนย์ฯ",
    "reassigned": "โอนไปหน่วยงานอื่น",
    "withdrawn": "ศูนย์ฯ ปิดระหว่างดำเนินการ",
    "closed": "ปิดเรื่องแล้ว",
}
EVENT_TH = {
    "created": "ศูนย์ฯ รับเรื่องร้องเรียน",
    "forwarded": "ส่งเรื่องถึงหน่วยงาน",
    "reassigned": "โอนเรื่องไปหน่วยงาน",
    "acknowledged": "รับเรื่อง",
    "message": "ข้อความ",
    "resolved": "แจ้งว่าดำเนินการเสร็จแล้ว",
    "result_note": "ผลการดำเนินการ",
    "returned": "ส่งคืน (ไม่ใช่หน่วยงานเรา)",
    "closed": "ปิดเรื่อง",
    "reopened": "เปิดเรื่องใหม่",
}
KIND_TH = {"district": "สำนักงานเขต", "bureau": "สำนัก", "office": "ส่วนราชการ/สำนักงาน", "centre": "ศูนย์ฯ"}


def _hours(seconds: float | None) -> str:
    """Business seconds as hours with one decimal ('3.5'), '–' when unknown."""
    return "–" if seconds is None else f"{seconds / 3600:,.1f}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _number(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


@lru_cache
def css_version() -> str:
    return hashlib.sha256((STATIC / "app.css").read_bytes()).hexdigest()[:10]


@lru_cache
def environment(tz_name: str) -> Environment:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        thai_dt=lambda at: "–" if at is None else fiscal.thai_datetime(at, tz),
        thai_date=lambda day: "–" if day is None else fiscal.thai_date_short(day),
        hours=_hours, percent=_percent, number=_number,
        duration=lambda s: "–" if s is None else duration(s),
        status_th=lambda s: ASSIGNMENT_TH.get(s, STATUS_TH.get(s, s)),
        case_status_th=lambda s: STATUS_TH.get(s, s),
        event_th=lambda k: EVENT_TH.get(k, k),
        kind_th=lambda k: KIND_TH.get(k, k),
        decimal4=lambda d: "–" if d is None else f"{d:.4f}",
        points=lambda d: "–" if d is None else f"{d:.2f}".rstrip("0").rstrip("."),
    )
    env.globals.update(css_version=css_version, kinds=list(KINDS.items()))
    return env


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    html = environment(settings.timezone).get_template(template).render(
        request=request, path=request.url.path, today=settings.today(), **context)
    return HTMLResponse(html, status_code=status_code)

