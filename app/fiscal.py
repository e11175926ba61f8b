"""The Thai fiscal calendar (SPEC §7) and Thai date formatting.

Fiscal years run 1 Oct – 30 Sep and are named by the Buddhist-era year in which they end:
FY2564 = 1 Oct 2020 – 30 Sep 2021. Quarter 1 = Oct–Dec, 2 = Jan–Mar, 3 = Apr–Jun, 4 = Jul–Sep.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BE_OFFSET = 543

MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)


# quarter → ((year offset, month) of its first day, (year offset, month, day) of its last), years
# counted from the C.E. year in which the fiscal year ends.
_QUARTERS = {
    1: ((-1, 10), (-1, 12, 31)),
    2: ((0, 1), (0, 3, 31)),
    3: ((0, 4), (0, 6, 30)),
    4: ((0, 7), (0, 9, 30)),
}


def be_year(ce_year: int) -> int:
    """Common-era year → Buddhist-era year (2021 → 2564)."""
    return ce_year + BE_OFFSET


def ce_year(be_year: int) -> int:
    """Buddhist-era year → common-era year (2564 → 2021)."""
    return be_year - BE_OFFSET


def fiscal_year(day: date) -> int:
    """The B.E. fiscal year `day` falls in: 30 Sep 2021 → 2564, 1 Oct 2021 → 2565."""
    return be_year(day.year + 1 if day.month >= 10 else day.year)


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day (inclusive) of fiscal year `fy` (B.E.)."""
    end_year = ce_year(fy)
    return date(end_year - 1, 10, 1), date(end_year, 9, 30)


def fiscal_quarter(day: date) -> tuple[int, int]:
    """(fiscal year, quarter 1..4) of `day`."""
    return fiscal_year(day), (day.month - 10) % 12 // 3 + 1


def quarter_bounds(fy: int, q: int) -> tuple[date, date]:
    """First and last day (inclusive) of quarter `q` of fiscal year `fy` (B.E.)."""
    if q not in _QUARTERS:
        raise ValueError(f"quarter must be 1..4, not {q!r}")
    end_year = ce_year(fy)
    (first_offset, first_month), (last_offset, last_month, last_day) = _QUARTERS[q]
    return date(end_year + first_offset, first_month, 1), date(end_year + last_offset, last_month, last_day)


def thai_date(day: date) -> str:
    """'1 เมษายน 2564'."""
    return f"{day.day} {MONTHS[day.month - 1]} {be_year(day.year)}"


def thai_date_short(day: date) -> str:
    """'1 เม.ย. 2564'."""
    return f"{day.day} {MONTHS_SHORT[day.month - 1]} {be_year(day.year)}"


def thai_datetime(at: datetime, tz: ZoneInfo) -> str:
    """'24 พ.ย. 2569 09:05 น.', the instant `at` shown in `tz`."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("thai_datetime needs an aware datetime")
    local = at.astimezone(tz)
    return f"{thai_date_short(local.date())} {local:%H:%M} น."
