"""What managers read in a digest (SPEC §6), in Thai: headings, the period, numbers and durations."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app import fiscal
from app.texts import text
from app.texts.coordination import duration

TITLE = {"daily": "สรุปรายวัน", "weekly": "สรุปรายสัปดาห์"}
BMA_WIDE = "ทุกหน่วยงานของกรุงเทพมหานคร"
NO_VALUE = "–"

COUNTS = "เรื่องที่ส่งถึงหน่วยงานในช่วงนี้"
FORWARDED, ACKNOWLEDGED, RESOLVED, RETURNED = "ส่งถึงหน่วยงาน", "รับเรื่องแล้ว", "ดำเนินการเสร็จ", "ส่งคืนศูนย์ฯ"
SLA = "ตามกำหนดเวลา (SLA)"
SLA_ACK, SLA_RESOLVE = "รับเรื่องทันกำหนด", "เสร็จทันกำหนด"
TIMES = "ระยะเวลา (ชั่วโมงทำการ)"
TTA_P50, TTA_P90 = "รับเรื่อง ค่ากลาง", "รับเรื่อง P90"
TTR_P50, TTR_P90 = "เสร็จสิ้น ค่ากลาง", "เสร็จสิ้น P90"
UNIT_COLUMN, BMA_COLUMN = "หน่วยงาน", "กทม."
BMA_NOTE = "กทม. = ค่ากลางของทุกหน่วยงาน (ร้อยละตามกำหนด: รวมทั้ง กทม.)"
KPI = "ระดับตัวชี้วัดนวัตกรรม"
KPI_NOT_SCORED = "ยังไม่ได้ประเมิน"
OVERDUE_UNITS = "หน่วยงานที่มีเรื่องเกินกำหนดมากที่สุด"
OVERDUE_CASES = "เรื่องที่เกินกำหนดนานที่สุด"
SLOWEST = "หน่วยงานที่รับเรื่องช้าที่สุด"
SLOWEST_NOTE = "ค่ากลางระยะเวลารับเรื่อง (ชั่วโมงทำการ) · ร้อยละรับเรื่องทันกำหนด"
NO_OVERDUE = "ไม่มีเรื่องค้างเกินกำหนด"
OVERDUE_NOW = "เรื่องค้างเกินกำหนดขณะนี้"
OVERDUE_TITLE = "⏰ เรื่องค้างเกินกำหนด"
SLOWEST_TITLE = "⏱ ระยะเวลารับเรื่อง"
DASHBOARD = "ดูแดชบอร์ด"
MISSED = {"ack": "ยังไม่รับเรื่อง", "resolve": "ยังไม่เสร็จ"}


def count(n: int) -> str:
    return f"{n:,}"


def percent(value: float | None) -> str:
    """'62.5%'; rounding never shows a miss as 100.0% nor a single success as 0.0%."""
    if value is None:
        return NO_VALUE
    shown = round(value, 1)
    if shown == 100 and value < 100:
        shown = 99.9
    elif shown == 0 and value > 0:
        shown = 0.1
    return f"{shown:.1f}%"


def hours(seconds: float | None) -> str:
    """Business time in hours and minutes, never days (a business day is 8 hours, not 24):
    '2 ชม. 15 นาที', '45 นาที', 'ไม่ถึง 1 นาที', '80 ชม.'."""
    if seconds is None:
        return NO_VALUE
    h, m = divmod(int(seconds // 60), 60)
    if h:
        return f"{h:,} ชม." + (f" {m} นาที" if m else "")
    return f"{m} นาที" if m else "ไม่ถึง 1 นาที"


def cases_count(n: int) -> str:
    return f"{n:,} เรื่อง"


def worst(seconds: float) -> str:
    return f"นานสุด{overdue_for(seconds)}"


def overdue_everywhere(n: int) -> str:
    return f"รวมทุกหน่วยงาน {n:,} เรื่อง"


def more_cases(n: int) -> str:
    return f"และอีก {n:,} เรื่อง · พิมพ์ ค้าง เพื่อดูทั้งหมด"


def overdue_for(seconds: float) -> str:
    """Wall-clock time past a deadline: 'เกิน 2 วัน 3 ชม.'."""
    return f"เกิน {duration(max(0.0, seconds))}"


def period_label(name: str, start: datetime, end: datetime, *, so_far: bool, tz: ZoneInfo) -> str:
    """'ประจำวันที่ 24 พ.ย. 2569', 'ประจำสัปดาห์ 16–22 พ.ย. 2569'; so far: 'วันนี้ 25 พ.ย. 2569 ถึง 10:15 น.'."""
    first = start.astimezone(tz).date()
    if so_far:
        local_end = end.astimezone(tz)
        until = f" ถึง {local_end:%H:%M} น."
        if name == "daily":
            return f"วันนี้ {fiscal.thai_date_short(first)}{until}"
        return f"สัปดาห์นี้ {day_range(first, local_end.date())}{until}"
    last = (end.astimezone(tz) - timedelta(microseconds=1)).date()
    if name == "daily":
        return f"ประจำวันที่ {fiscal.thai_date_short(first)}"
    return f"ประจำสัปดาห์ {day_range(first, last)}"


def day_range(first: date, last: date) -> str:
    """'16–22 พ.ย. 2569', '30 พ.ย. – 6 ธ.ค. 2569', '29 ธ.ค. 2569 – 4 ม.ค. 2570'."""
    if first == last:
        return fiscal.thai_date_short(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{fiscal.thai_date_short(last)}"
    if first.year == last.year:
        return f"{first.day} {fiscal.MONTHS_SHORT[first.month - 1]} – {fiscal.thai_date_short(last)}"
    return f"{fiscal.thai_date_short(first)} – {fiscal.thai_date_short(last)}"


def as_of(at: datetime, tz: ZoneInfo) -> str:
    return f"นับเรื่องที่ส่งในช่วงนี้ · สถานะ ณ {fiscal.thai_datetime(at, tz)}"


def kpi_line(level: str | None, fiscal_year: int) -> str:
    return f"{KPI}: {level or KPI_NOT_SCORED} (ปีงบประมาณ {fiscal_year})"


def summary(period: str, period_text: str, unit_name: str | None, figures, overdue: int) -> str:
    """A digest's key numbers in one line (its alt text): `figures` is an app.services.metrics.Figures."""
    c, sla, tta, ttr = figures.counts, figures.sla, figures.tta, figures.ttr
    return " · ".join([
        f"{TITLE[period]} {period_text}",
        unit_name or "ทุกหน่วยงาน",
        f"ส่ง {count(c.forwarded)} รับเรื่อง {count(c.acknowledged)} เสร็จ {count(c.resolved)} คืน {count(c.returned)}",
        f"ทันกำหนด: รับเรื่อง {percent(sla.acknowledge_percent)} เสร็จ {percent(sla.resolve_percent)}",
        f"ค่ากลาง (ชั่วโมงทำการ): รับเรื่อง {hours(tta.p50_business_seconds)} เสร็จสิ้น {hours(ttr.p50_business_seconds)}",
        f"เกินกำหนดขณะนี้ {count(overdue)} เรื่อง",
    ])


def only_in_private_chat() -> dict[str, Any]:
    return text("คำสั่ง สรุป ใช้ได้ในแชตส่วนตัวกับบัญชีนี้ค่ะ")


def usage() -> dict[str, Any]:
    return text("รูปแบบ: สรุป (ของวันนี้) หรือ สรุป สัปดาห์ (ของสัปดาห์นี้)")
