"""The dashboard's period and unit-kind filters (app/web/filters.py): pure, no database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.web.filters import parse

BANGKOK = ZoneInfo("Asia/Bangkok")
TODAY = date(2026, 11, 24)  # fiscal year 2570


def f(**query: str):
    return parse(query, today=TODAY, tz=BANGKOK)


def test_default_is_the_current_fiscal_year_of_every_kind():
    period = f()
    assert (period.fy, period.days, period.kind, period.problems) == (2570, (date(2026, 10, 1), date(2027, 9, 30)), "all", ())
    assert period.start == datetime(2026, 10, 1, tzinfo=BANGKOK) and period.end == datetime(2027, 10, 1, tzinfo=BANGKOK)
    assert period.label == "ปีงบประมาณ 2570 (1 ต.ค. 2569 – 30 ก.ย. 2570)"
    assert period.query() == "" and period.agency_kind is None


def test_quarters_months_and_custom_ranges():
    assert f(fy="2569", span="q1").days == (date(2025, 10, 1), date(2025, 12, 31))
    assert f(fy="2569", span="q3").label.startswith("ไตรมาสที่ 3 ปีงบประมาณ 2569")
    assert f(fy="2569", span="m12").days == (date(2025, 12, 1), date(2025, 12, 31))
    assert f(fy="2569", span="m2").days == (date(2026, 2, 1), date(2026, 2, 28))
    assert f(fy="2569", span="m11").label == "พฤศจิกายน 2568"
    custom = f(fy="2569", span="q2", **{"from": "2026-11-01", "to": "2026-11-24"}, kind="district")
    assert custom.custom and custom.days == (date(2026, 11, 1), date(2026, 11, 24))
    assert custom.end == datetime(2026, 11, 25, tzinfo=BANGKOK)  # `to` includes its day
    assert custom.label == "1 พ.ย. 2569 – 24 พ.ย. 2569" and custom.agency_kind == "district"
    assert custom.query(sort="-sla") == "?from=2026-11-01&to=2026-11-24&kind=district&sort=-sla"
    assert f(**{"from": "2026-11-01"}).days == (date(2026, 11, 1), TODAY)
    assert [value for value, _ in f().span_options()][:6] == ["", "q1", "q2", "q3", "q4", "m10"]


def test_nonsense_is_dropped_with_a_thai_note():
    period = f(fy="25x", span="q9", kind="moon", **{"from": "2026-02-30"})
    assert (period.fy, period.span, period.kind, period.custom) == (2570, "", "all", False)
    assert len(period.problems) == 4 and all(p and not p.isascii() for p in period.problems)
    backwards = f(**{"from": "2026-11-24", "to": "2026-11-01"})
    too_long = f(**{"from": "2020-01-01", "to": "2026-11-01"})
    assert not backwards.custom and not too_long.custom and backwards.problems and too_long.problems
