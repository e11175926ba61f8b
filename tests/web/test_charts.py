"""Inline SVG charts (app/web/charts.py): named for screen readers, escaped, gaps where data is missing."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from app.web import charts


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # well-formed XML, or this raises


def test_line_chart_is_accessible_and_breaks_at_missing_values():
    svg = str(charts.line_chart(["3 พ.ย.", "10 พ.ย.", "17 พ.ย.", "24 พ.ย."],
                                [charts.Series("รับเรื่องภายในกำหนด", [50.0, None, 75.0, 80.0])],
                                title="ร้อยละ <รายสัปดาห์>", unit="%", y_max=100, reference=(80, "เป้าหมาย 80%")))
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby")
    title_id = root.get("aria-labelledby").split()[0]
    assert f'<title id="{title_id}">ร้อยละ &lt;รายสัปดาห์&gt;</title>' in svg
    path = re.search(r'<path d="([^"]+)"', svg)[1]
    assert path.count("M") == 2 and path.count("L") == 1  # 50 alone, then 75 → 80
    assert svg.count("<circle") == 3 and "รับเรื่องภายในกำหนด · 17 พ.ย.: 75 %" in svg
    assert "เป้าหมาย 80%" in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_empty_charts_say_so():
    assert "ไม่มีข้อมูล" in str(charts.line_chart([], [charts.Series("x", [])], title="t"))
    assert "ไม่มีข้อมูล" in str(charts.bar_chart([], title="t"))


def test_bar_chart_and_its_phone_layout():
    items = [("รอรับเรื่อง", 3), ("ปิดเรื่องแล้ว", 12), ("ส่งคืนศูนย์ฯ", 0)]
    wide = parse(str(charts.bar_chart(items, title="สถานะ", unit="เรื่อง")))
    assert wide.get("width") == "640"
    both = str(charts.responsive(charts.bar_chart, items, wide=640, title="สถานะ", unit="เรื่อง"))
    assert both.count("<svg") == 2 and 'class="chart-wide"' in both and 'class="chart-narrow"' in both
    assert "<title>ปิดเรื่องแล้ว: 12 เรื่อง</title>" in both


def test_axis_steps_read_well():
    assert [charts.nice_step(v) for v in (4.7, 99, 8, 0.3, 0)] == [2, 25, 2, 0.1, 0.25]
