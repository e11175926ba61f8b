"""The dashboard's pages over HTTP on the running service: each renders in Thai with its filters,
the leaderboard sorts, the KPI scorecard scores only units with a record, and each role sees what
SPEC §9 allows (complainant contact for the centre and admins only)."""

from __future__ import annotations

import re
from urllib.parse import quote

from tests.support import ADMIN_HEADERS
from tests.web.support import admin_client, line_client, seed

COMPLAINANT = {"name": "สมหญิง รักดี", "phone": "081-555-1234", "email": "somying@example.com"}


def codes_in_order(html: str) -> list[str]:
    table = html[html.index('id="leaderboard"'):]
    return re.findall(r'<tr data-code="(\w+)"', table[:table.index("</tbody>")])


async def _case(service, agency: str, **extra) -> str:
    body = {"title": "ถนนเป็นหลุม ซอยสาทร 3", "detail": "รถจักรยานยนต์ล้ม", "agency": agency} | extra
    async with service.http() as api:
        response = await api.post("/api/v1/cases", json=body, headers=ADMIN_HEADERS)
    assert response.status_code == 201, response.text
    return response.json()["number"].lstrip("#")


async def test_every_page_renders_in_thai_with_its_filters(service):
    await seed(service)
    number = await _case(service, "1004")
    pages = ["/dashboard?fy=2569", "/dashboard?fy=2569&span=q1", "/dashboard?fy=2569&span=m11&kind=district",
             "/dashboard?from=2025-11-01&to=2025-11-30", "/dashboard/units?fy=2569", "/dashboard/units?fy=2569&kind=bureau",
             "/dashboard/units/1004?fy=2569", "/dashboard/units/1004?fy=2569&page=2", f"/dashboard/cases/{number}",
             "/dashboard/overdue", "/dashboard/overdue?kind=district", "/dashboard/kpi?fy=2569", "/dashboard/kpi"]
    async with admin_client(service) as browser:
        for path in pages:
            page = await browser.get(path)
            assert page.status_code == 200, (path, page.text[:2000])
            html = page.text
            assert '<html lang="th">' in html and "ร้องทุกข์ 1555" in html, path
            assert 'href="/dashboard/static/app.css?v=' in html and "http://" not in html.split("<body>")[0]
            assert page.headers["content-security-policy"].startswith("default-src 'none'")
            assert page.headers["cache-control"] == "no-store"
            assert ('class="filters"' in html) != path.startswith("/dashboard/cases/"), path  # a case has no period
        overview = (await browser.get("/dashboard?fy=2569&span=m11")).text
        assert "พฤศจิกายน 2568" in overview and 'value="m11" selected' in overview
        assert overview.count('<svg class="chart') == 8  # four charts, each for a wide screen and a phone and 'role="img"' in overview and "<title id=" in overview
        assert "รับเรื่องภายในกำหนด" in overview and "เวลารับเรื่อง (ชั่วโมงทำการ)" in overview
        assert 'href="/dashboard/units?fy=2569&amp;span=m11"' in overview  # the filters go along with every link
        custom = (await browser.get("/dashboard/units?from=2025-11-01&to=2025-11-30&kind=district")).text
        assert "1 พ.ย. 2568 – 30 พ.ย. 2568" in custom and "สำนักงานเขต" in custom
        assert codes_in_order(custom) and all(code.startswith("10") for code in codes_in_order(custom))
        bad = (await browser.get("/dashboard?fy=abc&kind=moon&from=2026-13-01")).text
        assert bad.count('class="notice"') == 3 and "ปีงบประมาณ “abc” ไม่ถูกต้อง" in bad
        unit = (await browser.get("/dashboard/units/1004?fy=2569")).text
        assert "สำนักงานเขตบางรัก" in unit and "ผู้ประสานงาน" in unit and "#69-" in unit
        assert (await browser.get("/dashboard/units/9999")).status_code == 404
        missing = await browser.get("/dashboard/cases/69-99999")
        assert missing.status_code == 404 and "ไม่พบเรื่อง" in missing.text
        found = await browser.get(f"/dashboard/cases?number=%23{number}")
        assert found.status_code == 303 and found.headers["location"] == f"/dashboard/cases/{number}"
        digest_link = await browser.get("/dashboard?agency=1004")
        assert digest_link.headers["location"] == "/dashboard/units/1004"
        css = await browser.get("/dashboard/static/app.css")
        assert css.status_code == 200 and "Sarabun" in css.text and "Noto Sans Thai" in css.text


async def test_overview_counts_and_overdue(service):
    await seed(service)
    async with admin_client(service) as browser:
        html = (await browser.get("/dashboard?fy=2569&span=m11")).text
        overdue = (await browser.get("/dashboard/overdue")).text
    # 6 assignments forwarded in November 2568: 2 resolved, 1 waiting, 2 in progress, 1 returned
    assert re.search(r"ส่งเรื่องถึงหน่วยงาน</h3><p class=\"big\">6<", html)
    assert "<title>รอรับเรื่อง: 1 เรื่อง</title>" in html and "<title>ส่งคืนศูนย์ฯ (ไม่ใช่หน่วยงาน): 1 เรื่อง</title>" in html
    assert "สำนักงานเขตบางรัก" in overdue and "1 รายการ" in overdue and "สำนักงานเขตพระนคร" not in overdue


