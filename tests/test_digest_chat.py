"""`สรุป` / `digest` end to end (SPEC §6): the digest of the period so far, by reply, through the
running service and the LINE emulator (which refuses a message past LINE's limits)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.line import events
from models import DigestDelivery
from tests.support import ADMIN_HEADERS, Service, buttons

BOSS, BMA_BOSS, CENTRE, COORDINATOR, STRANGER = "U_BOSS", "U_BMA_BOSS", "U_CENTRE", "U_BANGRAK", "U_STRANGER"


async def _forward(service: Service, title: str, agency: str = "บางรัก") -> str:
    async with service.http() as client:
        response = await client.post("/api/v1/cases", json={"title": title, "detail": "", "agency": agency},
                                     headers=ADMIN_HEADERS)
    assert response.status_code == 201, response.text
    return response.json()["number"]


async def _digest(service: Service, user: str, text: str = "สรุป") -> dict:
    [message] = await service.exchange(events.text_message(user, text), user)
    assert message["type"] == "flex", message
    return message


async def test_a_manager_asks_for_the_digest_of_today_so_far(service):
    await service.register(BOSS, "manager", "1004", name="ผอ.เขตบางรัก")
    await service.register(BMA_BOSS, "manager", None, name="ปลัด")
    await service.register(CENTRE, "centre", "CENTRE")
    await service.register(COORDINATOR, "coordinator", "1004")
    await _forward(service, "ไฟทางดับ ซอยสีลม 5")
    await _forward(service, "ทางเท้าชำรุด")
    await _forward(service, "น้ำท่วมขัง", agency="ปทุมวัน")
    await service.settle()
    await service.tap(COORDINATOR, buttons(service.last_card(COORDINATOR))["รับเรื่อง"])

    unit = await _digest(service, BOSS)
    assert unit["altText"].startswith("สรุปรายวัน วันนี้ ")
    assert " · สำนักงานเขตบางรัก · ส่ง 2 รับเรื่อง 1 เสร็จ 0 คืน 0 · " in unit["altText"]
    assert unit["altText"].endswith("เกินกำหนดขณะนี้ 0 เรื่อง")
    summary, overdue = unit["contents"]["contents"]
    assert summary["footer"]["contents"][0]["action"]["uri"].endswith("/dashboard?agency=1004")
    assert "ระดับตัวชี้วัดนวัตกรรม: ยังไม่ได้ประเมิน" in str(summary)

    bma = await _digest(service, BMA_BOSS, "digest")
    assert " · ทุกหน่วยงาน · ส่ง 3 รับเรื่อง 1 เสร็จ 0 คืน 0 · " in bma["altText"]
    assert len(bma["contents"]["contents"]) == 3  # figures, overdue units, slowest to acknowledge
    assert " · ทุกหน่วยงาน · ส่ง 3 " in (await _digest(service, CENTRE))["altText"]
    # a coordinator gets their unit; the week so far on asking for it
    week = await _digest(service, COORDINATOR, "สรุป สัปดาห์")
    assert week["altText"].startswith("สรุปรายสัปดาห์ สัปดาห์นี้ ") and " · สำนักงานเขตบางรัก · " in week["altText"]

    # on demand is not the scheduled digest: the ledger is untouched
    async with service.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(DigestDelivery)) == 0


async def test_others_get_no_digest(service):
    await service.register(BOSS, "manager", "1004")
    service.emulator.add_user(STRANGER, "ใครก็ได้")
    [notice] = await service.say(STRANGER, "สรุป")
    assert "1555" in notice and "Traffy Fondue" in notice
    [usage] = await service.say(BOSS, "สรุป เดือนนี้")
    assert usage.startswith("รูปแบบ: สรุป")
    await service.send(events.join("C_BANGRAK"))
    await service.settle()
    [private] = await service.say(BOSS, "สรุป", group_id="C_BANGRAK")
    assert "แชตส่วนตัว" in private
    [help_text] = await service.say(BOSS, "ช่วยเหลือ")
    assert "สรุป [สัปดาห์]" in help_text
