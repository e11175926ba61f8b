"""The cases API (SPEC §4, §8) over HTTP on the running service, and what it sends to LINE."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from app.db import create_engine, create_sessionmaker, session_scope
from app.services import agencies, business_calendar, cases
from models import CaseEvent, ComplaintCase
from tests.support import ADMIN_HEADERS, buttons

COMPLAINANT = {"name": "สมชาย ใจดี", "phone": "081-234-5678", "email": "somchai@example.com"}


async def _create(service, **overrides):
    body = {"title": "ไฟทางดับ ซอยสีลม 5", "detail": "มืดมาก", "agency": "บางรัก"} | overrides
    async with service.http() as client:
        return await client.post("/api/v1/cases", json=body, headers=ADMIN_HEADERS)


async def test_create_case_by_api_reaches_the_unit(service):
    await service.register("U_BANGRAK", "coordinator", "1004")
    response = await _create(service, priority="urgent", category="ไฟฟ้า", location="ซอยสีลม 5", external_ref="1555-778899")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"].startswith("#") and body["status"] == "forwarded" and body["priority"] == "urgent"
    assert body["agency"] == {"code": "1004", "name_th": "สำนักงานเขตบางรัก"}
    assert body["notified_chats"] == 1 and body["assignments"][0]["ack_due_at"]
    await service.settle()
    card = service.last_card("U_BANGRAK")
    assert body["number"] in card["altText"]
    async with service.http() as client:
        got = await client.get(f"/api/v1/cases/{body['number'].lstrip('#')}", headers=ADMIN_HEADERS)
        encoded = await client.get(f"/api/v1/cases/%23{body['number'].lstrip('#')}", headers=ADMIN_HEADERS)
    assert got.status_code == 200 and got.json()["assignments"][0]["delivered_at"] is not None
    assert encoded.json()["number"] == body["number"]


async def test_bad_input_is_refused_and_changes_nothing(service):
    cases_before = await _count(service)
    assert (await _create(service, agency="ดาวอังคาร")).status_code == 404
    ambiguous = await _create(service, agency="บางกอก")
    assert ambiguous.status_code == 409 and set(ambiguous.json()["details"]["candidates"]) == {"1016", "1020"}
    for bad in ({"title": ""}, {"title": "x" * 301}, {"priority": "whenever"}, {"detail": "x" * 10_001},
                {"agency": "CENTRE"}):
        response = await _create(service, **bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"] == "InvalidInput" and response.json()["message"]
    async with service.http() as client:
        assert (await client.post("/api/v1/cases", content=b"{not json", headers=ADMIN_HEADERS
                                  | {"content-type": "application/json"})).status_code == 422
    async with service.http(admin=False) as anonymous:
        assert (await anonymous.post("/api/v1/cases", json={"title": "x", "agency": "1004"})).status_code == 401
    async with service.http() as client:
        assert (await client.get("/api/v1/cases/70-99999", headers=ADMIN_HEADERS)).status_code == 404
        assert (await client.get("/api/v1/cases/not-a-number", headers=ADMIN_HEADERS)).status_code == 422
    assert await _count(service) == cases_before


async def test_list_filters_and_pages(service):
    numbers = [(await _create(service, title=f"เรื่องที่ {i}", agency="1004" if i % 2 else "1007")).json()["number"]
               for i in range(5)]
    async with service.http() as client:
        await client.post(f"/api/v1/cases/{numbers[0].lstrip('#')}/close", headers=ADMIN_HEADERS)
        everything = (await client.get("/api/v1/cases", headers=ADMIN_HEADERS)).json()
        bangrak = (await client.get("/api/v1/cases", params={"agency": "บางรัก"}, headers=ADMIN_HEADERS)).json()
        closed = (await client.get("/api/v1/cases", params={"status": "closed"}, headers=ADMIN_HEADERS)).json()
        page2 = (await client.get("/api/v1/cases", params={"per_page": 2, "page": 2}, headers=ADMIN_HEADERS)).json()
        overdue = (await client.get("/api/v1/cases", params={"overdue": "true"}, headers=ADMIN_HEADERS)).json()
        bad_status = await client.get("/api/v1/cases", params={"status": "lost"}, headers=ADMIN_HEADERS)
        bad_period = await client.get("/api/v1/cases", params={"from": "2026-13-01"}, headers=ADMIN_HEADERS)
    assert everything["total"] == 5 and [c["number"] for c in everything["items"]] == numbers[::-1]
    assert {c["number"] for c in bangrak["items"]} == {numbers[1], numbers[3]}
    assert [c["number"] for c in closed["items"]] == [numbers[0]]
    assert [c["number"] for c in page2["items"]] == [numbers[2], numbers[1]] and page2["total"] == 5
    assert overdue["total"] == 0  # all just forwarded
    assert bad_status.status_code == 422 and bad_period.status_code == 422


async def test_reassign_close_reopen_and_timeline(service):
    await service.register("U_BANGRAK", "coordinator", "1004", name="สมชาย")
    await service.register("U_PATHUMWAN", "coordinator", "1007")
    number = (await _create(service)).json()["number"].lstrip("#")
    await service.settle()
    await service.tap("U_BANGRAK", buttons(service.last_card("U_BANGRAK"))["รับเรื่อง"])
    async with service.http() as client:
        moved = await client.post(f"/api/v1/cases/{number}/reassign", json={"agency": "ปทุมวัน", "note": "เขตปทุมวันดูแล"},
                                  headers=ADMIN_HEADERS)
        again = await client.post(f"/api/v1/cases/{number}/reassign", json={"agency": "ปทุมวัน"}, headers=ADMIN_HEADERS)
        reopen_open = await client.post(f"/api/v1/cases/{number}/reopen", json={"reason": "x"}, headers=ADMIN_HEADERS)
        closed = await client.post(f"/api/v1/cases/{number}/close", json={"note": "ซ้ำกับเรื่องอื่น"}, headers=ADMIN_HEADERS)
        reopened = await client.post(f"/api/v1/cases/{number}/reopen", json={"reason": "ไม่ซ้ำ"}, headers=ADMIN_HEADERS)
        timeline = (await client.get(f"/api/v1/cases/{number}/timeline", headers=ADMIN_HEADERS)).json()
    assert moved.status_code == 200 and [a["status"] for a in moved.json()["assignments"]] == ["reassigned", "forwarded"]
    assert again.status_code == 409 and reopen_open.status_code == 409
    assert closed.json()["status"] == "closed" and closed.json()["assignments"][1]["status"] == "withdrawn"
    assert reopened.json()["status"] == "forwarded"
    assert [e["kind"] for e in timeline] == ["created", "forwarded", "acknowledged", "reassigned", "closed", "reopened"]
    assert timeline[2]["actor"] == "สมชาย" and timeline[2]["agency"]["code"] == "1004"
    assert timeline[3]["actor"] is None and timeline[3]["data"]["via"] == "api"
    await service.settle()
    assert "ไม่ต้องดำเนินการต่อ" in service.emulator.accepted_messages("U_BANGRAK")[-1]["text"]
    assert service.last_card("U_PATHUMWAN")["altText"].startswith("เรื่องเปิดใหม่")


async def test_personal_data_never_leaves_in_a_line_message(service):
    """SPEC §9: the complainant's contact is masked everywhere it would reach LINE — the card, the
    full detail, relays, status — and shown whole only by the API."""
    await service.register("U_CENTRE", "centre", "CENTRE")
    await service.register("U_BANGRAK", "coordinator", "1004")
    detail = ("ผู้ร้อง คุณสมชาย ใจดี โทร 0812345678 หรือ somchai@example.com แจ้งว่าไฟดับ " + "ข้อมูลเพิ่มเติม " * 150)
    response = await _create(service, detail=detail, complainant=COMPLAINANT)
    number = response.json()["number"]
    assert response.json()["complainant"] == COMPLAINANT  # the API, for centre and admin
    await service.settle()
    await service.tap("U_BANGRAK", buttons(service.last_card("U_BANGRAK"))["รับเรื่อง"])
    await service.say("U_BANGRAK", f"{number} โทรหาคุณสมชาย ใจดี ที่ 081 234 5678 แล้ว")
    await service.say("U_CENTRE", f"สถานะ {number}")
    await service.say("U_CENTRE", "ค้าง")

    sent = json.dumps([r.json for r in service.emulator.requests if r.method == "POST"], ensure_ascii=False)
    assert "ผู้ร้อง" in sent and "08x-xxx-5678" in sent  # masked contact is there…
    for secret in ("สมชาย ใจดี", "0812345678", "081 234 5678", "081-234-5678", "somchai@example.com"):
        assert secret not in sent, secret  # …the real one never


async def test_numbers_stay_unique_under_concurrent_forwarding(database_url, settings):
    """Two replicas forwarding at the same moment: separate connections, one counter."""
    engines = [create_engine(database_url) for _ in range(4)]
    try:
        async def forward_many(engine, n):
            sessionmaker = create_sessionmaker(engine)
            numbers = []
            for i in range(n):
                async with session_scope(sessionmaker) as session:
                    agency = await agencies.resolve(session, "1004")
                    calendar = await business_calendar.load(session, settings)
                    a = await cases.forward(session, agency=agency, title=f"เรื่อง {i}", actor=None,
                                            at=_now(), calendar=calendar, settings=settings)
                    numbers.append(a.case.number)
            return numbers

        results = await asyncio.gather(*(forward_many(e, 10) for e in engines))
    finally:
        for e in engines:
            await e.dispose()
    numbers = [n for r in results for n in r]
    assert len(numbers) == len(set(numbers)) == 40
    assert sorted(int(n.split("-")[1]) for n in numbers) == list(range(1, 41))


async def _count(service) -> int:
    async with service.sessionmaker() as s:
        return (await s.scalar(select(func.count()).select_from(ComplaintCase))
                + await s.scalar(select(func.count()).select_from(CaseEvent)))


def _now():
    from models.base import utcnow

    return utcnow()
