"""The dashboard's filters, kept in the query string so every page, sort link and export shares
them: the period (a Thai fiscal year, one of its quarters or months, or a custom range of days)
and the unit kind.

    ?fy=2569                  the whole fiscal year (default: the current one)
    ?fy=2569&span=q2          its second quarter (Jan–Mar)
    ?fy=2569&span=m11         its November (m1 … m12 are calendar months)
    ?from=2026-11-01&to=2026-11-24   days, `to` included (wins over fy/span)
    &kind=district|bureau|office      (default: all)

A value that makes no sense is dropped with a Thai note on the page, never an error: a manager
who mistyped a date still gets a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from app import fiscal
from app.services import metrics

KINDS = {"all": "ทุกประเภทหน่วยงาน", "district": "สำนักงานเขต", "bureau": "สำนัก", "office": "ส่วนราชการ/สำนักงาน"}
# Months in fiscal-year order: October first.
FISCAL_MONTHS = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)


@dataclass(frozen=True)
class Filters:
    fy: int
    span: str  # "" (whole year) | "q1".."q4" | "m1".."m12"
    from_day: date | None  # a custom range, both ends set, `to_day` included
    to_day: date | None
    kind: str  # "all" | district | bureau | office
    tz: ZoneInfo
    current_fy: int
    problems: tuple[str, ...] = field(default=())

    @property
    def custom(self) -> bool:
        return self.from_day is not None

    @property
    def agency_kind(self) -> str | None:
        return None if self.kind == "all" else self.kind

    @property
    def days(self) -> tuple[date, date]:
        """First and last day (inclusive) of the period."""
        if self.custom:
            return self.from_day, self.to_day
        if self.span.startswith("q"):
            return fiscal.quarter_bounds(self.fy, int(self.span[1:]))
        if self.span.startswith("m"):
            month = int(self.span[1:])
            first_of_fy, _ = fiscal.fiscal_year_bounds(self.fy)
            year = first_of_fy.year if month >= 10 else first_of_fy.year + 1
            last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
            return date(year, month, 1), last
        return fiscal.fiscal_year_bounds(self.fy)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.days[0], time(), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.days[1] + timedelta(days=1), time(), tzinfo=self.tz)

    @property
    def label(self) -> str:
        first, last = self.days
        if self.custom:
            return f"{fiscal.thai_date_short(first)} – {fiscal.thai_date_short(last)}"
        if self.span.startswith("q"):
            return (f"ไตรมาสที่ {self.span[1:]} ปีงบประมาณ {self.fy} "
                    f"({fiscal.thai_date_short(first)} – {fiscal.thai_date_short(last)})")
        if self.span.startswith("m"):
            return f"{fiscal.MONTHS[first.month - 1]} {fiscal.be_year(first.year)}"
        return f"ปีงบประมาณ {self.fy} ({fiscal.thai_date_short(first)} – {fiscal.thai_date_short(last)})"

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    def params(self, **extra: object) -> dict[str, str]:
        """The filters as query parameters (defaults left out), plus `extra` (None drops a key)."""
        out: dict[str, str] = {}
        if self.custom:
            out["from"], out["to"] = self.from_day.isoformat(), self.to_day.isoformat()
        else:
            if self.fy != self.current_fy:
                out["fy"] = str(self.fy)
            if self.span:
                out["span"] = self.span
        if self.kind != "all":
            out["kind"] = self.kind
        for key, value in extra.items():
            if value is None or value == "":
                out.pop(key, None)
            else:
                out[key] = str(value)
        return out

    def query(self, **extra: object) -> str:
        """'?fy=2569&kind=district' (or '' when everything is default)."""
        params = self.params(**extra)
        return "?" + urlencode(params) if params else ""

    def fy_options(self) -> list[int]:
        return list(range(self.current_fy, self.current_fy - 5, -1))

    def span_options(self) -> list[tuple[str, str]]:
        first_of_fy, _ = fiscal.fiscal_year_bounds(self.fy)
        options = [("", "ทั้งปีงบประมาณ")] + [(f"q{q}", f"ไตรมาสที่ {q}") for q in (1, 2, 3, 4)]
        for month in FISCAL_MONTHS:
            year = first_of_fy.year if month >= 10 else first_of_fy.year + 1
            options.append((f"m{month}", f"{fiscal.MONTHS_SHORT[month - 1]} {fiscal.be_year(year)}"))
        return options

    def with_kind(self, kind: str) -> Filters:
        return replace(self, kind=kind)


def parse(query: dict[str, str], *, today: date, tz: ZoneInfo) -> Filters:
    current_fy = fiscal.fiscal_year(today)
    problems: list[str] = []
    fy = current_fy
    if raw := query.get("fy", "").strip():
        if raw.isdigit() and 2500 <= int(raw) <= 2700:
            fy = int(raw)
        else:
            problems.append(f"ปีงบประมาณ “{raw}” ไม่ถูกต้อง (เช่น {current_fy}) จึงแสดงปีปัจจุบัน")
    span = query.get("span", "").strip()
    if span and not (span in ("q1", "q2", "q3", "q4") or (span[:1] == "m" and span[1:].isdigit()
                                                           and 1 <= int(span[1:]) <= 12)):
        problems.append(f"ช่วงเวลา “{span}” ไม่ถูกต้อง จึงแสดงทั้งปีงบประมาณ")
        span = ""
    kind = query.get("kind", "all").strip() or "all"
    if kind not in KINDS:
        problems.append(f"ประเภทหน่วยงาน “{kind}” ไม่ถูกต้อง จึงแสดงทุกประเภท")
        kind = "all"
    from_day = to_day = None
    raw_from, raw_to = query.get("from", "").strip(), query.get("to", "").strip()
    if raw_from or raw_to:
        try:
            from_day = date.fromisoformat(raw_from) if raw_from else fiscal.fiscal_year_bounds(fy)[0]
            to_day = date.fromisoformat(raw_to) if raw_to else today
        except ValueError:
            problems.append("วันที่ที่ระบุไม่ถูกต้อง (รูปแบบ ปี ค.ศ.-เดือน-วัน เช่น 2026-11-01) จึงแสดงตามปีงบประมาณ")
            from_day = to_day = None
        else:
            start = datetime.combine(from_day, time(), tzinfo=tz)
            if to_day < from_day or datetime.combine(to_day + timedelta(days=1), time(), tzinfo=tz) - start > metrics.MAX_SPAN:
                problems.append("ช่วงวันที่ต้องเริ่มก่อนวันสิ้นสุด และยาวไม่เกิน 3 ปี จึงแสดงตามปีงบประมาณ")
                from_day = to_day = None
    return Filters(fy=fy, span=span, from_day=from_day, to_day=to_day, kind=kind, tz=tz, current_fy=current_fy,
                   problems=tuple(problems))
