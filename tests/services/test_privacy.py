"""Complainant personal data: masking for LINE and erasure after the retention period (SPEC §9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import privacy
from models import ComplaintCase


def _case(**contact) -> ComplaintCase:
    return ComplaintCase(complainant_name=contact.get("name"), complainant_phone=contact.get("phone"),
                         complainant_email=contact.get("email"))


def test_masks():
    assert privacy.mask_phone("081-234-5678") == "08x-xxx-5678"
    assert privacy.mask_phone("+66 81 234 5678") == "66x-xxx-5678"
    assert privacy.mask_phone("1555") == "xxxx"
    assert privacy.mask_email("somchai@example.com") == "s***@example.com"
    assert privacy.mask_name("  สมชาย ใจดี ") == "ส***"
    assert privacy.masked_contact(_case()) is None
    assert privacy.masked_contact(_case(name="สมชาย", phone="0812345678")) == "ส*** · 08x-xxx-5678"


def test_scrub_finds_the_complainants_own_details_however_typed():
    case = _case(name="สมชาย ใจดี", phone="081-234-5678", email="somchai@example.com")
    text = "โทรหาคุณสมชาย ใจดี 0812345678 หรือ 081 234 5678 หรือ 081.234.5678 อีเมล somchai@example.com สายด่วน 1555"
    scrubbed = privacy.scrub(text, case)
    assert scrubbed == ("โทรหาคุณส*** 08x-xxx-5678 หรือ 08x-xxx-5678 หรือ 08x-xxx-5678 อีเมล s***@example.com "
                        "สายด่วน 1555")
    assert privacy.scrub("ไม่มีข้อมูลส่วนตัว", _case()) == "ไม่มีข้อมูลส่วนตัว"


async def test_purge_erases_contact_of_cases_closed_long_ago(session):
    now = datetime(2026, 11, 24, tzinfo=UTC)
    rows = [ComplaintCase(number=f"70-0000{i}", fiscal_year=2570, sequence=i, title="t", status=status,
                          closed_at=closed, complainant_name="สมชาย", complainant_phone="0812345678")
            for i, (status, closed) in enumerate([("closed", now - timedelta(days=400)),
                                                  ("closed", now - timedelta(days=10)),
                                                  ("acknowledged", None)], start=1)]
    session.add_all(rows)
    await session.flush()
    assert await privacy.purge_expired(session, now=now, retention_days=365) == 1
    for row in rows:
        await session.refresh(row)
    assert [r.complainant_phone for r in rows] == [None, "0812345678", "0812345678"]
    assert rows[0].title == "t" and rows[0].complainant_name is None  # the case stays, the person goes
    assert await privacy.purge_expired(session, now=now, retention_days=365) == 0
