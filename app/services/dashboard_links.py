"""One-time dashboard sign-in links (`แดชบอร์ด` in LINE): issued to a registered person, valid for
a few minutes, good for one sign-in.

Only the SHA-256 of a token is stored, so a copy of the database signs nobody in. Redeeming is one
conditional UPDATE (`used_at IS NULL AND expires_at > now`): two requests racing with the same
link sign in at most once, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import LinkExpired, LinkNotFound, LinkUsed, NotAllowed
from models import DashboardLink, Person

TOKEN_BYTES = 32  # 43 URL-safe characters


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, *, person: Person, now: datetime, valid_minutes: int) -> str:
    """A new link token for `person`; the caller puts it in the URL (and commits)."""
    if not person.active:
        raise NotAllowed("บัญชีนี้ไม่ได้ใช้งานแล้ว", person_id=person.id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(DashboardLink(token_hash=token_hash(token), person_id=person.id, created_at=now,
                              expires_at=now + timedelta(minutes=valid_minutes)))
    await session.flush()
    return token


async def check(session: AsyncSession, token: str, *, now: datetime) -> DashboardLink:
    """The link, if it can still be used; else why not (nothing is changed)."""
    link = await session.scalar(select(DashboardLink).where(DashboardLink.token_hash == token_hash(token)))
    if link is None:
        raise LinkNotFound("ไม่พบลิงก์นี้")
    if link.used_at is not None:
        raise LinkUsed("ลิงก์นี้ถูกใช้ไปแล้ว (ใช้ได้ครั้งเดียว)")
    if link.expires_at <= now:
        raise LinkExpired("ลิงก์นี้หมดอายุแล้ว")
    return link


async def redeem(session: AsyncSession, token: str, *, now: datetime) -> Person:
    """Spend the link and return its person, who must still be active."""
    link = await check(session, token, now=now)
    spent = await session.execute(
        update(DashboardLink)
        .where(DashboardLink.id == link.id, DashboardLink.used_at.is_(None), DashboardLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # another request used it a moment ago
        raise LinkUsed("ลิงก์นี้ถูกใช้ไปแล้ว (ใช้ได้ครั้งเดียว)")
    person = await session.get(Person, link.person_id)
    if person is None or not person.active:
        raise NotAllowed("บัญชีนี้ไม่ได้ใช้งานแล้ว")
    return person
