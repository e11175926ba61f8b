"""Admin API for SLA policies, days off and the fiscal year's business calendar."""

from __future__ import annotations

from datetime import date, datetime


async def test_policies_can_be_set_listed_replaced_and_deleted(service):
    body = {"priority": "normal", "agency": "บางรัก", "category": "ไฟฟ้า", "ack_seconds": 3600,
            "ack_business": False, "resolve_seconds": 86400}
    async with service.http() as client:
        created = await client.put("/api/v1/sla/policies", json=body)
        replaced = await client.put("/api/v1/sla/policies", json=body | {"ack_seconds": 1800})
        listed = (await client.get("/api/v1/sla/policies")).json()
        forwarded = (await client.post("/api/v1/cases", json={"title": "ไฟดับ", "agency": "1004",
                                                              "category": "ไฟฟ้า"})).json()
        bad = [await client.put("/api/v1/sla/policies", json=body | change)
               for change in ({"ack_seconds": 0}, {"priority": "soon"}, {"agency": "ดาวอังคาร"},
                              {"ack_seconds": 90000, "ack_business": False})]
        deleted = await client.delete(f"/api/v1/sla/policies/{created.json()['id']}")
        gone = await client.delete(f"/api/v1/sla/policies/{created.json()['id']}")
    async with service.http(admin=False) as client:
        anonymous = await client.get("/api/v1/sla/policies")
    assert created.status_code == 200 and created.json()["agency"]["code"] == "1004"
    assert replaced.json()["id"] == created.json()["id"] and [p["ack_seconds"] for p in listed] == [1800]
    [assignment] = forwarded["assignments"]
    took = datetime.fromisoformat(assignment["ack_due_at"]) - datetime.fromisoformat(assignment["forwarded_at"])
    assert took.total_seconds() == 1800  # the policy, in wall-clock time
    assert [r.status_code for r in bad] == [422, 422, 404, 422]
    assert deleted.status_code == 204 and gone.status_code == 404 and anonymous.status_code == 401


async def test_fiscal_year_calendar_with_an_extra_day_off(service):
    async with service.http() as client:
        added = await client.put("/api/v1/calendar/days-off/2026-12-30", json={"name": "วันหยุดพิเศษ (มติ ครม.)"})
        fy = (await client.get("/api/v1/calendar/2570")).json()
        removed = await client.delete("/api/v1/calendar/days-off/2026-12-30")
        again = await client.delete("/api/v1/calendar/days-off/2026-12-30")
        without = (await client.get("/api/v1/calendar/2570")).json()
        not_be = await client.get("/api/v1/calendar/2026")
        bad_day = await client.put("/api/v1/calendar/days-off/2026-13-01", json={"name": "x"})
    assert added.status_code == 200 and added.json()["source"] == "extra"
    assert (fy["first_day"], fy["last_day"]) == ("2026-10-01", "2027-09-30")
    days = {h["day"]: h for h in fy["holidays"]}
    assert days["2026-12-30"]["source"] == "extra" and days["2026-12-10"]["source"] == "public"  # Constitution Day
    assert fy["business_days"] == without["business_days"] - 1
    assert removed.status_code == 204 and again.status_code == 404
    assert not_be.status_code == 422 and bad_day.status_code == 422
    assert date.fromisoformat(fy["first_day"]).weekday() == 3  # 1 Oct 2026 is a Thursday