async def test_leaderboard_sorts_by_each_column(service):
    await seed(service)
    async with admin_client(service) as browser:
        fastest = (await browser.get("/dashboard/units?fy=2569&kind=district&sort=tta_p50")).text
        slowest = (await browser.get("/dashboard/units?fy=2569&kind=district&sort=-tta_p50")).text
        by_sla = (await browser.get("/dashboard/units?fy=2569&kind=district&sort=-sla")).text
        by_returned = (await browser.get("/dashboard/units?fy=2569&kind=district&sort=-returned")).text
        by_overdue = (await browser.get("/dashboard/units?fy=2569&kind=district&sort=-overdue")).text
    assert codes_in_order(fastest)[:2] == ["1004", "1001"]
    assert codes_in_order(slowest)[:2] == ["1001", "1004"]
    assert len(codes_in_order(fastest)) == 50  # every district, those without cases last
    assert codes_in_order(by_sla)[:3] == ["1007", "1004", "1001"]  # 100 %, 2 of 3, none in time
    assert codes_in_order(by_returned)[0] == "1007"
    assert codes_in_order(by_overdue)[0] == "1004"
    # the header links sort, keep the filters, and the current column links to the other direction
    assert 'class="sort" href="/dashboard/units?fy=2569&amp;kind=district&amp;sort=-tta_p50"' in fastest
    assert 'aria-sort="ascending"' in fastest and 'aria-sort="descending"' in slowest
    assert 'class="sort" href="/dashboard/units?fy=2569&amp;kind=district&amp;sort=tta_p50"' in slowest


async def test_kpi_scorecard_scores_units_with_a_record(service):
    async with service.http() as api:
        put = await api.put("/api/v1/kpi/innovation/1004/2569/evidence", headers=ADMIN_HEADERS,
                            json={"innovation_title": "LINE @ร้องทุกข์ 1555", "form3_submitted_on": "2026-02-20"})
        assert put.status_code == 200, put.text
    async with admin_client(service) as browser:
        html = (await browser.get("/dashboard/kpi?fy=2569&kind=district")).text
    row = html[html.index('สำนักงานเขตบางรัก'):]
    row = row[:row.index("</tr>")]
    assert re.search(r'class="num level">\d\.\d{4}<', row) and "แบบฟอร์ม 3: 20 ก.พ. 2569" in row
    assert "แบบฟอร์ม 1: 0 ความคิด (ขั้นต่ำ 15)" in row
    other = html[html.index('สำนักงานเขตพระนคร'):]
    assert "ยังไม่มีข้อมูล" in other[:other.index("</tr>")]


async def test_access_follows_role_and_unit(service):
    await seed(service)
    own = await _case(service, "1004", complainant=COMPLAINANT,
                      detail="ผู้ร้องโทร 081-555-1234 ขอให้ซ่อมด่วน")
    other = await _case(service, "1001", complainant=COMPLAINANT)
    await service.register("U_MANAGER", "manager", "1004")
    await service.register("U_COORD", "coordinator", "1001")
    await service.register("U_BMA", "manager", None)
    await service.register("U_CENTRE", "centre", "CENTRE")

    async with line_client(service, "U_MANAGER") as manager:
        assert (await manager.get("/dashboard/units/1004")).status_code == 200
        refused = await manager.get("/dashboard/units/1001")
        assert refused.status_code == 403 and "เฉพาะหน่วยงานของท่าน" in refused.text
        assert (await manager.get(f"/dashboard/cases/{other}")).status_code == 403
        case = await manager.get(f"/dashboard/cases/{own}")
        assert case.status_code == 200 and "ถนนเป็นหลุม" in case.text
        assert "สมหญิง" not in case.text and "081-555-1234" not in case.text and "somying" not in case.text
        assert "08x-xxx-1234" in case.text  # typed into the detail: masked
        board = await manager.get("/dashboard/units?fy=2569")
        assert board.status_code == 200 and len(codes_in_order(board.text)) > 50  # figures of every unit
        assert '<tr data-code="1004" class="mine">' in board.text
        assert 'href="/dashboard/units/1001' not in board.text
        overdue = (await manager.get("/dashboard/overdue")).text
        assert "สำนักงานเขตบางรัก" in overdue and "สำนักงานเขตพระนคร" not in overdue
        assert (await manager.get("/dashboard/kpi")).status_code == 200
        assert (await manager.get("/dashboard/export/cases.csv?agency=1001")).status_code == 403
    async with line_client(service, "U_COORD") as coordinator:
        assert (await coordinator.get("/dashboard/units/1001")).status_code == 200
        assert (await coordinator.get("/dashboard/units/1004")).status_code == 403
        assert (await coordinator.get(f"/dashboard/cases/{own}")).status_code == 403
        case = await coordinator.get(f"/dashboard/cases/{other}")
        assert case.status_code == 200 and "สมหญิง" not in case.text and "081-555-1234" not in case.text
    async with line_client(service, "U_BMA") as bma:
        assert (await bma.get("/dashboard/units/1001")).status_code == 200
        case = await bma.get(f"/dashboard/cases/{own}")
        assert case.status_code == 200 and "สมหญิง" not in case.text and "081-555-1234" not in case.text
    for signed_in in (admin_client(service), line_client(service, "U_CENTRE")):
        async with signed_in as browser:
            case = await browser.get(f"/dashboard/cases/{quote(own)}")
            assert case.status_code == 200
            assert "สมหญิง รักดี" in case.text and "081-555-1234" in case.text and "somying@example.com" in case.text
            assert (await browser.get(f"/dashboard/cases/{other}")).status_code == 200
