"""The dashboard in a real browser (headless Chromium): sign in, open the leaderboard, sort it, open a
unit and one of its cases, and keep a screenshot that must show a page, not a blank."""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import ADMIN_TOKEN


async def _seed(service) -> str:
    """Cases at two units, one acknowledged; returns a Bang Rak case number."""
    await service.register("U_BANGRAK", "coordinator", "1004", name="สมชาย")
    numbers = []
    async with service.http() as client:
        for title, unit in (("ไฟทางดับ ซอยสีลม 5", "1004"), ("ทางเท้าชำรุด", "1007"), ("ขยะตกค้าง", "1004")):
            response = await client.post("/api/v1/cases", json={"title": title, "agency": unit})
            numbers.append(response.json()["number"])
    await service.settle()
    from app.line.testing import buttons

    await service.tap("U_BANGRAK", buttons(service.last_card("U_BANGRAK"))["รับเรื่อง"])
    return numbers[0]


async def test_sign_in_sort_the_leaderboard_open_a_unit_and_a_case(service, page, tmp_path):
    number = await _seed(service)
    await page.goto(service.url + "/dashboard/units")
    assert "/dashboard/signin" in page.url  # not signed in: sent to sign in, then back
    await page.fill("#token", "wrong")
    await page.click("button[type=submit]")
    assert await page.locator("[role=alert]").count() == 1
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#leaderboard")
    assert page.url.startswith(service.url + "/dashboard/units")

    rows = page.locator("#leaderboard tbody tr")
    assert await rows.count() >= 2
    sort_links = page.locator("#leaderboard thead a.sort")
    header = sort_links.nth(1)
    label = (await header.inner_text()).strip()
    await header.click()
    await page.wait_for_load_state()
    assert "sort=" in page.url
    sorted_header = page.locator("#leaderboard thead th[aria-sort]")
    assert await sorted_header.count() == 1 and label in await sorted_header.inner_text()

    await page.click("#leaderboard a:has-text('สำนักงานเขตบางรัก')")
    await page.wait_for_load_state()
    assert "/dashboard/units/1004" in page.url
    await page.click(f"a:has-text('{number}')")
    await page.wait_for_load_state()
    assert "/dashboard/cases/" in page.url
    assert number in await page.inner_text("main") and "ไฟทางดับ ซอยสีลม 5" in await page.inner_text("main")

    shot = tmp_path / "case.png"
    await page.screenshot(path=str(shot), full_page=True)
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("L")
    histogram = image.histogram()
    background = max(histogram)
    # a page, not a blank: many pixels differ from the background, in many shades
    assert sum(histogram) - background > 0.02 * sum(histogram)
    assert sum(1 for count in histogram if count) > 20
