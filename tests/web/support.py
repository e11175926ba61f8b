"""Helpers for the dashboard tests: signed-in HTTP clients and data that lies where the tests want."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from app.db import session_scope
from tests.conftest import ADMIN_TOKEN
from tests.services.test_metrics import HOUR, add_assignment

# Fiscal year 2569 (Oct 2025 – Sep 2026); the data lies in its November, long past, so every
# deadline has been decided whatever day the tests run.
F = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)  # Monday 09:00 Bangkok
FY = {"fy": "2569"}
LINK = re.compile(r"https?://\S+/dashboard/login/[A-Za-z0-9_\-]+")

__all__ = ["F", "FY", "HOUR", "add_assignment", "admin_client", "client", "line_client", "link_path", "seed"]


def client(service) -> httpx.AsyncClient:
    """A browser: keeps cookies, does not follow redirects (the tests look at them)."""
    return httpx.AsyncClient(base_url=service.url, timeout=15)


@asynccontextmanager
async def admin_client(service) -> AsyncIterator[httpx.AsyncClient]:
    async with client(service) as browser:
        response = await browser.post("/dashboard/signin", data={"token": ADMIN_TOKEN})
        assert response.status_code == 303, response.text
        yield browser


def link_path(answer: list[str]) -> str:
    found = LINK.search("\n".join(answer))
    assert found, answer
    return urlsplit(found[0]).path


@asynccontextmanager
async def line_client(service, user_id: str) -> AsyncIterator[httpx.AsyncClient]:
    """A person asks for a link in LINE, opens it and presses the button."""
    path = link_path(await service.say(user_id, "แดชบอร์ด"))
    async with client(service) as browser:
        page = await browser.get(path)
        assert page.status_code == 200 and "เข้าสู่แดชบอร์ด" in page.text, page.text
        response = await browser.post(path)
        assert response.status_code == 303, response.text
        yield browser


async def seed(service) -> None:
    """Bang Rak (1004): fast and in time; Phra Nakhon (1001): slow and late; Pathum Wan (1007): one
    returned; Bang Rak also has one open case overdue now."""
    async with session_scope(service.sessionmaker) as session:
        for tta in (600, 1200):
            await add_assignment(session, "1004", status="resolved", forwarded_at=F, tta=(tta, tta), frt=(tta, tta),
                                 ttr=(2 * HOUR, 2 * HOUR), ack_due_after=HOUR, resolve_due_after=4 * HOUR)
        await add_assignment(session, "1004", status="forwarded", forwarded_at=F, ack_due_after=HOUR,
                             resolve_due_after=4 * HOUR)
        for tta in (3 * HOUR, 5 * HOUR):
            await add_assignment(session, "1001", status="acknowledged", forwarded_at=F, tta=(tta, tta),
                                 frt=(tta, tta), ack_due_after=HOUR, resolve_due_after=400 * 24 * HOUR)
        await add_assignment(session, "1007", status="returned", forwarded_at=F, frt=(300, 300), returned_after=300,
                             ack_due_after=HOUR)
