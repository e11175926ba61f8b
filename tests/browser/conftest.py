"""A real browser for the dashboard tests: Debian's Chromium, headless, driven by Playwright (which
downloads nothing: it is pointed at the system's Chromium). `./dev test` installs Chromium where it
may; without it these tests fail and say how to install it, they are never skipped."""

from __future__ import annotations

import os
import shutil

import pytest

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed (Debian: apt-get install chromium fonts-thai-tlwg; "
                    "or set CHROMIUM=/path/to/chromium). ./dev test installs it when run as root.")
    return path


@pytest.fixture(scope="session")
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(chromium):
    context = await chromium.new_context(locale="th-TH", timezone_id="Asia/Bangkok",
                                         viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    yield page
    await context.close()
