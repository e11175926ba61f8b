"""Exports (SPEC §8): cases and response times as CSV (UTF-8 with BOM, for Excel) and XLSX, the KPI
scorecard as XLSX; filtered like the pages, with the same access rules and Thai headers, and
complainant contact for the centre and admins only."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.support import ADMIN_HEADERS
from tests.web.support import admin_client, line_client, seed

NOVEMBER = "from=2025-11-01&to=2025-11-30"
COMPLAINANT = {"name": "สมหญิง รักดี", "phone": "081-555-1234", "email": "somying@example.com"}


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf"), response.content[:20]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response, sheet: int = 0) -> list[list]:
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


async def test_cases_as_csv_and_xlsx(service):
    await seed(service)
    async with admin_client(service) as browser:
        as_csv = await browser.get(f"/dashboard/export/cases.csv?{NOVEMBER}")
        as_xlsx = await browser.get(f"/dashboard/export/cases.xlsx?{NOVEMBER}")
        one_unit = await browser.get(f"/dashboard/export/cases.csv?{NOVEMBER}&agency=1001")
        bureaus = await browser.get(f"/dashboard/export/cases.csv?{NOVEMBER}&kind=bureau")
        december = await browser.get("/dashboard/export/cases.csv?from=2025-12-01&to=2025-12-31")
        wrong = await browser.get("/dashboard/export/cases.pdf")
    assert as_csv.status_code == 200 and "attachment" in as_csv.headers["content-disposition"]
    rows = read_csv(as_csv)
    assert rows[0][:5] == ["เลขที่เรื่อง", "หัวเรื่อง", "ความเร่งด่วน", "รหัสหน่วยงาน", "หน่วยงาน"]
    assert rows[0][-3:] == ["ชื่อผู้ร้อง", "โทรศัพท์ผู้ร้อง", "อีเมลผู้ร้อง"]  # admin: contact columns
    assert len(rows) == 7 and sorted(r[3] for r in rows[1:]) == ["1001", "1001", "1004", "1004", "1004", "1007"]
    assert all(r[0].startswith("#69-") and r[4].startswith("สำนักงานเขต") for r in rows[1:])
    bangrak = [r for r in rows[1:] if r[3] == "1004" and r[5] == "แจ้งเสร็จแล้ว"]
    assert sorted(float(r[10]) for r in bangrak) == [0.17, 0.33]  # TTA in business hours
    sheet = read_xlsx(as_xlsx)
    assert sheet[0] == rows[0] and len(sheet) == 7
    assert sorted(r[3] for r in sheet[1:]) == ["1001", "1001", "1004", "1004", "1004", "1007"]
    assert sheet[1][7].year == 2025  # a real date-time cell
    assert [r[3] for r in read_csv(one_unit)[1:]] == ["1001", "1001"]
    assert len(read_csv(bureaus)) == 1 and len(read_csv(december)) == 1  # the header alone
    assert wrong.status_code == 404


async def test_response_times_as_csv_and_xlsx(service):
    await seed(service)
    async with admin_client(service) as browser:
        as_csv = await browser.get(f"/dashboard/export/response-times.csv?{NOVEMBER}&kind=district&sort=tta_p50")
        as_xlsx = await browser.get(f"/dashboard/export/response-times.xlsx?{NOVEMBER}&kind=district")
    rows = read_csv(as_csv)
    header = rows[0]
    assert header[:4] == ["รหัสหน่วยงาน", "หน่วยงาน", "ประเภท", "จำนวนเรื่องที่ส่ง"]
    assert len(rows) == 1 + 50 + 1  # every district and the total
    assert [r[0] for r in rows[1:3]] == ["1004", "1001"]  # sorted like the page asked
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_code["1004"]["จำนวนเรื่องที่ส่ง"] == "3" and by_code["1004"]["ค้างเกินกำหนดขณะนี้"] == "1"
    assert by_code["1007"]["สัดส่วนส่งคืน (%)"] == "100.0" and by_code["1007"]["ประเภท"] == "สำนักงานเขต"
    assert by_code["1001"]["เวลารับเรื่อง p50 (ชม. ทำการ)"] == "4.0"
    assert by_code[""]["หน่วยงาน"].startswith("รวม") and by_code[""]["จำนวนเรื่องที่ส่ง"] == "6"
    sheet = read_xlsx(as_xlsx)
    assert sheet[0] == header and len(sheet) == 52
    assert {r[0]: r[3] for r in sheet[1:]}["1004"] == 3


async def test_kpi_scorecard_as_xlsx(service):
    async with service.http() as api:
        put = await api.put("/api/v1/kpi/innovation/1004/2569/evidence", headers=ADMIN_HEADERS,
                            json={"innovation_title": "LINE @ร้องทุกข์ 1555", "form3_submitted_on": "2026-02-20"})
        assert put.status_code == 200, put.text
    async with admin_client(service) as browser:
        response = await browser.get("/dashboard/export/kpi.xlsx?fy=2569&kind=district")
    assert response.status_code == 200
    rows = read_xlsx(response)
    assert rows[0][:4] == ["รหัสหน่วยงาน", "หน่วยงาน", "ประเภท", "ระดับ"] and len(rows) == 51
    first = rows[1]
    assert first[0] == "1004" and isinstance(first[3], int | float) and 1 <= first[3] <= 5 and first[-1] in ("", None)
    assert first[rows[0].index("แบบฟอร์ม 3")] == "✓ 20 ก.พ. 2569"
    assert first[rows[0].index("แบบฟอร์ม 1")] == "✗ 0 ความคิด (ขั้นต่ำ 15)"
    others = [r for r in rows[1:] if r[0] != "1004"]
    assert all(r[3] is None and r[-1] == "ยังไม่มีข้อมูล" for r in others)
    criteria = read_xlsx(response, sheet=1)
    assert criteria[0][:4] == ["รหัสหน่วยงาน", "หน่วยงาน", "ส่วนที่", "เกณฑ์"] and len(criteria) == 1 + 7
    assert all(r[0] == "1004" and r[6] for r in criteria[1:])  # every criterion with its reason


async def test_exports_follow_the_viewer(service):
    await seed(service)
    async with service.http() as api:
        created = await api.post("/api/v1/cases", headers=ADMIN_HEADERS, json={
            "title": "ขยะล้นถัง", "detail": "โทรแจ้งคุณสมหญิง 081-555-1234", "agency": "1004", "complainant": COMPLAINANT})
        assert created.status_code == 201
    await service.register("U_MANAGER", "manager", "1004")
    async with line_client(service, "U_MANAGER") as manager:
        mine = await manager.get("/dashboard/export/cases.csv?fy=2570")
        mine_xlsx = await manager.get("/dashboard/export/cases.xlsx?fy=2570")
        times = await manager.get(f"/dashboard/export/response-times.csv?{NOVEMBER}")
        assert (await manager.get("/dashboard/export/cases.xlsx?agency=1001")).status_code == 403
        assert (await manager.get("/dashboard/export/kpi.xlsx")).status_code == 200
    rows = read_csv(mine)
    assert "ชื่อผู้ร้อง" not in rows[0] and "โทรศัพท์ผู้ร้อง" not in rows[0]
    assert [r[3] for r in rows[1:]] == ["1004"] and "081-555-1234" not in mine.content.decode("utf-8-sig")
    assert "สมหญิง" not in mine.content.decode("utf-8-sig")
    assert "ชื่อผู้ร้อง" not in read_xlsx(mine_xlsx)[0]
    assert len(read_csv(times)) > 50  # the figures of every unit: aggregates, not personal data
    async with admin_client(service) as browser:
        everything = read_csv(await browser.get("/dashboard/export/cases.csv?fy=2570"))
    assert everything[1][-3:] == ["สมหญิง รักดี", "081-555-1234", "somying@example.com"]
