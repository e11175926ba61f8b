"""`rongtuk demo` plays the whole day through the real service and prints what a newcomer reads."""

from __future__ import annotations

import io
import re

from app import demo


async def test_demo_plays_a_day_and_prints_the_table():
    out = io.StringIO()
    assert await demo.run(out) == 0
    transcript = out.getvalue()
    numbers = sorted(set(re.findall(r"#\d{2}-\d{5}", transcript)))
    assert len(numbers) == 5
    for expected in ("[การ์ด] เรื่องใหม่", "✅ สำนักงานเขตปทุมวัน รับเรื่อง", "↩️ สำนักงานเขตบางรัก ส่งคืนเรื่อง",
                     "[การ์ด] เรื่องโอนมาจากหน่วยงานอื่น", "📝 ผลการดำเนินการ", "เรื่องเปิดใหม่",
                     "เรื่องค้างเกินกำหนดของทุกหน่วยงาน 1 เรื่อง", "เวลาตอบสนองของวันนี้"):
        assert expected in transcript, expected
    table = transcript.split("เวลาตอบสนองของวันนี้")[1].splitlines()
    bangrak = next(line for line in table if line.startswith("สำนักงานเขตบางรัก"))
    assert bangrak.split()[1:5] == ["3", "1", "0", "1"]  # forwarded, acknowledged, resolved, returned
    assert next(line for line in table if line.startswith("รวมทุกหน่วยงาน")).split()[1] == "6"
    assert "Traceback" not in transcript and "⚠️" not in transcript
