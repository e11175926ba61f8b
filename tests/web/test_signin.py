"""Signing in to the dashboard (SPEC §8): the admin token, one-time links from LINE, the session
cookie, signing out, and a deactivated person's session ending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.db import session_scope
from models import DashboardLink, Person
from tests.web.support import admin_client, client, line_client, link_path


async def test_unauthenticated_pages_redirect_to_signin(service):
    async with client(service) as browser:
        for path in ("/dashboard", "/dashboard/units?sort=-sla", "/dashboard/export/cases.csv", "/dashboard/kpi"):
            response = await browser.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/dashboard/signin"), path
        back = await browser.get("/dashboard/units?sort=-sla")
        assert back.headers["location"] == "/dashboard/signin?next=%2Fdashboard%2Funits%3Fsort%3D-sla"
        form = await browser.get(back.headers["location"])
    assert form.status_code == 200 and "เข้าสู่แดชบอร์ด" in form.text and 'name="token"' in form.text
    assert 'value="/dashboard/units?sort=-sla"' in form.text


async def test_admin_token_signs_in_and_a_wrong_one_does_not(service):
    async with client(service) as browser:
        wrong = await browser.post("/dashboard/signin", data={"token": "not-the-token"})
        assert wrong.status_code == 401 and "รหัสไม่ถูกต้อง" in wrong.text
        assert "rongtuk_dashboard" not in browser.cookies
        assert (await browser.get("/dashboard")).status_code == 303
        right = await browser.post("/dashboard/signin", data={"token": "test-admin-token",
                                                              "next": "/dashboard/units?sort=-sla"})
        assert right.status_code == 303 and right.headers["location"] == "/dashboard/units?sort=-sla"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie and "max-age=28800" in cookie
        page = await browser.get("/dashboard")
        assert page.status_code == 200 and "ภาพรวม" in page.text and "ผู้ดูแลระบบ" in page.text
        # no open redirect after signing in
        elsewhere = await browser.post("/dashboard/signin", data={"token": "test-admin-token",
                                                                  "next": "https://evil.example/dashboard"})
        assert elsewhere.headers["location"] == "/dashboard"
        out = await browser.get("/dashboard/signout")
        assert out.status_code == 303
        assert (await browser.get("/dashboard")).status_code == 303


async def test_a_forged_or_tampered_cookie_is_refused(service):
    async with admin_client(service) as browser:
        value = browser.cookies["rongtuk_dashboard"]
    async with client(service) as forger:
        forger.cookies.set("rongtuk_dashboard", value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
                           domain="127.0.0.1", path="/dashboard")
        assert (await forger.get("/dashboard")).status_code == 303


async def test_one_time_link_from_line_works_once(service):
    await service.register("U_MANAGER", "manager", "1004", name="ผอ.เขตบางรัก")
    answer = await service.say("U_MANAGER", "แดชบอร์ด")
    assert "ใช้ได้ครั้งเดียว" in answer[0] and "15 นาที" in answer[0]
    path = link_path(answer)
    async with client(service) as browser:
        preview = await browser.get(path)  # what a link preview fetches: shows a button, spends nothing
        assert preview.status_code == 200 and "ผอ.เขตบางรัก" in preview.text
        assert (await browser.get(path)).status_code == 200
        used = await browser.post(path)
        assert used.status_code == 303 and used.headers["location"] == "/dashboard/units/1004"
        page = await browser.get("/dashboard/units/1004")
        assert page.status_code == 200 and "สำนักงานเขตบางรัก" in page.text
    async with client(service) as someone_else:
        again = await someone_else.post(path)
        assert again.status_code == 410 and "ถูกใช้ไปแล้ว" in again.text
        assert "rongtuk_dashboard" not in someone_else.cookies
        assert (await someone_else.get(path)).status_code == 410
        assert (await someone_else.get("/dashboard/login/no-such-token")).status_code == 404
    async with service.sessionmaker() as session:
        stored = (await session.scalars(select(DashboardLink))).all()
    assert len(stored) == 1 and path.rsplit("/", 1)[1] not in stored[0].token_hash  # the hash only


async def test_an_expired_link_fails(service):
    await service.register("U_CENTRE", "centre", "CENTRE")
    path = link_path(await service.say("U_CENTRE", "dashboard"))
    async with session_scope(service.sessionmaker) as session:
        await session.execute(update(DashboardLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    async with client(service) as browser:
        assert (await browser.get(path)).status_code == 410
        expired = await browser.post(path)
        assert expired.status_code == 410 and "หมดอายุ" in expired.text and "แดชบอร์ด" in expired.text
        assert "rongtuk_dashboard" not in browser.cookies


async def test_links_only_in_a_private_chat_and_only_for_registered_people(service):
    await service.register("U_COORD", "coordinator", "1004")
    in_group = await service.say("U_COORD", "แดชบอร์ด", group_id="G_BANGRAK")
    assert in_group and "แชตส่วนตัว" in in_group[0] and "/dashboard/login/" not in in_group[0]
    stranger = await service.say("U_STRANGER", "แดชบอร์ด")
    assert "/dashboard/login/" not in "".join(stranger) and "1555" in stranger[0]
    help_text = "\n".join(await service.say("U_COORD", "ช่วยเหลือ"))
    assert "แดชบอร์ด" in help_text


async def test_a_deactivated_person_is_signed_out(service):
    await service.register("U_COORD", "coordinator", "1004")
    async with line_client(service, "U_COORD") as browser:
        assert (await browser.get("/dashboard/units/1004")).status_code == 200
        async with session_scope(service.sessionmaker) as session:
            await session.execute(update(Person).where(Person.line_user_id == "U_COORD")
                                  .values(active=False, deactivated_at=datetime.now(UTC), deactivated_reason="unfollow"))
        assert (await browser.get("/dashboard/units/1004")).status_code == 303
