from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app import fiscal

BANGKOK = ZoneInfo("Asia/Bangkok")


def test_buddhist_and_common_era():
    assert fiscal.be_year(2021) == 2564
    assert fiscal.ce_year(2564) == 2021
    assert fiscal.be_year(2026) == 2569
    assert all(fiscal.ce_year(fiscal.be_year(y)) == y for y in range(1900, 2200))


@pytest.mark.parametrize(("day", "fy"), [
    (date(2020, 9, 30), 2563),
    (date(2020, 10, 1), 2564),
    (date(2020, 12, 31), 2564),
    (date(2021, 1, 1), 2564),
    (date(2021, 9, 30), 2564),
    (date(2021, 10, 1), 2565),
    (date(2024, 2, 29), 2567),
    (datetime(2021, 9, 30, 23, 59, 59), 2564),  # a datetime is a date; its date decides
])
def test_fiscal_year(day, fy):
    assert fiscal.fiscal_year(day) == fy


def test_fiscal_year_bounds():
    assert fiscal.fiscal_year_bounds(2564) == (date(2020, 10, 1), date(2021, 9, 30))
    assert fiscal.fiscal_year_bounds(2569) == (date(2025, 10, 1), date(2026, 9, 30))


def test_fiscal_years_tile_the_calendar():
    for fy in range(2560, 2575):
        first, last = fiscal.fiscal_year_bounds(fy)
        assert fiscal.fiscal_year(first) == fiscal.fiscal_year(last) == fy
        assert fiscal.fiscal_year(first - timedelta(days=1)) == fy - 1
        assert fiscal.fiscal_year(last + timedelta(days=1)) == fy + 1
        assert fiscal.fiscal_year_bounds(fy + 1)[0] == last + timedelta(days=1)


@pytest.mark.parametrize(("day", "fq"), [
    (date(2020, 9, 30), (2563, 4)),
    (date(2020, 10, 1), (2564, 1)),
    (date(2020, 12, 31), (2564, 1)),
    (date(2021, 1, 1), (2564, 2)),
    (date(2021, 3, 31), (2564, 2)),
    (date(2021, 4, 1), (2564, 3)),
    (date(2021, 6, 30), (2564, 3)),
    (date(2021, 7, 1), (2564, 4)),
    (date(2021, 9, 30), (2564, 4)),
    (date(2021, 10, 1), (2565, 1)),
])
def test_fiscal_quarter(day, fq):
    assert fiscal.fiscal_quarter(day) == fq


def test_quarter_bounds():
    assert fiscal.quarter_bounds(2564, 1) == (date(2020, 10, 1), date(2020, 12, 31))
    assert fiscal.quarter_bounds(2564, 2) == (date(2021, 1, 1), date(2021, 3, 31))
    assert fiscal.quarter_bounds(2564, 3) == (date(2021, 4, 1), date(2021, 6, 30))
    assert fiscal.quarter_bounds(2564, 4) == (date(2021, 7, 1), date(2021, 9, 30))


def test_quarters_tile_each_fiscal_year_day_by_day():
    for fy in (2563, 2564, 2567):  # 2567 holds 29 Feb 2024
        first, last = fiscal.fiscal_year_bounds(fy)
        assert fiscal.quarter_bounds(fy, 1)[0] == first and fiscal.quarter_bounds(fy, 4)[1] == last
        day = first
        while day <= last:
            got_fy, q = fiscal.fiscal_quarter(day)
            start, end = fiscal.quarter_bounds(got_fy, q)
            assert got_fy == fy and start <= day <= end
            day += timedelta(days=1)


@pytest.mark.parametrize("q", [0, 5, -1, 10])
def test_invalid_quarter(q):
    with pytest.raises(ValueError, match="quarter"):
        fiscal.quarter_bounds(2564, q)


MONTHS = [
    (1, "มกราคม", "ม.ค."), (2, "กุมภาพันธ์", "ก.พ."), (3, "มีนาคม", "มี.ค."), (4, "เมษายน", "เม.ย."),
    (5, "พฤษภาคม", "พ.ค."), (6, "มิถุนายน", "มิ.ย."), (7, "กรกฎาคม", "ก.ค."), (8, "สิงหาคม", "ส.ค."),
    (9, "กันยายน", "ก.ย."), (10, "ตุลาคม", "ต.ค."), (11, "พฤศจิกายน", "พ.ย."), (12, "ธันวาคม", "ธ.ค."),
]


@pytest.mark.parametrize(("month", "full", "short"), MONTHS)
def test_thai_dates_in_every_month(month, full, short):
    assert fiscal.thai_date(date(2021, month, 1)) == f"1 {full} 2564"
    assert fiscal.thai_date_short(date(2021, month, 28)) == f"28 {short} 2564"


def test_thai_date_examples():
    assert fiscal.thai_date(date(2021, 4, 1)) == "1 เมษายน 2564"
    assert fiscal.thai_date_short(date(2021, 4, 1)) == "1 เม.ย. 2564"
    assert fiscal.thai_date(date(2026, 12, 31)) == "31 ธันวาคม 2569"


def test_thai_datetime_converts_to_the_zone():
    assert fiscal.thai_datetime(datetime(2026, 11, 24, 2, 5, tzinfo=UTC), BANGKOK) == "24 พ.ย. 2569 09:05 น."
    # 31 Dec 2026 20:30 UTC is already New Year's Day (and a new B.E. year) in Bangkok.
    assert fiscal.thai_datetime(datetime(2026, 12, 31, 20, 30, tzinfo=UTC), BANGKOK) == "1 ม.ค. 2570 03:30 น."
    # Just before midnight UTC on 30 Sep: 1 Oct in Bangkok.
    assert fiscal.thai_datetime(datetime(2021, 9, 30, 23, 59, tzinfo=UTC), BANGKOK) == "1 ต.ค. 2564 06:59 น."
    assert fiscal.thai_datetime(datetime(2021, 10, 1, 6, 59, tzinfo=BANGKOK), BANGKOK) == "1 ต.ค. 2564 06:59 น."
    assert fiscal.thai_datetime(datetime(2021, 10, 1, 0, 0, tzinfo=timezone(timedelta(hours=9))), BANGKOK) == (
        "30 ก.ย. 2564 22:00 น.")


def test_thai_datetime_refuses_naive():
    with pytest.raises(ValueError):
        fiscal.thai_datetime(datetime(2026, 11, 24, 9, 5), BANGKOK)
