"""Complainant personal data (PDPA, SPEC §9): how it is masked in anything sent over LINE, and
how it is erased after the retention period."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ComplaintCase


def mask_phone(phone: str) -> str:
    """'0812341234' → '08x-xxx-1234': enough for staff to tell two callers apart, not to call."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return "x" * len(digits)
    return f"{digits[:2]}x-xxx-{digits[-4:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_name(name: str) -> str:
    """'สมชาย ใจดี' → 'ส***': the first letter of the first name only."""
    name = name.strip()
    return f"{name[:1]}***" if name else ""


def masked_contact(case: ComplaintCase) -> str | None:
    parts = [mask_name(case.complainant_name) if case.complainant_name else None,
             mask_phone(case.complainant_phone) if case.complainant_phone else None,
             mask_email(case.complainant_email) if case.complainant_email else None]
    parts = [p for p in parts if p]
    return " · ".join(parts) if parts else None


def scrub(text: str, case: ComplaintCase) -> str:
    """Mask the complainant's own name, phone and email wherever staff typed them into a text that
    goes over LINE (a detail like 'โทรกลับคุณสมชาย 081-234-1234')."""
    for value, masked in ((case.complainant_phone, mask_phone), (case.complainant_email, mask_email),
                          (case.complainant_name, mask_name)):
        if not value or not value.strip():
            continue
        if masked is mask_phone:
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 6:  # the same number however it was spaced or dashed
                pattern = r"[\s\-.]?".join(re.escape(d) for d in digits)
                text = re.sub(pattern, mask_phone(value), text)
            continue
        text = text.replace(value.strip(), masked(value))
    return text


async def purge_expired(session: AsyncSession, *, now: datetime, retention_days: int) -> int:
    """Erase complainant contact of cases closed more than `retention_days` ago. Returns how many."""
    result = await session.execute(
        update(ComplaintCase)
        .where(ComplaintCase.closed_at < now - timedelta(days=retention_days),
               or_(ComplaintCase.complainant_name.is_not(None), ComplaintCase.complainant_phone.is_not(None),
                   ComplaintCase.complainant_email.is_not(None)))
        .values(complainant_name=None, complainant_phone=None, complainant_email=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
